//! The completion routes, `/v1/chat/completions` and `/v1/completions`: a request becomes a
//! [`Spec`], the router places it, and its events become OpenAI's answer, streamed as
//! server-sent events or collected into one body.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::answer::{Choice, Reader, Shape, Step};
use super::openai::{ChatRequest, CompletionRequest, PromptSpec, Validated};
use super::{ApiError, openai, read_body};
use crate::engine::constrain::needs_template;
use crate::ids::{ModelRef, random_hex, unix_now};
use crate::job::{Finish, Kind, Prompt, Spec};
use crate::node::jobs::prompt_log;
use crate::route::Router;

pub(super) async fn chat(
    State(r): State<Router>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    r.node().count_request();
    let result = async {
        let (req, common): (ChatRequest, _) = openai::parse_request(&read_body(body)?)?;
        let v = common.validate(true)?;
        let policy = super::request_policy(&r, &headers, &v.rules)?;
        let prompt = Prompt::Chat(openai::messages(&req.messages)?);
        run(&r, req.model, prompt, v, policy).await
    }
    .await;
    result.unwrap_or_else(|e| {
        r.node().count_failure();
        e.into_response()
    })
}

pub(super) async fn completions(
    State(r): State<Router>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    r.node().count_request();
    let result = async {
        let (req, common): (CompletionRequest, _) = openai::parse_request(&read_body(body)?)?;
        let v = common.validate(false)?;
        let policy = super::request_policy(&r, &headers, &v.rules)?;
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
        run(&r, req.model, Prompt::Text(prompt), v, policy).await
    }
    .await;
    result.unwrap_or_else(|e| {
        r.node().count_failure();
        e.into_response()
    })
}

/// One job per choice, each routed (a refusal of any refuses the request).
async fn route_choices(
    r: &Router,
    model: Option<String>,
    prompt: &Prompt,
    v: &Validated,
    policy: &crate::route::policy::Policy,
) -> Result<Vec<Reader>, ApiError> {
    let log = prompt_log(prompt);
    let mut jobs = Vec::with_capacity(v.n as usize);
    for i in 0..v.n {
        let mut sampling = v.sampling.clone();
        // Each choice its own draw; with a seed, the same draws again for the same request.
        sampling.seed = sampling.seed.map(|s| s.wrapping_add(u64::from(i)));
        let spec = Spec {
            model: model.as_deref().map(ModelRef::parse),
            prompt: prompt.clone(),
            max_tokens: v.max_tokens,
            sampling,
            stop: v.stop.clone(),
            ignore_eos: v.ignore_eos,
            constraints: v.constraints.clone(),
            logprobs: v.logprobs,
            policy: policy.clone(),
        };
        let routed = r.route(spec).await?;
        routed.guard.set_prompt_text(log.clone());
        routed.guard.set_warning(routed.warning.as_deref());
        jobs.push(Reader::new(routed, v.stop.clone()));
    }
    Ok(jobs)
}

