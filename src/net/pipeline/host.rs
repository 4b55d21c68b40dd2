//! Hosting pipeline stages for peers: a coordinator's `Stage` request loads a range of a
//! model's layers here (once, shared by every sequence that runs them) and opens a session on
//! the stream; each `StageStep` runs its rows through those layers and answers a `StageOut`.
//!
//! Memory: a session is taken only while the ranges in use here, and every session's KV cache
//! (reserved for the positions its coordinator declares), stay within the stage budget
//! (`--memory-limit` less the models this node serves; without a limit, half the free RAM). A
//! range no session uses gives way to one that needs its memory, and is unloaded after
//! [`LINGER`]: a coordinator's next job finds it loaded. A peer holds at most
//! [`SESSIONS_PER_PEER`] sessions, the node [`SESSIONS`]; steps run a few at a time.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iroh::endpoint::{RecvStream, SendStream};

use super::super::Net;
use super::super::wire::{self, RefuseCode, Reply, Request};
use crate::engine::stage::{self, Layers, Layout};
use crate::ids::NodeId;

/// How long loaded layers stay once no session uses them.
pub const LINGER: Duration = Duration::from_secs(30);
/// How long a stage's session waits for its coordinator's next step.
const IDLE: Duration = Duration::from_secs(120);
/// Sessions one peer may hold here, and all peers together.
pub const SESSIONS_PER_PEER: u32 = 8;
pub const SESSIONS: u32 = 64;

/// Rows of `hidden` f32s that fit one frame, base64 in JSON with room to spare.
pub fn frame_rows(hidden: usize) -> usize {
    ((wire::MAX_FRAME - 4096) * 3 / 4 / (4 * hidden.max(1))).max(1)
}

/// A range of a model's layers, as hosted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    model: String,
    layers: [u32; 2],
    /// The file they were read from: the models dir's, or a slice of one coordinator's
    /// (layers read from one coordinator's file are never another's).
    file: std::path::PathBuf,
}

struct Held {
    /// `None` while it loads.
    layers: Option<Arc<Layers>>,
    bytes: u64,
    sessions: u32,
    /// The KV caches its sessions reserved.
    kv: u64,
    idle_since: Option<Instant>,
    /// Work done, for status.
    steps: u64,
    rows: u64,
    ms: f64,
    coordinators: Vec<NodeId>,
}

/// The stages this node hosts. Owned by the [`Net`].
pub struct Hosts {
    held: Mutex<HashMap<Key, Held>>,
    /// Sessions by peer.
    peers: Mutex<HashMap<NodeId, u32>>,
    layouts: Mutex<HashMap<std::path::PathBuf, Layout>>,
    pool: std::sync::OnceLock<Arc<rayon::ThreadPool>>,
    /// Steps running at once (each holds a blocking thread while it runs).
    running: tokio::sync::Semaphore,
    pub(super) slices: super::slice::Slices,
}

impl Default for Hosts {
    fn default() -> Self {
        Hosts {
            held: Mutex::default(),
            peers: Mutex::default(),
            layouts: Mutex::default(),
            pool: std::sync::OnceLock::new(),
            running: tokio::sync::Semaphore::new(4),
            slices: Default::default(),
        }
    }
}

/// Bytes in use in `held`: the ranges with sessions, and every session's KV cache. Ranges idle
/// past [`LINGER`] are let go.
fn in_use(held: &mut HashMap<Key, Held>) -> u64 {
    let now = Instant::now();
    held.retain(|_, h| h.sessions > 0 || h.idle_since.is_none_or(|t| now - t < LINGER));
    held.values()
        .filter(|h| h.sessions > 0)
        .map(|h| h.bytes + h.kv)
        .sum()
}

/// What [`Hosts::take`] found.
enum Take {
    Ready(Arc<Layers>),
    Load,
    Loading,
}

/// A stage this node runs, as status shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct HostedStage {
    pub model: String,
    pub layers: [u32; 2],
    pub bytes: u64,
    pub sessions: u32,
    pub steps: u64,
    pub rows: u64,
    pub ms: f64,
    /// The coordinators it ran steps for (short ids).
    pub coordinators: Vec<String>,
    /// Whether its layers came from a slice fetched from peers (this node has no file of the
    /// model).
    #[serde(default)]
    pub slice: bool,
}

