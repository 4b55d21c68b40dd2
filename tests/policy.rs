//! Routing policy and prompt privacy: real `llp serve` processes on 127.0.0.1 that announce
//! regions; requests that set a policy by header and by field; a node's own policy; failover
//! under a policy; what a worker's job log keeps of a peer's prompt.

use serde_json::{Value, json};

use crate::common::*;
use crate::network::{first, joiner, served_by, until_routable};

/// Asserts a 403 from the routing policy that names `rule`, and returns its message.
fn refused_by(rule: &str, status: u16, e: &Value) -> String {
    assert_eq!(status, 403, "{e}");
    assert_eq!(e["error"]["code"], "route_policy", "{e}");
    assert_eq!(e["error"]["param"], format!("llp_policy.{rule}"), "{e}");
    e["error"]["message"].as_str().unwrap().to_string()
}

/// The ended jobs in `node`'s log, with their detail.
async fn jobs(node: &Node) -> Vec<Value> {
    let list = node.get_json("/api/jobs").await;
    let mut out = Vec::new();
    for j in list["jobs"].as_array().unwrap() {
        let id = j["id"].as_str().unwrap();
        out.push(node.get_json(&format!("/api/jobs/{id}")).await);
    }
    out
}

#[tokio::test]
async fn each_policy_level_refuses_what_it_must_and_names_the_rule() {
    // A gateway without a model on an open network; a worker in `eu` that keeps no peer text
    // (the default) and one in `us` whose operator keeps it.
    let gw = first(&["--model", "none"]);
    let eu = joiner(&gw.ticket(), &["--region", "EU"]);
    let us = joiner(&gw.ticket(), &["--region", "us", "--keep-peer-text"]);
    until_routable(&gw, &[&eu, &us]).await;
    let body = chat_body("Name a colour.", 6);

    // `local`: this machine only, and it serves no model.
    let (s, _, e) = chat_with_policy(&gw, &body, Some("route=local")).await;
    let m = refused_by("route", s, &e);
    assert!(m.contains("route `local`") && m.contains("request"), "{m}");
    // `network`: an open network's peers proved no secret.
    let (s, _, e) = chat_with_policy(&gw, &body, Some("route=network")).await;
    let m = refused_by("route", s, &e);
    assert!(m.contains("open network"), "{m}");
    // A region nobody announces.
    let mut asia = body.clone();
    asia["llp_policy"] = json!({"region": "asia"});
    let (s, _, e) = chat_with_policy(&gw, &asia, None).await;
    let m = refused_by("region", s, &e);
    assert!(m.contains("asia") && m.contains("announces"), "{m}");
    // A price ceiling below what the job could cost.
    let mut cheap = body.clone();
    cheap["llp_policy"] = json!({"max_credits": 1});
    let (s, _, e) = chat_with_policy(&gw, &cheap, None).await;
    let m = refused_by("max_credits", s, &e);
    assert!(m.contains("could cost up to"), "{m}");
    // Malformed rules are 400s that name them.
    let (s, _, e) = chat_with_policy(&gw, &body, Some("route=moon")).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["param"], "x-llp-policy", "{e}");
    let mut bad = body.clone();
    bad["llp_policy"] = json!({"regoin": "eu"});
    let (s, _, e) = chat_with_policy(&gw, &bad, None).await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("regoin"),
        "{e}"
    );

    // `eu` (any case) always goes to the eu worker; the job's detail shows the policy.
    let mut in_eu = body.clone();
    in_eu["llp_policy"] = json!({"region": ["eu", "ch"], "max_credits": 1000});
    for _ in 0..4 {
        let (s, h, e) = chat_with_policy(&gw, &in_eu, Some("route=any; max_ttft_ms=60000")).await;
        assert_eq!(s, 200, "{e}");
        assert_eq!(served_by(&h), eu.id);
    }
    let (_, h, _) = chat_with_policy(&gw, &in_eu, None).await;
    let id = h["x-llp-job"].to_str().unwrap();
    let job = gw.get_json(&format!("/api/jobs/{id}")).await;
    let p = &job["detail"]["policy"];
    assert_eq!(p["route"], "any", "{job}");
    assert_eq!(p["region"], json!(["ch", "eu"]), "{job}");
    assert_eq!(p["max_credits"], 1000, "{job}");
    assert_eq!(p["set_by"]["region"], "request", "{job}");

    // Without a region rule both workers serve; the us worker serves something.
    eventually(60, "the us worker serves a job", async || {
        let (s, h, _) = chat_with_policy(&gw, &chat_body("Say hi.", 4), None).await;
        assert_eq!(s, 200);
        (served_by(&h) == us.id).then_some(())
    })
    .await;

    // Prompt privacy: the eu worker kept sizes and timings of its peer jobs, no text; the us
    // worker's operator turned text on.
    let eu_jobs = jobs(&eu).await;
    assert!(eu_jobs.len() >= 5, "{eu_jobs:?}");
    for j in &eu_jobs {
        assert_eq!(j["detail"]["prompt"], "", "{j}");
        assert_eq!(j["detail"]["output"], "", "{j}");
        assert_eq!(j["detail"]["text_withheld"], true, "{j}");
        assert!(j["prompt_tokens"].as_u64().unwrap() > 0, "{j}");
        assert!(j["tokens"].as_u64().unwrap() > 0, "{j}");
    }
    // Its receipts too (a payment may come a moment after its job ends).
    eventually(30, "the eu worker's log holds its receipts", async || {
        let all = jobs(&eu).await;
        all.iter()
            .any(|j| !j["detail"]["settlements"].as_array().unwrap().is_empty())
            .then_some(())
    })
    .await;
    let us_jobs = jobs(&us).await;
    assert!(
        us_jobs
            .iter()
            .all(|j| !j["detail"]["prompt"].as_str().unwrap().is_empty()
                && j["detail"]["prompt"].as_str().unwrap().contains("Say hi.")),
        "{us_jobs:?}"
    );
    // The eu prompts never reached the us worker.
    assert!(
        us_jobs
            .iter()
            .all(|j| !j["detail"]["prompt"].as_str().unwrap().contains("colour")),
        "{us_jobs:?}"
    );
}

