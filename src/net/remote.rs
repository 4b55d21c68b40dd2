//! Sending a job to a peer and streaming its tokens back, with failover.
//!
//! A job goes out on a fresh QUIC stream of the verified connection as one `Infer` frame; the
//! peer answers `Accepted` (or `Refused`), then one `Token` frame per generated token and a last
//! `Done` or `Failed`. Tokens are forwarded to the API as they arrive, on the job's own bounded
//! channel; the API turns them into text (so stop sequences and UTF-8 boundaries are handled in
//! one place, whichever nodes produced the tokens).
//!
//! ## Credits
//! Before a job goes out, credits are held for it (see [`payment`]) and offered to the peer as
//! its budget, with this node's signed ledger head. At the end the peer sends a receipt; it is
//! checked against what this node counted and the network's prices, recorded, and
//! countersigned (see `Follow::settle`). A client that leaves stops the job and pays for what
//! was delivered; a segment that fails over is not paid.
//!
//! ## Failover
//! If the serving peer's connection fails, or it stalls, the job continues elsewhere from where
//! it stopped: the next node gets the prompt plus every token already streamed (`continuation`)
//! and generates only what is left of `max_tokens`. The client's stream goes on with no token
//! duplicated or missing. The failed peer is scored down (and evicted after repeated failures).
//!
//! A **stall** is no frame for longer than
//! `max(stall_min, stall_factor × the mean time between this job's tokens so far)`
//! (defaults 500 ms and 10×); before the first token, the wait is
//! `FIRST_TOKEN_WAIT + 20 ms per prompt token`, since the peer may be reading a long prompt.

use std::time::{Duration, Instant};

use iroh::endpoint::{RecvStream, SendStream};
use tokio::sync::mpsc;

use super::Net;
use super::wire::{self, InferRequest, Reply, Request, WireSampling};
use crate::engine::{EVENT_CHANNEL, Event, Finish, FinishReason};
use crate::node::JobGuard;
use crate::route::{JobSpec, Refusal, Routed};

/// The longest wait for a job's first token from a peer (plus time per prompt token).
pub const FIRST_TOKEN_WAIT: Duration = Duration::from_secs(15);
/// The longest first-token wait, however long the prompt.
const MAX_FIRST_TOKEN_WAIT: Duration = Duration::from_secs(120);
/// Failovers one job may go through before it gives up.
const MAX_FAILOVERS: u32 = 8;
/// How long a failed-over job looks for another node before it gives up.
const FAILOVER_SEARCH: Duration = Duration::from_secs(30);

/// Our in-flight place on a peer: taken when the peer is picked (under the table's lock, so a
/// burst of jobs cannot all see the same free slot), freed when the job segment there ends,
/// however it ends.
pub struct Inflight {
    net: Net,
    peer: [u8; 32],
}

