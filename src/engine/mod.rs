//! The inference engine: llama.cpp (through llama-cpp-2), or candle (`--engine candle`, see
//! [`candle`]), running one model on its own thread.
//!
//! Owns: the loaded model, its one llama.cpp context, the slots (parallel sequences) in that
//! context and the fair FIFO queue in front of them. Several sequences decode together in one
//! batch (continuous batching, as llama-server's parallel slots do), so a new request joins the
//! running batch at the next step instead of waiting for the others to finish.
//!
//! Must not touch: HTTP, the network, the node's state. Callers hand in tokenized jobs and read
//! events from the job's own bounded channel; dropping the receiver cancels the job, and its slot
//! is freed before the next token is decoded. [`Engine::shutdown`] ends the jobs it holds and
//! waits for the thread.

pub mod candle;
pub mod chat;
pub mod constrain;
pub mod embed;
mod prompt;
pub mod quantize;
mod scheduler;
pub mod score;
pub mod stage;
pub mod text;

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc as std_mpsc};

use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatTemplate, LlamaModel};
use llama_cpp_2::token::LlamaToken;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::job::{Event, Sampling};

pub use prompt::{MAX_MESSAGES, Message, PromptError, Role};

/// Which engine computes a model.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// llama.cpp through llama-cpp-2.
    #[default]
    Llama,
    /// candle's quantized llama and qwen2 models.
    Candle,
}

impl EngineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EngineKind::Llama => "llama",
            EngineKind::Candle => "candle",
        }
    }
}

impl std::fmt::Display for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Settings of one loaded model.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub engine: EngineKind,
    /// Why this node serves this variant (the memory it fits, or named exactly).
    pub why: String,
    /// Name in the catalog and its quantization, e.g. `smollm2-135m-instruct` and `q4_1`.
    pub name: String,
    pub quant: String,
    pub path: PathBuf,
    /// CPU threads for llama.cpp.
    pub threads: u32,
    /// Sequences decoded together.
    pub slots: u32,
    /// Context length of each slot, in tokens (prompt plus answer).
    pub ctx_per_slot: u32,
    /// Jobs waiting for a slot before new ones are refused.
    pub queue_limit: usize,
    /// Where the model's layers run when this node coordinates a pipeline (candle only).
    pub pipeline: Option<Pipeline>,
    /// The share of the engine's time, percent, that peers' jobs may use: after a step that
    /// ran only peers' jobs the engine rests for the rest (read at every step).
    pub peer_share: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

/// The layers of a pipeline, run elsewhere ([`stage::Remote`]).
#[derive(Clone)]
pub struct Pipeline(pub std::sync::Arc<dyn stage::Remote>);

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pipeline")
    }
}

/// What a loaded model is, for `/v1/models`, status and bench.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    pub quant: String,
    pub path: PathBuf,
    pub parameters: u64,
    pub size_bytes: u64,
    pub context_train: u32,
    pub ctx_per_slot: u32,
    pub slots: u32,
    pub threads: u32,
    #[serde(default)]
    pub engine: EngineKind,
    /// Why this node serves this variant of the model.
    #[serde(default)]
    pub why: String,
    /// Its layers run on other nodes: this node coordinates a pipeline (`net::pipeline`).
    #[serde(default)]
    pub pipeline: bool,
}

/// One generation to run.
#[derive(Debug)]
pub struct Job {
    pub tokens: Vec<LlamaToken>,
    pub max_tokens: u32,
    pub sampling: Sampling,
    pub stop: Vec<String>,
    /// Keep generating through end-of-generation tokens (benchmarks only).
    pub ignore_eos: bool,
    /// Queued jobs are admitted highest priority first, in arrival order among equals (this
    /// node's own requests first, then peers by their credit standing).
    pub priority: i64,
    pub events: mpsc::Sender<Event>,
    /// The grammar and parser of a job with tools or a response format.
    pub constrained: Option<Box<constrain::Setup>>,
    /// Log probabilities with each token, and this many alternatives.
    pub logprobs: Option<u8>,
}

