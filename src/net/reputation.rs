//! Reputation: protocol violations (strikes) by peer, the flood limit on announcements, and
//! bans. A strike is logged with its reason, scores the peer down in the table, and after
//! [`BAN_STRIKES`] of them the peer is out of routing for [`BAN_TIME`] and refused at the
//! handshake. A peer proven to have forked its ledger is refused for good. Every record is
//! bounded, and bans are kept apart from strikes so that a flood of new ids cannot push one
//! out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Net;
use super::table::Health;
use crate::ids::NodeId;

/// Most announcements one author may send per window before the excess counts as flooding.
const FLOOD_LIMIT: u32 = 20;
pub const FLOOD_WINDOW: Duration = Duration::from_secs(10);
/// Authors counted per flood window at most: past it, announcements of authors not yet
/// counted wait for the next window (dropped, not struck).
pub const MAX_FLOOD_AUTHORS: usize = 8192;
/// Peers whose protocol violations are remembered at most (the least-struck are forgotten).
const MAX_STRIKE_RECORDS: usize = 4096;
/// Bans remembered at most. A ban is never forgotten to make room for another: when the list
/// is full of unexpired bans, a new offender keeps its strikes (and its low score) but is
/// not banned until one expires. Filling it takes [`BAN_STRIKES`] violations for each of
/// 65,536 ids.
const MAX_BANS: usize = 65_536;
/// Ids that failed the handshake remembered at most (the least recently seen forgotten):
/// they never proved membership, so forgetting one lets it try five more handshakes, no more.
const MAX_OUTSIDERS: usize = 16_384;
/// How long a banned peer stays out of routing and refused.
const BAN_TIME: Duration = Duration::from_secs(24 * 3600);
/// Strikes after which a peer's connections are refused at the handshake.
const BAN_STRIKES: u32 = 5;

/// A peer that broke the protocol, for status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Misbehaviour {
    pub peer: NodeId,
    pub strikes: u32,
    pub last: String,
}

/// A banned peer's record.
struct Ban {
    until: Instant,
    strikes: u32,
    last: String,
}

/// What counting an announcement found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flood {
    /// Within the author's limit.
    Fine,
    /// The author's `n`th of the window, over the limit, and made by it within a window (by
    /// the clocks it signed): a flood of its own.
    Over(u32),
    /// Over the limit, but made by its author over longer than a window: old announcements
    /// replayed by someone else. Dropped; the author is not struck.
    Replayed,
    /// Too many authors this window to count one more: dropped, nobody struck.
    Crowded,
}

/// An author's announcements this window: how many, and the first and last clocks they carry.
type Counted = (u32, u64, u64);

/// Strikes, bans and announcement counts.
pub(super) struct Reputation {
    /// Strikes of peers not banned, with the last reason; bounded, the least-struck forgotten.
    strikes: Mutex<HashMap<NodeId, (u32, String)>>,
    /// Banned peers, apart from the strikes so that no flood of new ids pushes a ban out.
    bans: Mutex<HashMap<NodeId, Ban>>,
    /// Ids that failed the handshake: their strikes and the last reason, kept apart from
    /// members' so that ids made by the thousand (they cost nothing) cannot fill the bans.
    outsiders: Mutex<lru::LruCache<NodeId, (u32, String)>>,
    /// Announcements per author in the current flood window.
    flood: Mutex<(Instant, HashMap<NodeId, Counted>)>,
    /// Most announcements per window before the excess is flooding.
    flood_limit: u32,
    /// [`MAX_STRIKE_RECORDS`] and [`MAX_BANS`] (smaller in tests).
    caps: (usize, usize),
}