impl Inflight {
    /// Picks the best peer with room for `model` (see [`super::table::Table::pick`]) and takes
    /// a place on it.
    pub fn claim(net: &Net, model: &str, exclude: &[[u8; 32]]) -> Option<Inflight> {
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

    pub fn peer(&self) -> [u8; 32] {
        self.peer
    }
}

impl Drop for Inflight {
    fn drop(&mut self) {
        self.net.with_table(|t| t.release_place(&self.peer));
        self.net.node().capacity().notify_waiters();
    }
}

/// One segment of a job on one peer.
struct Segment {
    peer: [u8; 32],
    conn: iroh::endpoint::Connection,
    send: SendStream,
    /// The peer's frames, read by their own task: waiting for one can be abandoned (a stall,
    /// a client leaving) without cutting a frame in half.
    frames: mpsc::Receiver<Result<Reply, wire::WireError>>,
    _inflight: Inflight,
    accepted: Accepted,
    /// Credits held for this segment (none for a free job); released when it is settled.
    hold: Option<crate::ledger::Hold>,
    /// Tokens already generated elsewhere when this segment started (the peer processes them
    /// as prompt).
    continuation: u32,
}

struct Accepted {
    model: String,
    prompt_tokens: u32,
    max_tokens: u32,
    warning: Option<String>,
}

/// Credits to offer a peer for a job: what this node has available, at most the price of the
/// most tokens the job can use (its prompt counted as a token per byte plus the template, and
/// its `max_tokens`, within the peer's context). Held
/// until the job is settled. A node with nothing available asks to be served free (when the
/// network's policy allows that on idle capacity), else gets 402.
fn payment(
    net: &Net,
    peer: &[u8; 32],
    spec: &JobSpec,
    model: &str,
    continuation: usize,
    max_tokens: Option<u32>,
) -> Result<(Option<crate::ledger::Hold>, u64), Refusal> {
    let Some(ledger) = net.node().ledger() else {
        return Ok((None, 0));
    };
    let ad = net.with_table(|t| t.get(peer).and_then(|p| p.serves(model)).cloned());
    let (name, quant, ctx) = match &ad {
        Some(a) => (a.name.clone(), a.quant.clone(), a.ctx as u64),
        None => (
            crate::catalog::split_spec(model).0.to_string(),
            String::new(),
            4096,
        ),
    };
    // A token is at least a byte, plus the chat template's few per message: an upper bound of
    // the prompt that needs no tokenizer here. Prompt and answer never exceed the context.
    let (bytes, messages) = match &spec.prompt {
        wire::Prompt::Chat(m) => (m.iter().map(|(r, c)| r.len() + c.len()).sum(), m.len()),
        wire::Prompt::Text(t) => (t.len(), 1),
    };
    let most =
        (bytes + 16 * messages + 64 + continuation) as u64 + max_tokens.map_or(ctx, u64::from);
    let Some(bound) = ledger.price(&name, &quant, most.min(ctx)) else {
        return Err(Refusal::new(
            404,
            format!("The model `{name}` is not in this node's catalog, so its price is unknown"),
        )
        .param("model")
        .code("model_not_found"));
    };
    let hint = bytes / 4 + continuation;
    let budget = ledger.available().min(bound);
    if budget == 0 {
        if ledger.policy().free_when_idle {
            return Ok((None, 0));
        }
        return Err(insufficient(&ledger, &name, &quant, spec, hint, None));
    }
    match ledger.hold(budget) {
        Ok(h) => Ok((Some(h), budget)),
        Err(_) => Err(insufficient(&ledger, &name, &quant, spec, hint, None)),
    }
}

/// 402, with the balance and the job's estimated cost.
fn insufficient(
    ledger: &crate::ledger::Ledger,
    name: &str,
    quant: &str,
    spec: &JobSpec,
    prompt_hint: usize,
    peer_said: Option<&str>,
) -> Refusal {
    let tokens = prompt_hint as u64 + spec.max_tokens.unwrap_or(256) as u64;
    let estimate = ledger.price(name, quant, tokens).unwrap_or(0);
    let mut m = format!(
        "Not enough credits: this node's balance is {} credits ({} available beside running jobs)          and this request is estimated at {estimate} credits ({tokens} tokens of {name}). Earn          credits by serving others' jobs, or use a model this node runs itself (free)",
        ledger.balance(),
        ledger.available()
    );
    if let Some(p) = peer_said {
        m.push_str(&format!(". The peer said: {p}"));
    }
    Refusal::new(402, m).code("insufficient_credits")
}

#[allow(clippy::too_many_arguments)]
fn request(
    net: &Net,
    spec: &JobSpec,
    model: &str,
    job: &str,
    continuation: &[u32],
    max_tokens: Option<u32>,
    budget: u64,
) -> Request {
    Request::Infer(InferRequest {
        budget,
        head: (budget > 0)
            .then(|| net.node().ledger().map(|l| Box::new(l.head())))
            .flatten(),
        job: job.to_string(),
        model: model.to_string(),
        prompt: spec.prompt.clone(),
        continuation: continuation.to_vec(),
        max_tokens,
        sampling: WireSampling {
            temperature: spec.sampling.temperature,
            top_p: spec.sampling.top_p,
            seed: spec.sampling.seed,
            frequency_penalty: spec.sampling.frequency_penalty,
            presence_penalty: spec.sampling.presence_penalty,
        },
        stop: spec.stop.clone(),
        ignore_eos: spec.ignore_eos,
    })
}

/// A peer's refusal as an HTTP-shaped one.
fn refusal(code: &str, message: String) -> Refusal {
    let status = match code {
        "invalid" | "context_length_exceeded" => 400,
        "credits" => 402,
        "banned" => 403,
        "model" => 404,
        _ => 503,
    };
    let mut r = Refusal::new(status, message);
    if code == "context_length_exceeded" {
        r = r.code(code).param("messages");
    } else if status == 503 {
        r = Refusal::busy(r.message, 1);
    }
    r
}

/// Opens a segment: sends the request and waits for the peer to accept it.
async fn open(
    net: &Net,
    inflight: Inflight,
    req: &Request,
    prompt_hint: usize,
    hold: Option<crate::ledger::Hold>,
) -> Result<Segment, Refusal> {
    let continuation = match req {
        Request::Infer(r) => r.continuation.len() as u32,
        _ => 0,
    };
    let peer = inflight.peer;
    let unreachable =
        |e: String| Refusal::busy(format!("peer {}: {e}", hex::encode(&peer[..5])), 1);
    let conn = net
        .connect(&peer)
        .await
        .map_err(|e| unreachable(format!("{e:#}")))?;
    let (mut send, mut recv) = conn
        .open_bi()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    wire::write(&mut send, req)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let wait = (FIRST_TOKEN_WAIT + Duration::from_millis(20 * prompt_hint as u64))
        .min(MAX_FIRST_TOKEN_WAIT);
    let first = tokio::time::timeout(
        wait,
        wire::read::<Reply, _>(&mut recv, wire::MAX_SMALL_FRAME),
    )
    .await;
    match first {
        Ok(Ok(Some(Reply::Accepted {
            model,
            prompt_tokens,
            max_tokens,
            warning,
        }))) => Ok(Segment {
            peer,
            conn,
            send,
            frames: read_frames(recv),
            _inflight: inflight,
            accepted: Accepted {
                model,
                prompt_tokens,
                max_tokens,
                warning,
            },
            hold,
            continuation,
        }),
        Ok(Ok(Some(Reply::Refused { code, message }))) => Err(refusal(&code, message)),
        Ok(Ok(Some(other))) => {
            net.strike(&peer, &format!("answered a job with {other:?}"));
            Err(unreachable("broke the protocol".into()))
        }
        Ok(Ok(None)) => {
            net.with_table(|t| t.failure(&peer, "closed the job stream", Instant::now()));
            Err(unreachable("closed the stream".into()))
        }
        Ok(Err(e)) => {
            if matches!(
                e,
                wire::WireError::Malformed(_) | wire::WireError::TooBig { .. }
            ) {
                net.strike(&peer, &e.to_string());
            } else {
                net.with_table(|t| t.failure(&peer, &e.to_string(), Instant::now()));
            }
            Err(unreachable(e.to_string()))
        }
        Err(_) => {
            net.with_table(|t| t.failure(&peer, "did not accept the job in time", Instant::now()));
            Err(unreachable("no answer in time".into()))
        }
    }
}

/// Starts a job on `peer`. On failure the job's guard comes back with the refusal, so the
/// router can try elsewhere.
pub async fn start(
    net: &Net,
    claim: Inflight,
    spec: &JobSpec,
    model: &str,
    guard: JobGuard,
) -> Result<Routed, (JobGuard, Refusal)> {
    let hint = match &spec.prompt {
        wire::Prompt::Chat(m) => m.iter().map(|(_, c)| c.len() / 4).sum(),
        wire::Prompt::Text(t) => t.len() / 4,
    };
    let peer = claim.peer;
    let (hold, budget) = match payment(net, &peer, spec, model, 0, spec.max_tokens) {
        Ok(p) => p,
        Err(r) => return Err((guard, r)),
    };
    let req = request(net, spec, model, guard.id(), &[], spec.max_tokens, budget);
    let seg = match open(net, claim, &req, hint, hold).await {
        Ok(s) => s,
        Err(r) if r.status == 402 => {
            let r = match net.node().ledger() {
                Some(l) => {
                    let (name, quant) = crate::catalog::split_spec(model);
                    let quant = quant.map(str::to_string).unwrap_or_else(|| {
                        net.with_table(|t| {
                            t.get(&peer)
                                .and_then(|p| p.serves(model))
                                .map(|a| a.quant.clone())
                        })
                        .unwrap_or_default()
                    });
                    insufficient(&l, name, &quant, spec, hint, Some(&r.message))
                }
                None => r,
            };
            return Err((guard, r));
        }
        Err(r) => return Err((guard, r)),
    };
    let (tx, rx) = mpsc::channel(EVENT_CHANNEL);
    let served_by = hex::encode(peer);
    guard.set_prompt(&seg.accepted.model, seg.accepted.prompt_tokens);
    guard.set_served_by(&served_by, "running");
    let routed = Routed {
        events: rx,
        served_by,
        model: seg.accepted.model.clone(),
        prompt_tokens: seg.accepted.prompt_tokens,
        warning: seg.accepted.warning.clone(),
        guard: guard.clone(),
    };
    let job = Follow {
        net: net.clone(),
        spec: spec.clone(),
        model: model.to_string(),
        guard,
        tokens: Vec::new(),
        prompt_tokens: seg.accepted.prompt_tokens,
        prompt_hint: hint,
        // The client's budget bounds the job, whatever the peer claims.
        max_tokens: spec
            .max_tokens
            .map_or(seg.accepted.max_tokens, |m| m.min(seg.accepted.max_tokens)),
        failovers: 0,
        failed: Vec::new(),
        retried: Vec::new(),
        started: Instant::now(),
    };
    tokio::spawn(job.run(seg, tx));
    Ok(routed)
}

/// A remote job being followed to its end.
struct Follow {
    net: Net,
    spec: JobSpec,
    model: String,
    guard: JobGuard,
    /// Tokens streamed so far, from every node that served the job.
    tokens: Vec<u32>,
    prompt_tokens: u32,
    /// Our estimate of the prompt's tokens (for the first-token wait).
    prompt_hint: usize,
    max_tokens: u32,
    failovers: u32,
    failed: Vec<[u8; 32]>,
    /// Peers whose connection broke before they produced a token for this job: they get one
    /// more try on a fresh connection (a peer that just restarted can leave a dead one behind).
    retried: Vec<[u8; 32]>,
    started: Instant,
}

/// Where the rest of a job runs after a failover.
enum Source {
    Peer(Box<Segment>),
    Local(mpsc::Receiver<Event>),
}

enum Step {
    Event(Event),
    /// The source failed; the reason, for the log and the peer's record.
    Broken(String),
}

impl Follow {
    fn stall_limit(&self, mean_gap: Option<Duration>, first: bool) -> Duration {
        let c = self.net.config();
        match (first, mean_gap) {
            (false, Some(g)) => c.stall_min.max(g.mul_f64(c.stall_factor)),
            // Our own estimate of the prompt, not the peer's claim, and never past a bound.
            _ => (FIRST_TOKEN_WAIT + Duration::from_millis(20 * self.prompt_hint as u64))
                .min(MAX_FIRST_TOKEN_WAIT),
        }
    }

