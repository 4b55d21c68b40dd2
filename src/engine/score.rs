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

use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;

use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;

use super::Engine;
use super::constrain::Setup;
use crate::job::Sampling;

/// Tokens per decode while scoring: each asks for a row of logits (n_vocab floats).
const CHUNK: usize = 256;
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
    #[error("the model could not score it: {0}")]
    Llama(String),
}

impl Engine {
    /// Scores `claimed` as the answer to `prompt` under `sampling`: one [`Position`] per claimed
    /// token, then one for the position after the last. Blocking and CPU-heavy (a prefill of
    /// prompt and answer): run it on a thread of its own. `threads`: llama.cpp's threads, else
    /// the engine's (another count sums in another order: a second, independent look).
    pub fn score(
        &self,
        prompt: &[LlamaToken],
        claimed: &[u32],
        sampling: &Sampling,
        threads: Option<u32>,
        constrained: Option<&Setup>,
    ) -> Result<Vec<Position>, ScoreError> {
        if prompt.is_empty() {
            return Err(ScoreError::Empty);
        }
        let vocab = self.n_vocab();
        if let Some(&t) = claimed.iter().find(|&&t| t >= vocab) {
            return Err(ScoreError::Token(t));
        }
        let len = prompt.len() + claimed.len();
        let ctx_max = match &self.inner.candle {
            // candle's model holds no more positions than it was built for.
            Some(c) => c.max_positions(),
            None => self
                .inner
                .info
                .context_train
                .max(self.inner.info.ctx_per_slot),
        };
        if len + 1 > ctx_max as usize {
            return Err(ScoreError::TooLong { len, ctx: ctx_max });
        }
        let model = &self.inner.model;
        let tokens: Vec<LlamaToken> = prompt
            .iter()
            .copied()
            .chain(claimed.iter().map(|&t| LlamaToken::new(t as i32)))
            .collect();
        // The logits at position i predict token i + 1: the prompt's last position predicts the
        // first claimed token, and the last position predicts what came after the answer.
        let first = prompt.len() - 1;
        let penalized = sampling.frequency_penalty != 0.0 || sampling.presence_penalty != 0.0;
        // The end-of-generation tokens, found once (not at every position, over the vocabulary).
        let vocab = model.vocab();
        let ends: Vec<u32> = (0..self.n_vocab())
            .filter(|&t| vocab.is_eog(LlamaToken::new(t as i32)))
            .collect();
        // A constrained answer was sampled under its grammar: judged under it too, the grammar
        // reading each claimed token after its position is judged.
        let mut grammar = constrained
            .map(|s| s.sampler(model))
            .transpose()
            .map_err(ScoreError::Llama)?
            .flatten();
        let mut out = Vec::with_capacity(claimed.len() + 1);
        let on_row = |pos: usize, mut logits: Vec<f32>| -> Result<(), String> {
            let k = pos - first;
            if penalized {
                let window = &claimed[k.saturating_sub(PENALTY_WINDOW)..k];
                penalize(&mut logits, window, sampling);
            }
            if let Some(g) = &mut grammar {
                mask(g, &mut logits);
            }
            out.push(position(&logits, claimed.get(k).copied(), &ends));
            if let (Some(g), Some(&t)) = (&mut grammar, claimed.get(k))
                && g.try_accept(LlamaToken::new(t as i32)).is_err()
            {
                // Not a token the grammar allows: this position's gap says so; the
                // grammar cannot follow the answer past it.
                grammar = None;
            }
            Ok(())
        };
        match &self.inner.candle {
            Some(weights) => {
                let ids: Vec<u32> = tokens.iter().map(|t| t.0 as u32).collect();
                weights.logits_from(&ids, first, on_row)
            }
            None => self.llama_rows(&tokens, first, threads, on_row),
        }
        .map_err(ScoreError::Llama)?;
        Ok(out)
    }

    /// Feeds `tokens` through a llama.cpp context of the check's own, handing `row` the logits
    /// after each position from `first` on.
    fn llama_rows(
        &self,
        tokens: &[LlamaToken],
        first: usize,
        threads: Option<u32>,
        mut row: impl FnMut(usize, Vec<f32>) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut ctx = self
            .check_context(tokens.len() + 1, threads)
            .map_err(|e| e.to_string())?;
        let mut batch = LlamaBatch::new(CHUNK, 1);
        for (c, chunk) in tokens.chunks(CHUNK).enumerate() {
            batch.clear();
            for (j, &t) in chunk.iter().enumerate() {
                let pos = c * CHUNK + j;
                batch
                    .add(t, pos as i32, &[0], pos >= first)
                    .map_err(|e| e.to_string())?;
            }
            ctx.decode(&mut batch).map_err(|e| e.to_string())?;
            for j in 0..chunk.len() {
                let pos = c * CHUNK + j;
                if pos >= first {
                    row(pos, ctx.get_logits_ith(j as i32).to_vec())?;
                }
            }
        }
        Ok(())
    }
}

