//! Pipelines: one model across several nodes. This node coordinates (it holds the model's
//! ends, tokenizes, samples and streams the answer as for any local model); its peers each run
//! a contiguous range of the model's layers ([`host`]), planned from their announced memory
//! ([`plan`]).
//!
//! Per forward pass the coordinator sends the first stage the embedded rows, hands each
//! stage's output to the next, and turns the last one's into logits: one round trip per stage,
//! carrying `rows × hidden` f32s each way (2.3 KB a token for SmolLM2-135M). Each stage keeps
//! the KV cache of its layers.
//!
//! The coordinator keeps every step it sent the first stage. When a stage fails (its stream
//! breaks, it refuses, or it stalls past [`host::step_wait`]: 20 times its usual time for a
//! token, at least 1 s), the pipeline is planned again
//! without that node and the steps are replayed through the new stages, in the same chunks
//! (so each stage's cache is bit for bit what it was), before the step that failed runs
//! again: the answer goes on from the tokens already streamed, none lost or repeated
//! (Petals' client-side replay).

mod check;
pub mod host;
pub mod plan;
mod slice;

use std::collections::HashSet;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use iroh::endpoint::{RecvStream, SendStream};
use serde::{Deserialize, Serialize};

use super::Net;
use super::wire::{self, Reply, Request};
use crate::engine::stage::{Layout, Remote, RemoteSession};
use crate::ids::NodeId;

/// How many times a step is planned again before its job fails.
const MAX_REPLANS: usize = 4;
/// How long a stage may take to load its layers and answer `StageReady`.
const OPEN_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Where a coordinator's model runs: the network, once it is up. Cheap to clone.
#[derive(Clone)]
pub struct Link(Arc<LinkInner>);

struct LinkInner {
    /// `NAME:QUANT`.
    model: String,
    layout: Layout,
    min_stages: usize,
    /// The most positions a sequence holds (the stages reserve their KV caches for them).
    positions: u32,
    /// The share of sequences whose stages are checked (`--pipeline-checks`).
    checks: f64,
    handle: tokio::runtime::Handle,
    net: OnceLock<Net>,
    view: Mutex<Pipeline>,
    /// The last plan that opened: the next sequence tries it first, where its layers are
    /// loaded already (a host's announced room lags, and does not count layers it holds).
    last: Mutex<Vec<plan::Stage>>,
}

/// A pipeline as status shows it: its last plan, with what each stage did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub model: String,
    pub layers: u32,
    pub stages: Vec<StageView>,
    /// Times a pipeline of this model was planned again after a stage failed or refused.
    pub replans: u64,
    /// Sequences run, and forward passes.
    pub sequences: u64,
    pub steps: u64,
    /// The last failure of a stage, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
    /// Stages checked by another node ([`check`]), those caught making up rows, and what the
    /// last check found.
    #[serde(default)]
    pub checks: u64,
    #[serde(default)]
    pub caught: u64,
    /// Checks drawn but not run (too many ran at once).
    #[serde(default)]
    pub skipped: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check: Option<String>,
}

/// One stage of a plan, with its work.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageView {
    pub node: String,
    pub layers: [u32; 2],
    pub steps: u64,
    /// Its compute time in all, as it reported, and the round trips as measured here.
    pub compute_ms: f64,
    pub round_trip_ms: f64,
}

impl Link {
    /// The link of a coordinator of `model` (`NAME:QUANT`) laid out as `layout`, planned in at
    /// least `min_stages` stages, for sequences of at most `positions` positions, a share
    /// `checks` of them checked. It works once [`Link::attach`] gave it the network.
    pub fn new(
        model: String,
        layout: Layout,
        (min_stages, positions): (usize, u32),
        checks: f64,
    ) -> Link {
        let view = Pipeline {
            model: model.clone(),
            layers: layout.layers(),
            ..Default::default()
        };
        Link(Arc::new(LinkInner {
            model,
            layout,
            min_stages: min_stages.max(1),
            positions: positions.clamp(1, crate::engine::stage::MAX_POSITIONS as u32),
            checks: checks.clamp(0.0, 1.0),
            handle: tokio::runtime::Handle::current(),
            net: OnceLock::new(),
            view: Mutex::new(view),
            last: Mutex::new(Vec::new()),
        }))
    }

    pub fn attach(&self, net: Net) {
        let _ = self.0.net.set(net);
    }

    pub fn view(&self) -> Pipeline {
        self.0.view.lock().expect("pipeline view").clone()
    }

