//! Serving peers: the handler of the node's own protocol on [`wire::ALPN`].
//!
//! A connection must open with the handshake (`Hello`, answered by `Welcome` with our own proof);
//! a peer that cannot prove the network secret, or speaks another version, is refused, logged and
//! struck. After it, each stream carries one request: a job (run on this node's engine, its
//! tokens streamed back as they are produced), FIND_NODE, or a ping. A malformed or oversized
//! request ends that stream with a logged reason and costs the peer reputation; other streams
//! and jobs go on.

use std::time::Duration;

use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::protocol::{AcceptError, ProtocolHandler};

use super::Net;
use super::wire::{self, InferRequest, Reply, Request};
use crate::engine::{Event, Sampling};
use crate::route::{JobSpec, Refusal};

/// How long a new connection has to complete the handshake.
const HANDSHAKE_WAIT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Handler(pub Net);

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("llp protocol handler")
    }
}

impl ProtocolHandler for Handler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let net = &self.0;
        let peer = *conn.remote_id().as_bytes();
        let short = hex::encode(&peer[..5]);
        if net.banned(&peer) {
            tracing::warn!("refused peer {short}: banned after repeated protocol violations");
            conn.close(2u32.into(), b"banned");
            return Ok(());
        }
        match tokio::time::timeout(HANDSHAKE_WAIT, handshake(net, &conn, &peer)).await {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => {
                net.strike(&peer, &format!("handshake refused: {reason}"));
                // Let the refusal reach it before closing.
                tokio::time::sleep(Duration::from_millis(100)).await;
                conn.close(1u32.into(), b"handshake refused");
                return Ok(());
            }
            Err(_) => {
                net.strike(&peer, "no handshake within 10 s");
                conn.close(1u32.into(), b"handshake timeout");
                return Ok(());
            }
        }
        net.introduced(&peer, &conn);
        serve_streams(net.clone(), peer, conn.clone()).await;
        net.closed_inbound(&peer, &conn);
        Ok(())
    }
}

/// Serves the requests a verified peer opens on `conn`, whichever side dialed it: a peer we
/// dialed (or one behind a NAT that dialed us) uses the same connection both ways.
pub(crate) async fn serve_streams(net: Net, peer: [u8; 32], conn: Connection) {
    loop {
        let (send, recv) = match conn.accept_bi().await {
            Ok(s) => s,
            Err(_) => return,
        };
        let net = net.clone();
        tokio::spawn(async move { stream(&net, peer, send, recv).await });
    }
}

/// Checks the first stream's `Hello`. Any failure is answered with `Refused` and logged.
async fn handshake(net: &Net, conn: &Connection, peer: &[u8; 32]) -> Result<(), String> {
    let (mut send, mut recv) = conn.accept_bi().await.map_err(|e| e.to_string())?;
    let hello = wire::read::<Request, _>(&mut recv, wire::MAX_SMALL_FRAME).await;
    let c = net.config();
    let own = net.key().public();
    let them = conn.remote_id();
    let refuse = |code: &str, message: String| Reply::Refused {
        code: code.into(),
        message,
    };
    let (reply, result) = match hello {
        Ok(Some(Request::Hello {
            version,
            network,
            proof,
        })) => {
            if version != wire::VERSION {
                let m = format!(
                    "protocol version {version} is not supported (this node speaks {})",
                    wire::VERSION
                );
                (refuse("version", m.clone()), Err(m))
            } else if network != c.network
                || !wire::proofs_match(&proof, &wire::proof(&c.network, &c.secret, &them, &own))
            {
                let m = format!(
                    "not a member of network `{}` (it asked for `{network}`, or its secret is wrong or missing)",
                    c.network
                );
                tracing::warn!(
                    "peer {} tried to join without the network secret: refused",
                    hex::encode(&peer[..5])
                );
                (refuse("network", m.clone()), Err(m))
            } else {
                (
                    Reply::Welcome {
                        version: wire::VERSION,
                        proof: wire::proof(&c.network, &c.secret, &own, &them),
                    },
                    Ok(()),
                )
            }
        }
        Ok(Some(other)) => {
            let m = format!("opened with {} instead of hello", kind(&other));
            (refuse("handshake", m.clone()), Err(m))
        }
        Ok(None) => return Err("closed before the handshake".into()),
        Err(e) => (refuse("invalid", e.to_string()), Err(e.to_string())),
    };
    let _ = wire::write(&mut send, &reply).await;
    let _ = send.finish();
    result
}

