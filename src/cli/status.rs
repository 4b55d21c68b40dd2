//! `llp status [--json]`: the running node's snapshot through its API; with no node running, what
//! the files say (identity, models present, devices).

use std::process::ExitCode;

use super::Global;
use crate::ids::NodeId;
use crate::node::jobs::Requester;
use crate::status::Snapshot;

pub(super) async fn run(g: &Global, json: bool) -> anyhow::Result<ExitCode> {
    let settings = g.settings()?;
    let snap = match crate::client::running_api(&settings.data_dir) {
        Some(base) => {
            let mut req = crate::fetch::http_client()?.get(format!("{base}/api/status"));
            if let Some(t) = &settings.api.token {
                req = req.bearer_auth(t);
            }
            let resp = req.send().await?;
            if !resp.status().is_success() {
                anyhow::bail!("{}", crate::client::error_message(resp).await);
            }
            resp.json::<Snapshot>().await?
        }
        None => offline(&settings).await?,
    };
    if json {
        super::print_json(&snap)?;
    } else {
        print(&snap);
    }
    Ok(ExitCode::SUCCESS)
}

async fn offline(settings: &crate::config::Settings) -> anyhow::Result<Snapshot> {
    let key = settings.data_dir.join("node.key");
    // Reading the id must not create a key: a node that never ran has no identity yet.
    let id = if key.exists() {
        Some(crate::node::datadir::node_id(&settings.data_dir)?)
    } else {
        None
    };
    let devices = tokio::task::spawn_blocking(crate::devices::detect).await?;
    // The ledger file, read without taking it over (no node holds it).
    let dir = settings.data_dir.clone();
    let balance = tokio::task::spawn_blocking(move || crate::ledger::export_file(&dir))
        .await?
        .ok()
        .and_then(|raws| {
            raws.last()
                .and_then(|r| crate::ledger::Entry::decode(r).ok())
        })
        .map(|e| e.balance as i64);
    Ok(Snapshot {
        id,
        version: crate::node::VERSION.into(),
        running: false,
        api: None,
        paused: settings.paused,
        contribution: Default::default(),
        uptime_s: 0,
        models: Vec::new(),
        jobs: Vec::new(),
        network: None,
        peers: Vec::new(),
        balance,
        ledger: None,
        totals: Default::default(),
        devices,
        fallback: None,
        account: None,
    })
}

/// The account's and the paid fallback's lines, when the node has them.
fn print_account(s: &Snapshot) {
    if let Some(a) = &s.account {
        println!(
            "account   {} : {} credits over {} members{}",
            a.id,
            a.balance,
            a.members.len(),
            if a.revoked {
                " (THIS NODE IS REVOKED)"
            } else {
                ""
            }
        );
    }
    if let Some(f) = &s.fallback {
        println!(
            "fallback  {} jobs ({} failed) at {}, {:.6} {}",
            f.jobs, f.failed, f.url, f.cost, f.currency
        );
    }
}

fn print(s: &Snapshot) {
    if !s.running {
        println!("no node is running for this data dir (start one with `llp serve`)");
        if let Some(id) = &s.id {
            println!("node id   {id}");
        }
        if let Some(b) = s.balance {
            println!("credits   {b}");
        }
    } else {
        println!("node id   {}", s.id.unwrap_or_default());
        println!("api       http://{}", s.api.as_deref().unwrap_or("?"));
        println!("version   {}   uptime {} s", s.version, s.uptime_s);
        println!(
            "contrib.  {}",
            match (s.paused, s.contribution.why.as_str()) {
                (true, "") => "PAUSED".to_string(),
                (true, why) => format!("PAUSED: {}", why.trim_start_matches("paused: ")),
                (false, "") => "on".to_string(),
                (false, why) => format!("on ({why})"),
            }
        );
        for m in &s.models {
            println!(
                "model     {}  on {}, slots {}/{} busy, {} queued, ctx {} per slot, {} threads",
                m.info.id(),
                m.info.engine,
                m.busy_slots,
                m.info.slots,
                m.queued,
                m.info.ctx_per_slot,
                m.info.threads
            );
            if !m.info.why.is_empty() {
                println!("          serves {}: {}", m.info.quant, m.info.why);
            }
        }
        println!(
            "totals    {} requests ({} failed), {} prompt + {} generated tokens",
            s.totals.requests,
            s.totals.requests_failed,
            s.totals.prompt_tokens,
            s.totals.generated_tokens
        );
        if let Some(l) = &s.ledger {
            println!(
                "credits   {} ({} held for running jobs), {} ledger entries",
                l.balance, l.held, l.entries
            );
            if l.debts_owed > 0 {
                println!(
                    "debts     {} promises owed to this node and not paid (refused until paid)",
                    l.debts_owed
                );
            }
            if let Some(why) = &l.stale {
                println!("LEDGER BEHIND  {why}");
            }
        }
        print_account(s);
        if let Some(n) = &s.network {
            println!(
                "network   {}{}  p2p {}  {} waiting for room",
                n.name,
                if n.private { " (private)" } else { "" },
                n.p2p_addrs.join(" "),
                n.waiting
            );
        }
        print_network(s);
    }
    println!(
        "devices   {} ({} threads), {} GPU(s)",
        s.devices.cpu.model,
        s.devices.cpu.threads_logical,
        s.devices.gpus.len()
    );
}

