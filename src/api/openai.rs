//! OpenAI request bodies: parsing with errors that name the field, and validation into a
//! job's terms (the same ranges as a job from a peer: [`crate::job::Sampling::check`]).

use serde::Deserialize;
use serde::de::DeserializeOwned;

use serde_json::Value;

use super::error::ApiError;
use crate::engine::Role;
use crate::job::{
    ChatMsg, Constraints, Format, Invalid, MAX_TOP_LOGPROBS, Sampling, Tool, ToolCall, ToolChoice,
    check_constraints, check_stops,
};

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
    /// `true` on chat (with `top_logprobs` alternatives), a count of alternatives on
    /// completions.
    pub logprobs: Option<Value>,
    pub top_logprobs: Option<u32>,
    pub tools: Option<Vec<ToolSpec>>,
    pub tool_choice: Option<Value>,
    pub parallel_tool_calls: Option<bool>,
    pub response_format: Option<Value>,
    // Fields we cannot honour, refused rather than silently ignored when they ask for something.
    pub echo: Option<bool>,
    pub best_of: Option<u32>,
    /// This request's routing policy (`llp_policy`), narrowing the node's.
    pub llp_policy: Option<Value>,
}

/// A tool as OpenAI describes it: `{"type": "function", "function": {...}}`.
#[derive(Debug, Deserialize)]
pub(super) struct ToolSpec {
    #[serde(rename = "type")]
    pub kind: String,
    pub function: Option<FunctionSpec>,
}

#[derive(Debug, Deserialize)]
pub(super) struct FunctionSpec {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub parameters: Option<Value>,
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
    #[serde(default)]
    pub tool_calls: Option<Vec<CallSpec>>,
    #[serde(default)]
    pub tool_call_id: Option<String>,
}

/// An assistant's tool call in a request's history.
#[derive(Debug, Deserialize)]
pub(super) struct CallSpec {
    pub id: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub function: CalledFunction,
}

#[derive(Debug, Deserialize)]
pub(super) struct CalledFunction {
    pub name: String,
    pub arguments: String,
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
    pub constraints: Constraints,
    /// Logprobs with this many alternatives.
    pub logprobs: Option<u8>,
    /// Choices to generate.
    pub n: u32,
    /// The request's own routing rules (`llp_policy`).
    pub rules: crate::route::policy::Rules,
}

/// Most choices one request may ask for.
pub(super) const MAX_N: u32 = 8;

