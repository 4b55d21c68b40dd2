//! Spot checks of a peer's answer by this node, when it runs the same variant itself: the
//! finished segment's tokens go through this node's model by teacher forcing
//! (`engine::score`) and are judged (`trust::check`). Drawn at the worker's rate
//! (`trust::spot`); a failure is looked at again on another numeric path (one thread) before
//! the worker is accused, and a worker that fails both is banned here. The answer has reached
//! the client by then: a check decides what the worker's record and reputation become.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::super::Net;
use super::super::wire::{RefuseCode, Reply, Request};
use crate::ids::{ModelRef, NodeId};
use crate::job::local::prepare_off_runtime;
use crate::job::{FinishReason, Spec};
use crate::node::JobGuard;
use crate::trust::check::{Fault, Tolerance, judge};
use crate::trust::proof::{Commitment, FraudProof, ProofError, Signature};

/// Spot checks running on this node (one at a time), and waiting (at most [`MAX_WAITING`]).
static CHECKING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
static WAITING: AtomicUsize = AtomicUsize::new(0);
const MAX_WAITING: usize = 8;

/// A finished segment of a job: what the worker claimed to have generated.
pub(super) struct Claim {
    pub peer: NodeId,
    /// The variant it ran (`name:quant`, as accepted).
    pub variant: String,
    /// The answer's tokens before this segment (from other nodes), and the segment's own.
    pub before: Vec<u32>,
    pub tokens: Vec<u32>,
    pub reason: FinishReason,
    /// The worker's commitment to it and its signature (a segment it ended with `Done`): a
    /// failed check then makes a fraud proof.
    pub signed: Option<(Commitment, Signature)>,
}

/// This node's turn to check (held while it checks); `None` when too many checks wait already.
/// One check at a time on this node, and a few waiting: a crowd of workers (or throwaway
/// identities sending garbage, or proofs) cannot make it prefill without end.
async fn turn() -> Option<tokio::sync::SemaphorePermit<'static>> {
    if WAITING.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
        WAITING.fetch_sub(1, Ordering::AcqRel);
        return None;
    }
    let one = CHECKING.acquire().await;
    WAITING.fetch_sub(1, Ordering::AcqRel);
    one.ok()
}

/// Checks `claim` if the draw says so: here when this node serves its variant, else by verifier
/// peers that do.
pub(super) async fn spot(net: &Net, guard: &JobGuard, spec: &Spec, claim: &Claim) {
    // Only the very variant it ran: another quantization computes other logits.
    let variant = ModelRef::parse(&claim.variant);
    if variant.quant.is_none() || claim.tokens.is_empty() {
        return;
    }
    let rate = net.checks().get(&claim.peer).rate();
    if !net.checks().pick(&claim.peer) {
        guard.set_check(format!("not drawn for a spot check (rate {rate:.2})"));
        return;
    }
    match net.node().engine_for(Some(&variant)).cloned() {
        Some(engine) => {
            here(net, guard, spec, claim, engine).await;
        }
        None => by_peers(net, guard, spec, claim, &variant).await,
    }
}

/// Checks `claim` on this node's own engine of its variant; the fault found, if the worker
/// failed the check.
async fn here(
    net: &Net,
    guard: &JobGuard,
    spec: &Spec,
    claim: &Claim,
    engine: crate::engine::Engine,
) -> Option<Fault> {
    let Some(_one) = turn().await else {
        guard.set_check("not checked: too many spot checks were waiting".into());
        return None;
    };
    let started = Instant::now();
    let prepared =
        prepare_off_runtime(net.tasks(), &engine, &spec.prompt, &claim.before, Some(1)).await;
    let prompt = match prepared {
        Ok(p) => p.tokens,
        Err(r) => {
            guard.set_check(format!("spot check not run: {}", r.message));
            return None;
        }
    };
    // The end is judged only where the answer claims the model ended it.
    // (The same rule as `Commitment::ended_by_model`, which a proof's verifier applies.)
    let ended = claim.reason == FinishReason::Stop && spec.stop.is_empty() && !spec.ignore_eos;
    let look = |threads: Option<u32>| {
        let (e, p, t, s) = (
            engine.clone(),
            prompt.clone(),
            claim.tokens.clone(),
            spec.sampling.clone(),
        );
        net.tasks().spawn_blocking(move || {
            let mut scored = e.score(&p, &t, &s, threads)?;
            if !ended {
                scored.pop();
            }
            Ok::<_, crate::engine::score::ScoreError>(judge(&scored, &s, &Tolerance::default()))
        })
    };
    let verdict = match look(None).await {
        Ok(Ok(Err(_))) => look(Some(1)).await,
        other => other,
    };
    let ms = started.elapsed().as_millis();
    let n = claim.tokens.len();
    match verdict {
        Ok(Ok(Ok(()))) => {
            let r = record(net, claim.peer, true).await;
            guard.set_check(format!(
                "spot check passed: {n} tokens of {} checked in {ms} ms (its run: {})",
                claim.peer.short(),
                r.run
            ));
            None
        }
        Ok(Ok(Err(fault))) => {
            record(net, claim.peer, false).await;
            let proven = accuse(net, spec, claim, &fault.to_string()).await;
            guard.set_check(format!("spot check FAILED ({ms} ms): {fault}{proven}"));
            Some(fault)
        }
        Ok(Err(e)) => {
            guard.set_check(format!("spot check not run: {e}"));
            None
        }
        Err(e) => {
            guard.set_check(format!("spot check not run: {e}"));
            None
        }
    }
}

