//! Scores, round-robin, caps, eviction and readmission, replays, expiry, k-buckets.

use super::*;

fn ad(slots: u32, busy: u32, tps: f64) -> Announcement {
    let model = ModelAd {
        name: "m".into(),
        quant: "q".into(),
        slots,
        busy,
        queued: 0,
        ctx: 2048,
        tokens_per_s: tps,
        features: Vec::new(),
        engine: crate::engine::EngineKind::Llama,
    };
    Announcement::new(1, "public", vec![model])
}

fn id(n: u8) -> NodeId {
    let mut b = [0u8; 32];
    b[0] = n;
    b[31] = n;
    NodeId::from_bytes(b)
}

fn m(name: &str) -> ModelRef {
    ModelRef::parse(name)
}

fn raw(b: [u8; 32]) -> NodeId {
    NodeId::from_bytes(b)
}

fn table_with(peers: &[(u8, u32, u32, f64)]) -> Table {
    let now = Instant::now();
    let mut t = Table::new(raw([0xff; 32]), Weights::default());
    for &(n, slots, busy, tps) in peers {
        assert!(t.announce(id(n), ad(slots, busy, tps), now));
        t.readmit(&id(n), now);
    }
    t
}

#[test]
fn shared_prefix_counts_leading_equal_bits() {
    assert_eq!(shared_prefix(&raw([0; 32]), &raw([0; 32])), 256);
    let mut b = [0u8; 32];
    b[0] = 0x80;
    assert_eq!(shared_prefix(&raw([0; 32]), &raw(b)), 0);
    b[0] = 0x01;
    assert_eq!(shared_prefix(&raw([0; 32]), &raw(b)), 7);
}

#[test]
fn round_robin_follows_scores_and_respects_caps() {
    // Both announce the same speed; this node measured peer 1 twenty times faster.
    let mut t = table_with(&[(1, 4, 0, 10.0), (2, 4, 0, 10.0)]);
    t.observe_speed(&id(1), 100.0);
    t.observe_speed(&id(2), 5.0);
    let mut counts = HashMap::new();
    for _ in 0..100 {
        let p = t.pick(&m("m"), &[]).unwrap();
        *counts.entry(p.as_bytes()[0]).or_insert(0) += 1;
    }
    assert!(counts[&1] > counts[&2], "{counts:?}");
    assert!(
        counts[&2] > 10,
        "the slower peer still gets its share: {counts:?}"
    );
    // Caps: once our in-flight jobs reach a peer's slots it is skipped.
    t.get_mut(&id(1)).unwrap().inflight = 4;
    for _ in 0..10 {
        assert_eq!(t.pick(&m("m"), &[]), Some(id(2)));
    }
    t.get_mut(&id(2)).unwrap().inflight = 4;
    assert_eq!(t.pick(&m("m"), &[]), None);
    assert!(t.any_capable(&m("m")));
    assert!(!t.any_capable(&m("other")));
}

#[test]
fn peers_on_probation_share_at_most_a_fifth_of_the_jobs() {
    // One peer with verified work, and nine new ones that measure ten times faster.
    let peers: Vec<(u8, u32, u32, f64)> = (1..=10).map(|n| (n, 4, 0, 10.0)).collect();
    let mut t = table_with(&peers);
    for n in 2..=10 {
        t.observe_speed(&id(n), 1000.0);
    }
    t.observe_speed(&id(1), 100.0);
    // None verified yet: the round-robin follows the scores alone.
    let count = |t: &mut Table| {
        let mut new = 0;
        for _ in 0..1000 {
            if t.pick(&m("m"), &[]).unwrap() != id(1) {
                new += 1;
            }
        }
        new
    };
    assert!(count(&mut t) > 850);
    t.set_verified(&id(1), true);
    let new = count(&mut t);
    assert!(
        (190..=210).contains(&new),
        "{new} of 1000 jobs to peers on probation"
    );
    assert!(t.on_probation(&id(2)) && !t.on_probation(&id(1)));
    // Full, the verified peer leaves them every job: probation caps a share, it locks no one
    // out.
    t.get_mut(&id(1)).unwrap().inflight = 4;
    assert_eq!(count(&mut t), 1000);
}

