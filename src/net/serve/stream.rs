//! Streaming a peer's job: queued on the engine and registered in the job log, `Accepted` sent,
//! then one `Token` frame per generated token (and a signed running commitment, `Committed`,
//! after every [`wire::COMMIT_EVERY`]-th), and a last `Done` (or `Failed`), until the job
//! ends, the requester stops it, or goes away (which cancels it here). A paid job streams within
//! its tab's window: past it, the job waits for the requester's next promise, and ends unpaid
//! if none comes.

use iroh::endpoint::SendStream;
use tokio::sync::mpsc;

use super::super::Net;
use super::super::wire::{self, InferRequest, Reply, Request};
use super::admit::{Admitted, Terms};
use super::tab::{PAY_WAIT, Tab, WINDOW};
use crate::ids::{ModelId, ModelRef, NodeId};
use crate::job::{self, Event};
use crate::node::JobGuard;
use crate::trust::proof::{Commitment, prompt_hash};

/// The longest one frame may take to reach the requester ([`put`]).
const WRITE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The longest a job handed back streams on to reach its next running commitment.
const HAND_BACK_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// How often a job that has not started yet tells its requester it is waiting.
const QUEUE_BEAT: std::time::Duration = std::time::Duration::from_secs(4);

/// A peer's job queued on this node's engine.
pub(super) struct Running {
    pub guard: JobGuard,
    pub events: mpsc::Receiver<Event>,
    /// The requester's promises (a paid job), else `None` (a free one).
    pub tab: Option<Tab>,
    /// Its job id, taken until the job has settled.
    pub _claim: super::admit::Claim,
    /// What this node commits to at the end: the job as asked and the tokens sent.
    pub work: Commitment,
    /// How this node cheats, with the engine it cheats on (tests of verified work only).
    #[cfg(feature = "fault-injection")]
    pub cheat: Option<(crate::trust::cheat::Cheat, crate::engine::Engine)>,
}

impl Admitted {
    /// Registers the job, queues it, and tells the requester it was accepted. `None` when it
    /// could not be queued (the requester was told why) or the requester is gone.
    pub(super) async fn start(
        self,
        net: &Net,
        peer: NodeId,
        job: &InferRequest,
        send: &mut SendStream,
    ) -> Option<Running> {
        let info = self.engine.info();
        let model = ModelId::new(&info.name, &info.quant);
        let p = &self.prepared;
        let guard = net
            .node()
            .start_job(ModelRef::from(&model), p.prompt_tokens);
        guard.set_requester(peer);
        // A peer's prompt and answer are its own: kept here only if the operator says so.
        if net.node().settings().keep_peer_text {
            guard.set_prompt_text(crate::node::jobs::prompt_log(&self.spec.prompt));
        } else {
            guard.withhold_text();
        }
        guard.set_warning(p.warning.as_deref());
        guard.run_locally(info, &info.why);
        #[cfg(feature = "fault-injection")]
        let cheat = net.settings().cheat.map(|c| (c, self.engine.clone()));
        #[cfg(feature = "fault-injection")]
        let submitted = match &cheat {
            Some((c, e)) => c.submit(e, p, &self.spec, self.priority),
            None => job::local::submit(&self.engine, p, &self.spec, self.priority),
        };
        #[cfg(not(feature = "fault-injection"))]
        let submitted = job::local::submit(&self.engine, p, &self.spec, self.priority);
        let events = match submitted {
            Ok(rx) => rx,
            Err(r) => {
                guard.refuse(&r.message);
                // Refused before any work: its hold is waived as at any refusal.
                if let Some(waiver) = super::admit::unrun(net, peer, job, self) {
                    let _ = wire::write(send, &Reply::Waived { waiver }).await;
                }
                let _ = wire::write(send, &super::refused(&r)).await;
                return None;
            }
        };
        let accepted = Reply::Accepted {
            model: model.to_string(),
            prompt_tokens: p.prompt_tokens,
            max_tokens: p.max_tokens,
            warning: p.warning.clone(),
            engine: info.engine,
            why: info.why.clone(),
        };
        if wire::write(send, &accepted).await.is_err() {
            tracing::debug!("job {}: the requester left before it started", job.job);
            return None;
        }
        guard.progress(0);
        let tab = match self.terms {
            Terms::Paid {
                promise,
                hold_until,
                head,
                ..
            } => Some(Tab::new(*promise, self.parameters, hold_until, *head)),
            Terms::Free => None,
        };
        let work = Commitment {
            job: job.job.clone(),
            requester: peer,
            worker: net.id(),
            model: model.to_string(),
            prompt: prompt_hash(&self.spec.prompt, &self.spec.constraints, &job.continuation),
            sampling: self.spec.sampling.clone(),
            ignore_eos: job.ignore_eos,
            stop: job.stop.clone(),
            tokens: Vec::new(),
            finish: crate::job::FinishReason::Stop,
            engine: info.engine,
        };
        Some(Running {
            guard,
            events,
            tab,
            _claim: self.claim,
            work,
            #[cfg(feature = "fault-injection")]
            cheat,
        })
    }
}

