//! Sending a job to a peer and streaming its tokens back, with failover — the mirror of
//! [`super::serve`].
//!
//! A job goes out on a fresh QUIC stream of the verified connection as one `Infer` frame; the
//! peer answers `Accepted` (or `Refused`), then one `Token` frame per generated token and a last
//! `Done` or `Failed`. Tokens are forwarded to the client as they arrive, on the job's own
//! bounded channel; the client turns them into text (so stop sequences and UTF-8 boundaries are
//! handled in one place, whichever nodes produced the tokens).
//!
//! - Here: claiming a place on a peer ([`Inflight`]), opening a segment, starting a job.
//! - `follow`: following a job to its end, and failover. If the serving peer's connection
//!   fails, or it stalls, the job continues elsewhere from where it stopped: the next node gets
//!   the prompt plus every token already streamed (`continuation`) and generates only what is
//!   left of `max_tokens`. The client's stream goes on with no token duplicated or missing.
//! - `pay`: credits held and offered before a job goes out with a signed promise for the prompt,
//!   a promise every few tokens while it runs, and at its end the spend of the last one, sent as
//!   proof of payment. A client that leaves stops the job and pays for what was delivered; a
//!   segment that fails over is paid for the tokens it delivered.
//!
//! A **stall** is no frame for longer than
//! `max(stall_min, stall_factor × the mean time between this job's tokens so far)`
//! (defaults 500 ms and 10×); before the first token, the wait is
//! `FIRST_TOKEN_WAIT + 20 ms per prompt token`, since the peer may be reading a long prompt.
//! A job queued behind others on a busy peer is not stalled: the peer says `Waiting` every few
//! seconds until its first token, and is waited for up to 3 minutes.

mod check;
mod verify;
pub(in crate::net) use verify::{DEBTS_PENDING, debt_heard, take_proof, verify_for};
mod challenge;
pub(super) use challenge::challenges;
mod follow;
mod pay;
pub mod screen;

pub(super) use pay::redeliver;

use std::time::{Duration, Instant};

use iroh::endpoint::SendStream;
use tokio::sync::mpsc;

use super::Net;
use super::wire::{self, InferRequest, RefuseCode, Reply, Request, WireSampling};
use crate::ids::{JobId, ModelRef, NodeId};
use crate::job::{EVENT_CHANNEL, ErrorCode, Refusal, Spec};
use crate::node::{JobGuard, Routed};

/// The longest wait for a job's first token from a peer (plus time per prompt token).
pub const FIRST_TOKEN_WAIT: Duration = Duration::from_secs(15);
/// The longest first-token wait, however long the prompt.
const MAX_FIRST_TOKEN_WAIT: Duration = Duration::from_secs(120);

/// The first-token wait for a prompt of about `prompt_hint` tokens (our own estimate, never the
/// peer's claim).
fn first_token_wait(prompt_hint: usize) -> Duration {
    (FIRST_TOKEN_WAIT + Duration::from_millis(20 * prompt_hint as u64)).min(MAX_FIRST_TOKEN_WAIT)
}

/// Our in-flight place on a peer: taken when the peer is picked (under the table's lock, so a
/// burst of jobs cannot all see the same free slot), freed when the job segment there ends,
/// however it ends.
pub struct Inflight {
    net: Net,
    peer: NodeId,
}

impl Inflight {
    /// Picks the best peer with room for `model` (see [`super::table::Table::pick`]) and takes
    /// a place on it.
    pub fn claim(net: &Net, model: &ModelRef, exclude: &[NodeId]) -> Option<Inflight> {
        let peer = net.with_table(|t| {
            let id = t.pick(model, exclude)?;
            t.take_place(&id);
            Some(id)
        })?;
        Some(Inflight {
            net: net.clone(),
            peer,
        })
    }

    /// A place on `peer`, if it serves `model` with room.
    fn on(net: &Net, peer: NodeId, model: &ModelRef) -> Option<Inflight> {
        net.with_table(|t| {
            let p = t.get(&peer)?;
            let ad = p.serves(model)?;
            if !p.routable() || p.inflight >= ad.slots {
                return None;
            }
            t.take_place(&peer);
            Some(())
        })?;
        Some(Inflight {
            net: net.clone(),
            peer,
        })
    }

