//! Provider records: who serves a model, kept by the nodes whose ids are closest to the model's
//! key (Kademlia's ADD_PROVIDER / GET_PROVIDERS), so that a requester finds capable nodes with a
//! lookup of about log N hops instead of hearing every node's announcements.
//!
//! One key per model would make its K closest nodes a hot spot (every provider of a popular
//! model stores there), so a model's providers are spread over [`SHARDS`] keys by their own id:
//! a provider publishes under one shard's key, a requester looks up shards at random until it has
//! enough candidates. Each key keeps at most [`MAX_RECORDS`] records, freshest first, for
//! [`RECORD_TTL`]; providers publish again every [`REPUBLISH`].
//!
//! Pure logic with no I/O: the node stores its records here, and the simulator runs it for
//! every holder.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::ids::NodeId;

/// Keys a model's providers are spread over: enough that a popular model's holders each take a
/// few records a second at a million nodes, few enough that a rare model's handful of providers
/// are found in a few lookups.
pub const SHARDS: u32 = 16;
/// Records kept under one key (the freshest).
pub const MAX_RECORDS: usize = 256;
/// Keys one node holds records for at most.
pub const MAX_KEYS: usize = 4096;
/// How often a provider publishes its record again.
pub const REPUBLISH: Duration = Duration::from_secs(300);
/// How long a record lives without being published again.
pub const RECORD_TTL: Duration = Duration::from_secs(900);
/// Records one node holds at most, over every key: with announcements of up to 16 KiB, a
/// bound on the memory a crowd of made-up providers can take (typical records are ~1 KiB).
pub const MAX_HELD: usize = 4096;
/// Records one answer carries at most.
pub const PER_ANSWER: usize = 20;

/// The key of shard `shard` of model `name`'s providers.
pub fn key(name: &str, shard: u32) -> NodeId {
    let mut h = blake3::Hasher::new();
    h.update(b"llp/provide/1\0");
    h.update(name.to_ascii_lowercase().as_bytes());
    h.update(&shard.to_be_bytes());
    NodeId::from_bytes(*h.finalize().as_bytes())
}

/// The shard `provider` publishes under (by its id, so a provider always lands on the same one).
pub fn shard_of(provider: &NodeId) -> u32 {
    let b = provider.as_bytes();
    u32::from_be_bytes([b[28], b[29], b[30], b[31]]) % SHARDS
}

/// The number of nodes in the network, estimated from the ids of the `closest` nodes a lookup of
/// `own` found: ids are uniform, so the i-th closest lies at about i/N of the id space, and N is
/// the least-squares slope of i over those distances. A lookup that found fewer than `k` found
/// them all.
pub fn estimate_size(own: &NodeId, closest: &[NodeId], k: usize) -> u64 {
    if closest.len() < k {
        return closest.len() as u64 + 1;
    }
    let mut d: Vec<f64> = closest
        .iter()
        .map(|id| {
            let x = own.xor(id);
            u64::from_be_bytes(x[..8].try_into().expect("8 bytes")) as f64 / 2f64.powi(64)
        })
        .collect();
    d.sort_by(f64::total_cmp);
    let (mut num, mut den) = (0.0, 0.0);
    for (i, d) in d.iter().enumerate() {
        num += (i + 1) as f64 * d;
        den += d * d;
    }
    if den <= 0.0 {
        return u64::MAX;
    }
    (num / den).round().clamp(1.0, u64::MAX as f64) as u64
}

/// Whether a network that counts as `large` (gossip off) or not flips, given the last two
/// size estimates (`prev` 0: none before): to large after two past 1.5x `up_to`, to small
/// after two under half of it. One estimate is noisy (0.3-3x the truth), and a node that
/// flapped would do both badly.
pub fn flips(large: bool, prev: u64, n: u64, up_to: u64) -> bool {
    if prev == 0 {
        return false;
    }
    if large {
        n.max(prev) < up_to / 2
    } else {
        n.min(prev) > up_to * 3 / 2
    }
}

/// One provider's record under one key.
#[derive(Debug, Clone)]
struct Record<R> {
    provider: NodeId,
    at: Instant,
    body: R,
}

