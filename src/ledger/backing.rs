//! The backing of earnings: an earning counts only once its payer's chain is seen to hold the
//! spend it carries, at that seq. Every spend verified in any audited chain is remembered (by
//! hash, bounded), so an earning whose payer was audited before is backed at once; for the
//! rest, each audit checks the chains of at most [`PAYERS_PER_AUDIT`] payers (those owed the
//! most first), fetched from the payers themselves. An earning whose payer could not be reached
//! waits for a later audit and does not count meanwhile; one whose payer's chain holds another
//! entry at that seq, or fails verification (an unadmitted key, a broken chain), is void: it
//! never counts, at this auditor.

use std::collections::{HashMap, HashSet, VecDeque};

use super::Ledger;
use super::audit::{AuditError, Fetch, Target};
use crate::ids::NodeId;
use crate::tasks::Tasks;

/// Payers' chains one audit checks at most.
pub(super) const PAYERS_PER_AUDIT: usize = 4;
/// Spend hashes remembered at most (the oldest give way: their earnings are checked again).
const BACKED: usize = 1 << 18;

/// Spends seen in audited chains, by hash.
#[derive(Default)]
pub(super) struct Backed {
    set: HashSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
}

impl Backed {
    fn insert(&mut self, h: [u8; 32]) {
        if self.set.insert(h) {
            self.order.push_back(h);
            while self.order.len() > BACKED {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }
}

impl Ledger {
    /// Whether an audit saw a spend with this hash in its payer's chain.
    pub fn is_backed(&self, hash: &[u8; 32]) -> bool {
        self.inner.backed.lock().expect("backed").set.contains(hash)
    }

    /// Remembers spends verified in an audited chain.
    pub(super) fn note_spends(&self, spends: Vec<[u8; 32]>) {
        let mut b = self.inner.backed.lock().expect("backed");
        for h in spends {
            b.insert(h);
        }
    }

    /// Checks the backing of `peer`'s earnings (see the module docs). Returns the credits of
    /// its earnings that do not count now: not backed yet, or void.
    pub(super) async fn check_backing(
        &self,
        tasks: &Tasks,
        peer: &NodeId,
        fetch: impl Fetch,
    ) -> u64 {
        let payers = self.settle_backing(peer);
        for (payer, target) in payers {
            if payer == self.id() || payer == *peer {
                continue;
            }
            match self.audit_to(tasks, target, fetch.clone()).await {
                Ok(_) => {}
                // Not reachable now: its earnings wait.
                Err(AuditError::Fetch(_)) => {}
                Err(AuditError::Bad(why)) => {
                    tracing::warn!(
                        "earnings of {} paid by {} do not count: the payer's chain {why}",
                        peer.short(),
                        payer.short()
                    );
                    self.void_payer(peer, &payer);
                }
            }
        }
        self.settle_backing(peer);
        let books = self.inner.books.lock().expect("books");
        books.get(peer).map_or(0, |b| {
            b.void + b.unbacked.iter().map(|x| x.credits).sum::<u64>()
        })
    }

    /// Drops the earnings of `peer` that are now backed, voids those whose payer's audited
    /// chain holds another entry at that seq, and picks the payers to check next (those owed
    /// the most first): each with the latest spend of theirs that it relies on.
    fn settle_backing(&self, peer: &NodeId) -> Vec<(NodeId, Target)> {
        let backed = self.inner.backed.lock().expect("backed");
        let mut books = self.inner.books.lock().expect("books");
        // What each payer's audited chain says, for the check below.
        let known: HashMap<NodeId, (u64, std::collections::BTreeMap<u64, [u8; 32]>)> = {
            let Some(book) = books.get(peer) else {
                return Vec::new();
            };
            let payers: HashSet<NodeId> = book.unbacked.iter().map(|b| b.payer).collect();
            payers
                .into_iter()
                .filter_map(|p| {
                    let b = books.get(&p)?;
                    Some((p, (b.audited?.next, b.hashes.clone())))
                })
                .collect()
        };
        let Some(book) = books.get_mut(peer) else {
            return Vec::new();
        };
        let mut void = 0;
        let forks: HashMap<NodeId, u64> = book
            .unbacked
            .iter()
            .filter_map(|b| Some((b.payer, self.fork_seq(&b.payer)?)))
            .collect();
        book.unbacked.retain(|b| {
            // A payer proven forked: what it paid from the fork on is void (the branch that
            // paid it may not be the one others were shown); what it paid before stands.
            if forks.get(&b.payer).is_some_and(|f| b.seq >= *f) {
                void += b.credits;
                return false;
            }
            if backed.set.contains(&b.hash) {
                return false;
            }
            if let Some((next, hashes)) = known.get(&b.payer)
                && *next > b.seq
                && hashes.get(&b.seq).is_some_and(|h| *h != b.hash)
            {
                void += b.credits;
                return false;
            }
            true
        });
        book.void += void;
        let mut owed: HashMap<NodeId, (u64, Target)> = HashMap::new();
        for b in &book.unbacked {
            let e = owed.entry(b.payer).or_insert((
                0,
                Target {
                    owner: b.payer,
                    seq: b.seq,
                    hash: b.hash,
                },
            ));
            e.0 += b.credits;
            if b.seq > e.1.seq {
                e.1 = Target {
                    owner: b.payer,
                    seq: b.seq,
                    hash: b.hash,
                };
            }
        }
        let mut v: Vec<_> = owed.into_iter().collect();
        v.sort_by_key(|(_, (sum, _))| std::cmp::Reverse(*sum));
        v.into_iter()
            .take(super::backing::PAYERS_PER_AUDIT)
            .map(|(p, (_, t))| (p, t))
            .collect()
    }

    /// Every earning of `peer` paid by `payer` is void.
    fn void_payer(&self, peer: &NodeId, payer: &NodeId) {
        let mut books = self.inner.books.lock().expect("books");
        if let Some(book) = books.get_mut(peer) {
            let mut void = 0;
            book.unbacked.retain(|b| {
                let keep = b.payer != *payer;
                if !keep {
                    void += b.credits;
                }
                keep
            });
            book.void += void;
        }
    }
}
