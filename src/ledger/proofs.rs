//! Proofs about peers' chains: the signed heads a peer showed, and the equivocations they prove
//! (two heads of one key for one seq with different hashes).
//!
//! A proof of equivocation is self-contained: any node checks it with nothing else to trust.
//! Adopted proofs are kept (in memory, and those this node saw proven in the ledger file, both
//! bounded: see [`Equivocators`]), refused keys stay refused, and the network spreads them
//! ([`super::LedgerEvent::Equivocation`]).

use serde::{Deserialize, Serialize};

use super::chain::{Entry, Head, Proof, Statement};
use super::{Ledger, LedgerEvent};
use crate::ids::{NodeId, unix_now};

/// Signed heads remembered per peer (to catch a fork at any recent seq).
pub(super) const HEADS_PER_PEER: usize = 32;
/// Requesters' heads of accepted payments announced at most.
const PAID_HEADS: usize = 8;
/// Keys refused as proven forked, at most (see [`Equivocators`] for which give way). Also the
/// most rows the ledger file keeps of them.
pub(super) const MAX_EQUIVOCATORS: usize = 65_536;
/// Full proofs of equivocation kept in memory at most (to show and spread): a proof may carry
/// a whole entry, so fewer are kept than keys refused (a key whose proof gave way stays
/// refused). A hearsay proof gives way first, then the oldest.
pub(super) const MAX_PROOFS: usize = 4096;

/// Chains whose heads this node keeps as a witness only, at most.
const WITNESSED_OWNERS: usize = 4096;
/// Heads kept per witnessed chain.
const WITNESSED_HEADS: usize = 16;

/// Heads shown to this node as a witness, of chains it does not deal with itself (bounded
/// apart from the audit books, so a flood of made-up keys cannot push those out): by owner,
/// when last touched and the heads by seq.
#[derive(Default)]
pub(super) struct Witnessed {
    owners: std::collections::HashMap<NodeId, (u64, std::collections::BTreeMap<u64, Head>)>,
    clock: u64,
}

/// What refusing a forked key takes: small, so many are kept.
#[derive(Debug, Clone, Copy)]
struct Ban {
    /// The seq at which it forked.
    seq: u64,
    /// See [`Equivocation::hearsay`].
    hearsay: bool,
}

/// The keys proven to have forked their chains, and the proofs.
///
/// A proof costs its maker only signatures. One about a key this node never dealt with
/// (hearsay) gives way, oldest first, when the list is full. A proven key (a fork seen here, or
/// proven of a key this node dealt with) never gives way: refusing it is for good, and a flood
/// of made-up keys must not lift a real ban. When every place holds a proven key, a new proof
/// is not kept (and logged) instead.
#[derive(Default)]
pub(super) struct Equivocators {
    banned: std::collections::HashMap<NodeId, Ban>,
    /// The hearsay keys, oldest first (one proven since is skipped when met).
    hearsay: std::collections::VecDeque<NodeId>,
    /// The full proofs, of [`MAX_PROOFS`] keys at most.
    proofs: std::collections::HashMap<NodeId, Equivocation>,
    /// The proofs in the order they give way: by [`proof_rank`], the first goes first.
    order: std::collections::BTreeSet<(bool, u64, NodeId)>,
    /// Proofs not kept since the start because the list was full of proven keys.
    refused: u64,
}

/// What [`Equivocators::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Added {
    /// A key not refused before: refused now.
    New,
    /// A key refused on hearsay, now proven: it stays refused for good.
    Proven,
    /// Nothing new.
    Known,
    /// Every place holds a proven key: not kept.
    Full,
}

/// Where a proof stands in the order proofs give way: hearsay first, then the oldest.
fn proof_rank(e: &Equivocation) -> (bool, u64, NodeId) {
    (!e.hearsay, e.detected_unix, e.peer)
}

impl Equivocators {
    /// The proven equivocations read from the ledger file (the oldest first get a place).
    pub(super) fn loaded(mut v: Vec<(NodeId, Equivocation)>) -> Equivocators {
        v.sort_by_key(|(_, e)| e.detected_unix);
        let mut all = Equivocators::default();
        for (peer, mut e) in v {
            // The key it is stored under is the one refused (and the proof checked it then).
            e.peer = peer;
            all.add(e);
        }
        all
    }

    pub(super) fn contains(&self, peer: &NodeId) -> bool {
        self.banned.contains_key(peer)
    }

    /// How many keys are refused, and how many full proofs are kept.
    #[cfg(test)]
    pub(super) fn sizes(&self) -> (usize, usize) {
        (self.banned.len(), self.proofs.len())
    }

