//! Teacher forcing: what the model itself thinks of a claimed answer. The prompt and the claimed
//! tokens go through the model in one prefill, on a llama.cpp context of the check's own (the
//! serving slots are not disturbed), and every claimed position yields the numbers a spot check
//! judges: how far the claimed token is from the model's top choice, whether it lies inside
//! what the sampling settings let through, and how likely the end of the answer was there.
//!
//! The sampler this mirrors is the engine's own (`scheduler::make_sampler`): penalties over the
//! last 64 generated tokens, then greedy, or top-k 40, top-p, min-p 0.05, temperature and a
//! seeded draw. The draw itself is not replayed (logits differ in their last bits between
//! thread counts and batch neighbours, so one flipped draw would desynchronise the rest);
//! what is checked is that each claimed token was one the settings could draw.
//!
//! Creating a context is most of a short check's time, so each engine keeps two for scoring (at
//! most a slot's size each), each on a thread of its own ([`checker`]): one for this node's own
//! checks, one for peers' work (proofs, verifications), so that peers never delay this node's
//! checks (and the payments that wait for them). Scorings queue on their context's thread, one
//! at a time, its cache cleared between them. A second look at another thread count (before
//! anyone is accused) takes a context of its own.

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;

use super::Engine;
use crate::job::Sampling;

/// Tokens per decode while scoring: each asks for a row of logits (n_vocab floats).
const CHUNK: usize = 256;
/// The smallest context kept for checks; it grows (by powers of two) to the longest check seen.
const KEPT_MIN_CTX: usize = 512;
/// The sampler's top-k, penalty window and min-p (as in `scheduler::make_sampler`).
pub const TOP_K: usize = 40;
const PENALTY_WINDOW: usize = 64;
pub const MIN_P: f32 = 0.05;

/// The model's view of one position of an answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// The claimed token (`None` for the position after the last one: where the answer ended;
    /// `gap`, `rank` and `above` are then those of the likeliest end-of-generation token).
    pub claimed: Option<u32>,
    /// The model's top token there (after penalties).
    pub top: u32,
    /// Top logit less the claimed token's, ≥ 0 (0 when it is the top).
    pub gap: f32,
    /// The claimed token's rank (0 for the top).
    pub rank: u32,
    /// Probability (at temperature 1, within the top-k) of the tokens ranked above the claimed
    /// one: top-p keeps the claimed token when this is below `top_p`.
    pub above: f32,
    /// Probability (at temperature 1, over the whole vocabulary) of ending the answer here.
    pub end: f32,
}

/// Why an answer could not be scored.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error("nothing to score: the prompt is empty")]
    Empty,
    #[error("{len} tokens do not fit the model's context of {ctx}")]
    TooLong { len: usize, ctx: u32 },
    #[error("token {0} is outside the vocabulary")]
    Token(u32),
    #[error("llama.cpp: {0}")]
    Llama(String),
}

/// Which context a scoring runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// The context kept for this node's own checks (which run one at a time).
    Own,
    /// The context kept for peers' work: fraud proofs to re-run, checks asked of this node as a
    /// verifier. They queue there, never in front of this node's own checks.
    Peers,
    /// A context of its own, freed after, with this many llama.cpp threads: a second look
    /// (another count sums in another order).
    Fresh(u32),
}

/// The kept contexts: [`On::Own`]'s and [`On::Peers`]'s.
pub(super) const KEPT: usize = 2;

impl Engine {
    /// Scores `claimed` as the answer to `prompt` under `sampling`: one [`Position`] per claimed
    /// token, then one for the position after the last. Blocking and CPU-heavy (a prefill of
    /// prompt and answer): run it on a thread of its own.
    pub fn score(
        &self,
        prompt: &[LlamaToken],
        claimed: &[u32],
        sampling: &Sampling,
        on: On,
    ) -> Result<Vec<Position>, ScoreError> {
        if prompt.is_empty() {
            return Err(ScoreError::Empty);
        }
        let vocab = self.n_vocab();
        if let Some(&t) = claimed.iter().find(|&&t| t >= vocab) {
            return Err(ScoreError::Token(t));
        }
        let len = prompt.len() + claimed.len();
        let ctx_max = self
            .inner
            .info
            .context_train
            .max(self.inner.info.ctx_per_slot);
        if len + 1 > ctx_max as usize {
            return Err(ScoreError::TooLong { len, ctx: ctx_max });
        }
        let backend = super::backend().map_err(|e| ScoreError::Llama(e.to_string()))?;
        let job = Scoring {
            tokens: prompt
                .iter()
                .copied()
                .chain(claimed.iter().map(|&t| LlamaToken::new(t as i32)))
                .collect(),
            first: prompt.len() - 1,
            claimed: claimed.to_vec(),
            sampling: sampling.clone(),
        };
        // The kept context holds at most a slot's context: a longer check (rare: a verifier
        // refuses those) takes one of its own, freed after it.
        let slot = self.inner.info.ctx_per_slot as usize;
        let (job, threads) = match on {
            On::Own | On::Peers if len < slot => {
                match self.on_kept(backend, usize::from(on == On::Peers), slot, job) {
                    Ok(scored) => return scored,
                    Err(job) => (job, self.inner.info.threads),
                }
            }
            On::Own | On::Peers => (job, self.inner.info.threads),
            On::Fresh(threads) => (job, threads),
        };
        let mut ctx = context(backend, &self.inner.model, len + 1, threads)?;
        job.run(&self.inner.model, &mut ctx)
    }

