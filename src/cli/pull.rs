//! `llp models fetch NAME --from-peers` (and a fetch whose hub cannot be reached): asks a node
//! to pull the variant from its peers (`POST /api/pull`): the node running for the data dir, or
//! one started for the fetch, on the network of `--join` and the peers it knew. Shows the
//! progress (a bar on a terminal, a line a second otherwise).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::config::Settings;

pub(super) async fn from_peers(settings: &Settings, id: &str) -> anyhow::Result<ExitCode> {
    let (url, embedded) = match crate::client::running_api(&settings.data_dir) {
        Some(url) => (url, None),
        None => {
            let mut s = settings.clone();
            s.engine.models = vec!["none".into()];
            eprintln!(
                "llp: no node runs for {}; starting one to fetch {id} from peers",
                settings.data_dir.display()
            );
            let running = super::start_node(s, Some("127.0.0.1:0".parse()?), true).await?;
            (running.base_url(), Some(running))
        }
    };
    let result = pull(&url, settings.api.token.as_deref(), id).await;
    if let Some(r) = embedded {
        r.stop().await;
    }
    let done = result?;
    let peers = done["peers"].as_array().map_or(0, Vec::len);
    if done["already_present"] == true {
        println!(
            "{id} is already present at {}",
            done["path"].as_str().unwrap_or("")
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(r) = done["resumed"].as_u64().filter(|r| *r > 0) {
        println!("resumed with {} already fetched", super::bytes(r));
    }
    println!(
        "fetched {id} ({}) from {peers} peer{} in {:.1}s; sha256 checked; saved {}",
        super::bytes(done["size"].as_u64().unwrap_or(0)),
        if peers == 1 { "" } else { "s" },
        done["seconds"].as_f64().unwrap_or(0.0),
        done["path"].as_str().unwrap_or("")
    );
    Ok(ExitCode::SUCCESS)
}

/// Posts the pull and follows its lines; the last (`success`) line, or its error.
async fn pull(url: &str, token: Option<&str>, id: &str) -> anyhow::Result<Value> {
    let client = crate::fetch::http_client()?;
    let mut req = client
        .post(format!("{url}/api/pull"))
        .json(&json!({"model": id, "from": "peers"}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await?;
    if !resp.status().is_success() {
        anyhow::bail!("{}", crate::client::error_message(resp).await);
    }
    let terminal = std::io::stderr().is_terminal();
    let bar = crate::fetch::progress_bar(terminal, None, id);
    let mut printed = Instant::now() - Duration::from_secs(10);
    let mut body = resp.bytes_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = body.next().await {
        buf.extend_from_slice(&chunk?);
        while let Some(end) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=end).collect();
            let Ok(v) = serde_json::from_slice::<Value>(&line) else {
                continue;
            };
            if let Some(e) = v["error"].as_str() {
                bar.abandon();
                anyhow::bail!("{e}");
            }
            if v["status"] == "success" {
                bar.finish_and_clear();
                return Ok(v);
            }
            let (done, total) = (v["completed"].as_u64(), v["total"].as_u64());
            if terminal {
                if let Some(t) = total {
                    bar.set_length(t);
                }
                bar.set_position(done.unwrap_or(0));
                if let Some(s) = v["status"].as_str() {
                    bar.set_message(s.to_string());
                }
            } else if done.is_none() || printed.elapsed() >= Duration::from_secs(1) {
                printed = Instant::now();
                let status = v["status"].as_str().unwrap_or("");
                match (done, total) {
                    (Some(d), Some(t)) => eprintln!(
                        "llp: {status}: {} of {} ({}%)",
                        super::bytes(d),
                        super::bytes(t),
                        d * 100 / t.max(1)
                    ),
                    _ => eprintln!("llp: {status}"),
                }
            }
        }
    }
    bar.abandon();
    anyhow::bail!("the node stopped answering before the fetch ended")
}
