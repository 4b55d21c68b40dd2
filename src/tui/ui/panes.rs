//! The six panes: devices, jobs, peers, credits (with the balance chart), chat and logs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{
    Axis, Cell, Chart, Dataset, GraphType, LineGauge, Paragraph, Row, Sparkline, Wrap,
};

use super::super::app::{App, Pane, Who, short};
use super::super::theme::Theme;
use super::{ASCII_BARS, ago, block, draw_table, gib, pick, spark, thousands, window};
use crate::devices::Reading;
use crate::ids::NodeId;
use crate::job::State;
use crate::ledger::{EntryLine, LedgerStatus};
use crate::net::PeerStatus;
use crate::node::JobInfo;
use crate::node::jobs::{Direction, Requester};

// ---- Devices ----

fn na<T>(r: &Reading<T>, show: impl Fn(&T) -> String) -> String {
    r.value.as_ref().map_or_else(|| "N/A".to_string(), show)
}

/// One device as the Devices pane shows it.
struct Dev {
    name: String,
    used: Option<u64>,
    total: Option<u64>,
    mem: &'static str,
    line: String,
}

impl Dev {
    /// The CPU, then each GPU.
    fn all(d: &crate::devices::Profile) -> Vec<Dev> {
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
        devs
    }

    /// Its three rows from `y`: name, memory gauge, readings.
    fn draw(&self, f: &mut Frame, t: &Theme, ascii: bool, inner: Rect, y: u16) {
        let row = |i: u16| Rect::new(inner.x, y + i, inner.width, 1);
        f.render_widget(
            Paragraph::new(Span::styled(self.name.clone(), t.title)),
            row(0),
        );
        let (ratio, label) = match (self.used, self.total) {
            (Some(u), Some(tot)) if tot > 0 => (
                (u as f64 / tot as f64).clamp(0.0, 1.0),
                format!("{} {}/{}", self.mem, gib(u), gib(tot)),
            ),
            _ => (0.0, format!("{} N/A", self.mem)),
        };
        let mut gauge = LineGauge::default()
            .ratio(ratio)
            .label(label)
            .filled_style(t.accent)
            .unfilled_style(t.muted);
        if ascii {
            gauge = gauge.filled_symbol("#").unfilled_symbol("-");
        }
        f.render_widget(gauge, row(1));
        f.render_widget(
            Paragraph::new(Span::styled(self.line.clone(), t.text)),
            row(2),
        );
    }
}

pub(super) fn draw_devices(f: &mut Frame, app: &mut App, r: Rect) {
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
    let devs = Dev::all(d);
    let per = 3u16;
    // First, when they do not work for peers now (or work by hand, or within limits): why.
    let c = &s.contribution;
    let limits = match c.limits.as_str() {
        "" => String::new(),
        l => format!("; {l}"),
    };
    let (line, style) = match (s.paused, c.why.as_str()) {
        (true, "") => (format!("Contributing: paused{limits}"), t.warn),
        (true, why) => (
            format!("Contributing: {}", why.trim_start_matches("paused: ")),
            t.warn,
        ),
        (false, "" | "contributing") => (format!("Contributing: yes{limits}"), t.ok),
        (false, why) => (format!("Contributing: {why}{limits}"), t.ok),
    };
    let mut inner = inner;
    let worth_a_line = s.paused || c.by_hand.is_some() || !limits.is_empty();
    if worth_a_line && inner.height > 0 {
        f.render_widget(
            Paragraph::new(line).style(style),
            Rect::new(inner.x, inner.y, inner.width, 1),
        );
        inner.y += 1;
        inner.height -= 1;
    }
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
        dev.draw(f, &t, app.ascii, inner, y);
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

// ---- Jobs ----

/// One job's row: who, model, state, tokens, speed, credits, age.
fn job_row(
    j: &JobInfo,
    own: &NodeId,
    now: u64,
    ascii: bool,
    t: &Theme,
    keep: &[usize],
) -> Row<'static> {
    let dir = j.direction(own);
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
}

