//! The paid fallback: an OpenAI-compatible upstream (a cloud API, or any server that speaks
//! OpenAI's routes) that serves a job when no node the job's policy allows can: none serves its
//! model, or none has room within `after_ms`. Off unless the config file has a `[fallback]`
//! table. It obeys the routing policy: `local` and `network` never use it, a region rule needs
//! the region its operator declares, and `max_cost` bounds the job's worst case at its price.
//!
//! Its answer streams back on the job's own channel as text pieces, like any node's; its cost
//! (the upstream's token counts at the configured prices) goes to the job's detail, the
//! response, `/metrics` and the node's status (the Credits pane), beside the credits spent.
//!
//! Owns: its settings (parsed from the file), the key (read once from the environment), the
//! HTTP client, the request and the reading of its stream, and the running totals.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::ids::ModelRef;
use crate::job::{EVENT_CHANNEL, Event, Finish, FinishReason, Prompt, Refusal, Spec};
use crate::node::{JobGuard, Routed};
use crate::route::policy::{Excluded, Route};

/// The most answer tokens a job asks of the upstream when it names no `max_tokens` (so that
/// `max_cost` bounds a real worst case).
pub const DEFAULT_MAX_TOKENS: u32 = 4096;
/// How long the upstream may take to answer a request's headers.
const CONNECT_WAIT: Duration = Duration::from_secs(30);
/// How long its stream may stay silent.
const STALL: Duration = Duration::from_secs(60);

/// The config file's `[fallback]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The upstream's base URL, up to its `/v1` (`https://api.example.com/v1`).
    pub url: String,
    /// The environment variable that holds its API key (never the key itself: a config file
    /// ends up in repositories and backups).
    #[serde(default)]
    pub key_env: Option<String>,
    /// The models it serves for this node: a model name as requests give it → the upstream's.
    pub models: BTreeMap<String, String>,
    /// A job that found no allowed node with room for this long goes to the fallback.
    #[serde(default = "default_after_ms")]
    pub after_ms: u64,
    /// Its price per million prompt tokens and per million answer tokens, in `currency`.
    pub price_input: f64,
    pub price_output: f64,
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Where the upstream runs, by its operator's word, for policies that require a region.
    #[serde(default)]
    pub region: Option<String>,
    /// Jobs it runs at once at most: past them a job gets 503 (each costs money).
    #[serde(default = "default_max_jobs")]
    pub max_jobs: usize,
}

fn default_max_jobs() -> usize {
    8
}

fn default_after_ms() -> u64 {
    10_000
}

fn default_currency() -> String {
    "USD".into()
}

/// What the fallback served so far (status, `/metrics`, the Credits pane).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// The upstream without its path's secrets: scheme, host and path.
    pub url: String,
    pub currency: String,
    pub jobs: u64,
    pub failed: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cost: f64,
}

/// What a job's detail keeps of its run on the fallback.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Use {
    pub url: String,
    /// The upstream's model name.
    pub model: String,
    pub cost: f64,
    pub currency: String,
}

/// The fallback. Clone freely.
#[derive(Clone)]
pub struct Fallback(Arc<Inner>);

struct Inner {
    cfg: Config,
    key: Option<String>,
    http: reqwest::Client,
    totals: Mutex<Totals>,
    /// Its jobs running now, at most `max_jobs`.
    slots: Arc<tokio::sync::Semaphore>,
}

impl Config {
    /// Checks the table; an error says what is wrong (the caller names the file).
    pub fn check(&mut self) -> Result<(), String> {
        let url = reqwest::Url::parse(&self.url)
            .map_err(|e| format!("url `{}` is not a URL: {e}", self.url))?;
        let host = url.host_str().unwrap_or_default();
        let loopback = host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|a| a.is_loopback());
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(format!(
                    "url `{}`: plain http only to this machine (the key and the prompts would \
                     cross the network in the clear); use https",
                    self.url
                ));
            }
            s => return Err(format!("url `{}`: `{s}` is not http or https", self.url)),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("url: put no credentials in the URL; name them with key_env".into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "url `{}`: a base URL has no query or fragment (a key in a query would show \
                 in status)",
                self.url
            ));
        }
        self.url = self.url.trim_end_matches('/').to_string();
        if self.max_jobs == 0 {
            return Err("max_jobs: at least 1".into());
        }
        if self.models.is_empty() {
            return Err("models: map at least one model name to the upstream's".into());
        }
        for (price, name) in [
            (self.price_input, "price_input"),
            (self.price_output, "price_output"),
        ] {
            if !(price.is_finite() && price >= 0.0) {
                return Err(format!("{name}: a price per million tokens, at least 0"));
            }
        }
        if let Some(r) = &self.region {
            self.region = Some(crate::route::policy::region_name(r).ok_or_else(|| {
                format!("region: `{r}` is not a region name (1-32 letters, digits, - _)")
            })?);
        }
        Ok(())
    }
}

