//! Audits of peers' chains: before a worker takes a paid job it checks the requester's signed
//! head, fetches only the entries of its chain not verified before, verifies them in batches off
//! the async threads as they arrive (links, signatures, replays, and no receipt priced above
//! its tokens), and takes the balance of its latest verified entry as what the requester can
//! pay. What was verified is kept per peer ([`Book`]), so the next audit starts there.

use std::collections::{BTreeMap, HashSet};

use super::chain::{Head, Position, Verifier};
use super::{Ledger, ModelFacts};
use crate::ids::{NodeId, now_ms};
use crate::tasks::Tasks;

/// Entries one audit reads at most.
pub const MAX_AUDIT_ENTRIES: u64 = 1_000_000;
/// Hashes of a peer's audited entries remembered (to check older heads it sends).
const AUDITED_HASHES: usize = 256;
/// The longest one audit may take, fetching and verifying.
const AUDIT_TIME: std::time::Duration = std::time::Duration::from_secs(120);

/// Why an audit of a peer's chain did not pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// The chain could not be read (the peer is unreachable or slow): nobody's fault yet.
    #[error("{0}")]
    Fetch(String),
    /// The chain or the head is wrong: the peer's fault.
    #[error("{0}")]
    Bad(String),
}

/// What this node knows of one peer's chain.
#[derive(Default)]
pub(super) struct Book {
    /// Signed heads seen (announcements, job requests), by seq.
    pub heads: BTreeMap<u64, Head>,
    /// The position up to which its chain was fetched and verified.
    audited: Option<Position>,
    /// The receipts of its verified entries (a replay in a later part is caught).
    jobs: HashSet<[u8; 32]>,
    /// The hashes of its latest verified entries, by seq.
    hashes: BTreeMap<u64, [u8; 32]>,
}

/// Where an audit starts.
enum Start {
    /// Already verified past the head: its balance then.
    Known(u64),
    /// From this position (the start when `None`), with the replay keys seen so far.
    From(Option<Position>, HashSet<[u8; 32]>),
}

impl Ledger {
    /// Audits a requester before work (see the module docs). `fetch(after, sink)` sends the
    /// peer's entries after seq `after` to `sink` as they arrive. Returns the balance of its
    /// latest verified entry.
    /// Verification runs on blocking threads owned by `tasks`.
    pub async fn audit<F, Fut>(
        &self,
        tasks: &Tasks,
        head: &Head,
        fetch: F,
    ) -> Result<u64, AuditError>
    where
        F: FnOnce(Option<u64>, tokio::sync::mpsc::Sender<Vec<Vec<u8>>>) -> Fut,
        Fut: std::future::Future<Output = Result<(), String>>,
    {
        let peer = head.owner;
        let forked =
            || AuditError::Bad("it signed two different ledger heads (equivocation)".into());
        if self.is_equivocator(&peer) {
            return Err(forked());
        }
        match self.observe_head(head) {
            Err(e) => return Err(AuditError::Bad(e)),
            Ok(Some(_)) => return Err(forked()),
            Ok(None) => {}
        }
        let lock = self
            .inner
            .audits
            .lock()
            .expect("audits")
            .entry(peer)
            .or_default()
            .clone();
        let _one_at_a_time = lock.lock().await;
        let (audited, jobs) = match self.audit_start(&peer, head)? {
            Start::Known(balance) => return Ok(balance),
            Start::From(audited, jobs) => (audited, jobs),
        };
        let heads = self
            .inner
            .books
            .lock()
            .expect("books")
            .get(&peer)
            .map(|b| b.heads.clone())
            .unwrap_or_default();
        let max_grant = Some(self.inner.policy.starter_grant);
        let v = match audited {
            Some(a) => Verifier::resume(Some(peer), a, max_grant, now_ms()),
            None => Verifier::new(Some(peer), max_grant, now_ms()),
        };
        let state = AuditState {
            v: v.with_jobs(jobs),
            at_head: None,
            recent: Vec::new(),
            read: 0,
            head_seq: head.seq,
            heads,
        };
        let state = self
            .fetch_and_verify(tasks, &peer, state, audited.map(|a| a.next - 1), fetch)
            .await?;
        self.conclude(&peer, head, state)
    }

    /// Whether the head is within what was verified before (then only the head is checked),
    /// else where to go on from.
    fn audit_start(&self, peer: &NodeId, head: &Head) -> Result<Start, AuditError> {
        let mut books = self.inner.books.lock().expect("books");
        let book = books.entry(*peer).or_default();
        if let Some(a) = book.audited
            && a.next > head.seq
        {
            return match book.hashes.get(&head.seq) {
                Some(h) if *h != head.hash => Err(AuditError::Bad(format!(
                    "its head for seq {} does not match the chain it served before",
                    head.seq
                ))),
                _ => Ok(Start::Known(a.balance)),
            };
        }
        Ok(Start::From(book.audited, std::mem::take(&mut book.jobs)))
    }

