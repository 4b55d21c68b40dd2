//! The peer network: real `llp serve` processes on 127.0.0.1 talking over iroh (relays and mDNS
//! off), each with its own data dir, on the default model.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

/// Settings every node of these tests shares: one llama.cpp thread (several nodes share two
/// cores) and quick announcements.
pub(crate) const QUICK: [&str; 4] = ["--threads", "1", "--announce-interval-ms", "500"];

/// `head`, then [`QUICK`], then `extra`.
pub(crate) fn with<'a>(head: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    [head, &QUICK[..], extra].concat()
}

/// Starts the first node of a new network.
pub(crate) fn first(extra: &[&str]) -> Node {
    let net = format!("n{}", rand_hex());
    Node::start(&with(&["--network", &net], extra))
}

/// Like [`first`], logging at info level (for tests that read what it logged).
fn first_logged(extra: &[&str]) -> Node {
    let net = format!("n{}", rand_hex());
    Node::start_with(&with(&["--network", &net], extra), |c| {
        c.env("LLP_LOG", "info");
    })
}

/// Starts a node that joins through `ticket`.
pub(crate) fn joiner(ticket: &str, extra: &[&str]) -> Node {
    Node::start(&with(&["--join", ticket], extra))
}

/// The peer entry for `id` in a status snapshot.
pub(crate) fn peer<'a>(status: &'a Value, id: &str) -> Option<&'a Value> {
    status["peers"].as_array()?.iter().find(|p| p["id"] == id)
}

pub(crate) fn routable(status: &Value, id: &str) -> bool {
    peer(status, id).is_some_and(|p| {
        p["health"]["state"] == "ok"
            && p["paused"] == false
            && p["models"].as_array().is_some_and(|m| !m.is_empty())
    })
}

/// Waits until `node` can route jobs to each of `peers`.
pub(crate) async fn until_routable(node: &Node, peers: &[&Node]) {
    for p in peers {
        eventually(
            60,
            &format!("{} routes to {}", &node.id[..8], &p.id[..8]),
            async || routable(&node.status().await, &p.id).then_some(()),
        )
        .await;
    }
}

