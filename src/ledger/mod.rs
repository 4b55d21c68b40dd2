//! The credit ledger: this node's append-only, hash-chained, signed chain of entries, the
//! credits held for running jobs, and what this node knows of its peers' chains.
//!
//! Reached through [`Ledger`] handles (clones of one `Arc`). The parts:
//! - [`chain`]: entries, receipts and signed heads, their byte encoding, verification (pure).
//! - [`price`]: the network's credit policy and the price of work (pure).
//! - `store`: `ledger.redb` and the one writer thread that owns every append (group commits,
//!   none acknowledged before its fsync).
//! - `audit`: audits of peers' chains before work.
//! - `proofs`: peers' signed heads, proofs of equivocation, proofs of payment.
//!
//! Must not touch: the network, the node. Changes others must hear of (the chain grew, an
//! equivocation is proven) go out on [`Ledger::events`].
//!
//! ## Lifecycle
//! [`Ledger::open`] opens or creates the chain (with the starter grant) and starts the writer.
//! [`Ledger::close`] ends the writer after the appends it holds and closes the file.

mod audit;
pub mod chain;
pub mod price;
mod proofs;
mod store;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

pub use audit::{AuditError, MAX_AUDIT_ENTRIES};
pub use chain::{BadEntry, Entry, Head, Kind, Position, Proof, Receipt, Summary, Verifier};
pub use price::Policy;
pub use proofs::Equivocation;
pub use store::{export_file, path_in};

use crate::ids::{JobId, ModelId, NodeId, now_ms, unix_now};

/// What pricing and receipt checks need to know of a catalog model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelFacts {
    pub parameters: u64,
    /// The longest context it supports: no receipt counts more tokens.
    pub context: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    Open(String),
    #[error("ledger read failed: {0}")]
    Read(String),
    #[error("ledger write failed: {0}")]
    Write(String),
    #[error("the ledger is closed (the node is stopping)")]
    Closed,
    #[error("not enough credits: {balance} held by the chain, {available} available")]
    Short { balance: u64, available: u64 },
    #[error("the receipt of job {0} is already recorded")]
    Replay(String),
    #[error("invalid: {0}")]
    Invalid(String),
}

/// News from the ledger, for whoever subscribed ([`Ledger::events`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerEvent {
    /// The chain grew: its head is now at `seq`.
    Appended { seq: u64 },
    /// A peer was proven to have forked its chain.
    Equivocation { peer: NodeId },
}

/// The ledger, for status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LedgerStatus {
    pub balance: u64,
    /// Balance less the credits held for running jobs.
    pub available: u64,
    pub held: u64,
    pub entries: u64,
    pub head: String,
    /// The newest entries, newest first.
    pub recent: Vec<EntryLine>,
    /// The last full verification of this chain (every link and signature), if one ran.
    #[serde(default)]
    pub checked: Option<SelfCheck>,
    /// Peers whose chains this node has audited.
    #[serde(default)]
    pub peers_audited: usize,
}

/// The result of verifying this node's own chain from the first entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SelfCheck {
    pub ok: bool,
    /// Entries verified (the whole chain when `ok`).
    pub entries: u64,
    /// The first bad entry and why, when not `ok`.
    pub error: Option<String>,
    pub at_unix: u64,
    pub seconds: f64,
}

/// An entry in a listing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntryLine {
    pub seq: u64,
    pub time_ms: u64,
    pub kind: Kind,
    pub amount: u64,
    pub balance: u64,
    pub counterparty: Option<NodeId>,
    pub job: Option<String>,
    pub model: Option<ModelId>,
    pub tokens: Option<u32>,
}

