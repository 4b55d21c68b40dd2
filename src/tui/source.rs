//! What the UI knows of its node comes from here: a client of the node's local API (the same
//! whether the node runs in this process or in a `llp serve`), a poller that brings status, the
//! job log, new ledger entries and new log lines every interval, and the chat stream. Each
//! result goes to the UI loop as a [`Msg`] on one bounded channel.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::app::{ChatEvent, Msg};
use crate::ids::NodeId;
use crate::ledger::EntryLine;
use crate::node::{JobInfo, JobRecord};
use crate::status::Snapshot;

/// A client of the node's local API.
#[derive(Clone)]
pub struct Source {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Source {
    pub fn new(base: String, token: Option<String>) -> anyhow::Result<Source> {
        Ok(Source {
            http: crate::fetch::http_client()?,
            base,
            token,
        })
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .timeout(Duration::from_secs(10));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.post(format!("{}{path}", self.base));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    async fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let resp = self
            .get(path)
            .send()
            .await
            .map_err(|e| crate::fetch::error_chain(&e))?;
        if !resp.status().is_success() {
            return Err(crate::client::error_message(resp).await);
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| crate::fetch::error_chain(&e))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{path}: unexpected answer: {e}"))
    }

    pub async fn status(&self) -> Result<Snapshot, String> {
        self.json("/api/status").await
    }

    pub async fn job(&self, id: &str) -> Result<JobRecord, String> {
        self.json(&format!("/api/jobs/{id}")).await
    }

    pub async fn set_paused(&self, paused: bool) -> Result<bool, String> {
        let resp = self
            .post("/api/contribution")
            .json(&json!({ "paused": paused }))
            .send()
            .await
            .map_err(|e| crate::fetch::error_chain(&e))?;
        if !resp.status().is_success() {
            return Err(crate::client::error_message(resp).await);
        }
        let v: Value = resp.json().await.map_err(|e| e.to_string())?;
        v["paused"]
            .as_bool()
            .ok_or_else(|| format!("unexpected answer {v}"))
    }

