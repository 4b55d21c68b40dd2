//! `llp bench --tui`: what the terminal UI costs, each against a baseline in the same run.
//!
//! - **Rendering:** frames drawn into ratatui's in-memory backend at 200x60 with 100 peers,
//!   1,000 jobs, 500 ledger entries and 2,000 log lines; baseline: the same screen with an empty
//!   network. The whole frame is timed, from the app state to the finished buffer.
//! - **Idle:** the real `llp` UI in a detached tmux session, attached to a `llp serve` with
//!   nothing to do, at the default interval; its CPU time is read from /proc over `--duration`
//!   seconds. Baseline: the idle node's own CPU in the same window.

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde::Serialize;
use serde_json::json;

use crate::tui::app::{App, Mode, Msg};
use crate::tui::theme::Theme;

#[derive(Debug, Serialize)]
pub struct TuiReport {
    pub frames: usize,
    pub frame_busy_p50_us: f64,
    pub frame_busy_p99_us: f64,
    pub frame_empty_p50_us: f64,
    pub busy_vs_empty: f64,
    pub idle_seconds: u64,
    pub idle_ui_cpu_pct: Option<f64>,
    pub idle_node_cpu_pct: Option<f64>,
    pub idle_note: Option<String>,
}

/// A UI state with `peers` peers, `jobs` ended jobs and the rest of a busy node.
pub fn fixture(peers: usize, jobs: usize) -> App {
    let id = |i: usize| format!("{i:064x}");
    let now = 1_796_300_000u64;
    let snapshot = json!({
        "id": id(0), "version": "0.1.0", "running": true, "api": "127.0.0.1:8686",
        "paused": false, "uptime_s": 300, "models": [],
        "jobs": (0..jobs.min(8)).map(|i| json!({
            "id": format!("job-run-{i}"), "model": "smollm2-135m-instruct:q4_1",
            "requester": id(i + 1), "served_by": id(0), "state": "running", "prompt_tokens": 40,
            "tokens": 12, "tokens_per_s": 40.0, "failovers": 0, "started_unix": now - 5,
        })).collect::<Vec<_>>(),
        "network": {"name": "public", "private": false, "p2p_addrs": [], "relay": null,
                    "waiting": 0, "misbehaving": [], "equivocators": []},
        "peers": (0..peers).map(|i| json!({
            "id": id(i + 1), "address": "direct", "addrs": [], "rtt_ms": 1.0 + i as f64 % 17.0,
            "health": {"state": "ok"}, "paused": false, "version": "0.1.0",
            "models": [{"name": "smollm2-135m-instruct", "quant": "q4_1", "slots": 4, "busy": 1,
                        "queued": 0, "ctx": 2048, "tokens_per_s": 80.0}],
            "load": 0.25, "score": 0.8, "reliability": 0.99, "inflight": 0, "strikes": 0,
            "ledger_seq": 3, "balance": 50_000, "last_heard_s": 1.0,
        })).collect::<Vec<_>>(),
        "balance": 49_000,
        "ledger": {"balance": 49_000, "available": 49_000, "held": 0, "entries": 500,
                   "head": "00", "recent": [], "checked": null, "peers_audited": peers},
        "totals": {},
        "devices": {
            "cpu": {"model": "CPU", "arch": "x86_64", "cores_physical": {"value": 8},
                    "threads_logical": 16, "simd": [], "ram_total_bytes": 1u64 << 35,
                    "ram_free_bytes": 1u64 << 34},
            "gpus": (0..2).map(|i| json!({
                "vendor": "nvidia", "index": i, "name": "NVIDIA GPU",
                "memory_total_bytes": {"value": 1u64 << 36}, "memory_used_bytes": {"value": 1u64 << 34},
                "unified_memory": false, "utilization_pct": {"value": 50},
                "temperature_c": {"value": 60}, "power_w": {"value": 300.0},
                "driver": {"value": "580"}, "compute": {"value": "13.0"},
            })).collect::<Vec<_>>(),
            "probes": [], "backends": [], "quantizations": [],
        },
    });
    let mut app = App::new(Mode::Embedded, Theme::default_dark(), false);
    app.data.now_unix = now;
    let snap: crate::status::Snapshot = serde_json::from_value(snapshot).expect("fixture");
    for _ in 0..crate::tui::app::RTT_SAMPLES {
        app.on_msg(Msg::Status(Box::new(snap.clone())));
    }
    let ended = (0..jobs)
        .map(|i| {
            serde_json::from_value(json!({
                "id": format!("job-{i:016x}"), "model": "smollm2-135m-instruct:q4_1",
                "requester": if i % 2 == 0 { "local".to_string() } else { id(i % peers.max(1) + 1) },
                "served_by": if i % 3 == 0 { id(0) } else { id(i % peers.max(1) + 1) },
                "state": "done (stop)", "prompt_tokens": 40, "tokens": 64, "tokens_per_s": 41.0,
                "failovers": 0, "started_unix": now - 600, "credits": 13,
                "ended_unix": now - 60, "log_seq": i,
            }))
            .expect("fixture")
        })
        .collect();
    app.on_msg(Msg::Jobs(ended));
    let entries = (0..500u64)
        .map(|i| {
            serde_json::from_value(json!({
                "seq": i, "time_ms": (now - 5000 + i * 10) * 1000, "kind": if i == 0 { "grant" } else { "spend" },
                "amount": 2, "balance": 50_000 - 2 * i, "counterparty": null, "job": null,
                "model": null, "tokens": null,
            }))
            .expect("fixture")
        })
        .collect();
    app.on_msg(Msg::Entries(entries));
    app.on_msg(Msg::Logs(
        (0..crate::tui::app::MAX_LOG_LINES)
            .map(|i| {
                format!(
                    "2026-12-03T06:50:{:02}.000000Z  INFO local_llm_proxy::net: line {i}",
                    i % 60
                )
            })
            .collect(),
    ));
    app
}

