//! Variants of one model: making one with llama.cpp's quantizer, and the quantization
//! handshake (each node serves the variant that fits its memory; a request names a model, a
//! variant, or a lowest quality).

use serde_json::{Value, json};

use crate::common::*;
use crate::network::{first, joiner, routable};

const Q8_FILE: &str = "SmolLM2-135M-Instruct.Q8_0.gguf";

/// A models dir of the test's own holding the default model (linked, not copied): a variant
/// made in the shared one would change what every other test's node serves.
fn own_models_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(models_dir().join(MODEL_FILE), d.path().join(MODEL_FILE)).unwrap();
    d
}

fn models(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let data = tempfile::tempdir().unwrap();
    run(llp()
        .arg("models")
        .args(args)
        .arg("--models-dir")
        .arg(dir)
        .arg("--data-dir")
        .arg(data.path()))
}

fn ask(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "Name a colour."}],
           "max_tokens": 8, "temperature": 0, "ignore_eos": true})
}

#[tokio::test]
async fn quantize_then_each_node_serves_the_variant_that_fits() {
    let dir = own_models_dir();
    let d = dir.path().to_str().unwrap();

    // Made here, and checked against the catalog's sha256 (llama.cpp writes the same bytes).
    let out = models(dir.path(), &["quantize", MODEL, "--to", "Q8_0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("sha256 matches the published checksum"),
        "{}",
        stdout(&out)
    );
    assert!(dir.path().join(Q8_FILE).is_file());
    assert!(!dir.path().join(format!("{Q8_FILE}.part")).exists());
    let again = models(dir.path(), &["quantize", MODEL, "--to", "q8_0"]);
    assert!(
        stdout(&again).contains("already present"),
        "{}",
        stdout(&again)
    );
    // What it cannot make is refused, saying what it can and how.
    let bad = models(dir.path(), &["quantize", MODEL, "--to", "q9_9"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("q4_k_m"), "{}", stderr(&bad));
    let unlisted = models(dir.path(), &["quantize", MODEL, "--to", "q6_k"]);
    assert_eq!(unlisted.status.code(), Some(2));
    assert!(
        stderr(&unlisted).contains("quantize ="),
        "{}",
        stderr(&unlisted)
    );
    let published = models(dir.path(), &["quantize", MODEL, "--to", "q4_1"]);
    assert!(
        stderr(&published).contains("published"),
        "{}",
        stderr(&published)
    );

    // Two nodes with both variants on disk: one with little memory, one with plenty.
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_file(tmp.path(), "[credits]\nstarter_grant = 1000\n");
    let cfg = cfg.to_str().unwrap();
    let big = first(&["--models-dir", d, "--config", cfg]);
    let small = joiner(
        &big.ticket(),
        &[
            "--models-dir",
            d,
            "--config",
            cfg,
            "--memory-limit",
            "200MiB",
        ],
    );
    let b = big.status().await;
    assert_eq!(b["models"][0]["quant"], "q8_0", "{b}");
    let s = small.status().await;
    assert_eq!(s["models"][0]["quant"], "q4_1", "{s}");
    let why = s["models"][0]["why"].as_str().unwrap();
    assert!(
        why.contains("q4_1, q8_0") && why.contains("200.0 MiB"),
        "{why}"
    );
    eventually(30, "the nodes to see each other", async || {
        (routable(&big.status().await, &small.id) && routable(&small.status().await, &big.id))
            .then_some(())
    })
    .await;

    // By name, each serves its own variant, and says why.
    let url = |n: &Node| n.url("/v1/chat/completions");
    let (code, h, v) = post(&url(&small), &ask(MODEL)).await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(h["x-llp-node"].to_str().unwrap(), small.id);
    assert_eq!(v["model"], format!("{MODEL}:q4_1"));
    assert_eq!(v["llp_served_variant"]["variant"], format!("{MODEL}:q4_1"));
    let why = v["llp_served_variant"]["why"].as_str().unwrap();
    assert!(
        why.contains("any variant") && why.contains("200.0 MiB"),
        "{why}"
    );
    assert_eq!(
        h["x-llp-variant"].to_str().unwrap(),
        format!("{MODEL}:q4_1")
    );
    let (_, h, v) = post(&url(&big), &ask(MODEL)).await;
    assert_eq!(h["x-llp-node"].to_str().unwrap(), big.id);
    assert_eq!(v["model"], format!("{MODEL}:q8_0"));

    // At least q8, asked of the small node: its peer serves it, and is paid for q8_0.
    let (code, h, v) = post(&url(&small), &ask(&format!("{MODEL}@q8"))).await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(h["x-llp-node"].to_str().unwrap(), big.id);
    assert_eq!(v["model"], format!("{MODEL}:q8_0"));
    let why = v["llp_served_variant"]["why"].as_str().unwrap();
    assert!(why.contains("at q8 or better"), "{why}");
    let q8_paid: u64 = h["x-llp-credits"].to_str().unwrap().parse().unwrap();
    let q8_tokens = v["usage"]["total_tokens"].clone();
    // Exactly q4_1, asked of the big node: the small one serves it, for less.
    let (code, h, v) = post(&url(&big), &ask(&format!("{MODEL}:q4_1"))).await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(h["x-llp-node"].to_str().unwrap(), small.id);
    let q4_paid: u64 = h["x-llp-credits"].to_str().unwrap().parse().unwrap();
    assert_eq!(v["usage"]["total_tokens"], q8_tokens, "the same work");
    assert!(
        q4_paid > 0 && q8_paid > q4_paid,
        "prices follow the variant: q8_0 {q8_paid}, q4_1 {q4_paid}"
    );

    // The job's route says which variant ran where, and why.
    let jobs = small.get_json("/api/jobs").await;
    let routed = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["served_by"] == big.id.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = small.get_json(&format!("/api/jobs/{routed}")).await;
    let hop = &job["detail"]["route"][0];
    assert_eq!(hop["variant"], format!("{MODEL}:q8_0"), "{job}");
    assert!(
        hop["variant_why"]
            .as_str()
            .unwrap()
            .contains("at q8 or better"),
        "{job}"
    );

    // A quality nobody serves is refused, not served below it.
    let (code, _, v) = post(&url(&small), &ask(&format!("{MODEL}@f16"))).await;
    assert!(code == 404 || code == 503, "{code} {v}");

    // A memory limit that no variant fits stops the node, saying so.
    let out = run(llp()
        .args(["serve", "--models-dir", d, "--memory-limit", "100MiB"])
        .args([
            "--model",
            MODEL,
            "--api",
            "127.0.0.1:0",
            "--relay",
            "disabled",
        ])
        .arg("--data-dir")
        .arg(tmp.path().join("tiny")));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("100.0 MiB"), "{}", stderr(&out));
}
