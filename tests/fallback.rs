//! The paid fallback, against a real OpenAI-compatible server on loopback: another `llp` node
//! (its own network, its API behind a bearer token) stands in for the cloud API.

use std::time::Duration;

use serde_json::json;

use crate::common::*;
use crate::network::{joiner, served_by, until_routable};

const KEY: &str = "upstream-key-5f2c";

/// A gateway without a model whose `[fallback]` is `upstream`, its key in the environment.
fn gateway(upstream: &Node, key: &str, extra: &[&str]) -> (Node, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(
        dir.path(),
        &format!(
            "[fallback]\nurl = \"{}/v1\"\nkey_env = \"LLP_TEST_UPSTREAM_KEY\"\n\
             models = {{ \"{MODEL}\" = \"{MODEL}\" }}\nafter_ms = 1500\n\
             price_input = 100.0\nprice_output = 200.0\ncurrency = \"EUR\"\nmax_jobs = 1\n",
            upstream.base
        ),
    );
    let mut args = vec!["--model", "none", "--config", config.to_str().unwrap()];
    args.extend_from_slice(extra);
    let node = first_with_env(&args, key);
    (node, dir)
}

fn first_with_env(args: &[&str], key: &str) -> Node {
    let net = format!("n{}", rand_hex());
    let mut all = vec!["--network", net.as_str()];
    all.extend_from_slice(&crate::network::QUICK);
    all.extend_from_slice(args);
    let key = key.to_string();
    Node::start_with(&all, move |c| {
        c.env("LLP_TEST_UPSTREAM_KEY", key);
    })
}

