//! What a job is, wherever it runs: its [`Spec`] (model, prompt, sampling, limits), the
//! [`Event`]s it produces and how it ends ([`Finish`]), why it may be refused ([`Refusal`]), and
//! its [`State`] as status shows it. [`local`] is the local submit path: preparing a job for this
//! node's engine and submitting it.
//!
//! The HTTP API builds a [`Spec`]; the router decides where it runs; the network carries it to a
//! peer (converting to its wire form at the border, in `net::wire`) or the engine runs it here.
//! Nothing here knows where a job runs. One validation of a job's parameters ([`Sampling::check`],
//! [`check_stops`]) serves requests from the API and from peers alike.

pub mod local;
pub mod schema;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::ModelRef;

/// How many events a job's channel holds before its producer pauses (a slow reader slows only
/// its own job).
pub const EVENT_CHANNEL: usize = 64;
/// Stop sequences a job may carry, and the longest one in bytes (each is matched against the
/// tail of the answer at every token).
pub const MAX_STOPS: usize = 4;
pub const MAX_STOP_BYTES: usize = 512;

/// Chat (rendered with the model's template), plain text completion, or embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Chat,
    Text,
    Embed,
}

/// What the model reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// Chat messages; the serving node applies the model's template.
    Chat(Vec<ChatMsg>),
    Text(String),
    /// Inputs to embed, one vector each (an embedding model's job).
    Embed(Vec<String>),
}

/// Most inputs one embedding request may carry.
pub const MAX_EMBED_INPUTS: usize = 2048;

/// One message of a chat. Its wire form is its serde form (`net::wire` carries it as is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatMsg {
    pub role: String,
    pub content: String,
    /// The calls an assistant made (OpenAI's `tool_calls`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The call a `tool` message answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl ChatMsg {
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> ChatMsg {
        ChatMsg {
            role: role.into(),
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    /// Its bytes, as [`Prompt::size`] counts them.
    fn len(&self) -> usize {
        self.role.len()
            + self.content.len()
            + self
                .tool_calls
                .iter()
                .map(|c| c.id.len() + c.name.len() + c.arguments.len())
                .sum::<usize>()
            + self.tool_call_id.as_ref().map_or(0, String::len)
    }
}

/// A function call, as a model made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// JSON text, as OpenAI carries it.
    pub arguments: String,
}

/// A function the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// A JSON schema of its arguments.
    pub parameters: serde_json::Value,
}

/// Whether and which tool the model must call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoice {
    #[default]
    Auto,
    None,
    Required,
    /// This function, and no other.
    Function(String),
}

/// The shape the answer must have (OpenAI's `response_format`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Any JSON object.
    Json,
    /// JSON that matches this schema.
    Schema(serde_json::Value),
}

/// What constrains an answer beyond free text: tools it may call and the format it must have.
/// Sampling follows a grammar made from them, and the answer is read back by the model's own
/// parser (`engine::chat`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    #[serde(default)]
    pub tool_choice: ToolChoice,
    #[serde(default)]
    pub parallel_tool_calls: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
}

impl Constraints {
    /// Whether it is the default (nothing asked), for serde.
    pub fn is_default(&self) -> bool {
        *self == Constraints::default()
    }

    /// Whether there is nothing to constrain.
    pub fn is_empty(&self) -> bool {
        (self.tools.is_empty() || self.tool_choice == ToolChoice::None) && self.format.is_none()
    }

    /// Whether the answer may hold tool calls.
    pub fn has_tools(&self) -> bool {
        !self.tools.is_empty() && self.tool_choice != ToolChoice::None
    }

    /// Its bytes, for bounds (all of it, whether or not it constrains).
    pub fn size(&self) -> usize {
        if self.is_default() {
            return 0;
        }
        serde_json::to_vec(self).map_or(usize::MAX, |v| v.len())
    }
}

/// Most alternatives `top_logprobs` may ask for (OpenAI's limit).
pub const MAX_TOP_LOGPROBS: u8 = 20;

