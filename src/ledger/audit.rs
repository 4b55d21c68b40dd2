//! Audits of peers' chains: before a worker takes a paid job it checks the requester's signed
//! head, fetches only the entries of its chain not verified before, verifies them in batches off
//! the async threads as they arrive (links, admission, replays, the payer's signature on each
//! earning, and every receipt priced as this node's catalog says), up to that head, which
//! authenticates them. Then the earnings it relies on are checked against their payers' chains
//! (`backing`), and what the requester can pay is its balance at the head less the earnings not
//! backed yet. What was verified is kept per peer ([`Book`]), so the next audit starts there.
//!
//! At most [`AUDITS_AT_ONCE`] chains are fetched and verified at a time, and one per peer: a
//! crowd of new keys waits its turn instead of keeping every core auditing.

use std::collections::BTreeMap;

use super::Ledger;
use super::chain::{Head, Position, Verifier};
use crate::ids::{NodeId, now_ms};
use crate::tasks::Tasks;

/// Entries one audit reads at most.
pub const MAX_AUDIT_ENTRIES: u64 = 1_000_000;
/// Hashes of a peer's audited entries remembered (to check older heads it sends).
const AUDITED_HASHES: usize = 256;
/// The longest one audit may take, fetching and verifying.
const AUDIT_TIME: std::time::Duration = std::time::Duration::from_secs(120);
/// Chains fetched and verified at once, in all.
pub(super) const AUDITS_AT_ONCE: usize = 2;
/// Chains never audited before, audited per second at most.
const NEW_CHAINS_PER_S: u32 = 20;

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
    pub(super) audited: Option<Position>,
    /// The receipts of its verified entries (a replay in a later part is caught).
    jobs: super::chain::Jobs,
    /// The hashes of its latest verified entries, by seq.
    pub(super) hashes: BTreeMap<u64, [u8; 32]>,
    /// Its earnings whose payers' chains were not seen to hold their spends yet.
    pub(super) unbacked: Vec<super::chain::Backing>,
    /// Credits of its earnings refused as unbacked (the payer's chain holds no such spend).
    pub(super) void: u64,
    /// Its open holds at the audited position (a copy: `jobs` is away while an audit runs).
    holds: std::collections::HashMap<[u8; 32], super::chain::OpenHold>,
    /// When it was last used (seconds).
    touched: u64,
}

/// Peers whose chains this node keeps track of at most (see [`book_of`] for which give way).
pub(super) const MAX_BOOKS: usize = 20_000;
/// Books of heads only dropped at once when the books are full: one scan makes room for this
/// many new keys, so a flood of them costs a scan per this many keys, not one per key.
const EVICT_BATCH: usize = MAX_BOOKS / 64;

impl Book {
    /// Whether an audit found something here (a verified position, earnings void or waiting
    /// for their payers): worth more than heads seen in passing, which a crowd of made-up keys
    /// announcing themselves costs nothing to make.
    pub(super) fn matters(&self) -> bool {
        self.audited.is_some() || self.void > 0 || !self.unbacked.is_empty()
    }
}

/// The book of `peer`, made if new: when there are [`MAX_BOOKS`], room is made first (see
/// [`make_room`]), so a crowd of new keys cannot grow this node's memory without bound, nor
/// push out what audits found.
pub(super) fn book_of<'a>(
    books: &'a mut std::collections::HashMap<NodeId, Book>,
    peer: &NodeId,
) -> &'a mut Book {
    if !books.contains_key(peer) && books.len() >= MAX_BOOKS {
        make_room(books);
    }
    let book = books.entry(*peer).or_default();
    book.touched = crate::ids::unix_now();
    book
}

/// Drops the least recently used books that hold only heads (up to [`EVICT_BATCH`] of them).
/// A book that [`Book::matters`] goes only when no such book is left, and then one at a time,
/// those with void earnings last: a key that only announces itself never pushes out a peer's
/// audited position, nor the record of its void earnings.
fn make_room(books: &mut std::collections::HashMap<NodeId, Book>) {
    let mut plain: Vec<(u64, NodeId)> = books
        .iter()
        .filter(|(_, b)| !b.matters())
        .map(|(k, b)| (b.touched, *k))
        .collect();
    if plain.is_empty() {
        let oldest = books
            .iter()
            .min_by_key(|(_, b)| (b.void > 0, b.touched))
            .map(|(k, _)| *k);
        if let Some(k) = oldest {
            books.remove(&k);
        }
        return;
    }
    let n = EVICT_BATCH.min(plain.len());
    // The `n` least recently used first, in one pass (no full sort).
    plain.select_nth_unstable(n - 1);
    for (_, k) in &plain[..n] {
        books.remove(k);
    }
}

