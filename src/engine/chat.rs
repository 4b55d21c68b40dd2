//! llama.cpp's own chat support, through the C shim in `chat_shim.cpp` (llama-cpp-2 builds it
//! into `libllama-common` but binds none of it): the model's Jinja template rendered with tools
//! and a JSON schema ([`Templates::apply`]), the grammar that keeps tool calls and JSON
//! well-formed, the parser that reads the model's tool-call syntax back ([`Parser`]), and the
//! GBNF grammar of a JSON schema ([`schema_grammar`]).
//!
//! Everything crosses the boundary as JSON text. What a request carries (messages, tools,
//! schemas, the text of an answer so far) reaches the C++ side, from clients and peers alike:
//! it is bounded and checked first (`job::check_constraints`, `job::schema`, `job::local`),
//! and every C++ exception comes back as an error. A parser's serialized form is only ever this
//! node's own, made by its own apply (llama.cpp trusts it).

#![allow(unsafe_code)] // The bindings of the C++ shim: each unsafe call says why it holds.

use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr::NonNull;
use std::sync::Mutex;

use serde::Deserialize;

#[repr(C)]
struct RawChat {
    _private: [u8; 0],
}
#[repr(C)]
struct RawParser {
    _private: [u8; 0],
}

unsafe extern "C" {
    fn llp_free(p: *mut c_char);
    fn llp_chat_init(
        src: *const c_char,
        bos: *const c_char,
        eos: *const c_char,
        err: *mut *mut c_char,
    ) -> *mut RawChat;
    fn llp_chat_free(c: *mut RawChat);
    fn llp_chat_caps(c: *const RawChat, out: *mut *mut c_char) -> c_int;
    fn llp_chat_apply(c: *const RawChat, request: *const c_char, out: *mut *mut c_char) -> c_int;
    fn llp_chat_parser_new(params: *const c_char, err: *mut *mut c_char) -> *mut RawParser;
    fn llp_chat_parser_free(p: *mut RawParser);
    fn llp_chat_parse(
        p: *const RawParser,
        text: *const c_char,
        len: usize,
        partial: bool,
        out: *mut *mut c_char,
    ) -> c_int;
    fn llp_json_schema_grammar(schema: *const c_char, out: *mut *mut c_char) -> c_int;
}

/// Takes ownership of a string the shim returned.
fn take(p: *mut c_char) -> String {
    if p.is_null() {
        return "llama.cpp returned nothing (out of memory?)".into();
    }
    // SAFETY: the shim returns NUL-terminated strings from malloc, freed once here.
    let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
    unsafe { llp_free(p) };
    s
}

fn cstring(s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| "text holds a NUL character".to_string())
}

/// Calls a shim function that answers through `out` with 0 for success.
fn call(f: impl FnOnce(*mut *mut c_char) -> c_int) -> Result<String, String> {
    let mut out = std::ptr::null_mut();
    let rc = f(&mut out);
    let s = take(out);
    if rc == 0 { Ok(s) } else { Err(s) }
}

/// What a template can do, as llama.cpp reads it from the template's source.
#[derive(Debug, Clone, Deserialize)]
pub struct Caps {
    /// It renders a `tools` list into the prompt.
    pub supports_tools: bool,
    /// It renders assistant messages' `tool_calls`.
    pub supports_tool_calls: bool,
    #[serde(default)]
    pub supports_parallel_tool_calls: bool,
    pub source: String,
}

/// A model's chat templates, ready to render. The shim's templates are not known to be safe to
/// share between threads, so one render runs at a time.
pub struct Templates {
    raw: Mutex<NonNull<RawChat>>,
    caps: Caps,
}

// SAFETY: the raw handle is used only under the mutex; the shim keeps no thread-local state.
unsafe impl Send for Templates {}
unsafe impl Sync for Templates {}

impl Drop for Templates {
    fn drop(&mut self) {
        let raw = *self.raw.get_mut().unwrap_or_else(|e| e.into_inner());
        // SAFETY: created by llp_chat_init, freed once.
        unsafe { llp_chat_free(raw.as_ptr()) };
    }
}

/// The prompt and constraints of one chat, as the template renders it.
#[derive(Debug, Clone, Deserialize)]
pub struct Applied {
    pub prompt: String,
    /// GBNF, empty for none.
    pub grammar: String,
    /// The grammar applies only from a trigger on (a tool call the model may or may not make).
    pub grammar_lazy: bool,
    pub trigger_patterns: Vec<String>,
    pub trigger_tokens: Vec<i32>,
    /// Special tokens the answer must keep as text (the parser reads them).
    pub preserved_tokens: Vec<String>,
    pub additional_stops: Vec<String>,
    pub format: i32,
    pub format_name: String,
    /// The text the prompt ends with that opens the answer (the grammar and parser start there).
    pub generation_prompt: String,
    /// The parser, serialized (empty: the whole answer is content).
    pub parser: String,
}