    fn update(&self, f: impl FnOnce(&mut Pipeline)) {
        f(&mut self.0.view.lock().expect("pipeline view"));
    }
}

impl Remote for Link {
    fn open(&self) -> Box<dyn RemoteSession> {
        Box::new(Chain {
            link: self.clone(),
            id: format!("pipe-{}", crate::ids::random_hex(6)),
            seq: 0,
            stages: Vec::new(),
            history: Vec::new(),
            avoid: HashSet::new(),
            left: Vec::new(),
            check_next: false,
            watch: None,
        })
    }
}

/// What a stage ran of a sequence, for its pay: positions `0..upto` (one that joined by a
/// replay ran them all), and whether it ran to the job's end; and its work, for the job's
/// detail.
#[derive(Debug, Clone, PartialEq)]
struct Served {
    node: NodeId,
    layers: Range<u32>,
    upto: usize,
    to_end: bool,
    run: crate::job::StageRun,
}

impl Served {
    /// What `o` ran, as it leaves the sequence (at its end, or replaced).
    fn of(o: Open, to_end: bool) -> Served {
        let mut send = o.send;
        // The session ends here: the stage lets its cache go.
        let _ = send.finish();
        Served {
            node: o.node,
            run: crate::job::StageRun {
                node: o.node.to_string(),
                layers: [o.layers.start, o.layers.end],
                replaced: !to_end,
                ..o.run
            },
            layers: o.layers,
            upto: o.ran,
            to_end,
        }
    }
}

/// A step as the first stage got it.
struct Step {
    pos: u32,
    rows: u32,
    x: Vec<f32>,
}

/// An open stage: its node, its layers, its stream, and the positions whose output came back
/// from it (what it is paid for).
struct Open {
    node: NodeId,
    layers: Range<u32>,
    send: SendStream,
    recv: RecvStream,
    ran: usize,
    /// Its round trips for one-row steps: how many, and their mean (ms).
    trips: (u32, f64),
    /// Its work for this sequence.
    run: crate::job::StageRun,
}

/// One sequence through the stages.
struct Chain {
    link: Link,
    id: String,
    /// Sequences this chain ran before the current one (each a job: its receipts' job ids).
    seq: u64,
    stages: Vec<Open>,
    history: Vec<Step>,
    /// Nodes that failed or refused this sequence.
    avoid: HashSet<NodeId>,
    /// Stages of this sequence that failed, with what they ran.
    left: Vec<Served>,
    /// Whether this sequence is checked, and the stage watched for it (dropped when a stage
    /// fails: the check is of a stage that ran the whole sequence).
    check_next: bool,
    watch: Option<check::Watch>,
}

impl RemoteSession for Chain {
    fn forward(&mut self, x: Vec<f32>, rows: usize, pos: usize) -> Result<Vec<f32>, String> {
        let net = self
            .link
            .0
            .net
            .get()
            .cloned()
            .ok_or("the network is not up yet: a pipeline's layers run on peers")?;
        let held: u32 = self.history.last().map_or(0, |s| s.pos + s.rows);
        if pos == 0 {
            self.history.clear();
            self.link.update(|v| v.sequences += 1);
            self.check_next = check::draw(self.link.0.checks);
            self.watch = None;
        } else if pos as u32 != held {
            return Err(format!(
                "the pipeline holds {held} positions; the step starts at {pos}"
            ));
        }
        self.history.push(Step {
            pos: pos as u32,
            rows: rows as u32,
            x,
        });
        let handle = self.link.0.handle.clone();
        handle.block_on(self.run(&net))
    }

    fn finish(&mut self, prompt: u32, generated: u32) -> Vec<crate::job::StageRun> {
        let mut served = std::mem::take(&mut self.left);
        served.extend(self.stages.drain(..).map(|o| Served::of(o, true)));
        let runs = served.iter().map(|s| s.run.clone()).collect();
        let watch = self.watch.take().filter(|w| {
            !w.inputs.is_empty()
                && served
                    .iter()
                    .any(|s| s.node == w.node && s.layers == w.layers)
        });
        self.history.clear();
        self.avoid.clear();
        let job = format!("{}-{}", self.id, self.seq);
        self.seq += 1;
        let link = &self.link.0;
        let Some(net) = link.net.get().cloned() else {
            return runs;
        };
        let bill = Bill {
            job,
            model: link.model.clone(),
            layers: link.layout.layers(),
            prompt,
            generated,
        };
        // Checked and paid aside: the engine goes on with its next step. The watched stage's
        // pay waits for its check; the others' does not.
        let link = self.link.clone();
        let job_nodes: HashSet<NodeId> = served.iter().map(|s| s.node).collect();
        let (held, now): (Vec<Served>, Vec<Served>) = match &watch {
            Some(w) => served.into_iter().partition(|s| s.node == w.node),
            None => (Vec::new(), served),
        };
        link.0.handle.clone().spawn(async move {
            let first = now.len();
            pay(&net, &bill, now, 0).await;
            if let Some(w) = watch {
                let verdict = check::check(&net, &link, job_nodes, w).await;
                let mut later: Vec<Served> = held
                    .into_iter()
                    .filter(|s| Some(s.node) != verdict.odd)
                    .collect();
                later.extend(verdict.verifiers);
                pay(&net, &bill, later, first).await;
            }
        });
        runs
    }
}

