//! Constrained answers: a job with tools or a response format is rendered by the model's own
//! Jinja template (through `chat`), sampled under the grammar that template and llama.cpp make
//! of it, and read back as it streams by the model's own parser, whose readings become deltas
//! (content, tool calls) sent with the tokens.
//!
//! Owns [`Setup`] (one job's grammar, parser and reading so far) and the rendering of a
//! constrained prompt. The scheduler builds the grammar sampler from a setup and feeds it the
//! answer's text; nothing here touches a context.

use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use serde_json::{Value, json};

use super::chat::{Applied, Parsed, ParsedCall, Parser, Templates};
use super::prompt::{PromptError, with_bos};
use crate::job::{CallDelta, ChatMsg, Constraints, Format, MsgDelta, Prompt, ToolChoice};

/// A model's templates for constrained chats: its default one, and its `tool_use` one if it has
/// a separate template for tools (llama.cpp's choice too).
pub(super) struct ModelTemplates {
    default: Templates,
    tool_use: Option<Templates>,
}

impl ModelTemplates {
    /// The model's own templates, else ChatML.
    pub(super) fn load(model: &LlamaModel) -> Result<Self, String> {
        let vocab = model.vocab();
        let text = |t: LlamaToken| {
            if t.0 < 0 {
                String::new()
            } else {
                String::from_utf8_lossy(&vocab.token_to_piece(t, true, None)).into_owned()
            }
        };
        let (bos, eos) = (text(vocab.bos()), text(vocab.eos()));
        let own = |name| {
            model
                .chat_template(name)
                .ok()
                .and_then(|t| t.to_string().ok())
        };
        let default_src = own(None).unwrap_or_else(|| "chatml".into());
        let tool_use = match own(Some("tool_use")) {
            Some(src) => Some(Templates::new(&src, &bos, &eos)?),
            None => None,
        };
        Ok(ModelTemplates {
            default: Templates::new(&default_src, &bos, &eos)?,
            tool_use,
        })
    }

    /// [`ModelTemplates::load`], saying in the log when llama.cpp cannot read the template.
    pub(super) fn load_or_say(
        model: &LlamaModel,
        config: &super::EngineConfig,
    ) -> Result<Self, String> {
        let t = Self::load(model);
        if let Err(e) = &t {
            tracing::warn!(model = %config.name, error = %e,
                "llama.cpp cannot read this model's chat template: requests with tools or a \
                 response format will be refused");
        }
        t
    }

    fn for_tools(&self, tools: bool) -> &Templates {
        match (&self.tool_use, tools) {
            (Some(t), true) => t,
            _ => &self.default,
        }
    }

    /// Whether a chat with tools can be rendered.
    pub(super) fn supports_tools(&self) -> bool {
        self.for_tools(true).caps().supports_tools
    }
}

/// One constrained job's grammar and parser, and what the parser has read so far. A clone
/// starts from the same reading (a prepared job may be submitted more than once).
#[derive(Clone)]
pub struct Setup {
    grammar: Option<Grammar>,
    /// Tokens whose text the answer keeps although they are special (the parser reads them).
    pub(super) preserved: Vec<LlamaToken>,
    parser: Option<std::sync::Arc<Parser>>,
    /// The answer's text so far (a continuation's first), as the parser reads it.
    text: String,
    /// What the deltas sent so far add up to.
    sent: Parsed,
    /// The ids given to tool calls, by index.
    ids: Vec<String>,
    /// The tools offered (when the model may call one): an answer that is nothing but a JSON
    /// call of one of them, outside the template's syntax, is read as that call.
    offered: Vec<String>,
}

impl std::fmt::Debug for Setup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setup")
            .field("grammar", &self.grammar.as_ref().map(|g| g.lazy))
            .field("parser", &self.parser.is_some())
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Grammar {
    text: String,
    lazy: bool,
    patterns: Vec<String>,
    tokens: Vec<LlamaToken>,
    /// Tokens the grammar reads before the answer: the generation prompt (for a grammar that
    /// starts there) and a continuation's tokens.
    prefill: Vec<LlamaToken>,
}

