//! The idle governor's benchmark (`llp bench --idle`): what watching the conditions costs an
//! idle node (its CPU against the same node with auto-pause off, in the same run), and how fast
//! a worker gives its machine back: the time from the owner's load appearing (busy programs, a
//! core's worth for every two) to the last token the worker sends for a peer before it hands the
//! job back. Starts its own nodes on 127.0.0.1.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use super::median;
use crate::cli::demo::{Member, spawn};
use crate::config::Settings;

#[derive(Debug, Serialize)]
pub struct IdleReport {
    /// One reading of every condition, in this process: the median wall time, ms.
    pub read_ms: f64,
    /// The share of a core that costs at the default interval (1 s), percent.
    pub read_core_pct: f64,
    /// Seconds each idle node was watched.
    pub idle_s: u64,
    /// An idle node's CPU, percent of a core: watching the conditions, and not.
    pub idle_cpu_pct_watching: f64,
    pub idle_cpu_pct_not: f64,
    /// The hand-backs: seconds from the owner's load to the worker's last token for the peer.
    pub handoff_s: Vec<f64>,
    pub handoff_median_s: f64,
    /// Tokens each worker sent before it handed the job back, and the answers' length.
    pub handed_after_tokens: Vec<u64>,
    pub tokens: u32,
}

/// Busy programs: a core's worth for every two cores of the machine.
struct Load(Vec<std::process::Child>);

impl Load {
    fn start() -> anyhow::Result<Load> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let burn = || {
            std::process::Command::new("sh")
                .args(["-c", "while :; do :; done"])
                .spawn()
        };
        // Pushed one by one: those started are stopped (on drop) if the next fails.
        let mut load = Load(Vec::new());
        for _ in 0..cores.div_ceil(2) {
            load.0.push(burn()?);
        }
        Ok(load)
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub async fn run(settings: &Settings, reps: usize, idle_s: u64) -> anyhow::Result<IdleReport> {
    let read_ms = tokio::task::spawn_blocking(read_cost).await?;
    println!(
        "reading every condition: {read_ms:.2} ms ({:.3} % of a core at 1 s)",
        read_ms / 10.0
    );
    let root = nodes_root(settings)?;
    let network = format!("bench-{}", crate::ids::random_hex(4));
    let secret = crate::ids::random_hex(8);
    let mut members: Vec<Member> = Vec::new();
    let result = async {
        let node = |i: usize, join: Option<String>, extra: &[&str]| {
            let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
            let (root, network, secret) = (root.path(), network.clone(), secret.clone());
            async move {
                spawn(
                    i,
                    root,
                    settings,
                    &network,
                    &secret,
                    join.as_deref(),
                    &extra,
                )
                .await
            }
        };
        // Idle: the same node, watching and not.
        members.push(node(0, None, &["--auto-pause"]).await?);
        members.push(node(1, None, &["--auto-pause=false"]).await?);
        let (watching, not) = idle_cpu(&members[0], &members[1], idle_s).await?;
        println!(
            "an idle node's CPU over {idle_s} s: {watching:.3} % of a core watching, {not:.3} % not"
        );
        for m in &mut members {
            let _ = m.child.kill().await;
        }
        members.clear();
        // The hand-backs: worker 2 watches, gateway 3 has no model, worker 4 takes over.
        members.push(node(2, None, &["--auto-pause"]).await?);
        let ticket = crate::node::datadir::running_node(&members[0].dir)
            .and_then(|n| n.ticket)
            .unwrap_or_default();
        let calm = ["--auto-pause=false"];
        members.push(
            node(
                3,
                Some(ticket.clone()),
                &[&calm[..], &["--model", "none"]].concat(),
            )
            .await?,
        );
        members.push(node(4, Some(ticket), &[&calm[..], &["--paused"]].concat()).await?);
        let (times, handed) = handoffs(&members, reps).await?;
        anyhow::Ok((watching, not, times, handed))
    }
    .await;
    for m in &mut members {
        let _ = m.child.kill().await;
    }
    if result.is_err() || std::env::var_os("LLP_BENCH_KEEP").is_some() {
        let kept = root.keep();
        eprintln!("llp bench: the nodes' logs are kept in {}", kept.display());
    }
    let (watching, not, times, handed) = result?;
    Ok(IdleReport {
        read_ms,
        read_core_pct: read_ms / 10.0,
        idle_s,
        idle_cpu_pct_watching: watching,
        idle_cpu_pct_not: not,
        handoff_median_s: median(&mut times.clone()),
        handoff_s: times,
        handed_after_tokens: handed,
        tokens: TOKENS,
    })
}

/// The benchmark's nodes' dir, with their config: the demo's, with the conditions the
/// benchmark makes.
fn nodes_root(settings: &Settings) -> anyhow::Result<tempfile::TempDir> {
    let root = tempfile::Builder::new()
        .prefix("llp-bench-idle-")
        .tempdir()?;
    let config = crate::cli::demo::demo_config(root.path(), settings)?;
    let mut text = std::fs::read_to_string(&config)?;
    text.push_str("\n[idle]\ncpu_percent = 25\nhold_off = \"3s\"\n");
    std::fs::write(&config, text)?;
    Ok(root)
}

/// `reps` hand-backs: the seconds of each, and the tokens sent before it.
async fn handoffs(members: &[Member], reps: usize) -> anyhow::Result<(Vec<f64>, Vec<u64>)> {
    let (mut times, mut handed) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let (t, k) = handoff(members, TOKENS).await?;
        println!("handed back after {k} tokens, {t:.2} s after the owner's load appeared");
        times.push(t);
        handed.push(k);
    }
    Ok((times, handed))
}

