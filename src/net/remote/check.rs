//! Spot checks of a peer's answer by this node, when it runs the same variant itself: the
//! finished segment's tokens go through this node's model by teacher forcing
//! (`engine::score`) and are judged (`trust::check`). Drawn at the worker's rate
//! (`trust::spot`); a failure is looked at again on another numeric path (one thread) before
//! the worker is accused, and a worker that fails both is banned here. The answer's tokens have
//! reached the client by then; a segment that ended is checked before it is paid, and one that
//! fails with a fraud proof is not paid (the proof voids the worker's claim to its promises).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::super::Net;
use crate::ids::{ModelRef, NodeId};
use crate::job::local::prepare_off_runtime;
use crate::job::{FinishReason, Spec};
use crate::node::JobGuard;
use crate::trust::check::{Tolerance, judge};
use crate::trust::proof::{self, Commitment, FraudProof, Signature};

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
    /// The engine the worker said it ran (as accepted; signed into its commitment).
    pub engine: crate::engine::EngineKind,
    /// The worker's commitment to it and its signature (a segment it ended with `Done`): a
    /// failed check then makes a fraud proof.
    pub signed: Option<(Commitment, Signature)>,
}

/// This node's turn to check its own jobs (held while it checks); `None` when too many checks
/// wait already. One check at a time, and a few waiting: a crowd of workers (or throwaway
/// identities sending garbage) cannot make it prefill without end. Peers' requests (checks
/// for them, proofs to re-run) have a queue of their own (`verify`): they cannot crowd out
/// this node's own checks.
async fn turn() -> Option<tokio::sync::SemaphorePermit<'static>> {
    if WAITING.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
        WAITING.fetch_sub(1, Ordering::AcqRel);
        return None;
    }
    let one = CHECKING.acquire().await;
    WAITING.fetch_sub(1, Ordering::AcqRel);
    one.ok()
}

/// Checks `claim` if the draw says so (always, when `forced`: a challenge): here when this
/// node serves its variant, else by verifier peers that do. Returns whether the answer failed
/// and a fraud proof shows it (the worker's signed commitment): such an answer is not paid.
pub(super) async fn spot(
    net: &Net,
    guard: &JobGuard,
    spec: &Spec,
    claim: &Claim,
    forced: bool,
) -> bool {
    if matches!(spec.prompt, crate::job::Prompt::Embed(_)) {
        guard.set_check("not checked: embeddings are not spot-checked (yet)".into());
        return false;
    }
    // Only the very variant it ran: another quantization computes other logits.
    let variant = ModelRef::parse(&claim.variant);
    // An empty answer is checked too when it claims the model ended it at once: a worker
    // that skips the work says just that.
    let nothing = claim.tokens.is_empty() && claim.reason != FinishReason::Stop;
    if variant.quant.is_none() || nothing {
        return false;
    }
    let rate = net.checks().get(&claim.peer).rate();
    if !forced && !net.checks().pick(&claim.peer) {
        guard.set_check(format!("not drawn for a spot check (rate {rate:.2})"));
        return false;
    }
    match net.node().engine_here(Some(&variant)) {
        Some(engine) => here(net, guard, spec, claim, engine).await,
        None => super::verify::by_peers(net, guard, spec, claim, &variant).await,
    }
}

