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
}

/// The chat template of a model: its own from the GGUF, else ChatML.
pub fn chat_template(model: &LlamaModel) -> LlamaChatTemplate {
    model.chat_template(None).unwrap_or_else(|_| {
        // ChatML is the most common fallback; the name is resolved by llama.cpp.
        LlamaChatTemplate::new("chatml").expect("static template name has no NUL")
    })
}

/// Renders `messages` with the model's template (ending with the assistant's turn opened) and
/// tokenizes it, with message contents as plain text.
pub fn chat_tokens(
    model: &LlamaModel,
    template: &LlamaChatTemplate,
    messages: &[Message],
) -> Result<Vec<LlamaToken>, PromptError> {
    let nonce = nonce();
    let marks: Vec<String> = (0..messages.len())
        .map(|i| format!("\u{2063}llp{nonce:x}m{i}\u{2063}"))
        .collect();
    let mut chat = Vec::with_capacity(messages.len());
    for (i, (m, mark)) in messages.iter().zip(&marks).enumerate() {
        if m.content.contains('\0') {
            return Err(PromptError::Nul(i));
        }
        chat.push(
            LlamaChatMessage::new(m.role.as_str().to_string(), mark.clone())
                .map_err(|e| PromptError::Template(e.to_string()))?,
        );
    }
    let rendered = model
        .apply_chat_template(template, &chat, true)
        .map_err(|e| PromptError::Template(e.to_string()))?;

    // Split at the placeholders, in order. A template that dropped or reordered a message's
    // content (some drop a leading system message, for instance) is handled by looking each one up.
    let mut pieces: Vec<(bool, &str)> = Vec::new(); // (is_user_text, text)
    let mut rest = rendered.as_str();
    let mut found = Vec::new();
    loop {
        let next = marks
            .iter()
            .enumerate()
            .filter_map(|(i, m)| rest.find(m.as_str()).map(|at| (at, i)))
            .min();
        match next {
            Some((at, i)) => {
                pieces.push((false, &rest[..at]));
                pieces.push((true, messages[i].content.as_str()));
                found.push(i);
                rest = &rest[at + marks[i].len()..];
            }
            None => {
                pieces.push((false, rest));
                break;
            }
        }
    }
    if found.is_empty() && !messages.is_empty() {
        return Err(PromptError::Template(
            "the template dropped every message's content".into(),
        ));
    }

    let vocab = model.vocab();
    // Add BOS only if the model wants one and the template did not already write it.
    let bos_text =
        String::from_utf8_lossy(&vocab.token_to_piece(vocab.bos(), true, None)).into_owned();
    let add_bos =
        vocab.should_add_bos() && (bos_text.is_empty() || !rendered.starts_with(&bos_text));
    let mut tokens = Vec::new();
    if add_bos {
        tokens.push(vocab.bos());
    }
    for (user, text) in pieces {
        if text.is_empty() {
            continue;
        }
        tokens.extend(vocab.tokenize(text.as_bytes(), false, !user));
    }
    Ok(tokens)
}

/// Tokenizes a plain-text completion prompt (BOS added if the model wants one).
pub fn text_tokens(model: &LlamaModel, text: &str) -> Vec<LlamaToken> {
    model.vocab().tokenize(text.as_bytes(), true, false)
}

fn nonce() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
