//! Inbound connection slots: how many connections peers may hold open to this node, for every
//! protocol on the endpoint, counted per peer, per source address and in all, with handshakes
//! in progress counted apart; and, when every slot is taken, which connection makes room.
//!
//! Anyone can open a QUIC connection under a fresh key and, on the public network, complete the
//! handshake, so a limit per key alone limits nothing. Counting by source address (an IPv6
//! address by its /64, the smallest block a host is given) bounds what one address can hold.
//! Beyond that, room is made by network (an IPv4 /24, an IPv6 /48, or the relays, which hide
//! their peers' addresses), so that an attacker needs many networks, not many keys:
//! - a full handshake pool closes the oldest handshake of the network holding the most, if that
//!   holds more than the newcomer's (an honest handshake ends within a round trip or two; a
//!   flood's silent ones grow old, and its own newcomers are refused);
//! - a connection counts against the 1,024 only once its handshake is done, and when those are
//!   all taken a proven member's closes the newest connection of the network holding the most,
//!   if that holds more than its own; a connection that proved nothing (gossip) takes no one's
//!   place.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use iroh::endpoint::Connection;

use crate::ids::NodeId;

/// Connections one peer may have open to this node at once, per protocol. Two sides that dial
/// each other, a restart whose old connection has not timed out yet, and a spare: more is an
/// attempt to multiply the streams (and memory) a connection is allowed.
const PER_PEER: usize = 4;
/// Connections one source address may hold, handshakes included: a host running a few nodes
/// fits, a host minting keys does not. The relays carry many peers: they count as one source
/// with four times the room.
const PER_SOURCE: usize = 64;
/// Handshakes in progress from one source address (each lasts at most 10 s).
const HANDSHAKES_PER_SOURCE: usize = 16;
/// Handshakes in progress at once.
const HANDSHAKES: usize = 128;
/// Connections past their handshake, at once.
const ESTABLISHED: usize = 1024;
/// How much more room the relays have than one source address.
const RELAY_ROOM: usize = 4;

/// Where a connection comes from: its IP address, an IPv6 one by its /64. None for a connection
/// through a relay, whose source the relay hides.
pub(super) type Source = Option<IpAddr>;

/// The source of `conn`, from the path it took first (proven by the QUIC handshake, so a host
/// off that path cannot claim it).
pub(super) fn source_of(conn: &Connection) -> Source {
    let paths = conn.paths();
    let ip = paths.iter().find_map(|p| match p.remote_addr() {
        iroh::TransportAddr::Ip(a) => Some(a.ip()),
        _ => None,
    })?;
    Some(masked(ip, 64))
}

/// `ip` with an IPv6 address cut to its first `v6_bits` bits (IPv4-mapped ones read as IPv4).
fn masked(ip: IpAddr, v6_bits: u32) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !(u128::MAX >> v6_bits)).into()),
        },
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// The network a source belongs to, for fairness: an IPv4 /24, an IPv6 /48, or the relays.
fn network(source: Source) -> Source {
    source.map(|ip| match masked(ip, 48) {
        IpAddr::V4(v4) => IpAddr::V4((u32::from(v4) & !0xff).into()),
        v6 => v6,
    })
}

struct Entry {
    peer: NodeId,
    alpn: &'static [u8],
    source: Source,
    established: bool,
    /// Closed when it makes room for a newcomer (None in unit tests).
    conn: Option<Connection>,
}

#[derive(Default)]
struct Table {
    /// By admission order: a higher key is a newer connection.
    entries: HashMap<u64, Entry>,
    next: u64,
    /// Breaks ties between equally busy networks in a way an attacker cannot predict.
    ties: std::collections::hash_map::RandomState,
}

impl Table {
    fn count(&self, f: impl Fn(&Entry) -> bool) -> usize {
        self.entries.values().filter(|e| f(e)).count()
    }

