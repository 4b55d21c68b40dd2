//! The second engine: candle (candle-core, candle-transformers' quantized models) computing a
//! GGUF model's logits for the engine's scheduler.
//!
//! Owns: the model's weights as candle tensors and one session (a KV cache) per slot.
//!
//! Everything around the arithmetic is the llama.cpp engine's: the queue, slots, stop sequences
//! and backpressure (`scheduler`), the sampler chain (llama.cpp's samplers run over candle's
//! logits, so a seed, a penalty or a grammar means the same on both engines), and the vocabulary
//! and chat templates, which llama.cpp's vocab-only loader reads from the same GGUF file. That
//! keeps a token id meaning the same on both engines (a failover continues a llama.cpp answer on
//! a candle node and back), and sidesteps candle's own GGUF tokenizer, which knows only the
//! `gpt2`, `qwen2` and `llama3` pre-tokenizers: SmolLM2's (`smollm`) splits digits one by one.
//!
//! Candle's quantized models decode one sequence per forward pass at one position, so slots take
//! turns within a step rather than sharing a batch (see the README's engine comparison).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};

use candle_core::quantized::gguf_file;
use candle_core::{DType, Device, Tensor};
use candle_transformers::models::{quantized_llama, quantized_qwen2};

use super::scheduler::{Decode, Entry};
use super::{EngineConfig, EngineStats, Job};

/// The `general.architecture` values this engine runs.
pub const ARCHITECTURES: &[&str] = &["llama", "qwen2"];

/// Prompt tokens per forward pass when a check feeds a whole prompt.
const PREFILL_CHUNK: usize = 512;

/// candle-transformers' quantized llama precomputes RoPE for this many positions.
pub const LLAMA_MAX_POSITIONS: u32 = quantized_llama::MAX_SEQ_LEN as u32;

/// One model's weights with one KV cache.
enum Weights {
    Llama(quantized_llama::ModelWeights),
    Qwen2(quantized_qwen2::ModelWeights),
    /// The ends here, the layers on other nodes (a pipeline's coordinator).
    Pipeline(Box<PipelineSession>),
}

/// A sequence of a pipeline: the model's ends, and its layers' session elsewhere.
struct PipelineSession {
    ends: Arc<super::stage::Ends>,
    layers: Box<dyn super::stage::RemoteSession>,
}

impl PipelineSession {
    fn forward(&mut self, tokens: &[u32], pos: usize) -> Result<Vec<f32>, String> {
        let x = self.ends.embed(tokens)?;
        let y = self.layers.forward(x, tokens.len(), pos)?;
        self.ends.logits(&y, tokens.len())
    }
}

impl Weights {
    fn forward(&mut self, tokens: &[u32], pos: usize, device: &Device) -> Result<Vec<f32>, String> {
        if let Weights::Pipeline(p) = self {
            return p.forward(tokens, pos);
        }
        let mut run = || -> candle_core::Result<Vec<f32>> {
            let x = Tensor::new(tokens, device)?.unsqueeze(0)?;
            let logits = match self {
                Weights::Llama(m) => m.forward(&x, pos)?,
                Weights::Qwen2(m) => m.forward(&x, pos)?,
                Weights::Pipeline(_) => unreachable!("a pipeline runs no layers here"),
            };
            logits.squeeze(0)?.to_dtype(DType::F32)?.to_vec1::<f32>()
        };
        run().map_err(|e| format!("candle: {e}"))
    }

    fn clear(&mut self) {
        match self {
            Weights::Llama(m) => m.clear_kv_cache(),
            Weights::Qwen2(m) => m.clear_kv_cache(),
            // The next forward pass starts at position 0, which starts the stages over.
            Weights::Pipeline(_) => {}
        }
    }
}

/// A loaded model: what makes sessions, and what the GGUF file says about it.
pub struct Model {
    path: PathBuf,
    device: Device,
    architecture: String,
    /// The first load. A llama session is a clone of it (the weights are shared `Arc`s); candle's
    /// quantized qwen2 cannot be cloned, so each qwen2 session loads the file again.
    base: Mutex<Option<Weights>>,
    pub parameters: u64,
    pub context_train: u32,
    /// Rows of its output layer: a token id at or past the vocabulary's size must not exist.
    pub vocab: usize,
    /// Threads for candle's CPU kernels (`--threads`): its own pool, not candle's global one,
    /// whose size only an environment variable sets.
    pool: rayon::ThreadPool,
    /// A pipeline's coordinator: the model's ends, and where its layers run.
    pipeline: Option<(Arc<super::stage::Ends>, Arc<dyn super::stage::Remote>)>,
}

