//! The network at internet scale, simulated: thousands to 100,000 nodes run the node's own
//! routing cores (the [`crate::net::table::Table`] with its scoring, shortlist, weighted
//! round-robin, backpressure, reliability, eviction and expiry; the spot checks' rates; the
//! ledger's price rule) while the transport, the clock and the engines are simulated.
//! `llp bench --sim` runs it.
//!
//! - [`world`]: the world the nodes live in, with its sources (regions and round trips, the
//!   hardware mix, churn, the daily cycle of requests).
//! - `run`: the discrete-event loop, deterministic for a seed, and the global-gossip design.
//! - `dht`: the provider-record design: Kademlia lookups over simulated k-buckets and the
//!   node's provider store at every holder.
//! - [`stats`]: a seeded generator, percentiles, Jain's index, Gini.

mod dht;
mod run;
pub mod stats;
pub mod world;

use std::time::{Duration, Instant};

use serde::Serialize;

/// How nodes find each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Design {
    /// Every node announces itself to every node over one gossip topic each interval, keeps
    /// every peer and pings them all (the node up to llp/12).
    Gossip,
    /// Global gossip as before, but a node pings only the peers it uses and a rotating few
    /// (the node's `Table::due_for_ping`).
    UsedPings,
    /// Providers publish records under their model's keys in the Kademlia table; requesters
    /// look them up and ping only the peers they use.
    Providers,
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Params {
    pub design: Design,
    /// Nodes online on average (twice as many take turns).
    pub nodes: usize,
    /// Simulated minutes.
    pub minutes: f64,
    pub seed: u64,
    /// Requests an online node's user sends an hour, on the daily average.
    pub rate: f64,
    /// The announce interval and the peer expiry (seconds): the node's defaults.
    pub interval_s: f64,
    pub expiry_s: f64,
    /// Requesting nodes whose tables are kept, spread over the regions.
    pub observers: usize,
}

impl Params {
    /// The observers a design needs: in global gossip every requester of a region holds the
    /// same table and ranks alike, so one a region; with provider records each finds its own
    /// providers, so one for every 100 nodes (each with a node's share of the requests).
    pub fn observers_for(design: Design, nodes: usize) -> usize {
        match design {
            Design::Gossip | Design::UsedPings => world::REGIONS.len(),
            Design::Providers => (nodes / 100).max(world::REGIONS.len()),
        }
    }
}

impl Default for Params {
    fn default() -> Self {
        Params {
            design: Design::Gossip,
            nodes: 1000,
            minutes: 60.0,
            seed: 1,
            rate: 30.0,
            interval_s: 5.0,
            expiry_s: 25.0,
            observers: world::REGIONS.len(),
        }
    }
}

/// What the event loop counts.
#[derive(Debug, Default)]
struct Counters {
    seconds: f64,
    rounds: u64,
    round_cpu: Duration,
    /// Announcements delivered to the observers (each observer is one node).
    announcements: u64,
    /// Of those, dropped by the flood limit's crowding.
    crowded: u64,
    pings: u64,
    table_sum: u64,
    table_max: usize,
    requests: u64,
    ok: u64,
    failed_none: u64,
    failed_wait: u64,
    failed_attempts: u64,
    failovers: u64,
    dead_picks: u64,
    refusals: u64,
    checked: u64,
    ttft_ms: Vec<f64>,
    /// Per model: requests, completed.
    per_model: [(u64, u64); 3],
    dht: DhtCounters,
}

/// What the provider-record design costs.
#[derive(Debug, Default)]
struct DhtCounters {
    publishes: u64,
    publish_messages: u64,
    stores: u64,
    searches: u64,
    lookups: u64,
    lookup_hops: u64,
    lookup_ms: Vec<f64>,
    search_messages: u64,
    dead_records: u64,
}

struct NodeFigures {
    jain: Vec<(String, f64)>,
    capacity_used: f64,
    credit_gini: f64,
}