impl ModelInfo {
    /// What `config` loaded: llama.cpp's `model`, or its vocabulary with candle's `weights`.
    fn of(config: &EngineConfig, model: &LlamaModel, weights: Option<&candle::Model>) -> Self {
        ModelInfo {
            name: config.name.clone(),
            quant: config.quant.clone(),
            path: config.path.clone(),
            parameters: weights.map_or(model.n_params(), |c| c.parameters),
            size_bytes: match weights {
                Some(w) => w.bytes_held(),
                None => model.size(),
            },
            context_train: weights.map_or(model.n_ctx_train(), |c| c.context_train),
            ctx_per_slot: config.ctx_per_slot,
            slots: config.slots,
            threads: config.threads,
            engine: config.engine,
            why: config.why.clone(),
            pipeline: weights.is_some_and(candle::Model::is_pipeline),
        }
    }

    /// The variant it is: `name:quant`.
    pub fn id(&self) -> crate::ids::ModelId {
        crate::ids::ModelId::new(&self.name, &self.quant)
    }
}

/// Why a job was not taken.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("the queue is full ({0} requests waiting)")]
    QueueFull(usize),
    #[error("the engine has stopped")]
    Stopped,
    #[error("a job needs at least one prompt token")]
    EmptyPrompt,
    #[error("the prompt has {tokens} tokens; a slot holds {ctx}")]
    TooLong { tokens: usize, ctx: u32 },
}

/// Why a model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("model file {0} does not exist")]
    Missing(PathBuf),
    #[error("llama.cpp could not load {path}: {reason} (is it a complete GGUF file?)")]
    Model { path: PathBuf, reason: String },
    #[error("llama.cpp could not create a context for {path}: {reason}")]
    Context { path: PathBuf, reason: String },
    #[error("llama.cpp backend: {0}")]
    Backend(String),
}

/// Live counters of an engine, read by status and metrics.
#[derive(Debug, Default)]
pub struct EngineStats {
    pub queued: AtomicUsize,
    pub busy_slots: AtomicUsize,
    pub jobs_done: AtomicU64,
    pub jobs_cancelled: AtomicU64,
    pub prompt_tokens: AtomicU64,
    /// Prompt tokens whose KV entries were reused from a slot's previous job.
    pub prompt_tokens_cached: AtomicU64,
    pub generated_tokens: AtomicU64,
    /// Decode steps, and microseconds spent in llama.cpp's decode and in sampling.
    pub steps: AtomicU64,
    /// False once the engine thread has ended (it should not, short of a bug in llama.cpp).
    pub alive: AtomicBool,
    pub decode_us: AtomicU64,
    pub sample_us: AtomicU64,
    /// Woken when a slot frees or a queued job leaves: room may have appeared.
    pub room: std::sync::Arc<tokio::sync::Notify>,
    /// Set by [`Engine::shutdown`]: the thread ends its jobs and returns.
    pub stopping: AtomicBool,
}

/// A loaded model with its scheduler thread. Cheap to clone. The thread ends after
/// [`Engine::shutdown`] (which waits for it) or when the last clone is dropped.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    /// With candle, only the vocabulary (llama.cpp's vocab-only load): tokens and templates.
    model: Arc<LlamaModel>,
    /// The weights, when candle computes this model.
    candle: Option<Arc<candle::Model>>,
    template: LlamaChatTemplate,
    /// The Jinja templates for constrained chats (why not, if llama.cpp could not read them).
    templates: Result<constrain::ModelTemplates, String>,
    info: ModelInfo,
    queue_limit: usize,
    /// The only sender of the scheduler's queue: taking it out ends the thread.
    submit: Mutex<Option<std_mpsc::Sender<Job>>>,
    /// An embedding model's queue instead (the thread then embeds, and generates nothing).
    embed: Mutex<Option<std_mpsc::Sender<embed::EmbedJob>>>,
    embeds: bool,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    stats: Arc<EngineStats>,
    /// Slots held by [`Engine::reserve`] for jobs about to be submitted.
    reserved: AtomicUsize,
}