/// Bans the worker whose answer failed twice, and keeps the fraud proof its signed commitment
/// makes; what to add to the job's check line.
async fn accuse(net: &Net, spec: &Spec, claim: &Claim, fault: &str) -> &'static str {
    net.ban(
        &claim.peer,
        &format!("its answer failed a spot check twice: {fault}"),
    );
    let Some((commitment, signature)) = &claim.signed else {
        return "";
    };
    net.keep_proof(FraudProof {
        commitment: commitment.clone(),
        signature: *signature,
        prompt: spec.prompt.clone(),
        before: claim.before.clone(),
        fault: fault.to_string(),
    })
    .await;
    "; its signed commitment makes a fraud proof"
}

/// How many verifier peers a check without the model asks at most: the first, and a second to
/// confirm a failure before the worker is accused.
const VERIFIERS: usize = 2;

/// Checks `claim` by peers that run its variant, for a node that does not: the best-reputed
/// (the most checks passed here, then the nearest), never the worker. A failure the first finds
/// is confirmed by a second before the worker is accused; when they disagree, no one is.
async fn by_peers(net: &Net, guard: &JobGuard, spec: &Spec, claim: &Claim, variant: &ModelRef) {
    let Some((commitment, signature)) = &claim.signed else {
        guard.set_check("not checked: the worker signed no commitment to send a verifier".into());
        return;
    };
    let ask = FraudProof {
        commitment: commitment.clone(),
        signature: *signature,
        prompt: spec.prompt.clone(),
        before: claim.before.clone(),
        fault: String::new(),
    };
    let started = Instant::now();
    let mut found: Option<(NodeId, String)> = None;
    for v in verifiers(net, variant, &claim.peer) {
        let req = Request::Verify {
            claim: Box::new(ask.clone()),
        };
        let fault = match net.call(&v, &req).await {
            Ok(Reply::Verdict { fault }) => fault,
            // Busy, paused or gone: the next one is asked.
            _ => continue,
        };
        let ms = started.elapsed().as_millis();
        let n = claim.tokens.len();
        match (fault, &found) {
            (None, None) => {
                let r = record(net, claim.peer, true).await;
                guard.set_check(format!(
                    "spot check passed: {n} tokens of {} verified by {} in {ms} ms (its run: {})",
                    claim.peer.short(),
                    v.short(),
                    r.run
                ));
                return;
            }
            (None, Some((first, f))) => {
                guard.set_check(format!(
                    "spot check undecided: {} found a fault ({f}), {} none; no one is accused",
                    first.short(),
                    v.short()
                ));
                return;
            }
            (Some(f), None) => found = Some((v, f)),
            (Some(_), Some(_)) => break,
        }
    }
    let Some((first, fault)) = found else {
        guard.set_check(format!(
            "not checked: no peer that runs {variant} could verify it"
        ));
        return;
    };
    record(net, claim.peer, false).await;
    let fault = format!("{fault} (verified by {})", first.short());
    let proven = accuse(net, spec, claim, &fault).await;
    let ms = started.elapsed().as_millis();
    guard.set_check(format!("spot check FAILED ({ms} ms): {fault}{proven}"));
}

/// The peers to ask to verify an answer of `variant` by `worker`, best first.
fn verifiers(net: &Net, variant: &ModelRef, worker: &NodeId) -> Vec<NodeId> {
    let checks = net.checks().all();
    let mut all: Vec<(u32, u32, std::time::Duration, NodeId)> = net.with_table(|t| {
        t.peers()
            .filter(|p| p.id != *worker && p.routable() && p.serves(variant).is_some())
            .map(|p| {
                let r = checks.get(&p.id).copied().unwrap_or_default();
                (
                    r.failed,
                    u32::MAX - r.passed,
                    p.rtt.unwrap_or(std::time::Duration::MAX),
                    p.id,
                )
            })
            .collect()
    });
    all.sort();
    all.into_iter().take(VERIFIERS).map(|(.., id)| id).collect()
}