fn frame_times(app: &mut App, frames: usize) -> Vec<f64> {
    let mut t = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
    let mut out = Vec::with_capacity(frames);
    for _ in 0..frames {
        let start = Instant::now();
        t.draw(|f| crate::tui::ui::draw(f, app)).expect("draw");
        out.push(start.elapsed().as_secs_f64() * 1e6);
    }
    out.sort_by(f64::total_cmp);
    out
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub async fn run(settings: &crate::config::Settings, idle_secs: u64) -> anyhow::Result<TuiReport> {
    let frames = 500;
    let (busy, empty) = tokio::task::spawn_blocking(move || {
        let mut busy = fixture(100, 1000);
        let mut empty = fixture(0, 0);
        // Warm up both (allocations, layout cache), then measure them interleaved in halves.
        frame_times(&mut busy, 20);
        frame_times(&mut empty, 20);
        let mut b = frame_times(&mut busy, frames / 2);
        let mut e = frame_times(&mut empty, frames / 2);
        b.extend(frame_times(&mut busy, frames / 2));
        e.extend(frame_times(&mut empty, frames / 2));
        b.sort_by(f64::total_cmp);
        e.sort_by(f64::total_cmp);
        (b, e)
    })
    .await?;
    let mut report = TuiReport {
        frames,
        frame_busy_p50_us: pct(&busy, 0.5),
        frame_busy_p99_us: pct(&busy, 0.99),
        frame_empty_p50_us: pct(&empty, 0.5),
        busy_vs_empty: pct(&busy, 0.5) / pct(&empty, 0.5),
        idle_seconds: idle_secs,
        idle_ui_cpu_pct: None,
        idle_node_cpu_pct: None,
        idle_note: None,
    };
    eprintln!(
        "render 200x60, 100 peers, 1,000 jobs: p50 {:.0} µs, p99 {:.0} µs; empty network p50 {:.0} µs ({:.1}x)",
        report.frame_busy_p50_us,
        report.frame_busy_p99_us,
        report.frame_empty_p50_us,
        report.busy_vs_empty
    );
    match idle(settings, idle_secs).await {
        Ok((ui, node)) => {
            report.idle_ui_cpu_pct = Some(ui);
            report.idle_node_cpu_pct = Some(node);
            eprintln!(
                "idle over {idle_secs} s at the default 1 s interval: the UI {ui:.2}% of one core; the idle node it watches {node:.2}%"
            );
        }
        Err(e) => {
            eprintln!("idle measurement skipped: {e:#}");
            report.idle_note = Some(format!("{e:#}"));
        }
    }
    Ok(report)
}

/// CPU seconds (user + system) a process has used, from /proc.
fn cpu_seconds(pid: u32, tick: f64) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start past the last ')'.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| anyhow::anyhow!("odd /proc/{pid}/stat"))?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let stime: f64 = f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    Ok((utime + stime) / tick)
}