fn kind(r: &Request) -> &'static str {
    match r {
        Request::Hello { .. } => "hello",
        Request::Infer(_) => "a job",
        Request::FindNode { .. } => "find_node",
        Request::Ping { .. } => "ping",
        Request::GetAnnouncement => "get_announcement",
    }
}

/// One request stream from a verified peer.
async fn stream(net: &Net, peer: [u8; 32], mut send: SendStream, mut recv: RecvStream) {
    let req = match wire::read::<Request, _>(&mut recv, wire::MAX_FRAME).await {
        Ok(Some(r)) => r,
        Ok(None) => return,
        Err(e) => {
            net.strike(&peer, &e.to_string());
            let _ = wire::write(
                &mut send,
                &Reply::Refused {
                    code: "invalid".into(),
                    message: e.to_string(),
                },
            )
            .await;
            let _ = send.finish();
            return;
        }
    };
    let reply = match req {
        Request::Ping { nonce } => Reply::Pong { nonce },
        Request::GetAnnouncement => {
            let signed = net.sealed_announcement();
            if signed.is_empty() {
                Reply::Refused {
                    code: "busy".into(),
                    message: "starting; no announcement yet".into(),
                }
            } else {
                Reply::Announcement { signed }
            }
        }
        Request::FindNode { target } => match super::parse_id(&target) {
            Ok(t) => Reply::Nodes {
                nodes: net.with_table(|tb| tb.closest(&t, super::table::K)),
            },
            Err(e) => {
                net.strike(&peer, &format!("find_node: {e}"));
                Reply::Refused {
                    code: "invalid".into(),
                    message: e,
                }
            }
        },
        Request::Hello { .. } => Reply::Refused {
            code: "handshake".into(),
            message: "already introduced".into(),
        },
        Request::Infer(job) => {
            infer(net, peer, job, &mut send).await;
            let _ = send.finish();
            return;
        }
    };
    let _ = wire::write(&mut send, &reply).await;
    let _ = send.finish();
}

fn refused(r: &Refusal) -> Reply {
    let code = match (r.status, r.code.as_deref()) {
        (_, Some("context_length_exceeded")) => "context_length_exceeded",
        (400, _) => "invalid",
        (404, _) => "model",
        _ => "busy",
    };
    Reply::Refused {
        code: code.into(),
        message: r.message.clone(),
    }
}

