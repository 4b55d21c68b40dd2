//! The UI against fixtures: snapshots of every pane (insta, on ratatui's TestBackend) and keys
//! fed through the same `App::on_event` the terminal loop calls.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};

use super::app::{App, ChatEvent, Effect, Mode, Msg, Pane};
use super::theme::Theme;
use super::ui;
use crate::ledger::EntryLine;
use crate::node::{JobInfo, JobRecord};
use crate::status::Snapshot;

const NOW: u64 = 1_796_300_000;
const OWN: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn peer_id(i: usize) -> String {
    format!(
        "{:02x}{}",
        0x10 + i,
        "5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170"
    )
}

fn cpu() -> Value {
    json!({
        "model": "AMD EPYC 7B13", "arch": "x86_64",
        "cores_physical": {"value": 1}, "threads_logical": 2,
        "simd": ["avx2", "fma"], "ram_total_bytes": 25_769_803_776u64,
        "ram_free_bytes": 19_327_352_832u64,
        "utilization_pct": {"value": 7},
        "temperature_c": {"value": null, "unavailable": "no CPU temperature sensor"},
        "power_w": {"value": null, "unavailable": "no RAPL energy counter"},
    })
}

fn gpu(i: u32, name: &str, used_gib: u64) -> Value {
    json!({
        "vendor": "nvidia", "index": i, "name": name,
        "memory_total_bytes": {"value": 85_520_809_984u64},
        "memory_used_bytes": {"value": used_gib << 30},
        "unified_memory": false,
        "utilization_pct": {"value": 37 + i * 20},
        "temperature_c": {"value": 51 + i * 7},
        "power_w": {"value": 212.4 + i as f64 * 90.0},
        "driver": {"value": "580.159.04"}, "compute": {"value": "13.0"},
    })
}

fn ledger(entries: u64, balance: u64) -> Value {
    json!({
        "balance": balance, "available": balance - 21, "held": 21, "entries": entries,
        "head": "00", "recent": [],
        "checked": {"ok": true, "entries": entries, "error": null, "at_unix": NOW, "seconds": 0.01},
        "peers_audited": 2,
    })
}

fn snapshot(gpus: Vec<Value>, peers: Vec<Value>, jobs: Vec<Value>, paused: bool) -> Snapshot {
    let v = json!({
        "id": OWN, "version": "0.1.0", "running": true, "api": "127.0.0.1:8686",
        "paused": paused, "uptime_s": 300,
        "models": [], "jobs": jobs,
        "network": {"name": "public", "private": false, "p2p_addrs": ["127.0.0.1:4433"],
                    "relay": null, "waiting": 0, "misbehaving": [], "equivocators": []},
        "peers": peers, "balance": 49_958, "ledger": ledger(3, 49_958),
        "totals": {},
        "devices": {
            "cpu": cpu(), "gpus": gpus,
            "probes": [
                {"source": "nvidia", "result": if !gpus.is_empty() { "2 GPU(s) through NVML" } else { "NVML not available: libnvidia-ml.so: cannot open shared object file" }},
                {"source": "amd", "result": "no AMD GPU in /sys/class/drm"},
            ],
            "backends": [], "quantizations": [],
        },
    });
    serde_json::from_value(v).expect("the fixture is a snapshot")
}

fn peer(i: usize, paused: bool) -> Value {
    json!({
        "id": peer_id(i), "address": "direct", "addrs": ["127.0.0.1:5000"],
        "rtt_ms": 0.4 + i as f64 * 0.7, "health": {"state": "ok"}, "paused": paused,
        "version": "0.1.0",
        "models": [{"name": "smollm2-135m-instruct", "quant": "q4_1", "slots": 4, "busy": i % 4,
                    "queued": 0, "ctx": 2048, "tokens_per_s": 80.0}],
        "load": (i % 4) as f64 / 4.0, "score": 0.9 - i as f64 * 0.05,
        "reliability": 1.0 - i as f64 * 0.02, "inflight": 0, "strikes": 0,
        "checks": (!i.is_multiple_of(3)).then(|| json!({"run": i, "passed": 3 * i, "failed": i % 3 - 1})),
        "ledger_seq": 3 + i, "balance": 50_000 - i * 10, "last_heard_s": 1.0,
    })
}