    async fn models(&self) -> Result<Vec<String>, String> {
        let v: Value = self.json("/v1/models").await?;
        Ok(v["data"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| m["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Streams one chat answer into `tx`: its start, its text, and how it ended.
    pub async fn chat(
        &self,
        turn: u64,
        model: Option<String>,
        messages: Vec<(String, String)>,
        tx: mpsc::Sender<Msg>,
    ) {
        let ev = |e| Msg::Chat(turn, e);
        let resp = match self.ask(model, &messages).await {
            Ok(r) => r,
            Err(why) => {
                let _ = tx.send(ev(ChatEvent::Failed(why))).await;
                return;
            }
        };
        // The node names itself in a header: an id it did not write is no node's.
        let served_by = resp
            .headers()
            .get("x-llp-node")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| NodeId::parse(v).ok())
            .unwrap_or_default();
        if tx.send(ev(ChatEvent::Started { served_by })).await.is_err() {
            return;
        }
        let mut end = Ending {
            served_by,
            ..Ending::default()
        };
        let mut reader = crate::client::SseReader::new(resp);
        loop {
            let v = match reader.next().await {
                Ok(Some(data)) => match serde_json::from_str::<Value>(&data) {
                    Ok(v) => v,
                    Err(_) => continue,
                },
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(ev(ChatEvent::Failed(e.to_string()))).await;
                    return;
                }
            };
            if let Some(m) = v["error"]["message"].as_str() {
                let _ = tx.send(ev(ChatEvent::Failed(m.to_string()))).await;
                return;
            }
            if let Some(t) = crate::client::delta_text(&v)
                && !t.is_empty()
                && tx.send(ev(ChatEvent::Delta(t.to_string()))).await.is_err()
            {
                return;
            }
            end.take(&v);
        }
        let _ = tx.send(ev(end.done())).await;
    }

    /// Sends a streamed chat request; an error the user can read when it is not answered.
    async fn ask(
        &self,
        model: Option<String>,
        messages: &[(String, String)],
    ) -> Result<reqwest::Response, String> {
        let msgs: Vec<Value> = messages
            .iter()
            .map(|(r, c)| json!({"role": r, "content": c}))
            .collect();
        let mut body = json!({
            "messages": msgs, "stream": true, "stream_options": {"include_usage": true},
        });
        if let Some(m) = model {
            body["model"] = json!(m);
        }
        let resp = self
            .post("/v1/chat/completions")
            .json(&body)
            .send()
            .await
            .map_err(|e| crate::fetch::error_chain(&e))?;
        if !resp.status().is_success() {
            return Err(crate::client::error_message(resp).await);
        }
        Ok(resp)
    }
}

/// How a streamed answer ended, from its last chunks.
#[derive(Default)]
struct Ending {
    served_by: NodeId,
    credits: u64,
    tokens: u32,
    rate: f64,
    finish: String,
}

impl Ending {
    /// Takes what a chunk says of the end: the finishing chunk's reason, cost, speed and
    /// server, the usage chunk's counts.
    fn take(&mut self, v: &Value) {
        if let Some(f) = v["choices"][0]["finish_reason"].as_str() {
            self.finish = f.to_string();
            self.credits = v["llp_credits"].as_u64().unwrap_or(self.credits);
            self.rate = v["llp_timings"]["generation_tokens_per_s"]
                .as_f64()
                .unwrap_or(self.rate);
            if let Some(by) = v["llp_served_by"].as_str().and_then(|b| b.parse().ok()) {
                self.served_by = by;
            }
        }
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            self.tokens = u["completion_tokens"].as_u64().unwrap_or(0) as u32;
            self.credits = u["llp_credits"].as_u64().unwrap_or(self.credits);
        }
    }

    fn done(self) -> ChatEvent {
        ChatEvent::Done {
            served_by: self.served_by,
            credits: self.credits,
            tokens: self.tokens,
            tokens_per_s: self.rate,
            finish: self.finish,
        }
    }
}

/// Brings what changed every `interval` until the UI goes away: the status, jobs that ended,
/// new ledger entries, new log lines, and now and then the models the network serves.
pub async fn poll(src: Source, logs_dir: PathBuf, interval: Duration, tx: mpsc::Sender<Msg>) {
    let mut job_seq = 0u64;
    let mut ledger_seq: Option<u64> = None;
    let mut tail = LogTail::new(logs_dir);
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = 0u64;
    loop {
        tick.tick().await;
        let status = src.status().await;
        let entries = status
            .as_ref()
            .ok()
            .and_then(|s| s.ledger.as_ref())
            .map_or(0, |l| l.entries);
        let msg = match status {
            Ok(s) => Msg::Status(Box::new(s)),
            Err(e) => Msg::Unreachable(e),
        };
        if tx.send(msg).await.is_err() {
            return;
        }
        #[derive(serde::Deserialize)]
        struct Jobs {
            jobs: Vec<JobInfo>,
            last: u64,
        }
        if let Ok(j) = src
            .json::<Jobs>(&format!("/api/jobs?after={job_seq}"))
            .await
        {
            if j.last < job_seq {
                // A restarted node counts from 0 again: read its log from the start.
                job_seq = 0;
            } else if j.last != job_seq {
                job_seq = j.last;
                let _ = tx.send(Msg::Jobs(j.jobs)).await;
            }
        }
        // Only entries not fetched yet, a thousand at a time; of a long chain, the newest
        // thousand first (the pane shows the latest ones and the recent balance).
        if ledger_seq.is_none() && entries > 1000 {
            ledger_seq = Some(entries - 1001);
        }
        while entries > ledger_seq.map_or(0, |s| s + 1) {
            #[derive(serde::Deserialize)]
            struct Entries {
                entries: Vec<EntryLine>,
            }
            let after = ledger_seq.map_or(String::new(), |s| format!("after={s}&"));
            match src
                .json::<Entries>(&format!("/api/ledger/entries?{after}limit=1000"))
                .await
            {
                Ok(e) if !e.entries.is_empty() => {
                    ledger_seq = e.entries.last().map(|l| l.seq);
                    let _ = tx.send(Msg::Entries(e.entries)).await;
                }
                _ => break,
            }
        }
        let (t, lines) = match tokio::task::spawn_blocking(move || {
            let lines = tail.read();
            (tail, lines)
        })
        .await
        {
            Ok(r) => r,
            Err(_) => return,
        };
        tail = t;
        if !lines.is_empty() {
            let _ = tx.send(Msg::Logs(lines)).await;
        }
        if n.is_multiple_of(10)
            && let Ok(m) = src.models().await
        {
            let _ = tx.send(Msg::Models(m)).await;
        }
        n += 1;
    }
}

/// Follows the newest `llp.*.log` in the node's logs dir: the last lines at first, then what
/// is appended, moving to a new file when the log rolls over.
pub struct LogTail {
    dir: PathBuf,
    file: Option<(PathBuf, u64)>,
    partial: Vec<u8>,
}

/// The most of an existing log read at the start.
const TAIL_START: u64 = 64 * 1024;

impl LogTail {
    pub fn new(dir: PathBuf) -> LogTail {
        LogTail {
            dir,
            file: None,
            partial: Vec::new(),
        }
    }