    /// Scores `job` on kept context `k` (its thread started at its first check); the job back
    /// when that context is not to be had (the engine stopped), to run on a fresh one.
    fn on_kept(
        &self,
        backend: &'static LlamaBackend,
        k: usize,
        ctx_max: usize,
        job: Scoring,
    ) -> Result<Result<Vec<Position>, ScoreError>, Scoring> {
        let checker = {
            let mut kept = self.inner.checker.lock().unwrap_or_else(|e| e.into_inner());
            let stopping = self
                .inner
                .stats
                .stopping
                .load(std::sync::atomic::Ordering::Acquire);
            if kept[k].is_none() && !stopping {
                let (tx, rx) = std_mpsc::channel();
                let (model, threads) = (self.inner.model.clone(), self.inner.info.threads);
                let spawned = std::thread::Builder::new()
                    .name(format!("check-{k}-{}", self.inner.info.name))
                    .spawn(move || checker(backend, &model, threads, ctx_max, &rx));
                kept[k] = spawned.ok().map(|_| tx);
            }
            kept[k].clone()
        };
        let Some(checker) = checker else {
            return Err(job);
        };
        let (reply, answer) = std_mpsc::channel();
        if let Err(e) = checker.send((job, reply)) {
            return Err(e.0.0);
        }
        Ok(answer.recv().unwrap_or_else(|_| {
            // Its thread ended mid-check (a panic in llama.cpp's bindings): the next check
            // starts another.
            let mut kept = self.inner.checker.lock().unwrap_or_else(|e| e.into_inner());
            kept[k] = None;
            Err(ScoreError::Llama("the check thread ended".into()))
        }))
    }
}

/// A check for an engine's check thread, with where its answer goes.
type Check = (Scoring, std_mpsc::Sender<Result<Vec<Position>, ScoreError>>);
/// The queue of an engine's check thread.
pub(super) type Checker = std_mpsc::Sender<Check>;

/// Prompt and claimed answer, to score.
pub(super) struct Scoring {
    tokens: Vec<LlamaToken>,
    /// The prompt's last position: its logits predict the first claimed token.
    first: usize,
    claimed: Vec<u32>,
    sampling: Sampling,
}

/// A context of `n_ctx` for scoring.
fn context<'m>(
    backend: &LlamaBackend,
    model: &'m LlamaModel,
    n_ctx: usize,
    threads: u32,
) -> Result<LlamaContext<'m>, ScoreError> {
    let params = llama_cpp_2::context::params::LlamaContextParams::default()
        .with_n_ctx(std::num::NonZeroU32::new(n_ctx as u32))
        .with_n_batch(CHUNK as u32)
        .with_n_ubatch(CHUNK as u32)
        .with_n_threads(threads as i32)
        .with_n_threads_batch(threads as i32);
    let _guard = super::scheduler::NEW_CONTEXT
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    model
        .new_context(backend, params)
        .map_err(|e| ScoreError::Llama(e.to_string()))
}

/// An engine's check thread: scores the checks sent to it one at a time on the context it keeps
/// (made larger when a check needs more room), until the engine is dropped or stopped.
fn checker(
    backend: &LlamaBackend,
    model: &Arc<LlamaModel>,
    threads: u32,
    ctx_max: usize,
    checks: &std_mpsc::Receiver<Check>,
) {
    let mut kept: Option<LlamaContext<'_>> = None;
    for (job, reply) in checks {
        let need = job.tokens.len() + 1;
        if kept.as_ref().is_none_or(|c| (c.n_ctx() as usize) < need) {
            // The old context goes before the new one is made: one at a time in memory.
            kept = None;
            let n_ctx = need
                .next_power_of_two()
                .max(KEPT_MIN_CTX)
                .min(ctx_max)
                .max(need);
            match context(backend, model, n_ctx, threads) {
                Ok(c) => kept = Some(c),
                Err(e) => {
                    let _ = reply.send(Err(e));
                    continue;
                }
            }
        }
        let ctx = kept.as_mut().expect("made above");
        ctx.clear_kv_cache();
        let scored = job.run(model, ctx);
        if scored.is_err() {
            // A context that failed a decode is not trusted with the next check.
            kept = None;
        }
        let _ = reply.send(scored);
    }
}

