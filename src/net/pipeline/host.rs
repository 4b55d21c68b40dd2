//! Hosting pipeline stages for peers: a coordinator's `Stage` request loads a range of a
//! model's layers here (once, shared by every sequence that runs them) and opens a session on
//! the stream; each `StageStep` runs its rows through those layers and answers a `StageOut`.
//!
//! Memory: a stage is taken only while the ranges held here, with it, stay within the stage
//! budget (`--memory-limit` less the models this node serves; without a limit, half the free
//! RAM). A range no session uses is unloaded after [`LINGER`], so that a coordinator's next
//! job finds it loaded.

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

/// A range of a model's layers, as hosted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    model: String,
    layers: [u32; 2],
}

struct Held {
    /// `None` while it loads.
    layers: Option<Arc<Layers>>,
    bytes: u64,
    sessions: u32,
    idle_since: Option<Instant>,
    /// Work done, for status.
    steps: u64,
    rows: u64,
    ms: f64,
    coordinators: Vec<NodeId>,
}

/// The stages this node hosts. Owned by the [`Net`].
#[derive(Default)]
pub struct Hosts {
    held: Mutex<HashMap<Key, Held>>,
    layouts: Mutex<HashMap<std::path::PathBuf, Layout>>,
    pool: std::sync::OnceLock<Arc<rayon::ThreadPool>>,
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
}

