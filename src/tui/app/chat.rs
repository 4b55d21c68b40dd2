//! The chat pane: the conversation, the input, the slash commands, the model picker, and the
//! answer as it streams in.

use ratatui_textarea::TextArea;

use super::super::keys::Action;
use super::{App, Effect, short};
use crate::ids::NodeId;

#[derive(Debug)]
pub enum ChatEvent {
    /// The answer began; the node that serves it.
    Started {
        served_by: NodeId,
    },
    Delta(String),
    Done {
        served_by: NodeId,
        credits: u64,
        tokens: u32,
        tokens_per_s: f64,
        finish: String,
    },
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    User,
    Assistant,
    /// A note from the UI (a command's answer, an error).
    Note,
}

#[derive(Debug, Clone)]
pub struct Turn {
    pub who: Who,
    pub text: String,
    /// Under an answer: who served it, tokens/s, credits.
    pub meta: Option<String>,
    /// Cancelled or failed: not sent back as history.
    pub broken: bool,
}

pub struct Chat {
    pub turns: Vec<Turn>,
    pub input: TextArea<'static>,
    pub model: Option<String>,
    pub streaming: bool,
    /// The number of the latest question: events of older answers are ignored.
    pub turn: u64,
    /// Lines scrolled up from the bottom of the conversation.
    pub scroll: u16,
    /// The model list open for a choice, and the highlighted row.
    pub picker: Option<usize>,
}

impl Default for Chat {
    fn default() -> Self {
        Chat {
            turns: Vec::new(),
            input: new_input(),
            model: None,
            streaming: false,
            turn: 0,
            scroll: 0,
            picker: None,
        }
    }
}

fn new_input() -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_placeholder_text("Type a message; Enter sends, Ctrl-j adds a line, /? for commands");
    t.set_cursor_line_style(ratatui::style::Style::default());
    t
}

impl App {
    pub(super) fn send(&mut self) -> Vec<Effect> {
        let text = self.chat.input.lines().join("\n");
        if text.trim().is_empty() {
            return vec![];
        }
        if self.chat.streaming {
            self.note("an answer is still streaming: Esc cancels it");
            return vec![];
        }
        self.chat.input = new_input();
        if let Some(cmd) = text.trim().strip_prefix('/') {
            return self.command(cmd.trim());
        }
        self.chat.turns.push(Turn {
            who: Who::User,
            text,
            meta: None,
            broken: false,
        });
        let messages = self
            .chat
            .turns
            .iter()
            .filter(|t| t.who != Who::Note && !t.broken)
            .map(|t| {
                let role = if t.who == Who::User {
                    "user"
                } else {
                    "assistant"
                };
                (role.to_string(), t.text.clone())
            })
            .collect();
        self.chat.turns.push(Turn {
            who: Who::Assistant,
            text: String::new(),
            meta: Some("waiting for a node…".into()),
            broken: false,
        });
        self.chat.streaming = true;
        self.chat.turn += 1;
        self.chat.scroll = 0;
        vec![Effect::SendChat {
            turn: self.chat.turn,
            model: self.chat.model.clone(),
            messages,
        }]
    }

    /// Stops the streaming answer here at once; the runtime drops its connection, which stops
    /// the job on the node (it pays for what was delivered).
    pub(super) fn cancel_chat(&mut self) -> Vec<Effect> {
        self.chat.streaming = false;
        if let Some(last) = self
            .chat
            .turns
            .iter_mut()
            .rev()
            .find(|t| t.who == Who::Assistant)
        {
            last.meta = Some("cancelled".into());
            last.broken = true;
        }
        vec![Effect::CancelChat]
    }

    fn say(&mut self, text: impl Into<String>) {
        self.chat.turns.push(Turn {
            who: Who::Note,
            text: text.into(),
            meta: None,
            broken: false,
        });
        self.chat.scroll = 0;
    }