impl Hosts {
    /// Bytes held by ranges in use (or loading). Ranges no session uses do not count: they
    /// give way to a new range that needs their memory, and are let go past [`LINGER`].
    pub fn used(&self) -> u64 {
        in_use(&mut self.held.lock().expect("stages"))
    }

    pub fn status(&self) -> Vec<HostedStage> {
        let _ = self.used();
        let held = self.held.lock().expect("stages");
        let mut out: Vec<HostedStage> = held
            .iter()
            .map(|(k, h)| HostedStage {
                model: k.model.clone(),
                layers: k.layers,
                bytes: h.bytes,
                sessions: h.sessions,
                steps: h.steps,
                rows: h.rows,
                ms: h.ms,
                coordinators: h.coordinators.iter().map(NodeId::short).collect(),
                slice: k.file.parent().is_some_and(|d| d.ends_with("blobs/slices")),
            })
            .collect();
        out.sort_by(|a, b| (&a.model, a.layers).cmp(&(&b.model, b.layers)));
        out
    }

    /// Takes a session of `key`: its layers if loaded, `Load` to load them (their bytes now
    /// reserved), `Loading` while another session loads them; or why not.
    fn take(&self, key: &Key, bytes: u64, kv: u64, budget: u64) -> Result<Take, String> {
        let mut held = self.held.lock().expect("stages");
        let used = in_use(&mut held);
        let free = budget.saturating_sub(used);
        if let Some(h) = held.get_mut(key) {
            let Some(l) = &h.layers else {
                return Ok(Take::Loading);
            };
            // Its layers are here; its KV cache is new memory.
            let more = kv + if h.sessions == 0 { h.bytes } else { 0 };
            if more > free {
                return Err(format!(
                    "a session of layers {}..{} of {} needs {}; this node has {} of its {} for \
                     stages free",
                    key.layers[0],
                    key.layers[1],
                    key.model,
                    show(more),
                    show(free),
                    show(budget)
                ));
            }
            h.sessions += 1;
            h.kv += kv;
            h.idle_since = None;
            return Ok(Take::Ready(l.clone()));
        }
        let bytes_kv = bytes + kv;
        if bytes_kv <= free {
            // Idle ranges give way, the longest idle first, until the new one fits.
            let mut idle: Vec<(Instant, Key, u64)> = held
                .iter()
                .filter_map(|(k, h)| Some((h.idle_since?, k.clone(), h.bytes)))
                .collect();
            idle.sort();
            let mut total: u64 = held.values().map(|h| h.bytes + h.kv).sum();
            for (_, k, b) in idle {
                if total + bytes_kv <= budget {
                    break;
                }
                held.remove(&k);
                total -= b;
            }
        } else {
            return Err(format!(
                "layers {}..{} of {} need {}; this node has {} of its {} for stages free",
                key.layers[0],
                key.layers[1],
                key.model,
                show(bytes_kv),
                show(free),
                show(budget)
            ));
        }
        held.insert(
            key.clone(),
            Held {
                layers: None,
                bytes,
                sessions: 1,
                kv,
                idle_since: None,
                steps: 0,
                rows: 0,
                ms: 0.0,
                coordinators: Vec::new(),
            },
        );
        Ok(Take::Load)
    }

    fn loaded(
        &self,
        key: &Key,
        layers: Result<Arc<Layers>, String>,
    ) -> Result<Arc<Layers>, String> {
        let mut held = self.held.lock().expect("stages");
        match layers {
            Ok(l) => {
                if let Some(h) = held.get_mut(key) {
                    h.layers = Some(l.clone());
                }
                Ok(l)
            }
            Err(e) => {
                held.remove(key);
                Err(e)
            }
        }
    }

    fn count(&self, key: &Key, peer: NodeId, rows: u32, ms: f64) {
        if let Some(h) = self.held.lock().expect("stages").get_mut(key) {
            h.steps += 1;
            h.rows += u64::from(rows);
            h.ms += ms;
            if !h.coordinators.contains(&peer) && h.coordinators.len() < 8 {
                h.coordinators.push(peer);
            }
        }
    }

