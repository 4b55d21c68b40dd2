//! The bookkeeping of one iterative Kademlia lookup: which nodes to ask next, which answered,
//! and who named whom. Pure logic with no I/O: [`crate::net`] sends the queries and feeds the
//! answers in.
//!
//! A lookup keeps [`ALPHA`] queries in flight to the closest nodes it knows, and each answer
//! names closer ones. A liar can answer with made-up ids closer than any real node, so that the
//! lookup spends its deadline waiting on them and never asks an honest node. So every candidate
//! remembers the peers that named it, and a candidate that does not answer in time is charged
//! to the peers liable for it, shared: one named by
//! five costs each a fifth. Liable are those whose addresses for it were dialed: the caller
//! dials a node at the addresses of all that named it before it was asked, and a peer that
//! names it while it is in flight is liable only if it gave the same addresses (a witness that
//! it did exist). A refusal comes from a real node and costs no one.
//!
//! A peer charged [`ALPHA`] whole failures of nodes never reached (what made-up ids do) is
//! distrusted: the candidates only distrusted peers named are dropped, and it leaves the
//! result. Real nodes that stall may be an honest peer's contacts, so they count only here:
//! while a peer's charges and the shares of its candidates in flight would pass [`ALPHA`], its
//! candidates wait (one at a time, with none of its own in flight). One liar (or a few naming the
//! same made-up ids) thus costs a lookup about [`ALPHA`] unanswered queries, not its deadline,
//! while a node that left the network, named by many, costs each of them little.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::ids::NodeId;

/// Queries in flight at once (Kademlia's alpha), and the unanswered candidates a peer may name
/// before it is distrusted.
pub const ALPHA: usize = 3;

/// One whole failure, in the units charges are counted in (shares of it are whole numbers for
/// up to 60 namers, and at least 1 beyond).
const UNIT: u32 = 60;

/// What to do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Ask these nodes as well.
    Ask(Vec<NodeId>),
    /// Nothing to ask until a query in flight ends.
    Wait,
    /// The `k` closest candidates have all answered or failed.
    Converged,
    /// The lookup has sent its most queries.
    Bounded,
}

/// How a query ended without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Never reached (no QUIC connection in time): what a made-up node does. Charged to the
    /// peers liable for it, toward their distrust.
    Unreachable,
    /// Reached (it holds its key) but no answer in time: a real node that stalls, perhaps one
    /// a liar runs. Charged, so that the peers liable wait on it, but never toward distrust:
    /// an honest peer may name a real node that stalls.
    Silent,
    /// A real node that refused, broke the stream off or broke a rule: its own doing, charged
    /// to no one.
    Refused,
}

/// One lookup of `target`.
pub struct Lookup {
    target: NodeId,
    k: usize,
    max_queries: usize,
    /// Candidates not yet known to have failed, by distance to the target.
    near: BTreeMap<[u8; 32], NodeId>,
    /// The candidates our own table holds: never dropped or charged for what others named.
    known: HashSet<NodeId>,
    asked: HashSet<NodeId>,
    in_flight: HashSet<NodeId>,
    answered: Vec<NodeId>,
    /// The peers that named each candidate.
    named_by: HashMap<NodeId, Vec<NodeId>>,
    /// The peers charged if it does not answer: those whose addresses for it are dialed.
    liable: HashMap<NodeId, Vec<NodeId>>,
    /// Each peer's charges, in [`UNIT`]s: all of them, and those for nodes never reached.
    charged: HashMap<NodeId, u32>,
    unreached: HashMap<NodeId, u32>,
    /// A peer was distrusted: the result lacks it, and maybe what only it named.
    trimmed: bool,
}

impl Lookup {
    /// A lookup of `target` that starts from `known` (the closest nodes of our table), keeps the
    /// `k` closest, and sends at most `max_queries`.
    pub fn new(
        target: NodeId,
        known: impl IntoIterator<Item = NodeId>,
        k: usize,
        max_queries: usize,
    ) -> Lookup {
        let known: HashSet<NodeId> = known.into_iter().collect();
        let near = known.iter().map(|id| (id.xor(&target), *id)).collect();
        Lookup {
            target,
            k,
            max_queries,
            near,
            known,
            asked: HashSet::new(),
            in_flight: HashSet::new(),
            answered: Vec::new(),
            named_by: HashMap::new(),
            liable: HashMap::new(),
            charged: HashMap::new(),
            unreached: HashMap::new(),
            trimmed: false,
        }
    }