/// Streams the job's tokens to the requester; returns how many were sent. However it ended (done,
/// stopped, failed, the requester gone or out of promises) the job has ended on the engine, and
/// a paid one is settled next on the requester's last promise.
pub(super) async fn run(
    net: &Net,
    peer: NodeId,
    running: &mut Running,
    send: &mut SendStream,
    from_requester: &mut mpsc::Receiver<Request>,
) -> u32 {
    let sent = stream(net, peer, running, send, from_requester).await;
    // A stop or a departure cancels the job on the engine.
    running.events.close();
    sent
}

/// The job's last frame: how it ended, and this node's signed commitment to the answer.
fn done(net: &Net, running: &mut Running, f: &job::Finish) -> Reply {
    running.guard.finish(f);
    running.work.finish = f.reason;
    #[cfg(feature = "fault-injection")]
    if let Some((c, e)) = &running.cheat {
        c.finished(e, &running.work.tokens);
    }
    Reply::Done {
        commitment: Some(Box::new(running.work.sign(&net.inner.key))),
        reason: f.reason.as_str().into(),
        completion_tokens: f.completion_tokens,
        cached_tokens: f.cached_tokens,
        ttft_ms: f.time_to_first_token.as_secs_f64() * 1e3,
        prompt_ms: f.prompt_time.as_secs_f64() * 1e3,
        generation_ms: f.generation_time.as_secs_f64() * 1e3,
        delta: f.delta.clone().map(Box::new),
    }
}

/// The `n`-th token, `id`, as the job's record and log keep it.
fn token(running: &mut Running, n: u32, id: u32, piece: &[u8]) {
    running.work.tokens.push(id);
    if n.is_multiple_of(16) {
        running.guard.progress(n);
    }
    running.guard.push_output(piece);
}

/// An embedding job's vectors, a frame each; false if the requester went away.
async fn send_vectors(send: &mut SendStream, vectors: &[Vec<f32>]) -> bool {
    for v in vectors {
        let frame = Reply::Embedding {
            vector: wire::encode_vector(v),
        };
        if wire::write(send, &frame).await.is_err() {
            return false;
        }
    }
    true
}

/// An event from the engine as this node sends it on.
enum Cheated {
    Send(Option<Event>),
    /// Nothing is sent for it.
    #[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
    Skip,
}

/// The event as sent: as the engine made it, unless this node cheats (a `fault-injection` build
/// started with `--cheat`).
#[cfg_attr(not(feature = "fault-injection"), allow(unused_variables))]
fn cheat(running: &Running, n: u32, ev: Option<Event>) -> Cheated {
    #[cfg(feature = "fault-injection")]
    if let Some((c, engine)) = &running.cheat {
        return match ev.map(|ev| c.alter(engine, n, ev)) {
            Some(None) => Cheated::Skip,
            Some(Some(ev)) => Cheated::Send(Some(ev)),
            None => Cheated::Send(None),
        };
    }
    Cheated::Send(ev)
}

