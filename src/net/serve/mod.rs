//! Serving peers: each stream of a verified connection carries one request. A job is admitted
//! ([`admit`]: checked, paid for, tokenized), its tokens streamed back as they are produced
//! ([`stream`]) within the window of the requester's signed promises (`tab`), and settled at its
//! end ([`settle`]: the requester's spend of its last promise, checked against its audited chain,
//! backs this node's earning; without it the promise is a debt) — the mirror of
//! [`super::remote`]. The other requests are FIND_NODE, a ping, this node's announcement, its
//! ledger entries (for a peer's audit), and the head it holds of a node's chain.
//!
//! A malformed or oversized request ends that stream with a logged reason and costs the peer
//! reputation; other streams and jobs go on.

mod admit;
pub(super) use admit::Claims;
pub(in crate::net) mod settle;
mod stream;
mod tab;
mod witness;

use iroh::endpoint::{Connection, RecvStream, SendStream};

use super::Net;
use super::wire::{self, InferRequest, RefuseCode, Reply, Request};
use crate::ids::NodeId;
use crate::job::Refusal;

/// Serves the requests a verified peer opens on `conn`, whichever side dialed it: a peer we
/// dialed (or one behind a NAT that dialed us) uses the same connection both ways.
pub(super) async fn serve_streams(net: Net, peer: NodeId, conn: Connection) {
    while let Ok((send, recv)) = conn.accept_bi().await {
        let net2 = net.clone();
        net.tasks()
            .spawn(async move { one_stream(&net2, peer, send, recv).await });
    }
}

/// What a request is, for a log line.
pub(super) fn kind(r: &Request) -> &'static str {
    match r {
        Request::Hello { .. } => "hello",
        Request::Infer(_) => "a job",
        Request::FindNode { .. } => "find_node",
        Request::Ping { .. } => "ping",
        Request::Provide { .. } => "provide",
        Request::GetProviders { .. } => "get_providers",
        Request::GetAnnouncement => "get_announcement",
        Request::GetChain { .. } => "get_chain",
        Request::HeadOf { .. } => "head_of",
        Request::Witness { .. } => "witness",
        Request::GetProof { .. } => "get_proof",
        Request::Verify { .. } => "verify",
        Request::Paid { .. } => "a payment",
        Request::Transfer { .. } => "a transfer",
        Request::GetRevocations => "get_revocations",
        Request::Stage { .. } => "a pipeline stage",
        Request::Pay(_) | Request::Stop => "a job's follow-up outside a job",
        Request::StageStep { .. } => "a stage's step outside a stage",
    }
}