fn job(i: usize, requester: &str, served_by: &str, state: &str, ended: bool) -> Value {
    json!({
        "id": format!("job-{i:016x}"), "model": "smollm2-135m-instruct:q4_1",
        "requester": requester, "served_by": served_by, "state": state,
        "prompt_tokens": 20 + i, "tokens": 30 + 2 * i, "tokens_per_s": 40.0 + i as f64,
        "failovers": 0, "started_unix": NOW - 60 - i as u64, "credits": if requester == "local" && served_by == OWN { 0 } else { 13 },
        "ended_unix": if ended { Some(NOW - 30) } else { None }, "log_seq": if ended { Some(i as u64) } else { None },
    })
}

fn entries() -> Vec<EntryLine> {
    let mut v = vec![
        json!({"seq": 0, "time_ms": (NOW - 3600) * 1000, "kind": "grant", "amount": 50_000,
                            "balance": 50_000, "counterparty": null, "job": null, "model": null, "tokens": null}),
    ];
    let mut bal = 50_000i64;
    for i in 1..12u64 {
        let (kind, amt) = if i % 3 == 0 {
            ("earn", 13)
        } else {
            ("spend", 9)
        };
        bal += if kind == "earn" { amt } else { -amt };
        v.push(json!({"seq": i, "time_ms": (NOW - 3600 + i * 300) * 1000, "kind": kind, "amount": amt,
                      "balance": bal, "counterparty": peer_id(i as usize % 3), "job": format!("job-{i}"),
                      "model": "smollm2-135m-instruct", "tokens": 60}));
    }
    v.into_iter()
        .map(|e| serde_json::from_value(e).unwrap())
        .collect()
}

fn app_with(s: Snapshot) -> App {
    let mut app = App::new(Mode::Attached { pid: 4242 }, Theme::default_dark(), false);
    app.data.now_unix = NOW;
    app.on_msg(Msg::Status(Box::new(s)));
    app.on_msg(Msg::Models(vec![
        "smollm2-135m-instruct".into(),
        "qwen3-0.6b".into(),
    ]));
    app
}

/// The empty network: no GPU, no peers, no jobs.
fn empty() -> App {
    let mut app = app_with(snapshot(vec![], vec![], vec![], false));
    app.on_msg(Msg::Entries(entries()[..1].to_vec()));
    app
}

fn busy() -> App {
    let peers: Vec<Value> = (0..8).map(|i| peer(i, i == 5)).collect();
    let running = vec![
        job(1, &peer_id(0), OWN, "running", false),
        job(2, "local", &peer_id(1), "running", false),
        job(3, "local", OWN, "waiting (position 1 of 2)", false),
    ];
    let mut app = app_with(snapshot(
        vec![
            gpu(0, "NVIDIA H100 80GB HBM3", 12),
            gpu(1, "NVIDIA H100 80GB HBM3", 64),
        ],
        peers,
        running,
        false,
    ));
    // A few polls, for the RTT history.
    for k in 0..6 {
        let mut s = app.data.snapshot.clone().unwrap();
        for (i, p) in s.peers.iter_mut().enumerate() {
            p.rtt_ms = Some(0.4 + ((i + k * 3) % 7) as f64 * 0.9);
        }
        app.on_msg(Msg::Status(Box::new(s)));
    }
    let ended: Vec<JobInfo> = (4..14)
        .map(|i| {
            let v = match i % 3 {
                0 => job(i, &peer_id(i % 8), OWN, "done (stop)", true),
                1 => job(i, "local", &peer_id(i % 8), "done (length)", true),
                _ => job(
                    i,
                    "local",
                    OWN,
                    if i == 8 { "failed" } else { "cancelled" },
                    true,
                ),
            };
            serde_json::from_value(v).unwrap()
        })
        .collect();
    app.on_msg(Msg::Jobs(ended));
    app.on_msg(Msg::Entries(entries()));
    app.on_msg(Msg::Logs(
        [
            "2026-12-03T06:50:01.123456Z  INFO local_llm_proxy::cli::serve: llp node a1b2c3d4 serving smollm2-135m-instruct:q4_1",
            "2026-12-03T06:50:02.000001Z  INFO local_llm_proxy::net: joined network public through 10a9f8e7",
            "2026-12-03T06:50:09.500000Z  WARN local_llm_proxy::net::remote: job job-1: peer 15e4d3c2 sent no receipt; nothing paid",
            "2026-12-03T06:51:00.000000Z ERROR local_llm_proxy::net: peer 17e4d3c2 struck: bad receipt for job job-9",
            "2026-12-03T06:51:30.000000Z  INFO local_llm_proxy::node: contribution paused",
        ]
        .map(String::from)
        .to_vec(),
    ));
    app
}

