//! The provider-record design in the simulator: nodes publish who serves a model under its
//! shards' keys (the node's [`providers`] store at every holder), requesters find them by
//! iterative Kademlia lookups, and keep pinging only the peers they use.
//!
//! Each node's k-buckets are not kept (100,000 tables of ~300 contacts would not fit): a
//! node's bucket for a target is drawn, when asked, from the nodes online now in that bucket's
//! id range (a full, uniformly filled bucket, as Kademlia's refresh keeps it), and a contact
//! answers with probability 1 - [`STALE`] (the rest are entries that left since the bucket's
//! last refresh and time out).

use std::collections::BTreeMap;
use std::ops::Bound;

use super::run::Sim;
use super::world::MODELS;
use crate::ids::NodeId;
use crate::net::table::providers::{self, PER_ANSWER};
use crate::net::table::{K, shared_prefix};

/// Queries in flight per lookup step (Kademlia's alpha).
pub(super) const ALPHA: usize = 3;
/// Share of bucket entries that no longer answer (their node left since the last refresh).
pub(super) const STALE: f64 = 0.1;
/// How long a lookup waits for a step whose every query went unanswered.
const STEP_TIMEOUT_MS: f64 = 1_000.0;
/// Shards a requester tries in one search for providers.
const SHARDS_PER_SEARCH: u32 = 4;
/// Below this many routable providers of a model, a requester searches for more.
pub(super) const WANTED: usize = crate::net::table::SHORTLIST;
/// The least time between two searches of one model by one requester.
pub(super) const SEARCH_COOLDOWN_MS: u64 = 30_000;
/// Bytes of a FIND_NODE and its answer of K contacts, and of a provider record's store.
pub(super) const FIND_BYTES: usize = 80 + K * 110;

/// What one lookup cost and found.
pub(super) struct Lookup {
    pub(super) closest: Vec<u32>,
    pub(super) hops: u32,
    pub(super) ms: f64,
    pub(super) messages: u32,
}

/// The first `keep` bits of `key`, the rest from `rest`.
fn splice(key: &NodeId, rest: [u8; 32], keep: usize) -> NodeId {
    let k = key.as_bytes();
    let mut b = rest;
    for (i, byte) in b.iter_mut().enumerate() {
        let start = i * 8;
        if start + 8 <= keep {
            *byte = k[i];
        } else if start < keep {
            let mask = 0xffu8 << (8 - (keep - start));
            *byte = (k[i] & mask) | (*byte & !mask);
        }
    }
    NodeId::from_bytes(b)
}

impl Sim {
    /// Node `from`'s contacts nearest `key`: its bucket that covers `key` (ids sharing one bit
    /// more with `key` than `from` does), K of them drawn from the nodes online there.
    fn bucket(&mut self, from: &NodeId, key: &NodeId) -> Vec<NodeId> {
        let p = shared_prefix(from, key);
        if p >= 256 {
            return Vec::new();
        }
        let (lo, hi) = (splice(key, [0; 32], p + 1), splice(key, [0xff; 32], p + 1));
        let few: Vec<NodeId> = self
            .online_ids
            .range(lo..=hi)
            .take(K + 1)
            .copied()
            .collect();
        if few.len() <= K {
            return few;
        }
        // K distinct nodes of the range: the first online id after each of random points in it.
        let mut out = Vec::with_capacity(K);
        for _ in 0..K * 2 {
            let mut rest = [0u8; 32];
            for c in rest.chunks_mut(8) {
                c.copy_from_slice(&self.rng.next_u64().to_le_bytes());
            }
            let probe = splice(key, rest, p + 1);
            let found = self
                .online_ids
                .range((Bound::Included(probe), Bound::Included(hi)))
                .next()
                .or_else(|| self.online_ids.range(lo..=hi).next())
                .copied();
            if let Some(id) = found
                && !out.contains(&id)
            {
                out.push(id);
                if out.len() == K {
                    break;
                }
            }
        }
        out
    }