impl Hosts {
    /// Bytes held by ranges in use (or loading). Ranges no session uses do not count: they
    /// give way to a new range that needs their memory, and are let go past [`LINGER`].
    pub fn used(&self) -> u64 {
        let mut held = self.held.lock().expect("stages");
        let now = Instant::now();
        held.retain(|_, h| h.sessions > 0 || h.idle_since.is_none_or(|t| now - t < LINGER));
        held.values()
            .filter(|h| h.sessions > 0)
            .map(|h| h.bytes)
            .sum()
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
            })
            .collect();
        out.sort_by(|a, b| (&a.model, a.layers).cmp(&(&b.model, b.layers)));
        out
    }

    /// Takes a session of `key`: its layers if loaded, `Load` to load them (their bytes now
    /// reserved), `Loading` while another session loads them; or why not.
    fn take(&self, key: &Key, bytes: u64, budget: u64) -> Result<Take, String> {
        let used = self.used();
        let mut held = self.held.lock().expect("stages");
        if let Some(h) = held.get_mut(key) {
            let Some(l) = &h.layers else {
                return Ok(Take::Loading);
            };
            h.sessions += 1;
            h.idle_since = None;
            return Ok(Take::Ready(l.clone()));
        }
        if used + bytes <= budget {
            // Idle ranges give way, the longest idle first, until the new one fits.
            let mut idle: Vec<(Instant, Key, u64)> = held
                .iter()
                .filter_map(|(k, h)| Some((h.idle_since?, k.clone(), h.bytes)))
                .collect();
            idle.sort();
            let mut total: u64 = held.values().map(|h| h.bytes).sum();
            for (_, k, b) in idle {
                if total + bytes <= budget {
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
                show(bytes),
                show(budget.saturating_sub(used)),
                show(budget)
            ));
        }
        held.insert(
            key.clone(),
            Held {
                layers: None,
                bytes,
                sessions: 1,
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

    fn release(&self, key: &Key) {
        if let Some(h) = self.held.lock().expect("stages").get_mut(key) {
            h.sessions = h.sessions.saturating_sub(1);
            if h.sessions == 0 {
                h.idle_since = Some(Instant::now());
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

fn show(bytes: u64) -> String {
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

/// The file of `model` (`NAME:QUANT`) in this node's models dir, if the catalog knows it and
/// the file is there.
fn file_of(net: &Net, model: &str) -> Result<std::path::PathBuf, String> {
    let catalog = net
        .inner
        .catalog
        .as_ref()
        .ok_or("this node has no model catalog")?;
    let choice = catalog.resolve(model).map_err(|e| e.to_string())?;
    let path = net.node().settings().models_dir.join(&choice.variant.file);
    if !path.is_file() {
        return Err(format!("this node has no file of {model}"));
    }
    Ok(path)
}

/// Serves one `Stage` request and its steps, until the coordinator ends the stream.
pub(in crate::net) async fn serve(
    net: &Net,
    peer: NodeId,
    (job, model, layers): (String, String, [u32; 2]),
    send: &mut SendStream,
    mut recv: RecvStream,
) {
    let refuse = |code, m: String| Reply::refused(code, m);
    if net.node().paused() {
        let m = "this node is paused: it runs no work for peers".to_string();
        return answer(send, &refuse(RefuseCode::Paused, m)).await;
    }
    let path = match file_of(net, &model) {
        Ok(p) => p,
        Err(m) => return answer(send, &refuse(RefuseCode::Model, m)).await,
    };
    let hosts = net.stages();
    let (h2, p2) = (hosts.clone(), path.clone());
    let layout = match net.tasks().spawn_blocking(move || h2.layout(&p2)).await {
        Ok(Ok(l)) => l,
        Ok(Err(m)) => return answer(send, &refuse(RefuseCode::Model, m)).await,
        Err(_) => return,
    };
    let range: Range<u32> = layers[0]..layers[1];
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
    let key = Key { model, layers };
    let bytes = layout.stage_bytes(range.clone());
    let mut taken = hosts.take(&key, bytes, budget(net));
    // Another sequence loads these very layers: wait for it rather than load them twice.
    let loading_since = Instant::now();
    while matches!(taken, Ok(Take::Loading)) && loading_since.elapsed() < IDLE {
        tokio::time::sleep(Duration::from_millis(50)).await;
        taken = hosts.take(&key, bytes, budget(net));
    }
    let loaded = match taken {
        Ok(Take::Ready(l)) => l,
        Ok(Take::Loading) => {
            let m = "those layers are still loading here".to_string();
            return answer(send, &refuse(RefuseCode::Busy, m)).await;
        }
        Ok(Take::Load) => {
            let p2 = path.clone();
            let r = range.clone();
            let l = net
                .tasks()
                .spawn_blocking(move || Layers::load(&p2, r).map(Arc::new))
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
            match hosts.loaded(&key, l) {
                Ok(l) => l,
                Err(m) => return answer(send, &refuse(RefuseCode::Model, m)).await,
            }
        }
        Err(m) => return answer(send, &refuse(RefuseCode::Busy, m)).await,
    };
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
        steps(net, peer, &key, &loaded, send, &mut recv).await;
    }
    hosts.release(&key);
    let _ = send.finish();
}

/// The steps of one session, each run and answered in turn.
async fn steps(
    net: &Net,
    peer: NodeId,
    key: &Key,
    layers: &Arc<Layers>,
    send: &mut SendStream,
    recv: &mut RecvStream,
) {
    let hosts = net.stages();
    let pool = hosts.pool(net.node().settings().engine.threads);
    let mut session = Some(layers.session());
    loop {
        let next = tokio::time::timeout(IDLE, wire::read::<Request, _>(recv, wire::MAX_FRAME));
        let (pos, rows, hidden) = match next.await {
            Ok(Ok(Some(Request::StageStep { pos, rows, hidden }))) => (pos, rows, hidden),
            Ok(Ok(None)) | Err(_) => return,
            Ok(Ok(Some(other))) => {
                let m = format!(
                    "sent {} on a stage's stream",
                    super::super::serve::kind(&other)
                );
                net.strike(&peer, &m);
                return answer(send, &Reply::refused(RefuseCode::Invalid, m)).await;
            }
            Ok(Err(e)) => {
                net.strike(&peer, &format!("a stage's step: {e}"));
                return answer(send, &Reply::refused(RefuseCode::Invalid, e.to_string())).await;
            }
        };
        let Some(x) = wire::decode_vector(&hidden) else {
            let m = "a step's rows are not finite f32s in base64".to_string();
            net.strike(&peer, &m);
            return answer(send, &Reply::refused(RefuseCode::Invalid, m)).await;
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
        let reply = match out {
            Ok(y) => {
                hosts.count(key, peer, rows, ms);
                Reply::StageOut {
                    rows,
                    hidden: wire::encode_vector(&y),
                    ms,
                }
            }
            // A step that does not follow the session (a position it does not hold, rows of
            // the wrong width): the coordinator's bug or ill will; the stream ends.
            Err(m) => {
                net.strike(&peer, &format!("a stage's step: {m}"));
                return answer(send, &Reply::refused(RefuseCode::Invalid, m)).await;
            }
        };
        if wire::write(send, &reply).await.is_err() {
            return;
        }
    }
}

async fn answer(send: &mut SendStream, reply: &Reply) {
    let _ = wire::write(send, reply).await;
    let _ = send.finish();
}

/// How long a stage is given for a step of `rows` rows before its coordinator takes it for
/// stalled: generous, since a loaded machine is slow without any ill will.
pub fn step_wait(rows: u32) -> Duration {
    Duration::from_secs(5) + Duration::from_millis(20 * u64::from(rows))
}
