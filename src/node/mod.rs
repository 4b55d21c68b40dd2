//! The node: the one owner of this process's local serving state, reached through [`Node`]
//! handles (cheap clones of one `Arc`). The router, the peer network, the HTTP API and the UI
//! hold only handles.
//!
//! Owns: the loaded engines, the credit ledger's handle, the contribution switch, the job
//! registry ([`jobs`]), the device profile, the counters behind `/metrics`, the root of the
//! node's task tree ([`crate::tasks::Tasks`]) and its capacity signal. The data dir (its lock,
//! the node key, `node.json`) is [`datadir`].
//!
//! Must not touch: the network (it sits above the node and holds a handle to it), HTTP. Changes
//! others must hear of go out on the node's event channel ([`Node::events`]), not through
//! callbacks, so nothing here holds a handle to what sits above it.
//!
//! ## Lifecycle
//! [`Node::new`] takes the loaded engines and the opened ledger. [`Node::stop`] cancels every
//! task of the tree and waits for them, then stops each engine's thread and closes the ledger
//! (its writer thread ends and the file is closed) before it returns.

pub mod contribution;
pub mod datadir;
pub mod jobs;

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, broadcast};

use crate::config::Settings;
use crate::devices::Profile;
use crate::engine::{Engine, ModelInfo};
use crate::ids::{ModelRef, NodeId};
use crate::ledger::Ledger;
use crate::tasks::Tasks;
pub use contribution::{Conditions, Contribution, Reason};
use jobs::Registry;
pub use jobs::{JOB_LOG_LEN, JobGuard, JobInfo, JobRecord, Routed, WaitTicket};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// News from the node, for whoever subscribed ([`Node::events`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeEvent {
    /// Contribution was paused or resumed.
    Contribution { paused: bool },
    /// A model was loaded or unloaded.
    Models,
}

/// A model this node serves, with its load.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelStatus {
    #[serde(flatten)]
    pub info: ModelInfo,
    pub queued: usize,
    pub busy_slots: usize,
}

/// What the engines did since the node started.
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
    /// Jobs of this node's that moved to another node after theirs failed.
    pub failovers: u64,
}

/// A handle to the node. Clone freely.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

struct Inner {
    id: NodeId,
    settings: Settings,
    /// The engines loaded now: replaced whole when one is added or removed (`--auto-models`),
    /// so a reader holds a consistent list without holding the lock.
    engines: std::sync::RwLock<Arc<Vec<Engine>>>,
    /// When each model (`NAME:QUANT`) was last asked for: what unloading picks by.
    used: Mutex<std::collections::HashMap<String, Instant>>,
    ledger: Option<Ledger>,
    /// Mirrors `switch` for the many readers that only ask whether (admission, routing).
    paused: AtomicBool,
    switch: Mutex<contribution::Switch>,
    /// Bumped when peers' jobs must make room for the owner now: each running one is handed
    /// back to its requester, who continues it elsewhere.
    hand_back: tokio::sync::watch::Sender<u64>,
    /// Set while peers' jobs must go back ([`Node::yielding`]).
    yielding: AtomicBool,
    /// Peers' jobs streaming now ([`PeerSlot`]s taken).
    peer_slots: std::sync::atomic::AtomicUsize,
    jobs: Arc<Registry>,
    devices: Mutex<(Profile, Instant)>,
    started: Instant,
    api: SocketAddr,
    requests: AtomicU64,
    requests_failed: AtomicU64,
    /// Woken whenever room may have appeared somewhere (a job ended, a peer announced, the
    /// contribution switch moved). Each engine has its own for its slots.
    capacity: Arc<Notify>,
    events: broadcast::Sender<NodeEvent>,
    tasks: Tasks,
}

/// A place among the jobs a node runs for peers at once ([`Node::take_peer_slot`]), given back
/// when dropped.
pub struct PeerSlot(Node);