impl Model {
    /// Reads `path` with candle. Blocking (reads the whole file).
    pub fn load(path: &Path, threads: u32) -> Result<Arc<Model>, String> {
        let device = device()?;
        let (weights, facts) = read(path, &device)?;
        Ok(Arc::new(Model {
            path: path.to_path_buf(),
            device,
            architecture: facts.architecture,
            base: Mutex::new(Some(weights)),
            parameters: facts.parameters,
            context_train: facts.context_train,
            vocab: facts.vocab,
            pool: pool(threads)?,
            pipeline: None,
        }))
    }

    /// The coordinator of a pipeline for `path`: it reads the model's ends (embedding, final
    /// norm, output head) and none of its layers, which `remote` runs. Blocking.
    pub fn pipeline(
        path: &Path,
        threads: u32,
        remote: Arc<dyn super::stage::Remote>,
    ) -> Result<Arc<Model>, String> {
        let (_, ct) = super::stage::open(path)?;
        let facts = facts(&ct);
        let ends = super::stage::Ends::load(path)?;
        Ok(Arc::new(Model {
            path: path.to_path_buf(),
            device: Device::Cpu,
            architecture: facts.architecture,
            base: Mutex::new(None),
            parameters: facts.parameters,
            context_train: facts.context_train,
            vocab: ends.vocab(),
            pool: pool(threads)?,
            pipeline: Some((Arc::new(ends), remote)),
        }))
    }

    /// Whether its layers run on other nodes.
    pub fn is_pipeline(&self) -> bool {
        self.pipeline.is_some()
    }

    /// Bytes it holds: the ends of a pipeline, else the file's weights.
    pub fn bytes_held(&self) -> u64 {
        match &self.pipeline {
            Some((ends, _)) => ends.layout.ends_bytes,
            None => std::fs::metadata(&self.path).map_or(0, |m| m.len()),
        }
    }

    /// The most positions a session holds.
    pub fn max_positions(&self) -> u32 {
        match self.architecture.as_str() {
            "llama" => LLAMA_MAX_POSITIONS,
            _ => self.context_train,
        }
    }

    /// A session with an empty KV cache.
    fn session(&self) -> Result<Weights, String> {
        if let Some((ends, remote)) = &self.pipeline {
            return Ok(Weights::Pipeline(Box::new(PipelineSession {
                ends: ends.clone(),
                layers: remote.open(),
            })));
        }
        {
            let mut base = self.base.lock().unwrap_or_else(|e| e.into_inner());
            match base.as_ref() {
                Some(Weights::Llama(m)) => {
                    let mut m = m.clone();
                    m.clear_kv_cache();
                    return Ok(Weights::Llama(m));
                }
                // A qwen2 session takes the spare copy while there is one ...
                Some(Weights::Qwen2(_)) => return base.take().ok_or_else(String::new),
                // Never kept as the base: a pipeline's sessions are made above.
                Some(Weights::Pipeline(_)) | None => {}
            }
        }
        // ... else reads the file again, without holding the lock (the engine thread may want
        // it meanwhile).
        read(&self.path, &self.device).map(|(w, _)| w)
    }

    /// Keeps a session that is done with as the spare copy (qwen2's, which cannot be cloned),
    /// so the next check does not read the file again.
    fn give_back(&self, mut w: Weights) {
        if let Weights::Qwen2(_) = w {
            w.clear();
            let mut base = self.base.lock().unwrap_or_else(|e| e.into_inner());
            if base.is_none() {
                *base = Some(w);
            }
        }
    }

