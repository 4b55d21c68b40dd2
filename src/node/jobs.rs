//! The job registry: the jobs running now (served here, sent to peers, or waiting for room), the
//! log of the last [`JOB_LOG_LEN`] ended ones, and the wait for room.
//!
//! A job is registered by [`Registry::start`], which returns its [`JobGuard`]; whoever runs the
//! job writes its progress through the guard, without the registry's lock. When the last clone
//! of the guard goes, the job moves to the log (as `cancelled` unless it ended by itself) and
//! the node's capacity waiters are woken.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokio::sync::{Notify, mpsc};

use crate::ids::{JobId, ModelRef, NodeId, unix_now};
use crate::job::{Event, Finish, FinishReason, Prompt, State};

/// Ended jobs the log keeps, at most; and the text kept of each prompt and answer.
pub const JOB_LOG_LEN: usize = 1000;
const JOB_TEXT_MAX: usize = 32 * 1024;

/// Who asked for a job: this node's own API clients, or a peer. Serialized as `local` or the
/// peer's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    Local,
    Peer(NodeId),
}

impl std::fmt::Display for Requester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Requester::Local => f.write_str("local"),
            Requester::Peer(id) => id.fmt(f),
        }
    }
}

impl Serialize for Requester {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Requester {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Requester, D::Error> {
        let s = String::deserialize(d)?;
        if s == "local" {
            return Ok(Requester::Local);
        }
        NodeId::parse(&s)
            .map(Requester::Peer)
            .map_err(serde::de::Error::custom)
    }
}

/// Which way a job goes, as the UI shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// This node serves a peer.
    In,
    /// A peer serves this node.
    Out,
    Local,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Local => "local",
        }
    }
}

/// A job, as status and the job log show it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobInfo {
    pub id: JobId,
    /// What was asked for, then the variant that serves it.
    pub model: ModelRef,
    pub requester: Requester,
    pub served_by: NodeId,
    pub state: State,
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
    pub fn direction(&self, own: &NodeId) -> Direction {
        if self.requester != Requester::Local {
            Direction::In
        } else if self.served_by != *own {
            Direction::Out
        } else {
            Direction::Local
        }
    }
}

/// Why a node joined a job's route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HopReason {
    /// This node's own engine.
    Local,
    /// The router sent it there.
    Routed,
    /// It took over after the node before it failed.
    Failover,
}

impl HopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HopReason::Local => "local",
            HopReason::Routed => "routed",
            HopReason::Failover => "failover",
        }
    }
}

/// One node on a job's route.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hop {
    pub node: NodeId,
    /// Answer tokens already delivered when it took over.
    pub from_token: u32,
    pub why: HopReason,
    /// The variant it served and the engine that computed it (where it said so).
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub served: Option<Served>,
}

/// What a node on a job's route ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Served {
    pub variant: String,
    pub engine: crate::engine::EngineKind,
    /// What was asked, and why this node holds this variant.
    #[serde(default, rename = "variant_why")]
    pub why: String,
}

/// A settled segment of a job: the receipt and this node's ledger entry for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settlement {
    pub receipt: crate::ledger::Receipt,
    pub entry: crate::ledger::EntryLine,
    pub entry_hash: String,
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
    pub finish_reason: Option<FinishReason>,
    pub error: Option<String>,
    pub warning: Option<String>,
    /// What a spot check of a peer's answer found (or why none ran).
    #[serde(default)]
    pub check: Option<String>,
    pub completion_tokens: u32,
    pub cached_tokens: u32,
    pub time_to_first_token_ms: Option<f64>,
    pub prompt_ms: Option<f64>,
    pub generation_ms: Option<f64>,
    pub duration_ms: Option<f64>,
    /// Receipts signed by both sides and the ledger entries that recorded them.
    pub settlements: Vec<Settlement>,
    /// Its prompt and answer were not kept (a peer's job, unless the operator keeps them).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub text_withheld: bool,
    /// The paid fallback that served it, and its cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<crate::fallback::Use>,
    /// The routing policy it ran under (this node's jobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<crate::route::policy::Policy>,
    /// The pipeline stages that ran it (a model this node coordinates as a pipeline).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<crate::job::StageRun>,
}