/// A slot held for a job about to be submitted (see [`Engine::reserve`]).
pub struct Reservation(Engine);

impl Drop for Reservation {
    fn drop(&mut self) {
        self.0.inner.reserved.fetch_sub(1, Ordering::AcqRel);
    }
}

/// llama.cpp's backend may be initialised once per process.
pub fn backend() -> Result<&'static LlamaBackend, LoadError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            // llama.cpp logs a lot to stderr; route it to tracing at debug level instead.
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| LoadError::Backend(e.clone()))
}

impl Engine {
    /// Loads the model and starts its scheduler thread. Blocking: call off the async runtime.
    pub fn load(mut config: EngineConfig) -> Result<Engine, LoadError> {
        let backend = backend()?;
        if !config.path.is_file() {
            return Err(LoadError::Missing(config.path.clone()));
        }
        let on_candle = config.engine == EngineKind::Candle;
        let params = LlamaModelParams::default().with_vocab_only(on_candle);
        let model = LlamaModel::load_from_file(backend, &config.path, &params).map_err(|e| {
            LoadError::Model {
                path: config.path.clone(),
                reason: e.to_string(),
            }
        })?;
        let model = Arc::new(model);
        let embeds = embed::is_embedding_model(&model);
        let candle = match on_candle {
            true => Some(Self::load_candle(&mut config, embeds, model.n_vocab())?),
            false => None,
        };
        let info = ModelInfo::of(&config, &model, candle.as_deref());
        let template = prompt::chat_template(&model);
        let templates = constrain::ModelTemplates::load_or_say(&model, &config);
        let stats = Arc::new(EngineStats::default());
        let (tx, rx) = std_mpsc::channel();
        let (embed_tx, embed_rx) = std_mpsc::channel();
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let thread_model = model.clone();
        let thread_stats = stats.clone();
        let thread_config = config.clone();
        let thread_candle = candle.clone();
        let thread = std::thread::Builder::new()
            .name(format!("engine-{}", config.name))
            .spawn(move || {
                // Marks the engine dead when this thread ends, however it ends (panics included).
                let _alive = AliveGuard(thread_stats.clone());
                thread_stats.alive.store(true, Ordering::Relaxed);
                let (model, config) = (&thread_model, &thread_config);
                match (thread_candle, embeds) {
                    (Some(w), _) => candle::run(model, w, config, rx, thread_stats, ready_tx),
                    (None, true) => {
                        embed::run(backend, model, config, embed_rx, thread_stats, ready_tx);
                    }
                    (None, false) => {
                        scheduler::run(backend, model, config, rx, thread_stats, ready_tx);
                    }
                }
            })
            .map_err(|e| LoadError::Backend(e.to_string()))?;
        ready_rx
            .recv()
            .map_err(|_| LoadError::Backend("engine thread ended while starting".into()))?
            .map_err(|reason| LoadError::Context {
                path: config.path.clone(),
                reason,
            })?;
        Ok(Engine {
            inner: Arc::new(Inner {
                model,
                candle,
                template,
                templates,
                info,
                queue_limit: config.queue_limit,
                submit: Mutex::new((!embeds).then_some(tx)),
                embed: Mutex::new(embeds.then_some(embed_tx)),
                embeds,
                thread: Mutex::new(Some(thread)),
                stats,
                reserved: AtomicUsize::new(0),
            }),
        })
    }

