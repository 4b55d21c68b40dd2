//! The local HTTP API: OpenAI-compatible routes plus `/health`, `/api/status`,
//! `/api/contribution`, `/metrics` and `/tokenize`.
//!
//! Owns request parsing, validation and the response shapes (JSON and server-sent events). Holds
//! only a [`Node`] handle; inference goes through the node's engines, and each job's tokens come
//! back on the job's own bounded channel. A client that disconnects drops that channel's
//! receiver, which cancels the job in the engine.

mod error;
mod openai;

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use error::ApiError;
use openai::{ChatRequest, CompletionRequest, PromptSpec, Validated};

use crate::engine::{EVENT_CHANNEL, Engine, Event, Finish, Job, SubmitError};
use crate::node::{JobGuard, Node};

/// Serves the API on `listener` until `shutdown` is cancelled, then lets running requests end.
pub async fn serve(
    node: Node,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(node))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

pub fn router(node: Node) -> Router {
    let limit = node.settings().max_body_bytes;
    Router::new()
        .route("/health", get(health))
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat))
        .route("/v1/completions", post(completions))
        .route("/api/status", get(status))
        .route("/api/contribution", post(contribution))
        .route("/metrics", get(metrics))
        .route("/tokenize", post(tokenize))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(node.clone(), auth))
        .layer(middleware::from_fn_with_state(node.clone(), name_the_node))
        .with_state(node)
}

/// Every response, errors included, names the node that answered it.
async fn name_the_node(State(node): State<Node>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(node.id()) {
        resp.headers_mut().insert("x-llp-node", v);
    }
    resp
}

/// When the API is bound beyond loopback a bearer token is required (config refuses to start
/// without one). `/health` stays open for load balancers.
async fn auth(State(node): State<Node>, req: Request, next: Next) -> Response {
    if let Some(token) = &node.settings().api_token
        && req.uri().path() != "/health"
    {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_str()) {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Missing or wrong bearer token (Authorization: Bearer ...)",
            )
            .code("invalid_api_key")
            .into_response();
        }
    }
    next.run(req).await
}

async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("No route {} {}", req.method(), req.uri().path()),
    )
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} is not allowed on {}", req.method(), req.uri().path()),
    )
}

async fn health(State(node): State<Node>) -> Response {
    let dead: Vec<String> = node
        .engines()
        .iter()
        .filter(|e| !e.is_alive())
        .map(|e| e.info().name.clone())
        .collect();
    if dead.is_empty() {
        Json(json!({"status": "ok"})).into_response()
    } else {
        let msg = format!("the engine of {} has stopped", dead.join(", "));
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "error", "error": msg})),
        )
            .into_response()
    }
}

async fn models(State(node): State<Node>) -> Json<Value> {
    let created = crate::node::unix_now();
    let data: Vec<Value> = node
        .engines()
        .iter()
        .map(|e| {
            let i = e.info();
            json!({
                "id": i.name,
                "object": "model",
                "created": created,
                "owned_by": "llp",
                "quantizations": [i.quant],
                "context_length": i.ctx_per_slot,
                "served_by": [node.id()],
            })
        })
        .collect();
    Json(json!({"object": "list", "data": data}))
}