/// Why a paid job must stop before its next token (`n` sent), if it must: its requester was
/// proven to fork its chain (a witness or gossip brought the proof while it ran), or its hold is
/// about to expire.
fn stop_paid(
    net: &Net,
    peer: NodeId,
    tab: Option<&Tab>,
    n: u32,
    rechecked: &mut bool,
) -> Option<&'static str> {
    let tab = tab?;
    // A second look at the witnesses once the first window is out: a worker shown another
    // branch of the chain after this one asked them was refused there, and the proof is there
    // now (or reached this node by gossip first). Asked aside, so the answer goes on streaming
    // meanwhile (a witness that is gone takes seconds to time out); a proof it brings is
    // adopted, and stops the job at its next token.
    if n >= WINDOW && !*rechecked {
        *rechecked = true;
        let (net2, head) = (net.clone(), tab.head.clone());
        net.tasks().spawn(async move {
            let _ = super::witness::check(&net2, peer, &head).await;
        });
    }
    if net.node().ledger().is_some_and(|l| l.is_equivocator(&peer)) {
        return Some("the requester was proven to fork its chain: the job stops here");
    }
    tab.expiring()
        .then_some("the requester's hold on its credits for this job is about to expire")
}

async fn stream(
    net: &Net,
    peer: NodeId,
    running: &mut Running,
    send: &mut SendStream,
    from_requester: &mut mpsc::Receiver<Request>,
) -> u32 {
    let guard = running.guard.clone();
    let mut n = 0u32;
    let mut rechecked = false;
    let mut hand_back_due = HandBack::new(net);
    loop {
        if let Some(m) = stop_paid(net, peer, running.tab.as_ref(), n, &mut rechecked) {
            guard.fail(m);
            let _ = put(send, &Reply::Failed { message: m.into() }).await;
            return n;
        }
        let may_send = running.tab.as_ref().is_none_or(|t| t.may_send(n));
        let frame = tokio::select! {
            ev = running.events.recv(), if may_send => match cheat(running, n, ev) {
                Cheated::Skip => continue,
                Cheated::Send(Some(Event::Token { id, piece, extra })) => {
                    n += 1;
                    token(running, n, id, &piece);
                    Reply::Token { id, piece, extra }
                }
                Cheated::Send(Some(Event::Embeddings(v))) if send_vectors(send, &v).await => {
                    continue;
                }
                Cheated::Send(Some(Event::Embeddings(_))) => return n,
                Cheated::Send(Some(Event::Done(f))) => done(net, running, &f),
                Cheated::Send(Some(Event::Failed(message))) => {
                    guard.fail(&message);
                    let _ = put(send, &Reply::Failed { message }).await;
                    return n;
                }
                Cheated::Send(None) => return n,
            },
            r = from_requester.recv() => match r {
                Some(Request::Pay(p)) => match promised(net, peer, running, *p, n) {
                    true => continue,
                    false => return n,
                },
                Some(Request::Stop) => return n,
                // The requester went away, or sent something else mid-job: the job ends here.
                _ => return n,
            },
            // The owner needs the machine: the job goes back to its requester.
            () = hand_back_due.wait(n) => return hand_back(net, running, send, n).await,
            // Queued behind other jobs: the requester hears that the job is alive.
            _ = tokio::time::sleep(QUEUE_BEAT), if n == 0 && may_send => Reply::Waiting,
            _ = tokio::time::sleep(PAY_WAIT), if !may_send => {
                let m = format!(
                    "no promise to pay for {n} tokens within {} s: the job stops here",
                    PAY_WAIT.as_secs()
                );
                guard.fail(&m);
                let _ = put(send, &Reply::Failed { message: m }).await;
                return n;
            }
        };
        let done = matches!(frame, Reply::Done { .. });
        let token = matches!(frame, Reply::Token { .. });
        // The requester went away (or failed over, or stopped reading): the job ends here.
        if !put(send, &frame).await {
            return n;
        }
        if done {
            return n;
        }
        // The running commitment its requester pays by.
        if token && n.is_multiple_of(wire::COMMIT_EVERY) {
            let commitment = running.work.cut(n as usize).sign(&net.inner.key);
            if !put(send, &Reply::Committed { n, commitment }).await {
                return n;
            }
        }
        if hand_back_due.at_commitment(n) {
            return hand_back(net, running, send, n).await;
        }
    }
}