impl EntryLine {
    pub fn of(e: &Entry) -> EntryLine {
        let r = e.receipt.as_ref().map(|(r, _)| r);
        EntryLine {
            seq: e.seq,
            time_ms: e.time_ms,
            kind: e.kind,
            amount: e.amount,
            balance: e.balance,
            counterparty: e.counterparty(),
            job: r.map(|r| r.job.clone()),
            model: r.map(|r| ModelId::new(&r.model, &r.quant)),
            tokens: r.map(|r| r.prompt_tokens + r.completion_tokens),
        }
    }
}

/// A handle to the ledger. Clone freely.
#[derive(Clone)]
pub struct Ledger {
    inner: Arc<Inner>,
}

struct Inner {
    store: store::Store,
    key: iroh::SecretKey,
    id: NodeId,
    policy: Policy,
    /// The catalog's models, for pricing.
    params: HashMap<String, ModelFacts>,
    state: Mutex<State>,
    books: Mutex<HashMap<NodeId, audit::Book>>,
    audits: Mutex<HashMap<NodeId, Arc<tokio::sync::Mutex<()>>>>,
    equivocators: Mutex<BTreeMap<NodeId, Equivocation>>,
    /// The last full check of this node's own chain.
    checked: Mutex<Option<SelfCheck>>,
    events: broadcast::Sender<LedgerEvent>,
}

struct State {
    /// Where the next entry goes.
    tip: Position,
    held: u64,
    signed: Head,
}

impl Inner {
    /// The writer committed appends up to `tip`.
    fn committed(&self, tip: Position) {
        {
            let mut s = self.state.lock().expect("ledger state");
            s.tip = tip;
            s.signed = Head::sign(&self.key, tip.next - 1, tip.prev, tip.balance);
        }
        let _ = self
            .events
            .send(LedgerEvent::Appended { seq: tip.next - 1 });
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle went without a close: end the writer and close the file now.
        self.store.close();
    }
}

/// Credits set aside for a running job; released when dropped.
pub struct Hold {
    ledger: Ledger,
    amount: u64,
}

impl Drop for Hold {
    fn drop(&mut self) {
        let mut s = self.ledger.inner.state.lock().expect("ledger state");
        s.held = s.held.saturating_sub(self.amount);
    }
}

impl Ledger {
    /// Opens (or creates, with the starter grant) the ledger in `data_dir`. The caller holds
    /// the data dir's lock. Blocking.
    pub fn open(
        data_dir: &Path,
        key: iroh::SecretKey,
        policy: Policy,
        params: HashMap<String, ModelFacts>,
    ) -> Result<Ledger, LedgerError> {
        let opened = store::Store::open(data_dir, &key, policy.starter_grant)?;
        let tip = opened.tip;
        let signed = Head::sign(&key, tip.next - 1, tip.prev, tip.balance);
        let ledger = Ledger {
            inner: Arc::new(Inner {
                store: opened.store,
                id: NodeId::from(&key),
                key,
                policy,
                params,
                state: Mutex::new(State {
                    tip,
                    held: 0,
                    signed,
                }),
                books: Mutex::new(HashMap::new()),
                audits: Mutex::new(HashMap::new()),
                equivocators: Mutex::new(opened.equivocators.into_iter().collect()),
                checked: Mutex::new(None),
                events: broadcast::channel(64).0,
            }),
        };
        let weak = Arc::downgrade(&ledger.inner);
        ledger.inner.store.start_writer(opened.writes, tip, weak)?;
        Ok(ledger)
    }

    /// Ends the writer after the appends it holds, waits for it, and closes the file (once the
    /// reads in progress end). Later appends and reads fail. Blocking.
    pub fn close(&self) {
        self.inner.store.close();
    }

    pub fn id(&self) -> NodeId {
        self.inner.id
    }

    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// News from the ledger: the chain grew, an equivocation was proven.
    pub fn events(&self) -> broadcast::Receiver<LedgerEvent> {
        self.inner.events.subscribe()
    }

    /// The parameter count of a catalog model (pricing needs it).
    pub fn parameters(&self, model: &str) -> Option<u64> {
        self.facts(model).map(|f| f.parameters)
    }