/// Runs a peer's job on this node's engine and streams its tokens back.
async fn infer(net: &Net, peer: [u8; 32], job: InferRequest, send: &mut SendStream) {
    let node = net.node().clone();
    let refuse = |code: &str, message: String| Reply::Refused {
        code: code.into(),
        message,
    };
    if node.paused() {
        let _ = wire::write(
            send,
            &refuse("paused", "this node has paused its contribution".into()),
        )
        .await;
        return;
    }
    let Some(engine) = node.engine_for(Some(&job.model)).cloned() else {
        let _ = wire::write(
            send,
            &refuse("model", format!("this node does not serve {}", job.model)),
        )
        .await;
        return;
    };
    if let Err(m) = check(&job) {
        net.strike(&peer, &m);
        let _ = wire::write(send, &refuse("invalid", m)).await;
        return;
    }
    let spec = JobSpec {
        model: Some(job.model.clone()),
        prompt: job.prompt.clone(),
        max_tokens: job.max_tokens,
        sampling: Sampling {
            temperature: job.sampling.temperature,
            top_p: job.sampling.top_p,
            seed: job.sampling.seed,
            frequency_penalty: job.sampling.frequency_penalty,
            presence_penalty: job.sampling.presence_penalty,
        },
        stop: job.stop.clone(),
        ignore_eos: job.ignore_eos,
    };
    // Refuse before tokenizing when the engine cannot take it anyway, and tokenize few peer
    // requests at a time: a peer cannot make this node do much work for free.
    if !engine.has_room() {
        let _ = wire::write(
            send,
            &refuse("busy", "every slot and queue place is taken".into()),
        )
        .await;
        return;
    }
    let Ok(permit) = net.prepare_permit().await else {
        return;
    };
    let e = engine.clone();
    let (prompt, cont, max) = (job.prompt.clone(), job.continuation.clone(), job.max_tokens);
    let prepared =
        tokio::task::spawn_blocking(move || crate::route::prepare(&e, &prompt, &cont, max)).await;
    drop(permit);
    let p = match prepared {
        Ok(Ok(p)) => p,
        Ok(Err(r)) => {
            let _ = wire::write(send, &refused(&r)).await;
            return;
        }
        Err(e) => {
            let _ = wire::write(send, &refuse("busy", e.to_string())).await;
            return;
        }
    };
    let model = format!("{}:{}", engine.info().name, engine.info().quant);
    let guard = node.start_job(&model, p.prompt_tokens);
    guard.set_requester(&hex::encode(peer));
    let mut rx = match crate::route::submit_local(&engine, &p, &spec, p.max_tokens) {
        Ok(rx) => rx,
        Err(r) => {
            let _ = wire::write(send, &refused(&r)).await;
            return;
        }
    };
    let accepted = Reply::Accepted {
        model,
        prompt_tokens: p.prompt_tokens,
        max_tokens: p.max_tokens,
        warning: p.warning,
    };
    if wire::write(send, &accepted).await.is_err() {
        return;
    }
    guard.update("running", 0);
    let mut n = 0u32;
    while let Some(ev) = rx.recv().await {
        let frame = match ev {
            Event::Token { id, piece } => {
                n += 1;
                if n.is_multiple_of(16) {
                    guard.update("running", n);
                }
                Reply::Token { id, piece }
            }
            Event::Done(f) => Reply::Done {
                reason: f.reason.as_str().into(),
                completion_tokens: f.completion_tokens,
                cached_tokens: f.cached_tokens,
                ttft_ms: f.time_to_first_token.as_secs_f64() * 1e3,
                prompt_ms: f.prompt_time.as_secs_f64() * 1e3,
                generation_ms: f.generation_time.as_secs_f64() * 1e3,
            },
            Event::Failed(message) => Reply::Failed { message },
        };
        // The requester went away (or failed over): dropping `rx` cancels the job here.
        if wire::write(send, &frame).await.is_err() {
            return;
        }
    }
}

/// The same bounds the HTTP API enforces, for requests that come from peers.
fn check(job: &InferRequest) -> Result<(), String> {
    if job.stop.len() > 4 || job.stop.iter().any(|s| s.len() > 512) {
        return Err("a job may carry at most 4 stop sequences of at most 512 bytes".into());
    }
    if let wire::Prompt::Chat(m) = &job.prompt
        && (m.is_empty() || m.len() > 4096)
    {
        return Err(format!(
            "a job must carry 1 to 4096 messages, not {}",
            m.len()
        ));
    }
    if job.continuation.len() > 1 << 20 {
        return Err("continuation too long".into());
    }
    let s = &job.sampling;
    if !((0.0..=2.0).contains(&s.temperature)
        && (0.0..=1.0).contains(&s.top_p)
        && (-2.0..=2.0).contains(&s.frequency_penalty)
        && (-2.0..=2.0).contains(&s.presence_penalty))
    {
        return Err(
            "sampling values out of range (temperature 0-2, top_p 0-1, penalties -2 to 2)".into(),
        );
    }
    Ok(())
}
