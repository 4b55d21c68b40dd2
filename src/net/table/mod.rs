//! The routing table: every peer this node knows, what it serves, how loaded, fast, near and
//! reliable it is, and the choice of peer for a job.
//!
//! Pure logic with no I/O, so it is tested and benchmarked on its own:
//! - Kademlia-style k-buckets over node ids (XOR distance from our id, one bucket per shared-prefix
//!   length) hold the contacts returned by FIND_NODE; peers that announce themselves on our
//!   network's gossip topic always get a record, since they are the ones that can serve jobs.
//! - The score of a peer for a model (see [`Weights`] and the README) combines its load, its
//!   round-trip time, its measured speed for the model and its reliability.
//! - [`Table::pick`] chooses among capable peers by smooth weighted round-robin on those scores,
//!   skipping any peer whose in-flight jobs from us reach the slots it announced (backpressure).
//! - Failures score a peer down; [`EVICT_AFTER`] failures in a row evict it until a probe
//!   succeeds again after a back-off.
//! - [`Table::due_for_ping`]: the peers pinged each round, those this node uses (and a few
//!   others), so a node's pings do not grow with the network.
//! - [`providers`]: the provider records a node holds for others (who serves a model, under
//!   the model's shard keys).
//!
//! The simulator (`crate::sim`) runs this code for thousands of simulated nodes, so nothing
//! here reads the clock where a caller can pass `now` (the `*_at` methods).

pub mod lookup;
pub mod providers;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::wire::{Announcement, Contact, ModelAd};
use crate::ids::{ModelRef, NodeId};

/// Contacts per k-bucket.
pub const K: usize = 20;
/// Failures in a row (jobs or probes) that evict a peer from routing.
pub const EVICT_AFTER: u32 = 3;
/// How long reliability evidence takes to lose half its weight.
pub const RELIABILITY_HALF_LIFE: Duration = Duration::from_secs(600);
/// First back-off of an evicted peer; it doubles with each eviction, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(5);
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The weights of the score's four terms. Configurable in the config file's `[score]` table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    pub load: f64,
    pub latency: f64,
    pub capability: f64,
    pub reliability: f64,
    /// RTT, in milliseconds, at which the latency term is one half.
    pub latency_ref_ms: f64,
    /// Generation speed, tokens/s per slot, at which the capability term is one half.
    pub speed_ref_tps: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            load: 0.35,
            latency: 0.2,
            capability: 0.25,
            reliability: 0.2,
            latency_ref_ms: 25.0,
            speed_ref_tps: 20.0,
        }
    }
}

/// Where a peer stands for routing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Health {
    /// Known but not yet through the handshake.
    Unverified,
    Ok,
    /// Not reachable or refused us; `reason` says why.
    Unreachable {
        reason: String,
    },
    /// Out of routing after repeated failures until a probe succeeds after `retry_in_s`.
    Evicted {
        reason: String,
        retry_in_s: u64,
    },
}

/// Completed against failed jobs, decaying over time.
#[derive(Debug, Clone, Copy)]
pub struct Reliability {
    ok: f64,
    failed: f64,
    at: Instant,
}

impl Reliability {
    fn new(now: Instant) -> Self {
        Reliability {
            ok: 0.0,
            failed: 0.0,
            at: now,
        }
    }

    fn decay(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        let f = 0.5f64.powf(dt / RELIABILITY_HALF_LIFE.as_secs_f64());
        self.ok *= f;
        self.failed *= f;
        self.at = now;
    }

    /// Laplace-smoothed success rate: a new peer starts at 0.5 + a little benefit of the doubt.
    pub fn value(&self) -> f64 {
        (self.ok + 2.0) / (self.ok + self.failed + 3.0)
    }
}