#[tokio::test]
async fn a_nodes_policy_wins_over_a_wider_request_and_binds_failover() {
    // The gateway's operator keeps prompts in `eu`. Two workers: eu and us.
    let gw = first(&["--model", "none", "--route-region", "eu"]);
    let eu = joiner(&gw.ticket(), &["--region", "eu"]);
    let us = joiner(&gw.ticket(), &["--region", "us"]);
    until_routable(&gw, &[&eu, &us]).await;
    // A request cannot widen the node's policy, nor pick a region outside it.
    let (s, h, e) = chat_with_policy(&gw, &chat_body("Hi", 4), Some("route=any")).await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(served_by(&h), eu.id);
    let mut us_only = chat_body("Hi", 4);
    us_only["llp_policy"] = json!({"region": "us"});
    let (s, _, e) = chat_with_policy(&gw, &us_only, None).await;
    let m = refused_by("region", s, &e);
    assert!(
        m.contains("no region is left") && m.contains("this node's policy"),
        "{m}"
    );

    // A long answer on the eu worker, which is killed mid-stream: the only other worker is in
    // `us`, so the job must not continue there. It ends with an error that names the policy.
    let body = json!({
        "model": MODEL, "temperature": 0, "max_tokens": 160, "ignore_eos": true, "stream": true,
        "messages": [{"role": "user", "content": "Tell a long story about a lighthouse keeper."}],
    });
    let resp = client()
        .post(gw.url("/v1/chat/completions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(served_by(resp.headers()), eu.id);
    let error = error_after_killing(resp, &eu, 10).await;
    assert!(
        error.contains("routing policy") && error.contains("region"),
        "{error}"
    );
    // The us worker never ran it.
    let s = us.status().await;
    assert_eq!(s["totals"]["jobs_done"], 0, "{s}");
    assert!(jobs(&us).await.is_empty());
}
