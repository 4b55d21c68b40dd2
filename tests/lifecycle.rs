//! A node's lifecycle, in this process: started with its network, used, stopped. Nothing it
//! started outlives `stop()`: every task ended, every engine thread and the ledger writer
//! joined, the ledger file closed, the data dir released.

use std::collections::HashMap;

use local_llm_proxy::config::Layer;
use local_llm_proxy::ledger::Ledger;
use local_llm_proxy::node::datadir;

use crate::common::*;

/// The names of this process's threads (Linux: `/proc/self/task/*/comm`, 15 bytes at most).
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                .map(|n| n.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// This node's threads: its engine (`engine-<model>`) and its ledger writer.
fn node_threads() -> Vec<String> {
    thread_names()
        .into_iter()
        .filter(|n| n.starts_with("engine-smollm2") || n == "llp-ledger")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_a_node_ends_its_tasks_and_threads_and_closes_its_ledger() {
    let data = tempfile::tempdir().unwrap();
    let network = format!("t{}", rand_hex());
    let mut settings = Layer {
        data_dir: Some(data.path().to_path_buf()),
        models_dir: Some(models_dir()),
        models: Some(vec![format!("{MODEL}:q4_1")]),
        threads: Some(2),
        slots: Some(2),
        relay: Some("disabled".into()),
        listen: Some("127.0.0.1:0".into()),
        no_mdns: Some(true),
        network: Some(network.clone()),
        ..Layer::default()
    }
    .settings()
    .unwrap();
    settings.credits = test_policy();
    let running =
        local_llm_proxy::cli::start_node(settings, Some("127.0.0.1:0".parse().unwrap()), true)
            .await
            .unwrap();
    let threads = node_threads();
    assert!(
        threads.iter().any(|n| n.starts_with("engine-"))
            && threads.iter().any(|n| n == "llp-ledger"),
        "the node's threads run: {threads:?}"
    );

    // A job, streamed, so the engine, the job log and the API all did work.
    let url = format!("{}/v1/chat/completions", running.base_url());
    let mut body = chat_body("Say hi.", 8);
    body["stream"] = serde_json::json!(true);
    let (code, events) = stream(&url, &body).await;
    assert_eq!(code, 200);
    assert!(!streamed_text(&events).is_empty(), "{events:?}");

    // Handles that outlive the stop: they must not keep anything running.
    let router = running.router.clone();
    running.stop().await;

    assert!(
        router.node().tasks().is_empty(),
        "the node's tasks ended ({} still tracked)",
        router.node().tasks().len()
    );
    let net = router.net().expect("a network");
    assert!(net.tasks().is_empty(), "the network's tasks ended");
    // The engine and ledger threads were joined. llama.cpp's OpenMP workers, which carry the
    // engine thread's name, are released when it ends and exit a moment later (longer on a
    // loaded machine): wait for them a bounded time.
    let left = eventually(
        10,
        "every engine thread and the ledger writer end",
        async || {
            let t = node_threads();
            t.is_empty().then_some(t)
        },
    )
    .await;
    assert!(left.is_empty());
    // The ledger file is closed: this process can open it again (redb refuses a second open
    // of a file still open), and the data dir is free for another node.
    let key = datadir::node_key(data.path()).unwrap();
    let l = Ledger::open(data.path(), key, test_policy(), HashMap::new(), &network)
        .expect("the ledger file was closed");
    assert!(l.balance() > 0);
    l.close();
    drop(datadir::lock_data_dir(data.path()).expect("the data dir was released"));
    // A handle used after the stop gets a clear refusal, not a hang.
    assert!(
        router
            .node()
            .ledger()
            .unwrap()
            .entries_after(None, 1)
            .is_err()
    );
}