impl Drop for PeerSlot {
    fn drop(&mut self) {
        self.0.inner.peer_slots.fetch_sub(1, Ordering::AcqRel);
        self.0.room_changed();
    }
}

/// How long [`Node::stop`] waits for an engine's thread or the ledger's writer.
const THREAD_STOP_WAIT: Duration = Duration::from_secs(30);

impl Node {
    pub fn new(
        id: NodeId,
        settings: Settings,
        api: SocketAddr,
        engines: Vec<Engine>,
        ledger: Option<Ledger>,
        devices: Profile,
    ) -> Node {
        let capacity = Arc::new(Notify::new());
        Node {
            inner: Arc::new(Inner {
                id,
                paused: AtomicBool::new(settings.paused),
                switch: Mutex::new(contribution::Switch::new(settings.paused)),
                hand_back: tokio::sync::watch::channel(0).0,
                yielding: AtomicBool::new(false),
                peer_slots: std::sync::atomic::AtomicUsize::new(0),
                jobs: Registry::new(id, settings.engine.queue_limit, capacity.clone()),
                settings,
                engines: std::sync::RwLock::new(Arc::new(engines)),
                used: Mutex::default(),
                ledger,
                devices: Mutex::new((devices, Instant::now())),
                started: Instant::now(),
                api,
                requests: AtomicU64::new(0),
                requests_failed: AtomicU64::new(0),
                capacity,
                events: broadcast::channel(16).0,
                tasks: Tasks::new(),
            }),
        }
    }

