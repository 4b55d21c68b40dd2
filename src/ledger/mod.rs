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

pub mod account;
mod audit;
mod backing;
pub mod chain;
mod debts;
pub mod price;
mod proofs;
mod store;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

pub use audit::{AuditError, Fetch, MAX_AUDIT_ENTRIES};
pub use chain::{
    Admission, BadEntry, Entry, Head, Kind, Payload, Position, Promise, Proof, Receipt, Rules,
    Summary, Verifier,
};
pub use debts::Debt;
pub use price::Policy;
pub use proofs::Equivocation;
pub use store::{export_file, path_in};

use crate::ids::{JobId, ModelId, NodeId, now_ms, unix_now};

/// How old a receipt this node records may be: a day less than auditors allow
/// ([`chain::RECEIPT_AGE_MS`]), so clocks a little apart never make an entry they reject.
pub const RECORD_AGE_MS: u64 = chain::RECEIPT_AGE_MS - 86_400_000;

/// The pricing facts of a catalog's models, by lower-case name, and again by each of their
/// variants' `name:quant`: a variant outside the catalog has no facts, so no peer is paid for
/// serving one (nobody could check it), and nodes whose catalogs list other variants do not
/// share a network (the handshake compares these facts).
pub fn catalog_facts(catalog: &crate::catalog::Catalog) -> HashMap<String, ModelFacts> {
    let mut all = HashMap::new();
    for m in &catalog.models {
        let facts = ModelFacts {
            parameters: m.parameters,
            context: m.context_length,
        };
        let name = m.name.to_ascii_lowercase();
        for v in &m.variants {
            all.insert(format!("{name}:{}", v.quant.to_ascii_lowercase()), facts);
        }
        all.insert(name, facts);
    }
    all
}

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
    /// Peers hold a later chain of this identity than the file: appending would fork it.
    #[error("{0}")]
    Stale(String),
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
    /// Set when peers hold a later chain of this identity than its ledger file: what to do.
    #[serde(default)]
    pub stale: Option<String>,
    /// Promises owed to this node and not paid.
    #[serde(default)]
    pub debts_owed: usize,
    /// Other nodes' debts held here (their debtors refused until they pay).
    #[serde(default)]
    pub debts_held: usize,
    /// Credits earned and spent since the node started (`/metrics`' counters).
    #[serde(default)]
    pub earned_total: u64,
    #[serde(default)]
    pub spent_total: u64,
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
        let r = e.receipt();
        EntryLine {
            seq: e.seq,
            time_ms: e.time_ms,
            kind: e.kind(),
            amount: e.amount,
            balance: e.balance,
            counterparty: e.counterparty(),
            job: match &e.payload {
                Payload::Hold(h) | Payload::Release(h) => Some(h.job.clone()),
                _ => r.map(|r| r.job.clone()),
            },
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
    /// The network this chain was admitted to.
    network: String,
    /// The catalog's models, for pricing.
    params: HashMap<String, ModelFacts>,
    state: Mutex<State>,
    books: Mutex<HashMap<NodeId, audit::Book>>,
    audits: Mutex<HashMap<NodeId, Arc<tokio::sync::Mutex<()>>>>,
    /// Chains fetched and verified at once, in all.
    audit_slots: tokio::sync::Semaphore,
    /// New chains audited in the current second: (its start, how many).
    new_chains: Mutex<(std::time::Instant, u32)>,
    /// Spends seen in audited chains: the earnings they back count.
    backed: Mutex<backing::Backed>,
    /// Keys proven to have forked, and their proofs (bounded; proven keys never give way).
    equivocators: Mutex<proofs::Equivocators>,
    debts: Mutex<debts::Debts>,
    /// The last full check of this node's own chain.
    checked: Mutex<Option<SelfCheck>>,
    /// Why this chain must not grow (peers hold a later one), if so.
    stale: Mutex<Option<String>>,
    /// Requesters' heads of the latest payments accepted (announced).
    paid_heads: Mutex<std::collections::VecDeque<Head>>,
    /// Heads this node witnessed for workers, of chains it does not deal with itself.
    witnessed: Mutex<proofs::Witnessed>,
    events: broadcast::Sender<LedgerEvent>,
    /// Credits earned ([0]) and spent ([1]) through this handle since it opened.
    flows: [std::sync::atomic::AtomicU64; 2],
}