/// One frame to the requester, within [`WRITE_WAIT`]. A requester that stops reading (its
/// stream's flow control shut while its connection lives) loses the job: its stream is reset,
/// so that it holds neither the engine's slot nor this node's place for peers' jobs.
async fn put(send: &mut SendStream, frame: &Reply) -> bool {
    match tokio::time::timeout(WRITE_WAIT, wire::write(send, frame)).await {
        Ok(r) => r.is_ok(),
        Err(_) => {
            let _ = send.reset(iroh::endpoint::VarInt::from_u32(0));
            false
        }
    }
}

/// A requester's promise to pay, taken onto the job's tab; false (the requester struck and the
/// job failed) when it is bad.
fn promised(
    net: &Net,
    peer: NodeId,
    running: &mut Running,
    p: crate::ledger::Promise,
    n: u32,
) -> bool {
    let ledger = net.node().ledger().expect("a tab needs a ledger");
    let taken = match running.tab.as_mut() {
        Some(t) => t.update(p, n, ledger),
        None => Err("a promise for a free job".into()),
    };
    if let Err(why) = &taken {
        net.strike(&peer, &format!("a bad promise: {why}"));
        running
            .guard
            .fail(&format!("the requester's promise was bad: {why}"));
    }
    taken.is_ok()
}

/// When a peer's job is handed back ([`crate::node::Node::hand_back_peer_jobs`]): at its next
/// running commitment, so that every token sent is paid for, or within `HAND_BACK_WAIT`
/// whatever the count.
struct HandBack {
    news: tokio::sync::watch::Receiver<u64>,
    /// Asked before this job started streaming (its admission spanned the pause).
    asked: bool,
    by: Option<tokio::time::Instant>,
}

impl HandBack {
    fn new(net: &Net) -> HandBack {
        let news = net.node().hand_backs();
        let asked = net.node().yielding();
        HandBack {
            news,
            asked,
            by: None,
        }
    }

    /// Resolves when the job must go now (`n` tokens sent). Cancel-safe: once asked, the
    /// deadline stays.
    async fn wait(&mut self, n: u32) {
        if self.by.is_none() {
            if !self.asked && self.news.changed().await.is_err() {
                return std::future::pending().await;
            }
            self.asked = true;
            if n.is_multiple_of(wire::COMMIT_EVERY) {
                return;
            }
            self.by = Some(tokio::time::Instant::now() + HAND_BACK_WAIT);
        }
        if let Some(by) = self.by {
            tokio::time::sleep_until(by).await;
        }
    }

    /// Asked to go, and at a running commitment now.
    fn at_commitment(&self, n: u32) -> bool {
        self.by.is_some() && n.is_multiple_of(wire::COMMIT_EVERY)
    }
}

/// Ends a peer's job here because the owner needs the machine: `Failed`, on which the requester
/// fails over and continues from the tokens sent on another node (it pays for those its last
/// running commitment covers).
async fn hand_back(net: &Net, running: &mut Running, send: &mut SendStream, n: u32) -> u32 {
    let m = format!("handed back after {n} tokens: this node's owner needs the machine");
    running.guard.progress(n);
    // Why, in the local job log only: the owner's programs are not the peer's business.
    running
        .guard
        .fail(&format!("{m} ({})", net.node().contribution().why));
    let _ = put(send, &Reply::Failed { message: m }).await;
    n
}
