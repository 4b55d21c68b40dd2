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

use super::openai::{ChatRequest, CompletionRequest, PromptSpec, Validated};
use super::{ApiError, openai, read_body};
use crate::engine::text::{Push, TextStream};
use crate::ids::{ModelRef, random_hex, unix_now};
use crate::job::{Event, Finish, FinishReason, Kind, Prompt, Spec};
use crate::node::jobs::prompt_log;
use crate::node::{JobGuard, Routed};
use crate::route::Router;

pub(super) async fn chat(State(r): State<Router>, body: Result<Bytes, BytesRejection>) -> Response {
    r.node().count_request();
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
        run(&r, req.model, prompt, v).await
    }
    .await;
    result.unwrap_or_else(|e| {
        r.node().count_failure();
        e.into_response()
    })
}

pub(super) async fn completions(
    State(r): State<Router>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    r.node().count_request();
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
        run(&r, req.model, Prompt::Text(prompt), v).await
    }
    .await;
    result.unwrap_or_else(|e| {
        r.node().count_failure();
        e.into_response()
    })
}

/// Routes the job (this node or a peer) and answers in the requested form.
async fn run(
    r: &Router,
    model: Option<String>,
    prompt: Prompt,
    v: Validated,
) -> Result<Response, ApiError> {
    let spec = Spec {
        model: model.as_deref().map(ModelRef::parse),
        prompt,
        max_tokens: v.max_tokens,
        sampling: v.sampling,
        stop: v.stop,
        ignore_eos: v.ignore_eos,
    };
    let kind = spec.kind();
    let stops = spec.stop.clone();
    let prompt = prompt_log(&spec.prompt);
    let routed = r.route(spec).await?;
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
            random_hex(12)
        ),
        created: unix_now(),
        model: routed.model.clone(),
        kind,
    };
    let mut headers = HeaderMap::new();
    // A job this node serves itself is free. A peer's job is settled when it ends, after a
    // streamed response's headers left: its cost is in the last chunk's `usage.llp_credits`.
    let local = routed.served_by == r.node().id();
    if local || !v.stream {
        headers.insert("x-llp-credits", HeaderValue::from_static("0"));
    }
    if let Ok(v) = HeaderValue::from_str(&routed.served_by.to_string()) {
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
        guard.progress(*tokens);
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
        routed.guard.progress(0);
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
