//! Routing a job: on this node's engine or on a peer, with backpressure and a bounded wait.
//!
//! Owns the decision and the preparation of local jobs; the peer side lives in
//! [`crate::net::remote`]. The rules, in order:
//! 1. No peer can serve the model: the local engine takes it, behind its own bounded queue (503
//!    with Retry-After beyond it), or 404 if this node does not serve it either.
//! 2. The local engine serves the model, contribution is not paused and a slot is free: local.
//! 3. Else the best-scoring peer with room (weighted round-robin, in-flight capped at its slots);
//!    a peer that refuses or cannot be reached is skipped for this job.
//! 4. Else a paused node that serves the model runs it itself (its own user is always served).
//! 5. Else the job waits, its position shown in status, until any capable node has room; at most
//!    `queue_limit` jobs wait, past that 503 with Retry-After. Nothing is dropped silently.

use std::time::{Duration, Instant};

use llama_cpp_2::token::LlamaToken;
use tokio::sync::mpsc;

use crate::engine::{EVENT_CHANNEL, Engine, Event, Job, Message, Role, Sampling, SubmitError};
use crate::net::wire::Prompt;
use crate::node::{JobGuard, Node};

/// How long a job may wait for capacity before it is refused.
pub const MAX_WAIT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Chat,
    Text,
}

/// A job as the API (or a peer) asks for it.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub model: Option<String>,
    pub prompt: Prompt,
    pub max_tokens: Option<u32>,
    pub sampling: Sampling,
    pub stop: Vec<String>,
    pub ignore_eos: bool,
}

impl JobSpec {
    pub fn kind(&self) -> Kind {
        match self.prompt {
            Prompt::Chat(_) => Kind::Chat,
            Prompt::Text(_) => Kind::Text,
        }
    }
}

/// Why a job was not taken, in HTTP terms (the API turns it into OpenAI's error shape; a peer
/// sends it back as `Refused`).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
    pub code: Option<String>,
    pub param: Option<String>,
    pub retry_after: Option<u32>,
}

impl Refusal {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
            code: None,
            param: None,
            retry_after: None,
        }
    }

    pub fn code(mut self, c: &str) -> Self {
        self.code = Some(c.into());
        self
    }

    pub fn param(mut self, p: &str) -> Self {
        self.param = Some(p.into());
        self
    }

    pub fn busy(message: impl Into<String>, retry_after: u32) -> Self {
        Refusal {
            retry_after: Some(retry_after),
            ..Refusal::new(503, message).code("server_busy")
        }
    }

    /// Whether another node could do better (busy, paused, gone), as opposed to a bad request.
    pub fn retryable(&self) -> bool {
        self.status >= 500 || self.status == 429 || self.status == 404
    }
}

/// A job on its way: its events arrive on `events` in order (token pieces, then one `Done` or
/// `Failed`), whichever node produces them.
pub struct Routed {
    pub events: mpsc::Receiver<Event>,
    pub served_by: String,
    pub model: String,
    pub prompt_tokens: u32,
    pub warning: Option<String>,
    pub guard: JobGuard,
}

/// A local job, ready to submit.
pub struct Prepared {
    pub tokens: Vec<LlamaToken>,
    /// Prompt tokens without the continuation.
    pub prompt_tokens: u32,
    pub max_tokens: u32,
    pub warning: Option<String>,
}

/// Tokenizes a job for `engine`, appends `continuation` (tokens already generated elsewhere) and
/// checks it against the context. CPU work: call off the async runtime.
pub fn prepare(
    engine: &Engine,
    prompt: &Prompt,
    continuation: &[u32],
    max_tokens: Option<u32>,
) -> Result<Prepared, Refusal> {
    let (mut tokens, what) = match prompt {
        Prompt::Chat(msgs) => {
            let mut messages = Vec::with_capacity(msgs.len());
            for (i, (role, content)) in msgs.iter().enumerate() {
                let role = Role::parse(role).ok_or_else(|| {
                    Refusal::new(400, format!("messages[{i}].role `{role}` is not supported"))
                        .param("messages")
                })?;
                messages.push(Message {
                    role,
                    content: content.clone(),
                });
            }
            let t = engine
                .chat_tokens(&messages)
                .map_err(|e| Refusal::new(400, e.to_string()).param("messages"))?;
            (t, "messages")
        }
        Prompt::Text(text) => (engine.text_tokens(text), "prompt"),
    };
    if tokens.is_empty() {
        return Err(Refusal::new(400, format!("{what} is empty")).param(what));
    }
    let prompt_tokens = tokens.len() as u32;
    let ctx = engine.info().ctx_per_slot;
    if prompt_tokens >= ctx {
        return Err(context_exceeded(what, ctx, prompt_tokens));
    }
    let vocab = engine.n_vocab();
    if let Some(bad) = continuation.iter().find(|&&t| t >= vocab) {
        return Err(Refusal::new(
            400,
            format!("continuation token {bad} is outside the {vocab}-token vocabulary"),
        ));
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
        prompt_tokens,
        max_tokens,
        warning,
    })
}

