//! The terminal UI (`llp` with no subcommand): live panes for the node's devices, jobs, peers,
//! credits, a chat and the logs; a key to pause contributing; job details for researchers.
//!
//! The UI is a client of the node's local API, always: it attaches to the `llp serve` running
//! for the data dir, or starts the node in this process and talks to that one's API the same
//! way. So one code path serves both, and the node stays the one owner of its state.
//!
//! - [`app`]: the state and what input does to it (pure, tested through the real input path).
//! - [`ui`]: drawing, a pure function of the state.
//! - [`keys`]: the key table behind input, the footer and the `?` help.
//! - [`theme`]: themes from `themes/*.toml`, `NO_COLOR`, ASCII mode.
//! - [`source`]: the API client, the poller and the log tail.
//!
//! Slow work never runs in the UI loop: fetches and the chat stream run in their own tasks and
//! come back as messages; the loop only applies them and draws.

pub mod app;
pub mod keys;
pub mod source;
pub mod theme;
pub mod ui;

#[cfg(test)]
mod screenshot;
#[cfg(test)]
mod tests;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use futures_util::StreamExt;
use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream, KeyCode, KeyEvent, KeyModifiers, MouseEventKind,
};
use ratatui::crossterm::execute;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

use app::{App, Effect, Mode, Msg};
use theme::Theme;

use crate::cli::Global;
use crate::config::UsageError;
use crate::tasks::Tasks;

/// The slowest refresh the UI allows: faster polling buys nothing a person can see.
pub const MIN_INTERVAL: Duration = Duration::from_millis(250);

/// How long quitting waits for the embedded node's running jobs.
const QUIT_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Args)]
pub struct TuiArgs {
    /// Colour theme: dark, light, high-contrast, a name in the config dir's themes/, or a .toml file
    #[arg(long, env = "LLP_THEME", default_value = "dark")]
    pub theme: String,
    /// How often the panes refresh (e.g. 500ms, 2s); at least 250ms
    #[arg(long, env = "LLP_INTERVAL", default_value = "1s")]
    pub interval: String,
    /// ASCII borders and charts, for terminals without UTF-8 [default: on for TERM=linux or a non-UTF-8 locale]
    #[arg(long, env = "LLP_ASCII", num_args = 0..=1, default_missing_value = "true")]
    pub ascii: Option<bool>,
    /// Capture the mouse (scrolls the focused pane); off by default so copy-paste works over SSH
    #[arg(long, env = "LLP_MOUSE")]
    pub mouse: bool,
}

/// Parses `--interval` (humantime: `500ms`, `2s`), at least [`MIN_INTERVAL`].
pub fn parse_interval(s: &str) -> Result<Duration, UsageError> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| UsageError(format!("--interval `{s}`: {e} (write e.g. 500ms or 2s)")))?;
    Ok(d.max(MIN_INTERVAL))
}

pub async fn run(g: &Global, a: TuiArgs) -> anyhow::Result<ExitCode> {
    let settings = g.settings()?;
    let interval = parse_interval(&a.interval)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(UsageError(
            "the terminal UI needs a terminal on standard input and output; `llp serve` runs \
             the node without one"
                .into(),
        )
        .into());
    }
    let user_themes =
        directories::ProjectDirs::from("", "", "llp").map(|d| d.config_dir().join("themes"));
    let (theme, theme_warning) = if theme::no_color() {
        (Theme::monochrome(), None)
    } else {
        Theme::load(&a.theme, user_themes.as_deref())
    };
    let ascii = a.ascii.unwrap_or_else(theme::ascii_by_default);
    let data_dir = settings.data_dir.clone();
    let (mode, base, embedded) = attach_or_embed(&settings).await?;
    let src = source::Source::new(base, settings.api.token.clone())?;
    let mut app = App::new(mode.clone(), theme, ascii);
    if let Some(w) = theme_warning {
        app.error(w);
    }
    app.chat.model = settings
        .engine
        .models
        .first()
        .cloned()
        .filter(|m| m != "none");
    // `--paused` / `--paused=false` given to an attached UI is meant for the running node.
    if let (Mode::Attached { .. }, Some(p)) = (&mode, g.paused) {
        match src.set_paused(p).await {
            Ok(_) => app.note(if p {
                "contribution paused"
            } else {
                "contribution resumed"
            }),
            Err(e) => app.error(format!("--paused: {e}")),
        }
    }
    let result = match TerminalGuard::enter(a.mouse) {
        Ok(mut term) => {
            ui_loop(
                &mut term.terminal,
                &mut app,
                src,
                data_dir.join("logs"),
                interval,
            )
            .await
        }
        Err(e) => Err(e),
    };
    leave(embedded, &mode).await;
    result?;
    Ok(ExitCode::SUCCESS)
}