/// Routes the request's jobs (one per choice; this node or peers) and answers in the requested
/// form. Every choice is placed before the answer starts: a refusal refuses the request.
async fn run(
    r: &Router,
    model: Option<String>,
    prompt: Prompt,
    v: Validated,
    policy: crate::route::policy::Policy,
) -> Result<Response, ApiError> {
    let shape = Shape {
        kind: prompt.kind(),
        parsed: prompt.kind() == Kind::Chat && needs_template(&prompt, &v.constraints),
        logprobs: v.logprobs.is_some(),
    };
    let jobs = route_choices(r, model, &prompt, &v, &policy).await?;
    let first = &jobs[0].routed;
    let kind = shape.kind;
    let meta = Meta {
        id: format!(
            "{}-{}",
            if kind == Kind::Chat {
                "chatcmpl"
            } else {
                "cmpl"
            },
            random_hex(12)
        ),
        created: unix_now(),
        model: first.model.clone(),
        kind,
        served_variant: json!({"variant": first.model, "why": first.why}),
    };
    let mut headers = HeaderMap::new();
    // A job this node serves itself is free. A peer's job is settled when it ends, after a
    // streamed response's headers left: its cost is in the last chunk's `usage.llp_credits`.
    let local = jobs.iter().all(|j| j.routed.served_by == r.node().id());
    if local || !v.stream {
        headers.insert("x-llp-credits", HeaderValue::from_static("0"));
    }
    if let Ok(v) = HeaderValue::from_str(&first.served_by.to_string()) {
        headers.insert("x-llp-node", v);
    }
    // The job's id, for its story in `/api/jobs/{id}` (route, failovers, checks, payments).
    if let Ok(v) = HeaderValue::from_str(&first.guard.id().to_string()) {
        headers.insert("x-llp-job", v);
    }
    if let Some(u) = first.guard.fallback()
        && let Ok(v) = HeaderValue::from_str(&header_text(&u.model))
    {
        headers.insert("x-llp-fallback", v);
    }
    // A peer's words: only printable ASCII goes into a header.
    for (name, text) in [
        ("x-llp-variant", &first.model),
        ("x-llp-variant-why", &first.why),
    ] {
        if let Ok(v) = HeaderValue::from_str(&header_text(text)) {
            headers.insert(name, v);
        }
    }
    let warning = first.warning.clone();
    if let Some(w) = &warning {
        tracing::info!("{w}");
        if let Ok(v) = HeaderValue::from_str(&header_text(w)) {
            headers.insert("x-llp-warning", v);
        }
    }
    if v.stream {
        let stream = sse_stream(meta, shape, jobs, v.include_usage, warning);
        Ok((
            headers,
            Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
        )
            .into_response())
    } else {
        let (status, body) = collect(meta, shape, jobs, warning).await;
        if let Some(c) = body.pointer("/usage/llp_credits").and_then(Value::as_u64) {
            headers.insert("x-llp-credits", HeaderValue::from(c));
        }
        if let Some(c) = body.pointer("/llp_fallback/cost").and_then(Value::as_f64)
            && let Ok(v) = HeaderValue::from_str(&format!("{c:.6}"))
        {
            headers.insert("x-llp-fallback-cost", v);
        }
        Ok((status, headers, Json(body)).into_response())
    }
}

struct Meta {
    id: String,
    created: u64,
    model: String,
    kind: Kind,
    /// The variant that served the first choice, and why (`llp_served_variant`).
    served_variant: Value,
}

impl Meta {
    /// A streamed chunk holding `choices`.
    fn chunk(&self, choices: Vec<Value>) -> Value {
        json!({
            "id": self.id, "object": self.object(), "created": self.created,
            "model": self.model, "choices": choices,
        })
    }

