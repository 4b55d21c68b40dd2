//! Drawing: the layout, the header and footer here; one function per pane in `panes`; the
//! help, the model picker and a job's detail in `overlays`.
//!
//! A frame is drawn from the [`App`] state and nothing else (no I/O, no clock), so snapshot
//! tests see exactly what users see. Drawing writes back into the state only what the frame
//! decided for the next key to act on: each table's first row in view and the rows that fit,
//! the page size, whether the terminal is too small.

mod overlays;
mod panes;

pub use panes::split_log;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, Wrap};

use super::app::{App, Mode, Pane, short};
use super::keys;

/// The smallest terminal the layout is made for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

const ASCII_BORDER: symbols::border::Set = symbols::border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

const ASCII_BARS: symbols::bar::Set = symbols::bar::Set {
    full: "#",
    seven_eighths: "#",
    three_quarters: "*",
    five_eighths: "+",
    half: "=",
    three_eighths: "-",
    one_quarter: ":",
    one_eighth: ".",
    empty: " ",
};

pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    app.too_small = area.width < MIN_WIDTH || area.height < MIN_HEIGHT;
    if app.too_small {
        too_small(f, app, area);
        return;
    }
    let paused = app.data.paused();
    let [header, banner, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(paused)),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(f, app, header);
    if paused {
        let text = match app.data.snapshot.as_ref().map(|s| &s.contribution) {
            Some(c) if c.by_hand.is_none() && !c.reasons.is_empty() => {
                let reasons: Vec<&str> = c.reasons.iter().map(|r| r.text.as_str()).collect();
                let resume = c
                    .resume_at
                    .map(|t| format!(", resumes {}", crate::node::contribution::when(t)))
                    .unwrap_or_default();
                format!(
                    " ⏸ CONTRIBUTION PAUSED: {}{resume}. Own requests still run; p overrides. ",
                    reasons.join("; ")
                )
            }
            _ => " ⏸ CONTRIBUTION PAUSED: this node serves no one else; its own requests still run. p resumes. ".to_string(),
        };
        let text = if app.ascii {
            text.replace('⏸', "||")
        } else {
            text.to_string()
        };
        f.render_widget(
            Paragraph::new(text)
                .style(app.theme.banner)
                .alignment(Alignment::Center),
            banner,
        );
    }
    app.page = (body.height as usize / 2).saturating_sub(3).max(1);
    if app.zoomed {
        draw_pane(f, app, app.focus, body);
    } else {
        for (pane, r) in layout(body) {
            draw_pane(f, app, pane, r);
        }
    }
    draw_footer(f, app, footer);
    if app.detail.is_some() {
        overlays::draw_detail(f, app, area);
    }
    if app.chat.picker.is_some() {
        overlays::draw_picker(f, app, area);
    }
    if app.help {
        overlays::draw_help(f, app, area);
    }
    if app.ascii {
        asciify(f.buffer_mut());
    }
}

/// Where each pane goes: three columns of two on a wide terminal, else two columns of three.
fn layout(body: Rect) -> [(Pane, Rect); 6] {
    if body.width >= 150 {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(body);
        let [a, b, c] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(top);
        let [d, e, g] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(bottom);
        return [
            (Pane::Devices, a),
            (Pane::Jobs, b),
            (Pane::Peers, c),
            (Pane::Credits, d),
            (Pane::Chat, e),
            (Pane::Logs, g),
        ];
    }
    let [top, mid, bottom] = Layout::vertical([
        Constraint::Percentage(30),
        Constraint::Percentage(35),
        Constraint::Fill(1),
    ])
    .areas(body);
    let halves = |r: Rect| -> [Rect; 2] {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(r)
    };
    let [a, b] = halves(top);
    let [c, d] = halves(mid);
    let [e, g] = halves(bottom);
    [
        (Pane::Devices, a),
        (Pane::Peers, b),
        (Pane::Jobs, c),
        (Pane::Credits, d),
        (Pane::Chat, e),
        (Pane::Logs, g),
    ]
}

/// ASCII mode: whatever a widget drew outside ASCII (a separator dot, an arrow, a gauge's
/// line) becomes its nearest ASCII character, so a poor terminal never shows garbage.
fn asciify(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        let s = cell.symbol();
        if s.is_ascii() {
            continue;
        }
        let c = match s.chars().next().unwrap_or(' ') {
            '·' | '•' | '…' => ".",
            '→' | '▶' => ">",
            '←' => "<",
            '↓' => "v",
            '↑' => "^",
            '—' | '–' | '─' | '━' | '═' => "-",
            '│' | '┃' | '║' | '▏' => "|",
            '°' => "o",
            '✓' => "+",
            '✗' => "x",
            '⏸' => "|",
            '█' | '▇' | '▆' | '▅' => "#",
            '▄' | '▃' => "=",
            '▂' | '▁' => "_",
            c if c.is_alphanumeric() => "?",
            _ => "+",
        };
        cell.set_symbol(c);
    }
}