/// A job in the log: its status line and its detail.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobRecord {
    #[serde(flatten)]
    pub info: JobInfo,
    pub detail: JobDetail,
}

/// A job on its way: its events arrive on `events` in order (token pieces, then one `Done` or
/// `Failed`), whichever node produces them.
pub struct Routed {
    pub events: mpsc::Receiver<Event>,
    pub served_by: NodeId,
    /// The variant that serves it.
    pub model: String,
    /// Why that variant: what was asked, and why the node that serves it has it.
    pub why: String,
    pub prompt_tokens: u32,
    pub warning: Option<String>,
    pub guard: JobGuard,
}

/// Why a job runs on the variant it does: what the request asked (`asked`), then why the node
/// serving it holds that variant (`node_why`, from its start).
pub fn variant_why(asked: Option<&ModelRef>, node_why: &str) -> String {
    // The client's model string and a peer's words go into headers, the job log and the
    // terminal UI: short, and without control or direction-changing characters.
    let clean = |s: &str, most: usize| -> String {
        s.chars()
            .filter(|&c| !c.is_control() && !matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
            .take(most)
            .collect()
    };
    let asked = match asked {
        None => "no model named: the first one served".to_string(),
        Some(r) if r.quant.is_some() => {
            return format!("asked for exactly {}", clean(&r.to_string(), 120));
        }
        Some(r) => match &r.min {
            Some(m) => format!(
                "asked for {} at {} or better",
                clean(&r.name, 120),
                clean(m, 16)
            ),
            None => format!("asked for {}, any variant", clean(&r.name, 120)),
        },
    };
    let node_why = clean(node_why, 200);
    if node_why.is_empty() {
        asked
    } else {
        format!("{asked}; the node serves {node_why}")
    }
}

/// A prompt as the job log keeps it: a chat as `role: content` blocks, at most 32 KiB.
pub fn prompt_log(prompt: &Prompt) -> String {
    prompt.text(JOB_TEXT_MAX)
}

/// A job while it runs and in the log: its guard writes here without the registry's lock.
struct JobCell {
    info: Mutex<JobInfo>,
    detail: Mutex<JobDetail>,
    output: Mutex<Vec<u8>>,
    /// The prompt's and answer's text are not kept (a peer's job, by default).
    withheld: std::sync::atomic::AtomicBool,
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

/// Ended jobs, oldest first, and the log seq of the newest.
#[derive(Default)]
struct History {
    jobs: VecDeque<Arc<JobCell>>,
    last: u64,
}

/// The jobs of one node.
pub(super) struct Registry {
    own: NodeId,
    queue_limit: usize,
    running: Mutex<BTreeMap<JobId, Arc<JobCell>>>,
    history: Mutex<History>,
    /// Jobs waiting for room, in arrival order.
    waiters: Mutex<VecDeque<JobId>>,
    /// The node's capacity signal: a job that ends may leave room.
    capacity: Arc<Notify>,
    /// Jobs moved to another node after theirs failed, since start.
    pub(super) failovers: std::sync::atomic::AtomicU64,
}

impl Registry {
    pub(super) fn new(own: NodeId, queue_limit: usize, capacity: Arc<Notify>) -> Arc<Registry> {
        Arc::new(Registry {
            own,
            queue_limit,
            running: Mutex::new(BTreeMap::new()),
            history: Mutex::new(History::default()),
            waiters: Mutex::new(VecDeque::new()),
            capacity,
            failovers: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Registers a job for status; the returned guard moves it to the log when the job ends.
    pub(super) fn start(self: &Arc<Self>, model: ModelRef, prompt_tokens: u32) -> JobGuard {
        let id = JobId::new();
        let info = JobInfo {
            id: id.clone(),
            model,
            requester: Requester::Local,
            served_by: self.own,
            state: State::Queued,
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
            withheld: std::sync::atomic::AtomicBool::new(false),
            started: Instant::now(),
        });
        self.running
            .lock()
            .expect("jobs lock")
            .insert(id.clone(), cell.clone());
        JobGuard(Arc::new(GuardInner {
            registry: self.clone(),
            id,
            cell,
        }))
    }

    pub(super) fn running(&self) -> usize {
        self.running.lock().expect("jobs lock").len()
    }

    /// The running jobs of peers.
    pub(super) fn running_for_peers(&self) -> usize {
        let running = self.running.lock().expect("jobs lock");
        running
            .values()
            .filter(|c| c.info.lock().expect("job info").requester != Requester::Local)
            .count()
    }

    /// The running jobs, each waiting one with its place in the wait; and how many wait.
    pub(super) fn list(&self) -> (Vec<JobInfo>, usize) {
        let waiters: Vec<JobId> = self
            .waiters
            .lock()
            .expect("waiters lock")
            .iter()
            .cloned()
            .collect();
        let cells: Vec<Arc<JobCell>> = self
            .running
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
                    j.state = State::Waiting {
                        position: pos + 1,
                        of: waiters.len(),
                    };
                }
                j
            })
            .collect();
        (jobs, waiters.len())
    }

    /// Ended jobs after log seq `after`, oldest first, at most `limit` (the newest ones when
    /// there are more), and the log seq of the newest ended job.
    pub(super) fn log(&self, after: u64, limit: usize) -> (Vec<JobInfo>, u64) {
        let h = self.history.lock().expect("job history");
        let mut out: Vec<JobInfo> = h
            .jobs
            .iter()
            .rev()
            .map(|c| c.info.lock().expect("job info").clone())
            .take_while(|j| j.log_seq.is_some_and(|s| s > after))
            .take(limit)
            .collect();
        out.reverse();
        (out, h.last)
    }

    /// A job, running or in the log, with its detail.
    pub(super) fn get(&self, id: &str) -> Option<JobRecord> {
        let running = self
            .running
            .lock()
            .expect("jobs lock")
            .iter()
            .find(|(k, _)| k.as_str() == id)
            .map(|(_, c)| c.clone());
        let cell = running.or_else(|| {
            let h = self.history.lock().expect("job history");
            h.jobs
                .iter()
                .rev()
                .find(|c| c.info.lock().expect("job info").id.as_str() == id)
                .cloned()
        })?;
        Some(cell.record())
    }

    /// Whether `queue_limit` jobs already wait.
    pub(super) fn waiting_full(&self) -> bool {
        self.waiters.lock().expect("waiters lock").len() >= self.queue_limit
    }

    /// A place in the wait for room, or `None` when `queue_limit` jobs already wait.
    pub(super) fn wait_ticket(self: &Arc<Self>, job: &JobId) -> Option<WaitTicket> {
        let mut w = self.waiters.lock().expect("waiters lock");
        if w.len() >= self.queue_limit {
            return None;
        }
        w.push_back(job.clone());
        Some(WaitTicket {
            registry: self.clone(),
            job: job.clone(),
        })
    }

    /// The job ended: it leaves the running jobs for the log.
    fn end(&self, id: &JobId, cell: &Arc<JobCell>) {
        // Into the log before out of the running jobs: a lookup never misses it.
        {
            let mut h = self.history.lock().expect("job history");
            h.last += 1;
            let seq = h.last;
            {
                let mut info = cell.info.lock().expect("job info");
                if !info.state.is_final() {
                    info.state = State::Cancelled;
                }
                info.ended_unix = Some(unix_now());
                info.log_seq = Some(seq);
            }
            h.jobs.push_back(cell.clone());
            while h.jobs.len() > JOB_LOG_LEN {
                h.jobs.pop_front();
            }
        }
        self.running.lock().expect("jobs lock").remove(id);
        self.capacity.notify_waiters();
    }
}

/// Keeps a job among the running ones while any clone of it lives.
#[derive(Clone)]
pub struct JobGuard(Arc<GuardInner>);

struct GuardInner {
    registry: Arc<Registry>,
    id: JobId,
    cell: Arc<JobCell>,
}

impl Drop for GuardInner {
    fn drop(&mut self) {
        self.registry.end(&self.id, &self.cell);
    }
}

impl JobGuard {
    pub fn id(&self) -> &JobId {
        &self.0.id
    }

    fn with(&self, f: impl FnOnce(&mut JobInfo, &Instant)) {
        let cell = &self.0.cell;
        f(&mut cell.info.lock().expect("job info"), &cell.started);
    }

    fn detail(&self, f: impl FnOnce(&mut JobDetail)) {
        f(&mut self.0.cell.detail.lock().expect("job detail"));
    }

    /// The prompt, for the job log (see [`prompt_log`]).
    pub fn set_prompt_text(&self, text: String) {
        if !self.withheld() {
            self.detail(|d| d.prompt = text);
        }
    }

    /// The job's log keeps no text of its prompt and answer from now on (and drops what it
    /// had): its sizes, timings and receipts only.
    pub fn withhold_text(&self) {
        use std::sync::atomic::Ordering;
        self.0.cell.withheld.store(true, Ordering::Relaxed);
        self.detail(|d| {
            d.prompt.clear();
            d.text_withheld = true;
        });
        self.0.cell.output.lock().expect("job output").clear();
    }

    fn withheld(&self) -> bool {
        self.0
            .cell
            .withheld
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A piece of the answer, for the job log (the first 32 KiB are kept).
    pub fn push_output(&self, piece: &[u8]) {
        if self.withheld() {
            return;
        }
        let mut out = self.0.cell.output.lock().expect("job output");
        let room = JOB_TEXT_MAX.saturating_sub(out.len());
        out.extend_from_slice(&piece[..piece.len().min(room)]);
    }

    /// The paid fallback runs it.
    pub fn on_fallback(&self, used: crate::fallback::Use) {
        self.with(|job, _| job.state = State::Running);
        self.detail(|d| d.fallback = Some(used));
    }

    /// What the paid fallback charged for it.
    pub fn fallback_cost(&self, cost: f64) {
        self.detail(|d| {
            if let Some(f) = &mut d.fallback {
                f.cost = cost;
            }
        });
    }

    /// Its run on the paid fallback, if it had one.
    pub fn fallback(&self) -> Option<crate::fallback::Use> {
        self.0
            .cell
            .detail
            .lock()
            .expect("job detail")
            .fallback
            .clone()
    }

    /// The routing policy it runs under.
    pub fn set_policy(&self, policy: &crate::route::policy::Policy) {
        self.detail(|d| d.policy = Some(policy.clone()));
    }

    pub fn set_warning(&self, warning: Option<&str>) {
        self.detail(|d| d.warning = warning.map(str::to_string));
    }

    /// What a spot check of a peer's answer found.
    pub fn set_check(&self, check: String) {
        self.detail(|d| d.check = Some(check));
    }

    /// The check line so far.
    pub fn check(&self) -> Option<String> {
        self.0.cell.detail.lock().expect("job detail").check.clone()
    }

    /// The job ended with an answer: its counts and timings.
    pub fn finish(&self, f: &Finish) {
        let elapsed = self.0.cell.started.elapsed();
        self.with(|job, _| {
            job.state = State::Done(f.reason);
            job.prompt_tokens = f.prompt_tokens;
            job.tokens = f.completion_tokens;
            job.tokens_per_s = if f.generation_time.as_secs_f64() > 0.0 {
                f.completion_tokens.saturating_sub(1) as f64 / f.generation_time.as_secs_f64()
            } else {
                0.0
            };
        });
        self.detail(|d| {
            d.finish_reason = Some(f.reason);
            d.completion_tokens = f.completion_tokens;
            d.stages = f.stages.clone();
            d.cached_tokens = f.cached_tokens;
            d.time_to_first_token_ms = Some(f.time_to_first_token.as_secs_f64() * 1e3);
            d.prompt_ms = Some(f.prompt_time.as_secs_f64() * 1e3);
            d.generation_ms = Some(f.generation_time.as_secs_f64() * 1e3);
            d.duration_ms = Some(elapsed.as_secs_f64() * 1e3);
        });
    }

    /// The job was refused before it ran: why.
    pub fn refuse(&self, why: &str) {
        self.with(|job, _| job.state = State::Refused);
        self.detail(|d| d.error = Some(why.to_string()));
    }

    /// The job failed: why.
    pub fn fail(&self, why: &str) {
        self.with(|job, _| job.state = State::Failed);
        self.detail(|d| d.error = Some(why.to_string()));
    }

    /// The credits its settled segments cost (or earned) so far.
    pub fn credits(&self) -> u64 {
        self.0.cell.info.lock().expect("job info").credits
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

    /// The job runs on this node's own engine, serving `model`.
    pub fn run_locally(&self, model: &crate::engine::ModelInfo, why: &str) {
        let own = self.0.registry.own;
        let served = Served {
            variant: model.id().to_string(),
            engine: model.engine,
            why: why.to_string(),
        };
        self.hop(own, HopReason::Local, Some(served));
    }

    fn hop(&self, node: NodeId, why: HopReason, served: Option<Served>) {
        let mut from_token = 0;
        self.with(|job, _| from_token = job.tokens);
        self.detail(|d| {
            d.route.push(Hop {
                node,
                from_token,
                why,
                served,
            })
        });
    }

    /// `tokens` answer tokens so far: the job runs.
    pub fn progress(&self, tokens: u32) {
        self.with(|job, started| {
            job.state = State::Running;
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
    pub fn served_by(&self) -> NodeId {
        let mut by = self.0.registry.own;
        self.with(|job, _| by = job.served_by);
        by
    }

    /// The variant that serves the job, and its prompt's tokens.
    pub fn set_prompt(&self, model: ModelRef, prompt_tokens: u32) {
        self.with(|job, _| {
            job.model = model;
            job.prompt_tokens = prompt_tokens;
        });
    }

    /// A peer accepted the job and runs it.
    pub fn routed_to(
        &self,
        node: NodeId,
        variant: &str,
        engine: crate::engine::EngineKind,
        why: &str,
    ) {
        self.with(|job, _| {
            job.served_by = node;
            job.state = State::Running;
        });
        let served = Served {
            variant: variant.to_string(),
            engine,
            why: why.to_string(),
        };
        self.hop(node, HopReason::Routed, Some(served));
    }

    /// A job this node serves for a peer.
    pub fn set_requester(&self, peer: NodeId) {
        self.with(|job, _| job.requester = Requester::Peer(peer));
    }

    /// The job moved to `node` after its server failed.
    pub fn failover(&self, node: NodeId) {
        self.0
            .registry
            .failovers
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.with(|job, _| {
            job.failovers += 1;
            job.served_by = node;
        });
        self.hop(node, HopReason::Failover, None);
    }
}

/// A job's place in the wait for room; leaving it (however the wait ends) frees the place.
pub struct WaitTicket {
    registry: Arc<Registry>,
    job: JobId,
}

impl Drop for WaitTicket {
    fn drop(&mut self) {
        let mut w = self.registry.waiters.lock().expect("waiters lock");
        w.retain(|j| *j != self.job);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_reason_from_a_peer_is_short_and_cannot_steer_a_terminal() {
        let asked = ModelRef::parse("m@q8");
        let evil = format!("q8_0\x1b[2J\u{202e}gnirts{}", "x".repeat(5000));
        let why = variant_why(Some(&asked), &evil);
        assert!(why.starts_with("asked for m at q8 or better; the node serves q8_0[2J"));
        assert!(
            !why.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{why:?}"
        );
        assert!(why.chars().count() < 300, "{}", why.len());
        // The client's own model string is bounded too.
        let long = ModelRef::parse(&format!("{}:q4_1", "n".repeat(10_000)));
        assert!(variant_why(Some(&long), "").len() < 200);
        assert_eq!(
            variant_why(None, ""),
            "no model named: the first one served"
        );
    }
}
