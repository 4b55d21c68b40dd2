//! The benchmarks behind `llp bench`: what users measure on their own rig, each against a
//! baseline in the same run. The engine and the API here; the network ([`net`]), the ledger
//! ([`ledger`], whose workloads the tests share) and the terminal UI ([`tui`]) in their own files.
//!
//! - Engine: prompt processing and generation tokens/s of one sequence, measured in-process
//!   around llama.cpp's decode calls (comparable with llama.cpp's llama-bench pp/tg).
//! - API: time to first token, requests/s, generated tokens/s and p50/p95 latency with N
//!   concurrent streaming clients in a closed loop, against the embedded node or `--url` (any
//!   OpenAI-compatible server, llama-server included, for a side-by-side run).
//! - The API's extras ([`features`]): grammar-constrained and logprobs generation against free,
//!   embeddings' throughput.

pub mod features;
pub mod idle;
pub mod ledger;
pub mod net;
#[cfg(feature = "fault-injection")]
pub mod trust;
pub mod tui;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::cli::Global;
use crate::engine::{Engine, Job};
use crate::job::{EVENT_CHANNEL, Event, Finish, Sampling};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Concurrent API clients, one run per value
    #[arg(long, value_delimiter = ',', default_value = "1,8,50")]
    pub clients: Vec<usize>,
    /// Seconds each client keeps sending requests (closed loop)
    #[arg(long, default_value_t = 20)]
    pub duration: u64,
    /// Tokens per answer in the API runs
    #[arg(long, default_value_t = 64)]
    pub max_tokens: u32,
    /// Prompt tokens for the engine's prompt-processing run
    #[arg(long, default_value_t = 512)]
    pub pp: usize,
    /// Tokens for the engine's generation run
    #[arg(long, default_value_t = 128)]
    pub tg: u32,
    /// Repetitions of each engine run (the median is reported)
    #[arg(long, default_value_t = 3)]
    pub reps: usize,
    /// Benchmark this OpenAI-compatible server instead of an embedded node (API runs only)
    #[arg(long)]
    pub url: Option<String>,
    /// Skip the engine runs
    #[arg(long)]
    pub api_only: bool,
    /// Skip the API runs
    #[arg(long)]
    pub engine_only: bool,
    /// Print only JSON
    #[arg(long)]
    pub json: bool,
    /// The peer network's benchmarks instead: routing decisions with 10,000 peers, remote against
    /// local on loopback, and the failover gap (starts its own nodes on 127.0.0.1)
    #[arg(long)]
    pub p2p: bool,
    /// The network at internet scale instead: a discrete-event simulation of --nodes nodes
    /// (each count in turn) running the node's routing code, over --minutes simulated minutes
    #[arg(long)]
    pub sim: bool,
    /// Nodes online on average in the --sim runs, one run per value
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    pub nodes: Vec<usize>,
    /// Simulated minutes of each --sim run
    #[arg(long, default_value_t = 60.0)]
    pub minutes: f64,
    /// The --sim runs' seed (the same seed, the same run)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Requests an online node's user sends an hour in the --sim runs (the daily mean)
    #[arg(long, default_value_t = 30.0)]
    pub rate: f64,
    /// The designs the --sim runs compare, each in turn
    #[arg(
        long,
        value_delimiter = ',',
        value_enum,
        default_value = "gossip,providers"
    )]
    pub design: Vec<crate::sim::Design>,
    /// The credit ledger's benchmarks instead: verification speed and durable appends
    #[arg(long)]
    pub ledger: bool,
    /// The terminal UI's benchmarks instead: frame time with 100 peers and 1,000 jobs, and the
    /// CPU an idle UI uses (runs a node and the UI in tmux for --duration seconds)
    #[arg(long)]
    pub tui: bool,
    /// Contributing only what is idle, instead: what watching the conditions costs an idle node
    /// (for --duration seconds, against one that does not watch) and the time from the owner's
    /// load to a worker's last token for a peer (--reps hand-backs; starts its own nodes)
    #[arg(long)]
    pub idle: bool,
    /// Verified work's benchmark instead: a network with honest workers and a cheater of each
    /// kind in turn (a build with the `fault-injection` feature only)
    #[arg(long)]
    pub trust: bool,
    /// Jobs the trust benchmark sends before the cheaters join
    #[arg(long, default_value_t = 200)]
    pub jobs: usize,
    /// Entries in the chain the ledger benchmark verifies
    #[arg(long, default_value_t = 100_000)]
    pub entries: u64,
    /// The API extras' benchmark instead: generation under a JSON-schema grammar and with
    /// logprobs against free generation, and embeddings' throughput (on a node serving the
    /// first --model and --embed-model, or on --url)
    #[arg(long)]
    pub features: bool,
    /// The embedding model of the --features runs (`none`: no embedding runs)
    #[arg(long, default_value = "all-minilm-l6-v2")]
    pub embed_model: String,
    /// The engine and API runs once per engine, in this run, with each one's ratio to the first
    /// (e.g. `--engines llama,candle`)
    #[arg(long, value_delimiter = ',', value_enum)]
    pub engines: Vec<crate::engine::EngineKind>,
}