    /// What the catalog says of a model.
    pub fn facts(&self, model: &str) -> Option<ModelFacts> {
        self.inner.params.get(&model.to_ascii_lowercase()).copied()
    }

    /// The price of `tokens` on `model` (`None` for a model outside the catalog).
    pub fn price(&self, model: &str, quant: &str, tokens: u64) -> Option<u64> {
        Some(
            self.inner
                .policy
                .price(self.parameters(model)?, quant, tokens),
        )
    }

    pub fn balance(&self) -> u64 {
        self.inner.state.lock().expect("ledger state").tip.balance
    }

    /// The balance less what running jobs hold.
    pub fn available(&self) -> u64 {
        let s = self.inner.state.lock().expect("ledger state");
        s.tip.balance.saturating_sub(s.held)
    }

    /// This node's signed head.
    pub fn head(&self) -> Head {
        self.inner
            .state
            .lock()
            .expect("ledger state")
            .signed
            .clone()
    }

    /// Sets `amount` credits aside, or says how many are there.
    pub fn hold(&self, amount: u64) -> Result<Hold, LedgerError> {
        let mut s = self.inner.state.lock().expect("ledger state");
        let available = s.tip.balance.saturating_sub(s.held);
        if amount > available {
            return Err(LedgerError::Short {
                balance: s.tip.balance,
                available,
            });
        }
        s.held += amount;
        Ok(Hold {
            ledger: self.clone(),
            amount,
        })
    }

    /// Whether this chain already records a receipt for `job` between these two nodes.
    pub fn recorded(
        &self,
        job: &JobId,
        requester: &NodeId,
        worker: &NodeId,
    ) -> Result<bool, LedgerError> {
        let key = Receipt {
            job: job.to_string(),
            requester: *requester,
            worker: *worker,
            model: String::new(),
            quant: String::new(),
            prompt_tokens: 0,
            completion_tokens: 0,
            credits: 0,
            time_ms: 0,
        }
        .replay_key();
        self.inner.store.recorded(&key)
    }

