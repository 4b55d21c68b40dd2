//! Pipelines: a model that fits no single node (a memory limit per node stands in for a small
//! GPU), served by a coordinator that holds its ends and peers that run its layers
//! (`net::pipeline`). The answers are held to the whole model's on the same engine.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};

use crate::common::*;
use crate::network::{first, joiner, served_by};

/// Ten prompts whose greedy answers the pipelines must give token for token.
const PROMPTS: [&str; 10] = [
    "Name three colors.",
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "Count from one to ten in words.",
    "Explain in one sentence what a CPU does.",
    "Give me a synonym for happy.",
    "What do bees make?",
    "Say hello in Spanish.",
    "List two planets.",
    "What is two plus two?",
];

/// A coordinator's memory: the whole model (174 MiB with its margins) does not fit, its ends
/// (the embedding as f32 and the head, ~140 MB) do.
const COORDINATOR_MEMORY: &str = "150MiB";

/// A prompt of some 1,500 tokens: bigger than one frame's rows (1,364 of SmolLM2's), so its
/// steps cross the wire in several frames and run as one forward pass.
fn long_prompt() -> String {
    let line = "The keeper climbed the stairs of the lighthouse and lit the lamp again. ";
    format!("{}What did the keeper do?", line.repeat(100))
}

/// The greedy answers of the whole model on one candle node: to [`PROMPTS`], then to
/// [`long_prompt`].
async fn whole_answers(max_tokens: u32) -> Vec<String> {
    let whole = Node::start(&["--engine", "candle"]);
    let mut out = Vec::new();
    let long = long_prompt();
    for p in PROMPTS.iter().copied().chain([long.as_str()]) {
        let (code, _, v) = post(
            &whole.url("/v1/chat/completions"),
            &chat_body(p, max_tokens),
        )
        .await;
        assert_eq!(code, 200, "{v}");
        out.push(content(&v));
    }
    out
}