fn too_small(f: &mut Frame, app: &App, area: Rect) {
    let text = vec![
        Line::styled("terminal too small", app.theme.error),
        Line::raw(format!(
            "{}x{} here; llp needs {MIN_WIDTH}x{MIN_HEIGHT}",
            area.width, area.height
        )),
        Line::styled("enlarge the window, or press q to quit", app.theme.muted),
    ];
    let h = (text.len() as u16).min(area.height);
    let y = area.y + area.height.saturating_sub(h) / 2;
    f.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        Rect::new(area.x, y, area.width, h),
    );
}

fn block<'a>(app: &App, pane: Pane, extra: &str) -> Block<'a> {
    let focused = app.focus == pane;
    let filter = &app.filters[pane.index()];
    let mut title = format!(" {} {} ", pane.index() + 1, pane.title());
    if !extra.is_empty() {
        title.push_str(extra);
        title.push(' ');
    }
    if !filter.is_empty() || (focused && app.filtering) {
        title.push_str(&format!("/{filter} "));
    }
    Block::bordered()
        .border_set(if app.ascii {
            ASCII_BORDER
        } else {
            symbols::border::PLAIN
        })
        .border_style(if focused {
            app.theme.focus
        } else {
            app.theme.border
        })
        .title(Span::styled(
            title,
            if focused {
                app.theme.focus
            } else {
                app.theme.title
            },
        ))
}

fn draw_pane(f: &mut Frame, app: &mut App, pane: Pane, r: Rect) {
    match pane {
        Pane::Devices => panes::draw_devices(f, app, r),
        Pane::Jobs => panes::draw_jobs(f, app, r),
        Pane::Peers => panes::draw_peers(f, app, r),
        Pane::Credits => panes::draw_credits(f, app, r),
        Pane::Chat => panes::draw_chat(f, app, r),
        Pane::Logs => panes::draw_logs(f, app, r),
    }
}

/// The header's word on contributing, with why in a word: the first condition in force, or the
/// hand over one.
fn contribution_span(
    s: &crate::status::Snapshot,
    ascii: bool,
    t: &crate::tui::Theme,
) -> Span<'static> {
    let why = match (&s.contribution.by_hand, s.contribution.reasons.first()) {
        (Some(_), Some(_)) => " (by hand)",
        (None, Some(r)) if s.paused => match r.kind.as_str() {
            "schedule" => " (schedule)",
            "cpu" => " (CPU busy)",
            "gpu" => " (GPU busy)",
            "battery" => " (battery)",
            "heat" => " (heat)",
            "user" => " (user active)",
            _ => "",
        },
        _ => "",
    };
    match (s.paused, ascii) {
        (true, true) => Span::styled(format!("|| paused{why}"), t.warn),
        (true, false) => Span::styled(format!("⏸ paused{why}"), t.warn),
        (false, true) => Span::styled(format!("* contributing{why}"), t.ok),
        (false, false) => Span::styled(format!("● contributing{why}"), t.ok),
    }
}

fn draw_header(f: &mut Frame, app: &App, r: Rect) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" llp ", t.title)];
    let sep = || Span::styled(" · ", t.muted);
    match &app.data.snapshot {
        Some(s) => {
            spans.push(Span::styled(
                format!("node {}", short(&s.id.unwrap_or_default())),
                t.text,
            ));
            spans.push(sep());
            spans.push(Span::styled(
                match app.mode {
                    Mode::Attached { pid } => format!("attached to llp serve (pid {pid})"),
                    Mode::Embedded => "embedded node (stops when you quit)".to_string(),
                },
                t.muted,
            ));
            if let Some(n) = &s.network {
                spans.push(sep());
                spans.push(Span::styled(
                    format!(
                        "network {}{}",
                        n.name,
                        if n.private { " (private)" } else { "" }
                    ),
                    t.text,
                ));
            }
            spans.push(sep());
            spans.push(Span::styled(format!("{} peers", s.peers.len()), t.text));
            if let Some(b) = s.balance {
                spans.push(sep());
                spans.push(Span::styled(
                    format!("{} credits", thousands(b as u64)),
                    t.accent,
                ));
            }
            spans.push(sep());
            spans.push(contribution_span(s, app.ascii, t));
        }
        None => spans.push(Span::styled("connecting to the node…", t.muted)),
    }
    if let Some(why) = &app.data.unreachable {
        spans.push(sep());
        spans.push(Span::styled(format!("node unreachable: {why}"), t.error));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), r);
}

