//! The node: the one owner of this process's serving state, reached through [`Node`] handles
//! (cheap clones of one `Arc`). The HTTP API, the CLI and (later) the peer protocol and the TUI
//! hold only handles.
//!
//! Owns: the data dir (its lock, the node key, `node.json` that tells other `llp` commands where
//! the API listens), the loaded engines, the contribution switch, the table of running jobs and
//! the counters behind `/metrics`. It holds the handles of the network and the credit ledger,
//! which own their own state. Status snapshots are built from it on demand.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::config::{Settings, UsageError};
use crate::devices::Profile;
use crate::engine::{Engine, ModelInfo};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where a running node tells other `llp` commands how to reach it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeFile {
    pub pid: u32,
    pub api: SocketAddr,
    pub id: String,
    pub version: String,
    /// The invite ticket, once the network is up (`llp demo` and scripts read it here).
    #[serde(default)]
    pub ticket: Option<String>,
}

/// The exclusive hold on a data dir, released when dropped.
pub struct DataDirLock {
    _file: File,
    node_file: PathBuf,
}

impl Drop for DataDirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.node_file);
    }
}

/// Takes the data dir for this process; a second `llp serve` on it is refused with the holder's pid.
pub fn lock_data_dir(dir: &Path) -> Result<DataDirLock, UsageError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| UsageError(format!("data dir {}: {e}", dir.display())))?;
    let path = dir.join("node.lock");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    if file.try_lock().is_err() {
        let holder = std::fs::read_to_string(&path).unwrap_or_default();
        return Err(UsageError(format!(
            "another llp node (pid {}) already runs on the data dir {}; stop it or pick another --data-dir",
            holder.trim(),
            dir.display()
        )));
    }
    file.set_len(0).ok();
    let _ = writeln!(file, "{}", std::process::id());
    Ok(DataDirLock {
        _file: file,
        node_file: dir.join("node.json"),
    })
}

/// Reads the running node's address from a data dir, if a live node wrote one.
pub fn running_node(dir: &Path) -> Option<NodeFile> {
    let text = std::fs::read_to_string(dir.join("node.json")).ok()?;
    let nf: NodeFile = serde_json::from_str(&text).ok()?;
    // The lock is the proof of life: if we can take it, the writer is gone.
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(dir.join("node.lock"))
        .ok()?;
    if lock.try_lock().is_ok() {
        return None;
    }
    Some(nf)
}

/// The node's identity: an ed25519 key kept in the data dir (mode 0600), stable across restarts.
/// Its public half, in hex, is the node id (the same key becomes the iroh endpoint key).
pub fn node_id(dir: &Path) -> Result<String, UsageError> {
    let key = node_key(dir)?;
    Ok(hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&key)
            .verifying_key()
            .to_bytes(),
    ))
}

/// The node's secret key, created on first use (mode 0600).
pub fn node_key(dir: &Path) -> Result<[u8; 32], UsageError> {
    let path = dir.join("node.key");
    let bytes: [u8; 32] = match std::fs::read(&path) {
        Ok(b) => b.try_into().map_err(|_| {
            UsageError(format!(
                "{}: not a 32-byte node key; move it away to get a new identity",
                path.display()
            ))
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut b = [0u8; 32];
            getrandom::fill(&mut b)
                .map_err(|e| UsageError(format!("no randomness for a node key: {e}")))?;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            opts.open(&path)
                .and_then(|mut f| f.write_all(&b).and_then(|_| f.sync_all()))
                .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
            b
        }
        Err(e) => return Err(UsageError(format!("{}: {e}", path.display()))),
    };
    Ok(bytes)
}

/// A job, as status and the job log show it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobInfo {
    pub id: String,
    pub model: String,
    /// `local` for this node's own API clients.
    pub requester: String,
    pub served_by: String,
    pub state: String,
    pub prompt_tokens: u32,
    pub tokens: u32,
    pub tokens_per_s: f64,
    pub failovers: u32,
    pub started_unix: u64,
    /// Credits it cost this node (a peer served it) or earned it (this node served a peer).
    #[serde(default)]
    pub credits: u64,
    /// When it ended; `None` while it runs.
    #[serde(default)]
    pub ended_unix: Option<u64>,
    /// Its place in the job log of ended jobs (`/api/jobs?after=`).
    #[serde(default)]
    pub log_seq: Option<u64>,
}

