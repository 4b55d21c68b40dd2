//! Following a remote job to its end: forwarding its tokens, watching for stalls, settling each
//! segment, and failing over to another node (this one's engine first, else another peer) when
//! the serving peer breaks, from the token where it stopped.

use std::time::{Duration, Instant};

use iroh::endpoint::RecvStream;
use tokio::sync::mpsc;

use super::super::Net;
use super::super::wire::{self, Reply};
use super::{Inflight, Segment, check, first_token_wait, open, pay, request, segment_id};
use crate::ids::{ModelRef, NodeId};
use crate::job::local::{OWN_PRIORITY, prepare_off_runtime, submit};
use crate::job::{EVENT_CHANNEL, Event, Finish, FinishReason, Spec};
use crate::node::JobGuard;
use crate::trust::proof::{Commitment, Signature, prompt_hash};

/// Failovers one job may go through before it gives up.
const MAX_FAILOVERS: u32 = 8;
/// How long a failed-over job looks for another node before it gives up.
const FAILOVER_SEARCH: Duration = Duration::from_secs(30);
/// The longest a job waits in a busy peer's queue before it goes elsewhere.
const MAX_QUEUE_WAIT: Duration = Duration::from_secs(180);
/// Fewest tokens of a segment whose speed is measured (a short one says little).
const MIN_SPEED_TOKENS: u32 = 4;
/// How often a failed-over job looks again when no news of room arrives.
const ROOM_POLL: Duration = Duration::from_millis(200);
/// The longest the client's last chunk waits for its segment's check and payment (the payment
/// itself waits for the check however long it takes; past the worker's wait, 20 s, it reaches
/// the worker as a late payment).
const CHECK_BEFORE_PAY: Duration = Duration::from_secs(10);

/// A remote job being followed to its end.
pub(super) struct Follow {
    net: Net,
    spec: Spec,
    model: ModelRef,
    guard: JobGuard,
    /// Tokens streamed so far, from every node that served the job.
    tokens: Vec<u32>,
    prompt_tokens: u32,
    /// Our estimate of the prompt's tokens (for the first-token wait).
    prompt_hint: usize,
    max_tokens: u32,
    failovers: u32,
    /// Segments opened (each is paid on its own receipt).
    segments: u32,
    failed: Vec<NodeId>,
    /// Peers whose connection broke before they produced a token for this job: they get one
    /// more try on a fresh connection (a peer that just restarted can leave a dead one behind).
    retried: Vec<NodeId>,
    started: Instant,
    /// The answer this job's sender already knows: a challenge.
    known: Option<crate::trust::challenge::Known>,
    /// What its ended segments are due (the price of their prompts and the tokens they
    /// delivered), counted when each ends, before its payment: the routing policy's
    /// `max_credits` bounds the whole job, failovers included.
    committed: std::sync::atomic::AtomicU64,
}

/// Where (the rest of) a job runs.
enum Source {
    Peer(Box<Segment>),
    Local(mpsc::Receiver<Event>),
}

enum Step {
    Event(Event),
    /// The source failed; the reason, for the log and the peer's record.
    Broken(String),
    /// The job waits in the peer's queue: its first token is not due yet.
    Waiting,
    /// The worker's running commitment to the segment's first `n` tokens.
    Committed(u32, Signature),
}

/// How following one source ended.
enum Outcome {
    /// The job ended (done, or cut at its budget): nothing more to do.
    Over,
    /// The source failed after `tokens` tokens of its own, and why.
    Broke { tokens: u32, why: String },
}

impl Follow {
    /// Follows the job on `seg` in a task of the network's, sending its events to `tx`.
    pub(super) fn spawn(
        net: &Net,
        spec: &Spec,
        guard: JobGuard,
        seg: Segment,
        tx: mpsc::Sender<Event>,
        known: Option<crate::trust::challenge::Known>,
    ) {
        let job = Follow {
            net: net.clone(),
            model: spec.model.clone().expect("a routed job names its model"),
            spec: spec.clone(),
            guard,
            tokens: Vec::new(),
            prompt_tokens: seg.accepted.prompt_tokens,
            prompt_hint: spec.prompt.token_hint(),
            // The client's budget bounds the job, whatever the peer claims, and so does what the
            // segment pays for (the model's context).
            max_tokens: spec
                .max_tokens
                .map_or(seg.accepted.max_tokens, |m| m.min(seg.accepted.max_tokens))
                .min(seg.tab.as_ref().map_or(u32::MAX, pay::Tab::payable)),
            failovers: 0,
            segments: 1,
            failed: Vec::new(),
            retried: Vec::new(),
            started: Instant::now(),
            known,
            committed: Default::default(),
        };
        net.tasks().spawn(job.run(seg, tx));
    }