/// Everything known about one peer.
#[derive(Debug, Clone)]
pub struct Peer {
    pub id: NodeId,
    pub contact: Contact,
    pub announcement: Option<Announcement>,
    pub heard: Instant,
    pub rtt: Option<Duration>,
    pub relayed: bool,
    pub health: Health,
    pub reliability: Reliability,
    pub failures_in_row: u32,
    pub evictions: u32,
    pub retry_at: Option<Instant>,
    /// Jobs we have running on this peer now.
    pub inflight: u32,
    /// Protocol violations seen from this peer.
    pub strikes: u32,
    /// When a fresh connection last cleared its failure count (at most once a minute, so a
    /// peer cannot dodge eviction by reconnecting).
    pub fresh_start: Option<Instant>,
    /// Its speed as this node measured it on the answers it streamed (tokens a second, a
    /// moving average): what the score uses, never the speed it announces.
    pub observed_tps: Option<f64>,
    /// Its time to a first token as this node measured it (a moving average), for the
    /// routing policy's `max_ttft_ms`.
    pub observed_ttft: Option<Duration>,
    /// How far its clock is ahead of ours (ms), from its last announcement.
    pub clock_skew_ms: Option<i64>,
    /// When this node last sent it a job (it counts as used for [`IN_USE_FOR`]).
    pub used_at: Option<Instant>,
    /// When it was last put on a model's shortlist (used, too, for [`IN_USE_FOR`]).
    pub listed_at: Option<Instant>,
    /// Smooth weighted round-robin state.
    current: f64,
}

impl Peer {
    /// Whether it serves `model` (`NAME` or `NAME:QUANT`), and the ad that matches.
    pub fn serves(&self, model: &ModelRef) -> Option<&ModelAd> {
        self.announcement
            .as_ref()?
            .models
            .iter()
            .find(|m| model.matches(&m.name, &m.quant))
    }

    /// Whether routing may send it jobs.
    pub fn routable(&self) -> bool {
        self.health == Health::Ok
            && self
                .announcement
                .as_ref()
                .is_some_and(|a| !a.paused && !a.leaving)
    }

    /// The hard cap of our in-flight jobs on it: the slots it announced for the model.
    pub fn cap(&self, model: &ModelRef) -> u32 {
        self.serves(model).map(|m| m.slots).unwrap_or(0)
    }

    /// The score for a job of `model`, in [0, 1]; `None` if it cannot take the job.
    pub fn score(&self, model: &ModelRef, w: &Weights) -> Option<f64> {
        let ad = self.serves(model)?;
        let slots = ad.slots.max(1) as f64;
        // Its announced load, or ours on it if higher (announcements lag).
        let busy = (ad.busy as f64).max(self.inflight as f64) + ad.queued as f64;
        // (f64 arithmetic: a peer's absurd numbers cannot overflow, only score it low.)
        let load = 1.0 - (busy / slots).min(1.0);
        let rtt_ms = self
            .rtt
            .map(|d| d.as_secs_f64() * 1e3)
            .unwrap_or(w.latency_ref_ms * 2.0);
        let latency = w.latency_ref_ms / (w.latency_ref_ms + rtt_ms);
        // Measured here, not announced: a peer cannot talk its way up the ranking. Until it
        // has streamed an answer to this node it counts as the reference speed.
        let capability = self.observed_tps.map_or(0.5, |t| t / (t + w.speed_ref_tps));
        let total = w.load + w.latency + w.capability + w.reliability;
        let s = (w.load * load
            + w.latency * latency
            + w.capability * capability
            + w.reliability * self.reliability.value())
            / if total > 0.0 { total } else { 1.0 };
        Some(s.max(1e-6))
    }
}

/// The highest speed a measurement counts (tokens a second).
pub const MAX_TPS: f64 = 5_000.0;

/// Most peer records kept. A new id past it takes the place of a record with no verified work
/// and no job in flight, drawn from the most crowded bucket (see [`Table::make_room`]).
pub const MAX_PEERS: usize = 20_000;

/// How long [`Table::make_room`]'s pool of evictable records is drawn from before it is
/// gathered again.
pub const ROOM_TTL: Duration = Duration::from_secs(1);

/// The largest share of this node's jobs that goes to peers on probation (no verified work
/// yet) while peers with verified work have room: a crowd of new identities, however well they
/// score, cannot take over the routing.
pub const PROBATION_SHARE: f64 = 0.2;

/// Tables up to this size are pinged whole each round (see [`Table::due_for_ping`]).
pub const PING_ALL_UP_TO: usize = 64;
/// Peers pinged each round beyond those a node uses, in a larger table.
pub const PING_SAMPLE: usize = 16;
/// How long a peer counts as used after this node last sent it a job.
pub const IN_USE_FOR: Duration = Duration::from_secs(120);

/// Candidates kept per model for routing decisions (the best by score).
pub const SHORTLIST: usize = 32;
/// How long a model's shortlist is reused before it is rebuilt from every peer's score.
pub const SHORTLIST_TTL: Duration = Duration::from_millis(250);

