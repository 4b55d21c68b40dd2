//! Contributing only what is idle: real nodes whose conditions are made real (a CPU-burning
//! child, a job streaming for a peer) or given at the edges (a sysfs tree the test writes, a
//! clock the test sets).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;
use crate::network::{peer, served_by, until_routable, with};

/// A config file with the tests' admission and this `[idle]` table.
fn config(dir: &Path, idle: &str) -> String {
    let path = dir.join("idle.toml");
    std::fs::write(
        &path,
        format!("[credits]\n{TEST_ADMISSION}\n\n[idle]\ninterval = \"200ms\"\n{idle}\n"),
    )
    .unwrap();
    path.display().to_string()
}

/// A sysfs tree with a battery (charging) and a CPU sensor at 50 °C.
fn sysfs(root: &Path) -> std::path::PathBuf {
    let bat = root.join("class/power_supply/BAT0");
    let mon = root.join("class/hwmon/hwmon0");
    std::fs::create_dir_all(&bat).unwrap();
    std::fs::create_dir_all(&mon).unwrap();
    std::fs::write(bat.join("type"), "Battery\n").unwrap();
    std::fs::write(bat.join("status"), "Charging\n").unwrap();
    std::fs::write(bat.join("capacity"), "64\n").unwrap();
    std::fs::write(mon.join("name"), "k10temp\n").unwrap();
    std::fs::write(mon.join("temp1_label"), "Tctl\n").unwrap();
    std::fs::write(mon.join("temp1_input"), "50000\n").unwrap();
    root.to_path_buf()
}

/// Only the battery and heat conditions, read from `sys`.
fn sysfs_only(sys: &Path, hold_off: &str) -> String {
    format!(
        "sysfs = \"{}\"\ncpu_percent = 0\ngpu_percent = 0\ngpu_memory = \"off\"\n\
         max_temp_c = 80\nhold_off = \"{hold_off}\"",
        sys.display()
    )
}

/// The node's contribution switch, from its status, once `check` holds.
async fn until_switch(node: &Node, secs: u64, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    eventually(secs, what, async || {
        let c = node.status().await["contribution"].clone();
        check(&c).then_some(c)
    })
    .await
}