pub(super) fn draw_jobs(f: &mut Frame, app: &mut App, r: Rect) {
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
            .map(|(_, j)| job_row(j, &own, now, ascii, &t, keep))
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
    let mut title = format!("{count} shown");
    // The pipelines this node coordinates: their stages, where they run.
    if let Some(n) = app.data.snapshot.as_ref().and_then(|s| s.network.as_ref()) {
        for p in &n.pipelines {
            let stages: Vec<String> = p
                .stages
                .iter()
                .map(|st| format!("{}..{} {}", st.layers[0], st.layers[1], short_hex(&st.node)))
                .collect();
            title.push_str(&format!(" · {} pipeline: {}", p.model, stages.join(", ")));
            if p.replans > 0 {
                title.push_str(&format!(" ({} replans)", p.replans));
            }
        }
    }
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

/// The first 8 hex digits of a node id written in full.
fn short_hex(id: &str) -> &str {
    &id[..8.min(id.len())]
}

// ---- Peers ----

/// The layers `peer` runs of the pipelines this node coordinates, by model.
fn stages_on(s: &crate::status::Snapshot, peer: &NodeId) -> Vec<(String, [u32; 2])> {
    let id = peer.to_string();
    s.network
        .iter()
        .flat_map(|n| &n.pipelines)
        .flat_map(|pl| {
            pl.stages
                .iter()
                .filter(|st| st.node == id)
                .map(|st| (pl.model.clone(), st.layers))
        })
        .collect()
}

/// The stages this node runs for peers' pipelines, for the Peers pane's title.
fn hosted_stages(s: &crate::status::Snapshot) -> String {
    s.network
        .iter()
        .flat_map(|n| &n.stages)
        .map(|st| {
            format!(
                " · running layers {}..{} of {} for {}",
                st.layers[0],
                st.layers[1],
                st.model,
                st.coordinators.join(",")
            )
        })
        .collect()
}

/// One peer's row: id, RTT and its history, load, score, reliability, state, models.
fn peer_row(
    p: &PeerStatus,
    stages: &[(String, [u32; 2])],
    spark_line: String,
    forked: bool,
    t: &Theme,
    keep: &[usize],
) -> Row<'static> {
    use crate::net::table::Health;
    let (state, style) = if forked {
        ("FORKED".to_string(), t.error)
    } else if p.paused {
        ("paused".to_string(), t.warn)
    } else {
        match &p.health {
            Health::Ok => ("ok".to_string(), t.ok),
            Health::Unverified => ("new".to_string(), t.muted),
            Health::Unreachable { .. } => ("unreach".to_string(), t.error),
            Health::Evicted { .. } => ("evicted".to_string(), t.error),
        }
    };
    let mut models: Vec<String> = p.models.iter().map(|m| m.name.clone()).collect();
    // A stage of a pipeline this node coordinates: which layers it runs.
    models.extend(
        stages
            .iter()
            .map(|(m, l)| format!("layers {}..{} of {m}", l[0], l[1])),
    );
    Row::new(pick(
        keep,
        vec![
            Cell::from(short(&p.id)),
            Cell::from(p.rtt_ms.map_or("-".into(), |v| format!("{v:.1}"))),
            Cell::from(Span::styled(spark_line, t.accent)),
            Cell::from(format!("{:.0}%", p.load * 100.0)),
            Cell::from(p.score.map_or("-".into(), |v| format!("{v:.2}"))),
            Cell::from(format!("{:.0}%", p.reliability * 100.0)),
            checks_cell(p, t),
            Cell::from(Span::styled(state, style)),
            Cell::from(if models.is_empty() {
                "-".to_string()
            } else {
                models.join(",")
            }),
        ],
    ))
}

/// What this node's spot checks of a peer found: passed/failed, a failure in the error style.
fn checks_cell(p: &PeerStatus, t: &Theme) -> Cell<'static> {
    match p.checks {
        None => Cell::from("-"),
        Some(c) if c.failed > 0 => {
            Cell::from(Span::styled(format!("{}/{}", c.passed, c.failed), t.error))
        }
        Some(c) => Cell::from(format!("{}/0", c.passed)),
    }
}

