//! Bad input on the wire: a hand-made iroh peer in this test process sends malformed, oversized,
//! unsigned, wrongly signed and flooding messages to a real `llp serve`. Each is refused with a
//! logged reason and costs the sender reputation, while a legitimate job on the node completes.

use std::time::Duration;

use bytes::Bytes;
use iroh::address_lookup::memory::MemoryLookup;
use iroh::endpoint::{Connection, presets};
use iroh::{Endpoint, EndpointAddr, SecretKey};
use local_llm_proxy::ids::NodeId;
use local_llm_proxy::ledger::Entry;
use local_llm_proxy::net::Ticket;
use local_llm_proxy::net::wire::{self, Reply, Request};
use serde_json::{Value, json};

use crate::common::*;

#[derive(Clone)]
pub(crate) struct Attacker {
    pub(crate) ep: Endpoint,
    memory: MemoryLookup,
    pub(crate) target: EndpointAddr,
    pub(crate) ticket: Ticket,
}

pub(crate) async fn attacker(node: &Node) -> Attacker {
    attacker_as(node, SecretKey::generate()).await
}

/// An attacker of `node` with the identity `key` (one identity may talk to several nodes).
pub(crate) async fn attacker_as(node: &Node, key: SecretKey) -> Attacker {
    attacker_at(node, key, "127.0.0.1:0").await
}

/// An attacker of `node` whose connections come from the address `bind` (all of 127.0.0.0/8
/// is this host's, so several addresses can be played from one machine).
async fn attacker_at(node: &Node, key: SecretKey, bind: &str) -> Attacker {
    let ticket = Ticket::decode(&node.ticket()).unwrap();
    let id = ticket.id().unwrap().public_key().unwrap();
    let mut target = EndpointAddr::new(id);
    for a in &ticket.contact.addrs {
        target = target.with_ip_addr(*a);
    }
    let memory = MemoryLookup::new();
    memory.add_endpoint_info(target.clone());
    let ep = Endpoint::builder(presets::Minimal)
        .secret_key(key)
        .clear_ip_transports()
        .bind_addr(bind)
        .unwrap()
        .address_lookup(memory.clone())
        .bind()
        .await
        .unwrap();
    Attacker {
        ep,
        memory,
        target,
        ticket,
    }
}

impl Attacker {
    /// The membership key of the node's network (the ticket carries its secret), derived once
    /// per network (it is an Argon2id evaluation).
    fn membership(&self) -> wire::Membership {
        static KEYS: std::sync::Mutex<Vec<(String, wire::Membership)>> =
            std::sync::Mutex::new(Vec::new());
        let t = &self.ticket;
        let mut keys = KEYS.lock().unwrap();
        let secret = t.secret.as_deref().unwrap_or("");
        let key = format!("{}\n{secret}", t.network);
        if let Some((_, m)) = keys.iter().find(|(k, _)| *k == key) {
            return m.clone();
        }
        let m = wire::Membership::derive(&t.network, secret);
        keys.push((key, m.clone()));
        m
    }

    /// The gossip topic of the node's network.
    pub(crate) fn topic(&self) -> [u8; 32] {
        self.membership().topic()
    }

    pub(crate) fn id(&self) -> String {
        hex::encode(self.ep.id().as_bytes())
    }

    async fn connect(&self) -> Connection {
        self.ep
            .connect(self.target.clone(), wire::ALPN)
            .await
            .unwrap()
    }

    /// Sends raw bytes on a new stream and reads the answer (None if the stream just ends).
    pub(crate) async fn raw(&self, conn: &Connection, bytes: &[u8]) -> Option<Reply> {
        let (mut tx, mut rx) = conn.open_bi().await.unwrap();
        tx.write_all(bytes).await.unwrap();
        let _ = tx.finish();
        tokio::time::timeout(
            Duration::from_secs(10),
            wire::read::<Reply, _>(&mut rx, wire::MAX_SMALL_FRAME),
        )
        .await
        .expect("an answer or the end of the stream")
        .ok()
        .flatten()
    }

    /// A connection past the handshake (the attacker knows the secret from the ticket).
    pub(crate) async fn member(&self) -> Connection {
        self.member_of(test_pricing_id()).await
    }

    /// [`Attacker::member`] of a network whose prices' fingerprint is `policy`.
    pub(crate) async fn member_of(&self, policy: String) -> Connection {
        let conn = self.connect().await;
        let t = &self.ticket;
        let hello = Request::Hello {
            version: wire::VERSION,
            network: t.network.clone(),
            proof: self
                .membership()
                .proof(&NodeId::from(self.ep.id()), &NodeId::from(self.target.id)),
            policy,
        };
        match self.raw(&conn, &wire::encode(&hello)).await {
            Some(Reply::Welcome { .. }) => conn,
            other => panic!("handshake: {other:?}"),
        }
    }
}