/// One run's figures.
#[derive(Debug, Serialize)]
pub struct Report {
    pub design: Design,
    pub nodes_online: usize,
    pub observers: usize,
    pub population: usize,
    pub simulated_s: f64,
    pub seed: u64,
    pub wall_s: f64,
    pub peak_rss_bytes: u64,
    /// Per node (an observer): discovery and maintenance traffic received and sent.
    pub announcements_in_per_s: f64,
    pub announce_bytes_in_per_s: f64,
    pub pings_out_per_s: f64,
    pub ping_bytes_per_s: f64,
    pub announcements_crowded_out: f64,
    pub table_mean: f64,
    pub table_max: usize,
    pub table_bytes: usize,
    /// CPU a node spends taking announcements and keeping its table (ms per second).
    pub table_cpu_ms_per_s: f64,
    /// The redesign's costs per node: provider records published (with their lookups' queries)
    /// and stored here (the mean, and the busiest holder), searches' queries.
    pub publish_msgs_per_s: f64,
    pub stores_in_per_s: f64,
    pub stores_in_max_per_s: f64,
    pub search_msgs_per_s: f64,
    pub dht_bytes_per_s: f64,
    /// Contacts in a node's k-buckets (K per bucket, ~log2(N/K) + 1 buckets filled).
    pub bucket_contacts: usize,
    /// Per request.
    pub requests: u64,
    pub lookups_per_request: f64,
    pub lookup_hops: f64,
    pub lookup_p50_ms: f64,
    pub lookup_p99_ms: f64,
    pub dead_records_per_search: f64,
    pub ttft_p50_ms: f64,
    pub ttft_p99_ms: f64,
    pub success: f64,
    pub failovers_per_100: f64,
    pub dead_picks_per_100: f64,
    pub refusals_per_100: f64,
    pub failed_no_capable: u64,
    pub failed_waiting: u64,
    pub failed_tries: u64,
    pub checked_share: f64,
    pub success_by_model: Vec<(String, f64)>,
    /// Network-wide.
    pub jain_by_class: Vec<(String, f64)>,
    pub capacity_used: f64,
    pub credit_gini: f64,
}

/// The bytes one sealed announcement of a node serving one model takes (a representative one,
/// with addresses, a relay, a capability profile and a signed ledger head), and a ping's and
/// pong's frames.
fn message_sizes() -> (usize, usize) {
    use crate::net::wire::{self, Announcement, ModelAd, Reply, Request};
    let key = iroh::SecretKey::from_bytes(&[7; 32]);
    let mut a = Announcement::new(
        1_733_000_000_000,
        "public",
        vec![ModelAd {
            name: "mid-8b".into(),
            quant: "Q4_K_M".into(),
            slots: 2,
            busy: 1,
            queued: 0,
            ctx: 8192,
            tokens_per_s: 48.5,
            features: vec![wire::FEATURE_TOOLS.into()],
            engine: Default::default(),
        }],
    );
    a.addrs = vec![
        "203.0.113.7:7070".parse().expect("addr"),
        "[2001:db8::7]:7070".parse().expect("addr"),
    ];
    a.relay = Some("https://euc1-1.relay.n0.iroh-canary.iroh.link./".into());
    a.capability = wire::Capability {
        cpu: "AMD Ryzen 7 5800X 8-Core Processor".into(),
        cores: 16,
        ram_bytes: 32 << 30,
        gpus: vec![("NVIDIA GeForce RTX 3060".into(), 12 << 30)],
        backends: vec!["cuda".into(), "cpu".into()],
        quantizations: ["Q4_0", "Q4_K_M", "Q5_K_M", "Q8_0", "F16"]
            .map(String::from)
            .to_vec(),
    };
    a.ledger = Some(crate::ledger::Head {
        owner: crate::ids::NodeId::from_bytes([3; 32]),
        seq: 1234,
        hash: [9; 32],
        balance: 52_000,
        sig: [5; 64],
    });
    let topic = wire::Membership::derive("public", "").topic();
    let sealed = wire::seal(&key, &topic, &a).len();
    let ping = wire::encode(&Request::Ping { nonce: u64::MAX }).len()
        + wire::encode(&Reply::Pong { nonce: u64::MAX }).len();
    (sealed, ping)
}

/// Each gossip message also costs an IHAVE from each other neighbour in the broadcast tree
/// (iroh-gossip's PlumTree over a HyParView active view of 5): 4 x ~40 bytes.
const IHAVE_BYTES: usize = 4 * 40;
/// QUIC's packet header and AEAD tag on each of a ping's two packets.
const QUIC_OVERHEAD: usize = 2 * 30;