/// 400 `context_length_exceeded`, with the counts (OpenAI's wording).
pub fn context_exceeded(what: &str, ctx: u32, prompt_len: u32) -> Refusal {
    Refusal::new(
        400,
        format!(
            "This model's maximum context length is {ctx} tokens. However, your {what} resulted in \
             {prompt_len} tokens, leaving no room for an answer. Shorten the {what}."
        ),
    )
    .param(what)
    .code("context_length_exceeded")
}

/// A rough wait: the queue ahead divided among the slots, at a second or two per answer.
pub fn retry_after(queued: usize, slots: u32) -> u32 {
    (queued as u32 / slots.max(1)).clamp(1, 60)
}

/// Submits a prepared job to the local engine. Returns the job's event receiver.
pub fn submit_local(
    engine: &Engine,
    p: &Prepared,
    spec: &JobSpec,
    max_tokens: u32,
    priority: i64,
) -> Result<mpsc::Receiver<Event>, Refusal> {
    let (tx, rx) = mpsc::channel(EVENT_CHANNEL);
    let job = Job {
        tokens: p.tokens.clone(),
        max_tokens,
        sampling: spec.sampling.clone(),
        stop: spec.stop.clone(),
        ignore_eos: spec.ignore_eos,
        priority,
        events: tx,
    };
    let info = engine.info();
    engine.submit(job).map_err(|e| match e {
        SubmitError::QueueFull(n) => Refusal::busy(
            format!("Every slot is busy and {n} requests are waiting; retry shortly"),
            retry_after(n, info.slots),
        ),
        SubmitError::Stopped => Refusal::new(503, "The engine is shutting down"),
        SubmitError::EmptyPrompt => Refusal::new(400, "The prompt is empty"),
        SubmitError::TooLong { tokens, ctx } => context_exceeded("prompt", ctx, tokens as u32),
    })?;
    Ok(rx)
}

/// Runs a job on the local engine.
pub async fn local(
    node: &Node,
    engine: Engine,
    spec: &JobSpec,
    guard: Option<JobGuard>,
) -> Result<Routed, Refusal> {
    let e = engine.clone();
    let prompt = spec.prompt.clone();
    let max = spec.max_tokens;
    let p = match tokio::task::spawn_blocking(move || prepare(&e, &prompt, &[], max))
        .await
        .map_err(|e| Refusal::new(500, e.to_string()))
        .and_then(|r| r)
    {
        Ok(p) => p,
        Err(r) => return Err(guard.map_or(r.clone(), |g| refused(&g, r))),
    };
    let model = format!("{}:{}", engine.info().name, engine.info().quant);
    let guard = match guard {
        Some(g) => {
            g.set_prompt(&model, p.prompt_tokens);
            g
        }
        None => node.start_job(&model, p.prompt_tokens),
    };
    guard.run_locally();
    // This node's own requests come first in its queue.
    let events =
        submit_local(&engine, &p, spec, p.max_tokens, i64::MAX).map_err(|r| refused(&guard, r))?;
    Ok(Routed {
        events,
        served_by: node.id().to_string(),
        model,
        prompt_tokens: p.prompt_tokens,
        warning: p.warning,
        guard,
    })
}

/// The model a request without `model` gets: this node's first, else the first a peer serves.
fn default_model(node: &Node) -> Option<String> {
    if let Some(e) = node.engines().first() {
        return Some(e.info().name.clone());
    }
    node.net()?.with_table(|t| {
        t.peers()
            .filter(|p| p.routable())
            .filter_map(|p| {
                p.announcement
                    .as_ref()?
                    .models
                    .first()
                    .map(|m| m.name.clone())
            })
            .next()
    })
}