    /// The logits after each of `tokens`' positions from `from` on (a check's teacher forcing):
    /// one forward pass up to `from`, then one per token, as candle yields only the last row.
    pub fn logits_from(
        &self,
        tokens: &[u32],
        from: usize,
        mut row: impl FnMut(usize, Vec<f32>) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut session = self.session()?;
        let result = self.rows_of(&mut session, tokens, from, &mut row);
        self.give_back(session);
        result
    }

    fn rows_of(
        &self,
        session: &mut Weights,
        tokens: &[u32],
        from: usize,
        row: &mut impl FnMut(usize, Vec<f32>) -> Result<(), String>,
    ) -> Result<(), String> {
        let end = (from + 1).min(tokens.len());
        let pool = &self.pool;
        // The prompt in chunks (the attention of one pass grows with the square of its length);
        // the last chunk's row is the first one judged.
        let mut last = Vec::new();
        for start in (0..end).step_by(PREFILL_CHUNK) {
            let chunk = &tokens[start..(start + PREFILL_CHUNK).min(end)];
            last = pool.install(|| session.forward(chunk, start, &self.device))?;
        }
        row(end - 1, last)?;
        for (i, &t) in tokens.iter().enumerate().skip(end) {
            let logits = pool.install(|| session.forward(&[t], i, &self.device))?;
            row(i, logits)?;
        }
        Ok(())
    }
}

/// The devices this build's candle can run on, as `llp devices` lists them.
pub fn compiled_devices() -> Vec<&'static str> {
    let mut out = vec!["cpu"];
    if candle_core::utils::cuda_is_available() {
        out.push("cuda");
    }
    if candle_core::utils::metal_is_available() {
        out.push("metal");
    }
    out
}

fn device() -> Result<Device, String> {
    #[cfg(feature = "candle-cuda")]
    if candle_core::utils::cuda_is_available() {
        return Device::new_cuda(0).map_err(|e| format!("candle: CUDA device 0: {e}"));
    }
    #[cfg(feature = "candle-metal")]
    if candle_core::utils::metal_is_available() {
        return Device::new_metal(0).map_err(|e| format!("candle: Metal device 0: {e}"));
    }
    Ok(Device::Cpu)
}

fn pool(threads: u32) -> Result<rayon::ThreadPool, String> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1) as usize)
        .thread_name(|i| format!("candle-{i}"))
        .build()
        .map_err(|e| e.to_string())
}

fn arch(ct: &gguf_file::Content) -> String {
    ct.metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default()
}

/// What the GGUF header says about a model.
struct Facts {
    architecture: String,
    parameters: u64,
    context_train: u32,
    vocab: usize,
}

/// What `ct`'s header says about its model.
fn facts(ct: &gguf_file::Content) -> Facts {
    let architecture = arch(ct);
    Facts {
        parameters: ct
            .tensor_infos
            .values()
            .map(|t| t.shape.elem_count() as u64)
            .sum(),
        context_train: ct
            .metadata
            .get(&format!("{architecture}.context_length"))
            .and_then(|v| v.to_u32().ok())
            .unwrap_or(LLAMA_MAX_POSITIONS),
        // candle's shapes put the rows (one per token) first.
        vocab: ["output.weight", "token_embd.weight"]
            .iter()
            .find_map(|n| ct.tensor_infos.get(*n))
            .and_then(|t| t.shape.dims().first().copied())
            .unwrap_or(0),
        architecture,
    }
}

/// Reads the weights of `path` onto `device`.
fn read(path: &Path, device: &Device) -> Result<(Weights, Facts), String> {
    let at = |e: candle_core::Error| format!("candle could not read {}: {e}", path.display());
    let mut f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let ct = gguf_file::Content::read(&mut f).map_err(at)?;
    let facts = facts(&ct);
    let weights = match facts.architecture.as_str() {
        "llama" => Weights::Llama(
            quantized_llama::ModelWeights::from_gguf(ct, &mut f, device).map_err(at)?,
        ),
        "qwen2" => Weights::Qwen2(
            quantized_qwen2::ModelWeights::from_gguf(ct, &mut f, device).map_err(at)?,
        ),
        other => {
            return Err(format!(
                "the candle engine runs {} models; {} is `{other}` (serve it with --engine llama)",
                ARCHITECTURES.join(" and "),
                path.display()
            ));
        }
    };
    Ok((weights, facts))
}