impl Grammar {
    /// The grammar `text` of `applied` (none for a completion's format), having read `cont`.
    fn new(
        model: &LlamaModel,
        text: String,
        applied: Option<&Applied>,
        cont: &[LlamaToken],
    ) -> Self {
        let lazy = applied.is_some_and(|a| a.grammar_lazy);
        let mut prefill = match applied {
            Some(a) if !lazy => generation_prompt_tokens(model, a),
            _ => Vec::new(),
        };
        prefill.extend(cont);
        Grammar {
            text,
            lazy,
            patterns: applied.map_or_else(Vec::new, |a| a.trigger_patterns.clone()),
            tokens: applied.map_or_else(Vec::new, |a| {
                a.trigger_tokens.iter().map(|&t| LlamaToken(t)).collect()
            }),
            prefill,
        }
    }
}

impl Setup {
    /// The grammar sampler, having read the tokens before the answer. Errors name what failed.
    pub(super) fn sampler(&self, model: &LlamaModel) -> Result<Option<LlamaSampler>, String> {
        let Some(g) = &self.grammar else {
            return Ok(None);
        };
        let s = if g.lazy {
            LlamaSampler::grammar_lazy_patterns(model, &g.text, "root", &g.patterns, &g.tokens)
        } else {
            LlamaSampler::grammar(model, &g.text, "root")
        };
        let mut s = s.map_err(|e| format!("llama.cpp refused the grammar: {e}"))?;
        for &t in &g.prefill {
            s.try_accept(t)
                .map_err(|e| format!("the answer so far does not fit the grammar: {e}"))?;
        }
        Ok(Some(s))
    }

    /// Reads `released` (answer text) and says what it adds, if anything.
    pub(super) fn read(&mut self, released: &str) -> Option<MsgDelta> {
        self.text.push_str(released);
        self.parse(true)
    }

    /// The last reading, of the whole answer.
    pub(super) fn finish(&mut self) -> Option<MsgDelta> {
        self.parse(false)
    }

    fn parse(&mut self, partial: bool) -> Option<MsgDelta> {
        let parser = self.parser.as_ref()?;
        // llama.cpp's parser reads JSON recursively: text nested deeper than any real call is
        // content, and is not handed to it.
        let parsed = if nesting(&self.text) > MAX_NESTING {
            Err("nested too deep to read as calls".to_string())
        } else {
            parser.parse(&self.text, partial)
        };
        let mut now = match parsed {
            Ok(p) => p,
            Err(e) => {
                // A partial answer that reads as nothing yet is normal; a whole one that does
                // not parse is sent as plain content.
                if partial {
                    return None;
                }
                tracing::debug!(error = %e, "the answer does not parse; sent as content");
                Parsed {
                    content: self.text.clone(),
                    ..Parsed::default()
                }
            }
        };
        if !self.offered.is_empty() && now.tool_calls.is_empty() && self.sent.content.is_empty() {
            let t = now.content.trim_start();
            if partial && (t.is_empty() || t.starts_with('{') || t.starts_with("```")) {
                // It may be a bare call: held until the answer ends.
                return None;
            }
            if !partial && let Some(call) = bare_call(&now.content, &self.offered) {
                now = Parsed {
                    tool_calls: vec![call],
                    ..Parsed::default()
                };
            }
        }
        let d = diff(&mut self.sent, &now, &mut self.ids);
        (!d.is_empty()).then_some(d)
    }
}

/// Deepest bracket nesting the parser is given (tool calls' JSON is far shallower).
const MAX_NESTING: usize = 64;

/// The deepest nesting of `[` and `{` in `text`.
fn nesting(text: &str) -> usize {
    let (mut depth, mut most) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                most = most.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    most
}

/// An answer that is only `{"name": TOOL, "arguments": {...}}` (perhaps in a ```json fence),
/// naming one of `offered`: small models often call a tool so, outside their template's
/// syntax, and nothing else could be meant by it.
fn bare_call(content: &str, offered: &[String]) -> Option<ParsedCall> {
    let t = content.trim();
    let t = t
        .strip_prefix("```json")
        .or_else(|| t.strip_prefix("```"))
        .and_then(|r| r.trim_end().strip_suffix("```"))
        .unwrap_or(t)
        .trim();
    let v: Value = serde_json::from_str(t).ok()?;
    let name = v.get("name")?.as_str()?;
    let args = v.get("arguments").or_else(|| v.get("parameters"))?;
    (offered.iter().any(|o| o == name) && args.is_object()).then(|| ParsedCall {
        name: name.to_string(),
        arguments: args.to_string(),
        id: String::new(),
    })
}

