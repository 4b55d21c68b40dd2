//! One choice's answer as it arrives: a job's events read into what OpenAI's shapes carry (text,
//! the parser's content and tool-call deltas, logprobs), with stop sequences cut, and the chunk
//! and message shapes of chat and completions.

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::{Value, json};

use crate::engine::text::{Push, TextStream};
use crate::job::{Event, Finish, FinishReason, Kind, Logprobs, MsgDelta};
use crate::node::{JobGuard, Routed};

/// What one step of a job adds to its answer.
#[derive(Debug, Default)]
pub(super) struct Out {
    /// Text released (not held back for a possible stop sequence).
    pub text: String,
    /// The parser's reading (constrained chats): content and tool calls.
    pub delta: Option<MsgDelta>,
    /// The logprobs of the tokens whose text this releases.
    pub logprobs: Vec<(Vec<u8>, Logprobs)>,
}

impl Out {
    fn is_empty(&self) -> bool {
        self.text.is_empty()
            && self.delta.as_ref().is_none_or(MsgDelta::is_empty)
            && self.logprobs.is_empty()
    }
}

pub(super) enum Step {
    Out(Out),
    /// The job ended (a stop sequence matched, or the node ended it), with what it adds last.
    End(Out, Finish),
    Failed(String),
}

/// Reads one job's events. A stop sequence seen here ends the answer even if the node that
/// produced it (after a failover, without the text before) did not notice it.
pub(super) struct Reader {
    pub routed: Routed,
    text: TextStream,
    tokens: u32,
    started: std::time::Instant,
    first: Option<std::time::Instant>,
    /// Logprobs waiting for their token's text, with the byte offset where that text ends.
    pending: VecDeque<(usize, Vec<u8>, Logprobs)>,
    bytes_in: usize,
    bytes_out: usize,
}

impl Reader {
    pub(super) fn new(routed: Routed, stops: Vec<String>) -> Self {
        routed.guard.progress(0);
        Reader {
            routed,
            text: TextStream::new(stops),
            tokens: 0,
            started: std::time::Instant::now(),
            first: None,
            pending: VecDeque::new(),
            bytes_in: 0,
            bytes_out: 0,
        }
    }

    /// The next step, also written to the job log; None after the last.
    pub(super) async fn next(&mut self) -> Option<Step> {
        let step = self.step().await?;
        match &step {
            Step::End(_, f) => self.routed.guard.finish(f),
            Step::Failed(msg) => self.routed.guard.fail(msg),
            Step::Out(_) => {}
        }
        Some(step)
    }

    async fn step(&mut self) -> Option<Step> {
        let ev = self.routed.events.recv().await;
        Some(match ev {
            Some(Event::Token { piece, extra, .. }) => {
                self.tokens += 1;
                if self.tokens.is_multiple_of(16) {
                    self.routed.guard.progress(self.tokens);
                }
                self.routed.guard.push_output(&piece);
                self.first.get_or_insert_with(std::time::Instant::now);
                self.bytes_in += piece.len();
                let (logprobs, delta) = extra.map_or((None, None), |x| (x.logprobs, x.delta));
                if let Some(l) = logprobs {
                    self.pending.push_back((self.bytes_in, piece.clone(), l));
                }
                match self.text.push(&piece) {
                    Push::Emit(t) => Step::Out(self.out(t, delta)),
                    Push::Stop(t) => {
                        let out = self.out(t, delta);
                        // The producing node normally ends the job at the same token; its
                        // `Done` carries the exact counts and timings.
                        let f = match self.routed.events.recv().await {
                            Some(Event::Done(f)) => f,
                            _ => self.own_finish(FinishReason::Stop),
                        };
                        let last = f.delta.clone();
                        Step::End(
                            merge(out, last),
                            Finish {
                                reason: FinishReason::Stop,
                                ..f
                            },
                        )
                    }
                }
            }
            Some(Event::Done(f)) => {
                let t = self.text.finish();
                let out = self.out(t, None);
                Step::End(merge(out, f.delta.clone()), f)
            }
            Some(Event::Failed(msg)) => Step::Failed(msg),
            Some(Event::Embeddings(_)) => {
                Step::Failed("the node serving this job sent vectors, not text".into())
            }
            None => Step::Failed("the node serving this job stopped mid-answer".into()),
        })
    }

    /// Text released now, with the logprobs of the tokens it completes.
    fn out(&mut self, text: String, delta: Option<MsgDelta>) -> Out {
        self.bytes_out += text.len();
        let mut logprobs = Vec::new();
        while self
            .pending
            .front()
            .is_some_and(|(end, ..)| *end <= self.bytes_out)
        {
            let (_, piece, l) = self.pending.pop_front().expect("checked");
            logprobs.push((piece, l));
        }
        Out {
            text,
            delta,
            logprobs,
        }
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
            delta: None,
            stages: Vec::new(),
        }
    }

    pub(super) fn guard(&self) -> &JobGuard {
        &self.routed.guard
    }
}

/// `out` with the parser's last reading added.
fn merge(mut out: Out, last: Option<MsgDelta>) -> Out {
    if let Some(last) = last {
        let d = out.delta.get_or_insert_with(MsgDelta::default);
        d.content.push_str(&last.content);
        d.tool_calls.extend(last.tool_calls);
    }
    out
}

/// A choice's answer put together: content, tool calls, logprobs.
#[derive(Debug, Default)]
pub(super) struct Choice {
    pub content: String,
    /// Tool calls by index: id, name, arguments.
    pub calls: Vec<(String, String, String)>,
    pub logprobs: Vec<(Vec<u8>, Logprobs)>,
}