    pub fn peer(&self) -> NodeId {
        self.peer
    }
}

impl Drop for Inflight {
    fn drop(&mut self) {
        self.net.with_table(|t| t.release_place(&self.peer));
        self.net.node().room_changed();
    }
}

/// One segment of a job on one peer.
struct Segment {
    peer: NodeId,
    conn: iroh::endpoint::Connection,
    send: SendStream,
    /// The peer's frames, read by their own task: waiting for one can be abandoned (a stall,
    /// a client leaving) without cutting a frame in half.
    frames: mpsc::Receiver<Result<Reply, wire::WireError>>,
    /// Its place on the peer, freed when the segment's job ends there (its check and payment
    /// may take longer).
    inflight: Option<Inflight>,
    accepted: Accepted,
    /// What this segment pays with (none for a free job): the credits held, the promises.
    tab: Option<pay::Tab>,
    /// Its wire job id.
    job: String,
    /// What the worker signed of the segment.
    signed: Signed,
    /// The alternatives asked for with each token's logprob (more, or unasked ones, break it).
    logprobs: Option<u8>,
}

/// A segment's commitments, as its worker signed them.
#[derive(Default)]
struct Signed {
    /// Its signature over its commitment to the answer, sent with `Done`.
    last: Option<crate::trust::proof::Signature>,
    /// Its last running commitment: the segment's first `n` tokens, and its signature.
    running: Option<(u32, crate::trust::proof::Signature)>,
    /// The hash its commitments name of the prompt and the tokens before it (made once: a
    /// running commitment comes every few tokens, and a prompt may be megabytes).
    prompt_hash: std::sync::OnceLock<[u8; 32]>,
}

/// What the peer said when it took the segment.
struct Accepted {
    model: String,
    prompt_tokens: u32,
    max_tokens: u32,
    warning: Option<String>,
    engine: crate::engine::EngineKind,
    why: String,
}

/// `seg` if its peer took the variant asked. Another model than the one asked (and priced, and
/// checked) is refused, and paid only the prompt it was promised (a free job, nothing).
async fn the_variant_asked(net: &Net, mut seg: Segment, asked: &str) -> Result<Segment, Refusal> {
    if same_variant(&seg.accepted.model, asked) {
        return Ok(seg);
    }
    let m = format!(
        "answered with {} when {asked} was asked",
        seg.accepted.model
    );
    net.strike(&seg.peer, &m);
    pay::settle(net, None, &mut seg, 0, true).await;
    Err(Refusal::busy(format!("peer {}: {m}", seg.peer.short()), 1))
}

/// The wire id of a job's segment `n` (each segment is paid on its own receipt).
fn segment_id(job: &JobId, n: u32) -> String {
    if n == 0 {
        job.to_string()
    } else {
        format!("{job}.{n}")
    }
}

/// The `Infer` frame of a job's segment `job` (the rest of a job, after `continuation`),
/// making `offer`: its budget with this node's signed head and its promise for the prompt.
fn request(
    net: &Net,
    spec: &Spec,
    job: String,
    continuation: &[u32],
    max_tokens: Option<u32>,
    offer: &pay::Offer,
) -> Request {
    let budget = offer.budget;
    Request::Infer(InferRequest {
        budget,
        head: (budget > 0)
            .then(|| net.node().ledger().map(|l| Box::new(l.head())))
            .flatten(),
        promise: offer.promise.clone().map(Box::new),
        hold: offer.hold.clone(),
        job,
        model: offer.model.clone(),
        prompt: (&spec.prompt).into(),
        continuation: continuation.to_vec(),
        max_tokens,
        sampling: WireSampling::from(&spec.sampling),
        stop: spec.stop.clone(),
        ignore_eos: spec.ignore_eos,
        constraints: Box::new(spec.constraints.clone()),
        logprobs: spec.logprobs,
    })
}