/// What `now` adds to what was `sent` (which it updates). A reading that takes back text
/// already sent (a partial parse that changed its mind) sends nothing for that part.
pub(crate) fn diff(sent: &mut Parsed, now: &Parsed, ids: &mut Vec<String>) -> MsgDelta {
    let mut d = MsgDelta::default();
    if let Some(more) = now.content.strip_prefix(sent.content.as_str()) {
        d.content = more.to_string();
        sent.content = now.content.clone();
    }
    for (i, call) in now.tool_calls.iter().enumerate() {
        if call.name.is_empty() {
            break;
        }
        match sent.tool_calls.get_mut(i) {
            None => {
                let id = if call.id.is_empty() {
                    format!("call_{}", crate::ids::random_hex(12))
                } else {
                    call.id.clone()
                };
                ids.push(id.clone());
                d.tool_calls.push(CallDelta {
                    index: i as u32,
                    id: Some(id),
                    name: Some(call.name.clone()),
                    arguments: call.arguments.clone(),
                });
                sent.tool_calls.push(call.clone());
            }
            Some(old) => {
                if let Some(more) = call.arguments.strip_prefix(old.arguments.as_str())
                    && !more.is_empty()
                {
                    d.tool_calls.push(CallDelta {
                        index: i as u32,
                        id: None,
                        name: None,
                        arguments: more.to_string(),
                    });
                    old.arguments = call.arguments.clone();
                }
            }
        }
    }
    d
}

/// A grammar whose answer is a tool call from its first token: llama.cpp's grammar for a
/// required call lets free text come first (`root ::= ... until-N? tool-calls`), and a small
/// model told it must call a tool writes the call as that text, where no parser reads it.
/// OpenAI's forced calls are calls and nothing else; the optional text before is taken out.
fn call_first(grammar: &str) -> String {
    grammar
        .lines()
        .map(|line| match line.strip_prefix("root ::=") {
            Some(rule) => {
                let kept: Vec<&str> = rule
                    .split(' ')
                    .filter(|t| !(t.starts_with("until-") && t.ends_with('?')))
                    .collect();
                format!("root ::={}", kept.join(" "))
            }
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The grammar of a response format on its own (a completion, where no template applies).
fn format_grammar(format: &Format) -> Result<String, PromptError> {
    let schema = match format {
        Format::Json => json!({"type": "object"}),
        Format::Schema(s) => s.clone(),
    };
    super::chat::schema_grammar(&schema).map_err(PromptError::Schema)
}

/// OpenAI's shape of a chat's messages, for the template.
fn openai_messages(msgs: &[ChatMsg]) -> Value {
    Value::Array(
        msgs.iter()
            .map(|m| {
                let mut v = json!({"role": m.role, "content": m.content});
                if !m.tool_calls.is_empty() {
                    v["tool_calls"] = m
                        .tool_calls
                        .iter()
                        .map(|c| {
                            json!({"id": c.id, "type": "function",
                                "function": {"name": c.name, "arguments": c.arguments}})
                        })
                        .collect();
                }
                if let Some(id) = &m.tool_call_id {
                    v["tool_call_id"] = json!(id);
                }
                v
            })
            .collect(),
    )
}

/// The template's request: messages, tools (only the named one for a named choice) and schema.
fn template_request(msgs: &[ChatMsg], c: &Constraints) -> Value {
    let mut req = json!({ "messages": openai_messages(msgs) });
    if c.has_tools() {
        let (tools, choice): (Vec<_>, _) = match &c.tool_choice {
            ToolChoice::Function(name) => (
                c.tools.iter().filter(|t| &t.name == name).collect(),
                "required",
            ),
            ToolChoice::Required => (c.tools.iter().collect(), "required"),
            _ => (c.tools.iter().collect(), "auto"),
        };
        req["tools"] = tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.parameters}})
            })
            .collect();
        req["tool_choice"] = json!(choice);
        req["parallel_tool_calls"] = json!(c.parallel_tool_calls);
    }
    match &c.format {
        Some(Format::Json) => req["json_schema"] = json!({"type": "object"}),
        Some(Format::Schema(s)) => req["json_schema"] = s.clone(),
        None => {}
    }
    req
}

/// Whether a chat needs the Jinja path: constraints, or messages with tool calls or results.
pub fn needs_template(prompt: &Prompt, c: &Constraints) -> bool {
    !c.is_empty()
        || matches!(prompt, Prompt::Chat(m) if m.iter().any(|m| !m.tool_calls.is_empty()
            || m.tool_call_id.is_some() || m.role == "tool"))
}

