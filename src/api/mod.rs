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
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use error::ApiError;
use openai::{ChatRequest, CompletionRequest, PromptSpec, Validated};

use crate::engine::text::{Push, TextStream};
use crate::engine::{Engine, Event, Finish, FinishReason};
use crate::net::wire::Prompt;
use crate::node::{JobGuard, Node};
use crate::route::{JobSpec, Kind, Refusal, Routed};

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
        .route("/api/invite", get(invite))
        .route("/api/ledger", get(ledger_export))
        .route("/api/ledger/entries", get(ledger_entries))
        .route("/api/jobs", get(jobs))
        .route("/api/jobs/{id}", get(job))
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
    // A routed job already names the peer that served it.
    if !resp.headers().contains_key("x-llp-node")
        && let Ok(v) = HeaderValue::from_str(node.id())
    {
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

/// Every model this node or a reachable peer serves, with the nodes that serve it.
async fn models(State(node): State<Node>) -> Json<Value> {
    let created = crate::node::unix_now();
    // name -> (quantizations, context length, serving nodes), in first-seen order.
    let mut seen: Vec<(String, Vec<String>, u32, Vec<String>)> = Vec::new();
    let mut add = |name: &str, quant: &str, ctx: u32, by: String| {
        let i = match seen.iter().position(|m| m.0 == name) {
            Some(i) => i,
            None => {
                seen.push((name.to_string(), Vec::new(), ctx, Vec::new()));
                seen.len() - 1
            }
        };
        let m = &mut seen[i];
        if !m.1.iter().any(|q| q == quant) {
            m.1.push(quant.to_string());
        }
        if !m.3.contains(&by) {
            m.3.push(by);
        }
    };
    for e in node.engines() {
        let i = e.info();
        add(&i.name, &i.quant, i.ctx_per_slot, node.id().to_string());
    }
    if let Some(net) = node.net() {
        net.with_table(|t| {
            for p in t.peers().filter(|p| p.routable()) {
                for m in p.announcement.iter().flat_map(|a| a.models.iter()) {
                    add(&m.name, &m.quant, m.ctx, hex::encode(p.id));
                }
            }
        });
    }
    let data: Vec<Value> = seen
        .into_iter()
        .map(|(name, quants, ctx, by)| {
            json!({
                "id": name,
                "object": "model",
                "created": created,
                "owned_by": "llp",
                "quantizations": quants,
                "context_length": ctx,
                "served_by": by,
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

/// The invite ticket of this node's network (`llp invite`).
async fn invite(
    State(node): State<Node>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let Some(net) = node.net() else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "This node runs without the peer network (an embedded node); start `llp serve`",
        )
        .into_response();
    };
    let with_secret = q.get("secret").map(|s| s != "false").unwrap_or(true);
    Json(json!({
        "ticket": net.ticket(with_secret),
        "network": net.config().network,
        "private": !net.config().secret.is_empty(),
    }))
    .into_response()
}

/// The ledger as an export (JSON lines ending in the signed head), for `llp ledger` and
/// auditors.
async fn ledger_export(State(node): State<Node>) -> Response {
    let Some(ledger) = node.ledger() else {
        return ApiError::new(StatusCode::NOT_FOUND, "This node keeps no ledger").into_response();
    };
    match tokio::task::spawn_blocking(move || ledger.export()).await {
        Ok(Ok(text)) => ([(header::CONTENT_TYPE, "application/x-ndjson")], text).into_response(),
        Ok(Err(e)) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
        }
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// `?after=SEQ&limit=N`: ledger entries after SEQ (from the first without it), as listings.
async fn ledger_entries(State(node): State<Node>, q: QueryResult) -> Response {
    let q = match after_query(q) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let Some(ledger) = node.ledger() else {
        return ApiError::new(StatusCode::NOT_FOUND, "This node keeps no ledger").into_response();
    };
    let limit = q.limit.unwrap_or(1000).min(10_000);
    match tokio::task::spawn_blocking(move || ledger.lines_after(q.after, limit)).await {
        Ok(Ok(lines)) => Json(json!({"entries": lines})).into_response(),
        Ok(Err(e)) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
        }
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

type QueryResult = Result<Query<AfterQuery>, axum::extract::rejection::QueryRejection>;

#[derive(serde::Deserialize)]
struct AfterQuery {
    after: Option<u64>,
    limit: Option<usize>,
}

/// A bad query string gets OpenAI's error shape, like every other bad request.
fn after_query(q: QueryResult) -> Result<AfterQuery, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request(e.body_text()))
}

/// `?after=SEQ&limit=N`: the job log, ended jobs after log seq SEQ, oldest first.
async fn jobs(State(node): State<Node>, q: QueryResult) -> Response {
    let q = match after_query(q) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let limit = q.limit.unwrap_or(crate::node::JOB_LOG_LEN);
    let (jobs, last) = node.job_log(q.after.unwrap_or(0), limit);
    Json(json!({"jobs": jobs, "last": last})).into_response()
}

/// One job, running or in the log, with its prompt, answer, timings, route and settlements.
async fn job(State(node): State<Node>, Path(id): Path<String>) -> Response {
    match node.job(&id) {
        Some(j) => Json(j).into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "No job `{id}` is running or in the job log (it keeps the last {})",
                crate::node::JOB_LOG_LEN
            ),
        )
        .into_response(),
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

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        let mut e = ApiError::new(
            StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            r.message,
        );
        if let Some(c) = r.code {
            e = e.code(c);
        }
        if let Some(p) = r.param {
            e = e.param(p);
        }
        if let Some(s) = r.retry_after {
            e = e.retry_after(s);
        }
        e
    }
}

async fn chat(State(node): State<Node>, body: Result<Bytes, BytesRejection>) -> Response {
    node.count_request();
    let result = async {
        let (req, common): (ChatRequest, _) = openai::parse_request(&read_body(body)?)?;
        let v = common.validate()?;
        let messages = openai::messages(&req.messages)?;
        let prompt = Prompt::Chat(
            messages
                .into_iter()
                .map(|m| (m.role.as_str().to_string(), m.content))
                .collect(),
        );
        run(&node, req.model, prompt, v).await
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
        if prompt.is_empty() {
            return Err(ApiError::bad_request("prompt is empty").param("prompt"));
        }
        run(&node, req.model, Prompt::Text(prompt), v).await
    }
    .await;
    result.unwrap_or_else(|e| {
        node.count_failure();
        e.into_response()
    })
}

/// Routes the job (this node or a peer) and answers in the requested form.
async fn run(
    node: &Node,
    model: Option<String>,
    prompt: Prompt,
    v: Validated,
) -> Result<Response, ApiError> {
    let spec = JobSpec {
        model,
        prompt,
        max_tokens: v.max_tokens,
        sampling: v.sampling,
        stop: v.stop,
        ignore_eos: v.ignore_eos,
    };
    let kind = spec.kind();
    let stops = spec.stop.clone();
    let prompt = crate::node::prompt_text(&spec.prompt);
    let routed = crate::route::route(node, spec).await?;
    routed.guard.set_prompt_text(prompt);
    routed.guard.set_warning(routed.warning.as_deref());
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
        model: routed.model.clone(),
        kind,
    };
    let mut headers = HeaderMap::new();
    // A job this node serves itself is free. A peer's job is settled when it ends, after a
    // streamed response's headers left: its cost is in the last chunk's `usage.llp_credits`.
    let local = routed.served_by == node.id();
    if local || !v.stream {
        headers.insert("x-llp-credits", HeaderValue::from_static("0"));
    }
    if let Ok(v) = HeaderValue::from_str(&routed.served_by) {
        headers.insert("x-llp-node", v);
    }
    let warning = routed.warning.clone();
    if let Some(w) = &warning {
        tracing::info!("{w}");
        // A peer wrote it: only printable ASCII goes into a header.
        let clean: String = w
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        if let Ok(v) = HeaderValue::from_str(&clean) {
            headers.insert("x-llp-warning", v);
        }
    }
    let text = TextStream::new(stops);
    if v.stream {
        let stream = sse_stream(meta, routed, text, v.include_usage, warning);
        Ok((
            headers,
            Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
        )
            .into_response())
    } else {
        let (status, body) = collect(meta, routed, text, warning).await;
        if let Some(c) = body.pointer("/usage/llp_credits").and_then(Value::as_u64) {
            headers.insert("x-llp-credits", HeaderValue::from(c));
        }
        Ok((status, headers, Json(body)).into_response())
    }
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
        "total_tokens": f.prompt_tokens.saturating_add(f.completion_tokens),
        "prompt_tokens_details": {"cached_tokens": f.cached_tokens},
        "llp_credits": f.credits,
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

/// Counts a token; the status table is refreshed every 16 (cheap, and often enough).
fn progress(guard: &JobGuard, tokens: &mut u32) {
    *tokens += 1;
    if tokens.is_multiple_of(16) {
        guard.update("running", *tokens);
    }
}

/// What one event means for the answer's text.
enum Step {
    Text(String),
    /// A stop sequence matched (the text before it), or the job ended.
    End(String, Finish),
    Failed(String),
}

/// Turns the job's events into text: whole UTF-8 characters only, stop sequences cut, whichever
/// nodes produced the tokens. A stop sequence seen here ends the answer even if the node that
/// produced it (after a failover, without the text before) did not notice it.
struct Reader {
    routed: Routed,
    text: TextStream,
    tokens: u32,
    started: std::time::Instant,
    first: Option<std::time::Instant>,
}

impl Reader {
    fn new(routed: Routed, text: TextStream) -> Self {
        routed.guard.update("running", 0);
        Reader {
            routed,
            text,
            tokens: 0,
            started: std::time::Instant::now(),
            first: None,
        }
    }

    /// The next step, also written to the job log.
    async fn next(&mut self) -> Option<Step> {
        let step = self.step().await;
        match &step {
            Some(Step::End(_, f)) => self.routed.guard.finish(f),
            Some(Step::Failed(msg)) => self.routed.guard.fail(msg),
            _ => {}
        }
        step
    }

    async fn step(&mut self) -> Option<Step> {
        let ev = self.routed.events.recv().await;
        Some(match ev {
            Some(Event::Token { piece, .. }) => {
                progress(&self.routed.guard, &mut self.tokens);
                self.routed.guard.push_output(&piece);
                self.first.get_or_insert_with(std::time::Instant::now);
                match self.text.push(&piece) {
                    Push::Emit(t) => Step::Text(t),
                    Push::Stop(t) => {
                        // The producing node normally ends the job at the same token; its
                        // `Done` carries the exact counts and timings.
                        let f = match self.routed.events.recv().await {
                            Some(Event::Done(f)) => f,
                            _ => self.own_finish(FinishReason::Stop),
                        };
                        Step::End(
                            t,
                            Finish {
                                reason: FinishReason::Stop,
                                ..f
                            },
                        )
                    }
                }
            }
            Some(Event::Done(f)) => Step::End(self.text.finish(), f),
            Some(Event::Failed(msg)) => Step::Failed(msg),
            None => Step::Failed("the node serving this job stopped mid-answer".into()),
        })
    }

    /// Counts from what this side saw, when no node reported them.
    fn own_finish(&self, reason: FinishReason) -> Finish {
        let first = self.first.unwrap_or(self.started);
        Finish {
            reason,
            prompt_tokens: self.routed.prompt_tokens,
            cached_tokens: 0,
            completion_tokens: self.tokens,
            time_to_first_token: first.duration_since(self.started),
            prompt_time: Duration::ZERO,
            generation_time: first.elapsed(),
            credits: 0,
        }
    }
}

fn sse_stream(
    meta: Meta,
    routed: Routed,
    text: TextStream,
    include_usage: bool,
    warning: Option<String>,
) -> impl futures_util::Stream<Item = Result<SseEvent, Infallible>> {
    let data = |v: Value| Ok::<_, Infallible>(SseEvent::default().data(v.to_string()));
    async_stream::stream! {
        let mut reader = Reader::new(routed, text);
        if meta.kind == Kind::Chat {
            yield data(meta.chunk(None, true, None));
        }
        while let Some(step) = reader.next().await {
            match step {
                Step::Text(t) => {
                    if !t.is_empty() {
                        yield data(meta.chunk(Some(&t), false, None));
                    }
                }
                Step::End(t, f) => {
                    if !t.is_empty() {
                        yield data(meta.chunk(Some(&t), false, None));
                    }
                    let mut last = meta.chunk(None, false, Some(f.reason.as_str()));
                    if let Some(w) = &warning {
                        last["llp_warning"] = json!(w);
                    }
                    last["llp_timings"] = timings(&f);
                    last["llp_served_by"] = json!(reader.routed.guard.served_by());
                    // The headers left before a peer's job was settled: its cost comes here.
                    last["llp_credits"] = json!(f.credits);
                    yield data(last);
                    if include_usage {
                        yield data(json!({
                            "id": meta.id, "object": meta.object(), "created": meta.created,
                            "model": meta.model, "choices": [], "usage": usage(&f),
                        }));
                    }
                    break;
                }
                Step::Failed(msg) => {
                    yield data(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, msg).body());
                    break;
                }
            }
        }
        yield Ok(SseEvent::default().data("[DONE]"));
    }
}

async fn collect(
    meta: Meta,
    routed: Routed,
    text: TextStream,
    warning: Option<String>,
) -> (StatusCode, Value) {
    let mut reader = Reader::new(routed, text);
    let mut answer = String::new();
    while let Some(step) = reader.next().await {
        match step {
            Step::Text(t) => answer.push_str(&t),
            Step::End(t, f) => {
                answer.push_str(&t);
                let choice = match meta.kind {
                    Kind::Chat => json!({
                        "index": 0,
                        "message": {"role": "assistant", "content": answer},
                        "logprobs": null,
                        "finish_reason": f.reason.as_str(),
                    }),
                    Kind::Text => json!({
                        "index": 0, "text": answer, "logprobs": null, "finish_reason": f.reason.as_str(),
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
                    "llp_served_by": reader.routed.guard.served_by(),
                });
                if let Some(w) = warning {
                    body["llp_warning"] = json!(w);
                }
                return (StatusCode::OK, body);
            }
            Step::Failed(msg) => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, msg).body(),
                );
            }
        }
    }
    unreachable!("the reader always ends with a last step")
}