    fn distrusted(&self, p: &NodeId) -> bool {
        self.unreached.get(p).copied().unwrap_or(0) >= ALPHA as u32 * UNIT
    }

    /// What a failure of `n` would charge each peer liable for it.
    fn share(&self, n: &NodeId) -> u32 {
        let liable = self.liable.get(n).map_or(1, Vec::len).max(1) as u32;
        (UNIT / liable).max(1)
    }

    /// Whether `n` may be asked now: no peer is liable for it (our table holds it), or one of
    /// those liable could bear its failure on top of its charges and its candidates in flight.
    fn may_ask(&self, n: &NodeId) -> bool {
        let Some(by) = self.liable.get(n).filter(|b| !b.is_empty()) else {
            return true;
        };
        let share = self.share(n);
        by.iter().any(|p| {
            let pending: u32 = self
                .in_flight
                .iter()
                .filter(|f| self.liable.get(*f).is_some_and(|b| b.contains(p)))
                .map(|f| self.share(f))
                .sum();
            let charged = self.charged.get(p).copied().unwrap_or(0);
            // With none of its candidates in flight, a peer not yet distrusted may have one
            // more asked: a lookup never stops short for charges that might still come.
            !self.distrusted(p)
                && (pending == 0 || charged + pending + share <= ALPHA as u32 * UNIT)
        })
    }

    /// The next nodes to ask: the closest unasked among the `k` closest candidates, while
    /// fewer than [`ALPHA`] are in flight.
    pub fn step(&mut self) -> Step {
        let room = ALPHA
            .saturating_sub(self.in_flight.len())
            .min(self.max_queries.saturating_sub(self.asked.len()));
        // The `k` closest that count: asked ones, and unasked ones that may be asked now. One
        // that must wait its turn gives its place to the next, so a peer's stalling nodes do
        // not keep honest ones further out from being asked. One at a time: each one sent
        // counts in flight before the next is weighed.
        let order: Vec<NodeId> = self.near.values().copied().collect();
        let (mut batch, mut counted, mut left) = (Vec::new(), 0, false);
        for id in order {
            if counted == self.k {
                break;
            }
            if self.asked.contains(&id) {
                counted += 1;
                continue;
            }
            if !self.may_ask(&id) {
                continue;
            }
            counted += 1;
            if batch.len() < room {
                self.asked.insert(id);
                self.in_flight.insert(id);
                batch.push(id);
            } else {
                left = true;
            }
        }
        if !batch.is_empty() {
            return Step::Ask(batch);
        }
        if !self.in_flight.is_empty() {
            Step::Wait
        } else if left {
            Step::Bounded
        } else {
            Step::Converged
        }
    }

    /// Whether `n` was asked (it may still be in flight).
    pub fn was_asked(&self, n: &NodeId) -> bool {
        self.asked.contains(n)
    }

    /// `id` answered and named `nodes`, each with whether `id` is liable for it: whether the
    /// addresses `id` gave for it are among those dialed (the caller merges the addresses of
    /// a node's namers before it is asked; one a peer named with other addresses while it was
    /// in flight, or one our table holds, is dialed at addresses that peer did not give).
    pub fn answered(&mut self, id: NodeId, nodes: impl IntoIterator<Item = (NodeId, bool)>) {
        self.in_flight.remove(&id);
        self.answered.push(id);
        for (n, liable) in nodes {
            if n == id {
                continue;
            }
            // Named while it was asked: a witness that shares the cost if it fails.
            let asked = self.asked.contains(&n);
            if asked && !self.in_flight.contains(&n) {
                continue;
            }
            let by = self.named_by.entry(n).or_default();
            if !by.contains(&id) {
                by.push(id);
            }
            if liable {
                let l = self.liable.entry(n).or_default();
                if !l.contains(&id) {
                    l.push(id);
                }
            }
            if !asked {
                self.near.insert(n.xor(&self.target), n);
            }
        }
    }