fn draw_footer(f: &mut Frame, app: &App, r: Rect) {
    let t = &app.theme;
    if app.filtering {
        let line = Line::from(vec![
            Span::styled(format!(" filter {}: /", app.focus.title()), t.title),
            Span::styled(app.filters[app.focus.index()].clone(), t.text),
            Span::styled("▏", t.focus),
            Span::styled("   Enter keeps it · Esc clears it", t.muted),
        ]);
        f.render_widget(Paragraph::new(line), r);
        return;
    }
    let mut spans = Vec::new();
    let mut used = 0usize;
    let notice_w = app
        .notice
        .as_ref()
        .map_or(0, |(n, _)| n.chars().count() + 2)
        .min(r.width as usize / 2);
    for (label, what) in keys::hints(&app.contexts()) {
        let w = label.chars().count() + what.chars().count() + 3;
        if used + w + notice_w > r.width as usize {
            break;
        }
        used += w;
        spans.push(Span::styled(format!(" {label}"), t.title));
        spans.push(Span::styled(format!(" {what} "), t.muted));
    }
    if let Some((n, err)) = &app.notice {
        let room = (r.width as usize).saturating_sub(used + 1);
        let text: String = n.chars().take(room).collect();
        spans.push(Span::raw(
            " ".repeat(room.saturating_sub(text.chars().count())),
        ));
        spans.push(Span::styled(text, if *err { t.error } else { t.ok }));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), r);
}

fn gib(b: u64) -> String {
    format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The window of rows a list shows: it starts where it did, moved as little as keeps `sel`
/// in view.
fn window(sel: usize, offset: usize, height: usize) -> usize {
    offset.min(sel).max((sel + 1).saturating_sub(height))
}

/// A list pane: `empty` when it has no rows, else the columns of `keep` and the rows in view,
/// the selected one (`sel`, counted in view) highlighted while the pane has the focus.
#[allow(clippy::too_many_arguments)]
fn draw_table(
    f: &mut Frame,
    app: &App,
    pane: Pane,
    r: Rect,
    title: &str,
    empty: &str,
    keep: &[usize],
    columns: &[(&'static str, Constraint)],
    rows: Vec<Row>,
    sel: usize,
) {
    let t = &app.theme;
    let b = block(app, pane, title);
    if rows.is_empty() {
        let inner = b.inner(r);
        f.render_widget(b, r);
        f.render_widget(
            Paragraph::new(empty.to_string())
                .style(t.muted)
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let header = Row::new(pick(keep, columns.iter().map(|c| c.0).collect())).style(t.title);
    let widths = pick(keep, columns.iter().map(|c| c.1).collect());
    let table = Table::new(rows, widths)
        .header(header)
        .block(b)
        .row_highlight_style(if app.focus == pane {
            t.selection
        } else {
            Style::new()
        });
    let mut state = ratatui::widgets::TableState::default().with_selected(Some(sel));
    f.render_stateful_widget(table, r, &mut state);
}

/// The columns `keep` of a row, in order.
fn pick<T>(keep: &[usize], v: Vec<T>) -> Vec<T> {
    v.into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, x)| x)
        .collect()
}

fn ago(s: u64) -> String {
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

/// A sparkline as text, for a table cell: one character per sample, scaled to the samples'
/// own range.
pub fn spark(samples: impl Iterator<Item = u64> + Clone, ascii: bool) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    const ASCII: [char; 8] = ['_', '.', '-', ':', '=', '+', '*', '#'];
    let bars = if ascii { ASCII } else { BARS };
    let (lo, hi) = samples
        .clone()
        .fold((u64::MAX, 0), |(lo, hi), v| (lo.min(v), hi.max(v)));
    samples
        .map(|v| {
            let i = if hi > lo {
                ((v - lo) * 7 / (hi - lo)) as usize
            } else {
                0
            };
            bars[i.min(7)]
        })
        .collect()
}

/// HH:MM:SS UTC of a Unix time.
fn clock(unix: u64) -> String {
    let s = unix % 86400;
    format!("{:02}:{:02}:{:02} UTC", s / 3600, s / 60 % 60, s % 60)
}