/// The table of peers.
pub struct Table {
    own: NodeId,
    peers: HashMap<NodeId, Peer>,
    /// k-buckets of contacts by shared-prefix length with our id, least recently seen first.
    buckets: Vec<Vec<NodeId>>,
    pub weights: Weights,
    k: usize,
    /// Per model, the best-scoring routable peers and when that list was built. A routing
    /// decision looks at these few (with live load and caps), so it costs the same with ten
    /// peers or ten thousand; the list is rebuilt when peers come, go or are evicted, and at
    /// most every [`SHORTLIST_TTL`] otherwise, so scores that drift with load are followed.
    shortlists: HashMap<ModelRef, (Vec<NodeId>, Instant)>,
    /// In-flight jobs on peers whose record was removed (left, expired) while jobs ran: a record
    /// created again for the same id takes them back, so caps hold across a rejoin.
    orphan_inflight: HashMap<NodeId, u32>,
    /// Peers whose work passed a check here (the rest are on probation).
    verified: std::collections::HashSet<NodeId>,
    /// A seeded generator for [`Table::make_room`]'s draw (the simulator's, for runs that
    /// repeat); the node draws from the system's.
    seed: Option<u64>,
    /// [`Table::make_room`]'s pool: the evictable records of the most crowded bucket as last
    /// gathered, when, and how many there were. A flood of newcomers draws from it instead of
    /// scanning the whole table for each one.
    room: Option<(Vec<NodeId>, Instant, usize)>,
    /// The last peer of the rotating few [`Table::due_for_ping`] chose.
    ping_cursor: Option<NodeId>,
}

/// Leading bits two ids share (256 for the same id).
pub fn shared_prefix(a: &NodeId, b: &NodeId) -> usize {
    let x = a.xor(b);
    for (i, byte) in x.iter().enumerate() {
        if *byte != 0 {
            return i * 8 + byte.leading_zeros() as usize;
        }
    }
    256
}

impl Table {
    pub fn new(own: NodeId, weights: Weights) -> Self {
        Table::with_k(own, weights, K)
    }

    pub fn with_k(own: NodeId, weights: Weights, k: usize) -> Self {
        Table {
            own,
            peers: HashMap::new(),
            buckets: vec![Vec::new(); 256],
            weights,
            k,
            shortlists: HashMap::new(),
            orphan_inflight: HashMap::new(),
            verified: Default::default(),
            seed: None,
            room: None,
            ping_cursor: None,
        }
    }

    /// Draws [`Table::make_room`]'s victims from a generator seeded with `seed` (the simulator:
    /// a run repeats exactly). A node keeps the system's generator: a flood must not predict
    /// which record gives way.
    pub fn seeded(mut self, seed: u64) -> Self {
        self.seed = Some(seed | 1);
        self
    }

    fn draw(&mut self) -> u64 {
        match &mut self.seed {
            // xorshift64*
            Some(x) => {
                *x ^= *x >> 12;
                *x ^= *x << 25;
                *x ^= *x >> 27;
                x.wrapping_mul(0x2545_f491_4f6c_dd1d)
            }
            None => crate::ids::random_u64(),
        }
    }

    /// Marks `id` as having verified work (a check passed), or not (a check failed): peers
    /// without are on probation, with a capped share of the jobs.
    pub fn set_verified(&mut self, id: &NodeId, verified: bool) {
        if verified {
            self.verified.insert(*id);
        } else {
            self.verified.remove(id);
        }
    }

    /// Whether `id` is on probation (no verified work here yet).
    pub fn on_probation(&self, id: &NodeId) -> bool {
        !self.verified.contains(id)
    }

    pub fn get(&self, id: &NodeId) -> Option<&Peer> {
        self.peers.get(id)
    }

    pub fn get_mut(&mut self, id: &NodeId) -> Option<&mut Peer> {
        self.peers.get_mut(id)
    }

