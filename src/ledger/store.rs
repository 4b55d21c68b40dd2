//! The ledger's file: `ledger.redb` in the data dir, its tables, and the one writer thread that
//! owns every append.
//!
//! The writer takes all the appends waiting, writes them in one transaction and commits it with
//! redb's `Durability::Immediate` (fsync) before it acknowledges any of them: a group commit, so
//! many settlements cost one fsync and none is acknowledged before it is on disk. A crash leaves
//! the last committed chain, which verifies.
//!
//! [`Store::close`] ends the writer (after the group in hand) and closes the file; reads after
//! it fail with [`LedgerError::Closed`].

use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, Weak};

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use super::chain::{self, Admission, Entry, Payload, Position};
use super::{Equivocation, Inner, LedgerError};
use crate::ids::{NodeId, now_ms};

const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
const RECEIPTS: TableDefinition<&[u8], u64> = TableDefinition::new("receipts");
const EQUIVOCATORS: TableDefinition<&[u8], &str> = TableDefinition::new("equivocators");
/// This node's payments its worker has not confirmed yet: replay key to the spend's seq.
const UNCONFIRMED: TableDefinition<&[u8], u64> = TableDefinition::new("unconfirmed");
/// Promises owed to this node and not paid, by replay key (JSON).
const DEBTS: TableDefinition<&[u8], &str> = TableDefinition::new("debts");
/// This chain's open holds: job key to the hold's seq.
const HOLDS: TableDefinition<&[u8], u64> = TableDefinition::new("holds");
/// Appends written in one transaction at most.
const GROUP: usize = 512;

/// The path of the ledger in a data dir.
pub fn path_in(data_dir: &Path) -> PathBuf {
    data_dir.join("ledger.redb")
}

fn open_err(path: &Path, e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Open(format!("{}: {e}", path.display()))
}

fn read_err(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Read(e.to_string())
}

/// What the writer is asked to write.
pub(super) enum Write {
    Append(Append),
    /// A proof of equivocation, kept for the next start (the peer's key, the proof as JSON).
    Equivocation(NodeId, String),
    /// A proof of equivocation given up to make room (see `Equivocators`).
    ForgetEquivocation(NodeId),
    /// A debt owed to this node (the promise as JSON), or its removal once paid.
    Debt([u8; 32], Option<String>),
    /// The worker confirmed the payment with this replay key.
    Confirmed([u8; 32]),
}

/// One append for the writer, and where its result goes.
pub(super) struct Append {
    pub amount: u64,
    pub payload: Payload,
    pub reply: tokio::sync::oneshot::Sender<Result<Entry, LedgerError>>,
}

/// What opening found: the chain's end, and the equivocations recorded before.
pub(super) struct Opened {
    pub store: Store,
    pub tip: Position,
    pub equivocators: Vec<(NodeId, Equivocation)>,
    pub debts: Vec<super::chain::Promise>,
    pub writes: std_mpsc::Receiver<Write>,
}