    pub fn id(&self) -> NodeId {
        self.inner.id
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The address the HTTP API listens on.
    pub fn api(&self) -> SocketAddr {
        self.inner.api
    }

    /// The engines loaded now.
    pub fn engines(&self) -> Arc<Vec<Engine>> {
        self.inner.engines.read().expect("engines").clone()
    }

    /// The engine serving `model`; `None` asks for the first model.
    pub fn engine_for(&self, model: Option<&ModelRef>) -> Option<Engine> {
        let engines = self.engines();
        let e = match model {
            None => engines.first(),
            Some(m) => engines
                .iter()
                .find(|e| m.matches(&e.info().name, &e.info().quant)),
        }?;
        self.inner
            .used
            .lock()
            .expect("used")
            .insert(e.info().id().to_string(), Instant::now());
        Some(e.clone())
    }

    /// [`Node::engine_for`], if its weights are on this machine: not a pipeline, whose layers
    /// run on peers. Peers' jobs and checks of answers run only on such an engine (a peer's
    /// job carries no routing policy to hold the stages to, and a check must not depend on
    /// stages it cannot check).
    pub fn engine_here(&self, model: Option<&ModelRef>) -> Option<Engine> {
        self.engine_for(model).filter(|e| !e.info().pipeline)
    }

    /// Whether an engine here serves `model` (no side effect: not a use of it).
    pub fn serves(&self, model: &ModelRef) -> bool {
        self.engines()
            .iter()
            .any(|e| model.matches(&e.info().name, &e.info().quant))
    }

    /// Serves one more model (loaded by `--auto-models`), and says so: peers hear of it in the
    /// next announcement, waiting jobs look again.
    pub fn add_engine(&self, engine: Engine) {
        let id = engine.info().id().to_string();
        {
            let mut engines = self.inner.engines.write().expect("engines");
            let mut list = engines.as_ref().clone();
            list.push(engine);
            *engines = Arc::new(list);
        }
        self.inner
            .used
            .lock()
            .expect("used")
            .insert(id, Instant::now());
        let _ = self.inner.events.send(NodeEvent::Models);
        self.room_changed();
    }

    /// Stops serving `id` (`NAME:QUANT`): no new job goes to it; the caller shuts the engine
    /// down once its jobs ended.
    pub fn remove_engine(&self, id: &str) -> Option<Engine> {
        let removed = {
            let mut engines = self.inner.engines.write().expect("engines");
            let mut list = engines.as_ref().clone();
            let i = list.iter().position(|e| e.info().id().to_string() == id)?;
            let e = list.remove(i);
            *engines = Arc::new(list);
            e
        };
        let _ = self.inner.events.send(NodeEvent::Models);
        self.room_changed();
        Some(removed)
    }

    /// When `id` (`NAME:QUANT`) was last asked for.
    pub fn last_used(&self, id: &str) -> Option<Instant> {
        self.inner.used.lock().expect("used").get(id).copied()
    }

    /// The credit ledger (every node that holds its data dir has one).
    pub fn ledger(&self) -> Option<&Ledger> {
        self.inner.ledger.as_ref()
    }

    /// The root of the node's task tree: the network and the API run under its children.
    pub fn tasks(&self) -> &Tasks {
        &self.inner.tasks
    }

    /// News from the node (the contribution switch), for whoever wants it.
    pub fn events(&self) -> broadcast::Receiver<NodeEvent> {
        self.inner.events.subscribe()
    }

    /// Wakes every capacity waiter: room may have appeared.
    pub fn room_changed(&self) {
        self.inner.capacity.notify_waiters();
    }

    /// A wait for room, armed now: it resolves at the first change after this call (a job
    /// ended, a slot freed, a peer announced), so nothing between the call and the wait is
    /// missed.
    pub fn room(&self) -> Room {
        let mut waits: Vec<Pin<Box<tokio::sync::futures::OwnedNotified>>> =
            vec![Box::pin(self.inner.capacity.clone().notified_owned())];
        for e in self.engines().iter() {
            waits.push(Box::pin(e.stats().room.clone().notified_owned()));
        }
        for w in &mut waits {
            w.as_mut().enable();
        }
        Room(waits)
    }

    pub fn paused(&self) -> bool {
        self.inner.paused.load(Ordering::Relaxed)
    }

    /// Pauses or resumes serving others by hand (the UI's `p`, the API): obeyed over the
    /// conditions until they next change. Local requests are always served.
    pub fn set_paused(&self, paused: bool) {
        let mut s = self.inner.switch.lock().unwrap_or_else(|e| e.into_inner());
        let moved = s.by_hand(paused);
        self.switched(moved, moved, s.paused(), "by hand");
        self.settle_yield(s.paused_by_conditions());
    }

    /// The conditions' verdict ([`crate::idle`] sends it on every change).
    pub fn set_conditions(&self, c: Conditions) {
        let mut s = self.inner.switch.lock().unwrap_or_else(|e| e.into_inner());
        let why = c
            .reasons
            .iter()
            .map(|r| r.text.clone())
            .collect::<Vec<_>>()
            .join("; ");
        let moved = s.conditions(c);
        self.switched(moved, moved, s.paused(), &why);
        self.settle_yield(s.paused_by_conditions());
    }

    fn switched(&self, moved: bool, tell: bool, paused: bool, why: &str) {
        self.inner.paused.store(paused, Ordering::Relaxed);
        if tell {
            let _ = self.inner.events.send(NodeEvent::Contribution { paused });
        }
        if moved {
            self.room_changed();
            tracing::info!(
                paused,
                "contribution {} ({why})",
                if paused { "paused" } else { "resumed" }
            );
        }
    }

    /// The switch and why it is where it is.
    pub fn contribution(&self) -> Contribution {
        let mut c = self
            .inner
            .switch
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .view();
        let mut limits = Vec::new();
        if let Some(n) = self.inner.settings.net.max_peer_jobs {
            limits.push(format!("at most {n} job(s) at once"));
        }
        let share = self
            .inner
            .settings
            .engine
            .peer_share
            .load(Ordering::Relaxed);
        if share < 100 {
            limits.push(format!("{share} % of the engine's time"));
        }
        if !limits.is_empty() {
            c.limits = format!("peers get {}", limits.join(", "));
        }
        c
    }

    /// Whether the conditions paused the node (and no hand overrides them).
    pub fn paused_by_conditions(&self) -> bool {
        let s = self.inner.switch.lock().unwrap_or_else(|e| e.into_inner());
        s.paused_by_conditions()
    }

    /// Peers' running jobs are handed back to their requesters now (the owner needs the
    /// machine): each stream that serves one ends it with a `Failed` its requester fails over
    /// on, from the tokens already sent. A level, not an edge: a job that starts streaming
    /// while it holds (its admission began before the pause) goes back at once.
    pub fn hand_back_peer_jobs(&self) {
        if self.paused_by_conditions() {
            self.inner.yielding.store(true, Ordering::Release);
            self.inner.hand_back.send_modify(|n| *n += 1);
        }
    }

    /// Whether peers' jobs must go back now ([`Node::hand_back_peer_jobs`], until the node
    /// resumes or a hand lets them run).
    pub fn yielding(&self) -> bool {
        self.inner.yielding.load(Ordering::Acquire)
    }

    fn settle_yield(&self, paused_by_conditions: bool) {
        if !paused_by_conditions {
            self.inner.yielding.store(false, Ordering::Release);
        }
    }

    /// Changes when peers' jobs must be handed back ([`Node::hand_back_peer_jobs`]).
    pub fn hand_backs(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.hand_back.subscribe()
    }

    pub fn count_request(&self) {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_failure(&self) {
        self.inner.requests_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Registers a job for status; the returned guard moves it to the log when the job ends.
    pub fn start_job(&self, model: ModelRef, prompt_tokens: u32) -> JobGuard {
        self.inner.jobs.start(model, prompt_tokens)
    }

    /// A place in the wait for room, or `None` when `queue_limit` jobs already wait.
    pub fn wait_ticket(&self, job: &crate::ids::JobId) -> Option<WaitTicket> {
        self.inner.jobs.wait_ticket(job)
    }

    /// Whether `queue_limit` jobs already wait for room.
    pub fn waiting_full(&self) -> bool {
        self.inner.jobs.waiting_full()
    }

    /// Jobs running now (served here, sent to peers, or waiting).
    pub fn running_jobs(&self) -> usize {
        self.inner.jobs.running()
    }

    /// A place among the jobs this node runs for peers at once (`--max-peer-jobs`), or `None`
    /// when all are taken.
    pub fn take_peer_slot(&self) -> Option<PeerSlot> {
        let cap = self.inner.settings.net.max_peer_jobs.unwrap_or(usize::MAX);
        self.inner
            .peer_slots
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < cap).then_some(n + 1)
            })
            .ok()
            .map(|_| PeerSlot(self.clone()))
    }

