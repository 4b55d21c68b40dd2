//! The UI's state and what input does to it. Pure: no I/O and no clock. The runtime feeds it
//! terminal events and what it fetched from the node ([`Msg`]), and carries out the
//! [`Effect`]s it asks for. Tests drive it through the same two doors.
//!
//! Here: the panes, keys and their actions. `chat`: the chat pane's conversation, its commands
//! and the answer as it streams. `news`: what the runtime brings (status, the job log, ledger
//! entries, log lines).

mod chat;
mod news;

pub use chat::{Chat, ChatEvent, Turn, Who};

use std::collections::{HashMap, VecDeque};

use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::widgets::TableState;

use super::keys::{self, Action, Ctx};
use super::theme::Theme;
use crate::ids::NodeId;
use crate::ledger::EntryLine;
use crate::node::{JobInfo, JobRecord};
use crate::status::Snapshot;

/// The panes, in the order of their number keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Devices,
    Jobs,
    Peers,
    Credits,
    Chat,
    Logs,
}

impl Pane {
    pub const ALL: [Pane; 6] = [
        Pane::Devices,
        Pane::Jobs,
        Pane::Peers,
        Pane::Credits,
        Pane::Chat,
        Pane::Logs,
    ];

    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).expect("listed")
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Devices => "Devices",
            Pane::Jobs => "Jobs",
            Pane::Peers => "Peers",
            Pane::Credits => "Credits",
            Pane::Chat => "Chat",
            Pane::Logs => "Logs",
        }
    }
}

/// How this UI reaches its node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// A `llp serve` runs for the data dir: quitting leaves it running.
    Attached { pid: u32 },
    /// No node ran for the data dir: this process runs one, which stops on quit.
    Embedded,
}

/// Ended jobs, ledger entries, log lines and RTT samples kept, at most.
const MAX_JOBS: usize = crate::node::JOB_LOG_LEN;
const MAX_ENTRIES: usize = 500;
const MAX_SERIES: usize = 2000;
pub const MAX_LOG_LINES: usize = 2000;
pub const RTT_SAMPLES: usize = 40;

/// Everything fetched from the node.
#[derive(Debug, Default)]
pub struct Data {
    pub snapshot: Option<Snapshot>,
    /// Ended jobs, oldest first.
    pub ended: VecDeque<JobInfo>,
    /// The newest ledger entries, oldest first.
    pub entries: VecDeque<EntryLine>,
    /// (unix seconds, balance) after each entry, thinned when long.
    pub series: Vec<(f64, f64)>,
    /// RTT history per peer, in ms, oldest first.
    pub rtt: HashMap<NodeId, VecDeque<u64>>,
    pub logs: VecDeque<String>,
    /// Models the network serves (`/v1/models`).
    pub models: Vec<String>,
    /// Why the node cannot be reached, while it cannot.
    pub unreachable: Option<String>,
    /// Unix seconds now (set by the runtime; fixed in tests).
    pub now_unix: u64,
}

impl Data {
    /// This node's id (all zeros before the first status).
    pub fn own_id(&self) -> NodeId {
        self.snapshot
            .as_ref()
            .and_then(|s| s.id)
            .unwrap_or_default()
    }

    pub fn paused(&self) -> bool {
        self.snapshot.as_ref().is_some_and(|s| s.paused)
    }
}

/// What the runtime fetched or heard.
#[derive(Debug)]
pub enum Msg {
    Status(Box<Snapshot>),
    Unreachable(String),
    /// Jobs that ended since the last poll.
    Jobs(Vec<JobInfo>),
    Entries(Vec<EntryLine>),
    Logs(Vec<String>),
    Models(Vec<String>),
    JobDetail(String, Result<Box<JobRecord>, String>),
    /// An event of the answer to chat turn N (those of an older turn are stale).
    Chat(u64, ChatEvent),
    Paused(Result<bool, String>),
    Notice(String),
    Error(String),
    /// Leave as if `q` was pressed (a hang-up, a SIGTERM): why.
    Leave(String),
}