#[tokio::test]
async fn the_paid_fallback_serves_what_no_allowed_node_can_and_says_what_it_cost() {
    let upstream = Node::start(&["--api-token", KEY]);
    let (gw, _dir) = gateway(&upstream, KEY, &[]);

    // No node serves the model: the fallback answers, with its cost at its prices.
    let (s, h, v) = chat_with_policy(&gw, &chat_body("Name a fruit.", 8), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(h["x-llp-fallback"], MODEL);
    let fb = &v["llp_fallback"];
    let (p, c) = (
        v["usage"]["prompt_tokens"].as_f64().unwrap(),
        v["usage"]["completion_tokens"].as_f64().unwrap(),
    );
    assert!(p > 0.0 && c > 0.0, "{v}");
    let cost = (p * 100.0 + c * 200.0) / 1e6;
    assert!((fb["cost"].as_f64().unwrap() - cost).abs() < 1e-9, "{v}");
    assert_eq!(fb["currency"], "EUR", "{v}");
    assert_eq!(
        h["x-llp-fallback-cost"].to_str().unwrap(),
        format!("{cost:.6}")
    );
    assert!(
        !v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .is_empty(),
        "{v}"
    );
    // The job's detail, status and /metrics say so too.
    let id = h["x-llp-job"].to_str().unwrap();
    let job = gw.get_json(&format!("/api/jobs/{id}")).await;
    assert_eq!(job["detail"]["fallback"]["model"], MODEL, "{job}");
    assert!((job["detail"]["fallback"]["cost"].as_f64().unwrap() - cost).abs() < 1e-9);
    let st = gw.status().await;
    assert_eq!(st["fallback"]["jobs"], 1, "{st}");
    assert!(!st["fallback"]["url"].as_str().unwrap().contains(KEY));
    let m = gw.metrics().await;
    assert!(
        m.contains("llp_fallback_cost_total{currency=\"EUR\"}"),
        "{m}"
    );
    // The upstream saw the request, with the key (it refuses any other).
    let up = upstream.get_json("/api/jobs").await;
    assert_eq!(up["jobs"].as_array().unwrap().len(), 1, "{up}");

    // The policy binds it: `network` and `local` never use it, it declares no region, and
    // its worst case must fit `max_cost`.
    for (policy, rule) in [
        ("route=network", "route"),
        ("route=local", "route"),
        ("region=eu", "region"),
        ("max_cost=0.0001", "max_cost"),
    ] {
        let (s, _, e) = chat_with_policy(&gw, &chat_body("Hi", 8), Some(policy)).await;
        assert_eq!(s, 403, "{policy}: {e}");
        assert_eq!(
            e["error"]["param"],
            format!("llp_policy.{rule}"),
            "{policy}: {e}"
        );
    }
    assert_eq!(gw.status().await["fallback"]["jobs"], 1);

    // A node that serves the model comes: it takes the jobs, the fallback waits. With its
    // one slot held by a long answer, the next job waits `after_ms` and goes to the fallback.
    let w = joiner(&gw.ticket(), &["--slots", "1"]);
    until_routable(&gw, &[&w]).await;
    let (s, h, v) = chat_with_policy(&gw, &chat_body("Hi", 4), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(served_by(&h), w.id);
    assert!(h.get("x-llp-fallback").is_none());
    let long = json!({
        "model": MODEL, "max_tokens": 400, "ignore_eos": true,
        "messages": [{"role": "user", "content": "Tell a long story."}],
    });
    let url = gw.url("/v1/chat/completions");
    let hold = tokio::spawn(async move { post(&url, &long).await });
    eventually(30, "the worker's slot is taken", async || {
        let s = w.status().await;
        (s["models"][0]["busy_slots"] == 1).then_some(())
    })
    .await;
    let started = std::time::Instant::now();
    let (s, h, v) = chat_with_policy(&gw, &chat_body("Hi", 4), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(h["x-llp-fallback"], MODEL, "{v}");
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
    let (s, _, _) = hold.await.unwrap();
    assert_eq!(s, 200);
    drop(w);

    // The upstream dies mid-answer: the stream ends with a clean error that says so.
    let body = json!({
        "model": MODEL, "max_tokens": 300, "ignore_eos": true, "stream": true,
        "messages": [{"role": "user", "content": "Tell a long story about a lighthouse."}],
    });
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Its one job (max_jobs = 1) is this one: another, for which no node has room either, is
    // refused.
    let (s, _, e) = chat_with_policy(&gw, &chat_body("Hi", 4), None).await;
    assert_eq!(s, 503, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("max_jobs"),
        "{e}"
    );
    let error = error_after_killing(resp, &upstream, 10).await;
    assert!(
        error.contains("paid fallback") && error.contains("broke off"),
        "{error}"
    );
    let st = gw.status().await;
    assert_eq!(st["fallback"]["failed"], 1, "{st}");
    // With the upstream gone, a job is refused with a clear error (502), not lost.
    let (s, _, e) = chat_with_policy(&gw, &chat_body("Hi", 4), None).await;
    assert_eq!(s, 502, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{e}"
    );
}

#[tokio::test]
async fn a_wrong_key_or_a_bad_fallback_config_is_refused_clearly() {
    let upstream = Node::start(&["--api-token", KEY]);
    let (gw, _dir) = gateway(&upstream, "not-the-key", &[]);
    let (s, _, e) = chat_with_policy(&gw, &chat_body("Hi", 4), None).await;
    assert_eq!(s, 502, "{e}");
    let m = e["error"]["message"].as_str().unwrap();
    assert!(m.contains("refused the job") && m.contains("401"), "{m}");
    assert!(!m.contains("not-the-key"), "{m}");

    // Plain http to another machine, a key in the URL, an unset key variable: refused at start.
    let dir = tempfile::tempdir().unwrap();
    for (table, want) in [
        ("url = \"http://example.com/v1\"", "plain http"),
        ("url = \"https://u:p@example.com/v1\"", "credentials"),
        (
            "url = \"https://example.com/v1\"\nkey_env = \"LLP_TEST_NOT_SET_ANYWHERE\"",
            "not set",
        ),
    ] {
        let config = config_file(
            dir.path(),
            &format!(
                "[fallback]\n{table}\nmodels = {{ a = \"b\" }}\nprice_input = 1.0\nprice_output = 1.0\n"
            ),
        );
        let out = run(llp()
            .args([
                "serve",
                "--model",
                "none",
                "--api",
                "127.0.0.1:0",
                "--relay",
                "disabled",
            ])
            .args(["--no-mdns", "--config", config.to_str().unwrap()])
            .arg("--data-dir")
            .arg(dir.path().join("d")));
        assert!(!out.status.success(), "{table}");
        assert!(stderr(&out).contains(want), "{table}: {}", stderr(&out));
    }
}