/// The provider records this node holds, by key. `R` is what a record carries (the node: the
/// provider's sealed announcement).
#[derive(Debug)]
pub struct Store<R> {
    keys: HashMap<NodeId, Vec<Record<R>>>,
    /// Records over every key.
    held: usize,
}

impl<R> Default for Store<R> {
    fn default() -> Self {
        Store {
            keys: HashMap::new(),
            held: 0,
        }
    }
}

impl<R: Clone> Store<R> {
    /// Stores (or refreshes) `provider`'s record under `key`. A full key drops its oldest
    /// record; a store full of keys takes no new key, and one holding [`MAX_HELD`] records no
    /// new record but in a full key. Whether the record is kept.
    pub fn put(&mut self, key: NodeId, provider: NodeId, body: R, now: Instant) -> bool {
        if !self.keys.contains_key(&key) && self.keys.len() >= MAX_KEYS {
            self.expire(now);
            if self.keys.len() >= MAX_KEYS {
                return false;
            }
        }
        if let Some(r) = self
            .keys
            .get_mut(&key)
            .and_then(|rs| rs.iter_mut().find(|r| r.provider == provider))
        {
            r.at = now;
            r.body = body;
            return true;
        }
        let full_key = self
            .keys
            .get(&key)
            .is_some_and(|rs| rs.len() >= MAX_RECORDS);
        if !full_key && self.held >= MAX_HELD {
            self.expire(now);
            if self.held >= MAX_HELD {
                return false;
            }
        }
        let records = self.keys.entry(key).or_default();
        if records.len() >= MAX_RECORDS {
            let oldest = records
                .iter()
                .enumerate()
                .min_by_key(|(_, r)| r.at)
                .map(|(i, _)| i)
                .expect("full");
            records.swap_remove(oldest);
        } else {
            self.held += 1;
        }
        records.push(Record {
            provider,
            at: now,
            body,
        });
        true
    }

    /// Up to [`PER_ANSWER`] live records under `key`, starting at `from` (a requester's random
    /// offset, so that repeated lookups spread over every provider).
    pub fn get(&self, key: &NodeId, from: usize, now: Instant) -> Vec<(NodeId, R)> {
        let Some(records) = self.keys.get(key) else {
            return Vec::new();
        };
        let live: Vec<&Record<R>> = records
            .iter()
            .filter(|r| now.saturating_duration_since(r.at) <= RECORD_TTL)
            .collect();
        if live.is_empty() {
            return Vec::new();
        }
        (0..live.len().min(PER_ANSWER))
            .map(|i| live[(from % live.len() + i) % live.len()])
            .map(|r| (r.provider, r.body.clone()))
            .collect()
    }

    /// Drops records older than [`RECORD_TTL`] and keys left empty.
    pub fn expire(&mut self, now: Instant) {
        self.keys.retain(|_, records| {
            records.retain(|r| now.saturating_duration_since(r.at) <= RECORD_TTL);
            !records.is_empty()
        });
        self.held = self.keys.values().map(Vec::len).sum();
    }

    /// Drops every record of `provider` (it left, or paused).
    pub fn remove_provider(&mut self, provider: &NodeId) {
        self.keys.retain(|_, records| {
            records.retain(|r| r.provider != *provider);
            !records.is_empty()
        });
        self.held = self.keys.values().map(Vec::len).sum();
    }