    /// Whether `peer` from `source` may open one more connection of `alpn`; the key of the
    /// handshake that must make room for it, if one must.
    fn admit(
        &self,
        peer: &NodeId,
        alpn: &[u8],
        source: Source,
    ) -> Result<Option<u64>, &'static str> {
        if self.count(|e| e.peer == *peer && e.alpn == alpn) >= PER_PEER {
            return Err("too many connections from this peer");
        }
        let room = if source.is_some() { 1 } else { RELAY_ROOM };
        if self.count(|e| e.source == source) >= PER_SOURCE * room {
            return Err("too many connections from this address");
        }
        let shaking = |e: &Entry| !e.established;
        if self.count(|e| e.source == source && shaking(e)) >= HANDSHAKES_PER_SOURCE * room {
            // The relays hide their peers' addresses: rather than refusing every relayed peer,
            // their oldest handshake gives way.
            if source.is_none() {
                return Ok(self.oldest(|e| shaking(e) && e.source.is_none()));
            }
            return Err("too many handshakes from this address");
        }
        if self.count(shaking) < HANDSHAKES {
            return Ok(None);
        }
        // The pool is full: the oldest handshake of the network holding the most gives way, if
        // that holds more than the newcomer's.
        let busiest = self.busiest(shaking).ok_or("too many handshakes")?;
        let ours = self.count(|e| shaking(e) && network(e.source) == network(source));
        if busiest.1 <= ours {
            return Err("too many handshakes");
        }
        Ok(self.oldest(|e| shaking(e) && network(e.source) == busiest.0))
    }

    /// The network holding the most of the connections `among` picks, and how many (ties
    /// broken in a way an attacker cannot predict).
    fn busiest(&self, among: impl Fn(&Entry) -> bool) -> Option<(Source, usize)> {
        let mut by_network: HashMap<Source, usize> = HashMap::new();
        for e in self.entries.values().filter(|e| among(e)) {
            *by_network.entry(network(e.source)).or_default() += 1;
        }
        by_network
            .into_iter()
            .max_by_key(|&(net, n)| (n, self.ties.hash_one(net)))
    }

    /// The oldest of the connections `among` picks.
    fn oldest(&self, among: impl Fn(&Entry) -> bool) -> Option<u64> {
        self.entries
            .iter()
            .filter(|(_, e)| among(e))
            .map(|(k, _)| *k)
            .min()
    }

    /// The established connection that makes room for `key`'s, once every place is taken: the
    /// newest of the network that holds the most, if it holds more than `key`'s (itself
    /// included).
    fn room(&self, key: u64) -> Result<Option<u64>, &'static str> {
        let held = |e: &Entry| e.established;
        // (`key`'s own place is counted already.)
        if self.count(held) <= ESTABLISHED {
            return Ok(None);
        }
        let ours = self.entries.get(&key).map(|e| network(e.source));
        let n_ours = self.count(|e| held(e) && Some(network(e.source)) == ours);
        let (busiest, n) = self.busiest(held).ok_or("too many connections")?;
        if n <= n_ours {
            return Err("too many connections");
        }
        Ok(self
            .entries
            .iter()
            .filter(|(_, e)| held(e) && network(e.source) == busiest)
            .max_by_key(|&(k, _)| *k)
            .map(|(k, _)| *k))
    }

    /// Closes and forgets the connection `key` to make room for another.
    fn evict(&mut self, key: u64) {
        if let Some(e) = self.entries.remove(&key) {
            tracing::debug!(
                "closed a connection of {} to make room for another",
                e.peer.short()
            );
            if let Some(c) = e.conn {
                c.close(3u32.into(), b"made room for another connection");
            }
        }
    }
}

/// The inbound connections being served, shared by their slots.
#[derive(Default, Clone)]
pub(super) struct Slots(Arc<Mutex<Table>>);

impl Slots {
    /// Counts a new inbound connection of `alpn` from `peer` at `source` as a handshake in
    /// progress (until [`Slot::established`]), closing another handshake if the pool is full
    /// and that is fair; or says which limit it is over.
    pub(super) fn admit(
        &self,
        peer: &NodeId,
        alpn: &'static [u8],
        source: Source,
        conn: Option<Connection>,
    ) -> Result<Slot, &'static str> {
        let mut t = self.0.lock().expect("slots lock");
        if let Some(k) = t.admit(peer, alpn, source)? {
            t.evict(k);
        }
        let key = t.next;
        t.next += 1;
        t.entries.insert(
            key,
            Entry {
                peer: *peer,
                alpn,
                source,
                established: false,
                conn,
            },
        );
        Ok(Slot {
            slots: self.0.clone(),
            key,
        })
    }
}

/// One inbound connection counted against the limits, until dropped.
pub(super) struct Slot {
    slots: Arc<Mutex<Table>>,
    key: u64,
}