/// How a job's output is read and shown: as a chat or a completion, from the parser's deltas
/// (constrained chats) or the text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    pub kind: Kind,
    pub parsed: bool,
    pub logprobs: bool,
}

impl Shape {
    /// Adds `out` to `c`.
    pub(super) fn add(&self, c: &mut Choice, out: &Out) {
        if self.parsed {
            if let Some(d) = &out.delta {
                c.content.push_str(&d.content);
                for call in &d.tool_calls {
                    let i = call.index as usize;
                    if i == c.calls.len() {
                        c.calls.push((
                            call.id.clone().unwrap_or_default(),
                            call.name.clone().unwrap_or_default(),
                            String::new(),
                        ));
                    }
                    if let Some(slot) = c.calls.get_mut(i) {
                        slot.2.push_str(&call.arguments);
                    }
                }
            }
        } else {
            c.content.push_str(&out.text);
        }
        c.logprobs.extend(out.logprobs.iter().cloned());
    }

    /// `stop` becomes `tool_calls` when the answer called tools.
    pub(super) fn finish_reason(&self, c: &Choice, f: &Finish) -> &'static str {
        if f.reason == FinishReason::Stop && !c.calls.is_empty() {
            "tool_calls"
        } else {
            f.reason.as_str()
        }
    }

    /// The streamed chunk's choice for `out`, if it says anything.
    pub(super) fn chunk(&self, index: u32, out: &Out, seen_calls: &mut usize) -> Option<Value> {
        if out.is_empty() {
            return None;
        }
        let logprobs = self.logprobs_value(&out.logprobs);
        Some(match self.kind {
            Kind::Chat => {
                let mut delta = json!({});
                let content = match (&out.delta, self.parsed) {
                    (Some(d), true) => d.content.as_str(),
                    (None, true) => "",
                    (_, false) => out.text.as_str(),
                };
                if !content.is_empty() {
                    delta["content"] = json!(content);
                }
                if let (Some(d), true) = (&out.delta, self.parsed)
                    && !d.tool_calls.is_empty()
                {
                    delta["tool_calls"] = d
                        .tool_calls
                        .iter()
                        .map(|c| {
                            let mut v = json!({"index": c.index,
                                "function": {"arguments": c.arguments}});
                            if c.index as usize >= *seen_calls {
                                *seen_calls = c.index as usize + 1;
                                v["id"] = json!(c.id);
                                v["type"] = json!("function");
                                v["function"]["name"] = json!(c.name);
                            }
                            v
                        })
                        .collect();
                }
                if delta.as_object().is_some_and(serde_json::Map::is_empty) && logprobs.is_null() {
                    return None;
                }
                json!({"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": null})
            }
            Kind::Text | Kind::Embed => {
                json!({"index": index, "text": out.text, "logprobs": logprobs, "finish_reason": null})
            }
        })
    }

    /// The last chunk's choice: empty, with why the answer ended.
    pub(super) fn end_chunk(&self, index: u32, reason: &str) -> Value {
        match self.kind {
            Kind::Chat => {
                json!({"index": index, "delta": {}, "logprobs": null, "finish_reason": reason})
            }
            Kind::Text | Kind::Embed => {
                json!({"index": index, "text": "", "logprobs": null, "finish_reason": reason})
            }
        }
    }

    /// The whole choice of a collected answer.
    pub(super) fn choice(&self, index: u32, c: &Choice, reason: &str) -> Value {
        let logprobs = self.logprobs_value(&c.logprobs);
        match self.kind {
            Kind::Chat => {
                let mut message = json!({"role": "assistant", "content": c.content});
                if !c.calls.is_empty() {
                    if c.content.is_empty() {
                        message["content"] = Value::Null;
                    }
                    message["tool_calls"] = c
                        .calls
                        .iter()
                        .map(|(id, name, args)| {
                            json!({"id": id, "type": "function",
                                "function": {"name": name, "arguments": args}})
                        })
                        .collect();
                }
                json!({"index": index, "message": message, "logprobs": logprobs,
                    "finish_reason": reason})
            }
            Kind::Text | Kind::Embed => {
                json!({"index": index, "text": c.content, "logprobs": logprobs,
                "finish_reason": reason})
            }
        }
    }

    /// Logprobs in the endpoint's shape: chat's `{"content": [...]}` or the completions'
    /// `{"tokens", "token_logprobs", "top_logprobs", "text_offset"}`; null when not asked.
    fn logprobs_value(&self, l: &[(Vec<u8>, Logprobs)]) -> Value {
        if !self.logprobs || l.is_empty() {
            return Value::Null;
        }
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match self.kind {
            Kind::Chat => json!({"content": l.iter().map(|(piece, lp)| json!({
                "token": text(piece),
                "logprob": lp.logprob,
                "bytes": piece,
                "top_logprobs": lp.top.iter().map(|t| json!({
                    "token": text(&t.piece), "logprob": t.logprob, "bytes": t.piece,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>()}),
            Kind::Text | Kind::Embed => {
                let mut offset = 0usize;
                let mut offsets = Vec::with_capacity(l.len());
                for (piece, _) in l {
                    offsets.push(offset);
                    offset += piece.len();
                }
                json!({
                    "tokens": l.iter().map(|(p, _)| text(p)).collect::<Vec<_>>(),
                    "token_logprobs": l.iter().map(|(_, lp)| lp.logprob).collect::<Vec<_>>(),
                    "top_logprobs": l.iter().map(|(_, lp)| lp.top.iter()
                        .map(|t| (text(&t.piece), json!(t.logprob)))
                        .collect::<serde_json::Map<_, _>>()).collect::<Vec<_>>(),
                    "text_offset": offsets,
                })
            }
        }
    }
}