/// Runs one simulation and gathers its figures.
pub fn simulate(p: Params) -> Report {
    let wall = Instant::now();
    let mut sim = run::Sim::new(p.clone());
    let observers = sim.observers() as f64;
    sim.run();
    let figures = sim.node_figures();
    let stores_max = sim.stores_in_max();
    let c = &mut sim.c;
    let (sealed, ping) = message_sizes();
    let secs = c.seconds.max(1e-9);
    let per_node_s = observers * secs;
    let all_nodes_s = p.nodes as f64 * secs;
    let per_100 = |x: u64| 100.0 * x as f64 / c.requests.max(1) as f64;
    let rounds = c.rounds.max(1) as f64;
    let d = &mut c.dht;
    let bucket_contacts = if p.design == Design::Providers {
        let k = crate::net::table::K as f64;
        (k * ((p.nodes as f64 / k).log2().max(0.0) + 1.0)) as usize
    } else {
        0
    };
    let ended = c.ok + c.failed_none + c.failed_wait + c.failed_attempts;
    Report {
        design: p.design,
        nodes_online: p.nodes,
        observers: observers as usize,
        population: p.nodes * 2,
        simulated_s: c.seconds,
        seed: p.seed,
        wall_s: wall.elapsed().as_secs_f64(),
        peak_rss_bytes: stats::peak_rss(),
        announcements_in_per_s: c.announcements as f64 / per_node_s,
        announce_bytes_in_per_s: c.announcements as f64 * (sealed + IHAVE_BYTES) as f64
            / per_node_s,
        pings_out_per_s: c.pings as f64 / per_node_s,
        ping_bytes_per_s: c.pings as f64 * (ping + QUIC_OVERHEAD) as f64 / per_node_s,
        announcements_crowded_out: c.crowded as f64 / c.announcements.max(1) as f64,
        table_mean: c.table_sum as f64 / (rounds * observers),
        table_max: c.table_max,
        // A record: the struct, its map entry and id, and its announcement's strings and lists
        // (about the size of its encoding).
        table_bytes: c.table_max * (std::mem::size_of::<crate::net::table::Peer>() + 96 + sealed)
            + bucket_contacts * 150,
        table_cpu_ms_per_s: c.round_cpu.as_secs_f64() * 1e3 / per_node_s,
        publish_msgs_per_s: (d.publish_messages + d.stores) as f64 / all_nodes_s,
        stores_in_per_s: d.stores as f64 / all_nodes_s,
        stores_in_max_per_s: stores_max as f64 / secs,
        search_msgs_per_s: d.search_messages as f64 / per_node_s,
        dht_bytes_per_s: (d.publish_messages as f64 * dht::FIND_BYTES as f64
            + d.stores as f64 * sealed as f64)
            / all_nodes_s
            + d.search_messages as f64 * dht::FIND_BYTES as f64 / per_node_s,
        bucket_contacts,
        requests: c.requests,
        lookups_per_request: d.lookups as f64 / c.requests.max(1) as f64,
        lookup_hops: d.lookup_hops as f64 / d.lookups.max(1) as f64,
        lookup_p50_ms: stats::quantile(&mut d.lookup_ms, 0.5),
        lookup_p99_ms: stats::quantile(&mut d.lookup_ms, 0.99),
        dead_records_per_search: d.dead_records as f64 / d.searches.max(1) as f64,
        ttft_p50_ms: stats::quantile(&mut c.ttft_ms, 0.5),
        ttft_p99_ms: stats::quantile(&mut c.ttft_ms, 0.99),
        success: c.ok as f64 / ended.max(1) as f64,
        failovers_per_100: per_100(c.failovers),
        dead_picks_per_100: per_100(c.dead_picks),
        refusals_per_100: per_100(c.refusals),
        failed_no_capable: c.failed_none,
        failed_waiting: c.failed_wait,
        failed_tries: c.failed_attempts,
        checked_share: c.checked as f64 / c.ok.max(1) as f64,
        success_by_model: world::MODELS
            .iter()
            .zip(c.per_model.iter())
            .map(|(m, (n, ok))| (m.name.to_string(), *ok as f64 / (*n).max(1) as f64))
            .collect(),
        jain_by_class: figures.jain,
        capacity_used: figures.capacity_used,
        credit_gini: figures.credit_gini,
    }
}