/// A token's log probability under the model (the softmax of its raw logits, before sampling
/// settings and grammar), with the most likely alternatives at that position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logprobs {
    pub logprob: f32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top: Vec<TopLogprob>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopLogprob {
    pub id: u32,
    pub piece: Vec<u8>,
    pub logprob: f32,
}

/// What the parser read anew in an answer since the last delta: content, and tool calls by
/// index (a call's id and name come once, with its first delta; its arguments in pieces).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MsgDelta {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<CallDelta>,
}

impl MsgDelta {
    pub fn is_empty(&self) -> bool {
        self.content.is_empty() && self.tool_calls.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallDelta {
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arguments: String,
}

/// What a token carries besides its bytes, when the job asked for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenExtra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Logprobs>,
    /// What the answer's parser read anew with this token (constrained jobs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<MsgDelta>,
}

impl Prompt {
    pub fn kind(&self) -> Kind {
        match self {
            Prompt::Chat(_) => Kind::Chat,
            Prompt::Text(_) => Kind::Text,
            Prompt::Embed(_) => Kind::Embed,
        }
    }

    /// Its bytes and messages (a text is one): an upper bound of its tokens needs no tokenizer,
    /// since a token is at least a byte and a chat template adds a few per message.
    pub fn size(&self) -> (usize, usize) {
        match self {
            Prompt::Chat(m) => (m.iter().map(ChatMsg::len).sum(), m.len()),
            Prompt::Text(t) => (t.len(), 1),
            Prompt::Embed(v) => (v.iter().map(String::len).sum(), v.len()),
        }
    }

    /// A rough count of its tokens (a quarter of the content's bytes), for waits and estimates.
    pub fn token_hint(&self) -> usize {
        match self {
            Prompt::Chat(m) => m.iter().map(|m| m.len() / 4).sum(),
            Prompt::Text(t) => t.len() / 4,
            Prompt::Embed(v) => v.iter().map(|t| t.len() / 4).sum(),
        }
    }

    /// The prompt as text, a chat as `role: content` blocks, cut at `max` bytes.
    pub fn text(&self, max: usize) -> String {
        let mut text = match self {
            Prompt::Chat(msgs) => msgs
                .iter()
                .map(|m| {
                    let mut s = format!("{}: {}", m.role, m.content);
                    for c in &m.tool_calls {
                        s.push_str(&format!("\n[calls {}({})]", c.name, c.arguments));
                    }
                    s
                })
                .collect::<Vec<_>>()
                .join("\n\n"),
            Prompt::Text(t) => t.clone(),
            Prompt::Embed(v) => v.join("\n\n"),
        };
        if text.len() > max {
            let mut cut = max;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str(" [… the rest is not kept]");
        }
        text
    }
}

/// Sampling settings of one job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    /// 0 means greedy (deterministic).
    pub temperature: f32,
    pub top_p: f32,
    pub seed: Option<u64>,
    pub frequency_penalty: f32,
    pub presence_penalty: f32,
}

/// A job parameter out of range: which one (as the OpenAI API names it) and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub param: &'static str,
    pub message: String,
}

impl Sampling {
    /// The ranges the OpenAI API allows, for requests from the API and from peers alike.
    pub fn check(&self) -> Result<(), Invalid> {
        let t = self.temperature;
        if !(0.0..=2.0).contains(&t) {
            return Err(Invalid {
                param: "temperature",
                message: format!("temperature={t} is out of range: it must be between 0 and 2"),
            });
        }
        let p = self.top_p;
        if !(p > 0.0 && p <= 1.0) {
            return Err(Invalid {
                param: "top_p",
                message: format!(
                    "top_p={p} is out of range: it must be greater than 0 and at most 1"
                ),
            });
        }
        for (param, v) in [
            ("frequency_penalty", self.frequency_penalty),
            ("presence_penalty", self.presence_penalty),
        ] {
            if !(-2.0..=2.0).contains(&v) {
                return Err(Invalid {
                    param,
                    message: format!("{param}={v} must be between -2 and 2"),
                });
            }
        }
        Ok(())
    }
}

/// Most tools one request may offer, and the most bytes of them all with the response format.
pub const MAX_TOOLS: usize = 128;
pub const MAX_CONSTRAINT_BYTES: usize = 256 << 10;