    /// Refuses `eq`'s key (see the type's docs).
    pub(super) fn add(&mut self, eq: Equivocation) -> Added {
        let peer = eq.peer;
        if let Some(b) = self.banned.get_mut(&peer) {
            if !b.hearsay || eq.hearsay {
                return Added::Known;
            }
            b.hearsay = false;
            self.keep_proof(eq);
            return Added::Proven;
        }
        if self.banned.len() >= MAX_EQUIVOCATORS && !self.drop_hearsay() {
            self.refused += 1;
            return Added::Full;
        }
        let ban = Ban {
            seq: eq.seq,
            hearsay: eq.hearsay,
        };
        self.banned.insert(peer, ban);
        if eq.hearsay {
            self.hearsay.push_back(peer);
        }
        self.keep_proof(eq);
        Added::New
    }

    /// Lifts the proven ban of one key `dealt` says this node has no dealings with, to make
    /// room for a key it has: a flood of throwaway keys that forked only their own chains
    /// harms nobody here and must not keep a forking trading partner from being refused.
    /// Returns the key lifted.
    pub(super) fn lift_one_without_dealings(
        &mut self,
        dealt: impl Fn(&NodeId) -> bool,
    ) -> Option<NodeId> {
        let victim = self.banned.keys().find(|k| !dealt(k)).copied()?;
        self.banned.remove(&victim);
        if let Some(e) = self.proofs.remove(&victim) {
            self.order.remove(&proof_rank(&e));
        }
        Some(victim)
    }

    /// Lifts the oldest ban on hearsay; whether there was one.
    fn drop_hearsay(&mut self) -> bool {
        while let Some(k) = self.hearsay.pop_front() {
            if self.banned.get(&k).is_some_and(|b| b.hearsay) {
                self.banned.remove(&k);
                if let Some(e) = self.proofs.remove(&k) {
                    self.order.remove(&proof_rank(&e));
                }
                return true;
            }
        }
        false
    }

    /// Keeps `eq` in full. Past [`MAX_PROOFS`] the first by [`proof_rank`] gives way (its key
    /// stays refused), but a hearsay proof never pushes out a proven one.
    fn keep_proof(&mut self, eq: Equivocation) {
        if let Some(old) = self.proofs.remove(&eq.peer) {
            self.order.remove(&proof_rank(&old));
        } else if self.proofs.len() >= MAX_PROOFS {
            let Some(&first) = self.order.first() else {
                return;
            };
            if eq.hearsay && first.0 {
                return;
            }
            self.order.remove(&first);
            self.proofs.remove(&first.2);
        }
        self.order.insert(proof_rank(&eq));
        self.proofs.insert(eq.peer, eq);
    }
}

/// A key caught signing two chains.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Equivocation {
    pub peer: NodeId,
    pub seq: u64,
    pub detected_unix: u64,
    pub proof: Proof,
    /// About a key this node had not dealt with when it heard the proof: such proofs give way
    /// first when the list is full (a flood of proofs about made-up keys costs nothing to make).
    #[serde(default)]
    pub hearsay: bool,
}