fn render(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, app)).unwrap();
    // Rows as plain text, trailing spaces trimmed: easy to read in the .snap files.
    let buf = t.backend().buffer().clone();
    buf.content
        .chunks(buf.area.width as usize)
        .map(|row| {
            let s: String = row.iter().map(|c| c.symbol()).collect();
            s.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn key(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn ch(c: char) -> Event {
    key(KeyCode::Char(c))
}

fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| app.on_event(ch(c))).collect()
}

// ---- Snapshots ----

#[test]
fn snapshot_no_gpu_empty_network() {
    insta::assert_snapshot!(render(&mut empty(), 100, 30));
}

#[test]
fn snapshot_two_gpus() {
    let mut app = busy();
    app.focus = Pane::Devices;
    app.zoomed = true;
    insta::assert_snapshot!(render(&mut app, 100, 30));
}

#[test]
fn snapshot_busy_network_wide() {
    insta::assert_snapshot!(render(&mut busy(), 200, 50));
}

/// The README's screenshot is the busy network as the UI draws it, at the narrowest size where
/// every pane shows all its columns. `LLP_WRITE_ASSETS=1` writes it; otherwise the file must
/// match, so a change to the UI shows up in the picture too.
#[test]
fn screenshot_in_assets_matches_the_ui() {
    let mut t = Terminal::new(TestBackend::new(148, 40)).unwrap();
    t.draw(|f| ui::draw(f, &mut busy())).unwrap();
    let svg = super::screenshot::to_svg(t.backend().buffer());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/screenshot.svg");
    if std::env::var("LLP_WRITE_ASSETS").as_deref() == Ok("1") {
        std::fs::write(&path, svg).unwrap();
        return;
    }
    // Not assert_eq!: a diff of the whole document says less than the way to fix it.
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == svg,
        "assets/screenshot.svg is out of date: run LLP_WRITE_ASSETS=1 cargo test --lib screenshot (or bash scripts/assets.sh)"
    );
}

#[test]
fn snapshot_paused_at_80x24() {
    let mut app = busy();
    app.on_msg(Msg::Paused(Ok(true)));
    insta::assert_snapshot!(render(&mut app, 80, 24));
}

#[test]
fn snapshot_paused_by_a_condition_says_why_and_when() {
    let mut app = busy();
    if let Some(s) = &mut app.data.snapshot {
        s.paused = true;
        s.contribution = serde_json::from_value(json!({
            "paused": true, "by_hand": null,
            "reasons": [{"kind": "gpu", "text": "GPU 0 busy with game (pid 4242) (87 %)",
                         "clearing": false}],
            "since": NOW,
            "why": "paused: GPU 0 busy with game (pid 4242) (87 %)",
            "limits": "peers get at most 1 job(s) at once",
        }))
        .unwrap();
    }
    let screen = render(&mut app, 160, 30);
    assert!(screen.contains("⏸ paused (GPU busy)"), "{screen}");
    assert!(
        screen.contains("Contributing: GPU 0 busy with game (pid 4242)"),
        "{screen}"
    );
    assert!(
        screen.contains("CONTRIBUTION PAUSED: GPU 0 busy with game"),
        "{screen}"
    );
    // The owner resumes by hand: the header and the note say it overrides the condition.
    app.on_msg(Msg::Paused(Ok(false)));
    let screen = render(&mut app, 160, 30);
    assert!(screen.contains("● contributing (by hand)"), "{screen}");
    assert!(
        screen.contains("Contribution resumed by hand over: GPU 0 busy with game"),
        "{screen}"
    );
}