    fn release(&self, key: &Key, kv: u64) {
        if let Some(h) = self.held.lock().expect("stages").get_mut(key) {
            h.sessions = h.sessions.saturating_sub(1);
            h.kv = h.kv.saturating_sub(kv);
            if h.sessions == 0 {
                h.idle_since = Some(Instant::now());
            }
        }
    }

    /// Counts a session of `peer`, if it may open one more.
    fn admit(&self, peer: NodeId) -> Result<(), String> {
        let mut peers = self.peers.lock().expect("stage peers");
        let total: u32 = peers.values().sum();
        let mine = peers.entry(peer).or_default();
        if *mine >= SESSIONS_PER_PEER || total >= SESSIONS {
            return Err(format!(
                "this node runs {total} stage sessions, {mine} of them yours (at most \
                 {SESSIONS_PER_PEER} a peer, {SESSIONS} in all)"
            ));
        }
        *mine += 1;
        Ok(())
    }

    fn leave(&self, peer: &NodeId) {
        let mut peers = self.peers.lock().expect("stage peers");
        if let Some(n) = peers.get_mut(peer) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                peers.remove(peer);
            }
        }
    }

    fn layout(&self, path: &std::path::Path) -> Result<Layout, String> {
        if let Some(l) = self.layouts.lock().expect("layouts").get(path) {
            return Ok(l.clone());
        }
        let l = stage::layout(path)?;
        self.layouts
            .lock()
            .expect("layouts")
            .insert(path.to_path_buf(), l.clone());
        Ok(l)
    }

    fn pool(&self, threads: u32) -> Arc<rayon::ThreadPool> {
        self.pool
            .get_or_init(|| {
                Arc::new(
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(threads.max(1) as usize)
                        .thread_name(|i| format!("stage-{i}"))
                        .build()
                        .expect("a thread pool for stages"),
                )
            })
            .clone()
    }
}

pub(super) fn show(bytes: u64) -> String {
    bytesize::ByteSize(bytes).display().iec().to_string()
}

/// The memory this node gives to stages: its `--memory-limit` less what the models it serves
/// need, else half its free RAM (the owner's programs need the rest). 0 while paused.
pub fn budget(net: &Net) -> u64 {
    let node = net.node();
    if node.paused() {
        return 0;
    }
    let engines: u64 = node
        .engines()
        .iter()
        .map(|e| {
            let b = e.info().size_bytes;
            b + b / 8
        })
        .sum();
    match node.settings().engine.memory_limit {
        Some(limit) => limit.saturating_sub(engines),
        None => node.devices().cpu.ram_free_bytes / 2,
    }
}

/// Where a stage's layers are read from.
enum File {
    /// The model's file in this node's models dir.
    Here(std::path::PathBuf),
    /// A slice of the coordinator's, fetched from peers ([`super::slice`]).
    Slice(super::slice::Source),
}

/// The variant `model` names (its `NAME:QUANT` as the catalog writes it) and where this node
/// reads it: its file in the models dir, else a slice of the file `coordinator` offers.
fn file_of(net: &Net, coordinator: &NodeId, model: &str) -> Result<(String, File), String> {
    let catalog = net
        .inner
        .catalog
        .as_ref()
        .ok_or("this node has no model catalog")?;
    let choice = catalog.resolve(model).map_err(|e| e.to_string())?;
    let id = choice.id().to_string();
    let path = net.node().settings().models_dir.join(&choice.variant.file);
    if path.is_file() {
        return Ok((id, File::Here(path)));
    }
    let src = super::slice::source(net, coordinator, &choice)?;
    Ok((id, File::Slice(src)))
}

/// The layout of `file`'s model: read from its header (fetched first, for a slice).
async fn layout_of(net: &Net, file: &File) -> Result<Layout, String> {
    match file {
        File::Here(path) => {
            let (hosts, path) = (net.stages().clone(), path.clone());
            net.tasks()
                .spawn_blocking(move || hosts.layout(&path))
                .await
                .unwrap_or_else(|_| Err("stopping".into()))
        }
        File::Slice(src) => Ok(super::slice::header(net, src).await?.layout.clone()),
    }
}