    fn newest(dir: &Path) -> Option<PathBuf> {
        std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("llp.") && n.ends_with(".log"))
            })
            .max()
    }

    /// New complete lines since the last call.
    pub fn read(&mut self) -> Vec<String> {
        let Some(newest) = Self::newest(&self.dir) else {
            return Vec::new();
        };
        let len = std::fs::metadata(&newest).map(|m| m.len()).unwrap_or(0);
        let from = match &self.file {
            Some((p, off)) if *p == newest && *off <= len => *off,
            // A new day's file: from its start (a piece of a line left from the old one is
            // dropped). The first file seen: its tail.
            Some(_) => {
                self.partial.clear();
                0
            }
            None => len.saturating_sub(TAIL_START),
        };
        let first = self.file.is_none();
        if from == len {
            self.file = Some((newest, len));
            return Vec::new();
        }
        let mut buf = Vec::new();
        if let Ok(mut f) = std::fs::File::open(&newest) {
            let _ = f.seek(SeekFrom::Start(from));
            let _ = f.take((len - from).min(1 << 20)).read_to_end(&mut buf);
        }
        self.file = Some((newest, from + buf.len() as u64));
        if first && from > 0 {
            // Started mid-line: drop the piece.
            match buf.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    buf.drain(..=i);
                }
                None => buf.clear(),
            }
        }
        self.partial.extend_from_slice(&buf);
        let Some(last_nl) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Vec::new();
        };
        let done: Vec<u8> = self.partial.drain(..=last_nl).collect();
        String::from_utf8_lossy(&done)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_follows_appends_and_a_new_day() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("llp.2026-12-02.log");
        std::fs::write(&a, "old 1\nold 2\n").unwrap();
        let mut t = LogTail::new(dir.path().to_path_buf());
        assert_eq!(t.read(), ["old 1", "old 2"]);
        assert!(t.read().is_empty());
        let mut f = std::fs::OpenOptions::new().append(true).open(&a).unwrap();
        f.write_all(b"new 3\nhalf").unwrap();
        assert_eq!(t.read(), ["new 3"]);
        f.write_all(b" a line\n").unwrap();
        assert_eq!(t.read(), ["half a line"]);
        std::fs::write(dir.path().join("llp.2026-12-03.log"), "next day\n").unwrap();
        assert_eq!(t.read(), ["next day"]);
    }
}