pub(crate) fn refused(r: Option<Reply>) -> (String, String) {
    match r {
        Some(Reply::Refused { code, message }) => (code.to_string(), message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A legitimate streamed job, started before the attack and checked after it.
async fn legit_job(node: &Node) -> tokio::task::JoinHandle<(u16, Vec<Value>)> {
    let url = node.url("/v1/chat/completions");
    let mut body = chat_body("Write a short poem about wires.", 48);
    body["stream"] = json!(true);
    tokio::spawn(async move { stream(&url, &body).await })
}

pub(crate) async fn strikes_of(node: &Node, id: &str) -> u64 {
    let s = node.status().await;
    s["network"]["misbehaving"]
        .as_array()
        .and_then(|m| m.iter().find(|x| x["peer"] == id))
        .map(|x| x["strikes"].as_u64().unwrap())
        .unwrap_or(0)
}

#[tokio::test]
async fn bad_handshakes_are_refused_logged_and_struck() {
    let node = Node::start(&[
        "--network-secret",
        "s3cret",
        "--announce-interval-ms",
        "500",
    ]);
    let job = legit_job(&node).await;
    let at = attacker(&node).await;

    // An unknown protocol version.
    let conn = at.connect().await;
    let hello = Request::Hello {
        version: 99,
        network: at.ticket.network.clone(),
        proof: "00".repeat(32),
        policy: test_pricing_id(),
    };
    let (code, msg) = refused(at.raw(&conn, &wire::encode(&hello)).await);
    assert_eq!(code, "version", "{msg}");
    assert!(msg.contains("99"), "{msg}");

    // The right network without the secret.
    let conn = at.connect().await;
    let hello = Request::Hello {
        version: wire::VERSION,
        network: at.ticket.network.clone(),
        proof: wire::Membership::derive(&at.ticket.network, "guess")
            .proof(&NodeId::from(at.ep.id()), &NodeId::from(at.target.id)),
        policy: test_pricing_id(),
    };
    let (code, _) = refused(at.raw(&conn, &wire::encode(&hello)).await);
    assert_eq!(code, "network");

    // Not JSON at all, and a frame announcing 2 GiB.
    let conn = at.connect().await;
    let mut garbage = 5u32.to_be_bytes().to_vec();
    garbage.extend_from_slice(b"\xff\x00{[}");
    let (code, msg) = refused(at.raw(&conn, &garbage).await);
    assert_eq!(code, "invalid", "{msg}");
    let conn = at.connect().await;
    let (code, msg) = refused(at.raw(&conn, &0x8000_0000u32.to_be_bytes()).await);
    assert_eq!(code, "invalid");
    assert!(msg.contains("exceeds"), "{msg}");

    // Each cost reputation, and each was logged with its reason.
    let strikes = strikes_of(&node, &at.id()).await;
    assert!(strikes >= 4, "strikes {strikes}");
    let log = node.log_text();
    for reason in [
        "protocol version 99",
        "without the network secret",
        "malformed message",
        "exceeds",
    ] {
        assert!(log.contains(reason), "no `{reason}` in the log:\n{log}");
    }
    // After enough strikes the peer is refused outright.
    let conn = at.connect().await;
    let _ = at.raw(&conn, &garbage).await;
    let conn = at.connect().await;
    let r = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
    assert!(r.is_ok(), "a banned peer's connection is closed");

    // The legitimate job was not disturbed.
    let (status, events) = job.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(events.last().unwrap(), "[DONE]");
    assert!(!streamed_text(&events).is_empty());
    assert!(
        events.iter().all(|e| e.get("error").is_none()),
        "{events:?}"
    );
}

#[tokio::test]
async fn bad_requests_from_a_member_end_their_stream_only() {
    let node = Node::start(&["--announce-interval-ms", "500"]);
    let job = legit_job(&node).await;
    let at = attacker(&node).await;
    let conn = at.member().await;

    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", {
            let mut b = 3u32.to_be_bytes().to_vec();
            b.extend_from_slice(b"}}}");
            b
        }),
        (
            "unknown type",
            wire::encode(&json!({"type": "format_disk"})),
        ),
        (
            "oversized",
            (wire::MAX_FRAME as u32 + 1).to_be_bytes().to_vec(),
        ),
        (
            "nan sampling",
            wire::encode(&json!({"type": "infer", "job": "x", "model": MODEL,
            "prompt": {"kind": "text", "value": "hi"}, "max_tokens": 4,
            "sampling": {"temperature": 1e9, "top_p": 1.0, "seed": null, "frequency_penalty": 0.0, "presence_penalty": 0.0}})),
        ),
        (
            // The HTTP API refuses it too: one check of sampling serves both.
            "top_p of 0",
            wire::encode(&json!({"type": "infer", "job": "x", "model": MODEL,
            "prompt": {"kind": "text", "value": "hi"}, "max_tokens": 4,
            "sampling": {"temperature": 0.0, "top_p": 0.0, "seed": null, "frequency_penalty": 0.0, "presence_penalty": 0.0}})),
        ),
        (
            "token outside the vocabulary",
            wire::encode(&json!({"type": "infer", "job": "x", "model": MODEL,
            "prompt": {"kind": "text", "value": "hi"}, "continuation": [4000000000u32], "max_tokens": 4,
            "sampling": {"temperature": 0.0, "top_p": 1.0, "seed": null, "frequency_penalty": 0.0, "presence_penalty": 0.0}})),
        ),
        (
            // minLength above maxLength: llama.cpp would grow its grammar until memory ran out.
            "a schema whose grammar has no end",
            wire::encode(&json!({"type": "infer", "job": "x", "model": MODEL,
            "prompt": {"kind": "chat", "value": [{"role": "user", "content": "hi"}]}, "max_tokens": 4,
            "constraints": {"format": {"schema": {"type": "string", "minLength": 5, "maxLength": 2}}},
            "sampling": {"temperature": 0.0, "top_p": 1.0, "seed": null, "frequency_penalty": 0.0, "presence_penalty": 0.0}})),
        ),
        (
            "a constrained job's token outside the vocabulary",
            wire::encode(&json!({"type": "infer", "job": "x", "model": MODEL,
            "prompt": {"kind": "chat", "value": [{"role": "user", "content": "hi"}]}, "continuation": [4000000000u32],
            "max_tokens": 4, "constraints": {"format": "json"},
            "sampling": {"temperature": 0.0, "top_p": 1.0, "seed": null, "frequency_penalty": 0.0, "presence_penalty": 0.0}})),
        ),
        (
            // Read recursively by the template engine: past serde's depth it is refused first.
            "tool-call arguments nested 100,000 deep",
            wire::encode(&json!({"type": "infer", "job": "x", "model": MODEL,
            "prompt": {"kind": "chat", "value": [{"role": "user", "content": "hi"},
                {"role": "assistant", "content": "", "tool_calls": [{"id": "c", "name": "f",
                    "arguments": format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))}]},
                {"role": "tool", "content": "x", "tool_call_id": "c"}]},
            "max_tokens": 4,
            "sampling": {"temperature": 0.0, "top_p": 1.0, "seed": null, "frequency_penalty": 0.0, "presence_penalty": 0.0}})),
        ),
        (
            "vectors asked of a chat model",
            wire::encode(&json!({"type": "infer", "job": "x", "model": MODEL,
            "prompt": {"kind": "embed", "value": ["a"]}, "max_tokens": 0,
            "sampling": {"temperature": 0.0, "top_p": 1.0, "seed": null, "frequency_penalty": 0.0, "presence_penalty": 0.0}})),
        ),
    ];
    for (what, bytes) in bad {
        let (code, msg) = refused(at.raw(&conn, &bytes).await);
        assert!(code == "invalid", "{what}: {code} {msg}");
    }
    // Tools for a model whose template has none: not this node's to honour, and no fault.
    let tools = wire::encode(&json!({"type": "infer", "job": "t", "model": MODEL,
        "prompt": {"kind": "chat", "value": [{"role": "user", "content": "hi"}]}, "max_tokens": 4,
        "constraints": {"tools": [{"name": "f", "parameters": {"type": "object"}}], "tool_choice": "required"},
        "sampling": {"temperature": 0.0, "top_p": 1.0, "seed": null, "frequency_penalty": 0.0, "presence_penalty": 0.0}}));
    let (code, msg) = refused(at.raw(&conn, &tools).await);
    assert_eq!(code, "unsupported", "{msg}");
    // The connection still works for a valid request after all that.
    let ping = at
        .raw(&conn, &wire::encode(&Request::Ping { nonce: 7 }))
        .await;
    assert_eq!(ping, Some(Reply::Pong { nonce: 7 }));
    assert!(strikes_of(&node, &at.id()).await >= 4);
    let (status, events) = job.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(events.last().unwrap(), "[DONE]");
    // The node still serves.
    let (status, _, _) = post(&node.url("/v1/chat/completions"), &chat_body("hi", 4)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn forged_malformed_and_flooding_announcements_are_dropped() {
    let node = Node::start(&["--announce-interval-ms", "500"]);
    let job = legit_job(&node).await;
    let at = attacker(&node).await;
    let gossip = iroh_gossip::net::Gossip::builder().spawn(at.ep.clone());
    let _router = iroh::protocol::Router::builder(at.ep.clone())
        .accept(iroh_gossip::ALPN, gossip.clone())
        .spawn();
    let topic_bytes = at.topic();
    let topic = gossip
        .subscribe_and_join(topic_bytes.into(), vec![at.target.id])
        .await
        .unwrap();
    let (tx, _rx) = topic.split();
    let _ = &at.memory;

    let key = SecretKey::generate();
    let announcement = |seq: u64| wire::Announcement::new(seq, &at.ticket.network, vec![]);
    // Malformed: random bytes.
    tx.broadcast(Bytes::from_static(
        b"\x01not an announcement at all, and far too short?",
    ))
    .await
    .unwrap();
    // Unsigned: a valid body with a zero signature.
    let mut unsigned = wire::seal(&key, &topic_bytes, &announcement(1));
    for b in &mut unsigned[33..97] {
        *b = 0;
    }
    tx.broadcast(Bytes::from(unsigned)).await.unwrap();
    // Wrongly signed: signed by one key, claiming another author.
    let mut forged = wire::seal(&key, &topic_bytes, &announcement(2));
    forged[1..33].copy_from_slice(SecretKey::generate().public().as_bytes());
    tx.broadcast(Bytes::from(forged)).await.unwrap();
    // A flood of validly signed announcements.
    for seq in 10..110 {
        tx.broadcast(Bytes::from(wire::seal(
            &key,
            &topic_bytes,
            &announcement(seq),
        )))
        .await
        .unwrap();
    }
    eventually(20, "the node logs every kind", async || {
        let log = node.log_text();
        (log.contains("bad announcement")
            && log.contains("bad signature")
            && log.contains("flooded"))
        .then_some(())
    })
    .await;
    assert!(
        strikes_of(&node, &at.id()).await >= 2,
        "the relaying neighbour is struck"
    );
    assert!(
        strikes_of(&node, &hex::encode(key.public().as_bytes())).await >= 1,
        "the flooding author is struck"
    );
    let (status, events) = job.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(events.last().unwrap(), "[DONE]");
}

/// A member that lies when it serves: it claims a huge budget and prompt, sends a warning no
/// header may carry, then streams far more tokens than the job allows. With `overcharge`, it
/// serves the job honestly but asks 1,000 credits too many in its receipt, and reports what the
/// requester answered.
async fn lying_server(
    at: &Attacker,
    conn: Connection,
    overcharge: Option<tokio::sync::mpsc::Sender<Option<Request>>>,
) {
    // Claims to be the biggest, fastest, idlest server of the model.
    let model = wire::ModelAd {
        name: MODEL.into(),
        quant: "q4_1".into(),
        slots: 64,
        busy: 0,
        queued: 0,
        ctx: 2048,
        tokens_per_s: 1e9,
        features: Vec::new(),
        engine: Default::default(),
    };
    let sealed = |seq: u64| {
        let a = wire::Announcement::new(seq, &at.ticket.network, vec![model.clone()]);
        wire::seal(at.ep.secret_key(), &at.topic(), &a)
    };
    let mut seq = 1;
    while let Ok((mut tx, mut rx)) = conn.accept_bi().await {
        let Ok(Some(req)) = wire::read::<Request, _>(&mut rx, wire::MAX_FRAME).await else {
            continue;
        };
        match req {
            Request::GetAnnouncement => {
                seq += 1;
                let _ = wire::write(
                    &mut tx,
                    &Reply::Announcement {
                        signed: sealed(seq),
                    },
                )
                .await;
            }
            Request::Ping { nonce } => {
                let _ = wire::write(&mut tx, &Reply::Pong { nonce }).await;
            }
            Request::Infer(_) if overcharge.is_some() => {
                // Answers with a bigger model than the one asked for, hoping to be paid for it.
                let report = overcharge.as_ref().unwrap();
                let accepted = Reply::Accepted {
                    model: "qwen2.5-7b-instruct:f16".into(),
                    prompt_tokens: 12,
                    max_tokens: 4,
                    warning: None,
                    engine: Default::default(),
                    why: String::new(),
                };
                let _ = wire::write(&mut tx, &accepted).await;
                // What the requester sends back: its promise, a stop, its payment.
                while let Ok(Some(r)) =
                    wire::read::<Request, _>(&mut rx, wire::MAX_SMALL_FRAME).await
                {
                    let _ = report.send(Some(r)).await;
                }
                let _ = report.send(None).await;
            }
            Request::Infer(_) => {
                let accepted = Reply::Accepted {
                    model: format!("{MODEL}:q4_1"),
                    prompt_tokens: u32::MAX,
                    max_tokens: u32::MAX,
                    warning: Some("evil\r\nx-injected: 1".into()),
                    engine: Default::default(),
                    why: String::new(),
                };
                let _ = wire::write(&mut tx, &accepted).await;
                for _ in 0..200 {
                    if wire::write(
                        &mut tx,
                        &Reply::Token {
                            id: 28,
                            piece: b"ab".to_vec(),
                            extra: None,
                        },
                    )
                    .await
                    .is_err()
                    {
                        break;
                    }
                }
            }
            _ => {}
        }
        let _ = tx.finish();
    }
}

#[tokio::test]
async fn a_peer_that_lies_while_serving_is_cut_off_and_struck() {
    // A gateway with no model of its own: the liar is its only peer.
    let gw = Node::start(&["--model", "none", "--announce-interval-ms", "500"]);
    let at = attacker(&gw).await;
    let conn = at.member().await;
    let server = {
        let at = at.clone();
        tokio::spawn(async move { lying_server(&at, conn, None).await })
    };
    eventually(30, "the gateway routes to the liar", async || {
        let s = gw.status().await;
        s["peers"]
            .as_array()?
            .iter()
            .any(|p| {
                p["id"] == at.id()
                    && p["health"]["state"] == "ok"
                    && p["models"].as_array().is_some_and(|m| !m.is_empty())
            })
            .then_some(())
    })
    .await;
    let (status, headers, v) = post(&gw.url("/v1/chat/completions"), &chat_body("hi", 8)).await;
    assert_eq!(status, 200, "{v}");
    // The client's budget holds, whatever the peer claimed or sent.
    assert_eq!(v["usage"]["completion_tokens"], 8, "{v}");
    assert_eq!(v["choices"][0]["finish_reason"], "length", "{v}");
    assert_eq!(
        v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .len(),
        16,
        "{v}"
    );
    // The warning it wrote reached no header raw.
    assert!(headers.get("x-injected").is_none());
    if let Some(w) = headers.get("x-llp-warning") {
        assert!(!w.to_str().unwrap().contains('\n'));
    }
    assert!(strikes_of(&gw, &at.id()).await >= 1, "the liar is struck");
    assert!(
        gw.log_text().contains("more tokens than the job allows"),
        "{}",
        gw.log_text()
    );
    server.abort();
}

#[tokio::test]
async fn a_worker_that_names_a_bigger_model_is_refused_and_paid_only_the_promised_prompt() {
    let gw = Node::start(&["--model", "none", "--announce-interval-ms", "500"]);
    let before = gw.status().await["ledger"].clone();
    let at = attacker(&gw).await;
    let conn = at.member().await;
    let (report, mut frames) = tokio::sync::mpsc::channel(16);
    let server = {
        let at = at.clone();
        tokio::spawn(async move { lying_server(&at, conn, Some(report)).await })
    };
    eventually(30, "the gateway routes to the liar", async || {
        let s = gw.status().await;
        s["peers"]
            .as_array()?
            .iter()
            .any(|p| {
                p["id"] == at.id()
                    && p["health"]["state"] == "ok"
                    && p["models"].as_array().is_some_and(|m| !m.is_empty())
            })
            .then_some(())
    })
    .await;
    let (status, _, v) = post(&gw.url("/v1/chat/completions"), &chat_body("hi", 4)).await;
    // Its only peer answered with another model: no answer from it.
    assert_ne!(status, 200, "{v}");
    let mut seen = Vec::new();
    while let Some(Some(r)) = tokio::time::timeout(Duration::from_secs(10), frames.recv())
        .await
        .unwrap()
    {
        seen.push(r);
    }
    // It was paid the prompt it was promised, priced as the model asked for, nothing more.
    let Some(Request::Paid { entry, .. }) = seen.last() else {
        panic!("no payment of the promised prompt: {seen:?}");
    };
    let e = Entry::decode(&hex::decode(entry).unwrap()).unwrap();
    let r = e.receipt().unwrap();
    assert_eq!(
        (r.model.as_str(), r.quant.as_str(), r.completion_tokens),
        (MODEL, "q4_1", 0)
    );
    assert_eq!(
        r.credits,
        test_policy().price(134_515_008, "q4_1", r.prompt_tokens as u64)
    );
    let after = gw.status().await["ledger"].clone();
    assert_eq!(
        after["balance"].as_u64().unwrap(),
        before["balance"].as_u64().unwrap() - r.credits
    );
    assert!(strikes_of(&gw, &at.id()).await >= 1, "the liar is struck");
    assert!(
        gw.log_text()
            .contains("answered with qwen2.5-7b-instruct:f16"),
        "{}",
        gw.log_text()
    );
    server.abort();
}

/// A member that opens streams and sends nothing, promises 4 MiB frames it never sends, opens
/// more streams than a connection may hold, and more connections than a peer may have: each
/// is held to its limit, and the node serves a legitimate job throughout.
#[tokio::test]
async fn a_peer_cannot_hold_streams_or_connections_past_the_limits() {
    let network = format!("w{}", rand_hex());
    let node = Node::start(&["--network", &network, "--network-secret", "s"]);
    let job = legit_job(&node).await;
    let at = attacker(&node).await;
    let conn = at.member().await;
    // The node pings its peers on their connections: answered, so it keeps this one.
    let pings = tokio::spawn(answer_pings(conn.clone()));

    // A stream that promises a 4 MiB frame and sends nothing more: refused at the deadline
    // (10 s), with a reason, and not struck (a slow link looks the same).
    let started = std::time::Instant::now();
    let (mut tx, mut rx) = conn.open_bi().await.unwrap();
    tx.write_all(&(4u32 << 20).to_be_bytes()).await.unwrap();
    let reply = tokio::time::timeout(
        Duration::from_secs(40),
        wire::read::<Reply, _>(&mut rx, wire::MAX_SMALL_FRAME),
    )
    .await
    .expect("the node answers a silent stream at its deadline")
    .unwrap();
    let (_, msg) = refused(reply);
    assert!(msg.contains("no request within"), "{msg}");
    let waited = started.elapsed();
    eprintln!("a silent stream was refused after {waited:?}");
    assert!(waited >= Duration::from_secs(9), "{waited:?}");
    assert_eq!(strikes_of(&node, &at.id()).await, 0);
    drop((tx, rx));
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Streams held open in silence: past 256 at once on one connection, the next waits until
    // one of them ends (the first above may still count while its close is under way).
    let mut held = Vec::new();
    loop {
        let open = tokio::time::timeout(Duration::from_secs(3), async {
            let (mut tx, rx) = conn.open_bi().await.unwrap();
            tx.write_all(&[0]).await.unwrap();
            (tx, rx)
        })
        .await;
        match open {
            Ok(s) => held.push(s),
            Err(_) => break,
        }
        assert!(held.len() <= 256, "more than 256 streams open at once");
    }
    eprintln!(
        "{} silent streams open at once before the next had to wait",
        held.len()
    );
    assert!(held.len() >= 250, "{}", held.len());
    // Each is refused at its deadline: the node's side of it is over (its task ended), and
    // what stays is the attacker's own half, which holds back only the attacker.
    for (_, rx) in &mut held {
        let r = tokio::time::timeout(
            Duration::from_secs(30),
            wire::read::<Reply, _>(rx, wire::MAX_SMALL_FRAME),
        )
        .await
        .expect("each silent stream is answered")
        .unwrap();
        let (_, msg) = refused(r);
        assert!(msg.contains("no request within"), "{msg}");
    }
    // Once the attacker lets them go, the connection takes new streams again.
    drop(held);
    let after = tokio::time::timeout(Duration::from_secs(30), async {
        let (mut tx, mut rx) = conn.open_bi().await.unwrap();
        let ping = wire::encode(&Request::Ping { nonce: 7 });
        tx.write_all(&ping).await.unwrap();
        let _ = tx.finish();
        wire::read::<Reply, _>(&mut rx, wire::MAX_SMALL_FRAME).await
    })
    .await
    .expect("a stream opens once the silent ones are gone");
    assert!(
        matches!(after, Ok(Some(Reply::Pong { nonce: 7 }))),
        "{after:?}"
    );

    // Connections: the first (above) and three more are served; a fifth is closed at once.
    let mut conns = Vec::new();
    for _ in 0..3 {
        let c = at.member().await;
        tokio::spawn(answer_pings(c.clone()));
        conns.push(c);
    }
    let why = closed_within(at.connect().await, 10, "the fifth connection").await;
    assert!(why.contains("too many connections"), "{why}");
    // The connections in use still work.
    let pong = at
        .raw(&conns[0], &wire::encode(&Request::Ping { nonce: 8 }))
        .await;
    assert!(matches!(pong, Some(Reply::Pong { nonce: 8 })), "{pong:?}");

    let (code, events) = job.await.unwrap();
    assert_eq!(code, 200);
    assert!(!streamed_text(&events).is_empty());
    assert!(node.status().await["network"].is_object());
    pings.abort();
}

/// Keys minted on one address: past 16 handshakes in progress or 64 connections from it, the
/// next is closed at once, while a peer from another address is served; the handshakes that
/// never came are closed at their deadline, and the address may connect again.
#[tokio::test]
async fn keys_minted_on_one_address_cannot_take_the_nodes_connections() {
    let network = format!("w{}", rand_hex());
    let node = Node::start(&["--network", &network, "--network-secret", "s"]);
    let job = legit_job(&node).await;
    let at = |bind: &'static str| attacker_at(&node, SecretKey::generate(), bind);

    // Silent handshakes from 127.0.0.2: four keys with five connections each (one over a key's
    // own limit), and a fifth key with one. The node takes them in its own order: 16 are held,
    // the other 5 refused at once, over the key's limit or the address's (at least one).
    let mut keys = Vec::new();
    let mut silent = Vec::new();
    for n in [5, 5, 5, 5, 1] {
        let a = at("127.0.0.2:0").await;
        for _ in 0..n {
            silent.push(a.connect().await);
        }
        // Kept: an endpoint dropped closes its connections.
        keys.push(a);
    }
    let started = std::time::Instant::now();
    while silent.iter().filter(|c| c.close_reason().is_some()).count() < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "over the limits, yet not closed at once"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refused: Vec<String> = silent
        .iter()
        .filter_map(|c| c.close_reason().map(|r| format!("{r:?}")))
        .collect();
    assert_eq!(refused.len(), 5, "{refused:?}");
    assert!(
        refused
            .iter()
            .all(|r| r.contains("too many connections from this peer")
                || r.contains("too many handshakes from this address")),
        "{refused:?}"
    );
    assert!(
        refused
            .iter()
            .any(|r| r.contains("too many handshakes from this address")),
        "{refused:?}"
    );
    silent.retain(|c| c.close_reason().is_none());
    // Another address is served meanwhile.
    let honest = at("127.0.0.3:0").await;
    let conn = honest.member().await;
    let pong = honest
        .raw(&conn, &wire::encode(&Request::Ping { nonce: 1 }))
        .await;
    assert!(matches!(pong, Some(Reply::Pong { nonce: 1 })), "{pong:?}");
    // At their deadline the silent ones are closed, and the address may connect again.
    for c in silent {
        let why = closed_within(c, 20, "a handshake that never came").await;
        assert!(why.contains("handshake timeout"), "{why}");
    }
    let back = at("127.0.0.2:0").await;
    back.member().await;

    // Members on one address: 64 connections, then no more from it. (They answer nothing:
    // the node gives up on a peer whose announcement it cannot fetch, but only after 10 s.)
    let mut members = Vec::new();
    for _ in 0..16 {
        let a = at("127.0.0.4:0").await;
        for _ in 0..4 {
            members.push(a.member().await);
        }
        keys.push(a);
    }
    let over = at("127.0.0.4:0").await;
    let why = closed_within(over.connect().await, 5, "the 65th connection").await;
    assert!(
        why.contains("too many connections from this address"),
        "{why}"
    );
    let pong = honest
        .raw(&conn, &wire::encode(&Request::Ping { nonce: 2 }))
        .await;
    assert!(matches!(pong, Some(Reply::Pong { nonce: 2 })), "{pong:?}");
    assert!(members.iter().all(|c| c.close_reason().is_none()));

    // The other protocols on the endpoint are counted too: a key's fifth gossip connection
    // is closed at once.
    let g = at("127.0.0.5:0").await;
    let mut gossip = Vec::new();
    for _ in 0..5 {
        gossip.push(
            g.ep.connect(g.target.clone(), iroh_gossip::ALPN)
                .await
                .unwrap(),
        );
    }
    let started = std::time::Instant::now();
    let why = loop {
        if let Some(r) = gossip.iter().find_map(Connection::close_reason) {
            break format!("{r:?}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no gossip connection closed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(why.contains("too many connections from this peer"), "{why}");

    let (code, events) = job.await.unwrap();
    assert_eq!(code, 200);
    assert!(!streamed_text(&events).is_empty());
}

/// Why the node closed `conn`, which it must within `secs`.
async fn closed_within(conn: Connection, secs: u64, what: &str) -> String {
    let why = tokio::time::timeout(Duration::from_secs(secs), conn.closed())
        .await
        .unwrap_or_else(|_| panic!("{what} is not closed within {secs} s"));
    format!("{why:?}")
}

/// Answers the pings a node sends on `conn` (and refuses anything else), as a live peer does.
async fn answer_pings(conn: Connection) {
    while let Ok((mut tx, mut rx)) = conn.accept_bi().await {
        tokio::spawn(async move {
            let reply = match wire::read::<Request, _>(&mut rx, wire::MAX_FRAME).await {
                Ok(Some(Request::Ping { nonce })) => Reply::Pong { nonce },
                _ => Reply::refused(wire::RefuseCode::Invalid, "an attacker"),
            };
            let _ = tx.write_all(&wire::encode(&reply)).await;
            let _ = tx.finish();
        });
    }
}

/// Provider records (Kademlia ADD_PROVIDER / GET_PROVIDERS): a member may store only its own
/// sealed announcement, and only under the keys of the catalog's models it announces, for its
/// own shard; a relayed, altered or malformed record and a malformed key are refused and struck.
/// What it stored comes back to a lookup of its key, and to no other.
#[tokio::test]
async fn provider_records_hold_only_the_senders_own_announcement_under_its_own_keys() {
    use local_llm_proxy::net::table::providers;
    let node = Node::start(&["--announce-interval-ms", "500"]);
    let key = SecretKey::generate();
    let at = attacker_as(&node, key.clone()).await;
    let conn = at.member().await;
    let (topic, net) = (at.topic(), at.ticket.network.clone());
    let ad = |name: &str| wire::ModelAd {
        name: name.into(),
        ..crate::trust::model_ad()
    };
    let sealed = |k: &SecretKey, seq: u64, model: &str| {
        wire::seal(
            k,
            &topic,
            &wire::Announcement::new(seq, &net, vec![ad(model)]),
        )
    };
    let provide = |signed: &[u8]| {
        wire::encode(&Request::Provide {
            signed: hex::encode(signed),
        })
    };
    let get = |k: String| wire::encode(&Request::GetProviders { key: k, from: 0 });

    // Another node's announcement, relayed as if it were the sender's record.
    let theirs = sealed(&SecretKey::generate(), 1, MODEL);
    let (code, msg) = refused(at.raw(&conn, &provide(&theirs)).await);
    assert_eq!(code, "invalid", "{msg}");
    assert!(msg.contains("not the sender's"), "{msg}");
    // Its own, altered after signing; and not hex at all.
    let mut altered = sealed(&key, 2, MODEL);
    let last = altered.len() - 2;
    altered[last] ^= 1;
    let (code, msg) = refused(at.raw(&conn, &provide(&altered)).await);
    assert_eq!(code, "invalid", "{msg}");
    let bad_hex = wire::encode(&Request::Provide {
        signed: "not hex".into(),
    });
    let (code, msg) = refused(at.raw(&conn, &bad_hex).await);
    assert!(code == "invalid" && msg.contains("hex"), "{msg}");

    // Its own, of a model the catalog does not list: kept under no key.
    let made_up = sealed(&key, 3, "no-such-model");
    let r = at.raw(&conn, &provide(&made_up)).await;
    assert_eq!(r, Some(Reply::Stored { keys: 0 }));
    // Its own, of the default model, at once: one record per peer per 5 s (not a strike).
    let own = sealed(&key, 4, MODEL);
    let (code, msg) = refused(at.raw(&conn, &provide(&own)).await);
    assert!(code == "busy" && msg.contains("one record per 5s"), "{msg}");
    // Later: kept under that model's key for its shard.
    tokio::time::sleep(Duration::from_millis(5_100)).await;
    let r = at.raw(&conn, &provide(&own)).await;
    assert_eq!(r, Some(Reply::Stored { keys: 1 }));
    let me = NodeId::from(at.ep.id());
    let shard = providers::shard_of(&me);
    // The authors of the records under a key (the node's own record may share the shard).
    let authors = async |k: NodeId| match at.raw(&conn, &get(k.to_string())).await {
        Some(Reply::Providers { records, .. }) => records
            .iter()
            .map(|r| wire::open(&topic, &hex::decode(r).unwrap()).unwrap().0)
            .collect::<Vec<NodeId>>(),
        other => panic!("get_providers: {other:?}"),
    };
    assert!(authors(providers::key(MODEL, shard)).await.contains(&me));
    // Under another shard's key, or a made-up model's, there is nothing of it.
    for k in [
        providers::key(MODEL, (shard + 1) % providers::SHARDS),
        providers::key("no-such-model", shard),
    ] {
        assert!(!authors(k).await.contains(&me));
    }
    // A key that is not one.
    let (code, msg) = refused(at.raw(&conn, &get("zz".into())).await);
    assert!(code == "invalid" && msg.contains("not a key"), "{msg}");
    assert!(
        strikes_of(&node, &at.id()).await >= 4,
        "each bad record and key is struck"
    );
    assert!(node.log_text().contains("not the sender's"));
}

/// A holder of provider records that lies: asked for a model's providers, it answers with many
/// old announcements of one victim, hoping the requester counts them against the victim's
/// flood limit (a victim struck often enough is banned: its jobs and credits go elsewhere). The
/// requester refuses the whole answer and strikes the holder; the victim is not struck.
#[tokio::test]
async fn a_holder_that_replays_a_providers_old_records_is_struck_and_its_victim_is_not() {
    let gw = Node::start(&[
        "--model",
        "none",
        "--no-gossip",
        "--announce-interval-ms",
        "500",
    ]);
    let at = attacker(&gw).await;
    let conn = at.member().await;
    let victim = SecretKey::generate();
    let (topic, net) = (at.topic(), at.ticket.network.clone());
    let ad = crate::trust::model_ad();
    let old: Vec<String> = (1..=20)
        .map(|seq| {
            let a = wire::Announcement::new(seq, &net, vec![ad.clone()]);
            hex::encode(wire::seal(&victim, &topic, &a))
        })
        .collect();
    let own = wire::seal(
        at.ep.secret_key(),
        &topic,
        &wire::Announcement::new(1, &net, Vec::new()),
    );
    let server = tokio::spawn(async move {
        while let Ok((mut tx, mut rx)) = conn.accept_bi().await {
            let Ok(Some(req)) = wire::read::<Request, _>(&mut rx, wire::MAX_FRAME).await else {
                continue;
            };
            let reply = match req {
                Request::GetAnnouncement => Reply::Announcement {
                    signed: own.clone(),
                },
                Request::Ping { nonce } => Reply::Pong { nonce },
                Request::GetProviders { .. } => Reply::Providers {
                    records: old.clone(),
                    nodes: Vec::new(),
                },
                _ => Reply::Nodes { nodes: Vec::new() },
            };
            let _ = wire::write(&mut tx, &reply).await;
            let _ = tx.finish();
        }
    });
    // The holder is the gateway's only peer: its request searches through it, finds no one.
    let (status, _, v) = post(&gw.url("/v1/chat/completions"), &chat_body("hi", 4)).await;
    assert_eq!(status, 404, "{v}");
    eventually(20, "the holder is struck", async || {
        gw.log_text().contains("two records of").then_some(())
    })
    .await;
    assert!(strikes_of(&gw, &at.id()).await >= 1, "the holder is struck");
    assert_eq!(
        strikes_of(&gw, &hex::encode(victim.public().as_bytes())).await,
        0,
        "the victim is not"
    );
    server.abort();
}

/// A peer that lies in lookups: asked for the nodes near any key, it names 20 made-up nodes,
/// fresh ones for each answer, hoping the asker spends its whole lookup waiting on them (each
/// batch of three waits out its timeout, and the honest nodes are never asked). Each made-up
/// node's address is a UDP socket of this test that never answers, so the test sees which ones
/// the node dials: of each answer, no more than the first batch of three.
#[tokio::test]
async fn a_peer_that_names_made_up_nodes_in_lookups_costs_one_batch_of_each() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let gw = Node::start(&[
        "--model",
        "none",
        "--no-gossip",
        "--announce-interval-ms",
        "500",
    ]);
    let at = attacker(&gw).await;
    let conn = at.member().await;
    let own = wire::seal(
        at.ep.secret_key(),
        &at.topic(),
        &wire::Announcement::new(1, &at.ticket.network, Vec::new()),
    );
    // Each answer's made-up nodes, and whether each was dialed.
    type Answer = Vec<Arc<AtomicBool>>;
    let answers: Arc<std::sync::Mutex<Vec<Answer>>> = Default::default();
    let made_up = {
        let answers = answers.clone();
        async move || {
            let mut nodes = Vec::new();
            let mut dialed = Vec::new();
            for _ in 0..20 {
                let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
                let addr = sock.local_addr().unwrap();
                let hit = Arc::new(AtomicBool::new(false));
                let h = hit.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 2048];
                    if sock.recv_from(&mut buf).await.is_ok() {
                        h.store(true, Ordering::SeqCst);
                    }
                });
                dialed.push(hit);
                nodes.push(wire::Contact {
                    id: hex::encode(SecretKey::generate().public().as_bytes()),
                    addrs: vec![addr],
                    relay: None,
                });
            }
            answers.lock().unwrap().push(dialed);
            nodes
        }
    };
    let server = tokio::spawn(async move {
        while let Ok((mut tx, mut rx)) = conn.accept_bi().await {
            let Ok(Some(req)) = wire::read::<Request, _>(&mut rx, wire::MAX_FRAME).await else {
                continue;
            };
            let reply = match req {
                Request::GetAnnouncement => Reply::Announcement {
                    signed: own.clone(),
                },
                Request::Ping { nonce } => Reply::Pong { nonce },
                Request::GetProviders { .. } => Reply::Providers {
                    records: Vec::new(),
                    nodes: made_up().await,
                },
                Request::FindNode { .. } => Reply::Nodes {
                    nodes: made_up().await,
                },
                _ => Reply::refused(wire::RefuseCode::Invalid, "a liar"),
            };
            let _ = wire::write(&mut tx, &reply).await;
            let _ = tx.finish();
        }
    });
    // The liar is the gateway's only peer: its request searches for the model through it.
    let (status, _, v) = post(&gw.url("/v1/chat/completions"), &chat_body("hi", 4)).await;
    assert_eq!(status, 404, "{v}");
    // Long enough for a lookup that took the liar at its word to ask 4 batches of each answer.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let dialed: Vec<usize> = answers
        .lock()
        .unwrap()
        .iter()
        .map(|a| a.iter().filter(|d| d.load(Ordering::SeqCst)).count())
        .collect();
    assert!(
        dialed.iter().any(|n| *n > 0),
        "the node asked none of the made-up nodes: {dialed:?}"
    );
    assert!(
        dialed.iter().all(|n| *n <= 3),
        "of each answer's 20, no more than one batch of 3 is dialed: {dialed:?}"
    );
    server.abort();
}