/// Where an audit must reach: an entry of the peer's chain that the peer signed for (a signed
/// head, or its own spend entry that another chain carries). The caller checked that signature.
#[derive(Debug, Clone, Copy)]
pub(super) struct Target {
    pub owner: NodeId,
    pub seq: u64,
    pub hash: [u8; 32],
}

/// Fetches a peer's chain: `fetch(peer, after, sink)` sends its entries after seq `after` to
/// `sink` as they arrive.
pub trait Fetch:
    Fn(NodeId, Option<u64>, tokio::sync::mpsc::Sender<Vec<Vec<u8>>>) -> Self::Fut + Clone
{
    type Fut: std::future::Future<Output = Result<(), String>>;
}

impl<F, Fut> Fetch for F
where
    F: Fn(NodeId, Option<u64>, tokio::sync::mpsc::Sender<Vec<Vec<u8>>>) -> Fut + Clone,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    type Fut = Fut;
}

/// Where an audit starts.
enum Start {
    /// Already verified past the head: its balance then.
    Known(u64),
    /// From this position (the start when `None`), with the replay keys seen so far.
    From(Option<Position>, super::chain::Jobs),
}

impl Ledger {
    /// Audits a requester before work (see the module docs): its chain up to its signed
    /// `head`, then the backing of its earnings. Returns what it can pay: its balance at the
    /// head, less its earnings not backed yet. Verification runs on blocking threads owned by
    /// `tasks`.
    pub async fn audit(
        &self,
        tasks: &Tasks,
        head: &Head,
        fetch: impl Fetch,
    ) -> Result<u64, AuditError> {
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
        let target = Target {
            owner: peer,
            seq: head.seq,
            hash: head.hash,
        };
        let balance = self.audit_to(tasks, target, fetch.clone()).await?;
        let unbacked = self.check_backing(tasks, &peer, fetch).await;
        Ok(balance.saturating_sub(unbacked))
    }

    /// Verifies a peer's chain up to `t` (only what was not verified before); its balance
    /// there.
    pub(super) async fn audit_to(
        &self,
        tasks: &Tasks,
        t: Target,
        fetch: impl Fetch,
    ) -> Result<u64, AuditError> {
        let peer = t.owner;
        let lock = {
            let mut audits = self.inner.audits.lock().expect("audits");
            if audits.len() > MAX_BOOKS {
                // Locks no audit holds are made again when needed.
                audits.retain(|_, l| std::sync::Arc::strong_count(l) > 1);
            }
            audits.entry(peer).or_default().clone()
        };
        let _one_at_a_time = lock.lock().await;
        let (audited, jobs) = match self.audit_start(&peer, &t)? {
            Start::Known(balance) => return Ok(balance),
            Start::From(audited, jobs) => (audited, jobs),
        };
        if audited.is_none() && !self.admit_new_chain() {
            self.restore_jobs(&peer, jobs);
            return Err(AuditError::Fetch(
                "this node is auditing many new identities right now; try again shortly".into(),
            ));
        }
        let heads = self
            .inner
            .books
            .lock()
            .expect("books")
            .get(&peer)
            .map(|b| b.heads.clone())
            .unwrap_or_default();
        let v = match audited {
            Some(a) => Verifier::resume(Some(peer), a, self.rules(), now_ms()),
            None => Verifier::new(Some(peer), self.rules(), now_ms()),
        };
        let state = AuditState {
            v: v.with_jobs(jobs).backed_by_payers(),
            payments: Vec::new(),
            spends: Vec::new(),
            recent: Vec::new(),
            read: 0,
            head_seq: t.seq,
            heads,
        };
        let after = audited.map(|a| a.next - 1);
        let mut state = {
            let Ok(_slot) = self.inner.audit_slots.acquire().await else {
                return Err(AuditError::Fetch("the ledger is closing".into()));
            };
            let fetch_one = |after, sink| fetch(peer, after, sink);
            self.fetch_and_verify(tasks, &peer, state, after, fetch_one)
                .await?
        };
        let payments = std::mem::take(&mut state.payments);
        let balance = self.conclude(&peer, &t, state)?;
        self.collect(payments).await;
        Ok(balance)
    }