    pub fn len(&self) -> usize {
        self.peers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    pub fn peers(&self) -> impl Iterator<Item = &Peer> {
        self.peers.values()
    }

    fn new_peer(id: NodeId, contact: Contact, now: Instant) -> Peer {
        Peer {
            id,
            contact,
            announcement: None,
            heard: now,
            rtt: None,
            relayed: false,
            health: Health::Unverified,
            reliability: Reliability::new(now),
            failures_in_row: 0,
            evictions: 0,
            retry_at: None,
            inflight: 0,
            strikes: 0,
            fresh_start: None,
            observed_tps: None,
            clock_skew_ms: None,
            observed_ttft: None,
            used_at: None,
            listed_at: None,
            current: 0.0,
        }
    }

    /// Records a contact (from FIND_NODE or a ticket) in its k-bucket. A full bucket keeps its
    /// old contacts (Kademlia's preference for long-lived nodes) unless the oldest is unreachable.
    /// Returns whether the contact is in the table.
    pub fn add_contact(&mut self, contact: Contact, id: NodeId, now: Instant) -> bool {
        if id == self.own {
            return false;
        }
        let b = shared_prefix(&self.own, &id).min(255);
        if let Some(p) = self.peers.get_mut(&id) {
            if !contact.addrs.is_empty() {
                p.contact = contact;
            }
            let bucket = &mut self.buckets[b];
            if let Some(i) = bucket.iter().position(|x| *x == id) {
                bucket.remove(i);
                bucket.push(id);
            }
            return true;
        }
        let bucket = &mut self.buckets[b];
        if bucket.len() >= self.k {
            let stale = bucket.iter().position(|x| {
                self.peers.get(x).is_some_and(|p| {
                    matches!(p.health, Health::Unreachable { .. }) && p.announcement.is_none()
                })
            });
            match stale {
                Some(i) => {
                    let old = bucket.remove(i);
                    self.peers.remove(&old);
                }
                None => return false,
            }
        }
        bucket.push(id);
        self.insert(id, contact, now);
        true
    }

    /// Records a verified announcement. Returns false if it is older than one already seen
    /// (a replay), which the caller treats as noise.
    pub fn announce(&mut self, id: NodeId, a: Announcement, now: Instant) -> bool {
        if id == self.own {
            return false;
        }
        let contact = Contact {
            id: id.to_string(),
            addrs: a.addrs.clone(),
            relay: a.relay.clone(),
        };
        if !self.peers.contains_key(&id) {
            if self.peers.len() >= MAX_PEERS && !self.make_room(now) {
                return false;
            }
            // Announcing peers always get a record; they also take a bucket place if free.
            if !self.add_contact(contact.clone(), id, now) {
                self.insert(id, contact.clone(), now);
            }
        }
        let p = self.peers.get_mut(&id).expect("inserted");
        if p.announcement.as_ref().is_some_and(|old| old.seq >= a.seq) {
            return false;
        }
        if !contact.addrs.is_empty() {
            p.contact = contact;
        }
        p.heard = now;
        // Only a fresh announcement says where its sender's clock is: one fetched or relayed
        // late reads a few seconds behind, far less than the skew that matters (minutes).
        // A clock more than a day off is not a clock (or is a lie): not recorded.
        p.clock_skew_ms = (a.clock_ms > 0)
            .then(|| i64::try_from(a.clock_ms).unwrap_or(i64::MAX) - crate::ids::now_ms() as i64)
            .filter(|s| s.unsigned_abs() <= 86_400_000);
        // What puts it on or off a model's list: the models it serves (a swap of one for
        // another too), and whether it is paused.
        fn serves(a: &Announcement) -> impl Iterator<Item = (&str, &str)> {
            a.models.iter().map(|m| (m.name.as_str(), m.quant.as_str()))
        }
        let changed = p
            .announcement
            .as_ref()
            .is_none_or(|old| old.paused != a.paused || !serves(old).eq(serves(&a)));
        p.announcement = Some(a);
        // A peer not through its handshake is on no list and cannot join one: a flood of new
        // ids does not make every decision rebuild the lists (its readmission does).
        if changed && p.health == Health::Ok {
            self.shortlists.clear();
        }
        true
    }

    /// Frees a record for a newcomer in a full table: one with no verified work and no job in
    /// flight, drawn at random from the bucket (shared-prefix length) with the most such
    /// records. Ids that flood the table are random, so they crowd the same buckets: they give
    /// way to newcomers there, and a flood cannot lock newcomers out of every bucket. Whether
    /// there was such a record. The bucket's records are gathered once and drawn from until half
    /// are gone or [`ROOM_TTL`] has passed, so a flood costs a scan of the table now and then,
    /// not one per newcomer.
    fn make_room(&mut self, now: Instant) -> bool {
        for _ in 0..2 {
            let stale = self.room.as_ref().is_none_or(|(pool, at, gathered)| {
                pool.len() * 2 < *gathered || now.saturating_duration_since(*at) > ROOM_TTL
            });
            if stale {
                self.room = Some((self.crowd(), now, 0));
                if let Some(r) = &mut self.room {
                    r.2 = r.0.len();
                }
            }
            while let Some(n) = self.room.as_ref().map(|r| r.0.len()).filter(|n| *n > 0) {
                let i = (self.draw() % n as u64) as usize;
                let victim = self.room.as_mut().expect("a pool").0.swap_remove(i);
                // It may have changed since it was gathered.
                let evictable = self
                    .peers
                    .get(&victim)
                    .is_some_and(|p| p.inflight == 0 && !self.verified.contains(&p.id));
                if evictable {
                    self.remove(&victim);
                    return true;
                }
            }
            // Drawn dry: gather afresh once.
            self.room = None;
        }
        false
    }

    /// The records with no verified work and no job in flight in the bucket (shared-prefix
    /// length) with the most of them, in id order. (Ties go to the longer prefix: a seeded draw
    /// picks the same victims whatever the hash map's order.)
    fn crowd(&self) -> Vec<NodeId> {
        let mut by_bucket: HashMap<usize, Vec<NodeId>> = HashMap::new();
        for p in self.peers.values() {
            if p.inflight == 0 && !self.verified.contains(&p.id) {
                let b = shared_prefix(&self.own, &p.id);
                by_bucket.entry(b).or_default().push(p.id);
            }
        }
        let mut crowd = by_bucket
            .into_iter()
            .max_by_key(|(b, v)| (v.len(), *b))
            .map(|(_, v)| v)
            .unwrap_or_default();
        crowd.sort_unstable();
        crowd
    }

    /// Forgets a peer (it left, or its announcements expired).
    pub fn remove(&mut self, id: &NodeId) -> Option<Peer> {
        // Only the lists that hold it change (a flood's records come and go by the thousand,
        // and rebuilding every list for each would cost a scan of the table per decision).
        self.shortlists.retain(|_, (list, _)| !list.contains(id));
        let b = shared_prefix(&self.own, id).min(255);
        self.buckets[b].retain(|x| x != id);
        let p = self.peers.remove(id)?;
        if p.inflight > 0 {
            self.orphan_inflight.insert(*id, p.inflight);
        }
        Some(p)
    }

    /// Takes an in-flight place on `id` (the caller has just picked it).
    pub fn take_place(&mut self, id: &NodeId) {
        self.take_place_at(id, Instant::now());
    }

    /// [`Table::take_place`] at `now` (the simulator's clock).
    pub fn take_place_at(&mut self, id: &NodeId, now: Instant) {
        if let Some(p) = self.peers.get_mut(id) {
            p.inflight = p.inflight.saturating_add(1);
            p.used_at = Some(now);
        }
    }

    /// The peers to ping this round: in a table of up to [`PING_ALL_UP_TO`] peers, all of
    /// them; in a larger one, those this node uses (jobs in flight, sent a job or on a model's
    /// shortlist within [`IN_USE_FOR`]), those gossip has not heard from for `quiet` (the answer
    /// to a ping pulls their announcement, so a peer gossip misses is not expired for it), the
    /// evicted whose back-off ended, the not yet verified, and the next [`PING_SAMPLE`] of the
    /// rest in id order after the last round's (so every peer's health and RTT are measured now
    /// and then, however the table churns). A node's pings then grow with what it uses (and
    /// with what gossip loses), not with the network.
    pub fn due_for_ping(&mut self, now: Instant, quiet: Duration) -> Vec<NodeId> {
        let small = self.peers.len() <= PING_ALL_UP_TO;
        let recent =
            |t: Option<Instant>| t.is_some_and(|t| now.saturating_duration_since(t) < IN_USE_FOR);
        let mut due = Vec::new();
        let mut rest = Vec::new();
        for p in self.peers.values() {
            let now_due = match &p.health {
                Health::Evicted { .. } => p.retry_at.is_none_or(|r| now >= r),
                Health::Unverified | Health::Unreachable { .. } => true,
                Health::Ok => {
                    small
                        || p.inflight > 0
                        || recent(p.used_at)
                        || recent(p.listed_at)
                        || now.saturating_duration_since(p.heard) > quiet
                }
            };
            if now_due {
                due.push(p.id);
            } else if p.health == Health::Ok {
                rest.push(p.id);
            }
        }
        if !rest.is_empty() {
            rest.sort_unstable();
            let start = self
                .ping_cursor
                .map_or(0, |c| rest.partition_point(|id| *id <= c))
                % rest.len();
            let take = PING_SAMPLE.min(rest.len());
            due.extend(rest.iter().cycle().skip(start).take(take));
            self.ping_cursor = due.last().copied();
        }
        due
    }

    /// Gives back an in-flight place on `id`, wherever its count lives now.
    pub fn release_place(&mut self, id: &NodeId) {
        if let Some(p) = self.peers.get_mut(id) {
            p.inflight = p.inflight.saturating_sub(1);
        } else if let Some(n) = self.orphan_inflight.get_mut(id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.orphan_inflight.remove(id);
            }
        }
    }