impl Chain {
    /// Runs the last step, planning (again) and replaying as needed.
    async fn run(&mut self, net: &Net) -> Result<Vec<f32>, String> {
        let mut last = String::new();
        for _ in 0..MAX_REPLANS {
            if self.stages.is_empty() {
                self.open(net).await?;
                let before = self.history.len() - 1;
                if std::mem::take(&mut self.check_next) && before == 0 {
                    let s = &self.stages
                        [(crate::ids::random_u64() % self.stages.len() as u64) as usize];
                    self.watch = Some(check::Watch::new(s.node, s.layers.clone()));
                }
                if before > 0 {
                    tracing::info!(
                        "{}: replaying {before} steps through the new stages",
                        self.id
                    );
                    if let Err((node, e)) = self.through(0..before).await {
                        last = self.failed(net, node, e);
                        continue;
                    }
                }
            }
            let i = self.history.len() - 1;
            match self.through(i..i + 1).await {
                Ok(mut out) => {
                    self.link.update(|v| v.steps += 1);
                    return Ok(out.pop().unwrap_or_default());
                }
                Err((node, e)) => last = self.failed(net, node, e),
            }
        }
        Err(format!(
            "the pipeline of {} failed {MAX_REPLANS} times; last: {last}",
            self.link.0.model
        ))
    }

    /// A stage failed: its node is avoided from now on and the stages are planned again. The
    /// stages are paid for what they ran when the job ends.
    fn failed(&mut self, net: &Net, node: NodeId, e: String) -> String {
        // A peer's words, bounded: they go to the log and to status.
        let e: String = e.chars().take(200).collect();
        let m = format!("stage on {}: {e}", node.short());
        tracing::warn!("{}: {m}; planning the pipeline again", self.id);
        self.avoid.insert(node);
        // The watched stage is checked on what it ran: failing does not dodge a check.
        if let Some(w) = &mut self.watch {
            w.closed = true;
        }
        // Each is paid for the positions whose output came back from it.
        let left: Vec<Served> = self
            .stages
            .drain(..)
            .map(|o| Served::of(o, false))
            .collect();
        self.left.extend(left);
        net.with_table(|t| t.failure(&node, &m, Instant::now()));
        self.link.update(|v| {
            v.replans += 1;
            v.last_failure = Some(m.clone());
        });
        m
    }

