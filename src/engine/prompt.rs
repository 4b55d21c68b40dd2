//! Turning an OpenAI request into prompt tokens.
//!
//! The chat template comes from the GGUF (llama.cpp's built-in template matcher). User text is
//! always tokenized as plain text: a user who types `<|im_end|>` gets those characters, never the
//! control token. Only the template's own text is tokenized with special tokens parsed. To keep
//! the two apart we render the template with a unique placeholder for each message's content,
//! split the rendered prompt at the placeholders, and tokenize the pieces differently.

use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::token::LlamaToken;

/// A role in a chat request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    /// The OpenAI role names this server takes (`developer` is a system message).
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "system" | "developer" => Some(Role::System),
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One chat message, already validated.
#[derive(Debug, Clone)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

/// Why a prompt could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("the model's chat template could not be applied: {0}")]
    Template(String),
    #[error("message {0} contains a NUL character, which llama.cpp cannot take")]
    Nul(usize),
    #[error("{0} messages is more than the {MAX_MESSAGES} one conversation may hold")]
    TooMany(usize),
    #[error(
        "the chat template of {0} has no tool support (it does not render `tools`); send the \
         request without `tools`, or to a model whose template takes them"
    )]
    NoTools(String),
    #[error(
        "{0} contains the text of one of the model's control tokens, which a request with tools \
         or a response format cannot carry"
    )]
    SpecialText(String),
    #[error("response_format: {0}")]
    Schema(String),
}

/// The chat template of a model: its own from the GGUF, else ChatML.
pub(super) fn chat_template(model: &LlamaModel) -> LlamaChatTemplate {
    model.chat_template(None).unwrap_or_else(|_| {
        // ChatML is the most common fallback; the name is resolved by llama.cpp.
        LlamaChatTemplate::new("chatml").expect("static template name has no NUL")
    })
}

/// Most messages in one conversation (a bound on the work one request can cause).
pub const MAX_MESSAGES: usize = 4096;

/// Renders `messages` with the model's template (ending with the assistant's turn opened) and
/// tokenizes it, with message contents as plain text.
///
/// When no message contains the text of a special token (nearly always), the rendered prompt is
/// tokenized in one piece, exactly as llama.cpp does it. Otherwise message contents are
/// tokenized apart from the template, with special-token parsing off, so typed control-token
/// text stays text.
pub(super) fn chat_tokens(
    model: &LlamaModel,
    template: &LlamaChatTemplate,
    messages: &[Message],
) -> Result<Vec<LlamaToken>, PromptError> {
    if messages.len() > MAX_MESSAGES {
        return Err(PromptError::TooMany(messages.len()));
    }
    if let Some(i) = messages.iter().position(|m| m.content.contains('\0')) {
        return Err(PromptError::Nul(i));
    }
    let vocab = model.vocab();
    let has_special_text = messages.iter().any(|m| {
        let text = m.content.as_bytes();
        !text.is_empty() && vocab.tokenize(text, false, true) != vocab.tokenize(text, false, false)
    });
    if !has_special_text {
        let rendered = render(
            model,
            template,
            messages.iter().map(|m| (m.role, m.content.clone())),
        )?;
        return Ok(with_bos(
            model,
            &rendered,
            vocab.tokenize(rendered.as_bytes(), false, true),
        ));
    }

    // Render with a unique placeholder per message, then split at the placeholders in one pass.
    let nonce = format!("\u{2063}llp{:x}m", crate::ids::random_u64());
    let rendered = render(
        model,
        template,
        messages
            .iter()
            .enumerate()
            .map(|(i, m)| (m.role, format!("{nonce}{i}\u{2063}"))),
    )?;
    let mut tokens = Vec::new();
    let mut rest = rendered.as_str();
    let mut found = 0;
    while let Some(at) = rest.find(nonce.as_str()) {
        let after = &rest[at + nonce.len()..];
        let end = after
            .find('\u{2063}')
            .ok_or_else(|| PromptError::Template("broken placeholder".into()))?;
        let index: usize = after[..end]
            .parse()
            .ok()
            .filter(|i| *i < messages.len())
            .ok_or_else(|| PromptError::Template("broken placeholder".into()))?;
        tokens.extend(vocab.tokenize(&rest.as_bytes()[..at], false, true));
        tokens.extend(vocab.tokenize(messages[index].content.as_bytes(), false, false));
        found += 1;
        rest = &after[end + '\u{2063}'.len_utf8()..];
    }
    if found == 0 {
        return Err(PromptError::Template(
            "the template dropped every message's content".into(),
        ));
    }
    tokens.extend(vocab.tokenize(rest.as_bytes(), false, true));
    Ok(with_bos(model, &rendered, tokens))
}

fn render(
    model: &LlamaModel,
    template: &LlamaChatTemplate,
    messages: impl Iterator<Item = (Role, String)>,
) -> Result<String, PromptError> {
    let chat = messages
        .map(|(role, content)| {
            LlamaChatMessage::new(role.as_str().to_string(), content)
                .map_err(|e| PromptError::Template(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    model
        .apply_chat_template(template, &chat, true)
        .map_err(|e| PromptError::Template(e.to_string()))
}

/// Puts BOS in front if the model wants one and the template did not already write it.
pub(super) fn with_bos(
    model: &LlamaModel,
    rendered: &str,
    mut tokens: Vec<LlamaToken>,
) -> Vec<LlamaToken> {
    let vocab = model.vocab();
    // A model without BOS has bos() == -1, which llama.cpp must never be asked to render.
    if !vocab.should_add_bos() || vocab.bos().0 < 0 {
        return tokens;
    }
    if tokens.first() == Some(&vocab.bos()) {
        return tokens;
    }
    let bos_text =
        String::from_utf8_lossy(&vocab.token_to_piece(vocab.bos(), true, None)).into_owned();
    if bos_text.is_empty() || !rendered.starts_with(&bos_text) {
        tokens.insert(0, vocab.bos());
    }
    tokens
}

/// Tokenizes a plain-text completion prompt (BOS added if the model wants one).
pub(super) fn text_tokens(model: &LlamaModel, text: &str) -> Vec<LlamaToken> {
    model.vocab().tokenize(text.as_bytes(), true, false)
}
