//! Drawing: one function per pane, from the [`App`] state only (no I/O, no clock), so that a
//! frame is a pure function of the state and snapshot tests see exactly what users see.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Axis, Block, Cell, Chart, Clear, Dataset, GraphType, LineGauge, Paragraph, Row, Sparkline,
    Table, Wrap,
};

use super::app::{App, Mode, Pane, Who, short};
use super::keys::{self, BINDINGS, Ctx};
use crate::devices::Reading;
use crate::ids::NodeId;
use crate::job::State;
use crate::node::jobs::{Direction, Requester};

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
        let text = " ⏸ CONTRIBUTION PAUSED: this node serves no one else; its own requests still run. p resumes. ";
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
    } else if body.width >= 150 {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(body);
        let [a, b, c] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(top);
        let [d, e, g] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(bottom);
        for (pane, r) in [
            (Pane::Devices, a),
            (Pane::Jobs, b),
            (Pane::Peers, c),
            (Pane::Credits, d),
            (Pane::Chat, e),
            (Pane::Logs, g),
        ] {
            draw_pane(f, app, pane, r);
        }
    } else {
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
        for (pane, r) in [
            (Pane::Devices, a),
            (Pane::Peers, b),
            (Pane::Jobs, c),
            (Pane::Credits, d),
            (Pane::Chat, e),
            (Pane::Logs, g),
        ] {
            draw_pane(f, app, pane, r);
        }
    }
    draw_footer(f, app, footer);
    if app.detail.is_some() {
        draw_detail(f, app, area);
    }
    if app.chat.picker.is_some() {
        draw_picker(f, app, area);
    }
    if app.help {
        draw_help(f, app, area);
    }
    if app.ascii {
        asciify(f.buffer_mut());
    }
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
        Pane::Devices => draw_devices(f, app, r),
        Pane::Jobs => draw_jobs(f, app, r),
        Pane::Peers => draw_peers(f, app, r),
        Pane::Credits => draw_credits(f, app, r),
        Pane::Chat => draw_chat(f, app, r),
        Pane::Logs => draw_logs(f, app, r),
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
            spans.push(if s.paused {
                Span::styled(if app.ascii { "|| paused" } else { "⏸ paused" }, t.warn)
            } else {
                Span::styled(
                    if app.ascii {
                        "* contributing"
                    } else {
                        "● contributing"
                    },
                    t.ok,
                )
            });
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

// ---- Devices ----

fn na<T>(r: &Reading<T>, show: impl Fn(&T) -> String) -> String {
    r.value.as_ref().map_or_else(|| "N/A".to_string(), show)
}