fn kinds(c: &Value) -> Vec<String> {
    c["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| r["kind"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_schedule_window_closing_and_opening_pauses_and_resumes_and_a_peer_sees_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = dir.path().join("clock");
    // A Monday, three seconds before the window ends.
    std::fs::write(&clock, "2026-12-07T06:59:57").unwrap();
    let a = crate::network::first(&[]);
    let cfg = config(dir.path(), "");
    let b = Node::start_with(
        &with(
            &["--join", &a.ticket()],
            &["--config", &cfg, "--contribute", "Mon-Fri 00:00-07:00"],
        ),
        |c| {
            c.env("LLP_TEST_CLOCK", &clock);
        },
    );
    until_routable(&a, &[&b]).await;
    let c = b.status().await["contribution"].clone();
    assert_eq!(c["paused"], false, "{c}");
    // 07:00: the window closes. B pauses, says why and when it resumes, and A hears it from
    // B's next announcement (sent at once on the change; QUICK announces every 500 ms anyway).
    std::fs::write(&clock, "2026-12-07T07:00:01").unwrap();
    let c = until_switch(&b, 10, "B pauses outside its window", |c| {
        c["paused"] == true
    })
    .await;
    assert_eq!(kinds(&c), ["schedule"], "{c}");
    assert!(
        c["why"].as_str().unwrap().contains("until Tue 00:00"),
        "{c}"
    );
    let left = c["resume_at"].as_u64().unwrap() - now_unix();
    assert!((16 * 3600..=17 * 3600).contains(&left), "{c}");
    let seen = Instant::now();
    eventually(10, "A sees B paused", async || {
        (peer(&a.status().await, &b.id)?["paused"] == true).then_some(())
    })
    .await;
    let heard = seen.elapsed();
    let metrics = b.metrics().await;
    assert!(
        metrics.contains("llp_contribution_pause_reason{reason=\"schedule\"} 1"),
        "{metrics}"
    );
    // A paused node still serves its own user.
    let (status, _, v) = post(&b.url("/v1/chat/completions"), &chat_body("hi", 4)).await;
    assert_eq!(status, 200, "{v}");
    // Tuesday 00:00: the next window opens; B resumes and A hears it.
    std::fs::write(&clock, "2026-12-08T00:00:00").unwrap();
    until_switch(&b, 10, "B resumes in its window", |c| c["paused"] == false).await;
    eventually(10, "A sees B contributing", async || {
        (peer(&a.status().await, &b.id)?["paused"] == false).then_some(())
    })
    .await;
    println!(
        "A heard B's pause {} ms after B's status showed it",
        heard.as_millis()
    );
}

#[tokio::test]
async fn a_busy_program_pauses_the_node_until_it_has_been_gone_for_the_hold_off() {
    let dir = tempfile::tempdir().unwrap();
    let sys = sysfs(dir.path());
    // Other programs above a fifth of the machine pause it (the tests' other nodes are `llp`
    // and do not count); 2 s of calm resume it.
    let idle = format!(
        "sysfs = \"{}\"\ncpu_percent = 20\ngpu_percent = 0\nhold_off = \"2s\"",
        sys.display()
    );
    let b = Node::start(&["--config", &config(dir.path(), &idle), "--auto-pause"]);
    let c = b.status().await["contribution"].clone();
    assert_eq!(c["paused"], false, "{c}");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut burners = busy_programs(cores);
    let c = until_switch(&b, 20, "the busy program pauses B", |c| {
        c["paused"] == true && kinds(c) == ["cpu"]
    })
    .await;
    assert!(c["why"].as_str().unwrap().contains("CPU busy"), "{c}");
    // The owner resumes it by hand: that holds while the program runs, and says so.
    let (status, _, v) = post(&b.url("/api/contribution"), &json!({"paused": false})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["contribution"]["by_hand"], false, "{v}");
    assert!(
        v["contribution"]["why"]
            .as_str()
            .unwrap()
            .contains("by hand over"),
        "{v}"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(b.status().await["contribution"]["paused"], false);
    for p in &mut burners {
        let _ = p.kill();
        let _ = p.wait();
    }
    // The program gone, the hand's word ends with the condition; the next one pauses again.
    until_switch(&b, 20, "the condition clears", |c| {
        c["by_hand"].is_null() && c["reasons"].as_array().unwrap().is_empty()
    })
    .await;
    let mut burners = busy_programs(cores);
    until_switch(&b, 20, "the busy program pauses B again", |c| {
        c["paused"] == true
    })
    .await;
    for p in &mut burners {
        let _ = p.kill();
        let _ = p.wait();
    }
    let gone = Instant::now();
    let c = until_switch(&b, 20, "B says it resumes after the hold-off", |c| {
        c["reasons"][0]["clearing"] == true
    })
    .await;
    assert_eq!(c["paused"], true, "{c}");
    assert!(c["resume_at"].as_u64().is_some(), "{c}");
    until_switch(&b, 20, "B resumes", |c| c["paused"] == false).await;
    // Not before the hold-off (less the one reading that may have caught the program's end).
    let waited = gone.elapsed();
    assert!(waited >= Duration::from_millis(1500), "{waited:?}");
}

#[tokio::test]
async fn battery_and_heat_read_from_the_sysfs_tree_pause_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let sys = sysfs(dir.path());
    let cfg = config(dir.path(), &sysfs_only(&sys, "1s"));
    let b = Node::start(&["--config", &cfg, "--auto-pause"]);
    assert_eq!(b.status().await["contribution"]["paused"], false);
    let bat = sys.join("class/power_supply/BAT0/status");
    std::fs::write(&bat, "Discharging\n").unwrap();
    let c = until_switch(&b, 10, "on battery", |c| c["paused"] == true).await;
    assert_eq!(kinds(&c), ["battery"], "{c}");
    assert_eq!(c["reasons"][0]["text"], "on battery (BAT0 at 64 %)", "{c}");
    let text = llp_status(&b);
    assert!(text.contains("PAUSED: on battery (BAT0 at 64 %)"), "{text}");
    std::fs::write(&bat, "Charging\n").unwrap();
    until_switch(&b, 10, "back on the mains", |c| c["paused"] == false).await;
    let temp = sys.join("class/hwmon/hwmon0/temp1_input");
    std::fs::write(&temp, "95000\n").unwrap();
    let c = until_switch(&b, 10, "too hot", |c| c["paused"] == true).await;
    assert_eq!(kinds(&c), ["heat"], "{c}");
    assert!(
        c["why"]
            .as_str()
            .unwrap()
            .contains("too hot: k10temp Tctl at 95 °C (limit 80 °C)"),
        "{c}"
    );
    let metrics = b.metrics().await;
    assert!(
        metrics.contains("llp_contribution_pause_reason{reason=\"heat\"} 1"),
        "{metrics}"
    );
    std::fs::write(&temp, "60000\n").unwrap();
    until_switch(&b, 10, "cooled", |c| c["paused"] == false).await;
}

/// Busy programs, a core's worth for every two of the machine's `cores`.
fn busy_programs(cores: usize) -> Vec<std::process::Child> {
    (0..cores.div_ceil(2))
        .map(|_| {
            std::process::Command::new("sh")
                .args(["-c", "while :; do :; done"])
                .spawn()
                .unwrap()
        })
        .collect()
}

/// `llp status` (text) of a running node.
fn llp_status(node: &Node) -> String {
    let out = run(llp().arg("status").arg("--data-dir").arg(node.data_dir()));
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn a_peers_job_is_handed_back_when_the_owner_needs_the_machine_and_completes_elsewhere() {
    let gw = crate::network::first(&["--model", "none"]);
    // Two workers, each watching its own battery; the one that gets the job will need its
    // machine back mid-answer.
    let (dir_b, dir_c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (sys_b, sys_c) = (sysfs(dir_b.path()), sysfs(dir_c.path()));
    let cfg_b = config(dir_b.path(), &sysfs_only(&sys_b, "30s"));
    let cfg_c = config(dir_c.path(), &sysfs_only(&sys_c, "30s"));
    let flags = ["--auto-pause", "--keep-peer-text", "--config"];
    let b = crate::network::joiner(&gw.ticket(), &[&flags[..], &[&cfg_b]].concat());
    let c = crate::network::joiner(&gw.ticket(), &[&flags[..], &[&cfg_c]].concat());
    until_routable(&gw, &[&b, &c]).await;
    let body = json!({
        "model": MODEL, "temperature": 0, "max_tokens": 160, "ignore_eos": true, "stream": true,
        "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "Tell a long story about a lighthouse keeper."}],
    });
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let first = served_by(resp.headers());
    let (owner, other, owner_sys) = if first == b.id {
        (&b, &c, &sys_b)
    } else {
        (&c, &b, &sys_c)
    };
    let mut chunks = 0;
    let mut unplugged: Option<Instant> = None;
    let mut events: Vec<Value> = Vec::new();
    local_llm_proxy::client::read_sse(resp, |d| {
        let e: Value = serde_json::from_str(d).unwrap();
        if local_llm_proxy::client::delta_text(&e).is_some_and(|t| !t.is_empty()) {
            chunks += 1;
        }
        if chunks == 20 && unplugged.is_none() {
            // The owner unplugs the laptop: it needs its battery for itself.
            std::fs::write(
                owner_sys.join("class/power_supply/BAT0/status"),
                "Discharging\n",
            )
            .unwrap();
            unplugged = Some(Instant::now());
        }
        events.push(e);
    })
    .await
    .expect("the stream ends with [DONE]");
    assert!(unplugged.is_some(), "the stream ended before 20 chunks");
    let last = events
        .iter()
        .rev()
        .find(|e| e["choices"][0]["finish_reason"].is_string())
        .unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "length", "{last}");
    assert_eq!(last["llp_served_by"], other.id.as_str(), "{last}");
    let usage = events.iter().find(|e| e["usage"].is_object()).unwrap();
    assert_eq!(usage["usage"]["completion_tokens"], 160, "{usage}");
    // The gateway's route shows the hand-over.
    let jobs = gw.get_json("/api/jobs").await;
    let id = jobs["jobs"][0]["id"].as_str().unwrap().to_string();
    let detail = gw.get_json(&format!("/api/jobs/{id}")).await;
    let route = detail["detail"]["route"].as_array().unwrap();
    assert_eq!(route.len(), 2, "{detail}");
    assert_eq!(route[0]["node"], owner.id.as_str(), "{detail}");
    assert_eq!(route[1]["node"], other.id.as_str(), "{detail}");
    assert_eq!(route[1]["why"], "failover", "{detail}");
    // No token duplicated or missing: the answer is exactly what the owner's node sent, then
    // what the other sent from there (each keeps the text it served: --keep-peer-text). The
    // owner's node handed it back at a running commitment: every token it sent is paid for.
    let mine = eventually(
        20,
        "the owner's node is paid for what it sent",
        async || {
            let r = served_for(owner, &gw).await;
            let paid = r["detail"]["settlements"].as_array()?;
            (!paid.is_empty()).then_some(r)
        },
    )
    .await;
    let theirs = served_for(other, &gw).await;
    let handed = mine["tokens"].as_u64().unwrap();
    assert!((20..160).contains(&handed), "{mine}");
    assert_eq!(theirs["tokens"], 160 - handed, "{theirs}");
    // Handed back at a running commitment (every 8 tokens) when the next comes within 500 ms:
    // it is paid for every token its last commitment covers.
    let receipt = &mine["detail"]["settlements"][0]["receipt"];
    assert_eq!(receipt["completion_tokens"], handed - handed % 8, "{mine}");
    // (The gateway's route counts what its client had read when it switched.)
    assert!(
        route[1]["from_token"].as_u64().unwrap() <= handed,
        "{detail}"
    );
    let (a, b) = (
        mine["detail"]["output"].as_str().unwrap(),
        theirs["detail"]["output"].as_str().unwrap(),
    );
    assert_eq!(streamed_text(&events), format!("{a}{b}"));
    // The owner's node says why it handed the job back, and is paused on battery.
    let error = mine["detail"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("handed back after"), "{mine}");
    assert!(error.contains("on battery"), "{mine}");
    let c = owner.status().await["contribution"].clone();
    assert_eq!(kinds(&c), ["battery"], "{c}");
    println!(
        "handed back after {handed} of 160 tokens; the stream ended {} ms after the unplugging",
        unplugged.unwrap().elapsed().as_millis()
    );
}

/// The record of the job `node` ran for `requester`.
async fn served_for(node: &Node, requester: &Node) -> Value {
    let log = node.get_json("/api/jobs").await;
    let job = log["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["requester"] == requester.id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{log}"));
    node.get_json(&format!("/api/jobs/{}", job["id"].as_str().unwrap()))
        .await
}

#[tokio::test]
async fn caps_bound_the_jobs_a_node_runs_for_peers() {
    let gw = crate::network::first(&["--model", "none"]);
    // B gives peers one job at a time and half its two threads' time; C has no caps.
    let b = Node::start(&[
        "--join",
        &gw.ticket(),
        "--announce-interval-ms",
        "500",
        "--threads",
        "2",
        "--max-peer-jobs",
        "1",
        "--threads-for-peers",
        "1",
    ]);
    let c = crate::network::joiner(&gw.ticket(), &[]);
    until_routable(&gw, &[&b, &c]).await;
    // Peers see one slot on B.
    let s = gw.status().await;
    let ad = &peer(&s, &b.id).unwrap()["models"][0];
    assert_eq!(ad["slots"], 1, "{ad}");
    let limits = b.status().await["contribution"]["limits"].clone();
    assert!(
        limits.as_str().unwrap().contains("1 job(s) at once")
            && limits.as_str().unwrap().contains("50 %"),
        "{limits}"
    );
    // Four jobs at once; B's running jobs for peers are counted all along.
    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let most = {
        let (w, url) = (watching.clone(), b.url("/api/status"));
        tokio::spawn(async move {
            let mut most = 0;
            while w.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(r) = client().get(&url).send().await
                    && let Ok(s) = r.json::<Value>().await
                {
                    let n = s["jobs"].as_array().map_or(0, |j| {
                        j.iter().filter(|j| j["requester"] != "local").count()
                    });
                    most = most.max(n);
                }
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            most
        })
    };
    let body = json!({
        "model": MODEL, "temperature": 0, "max_tokens": 48, "ignore_eos": true,
        "messages": [{"role": "user", "content": "Count to fifty."}],
    });
    let url = gw.url("/v1/chat/completions");
    let asks = (0..4).map(|_| post(&url, &body));
    let answers = futures_util::future::join_all(asks).await;
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    let most = most.await.unwrap();
    let mut by = Vec::new();
    for (status, headers, v) in &answers {
        assert_eq!(*status, 200, "{v}");
        assert_eq!(v["usage"]["completion_tokens"], 48, "{v}");
        by.push(served_by(headers));
    }
    assert!(most <= 1, "B ran {most} peers' jobs at once");
    assert!(by.contains(&c.id), "{by:?}");
    // A worker logs a job once it is settled, a moment after its requester has the answer.
    let served = async || {
        let b_log = b.get_json("/api/jobs").await;
        b_log["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["requester"] == gw.id.as_str())
            .count()
    };
    let _ = tokio::time::timeout(Duration::from_secs(20), async {
        while served().await == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let served = served().await;
    assert!(served >= 1 && most == 1, "B served {served}; {by:?}");
}