impl Templates {
    /// Reads a template source (a model's `tokenizer.chat_template`, or a name llama.cpp knows
    /// such as `chatml`), with the model's BOS and EOS texts for templates that write them.
    pub fn new(source: &str, bos: &str, eos: &str) -> Result<Templates, String> {
        let (src, bos, eos) = (cstring(source)?, cstring(bos)?, cstring(eos)?);
        let mut err = std::ptr::null_mut();
        // SAFETY: valid C strings; the shim refuses an empty source (llama.cpp would then want
        // the model, which is not passed).
        let raw = unsafe { llp_chat_init(src.as_ptr(), bos.as_ptr(), eos.as_ptr(), &mut err) };
        let raw = NonNull::new(raw).ok_or_else(|| take(err))?;
        let caps = call(|out| unsafe { llp_chat_caps(raw.as_ptr(), out) })
            .and_then(|j| serde_json::from_str::<Caps>(&j).map_err(|e| e.to_string()));
        match caps {
            Ok(caps) => Ok(Templates {
                raw: Mutex::new(raw),
                caps,
            }),
            Err(e) => {
                // SAFETY: created above, never shared.
                unsafe { llp_chat_free(raw.as_ptr()) };
                Err(e)
            }
        }
    }

    pub fn caps(&self) -> &Caps {
        &self.caps
    }

    /// Renders a chat request (`messages`, `tools`, `tool_choice`, `parallel_tool_calls`,
    /// `json_schema`, in OpenAI's shapes). Errors are llama.cpp's own words.
    pub fn apply(&self, request: &serde_json::Value) -> Result<Applied, String> {
        let req = cstring(&request.to_string())?;
        let raw = self.raw.lock().unwrap_or_else(|e| e.into_inner());
        let json = call(|out| unsafe { llp_chat_apply(raw.as_ptr(), req.as_ptr(), out) })?;
        serde_json::from_str(&json).map_err(|e| format!("the chat shim's answer: {e}"))
    }
}

/// One tool call as the parser read it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ParsedCall {
    pub name: String,
    /// JSON text, possibly cut short while the answer is partial.
    pub arguments: String,
    pub id: String,
}

/// An answer (or the part of it generated so far) as the parser read it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Parsed {
    pub content: String,
    pub reasoning_content: String,
    pub tool_calls: Vec<ParsedCall>,
}

/// The parser of one rendered chat's answers.
pub struct Parser(NonNull<RawParser>);

// SAFETY: parsing only reads the parser (llama.cpp's `common_chat_parse` takes it const and
// keeps its state in a context of its own), so threads may share one.
unsafe impl Send for Parser {}
unsafe impl Sync for Parser {}

impl Drop for Parser {
    fn drop(&mut self) {
        // SAFETY: created by llp_chat_parser_new, freed once.
        unsafe { llp_chat_parser_free(self.0.as_ptr()) };
    }
}

impl Parser {
    pub fn new(applied: &Applied) -> Result<Parser, String> {
        let params = serde_json::json!({
            "format": applied.format,
            "generation_prompt": applied.generation_prompt,
            "parser": applied.parser,
        });
        let params = cstring(&params.to_string())?;
        let mut err = std::ptr::null_mut();
        let raw = unsafe { llp_chat_parser_new(params.as_ptr(), &mut err) };
        NonNull::new(raw).map(Parser).ok_or_else(|| take(err))
    }

    /// Reads `text` (the answer so far; `partial` while it may go on).
    pub fn parse(&self, text: &str, partial: bool) -> Result<Parsed, String> {
        let json = call(|out| unsafe {
            llp_chat_parse(
                self.0.as_ptr(),
                text.as_ptr().cast(),
                text.len(),
                partial,
                out,
            )
        })?;
        serde_json::from_str(&json).map_err(|e| format!("the chat shim's answer: {e}"))
    }
}

/// The GBNF grammar of a JSON schema, or llama.cpp's reason it cannot make one.
pub fn schema_grammar(schema: &serde_json::Value) -> Result<String, String> {
    let s = cstring(&schema.to_string())?;
    call(|out| unsafe { llp_json_schema_grammar(s.as_ptr(), out) })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HERMES: &str = include_str!("../../assets/templates/test-hermes.jinja");

    #[test]
    fn schema_grammar_and_its_errors() {
        let g = schema_grammar(&serde_json::json!({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]})).unwrap();
        assert!(g.contains("root ::="), "{g}");
        let e = schema_grammar(&serde_json::json!({"$ref":"#/nowhere"})).unwrap_err();
        assert!(e.contains("nowhere"), "{e}");
    }

    #[test]
    fn chatml_has_no_tools_and_hermes_has() {
        let t = Templates::new("chatml", "", "").unwrap();
        assert!(!t.caps().supports_tools);
        let t = Templates::new(HERMES, "", "<|im_end|>").unwrap();
        assert!(t.caps().supports_tools, "{:?}", t.caps());
        let req = serde_json::json!({
            "messages": [{"role":"user","content":"weather in Paris?"}],
            "tools": [{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],
            "tool_choice": "required",
        });
        let a = t.apply(&req).unwrap();
        assert!(a.prompt.contains("get_weather"), "{}", a.prompt);
        assert!(!a.grammar.is_empty());
        let p = Parser::new(&a).unwrap();
        let m = p
            .parse(
                "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
                false,
            )
            .unwrap();
        assert_eq!(m.tool_calls.len(), 1, "{m:?}");
        assert_eq!(m.tool_calls[0].name, "get_weather");
        assert!(m.tool_calls[0].arguments.contains("Paris"));
    }
}
