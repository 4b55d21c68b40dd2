//! The local submit path: a job tokenized for this node's engine, checked against its context,
//! and queued on it. The router uses it for this node's own jobs, the network for the jobs it
//! serves for peers and for the rest of a job that fails over to this node.

use llama_cpp_2::token::LlamaToken;
use tokio::sync::mpsc;

use super::{
    Constraints, EVENT_CHANNEL, Event, Prompt, Refusal, Spec, context_exceeded, retry_after,
};
use crate::engine::constrain::{Setup, needs_template};
use crate::engine::{Engine, Job, Message, PromptError, Role, SubmitError};
use crate::tasks::Tasks;

/// A job ready to submit to one engine.
#[derive(Clone)]
pub struct Prepared {
    pub tokens: Vec<LlamaToken>,
    /// An embedding job's inputs, tokenized (its `tokens` are empty).
    pub embed: Option<Vec<Vec<LlamaToken>>>,
    /// The grammar and parser of a constrained job.
    pub setup: Option<Box<Setup>>,
    /// Prompt tokens without the continuation.
    pub prompt_tokens: u32,
    pub max_tokens: u32,
    pub warning: Option<String>,
}

impl Prepared {
    /// Adds a warning to any already there.
    pub fn warn(&mut self, w: String) {
        self.warning = Some(match self.warning.take() {
            Some(old) => format!("{old}; {w}"),
            None => w,
        });
    }
}

/// Tokenizes a job for `engine`, appends `continuation` (tokens already generated elsewhere) and
/// checks it against the context. CPU work: call off the async runtime.
pub fn prepare(
    engine: &Engine,
    prompt: &Prompt,
    constraints: &Constraints,
    continuation: &[u32],
    max_tokens: Option<u32>,
) -> Result<Prepared, Refusal> {
    let what = match prompt {
        Prompt::Chat(_) => "messages",
        Prompt::Text(_) => "prompt",
        Prompt::Embed(inputs) => return prepare_embed(engine, inputs),
    };
    if engine.embeds() {
        return Err(Refusal::new(
            400,
            format!(
                "{} is an embedding model: it makes vectors with /v1/embeddings, not text",
                engine.info().name
            ),
        )
        .param("model"));
    }
    // Whoever sent them (a client, a peer, a fraud proof), the constraints and the tokens from
    // elsewhere are within bounds before anything reads them.
    super::check_constraints(constraints)?;
    let vocab = engine.n_vocab();
    if let Some(bad) = continuation.iter().find(|&&t| t >= vocab) {
        return Err(Refusal::new(
            400,
            format!("continuation token {bad} is outside the {vocab}-token vocabulary"),
        ));
    }
    let ctx = engine.info().ctx_per_slot;
    if continuation.len() as u32 >= ctx {
        return Err(context_exceeded(what, ctx, continuation.len() as u32));
    }
    let (mut tokens, setup) = if needs_template(prompt, constraints) {
        check_roles(prompt)?;
        let (t, s) = engine
            .constrained(prompt, constraints, continuation)
            .map_err(|e| {
                let param = match e {
                    PromptError::Schema(_) => "response_format",
                    PromptError::NoTools(_) => "tools",
                    _ => what,
                };
                Refusal::new(400, e.to_string()).param(param)
            })?;
        (t, Some(Box::new(s)))
    } else {
        (tokenize(engine, prompt)?.0, None)
    };
    if tokens.is_empty() {
        return Err(Refusal::new(400, format!("{what} is empty")).param(what));
    }
    let prompt_tokens = tokens.len() as u32;
    if prompt_tokens >= ctx {
        return Err(context_exceeded(what, ctx, prompt_tokens));
    }
    tokens.extend(continuation.iter().map(|&t| LlamaToken(t as i32)));
    let used = tokens.len() as u32;
    if used >= ctx {
        return Err(context_exceeded(what, ctx, used));
    }
    let room = ctx - used;
    let (max_tokens, warning) = match max_tokens {
        Some(m) if m > room => (
            room,
            Some(format!(
                "max_tokens {m} exceeds the {room} tokens left in the {ctx}-token context after the \
                 {prompt_tokens}-token prompt; clamped to {room}"
            )),
        ),
        Some(m) => (m, None),
        None => (room, None),
    };
    Ok(Prepared {
        tokens,
        embed: None,
        setup,
        prompt_tokens,
        max_tokens,
        warning,
    })
}

/// The prompt's tokens, and what the API calls it (`messages` or `prompt`).
fn tokenize(engine: &Engine, prompt: &Prompt) -> Result<(Vec<LlamaToken>, &'static str), Refusal> {
    match prompt {
        Prompt::Chat(msgs) => {
            let mut messages = Vec::with_capacity(msgs.len());
            for (i, m) in msgs.iter().enumerate() {
                let role = Role::parse(&m.role).ok_or_else(|| {
                    Refusal::new(
                        400,
                        format!("messages[{i}].role `{}` is not supported", m.role),
                    )
                    .param("messages")
                })?;
                messages.push(Message {
                    role,
                    content: m.content.clone(),
                });
            }
            let t = engine
                .chat_tokens(&messages)
                .map_err(|e| Refusal::new(400, e.to_string()).param("messages"))?;
            Ok((t, "messages"))
        }
        Prompt::Text(text) => Ok((engine.text_tokens(text), "prompt")),
        Prompt::Embed(_) => Err(Refusal::new(400, "an embedding job has no one prompt")),
    }
}