pub(crate) fn served_by(headers: &reqwest::header::HeaderMap) -> String {
    headers["x-llp-node"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_node_without_the_model_joins_by_ticket_and_routes_to_its_peer() {
    let a = first(&[]);
    let gw = joiner(&a.ticket(), &["--model", "none"]);
    until_routable(&gw, &[&a]).await;
    // Both sides see each other, with an address kind and an RTT.
    let s = gw.status().await;
    let p = peer(&s, &a.id).unwrap();
    assert_eq!(p["address"], "direct", "{p}");
    assert!(p["rtt_ms"].as_f64().unwrap() >= 0.0, "{p}");
    assert_eq!(s["network"]["name"], a.status().await["network"]["name"]);
    // A small network announces over gossip.
    assert_eq!(s["network"]["gossip"], true, "{s}");

    // /v1/models on the gateway lists the peer's model.
    let models = gw.get_json("/v1/models").await;
    assert_eq!(models["data"][0]["id"], MODEL, "{models}");
    assert_eq!(models["data"][0]["served_by"][0], a.id.as_str());

    // The same answer as asking the serving node directly (greedy), named by x-llp-node.
    let body = chat_body("Name three colours.", 24);
    let (status, headers, routed) = post(&gw.url("/v1/chat/completions"), &body).await;
    assert_eq!(status, 200, "{routed}");
    assert_eq!(served_by(&headers), a.id);
    let (_, _, direct) = post(&a.url("/v1/chat/completions"), &body).await;
    assert_eq!(
        routed["choices"][0]["message"]["content"],
        direct["choices"][0]["message"]["content"]
    );
    // Usage is the same (the cached count may differ: the second run reuses the first's prefix).
    assert_eq!(
        routed["usage"]["prompt_tokens"],
        direct["usage"]["prompt_tokens"]
    );
    assert_eq!(
        routed["usage"]["completion_tokens"],
        direct["usage"]["completion_tokens"]
    );

    // Streaming too: the same SSE shape, ending in [DONE], naming the peer.
    let mut sbody = body.clone();
    sbody["stream"] = json!(true);
    sbody["stream_options"] = json!({"include_usage": true});
    let (status, events) = stream(&gw.url("/v1/chat/completions"), &sbody).await;
    assert_eq!(status, 200);
    assert_eq!(events.last().unwrap(), "[DONE]");
    assert_eq!(
        streamed_text(&events),
        direct["choices"][0]["message"]["content"].as_str().unwrap()
    );
    let usage = events.iter().find(|e| e["usage"].is_object()).unwrap();
    assert_eq!(
        usage["usage"]["completion_tokens"],
        direct["usage"]["completion_tokens"]
    );

    // Errors from the peer come back as the same HTTP errors. The credits the gateway held for
    // the refused job come back at once, by the peer's waiver of the hold: the chain's hold
    // and its release.
    let ledger = |s: serde_json::Value| {
        let l = &s["ledger"];
        (
            l["balance"].as_u64().unwrap(),
            l["entries"].as_u64().unwrap(),
        )
    };
    let (balance, entries) = ledger(gw.status().await);
    let mut long = chat_body(&"word ".repeat(3000), 8);
    long["max_tokens"] = json!(8);
    let (status, _, e) = post(&gw.url("/v1/chat/completions"), &long).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"]["code"], "context_length_exceeded", "{e}");
    assert_eq!(ledger(gw.status().await), (balance, entries + 2));
    let (status, _, e) = post(
        &gw.url("/v1/chat/completions"),
        &json!({"model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(status, 404, "{e}");

    // The serving node's status shows the job was for the gateway while it ran; afterwards
    // its totals count it.
    let a_status = a.status().await;
    assert!(
        a_status["totals"]["jobs_done"].as_u64().unwrap() >= 3,
        "{a_status}"
    );
}

#[tokio::test]
async fn a_paused_node_routes_its_own_request_to_a_peer() {
    let a = first(&[]);
    let b = joiner(&a.ticket(), &["--paused"]);
    until_routable(&b, &[&a]).await;
    let (status, headers, v) = post(&b.url("/v1/chat/completions"), &chat_body("Say hi.", 8)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        served_by(&headers),
        a.id,
        "a paused node sends its own work to peers"
    );
    // And A does not send work to B while B is paused.
    eventually(20, "A sees B paused", async || {
        let s = a.status().await;
        peer(&s, &b.id)
            .is_some_and(|p| p["paused"] == true)
            .then_some(())
    })
    .await;
    // Resuming is announced.
    let (status, _, _) = post(&b.url("/api/contribution"), &json!({"paused": false})).await;
    assert_eq!(status, 200);
    until_routable(&a, &[&b]).await;
}

#[tokio::test]
async fn a_private_network_refuses_an_outsider() {
    let net = format!("p{}", rand_hex());
    let a = Node::start(&with(
        &["--network", &net, "--network-secret", "right-secret"],
        &[],
    ));
    // A member with the secret (carried by the ticket) joins.
    let member = joiner(&a.ticket(), &["--model", "none"]);
    until_routable(&member, &[&a]).await;
    // An outsider with the ticket's address but the wrong secret.
    let outsider_ticket = ticket_without_secret(&a.ticket());
    let outsider = Node::start(&with(
        &["--network", &net, "--network-secret", "wrong-secret"],
        &["--join", &outsider_ticket, "--model", "none"],
    ));
    // The outsider's status says why it cannot reach A.
    let reason = eventually(30, "the outsider sees why A refuses it", async || {
        let s = outsider.status().await;
        let p = peer(&s, &a.id)?;
        (p["health"]["state"] == "unreachable")
            .then(|| p["health"]["reason"].as_str().unwrap().to_string())
    })
    .await;
    assert!(reason.contains("network"), "{reason}");
    // A logged the attempt.
    eventually(10, "A logs the refused attempt", async || {
        a.log_text()
            .contains("tried to join without the network secret")
            .then_some(())
    })
    .await;
    // No prompt reaches A from the outsider: it has no node to route to.
    let (status, _, e) = post(
        &outsider.url("/v1/chat/completions"),
        &chat_body("secret prompt", 4),
    )
    .await;
    assert_eq!(status, 404, "{e}");
    let s = a.status().await;
    assert_eq!(s["totals"]["jobs_done"], 0, "{s}");
    assert!(
        peer(&s, &outsider.id).is_none_or(|p| p["health"]["state"] != "ok"),
        "{s}"
    );
    // The member still works, also under `route=network`: its peers proved the secret.
    let (status, headers, _) = post(&member.url("/v1/chat/completions"), &chat_body("hi", 4)).await;
    assert_eq!(status, 200);
    assert_eq!(served_by(&headers), a.id);
    let mut body = chat_body("hi", 4);
    body["llp_policy"] = serde_json::json!({"route": "network"});
    let (status, headers, e) = post(&member.url("/v1/chat/completions"), &body).await;
    assert_eq!(status, 200, "{e}");
    assert_eq!(served_by(&headers), a.id);
}

fn ticket_without_secret(ticket: &str) -> String {
    let mut t = local_llm_proxy::net::Ticket::decode(ticket).unwrap();
    t.secret = None;
    t.encode()
}

#[tokio::test]
async fn twenty_concurrent_requests_spread_over_three_nodes() {
    let a = first(&["--slots", "2"]);
    let b = joiner(&a.ticket(), &["--slots", "2"]);
    let c = joiner(&a.ticket(), &["--slots", "2"]);
    until_routable(&a, &[&b, &c]).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let url = a.url("/v1/chat/completions");
        tasks.push(tokio::spawn(async move {
            post(&url, &chat_body(&format!("Count to {}.", i % 5 + 3), 24)).await
        }));
    }
    let mut by = std::collections::HashMap::new();
    for t in tasks {
        let (status, headers, v) = t.await.unwrap();
        assert_eq!(status, 200, "{v}");
        assert!(v["usage"]["completion_tokens"].as_u64().unwrap() > 0);
        *by.entry(served_by(&headers)).or_insert(0) += 1;
    }
    for n in [&a, &b, &c] {
        let got = by.get(&n.id).copied().unwrap_or(0);
        assert!(
            got >= 3,
            "each node has 2 slots of 6; {} served {got}: {by:?}",
            &n.id[..8]
        );
    }
}

#[tokio::test]
async fn a_peer_killed_mid_stream_is_replaced_without_losing_a_token() {
    let gw = first_logged(&["--model", "none"]);
    let b = joiner(&gw.ticket(), &[]);
    let c = joiner(&gw.ticket(), &[]);
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
    let first_server = served_by(resp.headers());
    let (victim, survivor) = if first_server == b.id {
        (&b, &c)
    } else {
        (&c, &b)
    };
    assert_eq!(victim.id, first_server);
    let mut chunks = 0;
    let mut killed = false;
    let mut events: Vec<Value> = Vec::new();
    // Read as it streams (the kill lands mid-answer); it must still end with [DONE].
    local_llm_proxy::client::read_sse(resp, |d| {
        let e: Value = serde_json::from_str(d).unwrap();
        if local_llm_proxy::client::delta_text(&e).is_some_and(|t| !t.is_empty()) {
            chunks += 1;
        }
        if chunks == 20 && !killed {
            victim.signal("KILL");
            killed = true;
        }
        events.push(e);
    })
    .await
    .expect("the stream ends with [DONE]");
    assert!(killed, "the stream ended before 20 chunks");
    let text = streamed_text(&events);
    let last = events
        .iter()
        .rev()
        .find(|e| e["choices"][0]["finish_reason"].is_string())
        .unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "length", "{last}");
    assert_eq!(last["llp_served_by"], survivor.id.as_str(), "{last}");
    let usage = events.iter().find(|e| e["usage"].is_object()).unwrap();
    assert_eq!(usage["usage"]["completion_tokens"], 160, "{usage}");
    // No token duplicated or missing: the same greedy answer the survivor gives on its own.
    let mut direct = body.clone();
    direct["stream"] = json!(false);
    direct.as_object_mut().unwrap().remove("stream_options");
    let (_, _, v) = post(&survivor.url("/v1/chat/completions"), &direct).await;
    assert_eq!(
        text,
        v["choices"][0]["message"]["content"].as_str().unwrap()
    );
    // The failed peer is scored down in the gateway's table.
    let s = gw.status().await;
    if let Some(p) = peer(&s, &victim.id) {
        assert!(p["reliability"].as_f64().unwrap() < 0.67, "{p}");
    }
    assert!(gw.log_text().contains("failing over"), "{}", gw.log_text());
}

#[tokio::test]
async fn a_silent_peer_is_evicted_and_readmitted_when_it_answers_again() {
    // A long expiry, so that eviction (not expiry) is what takes B out of routing.
    let a = first_logged(&["--peer-expiry-ms", "120000"]);
    let b = joiner(&a.ticket(), &[]);
    until_routable(&a, &[&b]).await;
    b.signal("STOP");
    eventually(40, "A evicts the silent B", async || {
        let s = a.status().await;
        let p = peer(&s, &b.id)?;
        (p["health"]["state"] == "evicted").then_some(())
    })
    .await;
    // Jobs meanwhile are served by A itself, not sent to B.
    let (status, headers, _) = post(&a.url("/v1/chat/completions"), &chat_body("hi", 4)).await;
    assert_eq!(status, 200);
    assert_eq!(served_by(&headers), a.id);
    b.signal("CONT");
    eventually(60, "A readmits B", async || {
        routable(&a.status().await, &b.id).then_some(())
    })
    .await;
    assert!(a.log_text().contains("readmitted"), "{}", a.log_text());
}

#[tokio::test]
async fn announcements_expire_and_a_leaving_node_is_forgotten_at_once() {
    let a = first_logged(&["--peer-expiry-ms", "3000"]);
    let b = joiner(&a.ticket(), &[]);
    let c = joiner(&a.ticket(), &[]);
    until_routable(&a, &[&b, &c]).await;
    // SIGTERM: C says it leaves.
    c.signal("TERM");
    let t = Instant::now();
    eventually(20, "A forgets C", async || {
        peer(&a.status().await, &c.id).is_none().then_some(())
    })
    .await;
    assert!(
        a.log_text().contains("left the network"),
        "{}",
        a.log_text()
    );
    let left_after = t.elapsed();
    // SIGKILL: B says nothing; its announcements expire.
    b.signal("KILL");
    eventually(30, "B's announcements expire", async || {
        peer(&a.status().await, &b.id).is_none().then_some(())
    })
    .await;
    assert!(
        a.log_text().contains("no announcement for"),
        "{}",
        a.log_text()
    );
    eprintln!("leaving node forgotten after {left_after:?}");
    assert!(left_after < Duration::from_secs(10));
}

#[tokio::test]
async fn invite_prints_the_running_nodes_ticket() {
    let empty = tempfile::tempdir().unwrap();
    let out = run(llp().arg("invite").arg("--data-dir").arg(empty.path()));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no node is running"),
        "{}",
        stderr(&out)
    );

    let a = Node::start(&["--network", "invite-test", "--network-secret", "s"]);
    let out = run(llp().arg("invite").arg("--data-dir").arg(a.data_dir()));
    assert!(out.status.success(), "{}", stderr(&out));
    let t = local_llm_proxy::net::Ticket::decode(stdout(&out).trim()).unwrap();
    assert_eq!(t.contact.id, a.id);
    assert_eq!(t.network, "invite-test");
    assert_eq!(t.secret.as_deref(), Some("s"));
    assert!(
        t.contact.addrs.iter().any(|a| a.ip().is_loopback()),
        "{t:?}"
    );
    let out = run(llp()
        .args(["invite", "--no-secret"])
        .arg("--data-dir")
        .arg(a.data_dir()));
    let t = local_llm_proxy::net::Ticket::decode(stdout(&out).trim()).unwrap();
    assert_eq!(t.secret, None);
    assert!(
        stderr(&out).contains("--network-secret"),
        "{}",
        stderr(&out)
    );
    // A damaged ticket is a usage error that says what is wrong.
    let out = run(llp()
        .args(["serve", "--join", "llp1notbase32!!", "--api", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(empty.path()));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ticket is damaged"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn demo_runs_a_three_node_network_and_cleans_up() {
    let out = run(llp()
        .args(["demo", "--nodes", "3", "--requests", "9", "--once"])
        .arg("--models-dir")
        .arg(models_dir()));
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(text.contains("node-0 sees all 2 peers"), "{text}");
    let served: Vec<usize> = ["node-0", "node-1", "node-2"]
        .iter()
        .map(|n| {
            text.lines()
                .find(|l| {
                    l.trim_start().starts_with(n) && l.contains('#')
                        || l.trim() == format!("{n}   0  ")
                })
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|c| c.parse().ok())
                .unwrap_or(0)
        })
        .collect();
    assert_eq!(served.iter().sum::<usize>(), 9, "{text}");
    assert!(
        served.iter().filter(|&&n| n > 0).count() >= 2,
        "spread over nodes: {served:?}\n{text}"
    );
    let dir = text
        .lines()
        .next()
        .and_then(|l| l.rsplit(" in ").next())
        .unwrap()
        .trim()
        .to_string();
    assert!(dir.contains("llp-demo-"), "{text}");
    assert!(!std::path::Path::new(&dir).exists(), "{dir} removed");
}

#[tokio::test]
async fn saturated_peers_make_requests_wait_in_a_bounded_queue_then_refuse() {
    let a = first(&["--slots", "1"]);
    let gw = joiner(&a.ticket(), &["--model", "none", "--queue-limit", "2"]);
    until_routable(&gw, &[&a]).await;
    let long = |i: usize| {
        json!({"model": MODEL, "max_tokens": 48, "ignore_eos": true, "temperature": 0,
               "messages": [{"role": "user", "content": format!("Story number {i}.")}]})
    };
    let mut tasks = Vec::new();
    for i in 0..6 {
        let url = gw.url("/v1/chat/completions");
        let body = long(i);
        tasks.push(tokio::spawn(async move {
            let resp = client().post(url).json(&body).send().await.unwrap();
            let status = resp.status().as_u16();
            let retry = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let v: Value = resp.json().await.unwrap();
            (status, retry, v)
        }));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // While they run, status shows who waits and where.
    let waiting = eventually(20, "status shows waiting jobs", async || {
        let s = gw.status().await;
        let w: Vec<String> = s["jobs"]
            .as_array()?
            .iter()
            .filter_map(|j| {
                j["state"]
                    .as_str()
                    .filter(|st| st.starts_with("waiting"))
                    .map(String::from)
            })
            .collect();
        (!w.is_empty()).then_some(w)
    })
    .await;
    assert!(
        waiting.iter().any(|w| w.contains("position 1 of")),
        "{waiting:?}"
    );
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        let (status, retry, v) = t.await.unwrap();
        match status {
            200 => {
                ok += 1;
                assert_eq!(v["usage"]["completion_tokens"], 48, "{v}");
            }
            503 => {
                refused += 1;
                assert!(retry.is_some(), "503 without Retry-After: {v}");
                assert_eq!(v["error"]["code"], "server_busy", "{v}");
            }
            other => panic!("{other}: {v}"),
        }
    }
    // One slot runs, two wait, the rest are refused at once: none is lost.
    assert_eq!(ok + refused, 6);
    assert!(
        ok >= 3,
        "the running job and the two waiting ones complete: {ok} ok, {refused} refused"
    );
    assert!(refused >= 1, "past the bound requests are refused: {ok} ok");
}

#[tokio::test]
async fn nodes_on_one_lan_find_each_other_over_mdns_without_a_ticket() {
    let net = format!("m{}", rand_hex());
    // The harness turns mDNS off for every other test; these two turn it back on.
    let lan = |extra: &[&str]| Node::start(&with(&["--network", &net, "--no-mdns=false"], extra));
    let a = lan(&[]);
    let b = lan(&["--model", "none"]);
    until_routable(&b, &[&a]).await;
    let (status, headers, _) = post(&b.url("/v1/chat/completions"), &chat_body("hi", 4)).await;
    assert_eq!(status, 200);
    assert_eq!(served_by(&headers), a.id);
}

#[tokio::test]
async fn a_restarted_node_finds_its_peers_again_without_a_ticket() {
    let net = format!("r{}", rand_hex());
    let args = with(&["--network", &net], &[]);
    let a = Node::start(&args);
    let b = joiner(&a.ticket(), &[]);
    until_routable(&a, &[&b]).await;
    until_routable(&b, &[&a]).await;
    let old_port = a.ticket();
    // A was everyone's bootstrap; it comes back on a new port, with no ticket.
    let a = a.restart(&args);
    assert_ne!(
        a.ticket(),
        old_port,
        "a new P2P port (so only A can find B again)"
    );
    until_routable(&a, &[&b]).await;
    until_routable(&b, &[&a]).await;
    let (status, headers, _) = post(&a.url("/v1/chat/completions"), &chat_body("hi", 4)).await;
    assert_eq!(status, 200);
    assert!([a.id.as_str(), b.id.as_str()].contains(&served_by(&headers).as_str()));
    let saved = std::fs::read_to_string(a.data_dir().join("peers.json")).unwrap_or_default();
    assert!(saved.contains(&b.id), "{saved}");
}

/// Without gossip, a node finds a worker it has not heard of by looking up the model's provider
/// records: the worker published its record to the nodes closest to the model's key (here the
/// one node both know), and a gateway that knows only that node asks it.
#[tokio::test]
async fn without_gossip_a_gateway_finds_a_worker_by_its_provider_record() {
    let hub = first(&["--model", "none", "--no-gossip"]);
    let worker = joiner(&hub.ticket(), &["--no-gossip"]);
    eventually(
        60,
        "the hub holds the worker's provider record",
        async || {
            let s = hub.status().await;
            (s["network"]["provider_records"].as_u64() >= Some(1)).then_some(())
        },
    )
    .await;
    let s = hub.status().await;
    assert_eq!(s["network"]["gossip"], false, "{s}");
    let gw = Node::start_with(
        &with(
            &["--join", &hub.ticket()],
            &["--model", "none", "--no-gossip"],
        ),
        |c| {
            c.env("LLP_LOG", "info");
        },
    );
    // The gateway's request looks the model up, and goes to the worker.
    let (status, headers, v) =
        post(&gw.url("/v1/chat/completions"), &chat_body("Say hi.", 8)).await;
    assert_eq!(status, 200, "{v}\n{}", gw.log_text());
    assert_eq!(served_by(&headers), worker.id);
    eventually(20, "the gateway logs its lookup", async || {
        gw.log_text().contains("found by lookup").then_some(())
    })
    .await;
    let log = gw.log_text();
    assert!(
        log.contains(&format!("providers of {MODEL}: 1 found by lookup")),
        "{log}"
    );
    // Its lookup of its own id told it the network's size, from the nodes that answered.
    eventually(20, "the gateway estimates three nodes", async || {
        let s = gw.status().await;
        (s["network"]["size_estimate"] == 3 && s["network"]["gossip"] == false).then_some(())
    })
    .await;
}
