//! The command line: config errors, the data-dir lock, devices, status and chat.

use serde_json::Value;

use crate::common::*;

fn serve_expecting_exit(args: &[&str]) -> (i32, String) {
    let data = tempfile::tempdir().unwrap();
    let out = run(llp()
        .arg("serve")
        .arg("--data-dir")
        .arg(data.path())
        .args(["--api", "127.0.0.1:0"])
        .args(args));
    (out.status.code().unwrap_or(-1), stderr(&out))
}

#[test]
fn config_errors_name_the_file_and_problem_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("malformed.toml", "slots = [1,\n", "line"),
        (
            "unknown.toml",
            "slots = 2\ncolour = \"red\"\n",
            "unknown field `colour`",
        ),
        ("types.toml", "threads = \"many\"\n", "field `threads`"),
        (
            "zero.toml",
            "threads = 2\nslots = 0\n",
            "line 2, field `slots`: slots must be at least 1",
        ),
        (
            "relay.toml",
            "relay = \"sometimes\"\n",
            "line 1, field `relay`",
        ),
    ];
    for (name, text, want) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let (code, err) = serve_expecting_exit(&["--config", p.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(p.to_str().unwrap()), "{name}: {err}");
        assert!(err.contains(want), "{name}: {err:?} lacks {want:?}");
    }
    let (code, err) = serve_expecting_exit(&["--config", "/nonexistent/llp.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nonexistent/llp.toml"), "{err}");

    // Environment variables are checked as strictly as flags.
    let out = run(llp().arg("status").env("LLP_SLOTS", "lots"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("LLP_SLOTS") || stderr(&out).contains("--slots"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn missing_and_corrupt_models_exit_2_naming_the_file() {
    let empty = tempfile::tempdir().unwrap();
    let (code, err) = serve_expecting_exit(&["--models-dir", empty.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("llp models fetch smollm2-135m-instruct:q4_1"),
        "{err}"
    );

    let (code, err) = serve_expecting_exit(&[
        "--models-dir",
        empty.path().to_str().unwrap(),
        "--model",
        "smollm2-135m-instruct",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(MODEL_FILE) && err.contains("missing"), "{err}");

    // One flipped byte in the middle of the weights.
    let bad = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(model_path()).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(bad.path().join(MODEL_FILE), &bytes).unwrap();
    let (code, err) = serve_expecting_exit(&["--models-dir", bad.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("corrupt") && err.contains(MODEL_FILE), "{err}");

    let (code, err) = serve_expecting_exit(&["--model", "nonexistent-model"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown model `nonexistent-model`"), "{err}");
}

#[test]
fn a_second_node_on_the_same_data_dir_is_refused_with_the_holder() {
    let node = Node::start(&[]);
    let out = run(llp()
        .arg("serve")
        .arg("--data-dir")
        .arg(node.data_dir())
        .arg("--models-dir")
        .arg(models_dir())
        .args(["--api", "127.0.0.1:0"]));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("pid {}", node.child.id())), "{err}");
}

#[test]
fn devices_on_a_machine_without_gpu() {
    let out = run(llp().args(["devices", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let p: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let cpu = &p["cpu"];
    assert!(!cpu["model"].as_str().unwrap().is_empty());
    assert!(cpu["threads_logical"].as_u64().unwrap() >= 1);
    assert!(cpu["ram_total_bytes"].as_u64().unwrap() > 0);
    assert!(cpu["ram_free_bytes"].as_u64().unwrap() > 0);
    assert!(cpu["simd"].is_array());
    // This test machine has no GPU: none listed, and the NVIDIA probe says why.
    if std::path::Path::new("/proc/driver/nvidia").exists() {
        return; // a GPU machine: nothing to check about absence
    }
    assert_eq!(p["gpus"], serde_json::json!([]));
    let nvidia = p["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["source"] == "nvidia")
        .unwrap();
    assert!(
        nvidia["result"].as_str().unwrap().starts_with("N/A"),
        "{nvidia}"
    );
    assert!(
        p["backends"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["backend"] == "CPU"),
        "{}",
        p["backends"]
    );
    assert!(
        p["quantizations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q == "q4_1")
    );

    let out = run(llp().arg("devices"));
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("GPU       none") && text.contains("N/A"),
        "{text}"
    );
}

#[test]
fn status_and_chat_use_the_running_node() {
    let node = Node::start(&[]);
    let s = status_json(node.data_dir());
    assert_eq!(s["id"], node.id.as_str());
    assert_eq!(s["running"], true);

    let out = run(llp()
        .args([
            "chat",
            "--temperature",
            "0",
            "--max-tokens",
            "12",
            "What is 2+2?",
        ])
        .arg("--data-dir")
        .arg(node.data_dir()));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).trim().is_empty());
    let s = status_json(node.data_dir());
    assert_eq!(
        s["totals"]["requests"], 1,
        "the chat went through the running node"
    );
    let first_prompt = s["totals"]["prompt_tokens"].as_u64().unwrap();

    // The REPL keeps the conversation: the second turn's prompt holds the first exchange.
    let out = run_with_stdin(
        llp()
            .args(["chat", "--temperature", "0", "--max-tokens", "12"])
            .arg("--data-dir")
            .arg(node.data_dir()),
        b"What is 2+2?\nAnd 3+3?\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let s = status_json(node.data_dir());
    assert_eq!(s["totals"]["requests"], 3);
    let repl_prompts = s["totals"]["prompt_tokens"].as_u64().unwrap() - first_prompt;
    let second_turn = repl_prompts - first_prompt; // the first REPL turn equals the one-shot chat
    assert!(
        second_turn > first_prompt + 5,
        "second turn had {second_turn} prompt tokens, the first {first_prompt}: history lost"
    );
}

#[test]
fn chat_without_a_node_runs_an_embedded_one_and_status_reads_the_files() {
    let data = tempfile::tempdir().unwrap();
    let out = run(llp().arg("status").arg("--data-dir").arg(data.path()));
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("no node is running"),
        "{}",
        stdout(&out)
    );

    // Two lines, two answers.
    let out = run_with_stdin(
        llp()
            .args(["chat", "--temperature", "0", "--max-tokens", "8"])
            .arg("--data-dir")
            .arg(data.path())
            .arg("--models-dir")
            .arg(models_dir()),
        b"Hello!\nAnd again?\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("starting an embedded one"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count()
            >= 2,
        "{}",
        stdout(&out)
    );

    let s = status_json(data.path());
    assert_eq!(s["running"], false);
    assert_eq!(
        s["id"].as_str().unwrap().len(),
        64,
        "the embedded node created the identity"
    );
}

#[tokio::test]
async fn a_token_guards_the_api_when_set() {
    let node = Node::start(&["--api-token", "s3cret"]);
    let r = client().get(node.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200, "health stays open");
    let r = client().get(node.url("/v1/models")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "invalid_api_key");
    let r = client()
        .get(node.url("/v1/models"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .post(node.url("/v1/chat/completions"))
        .bearer_auth("s3cret")
        .json(&chat_body("Hi", 2))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The CLI passes the token on.
    let out = run(llp()
        .args(["status", "--json", "--api-token", "s3cret"])
        .arg("--data-dir")
        .arg(node.data_dir()));
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn sigterm_stops_cleanly_and_the_identity_survives_restarts() {
    let mut node = Node::start(&[]);
    let id = node.id.clone();
    let key = node.data_dir().join("node.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the node key must be private");
    }
    let pid = node.child.id().to_string();
    assert!(
        run(std::process::Command::new("kill").args(["-TERM", &pid]))
            .status
            .success()
    );
    let status = node.child.wait().unwrap();
    assert!(
        status.success(),
        "SIGTERM exit: {status}\n{}",
        node.log_text()
    );
    assert!(
        !node.data_dir().join("node.json").exists(),
        "node.json outlived the node"
    );

    // Same data dir, same identity.
    let s = status_json(node.data_dir());
    assert_eq!(s["running"], false);
    assert_eq!(s["id"], id.as_str());
}