#[derive(Debug, Serialize)]
struct Report {
    #[serde(skip_serializing_if = "Option::is_none")]
    engine_kind: Option<crate::engine::EngineKind>,
    model: String,
    threads: u32,
    slots: u32,
    target: String,
    engine: Option<EngineReport>,
    api: Vec<ApiReport>,
}

#[derive(Debug, Serialize)]
struct EngineReport {
    prompt_tokens: usize,
    prompt_tokens_per_s: f64,
    generated_tokens: u32,
    generation_tokens_per_s: f64,
}

#[derive(Debug, Serialize)]
struct ApiReport {
    clients: usize,
    requests: usize,
    failed: usize,
    wall_s: f64,
    requests_per_s: f64,
    generated_tokens: u64,
    generated_tokens_per_s: f64,
    latency_p50_s: f64,
    latency_p95_s: f64,
    ttft_p50_s: f64,
    ttft_p95_s: f64,
}

/// The --sim runs, one per node count, off the async runtime (each is seconds to minutes of
/// CPU).
async fn simulate(a: &BenchArgs) -> anyhow::Result<ExitCode> {
    use crate::config::UsageError;
    if let Some(n) = a.nodes.iter().find(|n| !(10..=1_000_000).contains(*n)) {
        return Err(UsageError(format!("--nodes {n}: simulate 10 to 1,000,000 nodes")).into());
    }
    if !(a.minutes.is_finite() && a.minutes > 0.0 && a.minutes <= 7.0 * 24.0 * 60.0) {
        return Err(UsageError(format!(
            "--minutes {}: simulate more than 0 and at most a week (10080) of minutes",
            a.minutes
        ))
        .into());
    }
    if !(a.rate.is_finite() && a.rate >= 0.0) {
        return Err(UsageError(format!(
            "--rate {}: requests an hour must be a number, 0 or more",
            a.rate
        ))
        .into());
    }
    let mut reports = Vec::new();
    for (&nodes, &design) in a
        .nodes
        .iter()
        .flat_map(|n| a.design.iter().map(move |d| (n, d)))
    {
        let p = crate::sim::Params {
            design,
            nodes,
            observers: crate::sim::Params::observers_for(design, nodes),
            minutes: a.minutes,
            seed: a.seed,
            rate: a.rate,
            ..Default::default()
        };
        let r = tokio::task::spawn_blocking(move || crate::sim::simulate(p)).await?;
        if !a.json {
            crate::sim::print(&r);
        }
        reports.push(r);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run(g: &Global, a: BenchArgs) -> anyhow::Result<ExitCode> {
    let settings = g.settings()?;
    if a.sim {
        return simulate(&a).await;
    }
    if a.ledger {
        let r = ledger::run(a.entries).await?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&r)?);
        } else {
            ledger::print(&r);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if a.tui {
        let r = tui::run(&settings, a.duration).await?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&r)?);
        } else {
            tui::print(&r);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if a.idle {
        let r = idle::run(&settings, a.reps.max(1), a.duration).await?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&r)?);
        } else {
            idle::print(&r);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if a.trust {
        return trust(&settings, &a).await;
    }
    if a.features {
        return extras(&settings, &a).await;
    }
    if a.p2p {
        let r = net::run(&settings, a.reps.max(10), a.max_tokens).await?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&r)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !a.engines.is_empty() && a.url.is_none() {
        return compare_engines(&settings, &a).await;
    }
    let report = engine_and_api(&settings, &a).await?;
    if a.json {
        crate::cli::print_json(&report)?;
    } else {
        println!("{}", serde_json::to_string(&report)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// `--engines`: the same runs on each engine, one after the other, and the ratios to the first.
async fn compare_engines(
    settings: &crate::config::Settings,
    a: &BenchArgs,
) -> anyhow::Result<ExitCode> {
    let mut reports = Vec::new();
    for &kind in &a.engines {
        let mut s = settings.clone();
        s.engine.engine = kind;
        s.engine.engines.clear();
        if !a.json {
            println!("== engine {kind}");
        }
        let mut r = engine_and_api(&s, a).await?;
        r.engine_kind = Some(kind);
        reports.push(r);
    }
    let base = &reports[0];
    let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { 0.0 };
    let ratios: Vec<Value> = reports
        .iter()
        .map(|r| {
            let (e, b) = (r.engine.as_ref(), base.engine.as_ref());
            let pp = e.zip(b).map(|(e, b)| ratio(e.prompt_tokens_per_s, b.prompt_tokens_per_s));
            let tg = e
                .zip(b)
                .map(|(e, b)| ratio(e.generation_tokens_per_s, b.generation_tokens_per_s));
            let api: Vec<Value> = r
                .api
                .iter()
                .zip(&base.api)
                .map(|(x, y)| {
                    json!({"clients": x.clients,
                           "generated_tokens_per_s": ratio(x.generated_tokens_per_s, y.generated_tokens_per_s)})
                })
                .collect();
            json!({"engine": r.engine_kind, "pp": pp, "tg": tg, "api": api})
        })
        .collect();
    if a.json {
        crate::cli::print_json(&json!({"runs": reports, "ratios_to_first": ratios}))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("== against {}", a.engines[0]);
    for r in &ratios {
        let f = |v: &Value| v.as_f64().map_or("-".into(), |x| format!("{x:.2}x"));
        let api: Vec<String> = r["api"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                format!(
                    "{} clients {}",
                    c["clients"],
                    f(&c["generated_tokens_per_s"])
                )
            })
            .collect();
        println!(
            "{:<7} pp {}  tg {}  {}",
            r["engine"].as_str().unwrap_or("?"),
            f(&r["pp"]),
            f(&r["tg"]),
            api.join("  ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `--features`: on `--url`, or on a node of its own serving the chat and embedding models.
async fn extras(settings: &crate::config::Settings, a: &BenchArgs) -> anyhow::Result<ExitCode> {
    let chat = settings
        .engine
        .models
        .first()
        .cloned()
        .unwrap_or_else(|| "smollm2-135m-instruct".into());
    let embed = (a.embed_model != "none").then(|| a.embed_model.clone());
    let (base, embedded) = match &a.url {
        Some(u) => (u.trim_end_matches('/').to_string(), None),
        None => {
            let mut s = settings.clone();
            s.engine.models = std::iter::once(chat.clone()).chain(embed.clone()).collect();
            let running = crate::cli::start_node(s, Some("127.0.0.1:0".parse()?), false).await?;
            (running.base_url(), Some(running))
        }
    };
    let r = features::run(&base, &chat, embed.as_deref(), a.reps, a.max_tokens).await;
    if let Some(n) = embedded {
        n.stop().await;
    }
    let r = r?;
    if a.json {
        crate::cli::print_json(&r)?;
    } else {
        features::print(&r);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "fault-injection")]
async fn trust(settings: &crate::config::Settings, a: &BenchArgs) -> anyhow::Result<ExitCode> {
    let r = trust::run(settings, a.jobs).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        trust::print(&r);
    }
    Ok(ExitCode::SUCCESS)
}

/// Without the cheaters, there is nothing to measure.
#[cfg(not(feature = "fault-injection"))]
async fn trust(_: &crate::config::Settings, _: &BenchArgs) -> anyhow::Result<ExitCode> {
    eprintln!(
        "llp: `llp bench --trust` runs cheating nodes, which only a build with the \
         fault-injection feature has: cargo build --release --features fault-injection"
    );
    Ok(ExitCode::from(2))
}

/// The engine's runs (on an embedded node) and the API's (on it, or on `--url`, or on the node
/// already running for the data dir).
async fn engine_and_api(
    settings: &crate::config::Settings,
    a: &BenchArgs,
) -> anyhow::Result<Report> {
    // A node already running for the data dir holds its lock: measure that node through its
    // API (the engine runs need an embedded node).
    let url = a.url.clone().or_else(|| {
        let running = crate::client::running_api(&settings.data_dir)?;
        eprintln!(
            "llp: a node is running for this data dir; benchmarking it at {running} (API runs only)"
        );
        Some(running)
    });
    let (base, model, embedded) = match &url {
        Some(u) => (
            u.trim_end_matches('/').to_string(),
            settings.engine.models.first().cloned(),
            None,
        ),
        None => {
            let running =
                crate::cli::start_node(settings.clone(), Some("127.0.0.1:0".parse()?), false)
                    .await?;
            (running.base_url(), None, Some(running))
        }
    };
    let mut report = Report {
        engine_kind: None,
        model: model.clone().unwrap_or_else(|| "(server default)".into()),
        threads: settings.engine.threads,
        slots: settings.engine.slots,
        target: url.clone().unwrap_or_else(|| "embedded llp node".into()),
        engine: None,
        api: Vec::new(),
    };
    if let Some(r) = &embedded {
        let engine = r.node().engines().first().cloned().ok_or_else(|| {
            crate::config::UsageError(
                "bench needs a model to run here; --model none serves none".into(),
            )
        })?;
        report.model = engine.info().id().to_string();
        if !a.api_only {
            let e = engine_bench(&engine, a).await?;
            if !a.json {
                println!(
                    "model {}  threads {}  slots {}",
                    report.model, report.threads, report.slots
                );
                println!(
                    "engine  pp{}: {:8.1} tok/s   tg{}: {:8.1} tok/s",
                    e.prompt_tokens,
                    e.prompt_tokens_per_s,
                    e.generated_tokens,
                    e.generation_tokens_per_s
                );
            }
            report.engine = Some(e);
        }
    }
    if !a.engine_only {
        let token = settings.api.token.as_deref();
        report.api = api_runs(&base, model.as_deref(), token, &report.target, a).await?;
    }
    if let Some(r) = embedded {
        r.stop().await;
    }
    Ok(report)
}

/// One API run per number of clients, printed as a table as they finish.
async fn api_runs(
    base: &str,
    model: Option<&str>,
    token: Option<&str>,
    target: &str,
    a: &BenchArgs,
) -> anyhow::Result<Vec<ApiReport>> {
    if !a.json {
        println!(
            "API against {target}: {} s closed loop per run, {}-token answers",
            a.duration, a.max_tokens
        );
        println!(
            "{:>7} {:>8} {:>6} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9}",
            "clients",
            "requests",
            "failed",
            "req/s",
            "gen tok/s",
            "p50 s",
            "p95 s",
            "ttft p50",
            "ttft p95"
        );
    }
    let mut runs = Vec::new();
    for &n in &a.clients {
        let r = api_bench(base, model, token, n, a).await?;
        if !a.json {
            println!(
                "{:>7} {:>8} {:>6} {:>9.2} {:>10.1} {:>9.2} {:>9.2} {:>9.3} {:>9.3}",
                r.clients,
                r.requests,
                r.failed,
                r.requests_per_s,
                r.generated_tokens_per_s,
                r.latency_p50_s,
                r.latency_p95_s,
                r.ttft_p50_s,
                r.ttft_p95_s
            );
        }
        runs.push(r);
    }
    Ok(runs)
}

async fn engine_bench(engine: &Engine, a: &BenchArgs) -> anyhow::Result<EngineReport> {
    // A prompt of exactly `pp` tokens: ordinary text, repeated and cut.
    let text =
        "The quick brown fox jumps over the lazy dog while the lighthouse keeper counts ships. ";
    let mut tokens = engine.text_tokens(&text.repeat(a.pp / 8 + 8));
    tokens.truncate(a.pp.min(engine.info().ctx_per_slot as usize - 2));
    let mut pp = Vec::new();
    let mut tg = Vec::new();
    for _ in 0..a.reps.max(1) {
        let f = one(engine, tokens.clone(), 1).await?;
        pp.push(tokens.len() as f64 / f.prompt_time.as_secs_f64());
        let f = one(engine, tokens[..1].to_vec(), a.tg).await?;
        // The first token comes from the prompt's decode; the rest are one decode each.
        tg.push((f.completion_tokens.saturating_sub(1)) as f64 / f.generation_time.as_secs_f64());
    }
    Ok(EngineReport {
        prompt_tokens: tokens.len(),
        prompt_tokens_per_s: median(&mut pp),
        generated_tokens: a.tg,
        generation_tokens_per_s: median(&mut tg),
    })
}

async fn one(
    engine: &Engine,
    tokens: Vec<llama_cpp_2::token::LlamaToken>,
    max_tokens: u32,
) -> anyhow::Result<Finish> {
    let (tx, mut rx) = mpsc::channel(EVENT_CHANNEL);
    engine.submit(Job {
        tokens,
        max_tokens,
        sampling: Sampling::default(),
        stop: Vec::new(),
        ignore_eos: true,
        priority: 0,
        events: tx,
        constrained: None,
        logprobs: None,
    })?;
    while let Some(ev) = rx.recv().await {
        match ev {
            Event::Token { .. } | Event::Embeddings(_) => {}
            Event::Done(f) => return Ok(f),
            Event::Failed(e) => anyhow::bail!("engine failed: {e}"),
        }
    }
    anyhow::bail!("engine dropped the job")
}

#[derive(Default)]
struct Sample {
    latency: Vec<f64>,
    ttft: Vec<f64>,
    tokens: u64,
    failed: usize,
}

/// One streamed request: its time to first token and its tokens (from the usage chunk, else
/// the text chunks).
async fn one_request(
    client: &reqwest::Client,
    url: &str,
    body: &Value,
    token: Option<&str>,
    t0: Instant,
) -> anyhow::Result<(Duration, u64)> {
    // A server may close an idle keep-alive connection just as the pool reuses it
    // (llama-server does); that is the client's race, not a failed request: send again on a
    // fresh connection.
    let mut attempt = 0;
    let resp = loop {
        let mut req = client.post(url).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        match req.send().await {
            Err(e) if attempt < 2 && (e.is_connect() || e.is_request()) => attempt += 1,
            r => break r?,
        }
    };
    if !resp.status().is_success() {
        anyhow::bail!("{}", crate::client::error_message(resp).await);
    }
    let mut first = None;
    let mut tokens = 0u64;
    let mut chunks = 0u64;
    crate::client::read_sse(resp, |d| {
        let Ok(v) = serde_json::from_str::<Value>(d) else {
            return;
        };
        if crate::client::delta_text(&v).is_some_and(|t| !t.is_empty()) {
            chunks += 1;
            first.get_or_insert_with(|| t0.elapsed());
        }
        if let Some(n) = v["usage"]["completion_tokens"].as_u64() {
            tokens = n;
        }
    })
    .await?;
    Ok((
        first.unwrap_or_else(|| t0.elapsed()),
        if tokens > 0 { tokens } else { chunks },
    ))
}

async fn api_bench(
    base: &str,
    model: Option<&str>,
    token: Option<&str>,
    clients: usize,
    a: &BenchArgs,
) -> anyhow::Result<ApiReport> {
    let client = crate::fetch::http_client()?;
    let deadline = Instant::now() + Duration::from_secs(a.duration);
    let results = Arc::new(tokio::sync::Mutex::new(Sample::default()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..clients {
        let (client, results) = (client.clone(), results.clone());
        let url = format!("{base}/v1/chat/completions");
        let mut body = json!({
            "messages": [{"role": "user", "content": format!("Tell a long story about lighthouse number {i}.")}],
            "max_tokens": a.max_tokens,
            "temperature": 0.8,
            "stream": true,
            "stream_options": {"include_usage": true},
            "ignore_eos": true,
        });
        if let Some(m) = model {
            body["model"] = json!(m);
        }
        let token = token.map(str::to_string);
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let outcome = one_request(&client, &url, &body, token.as_deref(), t0).await;
                let mut r = results.lock().await;
                match outcome {
                    Ok((ttft, tokens)) => {
                        r.latency.push(t0.elapsed().as_secs_f64());
                        r.ttft.push(ttft.as_secs_f64());
                        r.tokens += tokens;
                    }
                    Err(e) => {
                        r.failed += 1;
                        if r.failed <= 3 {
                            eprintln!("bench: request failed: {e}");
                        }
                        drop(r);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let wall = started.elapsed().as_secs_f64();
    let mut r = results.lock().await;
    let n = r.latency.len();
    Ok(ApiReport {
        clients,
        requests: n,
        failed: r.failed,
        wall_s: wall,
        requests_per_s: n as f64 / wall,
        generated_tokens: r.tokens,
        generated_tokens_per_s: r.tokens as f64 / wall,
        latency_p50_s: percentile(&mut r.latency, 0.5),
        latency_p95_s: percentile(&mut r.latency, 0.95),
        ttft_p50_s: percentile(&mut r.ttft, 0.5),
        ttft_p95_s: percentile(&mut r.ttft, 0.95),
    })
}

pub(super) fn median(v: &mut [f64]) -> f64 {
    percentile(v, 0.5)
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}