/// The answers' length in the hand-back runs.
const TOKENS: u32 = 400;

/// One reading of every condition (all on, this machine's sysfs), median of 50, ms.
fn read_cost() -> f64 {
    let s = crate::idle::Settings::resolve(&crate::idle::File::default(), &[], true, None)
        .expect("the default settings");
    let s = crate::idle::Settings {
        user_active: Some(Duration::from_secs(60)),
        ..s
    };
    let mut probes = crate::idle::probe::Probes::new();
    let mut times: Vec<f64> = (0..50)
        .map(|_| {
            let t = Instant::now();
            let _ = crate::idle::read(&s, &mut probes);
            std::thread::sleep(Duration::from_millis(20));
            t.elapsed().as_secs_f64() * 1e3 - 20.0
        })
        .collect();
    median(&mut times).max(0.0)
}

/// Two idle nodes' CPU over `secs`, percent of a core each.
async fn idle_cpu(a: &Member, b: &Member, secs: u64) -> anyhow::Result<(f64, f64)> {
    // Past their start.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pids = [a.child.id(), b.child.id()];
    let cpu = move || -> anyhow::Result<[u64; 2]> {
        let mut sys = sysinfo::System::new().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let mut out = [0u64; 2];
        for (i, pid) in pids.iter().enumerate() {
            let pid = sysinfo::Pid::from_u32(pid.ok_or_else(|| anyhow::anyhow!("no pid"))?);
            sys.refresh_processes_specifics(
                sysinfo::ProcessesToUpdate::Some(&[pid]),
                false,
                sysinfo::ProcessRefreshKind::nothing().with_cpu(),
            );
            out[i] = sys
                .process(pid)
                .ok_or_else(|| anyhow::anyhow!("node {pid} is gone"))?
                .accumulated_cpu_time();
        }
        Ok(out)
    };
    let before = cpu()?;
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let after = cpu()?;
    let pct = |i: usize| (after[i] - before[i]) as f64 / (secs as f64 * 1e3) * 100.0;
    Ok((pct(0), pct(1)))
}

