//! Which finished jobs a requester checks, and what it remembers of each worker's checks.
//!
//! Adaptive, as BOINC's adaptive replication is: a worker with no run of verified work is
//! checked on every job; once its run of jobs that passed grows past [`PROBATION`], the rate
//! falls as `PROBATION / run`, never below [`FLOOR`]; a failure starts the run again from zero
//! (and the worker is banned besides). Which jobs are checked is drawn at random when the job
//! ends, after the worker has streamed it: the worker cannot know.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use super::proof::FraudProof;
use crate::ids::NodeId;

/// The records, by worker id: `run u32 | passed u32 | failed u32`, big-endian.
const RECORDS: TableDefinition<&[u8; 32], [u8; 12]> = TableDefinition::new("checks");
/// The fraud proofs, by id: `kept_ms u64 | the proof as JSON`.
const PROOFS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("proofs");

/// Fraud proofs kept (the newest; the oldest goes first past it).
pub const MAX_PROOFS: usize = 64;

/// Jobs checked every time before the rate starts to fall.
pub const PROBATION: u32 = 10;
/// The lowest rate: one job in twenty, however long the run.
pub const FLOOR: f64 = 0.05;
/// Workers remembered, in memory and in the file (the least checked are forgotten first past
/// it, those that failed last: see [`keep_rank`]).
const MAX_WORKERS: usize = 4096;

/// How much a record is worth keeping: one with a failure over any without, then the most
/// failures, then the most checks passed. The least goes first.
fn keep_rank(r: &Record) -> (bool, u32, u32) {
    (r.failed > 0, r.failed, r.passed)
}

/// Keeps at most `keep` rows of the records table, the most worth keeping (see
/// [`keep_rank`]): a file written by an older version, or left past the cap by a write that
/// failed, is brought back within it.
fn prune_records(
    t: &mut redb::Table<'_, &'static [u8; 32], [u8; 12]>,
    keep: usize,
) -> Result<(), redb::StorageError> {
    if t.len()? <= keep as u64 {
        return Ok(());
    }
    let mut all = Vec::new();
    for row in t.iter()? {
        let (k, v) = row?;
        all.push((keep_rank(&Record::decode(v.value())), *k.value()));
    }
    // The most worth keeping first.
    all.sort_unstable_by(|a, b| b.cmp(a));
    for (_, k) in &all[keep.min(all.len())..] {
        t.remove(k)?;
    }
    Ok(())
}

/// What this node found checking one worker's answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    /// Checks passed in a row since the last failure.
    pub run: u32,
    pub passed: u32,
    pub failed: u32,
}

impl Record {
    /// The chance that its next job is checked.
    pub fn rate(&self) -> f64 {
        if self.run < PROBATION {
            1.0
        } else {
            (f64::from(PROBATION) / f64::from(self.run)).max(FLOOR)
        }
    }
}

impl Record {
    fn encode(&self) -> [u8; 12] {
        let mut b = [0; 12];
        b[..4].copy_from_slice(&self.run.to_be_bytes());
        b[4..8].copy_from_slice(&self.passed.to_be_bytes());
        b[8..].copy_from_slice(&self.failed.to_be_bytes());
        b
    }

    fn decode(b: [u8; 12]) -> Record {
        let at = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        Record {
            run: at(0),
            passed: at(4),
            failed: at(8),
        }
    }
}

/// The records of the workers this node checked, kept in `trust.redb` in the data dir so a
/// restart does not put a worker back on probation, nor a cheater back in good standing.
#[derive(Debug, Default)]
pub struct Checks {
    records: Mutex<HashMap<NodeId, Record>>,
    /// Workers forgotten in memory to make room, to remove from the file at the next save (at
    /// most [`MAX_WORKERS`]; past it, [`prune_records`] catches the rest).
    forgotten: Mutex<Vec<NodeId>>,
    /// The fraud proofs this node made or re-ran itself, oldest first.
    proofs: Mutex<VecDeque<FraudProof>>,
    db: Option<(PathBuf, Database)>,
}