async fn idle(settings: &crate::config::Settings, secs: u64) -> anyhow::Result<(f64, f64)> {
    use std::process::Command;
    let exe = std::env::current_exe()?;
    let tick: f64 = String::from_utf8(Command::new("getconf").arg("CLK_TCK").output()?.stdout)?
        .trim()
        .parse()
        .unwrap_or(100.0);
    let dir = tempfile::tempdir()?;
    // The node the UI watches: a loopback node of its own network, as `llp demo` starts them.
    let (network, secret) = (
        format!("bench-{}", crate::ids::random_hex(4)),
        crate::ids::random_hex(16),
    );
    let node =
        crate::cli::demo::spawn(0, dir.path(), settings, &network, &secret, None, &[]).await?;
    let node_pid = node
        .child
        .id()
        .ok_or_else(|| anyhow::anyhow!("the node exited"))?;
    let data = node.dir.clone();
    let sock = dir.path().join("tmux.sock");
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-S")
            .arg(&sock)
            .args(args)
            .output()
    };
    let ok = tmux(&[
        "-u",
        "new-session",
        "-d",
        "-s",
        "b",
        "-x",
        "120",
        "-y",
        "40",
        "env",
        "LANG=C.UTF-8",
        exe.to_str().unwrap_or("llp"),
        "--data-dir",
        data.to_str().unwrap_or("."),
    ])
    .map_err(|e| anyhow::anyhow!("tmux: {e} (install tmux)"))?
    .status
    .success();
    anyhow::ensure!(ok, "tmux new-session failed");
    struct KillTmux(Box<dyn Fn()>);
    impl Drop for KillTmux {
        fn drop(&mut self) {
            (self.0)()
        }
    }
    let s2 = sock.clone();
    let _tmux = KillTmux(Box::new(move || {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&s2)
            .arg("kill-server")
            .output();
    }));
    let pid: u32 =
        String::from_utf8(tmux(&["display-message", "-p", "-t", "b", "#{pane_pid}"])?.stdout)?
            .trim()
            .parse()?;
    // Let it start and fill its panes before measuring.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (u0, n0, t0) = (
        cpu_seconds(pid, tick)?,
        cpu_seconds(node_pid, tick)?,
        Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let (u1, n1, el) = (
        cpu_seconds(pid, tick)?,
        cpu_seconds(node_pid, tick)?,
        t0.elapsed().as_secs_f64(),
    );
    Ok(((u1 - u0) / el * 100.0, (n1 - n0) / el * 100.0))
}

pub fn print(r: &TuiReport) {
    println!("llp bench --tui");
    println!(
        "  frame at 200x60, 100 peers, 1,000 jobs   p50 {:>7.0} µs   p99 {:>7.0} µs   (target < 2,000 µs)",
        r.frame_busy_p50_us, r.frame_busy_p99_us
    );
    println!(
        "  frame at 200x60, empty network (baseline) p50 {:>7.0} µs   busy/empty {:.1}x",
        r.frame_empty_p50_us, r.busy_vs_empty
    );
    match (r.idle_ui_cpu_pct, r.idle_node_cpu_pct) {
        (Some(u), Some(n)) => println!(
            "  idle over {} s: the UI {u:.2}% of one core (target < 1%); the idle node itself {n:.2}%",
            r.idle_seconds
        ),
        _ => println!(
            "  idle: not measured ({})",
            r.idle_note.as_deref().unwrap_or("?")
        ),
    }
}