    /// Whether every place for peers' jobs is taken (`--max-peer-jobs`).
    pub fn peer_slots_full(&self) -> bool {
        self.inner
            .settings
            .net
            .max_peer_jobs
            .is_some_and(|cap| self.inner.peer_slots.load(Ordering::Acquire) >= cap)
    }

    /// The jobs running here for peers.
    pub fn running_peer_jobs(&self) -> usize {
        self.inner.jobs.running_for_peers()
    }

    /// Waits until no job runs, at most `limit`; returns how many still run.
    pub async fn jobs_ended(&self, limit: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let ended = self.inner.capacity.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            let n = self.running_jobs();
            if n == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, ended).await.is_err() {
                return self.running_jobs();
            }
        }
    }

    /// The running jobs (waiting ones with their place in the wait), and how many wait.
    pub fn jobs(&self) -> (Vec<JobInfo>, usize) {
        self.inner.jobs.list()
    }

    /// Ended jobs after log seq `after`, oldest first, at most `limit`, and the newest seq.
    pub fn job_log(&self, after: u64, limit: usize) -> (Vec<JobInfo>, u64) {
        self.inner.jobs.log(after, limit)
    }

    /// A job, running or in the log, with its detail.
    pub fn job(&self, id: &str) -> Option<JobRecord> {
        self.inner.jobs.get(id)
    }

    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// The engines' models with their load, and the totals behind `/metrics`.
    pub fn models(&self) -> (Vec<ModelStatus>, Totals) {
        let inner = &self.inner;
        let mut totals = Totals {
            requests: inner.requests.load(Ordering::Relaxed),
            requests_failed: inner.requests_failed.load(Ordering::Relaxed),
            failovers: inner.jobs.failovers.load(Ordering::Relaxed),
            ..Totals::default()
        };
        let models = self
            .engines()
            .iter()
            .map(|e| {
                let s = e.stats();
                let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
                totals.jobs_done += n(&s.jobs_done);
                totals.jobs_cancelled += n(&s.jobs_cancelled);
                totals.prompt_tokens += n(&s.prompt_tokens);
                totals.generated_tokens += n(&s.generated_tokens);
                totals.decode_steps += n(&s.steps);
                totals.prompt_tokens_cached += n(&s.prompt_tokens_cached);
                totals.decode_seconds += n(&s.decode_us) as f64 / 1e6;
                totals.sample_seconds += n(&s.sample_us) as f64 / 1e6;
                ModelStatus {
                    info: e.info().clone(),
                    queued: s.queued.load(Ordering::Relaxed),
                    busy_slots: s.busy_slots.load(Ordering::Relaxed),
                }
            })
            .collect();
        (models, totals)
    }

    /// The device profile, re-probed in the background at most every few seconds: NVML,
    /// hwmon and sysfs reads can be slow, and status and announcements (on the async threads)
    /// must not wait for them. Until a new probe lands, the last one is returned.
    pub fn devices(&self) -> Profile {
        let mut d = self.inner.devices.lock().expect("devices lock");
        if d.1.elapsed().as_secs() >= 5 && !self.inner.tasks.is_cancelled() {
            // Marked fresh now, so only one probe runs at a time.
            d.1 = Instant::now();
            let node = self.clone();
            self.inner.tasks.spawn_blocking(move || {
                let p = crate::devices::detect();
                *node.inner.devices.lock().expect("devices lock") = (p, Instant::now());
            });
        }
        d.0.clone()
    }

    /// Stops the node's own part: cancels the task tree and waits for its tasks (stop the
    /// network and the API first, which run under children of it), then stops each engine's
    /// thread and closes the ledger. Every thread the node started has ended when it returns
    /// (each gets [`THREAD_STOP_WAIT`]; one that overruns is logged and left behind).
    pub async fn stop(&self) {
        // Tasks end at their next await once cancelled; a blocking one (a startup self-check,
        // a tokenization) may not, and must not hold the exit forever.
        let tasks = &self.inner.tasks;
        if tokio::time::timeout(THREAD_STOP_WAIT, tasks.stop())
            .await
            .is_err()
        {
            tracing::error!(
                "{} tasks did not end within {}s of stopping",
                tasks.len(),
                THREAD_STOP_WAIT.as_secs()
            );
        }
        let mut threads = Vec::new();
        for e in self.engines().iter() {
            let e = e.clone();
            threads.push(("engine", tokio::task::spawn_blocking(move || e.shutdown())));
        }
        if let Some(l) = self.inner.ledger.clone() {
            threads.push((
                "ledger writer",
                tokio::task::spawn_blocking(move || l.close()),
            ));
        }
        for (what, t) in threads {
            if tokio::time::timeout(THREAD_STOP_WAIT, t).await.is_err() {
                tracing::error!(
                    "the {what} thread did not end within {}s",
                    THREAD_STOP_WAIT.as_secs()
                );
            }
        }
    }
}

/// A wait for room, armed when made (see [`Node::room`]).
pub struct Room(Vec<Pin<Box<tokio::sync::futures::OwnedNotified>>>);

impl Room {
    /// Resolves at the first change since the wait was made.
    pub async fn changed(self) {
        futures_util::future::select_all(self.0).await;
    }
}
