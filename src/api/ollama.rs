//! Ollama's API, for the applications that speak only it: `GET /api/tags`, `GET /api/version`,
//! `POST /api/show`, `POST /api/chat`, `POST /api/generate` and `POST /api/embed`, in Ollama's
//! shapes, streamed as newline-delimited JSON (Ollama streams unless told `"stream": false`).
//! The jobs are the same as the OpenAI routes' (routed to peers, paid, checked alike); only the
//! shapes differ. Ollama's routes for managing models (`pull`, `push`, `create`, `copy`,
//! `delete`) answer 501 with what to use instead. None of these names is one of `llp`'s own
//! `/api/*` routes (status, contribution, invite, ledger, jobs, proofs), which stay as they are.

use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::answer::{Choice, Reader, Shape, Step};
use super::{ApiError, embed, openai, read_body};
use crate::engine::constrain::needs_template;
use crate::ids::ModelRef;
use crate::job::{
    ChatMsg, Constraints, Finish, Format, Kind, Prompt, Sampling, Spec, ToolCall, ToolChoice,
    check_constraints, check_stops,
};
use crate::route::Router;

/// The Ollama version this API answers as (the shapes of Ollama 0.6 and later).
const OLLAMA_VERSION: &str = "0.6.0";

/// An error in Ollama's shape: `{"error": "..."}`.
pub(super) fn error(e: &ApiError) -> Response {
    let body = match &e.param {
        Some(p) => format!("{} (field `{p}`)", e.message),
        None => e.message.clone(),
    };
    (e.status, Json(json!({ "error": body }))).into_response()
}

fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

fn nanos(d: Duration) -> u64 {
    d.as_nanos().min(u128::from(u64::MAX)) as u64
}

pub(super) async fn version() -> Json<Value> {
    Json(json!({ "version": OLLAMA_VERSION, "llp_version": crate::node::VERSION }))
}

/// The variants served here and by peers, as Ollama lists its models.
pub(super) async fn tags(State(r): State<Router>) -> Json<Value> {
    let mut models: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for e in r.node().engines().iter() {
        let i = e.info();
        let name = i.id().to_string();
        seen.insert(name.clone());
        models.push(json!({
            "name": name, "model": name, "modified_at": now(),
            "size": i.size_bytes, "digest": "",
            "details": details(&i.quant, i.parameters, e.embeds()),
        }));
    }
    if let Some(net) = r.net() {
        net.with_table(|t| {
            for p in t.peers().filter(|p| p.routable()) {
                for m in p.announcement.iter().flat_map(|a| a.models.iter()) {
                    let name = m.id().to_string();
                    if seen.insert(name.clone()) {
                        models.push(json!({
                            "name": name, "model": name, "modified_at": now(), "size": 0,
                            "digest": "", "details": details(&m.quant, 0, false),
                        }));
                    }
                }
            }
        });
    }
    Json(json!({ "models": models }))
}

fn details(quant: &str, parameters: u64, embeds: bool) -> Value {
    let size = if parameters >= 1_000_000_000 {
        format!("{:.1}B", parameters as f64 / 1e9)
    } else if parameters > 0 {
        format!("{}M", parameters / 1_000_000)
    } else {
        String::new()
    };
    json!({
        "format": "gguf", "parameter_size": size,
        "quantization_level": quant.to_ascii_uppercase(),
        "family": if embeds { "bert" } else { "" },
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct ShowRequest {
    model: Option<String>,
    name: Option<String>,
}

/// A model's details and what it can do (`completion`, `tools`, `embedding`).
pub(super) async fn show(State(r): State<Router>, body: Result<Bytes, BytesRejection>) -> Response {
    let result = async {
        let req: ShowRequest = openai::parse(&read_body(body)?)?;
        let name = req
            .model
            .or(req.name)
            .ok_or_else(|| ApiError::bad_request("model is missing").param("model"))?;
        let want = ModelRef::parse(&name);
        let caps = |embeds: bool, tools: bool| {
            if embeds {
                vec!["embedding"]
            } else if tools {
                vec!["completion", "tools"]
            } else {
                vec!["completion"]
            }
        };
        if let Some(e) = r.node().engine_for(Some(&want)) {
            let i = e.info();
            return Ok(Json(json!({
                "modelfile": "", "parameters": "", "template": "",
                "details": details(&i.quant, i.parameters, e.embeds()),
                "model_info": {
                    "general.parameter_count": i.parameters,
                    "llp.context_length": i.ctx_per_slot,
                    "llp.context_length_trained": i.context_train,
                },
                "capabilities": caps(e.embeds(), e.supports_tools()),
                "modified_at": now(),
            }))
            .into_response());
        }
        // A peer's model: what its announcement says.
        let ad = r.net().and_then(|net| {
            net.with_table(|t| {
                t.peers()
                    .filter(|p| p.routable())
                    .find_map(|p| p.serves(&want).cloned())
            })
        });
        let ad = ad.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("model `{name}` is not served by this node or its peers"),
            )
        })?;
        let has = |f: &str| ad.features.iter().any(|x| x == f);
        let embeds = has(crate::net::wire::FEATURE_EMBED);
        Ok(Json(json!({
            "modelfile": "", "parameters": "", "template": "",
            "details": details(&ad.quant, 0, embeds),
            "model_info": {"llp.context_length": ad.ctx},
            "capabilities": caps(embeds, has(crate::net::wire::FEATURE_TOOLS)),
            "modified_at": now(),
        }))
        .into_response())
    }
    .await;
    result.unwrap_or_else(|e| error(&e))
}

