//! OpenAI request bodies: parsing with errors that name the field, and validation into a
//! job's terms (the same ranges as a job from a peer: [`crate::job::Sampling::check`]).

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::engine::{Message, Role};
use crate::job::{Invalid, Sampling, check_stops};

#[derive(Debug, Deserialize)]
pub(super) struct ChatRequest {
    pub model: Option<String>,
    pub messages: Vec<ChatMessage>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CompletionRequest {
    pub model: Option<String>,
    pub prompt: PromptSpec,
}

/// Fields shared by both endpoints. Unknown fields are ignored, as OpenAI's SDKs send many.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Common {
    pub max_tokens: Option<u32>,
    pub max_completion_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub seed: Option<i64>,
    pub stop: Option<StopSpec>,
    pub stream: Option<bool>,
    pub stream_options: Option<StreamOptions>,
    pub n: Option<u32>,
    pub frequency_penalty: Option<f32>,
    pub presence_penalty: Option<f32>,
    /// llama-server's extension: keep generating past end-of-generation (benchmarks).
    pub ignore_eos: Option<bool>,
    // Fields we cannot honour, refused rather than silently ignored when they ask for something.
    pub logprobs: Option<serde_json::Value>,
    pub top_logprobs: Option<u32>,
    pub echo: Option<bool>,
    pub best_of: Option<u32>,
    pub tools: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum StopSpec {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum PromptSpec {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
pub(super) struct ChatMessage {
    pub role: String,
    #[serde(default)]
    pub content: Option<Content>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Deserialize)]
pub(super) struct Part {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
}

/// Parses a request body into its endpoint's own fields and the shared ones. (Two passes over one
/// parsed value: `#[serde(flatten)]` would lose the field paths in error messages.)
pub(super) fn parse_request<T: DeserializeOwned>(body: &[u8]) -> Result<(T, Common), ApiError> {
    let value: serde_json::Value = parse(body)?;
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "The request body must be a JSON object",
        ));
    }
    Ok((from_value(&value)?, from_value(&value)?))
}

/// Parses a JSON body, naming the field (`messages[0].role`) that is wrong.
pub(super) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "The request body is empty; send a JSON object.",
        ));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request(format!("Malformed JSON in the request body: {inner}"))
        } else {
            field_error(&path, &inner.to_string())
        }
    })
}

fn from_value<T: DeserializeOwned>(v: &serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(v)
        .map_err(|e| field_error(&e.path().to_string(), &e.into_inner().to_string()))
}

fn field_error(path: &str, msg: &str) -> ApiError {
    if path.is_empty() || path == "." {
        ApiError::bad_request(format!("Invalid request body: {}", strip_position(msg)))
    } else {
        ApiError::bad_request(format!(
            "Invalid value for `{path}`: {}",
            strip_position(msg)
        ))
        .param(path)
    }
}

