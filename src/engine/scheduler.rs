//! The engine thread: admits queued jobs into free slots and decodes every active slot together.
//!
//! Each step builds one batch: one token for every slot that is generating, then prompt chunks of
//! slots that are still reading their prompt, up to [`BATCH_TOKENS`]. After the decode each slot
//! whose logits were computed samples its next token with its own sampler. Slots are sequences
//! (seq_id = slot index) in one llama.cpp context, each with `ctx_per_slot` positions.
//!
//! The scheduling is the engine's; the arithmetic is a [`Decode`]'s: llama.cpp's context here,
//! candle's models in `super::candle`. Both sample with the same llama.cpp sampler chain over
//! their logits, so seeds, penalties and grammars mean the same on either.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use std::time::{Duration, Instant};

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use tokio::sync::mpsc::error::TrySendError;

use super::text::{Push, TextStream};
use super::{EngineConfig, EngineStats, Job};
use crate::job::{Event, Finish, FinishReason, Logprobs, Sampling, TokenExtra, TopLogprob};

/// Most tokens decoded in one step (all slots together).
pub(super) const BATCH_TOKENS: u32 = 2048;

/// A reader that keeps its connection open but reads nothing for this long loses its slot, so
/// that a few stuck clients cannot hold every slot (and its KV cache) forever.
pub(super) const STALL_LIMIT: Duration = Duration::from_secs(60);

/// Creating contexts in parallel is unsound in llama-cpp-2 (see `LlamaModel::new_context`).
pub(super) static NEW_CONTEXT: Mutex<()> = Mutex::new(());

/// A new context (one at a time, under [`NEW_CONTEXT`]).
pub(super) fn new_context<'m>(
    model: &'m LlamaModel,
    backend: &LlamaBackend,
    params: llama_cpp_2::context::params::LlamaContextParams,
) -> Result<LlamaContext<'m>, String> {
    let _guard = NEW_CONTEXT.lock().unwrap_or_else(|e| e.into_inner());
    model
        .new_context(backend, params)
        .map_err(|e| e.to_string())
}

/// An engine thread's context, its creation reported on `ready` (None: the thread ends).
pub(super) fn started<'m>(
    model: &'m LlamaModel,
    backend: &LlamaBackend,
    params: llama_cpp_2::context::params::LlamaContextParams,
    ready: &std_mpsc::Sender<Result<(), String>>,
) -> Option<LlamaContext<'m>> {
    let ctx = new_context(model, backend, params);
    let _ = ready.send(ctx.as_ref().map(|_| ()).map_err(Clone::clone));
    ctx.ok()
}

/// One token of a step's batch: which sequence, at which position, and whether its logits are
/// wanted (the last prompt token and every generated one).
#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    pub token: LlamaToken,
    pub pos: i32,
    pub seq: i32,
    pub logits: bool,
}

/// What runs the model for the scheduler.
pub(super) trait Decode {
    /// Runs one step's batch. Afterwards [`Decode::logits`] reads the rows of the entries that
    /// asked for them, by batch index.
    fn decode(&mut self, batch: &[Entry]) -> Result<(), String>;
    /// The logits of batch entry `at` of the last decode.
    fn logits(&self, at: i32) -> &[f32];
    /// Keeps the first `keep` positions of sequence `seq` (`None`: forgets it all). False if the
    /// decoder cannot cut there; the caller then forgets the whole sequence.
    fn keep(&mut self, seq: u32, keep: Option<u32>) -> bool;
    /// Sequence `seq`'s job ended (whole or not) after `prompt` prompt tokens and `generated`
    /// answer tokens: a pipeline pays its stages here, and says what each ran.
    fn ended(&mut self, _seq: u32, _prompt: u32, _generated: u32) -> Vec<crate::job::StageRun> {
        Vec::new()
    }
    /// Draws the next token from entry `at`'s logits with `sampler`, which then accepts it.
    fn sample(&mut self, sampler: &mut LlamaSampler, at: i32) -> LlamaToken {
        let mut array = super::score::token_data(self.logits(at));
        array.apply_sampler(sampler);
        // Every chain ends in greedy or dist, which select; a chain that did not is a bug.
        let token = array.selected_token().unwrap_or(LlamaToken::new(0));
        sampler.accept(token);
        token
    }
}

/// llama.cpp's context as the scheduler's decoder.
struct Llama<'m> {
    ctx: LlamaContext<'m>,
    batch: LlamaBatch<'static>,
}