/// Ollama's generation options that map to a job's.
#[derive(Debug, Default, Deserialize)]
struct Options {
    temperature: Option<f32>,
    top_p: Option<f32>,
    seed: Option<i64>,
    num_predict: Option<i64>,
    stop: Option<Vec<String>>,
    frequency_penalty: Option<f32>,
    presence_penalty: Option<f32>,
}

#[derive(Debug, Deserialize)]
struct OMessage {
    role: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    tool_calls: Vec<OCall>,
    #[serde(default)]
    tool_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct OCall {
    function: OFunction,
}

#[derive(Debug, Deserialize)]
struct OFunction {
    name: String,
    #[serde(default)]
    arguments: Value,
}

#[derive(Debug, Deserialize)]
pub(super) struct ChatRequest {
    model: Option<String>,
    #[serde(default)]
    messages: Vec<OMessage>,
    #[serde(default)]
    tools: Vec<openai::ToolSpec>,
    format: Option<Value>,
    options: Option<Options>,
    stream: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub(super) struct GenerateRequest {
    model: Option<String>,
    #[serde(default)]
    prompt: String,
    system: Option<String>,
    #[serde(default)]
    raw: bool,
    format: Option<Value>,
    options: Option<Options>,
    stream: Option<bool>,
}

/// `format`: `"json"` or a JSON schema.
fn format(f: Option<&Value>) -> Result<Option<Format>, ApiError> {
    match f {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s == "json" => Ok(Some(Format::Json)),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(s @ Value::Object(_)) => {
            crate::job::schema::check(s)
                .map_err(|e| ApiError::bad_request(format!("format: {e}")).param("format"))?;
            crate::engine::chat::schema_grammar(s)
                .map_err(|e| ApiError::bad_request(format!("format: {e}")).param("format"))?;
            Ok(Some(Format::Schema(s.clone())))
        }
        Some(other) => Err(ApiError::bad_request(format!(
            "format must be \"json\" or a JSON schema, not {other}"
        ))
        .param("format")),
    }
}

/// The job of a request, from its options (Ollama's defaults: temperature 0.8, top_p 0.9).
fn spec(
    model: Option<String>,
    prompt: Prompt,
    o: Option<Options>,
    constraints: Constraints,
    policy: crate::route::policy::Policy,
) -> Result<Spec, ApiError> {
    let o = o.unwrap_or_default();
    let sampling = Sampling {
        temperature: o.temperature.unwrap_or(0.8),
        top_p: o.top_p.unwrap_or(0.9),
        seed: o.seed.map(|s| s as u64),
        frequency_penalty: o.frequency_penalty.unwrap_or(0.0),
        presence_penalty: o.presence_penalty.unwrap_or(0.0),
    };
    sampling.check().map_err(ApiError::from)?;
    let stop: Vec<String> = o
        .stop
        .unwrap_or_default()
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    check_stops(&stop).map_err(ApiError::from)?;
    check_constraints(&constraints).map_err(ApiError::from)?;
    Ok(Spec {
        model: model.as_deref().map(ModelRef::parse),
        prompt,
        max_tokens: o
            .num_predict
            .filter(|n| *n > 0)
            .map(|n| n.min(i64::from(u32::MAX)) as u32),
        sampling,
        stop,
        ignore_eos: false,
        constraints,
        logprobs: None,
        policy,
    })
}

pub(super) async fn chat(
    State(r): State<Router>,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    r.node().count_request();
    let result = async {
        let policy = super::request_policy(&r, &headers, &Default::default())?;
        let req: ChatRequest = openai::parse(&read_body(body)?)?;
        if req.messages.is_empty() {
            return Err(ApiError::bad_request("messages is empty").param("messages"));
        }
        let mut msgs = Vec::with_capacity(req.messages.len());
        for (i, m) in req.messages.iter().enumerate() {
            if crate::engine::Role::parse(&m.role).is_none() && m.role != "tool" {
                return Err(ApiError::bad_request(format!(
                    "messages[{i}].role `{}` is not supported; use system, user, assistant or tool",
                    m.role
                ))
                .param(format!("messages[{i}].role")));
            }
            // Ollama names the tool a result answers, not a call id: the name serves as one.
            let tool_calls = m
                .tool_calls
                .iter()
                .map(|c| ToolCall {
                    id: c.function.name.clone(),
                    name: c.function.name.clone(),
                    arguments: match &c.function.arguments {
                        Value::String(s) => s.clone(),
                        v => v.to_string(),
                    },
                })
                .collect();
            msgs.push(ChatMsg {
                role: m.role.clone(),
                content: m.content.clone(),
                tool_calls,
                tool_call_id: (m.role == "tool").then(|| m.tool_name.clone().unwrap_or_default()),
            });
        }
        let tools = openai::tools(&req.tools)?;
        let constraints = Constraints {
            tools,
            tool_choice: ToolChoice::Auto,
            parallel_tool_calls: true,
            format: format(req.format.as_ref())?,
        };
        let spec = spec(
            req.model,
            Prompt::Chat(msgs),
            req.options,
            constraints,
            policy,
        )?;
        run(&r, spec, req.stream.unwrap_or(true), true).await
    }
    .await;
    result.unwrap_or_else(|e| {
        r.node().count_failure();
        error(&e)
    })
}

pub(super) async fn generate(
    State(r): State<Router>,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    r.node().count_request();
    let result = async {
        let policy = super::request_policy(&r, &headers, &Default::default())?;
        let req: GenerateRequest = openai::parse(&read_body(body)?)?;
        let constraints = Constraints {
            format: format(req.format.as_ref())?,
            ..Constraints::default()
        };
        if req.prompt.is_empty() {
            // Ollama loads the model and answers empty: here, the model is there or not.
            let want = req.model.as_deref().map(ModelRef::parse);
            let model = req.model.clone().unwrap_or_default();
            return Ok(ndjson_one(json!({
                "model": model, "created_at": now(), "response": "", "done": true,
                "done_reason": if r.node().engine_for(want.as_ref()).is_some() { "load" } else { "unload" },
            })));
        }
        // Ollama renders a prompt with the model's template unless `raw`: a user turn here.
        let prompt = if req.raw {
            Prompt::Text(req.prompt)
        } else {
            let mut m = Vec::new();
            if let Some(s) = req.system {
                m.push(ChatMsg::new("system", s));
            }
            m.push(ChatMsg::new("user", req.prompt));
            Prompt::Chat(m)
        };
        let spec = spec(req.model, prompt, req.options, constraints, policy)?;
        run(&r, spec, req.stream.unwrap_or(true), false).await
    }
    .await;
    result.unwrap_or_else(|e| {
        r.node().count_failure();
        error(&e)
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct EmbedRequest {
    model: Option<String>,
    input: Value,
}

pub(super) async fn embed(
    State(r): State<Router>,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    r.node().count_request();
    let result = async {
        let policy = super::request_policy(&r, &headers, &Default::default())?;
        let req: EmbedRequest = openai::parse(&read_body(body)?)?;
        let texts = embed::inputs(&req.input, "input")?;
        let started = std::time::Instant::now();
        let (vectors, f, routed) = embed::run_embed(&r, req.model, texts, policy).await?;
        Ok(Json(json!({
            "model": routed.model,
            "embeddings": vectors,
            "total_duration": nanos(started.elapsed()),
            "load_duration": 0,
            "prompt_eval_count": f.prompt_tokens,
        }))
        .into_response())
    }
    .await;
    result.unwrap_or_else(|e| {
        r.node().count_failure();
        error(&e)
    })
}

/// Ollama's routes for managing models, which `llp` does its own way.
pub(super) async fn unsupported() -> Response {
    error(&ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "llp manages models with `llp models fetch NAME` and its catalog (models.toml); \
         Ollama's push, create, copy and delete are not served (pull is)",
    ))
}

fn ndjson_one(v: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        format!("{v}\n"),
    )
        .into_response()
}

/// Routes the job and answers in Ollama's shape: a line per piece while streaming, then the
/// last with the counts; or one object.
/// `chat`: `/api/chat`'s shape (a message), else `/api/generate`'s (a response).
async fn run(r: &Router, spec: Spec, stream: bool, chat: bool) -> Result<Response, ApiError> {
    let shape = Shape {
        kind: Kind::Chat,
        parsed: spec.kind() == Kind::Chat && needs_template(&spec.prompt, &spec.constraints),
        logprobs: false,
    };
    let stops = spec.stop.clone();
    let log = crate::node::jobs::prompt_log(&spec.prompt);
    let routed = r.route(spec).await?;
    routed.guard.set_prompt_text(log);
    let lines = Lines {
        model: routed.model.clone(),
        chat,
        started: std::time::Instant::now(),
    };
    let reader = Reader::new(routed, stops);
    if stream {
        Ok((
            [(header::CONTENT_TYPE, "application/x-ndjson")],
            Body::from_stream(ndjson(reader, shape, lines)),
        )
            .into_response())
    } else {
        whole(reader, shape, &lines).await
    }
}

/// The lines of an answer in Ollama's shape.
struct Lines {
    model: String,
    chat: bool,
    started: std::time::Instant,
}

impl Lines {
    /// A piece of the answer (with tool calls, whole).
    fn piece(&self, content: &str, calls: Option<Value>) -> Value {
        if self.chat {
            let mut m = json!({"role": "assistant", "content": content});
            if let Some(c) = calls {
                m["tool_calls"] = c;
            }
            json!({"model": self.model, "created_at": now(), "message": m, "done": false})
        } else {
            json!({"model": self.model, "created_at": now(), "response": content, "done": false})
        }
    }

    /// `v` as the last line: done, why, and the counts and durations.
    fn last(&self, mut v: Value, f: &Finish) -> Value {
        v["done"] = json!(true);
        v["done_reason"] = json!(if f.reason == crate::job::FinishReason::Length {
            "length"
        } else {
            "stop"
        });
        v["total_duration"] = json!(nanos(self.started.elapsed()));
        v["load_duration"] = json!(0);
        v["prompt_eval_count"] = json!(f.prompt_tokens);
        v["prompt_eval_duration"] = json!(nanos(f.prompt_time));
        v["eval_count"] = json!(f.completion_tokens);
        v["eval_duration"] = json!(nanos(f.generation_time));
        v
    }
}

/// The whole answer as one object.
async fn whole(mut reader: Reader, shape: Shape, lines: &Lines) -> Result<Response, ApiError> {
    let mut c = Choice::default();
    loop {
        match reader.next().await {
            Some(Step::Out(out)) => shape.add(&mut c, &out),
            Some(Step::End(out, f)) => {
                shape.add(&mut c, &out);
                let v = lines.piece(&c.content, calls(&c));
                return Ok(Json(lines.last(v, &f)).into_response());
            }
            Some(Step::Failed(m)) => {
                return Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, m));
            }
            None => {
                return Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the job ended without an answer",
                ));
            }
        }
    }
}