async fn status(State(node): State<Node>) -> Response {
    let snap = tokio::task::spawn_blocking(move || node.snapshot()).await;
    match snap {
        Ok(s) => Json(s).into_response(),
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn contribution(State(node): State<Node>, body: Result<Bytes, BytesRejection>) -> Response {
    #[derive(serde::Deserialize)]
    struct Body {
        paused: bool,
    }
    let body = match read_body(body).and_then(|b| openai::parse::<Body>(&b)) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    node.set_paused(body.paused);
    Json(json!({"paused": node.paused()})).into_response()
}

async fn metrics(State(node): State<Node>) -> Response {
    let s = tokio::task::spawn_blocking(move || node.snapshot())
        .await
        .expect("snapshot task");
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<(String, f64)>| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, v) in lines {
            out.push_str(&format!("{name}{labels} {v}\n"));
        }
    };
    let t = &s.totals;
    let counters: [(&str, &str, f64); 9] = [
        (
            "llp_requests_total",
            "Inference requests received.",
            t.requests as f64,
        ),
        (
            "llp_requests_failed_total",
            "Inference requests answered with an error.",
            t.requests_failed as f64,
        ),
        (
            "llp_jobs_cancelled_total",
            "Jobs cancelled because the client went away.",
            t.jobs_cancelled as f64,
        ),
        (
            "llp_prompt_tokens_total",
            "Prompt tokens processed.",
            t.prompt_tokens as f64,
        ),
        (
            "llp_generated_tokens_total",
            "Tokens generated.",
            t.generated_tokens as f64,
        ),
        (
            "llp_prompt_tokens_cached_total",
            "Prompt tokens whose KV entries were reused from a slot's previous job.",
            t.prompt_tokens_cached as f64,
        ),
        (
            "llp_decode_steps_total",
            "llama.cpp decode calls (one batch each).",
            t.decode_steps as f64,
        ),
        (
            "llp_decode_seconds_total",
            "Time in llama.cpp decode calls.",
            t.decode_seconds,
        ),
        (
            "llp_sample_seconds_total",
            "Time sampling tokens after decode calls.",
            t.sample_seconds,
        ),
    ];
    for (name, help, value) in counters {
        metric(name, "counter", help, vec![(String::new(), value)]);
    }
    let per_model = |f: &dyn Fn(&crate::node::ModelStatus) -> f64| {
        s.models
            .iter()
            .map(|m| {
                (
                    format!("{{model=\"{}:{}\"}}", m.info.name, m.info.quant),
                    f(m),
                )
            })
            .collect()
    };
    metric(
        "llp_queue_depth",
        "gauge",
        "Requests waiting for a slot.",
        per_model(&|m| m.queued as f64),
    );
    metric(
        "llp_slots_busy",
        "gauge",
        "Slots generating.",
        per_model(&|m| m.busy_slots as f64),
    );
    metric(
        "llp_slots_total",
        "gauge",
        "Slots.",
        per_model(&|m| m.info.slots as f64),
    );
    metric(
        "llp_contribution_paused",
        "gauge",
        "1 while contributing to others is paused.",
        vec![(String::new(), if s.paused { 1.0 } else { 0.0 })],
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

/// llama-server's `/tokenize`: the token ids of `content` as plain text (BOS added if the model
/// wants one and `add_special` is not false).
async fn tokenize(State(node): State<Node>, body: Result<Bytes, BytesRejection>) -> Response {
    #[derive(serde::Deserialize)]
    struct Body {
        content: String,
        model: Option<String>,
        #[serde(default = "yes")]
        add_special: bool,
    }
    fn yes() -> bool {
        true
    }
    let body = match read_body(body).and_then(|b| openai::parse::<Body>(&b)) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let engine = match pick_engine(&node, body.model.as_deref()) {
        Ok(e) => e,
        Err(e) => return e.into_response(),
    };
    let tokens =
        tokio::task::spawn_blocking(move || engine.tokenize(&body.content, body.add_special))
            .await
            .expect("tokenize task");
    Json(json!({"tokens": tokens.iter().map(|t| t.0).collect::<Vec<_>>()})).into_response()
}

fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is larger than this server accepts",
            )
            .code("request_too_large")
        } else {
            ApiError::bad_request(format!("Could not read the request body: {rej}"))
        }
    })
}

fn pick_engine(node: &Node, model: Option<&str>) -> Result<Engine, ApiError> {
    node.engine_for(model).cloned().ok_or_else(|| {
        let have: Vec<String> = node
            .engines()
            .iter()
            .map(|e| e.info().name.clone())
            .collect();
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "The model `{}` does not exist on this node; it serves: {}",
                model.unwrap_or(""),
                have.join(", ")
            ),
        )
        .param("model")
        .code("model_not_found")
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Chat,
    Text,
}

async fn chat(State(node): State<Node>, body: Result<Bytes, BytesRejection>) -> Response {
    node.count_request();
    let result = async {
        let (req, common): (ChatRequest, _) = openai::parse_request(&read_body(body)?)?;
        let v = common.validate()?;
        let messages = openai::messages(&req.messages)?;
        let engine = pick_engine(&node, req.model.as_deref())?;
        let e = engine.clone();
        let tokens = tokio::task::spawn_blocking(move || e.chat_tokens(&messages))
            .await
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .map_err(|e| ApiError::bad_request(e.to_string()).param("messages"))?;
        run(&node, engine, tokens, v, Kind::Chat).await
    }
    .await;
    result.unwrap_or_else(|e| {
        node.count_failure();
        e.into_response()
    })
}

