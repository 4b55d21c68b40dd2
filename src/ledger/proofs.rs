//! Proofs about peers' chains: the signed heads a peer showed, and the equivocations they prove
//! (two heads of one key for one seq with different hashes).
//!
//! A proof of equivocation is self-contained: any node checks it with nothing else to trust.
//! Adopted proofs are kept (in memory and in the ledger file), refused keys stay refused, and
//! the network spreads them ([`super::LedgerEvent::Equivocation`]).

use serde::{Deserialize, Serialize};

use super::chain::{Entry, Head, Proof};
use super::{Ledger, LedgerEvent};
use crate::ids::{NodeId, unix_now};

/// Signed heads remembered per peer (to catch a fork at any recent seq).
pub(super) const HEADS_PER_PEER: usize = 32;
/// Proofs of equivocation kept at most (the oldest give way).
const MAX_EQUIVOCATORS: usize = 4096;

/// A key caught signing two chains.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Equivocation {
    pub peer: NodeId,
    pub seq: u64,
    pub detected_unix: u64,
    pub proof: Proof,
}

impl Ledger {
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

    pub fn is_equivocator(&self, peer: &NodeId) -> bool {
        self.inner
            .equivocators
            .lock()
            .expect("equivocators")
            .contains_key(peer)
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
                peer,
                seq: proof.a.seq,
                detected_unix: unix_now(),
                proof: proof.clone(),
            };
            m.insert(peer, eq.clone());
            eq
        };
        tracing::warn!(
            "peer {} signed two different ledger heads for seq {}: refused from now on",
            peer.short(),
            eq.seq
        );
        // Kept for the next start by the writer thread (a write transaction waits for its
        // group commit and fsyncs: not on the caller's thread).
        let json = serde_json::to_string(&eq).expect("serializes");
        if let Err(e) = self
            .inner
            .store
            .send(super::store::Write::Equivocation(peer, json))
        {
            tracing::warn!("could not record the equivocation proof: {e}");
        }
        let _ = self.inner.events.send(LedgerEvent::Equivocation { peer });
        Ok(Some(proof))
    }

    /// A signed head for one of this node's entries (sent with a payment, so the worker holds
    /// the requester's word for it).
    pub fn head_of(&self, e: &Entry) -> Head {
        Head::sign(&self.inner.key, e.seq, e.hash(), e.balance)
    }
}
