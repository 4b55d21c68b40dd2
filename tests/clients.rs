//! The API as the applications people run use it: the official `openai` and `ollama` Python
//! packages (tests/clients/*.py) drive a real node serving three real models — the default
//! chat model, Qwen2.5 Coder 0.5B (a template with tools) and all-MiniLM-L6-v2 (embeddings) —
//! and then a node with no model at all, whose every request a peer serves.
//!
//! `scripts/test.sh` fetches the models and installs the clients in a virtual environment
//! (LLP_TEST_PYTHON); without them these tests fail saying what to run.

use std::path::Path;
use std::process::Command;

use crate::common::{Node, models_dir, stderr, stdout};
use crate::network::{first, joiner};

const MODELS: [&str; 3] = [
    "smollm2-135m-instruct",
    "qwen2.5-coder-0.5b-instruct",
    "all-minilm-l6-v2",
];

/// The interpreter with the clients installed.
fn python() -> String {
    let py = std::env::var("LLP_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import openai, ollama, jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{py} lacks the openai, ollama and jsonschema packages: run scripts/test.sh, which \
         installs them (or set LLP_TEST_PYTHON to a Python that has them)"
    );
    py
}

/// The three models' files are in the models dir.
fn models_present() {
    for f in [
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        "all-MiniLM-L6-v2-f16.gguf",
    ] {
        assert!(
            models_dir().join(f).is_file(),
            "{f} is not in {}: run scripts/test.sh (or `llp models fetch` it)",
            models_dir().display()
        );
    }
}

/// The three models, each a `--model` flag.
fn model_args() -> Vec<&'static str> {
    MODELS.iter().flat_map(|m| ["--model", *m]).collect()
}

/// Runs a client script against `base`; its output on failure.
fn client(script: &str, base: &str, parts: &[&str]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(script);
    let out = Command::new(python())
        .arg(&path)
        .arg(base)
        .args(parts)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .expect("run the client");
    assert!(
        out.status.success(),
        "{script} failed:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("all passed"), "{}", stdout(&out));
}

fn serve_all() -> Node {
    models_present();
    Node::start(&model_args())
}

#[test]
fn the_openai_package_uses_tools_schemas_logprobs_embeddings_and_choices() {
    let n = serve_all();
    client("openai_client.py", &n.url("/v1"), &[]);
}

#[test]
fn the_ollama_package_uses_ollamas_routes() {
    let n = serve_all();
    client("ollama_client.py", &n.base, &[]);
}

/// The same clients at a node that serves nothing: every job, tools and embeddings included,
/// goes to the peer that has the models, over the wire, paid for.
#[tokio::test]
async fn the_same_clients_work_through_a_peer() {
    models_present();
    let worker = first(&model_args());
    let gateway = joiner(&worker.ticket(), &["--model", "none"]);
    crate::network::until_routable(&gateway, &[&worker]).await;
    let base = gateway.url("/v1");
    let host = gateway.base.clone();
    tokio::task::spawn_blocking(move || {
        client("openai_client.py", &base, &[]);
        client("ollama_client.py", &host, &[]);
    })
    .await
    .unwrap();
    // It was the peer that served them.
    let jobs: serde_json::Value = gateway.get_json("/api/jobs").await;
    let served: Vec<_> = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["served_by"] == worker.id.as_str())
        .collect();
    assert!(
        served.len() > 20,
        "{} jobs served by the peer",
        served.len()
    );
}