/// An embedding job: every input tokenized and within the model's context.
fn prepare_embed(engine: &Engine, inputs: &[String]) -> Result<Prepared, Refusal> {
    if !engine.embeds() {
        return Err(Refusal::new(
            400,
            format!(
                "{} makes text, not embeddings: ask an embedding model (such as \
                 all-minilm-l6-v2)",
                engine.info().name
            ),
        )
        .param("model"));
    }
    if inputs.is_empty() || inputs.len() > super::MAX_EMBED_INPUTS {
        return Err(Refusal::new(
            400,
            format!(
                "input must hold 1 to {} texts, not {}",
                super::MAX_EMBED_INPUTS,
                inputs.len()
            ),
        )
        .param("input"));
    }
    let ctx = engine.info().ctx_per_slot;
    let mut all = Vec::with_capacity(inputs.len());
    for (i, text) in inputs.iter().enumerate() {
        if text.is_empty() {
            return Err(Refusal::new(400, format!("input[{i}] is empty")).param("input"));
        }
        let t = engine.embed_tokens(text);
        if t.len() as u32 > ctx {
            return Err(context_exceeded(
                &format!("input[{i}]"),
                ctx,
                t.len() as u32,
            ));
        }
        all.push(t);
    }
    Ok(Prepared {
        tokens: Vec::new(),
        prompt_tokens: all.iter().map(|t| t.len() as u32).sum(),
        embed: Some(all),
        setup: None,
        max_tokens: 0,
        warning: None,
    })
}

/// The roles a chat with tools may hold (a peer's request is not trusted to have them right).
fn check_roles(prompt: &Prompt) -> Result<(), Refusal> {
    if let Prompt::Chat(msgs) = prompt {
        if msgs.len() > crate::engine::MAX_MESSAGES {
            return Err(Refusal::new(
                400,
                PromptError::TooMany(msgs.len()).to_string(),
            ));
        }
        for (i, m) in msgs.iter().enumerate() {
            if Role::parse(&m.role).is_none() && m.role != "tool" {
                return Err(Refusal::new(
                    400,
                    format!("messages[{i}].role `{}` is not supported", m.role),
                )
                .param("messages"));
            }
            // The template reads arguments as JSON (recursively): JSON within serde's depth.
            if let Some(j) = m
                .tool_calls
                .iter()
                .position(|c| serde_json::from_str::<serde_json::Value>(&c.arguments).is_err())
            {
                return Err(Refusal::new(
                    400,
                    format!("messages[{i}].tool_calls[{j}].function.arguments is not JSON"),
                )
                .param("messages"));
            }
        }
    }
    Ok(())
}

/// Prepares a job off the async threads, on a blocking thread owned by `tasks` (so that
/// stopping that part waits for it before its engine shuts down).
pub async fn prepare_off_runtime(
    tasks: &Tasks,
    engine: &Engine,
    prompt: &Prompt,
    constraints: &Constraints,
    continuation: &[u32],
    max_tokens: Option<u32>,
) -> Result<Prepared, Refusal> {
    let (e, prompt, c, cont) = (
        engine.clone(),
        prompt.clone(),
        constraints.clone(),
        continuation.to_vec(),
    );
    tasks
        .spawn_blocking(move || prepare(&e, &prompt, &c, &cont, max_tokens))
        .await
        .map_err(|e| Refusal::new(500, e.to_string()))?
}

/// Queues a prepared job on `engine`, at most `max_tokens` and at `priority` (higher first).
/// Returns the job's event receiver; dropping it cancels the job.
pub fn submit(
    engine: &Engine,
    p: &Prepared,
    spec: &Spec,
    priority: i64,
) -> Result<mpsc::Receiver<Event>, Refusal> {
    let (tx, rx) = mpsc::channel(EVENT_CHANNEL);
    if let Some(inputs) = &p.embed {
        if !engine.has_room() {
            let n = engine
                .stats()
                .queued
                .load(std::sync::atomic::Ordering::Relaxed);
            return Err(Refusal::busy(
                format!("{n} requests are waiting for this model; retry shortly"),
                retry_after(n, engine.info().slots),
            ));
        }
        // The vectors come at once: one event with them all, then the end.
        let (e, inputs, prompt_tokens) = (engine.clone(), inputs.clone(), p.prompt_tokens);
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let ev = match e.embed(inputs).await {
                Ok(v) => {
                    let _ = tx.send(Event::Embeddings(v)).await;
                    Event::Done(super::Finish {
                        reason: super::FinishReason::Stop,
                        prompt_tokens,
                        cached_tokens: 0,
                        completion_tokens: 0,
                        time_to_first_token: started.elapsed(),
                        prompt_time: started.elapsed(),
                        generation_time: std::time::Duration::ZERO,
                        credits: 0,
                        delta: None,
                        stages: Vec::new(),
                    })
                }
                Err(why) => Event::Failed(why),
            };
            let _ = tx.send(ev).await;
        });
        return Ok(rx);
    }
    let job = Job {
        tokens: p.tokens.clone(),
        max_tokens: p.max_tokens,
        sampling: spec.sampling.clone(),
        stop: spec.stop.clone(),
        ignore_eos: spec.ignore_eos,
        priority,
        events: tx,
        constrained: p.setup.clone(),
        logprobs: spec.logprobs,
    };
    engine.submit(job).map_err(|e| match e {
        SubmitError::QueueFull(n) => Refusal::busy(
            format!("Every slot is busy and {n} requests are waiting; retry shortly"),
            retry_after(n, engine.info().slots),
        ),
        SubmitError::Stopped => Refusal::new(503, "The engine is shutting down"),
        SubmitError::EmptyPrompt => Refusal::new(400, "The prompt is empty"),
        SubmitError::TooLong { tokens, ctx } => context_exceeded("prompt", ctx, tokens as u32),
    })?;
    Ok(rx)
}

/// This node's own jobs come first in its queue.
pub const OWN_PRIORITY: i64 = i64::MAX;
/// Jobs served for nothing come last.
pub const FREE_PRIORITY: i64 = i64::MIN;