impl JobInfo {
    /// `in` (this node serves a peer), `out` (a peer serves this node) or `local`.
    pub fn direction(&self, own_id: &str) -> &'static str {
        if self.requester != "local" {
            "in"
        } else if self.served_by != own_id {
            "out"
        } else {
            "local"
        }
    }
}

/// Everything the job log keeps of a job beyond its status line (`/api/jobs/{id}`): what was
/// asked and answered, its timings, where it ran, and what it was paid.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JobDetail {
    /// The prompt as text; a chat as `role: content` blocks.
    pub prompt: String,
    pub output: String,
    /// The nodes that served it, in order.
    pub route: Vec<Hop>,
    pub finish_reason: Option<String>,
    pub error: Option<String>,
    pub warning: Option<String>,
    pub completion_tokens: u32,
    pub cached_tokens: u32,
    pub time_to_first_token_ms: Option<f64>,
    pub prompt_ms: Option<f64>,
    pub generation_ms: Option<f64>,
    pub duration_ms: Option<f64>,
    /// Receipts signed by both sides and the ledger entries that recorded them.
    pub settlements: Vec<Settlement>,
}

/// One node on a job's route.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hop {
    pub node: String,
    /// Answer tokens already delivered when it took over.
    pub from_token: u32,
    /// `local`, `routed`, or `failover`.
    pub why: String,
}

/// A settled segment of a job: the receipt and this node's ledger entry for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settlement {
    pub receipt: crate::ledger::Receipt,
    pub entry: crate::ledger::EntryLine,
    pub entry_hash: String,
}

/// A job in the log: its status line and its detail.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobRecord {
    #[serde(flatten)]
    pub info: JobInfo,
    pub detail: JobDetail,
}

/// A prompt as the job log keeps it: a chat as `role: content` blocks, at most 32 KiB.
pub fn prompt_text(prompt: &crate::net::wire::Prompt) -> String {
    let mut text = match prompt {
        crate::net::wire::Prompt::Chat(msgs) => msgs
            .iter()
            .map(|(role, content)| format!("{role}: {content}"))
            .collect::<Vec<_>>()
            .join("\n\n"),
        crate::net::wire::Prompt::Text(t) => t.clone(),
    };
    if text.len() > JOB_TEXT_MAX {
        let mut cut = JOB_TEXT_MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str(" [… the rest is not kept]");
    }
    text
}

/// Ended jobs the log keeps, at most; and the text kept of each prompt and answer.
pub const JOB_LOG_LEN: usize = 1000;
const JOB_TEXT_MAX: usize = 32 * 1024;

/// A job while it runs and in the log: its guard writes here without the node-wide lock.
struct JobCell {
    info: Mutex<JobInfo>,
    detail: Mutex<JobDetail>,
    output: Mutex<Vec<u8>>,
    started: Instant,
}

impl JobCell {
    fn record(&self) -> JobRecord {
        let mut detail = self.detail.lock().expect("job detail").clone();
        let out = self.output.lock().expect("job output");
        detail.output = String::from_utf8_lossy(&out).into_owned();
        if out.len() >= JOB_TEXT_MAX {
            detail.output.push_str(" [… the rest is not kept]");
        }
        JobRecord {
            info: self.info.lock().expect("job info").clone(),
            detail,
        }
    }
}