    /// candle's weights of `config`'s file; a slot's context is cut to what candle's model holds.
    fn load_candle(
        config: &mut EngineConfig,
        embeds: bool,
        vocab: i32,
    ) -> Result<Arc<candle::Model>, LoadError> {
        let model_err = |reason: String| LoadError::Model {
            path: config.path.clone(),
            reason,
        };
        if embeds {
            return Err(model_err(
                "the candle engine does not make embeddings (serve it with --engine llama)".into(),
            ));
        }
        let weights = match &config.pipeline {
            Some(p) => candle::Model::pipeline(&config.path, config.threads, p.0.clone()),
            None => candle::Model::load(&config.path, config.threads),
        }
        .map_err(model_err)?;
        // The sampler draws ids below the logits' length, and the vocabulary turns them into
        // text: the two must agree, or an id past the vocabulary would reach llama.cpp.
        if weights.vocab != vocab.max(0) as usize {
            return Err(model_err(format!(
                "its output layer has {} rows but its vocabulary {vocab} tokens",
                weights.vocab
            )));
        }
        config.ctx_per_slot = config.ctx_per_slot.min(weights.max_positions());
        Ok(weights)
    }

    pub fn info(&self) -> &ModelInfo {
        &self.inner.info
    }

    pub fn stats(&self) -> &EngineStats {
        &self.inner.stats
    }

    /// Whether the engine thread still runs.
    pub fn is_alive(&self) -> bool {
        self.inner.stats.alive.load(Ordering::Relaxed)
    }

    /// Tokens of a chat conversation, rendered with the model's own template. CPU work: call off
    /// the async runtime for long conversations.
    pub fn chat_tokens(&self, messages: &[Message]) -> Result<Vec<LlamaToken>, PromptError> {
        prompt::chat_tokens(&self.inner.model, &self.inner.template, messages)
    }

    /// A job with tools or a response format (or a chat with tool calls in it): its prompt
    /// tokens and its grammar and parser. CPU work: call off the async runtime.
    pub fn constrained(
        &self,
        prompt: &crate::job::Prompt,
        c: &crate::job::Constraints,
        continuation: &[u32],
    ) -> Result<(Vec<LlamaToken>, constrain::Setup), PromptError> {
        let templates = self
            .inner
            .templates
            .as_ref()
            .map_err(|e| PromptError::Template(e.clone()))?;
        constrain::render(
            &self.inner.model,
            &self.inner.info.name,
            templates,
            prompt,
            c,
            continuation,
        )
    }

    /// Whether this is an embedding model (it embeds, and generates no text).
    pub fn embeds(&self) -> bool {
        self.inner.embeds
    }