impl Common {
    pub(super) fn validate(&self, chat: bool) -> Result<Validated, ApiError> {
        let n = self.n.unwrap_or(1);
        if !(1..=MAX_N).contains(&n) {
            return Err(ApiError::bad_request(format!(
                "n={n} is out of range: ask for 1 to {MAX_N} choices"
            ))
            .param("n"));
        }
        let unsupported = [
            ("echo", self.echo == Some(true)),
            ("best_of", self.best_of.is_some_and(|n| n > 1)),
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
        let constraints = self.constraints(chat)?;
        let logprobs = self.logprobs(chat)?;
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
            constraints,
            logprobs,
            n,
            rules: policy_field(self.llp_policy.as_ref())?,
        })
    }

    /// Chat: `logprobs: true` with `top_logprobs` alternatives. Completions: `logprobs: N`.
    fn logprobs(&self, chat: bool) -> Result<Option<u8>, ApiError> {
        let top = |n: u64, param: &str| {
            if n > u64::from(MAX_TOP_LOGPROBS) {
                Err(ApiError::bad_request(format!(
                    "{param}={n} is out of range: at most {MAX_TOP_LOGPROBS} alternatives"
                ))
                .param(param))
            } else {
                Ok(n as u8)
            }
        };
        match (&self.logprobs, chat) {
            (None | Some(Value::Null), _) | (Some(Value::Bool(false)), true) => {
                if self.top_logprobs.is_some_and(|n| n > 0) && chat {
                    return Err(ApiError::bad_request("top_logprobs needs logprobs: true")
                        .param("top_logprobs"));
                }
                Ok(None)
            }
            (Some(Value::Bool(true)), true) => Ok(Some(top(
                u64::from(self.top_logprobs.unwrap_or(0)),
                "top_logprobs",
            )?)),
            (Some(Value::Number(n)), false) if n.as_u64().is_some() => {
                Ok(Some(top(n.as_u64().unwrap_or(0), "logprobs")?))
            }
            (Some(v), _) => Err(ApiError::bad_request(format!(
                "logprobs must be {}, not {v}",
                if chat {
                    "true or false"
                } else {
                    "a count from 0 to 20"
                }
            ))
            .param("logprobs")),
        }
    }

    /// Tools, the tool choice and the response format, checked.
    fn constraints(&self, chat: bool) -> Result<Constraints, ApiError> {
        let tools = tools(self.tools.as_deref().unwrap_or_default())?;
        if !chat && !tools.is_empty() {
            return Err(ApiError::bad_request(
                "tools are for /v1/chat/completions; a completion has no chat template",
            )
            .param("tools"));
        }
        let tool_choice = match &self.tool_choice {
            None | Some(Value::Null) => ToolChoice::Auto,
            Some(Value::String(s)) => match s.as_str() {
                "auto" => ToolChoice::Auto,
                "none" => ToolChoice::None,
                "required" => ToolChoice::Required,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "tool_choice `{other}` is not one of none, auto, required"
                    ))
                    .param("tool_choice"));
                }
            },
            Some(v) => match v.pointer("/function/name").and_then(Value::as_str) {
                Some(name) if v.get("type").and_then(Value::as_str) == Some("function") => {
                    ToolChoice::Function(name.to_string())
                }
                _ => {
                    return Err(ApiError::bad_request(
                        "tool_choice must be none, auto, required or {\"type\": \"function\", \
                         \"function\": {\"name\": ...}}",
                    )
                    .param("tool_choice"));
                }
            },
        };
        let c = Constraints {
            tools,
            tool_choice,
            parallel_tool_calls: self.parallel_tool_calls.unwrap_or(false),
            format: self.format()?,
        };
        check_constraints(&c).map_err(ApiError::from)?;
        if let Some(Format::Schema(s)) = &c.format {
            crate::engine::chat::schema_grammar(s).map_err(|e| {
                ApiError::bad_request(format!("response_format: {e}"))
                    .param("response_format.json_schema.schema")
            })?;
        }
        Ok(c)
    }

    /// `{"type": "text" | "json_object" | "json_schema", "json_schema": {"schema": ...}}`.
    fn format(&self) -> Result<Option<Format>, ApiError> {
        let Some(rf) = &self.response_format else {
            return Ok(None);
        };
        let bad = |m: String, p: &str| Err(ApiError::bad_request(m).param(p));
        match rf.get("type").and_then(Value::as_str) {
            Some("text") => Ok(None),
            Some("json_object") => Ok(Some(Format::Json)),
            Some("json_schema") => {
                let Some(schema) = rf.pointer("/json_schema/schema") else {
                    return bad(
                        "response_format.json_schema.schema is missing".into(),
                        "response_format.json_schema.schema",
                    );
                };
                crate::job::schema::check(schema).map_err(|e| {
                    ApiError::bad_request(format!("response_format.json_schema.schema: {e}"))
                        .param("response_format.json_schema.schema")
                })?;
                Ok(Some(Format::Schema(schema.clone())))
            }
            other => bad(
                format!(
                    "response_format.type must be text, json_object or json_schema, not {}",
                    other.map_or_else(|| "missing".to_string(), |t| format!("`{t}`"))
                ),
                "response_format.type",
            ),
        }
    }
}

/// Message `i`'s tool calls, checked: functions, with JSON arguments.
fn tool_calls(i: usize, calls: &[CallSpec]) -> Result<Vec<ToolCall>, ApiError> {
    calls
        .iter()
        .enumerate()
        .map(|(j, c)| {
            if c.kind.as_deref().is_some_and(|k| k != "function") {
                return Err(ApiError::bad_request(format!(
                    "messages[{i}].tool_calls[{j}].type must be `function`"
                ))
                .param(format!("messages[{i}].tool_calls[{j}].type")));
            }
            if serde_json::from_str::<Value>(&c.function.arguments).is_err() {
                return Err(ApiError::bad_request(format!(
                    "messages[{i}].tool_calls[{j}].function.arguments is not JSON"
                ))
                .param(format!("messages[{i}].tool_calls[{j}].function.arguments")));
            }
            Ok(ToolCall {
                id: c.id.clone(),
                name: c.function.name.clone(),
                arguments: c.function.arguments.clone(),
            })
        })
        .collect()
}