/// The node snapshot behind `llp status --json` and `/api/status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub id: String,
    pub version: String,
    pub running: bool,
    pub api: Option<String>,
    pub paused: bool,
    pub uptime_s: u64,
    pub models: Vec<ModelStatus>,
    pub jobs: Vec<JobInfo>,
    pub network: Option<NetworkStatus>,
    pub peers: Vec<crate::net::PeerStatus>,
    pub balance: Option<i64>,
    /// The credit ledger: balance, held credits, the newest entries.
    pub ledger: Option<crate::ledger::LedgerStatus>,
    pub totals: Totals,
    pub devices: Profile,
}

/// The network this node is in, for status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkStatus {
    pub name: String,
    pub private: bool,
    pub p2p_addrs: Vec<String>,
    pub relay: Option<String>,
    /// Jobs waiting for room on any capable node.
    pub waiting: usize,
    /// Peers that broke the protocol: id, strikes, the last reason.
    pub misbehaving: Vec<crate::net::Misbehaviour>,
    /// Peers caught signing two different ledger heads for one seq: refused for good.
    pub equivocators: Vec<crate::ledger::Equivocation>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelStatus {
    #[serde(flatten)]
    pub info: ModelInfo,
    pub queued: usize,
    pub busy_slots: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Totals {
    pub requests: u64,
    pub requests_failed: u64,
    pub jobs_done: u64,
    pub jobs_cancelled: u64,
    pub prompt_tokens: u64,
    pub generated_tokens: u64,
    pub prompt_tokens_cached: u64,
    pub decode_steps: u64,
    pub decode_seconds: f64,
    pub sample_seconds: f64,
}

/// A handle to the node. Clone freely.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

struct Inner {
    id: String,
    settings: Settings,
    engines: Vec<Engine>,
    paused: AtomicBool,
    jobs: Mutex<BTreeMap<String, Arc<JobCell>>>,
    /// Ended jobs, oldest first, and the log seq of the newest.
    history: Mutex<(VecDeque<Arc<JobCell>>, u64)>,
    devices: Mutex<(Profile, Instant)>,
    started: Instant,
    api: SocketAddr,
    requests: AtomicU64,
    requests_failed: AtomicU64,
    net: OnceLock<crate::net::Net>,
    ledger: OnceLock<crate::ledger::Ledger>,
    /// Woken whenever room may have appeared somewhere (a job ended, a peer announced).
    capacity: tokio::sync::Notify,
    /// Jobs waiting for room, in arrival order.
    waiters: Mutex<VecDeque<String>>,
}

impl Node {
    pub fn new(
        id: String,
        settings: Settings,
        api: SocketAddr,
        engines: Vec<Engine>,
        devices: Profile,
    ) -> Node {
        let paused = AtomicBool::new(settings.paused);
        Node {
            inner: Arc::new(Inner {
                id,
                settings,
                engines,
                paused,
                jobs: Mutex::new(BTreeMap::new()),
                history: Mutex::new((VecDeque::new(), 0)),
                devices: Mutex::new((devices, Instant::now())),
                started: Instant::now(),
                api,
                requests: AtomicU64::new(0),
                requests_failed: AtomicU64::new(0),
                net: OnceLock::new(),
                ledger: OnceLock::new(),
                capacity: tokio::sync::Notify::new(),
                waiters: Mutex::new(VecDeque::new()),
            }),
        }
    }

    pub fn id(&self) -> &str {
        &self.inner.id
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub fn engines(&self) -> &[Engine] {
        &self.inner.engines
    }

    /// The engine serving `name` (`NAME` or `NAME:QUANT`); a missing name means the first model.
    pub fn engine_for(&self, name: Option<&str>) -> Option<&Engine> {
        let Some(name) = name else {
            return self.inner.engines.first();
        };
        let (model, quant) = crate::catalog::split_spec(name);
        self.inner.engines.iter().find(|e| {
            e.info().name.eq_ignore_ascii_case(model)
                && quant.is_none_or(|q| e.info().quant.eq_ignore_ascii_case(q))
        })
    }

    /// The network, once started (`llp serve`; embedded nodes have none).
    pub fn net(&self) -> Option<crate::net::Net> {
        self.inner.net.get().cloned()
    }

    pub fn set_net(&self, net: crate::net::Net) {
        let _ = self.inner.net.set(net);
    }

    /// The credit ledger (every node that holds its data dir has one).
    pub fn ledger(&self) -> Option<crate::ledger::Ledger> {
        self.inner.ledger.get().cloned()
    }

    pub fn set_ledger(&self, ledger: crate::ledger::Ledger) {
        let _ = self.inner.ledger.set(ledger);
    }

    pub fn capacity(&self) -> &tokio::sync::Notify {
        &self.inner.capacity
    }

    /// A place in the wait for room, or `None` when `queue_limit` jobs already wait.
    pub fn wait_ticket(&self, job: &str) -> Option<WaitTicket> {
        let mut w = self.inner.waiters.lock().expect("waiters lock");
        if w.len() >= self.inner.settings.queue_limit {
            return None;
        }
        w.push_back(job.to_string());
        Some(WaitTicket {
            node: self.clone(),
            job: job.to_string(),
        })
    }

    /// What this node serves, with its load, as announced to peers.
    pub fn model_ads(&self) -> Vec<crate::net::wire::ModelAd> {
        self.inner
            .engines
            .iter()
            .map(|e| {
                let s = e.stats();
                let i = e.info();
                let secs = s.decode_us.load(Ordering::Relaxed) as f64 / 1e6;
                let generated = s.generated_tokens.load(Ordering::Relaxed) as f64;
                crate::net::wire::ModelAd {
                    name: i.name.clone(),
                    quant: i.quant.clone(),
                    slots: i.slots,
                    busy: s.busy_slots.load(Ordering::Relaxed) as u32,
                    queued: s.queued.load(Ordering::Relaxed) as u32,
                    ctx: i.ctx_per_slot,
                    tokens_per_s: if secs > 0.0 { generated / secs } else { 0.0 },
                }
            })
            .collect()
    }

    pub fn paused(&self) -> bool {
        self.inner.paused.load(Ordering::Relaxed)
    }

    /// Pauses or resumes serving others. Local requests are always served.
    pub fn set_paused(&self, paused: bool) {
        self.inner.paused.store(paused, Ordering::Relaxed);
        if let Some(net) = self.net() {
            net.announce_soon();
        }
        tracing::info!(
            paused,
            "contribution {}",
            if paused { "paused" } else { "resumed" }
        );
    }

    pub fn count_request(&self) {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_failure(&self) {
        self.inner.requests_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Registers a job for status; the returned guard removes it when the job ends.
    pub fn start_job(&self, model: &str, prompt_tokens: u32) -> JobGuard {
        let id = format!("job-{}", random_hex(8));
        let info = JobInfo {
            id: id.clone(),
            model: model.to_string(),
            requester: "local".into(),
            served_by: self.inner.id.clone(),
            state: "queued".into(),
            prompt_tokens,
            tokens: 0,
            tokens_per_s: 0.0,
            failovers: 0,
            started_unix: unix_now(),
            credits: 0,
            ended_unix: None,
            log_seq: None,
        };
        let cell = Arc::new(JobCell {
            info: Mutex::new(info),
            detail: Mutex::new(JobDetail::default()),
            output: Mutex::new(Vec::new()),
            started: Instant::now(),
        });
        self.inner
            .jobs
            .lock()
            .expect("jobs lock")
            .insert(id.clone(), cell.clone());
        JobGuard(Arc::new(GuardInner {
            node: self.clone(),
            id,
            cell,
        }))
    }

    /// Jobs running now (served here, sent to peers, or waiting).
    pub fn running_jobs(&self) -> usize {
        self.inner.jobs.lock().expect("jobs lock").len()
    }

    /// Ended jobs after log seq `after`, oldest first, at most `limit` (the newest ones when
    /// there are more), and the log seq of the newest ended job.
    pub fn job_log(&self, after: u64, limit: usize) -> (Vec<JobInfo>, u64) {
        let h = self.inner.history.lock().expect("job history");
        let mut out: Vec<JobInfo> =
            h.0.iter()
                .rev()
                .map(|c| c.info.lock().expect("job info").clone())
                .take_while(|j| j.log_seq.is_some_and(|s| s > after))
                .take(limit)
                .collect();
        out.reverse();
        (out, h.1)
    }

    /// A job, running or in the log, with its detail.
    pub fn job(&self, id: &str) -> Option<JobRecord> {
        let running = self.inner.jobs.lock().expect("jobs lock").get(id).cloned();
        let cell = running.or_else(|| {
            let h = self.inner.history.lock().expect("job history");
            h.0.iter()
                .rev()
                .find(|c| c.info.lock().expect("job info").id == id)
                .cloned()
        })?;
        Some(cell.record())
    }

    pub fn snapshot(&self) -> Snapshot {
        let inner = &self.inner;
        let mut totals = Totals {
            requests: inner.requests.load(Ordering::Relaxed),
            requests_failed: inner.requests_failed.load(Ordering::Relaxed),
            ..Totals::default()
        };
        let models = inner
            .engines
            .iter()
            .map(|e| {
                let s = e.stats();
                totals.jobs_done += s.jobs_done.load(Ordering::Relaxed);
                totals.jobs_cancelled += s.jobs_cancelled.load(Ordering::Relaxed);
                totals.prompt_tokens += s.prompt_tokens.load(Ordering::Relaxed);
                totals.generated_tokens += s.generated_tokens.load(Ordering::Relaxed);
                totals.decode_steps += s.steps.load(Ordering::Relaxed);
                totals.prompt_tokens_cached += s.prompt_tokens_cached.load(Ordering::Relaxed);
                totals.decode_seconds += s.decode_us.load(Ordering::Relaxed) as f64 / 1e6;
                totals.sample_seconds += s.sample_us.load(Ordering::Relaxed) as f64 / 1e6;
                ModelStatus {
                    info: e.info().clone(),
                    queued: s.queued.load(Ordering::Relaxed),
                    busy_slots: s.busy_slots.load(Ordering::Relaxed),
                }
            })
            .collect();
        let waiters: Vec<String> = inner
            .waiters
            .lock()
            .expect("waiters lock")
            .iter()
            .cloned()
            .collect();
        let cells: Vec<Arc<JobCell>> = inner
            .jobs
            .lock()
            .expect("jobs lock")
            .values()
            .cloned()
            .collect();
        let jobs = cells
            .iter()
            .map(|c| {
                let mut j = c.info.lock().expect("job info").clone();
                if let Some(pos) = waiters.iter().position(|w| *w == j.id) {
                    j.state = format!("waiting (position {} of {})", pos + 1, waiters.len());
                }
                j
            })
            .collect();
        let net = self.net();
        let network = net.as_ref().map(|n| {
            let c = n.contact();
            NetworkStatus {
                name: n.config().network.clone(),
                private: !n.config().secret.is_empty(),
                p2p_addrs: c.addrs.iter().map(|a| a.to_string()).collect(),
                relay: c.relay,
                waiting: waiters.len(),
                misbehaving: n.misbehaving(),
                equivocators: self.ledger().map(|l| l.equivocators()).unwrap_or_default(),
            }
        });
        let ledger = self.ledger().map(|l| l.status());
        Snapshot {
            id: inner.id.clone(),
            version: VERSION.into(),
            running: true,
            api: Some(inner.api.to_string()),
            paused: self.paused(),
            uptime_s: inner.started.elapsed().as_secs(),
            models,
            jobs,
            network,
            peers: net.map(|n| n.peers()).unwrap_or_default(),
            balance: ledger.as_ref().map(|l| l.balance as i64),
            ledger,
            totals,
            devices: self.devices(),
        }
    }

    /// The device profile, re-probed in the background at most every few seconds: NVML,
    /// hwmon and sysfs reads can be slow, and status and announcements (on the async threads)
    /// must not wait for them. Until a new probe lands, the last one is returned.
    pub fn devices(&self) -> Profile {
        let mut d = self.inner.devices.lock().expect("devices lock");
        if d.1.elapsed().as_secs() >= 5 {
            // Marked fresh now, so only one probe runs at a time.
            d.1 = Instant::now();
            let node = self.clone();
            let _ = std::thread::Builder::new()
                .name("llp-devices".into())
                .spawn(move || {
                    let p = crate::devices::detect();
                    *node.inner.devices.lock().expect("devices lock") = (p, Instant::now());
                });
        }
        d.0.clone()
    }
}

/// Keeps a job in the status table while any clone of it lives.
#[derive(Clone)]
pub struct JobGuard(Arc<GuardInner>);

struct GuardInner {
    node: Node,
    id: String,
    cell: Arc<JobCell>,
}

impl JobGuard {
    pub fn id(&self) -> &str {
        &self.0.id
    }

    fn with(&self, f: impl FnOnce(&mut JobInfo, &Instant)) {
        let cell = &self.0.cell;
        f(&mut cell.info.lock().expect("job info"), &cell.started);
    }

    fn detail(&self, f: impl FnOnce(&mut JobDetail)) {
        f(&mut self.0.cell.detail.lock().expect("job detail"));
    }

    /// The prompt, for the job log.
    pub fn set_prompt_text(&self, text: String) {
        self.detail(|d| d.prompt = text);
    }

    /// A piece of the answer, for the job log (the first 32 KiB are kept).
    pub fn push_output(&self, piece: &[u8]) {
        let mut out = self.0.cell.output.lock().expect("job output");
        let room = JOB_TEXT_MAX.saturating_sub(out.len());
        out.extend_from_slice(&piece[..piece.len().min(room)]);
    }

    pub fn set_warning(&self, warning: Option<&str>) {
        self.detail(|d| d.warning = warning.map(str::to_string));
    }

    /// The job ended with an answer: its counts and timings.
    pub fn finish(&self, f: &crate::engine::Finish) {
        let elapsed = self.0.cell.started.elapsed();
        self.with(|job, _| {
            job.state = format!("done ({})", f.reason.as_str());
            job.prompt_tokens = f.prompt_tokens;
            job.tokens = f.completion_tokens;
            job.tokens_per_s = if f.generation_time.as_secs_f64() > 0.0 {
                f.completion_tokens.saturating_sub(1) as f64 / f.generation_time.as_secs_f64()
            } else {
                0.0
            };
        });
        self.detail(|d| {
            d.finish_reason = Some(f.reason.as_str().to_string());
            d.completion_tokens = f.completion_tokens;
            d.cached_tokens = f.cached_tokens;
            d.time_to_first_token_ms = Some(f.time_to_first_token.as_secs_f64() * 1e3);
            d.prompt_ms = Some(f.prompt_time.as_secs_f64() * 1e3);
            d.generation_ms = Some(f.generation_time.as_secs_f64() * 1e3);
            d.duration_ms = Some(elapsed.as_secs_f64() * 1e3);
        });
    }

    /// The job was refused before it ran: why.
    pub fn refuse(&self, why: &str) {
        self.with(|job, _| job.state = "refused".into());
        self.detail(|d| d.error = Some(why.to_string()));
    }

    /// The job failed: why.
    pub fn fail(&self, why: &str) {
        self.with(|job, _| job.state = "failed".into());
        self.detail(|d| d.error = Some(why.to_string()));
    }

    /// A segment of the job was settled: the receipt and the entry this node recorded.
    pub fn settled(&self, receipt: &crate::ledger::Receipt, entry: &crate::ledger::Entry) {
        self.with(|job, _| job.credits = job.credits.saturating_add(entry.amount));
        self.detail(|d| {
            d.settlements.push(Settlement {
                receipt: receipt.clone(),
                entry: crate::ledger::EntryLine::of(entry),
                entry_hash: hex::encode(entry.hash()),
            })
        });
    }

    /// The job runs on this node's own engine.
    pub fn run_locally(&self) {
        let id = self.0.node.id().to_string();
        self.hop(&id, "local");
    }

    fn hop(&self, node: &str, why: &str) {
        let mut from_token = 0;
        self.with(|job, _| from_token = job.tokens);
        self.detail(|d| {
            d.route.push(Hop {
                node: node.to_string(),
                from_token,
                why: why.to_string(),
            })
        });
    }

    pub fn update(&self, state: &str, tokens: u32) {
        self.with(|job, started| {
            job.state = state.to_string();
            job.tokens = tokens;
            let secs = started.elapsed().as_secs_f64();
            job.tokens_per_s = if secs > 0.0 {
                tokens as f64 / secs
            } else {
                0.0
            };
        });
    }

    /// The node serving the job now (it changes on failover).
    pub fn served_by(&self) -> String {
        let mut by = String::new();
        self.with(|job, _| by = job.served_by.clone());
        by
    }

    pub fn set_prompt(&self, model: &str, prompt_tokens: u32) {
        self.with(|job, _| {
            job.model = model.to_string();
            job.prompt_tokens = prompt_tokens;
        });
    }

    pub fn set_served_by(&self, node: &str, state: &str) {
        self.with(|job, _| {
            job.served_by = node.to_string();
            job.state = state.to_string();
        });
        self.hop(node, "routed");
    }

    /// A job this node serves for a peer.
    pub fn set_requester(&self, peer: &str) {
        self.with(|job, _| job.requester = peer.to_string());
    }

    /// The job moved to `node` after its server failed.
    pub fn failover(&self, node: &str) {
        self.with(|job, _| {
            job.failovers += 1;
            job.served_by = node.to_string();
        });
        self.hop(node, "failover");
    }
}

impl Drop for GuardInner {
    /// The job ended: it leaves the table of running jobs for the job log.
    fn drop(&mut self) {
        let inner = &self.node.inner;
        // Into the log before out of the table: a lookup never misses it.
        {
            let mut h = inner.history.lock().expect("job history");
            h.1 += 1;
            let seq = h.1;
            {
                let mut info = self.cell.info.lock().expect("job info");
                if !(info.state.starts_with("done")
                    || info.state == "failed"
                    || info.state == "refused")
                {
                    info.state = "cancelled".into();
                }
                info.ended_unix = Some(unix_now());
                info.log_seq = Some(seq);
            }
            h.0.push_back(self.cell.clone());
            while h.0.len() > JOB_LOG_LEN {
                h.0.pop_front();
            }
        }
        inner.jobs.lock().expect("jobs lock").remove(&self.id);
        inner.capacity.notify_waiters();
    }
}

/// A job's place in the wait for room; leaving it (however the wait ends) frees the place.
pub struct WaitTicket {
    node: Node,
    job: String,
}

impl Drop for WaitTicket {
    fn drop(&mut self) {
        let mut w = self.node.inner.waiters.lock().expect("waiters lock");
        w.retain(|j| *j != self.job);
    }
}

/// Writes `node.json` so other commands find this node's API.
pub fn write_node_file(dir: &Path, nf: &NodeFile) -> std::io::Result<()> {
    let tmp = dir.join("node.json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec_pretty(nf).expect("node file serializes"),
    )?;
    std::fs::rename(tmp, dir.join("node.json"))
}

pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).expect("the OS random source");
    hex::encode(b)
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