impl Fallback {
    /// The fallback of `cfg`, its key read from the environment now (an error names a
    /// variable that is not set).
    pub fn new(cfg: Config) -> Result<Fallback, String> {
        let key = match &cfg.key_env {
            None => None,
            Some(var) => Some(std::env::var(var).map_err(|_| {
                format!("fallback.key_env: the environment variable {var} is not set")
            })?),
        };
        // No redirects: one would carry the prompt to a host (or a plain-http URL) that the
        // checks above never saw.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        let totals = Totals {
            url: cfg.url.clone(),
            currency: cfg.currency.clone(),
            ..Totals::default()
        };
        Ok(Fallback(Arc::new(Inner {
            slots: Arc::new(tokio::sync::Semaphore::new(cfg.max_jobs)),
            cfg,
            key,
            http,
            totals: Mutex::new(totals),
        })))
    }

    pub fn totals(&self) -> Totals {
        self.0.totals.lock().expect("fallback totals").clone()
    }

    /// How long a job waits for an allowed node before it goes to the fallback.
    pub fn after(&self) -> Duration {
        Duration::from_millis(self.0.cfg.after_ms)
    }

    /// The upstream's name for `model`, if it serves it.
    pub fn model_for(&self, model: &ModelRef) -> Option<&str> {
        self.0.cfg.models.get(&model.name).map(String::as_str)
    }

    /// Whether it may serve `spec`, and as which model: it serves the model, the kind of job
    /// (chat or completion, without tools or logprobs), and `spec`'s policy allows it. `Ok(None)`
    /// when it does not serve the job at all; `Err` names the rule that keeps it out.
    pub fn admits(&self, spec: &Spec, model: &ModelRef) -> Result<Option<String>, Excluded> {
        let Some(upstream) = self.model_for(model) else {
            return Ok(None);
        };
        if matches!(spec.prompt, Prompt::Embed(_))
            || spec.constraints.has_tools()
            || spec.constraints.format.is_some()
            || spec.logprobs.is_some()
        {
            return Ok(None);
        }
        let p = &spec.policy;
        if p.route != Route::Any {
            return Err(Excluded {
                rule: "route",
                why: format!(
                    "route `{}` ({}) never uses the paid fallback",
                    p.route.as_str(),
                    p.said_by("route")
                ),
            });
        }
        if let Some(list) = &p.region
            && !self.0.cfg.region.as_ref().is_some_and(|r| list.contains(r))
        {
            return Err(Excluded {
                rule: "region",
                why: format!(
                    "region {} ({}) and the paid fallback declares {}",
                    list.join(", "),
                    p.said_by("region"),
                    self.0.cfg.region.as_deref().unwrap_or("no region")
                ),
            });
        }
        // A token is at least a byte: the prompt's bytes (and a few per message) bound its
        // tokens whatever the upstream's tokenizer.
        let worst = self.cost(prompt_bytes(&spec.prompt), u64::from(max_tokens(spec)));
        if let Some(most) = p.max_cost
            && worst > most
        {
            return Err(Excluded {
                rule: "max_cost",
                why: format!(
                    "max_cost {most} ({}): the paid fallback could cost up to {worst:.6} {} \
                     (its prompt and every token max_tokens allows)",
                    p.said_by("max_cost"),
                    self.0.cfg.currency
                ),
            });
        }
        Ok(Some(upstream.to_string()))
    }

    /// The price of `prompt` and `answer` tokens.
    fn cost(&self, prompt: u64, answer: u64) -> f64 {
        (prompt as f64 * self.0.cfg.price_input + answer as f64 * self.0.cfg.price_output) / 1e6
    }

    /// Sends `spec` to the upstream as `upstream` (the model name there). Refused (502) when
    /// it cannot be reached or does not accept the request; else its answer streams on the
    /// job's channel, and a stream that breaks ends the job with a clean error.
    pub async fn start(
        &self,
        tasks: &crate::tasks::Tasks,
        spec: &Spec,
        upstream: &str,
        guard: JobGuard,
    ) -> Result<Routed, Refusal> {
        let Ok(slot) = self.0.slots.clone().try_acquire_owned() else {
            let m = format!(
                "the paid fallback runs its {} jobs already (max_jobs); try again shortly",
                self.0.cfg.max_jobs
            );
            guard.refuse(&m);
            return Err(Refusal::busy(m, 1));
        };
        let (path, body) = request_body(spec, upstream);
        let mut req = self
            .0
            .http
            .post(format!("{}/{path}", self.0.cfg.url))
            .json(&body);
        if let Some(k) = &self.0.key {
            req = req.bearer_auth(k);
        }
        let refused = |m: String| {
            let m = format!("the paid fallback ({}) {m}", self.0.cfg.url);
            guard.refuse(&m);
            let mut t = self.0.totals.lock().expect("fallback totals");
            t.jobs += 1;
            t.failed += 1;
            Refusal::new(502, m)
        };
        let resp = match tokio::time::timeout(CONNECT_WAIT, req.send()).await {
            Err(_) => return Err(refused(format!("did not answer within {CONNECT_WAIT:?}"))),
            Ok(Err(e)) => return Err(refused(format!("could not be reached: {e}"))),
            Ok(Ok(r)) => r,
        };
        if !resp.status().is_success() {
            // Its words, bounded in size and time, and short: an upstream may echo what it
            // was sent.
            let status = resp.status();
            let body = tokio::time::timeout(CONNECT_WAIT, first_bytes(resp, 4096))
                .await
                .unwrap_or_default();
            let said = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            return Err(refused(format!(
                "refused the job: HTTP {status}: {}",
                short(&said)
            )));
        }
        let prompt_hint = spec.prompt.token_hint() as u32;
        let most = max_tokens(spec);
        guard.on_fallback(Use {
            url: self.0.cfg.url.clone(),
            model: upstream.to_string(),
            cost: 0.0,
            currency: self.0.cfg.currency.clone(),
        });
        let (tx, rx) = mpsc::channel(EVENT_CHANNEL);
        let me = self.clone();
        let g = guard.clone();
        tasks.spawn(async move {
            me.read(resp, tx, g, prompt_hint, most).await;
            drop(slot);
        });
        Ok(Routed {
            events: rx,
            served_by: guard.served_by(),
            model: format!("fallback:{upstream}"),
            why: format!("no allowed node could serve it: the paid fallback's {upstream}"),
            prompt_tokens: prompt_hint,
            warning: None,
            guard,
        })
    }

    /// Reads the upstream's stream into the job's events; records its cost at the end.
    async fn read(
        &self,
        resp: reqwest::Response,
        tx: mpsc::Sender<Event>,
        guard: JobGuard,
        prompt_hint: u32,
        most: u32,
    ) {
        let mut a = Answer {
            started: Instant::now(),
            first: None,
            pieces: 0,
            usage: None,
            reason: None,
            prompt_hint,
        };
        let mut sse = crate::client::SseReader::new(resp);
        let broke = loop {
            // Every piece is a token or more: more pieces than max_tokens is an upstream that
            // does not stop.
            if a.pieces > most {
                break Some(format!("sent more than the {most} tokens asked"));
            }
            let next = tokio::select! {
                n = tokio::time::timeout(STALL, sse.next()) => n,
                // The client went away: dropping the response stops the upstream.
                () = tx.closed() => break Some("lost its client".into()),
            };
            let data = match next {
                Err(_) => break Some(format!("was silent for {} s", STALL.as_secs())),
                Ok(Err(e)) => break Some(format!("{e:#}")),
                Ok(Ok(None)) if a.reason.is_some() => break None,
                Ok(Ok(None)) => break Some("ended its stream before its answer's end".into()),
                Ok(Ok(Some(d))) if d == "[DONE]" => {
                    break a
                        .reason
                        .is_none()
                        .then(|| "said [DONE] before its answer's end".into());
                }
                Ok(Ok(Some(d))) => d,
            };
            match a.take(&data) {
                Err(why) => break Some(why),
                Ok(Some(ev)) => {
                    if tx.send(ev).await.is_err() {
                        // The client went away: dropping the response stops the upstream.
                        break Some("lost its client".into());
                    }
                }
                Ok(None) => {}
            }
        };
        // A client that left cancelled the job: no failure of the upstream's.
        let failed = broke.is_some() && !tx.is_closed();
        let (prompt, answer) = a.usage.unwrap_or((prompt_hint, a.pieces));
        let cost = self.cost(u64::from(prompt), u64::from(answer));
        {
            let mut t = self.0.totals.lock().expect("fallback totals");
            t.jobs += 1;
            t.failed += u64::from(failed);
            t.prompt_tokens += u64::from(prompt);
            t.completion_tokens += u64::from(answer);
            t.cost += cost;
        }
        guard.fallback_cost(cost);
        let ev = match broke {
            Some(why) => Event::Failed(format!(
                "the paid fallback ({}) broke off after {} pieces of the answer: {why}",
                self.0.cfg.url, a.pieces
            )),
            None => Event::Done(a.finish(prompt, answer)),
        };
        let _ = tx.send(ev).await;
    }
}