/// A `Stage` request.
pub(in crate::net) struct Ask {
    pub job: String,
    pub model: String,
    pub layers: [u32; 2],
    pub positions: u32,
}

/// Serves one `Stage` request and its steps, until the coordinator ends the stream.
pub(in crate::net) async fn serve(
    net: &Net,
    peer: NodeId,
    ask: Ask,
    send: &mut SendStream,
    recv: RecvStream,
) {
    let hosts = net.stages();
    if let Err(m) = hosts.admit(peer) {
        return answer(send, &Reply::refused(RefuseCode::Busy, m)).await;
    }
    serve_admitted(net, peer, ask, send, recv).await;
    hosts.leave(&peer);
}

async fn serve_admitted(
    net: &Net,
    peer: NodeId,
    ask: Ask,
    send: &mut SendStream,
    mut recv: RecvStream,
) {
    let refuse = |code, m: String| Reply::refused(code, m);
    if net.node().paused() {
        let m = "this node is paused: it runs no work for peers".to_string();
        return answer(send, &refuse(RefuseCode::Paused, m)).await;
    }
    // A coordinator that owes a payment it promised runs nothing here until it pays.
    if net
        .node()
        .ledger()
        .is_some_and(|l| l.debt_of(&peer).is_some())
    {
        let m = "you owe this node a payment you promised: pay it first".to_string();
        return answer(send, &refuse(RefuseCode::Debt, m)).await;
    }
    let (model, file) = match file_of(net, &peer, &ask.model) {
        Ok(p) => p,
        Err(m) => return answer(send, &refuse(RefuseCode::Model, m)).await,
    };
    let hosts = net.stages();
    let layout = match layout_of(net, &file).await {
        Ok(l) => l,
        Err(m) => return answer(send, &refuse(RefuseCode::Model, m)).await,
    };
    let layers = ask.layers;
    let range: Range<u32> = layers[0]..layers[1];
    let positions = match ask.positions {
        0 => stage::MAX_POSITIONS as u32,
        p => p.min(stage::MAX_POSITIONS as u32),
    };
    if range.is_empty() || range.end > layout.layers() {
        let m = format!(
            "layers {}..{} are not a range of {model}'s {} layers",
            layers[0],
            layers[1],
            layout.layers()
        );
        net.strike(&peer, &m);
        return answer(send, &refuse(RefuseCode::Invalid, m)).await;
    }
    let path = match path_of(net, peer, &file, range.clone()).await {
        Ok(p) => p,
        Err(r) => return answer(send, &r).await,
    };
    let key = Key {
        model,
        layers,
        file: path.clone(),
    };
    let bytes = layout.stage_bytes(range.clone());
    let kv = layout.kv_for(range.clone(), positions);
    let loaded = match take_loaded(net, &key, range.clone(), (bytes, kv), path).await {
        Ok(l) => l,
        Err(r) => return answer(send, &r).await,
    };
    // The job id is the coordinator's word, for the log only: bounded like a receipt's.
    let job: String = ask.job.chars().take(64).collect();
    tracing::info!(
        "job {job}: running layers {}..{} of {} for {}",
        layers[0],
        layers[1],
        key.model,
        peer.short()
    );
    let ready = Reply::StageReady {
        hidden: loaded.hidden as u32,
    };
    if wire::write(send, &ready).await.is_ok() {
        let session = loaded.session_of(positions as usize);
        steps(net, peer, &key, session, loaded.hidden, send, &mut recv).await;
    }
    hosts.release(&key, kv);
    let _ = send.finish();
}

/// The file to read `range` of `file`'s layers from: the models dir's, or the slice of them,
/// fetched first.
async fn path_of(
    net: &Net,
    coordinator: NodeId,
    file: &File,
    range: Range<u32>,
) -> Result<std::path::PathBuf, Reply> {
    match file {
        File::Here(path) => Ok(path.clone()),
        File::Slice(src) => {
            let header = super::slice::header(net, src)
                .await
                .map_err(|m| Reply::refused(RefuseCode::Model, m))?;
            super::slice::ready(net, coordinator, (src, &header), range)
                .await
                .map_err(|m| Reply::refused(RefuseCode::Busy, m))?;
            Ok(src.path.clone())
        }
    }
}