    /// Spends found in an audited chain that pay known debts: the debts are cleared, and those
    /// owed to this node are earned with the spend as their backing.
    async fn collect(&self, payments: Vec<([u8; 32], u64, Vec<u8>)>) {
        for (key, amount, raw) in payments {
            if self.paid(&key, amount) == Some(true) {
                match self.earn(raw).await {
                    Ok(e) => tracing::info!(
                        "a debt was paid: earned {} credits (ledger seq {})",
                        e.amount,
                        e.seq
                    ),
                    Err(e) => tracing::warn!("a debt was paid but the earning failed: {e}"),
                }
            }
        }
    }

    /// Whether the target is within what was verified before (then only its hash is checked,
    /// where still known), else where to go on from.
    fn audit_start(&self, peer: &NodeId, head: &Target) -> Result<Start, AuditError> {
        let mut books = self.inner.books.lock().expect("books");
        let book = book_of(&mut books, peer);
        if let Some(a) = book.audited
            && a.next > head.seq
        {
            return match book.hashes.get(&head.seq) {
                Some(h) if *h != head.hash => Err(AuditError::Bad(format!(
                    "what it signed for seq {} does not match the chain it served before",
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

    /// Checks that the verified chain ends at the target (which authenticates it), and keeps
    /// what was verified for the next audit: its spends back others' earnings, its earnings
    /// wait for their payers' chains.
    fn conclude(&self, peer: &NodeId, t: &Target, state: AuditState) -> Result<u64, AuditError> {
        let (recent, spends) = (state.recent, state.spends);
        let verified = match state.v.finish_to(t.seq, t.hash) {
            Ok(v) => v,
            Err(e) => {
                // The replay keys went with the verifier: the next audit reads it all again.
                self.forget_audit(peer);
                return Err(AuditError::Bad(format!(
                    "its chain fails verification at {e}"
                )));
            }
        };
        self.note_spends(spends);
        let s = verified.summary;
        let mut books = self.inner.books.lock().expect("books");
        let book = book_of(&mut books, peer);
        book.audited = Some(Position {
            next: s.entries,
            prev: s.head,
            time_ms: s.time_ms,
            balance: s.balance,
        });
        book.holds = verified.jobs.holds.clone();
        book.jobs = verified.jobs;
        book.unbacked.extend(verified.backing);
        book.hashes.extend(recent);
        while book.hashes.len() > AUDITED_HASHES {
            book.hashes.pop_first();
        }
        Ok(s.balance)
    }

    /// Whether a chain never audited before may be audited now: at most
    /// [`NEW_CHAINS_PER_S`] a second (each begins with an admission check, a few ms of Argon2),
    /// so a crowd of fresh keys cannot keep this node checking admissions instead of serving.
    fn admit_new_chain(&self) -> bool {
        let mut w = self.inner.new_chains.lock().expect("new chains");
        let now = std::time::Instant::now();
        if now.duration_since(w.0) >= std::time::Duration::from_secs(1) {
            *w = (now, 0);
        }
        if w.1 >= NEW_CHAINS_PER_S {
            return false;
        }
        w.1 += 1;
        true
    }

    /// Whether `peer`'s audited chain records a receipt with this replay key, of at least
    /// `credits`.
    pub(super) fn audited_pays(&self, peer: &NodeId, key: &[u8; 32], credits: u64) -> bool {
        self.inner
            .books
            .lock()
            .expect("books")
            .get(peer)
            .and_then(|b| b.jobs.receipts.get(key))
            .is_some_and(|(_, c)| *c >= credits)
    }

    /// The hold `peer`'s audited chain has open for the job with this key, if any, and whether
    /// its holds are backed: its earnings that do not count (not backed yet, or void) fit in its
    /// balance (else a hold could set aside credits its payers never paid).
    pub fn open_hold(
        &self,
        peer: &NodeId,
        key: &[u8; 32],
    ) -> Option<(super::chain::OpenHold, bool)> {
        let books = self.inner.books.lock().expect("books");
        let b = books.get(peer)?;
        let uncounted = b.void + b.unbacked.iter().map(|x| x.credits).sum::<u64>();
        let balance = b.audited.map_or(0, |a| a.balance);
        Some((*b.holds.get(key)?, uncounted <= balance))
    }

    /// The hash of a peer's entry at `seq`, if a recent audit verified it.
    pub fn audited_hash(&self, peer: &NodeId, seq: u64) -> Option<[u8; 32]> {
        self.inner
            .books
            .lock()
            .expect("books")
            .get(peer)
            .and_then(|b| b.hashes.get(&seq).copied())
    }

    /// Forgets what was audited of a peer's chain (the next audit reads it all again).
    fn forget_audit(&self, peer: &NodeId) {
        if let Some(b) = self.inner.books.lock().expect("books").get_mut(peer) {
            b.audited = None;
            b.jobs = Default::default();
            b.holds.clear();
            b.hashes.clear();
            b.unbacked.clear();
        }
    }

    fn restore_jobs(&self, peer: &NodeId, jobs: super::chain::Jobs) {
        if let Some(b) = self.inner.books.lock().expect("books").get_mut(peer) {
            b.jobs = jobs;
        }
    }
}

/// An audit in progress: the verifier and what it found so far.
struct AuditState {
    v: Verifier,
    /// Its spends that pay a debt this node knows: replay key, credits, the entry.
    payments: Vec<([u8; 32], u64, Vec<u8>)>,
    /// The hashes of its spends (each backs an earning in another chain).
    spends: Vec<[u8; 32]>,
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
            // Entries after the signed head are not covered by it: the next audit reads them.
            if self.v.position().next > self.head_seq {
                return Ok(());
            }
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
            if let Some(r) = e.receipt() {
                ledger
                    .check_price(r)
                    .map_err(|m| bad(format!("entry {}: {m}", e.seq)))?;
                if e.kind() == super::Kind::Spend && ledger.owes(&r.replay_key()) {
                    self.payments.push((r.replay_key(), e.amount, raw.clone()));
                }
            }
            let hash = *blake3::hash(&raw).as_bytes();
            if e.kind() == super::Kind::Spend {
                self.spends.push(hash);
            }
            if let Some(h) = self.heads.get(&e.seq)
                && h.hash != hash
            {
                // The entry is signed by its owner too: with the head, a proof for every node.
                let proof = super::Proof {
                    a: h.clone(),
                    b: super::chain::Statement::Entry {
                        entry: hex::encode(&raw),
                    },
                };
                let proven = ledger.adopt(proof).is_ok();
                return Err(bad(format!(
                    "entry {} differs from the head it signed for that seq before (its chain \
                     forked{})",
                    e.seq,
                    if proven { "; proven" } else { "" }
                )));
            }
            self.recent.push((e.seq, hash));
            if self.recent.len() > 2 * AUDITED_HASHES {
                self.recent.drain(..AUDITED_HASHES);
            }
        }
        Ok(())
    }
}

impl Ledger {
    /// A receipt's price checked against this node's catalog: a model it does not know, tokens
    /// beyond the model's context, or credits other than the price of its tokens are refused.
    pub fn check_price(&self, r: &super::Receipt) -> Result<(), String> {
        // A transfer between members of an account: no work, so no price; its credits are
        // its own (see `ledger::account`).
        if let Some(t) = super::account::transfer_check(r) {
            return t;
        }
        let Some(facts) = self.facts(&r.model) else {
            return Err(format!(
                "its receipt is for `{}`, a model outside the network's catalog (no price applies)",
                r.model
            ));
        };
        let tokens = r.prompt_tokens as u64 + r.completion_tokens as u64;
        if tokens > facts.context as u64 {
            return Err(format!(
                "its receipt counts {tokens} tokens of {}, beyond its {}-token context",
                r.model, facts.context
            ));
        }
        // A pipeline stage's receipt: its share of the job's price, by its layers.
        let price = match super::price::stage_slice(&r.quant) {
            Some((quant, a, b, n)) => super::price::stage_share(
                self.inner.policy.price(facts.parameters, quant, tokens),
                a,
                b,
                n,
            ),
            None if r.quant.contains('@') => {
                return Err(format!("its receipt's slice `{}` is malformed", r.quant));
            }
            None => self.inner.policy.price(facts.parameters, &r.quant, tokens),
        };
        if r.credits != price {
            return Err(format!(
                "its receipt asks {} credits for {tokens} tokens of {}:{}, whose price is {price}",
                r.credits, r.model, r.quant
            ));
        }
        Ok(())
    }
}