/// OpenAI's tools (Ollama sends the same shape) as the job's, their parameters checked.
pub(super) fn tools(specs: &[ToolSpec]) -> Result<Vec<Tool>, ApiError> {
    let mut tools = Vec::new();
    for (i, t) in specs.iter().enumerate() {
        let (Some(f), "function") = (&t.function, t.kind.as_str()) else {
            return Err(ApiError::bad_request(format!(
                "tools[{i}] must be {{\"type\": \"function\", \"function\": {{...}}}}"
            ))
            .param(format!("tools[{i}]")));
        };
        let parameters = f
            .parameters
            .clone()
            .unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}}));
        crate::job::schema::check(&parameters).map_err(|e| {
            ApiError::bad_request(format!("tools[{i}].function.parameters: {e}"))
                .param(format!("tools[{i}].function.parameters"))
        })?;
        tools.push(Tool {
            name: f.name.clone(),
            description: f.description.clone().unwrap_or_default(),
            parameters,
        });
    }
    Ok(tools)
}

/// Validates chat messages into the job's terms.
pub(super) fn messages(msgs: &[ChatMessage]) -> Result<Vec<ChatMsg>, ApiError> {
    if msgs.is_empty() {
        return Err(
            ApiError::bad_request("messages is empty: send at least one message").param("messages"),
        );
    }
    msgs.iter()
        .enumerate()
        .map(|(i, m)| {
            let role = match m.role.as_str() {
                "tool" => None,
                other => Some(Role::parse(other).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "messages[{i}].role `{other}` is not supported; use system, user, \
                         assistant or tool"
                    ))
                    .param(format!("messages[{i}].role"))
                })?),
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
            let calls = m.tool_calls.as_deref().unwrap_or_default();
            if role != Some(Role::Assistant) && !calls.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "messages[{i}].tool_calls: only an assistant message makes tool calls"
                ))
                .param(format!("messages[{i}].tool_calls")));
            }
            if role != Some(Role::Assistant) && content.is_empty() && m.content.is_none() {
                return Err(ApiError::bad_request(format!("messages[{i}].content is missing"))
                    .param(format!("messages[{i}].content")));
            }
            let tool_call_id = match (role, &m.tool_call_id) {
                (None, None) => {
                    return Err(ApiError::bad_request(format!(
                        "messages[{i}] is a tool result without tool_call_id"
                    ))
                    .param(format!("messages[{i}].tool_call_id")));
                }
                (None, id) => id.clone(),
                _ => None,
            };
            let tool_calls = tool_calls(i, calls)?;
            Ok(ChatMsg {
                role: role.map_or("tool", Role::as_str).to_string(),
                content,
                tool_calls,
                tool_call_id,
            })
        })
        .collect()
}