    /// One vector per input (each tokenized with [`Engine::embed_tokens`]), L2-normalized.
    /// Queued behind the jobs already waiting, within the same queue limit as generation.
    pub async fn embed(&self, inputs: Vec<Vec<LlamaToken>>) -> Result<Vec<Vec<f32>>, String> {
        let stats = &self.inner.stats;
        let (limit, _) = self.queue_bound();
        stats
            .queued
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |q| {
                (q < limit).then_some(q + 1)
            })
            .map_err(|q| SubmitError::QueueFull(q).to_string())?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        let sent = match self.inner.embed.lock().expect("engine queue").as_ref() {
            Some(tx) => tx.send(embed::EmbedJob { inputs, reply }).is_ok(),
            None => false,
        };
        if !sent {
            stats.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(format!("{} does not make embeddings", self.inner.info.name));
        }
        answer.await.map_err(|_| SubmitError::Stopped.to_string())?
    }

    /// Tokens of an input to embed: with the model's own markers (`[CLS]` ... `[SEP]`).
    pub fn embed_tokens(&self, text: &str) -> Vec<LlamaToken> {
        self.inner
            .model
            .vocab()
            .tokenize(text.as_bytes(), true, false)
    }

    /// Whether this model's template renders tools.
    pub fn supports_tools(&self) -> bool {
        self.inner
            .templates
            .as_ref()
            .is_ok_and(constrain::ModelTemplates::supports_tools)
    }

    /// Tokens of a plain-text prompt (special-token text stays text).
    pub fn text_tokens(&self, text: &str) -> Vec<LlamaToken> {
        prompt::text_tokens(&self.inner.model, text)
    }

    /// Holds a free slot for a job about to be submitted, if one is free and nobody waits.
    /// Reserving (rather than checking) keeps a burst of routing decisions from all seeing the
    /// same free slot; the reservation ends when dropped, after the job is submitted.
    pub fn reserve(&self) -> Option<Reservation> {
        let s = &self.inner.stats;
        let slots = self.inner.info.slots as usize;
        self.inner
            .reserved
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |r| {
                let used = s.busy_slots.load(Ordering::Acquire) + s.queued.load(Ordering::Acquire);
                (used + r < slots).then_some(r + 1)
            })
            .ok()?;
        Some(Reservation(self.clone()))
    }

    /// Whether a slot is free and nobody waits for one (what [`Engine::reserve`] would find,
    /// without holding it).
    pub fn has_free_slot(&self) -> bool {
        let s = &self.inner.stats;
        let used = s.busy_slots.load(Ordering::Acquire)
            + s.queued.load(Ordering::Acquire)
            + self.inner.reserved.load(Ordering::Acquire);
        used < self.inner.info.slots as usize
    }

    /// Whether a job submitted now would be taken (a slot or a queue place is free).
    pub fn has_room(&self) -> bool {
        self.inner.stats.queued.load(Ordering::Relaxed) < self.queue_bound().0
    }

    /// How many jobs may be queued now, and how many of those find a free slot at once (jobs
    /// about to take a free slot are not waiting, so free slots add to the limit).
    fn queue_bound(&self) -> (usize, usize) {
        let free = (self.inner.info.slots as usize)
            .saturating_sub(self.inner.stats.busy_slots.load(Ordering::Relaxed));
        (self.inner.queue_limit + free, free)
    }

    /// The vocabulary size: token ids from elsewhere (failover continuations) must be below it.
    pub fn n_vocab(&self) -> u32 {
        self.inner.model.n_vocab().max(0) as u32
    }

    /// The bytes of `token`, as an answer carries them.
    pub fn piece(&self, token: u32) -> Vec<u8> {
        // A peer's id outside the vocabulary: llama.cpp would throw through its C API (abort).
        if token >= self.n_vocab() {
            return Vec::new();
        }
        self.inner
            .model
            .vocab()
            .token_to_piece(LlamaToken::new(token as i32), false, None)
    }

    /// Whether `token` ends generation (an end-of-generation token of the model).
    pub fn is_end(&self, token: u32) -> bool {
        token < self.n_vocab()
            && self
                .inner
                .model
                .vocab()
                .is_eog(LlamaToken::new(token as i32))
    }

    /// Tokens of `text` as plain text, with BOS only if `add_special` and the model wants one.
    pub fn tokenize(&self, text: &str, add_special: bool) -> Vec<LlamaToken> {
        self.inner
            .model
            .vocab()
            .tokenize(text.as_bytes(), add_special, false)
    }

    /// Queues a job. Jobs start in the order they were submitted.
    pub fn submit(&self, job: Job) -> Result<(), SubmitError> {
        if job.tokens.is_empty() {
            return Err(SubmitError::EmptyPrompt);
        }
        if job.tokens.len() >= self.inner.info.ctx_per_slot as usize {
            return Err(SubmitError::TooLong {
                tokens: job.tokens.len(),
                ctx: self.inner.info.ctx_per_slot,
            });
        }
        if !self.is_alive() {
            return Err(SubmitError::Stopped);
        }
        // Counted here, atomically against the limit, so that a burst of submissions sees the
        // queue grow before the engine thread wakes up; the engine thread decrements as it admits.
        let stats = &self.inner.stats;
        let (limit, free) = self.queue_bound();
        stats
            .queued
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |q| {
                (q < limit).then_some(q + 1)
            })
            .map_err(|q| SubmitError::QueueFull(q.saturating_sub(free)))?;
        let sent = match self.inner.submit.lock().expect("engine queue").as_ref() {
            Some(tx) => tx.send(job).is_ok(),
            None => false,
        };
        if !sent {
            self.inner.stats.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(SubmitError::Stopped);
        }
        Ok(())
    }

    /// Stops the engine and waits for its thread to end: the jobs it holds, running or queued,
    /// end with a `Failed` event saying so. Blocking (at most one decode step).
    pub fn shutdown(&self) {
        self.inner.stats.stopping.store(true, Ordering::Release);
        drop(self.inner.submit.lock().expect("engine queue").take());
        drop(self.inner.embed.lock().expect("engine queue").take());
        let thread = self.inner.thread.lock().expect("engine thread").take();
        if let Some(t) = thread
            && t.thread().id() != std::thread::current().id()
        {
            let _ = t.join();
        }
    }
}