/// The engine thread of a candle model: starts its first session, then serves.
pub(super) fn run(
    vocab: &llama_cpp_2::model::LlamaModel,
    model: Arc<Model>,
    config: &EngineConfig,
    jobs: std_mpsc::Receiver<Job>,
    stats: Arc<EngineStats>,
    ready: std_mpsc::Sender<Result<(), String>>,
) {
    let slots = config.slots as usize;
    let mut dec = Candle {
        sessions: (0..slots).map(|_| None).collect(),
        lens: vec![0; slots],
        rows: Vec::new(),
        model,
    };
    match dec.model.session() {
        Ok(first) => dec.sessions[0] = Some(first),
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    }
    let _ = ready.send(Ok(()));
    super::scheduler::serve(vocab, config, jobs, stats, &mut dec);
}

/// The scheduler's decoder on candle: a session per slot, run one after another.
struct Candle {
    model: Arc<Model>,
    sessions: Vec<Option<Weights>>,
    /// Positions each session's cache holds.
    lens: Vec<usize>,
    /// The logits rows of the last decode, by batch index.
    rows: Vec<(i32, Vec<f32>)>,
}

impl Candle {
    /// Runs one sequence's tokens of a batch; returns its last row.
    fn run(&mut self, seq: usize, run: &[Entry]) -> Result<Vec<f32>, String> {
        let pos = run[0].pos as usize;
        if pos != self.lens[seq] {
            return Err(format!(
                "sequence {seq} holds {} positions; the batch continues at {pos}",
                self.lens[seq]
            ));
        }
        if self.sessions[seq].is_none() {
            self.sessions[seq] = Some(self.model.session()?);
        }
        let session = self.sessions[seq].as_mut().ok_or_else(String::new)?;
        let tokens: Vec<u32> = run.iter().map(|e| e.token.0 as u32).collect();
        let (pool, device) = (&self.model.pool, &self.model.device);
        let logits = pool.install(|| session.forward(&tokens, pos, device))?;
        self.lens[seq] += tokens.len();
        Ok(logits)
    }
}

impl Decode for Candle {
    fn decode(&mut self, batch: &[Entry]) -> Result<(), String> {
        self.rows.clear();
        let mut start = 0;
        while start < batch.len() {
            let seq = batch[start].seq;
            let end = start + batch[start..].iter().take_while(|e| e.seq == seq).count();
            let run = &batch[start..end];
            // The scheduler asks for a sequence's logits only at the end of its run.
            if run[..run.len() - 1].iter().any(|e| e.logits) {
                return Err("candle yields logits only for a run's last token".into());
            }
            let seq_ix = usize::try_from(seq)
                .ok()
                .filter(|&s| s < self.sessions.len())
                .ok_or_else(|| format!("no sequence {seq}"))?;
            let logits = self.run(seq_ix, run)?;
            if run[run.len() - 1].logits {
                self.rows.push((end as i32 - 1, logits));
            }
            start = end;
        }
        Ok(())
    }

    fn logits(&self, at: i32) -> &[f32] {
        self.rows
            .iter()
            .find(|(i, _)| *i == at)
            .map_or(&[], |(_, l)| l.as_slice())
    }

    fn ended(&mut self, seq: u32, prompt: u32, generated: u32) -> Vec<crate::job::StageRun> {
        match self.sessions.get_mut(seq as usize) {
            Some(Some(Weights::Pipeline(p))) => p.layers.finish(prompt, generated),
            _ => Vec::new(),
        }
    }

    fn keep(&mut self, seq: u32, keep: Option<u32>) -> bool {
        let Some(s) = self.sessions.get_mut(seq as usize) else {
            return false;
        };
        // A pipeline's job is one sequence from position 0 (its stages are paid for it when it
        // ends): no prefix is kept for the next.
        if keep.is_some() && matches!(s, Some(Weights::Pipeline(_))) {
            return false;
        }
        match keep {
            // candle's caches cannot be cut: only "keep everything" succeeds.
            Some(k) => k as usize == self.lens[seq as usize],
            None => {
                if let Some(w) = s {
                    w.clear();
                }
                self.lens[seq as usize] = 0;
                true
            }
        }
    }
}