    /// `id` did not answer: it leaves the candidates, and unless it refused, it is charged to
    /// the peers liable for it.
    pub fn failed(&mut self, id: NodeId, how: Failure) {
        self.in_flight.remove(&id);
        self.near.remove(&id.xor(&self.target));
        if how == Failure::Refused || self.known.contains(&id) {
            return;
        }
        let share = self.share(&id);
        let by = self.liable.get(&id).cloned().unwrap_or_default();
        let mut newly = false;
        for p in by {
            let was = self.distrusted(&p);
            *self.charged.entry(p).or_default() += share;
            if how == Failure::Unreachable {
                *self.unreached.entry(p).or_default() += share;
            }
            newly |= !was && self.distrusted(&p);
        }
        if !newly {
            return;
        }
        // A distrusted peer leaves the result: the lookup is no sample of the network's size.
        self.trimmed = true;
        // Drop the unasked candidates that only distrusted peers named.
        let keep: Vec<([u8; 32], NodeId)> = self
            .near
            .iter()
            .filter(|(_, n)| {
                self.known.contains(*n)
                    || self.asked.contains(*n)
                    || self
                        .named_by
                        .get(*n)
                        .is_none_or(|by| by.iter().any(|p| !self.distrusted(p)))
            })
            .map(|(d, n)| (*d, *n))
            .collect();
        self.near = keep.into_iter().collect();
    }

    /// Whether a peer was distrusted: the result is the closest of the rest, fine for storing
    /// and searching, but not a sample to measure the network's size by.
    pub fn trimmed(&self) -> bool {
        self.trimmed
    }