    fn stall_limit(&self, mean_gap: Option<Duration>, first: bool) -> Duration {
        let s = self.net.settings();
        match (first, mean_gap) {
            (false, Some(g)) => s.stall_min.max(g.mul_f64(s.stall_factor)),
            // Our own estimate of the prompt, not the peer's claim, and never past a bound.
            _ => first_token_wait(self.prompt_hint),
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
            delta: None,
            stages: Vec::new(),
        }
    }

    async fn run(mut self, seg: Segment, tx: mpsc::Sender<Event>) {
        let mut source = Source::Peer(Box::new(seg));
        loop {
            let (tokens, why) = match self.follow(&mut source, &tx).await {
                Outcome::Over => return,
                Outcome::Broke { tokens, why } => (tokens, why),
            };
            let from = self.broken(source, tokens, &why).await;
            tracing::warn!(
                "job {}: {from} failed after {} tokens ({why}); failing over",
                self.guard.id(),
                self.tokens.len()
            );
            match self.failover(&from, &tx).await {
                Some(next) => source = next,
                None => return,
            }
        }
    }

    /// Follows one source until the job ends or the source breaks.
    async fn follow(&mut self, source: &mut Source, tx: &mpsc::Sender<Event>) -> Outcome {
        // Tokens produced before this source started.
        let offset = self.tokens.len() as u32;
        let mut seg_tokens = 0u32;
        let mut last = Instant::now();
        let mut gaps = Duration::ZERO;
        let began = Instant::now();
        let mut said = Said::default();
        loop {
            let mean = (seg_tokens > 1).then(|| gaps / (seg_tokens - 1));
            let limit = self.stall_limit(mean, seg_tokens == 0);
            let step = tokio::select! {
                step = next(source, limit) => step,
                // The client went away while we waited: stop the job there and pay for what
                // was delivered.
                _ = tx.closed() => return self.abandon(source, seg_tokens).await,
            };
            let Some(step) = said.screen(&self.spec, step) else {
                continue;
            };
            match step {
                Step::Event(Event::Token { .. }) if self.tokens.len() as u32 >= self.max_tokens => {
                    return self.too_many(source, tx, seg_tokens).await;
                }
                Step::Event(Event::Token { id, piece, extra }) => {
                    self.tick(source, began, seg_tokens, &mut gaps, last);
                    last = Instant::now();
                    seg_tokens += 1;
                    self.tokens.push(id);
                    // (The client's reader of these events keeps the status table's count.)
                    if tx.send(Event::Token { id, piece, extra }).await.is_err() {
                        // The client went away: stop the job there, pay what was delivered.
                        return self.abandon(source, seg_tokens).await;
                    }
                }
                // (Vectors are kept by `said` until the end.)
                Step::Event(Event::Embeddings(_)) => {}
                Step::Event(Event::Done(f)) => {
                    if let Some(v) = said.ready.take()
                        && tx.send(Event::Embeddings(v)).await.is_err()
                    {
                        return self.abandon(source, seg_tokens).await;
                    }
                    // Its speed as measured here (the score's, never its own claim): tokens over
                    // the whole segment, first-token wait included, so an answer held back and
                    // sent in one burst counts as slow as it was.
                    if let (Source::Peer(s), true) = (&*source, seg_tokens >= MIN_SPEED_TOKENS) {
                        self.observed(s, seg_tokens, began);
                    }
                    let f = self.done(source, f, offset, seg_tokens).await;
                    let _ = tx.send(Event::Done(f)).await;
                    return Outcome::Over;
                }
                Step::Committed(n, sig) => {
                    if let Source::Peer(s) = source
                        && let Err(why) = self.take_running(s, seg_tokens, n, sig).await
                    {
                        return Outcome::Broke {
                            tokens: seg_tokens,
                            why,
                        };
                    }
                }
                // A busy peer's queue: waited for, within a bound (a peer that only ever says
                // "waiting" is a stalled one).
                Step::Waiting if seg_tokens == 0 && began.elapsed() < MAX_QUEUE_WAIT => {}
                Step::Waiting => {
                    let why = if seg_tokens == 0 {
                        format!(
                            "kept the job queued for over {} s",
                            MAX_QUEUE_WAIT.as_secs()
                        )
                    } else {
                        "said the job was queued in the middle of its answer".into()
                    };
                    return Outcome::Broke {
                        tokens: seg_tokens,
                        why,
                    };
                }
                Step::Event(Event::Failed(why)) | Step::Broken(why) => {
                    return Outcome::Broke {
                        tokens: seg_tokens,
                        why,
                    };
                }
            }
        }
    }