fn content(v: &Value) -> String {
    v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The first answer of `coordinator`'s pipeline: retried while its hosts' room and files are
/// still being announced.
async fn first_answer(coordinator: &Node, body: &Value) -> Value {
    let url = coordinator.url("/v1/chat/completions");
    eventually(90, "the pipeline answers", async || {
        let (code, _, v) = post(&url, body).await;
        (code == 200).then_some(v)
    })
    .await
}

/// The pipelines `node` coordinates, from its status.
async fn pipelines(node: &Node) -> Vec<Value> {
    node.status().await["network"]["pipelines"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Its stages' layer ranges, and that they cover the model's layers in order.
fn ranges(p: &Value) -> Vec<[u64; 2]> {
    let layers = p["layers"].as_u64().unwrap();
    let r: Vec<[u64; 2]> = p["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let l = s["layers"].as_array().unwrap();
            [l[0].as_u64().unwrap(), l[1].as_u64().unwrap()]
        })
        .collect();
    let mut at = 0;
    for [a, b] in &r {
        assert_eq!(*a, at, "{p}");
        assert!(b > a, "{p}");
        at = *b;
    }
    assert_eq!(at, layers, "{p}");
    r
}

/// In one process, no network: the ends and two or three ranges of layers, composed, give the
/// whole candle model's logits bit for bit, for a prompt in one pass and then token by token.
#[test]
fn stages_composed_compute_the_whole_models_logits_exactly() {
    use local_llm_proxy::engine::{candle, stage};
    let path = model_path();
    let layout = stage::layout(&path).unwrap();
    eprintln!(
        "{} layers of {:?} bytes, hidden {}, ends {} bytes; all layers as one stage need {}",
        layout.layers(),
        &layout.layer_bytes[..2],
        layout.hidden,
        layout.ends_bytes,
        layout.stage_bytes(0..layout.layers())
    );
    let whole = candle::Model::load(&path, 2).unwrap();
    let tokens: Vec<u32> = vec![
        1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 30, 2, 198, 1, 4093,
    ];
    let mut expected = Vec::new();
    whole
        .logits_from(&tokens, 9, |i, row| {
            expected.push((i, row));
            Ok(())
        })
        .unwrap();
    let ends = stage::Ends::load(&path).unwrap();
    let n = layout.layers();
    for cuts in [vec![0, n / 2, n], vec![0, 7, 19, n]] {
        let mut sessions: Vec<stage::Session> = cuts
            .windows(2)
            .map(|w| stage::Layers::load(&path, w[0]..w[1]).unwrap().session())
            .collect();
        let mut run = |toks: &[u32], pos: usize| {
            let mut x = ends.embed(toks).unwrap();
            for s in &mut sessions {
                x = s.forward(&x, toks.len(), pos).unwrap();
            }
            ends.logits(&x, toks.len()).unwrap()
        };
        // As the whole model was run: the first ten tokens in one pass, then one at a time.
        let mut got = vec![(9, run(&tokens[..10], 0))];
        for i in 10..tokens.len() {
            got.push((i, run(&tokens[i..=i], i)));
        }
        assert_eq!(got.len(), expected.len());
        for ((i, a), (j, b)) in got.iter().zip(&expected) {
            assert_eq!(i, j);
            assert!(a == b, "cuts {cuts:?}: the logits after token {i} differ");
        }
    }
}

#[tokio::test]
async fn a_model_split_in_two_and_in_three_stages_answers_as_the_whole_model_does() {
    let expected = whole_answers(24).await;
    let hosts = ["--model", "none", "--memory-limit", "200MiB"];
    let h1 = first(&hosts);
    let t = h1.ticket();
    let h2 = joiner(&t, &hosts);
    let h3 = joiner(&t, &hosts);
    let mut coordinators = Vec::new();
    for stages in ["2", "3"] {
        let c = joiner(
            &t,
            &[
                "--memory-limit",
                COORDINATOR_MEMORY,
                "--pipeline-stages",
                stages,
                // No checks: what the coordinator pays is the jobs' price, exactly.
                "--pipeline-checks",
                "0",
            ],
        );
        // What each job costs on one node: the stages' shares add up to it.
        let price = |v: &Value| {
            let u = &v["usage"];
            let tokens =
                u["prompt_tokens"].as_u64().unwrap() + u["completion_tokens"].as_u64().unwrap();
            test_policy().price(crate::economy::PARAMETERS, "q4_1", tokens)
        };
        let mut owed = price(&first_answer(&c, &chat_body(PROMPTS[0], 24)).await);
        let long = long_prompt();
        for (p, want) in PROMPTS
            .iter()
            .copied()
            .chain([long.as_str()])
            .zip(&expected)
        {
            let (code, headers, v) = post(&c.url("/v1/chat/completions"), &chat_body(p, 24)).await;
            assert_eq!(code, 200, "{v}");
            assert_eq!(served_by(&headers), c.id, "the coordinator serves it");
            assert_eq!(
                &content(&v),
                want,
                "{stages} stages, prompt {:?}",
                &p[..p.len().min(40)]
            );
            owed += price(&v);
        }
        let p = pipelines(&c).await;
        assert_eq!(p.len(), 1, "{p:?}");
        let r = ranges(&p[0]);
        assert_eq!(r.len(), stages.parse::<usize>().unwrap(), "{p:?}");
        for s in p[0]["stages"].as_array().unwrap() {
            assert!(s["steps"].as_u64().unwrap() > 0, "{s}");
            assert!([&h1.id, &h2.id, &h3.id].contains(&&s["node"].as_str().unwrap().to_string()));
        }
        let models = c.status().await["models"].clone();
        assert_eq!(models[0]["pipeline"], true, "{models}");
        // The coordinator paid its stages what the jobs cost on one node, no more, no less.
        let grant = test_policy().starter_grant;
        eventually(30, "the coordinator pays its stages", async || {
            (crate::economy::ledger_of(&c).await.1 + owed == grant).then_some(())
        })
        .await;
        coordinators.push((c, owed));
    }
    // Every credit spent was earned by a stage: the hosts' balances grew by what the
    // coordinators paid, and every chain verifies.
    let paid: u64 = coordinators.iter().map(|(_, o)| o).sum();
    let grant = test_policy().starter_grant;
    eventually(60, "the stages record their earnings", async || {
        let mut sum = 0;
        for h in [&h1, &h2, &h3] {
            sum += crate::economy::ledger_of(h).await.1;
        }
        (sum == 3 * grant + paid).then_some(())
    })
    .await;
    for n in [&h1, &h2, &h3]
        .into_iter()
        .chain(coordinators.iter().map(|(c, _)| c))
    {
        assert_chain_verifies(n.data_dir());
    }
    // Each host says which layers it runs, and for whom: between them, the two splits.
    let mut hosted = std::collections::BTreeSet::new();
    for h in [&h1, &h2, &h3] {
        let s = h.status().await;
        for st in s["network"]["stages"].as_array().unwrap() {
            assert!(st["steps"].as_u64().unwrap() > 0, "{st}");
            hosted.insert(st["layers"].to_string());
        }
    }
    for want in ["[0,10]", "[10,20]", "[20,30]"] {
        assert!(hosted.contains(want), "{hosted:?}");
    }
}

#[tokio::test]
async fn a_stage_killed_mid_answer_is_planned_again_and_the_answer_completes() {
    let body = json!({
        "model": MODEL, "temperature": 0, "max_tokens": 96, "ignore_eos": true,
        "messages": [{"role": "user", "content": "Tell a long story about a lighthouse keeper."}],
    });
    let whole = Node::start(&["--engine", "candle"]);
    let (code, _, v) = post(&whole.url("/v1/chat/completions"), &body).await;
    assert_eq!(code, 200, "{v}");
    let expected = content(&v);
    drop(whole);
    let hosts = ["--model", "none", "--memory-limit", "200MiB"];
    let h1 = first(&hosts);
    let t = h1.ticket();
    let nodes = [h1, joiner(&t, &hosts), joiner(&t, &hosts)];
    // One slot: one sequence, whose stages the status names.
    let c = joiner(
        &t,
        &[
            "--memory-limit",
            COORDINATOR_MEMORY,
            "--pipeline-stages",
            "2",
            "--slots",
            "1",
        ],
    );
    first_answer(&c, &chat_body("Hi.", 4)).await;
    let victim = pipelines(&c).await[0]["stages"][1]["node"]
        .as_str()
        .unwrap()
        .to_string();
    let victim_node = nodes.iter().find(|n| n.id == victim).unwrap();
    let mut streaming = body.clone();
    streaming["stream"] = json!(true);
    streaming["stream_options"] = json!({"include_usage": true});
    let resp = client()
        .post(c.url("/v1/chat/completions"))
        .json(&streaming)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut chunks = 0;
    let mut killed = false;
    let mut events: Vec<Value> = Vec::new();
    local_llm_proxy::client::read_sse(resp, |d| {
        let e: Value = serde_json::from_str(d).unwrap();
        if local_llm_proxy::client::delta_text(&e).is_some_and(|t| !t.is_empty()) {
            chunks += 1;
        }
        if chunks == 20 && !killed {
            victim_node.signal("KILL");
            killed = true;
        }
        events.push(e);
    })
    .await
    .expect("the stream ends with [DONE]");
    assert!(killed, "the stream ended before 20 chunks");
    // Every token once: the whole model's greedy answer.
    assert_eq!(streamed_text(&events), expected);
    let usage = events.iter().find(|e| e["usage"].is_object()).unwrap();
    assert_eq!(usage["usage"]["completion_tokens"], 96, "{usage}");
    let p = &pipelines(&c).await[0];
    assert!(p["replans"].as_u64().unwrap() >= 1, "{p}");
    assert_eq!(ranges(p).len(), 2, "{p}");
    let now: Vec<&str> = p["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["node"].as_str().unwrap())
        .collect();
    assert!(!now.contains(&victim.as_str()), "{p}");
    // The job's detail lists its stages: the two it started on (replaced), then the two it
    // ended on, which cover the layers, each with its work.
    // The job log is oldest first: the streamed job is its last.
    let jobs = c.get_json("/api/jobs").await;
    let id = jobs["jobs"].as_array().unwrap().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job: Value = c.get_json(&format!("/api/jobs/{id}")).await;
    let stages = job["detail"]["stages"].as_array().unwrap();
    let replaced: Vec<&Value> = stages.iter().filter(|s| s["replaced"] == true).collect();
    let last: Vec<&Value> = stages.iter().filter(|s| s["replaced"] != true).collect();
    assert!(
        replaced.iter().any(|s| s["node"] == victim.as_str()),
        "{job}"
    );
    assert_eq!(last.len(), 2, "{job}");
    assert_eq!(last[0]["layers"], json!([0, 15]), "{job}");
    assert_eq!(last[1]["layers"], json!([15, 30]), "{job}");
    for s in stages {
        assert!(s["round_trip_ms"].as_f64().unwrap() > 0.0, "{job}");
    }
    assert!(
        last.iter()
            .all(|s| s["node"] != victim.as_str() && s["steps"].as_u64().unwrap() > 20)
    );
}

#[tokio::test]
async fn a_host_asked_for_more_than_its_memory_refuses_and_the_plan_changes() {
    use local_llm_proxy::net::wire::{self, Reply};
    let expected = whole_answers(16).await;
    // Hosts of 60 MiB: the 30 layers (~77 MB with margins) need two of them.
    let hosts = ["--model", "none", "--memory-limit", "60MiB"];
    let h1 = first(&hosts);
    let t = h1.ticket();
    let _h2 = joiner(&t, &hosts);
    // A host asked for all the layers refuses, and says what they need and what it has.
    let (code, msg) = ask_for_stage(&h1, [0, 30]).await;
    assert_eq!(code, "busy", "{msg}");
    // Their weights (79.3 MiB with margins) and a KV cache of 256 positions (11.2 MiB).
    assert!(
        msg.contains("need 90.6 MiB") && msg.contains("of its 60.0 MiB"),
        "{msg}"
    );
    // A peer that claims room for everything and refuses: the coordinator plans it first (one
    // stage), is refused, and plans again on the two hosts.
    // Sequences of 256 positions: 15 layers and their KV caches fit a 60 MiB host.
    let c = joiner(
        &t,
        &[
            "--memory-limit",
            COORDINATOR_MEMORY,
            "--pipeline-stages",
            "1",
            "--ctx-size",
            "256",
        ],
    );
    let (liar_id, _) = fake_host(&c, |_, mut tx, _| async move {
        let no = Reply::refused(
            wire::RefuseCode::Busy,
            "layers 0..30 need 79.3 MiB; this node has 0 B free",
        );
        let _ = wire::write(&mut tx, &no).await;
        let _ = tx.finish();
    })
    .await;
    // Until the coordinator knows the liar's claim, and both hosts' room.
    eventually(60, "the coordinator sees the liar's room", async || {
        let s = c.status().await;
        let peers = s["peers"].as_array().unwrap();
        let room = |p: &&Value| p["stage_free"].as_u64().unwrap_or(0) > 0;
        (peers.iter().filter(room).count() == 3
            && peers
                .iter()
                .any(|p| p["id"] == liar_id.as_str() && room(&p)))
        .then_some(())
    })
    .await;
    first_answer(&c, &chat_body(PROMPTS[0], 16)).await;
    for (p, want) in PROMPTS.iter().zip(&expected).take(3) {
        let (code, _, v) = post(&c.url("/v1/chat/completions"), &chat_body(p, 16)).await;
        assert_eq!(code, 200, "{v}");
        assert_eq!(&content(&v), want, "prompt {p:?}");
    }
    // A request whose policy keeps the prompt here, in regions, or under a price ceiling is
    // refused, the rule named: the stages would see it, chosen by none of those.
    for (policy, rule) in [
        ("route=local", "route"),
        ("region=eu", "region"),
        ("max_credits=1000", "max_credits"),
    ] {
        let (code, _, v) = chat_with_policy(&c, &chat_body("Hi.", 4), Some(policy)).await;
        assert_eq!(code, 403, "{policy}: {v}");
        assert_eq!(v["error"]["param"], format!("llp_policy.{rule}"), "{v}");
    }
    let p = &pipelines(&c).await[0];
    assert_eq!(ranges(p).len(), 2, "two hosts of 60 MiB: {p}");
    assert!(p["replans"].as_u64().unwrap() >= 1, "{p}");
    assert!(
        p["last_failure"].as_str().unwrap().contains("refused"),
        "{p}"
    );
}

/// A hand-built member of `host`'s network, which offers no file, asks it to run `layers` of
/// the default model for sequences of 256 positions: its refusal's code and message.
async fn ask_for_stage(host: &Node, layers: [u32; 2]) -> (String, String) {
    use local_llm_proxy::net::wire::{self, Request};
    let at = crate::wire::attacker(host).await;
    let conn = at.member().await;
    let (mut tx, mut rx) = conn.open_bi().await.unwrap();
    let ask = Request::Stage {
        job: "pipe-test".into(),
        model: format!("{MODEL}:q4_1"),
        layers,
        positions: 256,
    };
    wire::write(&mut tx, &ask).await.unwrap();
    crate::wire::refused(wire::read(&mut rx, wire::MAX_SMALL_FRAME).await.unwrap())
}

/// A hand-built peer in `node`'s network that announces the model's file and 100 GiB of room
/// for stages (so a coordinator plans it first), answers pings, counts the payments it is sent,
/// and hands each `Stage` request and its streams to `stage`. Its id, and the payments.
async fn fake_host<F, Fut>(node: &Node, stage: F) -> (String, Arc<AtomicU32>)
where
    F: Fn(
            local_llm_proxy::net::wire::Request,
            iroh::endpoint::SendStream,
            iroh::endpoint::RecvStream,
        ) -> Fut
        + Send
        + Sync
        + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    use local_llm_proxy::net::wire::{self, FileAd, Reply, Request};
    let fake = crate::wire::attacker(node).await;
    let id = fake.id();
    let conn = fake.member().await;
    let addr = fake.ep.bound_sockets()[0];
    let network = fake.ticket.network.clone();
    let (key, topic) = (fake.ep.secret_key().clone(), fake.topic());
    let paid = Arc::new(AtomicU32::new(0));
    let paid2 = paid.clone();
    tokio::spawn(async move {
        let _fake = fake;
        let mut seq = 1;
        while let Ok((mut tx, mut rx)) = conn.accept_bi().await {
            let Ok(Some(req)) = wire::read::<Request, _>(&mut rx, wire::MAX_FRAME).await else {
                continue;
            };
            let reply = match req {
                Request::GetAnnouncement => {
                    seq += 1;
                    let mut a = wire::Announcement::new(seq, &network, vec![]);
                    a.addrs = vec![addr];
                    a.files = vec![FileAd {
                        model: format!("{MODEL}:q4_1"),
                        blake3: "ab".repeat(32),
                        size: 98_362_432,
                    }];
                    a.stage_free = 100 << 30;
                    Reply::Announcement {
                        signed: wire::seal(&key, &topic, &a),
                    }
                }
                Request::Ping { nonce } => Reply::Pong { nonce },
                Request::Paid { .. } => {
                    paid2.fetch_add(1, Ordering::SeqCst);
                    continue;
                }
                req @ Request::Stage { .. } => {
                    tokio::spawn(stage(req, tx, rx));
                    continue;
                }
                _ => continue,
            };
            let _ = wire::write(&mut tx, &reply).await;
            let _ = tx.finish();
        }
    });
    (id, paid)
}

/// A stage that runs its layers and hands back made-up rows (each off by a quarter) is caught
/// by the check of another node, settled by a third, banned and not paid; the verifiers are,
/// and the next answers, on honest stages, are the whole model's. Honest stages pass.
#[tokio::test]
async fn a_stage_that_makes_up_its_rows_is_caught_by_a_check_and_not_paid() {
    cheating_stage(None).await;
}

/// A stage that makes up its rows and then drops its stream, hoping the check goes with it, is
/// checked on the steps it ran before it failed, and caught.
#[tokio::test]
async fn a_stage_that_fails_after_making_up_rows_is_checked_on_what_it_ran() {
    cheating_stage(Some(4)).await;
}

/// A cheating stage, that drops its stream after `drop_after` steps if given, in a pipeline
/// whose every sequence is checked.
async fn cheating_stage(drop_after: Option<usize>) {
    use local_llm_proxy::engine::stage::Layers;
    use local_llm_proxy::net::wire::{self, Reply, Request};
    let expected = whole_answers(16).await;
    // Three honest hosts that each hold the whole model's layers: when one of them finishes the
    // job the cheater left, two others can check it.
    let hosts = ["--model", "none", "--memory-limit", "200MiB"];
    let h1 = first(&hosts);
    let t = h1.ticket();
    let h2 = joiner(&t, &hosts);
    let h3 = joiner(&t, &hosts);
    let c = joiner(
        &t,
        &[
            "--memory-limit",
            COORDINATOR_MEMORY,
            "--pipeline-stages",
            "1",
            "--pipeline-checks",
            "1",
            "--ctx-size",
            "256",
        ],
    );
    let (cheater, paid) = fake_host(&c, move |req, mut tx, mut rx| async move {
        let Request::Stage { layers, .. } = req else {
            return;
        };
        let path = model_path();
        let l = tokio::task::spawn_blocking(move || Layers::load(&path, layers[0]..layers[1]))
            .await
            .unwrap()
            .unwrap();
        let mut session = l.session();
        let mut steps = 0;
        let ready = Reply::StageReady {
            hidden: l.hidden as u32,
        };
        if wire::write(&mut tx, &ready).await.is_err() {
            return;
        }
        while let Ok(Some(Request::StageStep {
            pos, rows, hidden, ..
        })) = wire::read::<Request, _>(&mut rx, wire::MAX_FRAME).await
        {
            if drop_after.is_some_and(|n| steps == n) {
                return;
            }
            steps += 1;
            let x = wire::decode_vector(&hidden).unwrap();
            let mut y = session.forward(&x, rows as usize, pos as usize).unwrap();
            for v in &mut y {
                *v += 0.25 * v.abs().max(1.0);
            }
            let out = Reply::StageOut {
                rows,
                hidden: wire::encode_vector(&y),
                ms: 1.0,
                more: false,
            };
            if wire::write(&mut tx, &out).await.is_err() {
                return;
            }
        }
    })
    .await;
    eventually(60, "the coordinator sees the hosts' room", async || {
        let s = c.status().await;
        let peers = s["peers"].as_array().unwrap();
        let room = |p: &&Value| p["stage_free"].as_u64().unwrap_or(0) > 0;
        (peers.iter().filter(room).count() == 4).then_some(())
    })
    .await;
    // The cheater, with the most room, runs all 30 layers of the first answer (or its first
    // steps, before the pipeline is planned again on an honest host).
    let (code, _, v) = post(&c.url("/v1/chat/completions"), &chat_body(PROMPTS[0], 16)).await;
    assert_eq!(code, 200, "{v}");
    let p = &pipelines(&c).await[0];
    match drop_after {
        None => assert_eq!(p["stages"][0]["node"], cheater.as_str(), "{p}"),
        Some(_) => {
            let failure = p["last_failure"].as_str().unwrap();
            assert!(failure.contains(&cheater[..10]), "{p}");
            assert_ne!(p["stages"][0]["node"], cheater.as_str(), "{p}");
        }
    }
    let p = eventually(60, "the check catches the cheater", async || {
        let p = pipelines(&c).await.remove(0);
        (p["checks"].as_u64() >= Some(1)).then_some(p)
    })
    .await;
    assert_eq!(p["caught"], 1, "{p}");
    let why = p["last_check"].as_str().unwrap();
    assert!(
        why.contains(&cheater[..10]) && why.contains("as a stage were not its layers'"),
        "{why}"
    );
    // The two verifiers are paid for what they ran; the cheater is not.
    let grant = test_policy().starter_grant;
    eventually(30, "the verifiers are paid", async || {
        let mut earned = 0;
        for h in [&h1, &h2, &h3] {
            earned += usize::from(crate::economy::ledger_of(h).await.1 > grant);
        }
        (earned >= 2).then_some(())
    })
    .await;
    assert_eq!(paid.load(Ordering::SeqCst), 0, "the cheater was paid");
    // Banned, it runs no more stages: the next answers, on the honest hosts, are the whole
    // model's, and their checks pass.
    for (p, want) in PROMPTS.iter().zip(&expected).take(3) {
        let (code, _, v) = post(&c.url("/v1/chat/completions"), &chat_body(p, 16)).await;
        assert_eq!(code, 200, "{v}");
        assert_eq!(&content(&v), want, "prompt {p:?}");
    }
    let p = eventually(120, "the honest stages are checked", async || {
        let p = pipelines(&c).await.remove(0);
        let settled = p["checks"].as_u64().unwrap() + p["skipped"].as_u64().unwrap();
        (settled >= 4 && p["checks"].as_u64() >= Some(2)).then_some(p)
    })
    .await;
    assert_eq!(p["caught"], 1, "honest stages pass: {p}");
    for s in p["stages"].as_array().unwrap() {
        assert_ne!(s["node"], cheater.as_str(), "{p}");
    }
    assert!(
        p["last_check"].as_str().unwrap().contains("check out"),
        "{p}"
    );
    for n in [&h1, &h2, &h3, &c] {
        assert_chain_verifies(n.data_dir());
    }
}

/// Bytes a file or a tree of them takes on disk (a sparse file's holes take none).
fn on_disk(path: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(path).unwrap();
    if m.is_dir() {
        std::fs::read_dir(path)
            .unwrap()
            .map(|e| on_disk(&e.unwrap().path()))
            .sum()
    } else {
        m.blocks() * 512
    }
}

/// A host without the model's file, fetching for the network (`--auto-models`), runs its
/// stage from a slice of the file fetched from peers: the header and its layers' tensors,
/// checked against the file's BLAKE3 root, not the file.
#[tokio::test]
async fn a_host_without_the_file_fetches_only_its_layers_from_peers() {
    let expected = whole_answers(16).await;
    // Hosts of 60 MiB: the 30 layers need two of them. One holds the file; the other has an
    // empty models dir.
    let h1 = first(&["--model", "none", "--memory-limit", "60MiB"]);
    let t = h1.ticket();
    let empty = tempfile::tempdir().unwrap();
    let em = empty.path().to_str().unwrap();
    let h2 = joiner(
        &t,
        &[
            "--model",
            "none",
            "--memory-limit",
            "60MiB",
            "--models-dir",
            em,
            "--auto-models",
        ],
    );
    // A node that offers no file of the model asks the host without it for a stage: refused,
    // with why (there is no file here, and none offered to take a slice of).
    let (code, msg) = ask_for_stage(&h2, [0, 15]).await;
    assert_eq!(code, "model", "{msg}");
    assert!(msg.contains("you offer none"), "{msg}");
    let c = joiner(
        &t,
        &[
            "--memory-limit",
            COORDINATOR_MEMORY,
            "--pipeline-stages",
            "1",
            "--ctx-size",
            "256",
        ],
    );
    first_answer(&c, &chat_body(PROMPTS[0], 16)).await;
    for (p, want) in PROMPTS.iter().zip(&expected).take(3) {
        let (code, _, v) = post(&c.url("/v1/chat/completions"), &chat_body(p, 16)).await;
        assert_eq!(code, 200, "{v}");
        assert_eq!(&content(&v), want, "prompt {p:?}");
    }
    let p = &pipelines(&c).await[0];
    assert_eq!(ranges(p).len(), 2, "{p}");
    let on_h2: Vec<&Value> = p["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["node"] == h2.id.as_str())
        .collect();
    assert_eq!(on_h2.len(), 1, "{p}");
    let stages = h2.status().await["network"]["stages"].clone();
    let hosted = &stages.as_array().unwrap()[0];
    assert_eq!(hosted["slice"], true, "{stages}");
    // No file of the model came: only the slice, whose bytes (and the fetching store's) are
    // its layers' share of the file and the header.
    let files: Vec<_> = std::fs::read_dir(empty.path()).unwrap().collect();
    assert!(files.is_empty(), "{files:?}");
    let size = std::fs::metadata(model_path()).unwrap().len();
    let l = hosted["layers"].as_array().unwrap();
    let share = (l[1].as_u64().unwrap() - l[0].as_u64().unwrap()) as f64 / 30.0;
    let blobs = h2.data.path().join("blobs");
    let slice = on_disk(&blobs.join("slices"));
    let store = on_disk(&blobs.join("fetching"));
    println!("slice of layers {l:?}: {slice} bytes on disk, store {store}, file {size}");
    for bytes in [slice, store] {
        let frac = bytes as f64 / size as f64;
        assert!(
            frac < share * 0.85 + 0.05,
            "{bytes} of {size} bytes for {share:.2} of the layers"
        );
    }
}

/// The header of a file a stage does not hold comes from a stranger: its shape and every
/// tensor's place are checked before anything is sized from it.
#[test]
fn a_strangers_header_is_checked_before_a_stage_is_sized_from_it() {
    use local_llm_proxy::engine::stage::{HeaderError, read_header};
    let file = std::fs::read(model_path()).unwrap();
    let size = file.len() as u64;
    // SmolLM2's header (its tokenizer's 49,152 tokens and merges) takes some 1.5 MB.
    let prefix = &file[..4 << 20];
    let h = read_header(prefix, size).unwrap();
    assert_eq!(h.layout.layers(), 30);
    let half: u64 = h.ranges(15..30).iter().map(|r| r.end - r.start).sum();
    assert_eq!(h.ranges(15..30)[0].start, 0, "the header comes first");
    assert!(half < size * 45 / 100, "{half} of {size}");
    // Too few bytes to hold the header: more are needed.
    assert_eq!(read_header(&file[..1000], size), Err(HeaderError::Short));
    // A file said to be smaller than its tensors' places.
    let e = read_header(prefix, h.data_offset + 1000).unwrap_err();
    assert!(
        matches!(&e, HeaderError::Bad(m) if m.contains("lies past")),
        "{e:?}"
    );
    // A tensor placed past the end, and a shape that would size tensors without end.
    let at = |needle: &[u8]| {
        prefix
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
            + needle.len()
    };
    let name = b"blk.29.ffn_down.weight";
    let mut keyed = (name.len() as u64).to_le_bytes().to_vec();
    keyed.extend_from_slice(name);
    let mut bad = prefix.to_vec();
    let i = at(&keyed);
    let dims = u32::from_le_bytes(bad[i..i + 4].try_into().unwrap()) as usize;
    let offset = i + 4 + 8 * dims + 4;
    bad[offset..offset + 8].copy_from_slice(&(u64::MAX - 7).to_le_bytes());
    let e = read_header(&bad, size).unwrap_err();
    assert!(
        matches!(&e, HeaderError::Bad(m) if m.contains("blk.29.ffn_down.weight lies past")),
        "{e:?}"
    );
    // A tensor a stage would not read, in a layer: the pieces of a layer are bounded.
    let mut bad = prefix.to_vec();
    // blk.29.ffn_dowX.weight
    bad[at(&keyed) - ".weight".len() - 1] = b'X';
    let e = read_header(&bad, size).unwrap_err();
    assert!(
        matches!(&e, HeaderError::Bad(m) if m.contains("not one of a llama layer's")),
        "{e:?}"
    );
    let key = b"llama.attention.head_count";
    let mut keyed = (key.len() as u64).to_le_bytes().to_vec();
    keyed.extend_from_slice(key);
    let mut bad = prefix.to_vec();
    let i = at(&keyed) + 4;
    bad[i..i + 4].copy_from_slice(&(1u32 << 20).to_le_bytes());
    let e = read_header(&bad, size).unwrap_err();
    assert!(
        matches!(&e, HeaderError::Bad(m) if m.contains("not a model's")),
        "{e:?}"
    );
}

// ---- The benchmark (not a test: `scripts/bench-pipeline.sh` runs it) ----

/// One streamed answer's times: to its first token, and of each token.
async fn timed(client: &reqwest::Client, url: &str, body: &Value) -> Vec<std::time::Duration> {
    let started = std::time::Instant::now();
    let mut body = body.clone();
    body["stream"] = json!(true);
    let mut resp = client.post(url).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let (mut buf, mut times) = (String::new(), Vec::new());
    while let Some(chunk) = resp.chunk().await.unwrap() {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            let Some(data) = event.trim().strip_prefix("data: ") else {
                continue;
            };
            let Ok(e) = serde_json::from_str::<Value>(data) else {
                continue;
            };
            if local_llm_proxy::client::delta_text(&e).is_some_and(|t| !t.is_empty()) {
                times.push(started.elapsed());
            }
        }
    }
    times
}

/// Time to first token (ms) and tokens a second after it, the median of `n` answers.
async fn measure(client: &reqwest::Client, url: &str, n: usize) -> (f64, f64) {
    let body = json!({
        "model": MODEL, "temperature": 0, "max_tokens": 48, "ignore_eos": true,
        "messages": [{"role": "user", "content": "Tell a long story about a lighthouse keeper."}],
    });
    let mut ttft = Vec::new();
    let mut tps = Vec::new();
    for _ in 0..n {
        let t = timed(client, url, &body).await;
        let (first, last) = (t[0], t[t.len() - 1]);
        ttft.push(first.as_secs_f64() * 1e3);
        tps.push((t.len() - 1) as f64 / (last - first).as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(&mut ttft), median(&mut tps))
}

/// The longest wait between two tokens of an answer on `coordinator` whose second stage is
/// killed at its 20th token, against the median wait.
async fn failure_gap(client: &reqwest::Client, c: &Node, hosts: &[Node]) -> (f64, f64) {
    let body = json!({
        "model": MODEL, "temperature": 0, "max_tokens": 64, "ignore_eos": true, "stream": true,
        "messages": [{"role": "user", "content": "Tell a long story about a lighthouse keeper."}],
    });
    let victim = pipelines(c).await[0]["stages"][1]["node"]
        .as_str()
        .unwrap()
        .to_string();
    let victim = hosts.iter().find(|h| h.id == victim).unwrap();
    let started = std::time::Instant::now();
    let mut resp = client
        .post(c.url("/v1/chat/completions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let (mut buf, mut times) = (String::new(), Vec::new());
    while let Some(chunk) = resp.chunk().await.unwrap() {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            let Some(e) = event
                .trim()
                .strip_prefix("data: ")
                .and_then(|d| serde_json::from_str::<Value>(d).ok())
            else {
                continue;
            };
            if local_llm_proxy::client::delta_text(&e).is_some_and(|t| !t.is_empty()) {
                times.push(started.elapsed());
                if times.len() == 20 {
                    victim.signal("KILL");
                }
            }
        }
    }
    let mut gaps: Vec<f64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64() * 1e3)
        .collect();
    assert_eq!(times.len(), 64, "the answer completes");
    gaps.sort_by(f64::total_cmp);
    (gaps[gaps.len() - 1], gaps[gaps.len() / 2])
}

/// A coordinator of `stages` stages (host `3`), once its pipeline answers.
async fn coordinator(
    client: &reqwest::Client,
    start: &dyn Fn(usize, &[&str]) -> Node,
    ticket: &str,
    stages: &str,
) -> Node {
    let c = start(
        3,
        &[
            "--join",
            ticket,
            "--memory-limit",
            COORDINATOR_MEMORY,
            "--pipeline-stages",
            stages,
            "--slots",
            "1",
            "--pipeline-checks",
            "0",
        ],
    );
    let url = c.url("/v1/chat/completions");
    eventually(120, "the pipeline answers", async || {
        let r = client
            .post(&url)
            .json(&chat_body("Hi.", 4))
            .send()
            .await
            .ok()?;
        (r.status() == 200).then_some(())
    })
    .await;
    c
}

/// Three hosts and the coordinators of 1, 2 and 3 stages, started through `start` (a node's
/// index and arguments): the figures of each against the whole model on one node; then the
/// gap a stage killed mid-answer leaves in a 2-stage pipeline.
async fn bench_round(
    name: &str,
    client: &reqwest::Client,
    start: &dyn Fn(usize, &[&str]) -> Node,
    whole: (f64, f64),
) {
    let hosts_args = ["--model", "none", "--memory-limit", "200MiB"];
    let net = format!("n{}", rand_hex());
    let h0 = start(
        0,
        &[&["--network", net.as_str()][..], &hosts_args[..]].concat(),
    );
    let t = h0.ticket();
    let join = [&["--join", t.as_str()][..], &hosts_args[..]].concat();
    let hosts = [h0, start(1, &join), start(2, &join)];
    for stages in ["1", "2", "3"] {
        let c = coordinator(client, start, &t, stages).await;
        let (ttft, tps) = measure(client, &c.url("/v1/chat/completions"), 5).await;
        eprintln!(
            "bench {name}: {stages} stage(s): ttft {ttft:.0} ms ({:.2}x the whole model's), \
             {tps:.1} tok/s ({:.2}x)",
            ttft / whole.0,
            tps / whole.1
        );
    }
    let c = coordinator(client, start, &t, "2").await;
    let (gap, median) = failure_gap(client, &c, &hosts).await;
    eprintln!(
        "bench {name}: a stage killed mid-answer: the longest wait between tokens {gap:.0} ms \
         (the median {median:.0} ms)"
    );
}

#[tokio::test]
#[ignore = "a benchmark: scripts/bench-pipeline.sh runs it"]
async fn bench_pipelines_on_loopback_and_over_20_ms_links() {
    let whole = Node::start(&["--engine", "candle", "--threads", "1", "--slots", "1"]);
    let plain = client();
    let w = measure(&plain, &whole.url("/v1/chat/completions"), 5).await;
    eprintln!(
        "bench whole model, one node (candle, 1 thread): ttft {:.0} ms, {:.1} tok/s",
        w.0, w.1
    );
    drop(whole);
    let loopback =
        |_: usize, args: &[&str]| Node::start(&[&crate::network::QUICK[..], args].concat());
    bench_round("loopback", &plain, &loopback, w).await;
    let Some(mut lab) = crate::netlab::Lab::new(5) else {
        return;
    };
    lab.set(crate::netlab::Level {
        name: "20 ms round trips",
        delay_ms: 10,
        loss_permille: 0,
        rate_mbit: None,
    });
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {}", crate::netlab::LAB_TOKEN)
            .parse()
            .unwrap(),
    );
    let client = reqwest::Client::builder()
        .default_headers(h)
        .build()
        .unwrap();
    let lab = &lab;
    let in_lab =
        move |i: usize, args: &[&str]| lab.node(i, &[&crate::network::QUICK[..], args].concat());
    bench_round("20 ms RTT", &client, &in_lab, w).await;
}