/// A session's share of `key`'s layers: loaded here (by this session, or by another that
/// loads them now), with `bytes` of weights and `kv` of KV cache reserved; or the refusal.
async fn take_loaded(
    net: &Net,
    key: &Key,
    range: Range<u32>,
    (bytes, kv): (u64, u64),
    path: std::path::PathBuf,
) -> Result<Arc<Layers>, Reply> {
    let refuse = |code, m: String| Reply::refused(code, m);
    let hosts = net.stages();
    let mut taken = hosts.take(key, bytes, kv, budget(net));
    // Another sequence loads these very layers: wait for it rather than load them twice.
    let loading_since = Instant::now();
    while matches!(taken, Ok(Take::Loading)) && loading_since.elapsed() < IDLE {
        tokio::time::sleep(Duration::from_millis(50)).await;
        taken = hosts.take(key, bytes, kv, budget(net));
    }
    match taken {
        Ok(Take::Ready(l)) => Ok(l),
        Ok(Take::Loading) => Err(refuse(
            RefuseCode::Busy,
            "those layers are still loading here".into(),
        )),
        Ok(Take::Load) => {
            let l = net
                .tasks()
                .spawn_blocking(move || Layers::load(&path, range).map(Arc::new))
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
            hosts
                .loaded(key, l)
                .map_err(|m| refuse(RefuseCode::Model, m))
        }
        Err(m) => Err(refuse(RefuseCode::Busy, m)),
    }
}

/// The next step of a session, whole (its frames put together): `None` at the end of the
/// stream or after a refusal that ends it.
async fn next_step(
    net: &Net,
    peer: NodeId,
    hidden: usize,
    send: &mut SendStream,
    recv: &mut RecvStream,
) -> Option<(u32, u32, Vec<f32>)> {
    let mut x: Vec<f32> = Vec::new();
    let (mut start, mut total) = (None, 0u32);
    loop {
        let next = tokio::time::timeout(IDLE, wire::read::<Request, _>(recv, wire::MAX_FRAME));
        let why = match next.await {
            Ok(Ok(Some(Request::StageStep {
                pos,
                rows,
                hidden: h,
                more,
            }))) => {
                let part = wire::decode_vector(&h).filter(|v| v.len() == rows as usize * hidden);
                match (part, start) {
                    (Some(_), Some(p)) if p != pos => "a step's frames name different positions",
                    (Some(_), _) if total + rows > stage::MAX_POSITIONS as u32 => {
                        "a step of more rows than a session holds"
                    }
                    (Some(part), _) => {
                        start = Some(pos);
                        total += rows;
                        x.extend_from_slice(&part);
                        if !more {
                            return Some((pos, total, x));
                        }
                        continue;
                    }
                    (None, _) => "a step's rows are not that many rows of finite f32s in base64",
                }
            }
            // The coordinator ended the session, or went quiet.
            Ok(Ok(None)) | Err(_) => return None,
            Ok(Ok(Some(other))) => {
                let m = format!(
                    "sent {} on a stage's stream",
                    super::super::serve::kind(&other)
                );
                net.strike(&peer, &m);
                answer(send, &Reply::refused(RefuseCode::Invalid, m)).await;
                return None;
            }
            // A broken stream is no proof of ill will: a frame too big or malformed is.
            Ok(Err(e @ (wire::WireError::Io(_) | wire::WireError::Short { .. }))) => {
                tracing::debug!("a stage's stream from {} broke: {e}", peer.short());
                return None;
            }
            Ok(Err(e)) => {
                net.strike(&peer, &format!("a stage's step: {e}"));
                answer(send, &Reply::refused(RefuseCode::Invalid, e.to_string())).await;
                return None;
            }
        };
        net.strike(&peer, why);
        answer(send, &Reply::refused(RefuseCode::Invalid, why.to_string())).await;
        return None;
    }
}