/// The node the UI shows: the one running for the data dir, else one started here.
async fn attach_or_embed(
    settings: &crate::config::Settings,
) -> anyhow::Result<(Mode, String, Option<crate::cli::Running>)> {
    if let Some(nf) = crate::node::datadir::running_node(&settings.data_dir) {
        let base = format!("http://{}", nf.api);
        return Ok((Mode::Attached { pid: nf.pid }, base, None));
    }
    eprintln!(
        "llp: no node is running for {}; starting one in this process (it stops when you \
         quit; `llp serve` keeps one running)",
        settings.data_dir.display()
    );
    let running = crate::cli::start_node(settings.clone(), None, true).await?;
    let base = running.base_url();
    Ok((Mode::Embedded, base, Some(running)))
}

/// Leaves: an embedded node stops, after its running jobs; an attached one keeps running.
async fn leave(embedded: Option<crate::cli::Running>, mode: &Mode) {
    match embedded {
        Some(running) => {
            // No job is lost on the way out: peers stop sending new ones (they are told at
            // once), and the ones running here finish before the node stops.
            running.node().set_paused(true);
            let n = running.node().running_jobs();
            if n > 0 {
                say(&format!(
                    "llp: waiting for {n} running job(s) to finish (at most {}s)…",
                    QUIT_WAIT.as_secs()
                ));
                running.node().jobs_ended(QUIT_WAIT).await;
            }
            say("llp: stopping the node…");
            running.stop().await;
        }
        None => {
            if let Mode::Attached { pid } = mode {
                say(&format!(
                    "llp: the node keeps running (pid {pid}); `llp` attaches to it again"
                ));
            }
        }
    }
}

/// Raw mode and the alternate screen while it lives; the terminal restored when it drops, on
/// an error, and by a panic hook before the panic is printed.
struct TerminalGuard {
    terminal: ratatui::DefaultTerminal,
}

impl TerminalGuard {
    fn enter(mouse: bool) -> anyhow::Result<TerminalGuard> {
        // A panic on the UI's thread ends the UI: the terminal is restored before the panic
        // is printed. A panic elsewhere (a task of the embedded node, which tokio contains)
        // must neither tear the screen down under a running UI nor print over it: it goes to
        // the log file.
        let ui_thread = std::thread::current().id();
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().id() == ui_thread {
                restore_extras();
                let _ = ratatui::try_restore();
                hook(info);
            } else {
                tracing::error!("panic: {info}");
            }
        }));
        ratatui::crossterm::terminal::enable_raw_mode()?;
        let mut out = std::io::stdout();
        execute!(out, ratatui::crossterm::terminal::EnterAlternateScreen)?;
        let terminal =
            ratatui::Terminal::new(ratatui::prelude::CrosstermBackend::new(std::io::stdout()))?;
        execute!(out, EnableBracketedPaste)?;
        if mouse {
            execute!(out, EnableMouseCapture)?;
        }
        Ok(TerminalGuard { terminal })
    }
}

fn restore_extras() {
    let _ = execute!(
        std::io::stdout(),
        DisableBracketedPaste,
        DisableMouseCapture
    );
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_extras();
        // After a hang-up there is no terminal to restore: nothing to report either.
        let _ = ratatui::try_restore();
    }
}

