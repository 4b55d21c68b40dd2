//! A client of a node's local API, used by `llp chat`, `llp status` and `llp bench`: finds the
//! node running for a data dir and reads OpenAI server-sent event streams.

use std::path::Path;

use futures_util::StreamExt;
use serde_json::Value;

/// Base URL (`http://127.0.0.1:8686`) of the node running for `data_dir`, if one is.
pub fn running_api(data_dir: &Path) -> Option<String> {
    crate::node::datadir::running_node(data_dir).map(|nf| format!("http://{}", nf.api))
}

/// One parsed server-sent event stream: calls `on_data` with each `data:` payload until `[DONE]`.
pub async fn read_sse(
    resp: reqwest::Response,
    mut on_data: impl FnMut(&str),
) -> anyhow::Result<()> {
    let mut events = SseReader::new(resp);
    while let Some(data) = events.next().await? {
        on_data(&data);
    }
    Ok(())
}

/// The `data:` payloads of a server-sent event stream, one at a time, for callers that await
/// between them.
pub struct SseReader {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: Vec<u8>,
    /// Bytes of `buf` already searched for an event's end (less the 3 a split end may need).
    scanned: usize,
    ready: std::collections::VecDeque<String>,
}

/// The longest event a reader takes: a server that sends more without ending one is refused
/// (its bytes would otherwise grow without bound).
pub const MAX_SSE_EVENT: usize = 1 << 20;

impl SseReader {
    pub fn new(resp: reqwest::Response) -> SseReader {
        SseReader {
            body: Box::pin(resp.bytes_stream()),
            buf: Vec::new(),
            scanned: 0,
            ready: Default::default(),
        }
    }

    /// The next payload; `None` after `[DONE]`, an error when the stream ends without it.
    pub async fn next(&mut self) -> anyhow::Result<Option<String>> {
        loop {
            if let Some(d) = self.ready.pop_front() {
                return Ok((d != "[DONE]").then_some(d));
            }
            let Some(chunk) = self.body.next().await else {
                anyhow::bail!("the stream ended without [DONE]")
            };
            self.buf.extend_from_slice(&chunk?);
            loop {
                // Only the new bytes are searched (and the 3 before them, for a split end).
                let from = self.scanned.saturating_sub(3);
                let Some((at, len)) = find_event_end(&self.buf[from..]) else {
                    self.scanned = self.buf.len();
                    anyhow::ensure!(
                        self.buf.len() <= MAX_SSE_EVENT,
                        "an event longer than {MAX_SSE_EVENT} bytes"
                    );
                    break;
                };
                let end = (from + at, len);
                self.scanned = 0;
                let event: Vec<u8> = self.buf.drain(..end.0 + end.1).collect();
                let text = String::from_utf8_lossy(&event[..end.0]);
                for line in text.lines() {
                    if let Some(data) = line.strip_prefix("data:") {
                        self.ready.push_back(data.trim_start().to_string());
                    }
                }
            }
        }
    }
}

fn find_event_end(buf: &[u8]) -> Option<(usize, usize)> {
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2));
    let crlf = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// The text delta of a chat or completion chunk.
pub fn delta_text(chunk: &Value) -> Option<&str> {
    let c = chunk.get("choices")?.get(0)?;
    c.get("delta")
        .and_then(|d| d.get("content"))
        .or_else(|| c.get("text"))?
        .as_str()
}

/// Turns an error response into a readable message.
pub async fn error_message(resp: reqwest::Response) -> String {
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    let msg = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or(text);
    format!("HTTP {status}: {msg}")
}