/// Checks a finished answer for `peer`, the job's requester, which does not run its variant:
/// the claim (the worker's signed commitment with the prompt) is re-run here as a proof is,
/// in this node's check queue. Refused when this node is paused, does not run the variant, or
/// too many checks wait.
pub(in crate::net) async fn verify_for(net: &Net, peer: NodeId, claim: FraudProof) -> Reply {
    let c = &claim.commitment;
    if net.node().paused() {
        return Reply::refused(RefuseCode::Paused, "contribution is paused here");
    }
    if c.requester != peer || c.worker == net.id() || c.worker == peer {
        net.strike(
            &peer,
            "asked to verify an answer not of its own job, or by itself",
        );
        return Reply::refused(
            RefuseCode::Invalid,
            "only a job's requester asks for its check",
        );
    }
    if let Err(e) = claim.check() {
        net.strike(
            &peer,
            &format!("asked to verify a claim that is not signed as sent: {e}"),
        );
        return Reply::refused(RefuseCode::Invalid, e.to_string());
    }
    let variant = ModelRef::parse(&c.model);
    let engine = match variant.quant {
        Some(_) => net.node().engine_for(Some(&variant)).cloned(),
        None => None,
    };
    let Some(engine) = engine else {
        return Reply::refused(
            RefuseCode::Model,
            format!("this node does not run {}", c.model),
        );
    };
    let Some(_one) = turn().await else {
        return Reply::refused(RefuseCode::Busy, "too many checks are waiting here");
    };
    match net
        .tasks()
        .spawn_blocking(move || claim.verify(&engine))
        .await
    {
        Ok(Ok(fault)) => Reply::Verdict {
            fault: Some(fault.to_string()),
        },
        Ok(Err(ProofError::Passes)) => Reply::Verdict { fault: None },
        Ok(Err(e)) => Reply::refused(RefuseCode::Invalid, e.to_string()),
        Err(e) => Reply::refused(RefuseCode::Busy, e.to_string()),
    }
}

/// Records a check's outcome, durably, and what it means for routing.
async fn record(net: &Net, peer: NodeId, passed: bool) -> crate::trust::spot::Record {
    let r = net.checks().record(&peer, passed);
    // Verified work ends its probation in routing; a failure puts it back.
    net.with_table(|t| t.set_verified(&peer, passed));
    let n = net.clone();
    let saved = net
        .tasks()
        .spawn_blocking(move || n.checks().save(&peer, &r))
        .await;
    if let Ok(Err(e)) = saved {
        tracing::error!(
            "could not save the spot-check record of {}: {e}",
            peer.short()
        );
    }
    r
}

/// A fraud proof `author` announced (by `id`): fetched from it, checked, and re-run here when
/// this node runs the variant. A proof that holds bans its worker here too and is kept (so this
/// node announces it on); one that is false, or whose answer passes here, costs its sender.
pub(in crate::net) async fn take_proof(net: &Net, author: NodeId, id: [u8; 32]) {
    let req = Request::GetProof {
        id: hex::encode(id),
    };
    let proof = match net.call(&author, &req).await {
        Ok(Reply::Proof { proof }) => *proof,
        // It no longer holds it (or is gone): nothing to re-run.
        Ok(Reply::Refused { .. }) | Err(_) => return,
        Ok(_) => {
            net.strike(&author, "answered get_proof with something else");
            return;
        }
    };
    if proof.id() != id {
        net.strike(
            &author,
            "sent another fraud proof than the one it announced",
        );
        return;
    }
    if let Err(e) = proof.check() {
        net.strike(&author, &format!("sent a false fraud proof: {e}"));
        return;
    }
    let worker = proof.commitment.worker;
    let variant = ModelRef::parse(&proof.commitment.model);
    let engine = match variant.quant {
        Some(_) if worker != net.id() => net.node().engine_for(Some(&variant)).cloned(),
        _ => None,
    };
    let Some(engine) = engine else {
        tracing::debug!(
            "a fraud proof against {} ({}): this node cannot re-run it",
            worker.short(),
            proof.commitment.model
        );
        return;
    };
    let Some(_one) = turn().await else {
        tracing::debug!(
            "a fraud proof from {} not re-run: too many checks waiting",
            author.short()
        );
        return;
    };
    let p = proof.clone();
    let found = net.tasks().spawn_blocking(move || p.verify(&engine)).await;
    match found {
        Ok(Ok(fault)) => {
            record(net, worker, false).await;
            net.ban(
                &worker,
                &format!(
                    "a fraud proof from {}, re-run here, finds: {fault}",
                    author.short()
                ),
            );
            net.keep_proof(proof).await;
        }
        Ok(Err(ProofError::Passes)) => net.strike(
            &author,
            "sent a fraud proof whose answer passes the check here",
        ),
        Ok(Err(e)) => tracing::debug!("a fraud proof from {}: {e}", author.short()),
        Err(_) => {}
    }
}