impl Reputation {
    /// A network's nodes share their settings: announcing faster than 20 per window (an
    /// interval under 500 ms) is no flood where this node does so itself. Twice its own rate
    /// leaves room for announcements of changes, which come at most once a second, and for a
    /// window that catches one more periodic announcement. The config's floor (100 ms) bounds
    /// it: 201 at most.
    pub(super) fn new(announce_interval: Duration) -> Reputation {
        let own = (2 * FLOOD_WINDOW.as_millis() / announce_interval.as_millis().max(1)) as u32;
        Reputation {
            strikes: Mutex::new(HashMap::new()),
            bans: Mutex::new(HashMap::new()),
            outsiders: Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(MAX_OUTSIDERS).expect("not 0"),
            )),
            flood: Mutex::new((Instant::now(), HashMap::new())),
            flood_limit: FLOOD_LIMIT.max(own.min(200) + 1),
            caps: (MAX_STRIKE_RECORDS, MAX_BANS),
        }
    }

    /// Counts an announcement by `author`. Authors `known` (in the routing table) are always
    /// counted: a crowd of new ids can make new authors wait, never the peers already known.
    /// `clock_ms` is the clock the announcement carries (its author's, signed).
    pub(super) fn flooding(&self, author: &NodeId, known: bool, clock_ms: u64) -> Flood {
        let mut f = self.flood.lock().expect("flood");
        if f.0.elapsed() > FLOOD_WINDOW {
            *f = (Instant::now(), HashMap::new());
        }
        if !known && f.1.len() >= MAX_FLOOD_AUTHORS && !f.1.contains_key(author) {
            return Flood::Crowded;
        }
        let (n, first, last) = f.1.entry(*author).or_insert((0, clock_ms, clock_ms));
        *n += 1;
        *first = (*first).min(clock_ms);
        *last = (*last).max(clock_ms);
        if *n <= self.flood_limit {
            Flood::Fine
        } else if *last - *first <= FLOOD_WINDOW.as_millis() as u64 {
            Flood::Over(*n)
        } else {
            Flood::Replayed
        }
    }

    /// Whether the excess announcement `n` is one to strike.
    pub(super) fn strike_flood(&self, n: u32) -> bool {
        n == self.flood_limit + 1 || n.is_multiple_of(50)
    }

    /// Records a strike; returns the peer's count. At [`BAN_STRIKES`] the record moves to the
    /// bans.
    fn record(&self, peer: &NodeId, reason: &str) -> u32 {
        let reason: String = reason.chars().take(300).collect();
        let now = Instant::now();
        let mut bans = self.bans.lock().expect("bans");
        if let Some(b) = bans.get_mut(peer).filter(|b| b.until > now) {
            b.strikes = b.strikes.saturating_add(1);
            b.last = reason;
            return b.strikes;
        }
        let mut s = self.strikes.lock().expect("strikes");
        if s.len() >= self.caps.0 && !s.contains_key(peer) {
            // Bounded: forget the least-struck record to make room (never a ban: those are
            // kept apart).
            if let Some(k) = s.iter().min_by_key(|(_, (n, _))| *n).map(|(k, _)| *k) {
                s.remove(&k);
            }
        }
        let e = s.entry(*peer).or_insert((0, String::new()));
        e.0 = e.0.saturating_add(1);
        e.1 = reason;
        let count = e.0;
        if count >= BAN_STRIKES {
            if bans.len() >= self.caps.1 {
                bans.retain(|_, b| b.until > now);
            }
            if bans.len() < self.caps.1 || bans.contains_key(peer) {
                let (strikes, last) = s.remove(peer).unwrap_or_default();
                bans.insert(
                    *peer,
                    Ban {
                        until: now + BAN_TIME,
                        strikes,
                        last,
                    },
                );
            }
        }
        count
    }

    /// Records a failed handshake by `peer`; returns its count.
    fn record_outsider(&self, peer: &NodeId, reason: &str) -> u32 {
        let mut o = self.outsiders.lock().expect("outsiders");
        let e = o.get_or_insert_mut(*peer, || (0, String::new()));
        e.0 = e.0.saturating_add(1);
        e.1 = reason.chars().take(300).collect();
        e.0
    }

    /// `peer` proved its membership: its failed handshakes (a lost packet, a connection this
    /// node closed) are forgiven.
    fn forgive_outsider(&self, peer: &NodeId) {
        self.outsiders.lock().expect("outsiders").pop(peer);
    }

    fn banned(&self, peer: &NodeId) -> bool {
        if self
            .outsiders
            .lock()
            .expect("outsiders")
            .peek(peer)
            .is_some_and(|(n, _)| *n >= BAN_STRIKES)
        {
            return true;
        }
        self.bans
            .lock()
            .expect("bans")
            .get(peer)
            .is_some_and(|b| b.until > Instant::now())
    }

    /// Every record, banned or not, by peer.
    fn records(&self) -> Vec<Misbehaviour> {
        let now = Instant::now();
        let bans = self.bans.lock().expect("bans");
        let strikes = self.strikes.lock().expect("strikes");
        let outsiders = self.outsiders.lock().expect("outsiders");
        let mut v: Vec<Misbehaviour> = bans
            .iter()
            .filter(|(_, b)| b.until > now)
            .map(|(id, b)| (id, b.strikes, &b.last))
            .chain(strikes.iter().map(|(id, (n, last))| (id, *n, last)))
            .chain(outsiders.iter().map(|(id, (n, last))| (id, *n, last)))
            .map(|(id, strikes, last)| Misbehaviour {
                peer: *id,
                strikes,
                last: last.clone(),
            })
            .collect();
        v.sort_by_key(|m| m.peer);
        v
    }
}

impl Net {
    /// Records a protocol violation by `peer`, with the reason, in the log and its reputation.
    pub fn strike(&self, peer: &NodeId, reason: &str) {
        tracing::warn!("peer {}: {reason}; its reputation drops", peer.short());
        self.strike_to(peer, reason, 0);
    }

    /// Records a failed handshake by `peer` (an id that has not proved membership): logged,
    /// and after [`BAN_STRIKES`] of them its connections are refused before the handshake.
    pub(super) fn strike_outsider(&self, peer: &NodeId, reason: &str) {
        tracing::warn!("peer {}: {reason}", peer.short());
        self.inner.reputation.record_outsider(peer, reason);
    }