/// What the UI asks the runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    SendChat {
        turn: u64,
        model: Option<String>,
        messages: Vec<(String, String)>,
    },
    CancelChat,
    SetPaused(bool),
    FetchJob(String),
    ExportJob(String),
    SaveChat {
        path: String,
        text: String,
    },
    Quit,
}

/// The detail of one job, open over the panes.
pub struct Detail {
    pub id: String,
    pub record: Option<Result<Box<JobRecord>, String>>,
    pub scroll: u16,
}

pub struct App {
    pub data: Data,
    pub mode: Mode,
    pub theme: Theme,
    pub ascii: bool,
    pub focus: Pane,
    pub zoomed: bool,
    pub help: bool,
    pub help_scroll: u16,
    /// The last frame was the "terminal too small" screen: only quitting keys work.
    pub too_small: bool,
    pub detail: Option<Detail>,
    /// Per pane: the filter text.
    pub filters: [String; 6],
    /// Typing a filter for the focused pane.
    pub filtering: bool,
    pub jobs_table: TableState,
    /// The job the selection is on: it stays on that job as new ones arrive above it.
    pub selected_job: Option<String>,
    pub peers_table: TableState,
    /// Rows selected in the other list panes.
    pub rows: [usize; 6],
    pub chat: Chat,
    /// The status line: the latest notice, and whether it is an error.
    pub notice: Option<(String, bool)>,
    /// Rows a page moves (set from the pane's height at each draw).
    pub page: usize,
    pub quit: bool,
}

impl App {
    pub fn new(mode: Mode, theme: Theme, ascii: bool) -> App {
        App {
            data: Data::default(),
            mode,
            theme,
            ascii,
            focus: Pane::Jobs,
            zoomed: false,
            help: false,
            help_scroll: 0,
            too_small: false,
            detail: None,
            filters: Default::default(),
            filtering: false,
            jobs_table: TableState::default().with_selected(Some(0)),
            selected_job: None,
            peers_table: TableState::default().with_selected(Some(0)),
            rows: [0; 6],
            chat: Chat::default(),
            notice: None,
            page: 10,
            quit: false,
        }
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.notice = Some((text.into(), false));
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.notice = Some((text.into(), true));
    }

    /// The contexts keys are looked up in now, most specific first.
    pub fn contexts(&self) -> Vec<Ctx> {
        if self.help {
            return vec![Ctx::Help, Ctx::Always];
        }
        if self.chat.picker.is_some() {
            return vec![Ctx::Picker, Ctx::Always];
        }
        if self.detail.is_some() {
            return vec![Ctx::Detail, Ctx::List, Ctx::Always, Ctx::Global];
        }
        if self.filtering {
            return vec![Ctx::FilterInput, Ctx::Always];
        }
        match self.focus {
            Pane::Chat => vec![Ctx::Chat, Ctx::Always],
            Pane::Jobs => vec![Ctx::Jobs, Ctx::List, Ctx::Always, Ctx::Global],
            _ => vec![Ctx::List, Ctx::Always, Ctx::Global],
        }
    }