    fn insert(&mut self, id: NodeId, contact: Contact, now: Instant) {
        let mut p = Table::new_peer(id, contact, now);
        p.inflight = self.orphan_inflight.remove(&id).unwrap_or(0);
        self.peers.insert(id, p);
    }

    /// Drops peers whose last announcement is older than `expiry`; returns their ids.
    pub fn expire(&mut self, now: Instant, expiry: Duration) -> Vec<NodeId> {
        let old: Vec<NodeId> = self
            .peers
            .values()
            .filter(|p| {
                // Contacts that never announced (from FIND_NODE) get longer, then go too.
                let limit = if p.announcement.is_some() {
                    expiry
                } else {
                    expiry * 3
                };
                now.saturating_duration_since(p.heard) > limit
            })
            .map(|p| p.id)
            .collect();
        for id in &old {
            self.remove(id);
        }
        old
    }

    /// The `n` contacts closest to `target` by XOR distance, not known unreachable (where this
    /// node's own lookups start).
    pub fn closest(&self, target: &NodeId, n: usize) -> Vec<Contact> {
        self.closest_where(target, n, |p| {
            !matches!(p.health, Health::Unreachable { .. })
        })
    }

    /// The `n` verified peers closest to `target` (FIND_NODE's and GET_PROVIDERS' answer): a
    /// contact someone told us of, and we never reached, is not passed on.
    pub fn closest_verified(&self, target: &NodeId, n: usize) -> Vec<Contact> {
        self.closest_where(target, n, |p| p.health == Health::Ok)
    }