    /// The end of a job from what this side saw.
    fn own_finish(&self, reason: FinishReason) -> Finish {
        Finish {
            reason,
            prompt_tokens: self.prompt_tokens,
            cached_tokens: 0,
            completion_tokens: self.tokens.len() as u32,
            time_to_first_token: Duration::ZERO,
            prompt_time: Duration::ZERO,
            generation_time: self.started.elapsed(),
            credits: 0,
        }
    }

    async fn run(mut self, seg: Segment, tx: mpsc::Sender<Event>) {
        let mut source = Source::Peer(Box::new(seg));
        let mut offset = 0u32; // tokens produced before the current source started
        loop {
            let mut seg_tokens = 0u32;
            let mut last = Instant::now();
            let mut gaps = Duration::ZERO;
            let outcome = loop {
                let mean = (seg_tokens > 1).then(|| gaps / (seg_tokens - 1));
                let limit = self.stall_limit(mean, seg_tokens == 0);
                let next = async {
                    match &mut source {
                        Source::Peer(s) => next_frame(s, limit).await,
                        Source::Local(rx) => match rx.recv().await {
                            Some(ev) => Step::Event(ev),
                            None => Step::Broken("the local engine dropped the job".into()),
                        },
                    }
                };
                let step = tokio::select! {
                    step = next => step,
                    // The client went away while we waited: stop the job there and pay for
                    // what was delivered.
                    _ = tx.closed() => return self.abandon(source, seg_tokens).await,
                };
                match step {
                    Step::Event(Event::Token { .. })
                        if self.tokens.len() as u32 >= self.max_tokens =>
                    {
                        if let Source::Peer(s) = &source {
                            self.net
                                .strike(&s.peer, "sent more tokens than the job allows");
                        }
                        let f = self.own_finish(FinishReason::Length);
                        let _ = tx.send(Event::Done(f)).await;
                        return;
                    }
                    Step::Event(Event::Token { id, piece }) => {
                        if seg_tokens > 0 {
                            gaps += last.elapsed();
                        }
                        last = Instant::now();
                        seg_tokens += 1;
                        self.tokens.push(id);
                        // (The API's reader of these events keeps the status table's count.)
                        if tx.send(Event::Token { id, piece }).await.is_err() {
                            // The client went away: stop the job there, pay what was delivered.
                            return self.abandon(source, seg_tokens).await;
                        }
                    }
                    Step::Event(Event::Done(mut f)) => {
                        // Its count may include an end-of-generation token, never more.
                        f.completion_tokens = offset
                            .saturating_add(f.completion_tokens.min(seg_tokens.saturating_add(1)));
                        f.prompt_tokens = self.prompt_tokens;
                        if offset > 0 {
                            // After a failover the last node's timings cover only its part.
                            f.generation_time = self.started.elapsed();
                        }
                        if let Source::Peer(mut s) = source {
                            self.net.with_table(|t| t.success(&s.peer, Instant::now()));
                            f.credits = self.settle(&mut s, seg_tokens, false).await;
                        }
                        let _ = tx.send(Event::Done(f)).await;
                        return;
                    }
                    Step::Event(Event::Failed(msg)) => break msg,
                    Step::Broken(reason) => break reason,
                }
            };
            offset = self.tokens.len() as u32;
            // The source is gone: score it down and continue elsewhere.
            let from = match &source {
                Source::Peer(s) => {
                    let id = s.peer;
                    if seg_tokens == 0
                        && !self.retried.contains(&id)
                        && s.conn.close_reason().is_some()
                    {
                        self.retried.push(id);
                    } else {
                        self.failed.push(id);
                    }
                    // A dead connection is forgotten; a live one (a stalled job on a peer that
                    // still answers) keeps serving the peer's other jobs.
                    if s.conn.close_reason().is_some() {
                        self.net.forget_connection(&id, Some(&s.conn)).await;
                    }
                    if self
                        .net
                        .with_table(|t| t.failure(&id, &outcome, Instant::now()))
                    {
                        tracing::warn!(
                            "peer {} evicted from routing: {outcome}",
                            hex::encode(&id[..5])
                        );
                    }
                    format!("peer {}", hex::encode(&id[..5]))
                }
                Source::Local(_) => "the local engine".to_string(),
            };
            drop(source);
            tracing::warn!(
                "job {}: {from} failed after {} tokens ({outcome}); failing over",
                self.guard.id(),
                self.tokens.len()
            );
            let remaining = self.max_tokens.saturating_sub(self.tokens.len() as u32);
            if remaining == 0 {
                let _ = tx
                    .send(Event::Done(self.own_finish(FinishReason::Length)))
                    .await;
                return;
            }
            self.failovers += 1;
            if self.failovers > MAX_FAILOVERS {
                let _ = tx
                    .send(Event::Failed(format!(
                        "{from} failed; the job gave up after {MAX_FAILOVERS} failovers"
                    )))
                    .await;
                return;
            }
            match self.continue_elsewhere(remaining, &tx).await {
                Ok((next, by)) => {
                    self.guard.failover(&by);
                    source = next;
                }
                Err(why) => {
                    let _ = tx
                        .send(Event::Failed(format!(
                            "{from} stopped mid-answer after {} tokens and no other node could continue: {why}",
                            self.tokens.len()
                        )))
                        .await;
                    return;
                }
            }
        }
    }