    /// A token past the job's bound: the job ends at its length, and the worker is paid what
    /// it promised (the tokens it used) and struck.
    async fn too_many(
        &mut self,
        source: &mut Source,
        tx: &mpsc::Sender<Event>,
        seg_tokens: u32,
    ) -> Outcome {
        if let Source::Peer(s) = source {
            self.net
                .strike(&s.peer, "sent more tokens than the job allows");
        }
        let _ = tx
            .send(Event::Done(self.own_finish(FinishReason::Length)))
            .await;
        self.abandon(source, seg_tokens).await
    }

    /// A token of a segment that `began` with `seg_tokens` before it, the last at `last`: the
    /// gap since that one, or for a peer's first, its time to it (for `max_ttft_ms`).
    fn tick(
        &self,
        source: &Source,
        began: Instant,
        seg_tokens: u32,
        gaps: &mut Duration,
        last: Instant,
    ) {
        if seg_tokens > 0 {
            *gaps += last.elapsed();
        } else if let Source::Peer(s) = source {
            let ttft = began.elapsed();
            self.net.with_table(|t| t.observe_ttft(&s.peer, ttft));
        }
    }

    /// A segment's speed, as this side saw it.
    fn observed(&self, s: &Segment, tokens: u32, began: Instant) {
        let tps = f64::from(tokens) / began.elapsed().as_secs_f64();
        self.net.with_table(|t| t.observe_speed(&s.peer, tps));
        self.impossible_speed(s, tps);
    }

    /// The job ended on `source`: the counts as this side saw them, and the segment settled.
    async fn done(
        &self,
        source: &mut Source,
        mut f: Finish,
        offset: u32,
        seg_tokens: u32,
    ) -> Finish {
        // Its count may include an end-of-generation token, never more.
        f.completion_tokens =
            offset.saturating_add(f.completion_tokens.min(seg_tokens.saturating_add(1)));
        f.prompt_tokens = self.prompt_tokens;
        if offset > 0 {
            // After a failover the last node's timings cover only its part.
            f.generation_time = self.started.elapsed();
        }
        if let Source::Peer(s) = &*source {
            self.net.with_table(|t| t.success(&s.peer, Instant::now()));
            if s.signed.last.is_none() {
                self.net.strike(
                    &s.peer,
                    "ended an answer without signing its commitment to it",
                );
            }
            // `length` is the end only at the most tokens the worker accepted to send (its
            // context bounds that figure too): short of it, the answer was cut, and a check
            // would not judge its end.
            if f.reason == FinishReason::Length && seg_tokens < s.accepted.max_tokens {
                let m = format!(
                    "ended an answer for its length after {seg_tokens} of {} tokens",
                    s.accepted.max_tokens
                );
                self.net.strike(&s.peer, &m);
            }
            f.credits = self
                .settle_segment(take_peer(source), seg_tokens, f.reason, false, true)
                .await;
        }
        f
    }

