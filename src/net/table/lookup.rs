//! The bookkeeping of one iterative Kademlia lookup: which nodes to ask next, which answered,
//! and who named whom. Pure logic with no I/O: [`crate::net`] sends the queries and feeds the
//! answers in.
//!
//! A lookup asks the closest nodes it knows, [`ALPHA`] at a time, and each answer names closer
//! ones. A liar can answer with made-up ids closer than any real node: each batch of them then
//! waits out its whole query timeout, and twenty of them would use up the lookup's deadline
//! before an honest node is asked. So every candidate remembers who named it, and once
//! [`ALPHA`] of the nodes one peer named have not answered, that peer's other candidates are
//! dropped (unless another peer named them too). An honest peer names nodes it has verified,
//! so it rarely loses its candidates, and when it does, the other answers near the target
//! name the same nodes.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::ids::NodeId;

/// Queries in flight at once (Kademlia's alpha), and how many of the nodes one peer named may
/// fail to answer before its other candidates are dropped.
pub const ALPHA: usize = 3;

/// What to do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Ask these nodes (at most [`ALPHA`]).
    Ask(Vec<NodeId>),
    /// The `k` closest candidates have all answered or failed.
    Converged,
    /// The lookup has sent its most queries.
    Bounded,
}

/// One lookup of `target`.
pub struct Lookup {
    target: NodeId,
    k: usize,
    max_queries: usize,
    /// Candidates not yet known to have failed, by distance to the target.
    near: BTreeMap<[u8; 32], NodeId>,
    asked: HashSet<NodeId>,
    answered: Vec<NodeId>,
    /// The candidates our own table holds: never dropped for what others named.
    known: HashSet<NodeId>,
    /// The peers that named each candidate.
    named_by: HashMap<NodeId, Vec<NodeId>>,
    /// How many of the nodes each peer named failed to answer.
    dead: HashMap<NodeId, usize>,
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
            answered: Vec::new(),
            named_by: HashMap::new(),
            dead: HashMap::new(),
        }
    }

    /// The next nodes to ask: the closest unasked among the `k` closest candidates.
    pub fn step(&mut self) -> Step {
        if self.asked.len() >= self.max_queries {
            return Step::Bounded;
        }
        let room = (self.max_queries - self.asked.len()).min(ALPHA);
        let batch: Vec<NodeId> = self
            .near
            .values()
            .take(self.k)
            .filter(|id| !self.asked.contains(*id))
            .take(room)
            .copied()
            .collect();
        if batch.is_empty() {
            return Step::Converged;
        }
        self.asked.extend(batch.iter().copied());
        Step::Ask(batch)
    }

    /// `id` answered and named `nodes`. Returns the ones this lookup had not heard of (the
    /// caller tries their contacts).
    pub fn answered(&mut self, id: NodeId, nodes: impl IntoIterator<Item = NodeId>) -> Vec<NodeId> {
        self.answered.push(id);
        let mut new = Vec::new();
        for n in nodes {
            if n == id || self.asked.contains(&n) {
                continue;
            }
            let by = self.named_by.entry(n).or_default();
            if !by.contains(&id) {
                by.push(id);
            }
            if self.near.insert(n.xor(&self.target), n).is_none() {
                new.push(n);
            }
        }
        new
    }

    /// `id` did not answer (or broke a rule): it leaves the candidates, and counts against the
    /// peers that named it.
    pub fn failed(&mut self, id: NodeId) {
        self.near.remove(&id.xor(&self.target));
        let by = self.named_by.get(&id).cloned().unwrap_or_default();
        let mut distrusted = Vec::new();
        for p in by {
            let d = self.dead.entry(p).or_default();
            *d += 1;
            if *d == ALPHA {
                distrusted.push(p);
            }
        }
        if distrusted.is_empty() {
            return;
        }
        // Drop the unasked candidates that only distrusted peers named.
        let Lookup {
            near,
            known,
            asked,
            named_by,
            dead,
            ..
        } = self;
        near.retain(|_, n| {
            let trusted = |p: &NodeId| dead.get(p).copied().unwrap_or(0) < ALPHA;
            known.contains(n)
                || asked.contains(n)
                || named_by.get(n).is_none_or(|by| by.iter().any(trusted))
        });
    }

    /// The `k` closest nodes that answered, closest first.
    pub fn closest(&self) -> Vec<NodeId> {
        let mut a = self.answered.clone();
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

    /// A network of `n` honest nodes, each knowing every other: each answers with the `k`
    /// closest it knows. `liar` answers with `fakes` instead. Runs a lookup from the first
    /// `start` nodes and returns it with the number of queries that went unanswered.
    fn run(
        nodes: &[NodeId],
        target: NodeId,
        start: &[NodeId],
        liar: Option<(NodeId, Vec<NodeId>)>,
    ) -> (Lookup, usize) {
        let mut l = Lookup::new(target, start.iter().copied(), 20, 30);
        let mut dead = 0;
        while let Step::Ask(batch) = l.step() {
            for q in batch {
                if !nodes.contains(&q) {
                    dead += 1;
                    l.failed(q);
                    continue;
                }
                let answer = match &liar {
                    Some((who, fakes)) if *who == q => fakes.clone(),
                    _ => {
                        let mut all: Vec<NodeId> =
                            nodes.iter().filter(|n| **n != q).copied().collect();
                        all.sort_by_key(|n| n.xor(&target));
                        all.truncate(20);
                        all
                    }
                };
                l.answered(q, answer);
            }
        }
        (l, dead)
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
        let (mut l, dead) = run(&nodes, target, &nodes[..3], None);
        assert_eq!(dead, 0);
        assert_eq!(l.closest(), truly_closest(&nodes, &target, 20));
        assert_eq!(l.step(), Step::Converged);
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
        let (mut l, dead) = run(&nodes, target, &nodes[..3], Some((liar, fakes)));
        assert_eq!(dead, ALPHA, "only one batch of the liar's ids is asked");
        // The liar answered, so it counts among the answering nodes: the rest are the truly
        // closest.
        let closest = l.closest();
        let honest: Vec<NodeId> = closest.iter().filter(|n| **n != liar).copied().collect();
        let want = truly_closest(&nodes, &target, 20);
        assert!(
            honest.iter().all(|n| want.contains(n)) && honest.len() >= 19,
            "{} of the closest found",
            honest.iter().filter(|n| want.contains(n)).count()
        );
        assert_eq!(l.step(), Step::Converged);
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
        l.answered(liar, from_liar);
        l.answered(honest, [real]);
        // The three closest fakes fail: the liar is distrusted, its other fakes go.
        let Step::Ask(batch) = l.step() else { panic!() };
        assert!(batch.iter().all(|b| fakes.contains(b)));
        for b in batch {
            l.failed(b);
        }
        // What is left: `real`, which the honest peer named too.
        assert_eq!(l.step(), Step::Ask(vec![real]));
        assert_eq!(l.step(), Step::Converged);
    }

    #[test]
    fn a_lookup_stops_at_its_bound() {
        let nodes: Vec<NodeId> = (0..100).map(id).collect();
        let mut l = Lookup::new(id(7), nodes.iter().copied(), 20, 4);
        assert!(matches!(l.step(), Step::Ask(b) if b.len() == ALPHA));
        assert!(matches!(l.step(), Step::Ask(b) if b.len() == 1));
        assert_eq!(l.step(), Step::Bounded);
    }
}