/// Checks `claim` on this node's own engine of its variant; whether the worker failed the
/// check and is proven to.
async fn here(
    net: &Net,
    guard: &JobGuard,
    spec: &Spec,
    claim: &Claim,
    engine: crate::engine::Engine,
) -> bool {
    let Some(_one) = turn().await else {
        guard.set_check("not checked: too many spot checks were waiting".into());
        return false;
    };
    let started = Instant::now();
    let (prompt, setup) = match prompt_of(net, &engine, spec, claim).await {
        Ok(p) => (p.tokens, p.setup),
        Err(r) => return not_run(guard, &r.message),
    };
    // The end is judged only where the answer claims the model ended it (the same rule a
    // proof's verifier applies).
    let ended = proof::ended_by_model(
        &engine,
        &claim.tokens,
        claim.reason,
        &spec.stop,
        spec.ignore_eos,
    );
    let worker = claim.engine;
    let look = |threads: Option<u32>| {
        let (e, p, t, s, g) = (
            engine.clone(),
            prompt.clone(),
            claim.tokens.clone(),
            spec.sampling.clone(),
            setup.clone(),
        );
        net.tasks().spawn_blocking(move || {
            let mut scored = e.score(&p, &t, &s, threads, g.as_deref())?;
            if !ended {
                scored.pop();
            }
            // Under greedy decoding, the largest gap let through: how close an honest answer
            // came to the tolerance (the benchmark gathers these).
            let closest =
                (s.temperature <= 0.0).then(|| scored.iter().map(|p| p.gap).fold(0.0f32, f32::max));
            let verdict = judge(&scored, &s, &Tolerance::between(e.info().engine, worker));
            Ok::<_, crate::engine::score::ScoreError>((verdict, closest))
        })
    };
    // Tokens after a stop sequence it met: a fault read from the text, no prefill needed.
    let verdict = match proof::past_stop(&engine, &claim.tokens, &spec.stop) {
        Some(f) => Ok(Ok((Err(f), None))),
        None => match look(None).await {
            Ok(Ok((Err(_), _))) => look(Some(1)).await,
            other => other,
        },
    };
    let ms = started.elapsed().as_millis();
    let n = claim.tokens.len();
    match verdict {
        Ok(Ok((Ok(()), closest))) => {
            let r = record(net, claim.peer, true).await;
            learn(net, spec, claim);
            let closest = closest
                .map(|g| format!("; greedy, largest gap {g:.3} logits"))
                .unwrap_or_default();
            guard.set_check(format!(
                "spot check passed: {n} tokens of {} checked in {ms} ms (its run: {}{closest})",
                claim.peer.short(),
                r.run
            ));
            false
        }
        Ok(Ok((Err(fault), _))) => {
            record(net, claim.peer, false).await;
            let proven = accuse(net, spec, claim, &fault.to_string()).await;
            guard.set_check(format!(
                "spot check FAILED ({ms} ms): {fault}{}",
                proven_line(proven)
            ));
            proven
        }
        Ok(Err(e)) => not_run(guard, &e),
        Err(e) => not_run(guard, &e),
    }
}

/// A check that could not run: the job's line says why; nobody is accused.
/// The claim's prompt as the model reads it, with its grammar and parser (constrained jobs).
async fn prompt_of(
    net: &Net,
    engine: &crate::engine::Engine,
    spec: &Spec,
    claim: &Claim,
) -> Result<crate::job::local::Prepared, crate::job::Refusal> {
    let (p, c) = (&spec.prompt, &spec.constraints);
    prepare_off_runtime(net.tasks(), engine, p, c, &claim.before, Some(1)).await
}

fn not_run(guard: &JobGuard, why: &dyn std::fmt::Display) -> bool {
    guard.set_check(format!("spot check not run: {why}"));
    false
}

/// Keeps an answer that passed a check here, a whole one (from the prompt) of a variant this
/// node runs (it can check a challenge's other answer), for challenges.
pub(super) fn learn(net: &Net, spec: &Spec, claim: &Claim) {
    let runs = net
        .node()
        .engine_here(Some(&ModelRef::parse(&claim.variant)))
        .is_some();
    if runs && claim.before.is_empty() && !claim.tokens.is_empty() {
        net.known_answers().learn(crate::trust::challenge::Known {
            spec: spec.clone(),
            variant: claim.variant.clone(),
            tokens: claim.tokens.clone(),
            reason: claim.reason,
            by: claim.peer,
        });
    }
}

/// What a failed check's line adds on its proof and the payment.
pub(super) fn proven_line(proven: bool) -> &'static str {
    if proven {
        "; its signed commitment makes a fraud proof, and the answer is not paid"
    } else {
        "; paid all the same (no signed commitment makes a proof of it)"
    }
}

/// Bans the worker whose answer failed twice, and keeps the fraud proof its signed commitment
/// makes; whether there is one.
pub(super) async fn accuse(net: &Net, spec: &Spec, claim: &Claim, fault: &str) -> bool {
    net.ban(
        &claim.peer,
        &format!("its answer failed a spot check twice: {fault}"),
    );
    let Some((commitment, signature)) = &claim.signed else {
        return false;
    };
    net.keep_proof(FraudProof {
        commitment: commitment.clone(),
        signature: *signature,
        prompt: spec.prompt.clone(),
        constraints: spec.constraints.clone(),
        before: claim.before.clone(),
        fault: fault.to_string(),
        regions: spec.policy.region.clone(),
    })
    .await;
    true
}

/// Records a check's outcome, durably, and what it means for routing.
pub(super) async fn record(net: &Net, peer: NodeId, passed: bool) -> crate::trust::spot::Record {
    let r = net.checks().record(&peer, passed);
    // Verified work ends its probation in routing; a failure ever puts it back for good.
    net.with_table(|t| t.set_verified(&peer, r.failed == 0 && r.passed > 0));
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