    /// How many verified peers lie closer to `target` than this node does.
    pub fn closer_than_own(&self, target: &NodeId) -> usize {
        let own = self.own.xor(target);
        self.peers
            .values()
            .filter(|p| p.health == Health::Ok && p.id.xor(target) < own)
            .count()
    }

    fn closest_where(
        &self,
        target: &NodeId,
        n: usize,
        keep: impl Fn(&Peer) -> bool,
    ) -> Vec<Contact> {
        let mut all: Vec<(&Peer, [u8; 32])> = self
            .peers
            .values()
            .filter(|p| keep(p))
            .map(|p| (p, p.id.xor(target)))
            .collect();
        if all.len() > n && n > 0 {
            all.select_nth_unstable_by_key(n - 1, |a| a.1);
            all.truncate(n);
        }
        all.sort_by_key(|a| a.1);
        all.into_iter()
            .take(n)
            .map(|(p, _)| p.contact.clone())
            .collect()
    }

    /// Records a speed measured on an answer `id` streamed here (tokens a second).
    pub fn observe_speed(&mut self, id: &NodeId, tps: f64) {
        if !tps.is_finite() || tps <= 0.0 {
            return;
        }
        // Capped: no answer streamed over the network is faster, whatever the timing says.
        let tps = tps.min(MAX_TPS);
        if let Some(p) = self.peers.get_mut(id) {
            p.observed_tps = Some(p.observed_tps.map_or(tps, |old| 0.7 * old + 0.3 * tps));
        }
    }

    /// `id` refused a job of `model` as busy: until its next announcement it counts as full
    /// for the model (its score's load term at zero), so the next jobs go to others first
    /// rather than each learning the same by a refusal. Its announcements lag its load; many
    /// requesters ranking alike send it their jobs together.
    pub fn refused_busy(&mut self, id: &NodeId, model: &ModelRef) {
        let Some(a) = self.peers.get_mut(id).and_then(|p| p.announcement.as_mut()) else {
            return;
        };
        for ad in a
            .models
            .iter_mut()
            .filter(|m| model.matches(&m.name, &m.quant))
        {
            ad.busy = ad.busy.max(ad.slots);
        }
    }

    /// Records the time to the first token of an answer `id` streamed here.
    pub fn observe_ttft(&mut self, id: &NodeId, ttft: Duration) {
        if let Some(p) = self.peers.get_mut(id) {
            p.observed_ttft = Some(
                p.observed_ttft
                    .map_or(ttft, |old| old.mul_f64(0.7) + ttft.mul_f64(0.3)),
            );
        }
    }

