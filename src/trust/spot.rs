//! Which finished jobs a requester checks, and what it remembers of each worker's checks.
//!
//! Adaptive, as BOINC's adaptive replication is: a worker with no run of verified work is
//! checked on every job; once its run of jobs that passed grows past [`PROBATION`], the rate
//! falls as `PROBATION / run`, never below [`FLOOR`]; a failure starts the run again from zero
//! (and the worker is banned besides). Which jobs are checked is drawn at random when the job
//! ends, after the worker has streamed it: the worker cannot know.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::ids::NodeId;

/// Jobs checked every time before the rate starts to fall.
pub const PROBATION: u32 = 10;
/// The lowest rate: one job in twenty, however long the run.
pub const FLOOR: f64 = 0.05;
/// Workers remembered (the least checked are forgotten first past it).
const MAX_WORKERS: usize = 4096;

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

/// The records of the workers this node checked.
#[derive(Debug, Default)]
pub struct Checks {
    records: Mutex<HashMap<NodeId, Record>>,
}

impl Checks {
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

    /// Records a check's outcome; returns the worker's record after it.
    pub fn record(&self, worker: &NodeId, passed: bool) -> Record {
        let mut all = self.records.lock().expect("checks");
        if all.len() >= MAX_WORKERS && !all.contains_key(worker) {
            let least = all.iter().min_by_key(|(_, r)| r.passed + r.failed);
            if let Some(k) = least.map(|(k, _)| *k) {
                all.remove(&k);
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