    /// Records held, over every key.
    pub fn len(&self) -> usize {
        self.held
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> NodeId {
        NodeId::from_bytes([n; 32])
    }

    #[test]
    fn a_key_keeps_the_freshest_records_and_answers_from_an_offset() {
        let t0 = Instant::now();
        let mut s = Store::default();
        let k = key("Llama", 3);
        assert_eq!(k, key("llama", 3), "names are case-blind");
        assert_ne!(k, key("llama", 4));
        for i in 0..MAX_RECORDS + 10 {
            let mut b = [1u8; 32];
            b[..2].copy_from_slice(&(i as u16).to_be_bytes());
            let p = NodeId::from_bytes(b);
            assert!(s.put(k, p, i, t0 + Duration::from_secs(i as u64)));
        }
        assert_eq!(s.len(), MAX_RECORDS);
        let now = t0 + Duration::from_secs(MAX_RECORDS as u64 + 10);
        let all: Vec<usize> = (0..MAX_RECORDS)
            .step_by(PER_ANSWER)
            .flat_map(|from| s.get(&k, from, now).into_iter().map(|(_, b)| b))
            .collect();
        assert!(all.iter().all(|b| *b >= 10), "the 10 oldest gave way");
        assert_eq!(s.get(&k, 7, now).len(), PER_ANSWER);
        // Refreshing keeps one record per provider.
        assert!(s.put(k, id(9), 1, now));
        assert!(s.put(k, id(9), 2, now));
        assert_eq!(s.len(), MAX_RECORDS);
        // Past their lifetime, records are neither answered nor kept.
        let late = now + RECORD_TTL + Duration::from_secs(1);
        assert!(s.get(&k, 0, late).is_empty());
        s.expire(late);
        assert!(s.is_empty());
        assert!(shard_of(&id(200)) < SHARDS);
    }

    #[test]
    fn the_size_of_a_network_is_estimated_from_the_closest_ids() {
        let ids = |n: u32, seed: u32| -> Vec<NodeId> {
            (0..n)
                .map(|i| {
                    let h = blake3::hash(&[seed.to_be_bytes(), i.to_be_bytes()].concat());
                    NodeId::from_bytes(*h.as_bytes())
                })
                .collect()
        };
        for n in [100u32, 1_000, 10_000, 100_000] {
            let mut ratios = Vec::new();
            for seed in 0..20 {
                let all = ids(n, seed);
                let own = all[0];
                let mut rest: Vec<NodeId> = all[1..].to_vec();
                rest.sort_by_key(|id| own.xor(id));
                rest.truncate(20);
                ratios.push(estimate_size(&own, &rest, 20) as f64 / f64::from(n));
            }
            ratios.sort_by(f64::total_cmp);
            let median = ratios[ratios.len() / 2];
            assert!((0.7..1.4).contains(&median), "{n}: {ratios:?}");
            assert!(
                ratios.iter().all(|r| (0.3..3.0).contains(r)),
                "{n}: {ratios:?}"
            );
        }
        // A lookup that found fewer than K found the whole network.
        assert_eq!(estimate_size(&id(1), &[id(2), id(3)], 20), 3);
    }

    #[test]
    fn gossip_flips_only_after_two_estimates_past_a_bound() {
        // Small: one estimate past 1,500 is not enough, nor two past 1,000 only.
        assert!(!flips(false, 0, 50_000, 1_000));
        assert!(!flips(false, 900, 50_000, 1_000));
        assert!(!flips(false, 1_200, 1_400, 1_000));
        assert!(flips(false, 1_600, 3_000, 1_000));
        // Large: back to small only after two under 500.
        assert!(!flips(true, 3_000, 400, 1_000));
        assert!(!flips(true, 600, 400, 1_000));
        assert!(flips(true, 450, 300, 1_000));
    }

    #[test]
    fn a_crowd_of_providers_fills_the_store_only_to_its_bound() {
        let t0 = Instant::now();
        let mut s = Store::default();
        // Made-up providers under many keys: the store stops at MAX_HELD records.
        let mut kept = 0;
        for i in 0..(MAX_HELD + 500) as u32 {
            let mut b = [2u8; 32];
            b[..4].copy_from_slice(&i.to_be_bytes());
            kept += usize::from(s.put(key("m", i % 64), NodeId::from_bytes(b), (), t0));
        }
        assert_eq!((kept, s.len()), (MAX_HELD, MAX_HELD));
        // A full store still refreshes a record it holds; once the crowd expires, it takes new.
        let newcomer = NodeId::from_bytes([2u8; 32]);
        let mut b = [2u8; 32];
        b[..4].copy_from_slice(&0u32.to_be_bytes());
        assert!(s.put(key("m", 0), NodeId::from_bytes(b), (), t0));
        let late = t0 + RECORD_TTL + Duration::from_secs(1);
        assert!(s.put(key("m", 0), newcomer, (), late));
        assert_eq!(s.len(), 1);
    }
}
