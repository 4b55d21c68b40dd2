//! `--auto-models`: a request for a model that no node serves, and that only a peer's disk
//! holds, ends with an idle node with `--auto-models` fetching it from that peer, loading it
//! and serving the request; when its memory runs short for the next such model, it unloads the
//! least used model it loaded itself.

use std::time::Instant;

use serde_json::json;

use crate::common::*;
use crate::network::{first, joiner, peer};

const CODER: &str = "qwen2.5-coder-0.5b-instruct";
const EMBED: &str = "all-minilm-l6-v2";

#[tokio::test]
async fn an_idle_node_loads_a_model_only_a_peers_disk_holds_and_unloads_the_least_used() {
    // A serves the default model; its disk also holds the coder and embedding models.
    let a = first(&["--model", MODEL]);
    // B is idle: no model, an empty models dir, 650 MiB for models (the coder needs 591 MiB,
    // the embedding model 113 MiB: one at a time).
    let empty = tempfile::tempdir().unwrap();
    let e = empty.path().to_str().unwrap();
    // Models it loaded may be unloaded at once (not after the default five minutes).
    let conf = tempfile::tempdir().unwrap();
    let cfg = config_file(conf.path(), "auto_models_keep_s = 0\n");
    let b = joiner(
        &a.ticket(),
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--model",
            "none",
            "--models-dir",
            e,
            "--auto-models",
            "--memory-limit",
            "650MiB",
        ],
    );
    eventually(60, "A to hear that B loads models", async || {
        peer(&a.status().await, &b.id)
            .is_some_and(|p| p["health"]["state"] == "ok" && p["auto_models"] == true)
            .then_some(())
    })
    .await;

    // Nobody serves the coder: the request waits while B fetches it from A's disk and loads
    // it, then runs on B.
    let started = Instant::now();
    let body = json!({"model": CODER, "messages": [{"role": "user", "content": "Say hi."}],
        "max_tokens": 1, "temperature": 0});
    let (code, h, v) = post(&a.url("/v1/chat/completions"), &body).await;
    let first_token = started.elapsed();
    assert_eq!(code, 200, "{v}\n{}", b.log_text());
    assert_eq!(h["x-llp-node"].to_str().unwrap(), b.id, "{v}");
    eprintln!(
        "auto-models: the first token of a model no node served came after {:.1}s (fetch from a \
         peer, load, route)",
        first_token.as_secs_f64()
    );
    let s = b.status().await;
    let served: Vec<String> = s["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}:{}",
                m["name"].as_str().unwrap(),
                m["quant"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(served, [format!("{CODER}:q4_k_m")], "{s}");
    assert!(
        s["models"][0]["why"]
            .as_str()
            .unwrap()
            .contains("--auto-models"),
        "{s}"
    );
    // Fetched from A (no hub here), and offered on in turn.
    assert!(std::fs::read_dir(empty.path()).unwrap().any(|f| {
        f.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("qwen2.5-coder")
    }));

    // The embedding model does not fit beside it: B unloads the coder (idle, the least used
    // of what it loaded) and serves the vectors.
    let (code, h, v) = post(
        &a.url("/v1/embeddings"),
        &json!({"model": EMBED, "input": ["a sentence"]}),
    )
    .await;
    assert_eq!(code, 200, "{v}\n{}", b.log_text());
    assert_eq!(h["x-llp-node"].to_str().unwrap(), b.id, "{v}");
    assert_eq!(v["data"][0]["embedding"].as_array().unwrap().len(), 384);
    let s = b.status().await;
    let served: Vec<&str> = s["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(served, [EMBED], "{s}");

    // A model the catalog does not list still gets its 404 at once.
    let (code, _, v) = post(
        &a.url("/v1/chat/completions"),
        &json!({"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(code, 404, "{v}");
}