impl Decode for Llama<'_> {
    fn decode(&mut self, batch: &[Entry]) -> Result<(), String> {
        self.batch.clear();
        for e in batch {
            self.batch
                .add(e.token, e.pos, &[e.seq], e.logits)
                .map_err(|e| e.to_string())?;
        }
        self.ctx.decode(&mut self.batch).map_err(|e| e.to_string())
    }

    fn logits(&self, at: i32) -> &[f32] {
        self.ctx.get_logits_ith(at)
    }

    fn keep(&mut self, seq: u32, keep: Option<u32>) -> bool {
        matches!(self.ctx.clear_kv_cache_seq(Some(seq), keep, None), Ok(true))
    }

    fn sample(&mut self, sampler: &mut LlamaSampler, at: i32) -> LlamaToken {
        sampler.sample(&self.ctx, at)
    }
}

struct Slot {
    job: Job,
    seq: i32,
    sampler: LlamaSampler,
    text: TextStream,
    /// Prompt tokens already decoded.
    fed: usize,
    /// Next position in this sequence.
    pos: i32,
    /// The last sampled token, to be decoded in the next step.
    pending: Option<LlamaToken>,
    generated: u32,
    /// Index in the current batch whose logits belong to this slot.
    logits_at: Option<i32>,
    submitted: Instant,
    first_token: Option<Instant>,
    prompt_time: Duration,
    /// Time in decode calls that produced this job's generated tokens.
    decode_time: Duration,
    /// Since when the reader has left no room in the job's channel.
    stalled_since: Option<Instant>,
    /// The tokens whose KV entries this sequence holds, in position order.
    kv: Vec<LlamaToken>,
    /// Prompt tokens reused from the slot's previous job.
    reused: u32,
}

/// Events of a finished job that did not fit in its channel yet.
struct Draining {
    events: tokio::sync::mpsc::Sender<Event>,
    outbox: VecDeque<Event>,
}

pub(super) fn run(
    backend: &LlamaBackend,
    model: &LlamaModel,
    config: &EngineConfig,
    jobs: std_mpsc::Receiver<Job>,
    stats: Arc<EngineStats>,
    ready: std_mpsc::Sender<Result<(), String>>,
) {
    let Some(ctx) = started(model, backend, super::ctx_params(config), &ready) else {
        return;
    };
    let mut llama = Llama {
        ctx,
        batch: LlamaBatch::new(BATCH_TOKENS as usize, 1),
    };
    serve(model, config, jobs, stats, &mut llama);
}

/// Serves `jobs` with `dec` until the engine stops or every handle to it is gone.
pub(super) fn serve(
    model: &LlamaModel,
    config: &EngineConfig,
    jobs: std_mpsc::Receiver<Job>,
    stats: Arc<EngineStats>,
    dec: &mut dyn Decode,
) {
    let mut sched = Scheduler {
        model,
        config,
        stats,
        slots: (0..config.slots).map(|_| None).collect(),
        queue: VecDeque::new(),
        draining: Vec::new(),
        batch: Vec::with_capacity(BATCH_TOKENS as usize),
        next_prefill: 0,
        cached: (0..config.slots).map(|_| Vec::new()).collect(),
    };
    sched.run(dec, jobs);
}

struct Scheduler<'m> {
    model: &'m LlamaModel,
    config: &'m EngineConfig,
    stats: Arc<EngineStats>,
    slots: Vec<Option<Slot>>,
    queue: VecDeque<(Job, Instant)>,
    draining: Vec<Draining>,
    batch: Vec<Entry>,
    /// Round-robin start among slots reading their prompts, so long prompts share the batch.
    next_prefill: usize,
    /// For each free slot, the tokens whose KV entries its sequence still holds from its last
    /// job: a new prompt that starts the same way (a system prompt, the conversation so far)
    /// skips re-computing that prefix.
    cached: Vec<Vec<LlamaToken>>,
}

