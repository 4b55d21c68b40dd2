//! `llp bench --p2p`: the peer network's own costs, each against a baseline in the same run.
//!
//! - **Routing decision:** [`Table::pick`] with 10,000 peers in the table serving the model, and
//!   the shortlist rebuild it does every [`SHORTLIST_TTL`].
//! - **Remote against local:** one node serves the model, a second (`--model none`) joins it. The
//!   same streamed request goes alternately to the serving node's own API (local) and to the
//!   second node (routed over iroh on loopback). Added time to first token and added time per
//!   token are the differences of the medians.
//! - **Failover gap:** a third node joins; a long answer streams through the second node, and
//!   its serving peer is killed with SIGKILL after 20 chunks. The gap is the longest silence the
//!   client sees after the kill (the stall detection plus the new node reading prompt and
//!   answer so far). The killed node is restarted between repetitions.
//! - **Model files between peers:** a fresh node with an empty models dir pulls the default
//!   model's file from the serving node (iroh-blobs on loopback, BLAKE3-verified as it streams,
//!   then its sha256 checked), against a plain copy of the same file on this disk.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use super::median;
use crate::cli::demo::{Member, spawn, until_peers};
use crate::config::Settings;
use crate::ids::{ModelRef, NodeId};
use crate::net::table::{SHORTLIST_TTL, Table, Weights};
use crate::net::wire::{Announcement, ModelAd};

#[derive(Debug, Serialize)]
pub struct NetReport {
    pub routing_peers: usize,
    pub routing_decision_us: f64,
    pub routing_shortlist_rebuild_us: f64,
    pub remote_vs_local: Option<RemoteReport>,
    pub failover_gaps_ms: Vec<f64>,
    pub share: Option<ShareReport>,
}

#[derive(Debug, Serialize)]
pub struct ShareReport {
    pub runs: usize,
    pub bytes: u64,
    /// The medians: a pull from a peer (transfer, verification, sha256, rename) and a copy.
    pub pull_s: f64,
    pub copy_s: f64,
    pub pull_mb_per_s: f64,
    pub copy_mb_per_s: f64,
    /// The copy's time over the pull's: the pull's speed as a share of a plain copy's.
    pub pull_vs_copy: f64,
}

#[derive(Debug, Serialize)]
pub struct RemoteReport {
    pub runs: usize,
    pub tokens: u32,
    pub local_ttft_ms: f64,
    pub remote_ttft_ms: f64,
    pub added_ttft_ms: f64,
    pub local_ms_per_token: f64,
    pub remote_ms_per_token: f64,
    pub added_per_token_pct: f64,
}

/// Times routing decisions among `n` peers: (µs per decision, µs per shortlist rebuild).
pub fn routing(n: usize) -> (f64, f64) {
    let mut t = Table::new(NodeId::from_bytes([0xee; 32]), Weights::default());
    let m = ModelRef::parse("m");
    let now = Instant::now();
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..n {
        let mut id = [0u8; 32];
        for c in id.chunks_mut(8) {
            c.copy_from_slice(&next().to_le_bytes());
        }
        let model = ModelAd {
            name: "m".into(),
            quant: "q4_1".into(),
            slots: 4,
            busy: (next() % 5) as u32,
            queued: 0,
            ctx: 2048,
            tokens_per_s: (next() % 200) as f64,
            features: Vec::new(),
            engine: crate::engine::EngineKind::Llama,
        };
        let id = NodeId::from_bytes(id);
        t.announce(id, Announcement::new(1, "bench", vec![model]), now);
        t.readmit(&id, now);
        if let Some(p) = t.get_mut(&id) {
            p.rtt = Some(Duration::from_micros(200 + next() % 100_000));
        }
    }
    // The rebuild: the first pick after the shortlist expires.
    let mut rebuilds = Vec::new();
    for _ in 0..20 {
        t.invalidate();
        let s = Instant::now();
        std::hint::black_box(t.pick(&m, &[]));
        rebuilds.push(s.elapsed().as_secs_f64() * 1e6);
    }
    // Decisions within one shortlist lifetime (a rebuild would be counted above, not here).
    t.invalidate();
    t.pick(&m, &[]);
    let s = Instant::now();
    let mut done = 0u32;
    while done < 20_000 && s.elapsed() < SHORTLIST_TTL / 2 {
        std::hint::black_box(t.pick(&m, &[]));
        done += 1;
    }
    let per = s.elapsed().as_secs_f64() * 1e6 / done.max(1) as f64;
    (per, median(&mut rebuilds))
}

