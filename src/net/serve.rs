//! Serving peers: the handler of the node's own protocol on [`wire::ALPN`].
//!
//! A connection must open with the handshake (`Hello`, answered by `Welcome` with our own proof);
//! a peer that cannot prove the network secret, or speaks another version, is refused, logged and
//! struck. After it, each stream carries one request: a job (run on this node's engine, its
//! tokens streamed back as they are produced), FIND_NODE, a ping, or a request for this node's
//! ledger entries (for a peer's audit).
//!
//! A paid job is audited before any work (the requester's signed head and the entries of its
//! chain not verified before), clamped to what its budget pays for, queued by the requester's
//! credit standing, and settled at its end: this node signs a receipt, the requester
//! countersigns it, and this node records its earning. A malformed or oversized
//! request ends that stream with a logged reason and costs the peer reputation; other streams
//! and jobs go on.

use std::sync::atomic::Ordering;
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
            policy,
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
            } else if policy != c.policy {
                let m = format!(
                    "its credit policy ({policy}) differs from this network's ({}): the nodes of a \
                     network need the same [credits] settings",
                    c.policy
                );
                (refuse("policy", m.clone()), Err(m))
            } else {
                (
                    Reply::Welcome {
                        version: wire::VERSION,
                        proof: wire::proof(&c.network, &c.secret, &own, &them),
                        policy: c.policy.clone(),
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
        Request::GetChain { .. } => "get_chain",
        Request::Stop { .. } | Request::Countersign { .. } | Request::Dispute { .. } => {
            "a job's follow-up outside a job"
        }
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
    // Proven to have forked its ledger since the connection opened: no more work, ever.
    if net.node().ledger().is_some_and(|l| l.is_equivocator(&peer)) {
        let _ = wire::write(
            &mut send,
            &Reply::Refused {
                code: "banned".into(),
                message: "this node refuses you: you signed two different ledger heads".into(),
            },
        )
        .await;
        let _ = send.finish();
        return;
    }
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
            infer(net, peer, job, &mut send, recv).await;
            let _ = send.finish();
            return;
        }
        Request::GetChain { after } => {
            chain(net, after, &mut send).await;
            let _ = send.finish();
            return;
        }
        other @ (Request::Stop { .. } | Request::Countersign { .. } | Request::Dispute { .. }) => {
            let m = format!("sent {} on a stream of its own", kind(&other));
            net.strike(&peer, &m);
            Reply::Refused {
                code: "invalid".into(),
                message: m,
            }
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

/// Serves `GetChain`: this node's ledger entries after `after`, in frames under the bound.
async fn chain(net: &Net, after: Option<u64>, send: &mut SendStream) {
    let Some(ledger) = net.node().ledger() else {
        let _ = wire::write(
            send,
            &Reply::Refused {
                code: "busy".into(),
                message: "this node keeps no ledger".into(),
            },
        )
        .await;
        return;
    };
    let mut from = after;
    let mut pending: std::collections::VecDeque<Vec<u8>> = Default::default();
    loop {
        if pending.is_empty() {
            let l = ledger.clone();
            match tokio::task::spawn_blocking(move || l.entries_after(from, 256)).await {
                Ok(Ok(b)) if !b.is_empty() => {
                    from = Some(from.map_or(0, |f| f + 1) + b.len() as u64 - 1);
                    pending.extend(b);
                }
                Ok(Ok(_)) => {
                    let _ = wire::write(send, &Reply::ChainEnd).await;
                    return;
                }
                _ => return,
            }
        }
        // Frames under the reply bound, by size (entries differ in length).
        let mut entries = Vec::new();
        let mut size = 0;
        while let Some(raw) = pending.front() {
            if !entries.is_empty() && size + raw.len() * 2 + 8 > CHAIN_FRAME_BYTES {
                break;
            }
            size += raw.len() * 2 + 8;
            entries.push(hex::encode(pending.pop_front().expect("not empty")));
        }
        if wire::write(send, &Reply::Entries { entries })
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Hex bytes of ledger entries per `Entries` frame (under [`wire::MAX_SMALL_FRAME`]).
const CHAIN_FRAME_BYTES: usize = 48 << 10;

/// What the requester pays with, checked before any work.
enum Terms {
    /// Credits held by the requester, audited against its chain; its balance sets the priority.
    Paid { budget: u64, standing: u64 },
    /// No credits offered: served only on idle capacity, for nothing.
    Free,
}

/// Checks a job's payment terms: the requester's signed head, its chain (only what was not
/// audited before), the budget against its balance, and the job id against replays.
async fn terms(net: &Net, peer: [u8; 32], job: &InferRequest, idle: bool) -> Result<Terms, Reply> {
    let refuse = |code: &str, message: String| Reply::Refused {
        code: code.into(),
        message,
    };
    let Some(ledger) = net.node().ledger() else {
        return Ok(Terms::Free);
    };
    if job.budget == 0 {
        return if ledger.policy().free_when_idle && idle {
            Ok(Terms::Free)
        } else {
            Err(refuse(
                "credits",
                format!(
                    "the job offers no credits, and this node serves such jobs only when a slot is idle \
                     (free_when_idle = {})",
                    ledger.policy().free_when_idle
                ),
            ))
        };
    }
    let Some(head) = &job.head else {
        let m = "a job with a budget must carry the requester's signed ledger head".to_string();
        net.strike(&peer, &m);
        return Err(refuse("invalid", m));
    };
    if head.owner != peer {
        let m = "the ledger head it sent is another node's".to_string();
        net.strike(&peer, &m);
        return Err(refuse("invalid", m));
    }
    let (l, j) = (ledger.clone(), job.job.clone());
    let recorded = tokio::task::spawn_blocking(move || l.recorded(&j, &peer, &l.id()))
        .await
        .unwrap_or(false);
    if recorded {
        let m = format!(
            "replayed job id {}: its receipt is already recorded",
            job.job
        );
        net.strike(&peer, &m);
        return Err(refuse("invalid", m));
    }
    let n = net.clone();
    let balance = ledger
        .audit(head, |after, sink| async move {
            n.fetch_chain(peer, after, sink).await
        })
        .await
        .map_err(|e| match e {
            crate::ledger::AuditError::Bad(e) => {
                net.strike(&peer, &format!("ledger audit failed: {e}"));
                refuse(
                    "ledger",
                    format!("your ledger failed this node's audit: {e}"),
                )
            }
            // Unreachable or slow: nobody's fault yet.
            crate::ledger::AuditError::Fetch(e) => refuse(
                "busy",
                format!("could not read your ledger for its audit: {e}"),
            ),
        })?;
    if balance < job.budget {
        let m = format!(
            "it offered {} credits but its audited balance is {balance}",
            job.budget
        );
        net.strike(&peer, &m);
        return Err(refuse("credits", m));
    }
    Ok(Terms::Paid {
        budget: job.budget,
        standing: balance,
    })
}

/// Runs a peer's job on this node's engine, streams its tokens back, and settles the job: a
/// receipt the worker signs, the requester countersigns, and both record.
async fn infer(
    net: &Net,
    peer: [u8; 32],
    job: InferRequest,
    send: &mut SendStream,
    mut recv: RecvStream,
) {
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
    // A malformed request is refused as such, before its payment is looked at.
    let vocab = engine.n_vocab();
    let bad_token = job
        .continuation
        .iter()
        .find(|&&t| t >= vocab)
        .map(|t| format!("continuation token {t} is outside the {vocab}-token vocabulary"));
    if let Some(m) = check(&job).err().or(bad_token) {
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
    let stats = engine.stats();
    let idle =
        stats.busy_slots.load(Ordering::Relaxed) == 0 && stats.queued.load(Ordering::Relaxed) == 0;
    let terms = match terms(net, peer, &job, idle).await {
        Ok(t) => t,
        Err(reply) => {
            let _ = wire::write(send, &reply).await;
            return;
        }
    };
    let Ok(permit) = net.prepare_permit().await else {
        return;
    };
    let e = engine.clone();
    let (prompt, cont, max) = (job.prompt.clone(), job.continuation.clone(), job.max_tokens);
    let prepared =
        tokio::task::spawn_blocking(move || crate::route::prepare(&e, &prompt, &cont, max)).await;
    drop(permit);
    let mut p = match prepared {
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
    let info = engine.info().clone();
    let processed = p.prompt_tokens as u64 + job.continuation.len() as u64;
    // Priced from the catalog's parameter count, as the requester prices it.
    let parameters = node
        .ledger()
        .and_then(|l| l.parameters(&info.name))
        .unwrap_or(info.parameters);
    let priority = match &terms {
        Terms::Paid { budget, standing } => {
            let policy = node
                .ledger()
                .expect("paid terms need a ledger")
                .policy()
                .clone();
            let can = policy.affordable(parameters, &info.quant, processed, *budget);
            if can == 0 {
                let need = policy.price(parameters, &info.quant, processed + 1);
                let _ = wire::write(
                    send,
                    &refuse(
                        "credits",
                        format!(
                            "its {processed}-token prompt and one answer token cost {need} credits; \
                             {budget} were offered"
                        ),
                    ),
                )
                .await;
                return;
            }
            if can < p.max_tokens as u64 {
                p.max_tokens = can as u32;
                let w =
                    format!("max_tokens clamped to {can}: what the requester's credits pay for");
                p.warning = Some(match p.warning.take() {
                    Some(old) => format!("{old}; {w}"),
                    None => w,
                });
            }
            // Contributor priority: the richer requester's job is admitted first.
            i64::try_from(*standing).unwrap_or(i64::MAX - 1)
        }
        Terms::Free => i64::MIN,
    };
    let model = format!("{}:{}", info.name, info.quant);
    let guard = node.start_job(&model, p.prompt_tokens);
    guard.set_requester(&hex::encode(peer));
    guard.set_prompt_text(crate::node::prompt_text(&spec.prompt));
    guard.set_warning(p.warning.as_deref());
    guard.run_locally();
    let mut rx = match crate::route::submit_local(&engine, &p, &spec, p.max_tokens, priority) {
        Ok(rx) => rx,
        Err(r) => {
            guard.refuse(&r.message);
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
    // The requester's frames (a stop, its countersignature) are read by their own task, so a
    // frame is never cut in half by the token loop.
    let (from_tx, mut from_requester) = tokio::sync::mpsc::channel::<Request>(4);
    tokio::spawn(async move {
        while let Ok(Some(r)) = wire::read::<Request, _>(&mut recv, wire::MAX_SMALL_FRAME).await {
            if from_tx.send(r).await.is_err() {
                return;
            }
        }
    });
    let mut n = 0u32;
    let mut stopped: Option<u32> = None;
    loop {
        let frame = tokio::select! {
            ev = rx.recv() => match ev {
                Some(Event::Token { id, piece }) => {
                    n += 1;
                    if n.is_multiple_of(16) {
                        guard.update("running", n);
                    }
                    guard.push_output(&piece);
                    Reply::Token { id, piece }
                }
                Some(Event::Done(f)) => {
                    guard.finish(&f);
                    Reply::Done {
                    reason: f.reason.as_str().into(),
                    completion_tokens: f.completion_tokens,
                    cached_tokens: f.cached_tokens,
                    ttft_ms: f.time_to_first_token.as_secs_f64() * 1e3,
                    prompt_ms: f.prompt_time.as_secs_f64() * 1e3,
                    generation_ms: f.generation_time.as_secs_f64() * 1e3,
                }},
                // A failed job is not paid.
                Some(Event::Failed(message)) => {
                    guard.fail(&message);
                    let _ = wire::write(send, &Reply::Failed { message }).await;
                    return;
                }
                None => return,
            },
            r = from_requester.recv() => match r {
                Some(Request::Stop { received }) => {
                    stopped = Some(received);
                    break;
                }
                // The requester went away, or sent something else mid-job: the job ends here
                // (dropping `rx` cancels it) and is not paid.
                _ => return,
            },
        };
        let done = matches!(frame, Reply::Done { .. });
        // The requester went away (or failed over): dropping `rx` cancels the job here.
        if wire::write(send, &frame).await.is_err() {
            return;
        }
        if done {
            break;
        }
    }
    drop(rx);
    let Terms::Paid { .. } = terms else {
        return;
    };
    let ledger = node.ledger().expect("paid terms need a ledger");
    // Paid for what was delivered: on a stop, what the requester says it received, never more
    // than was sent.
    let delivered = stopped.map_or(n, |r| r.min(n));
    let receipt = crate::ledger::Receipt {
        job: job.job.clone(),
        requester: peer,
        worker: ledger.id(),
        model: info.name.clone(),
        quant: info.quant.clone(),
        prompt_tokens: processed as u32,
        completion_tokens: delivered,
        credits: ledger
            .policy()
            .price(parameters, &info.quant, processed + delivered as u64),
        time_ms: crate::ledger::now_ms(),
    };
    let own_sig = ledger.sign(&receipt);
    let sig = hex::encode(own_sig);
    let short = hex::encode(&peer[..5]);
    if wire::write(
        send,
        &Reply::Receipt {
            receipt: receipt.clone(),
            sig,
        },
    )
    .await
    .is_err()
    {
        tracing::warn!("job {}: requester {short} left before the receipt", job.job);
        return;
    }
    let answer = tokio::time::timeout(SETTLE_WAIT, async {
        loop {
            match from_requester.recv().await {
                // Tokens it had not read yet when it stopped may still be counted: skip.
                Some(Request::Stop { .. }) => continue,
                other => return other,
            }
        }
    })
    .await;
    match answer {
        Ok(Some(Request::Countersign { sig, entry, head })) => {
            let sig: Option<[u8; 64]> = hex::decode(&sig).ok().and_then(|b| b.try_into().ok());
            let Some(sig) = sig else {
                net.strike(&peer, "countersigned a receipt with a malformed signature");
                return;
            };
            // Its proof that it recorded the payment: without it, an earning could be minted
            // by a requester that never pays.
            let paid = hex::decode(&entry)
                .map_err(|_| "its spend entry is not hex".to_string())
                .and_then(|raw| ledger.check_payment(&receipt, &own_sig, &raw, &head));
            if let Err(why) = paid {
                net.strike(
                    &peer,
                    &format!("bad proof of payment for job {}: {why}", job.job),
                );
                return;
            }
            match ledger.earn(receipt.clone(), sig).await {
                Ok(e) => {
                    guard.settled(&receipt, &e);
                    let _ = wire::write(send, &Reply::Settled { seq: e.seq }).await;
                }
                Err(crate::ledger::LedgerError::Invalid(why)) => {
                    net.strike(
                        &peer,
                        &format!("bad countersignature for job {}: {why}", job.job),
                    );
                }
                Err(e) => tracing::error!("job {}: recording the receipt failed: {e}", job.job),
            }
        }
        Ok(Some(Request::Dispute { reason })) => {
            tracing::warn!(
                "job {}: requester {short} disputed the receipt: {reason}",
                job.job
            );
        }
        _ => net.strike(
            &peer,
            &format!(
                "did not countersign the receipt of job {} (unpaid)",
                job.job
            ),
        ),
    }
}

/// How long a worker waits for the requester's countersignature.
const SETTLE_WAIT: Duration = Duration::from_secs(20);

/// The same bounds the HTTP API enforces, for requests that come from peers.
fn check(job: &InferRequest) -> Result<(), String> {
    if job.job.is_empty() || job.job.len() > crate::ledger::chain::MAX_JOB {
        return Err(format!(
            "a job id must be 1 to {} bytes",
            crate::ledger::chain::MAX_JOB
        ));
    }
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
