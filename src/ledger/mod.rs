//! The credit ledger: this node's append-only, hash-chained, signed chain of entries in redb
//! (`ledger.redb` in the data dir), the credits held for running jobs, and what this node knows
//! of its peers' chains (their signed heads, what it audited, and proofs of equivocation).
//!
//! One writer thread owns every append. It takes all the appends waiting, writes them in one
//! transaction and commits it with redb's `Durability::Immediate` (fsync) before it acknowledges
//! any of them: a group commit, so many settlements cost one fsync and none is acknowledged
//! before it is on disk. A crash leaves the last committed chain, which verifies.
//!
//! Reached through [`Ledger`] handles (clones of one `Arc`).

pub mod chain;
pub mod price;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

pub use chain::{BadEntry, Entry, Head, Kind, Position, Proof, Receipt, Summary, Verifier};
pub use price::Policy;

const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
const RECEIPTS: TableDefinition<&[u8], u64> = TableDefinition::new("receipts");
const EQUIVOCATORS: TableDefinition<&[u8], &str> = TableDefinition::new("equivocators");
/// Appends written in one transaction at most.
const GROUP: usize = 512;
/// Signed heads remembered per peer (to catch a fork at any recent seq).
const HEADS_PER_PEER: usize = 32;
/// Entries one audit reads at most.
pub const MAX_AUDIT_ENTRIES: u64 = 1_000_000;
/// Hashes of a peer's audited entries remembered (to check older heads it sends).
const AUDITED_HASHES: usize = 256;
/// Proofs of equivocation kept at most (the oldest give way).
const MAX_EQUIVOCATORS: usize = 4096;
/// The longest one audit may take, fetching and verifying.
const AUDIT_TIME: std::time::Duration = std::time::Duration::from_secs(120);

/// What pricing and receipt checks need to know of a catalog model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelFacts {
    pub parameters: u64,
    /// The longest context it supports: no receipt counts more tokens.
    pub context: u32,
}

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

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    Open(String),
    #[error("ledger write failed: {0}")]
    Write(String),
    #[error("not enough credits: {balance} held by the chain, {available} available")]
    Short { balance: u64, available: u64 },
    #[error("the receipt of job {0} is already recorded")]
    Replay(String),
    #[error("invalid: {0}")]
    Invalid(String),
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The chain's latest entry, as this node tracks it.
#[derive(Debug, Clone, Copy)]
struct Tip {
    seq: u64,
    hash: [u8; 32],
    time_ms: u64,
    balance: u64,
}

struct Append {
    kind: Kind,
    amount: u64,
    receipt: Option<(Receipt, [u8; 64])>,
    reply: tokio::sync::oneshot::Sender<Result<Entry, LedgerError>>,
}

/// What this node knows of one peer's chain.
#[derive(Default)]
struct Book {
    /// Signed heads seen (announcements, job requests), by seq.
    heads: BTreeMap<u64, Head>,
    /// The position up to which its chain was fetched and verified.
    audited: Option<Position>,
    /// The receipts of its verified entries (a replay in a later part is caught).
    jobs: std::collections::HashSet<[u8; 32]>,
    /// The hashes of its latest verified entries, by seq.
    hashes: BTreeMap<u64, [u8; 32]>,
}

/// A key caught signing two chains.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Equivocation {
    pub peer: String,
    pub seq: u64,
    pub detected_unix: u64,
    pub proof: Proof,
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
    pub counterparty: Option<String>,
    pub job: Option<String>,
    pub model: Option<String>,
    pub tokens: Option<u32>,
}

impl EntryLine {
    pub fn of(e: &Entry) -> EntryLine {
        EntryLine {
            seq: e.seq,
            time_ms: e.time_ms,
            kind: e.kind,
            amount: e.amount,
            balance: e.balance,
            counterparty: e.counterparty().map(hex::encode),
            job: e.receipt.as_ref().map(|(r, _)| r.job.clone()),
            model: e
                .receipt
                .as_ref()
                .map(|(r, _)| format!("{}:{}", r.model, r.quant)),
            tokens: e
                .receipt
                .as_ref()
                .map(|(r, _)| r.prompt_tokens + r.completion_tokens),
        }
    }
}

/// A handle to the ledger. Clone freely.
#[derive(Clone)]
pub struct Ledger {
    inner: Arc<Inner>,
}