    /// The client went away: a peer's segment is stopped and paid for what it delivered.
    async fn abandon(&self, source: Source, received: u32) {
        if let Source::Peer(mut s) = source {
            self.settle(&mut s, received, true).await;
        }
    }

    /// Settles a segment: reads the worker's receipt, checks every field against what this node
    /// saw and the network's prices, records the payment (durably) and countersigns. A bad
    /// receipt is disputed, nothing is recorded, and the worker is struck. Returns the credits
    /// paid.
    async fn settle(&self, s: &mut Segment, received: u32, stop: bool) -> u64 {
        let Some(hold) = s.hold.take() else {
            let _ = s.send.finish();
            return 0;
        };
        let job = self.guard.id().to_string();
        let short = hex::encode(&s.peer[..5]);
        if stop
            && wire::write(&mut s.send, &Request::Stop { received })
                .await
                .is_err()
        {
            return 0;
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        let (receipt, sig) = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, s.frames.recv()).await {
                Ok(Some(Ok(Reply::Receipt { receipt, sig }))) => break (receipt, sig),
                // Frames already on their way when we stopped.
                Ok(Some(Ok(Reply::Token { .. } | Reply::Done { .. }))) if stop => continue,
                other => {
                    tracing::warn!(
                        "job {job}: peer {short} sent no receipt ({other:?}); nothing paid"
                    );
                    return 0;
                }
            }
        };
        let Some(ledger) = self.net.node().ledger() else {
            return 0;
        };
        let (name, quant) = crate::catalog::split_spec(&s.accepted.model);
        let quant = quant.unwrap_or("");
        let processed = s.accepted.prompt_tokens as u64 + s.continuation as u64;
        let expected = crate::ledger::Receipt {
            job: job.clone(),
            requester: ledger.id(),
            worker: s.peer,
            model: name.to_string(),
            quant: quant.to_string(),
            prompt_tokens: processed as u32,
            completion_tokens: received,
            credits: ledger
                .price(name, quant, processed + received as u64)
                .unwrap_or(u64::MAX),
            time_ms: receipt.time_ms,
        };
        let sig: Option<[u8; 64]> = hex::decode(&sig).ok().and_then(|b| b.try_into().ok());
        let plausible = self.prompt_hint as u64 * 4 + 64 * self.message_count() + 64;
        let problem = if receipt != expected {
            Some(format!(
                "its receipt does not match the job (it says {} prompt + {} answer tokens for {} credits;                  expected {} + {} for {})",
                receipt.prompt_tokens,
                receipt.completion_tokens,
                receipt.credits,
                expected.prompt_tokens,
                expected.completion_tokens,
                expected.credits
            ))
        } else if s.accepted.prompt_tokens as u64 > plausible {
            Some(format!(
                "it claims {} prompt tokens for a prompt of about {} bytes",
                s.accepted.prompt_tokens,
                self.prompt_hint * 4
            ))
        } else if sig.is_none() {
            Some("its receipt signature is malformed".into())
        } else {
            None
        };
        let result = match (problem, sig) {
            (None, Some(sig)) => ledger
                .spend(hold, receipt.clone(), sig)
                .await
                .map_err(|e| e.to_string()),
            (Some(p), _) => Err(p),
            (None, None) => Err("its receipt signature is malformed".into()),
        };
        match result {
            Ok(e) => {
                self.guard.settled(&receipt, &e);
                let countersign = Request::Countersign {
                    sig: hex::encode(ledger.sign(&receipt)),
                    entry: hex::encode(e.encode()),
                    head: Box::new(ledger.head_of(&e)),
                };
                let _ = wire::write(&mut s.send, &countersign).await;
                let _ = s.send.finish();
                tracing::info!(
                    "job {job}: paid {} credits to {short} (ledger seq {})",
                    e.amount,
                    e.seq
                );
                e.amount
            }
            Err(why) => {
                self.net
                    .strike(&s.peer, &format!("bad receipt for job {job}: {why}"));
                let _ = wire::write(&mut s.send, &Request::Dispute { reason: why }).await;
                let _ = s.send.finish();
                0
            }
        }
    }