    async fn append(
        &self,
        kind: Kind,
        amount: u64,
        receipt: Option<(Receipt, [u8; 64])>,
    ) -> Result<Entry, LedgerError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.inner.store.send(store::Write::Append(store::Append {
            kind,
            amount,
            receipt,
            reply: tx,
        }))?;
        rx.await
            .map_err(|_| LedgerError::Write("the ledger writer stopped".into()))?
    }

    /// Records a payment for work a peer did: the worker's signed receipt. The hold covers it
    /// (and is released after the entry is durable).
    pub async fn spend(
        &self,
        hold: Hold,
        receipt: Receipt,
        worker_sig: [u8; 64],
    ) -> Result<Entry, LedgerError> {
        self.check_counterparty(&receipt, Kind::Spend, &worker_sig)?;
        if receipt.credits > hold.amount {
            return Err(LedgerError::Invalid(format!(
                "the receipt asks {} credits, more than the {} held for the job",
                receipt.credits, hold.amount
            )));
        }
        let amount = receipt.credits;
        let r = self
            .append(Kind::Spend, amount, Some((receipt, worker_sig)))
            .await;
        drop(hold);
        r
    }

    /// Records credits earned: the requester's signed receipt for work this node did.
    pub async fn earn(
        &self,
        receipt: Receipt,
        requester_sig: [u8; 64],
    ) -> Result<Entry, LedgerError> {
        self.check_counterparty(&receipt, Kind::Earn, &requester_sig)?;
        let amount = receipt.credits;
        self.append(Kind::Earn, amount, Some((receipt, requester_sig)))
            .await
    }

    fn check_counterparty(
        &self,
        r: &Receipt,
        kind: Kind,
        sig: &[u8; 64],
    ) -> Result<(), LedgerError> {
        r.check().map_err(LedgerError::Invalid)?;
        let (me, other) = match kind {
            Kind::Earn => (r.worker, r.requester),
            _ => (r.requester, r.worker),
        };
        if me != self.inner.id {
            return Err(LedgerError::Invalid(
                "the receipt is not for this node".into(),
            ));
        }
        if r.time_ms > now_ms() + chain::FUTURE_TOLERANCE_MS {
            return Err(LedgerError::Invalid(
                "the receipt is from the future".into(),
            ));
        }
        if !r.signed_by(&other, sig) {
            return Err(LedgerError::Invalid(
                "the counterparty's signature of the receipt is bad".into(),
            ));
        }
        Ok(())
    }

    /// Signs a receipt with this node's key.
    pub fn sign(&self, r: &Receipt) -> [u8; 64] {
        r.sign(&self.inner.key)
    }

    /// Raw entries after `after` (from the start when `None`), at most `limit`. Blocking.
    pub fn entries_after(
        &self,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, LedgerError> {
        self.inner.store.entries_after(after, limit)
    }

    /// The chain as an export (JSON lines, then the signed head). Blocking.
    pub fn export(&self) -> Result<String, LedgerError> {
        let raws = self.entries_after(None, usize::MAX)?;
        let mut out = String::new();
        let mut tip = None;
        for raw in &raws {
            let e = Entry::decode(raw).map_err(LedgerError::Invalid)?;
            out.push_str(&e.to_json(raw).to_string());
            out.push('\n');
            tip = Some((e.seq, *blake3::hash(raw).as_bytes(), e.balance));
        }
        // The head signed for what this read saw.
        if let Some((seq, hash, balance)) = tip {
            let h = Head::sign(&self.inner.key, seq, hash, balance);
            out.push_str(&serde_json::json!({ "head": h }).to_string());
            out.push('\n');
        }
        Ok(out)
    }

    /// Balance, holds and the newest entries. Blocking (reads the newest entries).
    pub fn status(&self) -> LedgerStatus {
        let (tip, held) = {
            let s = self.inner.state.lock().expect("ledger state");
            (s.tip, s.held)
        };
        let mut recent = self
            .lines_after(tip.next.checked_sub(11), 10)
            .unwrap_or_default();
        recent.reverse();
        LedgerStatus {
            balance: tip.balance,
            available: tip.balance.saturating_sub(held),
            held,
            entries: tip.next,
            head: hex::encode(tip.prev),
            recent,
            checked: self.inner.checked.lock().expect("checked").clone(),
            peers_audited: self.inner.books.lock().expect("books").len(),
        }
    }

    /// Verifies this node's whole chain, as `llp ledger verify` does, and keeps the result for
    /// status. Blocking: reads and checks every entry.
    pub fn check_self(&self) -> SelfCheck {
        let started = std::time::Instant::now();
        let result = self.export().map_err(|e| e.to_string()).and_then(|text| {
            chain::verify_export(&text, Some(self.inner.id), None, now_ms())
                .map_err(|bad| bad.to_string())
        });
        let check = SelfCheck {
            ok: result.is_ok(),
            entries: result.as_ref().map(|s| s.entries).unwrap_or(0),
            error: result.err(),
            at_unix: unix_now(),
            seconds: started.elapsed().as_secs_f64(),
        };
        if let Some(e) = &check.error {
            tracing::error!("this node's own ledger does not verify: {e}");
        }
        *self.inner.checked.lock().expect("checked") = Some(check.clone());
        check
    }

    /// Entries after `after` (from the first when `None`), at most `limit`, for listings.
    /// Blocking.
    pub fn lines_after(
        &self,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<EntryLine>, LedgerError> {
        Ok(self
            .entries_after(after, limit)?
            .iter()
            .filter_map(|r| Entry::decode(r).ok())
            .map(|e| EntryLine::of(&e))
            .collect())
    }
}

#[cfg(test)]
mod tests;
