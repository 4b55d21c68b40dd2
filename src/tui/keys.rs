//! The key table: every key the UI answers to, in one place. Input handling looks keys up here,
//! and the footer hints and the `?` overlay are generated from it, so they cannot drift apart.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    /// Ctrl-C: cancels a streaming answer, else quits.
    Interrupt,
    Help,
    NextPane,
    PrevPane,
    Jump(u8),
    Zoom,
    Pause,
    Filter,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Export,
    Back,
    Send,
    Newline,
}

/// Where a binding applies. Contexts are looked up in order, the most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// Everywhere except while typing.
    Global,
    /// Everywhere, typing included.
    Always,
    /// A pane with rows (jobs, peers, credits, logs, devices).
    List,
    Jobs,
    /// Typing in the chat pane.
    Chat,
    /// A job's detail.
    Detail,
    /// Choosing the chat model.
    Picker,
    /// Typing a filter.
    FilterInput,
    Help,
}

impl Ctx {
    pub fn title(self) -> &'static str {
        match self {
            Ctx::Global | Ctx::Always => "Anywhere",
            Ctx::List => "In a list",
            Ctx::Jobs => "Jobs",
            Ctx::Chat => "Chat",
            Ctx::Detail => "Job detail",
            Ctx::Picker => "Model choice",
            Ctx::FilterInput => "Filter",
            Ctx::Help => "Help",
        }
    }
}

pub struct Binding {
    pub ctx: Ctx,
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the key is written in the footer and the help.
    pub label: &'static str,
    pub action: Action,
    pub what: &'static str,
    /// Shown in the footer (the rest only in the help).
    pub hint: bool,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const ALT: KeyModifiers = KeyModifiers::ALT;

macro_rules! b {
    ($ctx:ident, [$($k:expr),+], $label:literal, $action:expr, $what:literal, $hint:literal) => {
        Binding { ctx: Ctx::$ctx, keys: &[$($k),+], label: $label, action: $action, what: $what, hint: $hint }
    };
}

use KeyCode::*;

#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    b!(Always, [(Char('c'), CTRL)], "Ctrl-c", Action::Interrupt, "cancel an answer, else quit", false),
    b!(Always, [(F(1), NONE)], "F1", Action::Help, "help", false),
    b!(Help, [(Esc, NONE), (Char('?'), NONE), (Char('q'), NONE), (F(1), NONE)], "Esc", Action::Back, "close the help", true),
    b!(Help, [(Up, NONE), (Char('k'), NONE)], "↑/k", Action::Up, "scroll the help", true),
    b!(Help, [(Down, NONE), (Char('j'), NONE)], "↓/j", Action::Down, "scroll the help down", false),
    b!(Help, [(PageUp, NONE)], "PgUp", Action::PageUp, "scroll the help a page up", false),
    b!(Help, [(PageDown, NONE)], "PgDn", Action::PageDown, "scroll the help a page down", false),
    b!(FilterInput, [(Enter, NONE)], "Enter", Action::Send, "keep the filter", true),
    b!(FilterInput, [(Esc, NONE)], "Esc", Action::Back, "clear the filter", true),
    b!(Picker, [(Up, NONE), (Char('k'), NONE)], "↑/k", Action::Up, "previous model", true),
    b!(Picker, [(Down, NONE), (Char('j'), NONE)], "↓/j", Action::Down, "next model", true),
    b!(Picker, [(Enter, NONE)], "Enter", Action::Open, "chat with this model", true),
    b!(Picker, [(Esc, NONE)], "Esc", Action::Back, "keep the current model", true),
    b!(Detail, [(Esc, NONE), (Backspace, NONE)], "Esc", Action::Back, "close the detail", true),
    b!(Detail, [(Char('x'), NONE)], "x", Action::Export, "export the job as JSON", true),
    b!(Chat, [(Enter, NONE)], "Enter", Action::Send, "send (or run a /command)", true),
    b!(Chat, [(Char('j'), CTRL), (Enter, SHIFT), (Enter, ALT)], "Ctrl-j", Action::Newline, "new line (or Shift/Alt-Enter)", true),
    b!(Chat, [(Esc, NONE)], "Esc", Action::Back, "cancel an answer, else leave", true),
    b!(Chat, [(PageUp, NONE)], "PgUp", Action::PageUp, "scroll the conversation up", false),
    b!(Chat, [(PageDown, NONE)], "PgDn", Action::PageDown, "scroll the conversation down", false),
    b!(Chat, [(Tab, NONE)], "Tab", Action::NextPane, "next pane", true),
    b!(Chat, [(BackTab, SHIFT)], "Shift-Tab", Action::PrevPane, "previous pane", false),
    b!(Jobs, [(Enter, NONE)], "Enter", Action::Open, "open the job's detail", true),
    b!(Jobs, [(Char('x'), NONE)], "x", Action::Export, "export the job as JSON", false),
    b!(List, [(Up, NONE), (Char('k'), NONE)], "↑/k", Action::Up, "up", false),
    b!(List, [(Down, NONE), (Char('j'), NONE)], "↓/j", Action::Down, "down", false),
    b!(List, [(Char('g'), NONE), (Home, NONE)], "g", Action::Top, "first row", false),
    b!(List, [(Char('G'), SHIFT), (Char('G'), NONE), (End, NONE)], "G", Action::Bottom, "last row", false),
    b!(List, [(PageUp, NONE)], "PgUp", Action::PageUp, "page up", false),
    b!(List, [(PageDown, NONE)], "PgDn", Action::PageDown, "page down", false),
    b!(Global, [(Char('q'), NONE)], "q", Action::Quit, "quit", true),
    b!(Global, [(Char('?'), NONE), (Char('?'), SHIFT)], "?", Action::Help, "help", true),
    b!(Global, [(Tab, NONE)], "Tab", Action::NextPane, "next pane", true),
    b!(Global, [(BackTab, SHIFT), (BackTab, NONE)], "Shift-Tab", Action::PrevPane, "previous pane", false),
    b!(Global, [(Char('1'), NONE)], "1", Action::Jump(1), "Devices", false),
    b!(Global, [(Char('2'), NONE)], "2", Action::Jump(2), "Jobs", false),
    b!(Global, [(Char('3'), NONE)], "3", Action::Jump(3), "Peers", false),
    b!(Global, [(Char('4'), NONE)], "4", Action::Jump(4), "Credits", false),
    b!(Global, [(Char('5'), NONE), (Char('c'), NONE)], "5/c", Action::Jump(5), "Chat", true),
    b!(Global, [(Char('6'), NONE)], "6", Action::Jump(6), "Logs", false),
    b!(Global, [(Char('e'), NONE)], "e", Action::Zoom, "zoom the pane (again: back)", false),
    b!(Global, [(Char('p'), NONE)], "p", Action::Pause, "pause / resume contributing", true),
    b!(Global, [(Char('/'), NONE)], "/", Action::Filter, "filter jobs or logs", true),
    b!(Global, [(Esc, NONE)], "Esc", Action::Back, "clear the filter, unzoom", false),
];