    /// Its expected time to a first token: as measured here, else its round trip.
    pub fn expected_ttft(p: &Peer) -> Option<Duration> {
        p.observed_ttft.or(p.rtt)
    }

    /// A job went well on `id`.
    pub fn success(&mut self, id: &NodeId, now: Instant) {
        if let Some(p) = self.peers.get_mut(id) {
            p.reliability.decay(now);
            p.reliability.ok += 1.0;
            p.failures_in_row = 0;
            if !matches!(p.health, Health::Evicted { .. }) {
                p.health = Health::Ok;
            }
        }
    }

    /// A job or probe failed on `id`. Returns true if this evicted it.
    pub fn failure(&mut self, id: &NodeId, reason: &str, now: Instant) -> bool {
        let Some(p) = self.peers.get_mut(id) else {
            return false;
        };
        p.reliability.decay(now);
        p.reliability.failed += 1.0;
        p.failures_in_row += 1;
        if p.failures_in_row >= EVICT_AFTER && !matches!(p.health, Health::Evicted { .. }) {
            let backoff = FIRST_BACKOFF
                .saturating_mul(1 << p.evictions.min(8))
                .min(MAX_BACKOFF);
            p.evictions += 1;
            p.retry_at = Some(now + backoff);
            p.health = Health::Evicted {
                reason: format!("{} failures in a row, last: {reason}", p.failures_in_row),
                retry_in_s: backoff.as_secs(),
            };
            self.shortlists.clear();
            return true;
        }
        false
    }

    /// A probe of an evicted (or unverified) peer succeeded after its back-off: back in routing.
    /// Returns true if it was evicted.
    pub fn readmit(&mut self, id: &NodeId, now: Instant) -> bool {
        let Some(p) = self.peers.get_mut(id) else {
            return false;
        };
        let was = matches!(p.health, Health::Evicted { .. });
        if was && p.retry_at.is_some_and(|t| now < t) {
            return false;
        }
        if p.health != Health::Ok {
            self.shortlists.clear();
        }
        p.health = Health::Ok;
        p.failures_in_row = 0;
        p.retry_at = None;
        was
    }

    /// Picks the peer for a job of `model` among routable peers whose in-flight jobs from us are
    /// under their announced slots, by smooth weighted round-robin on their scores (each pick
    /// adds every candidate's weight to its running total and takes the largest, then subtracts
    /// the sum from it: over time each peer gets its share of jobs, interleaved). `exclude` holds
    /// peers that already failed this job. Candidates come from the model's shortlist; only if
    /// every one of those is full or excluded are all peers scanned.
    pub fn pick(&mut self, model: &ModelRef, exclude: &[NodeId]) -> Option<NodeId> {
        self.pick_at(model, exclude, Instant::now())
    }

    /// [`Table::pick`] at `now` (the simulator's clock).
    pub fn pick_at(
        &mut self,
        model: &ModelRef,
        exclude: &[NodeId],
        now: Instant,
    ) -> Option<NodeId> {
        self.refresh_shortlist(model, now);
        let list = std::mem::take(&mut self.shortlists.get_mut(model).expect("just built").0);
        let picked = self.round_robin(model, list.iter(), exclude);
        self.shortlists.get_mut(model).expect("still there").0 = list;
        picked.or_else(|| {
            let all: Vec<NodeId> = self.peers.keys().copied().collect();
            self.round_robin(model, all.iter(), exclude)
        })
    }

    /// Whether a [`Table::pick`] now would find a peer (without taking a turn of the
    /// round-robin): a routable peer not in `exclude` that serves `model` below its slots.
    pub fn has_room(&mut self, model: &ModelRef, exclude: &[NodeId]) -> bool {
        self.refresh_shortlist(model, Instant::now());
        let free = |p: &Peer| {
            p.routable()
                && !exclude.contains(&p.id)
                && p.serves(model).is_some_and(|ad| p.inflight < ad.slots)
        };
        let listed = self
            .shortlists
            .get(model)
            .is_some_and(|(l, _)| l.iter().any(|id| self.peers.get(id).is_some_and(free)));
        listed || self.peers.values().any(free)
    }