    fn message_count(&self) -> u64 {
        match &self.spec.prompt {
            wire::Prompt::Chat(m) => m.len() as u64,
            wire::Prompt::Text(_) => 1,
        }
    }

    /// Finds the next node for the rest of the job: this node's engine if it serves the model,
    /// else another peer. Waits a bounded time for one with room.
    async fn continue_elsewhere(
        &mut self,
        remaining: u32,
        client: &mpsc::Sender<Event>,
    ) -> Result<(Source, String), String> {
        let node = self.net.node().clone();
        let deadline = Instant::now() + FAILOVER_SEARCH;
        let mut last = String::from("no capable node");
        // Peers that failed this job stay excluded; those that only had no room are retried.
        let mut skip = self.failed.clone();
        loop {
            if let Some(engine) = node.engine_for(Some(&self.model)).cloned() {
                let (e, prompt, cont) = (
                    engine.clone(),
                    self.spec.prompt.clone(),
                    self.tokens.clone(),
                );
                let prepared = tokio::task::spawn_blocking(move || {
                    crate::route::prepare(&e, &prompt, &cont, Some(remaining))
                })
                .await
                .map_err(|e| e.to_string())?;
                match prepared.and_then(|p| {
                    crate::route::submit_local(&engine, &p, &self.spec, p.max_tokens, i64::MAX)
                }) {
                    Ok(rx) => return Ok((Source::Local(rx), node.id().to_string())),
                    Err(r) => last = r.message,
                }
            }
            while let Some(claim) = Inflight::claim(&self.net, &self.model, &skip) {
                let peer = claim.peer;
                let hint = self.prompt_hint + self.tokens.len();
                let (hold, budget) = match payment(
                    &self.net,
                    &peer,
                    &self.spec,
                    &self.model,
                    self.tokens.len(),
                    Some(remaining),
                ) {
                    Ok(p) => p,
                    Err(r) => {
                        skip.push(peer);
                        last = r.message;
                        continue;
                    }
                };
                let req = request(
                    &self.net,
                    &self.spec,
                    &self.model,
                    self.guard.id(),
                    &self.tokens,
                    Some(remaining),
                    budget,
                );
                match open(&self.net, claim, &req, hint, hold).await {
                    Ok(seg) => return Ok((Source::Peer(Box::new(seg)), hex::encode(peer))),
                    Err(r) => {
                        skip.push(peer);
                        if r.status != 503 || r.code.as_deref() != Some("server_busy") {
                            self.failed.push(peer);
                        }
                        // Even a refusal of the request itself: another node may take it.
                        last = r.message;
                    }
                }
            }
            if client.is_closed() {
                return Err("the client went away".into());
            }
            if Instant::now() > deadline {
                return Err(last);
            }
            // Peers that refused for lack of room may have it shortly.
            skip = self.failed.clone();
            let _ =
                tokio::time::timeout(Duration::from_millis(200), node.capacity().notified()).await;
        }
    }
}

