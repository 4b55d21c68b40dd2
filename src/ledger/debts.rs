//! Debts: promises a requester signed for work it received and did not pay. A promise is in the
//! requester's own hand, so anyone can check a debt; a worker keeps the debts owed to it (in the
//! ledger file), announces them, and every honest node refuses the debtor until an audit of its
//! chain shows a spend that pays the promise (same job, same worker, at least the credits).
//! The worker then records its earning with that spend, so no credit is lost on the way.
//!
//! A node told of a debt of its own (its own signature: it owes it) pays it at once if it can.
//!
//! Other nodes' debts are bounded per worker that announced them, per debtor and in all (see
//! `make_room`): a flood of debts among made-up keys pushes out only its own.

use std::collections::HashMap;

use super::chain::Promise;
use super::{Ledger, LedgerError};
use crate::ids::{NodeId, unix_now};

/// Debts of others kept at most (this node's own are always kept).
pub(super) const MAX_FOREIGN_DEBTS: usize = 4096;
/// Debts of others kept per worker that announced them at most: past it, that worker's oldest
/// goes, so one announcer's flood pushes out only its own.
pub(super) const DEBTS_PER_WORKER: usize = 64;
/// Debts of others kept per debtor at most: past it, a new one is not kept (one debt refuses
/// the debtor already). Not its oldest pushed out: a debtor could then sign promises to keys of
/// its own, push out a real worker's debt, and pay its own keys to be let in again.
pub(super) const DEBTS_PER_DEBTOR: usize = 16;

/// A promise not paid.
#[derive(Debug, Clone)]
pub struct Debt {
    pub promise: Promise,
    /// Owed to this node.
    pub own: bool,
    pub noted_unix: u64,
    /// When it was noted, in order (see [`next_order`]).
    pub(super) order: u64,
}