/// Renders a constrained job: its prompt tokens and its setup. `continuation`: answer tokens
/// already produced elsewhere (the grammar and the parser read them first).
pub(super) fn render(
    model: &LlamaModel,
    name: &str,
    templates: &ModelTemplates,
    prompt: &Prompt,
    c: &Constraints,
    continuation: &[u32],
) -> Result<(Vec<LlamaToken>, Setup), PromptError> {
    let vocab = model.vocab();
    let (tokens, grammar, applied) = match prompt {
        Prompt::Embed(_) => {
            return Err(PromptError::Template(
                "an embedding job has no tools or format".into(),
            ));
        }
        Prompt::Text(text) => {
            let grammar = c.format.as_ref().map(format_grammar).transpose()?;
            (super::prompt::text_tokens(model, text), grammar, None)
        }
        Prompt::Chat(msgs) => {
            let (tokens, grammar, applied) = render_chat(model, name, templates, msgs, c)?;
            (tokens, grammar, Some(applied))
        }
    };
    let cont: Vec<LlamaToken> = continuation
        .iter()
        .map(|&t| LlamaToken::new(t as i32))
        .collect();
    let preserved: Vec<LlamaToken> = applied.as_ref().map_or_else(Vec::new, |a| {
        a.preserved_tokens
            .iter()
            .filter_map(|s| match vocab.tokenize(s.as_bytes(), false, true)[..] {
                [t] => Some(t),
                _ => None,
            })
            .collect()
    });
    let grammar = grammar.map(|text| Grammar::new(model, text, applied.as_ref(), &cont));
    let parser = match &applied {
        Some(a) => Some(std::sync::Arc::new(
            Parser::new(a).map_err(PromptError::Template)?,
        )),
        None => None,
    };
    let text = cont
        .iter()
        .map(|&t| {
            String::from_utf8_lossy(&vocab.token_to_piece(t, preserved.contains(&t), None))
                .into_owned()
        })
        .collect();
    let offered = c
        .tools
        .iter()
        .filter(|_| c.has_tools())
        .map(|t| t.name.clone());
    let mut setup = Setup {
        grammar,
        preserved,
        parser,
        text,
        sent: Parsed::default(),
        ids: Vec::new(),
        offered: offered.collect(),
    };
    // What the continuation already said was sent by the node that produced it.
    if !continuation.is_empty()
        && let Some(p) = &setup.parser
        && let Ok(now) = p.parse(&setup.text, true)
    {
        setup.sent = now;
    }
    Ok((tokens, setup))
}

/// A chat through the template: its tokens, its grammar (if any) and what the template made.
fn render_chat(
    model: &LlamaModel,
    name: &str,
    templates: &ModelTemplates,
    msgs: &[ChatMsg],
    c: &Constraints,
) -> Result<(Vec<LlamaToken>, Option<String>, Applied), PromptError> {
    refuse_special_text(model, msgs, c)?;
    if c.has_tools() && !templates.supports_tools() {
        return Err(PromptError::NoTools(name.to_string()));
    }
    let t = templates.for_tools(c.has_tools());
    let applied = t
        .apply(&template_request(msgs, c))
        .map_err(PromptError::Template)?;
    let tokens = with_bos(
        model,
        &applied.prompt,
        model
            .vocab()
            .tokenize(applied.prompt.as_bytes(), false, true),
    );
    let forced = matches!(
        c.tool_choice,
        ToolChoice::Required | ToolChoice::Function(_)
    ) && c.has_tools();
    let grammar = (!applied.grammar.is_empty()).then(|| {
        if forced {
            call_first(&applied.grammar)
        } else {
            applied.grammar.clone()
        }
    });
    Ok((tokens, grammar, applied))
}

/// The generation prompt's tokens, as llama.cpp's sampler prefills a grammar with them (a
/// leading space piece some tokenizers add is skipped).
fn generation_prompt_tokens(model: &LlamaModel, a: &Applied) -> Vec<LlamaToken> {
    if a.generation_prompt.is_empty() {
        return Vec::new();
    }
    let vocab = model.vocab();
    let tokens = vocab.tokenize(a.generation_prompt.as_bytes(), false, true);
    let first_is_space = |t: LlamaToken| {
        vocab
            .token_to_piece(t, true, None)
            .first()
            .is_some_and(u8::is_ascii_whitespace)
    };
    let skip = usize::from(
        tokens.first().is_some_and(|&t| first_is_space(t))
            && !a.generation_prompt.starts_with(|c: char| c.is_whitespace()),
    );
    tokens[skip..].to_vec()
}