impl Engine {
    /// A context of its own for a check of `n` positions, on `threads` (else the engine's).
    fn check_context(
        &self,
        n: usize,
        threads: Option<u32>,
    ) -> Result<llama_cpp_2::context::LlamaContext<'_>, ScoreError> {
        let threads = threads.unwrap_or(self.inner.info.threads) as i32;
        let params = llama_cpp_2::context::params::LlamaContextParams::default()
            .with_n_ctx(std::num::NonZeroU32::new(n as u32))
            .with_n_batch(CHUNK as u32)
            .with_n_ubatch(CHUNK as u32)
            .with_n_threads(threads)
            .with_n_threads_batch(threads);
        let backend = super::backend().map_err(|e| ScoreError::Llama(e.to_string()))?;
        super::scheduler::new_context(&self.inner.model, backend, params).map_err(ScoreError::Llama)
    }
}

/// `logits` as llama.cpp's samplers take them: one entry per token id, unsorted.
pub(super) fn token_data(logits: &[f32]) -> LlamaTokenDataArray {
    let data = logits
        .iter()
        .enumerate()
        .map(|(t, &l)| LlamaTokenData::new(LlamaToken::new(t as i32), l, 0.0))
        .collect();
    LlamaTokenDataArray::new(data, false)
}

/// Sets the logits of the tokens `grammar` does not allow next to -∞.
fn mask(grammar: &mut LlamaSampler, logits: &mut [f32]) {
    let mut array = token_data(logits);
    array.apply_sampler(grammar);
    for d in &array.data {
        if let Some(l) = logits.get_mut(d.id().0 as usize) {
            *l = d.logit();
        }
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

/// log Σ exp(logits), stable against the largest: a logit less this is its log probability at
/// temperature 1 (what `logprobs` reports, and what checks weigh).
pub fn log_sum_exp(logits: &[f32]) -> f32 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return max;
    }
    let sum: f64 = logits.iter().map(|&l| f64::from(l - max).exp()).sum();
    max + sum.ln() as f32
}

/// The `n` tokens with the highest logits, highest first (ties: lower id first, as llama.cpp
/// orders them).
pub fn top_n(logits: &[f32], n: usize) -> Vec<usize> {
    let mut best: Vec<usize> = Vec::with_capacity(n + 1);
    if n == 0 {
        return best;
    }
    for (t, &l) in logits.iter().enumerate() {
        if best.len() == n && l <= logits[best[n - 1]] {
            continue;
        }
        let at = best.partition_point(|&b| logits[b] >= l);
        best.insert(at, t);
        best.truncate(n);
    }
    best
}

/// The numbers of one position from its logits.
fn position(logits: &[f32], claimed: Option<u32>, ends: &[u32]) -> Position {
    let (top, &max) = logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .expect("a vocabulary");
    let weight = |l: f32| f64::from(l - max).exp();
    let logit = |t: u32| logits.get(t as usize).copied();
    let c = claimed.unwrap_or_else(|| {
        let likeliest = ends.iter().filter_map(|&t| Some((t, logit(t)?)));
        likeliest
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(top as u32, |(t, _)| t)
    });
    let mine = logits[c as usize];
    // Ties count as above only when they come first in llama.cpp's order (by id).
    let better = |t: usize, l: f32| l > mine || (l == mine && t < c as usize);
    // One pass: the softmax's total (stable against the max), and the count and weight of the
    // tokens ranked above the claimed one.
    let (mut total, mut rank, mut above) = (0.0f64, 0usize, 0.0f64);
    for (t, &l) in logits.iter().enumerate() {
        let w = weight(l);
        total += w;
        if better(t, l) {
            rank += 1;
            above += w;
        }
    }
    let end = ends
        .iter()
        .filter_map(|&t| logit(t))
        .map(weight)
        .sum::<f64>()
        / total;
    // Top-p runs on the top-k at temperature 1: the mass above the claimed token, within them.
    let mut top_k: Vec<f32> = logits.to_vec();
    let k = TOP_K.min(top_k.len());
    top_k.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    top_k.truncate(k);
    let mass: f64 = top_k.iter().map(|&l| weight(l)).sum();
    let above = above / mass;
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
    fn log_probabilities_and_the_top_tokens() {
        let logits = [1.0f32, 3.0, 2.0, 3.0];
        let lse = log_sum_exp(&logits);
        let p: f32 = logits.iter().map(|l| (l - lse).exp()).sum();
        assert!((p - 1.0).abs() < 1e-5, "{p}");
        assert_eq!(top_n(&logits, 3), vec![1, 3, 2]);
        assert_eq!(top_n(&logits, 0), Vec::<usize>::new());
        assert_eq!(top_n(&logits, 9).len(), 4);
    }

    #[test]
    fn a_position_ranks_the_claimed_token_and_weighs_what_is_above_it() {
        // Token 2 is the top; token 0 ends the answer.
        let logits = [1.0, 0.0, 3.0, 2.0];
        let p = position(&logits, Some(3), &[0]);
        assert_eq!((p.top, p.rank, p.gap), (2, 1, 1.0));
        let e = |l: f32| f64::from(l - 3.0).exp();
        let total = e(1.0) + e(0.0) + e(3.0) + e(2.0);
        assert!((f64::from(p.above) - e(3.0) / total).abs() < 1e-6, "{p:?}");
        assert!((f64::from(p.end) - e(1.0) / total).abs() < 1e-6, "{p:?}");
        let top = position(&logits, Some(2), &[]);
        assert_eq!((top.rank, top.gap, top.above), (0, 0.0, 0.0));
        // After the answer: the likeliest end token is weighed.
        let after = position(&logits, None, &[0]);
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
        assert_eq!(position(&l, Some(3), &[]).rank, 0);
    }
}