/// An upstream answer as its chunks arrive.
struct Answer {
    started: Instant,
    first: Option<Instant>,
    /// Text pieces passed on.
    pieces: u32,
    /// Its token counts, when it sent them.
    usage: Option<(u32, u32)>,
    reason: Option<FinishReason>,
    prompt_hint: u32,
}

impl Answer {
    /// One chunk (`data`): the text piece it carries, if any; `Err` for a chunk that breaks
    /// the stream (not JSON, an error).
    fn take(&mut self, data: &str) -> Result<Option<Event>, String> {
        let v = serde_json::from_str::<Value>(data)
            .map_err(|_| format!("sent a chunk that is not JSON: {}", short(data)))?;
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            let n = |k: &str| u[k].as_u64().map(|n| n.min(u64::from(u32::MAX)) as u32);
            self.usage = Some((
                n("prompt_tokens").unwrap_or(self.prompt_hint),
                n("completion_tokens").unwrap_or(self.pieces),
            ));
        }
        if let Some(e) = v.get("error") {
            return Err(format!("sent an error: {}", short(&e.to_string())));
        }
        if let Some(r) = v["choices"][0]["finish_reason"].as_str() {
            self.reason = Some(if r == "length" {
                FinishReason::Length
            } else {
                FinishReason::Stop
            });
        }
        let text = crate::client::delta_text(&v).unwrap_or("");
        if text.is_empty() {
            return Ok(None);
        }
        self.first.get_or_insert_with(Instant::now);
        self.pieces += 1;
        Ok(Some(Event::Token {
            id: 0,
            piece: text.as_bytes().to_vec(),
            extra: None,
        }))
    }

    /// Its end, with the counts it ran to.
    fn finish(&self, prompt: u32, answer: u32) -> Finish {
        let first = self.first.unwrap_or(self.started);
        Finish {
            reason: self.reason.unwrap_or(FinishReason::Stop),
            prompt_tokens: prompt,
            cached_tokens: 0,
            completion_tokens: answer,
            time_to_first_token: first.duration_since(self.started),
            prompt_time: Duration::ZERO,
            credits: 0,
            generation_time: first.elapsed(),
            delta: None,
            stages: Vec::new(),
        }
    }
}