impl Scheduler<'_> {
    fn run(&mut self, ctx: &mut dyn Decode, jobs: std_mpsc::Receiver<Job>) {
        loop {
            if self.stats.stopping.load(Ordering::Acquire) {
                return self.stop_all();
            }
            if !self.intake(&jobs) {
                return;
            }
            self.flush_draining();
            self.drop_cancelled(ctx);
            self.admit(ctx);
            if self.slots.iter().all(Option::is_none) {
                continue;
            }
            let decoded = self.step(ctx);
            if !decoded {
                // Every active slot waits for its reader; don't spin.
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }

    /// The engine stops: every running and queued job is told so and ends here.
    fn stop_all(&mut self) {
        let stopped = || Event::Failed("the engine stopped (the node is shutting down)".into());
        for slot in self.slots.iter_mut().filter_map(Option::take) {
            let _ = slot.job.events.try_send(stopped());
        }
        for (job, _) in self.queue.drain(..) {
            let _ = job.events.try_send(stopped());
        }
        self.stats.busy_slots.store(0, Ordering::Relaxed);
        self.stats.queued.store(0, Ordering::Relaxed);
    }

    /// Takes newly submitted jobs; blocks when there is nothing else to do. Returns false once
    /// every handle to the engine is gone and no work is left.
    fn intake(&mut self, jobs: &std_mpsc::Receiver<Job>) -> bool {
        let idle = self.slots.iter().all(Option::is_none) && self.queue.is_empty();
        if idle {
            let next = if self.draining.is_empty() {
                jobs.recv()
                    .map_err(|_| std_mpsc::RecvTimeoutError::Disconnected)
            } else {
                jobs.recv_timeout(Duration::from_millis(5))
            };
            match next {
                Ok(job) => self.enqueue(job),
                Err(std_mpsc::RecvTimeoutError::Timeout) => {}
                Err(std_mpsc::RecvTimeoutError::Disconnected) => return false,
            }
        }
        while let Ok(job) = jobs.try_recv() {
            self.enqueue(job);
        }
        true
    }

    /// Queues a job behind every job of its priority or higher (contributor priority).
    fn enqueue(&mut self, job: Job) {
        let at = self
            .queue
            .iter()
            .position(|(j, _)| j.priority < job.priority)
            .unwrap_or(self.queue.len());
        self.queue.insert(at, (job, Instant::now()));
    }

    fn flush_draining(&mut self) {
        self.draining.retain_mut(|d| {
            while let Some(ev) = d.outbox.pop_front() {
                match d.events.try_send(ev) {
                    Ok(()) => {}
                    Err(TrySendError::Full(ev)) => {
                        d.outbox.push_front(ev);
                        return true;
                    }
                    Err(TrySendError::Closed(_)) => return false,
                }
            }
            false
        });
    }

    /// Frees the slots and queue entries of jobs whose receiver is gone (client disconnected).
    fn drop_cancelled(&mut self, ctx: &mut dyn Decode) {
        let before = self.queue.len();
        self.queue.retain(|(j, _)| !j.events.is_closed());
        let gone = before - self.queue.len();
        if gone > 0 {
            self.stats.queued.fetch_sub(gone, Ordering::Relaxed);
            self.stats.room.notify_waiters();
            self.stats
                .jobs_cancelled
                .fetch_add(gone as u64, Ordering::Relaxed);
        }
        for i in 0..self.slots.len() {
            if self.slots[i]
                .as_ref()
                .and_then(|s| s.stalled_since)
                .is_some_and(|t| t.elapsed() >= STALL_LIMIT)
            {
                tracing::warn!(
                    slot = i,
                    "reader stalled for {} s; slot freed",
                    STALL_LIMIT.as_secs()
                );
                self.fail(
                    ctx,
                    i,
                    format!("the client read nothing for {} s", STALL_LIMIT.as_secs()),
                );
                continue;
            }
            if self.slots[i]
                .as_ref()
                .is_some_and(|s| s.job.events.is_closed())
            {
                self.free(ctx, i);
                self.stats.jobs_cancelled.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(slot = i, "client went away; slot freed");
            }
        }
    }

    fn admit(&mut self, ctx: &mut dyn Decode) {
        while !self.queue.is_empty() {
            // The free slot whose cached tokens share the longest prefix with the next prompt.
            let tokens = &self.queue[0].0.tokens;
            let Some((i, shared)) = (0..self.slots.len())
                .filter(|&i| self.slots[i].is_none())
                .map(|i| (i, common_prefix(&self.cached[i], tokens)))
                .max_by_key(|&(i, shared)| (shared, std::cmp::Reverse(i)))
            else {
                break;
            };
            let (job, submitted) = self.queue.pop_front().expect("checked non-empty");
            self.stats.queued.fetch_sub(1, Ordering::Relaxed);
            self.stats.busy_slots.fetch_add(1, Ordering::Relaxed);
            // Keep the shared prefix, but always decode the prompt's last token again: its
            // logits give the first answer token.
            let mut keep = shared.min(job.tokens.len() - 1);
            let seq = i as u32;
            if keep == 0 || !ctx.keep(seq, Some(keep as u32)) {
                ctx.keep(seq, None);
                keep = 0;
            }
            self.cached[i].clear();
            self.stats
                .prompt_tokens_cached
                .fetch_add(keep as u64, Ordering::Relaxed);
            let grammar = match job.constrained.as_ref().map(|s| s.sampler(self.model)) {
                Some(Err(e)) => {
                    self.stats.busy_slots.fetch_sub(1, Ordering::Relaxed);
                    self.draining.push(Draining {
                        events: job.events,
                        outbox: VecDeque::from([Event::Failed(e)]),
                    });
                    continue;
                }
                Some(Ok(g)) => g,
                None => None,
            };
            let sampler = make_sampler(self.model, &job.sampling, grammar);
            let text = TextStream::new(job.stop.clone());
            let kv = job.tokens[..keep].to_vec();
            self.slots[i] = Some(Slot {
                job,
                seq: i as i32,
                sampler,
                text,
                fed: keep,
                pos: keep as i32,
                pending: None,
                generated: 0,
                logits_at: None,
                submitted,
                first_token: None,
                prompt_time: Duration::ZERO,
                decode_time: Duration::ZERO,
                stalled_since: None,
                kv,
                reused: keep as u32,
            });
        }
    }

    /// Takes slot `i`'s job out and forgets its KV entries (it did not finish whole).
    fn free(&mut self, ctx: &mut dyn Decode, i: usize) -> Option<Slot> {
        let slot = self.slots[i].take()?;
        ctx.ended(
            slot.seq as u32,
            slot.job.tokens.len() as u32,
            slot.generated,
        );
        ctx.keep(slot.seq as u32, None);
        self.cached[i].clear();
        self.stats.busy_slots.fetch_sub(1, Ordering::Relaxed);
        self.stats.room.notify_waiters();
        Some(slot)
    }

    /// Ends slot `i`'s job with an error that is delivered even if its channel is full now.
    fn fail(&mut self, ctx: &mut dyn Decode, i: usize, reason: String) {
        if let Some(slot) = self.free(ctx, i) {
            self.draining.push(Draining {
                events: slot.job.events,
                outbox: VecDeque::from([Event::Failed(reason)]),
            });
        }
    }

    /// One decode of all active slots. Returns false if nothing could be decoded.
    fn step(&mut self, ctx: &mut dyn Decode) -> bool {
        self.batch.clear();
        let mut budget = BATCH_TOKENS as usize;
        self.batch_generating(&mut budget);
        let prefilling = self.batch_prompts(&mut budget);
        if self.batch.is_empty() {
            return false;
        }
        let n = self.slots.len();
        let started = Instant::now();
        if let Err(e) = ctx.decode(&self.batch) {
            tracing::error!("decode failed: {e}");
            for i in 0..n {
                let touched = self.slots[i]
                    .as_ref()
                    .is_some_and(|s| s.logits_at.is_some() || prefilling.contains(&i));
                if touched {
                    self.fail(ctx, i, format!("decode failed: {e}"));
                }
            }
            return true;
        }
        let took = started.elapsed();
        self.rest_for_peers(took);
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let Some(slot) = slot else { continue };
            if prefilling.contains(&i) {
                slot.prompt_time += took;
            } else if slot.logits_at.is_some() {
                slot.decode_time += took;
            }
        }
        let sampling = Instant::now();
        for i in 0..n {
            let Some(at) = self.slots[i].as_mut().and_then(|s| s.logits_at.take()) else {
                continue;
            };
            if let Some(reason) = self.sample(ctx, i, at) {
                let stages = match &self.slots[i] {
                    Some(s) => ctx.ended(s.seq as u32, s.job.tokens.len() as u32, s.generated),
                    None => Vec::new(),
                };
                self.finish(i, reason, stages);
            }
        }
        self.stats.steps.fetch_add(1, Ordering::Relaxed);
        self.stats
            .decode_us
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        self.stats
            .sample_us
            .fetch_add(sampling.elapsed().as_micros() as u64, Ordering::Relaxed);
        true
    }

    /// After a step that ran only peers' jobs, rests so that peers get at most their share
    /// of the engine's time (`--peer-duty`, `--threads-for-peers`). A step with one of the
    /// owner's jobs (running or waiting) never rests, and a rest is short (at most 1 s).
    fn rest_for_peers(&self, took: Duration) {
        let share = self.config.peer_share.load(Ordering::Relaxed).clamp(1, 100);
        // (An owner's job waiting for a slot: no rest either, so peers' slots free sooner.)
        let own = crate::job::local::OWN_PRIORITY;
        let peers_only = self.slots.iter().flatten().all(|s| s.job.priority != own)
            && self.queue.iter().all(|(j, _)| j.priority != own);
        if share < 100 && peers_only {
            let rest = took.mul_f64(100.0 / f64::from(share) - 1.0);
            std::thread::sleep(rest.min(Duration::from_secs(1)));
        }
    }

    /// Generating slots first: one token each keeps every stream moving. A slot whose reader
    /// has no room waits (and its stall clock runs).
    fn batch_generating(&mut self, budget: &mut usize) {
        for slot in self.slots.iter_mut().flatten() {
            slot.logits_at = None;
            if slot.job.events.capacity() == 0 {
                slot.stalled_since.get_or_insert_with(Instant::now);
            } else {
                slot.stalled_since = None;
            }
            if let Some(tok) = slot.pending
                && slot.job.events.capacity() > 0
                && *budget > 0
            {
                self.batch.push(Entry {
                    token: tok,
                    pos: slot.pos,
                    seq: slot.seq,
                    logits: true,
                });
                slot.kv.push(tok);
                slot.pos += 1;
                slot.pending = None;
                slot.logits_at = Some(self.batch.len() as i32 - 1);
                *budget -= 1;
            }
        }
    }

    /// Then prompt chunks, round-robin among the slots reading their prompts. Returns those
    /// slots.
    fn batch_prompts(&mut self, budget: &mut usize) -> Vec<usize> {
        let n = self.slots.len();
        let mut prefilling = Vec::new();
        for k in 0..n {
            let i = (self.next_prefill + k) % n;
            let Some(slot) = self.slots[i].as_mut() else {
                continue;
            };
            if slot.fed >= slot.job.tokens.len() || *budget == 0 {
                continue;
            }
            let end = (slot.fed + *budget).min(slot.job.tokens.len());
            let last = slot.job.tokens.len() - 1;
            if end > last && slot.job.events.capacity() == 0 {
                // The final chunk yields a token; wait until the reader has room.
                continue;
            }
            for idx in slot.fed..end {
                let logits = idx == last;
                self.batch.push(Entry {
                    token: slot.job.tokens[idx],
                    pos: slot.pos,
                    seq: slot.seq,
                    logits,
                });
                slot.kv.push(slot.job.tokens[idx]);
                slot.fed += 1;
                slot.pos += 1;
                *budget -= 1;
                if logits {
                    slot.logits_at = Some(self.batch.len() as i32 - 1);
                }
            }
            prefilling.push(i);
        }
        self.next_prefill = (self.next_prefill + 1) % n.max(1);
        prefilling
    }

    /// Samples slot `i`'s next token and sends its text. Returns why the job ends, if it does.
    fn sample(&mut self, ctx: &mut dyn Decode, i: usize, at: i32) -> Option<FinishReason> {
        let vocab = self.model.vocab();
        let slot = self.slots[i].as_mut().expect("caller checked");
        let token = ctx.sample(&mut slot.sampler, at);
        slot.generated += 1;
        self.stats.generated_tokens.fetch_add(1, Ordering::Relaxed);
        if slot.first_token.is_none() {
            slot.first_token = Some(Instant::now());
            self.stats
                .prompt_tokens
                .fetch_add(slot.job.tokens.len() as u64, Ordering::Relaxed);
        }
        if vocab.is_eog(token) && !slot.job.ignore_eos {
            return Some(FinishReason::Stop);
        }
        let logprobs = slot
            .job
            .logprobs
            .map(|top| logprobs(self.model, ctx.logits(at), token, top));
        // A constrained answer keeps the text of the special tokens its parser reads.
        let special = slot
            .job
            .constrained
            .as_ref()
            .is_some_and(|s| s.preserved.contains(&token));
        let piece = vocab.token_to_piece(token, special, None);
        // The engine's own text view decides when a stop sequence ends the job, and feeds a
        // constrained answer's parser; the consumer makes the text from the token bytes.
        let (released, stopped) = match slot.text.push(&piece) {
            Push::Emit(t) => (t, false),
            Push::Stop(t) => (t, true),
        };
        let delta = slot
            .job
            .constrained
            .as_mut()
            .and_then(|s| s.read(&released));
        let extra = (logprobs.is_some() || delta.is_some())
            .then(|| Box::new(TokenExtra { logprobs, delta }));
        // Capacity was checked before the slot joined the batch and only this thread sends.
        let _ = slot.job.events.try_send(Event::Token {
            id: token.0 as u32,
            piece,
            extra,
        });
        if stopped {
            return Some(FinishReason::Stop);
        }
        if slot.generated >= slot.job.max_tokens || slot.pos as u32 >= self.config.ctx_per_slot {
            return Some(FinishReason::Length);
        }
        slot.pending = Some(token);
        None
    }

    fn finish(&mut self, i: usize, reason: FinishReason, stages: Vec<crate::job::StageRun>) {
        let Some(mut slot) = self.slots[i].take() else {
            return;
        };
        // The sequence keeps its KV entries for the next job that starts the same way.
        self.cached[i] = std::mem::take(&mut slot.kv);
        self.stats.busy_slots.fetch_sub(1, Ordering::Relaxed);
        self.stats.room.notify_waiters();
        self.stats.jobs_done.fetch_add(1, Ordering::Relaxed);
        let mut outbox = VecDeque::new();
        let first = slot.first_token.unwrap_or_else(Instant::now);
        let delta = slot.job.constrained.as_mut().and_then(|s| {
            let tail = slot.text.finish();
            let mut d = s.read(&tail).unwrap_or_default();
            if let Some(last) = s.finish() {
                d.content.push_str(&last.content);
                d.tool_calls.extend(last.tool_calls);
            }
            (!d.is_empty()).then_some(d)
        });
        tracing::debug!(
            generated = slot.generated,
            decode_ms = slot.decode_time.as_secs_f64() * 1e3,
            wall_ms = first.elapsed().as_secs_f64() * 1e3,
            "job finished"
        );
        outbox.push_back(Event::Done(Finish {
            reason,
            prompt_tokens: slot.job.tokens.len() as u32,
            cached_tokens: slot.reused,
            completion_tokens: slot.generated,
            time_to_first_token: first.duration_since(slot.submitted),
            prompt_time: slot.prompt_time,
            generation_time: first.elapsed(),
            credits: 0,
            delta,
            stages,
        }));
        self.draining.push(Draining {
            events: slot.job.events,
            outbox,
        });
        self.flush_draining();
    }
}