/// Routes a job (see the module docs for the rules).
pub async fn route(node: &Node, spec: JobSpec) -> Result<Routed, Refusal> {
    let model = spec
        .model
        .clone()
        .or_else(|| default_model(node))
        .ok_or_else(|| {
            Refusal::new(404, "No model is served by this node or its peers").param("model")
        })?;
    let local_engine = node.engine_for(Some(&model)).cloned();
    let net = node.net();
    let peers_capable = net
        .as_ref()
        .is_some_and(|n| n.with_table(|t| t.any_capable(&model)));
    if !peers_capable {
        return match local_engine {
            Some(e) => local(node, e, &spec, None).await,
            None => Err(not_served(node, &model)),
        };
    }
    let net = net.expect("checked");
    let mut guard = node.start_job(&model, 0);
    let mut excluded: Vec<[u8; 32]> = Vec::new();
    let mut last_refusal: Option<Refusal> = None;
    // Peers that judged the request itself bad, with their refusal.
    let mut refused_invalid: Vec<([u8; 32], Refusal)> = Vec::new();
    let started = Instant::now();
    let mut waiting: Option<crate::node::WaitTicket> = None;
    loop {
        let capacity = node.capacity().notified();
        tokio::pin!(capacity);
        capacity.as_mut().enable();
        if let Some(e) = &local_engine
            && !node.paused()
            && let Some(reservation) = e.reserve()
        {
            let r = local(node, e.clone(), &spec, Some(guard)).await;
            drop(reservation);
            return r;
        }
        while let Some(claim) = crate::net::remote::Inflight::claim(&net, &model, &excluded) {
            let peer = claim.peer();
            match crate::net::remote::start(&net, claim, &spec, &model, guard).await {
                Ok(r) => {
                    // Another peer took what these called invalid: they were wrong. (A
                    // context-length refusal is honest: contexts differ between nodes.)
                    for (p, why) in &refused_invalid {
                        if why.code.as_deref() != Some("context_length_exceeded")
                            && why.status != 402
                        {
                            net.with_table(|t| {
                                t.failure(p, "refused a job another peer served", Instant::now())
                            });
                        }
                    }
                    return Ok(r);
                }
                Err((g, refusal)) => {
                    guard = g;
                    tracing::info!(
                        "peer {} did not take a job: {}",
                        hex::encode(&peer[..5]),
                        refusal.message
                    );
                    excluded.push(peer);
                    if !refusal.retryable() && !refused_invalid.iter().any(|(p, _)| *p == peer) {
                        refused_invalid.push((peer, refusal.clone()));
                    }
                    last_refusal = Some(refusal);
                }
            }
        }
        // Every capable node judged the request itself bad (too long, invalid): say so.
        let all_refused = local_engine.is_none()
            && !refused_invalid.is_empty()
            && net.with_table(|t| {
                t.peers()
                    .filter(|p| p.routable() && p.serves(&model).is_some())
                    .all(|p| refused_invalid.iter().any(|(id, _)| *id == p.id))
            });
        if all_refused {
            let r = refused_invalid.last().expect("not empty").1.clone();
            return Err(refused(&guard, r));
        }
        // Not enough credits for any peer, and no model here to fall back on: say so now.
        if local_engine.is_none() && last_refusal.as_ref().is_some_and(|r| r.status == 402) {
            return Err(refused(&guard, last_refusal.expect("checked")));
        }
        if let Some(e) = &local_engine
            && node.paused()
        {
            return local(node, e.clone(), &spec, Some(guard)).await;
        }
        if local_engine.is_none() && !net.with_table(|t| t.any_capable(&model)) {
            let r = last_refusal.unwrap_or_else(|| not_served(node, &model));
            return Err(refused(&guard, r));
        }
        if waiting.is_none() {
            match node.wait_ticket(guard.id()) {
                Some(t) => waiting = Some(t),
                None => {
                    let n = node.settings().queue_limit;
                    return Err(refused(
                        &guard,
                        Refusal::busy(
                            format!(
                                "Every node that serves {model} is busy and {n} requests are waiting; retry shortly"
                            ),
                            retry_after(n, 4),
                        ),
                    ));
                }
            }
        }
        if started.elapsed() > MAX_WAIT {
            return Err(refused(
                &guard,
                Refusal::busy(
                    format!(
                        "No node that serves {model} had room for {}s; retry later",
                        MAX_WAIT.as_secs()
                    ),
                    30,
                ),
            ));
        }
        // Peers that refused for lack of room may have it by the next look; those that judged
        // the request bad stay out.
        excluded.retain(|p| refused_invalid.iter().any(|(id, _)| id == p));
        let _ = tokio::time::timeout(Duration::from_millis(250), capacity).await;
    }
}

/// The job log records why a job was refused.
fn refused(guard: &JobGuard, r: Refusal) -> Refusal {
    guard.refuse(&r.message);
    r
}

/// 404 naming what is served.
fn not_served(node: &Node, model: &str) -> Refusal {
    let mut have: Vec<String> = node
        .engines()
        .iter()
        .map(|e| e.info().name.clone())
        .collect();
    if let Some(net) = node.net() {
        net.with_table(|t| {
            for p in t.peers().filter(|p| p.routable()) {
                for m in p.announcement.iter().flat_map(|a| a.models.iter()) {
                    if !have.contains(&m.name) {
                        have.push(m.name.clone());
                    }
                }
            }
        });
    }
    Refusal::new(
        404,
        format!(
            "The model `{model}` is not served by this node or any reachable peer; available: {}",
            if have.is_empty() {
                "none".to_string()
            } else {
                have.join(", ")
            }
        ),
    )
    .param("model")
    .code("model_not_found")
}