fn matches(spec: &(KeyCode, KeyModifiers), key: &KeyEvent) -> bool {
    // Terminals differ on whether a shifted character reports SHIFT; the character says it.
    let mods = match key.code {
        Char(_) => key.modifiers - KeyModifiers::SHIFT,
        _ => key.modifiers,
    };
    let want = match spec.0 {
        Char(_) => spec.1 - KeyModifiers::SHIFT,
        _ => spec.1,
    };
    spec.0 == key.code && mods == want
}

/// The action `key` means in the first of `ctxs` that binds it.
pub fn lookup(ctxs: &[Ctx], key: &KeyEvent) -> Option<Action> {
    ctxs.iter().find_map(|ctx| {
        BINDINGS
            .iter()
            .filter(|b| b.ctx == *ctx)
            .find(|b| b.keys.iter().any(|s| matches(s, key)))
            .map(|b| b.action)
    })
}

/// The footer's hints for these contexts: `(label, what)`, each action once.
pub fn hints(ctxs: &[Ctx]) -> Vec<(&'static str, &'static str)> {
    let mut seen: Vec<Action> = Vec::new();
    let mut out = Vec::new();
    for ctx in ctxs {
        for b in BINDINGS.iter().filter(|b| b.ctx == *ctx && b.hint) {
            if !seen.contains(&b.action) {
                seen.push(b.action);
                out.push((b.label, b.what));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn every_hint_is_a_key_that_works_in_its_context() {
        for b in BINDINGS {
            for spec in b.keys {
                let k = key(spec.0, spec.1);
                assert_eq!(
                    lookup(&[b.ctx], &k),
                    Some(b.action),
                    "{} in {:?}",
                    b.label,
                    b.ctx
                );
            }
        }
    }

    #[test]
    fn typing_contexts_shadow_the_global_keys() {
        let q = key(Char('q'), NONE);
        assert_eq!(lookup(&[Ctx::Global], &q), Some(Action::Quit));
        // In the chat, `q` is text: no context there binds it.
        assert_eq!(lookup(&[Ctx::Chat, Ctx::Always], &q), None);
        assert_eq!(
            lookup(&[Ctx::Chat, Ctx::Always], &key(Char('j'), CTRL)),
            Some(Action::Newline)
        );
        assert_eq!(
            lookup(&[Ctx::Global], &key(Char('?'), SHIFT)),
            Some(Action::Help)
        );
    }
}