    /// A terminal event: what it changes, and what the runtime must do.
    pub fn on_event(&mut self, ev: Event) -> Vec<Effect> {
        match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.on_key(k),
            Event::Paste(text) if self.focus == Pane::Chat && !self.help => {
                self.chat.input.insert_str(text);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn on_key(&mut self, k: KeyEvent) -> Vec<Effect> {
        if self.too_small {
            // Nothing else can be seen: only the keys the screen names work.
            return match keys::lookup(&[Ctx::Global, Ctx::Always], &k) {
                Some(a @ (Action::Quit | Action::Interrupt)) => self.act(a, Ctx::Global),
                _ => Vec::new(),
            };
        }
        let ctxs = self.contexts();
        let Some(action) = keys::lookup(&ctxs, &k) else {
            // Unbound keys are text where text is typed.
            if self.filtering {
                self.edit_filter(k);
            } else if ctxs[0] == Ctx::Chat {
                self.chat.input.input(k);
            }
            return Vec::new();
        };
        self.act(action, ctxs[0])
    }

    fn act(&mut self, action: Action, ctx: Ctx) -> Vec<Effect> {
        match action {
            Action::Interrupt if self.chat.streaming => return self.cancel_chat(),
            Action::Interrupt | Action::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            _ => {}
        }
        match self.act_in(ctx, action) {
            Some(effects) => effects,
            None => self.act_anywhere(ctx, action),
        }
    }

    /// What an action does in an overlay, the filter input or the chat; `None` when the
    /// context leaves it to [`App::act_anywhere`].
    fn act_in(&mut self, ctx: Ctx, action: Action) -> Option<Vec<Effect>> {
        match (ctx, action) {
            (Ctx::Help, Action::Back) => self.help = false,
            (Ctx::Help, a @ (Action::Up | Action::Down | Action::PageUp | Action::PageDown)) => {
                self.help_scroll = step(self.help_scroll as usize, a, 200, self.page) as u16;
            }
            (_, Action::Help) => self.help = !self.help,
            (Ctx::FilterInput, Action::Send) => self.filtering = false,
            (Ctx::FilterInput, Action::Back) => {
                self.filtering = false;
                self.filters[self.focus.index()].clear();
            }
            (Ctx::Picker, a) => return Some(self.pick(a)),
            (Ctx::Detail, Action::Back) => self.detail = None,
            (Ctx::Detail, Action::Export) => {
                let id = self.detail.as_ref().map(|d| d.id.clone());
                return Some(id.map(Effect::ExportJob).into_iter().collect());
            }
            (Ctx::Chat, Action::Send) => return Some(self.send()),
            (Ctx::Chat, Action::Newline) => self.chat.input.insert_newline(),
            (Ctx::Chat, Action::Back) if self.chat.streaming => return Some(self.cancel_chat()),
            (Ctx::Chat, Action::Back) => self.focus = Pane::Jobs,
            (Ctx::Chat, Action::PageUp) => {
                self.chat.scroll = self.chat.scroll.saturating_add(self.page as u16);
            }
            (Ctx::Chat, Action::PageDown) => {
                self.chat.scroll = self.chat.scroll.saturating_sub(self.page as u16);
            }
            _ => return None,
        }
        Some(vec![])
    }

    /// What an action does among the panes.
    fn act_anywhere(&mut self, ctx: Ctx, action: Action) -> Vec<Effect> {
        match (ctx, action) {
            (_, Action::NextPane) => self.focus = Pane::ALL[(self.focus.index() + 1) % 6],
            (_, Action::PrevPane) => self.focus = Pane::ALL[(self.focus.index() + 5) % 6],
            (_, Action::Jump(n)) => self.focus = Pane::ALL[(n as usize).clamp(1, 6) - 1],
            (_, Action::Zoom) => self.zoomed = !self.zoomed,
            (_, Action::Pause) => return vec![Effect::SetPaused(!self.data.paused())],
            (_, Action::Filter) => {
                if matches!(self.focus, Pane::Jobs | Pane::Logs) {
                    self.filtering = true;
                } else {
                    self.note("/ filters the Jobs and Logs panes (2 or 6 goes there)");
                }
            }
            (_, Action::Back) => {
                if !self.filters[self.focus.index()].is_empty() {
                    self.filters[self.focus.index()].clear();
                } else {
                    self.zoomed = false;
                }
            }
            (Ctx::Jobs, Action::Open) => {
                if let Some(id) = self.selected_job() {
                    self.detail = Some(Detail {
                        id: id.clone(),
                        record: None,
                        scroll: 0,
                    });
                    return vec![Effect::FetchJob(id)];
                }
            }
            (Ctx::Jobs, Action::Export) => {
                return self
                    .selected_job()
                    .map(Effect::ExportJob)
                    .into_iter()
                    .collect();
            }
            (
                _,
                a @ (Action::Up
                | Action::Down
                | Action::Top
                | Action::Bottom
                | Action::PageUp
                | Action::PageDown),
            ) => self.move_in_pane(a),
            _ => {}
        }
        vec![]
    }

    fn edit_filter(&mut self, k: KeyEvent) {
        use ratatui::crossterm::event::KeyCode;
        let f = &mut self.filters[self.focus.index()];
        match k.code {
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => f.push(c),
            KeyCode::Backspace => {
                f.pop();
            }
            _ => {}
        }
        self.rows[self.focus.index()] = 0;
        self.jobs_table.select(Some(0));
        self.selected_job = None;
    }

    fn move_in_pane(&mut self, a: Action) {
        if let Some(d) = &mut self.detail {
            d.scroll = step(d.scroll as usize, a, usize::from(u16::MAX), self.page) as u16;
            return;
        }
        let len = self.rows_in(self.focus);
        match self.focus {
            Pane::Jobs => {
                let from = self.selected_job_index();
                let at = step(from, a, len, self.page);
                self.jobs_table.select(Some(at));
                self.selected_job = self.jobs().get(at).map(|j| j.id.to_string());
            }
            Pane::Peers => {
                let at = step(self.peers_table.selected().unwrap_or(0), a, len, self.page);
                self.peers_table.select(Some(at));
            }
            p => {
                let i = p.index();
                self.rows[i] = step(self.rows[i], a, len, self.page);
            }
        }
    }

    /// Rows a pane lists now (for moving in it).
    pub fn rows_in(&self, pane: Pane) -> usize {
        match pane {
            Pane::Jobs => self.jobs().len(),
            Pane::Peers => self.data.snapshot.as_ref().map_or(0, |s| s.peers.len()),
            Pane::Credits => self.data.entries.len(),
            Pane::Logs => self.logs().len(),
            Pane::Devices => self
                .data
                .snapshot
                .as_ref()
                .map_or(1, |s| 1 + s.devices.gpus.len()),
            Pane::Chat => 0,
        }
    }

    /// The jobs the Jobs pane lists, filtered: running ones first, then the log, newest first.
    pub fn jobs(&self) -> Vec<&JobInfo> {
        let filter = self.filters[Pane::Jobs.index()].to_lowercase();
        let own = self.data.own_id();
        let running = self.data.snapshot.iter().flat_map(|s| s.jobs.iter().rev());
        let shown = |j: &JobInfo| {
            [
                j.id.to_string(),
                j.model.to_string(),
                j.requester.to_string(),
                j.served_by.to_string(),
                j.state.to_string(),
                j.direction(&own).as_str().to_string(),
            ]
        };
        running
            .chain(self.data.ended.iter().rev())
            .filter(|j| {
                filter.is_empty() || shown(j).iter().any(|f| f.to_lowercase().contains(&filter))
            })
            .collect()
    }

    /// The log lines the Logs pane lists, filtered, oldest first.
    pub fn logs(&self) -> Vec<&str> {
        let filter = self.filters[Pane::Logs.index()].to_lowercase();
        self.data
            .logs
            .iter()
            .map(String::as_str)
            .filter(|l| filter.is_empty() || l.to_lowercase().contains(&filter))
            .collect()
    }

    /// Where the selected job is in the list now.
    pub fn selected_job_index(&self) -> usize {
        let jobs = self.jobs();
        let by_id = self
            .selected_job
            .as_ref()
            .and_then(|id| jobs.iter().position(|j| j.id.as_str() == id));
        by_id
            .unwrap_or_else(|| self.jobs_table.selected().unwrap_or(0))
            .min(jobs.len().saturating_sub(1))
    }

    fn selected_job(&self) -> Option<String> {
        self.jobs()
            .get(self.selected_job_index())
            .map(|j| j.id.to_string())
    }
}

/// A node id as the UI shows it: its first 8 hex digits (narrower than the logs' 10).
pub fn short(id: &NodeId) -> String {
    let mut s = id.to_string();
    s.truncate(8);
    s
}

fn step(at: usize, a: Action, len: usize, page: usize) -> usize {
    let last = len.saturating_sub(1);
    match a {
        Action::Up => at.saturating_sub(1),
        Action::Down => (at + 1).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageUp => at.saturating_sub(page.max(1)),
        Action::PageDown => (at + page.max(1)).min(last),
        _ => at,
    }
}
