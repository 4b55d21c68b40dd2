//! The engine thread of an embedding model (a sentence encoder such as BERT): it reads inputs
//! and returns one pooled, L2-normalized vector per input. Queued jobs are packed together, as
//! many sequences per decode as the context holds, so a burst of small inputs costs few decodes.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc as std_mpsc};

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use tokio::sync::oneshot;

use super::{EngineConfig, EngineStats};

/// Inputs to embed, and where their vectors go (in input order) or why they could not be made.
pub struct EmbedJob {
    pub inputs: Vec<Vec<LlamaToken>>,
    pub reply: oneshot::Sender<Result<Vec<Vec<f32>>, String>>,
}

impl std::fmt::Debug for EmbedJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbedJob")
            .field("inputs", &self.inputs.len())
            .finish_non_exhaustive()
    }
}

/// Whether a model makes embeddings rather than text: its architecture declares a pooling.
pub(super) fn is_embedding_model(model: &LlamaModel) -> bool {
    model
        .meta_val_str("general.architecture")
        .is_ok_and(|arch| model.meta_val_str(&format!("{arch}.pooling_type")).is_ok())
}

pub(super) fn ctx_params(
    config: &EngineConfig,
) -> llama_cpp_2::context::params::LlamaContextParams {
    let n_ctx = config.ctx_per_slot.saturating_mul(config.slots);
    // A non-causal model reads each sequence in one micro-batch: the batch holds them all.
    llama_cpp_2::context::params::LlamaContextParams::default()
        .with_n_ctx(std::num::NonZeroU32::new(n_ctx))
        .with_n_seq_max(config.slots)
        .with_n_batch(n_ctx)
        .with_n_ubatch(n_ctx)
        .with_n_threads(config.threads as i32)
        .with_n_threads_batch(config.threads as i32)
        .with_embeddings(true)
}

pub(super) fn run(
    backend: &LlamaBackend,
    model: &LlamaModel,
    config: &EngineConfig,
    jobs: std_mpsc::Receiver<EmbedJob>,
    stats: Arc<EngineStats>,
    ready: std_mpsc::Sender<Result<(), String>>,
) {
    let Some(mut ctx) = super::scheduler::started(model, backend, ctx_params(config), &ready)
    else {
        return;
    };
    let per_seq = config.ctx_per_slot as usize;
    let seqs = config.slots as usize;
    while let Ok(job) = jobs.recv() {
        let mut queue = VecDeque::from([job]);
        // Whatever else waits rides along in the same decodes.
        while let Ok(more) = jobs.try_recv() {
            queue.push_back(more);
        }
        for job in queue {
            stats.queued.fetch_sub(1, Ordering::Relaxed);
            stats.busy_slots.fetch_add(1, Ordering::Relaxed);
            let started = std::time::Instant::now();
            let result = embed_all(&mut ctx, &job.inputs, per_seq, seqs);
            stats
                .decode_us
                .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
            stats.prompt_tokens.fetch_add(
                job.inputs.iter().map(|i| i.len() as u64).sum(),
                Ordering::Relaxed,
            );
            stats.busy_slots.fetch_sub(1, Ordering::Relaxed);
            stats.jobs_done.fetch_add(1, Ordering::Relaxed);
            stats.room.notify_waiters();
            let _ = job.reply.send(result);
        }
        if stats.stopping.load(Ordering::Acquire) {
            break;
        }
    }
}

/// Embeds `inputs`, `seqs` sequences of at most `per_seq` tokens per decode.
fn embed_all(
    ctx: &mut LlamaContext<'_>,
    inputs: &[Vec<LlamaToken>],
    per_seq: usize,
    seqs: usize,
) -> Result<Vec<Vec<f32>>, String> {
    if let Some((i, t)) = inputs.iter().enumerate().find(|(_, t)| t.len() > per_seq) {
        return Err(format!(
            "input {i} has {} tokens; this model reads at most {per_seq}",
            t.len()
        ));
    }
    let mut out = Vec::with_capacity(inputs.len());
    let mut batch = LlamaBatch::new(per_seq * seqs, seqs as i32);
    for group in inputs.chunks(seqs) {
        batch.clear();
        ctx.clear_kv_cache();
        for (s, tokens) in group.iter().enumerate() {
            batch
                .add_sequence(tokens, s as i32, true)
                .map_err(|e| e.to_string())?;
        }
        ctx.decode(&mut batch).map_err(|e| e.to_string())?;
        for s in 0..group.len() {
            let v = ctx
                .embeddings_seq_ith(s as i32)
                .map_err(|e| format!("llama.cpp gave no embedding: {e}"))?;
            out.push(normalized(v));
        }
    }
    Ok(out)
}

/// `v` scaled to length 1 (as OpenAI's and llama-server's embeddings are).
fn normalized(v: &[f32]) -> Vec<f32> {
    let norm = v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    if norm == 0.0 {
        return v.to_vec();
    }
    v.iter().map(|x| (f64::from(*x) / norm) as f32).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn normalized_has_length_one() {
        let v = super::normalized(&[3.0, 4.0]);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        assert_eq!(super::normalized(&[0.0, 0.0]), vec![0.0, 0.0]);
    }
}