struct Inner {
    db: Arc<Database>,
    key: iroh::SecretKey,
    id: [u8; 32],
    policy: Policy,
    /// The catalog's models, for pricing.
    params: HashMap<String, ModelFacts>,
    writer: std_mpsc::Sender<Append>,
    /// Joined when the last handle goes, so the file is closed when the ledger is dropped.
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    state: Mutex<State>,
    books: Mutex<HashMap<[u8; 32], Book>>,
    audits: Mutex<HashMap<[u8; 32], Arc<tokio::sync::Mutex<()>>>>,
    equivocators: Mutex<BTreeMap<[u8; 32], Equivocation>>,
    /// The last full check of this node's own chain.
    checked: Mutex<Option<SelfCheck>>,
    /// Called after the chain grows or a new equivocation is known (the network re-announces).
    on_change: Mutex<Option<Box<dyn Fn() + Send + Sync>>>,
}

struct State {
    tip: Tip,
    held: u64,
    signed: Head,
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

fn open_err(path: &Path, e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Open(format!("{}: {e}", path.display()))
}

/// The path of the ledger in a data dir.
pub fn path_in(data_dir: &Path) -> PathBuf {
    data_dir.join("ledger.redb")
}

impl Ledger {
    /// Opens (or creates, with the starter grant) the ledger in `data_dir`. The caller holds
    /// the data dir's lock.
    pub fn open(
        data_dir: &Path,
        key: iroh::SecretKey,
        policy: Policy,
        params: HashMap<String, ModelFacts>,
    ) -> Result<Ledger, LedgerError> {
        let path = path_in(data_dir);
        let db = Database::create(&path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => {
                open_err(&path, "already open in another process")
            }
            other => open_err(
                &path,
                format!("{other} (move the file away to start a new chain; its credits are lost)"),
            ),
        })?;
        let id = *key.public().as_bytes();
        let w = db.begin_write().map_err(|e| open_err(&path, e))?;
        {
            w.open_table(ENTRIES).map_err(|e| open_err(&path, e))?;
            w.open_table(RECEIPTS).map_err(|e| open_err(&path, e))?;
            w.open_table(EQUIVOCATORS).map_err(|e| open_err(&path, e))?;
        }
        w.commit().map_err(|e| open_err(&path, e))?;
        let last = {
            let r = db.begin_read().map_err(|e| open_err(&path, e))?;
            let t = r.open_table(ENTRIES).map_err(|e| open_err(&path, e))?;
            t.last()
                .map_err(|e| open_err(&path, e))?
                .map(|(_, v)| v.value().to_vec())
        };
        let tip = match last {
            Some(raw) => {
                let e = Entry::decode(&raw)
                    .map_err(|e| open_err(&path, format!("the last entry is unreadable: {e}")))?;
                if e.owner != id {
                    return Err(open_err(
                        &path,
                        "the chain belongs to another key than this data dir's node.key",
                    ));
                }
                if !chain::verify_one(&e.owner, &e.sig, &raw[..raw.len() - 64]) {
                    return Err(open_err(&path, "the last entry's signature is bad"));
                }
                Tip {
                    seq: e.seq,
                    hash: *blake3::hash(&raw).as_bytes(),
                    time_ms: e.time_ms,
                    balance: e.balance,
                }
            }
            None => {
                let e = Entry {
                    owner: id,
                    seq: 0,
                    prev: [0; 32],
                    time_ms: now_ms(),
                    kind: Kind::Grant,
                    amount: policy.starter_grant,
                    balance: policy.starter_grant,
                    receipt: None,
                    sig: [0; 64],
                }
                .signed(&key);
                let raw = e.encode();
                let w = db.begin_write().map_err(|e| open_err(&path, e))?;
                {
                    let mut t = w.open_table(ENTRIES).map_err(|e| open_err(&path, e))?;
                    t.insert(0, raw.as_slice())
                        .map_err(|e| open_err(&path, e))?;
                }
                w.commit().map_err(|e| open_err(&path, e))?;
                Tip {
                    seq: 0,
                    hash: *blake3::hash(&raw).as_bytes(),
                    time_ms: e.time_ms,
                    balance: e.balance,
                }
            }
        };
        let mut equivocators = BTreeMap::new();
        {
            let r = db.begin_read().map_err(|e| open_err(&path, e))?;
            let t = r.open_table(EQUIVOCATORS).map_err(|e| open_err(&path, e))?;
            for row in t.iter().map_err(|e| open_err(&path, e))? {
                let (k, v) = row.map_err(|e| open_err(&path, e))?;
                if let (Ok(id), Ok(eq)) = (
                    <[u8; 32]>::try_from(k.value()),
                    serde_json::from_str::<Equivocation>(v.value()),
                ) {
                    equivocators.insert(id, eq);
                }
            }
        }
        let db = Arc::new(db);
        let (writer, rx) = std_mpsc::channel();
        let signed = Head::sign(&key, tip.seq, tip.hash, tip.balance);
        let ledger = Ledger {
            inner: Arc::new(Inner {
                db: db.clone(),
                key,
                id,
                policy,
                params,
                writer,
                thread: Mutex::new(None),
                state: Mutex::new(State {
                    tip,
                    held: 0,
                    signed,
                }),
                books: Mutex::new(HashMap::new()),
                audits: Mutex::new(HashMap::new()),
                equivocators: Mutex::new(equivocators),
                checked: Mutex::new(None),
                on_change: Mutex::new(None),
            }),
        };
        let weak = Arc::downgrade(&ledger.inner);
        let thread = std::thread::Builder::new()
            .name("llp-ledger".into())
            .spawn(move || write_loop(db, rx, tip, weak))
            .map_err(|e| open_err(&path, e))?;
        *ledger.inner.thread.lock().expect("thread") = Some(thread);
        Ok(ledger)
    }