/// The bounds of tools and a response format, for requests from the API and from peers alike:
/// named tools, a named choice among them, at most [`MAX_TOOLS`] in at most
/// [`MAX_CONSTRAINT_BYTES`].
pub fn check_constraints(c: &Constraints) -> Result<(), Invalid> {
    if c.tools.len() > MAX_TOOLS {
        return Err(Invalid {
            param: "tools",
            message: format!(
                "{} tools is more than the {MAX_TOOLS} allowed",
                c.tools.len()
            ),
        });
    }
    let size = c.size();
    if size > MAX_CONSTRAINT_BYTES {
        return Err(Invalid {
            param: "tools",
            message: format!(
                "tools and response_format take {size} bytes; at most {MAX_CONSTRAINT_BYTES} \
                 are allowed"
            ),
        });
    }
    if let Some(i) = c.tools.iter().position(|t| !valid_name(&t.name)) {
        return Err(Invalid {
            param: "tools",
            message: format!(
                "tools[{i}].function.name must be 1 to 64 letters, digits, '_' or '-'"
            ),
        });
    }
    for (i, t) in c.tools.iter().enumerate() {
        schema::check(&t.parameters).map_err(|e| Invalid {
            param: "tools",
            message: format!("tools[{i}].function.parameters: {e}"),
        })?;
    }
    if let Some(Format::Schema(s)) = &c.format {
        schema::check(s).map_err(|e| Invalid {
            param: "response_format",
            message: format!("response_format.json_schema.schema: {e}"),
        })?;
    }
    if let ToolChoice::Function(name) = &c.tool_choice
        && !c.tools.iter().any(|t| &t.name == name)
    {
        return Err(Invalid {
            param: "tool_choice",
            message: format!("tool_choice names `{name}`, which is not among the tools"),
        });
    }
    if c.tool_choice == ToolChoice::Required && c.tools.is_empty() {
        return Err(Invalid {
            param: "tool_choice",
            message: "tool_choice `required` needs at least one tool".into(),
        });
    }
    Ok(())
}

/// OpenAI's rule for function names.
fn valid_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// At most [`MAX_STOPS`] stop sequences of at most [`MAX_STOP_BYTES`] each.
pub fn check_stops(stop: &[String]) -> Result<(), Invalid> {
    if let Some(long) = stop.iter().find(|s| s.len() > MAX_STOP_BYTES) {
        return Err(Invalid {
            param: "stop",
            message: format!(
                "a stop sequence of {} bytes is longer than the {MAX_STOP_BYTES} allowed",
                long.len()
            ),
        });
    }
    if stop.len() > MAX_STOPS {
        return Err(Invalid {
            param: "stop",
            message: format!(
                "stop has {} sequences; at most {MAX_STOPS} are allowed",
                stop.len()
            ),
        });
    }
    Ok(())
}

/// A job as a client (the API, or a peer) asks for it.
#[derive(Debug, Clone)]
pub struct Spec {
    /// `None`: this node's first model, else the first a peer serves.
    pub model: Option<ModelRef>,
    pub prompt: Prompt,
    pub max_tokens: Option<u32>,
    pub sampling: Sampling,
    pub stop: Vec<String>,
    /// Keep generating through end-of-generation tokens (benchmarks only).
    pub ignore_eos: bool,
    /// Tools and format (chat only for tools).
    pub constraints: Constraints,
    /// Log probabilities with each token and this many alternatives (None: none).
    pub logprobs: Option<u8>,
    /// Where its prompt may go and what it may cost (never sent to a worker).
    pub policy: crate::route::policy::Policy,
}

impl Spec {
    pub fn kind(&self) -> Kind {
        self.prompt.kind()
    }
}