/// The engine's sampler: a grammar first (it masks what the answer may not say), penalties, then
/// greedy or top-k 40, top-p, min-p 0.05, temperature and a seeded draw.
fn make_sampler(model: &LlamaModel, s: &Sampling, grammar: Option<LlamaSampler>) -> LlamaSampler {
    let mut chain = Vec::new();
    chain.extend(grammar);
    if s.frequency_penalty != 0.0 || s.presence_penalty != 0.0 {
        chain.push(LlamaSampler::penalties(
            model.n_vocab(),
            64,
            1.0,
            s.frequency_penalty,
            s.presence_penalty,
        ));
    }
    if s.temperature <= 0.0 {
        chain.push(LlamaSampler::greedy());
    } else {
        let seed = s.seed.unwrap_or_else(crate::ids::random_u64) as u32;
        chain.push(LlamaSampler::top_k(40));
        chain.push(LlamaSampler::top_p(
            if s.top_p > 0.0 { s.top_p } else { 1.0 },
            1,
        ));
        chain.push(LlamaSampler::min_p(0.05, 1));
        chain.push(LlamaSampler::temp(s.temperature));
        chain.push(LlamaSampler::dist(seed));
    }
    LlamaSampler::chain_simple(chain)
}

/// The log probability of `token` under `logits` (softmax at temperature 1) and the `top`
/// likeliest tokens with theirs.
fn logprobs(model: &LlamaModel, logits: &[f32], token: LlamaToken, top: u8) -> Logprobs {
    let lse = super::score::log_sum_exp(logits);
    let at = |t: usize| logits.get(t).map_or(f32::NEG_INFINITY, |l| l - lse);
    let vocab = model.vocab();
    let top = super::score::top_n(logits, top as usize)
        .into_iter()
        .map(|t| TopLogprob {
            id: t as u32,
            piece: vocab.token_to_piece(LlamaToken::new(t as i32), false, None),
            logprob: at(t),
        })
        .collect();
    Logprobs {
        logprob: at(token.0 as usize),
        top,
    }
}

fn common_prefix(a: &[LlamaToken], b: &[LlamaToken]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}