/// Reads a segment's frames into a channel until the stream ends, a frame is bad, or the
/// segment is dropped.
fn read_frames(mut recv: RecvStream) -> mpsc::Receiver<Result<Reply, wire::WireError>> {
    let (tx, rx) = mpsc::channel(EVENT_CHANNEL);
    tokio::spawn(async move {
        loop {
            let frame = tokio::select! {
                f = wire::read::<Reply, _>(&mut recv, wire::MAX_SMALL_FRAME) => f,
                // Nobody reads any more: dropping `recv` tells the peer to stop.
                _ = tx.closed() => return,
            };
            match frame {
                Ok(Some(r)) => {
                    if tx.send(Ok(r)).await.is_err() {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    rx
}

/// Reads the next frame of a segment as an event, within the stall limit.
async fn next_frame(s: &mut Segment, limit: Duration) -> Step {
    match tokio::time::timeout(limit, s.frames.recv()).await {
        Err(_) => Step::Broken(format!("stalled: no token for {} ms", limit.as_millis())),
        Ok(Some(Err(e))) => Step::Broken(e.to_string()),
        Ok(None) => Step::Broken("closed the stream before the end of the answer".into()),
        Ok(Some(Ok(reply))) => match reply {
            Reply::Token { id, piece } => {
                if piece.len() > 256 {
                    return Step::Broken(format!("sent a {}-byte token", piece.len()));
                }
                Step::Event(Event::Token { id, piece })
            }
            Reply::Done {
                reason,
                completion_tokens,
                cached_tokens,
                ttft_ms,
                prompt_ms,
                generation_ms,
            } => Step::Event(Event::Done(Finish {
                reason: if reason == "length" {
                    FinishReason::Length
                } else {
                    FinishReason::Stop
                },
                prompt_tokens: 0,
                cached_tokens,
                completion_tokens,
                time_to_first_token: millis(ttft_ms),
                prompt_time: millis(prompt_ms),
                generation_time: millis(generation_ms),
                credits: 0,
            })),
            Reply::Failed { message } => Step::Event(Event::Failed(message)),
            other => Step::Broken(format!("sent {other:?} in the middle of a job")),
        },
    }
}

/// A peer's reported milliseconds as a duration; nonsense (negative, NaN, huge) becomes zero.
fn millis(ms: f64) -> Duration {
    Duration::try_from_secs_f64(ms / 1e3).unwrap_or_default()
}
