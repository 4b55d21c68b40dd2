//! What the runtime brings the UI: status, the job log, ledger entries, log lines, models,
//! job details and notices, each applied to the state as it arrives.

use super::{App, MAX_ENTRIES, MAX_JOBS, MAX_LOG_LINES, MAX_SERIES, Msg, RTT_SAMPLES};
use crate::ledger::EntryLine;
use crate::status::Snapshot;

impl App {
    /// A new status: the RTT history of each peer grows (and forgets peers that left).
    fn status(&mut self, s: Snapshot) {
        for p in &s.peers {
            if let Some(rtt) = p.rtt_ms {
                let h = self.data.rtt.entry(p.id).or_default();
                h.push_back(rtt.round().max(0.0) as u64);
                while h.len() > RTT_SAMPLES {
                    h.pop_front();
                }
            }
        }
        self.data
            .rtt
            .retain(|id, _| s.peers.iter().any(|p| p.id == *id));
        self.data.snapshot = Some(s);
        self.data.unreachable = None;
    }

    /// New ledger entries, and the balance chart's points.
    fn entries(&mut self, lines: Vec<EntryLine>) {
        for l in lines {
            self.data
                .series
                .push((l.time_ms as f64 / 1000.0, l.balance as f64));
            self.data.entries.push_back(l);
        }
        while self.data.entries.len() > MAX_ENTRIES {
            self.data.entries.pop_front();
        }
        if self.data.series.len() > MAX_SERIES {
            // Keep every other point of the older half: the shape stays, the cost does not grow.
            let half = self.data.series.len() / 2;
            let mut i = 0;
            self.data.series.retain(|_| {
                i += 1;
                i > half || i % 2 == 0
            });
        }
    }

    /// The hand moved the switch: the snapshot says so at once, and the note says whether it
    /// overrides a condition (until that changes).
    fn paused_by_hand(&mut self, p: bool) {
        let over = self
            .data
            .snapshot
            .as_ref()
            .map(|s| {
                let r: Vec<&str> = s
                    .contribution
                    .reasons
                    .iter()
                    .map(|r| r.text.as_str())
                    .collect();
                r.join("; ")
            })
            .unwrap_or_default();
        if let Some(s) = &mut self.data.snapshot {
            s.paused = p;
            s.contribution.paused = p;
            s.contribution.by_hand = Some(p);
            // (As the node words it; its next snapshot says the same.)
            s.contribution.why = match (p, over.is_empty()) {
                (true, true) => "paused by hand".into(),
                (true, false) => format!("paused by hand (and {over})"),
                (false, true) => "contributing".into(),
                (false, false) => format!("contributing by hand over: {over} (until that changes)"),
            };
        }
        let note = match (p, over.is_empty()) {
            (true, _) => {
                "Contribution paused: peers are told at once; running jobs finish".to_string()
            }
            (false, true) => "Contribution resumed".to_string(),
            (false, false) => {
                format!("Contribution resumed by hand over: {over} (until that changes)")
            }
        };
        self.note(note);
    }

    pub fn on_msg(&mut self, msg: Msg) {
        match msg {
            Msg::Status(s) => self.status(*s),
            Msg::Unreachable(why) => self.data.unreachable = Some(why),
            Msg::Jobs(jobs) => {
                // A job that ended since the last status is no longer running.
                if let Some(s) = &mut self.data.snapshot {
                    s.jobs.retain(|r| !jobs.iter().any(|e| e.id == r.id));
                }
                self.data.ended.extend(jobs);
                while self.data.ended.len() > MAX_JOBS {
                    self.data.ended.pop_front();
                }
            }
            Msg::Entries(lines) => self.entries(lines),
            Msg::Logs(lines) => {
                self.data.logs.extend(lines);
                while self.data.logs.len() > MAX_LOG_LINES {
                    self.data.logs.pop_front();
                }
            }
            Msg::Models(m) => {
                if self.chat.model.is_none() {
                    self.chat.model = m.first().cloned();
                }
                self.data.models = m;
            }
            Msg::JobDetail(id, r) => {
                if let Some(d) = &mut self.detail
                    && d.id == id
                {
                    d.record = Some(r);
                }
            }
            Msg::Chat(turn, ev) => {
                if turn == self.chat.turn && self.chat.streaming {
                    self.on_chat(ev);
                }
            }
            Msg::Paused(Ok(p)) => self.paused_by_hand(p),
            Msg::Paused(Err(e)) => self.error(format!("pausing failed: {e}")),
            Msg::Notice(n) => self.note(n),
            Msg::Leave(why) => {
                tracing::info!("{why}: leaving");
                self.quit = true;
            }
            Msg::Error(e) => self.error(e),
        }
    }
}