    pub fn id(&self) -> [u8; 32] {
        self.inner.id
    }

    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// Called after every change other nodes should hear of.
    pub fn on_change(&self, f: impl Fn() + Send + Sync + 'static) {
        *self.inner.on_change.lock().expect("on_change") = Some(Box::new(f));
    }

    fn changed(&self) {
        if let Some(f) = self.inner.on_change.lock().expect("on_change").as_ref() {
            f();
        }
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
    pub fn recorded(&self, job: &str, requester: &[u8; 32], worker: &[u8; 32]) -> bool {
        let key = Receipt {
            job: job.into(),
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
        let Ok(r) = self.inner.db.begin_read() else {
            return false;
        };
        r.open_table(RECEIPTS)
            .ok()
            .and_then(|t| t.get(key.as_slice()).ok().flatten())
            .is_some()
    }

    async fn append(
        &self,
        kind: Kind,
        amount: u64,
        receipt: Option<(Receipt, [u8; 64])>,
    ) -> Result<Entry, LedgerError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.inner
            .writer
            .send(Append {
                kind,
                amount,
                receipt,
                reply: tx,
            })
            .map_err(|_| LedgerError::Write("the ledger writer stopped".into()))?;
        let r = rx
            .await
            .map_err(|_| LedgerError::Write("the ledger writer stopped".into()))?;
        if r.is_ok() {
            self.changed();
        }
        r
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

    /// Raw entries after `after` (from the start when `None`), at most `limit`.
    pub fn entries_after(
        &self,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, LedgerError> {
        let r = self
            .inner
            .db
            .begin_read()
            .map_err(|e| LedgerError::Write(e.to_string()))?;
        read_after(&r, after, limit)
    }

    /// The chain as an export (JSON lines, then the signed head).
    pub fn export(&self) -> Result<String, LedgerError> {
        // One read transaction, and the head signed for what it saw.
        let r = self
            .inner
            .db
            .begin_read()
            .map_err(|e| LedgerError::Write(e.to_string()))?;
        let raws = read_after(&r, None, usize::MAX)?;
        let mut out = String::new();
        let mut tip = None;
        for raw in &raws {
            let e = Entry::decode(raw).map_err(LedgerError::Invalid)?;
            out.push_str(&e.to_json(raw).to_string());
            out.push('\n');
            tip = Some((e.seq, *blake3::hash(raw).as_bytes(), e.balance));
        }
        if let Some((seq, hash, balance)) = tip {
            let h = Head::sign(&self.inner.key, seq, hash, balance);
            out.push_str(&serde_json::json!({ "head": h }).to_string());
            out.push('\n');
        }
        Ok(out)
    }

    pub fn status(&self) -> LedgerStatus {
        let (tip, held) = {
            let s = self.inner.state.lock().expect("ledger state");
            (s.tip, s.held)
        };
        let mut recent = self
            .lines_after(tip.seq.checked_sub(10), 10)
            .unwrap_or_default();
        recent.reverse();
        LedgerStatus {
            balance: tip.balance,
            available: tip.balance.saturating_sub(held),
            held,
            entries: tip.seq + 1,
            head: hex::encode(tip.hash),
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
            at_unix: crate::node::unix_now(),
            seconds: started.elapsed().as_secs_f64(),
        };
        if let Some(e) = &check.error {
            tracing::error!("this node's own ledger does not verify: {e}");
        }
        *self.inner.checked.lock().expect("checked") = Some(check.clone());
        check
    }

    /// Entries after `after` (from the first when `None`), at most `limit`, for listings.
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

    // ---- Peers' chains ----

    /// The known equivocations, newest first.
    pub fn equivocators(&self) -> Vec<Equivocation> {
        let mut v: Vec<Equivocation> = self
            .inner
            .equivocators
            .lock()
            .expect("equivocators")
            .values()
            .cloned()
            .collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.detected_unix));
        v
    }

    pub fn is_equivocator(&self, peer: &[u8; 32]) -> bool {
        self.inner
            .equivocators
            .lock()
            .expect("equivocators")
            .contains_key(peer)
    }

    /// The latest head a peer signed that this node saw.
    pub fn peer_head(&self, peer: &[u8; 32]) -> Option<Head> {
        self.inner
            .books
            .lock()
            .expect("books")
            .get(peer)
            .and_then(|b| b.heads.values().next_back().cloned())
    }

    /// Takes note of a head a peer signed. Returns a new proof if it contradicts one seen
    /// before. The caller checked nothing: a bad signature is an error.
    pub fn observe_head(&self, head: &Head) -> Result<Option<Proof>, String> {
        if !head.valid() {
            return Err("a ledger head with a bad signature".into());
        }
        if head.owner == self.inner.id {
            return Ok(None);
        }
        let conflict = {
            let mut books = self.inner.books.lock().expect("books");
            let book = books.entry(head.owner).or_default();
            match book.heads.get(&head.seq) {
                Some(h) if h.hash != head.hash => Some(Proof {
                    a: h.clone(),
                    b: head.clone(),
                }),
                Some(_) => None,
                None => {
                    book.heads.insert(head.seq, head.clone());
                    while book.heads.len() > HEADS_PER_PEER {
                        book.heads.pop_first();
                    }
                    None
                }
            }
        };
        match conflict {
            // Reported whether or not it was new: the caller must refuse the key either way.
            Some(p) => {
                self.adopt(p.clone())?;
                Ok(Some(p))
            }
            None => Ok(None),
        }
    }

    /// Records a proof of equivocation (checked here). Returns it if it was new.
    pub fn adopt(&self, proof: Proof) -> Result<Option<Proof>, String> {
        let peer = proof.check()?;
        if peer == self.inner.id {
            // A proof against this node: its chain was forked (a restored backup?). Others
            // refuse it now; nothing here can undo that.
            tracing::error!(
                "peers hold proof that this node's ledger forked at seq {}",
                proof.a.seq
            );
            return Ok(None);
        }
        let eq = {
            let mut m = self.inner.equivocators.lock().expect("equivocators");
            if m.contains_key(&peer) {
                return Ok(None);
            }
            if m.len() >= MAX_EQUIVOCATORS
                && let Some(oldest) = m
                    .iter()
                    .min_by_key(|(_, e)| e.detected_unix)
                    .map(|(k, _)| *k)
            {
                m.remove(&oldest);
            }
            let eq = Equivocation {
                peer: hex::encode(peer),
                seq: proof.a.seq,
                detected_unix: crate::node::unix_now(),
                proof: proof.clone(),
            };
            m.insert(peer, eq.clone());
            eq
        };
        tracing::warn!(
            "peer {} signed two different ledger heads for seq {}: refused from now on",
            hex::encode(&peer[..5]),
            eq.seq
        );
        let db = self.inner.db.clone();
        let text = serde_json::to_string(&eq).expect("serializes");
        // A write transaction waits for the writer's group commit and fsyncs: not on the
        // caller's (async) thread.
        let persist = move || {
            let r = (|| -> Result<(), redb::Error> {
                let w = db.begin_write()?;
                {
                    let mut t = w.open_table(EQUIVOCATORS)?;
                    t.insert(peer.as_slice(), text.as_str())?;
                }
                w.commit()?;
                Ok(())
            })();
            if let Err(e) = r {
                tracing::warn!("could not record the equivocation proof: {e}");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(persist)),
            Err(_) => persist(),
        }
        self.changed();
        Ok(Some(proof))
    }

    /// Audits a requester before work: checks its signed head, fetches the entries of its chain
    /// this node has not verified yet (`fetch(after, sink)` sends them to `sink` as they
    /// arrive), verifies them off the async threads as they come (links, signatures, replays,
    /// and no receipt priced above its tokens), and returns the balance of its latest verified
    /// entry.
    pub async fn audit<F, Fut>(&self, head: &Head, fetch: F) -> Result<u64, AuditError>
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
        let (audited, jobs) = {
            let mut books = self.inner.books.lock().expect("books");
            let book = books.entry(peer).or_default();
            if let Some(a) = book.audited
                && a.next > head.seq
            {
                // Already verified that far: only check the head against what was verified.
                return match book.hashes.get(&head.seq) {
                    Some(h) if *h != head.hash => Err(AuditError::Bad(format!(
                        "its head for seq {} does not match the chain it served before",
                        head.seq
                    ))),
                    _ => Ok(a.balance),
                };
            }
            (book.audited, std::mem::take(&mut book.jobs))
        };
        let heads: BTreeMap<u64, Head> = self
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
        let mut state = AuditState {
            v: v.with_jobs(jobs),
            at_head: None,
            recent: Vec::new(),
            read: 0,
            head_seq: head.seq,
            heads,
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Vec<u8>>>(4);
        // Verified batch by batch off the async threads, while the next batch arrives.
        let verify = async {
            while let Some(batch) = rx.recv().await {
                let ledger = self.clone();
                let (back, r) = tokio::task::spawn_blocking(move || {
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
        let fetching = fetch(audited.map(|a| a.next - 1), tx);
        let both = tokio::time::timeout(AUDIT_TIME, async { tokio::join!(fetching, verify) });
        let (fetched, verified) = match both.await {
            Ok(x) => x,
            Err(_) => {
                // The verifier's state went with the cancelled future, the replay set too: the
                // next audit starts over.
                self.forget_audit(&peer);
                return Err(AuditError::Fetch(format!(
                    "its chain did not arrive within {} s",
                    AUDIT_TIME.as_secs()
                )));
            }
        };
        let state = match verified {
            Ok(s) => s,
            Err((state, e)) => {
                match state {
                    Some(st) => self.restore_jobs(&peer, st.v.rollback()),
                    None => self.forget_audit(&peer),
                }
                return Err(e);
            }
        };
        if let Err(e) = fetched {
            self.restore_jobs(&peer, state.v.rollback());
            return Err(AuditError::Fetch(e));
        }
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
        let book = books.entry(peer).or_default();
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
    fn forget_audit(&self, peer: &[u8; 32]) {
        if let Some(b) = self.inner.books.lock().expect("books").get_mut(peer) {
            b.audited = None;
            b.jobs.clear();
            b.hashes.clear();
        }
    }

    fn restore_jobs(&self, peer: &[u8; 32], jobs: std::collections::HashSet<[u8; 32]>) {
        if let Some(b) = self.inner.books.lock().expect("books").get_mut(peer) {
            b.jobs = jobs;
        }
    }

    /// A signed head for one of this node's entries (sent with a payment, so the worker holds
    /// the requester's word for it).
    pub fn head_of(&self, e: &Entry) -> Head {
        Head::sign(&self.inner.key, e.seq, e.hash(), e.balance)
    }

    /// Checks a requester's proof of payment before this node records its earning: the spend
    /// entry it recorded (signed by it, holding this very receipt and this node's signature of
    /// it) and its signed head for that entry. The head is remembered, so a requester that
    /// later shows a chain without this payment is caught equivocating.
    pub fn check_payment(
        &self,
        receipt: &Receipt,
        own_sig: &[u8; 64],
        entry: &[u8],
        head: &Head,
    ) -> Result<(), String> {
        let e = Entry::decode(entry).map_err(|e| format!("its spend entry: {e}"))?;
        if e.owner != receipt.requester || e.kind != Kind::Spend {
            return Err("the payment is not a spend entry of the requester's".into());
        }
        if e.receipt.as_ref() != Some(&(receipt.clone(), *own_sig)) || e.amount != receipt.credits {
            return Err("its spend entry does not record this receipt".into());
        }
        if !chain::verify_one(&e.owner, &e.sig, &entry[..entry.len() - 64]) {
            return Err("its spend entry's signature is bad".into());
        }
        if head.owner != e.owner
            || head.seq != e.seq
            || head.hash != *blake3::hash(entry).as_bytes()
            || head.balance != e.balance
        {
            return Err("its signed head is not for its spend entry".into());
        }
        // A contradiction with a head seen before is recorded as equivocation; the receipt is
        // still countersigned, so the earning stands.
        self.observe_head(head)?;
        Ok(())
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel ends the writer, which then drops its handle to the database.
        let (closed, _) = std_mpsc::channel();
        drop(std::mem::replace(&mut self.writer, closed));
        if let Some(t) = self.thread.lock().expect("thread").take()
            && t.thread().id() != std::thread::current().id()
        {
            let _ = t.join();
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
                    && (tokens > facts.context as u64
                        || r.credits
                            > ledger
                                .inner
                                .policy
                                .price(facts.parameters, &r.quant, tokens))
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

fn read_after(
    r: &redb::ReadTransaction,
    after: Option<u64>,
    limit: usize,
) -> Result<Vec<Vec<u8>>, LedgerError> {
    let t = r
        .open_table(ENTRIES)
        .map_err(|e| LedgerError::Write(e.to_string()))?;
    let from = after.map_or(0, |a| a.saturating_add(1));
    let mut out = Vec::new();
    for row in t
        .range(from..)
        .map_err(|e| LedgerError::Write(e.to_string()))?
        .take(limit)
    {
        let (_, v) = row.map_err(|e| LedgerError::Write(e.to_string()))?;
        out.push(v.value().to_vec());
    }
    Ok(out)
}

/// Reads a ledger file without taking it over (no node runs for the data dir).
pub fn export_file(data_dir: &Path) -> Result<Vec<Vec<u8>>, LedgerError> {
    let path = path_in(data_dir);
    if !path.exists() {
        return Err(open_err(
            &path,
            "no ledger yet (a node creates it at its first start)",
        ));
    }
    match redb::ReadOnlyDatabase::open(&path) {
        Ok(db) => {
            let r = db.begin_read().map_err(|e| open_err(&path, e))?;
            read_after(&r, None, usize::MAX)
        }
        // A file left by a crash needs redb's repair, which needs a writer. Opening one is
        // safe: a running node holds the file, and redb then refuses.
        Err(_) => {
            let db = Database::open(&path).map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => {
                    open_err(&path, "in use by a running node; ask it through its API")
                }
                other => open_err(&path, other),
            })?;
            let r = db.begin_read().map_err(|e| open_err(&path, e))?;
            read_after(&r, None, usize::MAX)
        }
    }
}

/// The writer thread: group commits (see the module docs).
fn write_loop(
    db: Arc<Database>,
    rx: std_mpsc::Receiver<Append>,
    mut tip: Tip,
    ledger: std::sync::Weak<Inner>,
) {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < GROUP
            && let Ok(a) = rx.try_recv()
        {
            group.push(a);
        }
        let Some(inner) = ledger.upgrade() else {
            return;
        };
        let before = tip;
        let mut done: Vec<(Append, Entry)> = Vec::new();
        let mut refused: Vec<(Append, LedgerError)> = Vec::new();
        let result = (|| -> Result<(), redb::Error> {
            let w = db.begin_write()?;
            {
                let mut entries = w.open_table(ENTRIES)?;
                let mut receipts = w.open_table(RECEIPTS)?;
                for a in group {
                    if let Some((r, _)) = &a.receipt {
                        let key = r.replay_key();
                        if receipts.get(key.as_slice())?.is_some() {
                            let job = r.job.clone();
                            refused.push((a, LedgerError::Replay(job)));
                            continue;
                        }
                    }
                    let balance = match a.kind {
                        Kind::Earn => tip.balance.checked_add(a.amount),
                        Kind::Spend => tip.balance.checked_sub(a.amount),
                        Kind::Grant => None,
                    };
                    let Some(balance) = balance else {
                        let e = LedgerError::Short {
                            balance: tip.balance,
                            available: tip.balance,
                        };
                        refused.push((a, e));
                        continue;
                    };
                    let e = Entry {
                        owner: inner.id,
                        seq: tip.seq + 1,
                        prev: tip.hash,
                        time_ms: now_ms().max(tip.time_ms),
                        kind: a.kind,
                        amount: a.amount,
                        balance,
                        receipt: a.receipt.clone(),
                        sig: [0; 64],
                    }
                    .signed(&inner.key);
                    let raw = e.encode();
                    entries.insert(e.seq, raw.as_slice())?;
                    if let Some((r, _)) = &e.receipt {
                        receipts.insert(r.replay_key().as_slice(), e.seq)?;
                    }
                    tip = Tip {
                        seq: e.seq,
                        hash: *blake3::hash(&raw).as_bytes(),
                        time_ms: e.time_ms,
                        balance,
                    };
                    done.push((a, e));
                }
            }
            // Durability::Immediate is redb's default: the commit returns after the fsync.
            w.commit()?;
            Ok(())
        })();
        match result {
            Ok(()) => {
                {
                    let mut s = inner.state.lock().expect("ledger state");
                    s.tip = tip;
                    s.signed = Head::sign(&inner.key, tip.seq, tip.hash, tip.balance);
                }
                // Not the last holder when a caller wakes and drops its handle: the ledger's
                // drop then joins this thread and the file is closed when it returns.
                drop(inner);
                for (a, e) in done {
                    let _ = a.reply.send(Ok(e));
                }
            }
            Err(e) => {
                drop(inner);
                tracing::error!("ledger commit failed: {e}");
                tip = before;
                for (a, _) in done {
                    let _ = a.reply.send(Err(LedgerError::Write(e.to_string())));
                }
            }
        }
        for (a, e) in refused {
            let _ = a.reply.send(Err(e));
        }
    }
}

/// Appends `count` self-made receipts as fast as the disk allows, with `concurrency` at once,
/// calling `acked(seq)` after each is durable. The crash test's child and the append benchmark.
pub async fn stress(
    ledger: &Ledger,
    count: u64,
    concurrency: usize,
    acked: impl Fn(u64) + Send + Sync + 'static,
) -> Result<(), LedgerError> {
    let peer = iroh::SecretKey::generate();
    let acked = Arc::new(acked);
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = Vec::new();
    let tag = crate::node::random_hex(4);
    for _ in 0..concurrency.max(1) {
        let (ledger, peer, acked, next, tag) = (
            ledger.clone(),
            peer.clone(),
            acked.clone(),
            next.clone(),
            tag.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    return Ok(());
                }
                let r = Receipt {
                    job: format!("stress-{tag}-{i}"),
                    requester: *peer.public().as_bytes(),
                    worker: ledger.id(),
                    model: "smollm2-135m-instruct".into(),
                    quant: "q4_1".into(),
                    prompt_tokens: 16,
                    completion_tokens: 16,
                    credits: 1,
                    time_ms: now_ms(),
                };
                let sig = r.sign(&peer);
                let e = ledger.earn(r, sig).await?;
                acked(e.seq);
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| LedgerError::Write(e.to_string()))??;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(requester: &iroh::SecretKey, worker: [u8; 32], job: &str, credits: u64) -> Receipt {
        Receipt {
            job: job.into(),
            requester: *requester.public().as_bytes(),
            worker,
            model: "smollm2-135m-instruct".into(),
            quant: "q4_1".into(),
            prompt_tokens: 10,
            completion_tokens: 10,
            credits,
            time_ms: now_ms(),
        }
    }

    #[tokio::test]
    async fn appends_are_checked_durable_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let key = iroh::SecretKey::generate();
        let policy = Policy {
            starter_grant: 100,
            ..Policy::default()
        };
        let l = Ledger::open(dir.path(), key.clone(), policy.clone(), HashMap::new()).unwrap();
        assert_eq!((l.balance(), l.status().entries), (100, 1));
        let peer = iroh::SecretKey::generate();

        // Holds: never more than the balance, released when dropped.
        let h = l.hold(60).unwrap();
        assert!(matches!(
            l.hold(50),
            Err(LedgerError::Short { available: 40, .. })
        ));
        // A payment whose worker signature is forged: refused, nothing appended.
        let r = Receipt {
            requester: l.id(),
            worker: *peer.public().as_bytes(),
            ..receipt(&peer, [0; 32], "j1", 30)
        };
        let forged = r.sign(&iroh::SecretKey::generate());
        assert!(matches!(
            l.spend(h, r.clone(), forged).await,
            Err(LedgerError::Invalid(_))
        ));
        assert_eq!(
            (l.balance(), l.available(), l.status().entries),
            (100, 100, 1)
        );
        // The genuine one is recorded, and only within its hold.
        let h = l.hold(20).unwrap();
        assert!(matches!(
            l.spend(h, r.clone(), r.sign(&peer)).await,
            Err(LedgerError::Invalid(_))
        ));
        let h = l.hold(30).unwrap();
        let e = l.spend(h, r.clone(), r.sign(&peer)).await.unwrap();
        assert_eq!((e.seq, e.balance, l.available()), (1, 70, 70));

        // Earnings: countersigned by the requester; a replay or a receipt from the future is
        // refused.
        let r = receipt(&peer, l.id(), "j2", 5);
        l.earn(r.clone(), r.sign(&peer)).await.unwrap();
        assert!(matches!(
            l.earn(r.clone(), r.sign(&peer)).await,
            Err(LedgerError::Replay(_))
        ));
        assert!(l.recorded("j2", &r.requester, &r.worker));
        let late = Receipt {
            time_ms: now_ms() + 3_600_000,
            ..receipt(&peer, l.id(), "j3", 5)
        };
        assert!(matches!(
            l.earn(late.clone(), late.sign(&peer)).await,
            Err(LedgerError::Invalid(_))
        ));
        assert_eq!(l.balance(), 75);
        let text = l.export().unwrap();
        drop(l);

        // Reopened: the same chain, and it verifies.
        let l = Ledger::open(dir.path(), key.clone(), policy, HashMap::new()).unwrap();
        assert_eq!((l.balance(), l.status().entries), (75, 3));
        let s = chain::verify_export(&text, Some(l.id()), Some(100), now_ms()).unwrap();
        assert_eq!((s.entries, s.balance), (3, 75));
        // Another key cannot open it as its own.
        assert!(
            Ledger::open(
                dir.path(),
                iroh::SecretKey::generate(),
                Policy::default(),
                HashMap::new()
            )
            .is_err()
        );
    }

    #[tokio::test]
    async fn audits_verify_only_new_entries_and_catch_forks() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::open(
            dir.path(),
            iroh::SecretKey::generate(),
            Policy::default(),
            HashMap::new(),
        )
        .unwrap();
        let peer = iroh::SecretKey::generate();
        let raws = chain::sample_chain(&peer, &[iroh::SecretKey::generate()], 10);
        let head_at = |raws: &[Vec<u8>], seq: usize| {
            let e = Entry::decode(&raws[seq]).unwrap();
            Head::sign(
                &peer,
                e.seq,
                *blake3::hash(&raws[seq]).as_bytes(),
                e.balance,
            )
        };
        // First audit: the whole chain.
        let asked = std::sync::Mutex::new(Vec::new());
        let fetch = |after: Option<u64>, sink: tokio::sync::mpsc::Sender<Vec<Vec<u8>>>| {
            asked.lock().unwrap().push(after);
            let from = after.map_or(0, |a| a as usize + 1);
            let v = raws[from..].to_vec();
            async move {
                let _ = sink.send(v).await;
                Ok(())
            }
        };
        let b = l.audit(&head_at(&raws[..5], 4), fetch).await.unwrap();
        assert_eq!(b, Entry::decode(&raws[9]).unwrap().balance);
        // An older head needs no fetch; a newer one fetches only what follows.
        l.audit(&head_at(&raws, 3), fetch).await.unwrap();
        assert_eq!(*asked.lock().unwrap(), vec![None]);
        let more = chain::sample_chain(&peer, &[iroh::SecretKey::generate()], 12);
        // A chain that does not continue the audited one fails (the served chain forked).
        let fetch_more = |after: Option<u64>, sink: tokio::sync::mpsc::Sender<Vec<Vec<u8>>>| {
            let v = more[after.map_or(0, |a| a as usize + 1)..].to_vec();
            async move {
                let _ = sink.send(v).await;
                Ok(())
            }
        };
        let err = l.audit(&head_at(&more, 11), fetch_more).await.unwrap_err();
        assert!(
            matches!(&err, AuditError::Bad(e) if e.contains("entry 10")),
            "{err}"
        );
        // An unreachable chain is nobody's fault yet.
        let unreachable = |_: Option<u64>, _: tokio::sync::mpsc::Sender<Vec<Vec<u8>>>| async {
            Err("cannot connect".to_string())
        };
        let other = iroh::SecretKey::generate();
        let h = Head::sign(&other, 0, [1; 32], 5);
        assert!(matches!(
            l.audit(&h, unreachable).await,
            Err(AuditError::Fetch(_))
        ));
        // Two heads for one seq: proof, and the key is refused from then on.
        let fork = Head::sign(&peer, 4, [9; 32], 1);
        let err = l.audit(&fork, fetch).await.unwrap_err();
        assert!(err.to_string().contains("equivocation"), "{err}");
        assert!(l.is_equivocator(peer.public().as_bytes()));
        assert_eq!(l.equivocators().len(), 1);
        // A forged proof is refused.
        let mut bad = l.equivocators()[0].proof.clone();
        bad.b.balance += 1;
        assert!(l.adopt(bad).is_err());
    }
}