async fn completions(State(node): State<Node>, body: Result<Bytes, BytesRejection>) -> Response {
    node.count_request();
    let result = async {
        let (req, common): (CompletionRequest, _) = openai::parse_request(&read_body(body)?)?;
        let v = common.validate()?;
        let prompt = match req.prompt {
            PromptSpec::One(p) => p,
            PromptSpec::Many(mut v) if v.len() == 1 => v.remove(0),
            PromptSpec::Many(v) => {
                return Err(ApiError::bad_request(format!(
                    "prompt has {} strings; send one prompt per request",
                    v.len()
                ))
                .param("prompt"));
            }
        };
        let engine = pick_engine(&node, req.model.as_deref())?;
        let e = engine.clone();
        let tokens = tokio::task::spawn_blocking(move || e.text_tokens(&prompt))
            .await
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        if tokens.is_empty() {
            return Err(ApiError::bad_request("prompt is empty").param("prompt"));
        }
        run(&node, engine, tokens, v, Kind::Text).await
    }
    .await;
    result.unwrap_or_else(|e| {
        node.count_failure();
        e.into_response()
    })
}

/// Checks the lengths, queues the job and answers in the requested form.
async fn run(
    node: &Node,
    engine: Engine,
    tokens: Vec<llama_cpp_2::token::LlamaToken>,
    v: Validated,
    kind: Kind,
) -> Result<Response, ApiError> {
    let info = engine.info().clone();
    let ctx = info.ctx_per_slot;
    let prompt_len = tokens.len() as u32;
    if prompt_len >= ctx {
        return Err(context_exceeded(kind, ctx, prompt_len));
    }
    let room = ctx - prompt_len;
    let mut warning = None;
    let max_tokens = match v.max_tokens {
        Some(m) if m > room => {
            warning = Some(format!(
                "max_tokens {m} exceeds the {room} tokens left in the {ctx}-token context after the \
                 {prompt_len}-token prompt; clamped to {room}"
            ));
            room
        }
        Some(m) => m,
        None => room,
    };
    let (tx, rx) = mpsc::channel(EVENT_CHANNEL);
    let job = Job {
        tokens,
        max_tokens,
        sampling: v.sampling,
        stop: v.stop,
        ignore_eos: v.ignore_eos,
        events: tx,
    };
    let guard = node.start_job(&format!("{}:{}", info.name, info.quant), prompt_len);
    engine.submit(job).map_err(|e| match e {
        SubmitError::QueueFull(n) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("Every slot is busy and {n} requests are waiting; retry shortly"),
        )
        .code("server_busy")
        .retry_after(retry_after(n, info.slots)),
        SubmitError::Stopped => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The engine is shutting down",
        ),
        SubmitError::EmptyPrompt => ApiError::bad_request("The prompt is empty"),
        SubmitError::TooLong { tokens, ctx } => context_exceeded(kind, ctx, tokens as u32),
    })?;
    let meta = Meta {
        id: format!(
            "{}-{}",
            if kind == Kind::Chat {
                "chatcmpl"
            } else {
                "cmpl"
            },
            crate::node::random_hex(12)
        ),
        created: crate::node::unix_now(),
        model: format!("{}:{}", info.name, info.quant),
        kind,
    };
    let mut headers = HeaderMap::new();
    // Work served by this node's own hardware costs nothing.
    headers.insert("x-llp-credits", HeaderValue::from_static("0"));
    if let Some(w) = &warning {
        tracing::info!("{w}");
        headers.insert(
            "x-llp-warning",
            HeaderValue::from_str(w).expect("ascii warning"),
        );
    }
    if v.stream {
        let stream = sse_stream(meta, rx, guard, v.include_usage, warning);
        Ok((
            headers,
            Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
        )
            .into_response())
    } else {
        let (status, body) = collect(meta, rx, guard, warning).await;
        Ok((status, headers, Json(body)).into_response())
    }
}

/// 400 `context_length_exceeded`, with the counts (OpenAI's wording).
fn context_exceeded(kind: Kind, ctx: u32, prompt_len: u32) -> ApiError {
    let what = if kind == Kind::Chat {
        "messages"
    } else {
        "prompt"
    };
    ApiError::bad_request(format!(
        "This model's maximum context length is {ctx} tokens. However, your {what} resulted in \
         {prompt_len} tokens, leaving no room for an answer. Shorten the {what}."
    ))
    .param(what)
    .code("context_length_exceeded")
}

/// A rough wait: the queue ahead divided among the slots, at a second or two per answer.
fn retry_after(queued: usize, slots: u32) -> u32 {
    (queued as u32 / slots.max(1)).clamp(1, 60)
}

struct Meta {
    id: String,
    created: u64,
    model: String,
    kind: Kind,
}

impl Meta {
    fn chunk(&self, text: Option<&str>, first: bool, finish: Option<&str>) -> Value {
        match self.kind {
            Kind::Chat => {
                let delta = match (first, text) {
                    (true, _) => json!({"role": "assistant", "content": ""}),
                    (false, Some(t)) => json!({"content": t}),
                    (false, None) => json!({}),
                };
                json!({
                    "id": self.id, "object": self.object(), "created": self.created,
                    "model": self.model,
                    "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
                })
            }
            Kind::Text => json!({
                "id": self.id, "object": self.object(), "created": self.created,
                "model": self.model,
                "choices": [{"index": 0, "text": text.unwrap_or(""), "logprobs": null, "finish_reason": finish}],
            }),
        }
    }