/// The request field `llp_policy` as rules (none: no rules), with an error that names the rule.
pub(super) fn policy_field(v: Option<&Value>) -> Result<crate::route::policy::Rules, ApiError> {
    let Some(v) = v else {
        return Ok(Default::default());
    };
    let rules: crate::route::policy::Rules = serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." {
            String::new()
        } else {
            format!(".{path}")
        };
        ApiError::bad_request(format!("llp_policy{at}: {}", e.inner()))
            .param(format!("llp_policy{at}"))
    })?;
    rules
        .check("llp_policy")
        .map_err(|m| ApiError::bad_request(m).param("llp_policy"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request parser and its checks, fuzzed (`crate::fuzz`): any body gets an answer,
    /// never a panic (nor an abort in llama.cpp's schema converter, which a schema reaches).
    #[test]
    fn fuzzed_requests_get_errors_not_panics() {
        let seeds: Vec<Vec<u8>> = [
            r#"{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"}]}],"max_tokens":4,"stop":["x","\n"],"n":2,"temperature":0.5,"seed":3,"logprobs":true,"top_logprobs":2,"stream":true,"stream_options":{"include_usage":true}}"#,
            r#"{"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get","arguments":"{\"city\":\"Oslo\"}"}}]},{"role":"tool","tool_call_id":"c1","content":"Sunny"}],"tools":[{"type":"function","function":{"name":"get","parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":20}},"required":["city"]}}}],"tool_choice":"required"}"#,
            r#"{"messages":[{"role":"user","content":"JSON"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"a":{"type":"array","items":{"type":"integer","minimum":0},"minItems":1,"maxItems":3},"b":{"enum":["x","y"]},"c":{"pattern":"^[a-z]{2,4}$"}},"required":["a"]}}}}"#,
            r#"{"prompt":"Once","max_tokens":8,"echo":false,"best_of":1,"response_format":{"type":"json_object"}}"#,
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        crate::fuzz::fuzz("openai-request", &seeds, |b| {
            if let Ok((chat, common)) = parse_request::<ChatRequest>(b) {
                let _ = common.validate(true);
                let _ = messages(&chat.messages);
            }
            if let Ok((_, common)) = parse_request::<CompletionRequest>(b) {
                let _ = common.validate(false);
            }
        });
    }

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
    fn n_is_one_to_eight() {
        for (n, ok) in [(0, false), (1, true), (8, true), (9, false)] {
            let c = Common {
                n: Some(n),
                ..Default::default()
            };
            let v = c.validate(true);
            assert_eq!(v.is_ok(), ok, "n={n}");
            if !ok {
                assert_eq!(v.unwrap_err().param.as_deref(), Some("n"));
            }
        }
    }

    #[test]
    fn tools_formats_and_logprobs_are_checked() {
        let parse = |body: &str| {
            let (_, c): (ChatRequest, Common) = parse_request(body.as_bytes()).unwrap();
            c.validate(true)
        };
        let tool = r#"{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}"#;
        let v = parse(&format!(
            r#"{{"messages":[],"tools":[{tool}],"tool_choice":{{"type":"function","function":{{"name":"f"}}}}}}"#
        ))
        .unwrap();
        assert_eq!(v.constraints.tool_choice, ToolChoice::Function("f".into()));
        let e = parse(&format!(
            r#"{{"messages":[],"tools":[{tool}],"tool_choice":{{"type":"function","function":{{"name":"g"}}}}}}"#
        ))
        .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("tool_choice"));
        let e = parse(r#"{"messages":[],"tools":[{"type":"retrieval"}]}"#).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("tools[0]"));
        let e = parse(
            r#"{"messages":[],"response_format":{"type":"json_schema","json_schema":{"schema":{"type":"object","patternProperties":{}}}}}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("patternProperties"), "{}", e.message);
        let v = parse(r#"{"messages":[],"logprobs":true,"top_logprobs":5}"#).unwrap();
        assert_eq!(v.logprobs, Some(5));
        assert!(parse(r#"{"messages":[],"logprobs":true,"top_logprobs":21}"#).is_err());
        assert!(parse(r#"{"messages":[],"top_logprobs":2}"#).is_err());
        let (_, c): (CompletionRequest, Common) =
            parse_request(br#"{"prompt":"x","logprobs":3}"#).unwrap();
        assert_eq!(c.validate(false).unwrap().logprobs, Some(3));
    }

    #[test]
    fn roles_and_parts() {
        let (req, _): (ChatRequest, Common) = parse_request(
            br#"{"messages":[{"role":"developer","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}"#,
        )
        .unwrap();
        let m = messages(&req.messages).unwrap();
        assert_eq!(m[0].role, "system");
        assert_eq!(m[1].content, "ab");
        // A tool result names the call it answers.
        let (req, _): (ChatRequest, Common) =
            parse_request(br#"{"messages":[{"role":"tool","content":"x"}]}"#).unwrap();
        assert!(messages(&req.messages).is_err());
        let (req, _): (ChatRequest, Common) = parse_request(
            br#"{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"x"}]}"#,
        )
        .unwrap();
        let m = messages(&req.messages).unwrap();
        assert_eq!(m[0].tool_calls[0].name, "f");
        assert_eq!(m[1].tool_call_id.as_deref(), Some("c1"));
        let (req, _): (ChatRequest, Common) = parse_request(
            br#"{"messages":[{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":"not json"}}]}]}"#,
        )
        .unwrap();
        assert!(messages(&req.messages).is_err());
    }
}