#[test]
fn snapshot_every_pane_zoomed() {
    for pane in Pane::ALL {
        let mut app = busy();
        if pane == Pane::Chat {
            app.focus = Pane::Chat;
            typed(&mut app, "Write a haiku about lighthouses.");
            app.on_event(key(KeyCode::Enter));
            app.on_msg(Msg::Chat(
                app.chat.turn,
                ChatEvent::Started {
                    served_by: peer_id(1).parse().unwrap(),
                },
            ));
            app.on_msg(Msg::Chat(
                app.chat.turn,
                ChatEvent::Delta("Beam sweeps the dark sea,\nsalt wind".into()),
            ));
            app.on_msg(Msg::Chat(
                app.chat.turn,
                ChatEvent::Done {
                    served_by: peer_id(1).parse().unwrap(),
                    credits: 13,
                    tokens: 17,
                    tokens_per_s: 41.5,
                    finish: "stop".into(),
                },
            ));
        }
        app.focus = pane;
        app.zoomed = true;
        insta::assert_snapshot!(
            format!("pane_{}", pane.title().to_lowercase()),
            render(&mut app, 100, 30)
        );
    }
}

#[test]
fn snapshot_ascii_mode() {
    let mut app = busy();
    app.ascii = true;
    let screen = render(&mut app, 100, 30);
    assert!(
        screen.is_ascii(),
        "ASCII mode drew a non-ASCII character:\n{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn snapshot_too_small() {
    let mut app = busy();
    app.on_event(ch('c'));
    insta::assert_snapshot!(render(&mut app, 60, 20));
    // The screen says q quits: it does, even from the chat, where q is otherwise text.
    assert_eq!(app.on_event(ch('q')), vec![Effect::Quit]);
}

#[test]
fn the_help_scrolls_at_80x24() {
    let mut app = busy();
    app.on_event(ch('?'));
    let first = render(&mut app, 80, 24);
    insta::assert_snapshot!(first);
    for _ in 0..60 {
        app.on_event(key(KeyCode::Down));
    }
    let last = render(&mut app, 80, 24);
    assert!(
        last.contains("/save [FILE]"),
        "the end of the help:\n{last}"
    );
    assert_ne!(first, last);
}

#[test]
fn the_selection_stays_on_its_job_as_new_ones_arrive() {
    let mut app = busy();
    app.on_event(ch('j'));
    app.on_event(ch('j'));
    render(&mut app, 100, 30);
    let picked = app.jobs()[2].id.to_string();
    let newer: JobInfo =
        serde_json::from_value(job(40, "local", OWN, "done (stop)", true)).unwrap();
    app.on_msg(Msg::Jobs(vec![newer]));
    render(&mut app, 100, 30);
    assert_eq!(app.jobs()[app.selected_job_index()].id.to_string(), picked);
    assert_eq!(app.on_event(ch('x')), vec![Effect::ExportJob(picked)]);
}

#[test]
fn snapshot_help_overlay_lists_every_key() {
    let mut app = busy();
    app.on_event(ch('?'));
    let screen = render(&mut app, 120, 40);
    for b in super::keys::BINDINGS {
        assert!(
            screen.contains(b.label) && screen.contains(b.what),
            "help lacks {} ({})",
            b.label,
            b.what
        );
    }
    insta::assert_snapshot!(screen);
}

fn record() -> JobRecord {
    let mut v = job(7, "local", &peer_id(2), "done (stop)", true);
    v["detail"] = json!({
        "prompt": "system: You are brief.\n\nuser: Name a colour.",
        "output": "Teal.",
        "route": [{"node": peer_id(1), "from_token": 0, "why": "routed",
                   "variant": "smollm2-135m-instruct:q8_0", "engine": "candle",
                   "variant_why": "asked for smollm2-135m-instruct at q8 or better"},
                  {"node": peer_id(2), "from_token": 3, "why": "failover"}],
        "finish_reason": "stop", "error": null, "warning": null,
        "completion_tokens": 4, "cached_tokens": 0,
        "time_to_first_token_ms": 18.0, "prompt_ms": 6.5, "generation_ms": 71.0, "duration_ms": 96.0,
        "settlements": [{
            "receipt": {"job": "job-0000000000000007", "requester": OWN, "worker": peer_id(2),
                        "model": "smollm2-135m-instruct", "quant": "q4_1", "prompt_tokens": 27,
                        "completion_tokens": 1, "credits": 6, "time_ms": NOW * 1000},
            "entry": {"seq": 12, "time_ms": NOW * 1000, "kind": "spend", "amount": 6, "balance": 49_952,
                      "counterparty": peer_id(2), "job": "job-0000000000000007",
                      "model": "smollm2-135m-instruct", "tokens": 28},
            "entry_hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        }],
    });
    serde_json::from_value(v).unwrap()
}

#[test]
fn snapshot_job_detail() {
    let mut app = busy();
    app.focus = Pane::Jobs;
    app.on_event(key(KeyCode::Enter));
    let id = app.detail.as_ref().unwrap().id.clone();
    app.on_msg(Msg::JobDetail(id, Ok(Box::new(record()))));
    insta::assert_snapshot!(render(&mut app, 100, 40));
}

// ---- Keys, through the real input path ----

#[test]
fn panes_are_reached_by_tab_digits_and_zoom() {
    let mut app = busy();
    assert_eq!(app.focus, Pane::Jobs);
    app.on_event(key(KeyCode::Tab));
    assert_eq!(app.focus, Pane::Peers);
    app.on_event(Event::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    assert_eq!(app.focus, Pane::Jobs);
    app.on_event(ch('4'));
    assert_eq!(app.focus, Pane::Credits);
    app.on_event(ch('e'));
    assert!(app.zoomed);
    app.on_event(key(KeyCode::Esc));
    assert!(!app.zoomed);
}

#[test]
fn chat_types_sends_streams_and_cancels() {
    let mut app = busy();
    app.on_event(ch('c'));
    assert_eq!(app.focus, Pane::Chat);
    // `q` and digits are text here, not keys.
    assert!(typed(&mut app, "q1?").is_empty());
    app.on_event(ctrl('j'));
    typed(&mut app, "second line");
    let fx = app.on_event(key(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::SendChat {
            turn: 1,
            model: Some("smollm2-135m-instruct".into()),
            messages: vec![("user".into(), "q1?\nsecond line".into())],
        }]
    );
    assert!(app.chat.streaming);
    app.on_msg(Msg::Chat(app.chat.turn, ChatEvent::Delta("Hel".into())));
    app.on_msg(Msg::Chat(app.chat.turn, ChatEvent::Delta("lo".into())));
    // Ctrl-C cancels the answer first, and quits only when nothing streams.
    assert_eq!(app.on_event(ctrl('c')), vec![Effect::CancelChat]);
    assert!(!app.chat.streaming);
    // What the cancelled answer's task still had on its way is ignored.
    app.on_msg(Msg::Chat(1, ChatEvent::Delta(" world".into())));
    let screen = render(&mut app, 100, 30);
    assert!(
        screen.contains("llm: Hello")
            && screen.contains("cancelled")
            && !screen.contains("Hello world"),
        "{screen}"
    );
    // The cancelled answer is not sent back as history.
    typed(&mut app, "again");
    match &app.on_event(key(KeyCode::Enter))[..] {
        [Effect::SendChat { messages, .. }] => assert_eq!(messages.len(), 2),
        other => panic!("{other:?}"),
    }
    app.on_msg(Msg::Chat(
        1,
        ChatEvent::Done {
            served_by: OWN.parse().unwrap(),
            credits: 0,
            tokens: 99,
            tokens_per_s: 1.0,
            finish: "stop".into(),
        },
    ));
    assert!(app.chat.streaming, "a stale Done ended the new answer");
    app.on_msg(Msg::Chat(
        app.chat.turn,
        ChatEvent::Done {
            served_by: OWN.parse().unwrap(),
            credits: 0,
            tokens: 5,
            tokens_per_s: 50.0,
            finish: "stop".into(),
        },
    ));
    let screen = render(&mut app, 100, 30);
    assert!(
        screen.contains("served by this node (a1b2c3d4)"),
        "{screen}"
    );
    assert_eq!(app.on_event(ctrl('c')), vec![Effect::Quit]);
}

#[test]
fn chat_commands() {
    let mut app = busy();
    app.on_event(ch('c'));
    typed(&mut app, "/model qwen3-0.6b");
    app.on_event(key(KeyCode::Enter));
    assert_eq!(app.chat.model.as_deref(), Some("qwen3-0.6b"));
    typed(&mut app, "/model gpt-9");
    app.on_event(key(KeyCode::Enter));
    assert_eq!(app.chat.model.as_deref(), Some("qwen3-0.6b"));
    assert!(
        app.chat
            .turns
            .last()
            .unwrap()
            .text
            .contains("No node serves `gpt-9`")
    );
    // /model alone opens the choice.
    typed(&mut app, "/model");
    app.on_event(key(KeyCode::Enter));
    assert_eq!(app.chat.picker, Some(1));
    insta::assert_snapshot!("model_picker", render(&mut app, 100, 30));
    app.on_event(key(KeyCode::Up));
    app.on_event(key(KeyCode::Enter));
    assert_eq!(app.chat.model.as_deref(), Some("smollm2-135m-instruct"));
    typed(&mut app, "/save talk.json");
    match &app.on_event(key(KeyCode::Enter))[..] {
        [Effect::SaveChat { path, text }] => {
            assert_eq!(path, "talk.json");
            serde_json::from_str::<Value>(text).unwrap();
        }
        other => panic!("{other:?}"),
    }
    typed(&mut app, "/clear");
    app.on_event(key(KeyCode::Enter));
    assert!(app.chat.turns.is_empty());
    typed(&mut app, "/nope");
    app.on_event(key(KeyCode::Enter));
    assert!(app.chat.turns[0].text.contains("Unknown command /nope"));
    // Esc leaves the chat when nothing streams; then q quits.
    app.on_event(key(KeyCode::Esc));
    assert_eq!(app.focus, Pane::Jobs);
    assert_eq!(app.on_event(ch('q')), vec![Effect::Quit]);
}

#[test]
fn pause_key_asks_the_node_and_the_banner_follows_it() {
    let mut app = busy();
    assert_eq!(app.on_event(ch('p')), vec![Effect::SetPaused(true)]);
    assert!(!render(&mut app, 100, 30).contains("CONTRIBUTION PAUSED"));
    app.on_msg(Msg::Paused(Ok(true)));
    assert!(render(&mut app, 100, 30).contains("CONTRIBUTION PAUSED"));
    assert_eq!(app.on_event(ch('p')), vec![Effect::SetPaused(false)]);
}

#[test]
fn filter_open_detail_and_export() {
    let mut app = busy();
    let all = app.jobs().len();
    assert_eq!(all, 13);
    app.on_event(ch('/'));
    typed(&mut app, "fail");
    app.on_event(key(KeyCode::Enter));
    assert_eq!(app.jobs().len(), 1);
    assert!(render(&mut app, 100, 30).contains("/fail"));
    let fx = app.on_event(key(KeyCode::Enter));
    assert_eq!(fx, vec![Effect::FetchJob(format!("job-{:016x}", 8))]);
    assert!(render(&mut app, 100, 30).contains("loading"));
    app.on_msg(Msg::JobDetail(
        format!("job-{:016x}", 8),
        Err("HTTP 404: No job".into()),
    ));
    assert!(render(&mut app, 100, 30).contains("HTTP 404"));
    assert_eq!(
        app.on_event(ch('x')),
        vec![Effect::ExportJob(format!("job-{:016x}", 8))]
    );
    app.on_event(key(KeyCode::Esc));
    assert!(app.detail.is_none());
    // Esc clears the filter.
    app.on_event(key(KeyCode::Esc));
    assert_eq!(app.jobs().len(), all);
    // Moving: down twice, then G to the last.
    app.on_event(ch('j'));
    app.on_event(ch('j'));
    assert_eq!(app.jobs_table.selected(), Some(2));
    app.on_event(ch('G'));
    assert_eq!(app.jobs_table.selected(), Some(all - 1));
}

#[test]
fn no_color_keeps_the_selection_visible() {
    use ratatui::style::Modifier;
    let mut app = busy();
    app.theme = Theme::monochrome();
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| ui::draw(f, &mut app)).unwrap();
    let buf = t.backend().buffer();
    let mut reversed = 0;
    for cell in buf.content.iter() {
        assert_eq!(
            cell.fg,
            ratatui::style::Color::Reset,
            "a colour under NO_COLOR"
        );
        if cell.modifier.contains(Modifier::REVERSED) {
            reversed += 1;
        }
    }
    assert!(reversed > 10, "the selected row is not drawn reversed");
}

#[test]
fn log_lines_are_split_and_shortened() {
    let (t, l, m) = ui::split_log(
        "2026-12-03T06:50:09.500000Z  WARN local_llm_proxy::net::remote: job job-1: no receipt",
    );
    assert_eq!((t, l, m), ("06:50:09", "WARN", "job job-1: no receipt"));
    assert_eq!(ui::split_log("plain text"), ("", "", "plain text"));
    // A continuation line of a multi-line message (a peer may write one), non-ASCII included.
    let l = "  caused by: … the peer’s text";
    assert_eq!(ui::split_log(l), ("", "", l));
    assert_eq!(ui::split_log(""), ("", "", ""));
    assert_eq!(ui::spark([1, 5, 9].into_iter(), true), "_:#");
}

#[test]
fn the_credits_pane_shows_the_account_and_the_fallback_beside_the_credits() {
    let mut app = busy();
    let mut s = app.data.snapshot.clone().unwrap();
    s.account = Some(
        serde_json::from_value(json!({
            "id": peer_id(7), "revoked": false, "balance": 123_456,
            "members": [{"node": OWN, "balance": 49_958}, {"node": peer_id(1), "balance": 73_498}],
            "revocations": [],
        }))
        .unwrap(),
    );
    s.fallback = Some(
        serde_json::from_value(json!({
            "url": "https://api.example.com/v1", "currency": "EUR", "jobs": 3, "failed": 1,
            "prompt_tokens": 300, "completion_tokens": 90, "cost": 0.0123,
        }))
        .unwrap(),
    );
    app.on_msg(Msg::Status(Box::new(s)));
    app.on_event(ch('4'));
    app.zoomed = true;
    let screen = render(&mut app, 100, 30);
    assert!(
        screen.contains("account 123,456") && screen.contains("2 members"),
        "{screen}"
    );
    assert!(
        screen.contains("fallback 0.0123 EUR") && screen.contains("3 jobs (1 failed)"),
        "{screen}"
    );
    // A revoked node says so.
    let mut s = app.data.snapshot.clone().unwrap();
    s.account.as_mut().unwrap().revoked = true;
    app.on_msg(Msg::Status(Box::new(s)));
    assert!(render(&mut app, 100, 30).contains("THIS NODE IS REVOKED"));
}