/// How long a peer has to take an answer: one that opens streams and never reads would
/// otherwise hold each answer's memory for as long as the connection lives.
const ANSWER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Answers with one frame and ends the stream (resets it, if the peer does not read it in
/// [`ANSWER_WAIT`]).
async fn answer(send: &mut SendStream, reply: &Reply) {
    match tokio::time::timeout(ANSWER_WAIT, wire::write(send, reply)).await {
        Ok(_) => {
            let _ = send.finish();
        }
        Err(_) => {
            let _ = send.reset(0u32.into());
        }
    }
}

/// How long a peer has to send a stream's request once it opened the stream. A stream held
/// open in silence would otherwise hold its task (and one of the connection's streams) for as
/// long as the connection lives, which keep-alives make forever.
pub(crate) const FIRST_FRAME_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The request a stream opens with, within [`FIRST_FRAME_WAIT`]; `None` when there is none
/// (the stream ended, or it was answered with why not).
async fn first_request(
    net: &Net,
    peer: NodeId,
    send: &mut SendStream,
    recv: &mut RecvStream,
) -> Option<Request> {
    let first = tokio::time::timeout(
        FIRST_FRAME_WAIT,
        wire::read::<Request, _>(recv, wire::MAX_FRAME),
    );
    let Ok(read) = first.await else {
        // Not a strike: a lossy link can be this slow without any ill will.
        tracing::debug!(
            "peer {} opened a stream and sent no request within {}s",
            peer.short(),
            FIRST_FRAME_WAIT.as_secs()
        );
        let _ = recv.stop(0u32.into());
        let m = format!(
            "no request within {}s of opening the stream",
            FIRST_FRAME_WAIT.as_secs()
        );
        answer(send, &Reply::refused(RefuseCode::Invalid, m)).await;
        return None;
    };
    match read {
        Ok(r) => r,
        Err(e) => {
            net.strike(&peer, &e.to_string());
            let reply = Reply::refused(RefuseCode::Invalid, e.to_string());
            answer(send, &reply).await;
            None
        }
    }
}

/// One request stream from a verified peer.
async fn one_stream(net: &Net, peer: NodeId, mut send: SendStream, mut recv: RecvStream) {
    let Some(req) = first_request(net, peer, &mut send, &mut recv).await else {
        return;
    };
    // Proven to have forked its ledger since the connection opened: no more work, ever.
    if net.node().ledger().is_some_and(|l| l.is_equivocator(&peer)) {
        let m = "this node refuses you: you signed two different ledger heads";
        return answer(&mut send, &Reply::refused(RefuseCode::Banned, m)).await;
    }
    let reply = match req {
        Request::Ping { nonce } => Reply::Pong { nonce },
        Request::Provide { signed } => super::provide::serve_provide(net, peer, &signed),
        Request::GetProviders { key, from } => {
            super::provide::serve_get_providers(net, peer, &key, from)
        }
        Request::GetAnnouncement => match net.sealed_announcement().await {
            Some(signed) => Reply::Announcement { signed },
            None => Reply::refused(RefuseCode::Busy, "starting; no announcement yet"),
        },
        Request::FindNode { target } => find_node(net, peer, &target),
        Request::HeadOf { id } => match (NodeId::parse(&id), net.node().ledger()) {
            (Ok(id), Some(l)) => Reply::Head {
                head: (if id == l.id() {
                    Some(l.head())
                } else {
                    l.peer_head(&id)
                })
                .map(Box::new),
            },
            (Ok(_), None) => Reply::Head { head: None },
            (Err(e), _) => {
                net.strike(&peer, &format!("head_of: {e}"));
                Reply::refused(RefuseCode::Invalid, e.to_string())
            }
        },
        Request::Witness { head } => witness::serve(net, peer, &head),
        Request::Verify { claim } => super::remote::verify_for(net, peer, *claim).await,
        Request::GetProof { id } => get_proof(net, peer, &id),
        Request::Hello { .. } => Reply::refused(RefuseCode::Handshake, "already introduced"),
        Request::Infer(job) => {
            infer(net, peer, job, &mut send, recv).await;
            let _ = send.finish();
            return;
        }
        Request::Stage {
            job,
            model,
            layers,
            positions,
        } => {
            let ask = super::pipeline::host::Ask {
                job,
                model,
                layers,
                positions,
            };
            super::pipeline::host::serve(net, peer, ask, &mut send, recv).await;
            return;
        }
        Request::GetChain { after } => {
            chain(net, after, &mut send).await;
            let _ = send.finish();
            return;
        }
        // A payment whose job's settlement did not finish, delivered again.
        Request::Paid { entry, head } => settle::standalone(net, peer, &entry, &head).await,
        Request::Transfer { credits } => super::account::give(net, peer, credits).await,
        Request::GetRevocations => super::account::revocations(net, &peer),
        other @ (Request::Pay(_) | Request::Stop | Request::StageStep { .. }) => {
            let m = format!("sent {} on a stream of its own", kind(&other));
            net.strike(&peer, &m);
            Reply::refused(RefuseCode::Invalid, m)
        }
    };
    answer(&mut send, &reply).await;
}

/// Kademlia FIND_NODE: the contacts closest to `target`.
fn find_node(net: &Net, peer: NodeId, target: &str) -> Reply {
    match NodeId::parse(target) {
        Ok(t) => Reply::Nodes {
            nodes: net.with_table(|tb| tb.closest_verified(&t, super::table::K)),
        },
        Err(e) => {
            net.strike(&peer, &format!("find_node: {e}"));
            Reply::refused(RefuseCode::Invalid, e.to_string())
        }
    }
}

/// The fraud proof `id` (hex), if this node holds it.
fn get_proof(net: &Net, peer: NodeId, id: &str) -> Reply {
    let Some(id) = crate::ids::hex32(id) else {
        net.strike(&peer, "get_proof: not a proof id");
        return Reply::refused(RefuseCode::Invalid, "not a proof id (64 hex digits)");
    };
    match net
        .checks()
        .proof(&id)
        .or_else(|| net.checks().proof_of_job(&id))
    {
        // The job's policy said which regions may see its prompt: a node of another is told
        // there is none.
        Some(proof) if !crate::net::remote::screen::may_see_proof(net, &peer, &proof) => {
            Reply::refused(RefuseCode::Invalid, "no such fraud proof here")
        }
        Some(proof) => Reply::Proof {
            proof: Box::new(proof),
        },
        None => Reply::refused(RefuseCode::Invalid, "no such fraud proof here"),
    }
}

/// A refusal of this node's engine, as the peer protocol says it.
fn refused(r: &Refusal) -> Reply {
    use crate::job::ErrorCode;
    let code = match (r.status, r.code) {
        (_, Some(ErrorCode::ContextLengthExceeded)) => RefuseCode::ContextLengthExceeded,
        (400, _) => RefuseCode::Invalid,
        (404, _) => RefuseCode::Model,
        _ => RefuseCode::Busy,
    };
    Reply::refused(code, r.message.clone())
}

/// Runs a peer's job on this node's engine, streams its tokens back, and settles it.
async fn infer(
    net: &Net,
    peer: NodeId,
    job: InferRequest,
    send: &mut SendStream,
    recv: RecvStream,
) {
    // A place among the jobs run for peers at once (`--max-peer-jobs`), held while it streams
    // (its settling takes no engine time).
    let full = || {
        let cap = net.settings().max_peer_jobs.unwrap_or_default();
        let m = format!("this node runs at most {cap} job(s) for peers at once");
        Reply::refused(RefuseCode::Busy, m)
    };
    // Full already: refused before any work (no audit, no tokenizing).
    let admitted = match net.node().peer_slots_full() {
        true => Err(full()),
        false => admit::admit(net, peer, &job).await,
    };
    let admitted = match admitted {
        Ok(a) => a,
        // With the waiver of its hold, when this node may give one: the requester has its
        // credits back at once, not when the hold's time is up.
        Err(reply) => {
            if let Some(waiver) = admit::waiver(net, peer, &job) {
                let _ = wire::write(send, &Reply::Waived { waiver }).await;
            }
            let _ = wire::write(send, &reply).await;
            return;
        }
    };
    // The place is taken once admitted, so a requester slow to answer the admission's audit
    // holds none meanwhile.
    let Some(slot) = net.node().take_peer_slot() else {
        if let Some(waiver) = admit::unrun(net, peer, &job, admitted) {
            let _ = wire::write(send, &Reply::Waived { waiver }).await;
        }
        let _ = wire::write(send, &full()).await;
        return;
    };
    let Some(mut running) = admitted.start(net, peer, &job, send).await else {
        return;
    };
    // The requester's frames (promises, a stop, its payment) are read by their own task, so a
    // frame is never cut in half by the token loop.
    let (from_tx, mut from_requester) = tokio::sync::mpsc::channel::<Request>(4);
    net.tasks().spawn(read_requester(recv, from_tx));
    let sent = stream::run(net, peer, &mut running, send, &mut from_requester).await;
    drop(slot);
    settle::settle(
        net,
        peer,
        &job,
        &mut running,
        sent,
        send,
        &mut from_requester,
    )
    .await;
}

/// Reads the requester's frames during its job, until the stream ends, a frame is bad or the
/// job is over (a requester that keeps its stream open and silent holds nothing after that).
async fn read_requester(mut recv: RecvStream, tx: tokio::sync::mpsc::Sender<Request>) {
    loop {
        let frame = tokio::select! {
            f = wire::read::<Request, _>(&mut recv, wire::MAX_SMALL_FRAME) => f,
            _ = tx.closed() => return,
        };
        let Ok(Some(r)) = frame else {
            return;
        };
        if tx.send(r).await.is_err() {
            return;
        }
    }
}

/// Serves `GetChain`: this node's ledger entries after `after`, in frames under the bound.
async fn chain(net: &Net, after: Option<u64>, send: &mut SendStream) {
    let Some(ledger) = net.node().ledger() else {
        let m = "this node keeps no ledger";
        let _ = wire::write(send, &Reply::refused(RefuseCode::Busy, m)).await;
        return;
    };
    let mut from = after;
    let mut pending: std::collections::VecDeque<Vec<u8>> = Default::default();
    loop {
        if pending.is_empty() {
            let l = ledger.clone();
            match net
                .tasks()
                .spawn_blocking(move || l.entries_after(from, 256))
                .await
            {
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