    /// An iterative lookup of `key` from `from` (in `region`): [`ALPHA`] queries a step to the
    /// closest contacts not yet asked, until the K closest known have all been asked.
    pub(super) fn lookup(
        &mut self,
        from: NodeId,
        region: usize,
        mile: f64,
        key: &NodeId,
    ) -> Lookup {
        let mut known: BTreeMap<[u8; 32], (NodeId, bool, bool)> = BTreeMap::new();
        for c in self.bucket(&from, key) {
            known.insert(c.xor(key), (c, false, false));
        }
        let (mut hops, mut ms, mut messages) = (0, 0.0, 0);
        let mut best = known.keys().next().copied();
        let mut all_in = false;
        while hops < 32 {
            // ALPHA of the K closest not yet asked; after a step that came no closer, all of
            // them at once, and that is the last step (Kademlia's termination).
            let batch: Vec<[u8; 32]> = known
                .iter()
                .filter(|(_, (_, _, stale))| !stale)
                .take(K)
                .filter(|(_, (_, asked, _))| !asked)
                .take(if all_in { K } else { ALPHA })
                .map(|(d, _)| *d)
                .collect();
            if batch.is_empty() {
                break;
            }
            hops += 1;
            let mut step: f64 = 0.0;
            for d in batch {
                let (c, _, _) = known[&d];
                messages += 1;
                if self.rng.unit() < STALE {
                    known.insert(d, (c, true, true));
                    continue;
                }
                known.insert(d, (c, true, false));
                let i = self.index[&c];
                step = step.max(super::run::rtt_between(&self.nodes, region, mile, i));
                for n in self.bucket(&c, key) {
                    if n != from {
                        known.entry(n.xor(key)).or_insert((n, false, false));
                    }
                }
            }
            ms += if step > 0.0 { step } else { STEP_TIMEOUT_MS };
            if all_in {
                break;
            }
            let now_best = known
                .iter()
                .find(|(_, (_, _, stale))| !stale)
                .map(|(d, _)| *d);
            if now_best >= best {
                all_in = true;
            }
            best = best.min(now_best).or(now_best);
        }
        let closest = known
            .values()
            .filter(|(_, asked, stale)| *asked && !stale)
            .take(K)
            .map(|(id, _, _)| self.index[id])
            .collect();
        Lookup {
            closest,
            hops,
            ms,
            messages,
        }
    }

    /// Node `i` publishes its provider record: a lookup of its shard's key, and a store at each
    /// of the closest nodes found.
    pub(super) fn publish(&mut self, i: u32) {
        let n = &self.nodes[i as usize];
        let (id, region, mile, busy) = (n.id, n.region as usize, n.mile_ms, n.busy);
        let key = providers::key(MODELS[n.model as usize].name, providers::shard_of(&id));
        let found = self.lookup(id, region, mile, &key);
        let now = self.now();
        self.c.dht.publishes += 1;
        self.c.dht.publish_messages += u64::from(found.messages);
        for h in found.closest {
            self.c.dht.stores += 1;
            self.nodes[h as usize].stores_in += 1;
            self.stores.entry(h).or_default().put(key, id, busy, now);
        }
    }

    /// Observer `vi` searches for providers of model `m`: lookups of up to
    /// [`SHARDS_PER_SEARCH`] shards, from a random one, asking the closest holders for their
    /// records until it has [`PER_ANSWER`] new ones; each new provider is pinged.
    pub(super) fn search(&mut self, vi: usize, m: usize) {
        let now = self.now();
        self.views[vi].last_search[m] = Some(self.t);
        let (own, region, mile) = {
            let v = &self.views[vi];
            (v.own, v.region, v.mile_ms)
        };
        let first = self.rng.below(providers::SHARDS as usize) as u32;
        let mut found: Vec<(NodeId, u32)> = Vec::new();
        self.c.dht.searches += 1;
        for s in 0..SHARDS_PER_SEARCH {
            let key = providers::key(MODELS[m].name, (first + s) % providers::SHARDS);
            let l = self.lookup(own, region, mile, &key);
            self.c.dht.lookups += 1;
            self.c.dht.lookup_hops += u64::from(l.hops);
            self.c.dht.lookup_ms.push(l.ms);
            self.c.dht.search_messages += u64::from(l.messages);
            let from = self.rng.below(1 << 16);
            for h in l.closest {
                self.c.dht.search_messages += 1;
                let Some(store) = self.stores.get(&h) else {
                    continue;
                };
                for (p, busy) in store.get(&key, from, now) {
                    if !found.iter().any(|(x, _)| *x == p) {
                        found.push((p, busy));
                    }
                }
                if found.len() >= PER_ANSWER {
                    break;
                }
            }
            if found.len() >= PER_ANSWER {
                break;
            }
        }
        for (p, busy) in found {
            if self.views[vi].table.get(&p).is_some() {
                continue;
            }
            let i = self.index[&p] as usize;
            self.c.pings += 1;
            if !self.nodes[i].online {
                self.c.dht.dead_records += 1;
                continue;
            }
            let mut a = self.announcement(i);
            a.models[0].busy = busy.min(a.models[0].slots);
            self.take(vi, i, p, a, now);
        }
    }

    /// Whether observer `vi` has fewer than [`WANTED`] routable providers of `m`.
    pub(super) fn wants(&self, vi: usize, m: usize) -> bool {
        let r = &self.refs[m];
        self.views[vi]
            .table
            .peers()
            .filter(|p| p.routable() && p.serves(r).is_some())
            .nth(WANTED - 1)
            .is_none()
    }
}