/// The order in which debts were noted (seconds are too coarse to tell a flood's from the
/// debts held before it).
static NOTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The next number in the order debts are noted.
pub(super) fn next_order() -> u64 {
    NOTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Makes room among other nodes' debts for one of `r`'s debtor announced by `r`'s worker:
/// false if it is not to be kept. Debts too old to be paid go first (refusing their debtors
/// for them would be for ever); then the per-worker and per-debtor caps apply; and when all
/// [`MAX_FOREIGN_DEBTS`] places are taken, the newest debt whose debtor has another one goes
/// (refusing nobody less), else the newest: a flood of debts among made-up keys pushes out
/// its own, never the debts held before it.
fn make_room(debts: &mut Debts, r: &super::Receipt, now_ms: u64) -> bool {
    debts.retain(|_, d| {
        d.own
            || d.promise
                .receipt
                .time_ms
                .saturating_add(super::RECORD_AGE_MS)
                >= now_ms
    });
    let mut foreign = 0;
    let mut per_debtor: HashMap<NodeId, usize> = HashMap::new();
    let mut of_worker: Vec<(u64, [u8; 32])> = Vec::new();
    for (k, d) in debts.iter().filter(|(_, d)| !d.own) {
        foreign += 1;
        *per_debtor.entry(d.promise.receipt.requester).or_default() += 1;
        if d.promise.receipt.worker == r.worker {
            of_worker.push((d.order, *k));
        }
    }
    if per_debtor.get(&r.requester).copied().unwrap_or(0) >= DEBTS_PER_DEBTOR {
        return false;
    }
    if of_worker.len() >= DEBTS_PER_WORKER {
        if let Some((_, k)) = of_worker.iter().min() {
            debts.remove(k);
        }
        return true;
    }
    if foreign < MAX_FOREIGN_DEBTS {
        return true;
    }
    let victim = debts
        .iter()
        .filter(|(_, d)| !d.own)
        .max_by_key(|(_, d)| {
            let of_debtor = per_debtor.get(&d.promise.receipt.requester).copied();
            (of_debtor.unwrap_or(0) > 1, d.order)
        })
        .map(|(k, _)| *k);
    if let Some(k) = victim {
        debts.remove(&k);
    }
    true
}

/// The debts this node knows, by the promise's replay key.
pub(super) type Debts = HashMap<[u8; 32], Debt>;

impl Ledger {
    /// A promise owed to this node and not paid (a requester that left without paying): kept
    /// in the file and announced until the debtor pays.
    pub fn note_debt(&self, promise: Promise) {
        let key = promise.receipt.replay_key();
        let json = serde_json::to_string(&promise).expect("serializes");
        tracing::warn!(
            "job {}: requester {} owes this node {} credits (its signed promise); refused by \
             every honest node until it pays",
            promise.receipt.job,
            promise.receipt.requester.short(),
            promise.receipt.credits
        );
        self.inner.debts.lock().expect("debts").insert(
            key,
            Debt {
                promise,
                own: true,
                noted_unix: unix_now(),
                order: next_order(),
            },
        );
        if let Err(e) = self
            .inner
            .store
            .send(super::store::Write::Debt(key, Some(json)))
        {
            tracing::warn!("could not record the debt: {e}");
        }
    }

    /// A debt another node announced: kept if the debtor signed it and it is priced as the
    /// catalog says. Returns whether it was new.
    pub fn adopt_debt(&self, promise: &Promise) -> Result<bool, String> {
        promise.check()?;
        self.check_price(&promise.receipt)?;
        let key = promise.receipt.replay_key();
        if promise.receipt.time_ms.saturating_add(super::RECORD_AGE_MS) < crate::ids::now_ms() {
            // Too old to be paid any more: refusing the debtor for it would be for ever.
            return Ok(false);
        }
        if self.audited_pays(&promise.receipt.requester, &key, promise.receipt.credits) {
            return Err("the debtor's chain already records that payment".into());
        }
        let mut debts = self.inner.debts.lock().expect("debts");
        if debts.contains_key(&key) {
            return Ok(false);
        }
        let own = promise.receipt.worker == self.inner.id;
        if !own && !make_room(&mut debts, &promise.receipt, crate::ids::now_ms()) {
            return Ok(false);
        }
        debts.insert(
            key,
            Debt {
                promise: promise.clone(),
                own,
                noted_unix: unix_now(),
                order: next_order(),
            },
        );
        Ok(true)
    }

    /// Drops the debt of `requester` to `worker` for `job`: a fraud proof shows the work failed
    /// its check (or disputes it), so it is not held against the requester here; `why` says
    /// which, for the log. Whether there was one.
    pub fn void_debt(&self, job: &str, requester: &NodeId, worker: &NodeId, why: &str) -> bool {
        let key = super::chain::job_key(job, requester, worker);
        let Some(d) = self.inner.debts.lock().expect("debts").remove(&key) else {
            return false;
        };
        if d.own {
            let _ = self.inner.store.send(super::store::Write::Debt(key, None));
        }
        tracing::warn!(
            "the debt of {} to {} for job {job} ({} credits) is void here: {why}",
            requester.short(),
            worker.short(),
            d.promise.receipt.credits
        );
        true
    }

    /// An unpaid debt of `peer`, if it has one (one its audited chain pays is dropped).
    pub fn debt_of(&self, peer: &NodeId) -> Option<Promise> {
        let debts: Vec<Promise> = self
            .inner
            .debts
            .lock()
            .expect("debts")
            .values()
            .filter(|d| d.promise.receipt.requester == *peer)
            .map(|d| d.promise.clone())
            .collect();
        for p in debts {
            let key = p.receipt.replay_key();
            // Paid in a part of its chain audited before the debt was heard of (another
            // node's debt: this node's own are collected, with the spend, by an audit).
            if p.receipt.worker != self.inner.id && self.audited_pays(peer, &key, p.receipt.credits)
            {
                self.paid(&key, p.receipt.credits);
                continue;
            }
            return Some(p);
        }
        None
    }

    /// How many other nodes' debts this node holds.
    pub fn debts_held(&self) -> usize {
        let debts = self.inner.debts.lock().expect("debts");
        debts.values().filter(|d| !d.own).count()
    }

    /// The debts owed to this node, newest first.
    pub fn own_debts(&self) -> Vec<Promise> {
        let mut v: Vec<_> = self
            .inner
            .debts
            .lock()
            .expect("debts")
            .values()
            .filter(|d| d.own)
            .map(|d| (d.noted_unix, d.promise.clone()))
            .collect();
        v.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
        v.into_iter().map(|(_, p)| p).collect()
    }

    /// Whether a debt with this replay key is known.
    pub fn owes(&self, key: &[u8; 32]) -> bool {
        self.inner.debts.lock().expect("debts").contains_key(key)
    }

    /// A spend of `amount` with replay key `key` was seen in its payer's audited chain: the debt
    /// it pays, if any, is cleared. Returns whether that debt was owed to this node.
    pub(super) fn paid(&self, key: &[u8; 32], amount: u64) -> Option<bool> {
        let mut debts = self.inner.debts.lock().expect("debts");
        let d = debts.get(key)?;
        if amount < d.promise.receipt.credits {
            return None;
        }
        let own = d.own;
        debts.remove(key);
        drop(debts);
        if own {
            let _ = self.inner.store.send(super::store::Write::Debt(*key, None));
        }
        Some(own)
    }

    /// Its worker confirmed this payment (or it is too old to deliver any more).
    pub fn confirm(&self, r: &super::Receipt) {
        let _ = self
            .inner
            .store
            .send(super::store::Write::Confirmed(r.replay_key()));
    }

    /// This node's payments not confirmed by their workers yet (spend entries), at most `limit`
    /// from the `skip`-th on (wrapping). Blocking.
    pub fn unconfirmed(&self, skip: usize, limit: usize) -> Result<Vec<Vec<u8>>, LedgerError> {
        self.inner.store.unconfirmed(skip, limit)
    }

    /// The seq of this chain's entry recording `r`'s receipt, if any. Blocking.
    pub fn recorded_at(&self, r: &super::Receipt) -> Result<Option<u64>, LedgerError> {
        self.inner.store.recorded_at(&r.replay_key())
    }

    /// A debt of this node's own (it signed the promise): pays it now, unless its chain already
    /// does. Returns the credits paid.
    pub async fn pay_own_debt(&self, promise: &Promise) -> Result<u64, LedgerError> {
        let r = &promise.receipt;
        if r.requester != self.inner.id || !r.signed_by(&self.inner.id, &promise.sig) {
            return Err(LedgerError::Invalid("not a promise of this node's".into()));
        }
        // A job whose settlement is still under way here (its answer being checked before it
        // is paid): that settlement decides, not a debt its worker announced meanwhile.
        if self.is_live(&r.replay_key()) {
            return Ok(0);
        }
        let (l, job, worker) = (self.clone(), r.job.clone(), r.worker);
        let recorded = tokio::task::spawn_blocking(move || {
            l.recorded(&crate::ids::JobId::from(job), &l.id(), &worker)
        })
        .await
        .map_err(|e| LedgerError::Read(e.to_string()))??;
        if recorded {
            return Ok(0);
        }
        // A job whose hold is still open pays from it (the balance is short of it meanwhile).
        let (l, key) = (self.clone(), r.replay_key());
        let open = tokio::task::spawn_blocking(move || l.inner.store.open_hold(&key))
            .await
            .map_err(|e| LedgerError::Read(e.to_string()))??;
        let hold = match open {
            Some(h) if h.amount >= r.credits => super::Hold {
                ledger: self.clone(),
                amount: h.amount,
                on_chain: true,
                live: None,
            },
            _ => self.hold(r.credits)?,
        };
        let e = self.spend(hold, r.clone()).await?;
        tracing::warn!(
            "paid {} credits owed to {} for job {} (a promise this node signed; the job's \
             settlement had failed)",
            e.amount,
            r.worker.short(),
            r.job
        );
        Ok(e.amount)
    }
}