    /// Fetches and verifies together, batch by batch off the async threads, within
    /// [`AUDIT_TIME`]. On failure the replay keys go back as they were.
    async fn fetch_and_verify<F, Fut>(
        &self,
        tasks: &Tasks,
        peer: &NodeId,
        mut state: AuditState,
        after: Option<u64>,
        fetch: F,
    ) -> Result<AuditState, AuditError>
    where
        F: FnOnce(Option<u64>, tokio::sync::mpsc::Sender<Vec<Vec<u8>>>) -> Fut,
        Fut: std::future::Future<Output = Result<(), String>>,
    {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Vec<u8>>>(4);
        let verify = async {
            while let Some(batch) = rx.recv().await {
                let ledger = self.clone();
                let (back, r) = tasks
                    .spawn_blocking(move || {
                        let r = state.take(&ledger, batch);
                        (state, r)
                    })
                    .await
                    .map_err(|e| (None, AuditError::Fetch(e.to_string())))?;
                state = back;
                if let Err(e) = r {
                    return Err((Some(state), e));
                }
            }
            Ok(state)
        };
        let both =
            tokio::time::timeout(AUDIT_TIME, async { tokio::join!(fetch(after, tx), verify) });
        let Ok((fetched, verified)) = both.await else {
            // The verifier's state went with the cancelled future, the replay set too: the
            // next audit starts over.
            self.forget_audit(peer);
            return Err(AuditError::Fetch(format!(
                "its chain did not arrive within {} s",
                AUDIT_TIME.as_secs()
            )));
        };
        let state = match verified {
            Ok(s) => s,
            Err((state, e)) => {
                match state {
                    Some(st) => self.restore_jobs(peer, st.v.rollback()),
                    None => self.forget_audit(peer),
                }
                return Err(e);
            }
        };
        if let Err(e) = fetched {
            self.restore_jobs(peer, state.v.rollback());
            return Err(AuditError::Fetch(e));
        }
        Ok(state)
    }

    /// Checks that the verified chain reaches the signed head and agrees with it, and keeps
    /// what was verified for the next audit.
    fn conclude(&self, peer: &NodeId, head: &Head, state: AuditState) -> Result<u64, AuditError> {
        let (at_head, recent) = (state.at_head, state.recent);
        let (s, jobs) = state
            .v
            .finish_with_jobs()
            .map_err(|e| AuditError::Bad(format!("its chain fails verification at {e}")))?;
        match at_head {
            Some((hash, balance)) if hash == head.hash && balance == head.balance => {}
            Some(_) => {
                return Err(AuditError::Bad(format!(
                    "the chain it served does not match its signed head at seq {}",
                    head.seq
                )));
            }
            None => {
                return Err(AuditError::Bad(format!(
                    "the chain it served ends at seq {} before its signed head's seq {}",
                    s.entries.saturating_sub(1),
                    head.seq
                )));
            }
        }
        let mut books = self.inner.books.lock().expect("books");
        let book = books.entry(*peer).or_default();
        book.audited = Some(Position {
            next: s.entries,
            prev: s.head,
            time_ms: s.time_ms,
            balance: s.balance,
        });
        book.jobs = jobs;
        book.hashes.extend(recent);
        while book.hashes.len() > AUDITED_HASHES {
            book.hashes.pop_first();
        }
        Ok(s.balance)
    }

    /// Forgets what was audited of a peer's chain (the next audit reads it all again).
    fn forget_audit(&self, peer: &NodeId) {
        if let Some(b) = self.inner.books.lock().expect("books").get_mut(peer) {
            b.audited = None;
            b.jobs.clear();
            b.hashes.clear();
        }
    }

    fn restore_jobs(&self, peer: &NodeId, jobs: HashSet<[u8; 32]>) {
        if let Some(b) = self.inner.books.lock().expect("books").get_mut(peer) {
            b.jobs = jobs;
        }
    }
}

/// An audit in progress: the verifier and what it found so far.
struct AuditState {
    v: Verifier,
    at_head: Option<([u8; 32], u64)>,
    recent: Vec<(u64, [u8; 32])>,
    read: u64,
    head_seq: u64,
    /// Heads the peer signed before: its chain must agree with every one.
    heads: BTreeMap<u64, Head>,
}

impl AuditState {
    /// Verifies a batch of entries (CPU work: off the async threads).
    fn take(&mut self, ledger: &Ledger, batch: Vec<Vec<u8>>) -> Result<(), AuditError> {
        for raw in batch {
            self.read += 1;
            if self.read > MAX_AUDIT_ENTRIES {
                // Too long to audit here: not a fault of the peer's.
                return Err(AuditError::Fetch(format!(
                    "its chain is longer than an audit reads ({MAX_AUDIT_ENTRIES} entries)"
                )));
            }
            let bad = |m: String| AuditError::Bad(m);
            let e = self
                .v
                .push(&raw)
                .map_err(|e| bad(format!("its chain fails verification at {e}")))?;
            if let Some((r, _)) = &e.receipt {
                let tokens = r.prompt_tokens as u64 + r.completion_tokens as u64;
                if let Some(facts) = ledger.facts(&r.model)
                    && overpriced(ledger, &facts, &r.quant, tokens, r.credits)
                {
                    return Err(bad(format!(
                        "entry {}: its receipt claims {} credits for {tokens} tokens of {}, more \
                         than that model's context or price allows",
                        e.seq, r.credits, r.model
                    )));
                }
            }
            let hash = *blake3::hash(&raw).as_bytes();
            if let Some(h) = self.heads.get(&e.seq)
                && h.hash != hash
            {
                return Err(bad(format!(
                    "entry {} differs from the head it signed for that seq before (its chain forked)",
                    e.seq
                )));
            }
            if e.seq == self.head_seq {
                self.at_head = Some((hash, e.balance));
            }
            self.recent.push((e.seq, hash));
            if self.recent.len() > 2 * AUDITED_HASHES {
                self.recent.drain(..AUDITED_HASHES);
            }
        }
        Ok(())
    }
}

/// Whether a receipt counts more tokens than the model's context, or more credits than the
/// price of its tokens.
fn overpriced(ledger: &Ledger, facts: &ModelFacts, quant: &str, tokens: u64, credits: u64) -> bool {
    tokens > facts.context as u64
        || credits > ledger.inner.policy.price(facts.parameters, quant, tokens)
}