impl Slot {
    /// The connection completed its handshake: it takes an established place. When they are
    /// all taken, one that `may_evict` (a proven member's) closes the newest connection of the
    /// busiest network if that is fairer; else it must close, for the reason returned.
    pub(super) fn established(&self, may_evict: bool) -> Result<(), &'static str> {
        let mut t = self.slots.lock().expect("slots lock");
        let Some(e) = t.entries.get_mut(&self.key) else {
            return Err("made room for another connection");
        };
        e.established = true;
        match t.room(self.key) {
            Ok(None) => Ok(()),
            Ok(Some(k)) if may_evict => {
                t.evict(k);
                Ok(())
            }
            Ok(Some(_)) => {
                t.entries.remove(&self.key);
                Err("too many connections")
            }
            Err(why) => {
                t.entries.remove(&self.key);
                Err(why)
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots
            .lock()
            .expect("slots lock")
            .entries
            .remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LLP: &[u8] = b"llp/13";

    fn peer(i: u32) -> NodeId {
        let mut b = [0u8; 32];
        b[..4].copy_from_slice(&i.to_be_bytes());
        NodeId::from_bytes(b)
    }

    /// An address in network `net` (a /24), host `host`.
    fn ip(net: u16, host: u8) -> Source {
        let [a, b] = net.to_be_bytes();
        Some(IpAddr::from([10, a, b, host]))
    }

    /// `n` connections from `from`, `PER_PEER` to a key starting at `first_peer`.
    fn fill(slots: &Slots, from: Source, first_peer: u32, n: usize, done: bool) -> Vec<Slot> {
        (0..n)
            .map(|i| {
                let s = slots
                    .admit(&peer(first_peer + (i / PER_PEER) as u32), LLP, from, None)
                    .unwrap();
                if done {
                    s.established(true).unwrap();
                }
                s
            })
            .collect()
    }

    fn count(slots: &Slots, f: impl Fn(&Entry) -> bool) -> usize {
        slots.0.lock().unwrap().count(f)
    }

    #[test]
    fn a_peer_and_an_address_hold_only_their_share() {
        let slots = Slots::default();
        let held = fill(&slots, ip(1, 1), 0, PER_PEER, true);
        assert_eq!(
            slots.admit(&peer(0), LLP, ip(1, 1), None).err(),
            Some("too many connections from this peer")
        );
        // The same peer's connections of another protocol count apart.
        assert!(slots.admit(&peer(0), b"gossip", ip(1, 1), None).is_ok());
        // Keys minted on one address: its handshakes first, then its connections.
        let shaking = fill(&slots, ip(1, 1), 100, HANDSHAKES_PER_SOURCE, false);
        assert_eq!(
            slots.admit(&peer(999), LLP, ip(1, 1), None).err(),
            Some("too many handshakes from this address")
        );
        // Another address, even next door, is not held back by it.
        assert!(slots.admit(&peer(999), LLP, ip(1, 2), None).is_ok());
        for s in &shaking {
            s.established(true).unwrap();
        }
        let more = fill(
            &slots,
            ip(1, 1),
            200,
            PER_SOURCE - held.len() - shaking.len(),
            true,
        );
        assert_eq!(
            slots.admit(&peer(999), LLP, ip(1, 1), None).err(),
            Some("too many connections from this address")
        );
        // A slot let go is free again.
        drop(more);
        assert!(slots.admit(&peer(999), LLP, ip(1, 1), None).is_ok());
        // IPv6: one host's /64 is one address.
        let v6 = |s: &str| Some(masked(s.parse().unwrap(), 64));
        assert_eq!(v6("2001:db8::1"), v6("2001:db8::ffff:2"));
        assert_ne!(v6("2001:db8::1"), v6("2001:db8:0:1::1"));
        assert_eq!(
            network(v6("2001:db8:0:1::1")),
            network(v6("2001:db8:0:2::1"))
        );
    }

    #[test]
    fn a_full_handshake_pool_closes_the_oldest_of_the_busiest_network() {
        let slots = Slots::default();
        // An honest handshake, the oldest of all, from a quiet network.
        let honest = slots.admit(&peer(77_777), LLP, ip(700, 1), None).unwrap();
        // Two addresses of one /24 hold 32; six more networks about 16 each; the pool is full.
        let mut held = vec![
            fill(&slots, ip(1, 1), 0, HANDSHAKES_PER_SOURCE, false),
            fill(&slots, ip(1, 2), 100, HANDSHAKES_PER_SOURCE, false),
        ];
        for a in 2..8 {
            // (The last one short by the honest handshake's place.)
            let n = HANDSHAKES_PER_SOURCE - usize::from(a == 7);
            held.push(fill(&slots, ip(a, 1), 1000 * u32::from(a), n, false));
        }
        assert_eq!(count(&slots, |e| !e.established), HANDSHAKES);
        // Another address of the busiest network is refused: it would be no fairer.
        assert_eq!(
            slots.admit(&peer(99_998), LLP, ip(1, 3), None).err(),
            Some("too many handshakes")
        );
        // A newcomer from elsewhere closes the busiest network's oldest: not the honest one.
        let newcomer = slots.admit(&peer(99_999), LLP, ip(500, 1), None).unwrap();
        assert_eq!(count(&slots, |e| !e.established), HANDSHAKES);
        assert_eq!(count(&slots, |e| e.peer == peer(0)), PER_PEER - 1);
        assert_eq!(count(&slots, |e| e.peer == peer(77_777)), 1);
        // The slot of the one that went, dropped later, removes nothing else.
        drop(held.remove(0));
        assert_eq!(
            count(&slots, |e| !e.established),
            HANDSHAKES - (HANDSHAKES_PER_SOURCE - 1)
        );
        drop((honest, newcomer));
    }

    #[test]
    fn the_relays_oldest_handshake_gives_way_to_a_relayed_newcomer() {
        let slots = Slots::default();
        let relayed = fill(&slots, None, 0, HANDSHAKES_PER_SOURCE * RELAY_ROOM, false);
        let newcomer = slots.admit(&peer(99_999), LLP, None, None).unwrap();
        assert_eq!(
            count(&slots, |e| e.source.is_none()),
            HANDSHAKES_PER_SOURCE * RELAY_ROOM
        );
        assert_eq!(count(&slots, |e| e.peer == peer(0)), PER_PEER - 1);
        drop((relayed, newcomer));
    }

    #[test]
    fn when_full_a_quieter_network_takes_the_newest_place_of_the_busiest() {
        let slots = Slots::default();
        let mut held = Vec::new();
        // Every established place taken: a /24 of 2 addresses holding 128, and the rest by
        // networks holding 64 each.
        held.push(fill(&slots, ip(1, 1), 0, PER_SOURCE, true));
        held.push(fill(&slots, ip(1, 2), 100, PER_SOURCE, true));
        for a in 2..ESTABLISHED / PER_SOURCE {
            let from = ip(a as u16, 1);
            held.push(fill(&slots, from, 1000 * a as u32, PER_SOURCE, true));
        }
        // A handshake still gets in (handshakes have their own room)...
        let newcomer = slots.admit(&peer(99_999), LLP, ip(500, 1), None).unwrap();
        // ...and once done, the busiest network's newest connection gives way.
        newcomer.established(true).unwrap();
        assert_eq!(count(&slots, |e| e.established), ESTABLISHED);
        assert_eq!(count(&slots, |e| e.source == ip(1, 2)), PER_SOURCE - 1);
        assert_eq!(count(&slots, |e| e.peer == peer(115)), PER_PEER - 1);
        // Another address of the busiest network takes no place: that would be no fairer.
        let even = slots.admit(&peer(88_888), LLP, ip(1, 3), None).unwrap();
        assert_eq!(even.established(true).err(), Some("too many connections"));
        assert_eq!(count(&slots, |e| e.peer == peer(88_888)), 0);
        // A connection of no proven member (gossip asks for no proof) takes no one's place.
        let stranger = slots
            .admit(&peer(66_666), b"gossip", ip(800, 1), None)
            .unwrap();
        assert_eq!(
            stranger.established(false).err(),
            Some("too many connections")
        );
        assert_eq!(count(&slots, |e| e.established), ESTABLISHED);
        assert_eq!(count(&slots, |e| e.source == ip(1, 1)), PER_SOURCE);
        // Relayed connections are one network: they give way too.
        drop(held.drain(..2));
        let relayed = fill(&slots, None, 50_000, PER_SOURCE * 2 - 1, true);
        let from_relays = |s: &Slots| count(s, |e| e.source.is_none());
        let late = slots.admit(&peer(77_777), LLP, ip(600, 1), None).unwrap();
        late.established(true).unwrap();
        assert_eq!(from_relays(&slots), PER_SOURCE * 2 - 2);
        drop((newcomer, late, relayed));
    }
}
