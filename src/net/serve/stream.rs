//! Streaming a peer's job: queued on the engine and registered in the job log, `Accepted` sent,
//! then one `Token` frame per generated token and a last `Done` (or `Failed`), until the job
//! ends, the requester stops it, or goes away (which cancels it here).

use iroh::endpoint::SendStream;
use tokio::sync::mpsc;

use super::super::Net;
use super::super::wire::{self, InferRequest, Reply, Request};
use super::admit::{Admitted, Terms};
use crate::ids::{ModelId, ModelRef, NodeId};
use crate::job::{self, Event};
use crate::node::JobGuard;

/// A peer's job queued on this node's engine.
pub(super) struct Running {
    pub guard: JobGuard,
    pub events: mpsc::Receiver<Event>,
    pub terms: Terms,
    pub model: ModelId,
    pub parameters: u64,
    pub processed: u64,
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
        guard.set_prompt_text(crate::node::jobs::prompt_log(&self.spec.prompt));
        guard.set_warning(p.warning.as_deref());
        guard.run_locally();
        let events = match job::local::submit(&self.engine, p, &self.spec, self.priority) {
            Ok(rx) => rx,
            Err(r) => {
                guard.refuse(&r.message);
                let _ = wire::write(send, &super::refused(&r)).await;
                return None;
            }
        };
        let accepted = Reply::Accepted {
            model: model.to_string(),
            prompt_tokens: p.prompt_tokens,
            max_tokens: p.max_tokens,
            warning: p.warning.clone(),
        };
        if wire::write(send, &accepted).await.is_err() {
            tracing::debug!("job {}: the requester left before it started", job.job);
            return None;
        }
        guard.progress(0);
        Some(Running {
            guard,
            events,
            terms: self.terms,
            model,
            parameters: self.parameters,
            processed: self.processed,
        })
    }
}

/// Streams the job's tokens to the requester. Returns the tokens it was sent and will pay for
/// (on a stop, what the requester says it received, never more than was sent); `None` when the
/// job failed, or the requester left or broke the protocol (the job is not paid). Either way the
/// job has ended on the engine when it returns.
pub(super) async fn run(
    running: &mut Running,
    send: &mut SendStream,
    from_requester: &mut mpsc::Receiver<Request>,
) -> Option<u32> {
    let delivered = stream(running, send, from_requester).await;
    // A stop or a departure cancels the job on the engine.
    running.events.close();
    delivered
}

async fn stream(
    running: &mut Running,
    send: &mut SendStream,
    from_requester: &mut mpsc::Receiver<Request>,
) -> Option<u32> {
    let guard = &running.guard;
    let mut n = 0u32;
    loop {
        let frame = tokio::select! {
            ev = running.events.recv() => match ev? {
                Event::Token { id, piece } => {
                    n += 1;
                    if n.is_multiple_of(16) {
                        guard.progress(n);
                    }
                    guard.push_output(&piece);
                    Reply::Token { id, piece }
                }
                Event::Done(f) => {
                    guard.finish(&f);
                    Reply::Done {
                        reason: f.reason.as_str().into(),
                        completion_tokens: f.completion_tokens,
                        cached_tokens: f.cached_tokens,
                        ttft_ms: f.time_to_first_token.as_secs_f64() * 1e3,
                        prompt_ms: f.prompt_time.as_secs_f64() * 1e3,
                        generation_ms: f.generation_time.as_secs_f64() * 1e3,
                    }
                }
                // A failed job is not paid.
                Event::Failed(message) => {
                    guard.fail(&message);
                    let _ = wire::write(send, &Reply::Failed { message }).await;
                    return None;
                }
            },
            r = from_requester.recv() => match r {
                Some(Request::Stop { received }) => return Some(received.min(n)),
                // The requester went away, or sent something else mid-job: the job ends here
                // and is not paid.
                _ => return None,
            },
        };
        let done = matches!(frame, Reply::Done { .. });
        // The requester went away (or failed over): the job ends here.
        wire::write(send, &frame).await.ok()?;
        if done {
            return Some(n);
        }
    }
}