fn strip_position(s: &str) -> String {
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

impl From<Invalid> for ApiError {
    fn from(i: Invalid) -> ApiError {
        ApiError::bad_request(i.message).param(i.param)
    }
}

/// The job's view of the shared fields.
#[derive(Debug)]
pub(super) struct Validated {
    pub max_tokens: Option<u32>,
    pub sampling: Sampling,
    pub stop: Vec<String>,
    pub stream: bool,
    pub include_usage: bool,
    pub ignore_eos: bool,
}

impl Common {
    pub(super) fn validate(&self) -> Result<Validated, ApiError> {
        if let Some(n) = self.n
            && n != 1
        {
            return Err(ApiError::bad_request(format!(
                "n={n} is not supported: this server returns one choice per request (n=1)"
            ))
            .param("n"));
        }
        let unsupported = [
            (
                "logprobs",
                self.logprobs.as_ref().is_some_and(|v| {
                    v == &serde_json::json!(true) || v.as_u64().is_some_and(|n| n > 0)
                }),
            ),
            ("top_logprobs", self.top_logprobs.is_some_and(|n| n > 0)),
            ("echo", self.echo == Some(true)),
            ("best_of", self.best_of.is_some_and(|n| n > 1)),
            ("tools", self.tools.as_ref().is_some_and(|t| !t.is_empty())),
        ];
        if let Some((name, _)) = unsupported.iter().find(|(_, asked)| *asked) {
            return Err(
                ApiError::bad_request(format!("`{name}` is not supported by this server"))
                    .param(*name),
            );
        }
        let max_tokens = self.max_completion_tokens.or(self.max_tokens);
        if max_tokens == Some(0) {
            let p = if self.max_completion_tokens.is_some() {
                "max_completion_tokens"
            } else {
                "max_tokens"
            };
            return Err(ApiError::bad_request(format!("{p} must be at least 1")).param(p));
        }
        let sampling = Sampling {
            temperature: self.temperature.unwrap_or(1.0),
            top_p: self.top_p.unwrap_or(1.0),
            seed: self.seed.map(|s| s as u64),
            frequency_penalty: self.frequency_penalty.unwrap_or(0.0),
            presence_penalty: self.presence_penalty.unwrap_or(0.0),
        };
        sampling.check()?;
        let stop = match &self.stop {
            None => Vec::new(),
            Some(StopSpec::One(s)) => vec![s.clone()],
            Some(StopSpec::Many(v)) => v.clone(),
        };
        check_stops(&stop)?;
        Ok(Validated {
            max_tokens,
            sampling,
            stop: stop.into_iter().filter(|s| !s.is_empty()).collect(),
            stream: self.stream.unwrap_or(false),
            include_usage: self
                .stream_options
                .as_ref()
                .is_some_and(|o| o.include_usage),
            ignore_eos: self.ignore_eos.unwrap_or(false),
        })
    }
}

/// Validates chat messages into the engine's terms.
pub(super) fn messages(msgs: &[ChatMessage]) -> Result<Vec<Message>, ApiError> {
    if msgs.is_empty() {
        return Err(
            ApiError::bad_request("messages is empty: send at least one message").param("messages"),
        );
    }
    msgs.iter()
        .enumerate()
        .map(|(i, m)| {
            let role = match m.role.as_str() {
                "system" | "developer" => Role::System,
                "user" => Role::User,
                "assistant" => Role::Assistant,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "messages[{i}].role `{other}` is not supported; use system, user or assistant"
                    ))
                    .param(format!("messages[{i}].role")));
                }
            };
            let content = match &m.content {
                None => String::new(),
                Some(Content::Text(t)) => t.clone(),
                Some(Content::Parts(parts)) => {
                    let mut s = String::new();
                    for (j, p) in parts.iter().enumerate() {
                        match (p.kind.as_str(), &p.text) {
                            ("text", Some(t)) => s.push_str(t),
                            (kind, _) => {
                                return Err(ApiError::bad_request(format!(
                                    "messages[{i}].content[{j}] has type `{kind}`; only text parts are supported"
                                ))
                                .param(format!("messages[{i}].content[{j}].type")));
                            }
                        }
                    }
                    s
                }
            };
            if role != Role::Assistant && content.is_empty() && m.content.is_none() {
                return Err(ApiError::bad_request(format!("messages[{i}].content is missing"))
                    .param(format!("messages[{i}].content")));
            }
            Ok(Message { role, content })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_types_name_the_field() {
        let e = parse_request::<ChatRequest>(br#"{"messages":[{"role":3}]}"#).unwrap_err();
        assert!(e.message.contains("messages[0].role"), "{}", e.message);
        let e =
            parse_request::<ChatRequest>(br#"{"messages":[], "max_tokens":"ten"}"#).unwrap_err();
        assert!(e.message.contains("max_tokens"), "{}", e.message);
    }

    #[test]
    fn malformed_json_says_so() {
        let e = parse_request::<ChatRequest>(b"{\"messages\": [").unwrap_err();
        assert!(e.message.starts_with("Malformed JSON"), "{}", e.message);
    }

    #[test]
    fn n_other_than_one_is_refused() {
        let c = Common {
            n: Some(2),
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap_err().param.as_deref(), Some("n"));
        let c = Common {
            n: Some(1),
            ..Default::default()
        };
        assert!(c.validate().is_ok());
    }

    #[test]
    fn roles_and_parts() {
        let (req, _): (ChatRequest, Common) = parse_request(
            br#"{"messages":[{"role":"developer","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}"#,
        )
        .unwrap();
        let m = messages(&req.messages).unwrap();
        assert_eq!(m[0].role, Role::System);
        assert_eq!(m[1].content, "ab");
        let (req, _): (ChatRequest, Common) =
            parse_request(br#"{"messages":[{"role":"tool","content":"x"}]}"#).unwrap();
        assert!(messages(&req.messages).is_err());
    }
}