/// What a job sends back, in order: one `Token` per generated token (its id and its bytes,
/// which may split a UTF-8 character; `engine::text::TextStream` makes text of them, and what
/// the job asked for besides: logprobs, the parser's delta), then exactly one `Done` or `Failed`.
/// End-of-generation tokens are not sent, but count in `Done`.
#[derive(Debug, Clone)]
pub enum Event {
    Token {
        id: u32,
        piece: Vec<u8>,
        extra: Option<Box<TokenExtra>>,
    },
    /// An embedding job's vectors, one per input in order (before its `Done`).
    Embeddings(Vec<Vec<f32>>),
    Done(Finish),
    Failed(String),
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FinishReason {
    /// End of generation token or a stop sequence.
    Stop,
    /// `max_tokens` reached.
    Length,
}

impl FinishReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
        }
    }

    /// A reason as a peer reports it; anything but `length` ends like a stop.
    pub fn parse(s: &str) -> FinishReason {
        if s == "length" {
            FinishReason::Length
        } else {
            FinishReason::Stop
        }
    }
}

impl fmt::Display for FinishReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The end of a job with its exact counts and timings.
#[derive(Debug, Clone)]
pub struct Finish {
    pub reason: FinishReason,
    /// Tokens of the prompt, as fed to the model.
    pub prompt_tokens: u32,
    /// Of those, tokens whose KV entries were reused from the slot's previous job.
    pub cached_tokens: u32,
    /// Tokens sampled, including an end-of-generation token and the tokens of a stop sequence.
    pub completion_tokens: u32,
    /// From submission to the first sampled token (includes queueing and prompt processing).
    pub time_to_first_token: Duration,
    /// Time spent in decode calls that processed this job's prompt.
    pub prompt_time: Duration,
    /// Credits the job cost this node (0 when its own hardware served it).
    pub credits: u64,
    /// From the first sampled token to the last.
    pub generation_time: Duration,
    /// What the parser read anew when the answer ended (constrained jobs: the final, complete
    /// reading may differ from the last partial one).
    pub delta: Option<MsgDelta>,
    /// The pipeline stages that ran it, when this node coordinates its model as a pipeline.
    pub stages: Vec<StageRun>,
}

/// One stage of a pipeline, as a job that ran through it saw it: its node, its layers and its
/// work for the job (a stage replaced mid-answer is listed with what it ran).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StageRun {
    pub node: String,
    pub layers: [u32; 2],
    /// Forward passes it ran for the job (a replay's count too).
    pub steps: u64,
    /// Its compute time, as it reported, and the round trips, as the coordinator measured.
    pub compute_ms: f64,
    pub round_trip_ms: f64,
    /// It failed or refused, and the rest of the job ran elsewhere.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replaced: bool,
}

/// The OpenAI error codes a refusal may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    ServerBusy,
    ContextLengthExceeded,
    ModelNotFound,
    InsufficientCredits,
    /// The routing policy keeps the job from every node that could serve it.
    RoutePolicy,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ServerBusy => "server_busy",
            ErrorCode::ContextLengthExceeded => "context_length_exceeded",
            ErrorCode::ModelNotFound => "model_not_found",
            ErrorCode::InsufficientCredits => "insufficient_credits",
            ErrorCode::RoutePolicy => "route_policy",
        }
    }
}

/// Why a job was not taken, in HTTP terms (the API turns it into OpenAI's error shape; a peer
/// sends it back as `Refused`).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
    pub code: Option<ErrorCode>,
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

    pub fn code(mut self, c: ErrorCode) -> Self {
        self.code = Some(c);
        self
    }

    pub fn param(mut self, p: &str) -> Self {
        self.param = Some(p.into());
        self
    }

    /// 503 `server_busy`, retry after `retry_after` seconds.
    pub fn busy(message: impl Into<String>, retry_after: u32) -> Self {
        Refusal {
            retry_after: Some(retry_after),
            ..Refusal::new(503, message).code(ErrorCode::ServerBusy)
        }
    }

    /// Whether another node could do better (busy, paused, gone), as opposed to a bad request.
    pub fn retryable(&self) -> bool {
        self.status >= 500 || self.status == 429 || self.status == 404
    }

    /// Whether it is 503 `server_busy`: the node had no room, which may change.
    pub fn is_busy(&self) -> bool {
        self.status == 503 && self.code == Some(ErrorCode::ServerBusy)
    }

    /// Whether it judges the request and not the node: another node judging alike is honest.
    /// (A context-length refusal is honest: contexts differ between nodes; so is 402.)
    pub fn honest_elsewhere(&self) -> bool {
        self.code == Some(ErrorCode::ContextLengthExceeded)
            || self.code == Some(ErrorCode::RoutePolicy)
            || self.status == 402
    }
}