impl Scoring {
    /// Scores on `ctx`, whose cache is empty.
    fn run(
        &self,
        model: &LlamaModel,
        ctx: &mut LlamaContext<'_>,
    ) -> Result<Vec<Position>, ScoreError> {
        let (tokens, first, claimed, sampling) =
            (&self.tokens, self.first, &self.claimed, &self.sampling);
        // The logits at position i predict token i + 1: the prompt's last position predicts the
        // first claimed token, and the last position predicts what came after the answer.
        let penalized = sampling.frequency_penalty != 0.0 || sampling.presence_penalty != 0.0;
        let mut out = Vec::with_capacity(claimed.len() + 1);
        let mut batch = LlamaBatch::new(CHUNK, 1);
        for (c, chunk) in tokens.chunks(CHUNK).enumerate() {
            batch.clear();
            for (j, &t) in chunk.iter().enumerate() {
                let pos = c * CHUNK + j;
                batch
                    .add(t, pos as i32, &[0], pos >= first)
                    .map_err(|e| ScoreError::Llama(e.to_string()))?;
            }
            ctx.decode(&mut batch)
                .map_err(|e| ScoreError::Llama(e.to_string()))?;
            for (j, _) in chunk.iter().enumerate() {
                let pos = c * CHUNK + j;
                if pos < first {
                    continue;
                }
                let k = pos - first;
                let mut logits = ctx.get_logits_ith(j as i32).to_vec();
                if penalized {
                    let window = &claimed[k.saturating_sub(PENALTY_WINDOW)..k];
                    penalize(&mut logits, window, sampling);
                }
                let end = model.vocab();
                out.push(position(&logits, claimed.get(k).copied(), |t| {
                    end.is_eog(LlamaToken::new(t as i32))
                }));
            }
        }
        Ok(out)
    }
}

/// llama.cpp's penalties sampler: each token seen in the window loses `frequency × count +
/// presence` from its logit.
fn penalize(logits: &mut [f32], window: &[u32], s: &Sampling) {
    let mut counts = std::collections::HashMap::<u32, u32>::new();
    for &t in window {
        *counts.entry(t).or_default() += 1;
    }
    for (t, n) in counts {
        if let Some(l) = logits.get_mut(t as usize) {
            *l -= n as f32 * s.frequency_penalty + s.presence_penalty;
        }
    }
}

/// The numbers of one position from its logits.
fn position(logits: &[f32], claimed: Option<u32>, is_end: impl Fn(u32) -> bool) -> Position {
    let (top, &max) = logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .expect("a vocabulary");
    // Softmax over the whole vocabulary, stable against the max.
    let total: f64 = logits.iter().map(|&l| f64::from(l - max).exp()).sum();
    let end = logits
        .iter()
        .enumerate()
        .filter(|&(t, _)| is_end(t as u32))
        .map(|(_, &l)| f64::from(l - max).exp())
        .sum::<f64>()
        / total;
    let c = claimed.unwrap_or_else(|| {
        let ends = logits.iter().enumerate().filter(|&(t, _)| is_end(t as u32));
        ends.max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(top, |(t, _)| t) as u32
    });
    let mine = logits[c as usize];
    // Ties count as above only when they come first in llama.cpp's order (by id).
    let better = |t: usize, l: f32| l > mine || (l == mine && t < c as usize);
    let rank = logits
        .iter()
        .enumerate()
        .filter(|&(t, &l)| better(t, l))
        .count();
    // Top-p runs on the top-k at temperature 1: the mass above the claimed token, within them.
    let mut top_k: Vec<f32> = logits.to_vec();
    let k = TOP_K.min(top_k.len());
    top_k.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    top_k.truncate(k);
    let mass: f64 = top_k.iter().map(|&l| f64::from(l - max).exp()).sum();
    let above: f64 = logits
        .iter()
        .enumerate()
        .filter(|&(t, &l)| better(t, l))
        .map(|(_, &l)| f64::from(l - max).exp())
        .sum::<f64>()
        / mass;
    Position {
        claimed,
        top: top as u32,
        gap: max - mine,
        rank: rank as u32,
        above: above.min(1.0) as f32,
        end: end as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_ranks_the_claimed_token_and_weighs_what_is_above_it() {
        // Token 2 is the top; token 0 ends the answer.
        let logits = [1.0, 0.0, 3.0, 2.0];
        let p = position(&logits, Some(3), |t| t == 0);
        assert_eq!((p.top, p.rank, p.gap), (2, 1, 1.0));
        let e = |l: f32| f64::from(l - 3.0).exp();
        let total = e(1.0) + e(0.0) + e(3.0) + e(2.0);
        assert!((f64::from(p.above) - e(3.0) / total).abs() < 1e-6, "{p:?}");
        assert!((f64::from(p.end) - e(1.0) / total).abs() < 1e-6, "{p:?}");
        let top = position(&logits, Some(2), |_| false);
        assert_eq!((top.rank, top.gap, top.above), (0, 0.0, 0.0));
        // After the answer: the likeliest end token is weighed.
        let after = position(&logits, None, |t| t == 0);
        assert_eq!((after.claimed, after.rank, after.gap), (None, 2, 2.0));
        // Penalties lower the logits of tokens in the window.
        let mut l = logits.to_vec();
        let s = Sampling {
            temperature: 0.0,
            top_p: 1.0,
            seed: None,
            frequency_penalty: 1.0,
            presence_penalty: 0.5,
        };
        penalize(&mut l, &[2, 2, 1], &s);
        assert_eq!(l, vec![1.0, -1.5, 0.5, 2.0]);
        assert_eq!(position(&l, Some(3), |_| false).rank, 0);
    }
}