    /// `peer` completed the handshake: what it failed before is forgiven.
    pub(super) fn welcomed(&self, peer: &NodeId) {
        self.inner.reputation.forgive_outsider(peer);
    }

    /// Bans `peer` at once: a violation it cannot have made by accident (its answer failed a
    /// spot check twice).
    pub fn ban(&self, peer: &NodeId, reason: &str) {
        tracing::warn!("peer {}: {reason}; banned", peer.short());
        self.strike_to(peer, reason, BAN_STRIKES);
    }

    /// A strike that brings `peer`'s count to at least `least`.
    fn strike_to(&self, peer: &NodeId, reason: &str, least: u32) {
        let mut count = self.inner.reputation.record(peer, reason);
        while count < least {
            count = self.inner.reputation.record(peer, reason);
        }
        let now = Instant::now();
        self.with_peer(peer, |t| {
            t.failure(peer, reason, now);
            if let Some(p) = t.get_mut(peer) {
                p.strikes = count;
                if count >= BAN_STRIKES {
                    p.health = Health::Evicted {
                        reason: format!("banned after {count} protocol violations; last: {reason}"),
                        retry_in_s: BAN_TIME.as_secs(),
                    };
                    p.retry_at = Some(now + BAN_TIME);
                }
            }
            t.invalidate();
        });
    }

    /// The peers that broke the protocol, by id.
    pub fn misbehaving(&self) -> Vec<Misbehaviour> {
        self.inner.reputation.records()
    }

    /// Whether `peer` has misbehaved so often that it is refused, or forked its ledger.
    pub fn banned(&self, peer: &NodeId) -> bool {
        self.node().ledger().is_some_and(|l| l.is_equivocator(peer))
            || self.inner.reputation.banned(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: u32) -> NodeId {
        let mut b = [0u8; 32];
        b[..4].copy_from_slice(&i.to_be_bytes());
        NodeId::from_bytes(b)
    }

    #[test]
    fn a_flood_of_new_ids_cannot_lift_a_ban() {
        let mut r = Reputation::new(Duration::from_secs(1));
        r.caps = (64, 16);
        let villain = id(u32::MAX);
        for _ in 0..BAN_STRIKES {
            r.record(&villain, "lied");
        }
        assert!(r.banned(&villain));
        // Thousands of fresh ids, each struck as often as a ban takes and once short of it:
        // the strike records turn over, the bans fill, and the first ban holds throughout.
        for i in 0..5000 {
            let n = if i % 2 == 0 {
                BAN_STRIKES
            } else {
                BAN_STRIKES - 1
            };
            for _ in 0..n {
                r.record(&id(i), "sybil");
            }
            assert!(r.banned(&villain), "lifted after {i} new ids");
        }
        assert!(r.strikes.lock().unwrap().len() <= 64);
        assert_eq!(r.bans.lock().unwrap().len(), 16);
        // A full list bans no one new, but the offender keeps its strikes.
        let late = id(999_999);
        for _ in 0..BAN_STRIKES {
            r.record(&late, "late");
        }
        assert!(!r.banned(&late));
        assert!(
            r.records()
                .iter()
                .any(|m| m.peer == late && m.strikes == BAN_STRIKES)
        );
        // Strikes on a banned peer count on, in its ban.
        assert_eq!(r.record(&villain, "again"), BAN_STRIKES + 1);
        // Ids that fail the handshake are refused after as many, and touch no ban.
        let bans = r.bans.lock().unwrap().len();
        for i in 0..20_000 {
            for _ in 0..BAN_STRIKES {
                r.record_outsider(&id(2_000_000 + i), "no secret");
            }
        }
        assert!(r.banned(&id(2_000_000 + 19_999)));
        assert_eq!(r.bans.lock().unwrap().len(), bans);
        assert!(r.outsiders.lock().unwrap().len() <= MAX_OUTSIDERS);
        assert!(r.banned(&villain));
    }

    #[test]
    fn flood_counts_are_bounded() {
        let r = Reputation::new(Duration::from_secs(1));
        for i in 0..MAX_FLOOD_AUTHORS as u32 {
            assert_eq!(r.flooding(&id(i), false, 0), Flood::Fine);
        }
        assert_eq!(r.flooding(&id(u32::MAX), false, 0), Flood::Crowded);
        // A peer already known is counted however crowded the window.
        assert_eq!(r.flooding(&id(u32::MAX - 1), true, 0), Flood::Fine);
        // Authors already counted are still counted, and still limited.
        let mut last = Flood::Fine;
        for _ in 0..r.flood_limit {
            last = r.flooding(&id(0), false, 1_000);
        }
        assert_eq!(last, Flood::Over(r.flood_limit + 1));
        // Announcements their author made over a minute, replayed at once: dropped, not a
        // flood of the author's.
        for i in 0..r.flood_limit + 5 {
            last = r.flooding(&id(7), true, 1_000 + u64::from(i) * 3_000);
        }
        assert_eq!(last, Flood::Replayed);
        assert!(r.flood.lock().unwrap().1.len() <= MAX_FLOOD_AUTHORS + 1);
    }
}