/// The pipelines this node coordinates (a line per stage) and the stages it runs for peers.
fn print_pipelines(s: &Snapshot) {
    let Some(n) = &s.network else {
        return;
    };
    for p in &n.pipelines {
        println!(
            "pipeline  {} ({} layers) in {} stages, {} steps, planned again {} times{}",
            p.model,
            p.layers,
            p.stages.len(),
            p.steps,
            p.replans,
            p.last_failure
                .as_ref()
                .map(|f| format!(" (last: {f})"))
                .unwrap_or_default()
        );
        for st in &p.stages {
            let per = |ms: f64| ms / st.steps.max(1) as f64;
            println!(
                "  stage   layers {}..{} on {}: {} steps, {:.1} ms compute and {:.1} ms round trip a step",
                st.layers[0],
                st.layers[1],
                &st.node[..12.min(st.node.len())],
                st.steps,
                per(st.compute_ms),
                per(st.round_trip_ms)
            );
        }
        if p.checks + p.skipped > 0 {
            println!(
                "  checks  {} ({} caught, {} skipped){}",
                p.checks,
                p.caught,
                p.skipped,
                p.last_check
                    .as_ref()
                    .map(|c| format!("; last: {c}"))
                    .unwrap_or_default()
            );
        }
    }
    for st in &n.stages {
        println!(
            "stage     layers {}..{} of {} for {} ({} sessions, {} steps, {}{})",
            st.layers[0],
            st.layers[1],
            st.model,
            st.coordinators.join(", "),
            st.sessions,
            st.steps,
            bytesize::ByteSize(st.bytes).display().iec(),
            if st.slice {
                "; a slice of the file, fetched from peers"
            } else {
                ""
            }
        );
    }
}

fn print_network(s: &Snapshot) {
    for p in &s.peers {
        let health = match &p.health {
            crate::net::table::Health::Ok => "ok".to_string(),
            crate::net::table::Health::Unverified => "connecting".to_string(),
            crate::net::table::Health::Unreachable { reason } => {
                format!("UNREACHABLE: {reason}")
            }
            crate::net::table::Health::Evicted { reason, retry_in_s } => {
                format!("EVICTED ({reason}; retry in {retry_in_s} s)")
            }
        };
        let models: Vec<String> = p
            .models
            .iter()
            .map(|m| {
                format!(
                    "{}:{} ({}) {}/{}",
                    m.name,
                    m.quant,
                    m.engine,
                    m.busy + m.queued,
                    m.slots
                )
            })
            .collect();
        println!(
            "peer      {} {} rtt {} load {:.0}% score {} rel. {:.2}{}  [{}]  {}",
            id12(&p.id),
            p.address,
            p.rtt_ms
                .map(|r| format!("{r:.1} ms"))
                .unwrap_or_else(|| "-".into()),
            p.load * 100.0,
            p.score
                .map(|s| format!("{s:.2}"))
                .unwrap_or_else(|| "-".into()),
            p.reliability,
            if p.paused { " paused" } else { "" },
            models.join(", "),
            health
        );
    }
    print_pipelines(s);
    for e in s.network.iter().flat_map(|n| n.equivocators.iter()) {
        println!(
            "FORKED    {} signed two ledger heads for seq {}: refused",
            id12(&e.peer),
            e.seq
        );
    }
    for m in s.network.iter().flat_map(|n| n.misbehaving.iter()) {
        println!("strikes   {} x{}: {}", id12(&m.peer), m.strikes, m.last);
    }
    for j in &s.jobs {
        let who = match &j.requester {
            Requester::Local => format!("served by {}", id12(&j.served_by)),
            Requester::Peer(p) => format!("for {}", id12(p)),
        };
        println!(
            "job       {} {} {} {} {} tokens {:.1} tok/s{}",
            j.id,
            j.model,
            who,
            j.state,
            j.tokens,
            j.tokens_per_s,
            if j.failovers > 0 {
                format!(" ({} failovers)", j.failovers)
            } else {
                String::new()
            }
        );
    }
}

/// A node id as this listing shows it: its first 12 hex digits.
fn id12(id: &NodeId) -> String {
    let mut s = id.to_string();
    s.truncate(12);
    s
}