    /// The `object` of a streamed chunk.
    fn object(&self) -> &'static str {
        match self.kind {
            Kind::Chat => "chat.completion.chunk",
            Kind::Text => "text_completion",
            Kind::Embed => "list",
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

/// `text` as a header value: printable ASCII (a peer may have written it), anything else `?`.
fn header_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// What one choice's stream yields: chunks, then how it ended.
enum Item {
    Chunk(Value),
    End { finish: Box<Finish> },
}

/// One choice's chunks.
fn choice_stream(
    meta_chunk: impl Fn(Vec<Value>) -> Value,
    shape: Shape,
    index: u32,
    mut reader: Reader,
    warning: Option<String>,
) -> impl futures_util::Stream<Item = Item> {
    async_stream::stream! {
        let mut choice = Choice::default();
        let mut seen_calls = 0;
        if shape.kind == Kind::Chat {
            yield Item::Chunk(meta_chunk(vec![json!({"index": index,
                "delta": {"role": "assistant", "content": ""}, "logprobs": null,
                "finish_reason": null})]));
        }
        while let Some(step) = reader.next().await {
            match step {
                Step::Out(out) => {
                    shape.add(&mut choice, &out);
                    if let Some(c) = shape.chunk(index, &out, &mut seen_calls) {
                        yield Item::Chunk(meta_chunk(vec![c]));
                    }
                }
                Step::End(out, f) => {
                    shape.add(&mut choice, &out);
                    if let Some(c) = shape.chunk(index, &out, &mut seen_calls) {
                        yield Item::Chunk(meta_chunk(vec![c]));
                    }
                    let reason = shape.finish_reason(&choice, &f);
                    let mut last = meta_chunk(vec![shape.end_chunk(index, reason)]);
                    if let Some(w) = &warning {
                        last["llp_warning"] = json!(w);
                    }
                    last["llp_timings"] = timings(&f);
                    last["llp_served_by"] = json!(reader.guard().served_by());
                    // The headers left before a peer's job was settled: its cost comes here.
                    last["llp_credits"] = json!(f.credits);
                    if let Some(u) = reader.guard().fallback() {
                        last["llp_fallback"] = json!(u);
                    }
                    yield Item::Chunk(last);
                    yield Item::End { finish: Box::new(f) };
                    break;
                }
                Step::Failed(msg) => {
                    yield Item::Chunk(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, msg).body());
                    break;
                }
            }
        }
    }
}

fn sse_stream(
    meta: Meta,
    shape: Shape,
    jobs: Vec<Reader>,
    include_usage: bool,
    warning: Option<String>,
) -> impl futures_util::Stream<Item = Result<SseEvent, Infallible>> {
    use futures_util::StreamExt;
    let data = |v: Value| Ok::<_, Infallible>(SseEvent::default().data(v.to_string()));
    let meta = std::sync::Arc::new(meta);
    let choices = jobs.into_iter().enumerate().map(|(i, reader)| {
        let m = meta.clone();
        let w = warning.clone();
        Box::pin(choice_stream(
            move |c| m.chunk(c),
            shape,
            i as u32,
            reader,
            w,
        ))
    });
    let mut merged = futures_util::stream::select_all(choices);
    async_stream::stream! {
        let mut finishes = Vec::new();
        while let Some(item) = merged.next().await {
            match item {
                Item::Chunk(c) => yield data(c),
                Item::End { finish } => finishes.push(*finish),
            }
        }
        if include_usage && let Some(f) = total(&finishes) {
            let mut u = meta.chunk(Vec::new());
            u["usage"] = usage(&f);
            yield data(u);
        }
        yield Ok(SseEvent::default().data("[DONE]"));
    }
}

/// The choices' counts added up (timings from the slowest).
fn total(finishes: &[Finish]) -> Option<Finish> {
    let mut it = finishes.iter();
    let mut t = it.next()?.clone();
    for f in it {
        t.completion_tokens += f.completion_tokens;
        t.credits += f.credits;
        t.time_to_first_token = t.time_to_first_token.max(f.time_to_first_token);
        t.generation_time = t.generation_time.max(f.generation_time);
        t.prompt_time = t.prompt_time.max(f.prompt_time);
    }
    Some(t)
}

async fn collect(
    meta: Meta,
    shape: Shape,
    jobs: Vec<Reader>,
    warning: Option<String>,
) -> (StatusCode, Value) {
    let answers = futures_util::future::join_all(
        jobs.into_iter()
            .enumerate()
            .map(|(i, reader)| collect_one(shape, i as u32, reader)),
    )
    .await;
    let mut choices = Vec::new();
    let mut finishes = Vec::new();
    let mut served_by = None;
    let mut fallback: Option<crate::fallback::Use> = None;
    for a in answers {
        match a {
            Ok((choice, f, s, used)) => {
                choices.push(choice);
                finishes.push(f);
                served_by.get_or_insert(s);
                // The choices' costs added up.
                if let Some(u) = used {
                    let sum = fallback.as_ref().map_or(0.0, |t| t.cost);
                    fallback = Some(crate::fallback::Use {
                        cost: sum + u.cost,
                        ..u
                    });
                }
            }
            Err(msg) => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, msg).body(),
                );
            }
        }
    }
    let f = total(&finishes).expect("at least one choice");
    let mut body = json!({
        "id": meta.id,
        "object": if meta.kind == Kind::Chat { "chat.completion" } else { "text_completion" },
        "created": meta.created,
        "model": meta.model,
        "choices": choices,
        "usage": usage(&f),
        "llp_timings": timings(&f),
        "llp_served_by": served_by,
        "llp_served_variant": meta.served_variant,
    });
    if let Some(w) = warning {
        body["llp_warning"] = json!(w);
    }
    if let Some(u) = fallback {
        body["llp_fallback"] = json!(u);
    }
    (StatusCode::OK, body)
}

/// One choice, whole.
async fn collect_one(
    shape: Shape,
    index: u32,
    mut reader: Reader,
) -> Result<
    (
        Value,
        Finish,
        crate::ids::NodeId,
        Option<crate::fallback::Use>,
    ),
    String,
> {
    let mut choice = Choice::default();
    while let Some(step) = reader.next().await {
        match step {
            Step::Out(out) => shape.add(&mut choice, &out),
            Step::End(out, f) => {
                shape.add(&mut choice, &out);
                let reason = shape.finish_reason(&choice, &f);
                return Ok((
                    shape.choice(index, &choice, reason),
                    f,
                    reader.guard().served_by(),
                    reader.guard().fallback(),
                ));
            }
            Step::Failed(msg) => return Err(msg),
        }
    }
    Err("the job ended without an answer".into())
}