    fn command(&mut self, cmd: &str) -> Vec<Effect> {
        let (name, arg) = cmd.split_once(' ').unwrap_or((cmd, ""));
        let arg = arg.trim();
        match name {
            "?" | "help" => {
                self.say(
                    "Commands: /model NAME chats with another model (/model alone lists them), \
                     /clear starts over, /save [FILE] saves the conversation (Markdown, or JSON \
                     when FILE ends in .json), /? shows this.",
                );
                vec![]
            }
            "clear" => {
                self.chat.turns.clear();
                self.chat.scroll = 0;
                vec![]
            }
            "model" if arg.is_empty() => {
                if self.data.models.is_empty() {
                    self.say("No model is served by this node or its peers right now.");
                } else {
                    let at = self
                        .chat
                        .model
                        .as_ref()
                        .and_then(|m| self.data.models.iter().position(|x| x == m))
                        .unwrap_or(0);
                    self.chat.picker = Some(at);
                }
                vec![]
            }
            "model" => {
                let base = arg.split(':').next().unwrap_or(arg);
                if self.data.models.iter().any(|m| m == arg || m == base) {
                    self.chat.model = Some(arg.to_string());
                    self.say(format!("Now chatting with {arg}."));
                } else {
                    self.say(format!(
                        "No node serves `{arg}` now. Served: {}.",
                        if self.data.models.is_empty() {
                            "none".to_string()
                        } else {
                            self.data.models.join(", ")
                        }
                    ));
                }
                vec![]
            }
            "save" => {
                let path = if arg.is_empty() {
                    format!("llp-chat-{}.md", self.data.now_unix)
                } else {
                    arg.to_string()
                };
                let text = self.transcript(path.ends_with(".json"));
                vec![Effect::SaveChat { path, text }]
            }
            _ => {
                self.say(format!("Unknown command /{name}: /? lists the commands."));
                vec![]
            }
        }
    }

    /// The conversation as Markdown, or as OpenAI-style JSON messages.
    pub fn transcript(&self, json: bool) -> String {
        let turns = self.chat.turns.iter().filter(|t| t.who != Who::Note);
        if json {
            let msgs: Vec<serde_json::Value> = turns
                .map(|t| {
                    serde_json::json!({
                        "role": if t.who == Who::User { "user" } else { "assistant" },
                        "content": t.text,
                        "llp": t.meta,
                    })
                })
                .collect();
            let model = self.chat.model.clone().unwrap_or_default();
            return serde_json::to_string_pretty(
                &serde_json::json!({"model": model, "messages": msgs}),
            )
            .expect("json");
        }
        let mut out = String::new();
        for t in turns {
            let who = if t.who == Who::User {
                "You"
            } else {
                "Assistant"
            };
            out.push_str(&format!("**{who}:**\n\n{}\n\n", t.text));
            if let Some(m) = &t.meta {
                out.push_str(&format!("_{m}_\n\n"));
            }
        }
        out
    }

    pub(super) fn pick(&mut self, a: Action) -> Vec<Effect> {
        let n = self.data.models.len();
        let Some(at) = self.chat.picker else {
            return vec![];
        };
        match a {
            Action::Up => self.chat.picker = Some(at.saturating_sub(1)),
            Action::Down => self.chat.picker = Some((at + 1).min(n.saturating_sub(1))),
            Action::Open => {
                self.chat.picker = None;
                if let Some(m) = self.data.models.get(at).cloned() {
                    self.say(format!("Now chatting with {m}."));
                    self.chat.model = Some(m);
                }
            }
            Action::Back => self.chat.picker = None,
            _ => {}
        }
        vec![]
    }

    pub(super) fn on_chat(&mut self, ev: ChatEvent) {
        let Some(last) = self
            .chat
            .turns
            .iter_mut()
            .rev()
            .find(|t| t.who == Who::Assistant)
        else {
            return;
        };
        match ev {
            ChatEvent::Started { served_by } => {
                last.meta = Some(format!("answering: {}", short(&served_by)));
            }
            ChatEvent::Delta(t) => last.text.push_str(&t),
            ChatEvent::Done {
                served_by,
                credits,
                tokens,
                tokens_per_s,
                finish,
            } => {
                let by = if served_by == self.data.own_id() {
                    format!("this node ({})", short(&served_by))
                } else {
                    format!("peer {}", short(&served_by))
                };
                let cut = if finish == "length" {
                    " · cut at max tokens"
                } else {
                    ""
                };
                last.meta = Some(format!(
                    "served by {by} · {tokens} tokens · {tokens_per_s:.1} tok/s · {credits} credits{cut}"
                ));
                self.chat.streaming = false;
            }
            ChatEvent::Failed(why) => {
                last.meta = Some(why);
                last.broken = true;
                self.chat.streaming = false;
            }
        }
    }
}