impl Checks {
    /// Opens (or creates) the records at `path`. Blocking: call off the async runtime.
    pub fn open(path: &Path) -> Result<Checks, String> {
        let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let db = Database::create(path).map_err(|e| err(&e))?;
        let w = db.begin_write().map_err(|e| err(&e))?;
        {
            let mut t = w.open_table(RECORDS).map_err(|e| err(&e))?;
            prune_records(&mut t, MAX_WORKERS).map_err(|e| err(&e))?;
        }
        w.open_table(PROOFS).map_err(|e| err(&e))?;
        w.commit().map_err(|e| err(&e))?;
        let mut records = HashMap::new();
        let mut proofs = Vec::new();
        {
            let r = db.begin_read().map_err(|e| err(&e))?;
            let t = r.open_table(RECORDS).map_err(|e| err(&e))?;
            // Pruned to the cap above.
            for row in t.iter().map_err(|e| err(&e))?.take(MAX_WORKERS) {
                let (k, v) = row.map_err(|e| err(&e))?;
                records.insert(NodeId::from_bytes(*k.value()), Record::decode(v.value()));
            }
            let t = r.open_table(PROOFS).map_err(|e| err(&e))?;
            for row in t.iter().map_err(|e| err(&e))? {
                let (k, v) = row.map_err(|e| err(&e))?;
                let v = v.value();
                let kept = v
                    .get(..8)
                    .map(|b| u64::from_be_bytes(b.try_into().unwrap_or([0; 8])));
                match (kept, v.get(8..).map(serde_json::from_slice::<FraudProof>)) {
                    (Some(kept), Some(Ok(p))) => proofs.push((kept, p)),
                    // Kept, not deleted: what could not be read is not thrown away.
                    _ => tracing::warn!(
                        "{}: the fraud proof {} does not parse; skipped",
                        path.display(),
                        hex::encode(k.value())
                    ),
                }
            }
        }
        proofs.sort_by_key(|(kept, _)| *kept);
        Ok(Checks {
            records: Mutex::new(records),
            forgotten: Mutex::new(Vec::new()),
            proofs: Mutex::new(proofs.into_iter().map(|(_, p)| p).collect()),
            db: Some((path.to_path_buf(), db)),
        })
    }

    /// Keeps a fraud proof, durably; whether it is new here. The oldest goes past
    /// [`MAX_PROOFS`]. Blocking: call off the async runtime.
    pub fn keep_proof(&self, p: &FraudProof) -> Result<bool, String> {
        let id = p.id();
        let dropped = {
            let mut all = self.proofs.lock().expect("proofs");
            if all.iter().any(|q| q.id() == id) {
                return Ok(false);
            }
            let dropped = (all.len() >= MAX_PROOFS).then(|| all.pop_front()).flatten();
            all.push_back(p.clone());
            dropped
        };
        let Some((path, db)) = &self.db else {
            return Ok(true);
        };
        let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let mut value = crate::ids::now_ms().to_be_bytes().to_vec();
        value.extend(serde_json::to_vec(p).map_err(|e| err(&e))?);
        let w = db.begin_write().map_err(|e| err(&e))?;
        {
            let mut t = w.open_table(PROOFS).map_err(|e| err(&e))?;
            t.insert(&id, value.as_slice()).map_err(|e| err(&e))?;
            if let Some(old) = dropped {
                t.remove(&old.id()).map_err(|e| err(&e))?;
            }
        }
        w.commit().map_err(|e| err(&e))?;
        Ok(true)
    }

    /// The fraud proofs kept, oldest first.
    pub fn proofs(&self) -> Vec<FraudProof> {
        self.proofs
            .lock()
            .expect("proofs")
            .iter()
            .cloned()
            .collect()
    }

    /// Whether a proof kept here shows that `worker`'s answer to `requester` for `job` failed:
    /// that work is not paid, and a debt for it is void.
    pub fn proves(&self, job: &str, requester: &NodeId, worker: &NodeId) -> bool {
        let all = self.proofs.lock().expect("proofs");
        all.iter().any(|p| {
            let c = &p.commitment;
            c.job == job && c.requester == *requester && c.worker == *worker
        })
    }