/// The open file and its writer.
pub(super) struct Store {
    path: PathBuf,
    db: Mutex<Option<Arc<Database>>>,
    writer: Mutex<Option<std_mpsc::Sender<Write>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Store {
    /// Opens (or creates, with the starter grant and its admission) the ledger in `data_dir`
    /// for `key`. The writer thread starts with [`Store::start_writer`], once the ledger it
    /// serves exists.
    pub(super) fn open(
        data_dir: &Path,
        key: &iroh::SecretKey,
        genesis: &Genesis<'_>,
    ) -> Result<Opened, LedgerError> {
        let path = path_in(data_dir);
        let db = create(&path)?;
        let db = match first_entry(&db).map_err(|e| open_err(&path, e))? {
            Some(raw) if raw.get(4) != Some(&chain::FORMAT) => set_aside(db, &path)?,
            Some(raw) => {
                check_network(&path, &raw, genesis.network)?;
                db
            }
            None => db,
        };
        let w = db.begin_write().map_err(|e| open_err(&path, e))?;

        {
            w.open_table(ENTRIES).map_err(|e| open_err(&path, e))?;
            w.open_table(RECEIPTS).map_err(|e| open_err(&path, e))?;
            w.open_table(EQUIVOCATORS).map_err(|e| open_err(&path, e))?;
            w.open_table(DEBTS).map_err(|e| open_err(&path, e))?;
            w.open_table(UNCONFIRMED).map_err(|e| open_err(&path, e))?;
            w.open_table(HOLDS).map_err(|e| open_err(&path, e))?;
        }
        w.commit().map_err(|e| open_err(&path, e))?;
        let tip = match last_entry(&db).map_err(|e| open_err(&path, e))? {
            Some(raw) => check_last(&path, &raw, &NodeId::from(key))?,
            None => write_genesis(&db, &path, key, genesis)?,
        };
        prune_equivocators(&db, super::proofs::MAX_EQUIVOCATORS).map_err(|e| open_err(&path, e))?;
        let equivocators = read_equivocators(&db).map_err(|e| open_err(&path, e))?;
        let debts = read_debts(&db).map_err(|e| open_err(&path, e))?;
        let (writer, writes) = std_mpsc::channel();
        Ok(Opened {
            store: Store {
                path,
                db: Mutex::new(Some(Arc::new(db))),
                writer: Mutex::new(Some(writer)),
                thread: Mutex::new(None),
            },
            tip,
            equivocators,
            debts,
            writes,
        })
    }

    /// Starts the writer thread for `ledger`, appending at `tip`.
    pub(super) fn start_writer(
        &self,
        writes: std_mpsc::Receiver<Write>,
        tip: Position,
        ledger: Weak<Inner>,
    ) -> Result<(), LedgerError> {
        let db = self.db()?;
        let thread = std::thread::Builder::new()
            .name("llp-ledger".into())
            .spawn(move || write_loop(db, writes, tip, ledger))
            .map_err(|e| open_err(&self.path, e))?;
        *self.thread.lock().expect("writer thread") = Some(thread);
        Ok(())
    }

    /// The open database, for a read.
    fn db(&self) -> Result<Arc<Database>, LedgerError> {
        self.db
            .lock()
            .expect("ledger db")
            .clone()
            .ok_or(LedgerError::Closed)
    }

    /// Hands a write to the writer.
    pub(super) fn send(&self, a: Write) -> Result<(), LedgerError> {
        let writer = self.writer.lock().expect("ledger writer");
        let stopped = || LedgerError::Write("the ledger writer stopped".into());
        writer
            .as_ref()
            .ok_or_else(stopped)?
            .send(a)
            .map_err(|_| stopped())
    }

    /// Stops the writer after the appends it holds, waits for it, and closes the file (once
    /// the reads in progress end). Blocking.
    pub(super) fn close(&self) {
        drop(self.writer.lock().expect("ledger writer").take());
        let thread = self.thread.lock().expect("writer thread").take();
        if let Some(t) = thread
            && t.thread().id() != std::thread::current().id()
        {
            let _ = t.join();
        }
        drop(self.db.lock().expect("ledger db").take());
    }

    /// The seq of the entry that records the receipt with this replay key, if any.
    pub(super) fn recorded_at(&self, key: &[u8; 32]) -> Result<Option<u64>, LedgerError> {
        let r = self.db()?.begin_read().map_err(read_err)?;
        let t = r.open_table(RECEIPTS).map_err(read_err)?;
        Ok(t.get(key.as_slice()).map_err(read_err)?.map(|v| v.value()))
    }

    /// This node's payments not confirmed by their workers: the spend entries, at most
    /// `limit`, from the `skip`-th on (wrapping), so that rounds of redelivery take turns
    /// rather than retrying the same few (the table is in hash order) while others wait.
    pub(super) fn unconfirmed(
        &self,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, LedgerError> {
        let r = self.db()?.begin_read().map_err(read_err)?;
        let t = r.open_table(UNCONFIRMED).map_err(read_err)?;
        let e = r.open_table(ENTRIES).map_err(read_err)?;
        let len = t.len().map_err(read_err)? as usize;
        let skip = if len == 0 { 0 } else { skip % len };
        let mut out = Vec::new();
        let rows = t.iter().map_err(read_err)?;
        let wrapped = t.iter().map_err(read_err)?;
        for row in rows.skip(skip).chain(wrapped.take(skip)).take(limit) {
            let (_, seq) = row.map_err(read_err)?;
            if let Some(v) = e.get(seq.value()).map_err(read_err)? {
                out.push(v.value().to_vec());
            }
        }
        Ok(out)
    }

    /// The open hold entry of the job with this key, if any.
    pub(super) fn open_hold(&self, key: &[u8; 32]) -> Result<Option<Entry>, LedgerError> {
        let r = self.db()?.begin_read().map_err(read_err)?;
        let t = r.open_table(HOLDS).map_err(read_err)?;
        let e = r.open_table(ENTRIES).map_err(read_err)?;
        let Some(seq) = t.get(key.as_slice()).map_err(read_err)? else {
            return Ok(None);
        };
        match e.get(seq.value()).map_err(read_err)? {
            Some(v) => Ok(Some(Entry::decode(v.value()).map_err(read_err)?)),
            None => Ok(None),
        }
    }

    /// The hold entries of this chain still open, oldest first.
    pub(super) fn open_holds(&self) -> Result<Vec<Entry>, LedgerError> {
        let r = self.db()?.begin_read().map_err(read_err)?;
        let t = r.open_table(HOLDS).map_err(read_err)?;
        let e = r.open_table(ENTRIES).map_err(read_err)?;
        let mut out = Vec::new();
        for row in t.iter().map_err(read_err)? {
            let (_, seq) = row.map_err(read_err)?;
            if let Some(v) = e.get(seq.value()).map_err(read_err)? {
                out.push(Entry::decode(v.value()).map_err(read_err)?);
            }
        }
        out.sort_by_key(|e| e.seq);
        Ok(out)
    }

    /// Raw entries after `after` (from the start when `None`), at most `limit`.
    pub(super) fn entries_after(
        &self,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, LedgerError> {
        let r = self.db()?.begin_read().map_err(read_err)?;
        read_after(&r, after, limit)
    }
}

fn last_entry(db: &Database) -> Result<Option<Vec<u8>>, redb::Error> {
    let r = db.begin_read()?;
    let t = r.open_table(ENTRIES)?;
    Ok(t.last()?.map(|(_, v)| v.value().to_vec()))
}

/// Checks the chain's last entry before appending after it: readable, this key's, signed.
fn check_last(path: &Path, raw: &[u8], id: &NodeId) -> Result<Position, LedgerError> {
    let e = Entry::decode(raw)
        .map_err(|e| open_err(path, format!("the last entry is unreadable: {e}")))?;
    if e.owner != *id {
        return Err(open_err(
            path,
            "the chain belongs to another key than this data dir's node.key",
        ));
    }
    if !chain::verify_one(&e.owner, &e.sig, &raw[..raw.len() - 64]) {
        return Err(open_err(path, "the last entry's signature is bad"));
    }
    Ok(Position::after(&e, raw))
}

/// What a new chain starts with: the network's starter grant, admitted by a solved puzzle.
pub(super) struct Genesis<'a> {
    pub network: &'a str,
    pub grant: u64,
    /// Solves the admission puzzle (slow: only called for a new chain).
    pub admit: &'a dyn Fn() -> Admission,
}

fn create(path: &Path) -> Result<Database, LedgerError> {
    Database::create(path).map_err(|e| match e {
        redb::DatabaseError::DatabaseAlreadyOpen => {
            open_err(path, "already open in another process")
        }
        other => open_err(
            path,
            format!("{other} (move the file away to start a new chain; its credits are lost)"),
        ),
    })
}

fn first_entry(db: &Database) -> Result<Option<Vec<u8>>, redb::Error> {
    let r = db.begin_read()?;
    let Ok(t) = r.open_table(ENTRIES) else {
        return Ok(None);
    };
    Ok(t.first()?.map(|(_, v)| v.value().to_vec()))
}

/// A chain of an older format (its grant was never admitted, so no peer accepts it): kept
/// beside, under another name, and a new chain starts.
fn set_aside(db: Database, path: &Path) -> Result<Database, LedgerError> {
    drop(db);
    let aside = path.with_file_name(format!("ledger-format1-{}.redb", crate::ids::unix_now()));
    std::fs::rename(path, &aside).map_err(|e| open_err(path, e))?;
    tracing::warn!(
        "{} holds a chain of an older ledger format that peers no longer accept; it is kept as \
         {} and a new chain starts (with a new admission)",
        path.display(),
        aside.display()
    );
    create(path)
}

/// A chain admitted to another network: its credits mean nothing here.
fn check_network(path: &Path, first: &[u8], network: &str) -> Result<(), LedgerError> {
    let e = Entry::decode(first)
        .map_err(|e| open_err(path, format!("the first entry is unreadable: {e}")))?;
    match &e.payload {
        Payload::Grant(a) if a.network == network => Ok(()),
        Payload::Grant(a) => Err(open_err(
            path,
            format!(
                "this chain belongs to network `{}`, not `{network}`: credits do not move between \
                 networks. Use another --data-dir for this network (or move ledger.redb and \
                 node.key away to start over here)",
                a.network
            ),
        )),
        _ => Err(open_err(path, "the first entry is not a grant")),
    }
}

/// A new chain: the starter grant at seq 0, with its admission.
fn write_genesis(
    db: &Database,
    path: &Path,
    key: &iroh::SecretKey,
    genesis: &Genesis<'_>,
) -> Result<Position, LedgerError> {
    let admission = (genesis.admit)();
    let e = Position::START
        .append(key, genesis.grant, 0, Payload::Grant(admission), now_ms())
        .expect("a grant starts a chain");
    let raw = e.encode();
    let w = db.begin_write().map_err(|e| open_err(path, e))?;
    {
        let mut t = w.open_table(ENTRIES).map_err(|e| open_err(path, e))?;
        t.insert(0, raw.as_slice()).map_err(|e| open_err(path, e))?;
    }
    w.commit().map_err(|e| open_err(path, e))?;
    Ok(Position::after(&e, &raw))
}

fn read_debts(db: &Database) -> Result<Vec<super::chain::Promise>, redb::Error> {
    let r = db.begin_read()?;
    let t = r.open_table(DEBTS)?;
    let mut out = Vec::new();
    for row in t.iter()? {
        let (_, v) = row?;
        if let Ok(p) = serde_json::from_str(v.value()) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Keeps the equivocators table to what a node keeps now: proven keys only (older versions
/// stored hearsay too), [`super::proofs::MAX_EQUIVOCATORS`] of them at most. Once per start;
/// reads each row's time and kind only, so a large table left by an older version costs one
/// pass and is not loaded whole.
fn prune_equivocators(db: &Database, cap: usize) -> Result<(), redb::Error> {
    /// What the choice needs of a row (the rest of the JSON is skipped).
    #[derive(serde::Deserialize)]
    struct Row {
        detected_unix: u64,
        #[serde(default)]
        hearsay: bool,
    }
    let mut rows = Vec::new();
    {
        let r = db.begin_read()?;
        let t = r.open_table(EQUIVOCATORS)?;
        if t.len()? == 0 {
            return Ok(());
        }
        for row in t.iter()? {
            let (k, v) = row?;
            // A row that does not parse is left as it is (and skipped when read).
            if let (Ok(id), Ok(m)) = (
                <[u8; 32]>::try_from(k.value()),
                serde_json::from_str::<Row>(v.value()),
            ) {
                rows.push((id, m.detected_unix, m.hearsay));
            }
        }
    }
    let gone = equivocator_rows_to_drop(rows, cap);
    if gone.is_empty() {
        return Ok(());
    }
    tracing::info!(
        "ledger: dropping {} stored equivocation proofs (hearsay, or past the {cap} kept)",
        gone.len()
    );
    let w = db.begin_write()?;
    {
        let mut t = w.open_table(EQUIVOCATORS)?;
        for id in &gone {
            t.remove(id.as_slice())?;
        }
    }
    w.commit()?;
    Ok(())
}

/// Which stored equivocations go (key, detected, hearsay): every hearsay one, and past `cap`
/// the newest proven ones (the older refused their keys first; a flood comes later).
pub(super) fn equivocator_rows_to_drop(
    mut rows: Vec<([u8; 32], u64, bool)>,
    cap: usize,
) -> Vec<[u8; 32]> {
    let mut gone: Vec<[u8; 32]> = rows.iter().filter(|r| r.2).map(|r| r.0).collect();
    rows.retain(|r| !r.2);
    if rows.len() > cap {
        rows.sort_by_key(|r| (r.1, r.0));
        gone.extend(rows[cap..].iter().map(|r| r.0));
    }
    gone
}

/// The equivocations stored ([`prune_equivocators`] ran first: at most its cap).
fn read_equivocators(db: &Database) -> Result<Vec<(NodeId, Equivocation)>, redb::Error> {
    let r = db.begin_read()?;
    let t = r.open_table(EQUIVOCATORS)?;
    let mut out = Vec::new();
    for row in t.iter()?.take(super::proofs::MAX_EQUIVOCATORS) {
        let (k, v) = row?;
        if let (Ok(id), Ok(eq)) = (
            <[u8; 32]>::try_from(k.value()),
            serde_json::from_str::<Equivocation>(v.value()),
        ) {
            out.push((NodeId::from_bytes(id), eq));
        }
    }
    Ok(out)
}

fn read_after(
    r: &redb::ReadTransaction,
    after: Option<u64>,
    limit: usize,
) -> Result<Vec<Vec<u8>>, LedgerError> {
    let t = r.open_table(ENTRIES).map_err(read_err)?;
    let from = after.map_or(0, |a| a.saturating_add(1));
    let mut out = Vec::new();
    for row in t.range(from..).map_err(read_err)?.take(limit) {
        let (_, v) = row.map_err(read_err)?;
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

/// What one group commit did.
struct Group {
    done: Vec<(Append, Entry)>,
    refused: Vec<(Append, LedgerError)>,
}

/// The writer thread: group commits (see the module docs). Proofs of equivocation ride along
/// in the same transactions; a failed one is logged (the proof is in memory either way).
fn write_loop(
    db: Arc<Database>,
    rx: std_mpsc::Receiver<Write>,
    mut tip: Position,
    ledger: Weak<Inner>,
) {
    while let Ok(first) = rx.recv() {
        let mut writes = vec![first];
        while writes.len() < GROUP
            && let Ok(w) = rx.try_recv()
        {
            writes.push(w);
        }
        let Some(inner) = ledger.upgrade() else {
            return;
        };
        let before = tip;
        let mut group = Group {
            done: Vec::new(),
            refused: Vec::new(),
        };
        match write_group(&db, &inner.key, &mut tip, writes, &mut group) {
            Ok(()) => {
                // A group of only proofs or refusals leaves the chain as it was: no news.
                if !group.done.is_empty() {
                    inner.committed(tip);
                }
                // Not the last holder when a caller wakes and drops its handle: the ledger's
                // drop then finds this thread ended or ending.
                drop(inner);
                for (a, e) in group.done {
                    let _ = a.reply.send(Ok(e));
                }
            }
            Err(e) => {
                drop(inner);
                tracing::error!("ledger commit failed: {e}");
                tip = before;
                for (a, _) in group.done {
                    let _ = a.reply.send(Err(LedgerError::Write(e.to_string())));
                }
            }
        }
        for (a, e) in group.refused {
            let _ = a.reply.send(Err(e));
        }
    }
}

/// The tables [`append_rules`] reads: receipts, holds, entries.
type RuleTables<'a, 'b> = (
    &'a redb::Table<'b, &'static [u8], u64>,
    &'a redb::Table<'b, &'static [u8], u64>,
    &'a redb::Table<'b, u64, &'static [u8]>,
);

/// An append's amount and the credits of the hold it closes, by the chain's rules (see
/// [`chain`]): no receipt or hold for a job already paid; a hold not already open and within
/// the bound; a release of an open hold whose time is up, for all of it; a spend within its
/// job's hold. The inner error refuses the append.
fn append_rules(
    a: &Append,
    owner: &NodeId,
    key: &[u8; 32],
    (receipts, holds, entries): RuleTables<'_, '_>,
    now: u64,
) -> Result<Result<(u64, u64), LedgerError>, redb::Error> {
    let paid = !matches!(a.payload, Payload::Release(_) | Payload::Grant(_))
        && receipts.get(key.as_slice())?.is_some();
    if paid {
        let job = match &a.payload {
            Payload::Earn { receipt: r, .. } | Payload::Spend(r) => r.job.clone(),
            Payload::Hold(h) | Payload::Release(h) => h.job.clone(),
            Payload::Grant(_) => String::new(),
        };
        return Ok(Err(LedgerError::Replay(job)));
    }
    let invalid = |m: String| Ok(Err(LedgerError::Invalid(m)));
    // What the verifier checks of a hold, checked before it is written: an entry an auditor
    // rejects would make this chain fail every audit from then on.
    if let Payload::Hold(h) = &a.payload {
        if let Err(m) = h.check(owner) {
            return invalid(m);
        }
        if a.amount == 0 {
            return invalid("a hold of no credits".into());
        }
    }
    let open = match holds.get(key.as_slice())? {
        Some(seq) => match entries.get(seq.value())? {
            Some(raw) => Entry::decode(raw.value()).ok(),
            None => None,
        },
        None => None,
    };
    match (&a.payload, open) {
        (Payload::Hold(h), Some(_)) => invalid(format!("job {} already holds credits", h.job)),
        (Payload::Hold(_), None) if holds.len()? >= chain::MAX_OPEN_HOLDS as u64 => {
            invalid(format!(
                "{} holds are open already (the most a chain may have)",
                chain::MAX_OPEN_HOLDS
            ))
        }
        (Payload::Release(h), None) => invalid(format!("job {} holds no credits", h.job)),
        (Payload::Release(h), Some(o))
            if now < o.time_ms + chain::HOLD_TTL_MS && !h.waived(&o.hash()) =>
        {
            invalid(format!(
                "the hold for job {} lasts until {} min after it was made",
                h.job,
                chain::HOLD_TTL_MS / 60_000
            ))
        }
        (Payload::Release(_), Some(o)) => Ok(Ok((o.amount, o.amount))),
        (Payload::Spend(r), Some(o)) if r.credits > o.amount => invalid(format!(
            "job {} pays {} credits, more than the {} it holds",
            r.job, r.credits, o.amount
        )),
        (Payload::Spend(_), Some(o)) => Ok(Ok((a.amount, o.amount))),
        _ => Ok(Ok((a.amount, 0))),
    }
}

/// Writes what rides along with the appends (proofs, debts, confirmations); an append is
/// handed back.
fn write_aside(
    w: Write,
    equivocators: &mut redb::Table<'_, &'static [u8], &'static str>,
    debts: &mut redb::Table<'_, &'static [u8], &'static str>,
    unconfirmed: &mut redb::Table<'_, &'static [u8], u64>,
) -> Result<Option<Append>, redb::Error> {
    match w {
        Write::Append(a) => return Ok(Some(a)),
        Write::Equivocation(peer, json) => {
            // The ledger sends at most its cap of proven keys; the table never holds more,
            // whatever it is sent.
            let cap = super::proofs::MAX_EQUIVOCATORS as u64;
            let known = equivocators.get(peer.as_bytes().as_slice())?.is_some();
            if known || equivocators.len()? < cap {
                equivocators.insert(peer.as_bytes().as_slice(), json.as_str())?;
            } else {
                tracing::warn!(
                    "the ledger file holds {cap} equivocation proofs already: the proof against \
                     {} is kept in memory only",
                    peer.short()
                );
            }
        }
        Write::ForgetEquivocation(peer) => {
            equivocators.remove(peer.as_bytes().as_slice())?;
        }
        Write::Debt(key, Some(json)) => {
            debts.insert(key.as_slice(), json.as_str())?;
        }
        Write::Debt(key, None) => {
            debts.remove(key.as_slice())?;
        }
        Write::Confirmed(key) => {
            unconfirmed.remove(key.as_slice())?;
        }
    }
    Ok(None)
}

/// Writes one group in one transaction, refusing replays and overdrafts one by one.
fn write_group(
    db: &Database,
    key: &iroh::SecretKey,
    tip: &mut Position,
    writes: Vec<Write>,
    group: &mut Group,
) -> Result<(), redb::Error> {
    let w = db.begin_write()?;
    {
        let mut entries = w.open_table(ENTRIES)?;
        let mut receipts = w.open_table(RECEIPTS)?;
        let mut equivocators = w.open_table(EQUIVOCATORS)?;
        let mut debts = w.open_table(DEBTS)?;
        let mut unconfirmed = w.open_table(UNCONFIRMED)?;
        let mut holds = w.open_table(HOLDS)?;
        let owner = NodeId::from(key);
        for a in writes {
            let Some(a) = write_aside(a, &mut equivocators, &mut debts, &mut unconfirmed)? else {
                continue;
            };
            let job_key = match &a.payload {
                Payload::Earn { receipt: r, .. } | Payload::Spend(r) => r.replay_key(),
                Payload::Hold(h) | Payload::Release(h) => h.key(&owner),
                Payload::Grant(_) => [0; 32],
            };
            let now = now_ms().max(tip.time_ms);
            let tables = (&receipts, &holds, &entries);
            let (amount, held) = match append_rules(&a, &owner, &job_key, tables, now)? {
                Ok(x) => x,
                Err(e) => {
                    group.refused.push((a, e));
                    continue;
                }
            };
            let Some(e) = tip.append(key, amount, held, a.payload.clone(), now) else {
                let e = LedgerError::Short {
                    balance: tip.balance,
                    available: tip.balance,
                };
                group.refused.push((a, e));
                continue;
            };
            let raw = e.encode();
            entries.insert(e.seq, raw.as_slice())?;
            if let Some(r) = e.receipt() {
                receipts.insert(r.replay_key().as_slice(), e.seq)?;
            }
            // A payment stays to be confirmed by its worker (in the same commit as the spend).
            if let Payload::Spend(r) = &e.payload {
                unconfirmed.insert(r.replay_key().as_slice(), e.seq)?;
            }
            if let Payload::Hold(_) = &e.payload {
                holds.insert(job_key.as_slice(), e.seq)?;
            } else if held > 0 {
                holds.remove(job_key.as_slice())?;
            }
            *tip = Position::after(&e, &raw);
            group.done.push((a, e));
        }
    }
    // Durability::Immediate is redb's default: the commit returns after the fsync.
    w.commit()?;
    Ok(())
}