/// A peer's refusal as an HTTP-shaped one.
fn refusal(code: RefuseCode, message: String) -> Refusal {
    match code {
        RefuseCode::ContextLengthExceeded => Refusal::new(400, message)
            .code(ErrorCode::ContextLengthExceeded)
            .param("messages"),
        RefuseCode::Invalid => Refusal::new(400, message),
        RefuseCode::Credits => Refusal::new(402, message),
        RefuseCode::Banned => Refusal::new(403, message),
        RefuseCode::Model => Refusal::new(404, message),
        // Another node may honour it: the router tries one.
        RefuseCode::Unsupported => Refusal::new(501, message),
        _ => Refusal::busy(message, 1),
    }
}

/// How long a job waits for a stream on a peer's connection.
const STREAM_WAIT: Duration = Duration::from_secs(10);

/// Opens a segment: sends the request and waits for the peer to accept it.
async fn open(
    net: &Net,
    inflight: Inflight,
    req: &Request,
    prompt_hint: usize,
    tab: Option<pay::Tab>,
) -> Result<Segment, Refusal> {
    let (asked, job) = asked_of(req);
    let peer = inflight.peer;
    let unreachable = |e: String| Refusal::busy(format!("peer {}: {e}", peer.short()), 1);
    let conn = net
        .connect(&peer)
        .await
        .map_err(|e| unreachable(format!("{e:#}")))?;
    // A connection allows 256 streams at once: past them, opening one waits for another to
    // end, and the job is better off on another peer.
    let (mut send, mut recv) = tokio::time::timeout(STREAM_WAIT, conn.open_bi())
        .await
        .map_err(|_| {
            unreachable(format!(
                "no stream within {} s: the connection has as many jobs as it allows",
                STREAM_WAIT.as_secs()
            ))
        })?
        .map_err(|e| unreachable(e.to_string()))?;
    wire::write(&mut send, req)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let (first, waiver) = first_reply(&mut recv, first_token_wait(prompt_hint)).await;
    let failure = |why: &str| {
        net.with_table(|t| t.failure(&peer, why, Instant::now()));
        unreachable(why.to_string())
    };
    match first {
        Ok(Ok(Some(Reply::Accepted {
            model,
            prompt_tokens,
            max_tokens,
            warning,
            engine,
            why,
        }))) => {
            let seg = Segment {
                peer,
                conn,
                send,
                frames: follow::read_frames(net, recv),
                inflight: Some(inflight),
                accepted: Accepted {
                    model,
                    prompt_tokens,
                    max_tokens,
                    warning,
                    engine,
                    why,
                },
                tab,
                job,
                signed: Signed::default(),
                logprobs: logprobs_of(req),
            };
            the_variant_asked(net, seg, &asked).await
        }
        Ok(Ok(Some(Reply::Refused { code, message }))) => {
            if let (Some(w), Some(_), Request::Infer(r)) = (waiver, &tab, req) {
                release_waived(net, &r.job, peer, w).await;
            }
            Err(refused(net, &peer, req, code, message))
        }
        Ok(Ok(Some(other))) => {
            net.strike(&peer, &format!("answered a job with {other:?}"));
            Err(unreachable("broke the protocol".into()))
        }
        Ok(Ok(None)) => {
            net.with_table(|t| t.failure(&peer, "closed the job stream", Instant::now()));
            Err(unreachable("closed the stream".into()))
        }
        Ok(Err(e @ (wire::WireError::Malformed(_) | wire::WireError::TooBig { .. }))) => {
            net.strike(&peer, &e.to_string());
            Err(unreachable(e.to_string()))
        }
        Ok(Err(e)) => Err(failure(&e.to_string())),
        Err(_) => {
            net.with_table(|t| t.failure(&peer, "did not accept the job in time", Instant::now()));
            Err(unreachable("no answer in time".into()))
        }
    }
}

/// A peer refused the job: a busy one counts as full for the model until it announces again
/// (so the next jobs try others first).
fn refused(net: &Net, peer: &NodeId, req: &Request, code: RefuseCode, message: String) -> Refusal {
    if let (RefuseCode::Busy, Request::Infer(r)) = (code, req) {
        let model = ModelRef::parse(&r.model);
        net.with_table(|t| t.refused_busy(peer, &model));
    }
    refusal(code, message)
}

/// The variant a job asks for and its wire id.
fn logprobs_of(req: &Request) -> Option<u8> {
    match req {
        Request::Infer(r) => r.logprobs,
        _ => None,
    }
}

