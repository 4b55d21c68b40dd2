//! What opens over the panes: the help (every key, from the key table), the model picker, and
//! a job's detail.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::super::app::{App, short};
use super::super::keys::{BINDINGS, Ctx};
use super::super::theme::Theme;
use super::{ASCII_BORDER, clock, thousands};
use crate::ids::NodeId;
use crate::node::JobRecord;
use crate::node::jobs::{Direction, Requester};

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

pub(super) fn draw_help(f: &mut Frame, app: &App, area: Rect) {
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

pub(super) fn draw_picker(f: &mut Frame, app: &App, area: Rect) {
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

pub(super) fn draw_detail(f: &mut Frame, app: &mut App, area: Rect) {
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
    let lines = Detail {
        t: &t,
        own: app.data.own_id(),
    }
    .lines(rec);
    let para = Paragraph::new(lines).wrap(Wrap { trim: false });
    let total = para.line_count(inner.width).min(u16::MAX as usize) as u16;
    let max = total.saturating_sub(inner.height);
    if let Some(d) = &mut app.detail {
        d.scroll = d.scroll.min(max);
        f.render_widget(para.scroll((d.scroll, 0)), inner);
    }
}

/// The text of a job's detail.
struct Detail<'a> {
    t: &'a Theme,
    own: NodeId,
}

impl Detail<'_> {
    fn lines(&self, rec: &JobRecord) -> Vec<Line<'static>> {
        let mut lines = self.summary(rec);
        lines.push(Line::raw(""));
        lines.extend(self.route(rec));
        lines.push(Line::raw(""));
        lines.extend(self.settlements(rec));
        let t = self.t;
        if rec.detail.text_withheld {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "A peer's job: its prompt and answer are not kept (keep_peer_text is off)",
                t.muted,
            ));
            return lines;
        }
        if let Some(p) = &rec.detail.policy {
            lines.push(Line::raw(""));
            lines.push(self.field("policy", p.line()));
        }
        // A pipeline's stages: where each range of layers ran, and how long it took.
        for st in &rec.detail.stages {
            lines.push(self.field(
                "stage",
                format!(
                    "layers {}..{} on {}: {} steps, {:.0} ms compute, {:.0} ms round trips{}",
                    st.layers[0],
                    st.layers[1],
                    &st.node[..12.min(st.node.len())],
                    st.steps,
                    st.compute_ms,
                    st.round_trip_ms,
                    if st.replaced { " (replaced)" } else { "" }
                ),
            ));
        }
        if let Some(f) = &rec.detail.fallback {
            lines.push(self.field(
                "fallback",
                format!("{} at {}: {:.6} {}", f.model, f.url, f.cost, f.currency),
            ));
        }
        for (title, text) in [
            ("Prompt", &rec.detail.prompt),
            ("Output", &rec.detail.output),
        ] {
            lines.push(Line::raw(""));
            lines.push(Line::styled(title, t.title));
            // The prompt's lines; the output's too, empty last line included.
            let rows: Vec<&str> = if title == "Prompt" {
                text.lines().collect()
            } else {
                text.split('\n').collect()
            };
            for l in rows {
                lines.push(Line::styled(format!("  {l}"), t.text));
            }
        }
        lines
    }

    fn field(&self, k: &str, v: String) -> Line<'static> {
        Line::from(vec![
            Span::styled(format!("{k:<12}"), self.t.title),
            Span::styled(v, self.t.text),
        ])
    }

    fn who(&self, id: &NodeId) -> String {
        if *id == self.own {
            format!("{id} (this node)")
        } else {
            id.to_string()
        }
    }

    /// State, model, who asked and served, tokens, timings, and what went wrong.
    fn summary(&self, rec: &JobRecord) -> Vec<Line<'static>> {
        let (j, dd, t) = (&rec.info, &rec.detail, self.t);
        let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0} ms"));
        let mut lines = vec![
            self.field(
                "state",
                format!("{} · {}", j.state, j.direction(&self.own).as_str()),
            ),
            self.field("model", j.model.to_string()),
            self.field(
                "requester",
                match &j.requester {
                    Requester::Local => "this node's own API".into(),
                    Requester::Peer(id) => self.who(id),
                },
            ),
            self.field("served by", self.who(&j.served_by)),
            self.field(
                "tokens",
                format!(
                    "prompt {} (cached {}) · answer {} · {:.1} tok/s",
                    j.prompt_tokens, dd.cached_tokens, j.tokens, j.tokens_per_s
                ),
            ),
            self.field(
                "timings",
                format!(
                    "first token {} · prompt {} · generation {} · total {}",
                    ms(dd.time_to_first_token_ms),
                    ms(dd.prompt_ms),
                    ms(dd.generation_ms),
                    ms(dd.duration_ms)
                ),
            ),
            self.field(
                "time",
                format!(
                    "started {}{}",
                    clock(j.started_unix),
                    j.ended_unix
                        .map_or(String::new(), |e| format!(" · ended {}", clock(e)))
                ),
            ),
            self.field("failovers", j.failovers.to_string()),
        ];
        if let Some(fr) = &dd.finish_reason {
            lines.push(self.field("finish", fr.to_string()));
        }
        for (k, v, style) in [
            ("warning", &dd.warning, t.warn),
            ("check", &dd.check, t.title),
            ("error", &dd.error, t.error),
        ] {
            if let Some(v) = v {
                lines.push(Line::from(vec![
                    Span::styled(format!("{k:<12}"), t.title),
                    Span::styled(v.clone(), style),
                ]));
            }
        }
        lines
    }

    /// The nodes that served it, in order.
    fn route(&self, rec: &JobRecord) -> Vec<Line<'static>> {
        let mut lines = vec![Line::styled("Route", self.t.title)];
        if rec.detail.route.is_empty() {
            lines.push(Line::styled("  (not started)", self.t.muted));
        }
        for (i, h) in rec.detail.route.iter().enumerate() {
            let served = h
                .served
                .as_ref()
                .map(|s| format!(", {} on {}", s.variant, s.engine))
                .unwrap_or_default();
            lines.push(Line::raw(format!(
                "  {}. {} — {} from answer token {}{served}",
                i + 1,
                self.who(&h.node),
                h.why.as_str(),
                h.from_token
            )));
            if let Some(s) = h.served.as_ref().filter(|s| !s.why.is_empty()) {
                lines.push(Line::styled(format!("     {}", s.why), self.t.muted));
            }
        }
        lines
    }

    /// The receipts both sides signed, and this node's ledger entries for them.
    fn settlements(&self, rec: &JobRecord) -> Vec<Line<'static>> {
        let t = self.t;
        let mut lines = vec![Line::styled("Receipts and ledger entries", t.title)];
        if rec.detail.settlements.is_empty() {
            let local = rec.info.direction(&self.own) == Direction::Local;
            lines.push(Line::styled(
                if local {
                    "  none: a job served by this node's own hardware is free"
                } else {
                    "  none recorded"
                },
                t.muted,
            ));
        }
        for s in &rec.detail.settlements {
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
        lines
    }
}