    /// Checks a peer's segment (when drawn; always for a challenge) and then pays it, or
    /// withholds the payment when a fraud proof shows the answer false, in a task of its own;
    /// the credits paid when `wait` and that ends within [`CHECK_BEFORE_PAY`] (else 0: the
    /// payment follows the check, however long it takes, and reaches a worker that stopped
    /// waiting as a late payment). The client's last chunk waits for it when it ends the job
    /// (its tokens do not): a check costs a prefill, a fraction of the job's time. The worker
    /// sees a checked job's payment come later; the draw is random for every job, so knowing
    /// which past jobs were checked tells it nothing of the next.
    async fn settle_segment(
        &self,
        s: Box<Segment>,
        seg_tokens: u32,
        reason: FinishReason,
        stop: bool,
        wait: bool,
    ) -> u64 {
        let (claim, paid) = self.claim(&s, seg_tokens, reason);
        if let (Some(tab), Some(ledger)) = (&s.tab, self.net.node().ledger()) {
            self.committed.fetch_add(
                tab.due(ledger, seg_tokens),
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        // Its job has ended there: the worker is stopped and its place freed now, whatever the
        // check and the payment take.
        let mut s = s;
        s.inflight = None;
        if stop {
            let _ = wire::write(&mut s.send, &super::super::wire::Request::Stop).await;
        }
        let c = Settling {
            net: self.net.clone(),
            guard: self.guard.clone(),
            spec: self.spec.clone(),
            known: self.known.clone(),
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.net.tasks().spawn(async move {
            let _ = tx.send(check_then_pay(c, s, claim, paid).await);
        });
        if !wait {
            return 0;
        }
        tokio::time::timeout(CHECK_BEFORE_PAY, rx)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(0)
    }

    /// A running commitment from the worker of `s`, after its `seg_tokens`-th token: kept when
    /// it signs the segment's tokens so far, and promised for; else the segment breaks.
    async fn take_running(
        &self,
        s: &mut Segment,
        seg_tokens: u32,
        n: u32,
        sig: Signature,
    ) -> Result<(), String> {
        let at = self.tokens.len() - seg_tokens as usize;
        // One per `COMMIT_EVERY` tokens, each further than the last: a worker cannot stall a
        // job (or make this node hash and check signatures) with commitments and no tokens.
        if s.signed.running.is_some_and(|(last, _)| n <= last) {
            let why = "sent a running commitment that covers no more of the answer than its last";
            self.net.strike(&s.peer, why);
            return Err(why.into());
        }
        let signed = n == seg_tokens
            && n > 0
            && n.is_multiple_of(wire::COMMIT_EVERY)
            && self
                .commitment(
                    s,
                    &self.tokens[..at],
                    &self.tokens[at..],
                    FinishReason::Length,
                )
                .signed_by_worker(&sig);
        if !signed {
            let why = "signed a running commitment to another answer than the one it sent";
            self.net.strike(&s.peer, why);
            return Err(why.into());
        }
        s.signed.running = Some((n, sig));
        pay::promise_more(&self.net, s, n).await;
        Ok(())
    }

    /// Strikes a worker that streamed one answer faster than any device runs its model
    /// (`trust::speed`): the speed counts the whole segment, so a slow network or a busy node
    /// here only ever makes it look slower.
    fn impossible_speed(&self, s: &Segment, tps: f64) {
        let name = ModelRef::parse(&s.accepted.model).name;
        let Some(parameters) = self.net.node().ledger().and_then(|l| l.parameters(&name)) else {
            return;
        };
        let most = crate::trust::speed::fastest_tps(parameters);
        if tps > most {
            let m = format!(
                "streamed {tps:.0} tokens/s of one answer of {}: no device runs it faster than \
                 {most:.0}",
                s.accepted.model
            );
            self.net.strike(&s.peer, &m);
        }
    }

    /// The commitment to `tokens` after `before`, ended for `finish`, as the worker of `s`
    /// would sign it.
    fn commitment(
        &self,
        s: &Segment,
        before: &[u32],
        tokens: &[u32],
        finish: FinishReason,
    ) -> Commitment {
        Commitment {
            job: s.job.clone(),
            requester: self.net.id(),
            worker: s.peer,
            model: s.accepted.model.clone(),
            prompt: *s
                .signed
                .prompt_hash
                .get_or_init(|| prompt_hash(&self.spec.prompt, &self.spec.constraints, before)),
            sampling: self.spec.sampling.clone(),
            ignore_eos: self.spec.ignore_eos,
            stop: self.spec.stop.clone(),
            tokens: tokens.to_vec(),
            finish,
            engine: s.accepted.engine,
        }
    }

    /// What the worker of `s` claims for the `seg_tokens` tokens its segment delivered (the
    /// last ones of the answer so far), ended for `reason`, and how many of them are paid: all,
    /// with its signed commitment to the whole segment; else those its last running commitment
    /// covers (what its promises cover), judged as cut there.
    fn claim(&self, s: &Segment, seg_tokens: u32, reason: FinishReason) -> (check::Claim, u32) {
        let at = self.tokens.len().saturating_sub(seg_tokens as usize);
        let (before, tokens) = self.tokens.split_at(at);
        let whole = self.commitment(s, before, tokens, reason);
        let claim = |tokens: &[u32], reason, signed| check::Claim {
            peer: s.peer,
            variant: s.accepted.model.clone(),
            engine: s.accepted.engine,
            before: before.to_vec(),
            tokens: tokens.to_vec(),
            reason,
            signed,
        };
        match s.signed.last {
            Some(sig) if whole.signed_by_worker(&sig) => {
                return (claim(tokens, reason, Some((whole, sig))), seg_tokens);
            }
            Some(_) => self.net.strike(
                &s.peer,
                "signed a commitment to another answer than the one it sent",
            ),
            None => {}
        }
        match s.signed.running {
            Some((n, sig)) => {
                let cut = whole.cut(n as usize);
                (
                    claim(
                        &tokens[..n as usize],
                        FinishReason::Length,
                        Some((cut, sig)),
                    ),
                    n,
                )
            }
            None => (claim(tokens, reason, None), 0),
        }
    }

    /// The client went away (or the job reached its budget): a peer's segment is stopped,
    /// checked and paid for what it delivered.
    async fn abandon(&self, source: &mut Source, received: u32) -> Outcome {
        if let Source::Peer(_) = source {
            let s = take_peer(source);
            self.settle_segment(s, received, FinishReason::Length, true, true)
                .await;
        }
        Outcome::Over
    }

    /// A source broke after `seg_tokens` of its tokens: a peer's segment is checked and paid
    /// for what its running commitment covers (its tokens go on in the answer), aside (the
    /// failover does not wait), scored down, and a dead connection forgotten. Returns what it
    /// was, for the log.
    async fn broken(&mut self, source: Source, seg_tokens: u32, why: &str) -> String {
        let Source::Peer(s) = source else {
            return "the local engine".to_string();
        };
        let (id, conn) = (s.peer, s.conn.clone());
        let dead = conn.close_reason().is_some();
        self.settle_segment(s, seg_tokens, FinishReason::Length, true, false)
            .await;
        if seg_tokens == 0 && !self.retried.contains(&id) && dead {
            self.retried.push(id);
        } else {
            self.failed.push(id);
        }
        // A dead connection is forgotten; a live one (a stalled job on a peer that still
        // answers) keeps serving the peer's other jobs.
        if dead {
            self.net.forget_connection(&id, Some(&conn)).await;
        }
        if self.net.with_table(|t| t.failure(&id, why, Instant::now())) {
            tracing::warn!("peer {} evicted from routing: {why}", id.short());
            self.net.node().room_changed();
        }
        format!("peer {}", id.short())
    }

    /// Continues the job elsewhere after `from` failed; `None` when it ended instead (its
    /// budget was spent, too many failovers, or no node could continue), the client told.
    async fn failover(&mut self, from: &str, tx: &mpsc::Sender<Event>) -> Option<Source> {
        let remaining = self.max_tokens.saturating_sub(self.tokens.len() as u32);
        if remaining == 0 {
            let _ = tx
                .send(Event::Done(self.own_finish(FinishReason::Length)))
                .await;
            return None;
        }
        self.failovers += 1;
        if self.failovers > MAX_FAILOVERS {
            let m = format!("{from} failed; the job gave up after {MAX_FAILOVERS} failovers");
            let _ = tx.send(Event::Failed(m)).await;
            return None;
        }
        match self.continue_elsewhere(remaining, tx).await {
            Ok((next, by)) => {
                self.guard.failover(by);
                Some(next)
            }
            Err(why) => {
                let m = format!(
                    "{from} stopped mid-answer after {} tokens and no other node could continue: {why}",
                    self.tokens.len()
                );
                let _ = tx.send(Event::Failed(m)).await;
                None
            }
        }
    }

    /// The rest of the job on this node's engine, if it serves the model.
    async fn try_local(&self, remaining: u32) -> Option<Result<Source, String>> {
        let node = self.net.node();
        let engine = node.engine_for(Some(&self.model))?;
        let prepared = prepare_off_runtime(
            self.net.tasks(),
            &engine,
            &self.spec.prompt,
            &self.spec.constraints,
            &self.tokens,
            Some(remaining),
        )
        .await;
        Some(
            prepared
                .and_then(|p| submit(&engine, &p, &self.spec, OWN_PRIORITY))
                .map(Source::Local)
                .map_err(|r| r.message),
        )
    }

    /// The rest of the job on a peer with room, but those in `skip`.
    async fn try_peers(
        &mut self,
        remaining: u32,
        skip: &mut Vec<NodeId>,
        last: &mut String,
    ) -> Option<(Source, NodeId)> {
        while let Some(claim) = Inflight::claim(&self.net, &self.model, skip) {
            let peer = claim.peer;
            let hint = self.prompt_hint + self.tokens.len();
            let job = segment_id(self.guard.id(), self.segments);
            let mut offer = match pay::payment(
                &self.net,
                &peer,
                &self.spec,
                &job,
                self.tokens.len(),
                Some(remaining),
                self.committed.load(std::sync::atomic::Ordering::Relaxed),
            )
            .await
            {
                Ok(p) => p,
                Err(r) => {
                    // A segment id the chain would not hold for is not tried again.
                    self.segments += 1;
                    skip.push(peer);
                    *last = r.message;
                    continue;
                }
            };
            self.segments += 1;
            let req = request(
                &self.net,
                &self.spec,
                job,
                &self.tokens,
                Some(remaining),
                &offer,
            );
            match open(&self.net, claim, &req, hint, offer.tab.take()).await {
                Ok(seg) => return Some((Source::Peer(Box::new(seg)), peer)),
                Err(r) => {
                    skip.push(peer);
                    if !r.is_busy() {
                        self.failed.push(peer);
                    }
                    // Even a refusal of the request itself: another node may take it.
                    *last = r.message;
                }
            }
        }
        None
    }

    /// Finds the next node for the rest of the job: this node's engine if it serves the model,
    /// else another peer. Waits a bounded time for one with room.
    async fn continue_elsewhere(
        &mut self,
        remaining: u32,
        client: &mpsc::Sender<Event>,
    ) -> Result<(Source, NodeId), String> {
        let node = self.net.node().clone();
        let deadline = tokio::time::Instant::now() + FAILOVER_SEARCH;
        let mut last = String::from("no capable node");
        // Peers that failed this job stay excluded, as do those its routing policy keeps out;
        // those that only had no room are retried.
        let barred = |me: &Self, last: &mut String| {
            let out = super::screen::excluded(
                &me.net,
                &me.spec,
                &me.model,
                super::screen::Purpose::Run,
                me.tokens.len(),
                Some(remaining),
            );
            if let Some((_, e)) = out.first() {
                *last = format!(
                    "the routing policy keeps out {} node(s): {}",
                    out.len(),
                    e.why
                );
            }
            let mut skip = me.failed.clone();
            skip.extend(out.into_iter().map(|(id, _)| id));
            skip
        };
        let mut skip = barred(self, &mut last);
        loop {
            match self.try_local(remaining).await {
                Some(Ok(source)) => return Ok((source, node.id())),
                Some(Err(why)) => last = why,
                None => {}
            }
            if let Some((source, peer)) = self.try_peers(remaining, &mut skip, &mut last).await {
                return Ok((source, peer));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(last);
            }
            skip = barred(self, &mut last);
            // Armed only now: the claims just dropped announce room themselves, and a wait
            // armed before them would wake at once and spin. Room that appeared while we
            // looked is caught by the short poll.
            let room = node.room();
            tokio::select! {
                _ = room.changed() => {}
                _ = client.closed() => return Err("the client went away".into()),
                _ = tokio::time::sleep(ROOM_POLL) => {}
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
    }
}

/// The next event of `source`, within the stall limit for a peer.
async fn next(source: &mut Source, limit: Duration) -> Step {
    match source {
        Source::Peer(s) => next_frame(s, limit).await,
        Source::Local(rx) => match rx.recv().await {
            Some(ev) => Step::Event(ev),
            None => Step::Broken("the local engine dropped the job".into()),
        },
    }
}

/// Reads a segment's frames into a channel, in a task of the network's, until the stream ends,
/// a frame is bad, or the segment is dropped.
pub(super) fn read_frames(
    net: &Net,
    mut recv: RecvStream,
) -> mpsc::Receiver<Result<Reply, wire::WireError>> {
    let (tx, rx) = mpsc::channel(EVENT_CHANNEL);
    net.tasks().spawn(async move {
        loop {
            let frame = tokio::select! {
                f = wire::read::<Reply, _>(&mut recv, wire::MAX_SMALL_FRAME) => f,
                // Nobody reads any more: dropping `recv` tells the peer to stop.
                _ = tx.closed() => return,
            };
            let end = !matches!(frame, Ok(Some(_)));
            let Some(item) = frame.transpose() else {
                return;
            };
            if tx.send(item).await.is_err() || end {
                return;
            }
        }
    });
    rx
}

/// Reads the next frame of a segment as an event, within the stall limit.
/// What a worker said beside its tokens, checked as it comes: its parser's reading against the
/// tokens' own bytes (a reading far longer than the text it reads, or a call of a tool the job
/// did not offer, is a lie), and an embedding job's vectors, passed on only with its `Done` (a
/// source that breaks before then has its job run again whole elsewhere).
#[derive(Default)]
struct Said {
    piece_bytes: usize,
    delta_bytes: usize,
    vectors: Vec<Vec<f32>>,
    /// The vectors to pass on, once the job ended with all of them.
    ready: Option<Vec<Vec<f32>>>,
}

impl Said {
    /// `step` as the job goes on with it: a lie becomes a break, vectors are kept (None: nothing
    /// to act on yet).
    fn screen(&mut self, spec: &crate::job::Spec, step: Step) -> Option<Step> {
        let checked = match &step {
            Step::Event(Event::Token { piece, extra, .. }) => {
                self.token(spec, piece, extra.as_deref())
            }
            Step::Event(Event::Done(f)) => self.end(spec, f).map(|v| self.ready = v),
            _ => Ok(()),
        };
        match (step, checked) {
            (_, Err(why)) => Some(Step::Broken(why)),
            (Step::Event(Event::Embeddings(v)), Ok(())) => match self.vectors(spec, v) {
                Ok(()) => None,
                Err(why) => Some(Step::Broken(why)),
            },
            (step, Ok(())) => Some(step),
        }
    }

    fn vectors(&mut self, spec: &crate::job::Spec, v: Vec<Vec<f32>>) -> Result<(), String> {
        self.vectors.extend(v);
        vectors_fit(&self.vectors, inputs(spec))
    }

    /// At the job's end: its last reading checked, and its vectors (all of them) if it embeds.
    fn end(
        &mut self,
        spec: &crate::job::Spec,
        f: &Finish,
    ) -> Result<Option<Vec<Vec<f32>>>, String> {
        if let Some(d) = &f.delta {
            self.delta(spec, d)
                .map_err(|_| "ended with a reading its tokens do not hold".to_string())?;
        }
        match inputs(spec) {
            Some(n) if self.vectors.len() != n => Err(format!(
                "ended an embedding job with {} vectors for {n} inputs",
                self.vectors.len()
            )),
            Some(_) => Ok(Some(std::mem::take(&mut self.vectors))),
            None => Ok(None),
        }
    }

    fn token(
        &mut self,
        spec: &crate::job::Spec,
        piece: &[u8],
        extra: Option<&crate::job::TokenExtra>,
    ) -> Result<(), String> {
        self.piece_bytes += piece.len();
        match extra.and_then(|x| x.delta.as_ref()) {
            Some(d) => self.delta(spec, d),
            None => Ok(()),
        }
    }

    fn delta(&mut self, spec: &crate::job::Spec, d: &crate::job::MsgDelta) -> Result<(), String> {
        self.delta_bytes += d.content.len()
            + d.tool_calls
                .iter()
                .map(|c| c.arguments.len() + c.name.as_ref().map_or(0, String::len))
                .sum::<usize>();
        // A call's JSON may read longer than its tokens by quotes and spacing, never by much.
        if self.delta_bytes > 2 * self.piece_bytes + 1024 {
            return Err("sent a parsed answer far longer than its tokens".into());
        }
        let offered = |n: &str| spec.constraints.tools.iter().any(|t| t.name == n);
        if let Some(n) = d
            .tool_calls
            .iter()
            .filter_map(|c| c.name.as_deref())
            .find(|n| !spec.constraints.has_tools() || !offered(n))
        {
            return Err(format!(
                "said the model called `{n}`, a tool the job did not offer"
            ));
        }
        Ok(())
    }
}

/// An embedding job's count of inputs (None: a job for text).
fn inputs(spec: &crate::job::Spec) -> Option<usize> {
    match &spec.prompt {
        crate::job::Prompt::Embed(v) => Some(v.len()),
        _ => None,
    }
}

/// Whether an embedding job's vectors so far can be its answer: no more than its inputs, all of
/// one length, each of length 1 (as the engine normalizes them).
fn vectors_fit(v: &[Vec<f32>], inputs: Option<usize>) -> Result<(), String> {
    let Some(n) = inputs else {
        return Err("sent vectors for a job that asked for text".into());
    };
    if v.len() > n {
        return Err("sent more vectors than the job has inputs".into());
    }
    let dim = v.first().map_or(0, Vec::len);
    for x in v {
        let norm = x.iter().map(|a| f64::from(*a).powi(2)).sum::<f64>().sqrt();
        if x.len() != dim || (norm - 1.0).abs() > 1e-2 {
            return Err("sent a vector of another size, or not normalized".into());
        }
    }
    Ok(())
}

/// Whether a token's extras are what the job asked: logprobs only if asked, with at most the
/// alternatives asked, each a token's bytes.
fn extra_fits(x: &crate::job::TokenExtra, asked: Option<u8>) -> bool {
    match (&x.logprobs, asked) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(l), Some(n)) => {
            l.top.len() <= n as usize && l.top.iter().all(|t| t.piece.len() <= 256)
        }
    }
}

async fn next_frame(s: &mut Segment, limit: Duration) -> Step {
    let reply = match tokio::time::timeout(limit, s.frames.recv()).await {
        Err(_) => return Step::Broken(format!("stalled: no token for {} ms", limit.as_millis())),
        Ok(Some(Err(e))) => return Step::Broken(e.to_string()),
        Ok(None) => return Step::Broken("closed the stream before the end of the answer".into()),
        Ok(Some(Ok(reply))) => reply,
    };
    match reply {
        Reply::Token { piece, .. } if piece.len() > 256 => {
            Step::Broken(format!("sent a {}-byte token", piece.len()))
        }
        Reply::Token { extra: Some(x), .. } if !extra_fits(&x, s.logprobs) => {
            Step::Broken("sent logprobs the job did not ask for".into())
        }
        Reply::Token { id, piece, extra } => Step::Event(Event::Token { id, piece, extra }),
        Reply::Embedding { vector } => match wire::decode_vector(&vector) {
            Some(v) => Step::Event(Event::Embeddings(vec![v])),
            None => Step::Broken("sent a vector that is not one".into()),
        },
        Reply::Waiting => Step::Waiting,
        Reply::Committed { n, commitment } => Step::Committed(n, commitment),
        Reply::Done {
            reason,
            completion_tokens,
            cached_tokens,
            ttft_ms,
            prompt_ms,
            generation_ms,
            commitment,
            delta,
        } => {
            s.signed.last = commitment.map(|c| *c);
            Step::Event(Event::Done(Finish {
                reason: FinishReason::parse(&reason),
                prompt_tokens: 0,
                cached_tokens,
                completion_tokens,
                time_to_first_token: millis(ttft_ms),
                prompt_time: millis(prompt_ms),
                generation_time: millis(generation_ms),
                credits: 0,
                delta: delta.map(|d| *d),
                stages: Vec::new(),
            }))
        }
        Reply::Failed { message } => Step::Event(Event::Failed(message)),
        other => Step::Broken(format!("sent {other:?} in the middle of a job")),
    }
}

/// A peer's reported milliseconds as a duration; nonsense (negative, NaN, huge) becomes zero.
fn millis(ms: f64) -> Duration {
    Duration::try_from_secs_f64(ms / 1e3).unwrap_or_default()
}

/// The peer segment `source` was, taken out of it (a closed channel left in its place).
fn take_peer(source: &mut Source) -> Box<Segment> {
    let (_, closed) = mpsc::channel(1);
    match std::mem::replace(source, Source::Local(closed)) {
        Source::Peer(s) => s,
        Source::Local(_) => unreachable!("taken only from a peer's segment"),
    }
}

/// What a segment's check and payment need of its job.
struct Settling {
    net: Net,
    guard: JobGuard,
    spec: Spec,
    known: Option<crate::trust::challenge::Known>,
}

/// Checks a segment's `claim` (when drawn; always for a challenge, whose known answer passes
/// without a prefill), then pays `paid` of its tokens, or nothing when a fraud proof shows the
/// answer false. Returns the credits paid.
async fn check_then_pay(c: Settling, mut s: Box<Segment>, claim: check::Claim, paid: u32) -> u64 {
    let known = c
        .known
        .as_ref()
        .is_some_and(|k| claim.before.is_empty() && k.is(&claim.tokens, claim.reason));
    if known {
        let r = check::record(&c.net, claim.peer, true).await;
        c.guard.set_check(format!(
            "passed: {} tokens of {}, the known answer (no prefill; its run: {})",
            claim.tokens.len(),
            claim.peer.short(),
            r.run
        ));
    } else if check::spot(&c.net, &c.guard, &c.spec, &claim, c.known.is_some()).await {
        pay::withhold(&mut s);
        return 0;
    }
    pay::settle(&c.net, Some(&c.guard), &mut s, paid, false).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{CallDelta, Constraints, MsgDelta, Prompt, Sampling, Spec, TokenExtra, Tool};

    fn spec(tools: &[&str]) -> Spec {
        Spec {
            model: None,
            prompt: Prompt::Text("x".into()),
            max_tokens: None,
            sampling: Sampling::default(),
            stop: Vec::new(),
            ignore_eos: false,
            constraints: Constraints {
                tools: tools
                    .iter()
                    .map(|n| Tool {
                        name: (*n).into(),
                        description: String::new(),
                        parameters: serde_json::json!({"type": "object"}),
                    })
                    .collect(),
                ..Constraints::default()
            },
            logprobs: None,
            policy: Default::default(),
        }
    }

    fn call(name: &str, args: &str) -> TokenExtra {
        TokenExtra {
            logprobs: None,
            delta: Some(MsgDelta {
                content: String::new(),
                tool_calls: vec![CallDelta {
                    index: 0,
                    id: Some("c".into()),
                    name: Some(name.into()),
                    arguments: args.into(),
                }],
            }),
        }
    }

    #[test]
    fn a_reading_must_be_of_the_tokens_and_the_offered_tools() {
        let s = spec(&["get_weather"]);
        let mut said = Said::default();
        assert!(
            said.token(&s, b"<tool_call>", Some(&call("get_weather", "{")))
                .is_ok()
        );
        // A tool the job did not offer.
        let mut said = Said::default();
        assert!(
            said.token(&s, b"x", Some(&call("delete_repo", "{}")))
                .is_err()
        );
        // A reading far longer than the tokens it reads.
        let mut said = Said::default();
        let long = "a".repeat(4096);
        let lie = TokenExtra {
            logprobs: None,
            delta: Some(MsgDelta {
                content: long,
                tool_calls: Vec::new(),
            }),
        };
        assert!(said.token(&s, b"hi", Some(&lie)).is_err());
        // Calls in a job that offered no tools.
        let mut said = Said::default();
        assert!(
            said.token(&spec(&[]), b"x", Some(&call("f", "{}")))
                .is_err()
        );
    }

    #[test]
    fn vectors_must_be_one_normalized_size_and_no_more_than_the_inputs() {
        let unit = |n: usize| {
            let mut v = vec![0.0f32; n];
            v[0] = 1.0;
            v
        };
        assert!(vectors_fit(&[unit(4), unit(4)], Some(2)).is_ok());
        assert!(vectors_fit(&[unit(4), unit(4)], Some(1)).is_err());
        assert!(vectors_fit(&[unit(4), unit(5)], Some(2)).is_err());
        assert!(vectors_fit(&[vec![3.0, 4.0]], Some(1)).is_err());
        assert!(vectors_fit(&[unit(4)], None).is_err());
    }
}