    /// The `object` of a streamed chunk.
    fn object(&self) -> &'static str {
        match self.kind {
            Kind::Chat => "chat.completion.chunk",
            Kind::Text => "text_completion",
        }
    }
}

fn usage(f: &Finish) -> Value {
    json!({
        "prompt_tokens": f.prompt_tokens,
        "completion_tokens": f.completion_tokens,
        "total_tokens": f.prompt_tokens + f.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": f.cached_tokens},
    })
}

fn timings(f: &Finish) -> Value {
    let gen_s = f.generation_time.as_secs_f64();
    json!({
        "time_to_first_token_ms": f.time_to_first_token.as_secs_f64() * 1000.0,
        "prompt_ms": f.prompt_time.as_secs_f64() * 1000.0,
        "generation_ms": gen_s * 1000.0,
        "generation_tokens_per_s": if gen_s > 0.0 { (f.completion_tokens.saturating_sub(1)) as f64 / gen_s } else { 0.0 },
    })
}

/// Counts a text piece; the status table is refreshed every 16 (cheap, and often enough).
fn progress(guard: &JobGuard, pieces: &mut u32) {
    *pieces += 1;
    if pieces.is_multiple_of(16) {
        guard.update("running", *pieces);
    }
}

fn sse_stream(
    meta: Meta,
    mut rx: mpsc::Receiver<Event>,
    guard: JobGuard,
    include_usage: bool,
    warning: Option<String>,
) -> impl futures_util::Stream<Item = Result<SseEvent, Infallible>> {
    let data = |v: Value| Ok::<_, Infallible>(SseEvent::default().data(v.to_string()));
    async_stream::stream! {
        let mut pieces = 0u32;
        let mut ended = false;
        if meta.kind == Kind::Chat {
            yield data(meta.chunk(None, true, None));
        }
        guard.update("running", 0);
        while let Some(ev) = rx.recv().await {
            match ev {
                Event::Text(t) => {
                    progress(&guard, &mut pieces);
                    yield data(meta.chunk(Some(&t), false, None));
                }
                Event::Done(f) => {
                    ended = true;
                    let mut last = meta.chunk(None, false, Some(f.reason.as_str()));
                    if let Some(w) = &warning {
                        last["llp_warning"] = json!(w);
                    }
                    last["llp_timings"] = timings(&f);
                    yield data(last);
                    if include_usage {
                        yield data(json!({
                            "id": meta.id, "object": meta.object(), "created": meta.created,
                            "model": meta.model, "choices": [], "usage": usage(&f),
                        }));
                    }
                    break;
                }
                Event::Failed(msg) => {
                    ended = true;
                    yield data(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, msg).body());
                    break;
                }
            }
        }
        if !ended {
            // The engine dropped the job without a last word: say so rather than end as if whole.
            yield data(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the engine stopped mid-answer").body());
        }
        yield Ok(SseEvent::default().data("[DONE]"));
    }
}

async fn collect(
    meta: Meta,
    mut rx: mpsc::Receiver<Event>,
    guard: JobGuard,
    warning: Option<String>,
) -> (StatusCode, Value) {
    let mut text = String::new();
    let mut pieces = 0u32;
    guard.update("running", 0);
    while let Some(ev) = rx.recv().await {
        match ev {
            Event::Text(t) => {
                text.push_str(&t);
                progress(&guard, &mut pieces);
            }
            Event::Done(f) => {
                let choice = match meta.kind {
                    Kind::Chat => json!({
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "logprobs": null,
                        "finish_reason": f.reason.as_str(),
                    }),
                    Kind::Text => json!({
                        "index": 0, "text": text, "logprobs": null, "finish_reason": f.reason.as_str(),
                    }),
                };
                let mut body = json!({
                    "id": meta.id,
                    "object": if meta.kind == Kind::Chat { "chat.completion" } else { "text_completion" },
                    "created": meta.created,
                    "model": meta.model,
                    "choices": [choice],
                    "usage": usage(&f),
                    "llp_timings": timings(&f),
                });
                if let Some(w) = warning {
                    body["llp_warning"] = json!(w);
                }
                return (StatusCode::OK, body);
            }
            Event::Failed(msg) => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, msg).body(),
                );
            }
        }
    }
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the engine dropped the job",
        )
        .body(),
    )
}
