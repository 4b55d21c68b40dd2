//! The soak (a benchmark, not CI: `scripts/soak.sh`): three nodes at moderate load for an hour
//! (`LLP_SOAK_SECS`), with each node's resident memory, open file descriptors and the
//! requests' p99 latency read in the first and the last window. They must stay flat: a leak of
//! memory, descriptors or time shows as a rise between the two.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::*;
use crate::network::{first, joiner, until_routable};

/// One node's resident memory (KiB) and open descriptors.
fn footprint(n: &Node) -> (u64, usize) {
    let status = std::fs::read_to_string(format!("/proc/{}/status", n.pid())).unwrap();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    let fds = std::fs::read_dir(format!("/proc/{}/fd", n.pid()))
        .unwrap()
        .count();
    (rss, fds)
}

fn p99(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[((v.len() as f64 * 0.99).ceil() as usize).clamp(1, v.len()) - 1]
}

/// Requests at a steady pace (two clients, one request after another, a pause between) for
/// `d`; their latencies.
async fn load(url: &str, d: Duration) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut lat = Vec::new();
    let mut i = 0u32;
    while started.elapsed() < d {
        let reqs = (0..2).map(|c| {
            let body = json!({
                "model": MODEL,
                "messages": [{"role": "user", "content": format!("Say a word about {}.", i + c)}],
                "max_tokens": 16,
            });
            let client = client.clone();
            async move {
                let t = Instant::now();
                let r = client.post(url).json(&body).send().await.unwrap();
                assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
                r.bytes().await.unwrap();
                t.elapsed()
            }
        });
        lat.extend(futures_util::future::join_all(reqs).await);
        i += 2;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    lat
}

#[tokio::test]
#[ignore = "an hour long: scripts/soak.sh"]
async fn three_nodes_stay_flat_for_an_hour() {
    let secs: u64 = std::env::var("LLP_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3600);
    let window = Duration::from_secs((secs / 6).clamp(30, 300));
    // The gateway pays for every answer (about 13 credits, some 3 a second): a grant for the
    // hour.
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_file(tmp.path(), "[credits]\nstarter_grant = 1000000\n");
    let cfg = cfg.to_str().unwrap();
    let w1 = first(&["--config", cfg, "--slots", "2"]);
    let w2 = joiner(&w1.ticket(), &["--config", cfg, "--slots", "2"]);
    let g = joiner(&w1.ticket(), &["--config", cfg, "--model", "none"]);
    until_routable(&g, &[&w1, &w2]).await;
    let nodes = [&g, &w1, &w2];
    let url = g.url("/v1/chat/completions");
    // Warm up, then the first window.
    load(&url, Duration::from_secs(20)).await;
    let start_lat = p99(load(&url, window).await);
    let start: Vec<(u64, usize)> = nodes.iter().map(|n| footprint(n)).collect();
    let middle = Duration::from_secs(secs).saturating_sub(2 * window);
    let mut served = 0;
    let begun = Instant::now();
    while begun.elapsed() < middle {
        served += load(&url, Duration::from_secs(60).min(middle)).await.len();
    }
    let end_lat = p99(load(&url, window).await);
    let end: Vec<(u64, usize)> = nodes.iter().map(|n| footprint(n)).collect();
    eprintln!("soak: {secs} s, {served} requests between the windows");
    for (i, name) in ["gateway", "worker 1", "worker 2"].iter().enumerate() {
        eprintln!(
            "soak {name}: RSS {} -> {} MiB, open fds {} -> {}",
            start[i].0 / 1024,
            end[i].0 / 1024,
            start[i].1,
            end[i].1
        );
    }
    eprintln!("soak p99 latency: {start_lat:.2?} -> {end_lat:.2?}");
    for i in 0..3 {
        assert!(
            end[i].0 <= start[i].0 + start[i].0 / 5 + 32 * 1024,
            "node {i}'s memory grew: {:?} -> {:?}",
            start[i],
            end[i]
        );
        assert!(end[i].1 <= start[i].1 + 16, "node {i}'s descriptors grew");
    }
    assert!(end_lat <= start_lat * 2, "p99 {start_lat:?} -> {end_lat:?}");
}