impl Ledger {
    /// The known equivocations, newest first.
    pub fn equivocators(&self) -> Vec<Equivocation> {
        let mut v: Vec<Equivocation> = self
            .inner
            .equivocators
            .lock()
            .expect("equivocators")
            .proofs
            .values()
            .cloned()
            .collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.detected_unix));
        v
    }

    /// The seq at which a peer was proven to fork its chain, if it was.
    pub fn fork_seq(&self, peer: &NodeId) -> Option<u64> {
        self.inner
            .equivocators
            .lock()
            .expect("equivocators")
            .banned
            .get(peer)
            .map(|b| b.seq)
    }

    /// Remembers a requester's head for a payment this node accepted: announced, so that every
    /// node sees it and a requester that showed other workers another chain is proven forked.
    pub fn note_paid_head(&self, head: Head) {
        let mut heads = self.inner.paid_heads.lock().expect("paid heads");
        heads.push_front(head);
        heads.truncate(PAID_HEADS);
    }

    /// The requesters' heads of the latest payments this node accepted, newest first.
    pub fn paid_heads(&self) -> Vec<Head> {
        self.inner
            .paid_heads
            .lock()
            .expect("paid heads")
            .iter()
            .cloned()
            .collect()
    }

    /// The proof that `peer` forked its chain, if this node holds one in full (a key refused
    /// long ago may have had its proof give way to newer ones; it stays refused).
    pub fn equivocation_of(&self, peer: &NodeId) -> Option<Equivocation> {
        self.inner
            .equivocators
            .lock()
            .expect("equivocators")
            .proofs
            .get(peer)
            .cloned()
    }

    pub fn is_equivocator(&self, peer: &NodeId) -> bool {
        self.inner
            .equivocators
            .lock()
            .expect("equivocators")
            .contains(peer)
    }

    /// The latest head a peer signed that this node saw.
    pub fn peer_head(&self, peer: &NodeId) -> Option<Head> {
        self.inner
            .books
            .lock()
            .expect("books")
            .get(peer)
            .and_then(|b| b.heads.values().next_back().cloned())
    }

    /// Whether this node has dealt with `peer`'s chain (a head of it seen in an audit, a job, an
    /// announcement of its own).
    pub fn knows(&self, peer: &NodeId) -> bool {
        self.inner.books.lock().expect("books").contains_key(peer)
    }

    /// Takes note of a head a peer signed. Returns a new proof if it contradicts one seen
    /// before. The caller checked nothing: a bad signature is an error.
    pub fn observe_head(&self, head: &Head) -> Result<Option<Proof>, String> {
        if !head.valid() {
            return Err("a ledger head with a bad signature".into());
        }
        if head.owner == self.inner.id {
            self.own_head_seen(head, None);
            return Ok(None);
        }
        let conflict = {
            let mut books = self.inner.books.lock().expect("books");
            let book = super::audit::book_of(&mut books, &head.owner);
            match book.heads.get(&head.seq) {
                Some(h) if h.hash != head.hash => Some(Proof {
                    a: h.clone(),
                    b: Statement::Head(head.clone()),
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

    /// Keeps a head a worker showed this node as a witness of its owner's chain. Returns a proof
    /// if it contradicts a head of that seq seen before (adopted here, so it spreads). A chain
    /// this node deals with is kept in its book (as [`Ledger::observe_head`]); another, apart
    /// and bounded.
    pub fn witness_head(&self, head: &Head) -> Result<Option<Proof>, String> {
        if self.knows(&head.owner) || head.owner == self.inner.id {
            return self.observe_head(head);
        }
        if !head.valid() {
            return Err("a ledger head with a bad signature".into());
        }
        let conflict = {
            let mut w = self.inner.witnessed.lock().expect("witnessed");
            w.clock += 1;
            let clock = w.clock;
            if !w.owners.contains_key(&head.owner)
                && w.owners.len() >= WITNESSED_OWNERS
                && let Some(old) = w.owners.iter().min_by_key(|(_, v)| v.0).map(|(k, _)| *k)
            {
                w.owners.remove(&old);
            }
            let (touched, heads) = w.owners.entry(head.owner).or_default();
            *touched = clock;
            match heads.get(&head.seq) {
                Some(h) if h.hash != head.hash => Some(Proof {
                    a: h.clone(),
                    b: Statement::Head(head.clone()),
                }),
                Some(_) => None,
                None => {
                    heads.insert(head.seq, head.clone());
                    while heads.len() > WITNESSED_HEADS {
                        heads.pop_first();
                    }
                    None
                }
            }
        };
        match conflict {
            Some(p) => {
                self.adopt_hearsay(p.clone())?;
                Ok(Some(p))
            }
            None => Ok(None),
        }
    }

    /// The latest head of `owner` this node holds, from its books or as a witness.
    pub fn latest_head(&self, owner: &NodeId) -> Option<Head> {
        let witnessed = self
            .inner
            .witnessed
            .lock()
            .expect("witnessed")
            .owners
            .get(owner)
            .and_then(|(_, h)| h.values().next_back().cloned());
        match (self.peer_head(owner), witnessed) {
            (Some(a), Some(b)) => Some(if a.seq >= b.seq { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    /// Records a proof of equivocation (checked here). Returns it if it was new.
    pub fn adopt(&self, proof: Proof) -> Result<Option<Proof>, String> {
        self.adopt_as(proof, false)
    }

    /// Records a proof about a key this node has not dealt with (see
    /// [`Equivocation::hearsay`]).
    pub fn adopt_hearsay(&self, proof: Proof) -> Result<Option<Proof>, String> {
        self.adopt_as(proof, true)
    }

    fn adopt_as(&self, proof: Proof, hearsay: bool) -> Result<Option<Proof>, String> {
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
        let eq = Equivocation {
            peer,
            seq: proof.a.seq,
            detected_unix: unix_now(),
            proof: proof.clone(),
            hearsay,
        };
        let (mut added, mut refused) = {
            let mut m = self.inner.equivocators.lock().expect("equivocators");
            (m.add(eq.clone()), m.refused)
        };
        if added == Added::Full && self.deals_with(&peer) {
            // The keys dealt with, read before the list is locked (one lock at a time).
            let dealt: std::collections::HashSet<NodeId> = {
                let books = self.inner.books.lock().expect("books");
                books
                    .iter()
                    .filter(|(_, b)| b.matters())
                    .map(|(k, _)| *k)
                    .collect()
            };
            let mut m = self.inner.equivocators.lock().expect("equivocators");
            if let Some(k) = m.lift_one_without_dealings(|k| dealt.contains(k)) {
                tracing::info!(
                    "lifted the ban of {} (a forked key this node never dealt with) to \
                         refuse {}, which it deals with",
                    k.short(),
                    peer.short()
                );
                let _ = self
                    .inner
                    .store
                    .send(super::store::Write::ForgetEquivocation(k));
                added = m.add(eq.clone());
                refused = m.refused;
            }
        }
        match added {
            Added::Known => return Ok(None),
            Added::Full => {
                // Logged now and then: a flood of proofs would fill the log.
                if refused.is_power_of_two() {
                    tracing::warn!(
                        "peer {} signed two different ledger heads for seq {}, but {} keys are \
                         refused already as proven forked (the most kept): not refused here \
                         ({refused} such proofs since the start)",
                        peer.short(),
                        eq.seq,
                        MAX_EQUIVOCATORS
                    );
                }
                return Ok(None);
            }
            Added::Proven => {
                // Refused already (on hearsay): kept for good now, nothing new to tell.
                self.persist_equivocation(&eq);
                return Ok(None);
            }
            Added::New => {
                tracing::warn!(
                    "peer {} signed two different ledger heads for seq {}: refused from now on",
                    peer.short(),
                    eq.seq
                );
                // Hearsay stays in memory only: the file keeps what this node saw proven, so
                // a flood of proofs about made-up keys never grows it.
                if !hearsay {
                    self.persist_equivocation(&eq);
                }
            }
        }
        let _ = self.inner.events.send(LedgerEvent::Equivocation { peer });
        Ok(Some(proof))
    }

    /// Keeps a proven equivocation for the next start, by the writer thread (a write
    /// transaction waits for its group commit and fsyncs: not on the caller's thread).
    /// Whether this node has dealings with `peer` that a fork of its chain could hurt: an
    /// audit of it, earnings it voided or has not backed yet.
    fn deals_with(&self, peer: &NodeId) -> bool {
        self.inner
            .books
            .lock()
            .expect("books")
            .get(peer)
            .is_some_and(super::audit::Book::matters)
    }

    fn persist_equivocation(&self, eq: &Equivocation) {
        let json = match serde_json::to_string(eq) {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!("could not record the equivocation proof: {e}");
                return;
            }
        };
        if let Err(e) = self
            .inner
            .store
            .send(super::store::Write::Equivocation(eq.peer, json))
        {
            tracing::warn!("could not record the equivocation proof: {e}");
        }
    }

    /// Why this chain must not grow, if peers showed a later one of this identity.
    pub fn stale(&self) -> Option<String> {
        self.inner.stale.lock().expect("stale").clone()
    }

    /// A head of this node's own identity, from a peer: if it is beyond this chain's end, or
    /// disagrees with this chain at its seq (`ours`: the hash this chain holds there, when the
    /// caller read it), this ledger file is behind the chain peers saw (lost, or restored from
    /// an old backup). Appending now would fork it and get this identity refused for good, so
    /// the chain stops growing and the user is told what to do.
    pub fn own_head_seen(&self, head: &Head, ours: Option<[u8; 32]>) {
        if head.owner != self.inner.id || !head.valid() {
            return;
        }
        let tip = self.inner.state.lock().expect("ledger state").tip;
        let behind = head.seq >= tip.next;
        let differs = ours.is_some_and(|h| h != head.hash);
        if !behind && !differs {
            return;
        }
        let why = format!(
            "peers hold a chain of this identity up to seq {} (balance {}) that this ledger file \
             ({} entries) does not have: ledger.redb was lost or restored from an old backup. \
             Spending or earning now would fork the chain and every node would refuse this \
             identity for good, so this node neither spends nor earns. Either restore the \
             ledger.redb that holds seq {} (a later backup), or start a new identity: stop the \
             node and move node.key and ledger.redb out of the data dir (this identity's \
             credits stay with it)",
            head.seq, head.balance, tip.next, head.seq
        );
        let mut stale = self.inner.stale.lock().expect("stale");
        if stale.is_none() {
            tracing::error!("{why}");
            *stale = Some(why);
        }
    }

    /// The hash of this chain's entry at `seq`, if it has one. Blocking.
    pub fn own_hash_at(&self, seq: u64) -> Option<[u8; 32]> {
        let raw = self
            .entries_after(seq.checked_sub(1), 1)
            .ok()?
            .into_iter()
            .next()?;
        Some(*blake3::hash(&raw).as_bytes())
    }

    /// A signed head for one of this node's entries (sent with a payment, so the worker holds
    /// the requester's word for it).
    pub fn head_of(&self, e: &Entry) -> Head {
        Head::sign(&self.inner.key, e.seq, e.hash(), e.balance)
    }
}