struct State {
    /// Where the next entry goes.
    tip: Position,
    held: u64,
    /// The job keys of holds on the chain whose jobs still run here: not released, whatever
    /// their time (a worker that runs past it is paid from the hold at the end).
    live: std::collections::HashSet<[u8; 32]>,
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

/// Credits set aside for a running job; released when dropped. Once [`Ledger::reserve`] has
/// recorded them as a hold on the chain, the chain keeps them aside instead.
pub struct Hold {
    ledger: Ledger,
    amount: u64,
    on_chain: bool,
    /// The job key of the chain's hold it stands for, while its job runs.
    live: Option<[u8; 32]>,
}

impl Hold {
    fn release_here(&mut self) {
        if !self.on_chain {
            let mut s = self.ledger.inner.state.lock().expect("ledger state");
            s.held = s.held.saturating_sub(self.amount);
            self.on_chain = true;
        }
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.release_here();
        if let Some(k) = self.live.take() {
            let mut s = self.ledger.inner.state.lock().expect("ledger state");
            s.live.remove(&k);
        }
    }
}

impl Ledger {
    /// Opens (or creates) the ledger in `data_dir` for `network`. A new chain starts with the
    /// starter grant, admitted by solving the network's puzzle first (minutes at the default
    /// difficulty; see [`chain::admission`]). The caller holds the data dir's lock. Blocking.
    pub fn open(
        data_dir: &Path,
        key: iroh::SecretKey,
        policy: Policy,
        params: HashMap<String, ModelFacts>,
        network: &str,
    ) -> Result<Ledger, LedgerError> {
        let id = NodeId::from(&key);
        let bits = policy.admission_bits;
        let admit = || solve_admission(&id, network, bits);
        let genesis = store::Genesis {
            network,
            grant: policy.starter_grant,
            admit: &admit,
        };
        let opened = store::Store::open(data_dir, &key, &genesis)?;
        let tip = opened.tip;
        let signed = Head::sign(&key, tip.next - 1, tip.prev, tip.balance);
        let ledger = Ledger {
            inner: Arc::new(Inner {
                store: opened.store,
                id,
                key,
                policy,
                network: network.to_string(),
                params,
                state: Mutex::new(State {
                    tip,
                    held: 0,
                    live: Default::default(),
                    signed,
                }),
                books: Mutex::new(HashMap::new()),
                audits: Mutex::new(HashMap::new()),
                audit_slots: tokio::sync::Semaphore::new(audit::AUDITS_AT_ONCE),
                new_chains: Mutex::new((std::time::Instant::now(), 0)),
                backed: Mutex::new(backing::Backed::default()),
                equivocators: Mutex::new(proofs::Equivocators::loaded(opened.equivocators)),
                debts: Mutex::new(
                    opened
                        .debts
                        .into_iter()
                        .map(|promise| {
                            let debt = Debt {
                                promise,
                                own: true,
                                noted_unix: unix_now(),
                                order: debts::next_order(),
                            };
                            (debt.promise.receipt.replay_key(), debt)
                        })
                        .collect(),
                ),
                checked: Mutex::new(None),
                stale: Mutex::new(None),
                paid_heads: Mutex::new(std::collections::VecDeque::new()),
                witnessed: Mutex::new(proofs::Witnessed::default()),
                events: broadcast::channel(64).0,
                flows: Default::default(),
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

    /// The fingerprint of this node's prices (policy and catalog) that its peers must share.
    pub fn pricing_id(&self) -> String {
        self.inner.policy.pricing_id(&self.inner.params)
    }

    /// The network this chain belongs to.
    pub fn network(&self) -> &str {
        &self.inner.network
    }

    /// The rules this network's chains are held to.
    pub fn rules(&self) -> Rules {
        Rules {
            network: Some(self.inner.network.clone()),
            admission_bits: Some(self.inner.policy.admission_bits),
            max_grant: Some(self.inner.policy.starter_grant),
        }
    }

    /// News from the ledger: the chain grew, an equivocation was proven.
    pub fn events(&self) -> broadcast::Receiver<LedgerEvent> {
        self.inner.events.subscribe()
    }

    /// The parameter count of a catalog model (pricing needs it).
    pub fn parameters(&self, model: &str) -> Option<u64> {
        self.facts(model).map(|f| f.parameters)
    }

    /// What the catalog says of a model, by its name.
    pub fn facts(&self, model: &str) -> Option<ModelFacts> {
        if model.contains(':') {
            return None;
        }
        self.inner.params.get(&model.to_ascii_lowercase()).copied()
    }

    /// Whether the catalog lists the variant `name:quant`.
    pub fn lists_variant(&self, variant: &str) -> bool {
        variant.contains(':')
            && self
                .inner
                .params
                .contains_key(&variant.to_ascii_lowercase())
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
            on_chain: false,
            live: None,
        })
    }

    /// Records `hold` on the chain for `job` on `worker`: a hold entry, which every auditor
    /// sees, so these credits back no other job. The job's spend closes it. Returns the credits
    /// the chain holds for the job (`hold`'s, or those of a hold already open for it, a job
    /// sent again to the same worker after a refusal, if fewer) and that hold's entry.
    pub async fn reserve(
        &self,
        hold: &mut Hold,
        job: &str,
        worker: NodeId,
    ) -> Result<(u64, Entry), LedgerError> {
        let r = chain::Reserve {
            job: job.to_string(),
            worker,
            waiver: None,
        };
        let (l, key) = (self.clone(), r.key(&self.inner.id));
        self.inner
            .state
            .lock()
            .expect("ledger state")
            .live
            .insert(key);
        hold.live = Some(key);
        let open = tokio::task::spawn_blocking(move || l.inner.store.open_hold(&key))
            .await
            .map_err(|e| LedgerError::Read(e.to_string()))??;
        let held = match open {
            Some(e) => (e.amount.min(hold.amount), e),
            None => {
                let e = self.append(hold.amount, Payload::Hold(r)).await?;
                (e.amount, e)
            }
        };
        hold.release_here();
        Ok(held)
    }

    /// Gives back the hold of `job` on `worker` at once: the worker refused the job and waived
    /// that hold entry (its signature over the entry's hash is checked, as every auditor will).
    /// `None` when no hold is open for the job (released already).
    pub async fn release_waived(
        &self,
        job: &str,
        worker: NodeId,
        waiver: chain::Waiver,
    ) -> Result<Option<Entry>, LedgerError> {
        let r = chain::Reserve {
            job: job.to_string(),
            worker,
            waiver: Some(waiver),
        };
        let (l, key) = (self.clone(), r.key(&self.inner.id));
        let open = tokio::task::spawn_blocking(move || l.inner.store.open_hold(&key))
            .await
            .map_err(|e| LedgerError::Read(e.to_string()))??;
        let Some(open) = open else {
            return Ok(None);
        };
        if !r.waived(&open.hash()) {
            return Err(LedgerError::Invalid(format!(
                "the waiver is not the worker's waiver of the hold at seq {}",
                open.seq
            )));
        }
        self.append(0, Payload::Release(r)).await.map(Some)
    }

    /// Gives back the holds whose time is up and whose jobs were not paid (a job refused or
    /// lost before its spend): their credits are this node's to spend again. Returns how many.
    pub async fn release_expired(&self) -> Result<usize, LedgerError> {
        let l = self.clone();
        let open = tokio::task::spawn_blocking(move || l.inner.store.open_holds())
            .await
            .map_err(|e| LedgerError::Read(e.to_string()))??;
        let now = now_ms();
        let mut n = 0;
        for e in open {
            let Payload::Hold(r) = e.payload else {
                continue;
            };
            if e.time_ms + chain::HOLD_TTL_MS > now {
                break;
            }
            if self.is_live(&r.key(&self.inner.id)) {
                continue;
            }
            self.append(e.amount, Payload::Release(r)).await?;
            n += 1;
        }
        Ok(n)
    }

    /// Whether the job with hold key `key` still runs or settles here (its hold not dropped).
    fn is_live(&self, key: &[u8; 32]) -> bool {
        let s = self.inner.state.lock().expect("ledger state");
        s.live.contains(key)
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
        Ok(self.inner.store.recorded_at(&key)?.is_some())
    }

    async fn append(&self, amount: u64, payload: Payload) -> Result<Entry, LedgerError> {
        if let Some(why) = self.stale() {
            return Err(LedgerError::Stale(why));
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.inner.store.send(store::Write::Append(store::Append {
            amount,
            payload,
            reply: tx,
        }))?;
        rx.await
            .map_err(|_| LedgerError::Write("the ledger writer stopped".into()))?
    }

    /// Records a payment for work a peer did: the receipt this node signed as its promise. The
    /// hold covers it (and is released after the entry is durable).
    pub async fn spend(&self, hold: Hold, receipt: Receipt) -> Result<Entry, LedgerError> {
        self.check_receipt(&receipt, Kind::Spend)?;
        if receipt.credits > hold.amount {
            return Err(LedgerError::Invalid(format!(
                "the receipt asks {} credits, more than the {} held for the job",
                receipt.credits, hold.amount
            )));
        }
        let amount = receipt.credits;
        let r = self.append(amount, Payload::Spend(receipt)).await;
        drop(hold);
        if r.is_ok() {
            self.inner.flows[1].fetch_add(amount, std::sync::atomic::Ordering::Relaxed);
        }
        r
    }

    /// Records credits earned for work this node did: the requester's spend entry for it (its
    /// bytes, signed by the requester), which the earning carries as its backing.
    pub async fn earn(&self, spend: Vec<u8>) -> Result<Entry, LedgerError> {
        let invalid = |m: &str| LedgerError::Invalid(m.to_string());
        if spend.len() > chain::MAX_SPEND {
            return Err(invalid("the spend entry is too long"));
        }
        let e = Entry::decode(&spend).map_err(LedgerError::Invalid)?;
        let Payload::Spend(receipt) = &e.payload else {
            return Err(invalid("the payment is not a spend entry"));
        };
        self.check_receipt(receipt, Kind::Earn)?;
        if e.owner != receipt.requester || e.amount != receipt.credits {
            return Err(invalid(
                "the spend entry is not the requester's payment of it",
            ));
        }
        if !e.signature_ok(&spend) {
            return Err(invalid("the spend entry's signature is bad"));
        }
        let (amount, receipt) = (e.amount, receipt.clone());
        let r = self.append(amount, Payload::Earn { receipt, spend }).await;
        if r.is_ok() {
            self.inner.flows[0].fetch_add(amount, std::sync::atomic::Ordering::Relaxed);
        }
        r
    }

    fn check_receipt(&self, r: &Receipt, kind: Kind) -> Result<(), LedgerError> {
        r.check().map_err(LedgerError::Invalid)?;
        let me = match kind {
            Kind::Earn => r.worker,
            _ => r.requester,
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
        // What every auditor checks, checked before this chain records it: an entry an honest
        // auditor rejects would make this chain fail every audit from then on.
        if r.time_ms.saturating_add(RECORD_AGE_MS) < now_ms() {
            return Err(LedgerError::Invalid(format!(
                "the receipt is more than {} days old: too old to record",
                RECORD_AGE_MS / 86_400_000
            )));
        }
        self.check_price(r).map_err(LedgerError::Invalid)?;
        Ok(())
    }

    /// This node's waiver of a requester's hold (the hash of its hold entry) for a job it
    /// refused: the requester may release it at once.
    pub fn waive(&self, hold: &[u8; 32]) -> chain::Waiver {
        chain::Waiver::sign(&self.inner.key, hold)
    }

    /// This node's promise to pay: the receipt, signed.
    pub fn promise(&self, receipt: Receipt) -> Promise {
        Promise::new(receipt, &self.inner.key)
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
            stale: self.stale(),
            debts_owed: self.own_debts().len(),
            debts_held: self.debts_held(),
            earned_total: self.inner.flows[0].load(std::sync::atomic::Ordering::Relaxed),
            spent_total: self.inner.flows[1].load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Verifies this node's whole chain, as `llp ledger verify` does, and keeps the result for
    /// status. Blocking: reads and checks every entry.
    pub fn check_self(&self) -> SelfCheck {
        let started = std::time::Instant::now();
        let result = self.export().map_err(|e| e.to_string()).and_then(|text| {
            chain::verify_export(&text, Some(self.inner.id), self.rules(), now_ms())
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

/// Solves the admission puzzle for a new chain on every core, logging its progress.
fn solve_admission(id: &NodeId, network: &str, bits: u8) -> Admission {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let expected = Admission::expected_work(bits);
    if bits > 8 {
        tracing::warn!(
            "a new identity: solving network `{network}`'s admission puzzle ({bits} bits, about \
             {expected:.0} Argon2 evaluations on {threads} threads) before its starter grant; \
             once only"
        );
    }
    let started = std::time::Instant::now();
    let last = Mutex::new(std::time::Instant::now());
    let progress = |n: u64| {
        let mut l = last.lock().expect("progress");
        if l.elapsed().as_secs() >= 10 {
            *l = std::time::Instant::now();
            tracing::warn!(
                "admission puzzle: {n} evaluations in {:.0} s (about {expected:.0} expected)",
                started.elapsed().as_secs_f64()
            );
        }
    };
    let a = Admission::solve(id, network, bits, threads, &progress);
    if bits > 8 {
        tracing::warn!(
            "admission puzzle solved in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    a
}

#[cfg(test)]
mod tests;