impl From<Invalid> for Refusal {
    fn from(i: Invalid) -> Refusal {
        Refusal::new(400, i.message).param(i.param)
    }
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
    .code(ErrorCode::ContextLengthExceeded)
}

/// A rough wait: the queue ahead divided among the slots, at a second or two per answer.
pub fn retry_after(queued: usize, slots: u32) -> u32 {
    (queued as u32 / slots.max(1)).clamp(1, 60)
}

/// Where a job stands, as status and the job log show it. Serialized as the words users and
/// scripts have always read: `queued`, `running`, `waiting (position 2 of 5)`, `done (stop)`,
/// `failed`, `refused`, `cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Queued,
    Running,
    /// Waiting for room on any capable node: its place in that wait.
    Waiting {
        position: usize,
        of: usize,
    },
    Done(FinishReason),
    Failed,
    Refused,
    Cancelled,
}

impl State {
    /// Whether the job ended by itself (done, failed or refused); a job that ends in any other
    /// state was cancelled.
    pub fn is_final(self) -> bool {
        matches!(self, State::Done(_) | State::Failed | State::Refused)
    }

    fn parse(s: &str) -> Option<State> {
        Some(match s {
            "queued" => State::Queued,
            "running" => State::Running,
            "failed" => State::Failed,
            "refused" => State::Refused,
            "cancelled" => State::Cancelled,
            "done (stop)" => State::Done(FinishReason::Stop),
            "done (length)" => State::Done(FinishReason::Length),
            _ => {
                let rest = s.strip_prefix("waiting (position ")?.strip_suffix(')')?;
                let (p, of) = rest.split_once(" of ")?;
                State::Waiting {
                    position: p.parse().ok()?,
                    of: of.parse().ok()?,
                }
            }
        })
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Queued => f.write_str("queued"),
            State::Running => f.write_str("running"),
            State::Waiting { position, of } => write!(f, "waiting (position {position} of {of})"),
            State::Done(r) => write!(f, "done ({r})"),
            State::Failed => f.write_str("failed"),
            State::Refused => f.write_str("refused"),
            State::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<State, D::Error> {
        let s = String::deserialize(d)?;
        State::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown job state `{s}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_what_they_print() {
        for s in [
            State::Queued,
            State::Running,
            State::Waiting { position: 2, of: 5 },
            State::Done(FinishReason::Stop),
            State::Done(FinishReason::Length),
            State::Failed,
            State::Refused,
            State::Cancelled,
        ] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<State>(&json).unwrap(), s, "{json}");
        }
        assert_eq!(
            State::Waiting { position: 1, of: 3 }.to_string(),
            "waiting (position 1 of 3)"
        );
        assert!(serde_json::from_str::<State>("\"sleeping\"").is_err());
    }

    #[test]
    fn sampling_ranges_are_the_apis() {
        let ok = Sampling {
            temperature: 0.7,
            top_p: 1.0,
            ..Default::default()
        };
        assert!(ok.check().is_ok());
        // top_p = 0 samples nothing: refused, whoever sends it.
        let zero = Sampling {
            top_p: 0.0,
            ..ok.clone()
        };
        assert_eq!(zero.check().unwrap_err().param, "top_p");
        let hot = Sampling {
            temperature: 2.5,
            ..ok.clone()
        };
        assert_eq!(hot.check().unwrap_err().param, "temperature");
        let nan = Sampling {
            presence_penalty: f32::NAN,
            ..ok
        };
        assert_eq!(nan.check().unwrap_err().param, "presence_penalty");
        assert!(check_stops(&["a".repeat(513)]).is_err());
        assert!(check_stops(&vec!["x".into(); 5]).is_err());
        assert!(check_stops(&vec!["x".into(); 4]).is_ok());
    }
}
