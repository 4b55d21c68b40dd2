//! `llp demo --nodes N`: a real N-node network on 127.0.0.1, for a first look.
//!
//! Starts N `llp serve` child processes, each with its own data dir under a temporary directory,
//! relays and mDNS off, all in one private network named for this demo; the first node's ticket
//! joins the others. Then it sends a burst of requests to the first node and shows which node
//! served each, and waits for Ctrl-C, when it stops the children and removes their directories.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use super::Global;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Nodes to start
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// Requests to send through the first node
    #[arg(long, default_value_t = 12)]
    pub requests: usize,
    /// Slots per node
    #[arg(long, default_value_t = 2)]
    pub node_slots: u32,
    /// Exit after the requests instead of waiting for Ctrl-C
    #[arg(long)]
    pub once: bool,
}

pub(crate) struct Member {
    pub name: String,
    pub dir: PathBuf,
    pub child: Child,
    pub api: String,
    pub id: crate::ids::NodeId,
}

pub(crate) async fn run(g: &Global, a: DemoArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!((1..=16).contains(&a.nodes), "--nodes must be 1 to 16");
    let settings = g.settings()?;
    let catalog = crate::catalog::Catalog::load(settings.catalog.as_deref())?;
    let default = catalog.resolve(&catalog.default)?;
    let model_file = settings.models_dir.join(&default.variant.file);
    if !model_file.is_file() {
        anyhow::bail!(
            "the demo runs the default model, which is not in {}: run `llp models fetch {}` first",
            settings.models_dir.display(),
            default.id()
        );
    }
    let root = tempfile::Builder::new().prefix("llp-demo-").tempdir()?;
    let network = format!("demo-{}", crate::ids::random_hex(4));
    let secret = crate::ids::random_hex(16);
    println!(
        "Starting {} nodes on 127.0.0.1 (network {network}, relays and mDNS off) in {}",
        a.nodes,
        root.path().display()
    );
    let mut members: Vec<Member> = Vec::new();
    let result = async {
        start_all(&mut members, root.path(), &settings, &network, &secret, &a).await?;
        show(&members, &a).await
    }
    .await;
    if let Err(e) = &result {
        eprintln!("llp demo: {e:#}");
    } else if !a.once {
        println!(
            "\nThe network keeps running. Try: llp chat --data-dir {} \"Hello\"",
            members[0].dir.display()
        );
        println!(
            "Ctrl-C stops every node and removes {}.",
            root.path().display()
        );
        let _ = tokio::signal::ctrl_c().await;
    }
    stop(&mut members).await;
    drop(root);
    println!("Done.");
    Ok(if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Starts the demo's nodes one after the other, each joining the first.
async fn start_all(
    members: &mut Vec<Member>,
    root: &std::path::Path,
    settings: &crate::config::Settings,
    network: &str,
    secret: &str,
    a: &DemoArgs,
) -> anyhow::Result<()> {
    let mut ticket: Option<String> = None;
    for i in 0..a.nodes {
        let extra = [
            "--slots".to_string(),
            a.node_slots.to_string(),
            "--threads".into(),
            "1".into(),
        ];
        let m = spawn(
            i,
            root,
            settings,
            network,
            secret,
            ticket.as_deref(),
            &extra,
        )
        .await?;
        println!(
            "  node-{i}  {}  api http://{}  log {}",
            m.id.short(),
            m.api,
            m.dir.join("serve.log").display()
        );
        if ticket.is_none() {
            ticket = crate::node::datadir::running_node(&m.dir).and_then(|n| n.ticket);
        }
        members.push(m);
    }
    Ok(())
}

/// Stops every node: SIGTERM (each announces that it leaves), then SIGKILL after 10 s.
async fn stop(members: &mut [Member]) {
    println!("Stopping {} nodes...", members.len());
    for m in members.iter_mut() {
        if let Some(pid) = m.child.id() {
            // SIGTERM: each node announces that it leaves and shuts down cleanly.
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
    }
    for m in members.iter_mut() {
        if tokio::time::timeout(Duration::from_secs(10), m.child.wait())
            .await
            .is_err()
        {
            let _ = m.child.kill().await;
        }
    }
}

/// The admission work of a demo's private network: its nodes are made for a first look, so
/// they are admitted in moments rather than minutes.
const DEMO_ADMISSION_BITS: u8 = 4;

/// The demo network's config: this user's credit policy, with a light admission.
pub(crate) fn demo_config(
    root: &Path,
    settings: &crate::config::Settings,
) -> anyhow::Result<PathBuf> {
    let path = root.join("demo-config.toml");
    if !path.exists() {
        let credits = crate::ledger::Policy {
            admission_bits: DEMO_ADMISSION_BITS,
            ..settings.credits.clone()
        };
        let text = toml::to_string(&serde_json::json!({ "credits": credits }))?;
        std::fs::write(&path, text)?;
    }
    Ok(path)
}

/// Starts `llp serve` as node `i` under `root`, on 127.0.0.1 only, in `network`; `extra` adds
/// flags (slots, threads, `--model none`).
pub(crate) async fn spawn(
    i: usize,
    root: &Path,
    settings: &crate::config::Settings,
    network: &str,
    secret: &str,
    join: Option<&str>,
    extra: &[String],
) -> anyhow::Result<Member> {
    let dir = root.join(format!("node-{i}"));
    std::fs::create_dir_all(&dir)?;
    let log = std::fs::File::create(dir.join("serve.log"))?;
    let config = demo_config(root, settings)?;
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("serve")
        .args(["--config".as_ref(), config.as_os_str()])
        .args(["--data-dir".as_ref(), dir.as_os_str()])
        .args([
            "--api",
            "127.0.0.1:0",
            "--listen",
            "127.0.0.1:0",
            "--relay",
            "disabled",
            "--no-mdns",
        ])
        .args(["--network", network])
        // In the environment, which only this user can read (/proc/PID/environ), never in the
        // arguments, which `ps` shows every user of the machine.
        .env("LLP_NETWORK_SECRET", secret)
        .args(["--announce-interval-ms", "1000"])
        .args(extra)
        .env_remove("LLP_CONFIG")
        .env_remove("LLP_API")
        .env_remove("LLP_JOIN")
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true);
    if let Some(t) = join {
        // The ticket without the secret (the node has it from its environment): arguments
        // are for all to see in `ps`.
        let t = match crate::net::Ticket::decode(t) {
            Ok(mut ticket) => {
                ticket.secret = None;
                ticket.encode()
            }
            Err(_) => t.to_string(),
        };
        cmd.args(["--join", &t]);
    }
    if !extra.iter().any(|a| a == "--models-dir") {
        cmd.args(["--models-dir".as_ref(), settings.models_dir.as_os_str()]);
    }
    // The default model only, unless told (the models dir may hold others, which `serve`
    // would load too).
    if !extra.iter().any(|a| a == "--model") {
        let catalog = crate::catalog::Catalog::load(settings.catalog.as_deref())?;
        cmd.args(["--model", &catalog.default]);
    }
    let mut child = cmd.spawn()?;
    let started = Instant::now();
    loop {
        if let Some(nf) = crate::node::datadir::running_node(&dir)
            && nf.ticket.is_some()
        {
            return Ok(Member {
                name: format!("node-{i}"),
                dir,
                child,
                api: nf.api.to_string(),
                id: nf.id,
            });
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!(
                "node-{i} exited ({status}); see {}",
                root.join(format!("node-{i}/serve.log")).display()
            );
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(120),
            "node-{i} did not start within 120 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the first node sees every other node, then sends the burst and tallies it.
/// Waits until the node at `api` can route to `want` peers serving a model.
pub(crate) async fn until_peers(
    client: &reqwest::Client,
    api: &str,
    want: usize,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let status: Value = client
            .get(format!("http://{api}/api/status"))
            .send()
            .await?
            .json()
            .await?;
        let ready = status["peers"]
            .as_array()
            .map(|p| {
                p.iter()
                    .filter(|p| {
                        p["health"]["state"] == "ok"
                            && !p["models"].as_array().is_none_or(|m| m.is_empty())
                    })
                    .count()
            })
            .unwrap_or(0);
        if ready >= want {
            return Ok(());
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(60),
            "the node at {api} sees {ready} of {want} peers after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn show(members: &[Member], a: &DemoArgs) -> anyhow::Result<()> {
    let client = crate::fetch::http_client()?;
    let first = &members[0];
    let want = members.len() - 1;
    until_peers(&client, &first.api, want).await?;
    println!(
        "\nnode-0 sees all {want} peers. Sending {} requests to node-0 at once:",
        a.requests
    );
    let topics = [
        "the sea",
        "a mountain",
        "rain",
        "a city at night",
        "a cat",
        "the moon",
        "coffee",
        "a library",
    ];
    let mut tasks = Vec::new();
    for i in 0..a.requests {
        let client = client.clone();
        let url = format!("http://{}/v1/chat/completions", first.api);
        let topic = topics[i % topics.len()];
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let resp = client
                .post(url)
                .json(&json!({
                    "messages": [{"role": "user", "content": format!("Write one sentence about {topic}.")}],
                    "max_tokens": 32, "temperature": 0
                }))
                .send()
                .await?;
            let node = resp.headers().get("x-llp-node").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let body: Value = resp.json().await?;
            anyhow::Ok((i, node, body, t.elapsed()))
        }));
    }
    let mut tally = vec![0usize; members.len()];
    for t in tasks {
        let (i, node, body, took) = t.await??;
        let who = members.iter().position(|m| m.id.to_string() == node);
        if let Some(w) = who {
            tally[w] += 1;
        }
        let text = body["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or("")
            .replace('\n', " ");
        let text: String = text.chars().take(60).collect();
        println!(
            "  #{i:<2} {:>6} in {:>5.0} ms  {}",
            who.map(|w| members[w].name.clone())
                .unwrap_or_else(|| format!("error: {}", body["error"]["message"])),
            took.as_secs_f64() * 1e3,
            text
        );
    }
    println!("\nServed by:");
    for (m, n) in members.iter().zip(&tally) {
        println!("  {} {:>3}  {}", m.name, n, "#".repeat(*n));
    }
    // Workers record their earnings when the requester's payment arrives and checks out, just after
    // the answer: give them a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!("\nCredits (node-0 paid its peers for their work; its own was free):");
    for m in members {
        let s: Value = client
            .get(format!("http://{}/api/status", m.api))
            .send()
            .await?
            .json()
            .await?;
        println!(
            "  {} balance {:>7}  ({} ledger entries)",
            m.name, s["ledger"]["balance"], s["ledger"]["entries"]
        );
    }
    println!("  (`llp ledger show --data-dir DIR` lists a node's entries)");
    Ok(())
}