/// The upstream route and body for `spec`.
fn request_body(spec: &Spec, upstream: &str) -> (&'static str, Value) {
    let s = &spec.sampling;
    let mut body = json!({
        "model": upstream,
        "max_tokens": max_tokens(spec),
        "temperature": s.temperature,
        "top_p": s.top_p,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if let Some(seed) = s.seed {
        body["seed"] = json!(seed);
    }
    if s.frequency_penalty != 0.0 {
        body["frequency_penalty"] = json!(s.frequency_penalty);
    }
    if s.presence_penalty != 0.0 {
        body["presence_penalty"] = json!(s.presence_penalty);
    }
    // llama-server's extension, asked only by benchmarks and tests.
    if spec.ignore_eos {
        body["ignore_eos"] = json!(true);
    }
    // OpenAI takes at most 4; this node cuts at every one of them anyway.
    if !spec.stop.is_empty() && spec.stop.len() <= 4 {
        body["stop"] = json!(spec.stop);
    }
    match &spec.prompt {
        Prompt::Chat(msgs) => {
            body["messages"] = msgs
                .iter()
                .map(|m| json!({"role": m.role, "content": m.content}))
                .collect();
            ("chat/completions", body)
        }
        Prompt::Text(t) => {
            body["prompt"] = json!(t);
            ("completions", body)
        }
        // Never sent: `admits` keeps embeddings from the fallback.
        Prompt::Embed(_) => ("embeddings", body),
    }
}

fn prompt_bytes(p: &Prompt) -> u64 {
    match p {
        Prompt::Chat(m) => m.iter().map(|m| m.content.len() as u64 + 8).sum(),
        Prompt::Text(t) => t.len() as u64,
        Prompt::Embed(v) => v.iter().map(|t| t.len() as u64).sum(),
    }
}

fn max_tokens(spec: &Spec) -> u32 {
    spec.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)
}

/// The first `most` bytes of a response's body.
async fn first_bytes(mut resp: reqwest::Response, most: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < most {
        match resp.chunk().await {
            Ok(Some(c)) => out.extend_from_slice(&c[..c.len().min(most - out.len())]),
            _ => break,
        }
    }
    out
}

/// A peer's words, short, for an error.
fn short(s: &str) -> String {
    s.chars().take(200).collect()
}
