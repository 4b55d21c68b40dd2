//! Reputation: protocol violations (strikes) by peer, the flood limit on announcements, and
//! bans. A strike is logged with its reason, scores the peer down in the table, and after
//! [`BAN_STRIKES`] of them the peer is out of routing for [`BAN_TIME`] and refused at the
//! handshake. A peer proven to have forked its ledger is refused for good.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Net;
use super::table::Health;
use crate::ids::NodeId;

/// Most announcements one author may send per window before the excess counts as flooding.
const FLOOD_LIMIT: u32 = 20;
pub(super) const FLOOD_WINDOW: Duration = Duration::from_secs(10);
/// Peers whose protocol violations are remembered at most (the least-struck are forgotten).
const MAX_STRIKE_RECORDS: usize = 4096;
/// How long a banned peer stays out of routing (its strike record may be forgotten sooner).
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

/// Strikes and announcement counts.
pub(super) struct Reputation {
    /// Strikes by peer, with the last reason; bounded.
    strikes: Mutex<HashMap<NodeId, (u32, String)>>,
    /// Announcements per author in the current flood window.
    flood: Mutex<(Instant, HashMap<NodeId, u32>)>,
    /// Most announcements per window before the excess is flooding.
    flood_limit: u32,
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
            flood: Mutex::new((Instant::now(), HashMap::new())),
            flood_limit: FLOOD_LIMIT.max(own.min(200) + 1),
        }
    }

    /// Counts an announcement by `author`: `Some(n)` when it is the `n`th of the window and over
    /// the limit, and the excess should be struck (once, then every 50th).
    pub(super) fn flooding(&self, author: &NodeId) -> Option<u32> {
        let mut f = self.flood.lock().expect("flood");
        if f.0.elapsed() > FLOOD_WINDOW {
            *f = (Instant::now(), HashMap::new());
        }
        let n = f.1.entry(*author).or_insert(0);
        *n += 1;
        (*n > self.flood_limit).then_some(*n)
    }

    /// Whether the excess announcement `n` is one to strike.
    pub(super) fn strike_flood(&self, n: u32) -> bool {
        n == self.flood_limit + 1 || n.is_multiple_of(50)
    }

    /// Records a strike; returns the peer's count.
    fn record(&self, peer: &NodeId, reason: &str) -> u32 {
        let mut s = self.strikes.lock().expect("strikes");
        if s.len() >= MAX_STRIKE_RECORDS && !s.contains_key(peer) {
            // Bounded: forget the least-struck record to make room.
            if let Some(k) = s.iter().min_by_key(|(_, (n, _))| *n).map(|(k, _)| *k) {
                s.remove(&k);
            }
        }
        let e = s.entry(*peer).or_insert((0, String::new()));
        e.0 = e.0.saturating_add(1);
        e.1 = reason.chars().take(300).collect();
        e.0
    }

    fn banned(&self, peer: &NodeId) -> bool {
        self.strikes
            .lock()
            .expect("strikes")
            .get(peer)
            .is_some_and(|(n, _)| *n >= BAN_STRIKES)
    }
}

impl Net {
    /// Records a protocol violation by `peer`, with the reason, in the log and its reputation.
    pub fn strike(&self, peer: &NodeId, reason: &str) {
        tracing::warn!("peer {}: {reason}; its reputation drops", peer.short());
        self.strike_to(peer, reason, 0);
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
        let mut v: Vec<Misbehaviour> = self
            .inner
            .reputation
            .strikes
            .lock()
            .expect("strikes")
            .iter()
            .map(|(id, (n, last))| Misbehaviour {
                peer: *id,
                strikes: *n,
                last: last.clone(),
            })
            .collect();
        v.sort_by_key(|m| m.peer);
        v
    }

    /// Whether `peer` has misbehaved so often that it is refused, or forked its ledger.
    pub fn banned(&self, peer: &NodeId) -> bool {
        self.node().ledger().is_some_and(|l| l.is_equivocator(peer))
            || self.inner.reputation.banned(peer)
    }
}