/// A constrained chat is rendered in one piece, so text in it that reads as a control token
/// (`<|im_end|>` typed by a user) would become that token: refused, naming where it is.
fn refuse_special_text(
    model: &LlamaModel,
    msgs: &[ChatMsg],
    c: &Constraints,
) -> Result<(), PromptError> {
    let vocab = model.vocab();
    let special = |s: &str| {
        !s.is_empty()
            && vocab.tokenize(s.as_bytes(), false, true)
                != vocab.tokenize(s.as_bytes(), false, false)
    };
    for (i, m) in msgs.iter().enumerate() {
        if special(&m.content) {
            return Err(PromptError::SpecialText(format!("messages[{i}].content")));
        }
        for (j, call) in m.tool_calls.iter().enumerate() {
            if special(&call.name) || special(&call.arguments) || special(&call.id) {
                return Err(PromptError::SpecialText(format!(
                    "messages[{i}].tool_calls[{j}]"
                )));
            }
        }
    }
    for (i, t) in c.tools.iter().enumerate() {
        if special(&t.name) || special(&t.description) || special(&t.parameters.to_string()) {
            return Err(PromptError::SpecialText(format!("tools[{i}]")));
        }
    }
    if let Some(Format::Schema(s)) = &c.format
        && special(&s.to_string())
    {
        return Err(PromptError::SpecialText("response_format".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::chat::ParsedCall;

    fn call(name: &str, args: &str) -> ParsedCall {
        ParsedCall {
            name: name.into(),
            arguments: args.into(),
            id: String::new(),
        }
    }

    #[test]
    fn a_bare_json_call_of_an_offered_tool_is_a_call() {
        let offered = vec!["get_weather".to_string()];
        let c = bare_call(
            "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}",
            &offered,
        )
        .unwrap();
        assert_eq!(c.name, "get_weather");
        assert_eq!(c.arguments, "{\"city\":\"Paris\"}");
        let fenced = "```json\n{\"name\": \"get_weather\", \"arguments\": {}}\n```";
        assert!(bare_call(fenced, &offered).is_some());
        // Not offered, not a call, or more than the call: text.
        assert!(bare_call("{\"name\": \"rm\", \"arguments\": {}}", &offered).is_none());
        assert!(bare_call("{\"name\": \"get_weather\"}", &offered).is_none());
        assert!(
            bare_call(
                "Sure: {\"name\": \"get_weather\", \"arguments\": {}}",
                &offered
            )
            .is_none()
        );
    }

    #[test]
    fn a_forced_call_comes_first() {
        let g =
            "root ::= \"<|im_start|>assistant\\n\" space until-161? tool-calls\nuntil-161 ::= x\n";
        let f = call_first(g);
        assert!(
            f.starts_with("root ::= \"<|im_start|>assistant\\n\" space tool-calls\n"),
            "{f}"
        );
        assert!(f.contains("until-161 ::= x"));
    }

    #[test]
    fn deltas_add_up_to_the_reading() {
        let (mut sent, mut ids) = (Parsed::default(), Vec::new());
        let d = diff(
            &mut sent,
            &Parsed {
                content: "Let me look.".into(),
                ..Parsed::default()
            },
            &mut ids,
        );
        assert_eq!(d.content, "Let me look.");
        let mut now = Parsed {
            content: "Let me look.".into(),
            tool_calls: vec![call("get_weather", "{\"ci")],
            ..Parsed::default()
        };
        let d = diff(&mut sent, &now, &mut ids);
        assert_eq!(d.content, "");
        assert_eq!(d.tool_calls.len(), 1);
        assert_eq!(d.tool_calls[0].name.as_deref(), Some("get_weather"));
        assert!(d.tool_calls[0].id.as_deref().unwrap().starts_with("call_"));
        now.tool_calls[0].arguments = "{\"city\": \"Paris\"}".into();
        let d = diff(&mut sent, &now, &mut ids);
        assert_eq!(d.tool_calls[0].arguments, "ty\": \"Paris\"}");
        assert_eq!(d.tool_calls[0].name, None);
        // A reading that takes text back sends nothing for it.
        now.content = "Let me".into();
        assert!(diff(&mut sent, &now, &mut ids).is_empty());
        // A call whose name is not read yet waits.
        now.tool_calls.push(call("", ""));
        assert!(diff(&mut sent, &now, &mut ids).is_empty());
        assert_eq!(ids.len(), 1);
    }
}