/// The answer as newline-delimited JSON, a line per piece.
fn ndjson(
    mut reader: Reader,
    shape: Shape,
    lines: Lines,
) -> impl futures_util::Stream<Item = Result<String, std::convert::Infallible>> {
    async_stream::stream! {
        let mut c = Choice::default();
        while let Some(step) = reader.next().await {
            match step {
                Step::Out(out) => {
                    let before = c.content.len();
                    shape.add(&mut c, &out);
                    if c.content.len() > before {
                        yield Ok(format!("{}\n", lines.piece(&c.content[before..], None)));
                    }
                }
                Step::End(out, f) => {
                    let before = c.content.len();
                    shape.add(&mut c, &out);
                    // Ollama sends tool calls whole, in a message of their own.
                    if c.content.len() > before || !c.calls.is_empty() {
                        yield Ok(format!("{}\n", lines.piece(&c.content[before..], calls(&c))));
                    }
                    yield Ok(format!("{}\n", lines.last(lines.piece("", None), &f)));
                    break;
                }
                Step::Failed(m) => {
                    yield Ok(format!("{}\n", json!({"error": m})));
                    break;
                }
            }
        }
    }
}

/// Ollama's tool calls: arguments as a JSON object.
fn calls(c: &Choice) -> Option<Value> {
    (!c.calls.is_empty()).then(|| {
        c.calls
            .iter()
            .map(|(_, name, args)| {
                let arguments: Value = serde_json::from_str(args).unwrap_or_else(|_| json!(args));
                json!({"function": {"name": name, "arguments": arguments}})
            })
            .collect()
    })
}