    /// Rebuilds `model`'s shortlist if it is older than [`SHORTLIST_TTL`] (or missing).
    fn refresh_shortlist(&mut self, model: &ModelRef, now: Instant) {
        let fresh = self
            .shortlists
            .get(model)
            .is_some_and(|(_, built)| now.saturating_duration_since(*built) < SHORTLIST_TTL);
        if !fresh {
            let list = self.shortlist(model);
            for id in &list {
                if let Some(p) = self.peers.get_mut(id) {
                    p.listed_at = Some(now);
                }
            }
            self.shortlists.insert(model.clone(), (list, now));
        }
    }

    /// Forgets the shortlists (the next decision rebuilds them).
    pub fn invalidate(&mut self) {
        self.shortlists.clear();
    }

    /// The [`SHORTLIST`] routable peers with the best scores for `model`.
    fn shortlist(&self, model: &ModelRef) -> Vec<NodeId> {
        let w = self.weights;
        let mut scored: Vec<(f64, NodeId)> = self
            .peers
            .values()
            .filter(|p| p.routable())
            .filter_map(|p| Some((p.score(model, &w)?, p.id)))
            .collect();
        if scored.len() > SHORTLIST {
            scored.select_nth_unstable_by(SHORTLIST, |a, b| b.0.total_cmp(&a.0));
            scored.truncate(SHORTLIST);
        }
        scored.into_iter().map(|(_, id)| id).collect()
    }

    /// One turn of the weighted round-robin among `ids`. Peers on probation share at most
    /// [`PROBATION_SHARE`] of the turns while verified peers have room: their weights are
    /// scaled down together when they would take more (never up; alone they take every turn).
    fn round_robin<'a>(
        &mut self,
        model: &ModelRef,
        ids: impl Iterator<Item = &'a NodeId>,
        exclude: &[NodeId],
    ) -> Option<NodeId> {
        let w = self.weights;
        let mut candidates: Vec<(NodeId, f64, bool)> = Vec::new();
        for id in ids {
            let Some(p) = self.peers.get(id) else {
                continue;
            };
            if !p.routable() || exclude.contains(&p.id) {
                continue;
            }
            let Some(ad) = p.serves(model) else { continue };
            if p.inflight >= ad.slots {
                continue;
            }
            let Some(s) = p.score(model, &w) else {
                continue;
            };
            candidates.push((p.id, s, !self.verified.contains(&p.id)));
        }
        let (on, off): (Vec<&(NodeId, f64, bool)>, Vec<_>) = candidates.iter().partition(|c| c.2);
        let probation: f64 = on.iter().map(|c| c.1).sum();
        let verified: f64 = off.iter().map(|c| c.1).sum();
        let scale = if probation > 0.0 && verified > 0.0 {
            (PROBATION_SHARE / (1.0 - PROBATION_SHARE) * verified / probation).min(1.0)
        } else {
            1.0
        };
        let mut sum = 0.0;
        let mut best: Option<(NodeId, f64)> = None;
        for (id, s, on_probation) in candidates {
            let s = if on_probation { s * scale } else { s };
            let p = self.peers.get_mut(&id).expect("a candidate");
            p.current += s;
            sum += s;
            if best.is_none_or(|(_, c)| p.current > c) {
                best = Some((p.id, p.current));
            }
        }
        let (id, _) = best?;
        let p = self.peers.get_mut(&id).expect("picked");
        p.current -= sum;
        Some(id)
    }

    /// Whether any routable peer serves `model` at all (saturated or not). Asked for every
    /// request, so it answers from the shortlist; only an empty one (a peer may have become
    /// routable since it was built) costs a scan.
    pub fn any_capable(&mut self, model: &ModelRef) -> bool {
        self.any_capable_at(model, Instant::now())
    }

    /// How many routable peers serve `model`, up to [`SHORTLIST`] (its shortlist's length).
    pub fn capable_count(&mut self, model: &ModelRef) -> usize {
        self.capable_listed(model, Instant::now())
    }

    /// The routable peers on `model`'s shortlist (rebuilt first if old) at `now`.
    fn capable_listed(&mut self, model: &ModelRef, now: Instant) -> usize {
        self.refresh_shortlist(model, now);
        self.shortlists.get(model).map_or(0, |(l, _)| {
            l.iter()
                .filter(|id| self.peers.get(id).is_some_and(|p| p.routable()))
                .count()
        })
    }

    /// [`Table::any_capable`] at `now` (the simulator's clock).
    pub fn any_capable_at(&mut self, model: &ModelRef, now: Instant) -> bool {
        self.capable_listed(model, now) > 0
            || self
                .peers
                .values()
                .any(|p| p.routable() && p.serves(model).is_some())
    }
}

#[cfg(test)]
mod tests;