    /// Plans the stages and opens them; a node that refuses is avoided and the plan made again.
    async fn open(&mut self, net: &Net) -> Result<(), String> {
        let link = &self.link.0;
        for _ in 0..MAX_REPLANS {
            let planned = match self.last_plan(net) {
                Some(p) => p,
                None => self.plan(net)?,
            };
            let mut opened = Vec::new();
            let mut refused = None;
            for s in &planned {
                match self.open_one(net, s).await {
                    Ok(o) => opened.push(o),
                    Err(e) => {
                        refused = Some((s.node, e));
                        break;
                    }
                }
            }
            match refused {
                None => {
                    tracing::info!(
                        "{}: {} in {} stages: {}",
                        self.id,
                        link.model,
                        opened.len(),
                        opened
                            .iter()
                            .map(|o| format!(
                                "{}..{} on {}",
                                o.layers.start,
                                o.layers.end,
                                o.node.short()
                            ))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    self.link.update(|v| {
                        v.stages = opened
                            .iter()
                            .map(|o| StageView {
                                node: o.node.to_string(),
                                layers: [o.layers.start, o.layers.end],
                                ..Default::default()
                            })
                            .collect();
                    });
                    self.stages = opened;
                    *link.last.lock().expect("last plan") = planned;
                    return Ok(());
                }
                Some((node, e)) => {
                    let e: String = e.chars().take(200).collect();
                    tracing::info!(
                        "{}: {} refused its stage ({e}); planning again",
                        self.id,
                        node.short()
                    );
                    self.avoid.insert(node);
                    self.link.update(|v| {
                        v.replans += 1;
                        v.last_failure = Some(format!("{} refused: {e}", node.short()));
                    });
                }
            }
        }
        Err(format!(
            "no pipeline for {}: {MAX_REPLANS} plans in a row were refused",
            link.model
        ))
    }

    /// A new plan, on the nodes that hold the model's file if they can run it (one that
    /// fetches its slice makes the first answer wait for it), else on those that fetch too.
    fn plan(&self, net: &Net) -> Result<Vec<plan::Stage>, String> {
        let link = &self.link.0;
        let need = |r: Range<u32>| {
            link.layout.stage_bytes(r.clone()) + link.layout.kv_for(r, link.positions)
        };
        let plan =
            |c: &[plan::Candidate]| plan::plan(link.layout.layers(), need, c, link.min_stages);
        let (holders, all) = candidates(net, &link.model, &self.avoid);
        plan(&holders)
            .or_else(|_| plan(&all))
            .map_err(|e| format!("no pipeline for {}: {e}", link.model))
    }

    /// The last plan that opened, if none of its nodes is avoided and all are still routable.
    fn last_plan(&self, net: &Net) -> Option<Vec<plan::Stage>> {
        let last = self.link.0.last.lock().expect("last plan").clone();
        let usable = !last.is_empty()
            && last.iter().all(|s| {
                !self.avoid.contains(&s.node)
                    && net.with_table(|t| t.get(&s.node).is_some_and(|p| p.routable()))
            });
        usable.then_some(last)
    }

    async fn open_one(&self, net: &Net, s: &plan::Stage) -> Result<Open, String> {
        open_stage(net, &self.link, &self.id, s).await
    }

    /// Runs the steps `steps` of the history through every stage; returns the last stage's
    /// output of each. Each stage gets all of them at once (a replay is one round trip per
    /// stage), written while its answers are read.
    async fn through(&mut self, steps: Range<usize>) -> Result<Vec<Vec<f32>>, (NodeId, String)> {
        let mut xs: Vec<(u32, u32, Vec<f32>)> = self.history[steps]
            .iter()
            .map(|s| (s.pos, s.rows, s.x.clone()))
            .collect();
        let hidden = self.link.0.layout.hidden;
        for (i, stage) in self.stages.iter_mut().enumerate() {
            let started = Instant::now();
            let (out, compute) = exchange(stage, &xs, hidden)
                .await
                .map_err(|e| (stage.node, e))?;
            if let Some(w) = self
                .watch
                .as_mut()
                .filter(|w| !w.closed && w.node == stage.node && w.layers == stage.layers)
            {
                for ((pos, rows, x), y) in xs.iter().zip(&out) {
                    w.keep((*pos, *rows, x.clone()), y.clone());
                }
            }
            let trip = started.elapsed().as_secs_f64() * 1000.0;
            stage.run.steps += xs.len() as u64;
            stage.run.compute_ms += compute;
            stage.run.round_trip_ms += trip;
            self.link.update(|v| {
                if let Some(s) = v.stages.get_mut(i) {
                    s.steps += xs.len() as u64;
                    s.compute_ms += compute;
                    s.round_trip_ms += trip;
                }
            });
            if let Some(last) = xs.last() {
                stage.ran = stage.ran.max((last.0 + last.1) as usize);
            }
            for (x, y) in xs.iter_mut().zip(out) {
                x.2 = y;
            }
        }
        Ok(xs.into_iter().map(|x| x.2).collect())
    }
}

/// Asks `s.node` to run `s.layers` for job `job` of `link`'s model: the stage, open.
async fn open_stage(net: &Net, link: &Link, job: &str, s: &plan::Stage) -> Result<Open, String> {
    let conn = net.connect(&s.node).await.map_err(|e| format!("{e:#}"))?;
    let (mut send, mut recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
    let req = Request::Stage {
        job: job.to_string(),
        model: link.0.model.clone(),
        layers: [s.layers.start, s.layers.end],
        positions: link.0.positions,
    };
    wire::write(&mut send, &req)
        .await
        .map_err(|e| e.to_string())?;
    let reply = tokio::time::timeout(OPEN_WAIT, wire::read(&mut recv, wire::MAX_SMALL_FRAME))
        .await
        .map_err(|_| format!("no answer within {}s", OPEN_WAIT.as_secs()))?
        .map_err(|e| e.to_string())?;
    let hidden = link.0.layout.hidden;
    match reply {
        Some(Reply::StageReady { hidden: h }) if h as usize == hidden => Ok(Open {
            node: s.node,
            layers: s.layers.clone(),
            send,
            recv,
            ran: 0,
            trips: (0, 0.0),
            run: Default::default(),
        }),
        Some(Reply::StageReady { hidden: h }) => {
            Err(format!("its rows are {h} wide; the model's are {hidden}"))
        }
        Some(Reply::Refused { message, .. }) => Err(message),
        Some(other) => Err(format!("answered {other:?}")),
        None => Err("closed the stream".into()),
    }
}

/// Sends `steps` to one stage and reads its outputs (and their compute time in all). A step
/// or an output bigger than a frame goes in several ([`host::frame_rows`]).
async fn exchange(
    stage: &mut Open,
    steps: &[(u32, u32, Vec<f32>)],
    hidden: usize,
) -> Result<(Vec<Vec<f32>>, f64), String> {
    let Open {
        send, recv, trips, ..
    } = stage;
    // Its usual time for a token, once it has answered a few.
    let mean = (trips.0 >= 4).then_some(trips.1);
    let per = host::frame_rows(hidden);
    let write = async {
        for (pos, _, x) in steps {
            let parts: Vec<&[f32]> = x.chunks(per * hidden).collect();
            for (i, part) in parts.iter().enumerate() {
                let step = Request::StageStep {
                    pos: *pos,
                    rows: (part.len() / hidden) as u32,
                    hidden: wire::encode_vector(part),
                    more: i + 1 < parts.len(),
                };
                wire::write(send, &step).await.map_err(|e| e.to_string())?;
            }
        }
        Ok::<(), String>(())
    };
    let read = async {
        let mut out = Vec::with_capacity(steps.len());
        let mut compute = 0.0;
        for (_, rows, _) in steps {
            let wait = host::step_wait(*rows, mean);
            let started = std::time::Instant::now();
            let (y, ms) = tokio::time::timeout(wait, read_out(recv, *rows, hidden))
                .await
                .map_err(|_| format!("no answer to a step within {:.1}s", wait.as_secs_f64()))??;
            if *rows == 1 && steps.len() == 1 {
                let ms = started.elapsed().as_secs_f64() * 1e3;
                trips.0 = trips.0.saturating_add(1);
                trips.1 += (ms - trips.1) / f64::from(trips.0.min(32));
            }
            // The stage's own word for its time: shown, never trusted past the wait.
            compute += if ms.is_finite() {
                ms.clamp(0.0, wait.as_secs_f64() * 1e3)
            } else {
                0.0
            };
            out.push(y);
        }
        Ok::<_, String>((out, compute))
    };
    let (w, r) = tokio::join!(write, read);
    // A read's error says more than the write's (a refusal, a stall).
    let r = r?;
    w?;
    Ok(r)
}

/// One step's output from a stage, `rows` rows in one or more frames, with its compute time.
async fn read_out(
    recv: &mut RecvStream,
    rows: u32,
    hidden: usize,
) -> Result<(Vec<f32>, f64), String> {
    let mut y: Vec<f32> = Vec::with_capacity(rows as usize * hidden);
    loop {
        match wire::read(recv, wire::MAX_FRAME)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(Reply::StageOut {
                rows: r,
                hidden: h,
                ms,
                more,
            }) => {
                let part = wire::decode_vector(&h)
                    .filter(|p| p.len() == r as usize * hidden)
                    .ok_or("its output is not the rows it says, as finite f32s")?;
                y.extend_from_slice(&part);
                if y.len() > rows as usize * hidden {
                    return Err("its output has more rows than the step".into());
                }
                if !more {
                    if y.len() != rows as usize * hidden {
                        return Err("its output has fewer rows than the step".into());
                    }
                    return Ok((y, ms));
                }
            }
            Some(Reply::Refused { message, .. }) => return Err(message),
            Some(_) => return Err("it answered something other than the step's output".into()),
            None => return Err("closed the stream".into()),
        }
    }
}

/// Peers that may run a stage of `model`: routable, with room for stages, not avoided, and
/// holding its file, or fetching slices of it from peers (`--auto-models`) where this node
/// offers the file. The holders, then all of them.
fn candidates(
    net: &Net,
    model: &str,
    avoid: &HashSet<NodeId>,
) -> (Vec<plan::Candidate>, Vec<plan::Candidate>) {
    let offered = net.offers().iter().any(|f| f.model == model);
    let all: Vec<(bool, plan::Candidate)> = net.with_table(|t| {
        t.peers()
            .filter(|p| p.routable() && !avoid.contains(&p.id))
            .filter_map(|p| {
                let a = p.announcement.as_ref()?;
                let holds = a.files.iter().any(|f| f.model == model);
                let may = holds || (offered && a.auto_models);
                (may && a.stage_free > 0).then(|| {
                    let c = plan::Candidate {
                        id: p.id,
                        free: a.stage_free,
                        rtt_ms: p.rtt.map_or(f64::MAX / 4.0, |r| r.as_secs_f64() * 1000.0),
                    };
                    (holds, c)
                })
            })
            .collect()
    });
    let holders = all.iter().filter(|c| c.0).map(|c| c.1.clone()).collect();
    (holders, all.into_iter().map(|c| c.1).collect())
}

/// What a finished job of a pipeline bills.
struct Bill {
    job: String,
    /// `NAME:QUANT`.
    model: String,
    layers: u32,
    prompt: u32,
    generated: u32,
}

/// The `i`-th stage session's receipt for what it ran of `bill`'s job: its share, by its layers, of the price
/// of the tokens it ran, as one node would have billed them (the prompt, then the answer; the
/// last answer token, which no stage runs, is billed to the stages that ran to the end). The
/// shares of stages that ran the whole job add up to that job's price on one node. `None`
/// when the share rounds to nothing.
fn receipt(
    ledger: &crate::ledger::Ledger,
    bill: &Bill,
    i: usize,
    s: &Served,
) -> Option<crate::ledger::Receipt> {
    let (name, quant) = bill.model.split_once(':')?;
    let facts = ledger.facts(name)?;
    let tokens = s.upto as u64 + u64::from(s.to_end);
    let prompt_tokens = u64::from(bill.prompt).min(tokens);
    let price = ledger.policy().price(facts.parameters, quant, tokens);
    let credits =
        crate::ledger::price::stage_share(price, s.layers.start, s.layers.end, bill.layers);
    (credits > 0 && prompt_tokens > 0).then(|| crate::ledger::Receipt {
        // One receipt per stage session: a node that ran the same layers twice in a job (a
        // plan made again) is paid for each, under its own replay key.
        job: format!("{}-{i}-{}-{}", bill.job, s.layers.start, s.layers.end),
        requester: ledger.id(),
        worker: s.node,
        model: name.to_string(),
        quant: crate::ledger::price::stage_quant(quant, s.layers.clone(), bill.layers),
        prompt_tokens: prompt_tokens as u32,
        completion_tokens: (tokens - prompt_tokens) as u32,
        credits,
        time_ms: crate::ids::now_ms(),
    })
}

/// Pays each stage that ran part of a job: a spend entry on this node's chain, delivered to
/// the stage, which checks it as any payment (its price, this chain) and records its earning.
/// A stage that does not confirm is paid again later (`remote::redeliver`).
async fn pay(net: &Net, bill: &Bill, served: Vec<Served>, from: usize) {
    let Some(ledger) = net.node().ledger().cloned() else {
        return;
    };
    tracing::debug!(
        "{}: {} prompt and {} answer tokens",
        bill.job,
        bill.prompt,
        bill.generated
    );
    for (i, s) in served.iter().enumerate() {
        let Some(r) = receipt(&ledger, bill, from + i, s) else {
            continue;
        };
        let hold = match ledger.hold(r.credits) {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(
                    "{}: cannot pay {} credits to the stage on {}: {e}",
                    r.job,
                    r.credits,
                    s.node.short()
                );
                continue;
            }
        };
        let e = match ledger.spend(hold, r.clone()).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!("{}: paying the stage on {}: {e}", r.job, s.node.short());
                continue;
            }
        };
        tracing::info!(
            "{}: paid {} credits to the stage on {} (layers {}..{})",
            r.job,
            e.amount,
            s.node.short(),
            s.layers.start,
            s.layers.end
        );
        let paid = Request::Paid {
            entry: hex::encode(e.encode()),
            head: Box::new(ledger.head_of(&e)),
        };
        match net.call(&s.node, &paid).await {
            Ok(Reply::Settled { .. }) => ledger.confirm(&r),
            Ok(other) => tracing::info!("{}: the stage answered {other:?}", r.job),
            Err(e) => tracing::debug!("{}: payment not delivered yet: {e:#}", r.job),
        }
    }
}