/// A line on standard error that may have no terminal behind it any more (after a hang-up,
/// `eprintln!` would panic).
fn say(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

async fn ui_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    src: source::Source,
    logs_dir: std::path::PathBuf,
    interval: Duration,
) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::channel::<Msg>(256);
    // Every task the UI starts is its own, and ends when the UI does.
    let tasks = Tasks::new();
    {
        let (src, tx) = (src.clone(), tx.clone());
        tasks.spawn(async move {
            // Should the poller ever die, say so rather than show frozen data.
            let poll = tokio::spawn(source::poll(src, logs_dir, interval, tx.clone()));
            if let Err(e) = AbortOnDropHandle::new(poll).await
                && !e.is_cancelled()
            {
                let _ = tx
                    .send(Msg::Error(format!("the refresh stopped: {e}; restart llp")))
                    .await;
            }
        });
    }
    let mut chat: Option<CancellationToken> = None;
    let mut events = EventStream::new();
    // A closed SSH session (SIGHUP) or a SIGTERM ends the UI like `q`: an embedded node still
    // stops cleanly, after its running jobs.
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (mut hangup, mut term) = (
            signal(SignalKind::hangup())?,
            signal(SignalKind::terminate())?,
        );
        let tx = tx.clone();
        tasks.spawn(async move {
            let why = tokio::select! {
                _ = hangup.recv() => "the terminal hung up",
                _ = term.recv() => "SIGTERM",
            };
            let _ = tx.send(Msg::Leave(why.into())).await;
        });
    }
    app.data.now_unix = crate::ids::unix_now();
    terminal.draw(|f| ui::draw(f, app))?;
    // Debug builds only: the end-to-end test of the panic path (the terminal must be restored
    // before the panic is printed).
    #[cfg(debug_assertions)]
    if std::env::var_os("LLP_TUI_TEST_PANIC").is_some() {
        tokio::time::sleep(Duration::from_millis(300)).await;
        panic!("LLP_TUI_TEST_PANIC asked for a panic");
    }
    loop {
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    let ev = mouse_as_keys(ev);
                    for effect in app.on_event(ev) {
                        perform(effect, &src, &tx, &tasks, &mut chat);
                    }
                }
                Some(Err(e)) => {
                    // A hang-up often shows first as a failed read: if its signal follows,
                    // this is a leave like any other, not an error.
                    if let Some(why) = hung_up(&mut rx).await {
                        app.on_msg(Msg::Leave(why));
                        break;
                    }
                    tasks.stop().await;
                    return Err(anyhow::anyhow!("reading the terminal: {e}"));
                }
                None => break,
            },
            Some(msg) = rx.recv() => {
                app.on_msg(msg);
                // Apply whatever else arrived before drawing once.
                while let Ok(m) = rx.try_recv() {
                    app.on_msg(m);
                }
            }
        }
        if app.quit {
            break;
        }
        app.data.now_unix = crate::ids::unix_now();
        terminal.draw(|f| ui::draw(f, app))?;
    }
    // Leaving ends the chat's stream too: the node stops that job.
    tasks.stop().await;
    Ok(())
}

/// The wheel scrolls like the arrow keys (with `--mouse`).
fn mouse_as_keys(ev: Event) -> Event {
    match ev {
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Event::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE)),
            MouseEventKind::ScrollDown => {
                Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE))
            }
            _ => ev,
        },
        ev => ev,
    }
}

/// Carries out what the UI asked for, in tasks of its own; results come back as messages.
fn perform(
    effect: Effect,
    src: &source::Source,
    tx: &mpsc::Sender<Msg>,
    tasks: &Tasks,
    chat: &mut Option<CancellationToken>,
) {
    let (src, tx) = (src.clone(), tx.clone());
    match effect {
        Effect::SendChat {
            turn,
            model,
            messages,
        } => {
            *chat = Some(tasks.spawn_cancellable(async move {
                src.chat(turn, model, messages, tx).await;
            }));
        }
        Effect::CancelChat => {
            if let Some(c) = chat.take() {
                // Dropping the stream closes the connection: the node stops the job, which
                // pays for what was delivered.
                c.cancel();
            }
        }
        Effect::SetPaused(p) => {
            tasks.spawn(async move {
                let _ = tx.send(Msg::Paused(src.set_paused(p).await)).await;
            });
        }
        Effect::FetchJob(id) => {
            tasks.spawn(async move {
                let r = src.job(&id).await.map(Box::new);
                let _ = tx.send(Msg::JobDetail(id, r)).await;
            });
        }
        Effect::ExportJob(id) => {
            tasks.spawn(async move {
                let msg = match src.job(&id).await {
                    Ok(rec) => {
                        let path = std::path::PathBuf::from(format!("llp-{id}.json"));
                        let text = serde_json::to_string_pretty(&rec).expect("json");
                        match tokio::fs::write(&path, text).await {
                            Ok(()) => Msg::Notice(format!(
                                "exported {id} to {}",
                                std::path::absolute(&path).unwrap_or(path).display()
                            )),
                            Err(e) => Msg::Error(format!("{}: {e}", path.display())),
                        }
                    }
                    Err(e) => Msg::Error(format!("exporting {id}: {e}")),
                };
                let _ = tx.send(msg).await;
            });
        }
        Effect::SaveChat { path, text } => {
            tasks.spawn(async move {
                let p = std::path::PathBuf::from(&path);
                let msg = match tokio::fs::write(&p, text).await {
                    Ok(()) => Msg::Notice(format!(
                        "conversation saved to {}",
                        std::path::absolute(&p).unwrap_or(p).display()
                    )),
                    Err(e) => Msg::Error(format!("{path}: {e}")),
                };
                let _ = tx.send(msg).await;
            });
        }
        Effect::Quit => {}
    }
}

/// After a failed read of the terminal: the reason to leave, if a hang-up or SIGTERM arrives
/// within a moment (other news is dropped: the UI is ending).
async fn hung_up(rx: &mut tokio::sync::mpsc::Receiver<Msg>) -> Option<String> {
    tokio::time::timeout(Duration::from_millis(500), async {
        while let Some(m) = rx.recv().await {
            if let Msg::Leave(why) = m {
                return Some(why);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}