/// Chat completions on `api`, streamed: calls `on_text` with the serving node (`x-llp-node`)
/// at each non-empty text chunk.
async fn stream(
    client: &reqwest::Client,
    api: &str,
    body: &Value,
    mut on_text: impl FnMut(&str),
) -> anyhow::Result<()> {
    let resp = client
        .post(format!("http://{api}/v1/chat/completions"))
        .json(body)
        .send()
        .await?;
    anyhow::ensure!(resp.status().is_success(), "{}", resp.status());
    let server = resp
        .headers()
        .get("x-llp-node")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    crate::client::read_sse(resp, |d| {
        if let Ok(v) = serde_json::from_str::<Value>(d)
            && crate::client::delta_text(&v).is_some_and(|t| !t.is_empty())
        {
            on_text(&server);
        }
    })
    .await
}

/// One streamed request: (time to first token, mean time per token after it), in ms.
async fn one(client: &reqwest::Client, api: &str, body: &Value) -> anyhow::Result<(f64, f64)> {
    let t0 = Instant::now();
    let mut times = Vec::new();
    stream(client, api, body, |_| {
        times.push(t0.elapsed().as_secs_f64() * 1e3)
    })
    .await?;
    anyhow::ensure!(times.len() > 2, "too few chunks");
    let per = (times[times.len() - 1] - times[0]) / (times.len() - 1) as f64;
    Ok((times[0], per))
}

pub async fn run(settings: &Settings, reps: usize, max_tokens: u32) -> anyhow::Result<NetReport> {
    let (decision, rebuild) = tokio::task::spawn_blocking(|| routing(10_000)).await?;
    println!(
        "routing decision, 10000 peers: {decision:.2} us (shortlist rebuild every {} ms: {rebuild:.0} us)",
        SHORTLIST_TTL.as_millis()
    );
    let root = tempfile::Builder::new()
        .prefix("llp-bench-net-")
        .tempdir()?;
    let mut b = Nodes {
        root: root.path(),
        settings,
        network: format!("bench-{}", crate::ids::random_hex(4)),
        secret: crate::ids::random_hex(8),
        serving: vec!["--threads".to_string(), settings.engine.threads.to_string()],
        members: Vec::new(),
        client: crate::fetch::http_client()?,
    };
    let result = async {
        let remote = b.remote_vs_local(reps, max_tokens).await?;
        // Before the failovers, which kill the serving node.
        let share = b.share(reps.clamp(1, 3)).await?;
        let gaps = b.failovers(reps.clamp(1, 5)).await?;
        anyhow::Ok((remote, gaps, share))
    }
    .await;
    for m in &mut b.members {
        let _ = m.child.kill().await;
    }
    if result.is_err() || std::env::var_os("LLP_BENCH_KEEP").is_some() {
        // Keep the nodes' logs for a look at what went wrong.
        let kept = root.keep();
        eprintln!("llp bench: the nodes' logs are kept in {}", kept.display());
    }
    let (remote, gaps, share) = result?;
    Ok(NetReport {
        routing_peers: 10_000,
        routing_decision_us: decision,
        routing_shortlist_rebuild_us: rebuild,
        remote_vs_local: Some(remote),
        failover_gaps_ms: gaps,
        share: Some(share),
    })
}

/// The benchmark's nodes: node 0 serves, node 1 is a gateway without a model, node 2 serves
/// too (for the failovers).
struct Nodes<'a> {
    root: &'a std::path::Path,
    settings: &'a Settings,
    network: String,
    secret: String,
    /// Flags of the serving nodes.
    serving: Vec<String>,
    members: Vec<Member>,
    client: reqwest::Client,
}