    /// The `k` closest nodes that answered and are not distrusted, closest first.
    pub fn closest(&self) -> Vec<NodeId> {
        let mut a: Vec<NodeId> = self
            .answered
            .iter()
            .filter(|id| !self.distrusted(id))
            .copied()
            .collect();
        a.sort_by_key(|id| id.xor(&self.target));
        a.truncate(self.k);
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(seed: u64) -> NodeId {
        let h = blake3::hash(&seed.to_le_bytes());
        NodeId::from_bytes(*h.as_bytes())
    }

    /// An id `bits` leading bits equal to `target`'s, then made up from `seed`.
    fn near(target: &NodeId, bits: usize, seed: u64) -> NodeId {
        let mut b = *id(seed).as_bytes();
        let t = target.as_bytes();
        for i in 0..bits {
            let (byte, bit) = (i / 8, 7 - i % 8);
            b[byte] = (b[byte] & !(1 << bit)) | (t[byte] & (1 << bit));
        }
        // One more bit, different: closer than a random id, no closer than `bits`.
        let (byte, bit) = (bits / 8, 7 - bits % 8);
        b[byte] = (b[byte] & !(1 << bit)) | (!t[byte] & (1 << bit));
        NodeId::from_bytes(b)
    }

    /// A network of honest `nodes`, each knowing every other and the `departed` (which no
    /// longer answer): each answers with the `k` closest it knows. The `liars` answer with
    /// `fakes` instead. Runs a lookup from `start` as the node does: up to [`ALPHA`] queries
    /// in flight, a live node answering in 1 tick and a dead one failing after 30 (the
    /// query's timeout), each ending fed in as it comes. Returns the lookup and the number of
    /// queries that went unanswered.
    fn run(
        nodes: &[NodeId],
        departed: &[NodeId],
        target: NodeId,
        start: &[NodeId],
        liars: &[NodeId],
        fakes: &[NodeId],
    ) -> (Lookup, usize) {
        let mut l = Lookup::new(target, start.iter().copied(), 20, 30);
        let (mut now, mut dead) = (0u32, 0);
        let mut flying: Vec<(u32, NodeId)> = Vec::new();
        loop {
            match l.step() {
                Step::Ask(batch) => {
                    for q in batch {
                        let live = nodes.contains(&q);
                        flying.push((now + if live { 1 } else { 30 }, q));
                    }
                    continue;
                }
                Step::Wait => {}
                Step::Converged | Step::Bounded => break,
            }
            flying.sort_by_key(|(t, _)| *t);
            let (t, q) = flying.remove(0);
            now = t;
            if !nodes.contains(&q) {
                dead += 1;
                l.failed(q, Failure::Unreachable);
                continue;
            }
            let answer = if liars.contains(&q) {
                fakes.to_vec()
            } else {
                let mut all: Vec<NodeId> = nodes
                    .iter()
                    .chain(departed)
                    .filter(|n| **n != q)
                    .copied()
                    .collect();
                all.sort_by_key(|n| n.xor(&target));
                all.truncate(20);
                all
            };
            l.answered(q, liable(answer));
        }
        (l, dead)
    }

    /// Nodes named with the addresses that are dialed.
    fn liable(nodes: impl IntoIterator<Item = NodeId>) -> Vec<(NodeId, bool)> {
        nodes.into_iter().map(|n| (n, true)).collect()
    }

    fn truly_closest(nodes: &[NodeId], target: &NodeId, k: usize) -> Vec<NodeId> {
        let mut all = nodes.to_vec();
        all.sort_by_key(|n| n.xor(target));
        all.truncate(k);
        all
    }

    #[test]
    fn an_honest_network_converges_on_the_closest_nodes() {
        let nodes: Vec<NodeId> = (0..500).map(id).collect();
        let target = id(9_999);
        let (mut l, dead) = run(&nodes, &[], target, &nodes[..3], &[], &[]);
        assert_eq!(dead, 0);
        assert_eq!(l.closest(), truly_closest(&nodes, &target, 20));
        assert_eq!(l.step(), Step::Converged);
        assert!(!l.trimmed());
    }

    #[test]
    fn a_liars_made_up_ids_cost_one_batch_and_the_lookup_still_converges() {
        let nodes: Vec<NodeId> = (0..500).map(id).collect();
        let target = id(9_999);
        // The liar is one of the nodes we start from, and its 20 made-up ids lie nearer the
        // target than any real node: without the rule, all 20 would be asked, in 7 batches,
        // before the honest nodes the others named.
        let liar = nodes[0];
        let fakes: Vec<NodeId> = (0..20).map(|s| near(&target, 40, 100_000 + s)).collect();
        let (mut l, dead) = run(&nodes, &[], target, &nodes[..3], &[liar], &fakes);
        assert_eq!(dead, ALPHA, "only one batch of the liar's ids is asked");
        // The liar is left out of the result: the rest are the truly closest.
        let closest = l.closest();
        assert!(!closest.contains(&liar));
        assert_eq!(closest, truly_closest(&nodes[1..], &target, 20));
        assert_eq!(l.step(), Step::Converged);
        assert!(l.trimmed(), "not a sample of the network's size");
    }

    #[test]
    fn liars_naming_the_same_made_up_ids_share_the_cost_and_are_all_distrusted() {
        let nodes: Vec<NodeId> = (0..500).map(id).collect();
        let target = id(9_999);
        let liars = [nodes[0], nodes[1]];
        let fakes: Vec<NodeId> = (0..20).map(|s| near(&target, 40, 100_000 + s)).collect();
        let (l, dead) = run(&nodes, &[], target, &nodes[..3], &liars, &fakes);
        assert!(dead <= 2 * ALPHA, "{dead} unanswered");
        let closest = l.closest();
        assert!(!closest.contains(&liars[0]) && !closest.contains(&liars[1]));
        assert_eq!(closest, truly_closest(&nodes[2..], &target, 20));
    }

    #[test]
    fn nodes_that_left_cost_the_peers_that_all_named_them_nothing() {
        // Churn, no liar: the three nodes closest to the target left, and every honest peer
        // still names them. Each failure is shared by all who named it, so no one is
        // distrusted, and the lookup finds the closest nodes still there.
        let nodes: Vec<NodeId> = (0..500).map(id).collect();
        let target = id(9_999);
        let departed: Vec<NodeId> = (0..3).map(|s| near(&target, 40, 500_000 + s)).collect();
        let (mut l, dead) = run(&nodes, &departed, target, &nodes[..3], &[], &[]);
        assert_eq!(dead, 3);
        // Each answer of 20 holds the 3 that left, so the 17 closest still there are what
        // the answers teach (as in any Kademlia lookup), and all of them are found.
        let mut closest = l.closest();
        closest.truncate(17);
        assert_eq!(closest, truly_closest(&nodes, &target, 17));
        assert!(!l.trimmed());
        assert_eq!(l.step(), Step::Converged);
    }

    #[test]
    fn a_refusal_costs_the_peer_that_named_it_nothing() {
        let target = id(1);
        let (honest, start) = (id(2), id(3));
        let refusing: Vec<NodeId> = (0..5).map(|s| near(&target, 40, 600 + s)).collect();
        let mut l = Lookup::new(target, [start], 20, 30);
        assert_eq!(l.step(), Step::Ask(vec![start]));
        let mut named = refusing.clone();
        named.push(honest);
        l.answered(start, liable(named));
        for _ in 0..2 {
            let Step::Ask(batch) = l.step() else { panic!() };
            for b in batch {
                if refusing.contains(&b) {
                    l.failed(b, Failure::Refused);
                } else {
                    l.answered(b, []);
                }
            }
        }
        assert_eq!(l.step(), Step::Converged);
        assert_eq!(l.closest(), {
            let mut c = vec![start, honest];
            c.sort_by_key(|n| n.xor(&target));
            c
        });
        assert!(!l.trimmed());
    }

    #[test]
    fn a_candidate_an_honest_peer_also_named_is_kept() {
        let target = id(1);
        let (liar, honest) = (id(2), id(3));
        let fakes: Vec<NodeId> = (0..6).map(|s| near(&target, 40, 200 + s)).collect();
        let real = near(&target, 30, 300);
        let mut l = Lookup::new(target, [liar, honest], 20, 30);
        assert!(matches!(l.step(), Step::Ask(b) if b.len() == 2));
        let mut from_liar = fakes.clone();
        from_liar.push(real);
        l.answered(liar, liable(from_liar));
        l.answered(honest, liable([real]));
        // The three closest fakes fail: the liar is distrusted, its other fakes go.
        let Step::Ask(batch) = l.step() else { panic!() };
        assert!(batch.iter().all(|b| fakes.contains(b)));
        for b in batch {
            l.failed(b, Failure::Unreachable);
        }
        // What is left: `real`, which the honest peer named too.
        assert_eq!(l.step(), Step::Ask(vec![real]));
        assert_eq!(l.step(), Step::Wait);
        l.answered(real, []);
        assert_eq!(l.step(), Step::Converged);
    }

    #[test]
    fn a_node_named_at_other_addresses_while_in_flight_is_charged_to_who_gave_the_dialed_ones() {
        // A liar names three real nodes first, at addresses that go nowhere. Two are dialed
        // at once; an honest peer names all three at their real addresses. Those of the two in
        // flight are not dialed (the caller says it is not liable for them); the third's are
        // merged in before it is dialed, and it answers.
        let target = id(1);
        let (liar, honest) = (id(2), id(3));
        let real: Vec<NodeId> = (0..3).map(|s| near(&target, 40, 700 + s)).collect();
        let mut l = Lookup::new(target, [liar, honest], 20, 30);
        assert!(matches!(l.step(), Step::Ask(b) if b.len() == 2));
        l.answered(liar, liable(real.clone()));
        let Step::Ask(first) = l.step() else { panic!() };
        assert_eq!(first.len(), 2);
        let third = *real.iter().find(|n| !first.contains(n)).unwrap();
        l.answered(honest, real.iter().map(|n| (*n, *n == third)));
        assert_eq!(l.step(), Step::Ask(vec![third]));
        for n in &first {
            l.failed(*n, Failure::Unreachable);
        }
        l.answered(third, []);
        assert_eq!(
            l.charged.get(&liar),
            Some(&(2 * UNIT)),
            "the two failures are the liar's"
        );
        assert_eq!(l.charged.get(&honest), None);
        assert_eq!(l.step(), Step::Converged);
    }

    #[test]
    fn a_peer_that_names_a_node_in_flight_shares_its_failure() {
        // The first answer names a node that left; while it is dialed, two more peers name it.
        // It fails: a third each, no one near distrust.
        let target = id(1);
        let peers = [id(2), id(3), id(4)];
        let gone = near(&target, 40, 800);
        let mut l = Lookup::new(target, peers, 20, 30);
        assert!(matches!(l.step(), Step::Ask(b) if b.len() == 3));
        l.answered(peers[0], liable([gone]));
        assert_eq!(l.step(), Step::Ask(vec![gone]));
        l.answered(peers[1], liable([gone]));
        l.answered(peers[2], liable([gone]));
        l.failed(gone, Failure::Unreachable);
        assert_eq!(
            l.charged.values().copied().collect::<Vec<_>>(),
            vec![UNIT / 3; 3]
        );
        assert!(!l.trimmed());
    }

    #[test]
    fn real_nodes_that_stall_make_their_namers_wait_but_not_distrusted() {
        // An honest peer names four real nodes that stall (a liar's, say) and one that answers.
        let target = id(1);
        let peer = id(2);
        let stalling: Vec<NodeId> = (0..4).map(|s| near(&target, 40, 900 + s)).collect();
        let fine = near(&target, 30, 950);
        let mut l = Lookup::new(target, [peer], 20, 30);
        assert_eq!(l.step(), Step::Ask(vec![peer]));
        let mut named = stalling.clone();
        named.push(fine);
        l.answered(peer, liable(named));
        // Three of its candidates at once, then no more while they are out.
        let Step::Ask(first) = l.step() else { panic!() };
        assert_eq!(first.len(), 3);
        assert_eq!(l.step(), Step::Wait);
        for n in first {
            l.failed(n, Failure::Silent);
        }
        // Charged 3, not distrusted: one at a time, and the result keeps it.
        let Step::Ask(next) = l.step() else { panic!() };
        assert_eq!(next.len(), 1);
        assert_eq!(l.step(), Step::Wait);
        l.failed(next[0], Failure::Silent);
        assert_eq!(l.step(), Step::Ask(vec![fine]));
        l.answered(fine, []);
        assert_eq!(l.step(), Step::Converged);
        assert!(!l.trimmed());
        assert!(l.closest().contains(&peer));
    }

    #[test]
    fn nodes_waiting_their_turn_let_those_further_out_be_asked() {
        // A liar names five real nodes nearest the target that stall; an honest peer names
        // three further out. Once the first three have stalled, the liar's next waits its turn
        // one at a time, and the honest peer's are asked beside it.
        let target = id(1);
        let (liar, honest) = (id(2), id(3));
        let stalling: Vec<NodeId> = (0..5).map(|s| near(&target, 40, 1_000 + s)).collect();
        let further: Vec<NodeId> = (0..3).map(|s| near(&target, 20, 1_100 + s)).collect();
        let mut l = Lookup::new(target, [liar, honest], 20, 30);
        assert!(matches!(l.step(), Step::Ask(b) if b.len() == 2));
        l.answered(liar, liable(stalling.clone()));
        l.answered(honest, liable(further.clone()));
        let Step::Ask(first) = l.step() else { panic!() };
        assert!(first.iter().all(|n| stalling.contains(n)));
        for n in first {
            l.failed(n, Failure::Silent);
        }
        let Step::Ask(next) = l.step() else { panic!() };
        assert_eq!(next.len(), 3);
        assert_eq!(next.iter().filter(|n| stalling.contains(n)).count(), 1);
        assert_eq!(next.iter().filter(|n| further.contains(n)).count(), 2);
    }

    #[test]
    fn a_lookup_keeps_alpha_in_flight_and_stops_at_its_bound() {
        let nodes: Vec<NodeId> = (0..100).map(id).collect();
        let mut l = Lookup::new(id(7), nodes.iter().copied(), 20, 4);
        let Step::Ask(first) = l.step() else { panic!() };
        assert_eq!(first.len(), ALPHA);
        assert_eq!(l.step(), Step::Wait);
        // One ends: one more goes out, the last the bound allows.
        l.answered(first[0], []);
        assert!(matches!(l.step(), Step::Ask(b) if b.len() == 1));
        for f in &first[1..] {
            l.failed(*f, Failure::Unreachable);
        }
        assert_eq!(l.step(), Step::Wait);
        l.answered(l.in_flight.iter().copied().next().unwrap(), []);
        assert_eq!(l.step(), Step::Bounded);
    }
}