fn draw_devices(f: &mut Frame, app: &mut App, r: Rect) {
    let t = app.theme.clone();
    let b = block(app, Pane::Devices, "");
    let inner = b.inner(r);
    f.render_widget(b, r);
    let Some(s) = &app.data.snapshot else {
        f.render_widget(
            Paragraph::new("waiting for the node…").style(t.muted),
            inner,
        );
        return;
    };
    let d = &s.devices;
    struct Dev {
        name: String,
        used: Option<u64>,
        total: Option<u64>,
        mem: &'static str,
        line: String,
    }
    let mut devs = vec![Dev {
        name: format!("CPU  {} ({} threads)", d.cpu.model, d.cpu.threads_logical),
        used: Some(d.cpu.ram_total_bytes.saturating_sub(d.cpu.ram_free_bytes)),
        total: Some(d.cpu.ram_total_bytes),
        mem: "RAM",
        line: format!(
            "util {}  temp {}  power {}",
            na(&d.cpu.utilization_pct, |v| format!("{v}%")),
            na(&d.cpu.temperature_c, |v| format!("{v}°C")),
            na(&d.cpu.power_w, |v| format!("{v:.0} W")),
        ),
    }];
    for g in &d.gpus {
        devs.push(Dev {
            name: format!("GPU{} {}", g.index, g.name),
            used: g.memory_used_bytes.value,
            total: g.memory_total_bytes.value,
            mem: if g.unified_memory { "unified" } else { "VRAM" },
            line: format!(
                "util {}  temp {}  power {}",
                na(&g.utilization_pct, |v| format!("{v}%")),
                na(&g.temperature_c, |v| format!("{v}°C")),
                na(&g.power_w, |v| format!("{v:.0} W")),
            ),
        });
    }
    let per = 3u16;
    // The reasons behind N/A: one line, from the probes that found nothing.
    let reasons: Vec<String> = d
        .probes
        .iter()
        .filter(|p| d.gpus.is_empty() || !p.result.contains("GPU(s)"))
        .map(|p| format!("{}: {}", p.source, p.result))
        .collect();
    let first = app.rows[Pane::Devices.index()].min(devs.len().saturating_sub(1));
    let mut y = inner.y;
    for dev in devs.iter().skip(first) {
        if y + per > inner.y + inner.height {
            break;
        }
        let row = |i: u16| Rect::new(inner.x, y + i, inner.width, 1);
        f.render_widget(
            Paragraph::new(Span::styled(dev.name.clone(), t.title)),
            row(0),
        );
        let (ratio, label) = match (dev.used, dev.total) {
            (Some(u), Some(tot)) if tot > 0 => (
                (u as f64 / tot as f64).clamp(0.0, 1.0),
                format!("{} {}/{}", dev.mem, gib(u), gib(tot)),
            ),
            _ => (0.0, format!("{} N/A", dev.mem)),
        };
        let mut gauge = LineGauge::default()
            .ratio(ratio)
            .label(label)
            .filled_style(t.accent)
            .unfilled_style(t.muted);
        if app.ascii {
            gauge = gauge.filled_symbol("#").unfilled_symbol("-");
        }
        f.render_widget(gauge, row(1));
        f.render_widget(
            Paragraph::new(Span::styled(dev.line.clone(), t.text)),
            row(2),
        );
        y += per;
    }
    if y < inner.y + inner.height && !reasons.is_empty() {
        let left = inner.y + inner.height - y;
        f.render_widget(
            Paragraph::new(reasons.join("; "))
                .style(t.muted)
                .wrap(Wrap { trim: true }),
            Rect::new(inner.x, y, inner.width, left),
        );
    }
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

// ---- Jobs ----

fn draw_jobs(f: &mut Frame, app: &mut App, r: Rect) {
    let t = app.theme.clone();
    let own = app.data.own_id();
    let now = app.data.now_unix;
    let ascii = app.ascii;
    // A narrow pane keeps the columns that matter most.
    let keep: &[usize] = if r.width >= 62 {
        &[0, 1, 2, 3, 4, 5, 6]
    } else {
        &[0, 1, 2, 3, 5]
    };
    let (rows, count, sel, offset): (Vec<Row>, usize, usize, usize) = {
        let jobs = app.jobs();
        let count = jobs.len();
        // Only the rows that can show are built: a long log costs nothing per frame.
        let height = r.height.saturating_sub(3) as usize;
        let sel = app.selected_job_index();
        let offset = window(sel, app.jobs_table.offset(), height);
        let rows = jobs
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(_, j)| {
                let dir = j.direction(&own);
                let route = match (dir, j.requester) {
                    (Direction::In, Requester::Peer(by)) => {
                        format!("{}{}", if ascii { "<" } else { "↓" }, short(&by))
                    }
                    (Direction::Out, _) => {
                        format!("{}{}", if ascii { ">" } else { "↑" }, short(&j.served_by))
                    }
                    _ => format!("{}here", if ascii { "." } else { "·" }),
                };
                let state_style = match j.state {
                    State::Done(_) => t.ok,
                    State::Failed | State::Refused => t.error,
                    State::Cancelled => t.muted,
                    _ => t.warn,
                };
                let credits = match (dir, j.credits) {
                    (_, 0) => "0".to_string(),
                    (Direction::In, c) => format!("+{c}"),
                    (_, c) => format!("-{c}"),
                };
                let age = now.saturating_sub(j.ended_unix.unwrap_or(j.started_unix));
                Row::new(pick(
                    keep,
                    vec![
                        Cell::from(route),
                        Cell::from(j.model.name.clone()),
                        Cell::from(Span::styled(j.state.to_string(), state_style)),
                        Cell::from(j.tokens.to_string()),
                        Cell::from(format!("{:.1}", j.tokens_per_s)),
                        Cell::from(credits),
                        Cell::from(ago(age)),
                    ],
                ))
            })
            .collect();
        (rows, count, sel, offset)
    };
    // The table is handed only the visible rows: it selects relative to them.
    app.jobs_table.select(Some(sel));
    *app.jobs_table.offset_mut() = offset;
    let empty = if app.filters[Pane::Jobs.index()].is_empty() {
        "No jobs yet. Chat (5) runs one; peers' jobs show here as they arrive."
    } else {
        "No job matches the filter (Esc clears it)."
    };
    let columns = [
        ("peer", Constraint::Length(9)),
        ("model", Constraint::Fill(2)),
        ("state", Constraint::Fill(2)),
        ("tok", Constraint::Length(5)),
        ("tok/s", Constraint::Length(6)),
        ("credits", Constraint::Length(7)),
        ("ago", Constraint::Length(4)),
    ];
    let title = format!("{count} shown");
    draw_table(
        f,
        app,
        Pane::Jobs,
        r,
        &title,
        empty,
        keep,
        &columns,
        rows,
        sel - offset,
    );
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

// ---- Peers ----

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

fn draw_peers(f: &mut Frame, app: &mut App, r: Rect) {
    let t = app.theme.clone();
    let Some(s) = &app.data.snapshot else {
        let b = block(app, Pane::Peers, "");
        f.render_widget(b, r);
        return;
    };
    let forked: Vec<NodeId> = s
        .network
        .as_ref()
        .map(|n| n.equivocators.iter().map(|e| e.peer).collect())
        .unwrap_or_default();
    let height = r.height.saturating_sub(3) as usize;
    let count = s.peers.len();
    let sel = app
        .peers_table
        .selected()
        .unwrap_or(0)
        .min(count.saturating_sub(1));
    let offset = window(sel, app.peers_table.offset(), height);
    let spark_w = 12usize;
    let keep: &[usize] = if r.width >= 66 {
        &[0, 1, 2, 3, 4, 5, 6, 7]
    } else {
        &[0, 1, 2, 3, 6]
    };
    let rows: Vec<Row> = s
        .peers
        .iter()
        .skip(offset)
        .take(height)
        .map(|p| {
            let hist = app.data.rtt.get(&p.id);
            let line = hist.map_or(String::new(), |h| {
                spark(
                    h.iter().skip(h.len().saturating_sub(spark_w)).copied(),
                    app.ascii,
                )
            });
            let (state, style) = if forked.contains(&p.id) {
                ("FORKED".to_string(), t.error)
            } else if p.paused {
                ("paused".to_string(), t.warn)
            } else {
                use crate::net::table::Health;
                match &p.health {
                    Health::Ok => ("ok".to_string(), t.ok),
                    Health::Unverified => ("new".to_string(), t.muted),
                    Health::Unreachable { .. } => ("unreach".to_string(), t.error),
                    Health::Evicted { .. } => ("evicted".to_string(), t.error),
                }
            };
            let models: Vec<&str> = p.models.iter().map(|m| m.name.as_str()).collect();
            Row::new(pick(
                keep,
                vec![
                    Cell::from(short(&p.id)),
                    Cell::from(p.rtt_ms.map_or("-".into(), |v| format!("{v:.1}"))),
                    Cell::from(Span::styled(line, t.accent)),
                    Cell::from(format!("{:.0}%", p.load * 100.0)),
                    Cell::from(p.score.map_or("-".into(), |v| format!("{v:.2}"))),
                    Cell::from(format!("{:.0}%", p.reliability * 100.0)),
                    Cell::from(Span::styled(state, style)),
                    Cell::from(if models.is_empty() {
                        "-".to_string()
                    } else {
                        models.join(",")
                    }),
                ],
            ))
        })
        .collect();
    app.peers_table.select(Some(sel));
    *app.peers_table.offset_mut() = offset;
    let columns = [
        ("peer", Constraint::Length(8)),
        ("rtt ms", Constraint::Length(6)),
        ("history", Constraint::Length(spark_w as u16)),
        ("load", Constraint::Length(4)),
        ("score", Constraint::Length(5)),
        ("rel", Constraint::Length(4)),
        ("state", Constraint::Length(7)),
        ("models", Constraint::Fill(1)),
    ];
    let empty = "No peers yet. `llp invite` prints a ticket; another machine joins with `llp serve --join TICKET`.";
    draw_table(
        f,
        app,
        Pane::Peers,
        r,
        &format!("{count}"),
        empty,
        keep,
        &columns,
        rows,
        sel - offset,
    );
}

// ---- Credits ----

fn draw_credits(f: &mut Frame, app: &mut App, r: Rect) {
    let t = app.theme.clone();
    let b = block(app, Pane::Credits, "");
    let inner = b.inner(r);
    f.render_widget(b, r);
    let Some(l) = app.data.snapshot.as_ref().and_then(|s| s.ledger.as_ref()) else {
        f.render_widget(
            Paragraph::new("This node keeps no ledger.").style(t.muted),
            inner,
        );
        return;
    };
    let forks = app
        .data
        .snapshot
        .as_ref()
        .and_then(|s| s.network.as_ref())
        .map_or(0, |n| n.equivocators.len());
    let mut head = vec![Line::from(vec![
        Span::styled("balance ", t.muted),
        Span::styled(thousands(l.balance), t.accent.add_modifier(Modifier::BOLD)),
        Span::styled(
            format!(
                "  available {}  held {}  {} entries",
                thousands(l.available),
                thousands(l.held),
                l.entries
            ),
            t.muted,
        ),
    ])];
    let (mark, style) = match &l.checked {
        Some(c) if c.ok => (
            format!(
                "{} chain verified: {} entries, every link and signature ({:.2} s)",
                if app.ascii { "OK" } else { "✓" },
                c.entries,
                c.seconds
            ),
            t.ok,
        ),
        Some(c) => (
            format!(
                "{} chain DOES NOT VERIFY: {}",
                if app.ascii { "!!" } else { "✗" },
                c.error.as_deref().unwrap_or("?")
            ),
            t.error,
        ),
        None => ("verifying the chain…".to_string(), t.warn),
    };
    head.push(Line::styled(mark, style));
    head.push(Line::styled(
        format!(
            "peers audited {}  ·  forks proven {}",
            l.peers_audited, forks
        ),
        if forks > 0 { t.error } else { t.muted },
    ));
    let entries_h = (inner.height / 3).max(2);
    let [top, chart, list] = Layout::vertical([
        Constraint::Length(head.len() as u16),
        Constraint::Fill(1),
        Constraint::Length(entries_h),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(head), top);
    draw_balance_chart(f, app, chart);
    let n = list.height as usize;
    let first = app.rows[Pane::Credits.index()];
    let lines: Vec<Line> = app
        .data
        .entries
        .iter()
        .rev()
        .skip(first)
        .take(n)
        .map(|e| {
            let (sign, style) = match e.kind {
                crate::ledger::Kind::Spend => ("-", t.warn),
                _ => ("+", t.ok),
            };
            let what = match (&e.model, e.tokens, &e.counterparty) {
                (Some(m), Some(tok), Some(c)) => format!("{m} {tok} tok, {}", short(c)),
                _ => "starter grant".into(),
            };
            Line::from(vec![
                Span::styled(format!("#{:<5}", e.seq), t.muted),
                Span::styled(format!("{:<6}", e.kind.as_str()), t.text),
                Span::styled(format!("{sign}{:>7}", e.amount), style),
                Span::styled(format!(" → {:>9}  ", thousands(e.balance)), t.text),
                Span::styled(what, t.muted),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), list);
}

fn draw_balance_chart(f: &mut Frame, app: &App, r: Rect) {
    let t = &app.theme;
    let pts = &app.data.series;
    if r.height < 3 || pts.is_empty() {
        return;
    }
    if app.ascii {
        // No braille: a sparkline of the balance, one column per slice of the history.
        let w = r.width as usize;
        let data: Vec<u64> = (0..w.min(pts.len()))
            .map(|i| pts[i * pts.len() / w.min(pts.len())].1 as u64)
            .collect();
        let lo = data.iter().min().copied().unwrap_or(0);
        let shifted: Vec<u64> = data.iter().map(|v| v - lo + 1).collect();
        f.render_widget(
            Sparkline::default()
                .data(&shifted)
                .bar_set(ASCII_BARS)
                .style(t.accent),
            r,
        );
        return;
    }
    let (x0, x1) = (pts[0].0, pts[pts.len() - 1].0.max(pts[0].0 + 1.0));
    let (lo, hi) = pts.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let pad = ((hi - lo) * 0.1).max(1.0);
    let data = [Dataset::default()
        .marker(symbols::Marker::Braille)
        .graph_type(GraphType::Line)
        .style(t.accent)
        .data(pts)];
    let span = x1 - x0;
    let chart = Chart::new(data.to_vec())
        .x_axis(
            Axis::default()
                .bounds([x0, x1])
                .labels([format!("-{}", ago(span as u64)), "now".to_string()])
                .style(t.muted),
        )
        .y_axis(
            Axis::default()
                .bounds([lo - pad, hi + pad])
                .labels([
                    thousands((lo - pad).max(0.0) as u64),
                    thousands((hi + pad) as u64),
                ])
                .style(t.muted),
        );
    f.render_widget(chart, r);
}

// ---- Chat ----

fn draw_chat(f: &mut Frame, app: &mut App, r: Rect) {
    let t = app.theme.clone();
    let model = app.chat.model.clone().unwrap_or_else(|| "no model".into());
    let b = block(app, Pane::Chat, &format!("with {model}"));
    let inner = b.inner(r);
    f.render_widget(b, r);
    let input_lines = app.chat.input.lines().len().clamp(1, 5) as u16;
    let [conv, input] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(input_lines + 1)]).areas(inner);
    let mut lines: Vec<Line> = Vec::new();
    if app.chat.turns.is_empty() {
        lines.push(Line::styled(
            "Ask anything: the network routes it to a node that serves the model. /? lists the commands.",
            t.muted,
        ));
    }
    for turn in &app.chat.turns {
        match turn.who {
            Who::User => {
                for (i, l) in turn.text.lines().enumerate() {
                    let lead = if i == 0 { "you: " } else { "     " };
                    lines.push(Line::from(vec![
                        Span::styled(lead, t.title),
                        Span::styled(l.to_string(), t.text),
                    ]));
                }
            }
            Who::Assistant => {
                let mut first = true;
                for l in turn.text.split('\n') {
                    let lead = if first { "llm: " } else { "     " };
                    first = false;
                    lines.push(Line::from(vec![
                        Span::styled(lead, t.accent),
                        Span::styled(l.to_string(), t.text),
                    ]));
                }
                if let Some(m) = &turn.meta {
                    lines.push(Line::styled(
                        format!("     — {m}"),
                        if turn.broken { t.error } else { t.muted },
                    ));
                }
            }
            Who::Note => lines.push(Line::styled(turn.text.clone(), t.warn)),
        }
        lines.push(Line::raw(""));
    }
    let para = Paragraph::new(Text::from(lines)).wrap(Wrap { trim: false });
    let total = para.line_count(conv.width).min(u16::MAX as usize) as u16;
    let max_up = total.saturating_sub(conv.height);
    app.chat.scroll = app.chat.scroll.min(max_up);
    let top = max_up - app.chat.scroll;
    f.render_widget(para.scroll((top, 0)), conv);
    // The input: a rule, then the text area.
    let [rule, field] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(input);
    let focused = app.focus == Pane::Chat;
    let label = if app.chat.streaming {
        " streaming… Esc cancels "
    } else if focused {
        " Enter sends · Ctrl-j new line · Tab leaves "
    } else {
        " 5 or c to type "
    };
    let dash = if app.ascii { "-" } else { "─" };
    let rule_text = format!(
        "{label}{}",
        dash.repeat((rule.width as usize).saturating_sub(label.chars().count()))
    );
    f.render_widget(Paragraph::new(Span::styled(rule_text, t.muted)), rule);
    app.chat.input.set_cursor_style(if focused {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new()
    });
    app.chat.input.set_style(t.text);
    app.chat.input.set_placeholder_style(t.muted);
    f.render_widget(&app.chat.input, field);
}

// ---- Logs ----

fn draw_logs(f: &mut Frame, app: &mut App, r: Rect) {
    let t = app.theme.clone();
    let b = block(app, Pane::Logs, "");
    let inner = b.inner(r);
    f.render_widget(b, r);
    let logs = app.logs();
    let n = inner.height as usize;
    // Row 0 is the newest line; moving down goes back in time.
    let back = app.rows[Pane::Logs.index()].min(logs.len().saturating_sub(1));
    let end = logs.len().saturating_sub(back);
    let start = end.saturating_sub(n);
    let lines: Vec<Line> = logs[start..end]
        .iter()
        .map(|l| {
            let (time, level, msg) = split_log(l);
            let style = match level {
                "ERROR" => t.error,
                "WARN" => t.warn,
                "INFO" => t.text,
                _ => t.muted,
            };
            Line::from(vec![
                Span::styled(format!("{time} "), t.muted),
                Span::styled(format!("{level:<5} "), style),
                Span::styled(msg.to_string(), style),
            ])
        })
        .collect();
    if lines.is_empty() {
        f.render_widget(Paragraph::new("No log lines yet.").style(t.muted), inner);
        return;
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// A `tracing` line (`2026-12-03T06:50:01.123456Z  INFO target: message`) as (HH:MM:SS,
/// level, message).
pub fn split_log(line: &str) -> (&str, &str, &str) {
    // A continuation line of a multi-line message starts with blanks: it has no timestamp.
    let Some((ts, rest)) = line.split_once(char::is_whitespace) else {
        return ("", "", line);
    };
    if !ts.starts_with(|c: char| c.is_ascii_digit()) {
        return ("", "", line);
    }
    let rest = rest.trim_start();
    let (level, msg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if !matches!(level, "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE") {
        return ("", "", line);
    }
    let msg = msg.trim_start();
    // Drop the module path: the message says what happened.
    let msg = match msg.split_once(": ") {
        Some((target, m))
            if !target.contains(' ') && target.contains("::") || target == "local_llm_proxy" =>
        {
            m
        }
        _ => msg,
    };
    let time = ts.get(11..19).unwrap_or(ts);
    (time, level, msg)
}

// ---- Overlays ----

fn centered(area: Rect, w_pct: u16, h_pct: u16) -> Rect {
    let w = (u32::from(area.width) * u32::from(w_pct) / 100) as u16;
    let h = (u32::from(area.height) * u32::from(h_pct) / 100) as u16;
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn overlay_block<'a>(app: &App, title: String) -> Block<'a> {
    Block::bordered()
        .border_set(if app.ascii {
            ASCII_BORDER
        } else {
            symbols::border::DOUBLE
        })
        .border_style(app.theme.focus)
        .title(Span::styled(title, app.theme.focus))
}

fn draw_help(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let r = centered(area, 94, 94);
    f.render_widget(Clear, r);
    let b = overlay_block(app, " Keys (Esc closes) ".into());
    let inner = b.inner(r);
    f.render_widget(b, r);
    let mut lines: Vec<Line> = Vec::new();
    let order = [
        Ctx::Global,
        Ctx::Always,
        Ctx::List,
        Ctx::Jobs,
        Ctx::Detail,
        Ctx::Chat,
        Ctx::Picker,
        Ctx::FilterInput,
        Ctx::Help,
    ];
    let mut last_title = "";
    for ctx in order {
        let title = ctx.title();
        if title != last_title {
            if !lines.is_empty() {
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled(title, t.title));
            last_title = title;
        }
        for b in BINDINGS.iter().filter(|b| b.ctx == ctx) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<10}", b.label), t.accent),
                Span::styled(b.what, t.text),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Chat commands", t.title));
    for (c, what) in [
        (
            "/model NAME",
            "chat with another model (/model alone lists them)",
        ),
        ("/clear", "start a new conversation"),
        ("/save [FILE]", "save the conversation (.json: as JSON)"),
        ("/?", "the commands"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("  {c:<13}"), t.accent),
            Span::styled(what, t.text),
        ]));
    }
    // Two columns when the lines do not fit in one and the width allows; and it scrolls
    // (arrows, PgUp/PgDn) when they do not fit in two.
    let h = inner.height as usize;
    let two = lines.len() > h && inner.width >= 80;
    let cols = if two { 2 } else { 1 };
    let max = lines.len().saturating_sub(h * cols);
    let at = (app.help_scroll as usize).min(max);
    let lines: Vec<Line> = lines.into_iter().skip(at).collect();
    if two {
        let [a, b] = Layout::horizontal([Constraint::Percentage(50); 2]).areas(inner);
        let mut lines = lines;
        let rest = lines.split_off(h.min(lines.len()));
        f.render_widget(Paragraph::new(lines), a);
        f.render_widget(Paragraph::new(rest), b);
    } else {
        f.render_widget(Paragraph::new(lines), inner);
    }
}

fn draw_picker(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let at = app.chat.picker.unwrap_or(0);
    let h = (app.data.models.len() as u16 + 2).min(area.height - 4);
    let w = 50.min(area.width - 4);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    f.render_widget(Clear, r);
    let b = overlay_block(app, " Chat with… (Enter) ".into());
    let inner = b.inner(r);
    f.render_widget(b, r);
    let first = at.saturating_sub((inner.height as usize).saturating_sub(1));
    let lines: Vec<Line> = app
        .data
        .models
        .iter()
        .enumerate()
        .skip(first)
        .map(|(i, m)| {
            if i == at {
                Line::styled(format!("> {m}"), t.selection)
            } else {
                Line::styled(format!("  {m}"), t.text)
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

fn draw_detail(f: &mut Frame, app: &mut App, area: Rect) {
    let t = app.theme.clone();
    let r = centered(area, 90, 90);
    f.render_widget(Clear, r);
    let Some(d) = &app.detail else { return };
    let b = overlay_block(app, format!(" Job {} (Esc closes, x exports) ", d.id));
    let inner = b.inner(r);
    f.render_widget(b, r);
    let rec = match &d.record {
        None => {
            f.render_widget(Paragraph::new("loading…").style(t.muted), inner);
            return;
        }
        Some(Err(e)) => {
            f.render_widget(
                Paragraph::new(e.clone())
                    .style(t.error)
                    .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        Some(Ok(rec)) => rec,
    };
    let own = app.data.own_id();
    let j = &rec.info;
    let dd = &rec.detail;
    let local = j.direction(&own) == Direction::Local;
    let field = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<12}"), t.title),
            Span::styled(v, t.text),
        ])
    };
    let who = |id: &NodeId| {
        if *id == own {
            format!("{id} (this node)")
        } else {
            id.to_string()
        }
    };
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0} ms"));
    let mut lines = vec![
        field(
            "state",
            format!("{} · {}", j.state, j.direction(&own).as_str()),
        ),
        field("model", j.model.to_string()),
        field(
            "requester",
            match &j.requester {
                Requester::Local => "this node's own API".into(),
                Requester::Peer(id) => who(id),
            },
        ),
        field("served by", who(&j.served_by)),
        field(
            "tokens",
            format!(
                "prompt {} (cached {}) · answer {} · {:.1} tok/s",
                j.prompt_tokens, dd.cached_tokens, j.tokens, j.tokens_per_s
            ),
        ),
        field(
            "timings",
            format!(
                "first token {} · prompt {} · generation {} · total {}",
                ms(dd.time_to_first_token_ms),
                ms(dd.prompt_ms),
                ms(dd.generation_ms),
                ms(dd.duration_ms)
            ),
        ),
        field(
            "time",
            format!(
                "started {}{}",
                clock(j.started_unix),
                j.ended_unix
                    .map_or(String::new(), |e| format!(" · ended {}", clock(e)))
            ),
        ),
        field("failovers", j.failovers.to_string()),
    ];
    if let Some(fr) = &dd.finish_reason {
        lines.push(field("finish", fr.to_string()));
    }
    if let Some(w) = &dd.warning {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", "warning"), t.title),
            Span::styled(w.clone(), t.warn),
        ]));
    }
    if let Some(e) = &dd.error {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", "error"), t.title),
            Span::styled(e.clone(), t.error),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Route", t.title));
    if dd.route.is_empty() {
        lines.push(Line::styled("  (not started)", t.muted));
    }
    for (i, h) in dd.route.iter().enumerate() {
        lines.push(Line::raw(format!(
            "  {}. {} — {} from answer token {}",
            i + 1,
            who(&h.node),
            h.why.as_str(),
            h.from_token
        )));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Receipts and ledger entries", t.title));
    if dd.settlements.is_empty() {
        lines.push(Line::styled(
            if local {
                "  none: a job served by this node's own hardware is free"
            } else {
                "  none recorded"
            },
            t.muted,
        ));
    }
    for s in &dd.settlements {
        let rc = &s.receipt;
        lines.push(Line::raw(format!(
            "  receipt {}: {}:{} · {} prompt + {} answer tokens · {} credits",
            rc.job, rc.model, rc.quant, rc.prompt_tokens, rc.completion_tokens, rc.credits
        )));
        lines.push(Line::raw(format!(
            "    requester {} · worker {}",
            short(&rc.requester),
            short(&rc.worker)
        )));
        lines.push(Line::raw(format!(
            "    signed by both · entry #{} {} {} → balance {} · hash {}",
            s.entry.seq,
            s.entry.kind.as_str(),
            s.entry.amount,
            thousands(s.entry.balance),
            &s.entry_hash[..16.min(s.entry_hash.len())]
        )));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Prompt", t.title));
    for l in dd.prompt.lines() {
        lines.push(Line::styled(format!("  {l}"), t.text));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Output", t.title));
    for l in dd.output.split('\n') {
        lines.push(Line::styled(format!("  {l}"), t.text));
    }
    let para = Paragraph::new(lines).wrap(Wrap { trim: false });
    let total = para.line_count(inner.width).min(u16::MAX as usize) as u16;
    let max = total.saturating_sub(inner.height);
    if let Some(d) = &mut app.detail {
        d.scroll = d.scroll.min(max);
        f.render_widget(para.scroll((d.scroll, 0)), inner);
    }
}

/// HH:MM:SS UTC of a Unix time.
fn clock(unix: u64) -> String {
    let s = unix % 86400;
    format!("{:02}:{:02}:{:02} UTC", s / 3600, s / 60 % 60, s % 60)
}