struct AliveGuard(Arc<EngineStats>);

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.alive.store(false, Ordering::Relaxed);
        if std::thread::panicking() {
            tracing::error!("the engine thread panicked; this model no longer serves");
        }
    }
}

/// Checks that `path` exists and looks like a GGUF file, without loading it.
pub fn check_gguf(path: &Path) -> Result<(), String> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .map_err(|e| e.to_string())?;
    if &magic != b"GGUF" {
        return Err("not a GGUF file (bad magic bytes)".into());
    }
    Ok(())
}

pub(crate) fn ctx_params(
    config: &EngineConfig,
) -> llama_cpp_2::context::params::LlamaContextParams {
    let n_ctx = config.ctx_per_slot.saturating_mul(config.slots);
    llama_cpp_2::context::params::LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(n_ctx))
        .with_n_seq_max(config.slots)
        .with_n_batch(scheduler::BATCH_TOKENS)
        .with_n_ubatch(512)
        .with_n_threads(config.threads as i32)
        .with_n_threads_batch(config.threads as i32)
}

/// Checks a variant's file (its checksum, recorded now if it has none; its GGUF header) and
/// loads it on its own engine thread, with the node's engine settings. `name` is the name it
/// is served under; `why` says why this variant.
pub async fn load_variant(
    settings: &crate::config::Settings,
    choice: &crate::catalog::Choice<'_>,
    name: String,
    why: String,
) -> anyhow::Result<Engine> {
    load_variant_with(settings, choice, name, why, None).await
}

/// [`load_variant`], as the coordinator of a pipeline when `pipeline` says where its layers
/// run (on candle, whatever the node's engine).
pub async fn load_variant_with(
    settings: &crate::config::Settings,
    choice: &crate::catalog::Choice<'_>,
    name: String,
    why: String,
    pipeline: Option<Pipeline>,
) -> anyhow::Result<Engine> {
    use crate::config::UsageError;
    let id_str = choice.id();
    let verified = crate::fetch::verify_off_runtime(&settings.models_dir, choice)
        .await
        .map_err(|e| UsageError(e.to_string()))?;
    if let crate::fetch::Verified::RecordedNow(sha) = verified {
        eprintln!(
            "llp: {id_str} has no published checksum; recorded sha256 {sha} (trust on first use)"
        );
    }
    let path = settings.models_dir.join(&choice.variant.file);
    check_gguf(&path).map_err(|e| UsageError(format!("model file {}: {e}", path.display())))?;
    let e = &settings.engine;
    let config = EngineConfig {
        engine: match pipeline {
            Some(_) => EngineKind::Candle,
            None => e.engine_for(choice),
        },
        why,
        name,
        quant: choice.variant.quant.clone(),
        path: path.clone(),
        threads: e.threads,
        slots: e.slots,
        ctx_per_slot: e.ctx_per_slot.min(choice.model.context_length.max(64)),
        queue_limit: e.queue_limit,
        pipeline,
        peer_share: e.peer_share.clone(),
    };
    tracing::info!("loading {id_str} from {}", path.display());
    let engine = tokio::task::spawn_blocking(move || Engine::load(config))
        .await?
        .map_err(|e| match e {
            LoadError::Model { .. } | LoadError::Missing(_) => {
                anyhow::Error::new(UsageError(e.to_string()))
            }
            other => anyhow::Error::new(other),
        })?;
    Ok(engine)
}