#[test]
fn a_full_table_makes_room_for_newcomers_from_the_crowd() {
    let now = Instant::now();
    let own = raw([0xff; 32]);
    let mut t = Table::new(own, Weights::default());
    // Peers with verified work, one in each of a few far buckets.
    let far: Vec<NodeId> = (1..=4u8)
        .map(|i| {
            let mut b = [0xff; 32];
            b[0] = 0xff ^ (0x80 >> i);
            raw(b)
        })
        .collect();
    for f in &far {
        assert!(t.announce(*f, ad(4, 0, 10.0), now));
        t.set_verified(f, true);
    }
    // A flood of ids fills the table (most in bucket 0, where random ids fall).
    let mut n = 0u64;
    while t.len() < MAX_PEERS {
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&n.to_be_bytes());
        b[8] = 1;
        n += 1;
        t.announce(raw(b), ad(4, 0, 10.0), now);
    }
    // A newcomer still gets a record, and the verified peers keep theirs.
    let mut b = [0x0f; 32];
    b[0] = 0x7f;
    assert!(t.announce(raw(b), ad(4, 0, 10.0), now));
    assert!(t.get(&raw(b)).is_some());
    assert_eq!(t.len(), MAX_PEERS);
    for f in &far {
        assert!(t.get(f).is_some());
    }
    // A wave of newcomers (drawn from one gathered pool, then another): each gets a record, a
    // job in flight keeps its peer's, and the verified keep theirs.
    let busy = t
        .peers()
        .find(|p| !far.contains(&p.id))
        .map(|p| p.id)
        .unwrap();
    t.take_place(&busy);
    for k in 0..15_000u32 {
        let mut b = [0x3c; 32];
        b[..4].copy_from_slice(&k.to_be_bytes());
        assert!(t.announce(raw(b), ad(4, 0, 10.0), now), "newcomer {k}");
        assert!(t.get(&raw(b)).is_some());
    }
    assert_eq!(t.len(), MAX_PEERS);
    assert!(t.get(&busy).is_some());
    for f in &far {
        assert!(t.get(f).is_some());
    }
}

#[test]
fn the_score_uses_the_speed_measured_here_not_the_one_announced() {
    let mut t = table_with(&[(1, 4, 0, 1e9), (2, 4, 0, 1.0)]);
    let w = t.weights;
    let score = |t: &mut Table, n: u8| t.get_mut(&id(n)).unwrap().score(&m("m"), &w).unwrap();
    // A huge claim buys nothing: both count as the reference speed until measured.
    assert_eq!(score(&mut t, 1), score(&mut t, 2));
    t.observe_speed(&id(1), 2.0);
    t.observe_speed(&id(2), 80.0);
    assert!(score(&mut t, 2) > score(&mut t, 1));
    // A moving average: one fast answer does not erase a slow record.
    t.observe_speed(&id(1), 1000.0);
    let tps = t.get_mut(&id(1)).unwrap().observed_tps.unwrap();
    assert!((tps - (0.7 * 2.0 + 0.3 * 1000.0)).abs() < 1e-9, "{tps}");
    t.observe_speed(&id(1), f64::NAN);
    assert_eq!(t.get_mut(&id(1)).unwrap().observed_tps, Some(tps));
    // An absurd measurement counts as the cap.
    t.observe_speed(&id(2), 1e12);
    let two = t.get_mut(&id(2)).unwrap().observed_tps.unwrap();
    assert!((two - (0.7 * 80.0 + 0.3 * MAX_TPS)).abs() < 1e-9, "{two}");
}

#[test]
fn failures_evict_and_probes_readmit_after_backoff() {
    let mut t = table_with(&[(1, 4, 0, 10.0)]);
    let now = Instant::now();
    assert!(!t.failure(&id(1), "stall", now));
    assert!(!t.failure(&id(1), "stall", now));
    assert!(t.failure(&id(1), "stall", now));
    assert_eq!(t.pick(&m("m"), &[]), None);
    assert!(!t.readmit(&id(1), now), "not before the back-off");
    assert!(t.readmit(&id(1), now + FIRST_BACKOFF));
    assert_eq!(t.pick(&m("m"), &[]), Some(id(1)));
    let r = t.get(&id(1)).unwrap().reliability.value();
    assert!(r < 0.5, "{r}");
}

#[test]
fn replays_and_expiry() {
    let mut t = table_with(&[(1, 4, 0, 10.0)]);
    assert!(
        !t.announce(id(1), ad(4, 0, 10.0), Instant::now()),
        "same seq is a replay"
    );
    let later = Instant::now() + Duration::from_secs(100);
    assert_eq!(t.expire(later, Duration::from_secs(10)), vec![id(1)]);
    assert!(t.is_empty());
}

#[test]
fn buckets_hold_k_and_closest_sorts_by_xor() {
    let now = Instant::now();
    let mut t = Table::with_k(raw([0; 32]), Weights::default(), 2);
    let c = |n: u8| Contact {
        id: id(n).to_string(),
        addrs: vec![],
        relay: None,
    };
    // 0x80.. and 0x81.. and 0xc0.. share no prefix bit with 0: same bucket, k = 2.
    assert!(t.add_contact(c(0x80), id(0x80), now));
    assert!(t.add_contact(c(0x81), id(0x81), now));
    assert!(!t.add_contact(c(0xc0), id(0xc0), now));
    assert!(t.add_contact(c(0x01), id(0x01), now));
    let near = t.closest(&id(0x80), 2);
    assert_eq!(near[0].id, id(0x80).to_string());
    assert_eq!(near[1].id, id(0x81).to_string());
}