impl Nodes<'_> {
    async fn spawn(
        &self,
        i: usize,
        ticket: Option<&str>,
        extra: &[String],
    ) -> anyhow::Result<Member> {
        let (root, s) = (self.root, self.settings);
        spawn(i, root, s, &self.network, &self.secret, ticket, extra).await
    }

    /// The ticket of member `i`'s node.
    fn ticket(&self, i: usize) -> String {
        crate::node::datadir::running_node(&self.members[i].dir)
            .and_then(|n| n.ticket)
            .unwrap_or_default()
    }

    /// A fresh node pulls the default model's file from the serving node, `reps` times (a new
    /// node each time: a node that has the file fetches nothing); a plain copy as many times.
    async fn share(&mut self, reps: usize) -> anyhow::Result<ShareReport> {
        let catalog = crate::catalog::Catalog::load(self.settings.catalog.as_deref())?;
        let choice = catalog.resolve(&catalog.default)?;
        let id = choice.id().to_string();
        let src = self.settings.models_dir.join(&choice.variant.file);
        let bytes = std::fs::metadata(&src)?.len();
        let ticket = self.ticket(0);
        let (mut pulls, mut copies) = (Vec::new(), Vec::new());
        for r in 0..reps {
            let dir = self.root.join(format!("pulled-{r}"));
            std::fs::create_dir_all(&dir)?;
            let extra = ["--model", "none", "--models-dir"].map(String::from);
            let extra = [&extra[..], &[dir.display().to_string()]].concat();
            let mut m = self.spawn(20 + r, Some(&ticket), &extra).await?;
            let client = &self.client;
            // Timed from when the node has heard the offer.
            let started = Instant::now();
            loop {
                let s: Value = client
                    .get(format!("http://{}/api/status", m.api))
                    .send()
                    .await?
                    .json()
                    .await?;
                let heard = s["peers"].as_array().is_some_and(|p| {
                    p.iter().any(|p| {
                        p["files"]
                            .as_array()
                            .is_some_and(|f| f.iter().any(|x| *x == id))
                    })
                });
                if heard {
                    break;
                }
                anyhow::ensure!(
                    started.elapsed() < Duration::from_secs(60),
                    "the new node heard no offer of {id} in 60 s"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let t = Instant::now();
            let v: Value = client
                .post(format!("http://{}/api/pull", m.api))
                .json(&json!({"model": id, "from": "peers", "stream": false}))
                .send()
                .await?
                .json()
                .await?;
            pulls.push(t.elapsed().as_secs_f64());
            anyhow::ensure!(v["status"] == "success", "pull: {v}");
            let _ = m.child.kill().await;
            let t = Instant::now();
            std::fs::copy(&src, dir.join("copy"))?;
            copies.push(t.elapsed().as_secs_f64());
        }
        let (pull_s, copy_s) = (median(&mut pulls), median(&mut copies));
        let mb = bytes as f64 / 1e6;
        println!(
            "model file from a peer ({}): pull {:.0} MB/s, plain copy {:.0} MB/s: {:.2}x a copy's speed",
            bytesize::ByteSize(bytes).display().iec(),
            mb / pull_s,
            mb / copy_s,
            copy_s / pull_s
        );
        Ok(ShareReport {
            runs: reps,
            bytes,
            pull_s,
            copy_s,
            pull_mb_per_s: mb / pull_s,
            copy_mb_per_s: mb / copy_s,
            pull_vs_copy: copy_s / pull_s,
        })
    }

    /// Serving node and gateway; then the same answer asked of each, `reps` times.
    async fn remote_vs_local(
        &mut self,
        reps: usize,
        max_tokens: u32,
    ) -> anyhow::Result<RemoteReport> {
        let serving = self.serving.clone();
        let b = self.spawn(0, None, &serving).await?;
        self.members.push(b);
        let ticket = self.ticket(0);
        let g = self
            .spawn(1, Some(&ticket), &["--model".into(), "none".into()])
            .await?;
        self.members.push(g);
        let client = &self.client;
        until_peers(client, &self.members[1].api, 1).await?;
        let body = json!({
            "messages": [{"role": "user", "content": "Write about the history of bridges."}],
            "max_tokens": max_tokens, "ignore_eos": true, "temperature": 0, "stream": true,
        });
        let (local, remote) = (&self.members[0].api, &self.members[1].api);
        // Warm both paths (model pages, prefix cache, the QUIC connection).
        one(client, local, &body).await?;
        one(client, remote, &body).await?;
        let (mut lt, mut lp, mut rt, mut rp) = (vec![], vec![], vec![], vec![]);
        for _ in 0..reps {
            let (t, p) = one(client, local, &body).await?;
            lt.push(t);
            lp.push(p);
            let (t, p) = one(client, remote, &body).await?;
            rt.push(t);
            rp.push(p);
        }
        let (local_ttft_ms, remote_ttft_ms) = (median(&mut lt), median(&mut rt));
        let (local_ms_per_token, remote_ms_per_token) = (median(&mut lp), median(&mut rp));
        let r = RemoteReport {
            runs: reps,
            tokens: max_tokens,
            local_ttft_ms,
            remote_ttft_ms,
            added_ttft_ms: remote_ttft_ms - local_ttft_ms,
            local_ms_per_token,
            remote_ms_per_token,
            added_per_token_pct: (remote_ms_per_token / local_ms_per_token - 1.0) * 100.0,
        };
        println!(
            "remote vs local ({} runs each, {} tokens): time to first token {:.2} vs {:.2} ms (+{:.2} ms); per token {:.3} vs {:.3} ms ({:+.2}%)",
            reps,
            max_tokens,
            r.remote_ttft_ms,
            r.local_ttft_ms,
            r.added_ttft_ms,
            r.remote_ms_per_token,
            r.local_ms_per_token,
            r.added_per_token_pct
        );
        Ok(r)
    }

    /// Failover: a second serving node, then `reps` times kill whichever serves a long answer
    /// through the gateway, 20 chunks in. Returns the longest silence after each kill, in ms.
    async fn failovers(&mut self, reps: usize) -> anyhow::Result<Vec<f64>> {
        let (serving, ticket) = (self.serving.clone(), self.ticket(0));
        let c = self.spawn(2, Some(&ticket), &serving).await?;
        self.members.push(c);
        let mut gaps = Vec::new();
        for rep in 0..reps {
            until_peers(&self.client, &self.members[1].api, 2).await?;
            let (gap, chunks, victim) = self.kill_mid_answer().await?;
            println!(
                "failover {}: longest silence after the kill {gap:.0} ms ({chunks} chunks in all)",
                rep + 1
            );
            gaps.push(gap);
            // Bring the killed node back for the next repetition, joining through the gateway
            // (the first node's own ticket would point it at itself).
            let _ = self.members[victim].child.wait().await;
            let via = self.ticket(1);
            self.members[victim] = self.spawn(victim, Some(&via), &serving).await?;
        }
        Ok(gaps)
    }

    /// One long answer through the gateway, its server killed 20 chunks in: the longest
    /// silence after the kill (ms), the chunks in all, and which member was killed.
    async fn kill_mid_answer(&self) -> anyhow::Result<(f64, usize, usize)> {
        let long = json!({
            "messages": [{"role": "user", "content": "Tell a long story about a lighthouse keeper."}],
            "max_tokens": 200, "ignore_eos": true, "temperature": 0, "stream": true,
        });
        let pids: Vec<(String, Option<u32>)> = self
            .members
            .iter()
            .map(|m| (m.id.to_string(), m.child.id()))
            .collect();
        let mut chunks = 0;
        let mut last = Instant::now();
        let mut killed: Option<usize> = None;
        let mut gap = 0.0f64;
        stream(&self.client, &self.members[1].api, &long, |server| {
            chunks += 1;
            if killed.is_some() {
                gap = gap.max(last.elapsed().as_secs_f64() * 1e3);
            }
            last = Instant::now();
            if chunks == 20
                && let Some(i) = pids.iter().position(|(id, _)| id == server)
                && let Some(pid) = pids[i].1
            {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                killed = Some(i);
            }
        })
        .await?;
        let Some(victim) = killed else {
            anyhow::bail!("the answer ended before the kill, or came from an unknown node");
        };
        anyhow::ensure!(
            chunks > 20,
            "the answer stopped at the kill: the failover did not happen"
        );
        Ok((gap, chunks, victim))
    }
}