fn asked_of(req: &Request) -> (String, String) {
    match req {
        Request::Infer(r) => (r.model.clone(), r.job.clone()),
        _ => (String::new(), String::new()),
    }
}

/// The peer's first answer to a job, within `wait`, and the waiver of the job's hold that may
/// come before a refusal.
async fn first_reply(
    recv: &mut iroh::endpoint::RecvStream,
    wait: std::time::Duration,
) -> (
    Result<Result<Option<Reply>, wire::WireError>, tokio::time::error::Elapsed>,
    Option<crate::ledger::chain::Waiver>,
) {
    let deadline = tokio::time::Instant::now() + wait;
    let mut waiver = None;
    loop {
        let r = tokio::time::timeout_at(
            deadline,
            wire::read::<Reply, _>(recv, wire::MAX_SMALL_FRAME),
        )
        .await;
        match r {
            Ok(Ok(Some(Reply::Waived { waiver: w }))) if waiver.is_none() => waiver = Some(w),
            other => return (other, waiver),
        }
    }
}

/// Gives back a job's hold at once: the worker refused the job and waived it.
async fn release_waived(net: &Net, job: &str, peer: NodeId, w: crate::ledger::chain::Waiver) {
    let Some(ledger) = net.node().ledger() else {
        return;
    };
    match ledger.release_waived(job, peer, w).await {
        Ok(Some(e)) => tracing::debug!("job {job}: refused; its hold released (seq {})", e.seq),
        Ok(None) => tracing::debug!("job {job}: refused; its hold was released already"),
        // Not the worker's waiver of this hold: the hold stays until its time is up.
        Err(crate::ledger::LedgerError::Invalid(m)) => {
            net.strike(&peer, &format!("sent a waiver that releases nothing: {m}"));
        }
        Err(e) => tracing::warn!("job {job}: could not release its hold: {e}"),
    }
}

/// Whether a peer's `Accepted` names the variant that was asked for.
fn same_variant(accepted: &str, asked: &str) -> bool {
    let a = ModelRef::parse(accepted);
    ModelRef::parse(asked).matches(&a.name, a.quant.as_deref().unwrap_or(""))
}

/// Starts a job on the peer `claim` holds a place on. On failure the job's guard comes back
/// with the refusal, so the router can try elsewhere.
pub async fn start(
    net: &Net,
    claim: Inflight,
    spec: &Spec,
    guard: JobGuard,
) -> Result<Routed, (JobGuard, Refusal)> {
    start_known(net, claim, spec, guard, None).await
}

/// [`start`], for a job whose answer this node knows (a challenge).
async fn start_known(
    net: &Net,
    claim: Inflight,
    spec: &Spec,
    guard: JobGuard,
    known: Option<crate::trust::challenge::Known>,
) -> Result<Routed, (JobGuard, Refusal)> {
    let hint = spec.prompt.token_hint();
    let peer = claim.peer;
    let job = segment_id(guard.id(), 0);
    let mut offer = match pay::payment(net, &peer, spec, &job, 0, spec.max_tokens, 0).await {
        Ok(p) => p,
        Err(r) => return Err((guard, r)),
    };
    let req = request(net, spec, job, &[], spec.max_tokens, &offer);
    let seg = match open(net, claim, &req, hint, offer.tab.take()).await {
        Ok(s) => s,
        Err(r) if r.status == 402 => {
            return Err((guard, pay::refused_for_credits(net, &peer, spec, r)));
        }
        Err(r) => return Err((guard, r)),
    };
    let (tx, rx) = mpsc::channel(EVENT_CHANNEL);
    guard.set_prompt(
        ModelRef::parse(&seg.accepted.model),
        seg.accepted.prompt_tokens,
    );
    let a = &seg.accepted;
    let why = crate::node::jobs::variant_why(spec.model.as_ref(), &a.why);
    guard.routed_to(peer, &a.model, a.engine, &why);
    let routed = Routed {
        events: rx,
        served_by: peer,
        why,
        model: seg.accepted.model.clone(),
        prompt_tokens: seg.accepted.prompt_tokens,
        warning: seg.accepted.warning.clone(),
        guard: guard.clone(),
    };
    follow::Follow::spawn(net, spec, guard, seg, tx, known);
    Ok(routed)
}