pub(super) fn draw_peers(f: &mut Frame, app: &mut App, r: Rect) {
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
    let keep: &[usize] = if r.width >= 74 {
        &[0, 1, 2, 3, 4, 5, 6, 7, 8]
    } else if r.width >= 66 {
        &[0, 1, 2, 3, 4, 5, 7, 8]
    } else {
        &[0, 1, 2, 3, 7]
    };
    let rows: Vec<Row> = s
        .peers
        .iter()
        .skip(offset)
        .take(height)
        .map(|p| {
            let spark_line = app.data.rtt.get(&p.id).map_or(String::new(), |h| {
                spark(
                    h.iter().skip(h.len().saturating_sub(spark_w)).copied(),
                    app.ascii,
                )
            });
            let stages = stages_on(s, &p.id);
            peer_row(p, &stages, spark_line, forked.contains(&p.id), &t, keep)
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
        ("checks", Constraint::Length(6)),
        ("state", Constraint::Length(7)),
        ("models", Constraint::Fill(1)),
    ];
    let empty = "No peers yet. `llp invite` prints a ticket; another machine joins with `llp serve --join TICKET`.";
    // A fetch of model files from peers shows in the title: what, how far, how fast.
    let mut title = format!("{count}");
    title.push_str(&hosted_stages(s));
    for x in s.network.iter().flat_map(|n| &n.transfers) {
        title.push_str(&format!(
            " · fetching {} {}% {}/s from {}",
            x.model,
            x.done * 100 / x.total.max(1),
            crate::cli::bytes(x.rate as u64),
            x.peers
        ));
    }
    draw_table(
        f,
        app,
        Pane::Peers,
        r,
        &title,
        empty,
        keep,
        &columns,
        rows,
        sel - offset,
    );
}

// ---- Credits ----

/// The balance, whether this chain verified, and what is known of peers' chains.
fn credits_head(
    l: &LedgerStatus,
    account: Option<&crate::net::account::AccountStatus>,
    fallback: Option<&crate::fallback::Totals>,
    forks: usize,
    ascii: bool,
    t: &Theme,
) -> Vec<Line<'static>> {
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
    // The account's balance: every member's, this one's included.
    if let Some(a) = account {
        head.push(Line::from(vec![
            Span::styled("account ", t.muted),
            Span::styled(thousands(a.balance), t.accent),
            Span::styled(
                format!(
                    "  {} members  owner {}{}",
                    a.members.len(),
                    short(&a.id),
                    if a.revoked {
                        "  THIS NODE IS REVOKED"
                    } else {
                        ""
                    }
                ),
                if a.revoked { t.error } else { t.muted },
            ),
        ]));
    }
    // Beside the credits: what the paid fallback cost in money.
    if let Some(f) = fallback {
        head.push(Line::from(vec![
            Span::styled("fallback ", t.muted),
            Span::styled(format!("{:.4} {}", f.cost, f.currency), t.warn),
            Span::styled(
                format!("  {} jobs ({} failed)  {}", f.jobs, f.failed, f.url),
                t.muted,
            ),
        ]));
    }
    let (mark, style) = match &l.checked {
        Some(c) if c.ok => (
            format!(
                "{} chain verified: {} entries, every link and signature ({:.2} s)",
                if ascii { "OK" } else { "✓" },
                c.entries,
                c.seconds
            ),
            t.ok,
        ),
        Some(c) => (
            format!(
                "{} chain DOES NOT VERIFY: {}",
                if ascii { "!!" } else { "✗" },
                c.error.as_deref().unwrap_or("?")
            ),
            t.error,
        ),
        None => ("verifying the chain…".to_string(), t.warn),
    };
    head.push(Line::styled(mark, style));
    if let Some(why) = &l.stale {
        head.push(Line::styled(format!("LEDGER BEHIND: {why}"), t.error));
    }
    head.push(Line::styled(
        format!(
            "peers audited {}  ·  forks proven {}",
            l.peers_audited, forks
        ),
        if forks > 0 { t.error } else { t.muted },
    ));
    if l.debts_owed > 0 {
        head.push(Line::styled(
            format!("promises owed to this node, unpaid: {}", l.debts_owed),
            t.warn,
        ));
    }
    head
}

/// One ledger entry: seq, kind, amount, balance, and what it paid for.
fn entry_line(e: &EntryLine, t: &Theme) -> Line<'static> {
    let (sign, style) = match e.kind {
        crate::ledger::Kind::Spend | crate::ledger::Kind::Hold => ("-", t.warn),
        _ => ("+", t.ok),
    };
    let what = match (&e.model, e.tokens, &e.counterparty) {
        (Some(m), Some(tok), Some(c)) => format!("{m} {tok} tok, {}", short(c)),
        (_, _, Some(c)) if e.kind == crate::ledger::Kind::Hold => format!("held, {}", short(c)),
        (_, _, Some(c)) => format!("released, {}", short(c)),
        _ => "starter grant".into(),
    };
    Line::from(vec![
        Span::styled(format!("#{:<5}", e.seq), t.muted),
        Span::styled(format!("{:<6}", e.kind.as_str()), t.text),
        Span::styled(format!("{sign}{:>7}", e.amount), style),
        Span::styled(format!(" → {:>9}  ", thousands(e.balance)), t.text),
        Span::styled(what, t.muted),
    ])
}

pub(super) fn draw_credits(f: &mut Frame, app: &mut App, r: Rect) {
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
    let fallback = app.data.snapshot.as_ref().and_then(|s| s.fallback.as_ref());
    let account = app.data.snapshot.as_ref().and_then(|s| s.account.as_ref());
    let head = credits_head(l, account, fallback, forks, app.ascii, &t);
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
        .map(|e| entry_line(e, &t))
        .collect();
    f.render_widget(Paragraph::new(lines), list);
}

pub(super) fn draw_balance_chart(f: &mut Frame, app: &App, r: Rect) {
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

pub(super) fn draw_chat(f: &mut Frame, app: &mut App, r: Rect) {
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

pub(super) fn draw_logs(f: &mut Frame, app: &mut App, r: Rect) {
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