    /// The proof kept against the job with key `key` (`ledger::chain::job_key` of its job,
    /// requester and worker).
    pub fn proof_of_job(&self, key: &[u8; 32]) -> Option<FraudProof> {
        let all = self.proofs.lock().expect("proofs");
        all.iter()
            .find(|p| {
                let c = &p.commitment;
                crate::ledger::chain::job_key(&c.job, &c.requester, &c.worker) == *key
            })
            .cloned()
    }

    /// The proof kept with id `id`.
    pub fn proof(&self, id: &[u8; 32]) -> Option<FraudProof> {
        let all = self.proofs.lock().expect("proofs");
        all.iter().find(|p| p.id() == *id).cloned()
    }

    /// Writes `worker`'s record durably, and removes those forgotten in memory since the last
    /// save: the file stays within [`MAX_WORKERS`] records, as memory does. Blocking: call off
    /// the async runtime.
    pub fn save(&self, worker: &NodeId, r: &Record) -> Result<(), String> {
        let Some((path, db)) = &self.db else {
            return Ok(());
        };
        let mut forgotten = std::mem::take(&mut *self.forgotten.lock().expect("forgotten"));
        {
            // One recorded again since it was forgotten stays.
            let records = self.records.lock().expect("checks");
            forgotten.retain(|k| k != worker && !records.contains_key(k));
        }
        let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let w = db.begin_write().map_err(|e| err(&e))?;
        {
            let mut t = w.open_table(RECORDS).map_err(|e| err(&e))?;
            t.insert(worker.as_bytes(), r.encode())
                .map_err(|e| err(&e))?;
            for k in &forgotten {
                t.remove(k.as_bytes()).map_err(|e| err(&e))?;
            }
            prune_records(&mut t, MAX_WORKERS).map_err(|e| err(&e))?;
        }
        w.commit().map_err(|e| err(&e))
    }

    /// Every worker's record.
    pub fn all(&self) -> HashMap<NodeId, Record> {
        self.records.lock().expect("checks").clone()
    }

    /// Whether to check a job `worker` just finished: drawn at its rate.
    pub fn pick(&self, worker: &NodeId) -> bool {
        let rate = self.get(worker).rate();
        rate >= 1.0 || (crate::ids::random_u64() as f64 / u64::MAX as f64) < rate
    }

    pub fn get(&self, worker: &NodeId) -> Record {
        self.records
            .lock()
            .expect("checks")
            .get(worker)
            .copied()
            .unwrap_or_default()
    }

    /// Notes that `worker`'s record was forgotten, for the next save to remove from the file.
    fn forget_on_disk(&self, worker: NodeId) {
        if self.db.is_none() {
            return;
        }
        let mut f = self.forgotten.lock().expect("forgotten");
        if f.len() < MAX_WORKERS {
            f.push(worker);
        }
    }

    /// Records a check's outcome; returns the worker's record after it.
    pub fn record(&self, worker: &NodeId, passed: bool) -> Record {
        let mut all = self.records.lock().expect("checks");
        if all.len() >= MAX_WORKERS && !all.contains_key(worker) {
            // A worker that failed goes last: a flood of new identities must not make this
            // node forget a cheater. When every record holds a failure (a flood of
            // self-incriminating throwaway keys), the one with the fewest goes, so memory stays
            // bounded and the workers that failed most are remembered.
            let least = all.iter().min_by_key(|(_, r)| keep_rank(r));
            if let Some(k) = least.map(|(k, _)| *k) {
                all.remove(&k);
                self.forget_on_disk(k);
            }
        }
        let r = all.entry(*worker).or_default();
        if passed {
            r.run = r.run.saturating_add(1);
            r.passed = r.passed.saturating_add(1);
        } else {
            r.run = 0;
            r.failed = r.failed.saturating_add(1);
        }
        *r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trust.redb");
        let w = NodeId::from(&iroh::SecretKey::generate());
        let checks = Checks::open(&path).unwrap();
        for passed in [true, true, false, true] {
            let r = checks.record(&w, passed);
            checks.save(&w, &r).unwrap();
        }
        drop(checks);
        let again = Checks::open(&path).unwrap();
        let r = again.get(&w);
        assert_eq!((r.run, r.passed, r.failed), (1, 3, 1));
        assert_eq!(again.all().len(), 1);
    }