#[test]
fn a_large_table_pings_the_peers_in_use_and_a_rotating_few() {
    let long = Duration::from_secs(1 << 20);
    // A small table is pinged whole.
    let mut small = table_with(&[(1, 4, 0, 10.0), (2, 4, 0, 10.0)]);
    assert_eq!(small.due_for_ping(Instant::now(), long).len(), 2);
    let now = Instant::now();
    let mut t = Table::new(raw([0xff; 32]), Weights::default());
    let ids: Vec<NodeId> = (0..200u16)
        .map(|n| {
            let mut b = [7u8; 32];
            b[..2].copy_from_slice(&n.to_be_bytes());
            raw(b)
        })
        .collect();
    for p in &ids {
        assert!(t.announce(*p, ad(4, 0, 10.0), now));
        t.readmit(p, now);
    }
    // Nothing used yet: the rotating few only, and the rounds go round every peer, even as
    // peers come and go between rounds.
    assert_eq!(t.due_for_ping(now, long).len(), PING_SAMPLE);
    let mut seen = std::collections::HashSet::new();
    for round in 0..(220 / PING_SAMPLE + 1) {
        seen.extend(t.due_for_ping(now, long));
        let mut b = [9u8; 32];
        b[0] = round as u8;
        t.announce(raw(b), ad(4, 0, 10.0), now);
        t.readmit(&raw(b), now);
    }
    assert!(ids.iter().all(|p| seen.contains(p)), "{} seen", seen.len());
    // A job sent: its peer, and the model's shortlist, are pinged every round.
    let picked = t.pick_at(&m("m"), &[], now).expect("a peer");
    t.take_place_at(&picked, now);
    let due = t.due_for_ping(now, long);
    assert!(due.contains(&picked));
    assert_eq!(due.len(), SHORTLIST + PING_SAMPLE, "{}", due.len());
    // Once the job is done and IN_USE_FOR has passed, it is one of the rest again.
    t.release_place(&picked);
    let later = now + IN_USE_FOR + Duration::from_secs(1);
    assert_eq!(t.due_for_ping(later, long).len(), PING_SAMPLE);
    // Peers gossip has not heard from lately are pinged (the answer pulls their news).
    let quiet = Duration::from_secs(10);
    assert_eq!(t.due_for_ping(later, quiet).len(), t.len());
    // An evicted peer is pinged once its back-off ends, not before.
    for _ in 0..EVICT_AFTER {
        t.failure(&picked, "gone", later);
    }
    assert!(!t.due_for_ping(later, quiet).contains(&picked));
    assert!(t.due_for_ping(later + MAX_BACKOFF, long).contains(&picked));
}

#[test]
fn a_busy_refusal_counts_the_peer_full_until_it_announces_again() {
    let mut t = table_with(&[(1, 4, 0, 10.0), (2, 4, 0, 10.0)]);
    let w = t.weights;
    let score = |t: &Table, n: u8| t.get(&id(n)).unwrap().score(&m("m"), &w).unwrap();
    let before = score(&t, 1);
    t.refused_busy(&id(1), &m("m"));
    assert!(score(&t, 1) < before);
    assert!(score(&t, 1) < score(&t, 2));
    // Another model's refusal changes nothing; its next announcement says how busy it is.
    t.refused_busy(&id(2), &m("other"));
    assert_eq!(score(&t, 2), before);
    let mut a = ad(4, 0, 10.0);
    a.seq = 2;
    assert!(t.announce(id(1), a, Instant::now()));
    assert_eq!(score(&t, 1), before);
}

#[test]
fn a_peer_that_swaps_its_model_is_listed_for_the_new_one_at_once() {
    let mut t = table_with(&[(1, 4, 0, 10.0)]);
    let now = Instant::now();
    assert_eq!(t.capable_listed(&m("x"), now), 0);
    assert_eq!(t.capable_listed(&m("m"), now), 1);
    // It swaps its model for `x`: as many models as before, and the lists are rebuilt
    // (the same instant: not because they aged).
    let mut a = ad(4, 0, 10.0);
    a.models[0].name = "x".into();
    a.seq = 2;
    assert!(t.announce(id(1), a, now));
    assert_eq!(t.capable_listed(&m("x"), now), 1);
    assert_eq!(t.capable_listed(&m("m"), now), 0);
}
