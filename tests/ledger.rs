//! Credits across real nodes: minting and spending with countersigned receipts, holds against
//! overspending, the 402 path, contributor priority at saturation, equivocation caught and
//! spread, and the ledger surviving SIGKILL.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;
use crate::network::{first, joiner, peer, until_routable};

/// A config file holding a credit policy, shared by every node of a test's network.
fn policy(dir: &Path, text: &str) -> PathBuf {
    config_file(dir, text)
}

fn ledger_of(s: &Value) -> &Value {
    &s["ledger"]
}

fn balance(s: &Value) -> u64 {
    s["ledger"]["balance"]
        .as_u64()
        .expect("a balance in status")
}

/// `llp ledger ARGS` for a node's data dir.
fn ledger_cmd(dir: &Path, args: &[&str]) -> std::process::Output {
    run(llp().arg("ledger").args(args).arg("--data-dir").arg(dir))
}

fn credits_header(h: &reqwest::header::HeaderMap) -> u64 {
    h["x-llp-credits"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn credits_flow_from_requester_to_worker_and_both_chains_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = policy(tmp.path(), "[credits]\nstarter_grant = 1000\n");
    let cfg = cfg.to_str().unwrap();
    let w = first(&["--config", cfg]);
    let r = joiner(&w.ticket(), &["--model", "none", "--config", cfg]);
    until_routable(&r, &[&w]).await;
    assert_eq!(balance(&r.status().await), 1000);

    let (code, h, body) = post(
        &r.url("/v1/chat/completions"),
        &chat_body("Name three colours.", 16),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(h["x-llp-node"].to_str().unwrap(), w.id);
    let paid = credits_header(&h);
    assert!(paid > 0, "a job on a peer costs credits");
    assert_eq!(body["usage"]["llp_credits"], paid);
    // The price follows the formula: the prompt billed by the rule both sides compute from the
    // request, and the answer tokens delivered.
    let u = &body["usage"];
    let billed = local_llm_proxy::ledger::Policy::billed_prompt(
        "user".len() + "Name three colours.".len(),
        1,
        0,
        8192,
    ) as u64;
    let tokens = billed + u["completion_tokens"].as_u64().unwrap();
    let policy = test_policy();
    let expected = policy.price(134_515_008, "q4_1", tokens);
    // The answer's count may include an end-of-generation token the worker does not charge.
    assert!(
        paid == expected || paid == policy.price(134_515_008, "q4_1", tokens - 1),
        "paid {paid}, formula says {expected} for {tokens} tokens"
    );

    // Both chains record it: the worker earned what the requester spent.
    eventually(20, "the worker records its earning", async || {
        (balance(&w.status().await) == 1000 + paid).then_some(())
    })
    .await;
    let rs = r.status().await;
    assert_eq!(balance(&rs), 1000 - paid);
    assert_eq!(rs["balance"], 1000 - paid);
    let recent = &ledger_of(&rs)["recent"][0];
    assert_eq!(recent["kind"], "spend");
    assert_eq!(recent["counterparty"], w.id);

    // A streamed job: its cost comes in the last chunk's usage.
    let mut sb = chat_body("Count to five.", 12);
    sb["stream"] = json!(true);
    sb["stream_options"] = json!({"include_usage": true});
    let (code, events) = stream(&r.url("/v1/chat/completions"), &sb).await;
    assert_eq!(code, 200);
    let streamed = events
        .iter()
        .filter_map(|e| e.get("usage")?.get("llp_credits")?.as_u64())
        .next_back()
        .expect("usage with llp_credits");
    assert!(streamed > 0);
    // The finishing chunk says it too, with or without usage.
    let last = events
        .iter()
        .find(|e| e["choices"][0]["finish_reason"].is_string())
        .unwrap();
    assert_eq!(last["llp_credits"], streamed);
    eventually(20, "both chains record the streamed job", async || {
        (balance(&w.status().await) == 1000 + paid + streamed
            && balance(&r.status().await) == 1000 - paid - streamed)
            .then_some(())
    })
    .await;

    // A job the node serves itself costs nothing.
    let (code, h, _) = post(&w.url("/v1/chat/completions"), &chat_body("Hi", 4)).await;
    assert_eq!(code, 200);
    assert_eq!(credits_header(&h), 0);

    // Every link, signature and counterparty signature verifies, on both nodes (the
    // requester's chain holds each job's credits before its spend).
    for (n, entries) in [(&w, 3), (&r, 5)] {
        let out = ledger_cmd(n.data_dir(), &["verify"]);
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
        let want = format!("OK: {entries} entries");
        assert!(stdout(&out).contains(&want), "{}", stdout(&out));
    }
    let out = ledger_cmd(w.data_dir(), &["show", "--json"]);
    let shown: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let kinds: Vec<&str> = shown
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["grant", "earn", "earn"]);
    assert_eq!(shown[1]["counterparty"], r.id);
    let out = ledger_cmd(w.data_dir(), &["show"]);
    assert!(stdout(&out).contains("starter grant"), "{}", stdout(&out));

    // An auditor checks an export without a node; a tampered export is refused at its entry.
    let file = tmp.path().join("r.jsonl");
    let out = ledger_cmd(r.data_dir(), &["export", "--out", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(llp()
        .args(["ledger", "verify", "--file"])
        .arg(&file)
        .args(["--owner", &r.id]));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines[1]["amount"] = json!(1);
    let forged: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&file, forged).unwrap();
    let out = run(llp().args(["ledger", "verify", "--file"]).arg(&file));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("entry 1") && stderr(&out).contains("amount"),
        "{}",
        stderr(&out)
    );

    // With the node stopped, the commands read the file itself.
    drop(r);
}

#[tokio::test]
async fn concurrent_requests_cannot_overspend_and_402_names_the_balance() {
    let tmp = tempfile::tempdir().unwrap();
    // 300 credits: less than what one job with max_tokens 1500 holds (the price of its most
    // tokens, about 320 credits).
    let cfg = policy(
        tmp.path(),
        "[credits]\nstarter_grant = 300\nfree_when_idle = false\n",
    );
    let cfg = cfg.to_str().unwrap();
    let w = first(&["--config", cfg]);
    let r = joiner(&w.ticket(), &["--model", "none", "--config", cfg]);
    until_routable(&r, &[&w]).await;

    // Four at once: the first holds everything, the others are refused, none overspends.
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let url = r.url("/v1/chat/completions");
            tokio::spawn(async move {
                post(
                    &url,
                    &chat_body(&format!("Write a story about the number {i}."), 1500),
                )
                .await
            })
        })
        .collect();
    let mut paid = 0;
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        let (code, h, body) = t.await.unwrap();
        match code {
            200 => {
                ok += 1;
                paid += credits_header(&h);
            }
            402 => {
                refused += 1;
                assert_eq!(body["error"]["code"], "insufficient_credits", "{body}");
                let m = body["error"]["message"].as_str().unwrap();
                assert!(m.contains("balance") && m.contains("estimated"), "{m}");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(ok >= 1 && refused >= 1, "{ok} served, {refused} refused");
    let rs = r.status().await;
    assert_eq!(balance(&rs), 300 - paid);
    assert_eq!(ledger_of(&rs)["held"], 0);

    // Spend it down: every answer is paid for, the balance never goes below zero, and the
    // last requests get 402 (the peer's reason included) or an answer clamped to what is left.
    let mut last = 0;
    for i in 0..40 {
        let (code, h, body) = post(
            &r.url("/v1/chat/completions"),
            &chat_body(
                &format!("Tell me everything about the year {}.", 1900 + i),
                200,
            ),
        )
        .await;
        last = code;
        match code {
            200 => paid += credits_header(&h),
            402 => break,
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(last, 402, "the credits never ran out");
    let rs = r.status().await;
    assert_eq!(balance(&rs), 300 - paid);
    eventually(20, "the worker earned what was spent", async || {
        (balance(&w.status().await) == 300 + paid).then_some(())
    })
    .await;
    for n in [&w, &r] {
        let out = ledger_cmd(n.data_dir(), &["verify"]);
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    }
}

#[tokio::test]
async fn a_saturated_worker_serves_the_better_standing_requester_first() {
    let w = first(&["--slots", "1"]);
    let x = joiner(&w.ticket(), &["--model", "none"]);
    let y = joiner(&w.ticket(), &["--model", "none"]);
    until_routable(&x, &[&w]).await;
    until_routable(&y, &[&w]).await;
    // Y spends first, so its standing is below X's.
    let (code, _, _) = post(&y.url("/v1/chat/completions"), &chat_body("Hello", 8)).await;
    assert_eq!(code, 200);
    eventually(20, "the worker has audited Y's spending", async || {
        let s = w.status().await;
        let b = peer(&s, &y.id)?["balance"].as_u64()?;
        (b < balance(&x.status().await)).then_some(())
    })
    .await;

    // The worker's own long job takes its one slot, for longer than a requester waits for a
    // first token (the queued jobs say they are waiting, and are waited for).
    let mut long = chat_body("Write a long essay.", 1500);
    long["ignore_eos"] = json!(true);
    let wurl = w.url("/v1/chat/completions");
    let blocker = tokio::spawn(async move { post(&wurl, &long).await });
    let jobs = async || w.status().await["jobs"].as_array().unwrap().len();
    eventually(30, "the worker is busy", async || {
        (jobs().await >= 1).then_some(())
    })
    .await;

    // Y asks first, then X: both wait in the worker's queue.
    let send = |n: &Node| {
        let url = n.url("/v1/chat/completions");
        tokio::spawn(async move {
            let r = post(&url, &chat_body("Say hi.", 4)).await;
            (r, Instant::now())
        })
    };
    let from_y = send(&y);
    eventually(30, "Y's job is queued", async || {
        (jobs().await >= 2).then_some(())
    })
    .await;
    let from_x = send(&x);
    eventually(30, "X's job is queued", async || {
        (jobs().await >= 3).then_some(())
    })
    .await;
    let ((ry, _, by), ty) = from_y.await.unwrap();
    let ((rx, _, bx), tx) = from_x.await.unwrap();
    assert_eq!((ry, rx), (200, 200), "{by} {bx}");
    assert!(
        tx < ty,
        "X (more credits) should be served before Y, which asked first"
    );
    assert_eq!(blocker.await.unwrap().0, 200);
}

/// A child appends receipts as fast as it can and is killed with SIGKILL at a random moment,
/// 100 times: every acknowledged entry is still there and the chain verifies every time.
#[test]
fn acknowledged_entries_survive_sigkill_and_the_chain_always_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed = u64::from_str_radix(&rand_hex()[..12], 16).unwrap();
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut entries = 0u64;
    let mut acked_total = 0u64;
    for cycle in 0..100 {
        let mut child = crash_child_command(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut max = None::<u64>;
            for line in std::io::BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Some(s) = line.strip_prefix("acked ") {
                    let s: u64 = s.parse().unwrap();
                    max = Some(max.map_or(s, |m| m.max(s)));
                }
            }
            max
        });
        // Startup takes a few tens of ms, 200 appends about 100 more: most kills land mid-append.
        std::thread::sleep(Duration::from_millis(30 + rand(200)));
        child.kill().unwrap();
        let _ = child.wait();
        let acked = reader.join().unwrap();
        let out = run(llp()
            .args(["ledger", "verify", "--json"])
            .arg("--data-dir")
            .arg(dir.path()));
        assert!(
            out.status.success(),
            "cycle {cycle}: the chain does not verify after SIGKILL: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let now = v["summary"]["entries"].as_u64().unwrap();
        assert!(now >= entries, "cycle {cycle}: the chain shrank");
        if let Some(a) = acked {
            assert!(
                now > a,
                "cycle {cycle}: entry {a} was acknowledged but the chain holds {now}"
            );
            acked_total += 1;
        }
        entries = now;
    }
    assert!(
        acked_total >= 50,
        "too few cycles got as far as an acknowledgement"
    );
    assert!(entries > 100, "{entries} entries after 100 cycles");
}

/// Where the crash test tells its child to append.
const CRASH_CHILD_DIR: &str = "LLP_TEST_CRASH_CHILD_DIR";

/// This test binary, run as the crash test's child in `dir`.
fn crash_child_command(dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(std::env::current_exe().unwrap());
    c.args([
        "--exact",
        "ledger::crash_child",
        "--ignored",
        "--nocapture",
        "--test-threads",
        "1",
    ])
    .env(CRASH_CHILD_DIR, dir)
    .stdin(Stdio::null());
    c
}

/// The crash test's child: 8 appenders write self-made receipts as fast as the disk allows,
/// and each acknowledged seq is printed (the parent reads them). Does nothing unless the crash
/// test started it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the crash test's child process: the crash test runs it"]
async fn crash_child() {
    use local_llm_proxy::ledger::Ledger;
    let Some(dir) = std::env::var_os(CRASH_CHILD_DIR).map(PathBuf::from) else {
        return;
    };
    let _lock = local_llm_proxy::node::datadir::lock_data_dir(&dir).unwrap();
    let key = local_llm_proxy::node::datadir::node_key(&dir).unwrap();
    let catalog = local_llm_proxy::bench::ledger::sample_catalog();
    let l = Ledger::open(&dir, key, test_policy(), catalog, "crash").unwrap();
    local_llm_proxy::bench::ledger::append_receipts(&l, 200, 8, |seq| {
        use std::io::Write;
        // One line per durable entry.
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "acked {seq}");
        let _ = o.flush();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn without_credits_a_requester_is_served_free_only_on_idle_capacity() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = policy(tmp.path(), "[credits]\nstarter_grant = 0\n");
    let cfg = cfg.to_str().unwrap();
    let w = first(&["--config", cfg, "--slots", "1"]);
    let r = joiner(&w.ticket(), &["--model", "none", "--config", cfg]);
    until_routable(&r, &[&w]).await;
    assert_eq!(balance(&r.status().await), 0);

    // An idle worker serves it for nothing, and earns nothing.
    let (code, h, body) = post(&r.url("/v1/chat/completions"), &chat_body("Hi", 4)).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(credits_header(&h), 0);
    assert_eq!(ledger_of(&w.status().await)["entries"], 1);

    // A busy one refuses: 402, saying why.
    let mut long = chat_body("Write a long essay.", 300);
    long["ignore_eos"] = json!(true);
    let wurl = w.url("/v1/chat/completions");
    let blocker = tokio::spawn(async move { post(&wurl, &long).await });
    eventually(30, "the worker is busy", async || {
        (!w.status().await["jobs"].as_array()?.is_empty()).then_some(())
    })
    .await;
    let (code, _, body) = post(&r.url("/v1/chat/completions"), &chat_body("Hi", 4)).await;
    assert_eq!(code, 402, "{body}");
    let m = body["error"]["message"].as_str().unwrap();
    assert!(m.contains("balance is 0") && m.contains("idle"), "{m}");
    assert_eq!(blocker.await.unwrap().0, 200);
}

#[tokio::test]
async fn a_node_with_other_prices_is_refused_at_the_handshake() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = policy(tmp.path(), "[credits]\ngflops_per_credit = 2.0\n");
    let w = first(&[]);
    let other = joiner(
        &w.ticket(),
        &["--model", "none", "--config", cfg.to_str().unwrap()],
    );
    eventually(
        30,
        "the worker is unreachable, with the reason",
        async || {
            let s = other.status().await;
            let p = peer(&s, &w.id)?;
            let why = p["health"]["reason"].as_str()?;
            why.contains("credit policy").then_some(())
        },
    )
    .await;
    let (code, _, body) = post(&other.url("/v1/chat/completions"), &chat_body("Hi", 4)).await;
    assert_ne!(code, 200, "{body}");
}