    #[test]
    fn records_stay_bounded_and_keep_failures_longest() {
        let c = Checks::default();
        let key = |i: u32| {
            let mut b = [0u8; 32];
            b[..4].copy_from_slice(&i.to_be_bytes());
            NodeId::from_bytes(b)
        };
        // A cheater that failed twice, then a flood of keys that each failed once.
        c.record(&key(0), false);
        c.record(&key(0), false);
        for i in 1..MAX_WORKERS as u32 {
            c.record(&key(i), false);
        }
        // An honest worker's record still finds a place, and the count stays bounded.
        c.record(&key(u32::MAX), true);
        assert_eq!(c.all().len(), MAX_WORKERS);
        assert_eq!(c.get(&key(0)).failed, 2);
        assert_eq!(c.get(&key(u32::MAX)).passed, 1);
        // A clean record goes before any with a failure.
        c.record(&key(u32::MAX - 1), false);
        assert_eq!(c.get(&key(u32::MAX)).passed, 0);
        assert_eq!(c.get(&key(0)).failed, 2);
    }

    #[test]
    fn the_file_stays_bounded_and_keeps_failures() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trust.redb");
        let key = |i: u32| {
            let mut b = [0u8; 32];
            b[..4].copy_from_slice(&i.to_be_bytes());
            NodeId::from_bytes(b)
        };
        let rows = |c: &Checks| {
            let (_, db) = c.db.as_ref().unwrap();
            let r = db.begin_read().unwrap();
            r.open_table(RECORDS).unwrap().len().unwrap()
        };
        // A file past the cap, as an older version left it: a cheater among clean records.
        {
            let c = Checks::open(&path).unwrap();
            let (_, db) = c.db.as_ref().unwrap();
            let w = db.begin_write().unwrap();
            {
                let mut t = w.open_table(RECORDS).unwrap();
                let cheater = Record {
                    run: 0,
                    passed: 0,
                    failed: 1,
                };
                t.insert(key(0).as_bytes(), cheater.encode()).unwrap();
                let clean = Record {
                    run: 1,
                    passed: 1,
                    failed: 0,
                };
                for i in 1..2 * MAX_WORKERS as u32 {
                    t.insert(key(i).as_bytes(), clean.encode()).unwrap();
                }
            }
            w.commit().unwrap();
        }
        // Opened: both the file and memory within the cap, the cheater kept.
        let c = Checks::open(&path).unwrap();
        assert_eq!(rows(&c), MAX_WORKERS as u64);
        assert_eq!(c.all().len(), MAX_WORKERS);
        assert_eq!(c.get(&key(0)).failed, 1);
        // New workers: each save removes from the file the record memory forgot for it.
        for i in 0..10 {
            let w = key(u32::MAX - i);
            let r = c.record(&w, true);
            c.save(&w, &r).unwrap();
        }
        assert_eq!(rows(&c), MAX_WORKERS as u64);
        assert_eq!(c.all().len(), MAX_WORKERS);
        drop(c);
        let c = Checks::open(&path).unwrap();
        assert_eq!(c.get(&key(0)).failed, 1);
        assert_eq!(c.get(&key(u32::MAX - 9)).passed, 1);
    }

    #[test]
    fn the_rate_falls_with_a_run_of_passed_checks_and_a_failure_resets_it() {
        let checks = Checks::default();
        let w = NodeId::from(&iroh::SecretKey::generate());
        assert_eq!(checks.get(&w).rate(), 1.0);
        for _ in 0..PROBATION {
            assert!(checks.pick(&w));
            checks.record(&w, true);
        }
        assert_eq!(checks.get(&w).rate(), 1.0);
        for _ in 0..PROBATION {
            checks.record(&w, true);
        }
        assert_eq!(checks.get(&w).rate(), 0.5);
        for _ in 0..1000 {
            checks.record(&w, true);
        }
        assert_eq!(checks.get(&w).rate(), FLOOR);
        let r = checks.record(&w, false);
        assert_eq!((r.run, r.failed, r.rate()), (0, 1, 1.0));
    }
}