/// Prints a run's figures for people.
pub fn print(r: &Report) {
    let kib = |b: f64| b / 1024.0;
    println!(
        "{:?} design, {} nodes online ({} in all), {:.0} simulated minutes, seed {}: {:.1} s, peak memory {:.0} MiB",
        r.design,
        r.nodes_online,
        r.population,
        r.simulated_s / 60.0,
        r.seed,
        r.wall_s,
        r.peak_rss_bytes as f64 / (1 << 20) as f64
    );
    println!(
        "  per node:    {:.0} announcements/s in ({:.1} KiB/s, {:.1}% crowded out), {:.0} pings/s out ({:.1} KiB/s)",
        r.announcements_in_per_s,
        kib(r.announce_bytes_in_per_s),
        100.0 * r.announcements_crowded_out,
        r.pings_out_per_s,
        kib(r.ping_bytes_per_s)
    );
    println!(
        "               table {:.0} peers (max {}), ~{:.1} MiB; {:.1} ms CPU/s keeping it",
        r.table_mean,
        r.table_max,
        r.table_bytes as f64 / (1 << 20) as f64,
        r.table_cpu_ms_per_s
    );
    if r.design == Design::Providers {
        println!(
            "               provider records: {:.2} msgs/s publishing, {:.2} stores/s in (busiest holder {:.1}/s), {:.1} msgs/s searching; {:.1} KiB/s; {} bucket contacts",
            r.publish_msgs_per_s,
            r.stores_in_per_s,
            r.stores_in_max_per_s,
            r.search_msgs_per_s,
            kib(r.dht_bytes_per_s),
            r.bucket_contacts
        );
    }
    println!(
        "  per request: {} requests, {:.3} lookups each ({:.1} hops, p50 {:.0} ms, p99 {:.0} ms), TTFT p50 {:.0} ms p99 {:.0} ms, success {:.2}%",
        r.requests,
        r.lookups_per_request,
        r.lookup_hops,
        r.lookup_p50_ms,
        r.lookup_p99_ms,
        r.ttft_p50_ms,
        r.ttft_p99_ms,
        100.0 * r.success
    );
    println!(
        "               per 100: {:.2} failovers, {:.2} dead picks, {:.2} refusals; failed: {} none capable, {} waiting, {} out of tries; {:.1}% spot-checked",
        r.failovers_per_100,
        r.dead_picks_per_100,
        r.refusals_per_100,
        r.failed_no_capable,
        r.failed_waiting,
        r.failed_tries,
        100.0 * r.checked_share
    );
    let by_model: Vec<String> = r
        .success_by_model
        .iter()
        .map(|(m, s)| format!("{m} {:.1}%", 100.0 * s))
        .collect();
    println!("               success by model: {}", by_model.join(", "));
    let jain: Vec<String> = r
        .jain_by_class
        .iter()
        .map(|(c, j)| format!("{c} {j:.2}"))
        .collect();
    println!(
        "  network:     Jain's index by class: {}; capacity used {:.1}%; credit Gini {:.2}",
        jain.join(", "),
        100.0 * r.capacity_used,
        r.credit_gini
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(design: Design, nodes: usize) -> Params {
        Params {
            design,
            nodes,
            minutes: 20.0,
            seed: 9,
            rate: 30.0,
            observers: Params::observers_for(design, nodes),
            ..Params::default()
        }
    }

    #[test]
    fn gossip_grows_with_the_network_and_provider_records_do_not() {
        let a = simulate(small(Design::Gossip, 200));
        let again = simulate(small(Design::Gossip, 200));
        assert!(a.requests > 1000, "{a:?}");
        assert!(a.success > 0.97, "{a:?}");
        assert!(
            a.failovers_per_100 > 0.0,
            "churn breaks some streams: {a:?}"
        );
        assert_eq!(
            (
                a.requests,
                a.ttft_p50_ms,
                a.failovers_per_100,
                a.credit_gini
            ),
            (
                again.requests,
                again.ttft_p50_ms,
                again.failovers_per_100,
                again.credit_gini
            ),
            "the same seed, the same run"
        );
        // Every node hears every online node each interval (and each ledger change).
        assert!(a.announcements_in_per_s >= 0.9 * 200.0 / 5.0, "{a:?}");
        let b = simulate(small(Design::Gossip, 800));
        let grew = b.announcements_in_per_s / a.announcements_in_per_s;
        assert!(
            (3.0..5.0).contains(&grew),
            "4x the nodes, {grew:.2}x the announcements"
        );
        assert!(b.pings_out_per_s > 3.0 * a.pings_out_per_s);
        // Pinging only what a node uses: a large table's pings stop growing with it.
        let u = simulate(small(Design::UsedPings, 800));
        assert!(u.pings_out_per_s < b.pings_out_per_s / 2.0, "{u:?}");
        assert!(u.success > 0.97, "{u:?}");

        let p = simulate(small(Design::Providers, 200));
        let q = simulate(small(Design::Providers, 800));
        for r in [&p, &q] {
            assert!(r.success > 0.97, "{r:?}");
            // (Only the goodbyes of providers it uses.)
            assert!(
                r.announcements_in_per_s < 0.05 * a.announcements_in_per_s,
                "{r:?}"
            );
            assert!(r.lookup_hops >= 1.0, "{r:?}");
        }
        // Each node stores K records every republish, whatever the network's size.
        let stores = q.stores_in_per_s / p.stores_in_per_s;
        assert!((0.6..1.5).contains(&stores), "{stores:.2}");
        assert!(
            q.table_mean < b.table_mean / 2.0,
            "{} against {}",
            q.table_mean,
            b.table_mean
        );
    }
}