/// One hand-back: the watching worker (member 0) streams an answer for the gateway (member 1)
/// while member 2 is paused; then member 2 resumes, the load starts, and the answer finishes
/// there. Returns the seconds from the load to member 0's last token, and its token count.
async fn handoff(m: &[Member], tokens: u32) -> anyhow::Result<(f64, u64)> {
    let http = crate::fetch::http_client()?;
    let (worker, gw, other) = (&m[0], &m[1], &m[2]);
    let contribution = |node: &Member, paused: bool| {
        http.post(format!("http://{}/api/contribution", node.api))
            .json(&json!({ "paused": paused }))
            .send()
    };
    contribution(other, true).await?.error_for_status()?;
    until(&http, gw, |s| {
        s["peers"].as_array().is_some_and(|p| {
            p.iter()
                .any(|p| p["id"] == worker.id.to_string() && p["paused"] == false)
                && p.iter()
                    .all(|p| p["id"] != other.id.to_string() || p["paused"] == true)
        })
    })
    .await?;
    let body = json!({
        "model": "smollm2-135m-instruct", "temperature": 0, "max_tokens": tokens,
        "ignore_eos": true, "stream": true,
        "messages": [{"role": "user", "content": "Tell a long story about a lighthouse keeper."}],
    });
    let resp = http
        .post(format!("http://{}/v1/chat/completions", gw.api))
        .json(&body)
        .send()
        .await?
        .error_for_status()?;
    let by = resp
        .headers()
        .get("x-llp-node")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    anyhow::ensure!(
        by == worker.id.to_string(),
        "the job went to {by}, not the worker"
    );
    // The job streams from the worker: now another node may take it over.
    contribution(other, false).await?.error_for_status()?;
    let mut arrivals: Vec<Instant> = Vec::new();
    let mut load: Option<(Load, Instant)> = None;
    let mut error = None;
    crate::client::read_sse(resp, |d| {
        let Ok(e) = serde_json::from_str::<Value>(d) else {
            return;
        };
        if crate::client::delta_text(&e).is_some_and(|t| !t.is_empty()) {
            arrivals.push(Instant::now());
        }
        if arrivals.len() == 40 && load.is_none() {
            match Load::start() {
                Ok(l) => load = Some((l, Instant::now())),
                Err(e) => error = Some(e),
            }
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!("the stream broke: {e}"))?;
    if let Some(e) = error {
        return Err(e);
    }
    let (l, started) = load.ok_or_else(|| anyhow::anyhow!("the answer ended before the load"))?;
    drop(l);
    let handed = handed_at(&http, worker, gw).await?;
    let last = arrivals
        .get((handed as usize).saturating_sub(1))
        .ok_or_else(|| anyhow::anyhow!("fewer chunks than tokens handed"))?;
    let t = last.saturating_duration_since(started).as_secs_f64();
    // The worker resumes after its hold-off, for the next run.
    until(&http, gw, |s| {
        s["peers"].as_array().is_some_and(|p| {
            p.iter()
                .any(|p| p["id"] == worker.id.to_string() && p["paused"] == false)
        })
    })
    .await?;
    Ok((t, handed))
}

/// The tokens the worker sent for the gateway's last job before it handed it back (its own
/// count: the gateway's route counts what its client had read when it switched).
async fn handed_at(http: &reqwest::Client, worker: &Member, gw: &Member) -> anyhow::Result<u64> {
    let jobs: Value = http
        .get(format!("http://{}/api/jobs", worker.api))
        .send()
        .await?
        .json()
        .await?;
    let gw = gw.id.to_string();
    jobs["jobs"]
        .as_array()
        .and_then(|j| j.iter().rev().find(|j| j["requester"] == gw.as_str()))
        .filter(|j| j["state"] == "failed")
        .and_then(|j| j["tokens"].as_u64())
        .ok_or_else(|| anyhow::anyhow!("the worker did not hand the job back: {jobs}"))
}

/// Waits (at most 60 s) until the gateway's status satisfies `check`.
async fn until(
    http: &reqwest::Client,
    gw: &Member,
    check: impl Fn(&Value) -> bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let s: Value = http
            .get(format!("http://{}/api/status", gw.api))
            .send()
            .await?
            .json()
            .await?;
        if check(&s) {
            return Ok(());
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(60),
            "the gateway did not see the workers as expected within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn print(r: &IdleReport) {
    println!(
        "watching the conditions: {:.2} ms a reading ({:.3} % of a core at 1 s); an idle node \
         used {:.3} % of a core watching against {:.3} % not, over {} s",
        r.read_ms, r.read_core_pct, r.idle_cpu_pct_watching, r.idle_cpu_pct_not, r.idle_s
    );
    println!(
        "owner's load to the worker's last token for a peer: median {:.2} s over {} runs \
         ({:?}), handed back after {:?} of {} tokens",
        r.handoff_median_s,
        r.handoff_s.len(),
        r.handoff_s,
        r.handed_after_tokens,
        r.tokens
    );
}