/// The steps of one session, each run and answered in turn (an answer bigger than a frame in
/// several).
async fn steps(
    net: &Net,
    peer: NodeId,
    key: &Key,
    session: stage::Session,
    hidden: usize,
    send: &mut SendStream,
    recv: &mut RecvStream,
) {
    let hosts = net.stages();
    let pool = hosts.pool(net.node().settings().engine.threads);
    let mut session = Some(session);
    let mut hand_backs = net.node().hand_backs();
    loop {
        // The owner needs the machine: the stage ends between steps (never in the middle of
        // one's frames), and its coordinator plans again without it and replays the sequence
        // on the new stages.
        let next = tokio::select! {
            next = next_step(net, peer, hidden, send, recv), if !net.node().yielding() => next,
            _ = hand_backs.changed(), if !net.node().yielding() => continue,
            () = std::future::ready(()), if net.node().yielding() => {
                tracing::info!("stage for {} handed back: this node's owner needs the machine", peer.short());
                let m = "handed back: this node's owner needs the machine".to_string();
                return answer(send, &Reply::refused(RefuseCode::Paused, m)).await;
            }
        };
        let Some((pos, rows, x)) = next else {
            return;
        };
        let Ok(_turn) = hosts.running.acquire().await else {
            return;
        };
        let mut s = session.take().expect("a session between steps");
        let pool = pool.clone();
        let started = Instant::now();
        let run = net
            .tasks()
            .spawn_blocking(move || {
                let out = pool.install(|| s.forward(&x, rows as usize, pos as usize));
                (s, out)
            })
            .await;
        let Ok((s, out)) = run else {
            return;
        };
        session = Some(s);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let y = match out {
            Ok(y) => y,
            // A step that does not follow the session (a position it does not hold, past the
            // positions it reserved): the coordinator's bug or ill will; the stream ends.
            Err(m) => {
                net.strike(&peer, &format!("a stage's step: {m}"));
                return answer(send, &Reply::refused(RefuseCode::Invalid, m)).await;
            }
        };
        hosts.count(key, peer, rows, ms);
        let per = frame_rows(hidden);
        let chunks: Vec<&[f32]> = y.chunks(per * hidden).collect();
        for (i, part) in chunks.iter().enumerate() {
            let out = Reply::StageOut {
                rows: (part.len() / hidden) as u32,
                hidden: wire::encode_vector(part),
                ms,
                more: i + 1 < chunks.len(),
            };
            if wire::write(send, &out).await.is_err() {
                return;
            }
        }
        rest_for_peers(net, ms).await;
    }
}

/// After a step, rests so that peers get at most their share of this node's time
/// (`--peer-duty`, `--threads-for-peers`), as the engines do; at most 1 s.
async fn rest_for_peers(net: &Net, step_ms: f64) {
    let share = net
        .node()
        .settings()
        .engine
        .peer_share
        .load(std::sync::atomic::Ordering::Relaxed)
        .clamp(1, 100);
    if share < 100 {
        let rest = step_ms / 1e3 * (100.0 / f64::from(share) - 1.0);
        tokio::time::sleep(Duration::from_secs_f64(rest.clamp(0.0, 1.0))).await;
    }
}

async fn answer(send: &mut SendStream, reply: &Reply) {
    let _ = wire::write(send, reply).await;
    let _ = send.finish();
}

/// How long a stage is given for a step of `rows` rows before its coordinator takes it for
/// stalled: 5 s until it has answered a few steps, then 20 times its mean round trip for one
/// row (at least 1 s), plus 20 ms a row. Generous, since a loaded machine is slow without any
/// ill will: a stage wrongly taken for stalled costs a replay, never a token.
pub fn step_wait(rows: u32, mean_ms: Option<f64>) -> Duration {
    let base = match mean_ms {
        Some(m) if m.is_finite() => Duration::from_secs_f64((m * 20.0 / 1e3).clamp(1.0, 5.0)),
        _ => Duration::from_secs(5),
    };
    base + Duration::from_millis(20 * u64::from(rows))
}
