//! Spot checks of stages: nothing else tells a coordinator that a stage ran its layers. A
//! sequence is checked at the rate `--pipeline-checks` (drawn when it starts, so a stage
//! cannot tell): one of its stages, drawn at random, has the rows it got and the rows it gave
//! back kept (up to [`KEEP`] bytes: a prefix of a very long sequence). A stage that fails
//! mid-sequence is checked on what it ran: failing does not dodge a check. When the job ends,
//! the other stages are paid, and the watched one waits: a node that ran no part of the job,
//! drawn at random (among the nodes that hold the model's file first), runs the same inputs in
//! the same chunks from an empty cache, under a job id like any stage's. Its rows must equal
//! the stage's (to [`AGREE`]; candle on one build gives them bit for bit).
//!
//! When they differ, a second verifier settles it: the node the other two disagree with is
//! not paid for the job, and is banned where its rows are far off ([`FAR`]: made-up rows are
//! no accident), struck where they are near (another build's rounding). When the second
//! differs from both, or no other node has room, nobody can tell: the nodes involved are
//! struck and paid. Verifiers are paid for the positions they ran, as stages, by the
//! coordinator: a checked job costs one stage's share more than the job's price.

use std::collections::HashSet;
use std::ops::Range;
use std::time::Duration;

use super::{Link, Served, exchange, open_stage, plan};
use crate::ids::NodeId;
use crate::net::Net;

/// The most verifiers asked for one check.
const TRIES: usize = 4;
/// The bytes of rows kept for a watched stage (its inputs and outputs).
pub(super) const KEEP: usize = 64 << 20;
/// Checks running at once on a coordinator (a sequence drawn meanwhile is not checked).
const AT_ONCE: usize = 2;
/// How long a check may take in all before the stage is paid unchecked.
pub(super) const WAIT: Duration = Duration::from_secs(300);
/// Rows agree within this relative distance; past [`FAR`] they are made up.
const AGREE: f64 = 1e-3;
const FAR: f64 = 0.05;

static RUNNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(AT_ONCE);

/// A stage under watch: what it got and gave back, step by step.
pub(super) struct Watch {
    pub node: NodeId,
    pub layers: Range<u32>,
    /// `(pos, rows, input)`, and the outputs.
    pub inputs: Vec<(u32, u32, Vec<f32>)>,
    pub outputs: Vec<Vec<f32>>,
    /// Its session ended (it failed, or the plan was made again), or [`KEEP`] was reached:
    /// nothing more is kept, and what is kept does not run to the job's end.
    pub closed: bool,
}

impl Watch {
    pub(super) fn new(node: NodeId, layers: Range<u32>) -> Watch {
        Watch {
            node,
            layers,
            inputs: Vec::new(),
            outputs: Vec::new(),
            closed: false,
        }
    }

    /// Keeps a step it ran, while within [`KEEP`].
    pub(super) fn keep(&mut self, step: (u32, u32, Vec<f32>), out: Vec<f32>) {
        let held: usize = self.outputs.iter().map(|o| o.len() * 8).sum();
        if self.closed || held + out.len() * 8 > KEEP {
            self.closed = true;
            return;
        }
        self.inputs.push(step);
        self.outputs.push(out);
    }
}

/// What a check decided, for the pay.
#[derive(Default)]
pub(super) struct Verdict {
    /// A node whose rows two others disagree with: not paid for anything of the job.
    pub odd: Option<NodeId>,
    /// The verifiers, paid for what they ran (the odd one out excepted).
    pub verifiers: Vec<Served>,
}

/// Whether a sequence is checked, at `rate`.
pub(super) fn draw(rate: f64) -> bool {
    rate > 0.0 && (crate::ids::random_u64() as f64 / u64::MAX as f64) < rate
}

/// How far apart two nodes' rows are: the largest, over steps, of the distance between them
/// over the size of the second (both Euclidean); infinite where their shapes differ.
fn gap(a: &[Vec<f32>], b: &[Vec<f32>]) -> f64 {
    if a.len() != b.len() {
        return f64::INFINITY;
    }
    a.iter().zip(b).fold(0.0, |worst, (x, y)| {
        if x.len() != y.len() {
            return f64::INFINITY;
        }
        let d: f64 = x.iter().zip(y).map(|(p, q)| f64::from(p - q).powi(2)).sum();
        let n: f64 = y.iter().map(|q| f64::from(*q).powi(2)).sum();
        worst.max(d.sqrt() / (n.sqrt() + 1e-6))
    })
}

/// Checks the stage `w` watched, in a job that `job_nodes` ran (see the module's doc); a
/// check that cannot start at once (too many run) or ends past [`WAIT`] decides nothing.
pub(super) async fn check(net: &Net, link: &Link, job_nodes: HashSet<NodeId>, w: Watch) -> Verdict {
    let Ok(_running) = RUNNING.try_acquire() else {
        tracing::info!("a check of a stage is skipped: {AT_ONCE} run already");
        link.update(|p| p.skipped += 1);
        return Verdict::default();
    };
    let at = (w.node, w.layers.clone());
    let (mut verdict, outcome) =
        match tokio::time::timeout(WAIT, settle(net, link, job_nodes, w)).await {
            Ok(r) => r,
            Err(_) => (
                Verdict::default(),
                format!("no verdict within {}s", WAIT.as_secs()),
            ),
        };
    tracing::info!(
        "check of layers {}..{} on {}: {outcome}",
        at.1.start,
        at.1.end,
        at.0.short()
    );
    let caught = verdict.odd == Some(at.0);
    verdict.verifiers.retain(|s| Some(s.node) != verdict.odd);
    link.update(|p| {
        p.checks += 1;
        p.caught += u64::from(caught);
        p.last_check = Some(outcome);
    });
    verdict
}

/// Runs the check: the verdict, and what it found, in words.
async fn settle(net: &Net, link: &Link, mut tried: HashSet<NodeId>, w: Watch) -> (Verdict, String) {
    let mut verdict = Verdict::default();
    tried.insert(w.node);
    let mut first: Option<(NodeId, Vec<Vec<f32>>)> = None;
    let mut asked = 0;
    let outcome = loop {
        let found = verifier(net, link, &w.layers, &tried).filter(|_| asked < TRIES);
        let Some(v) = found else {
            break match &first {
                None => "no node that ran no part of the job could check it".to_string(),
                Some((v, _)) => {
                    let why = "its rows and a verifier's differ, and no third node could settle it";
                    net.strike(&w.node, why);
                    net.strike(v, why);
                    format!(
                        "{} and {} disagree; nobody could settle it",
                        w.node.short(),
                        v.short()
                    )
                }
            };
        };
        tried.insert(v);
        asked += 1;
        let (rows, served) = match rerun(net, link, v, &w).await {
            Ok(r) => r,
            Err(e) => {
                tracing::info!("a check of a stage on {} failed: {e}", v.short());
                continue;
            }
        };
        verdict.verifiers.push(served);
        let apart = gap(&rows, &w.outputs);
        let Some((v1, rows1)) = first.take() else {
            if apart <= AGREE {
                break format!("{}'s layers check out on {}", w.node.short(), v.short());
            }
            first = Some((v, rows));
            continue;
        };
        // Two verifiers: the odd one out is the one the other two agree against.
        let (odd, far) = if apart <= AGREE {
            (v1, gap(&rows1, &w.outputs))
        } else if gap(&rows, &rows1) <= AGREE {
            (w.node, apart)
        } else {
            let why = "three nodes ran one stage's inputs to three answers";
            for n in [w.node, v1, v] {
                net.strike(&n, why);
            }
            break why.to_string();
        };
        let role = if odd == w.node {
            "a stage"
        } else {
            "a verifier"
        };
        let why =
            format!("its rows as {role} were not its layers' (two nodes agree; {far:.3} apart)");
        if far > FAR {
            net.ban(&odd, &why);
        } else {
            net.strike(&odd, &why);
        }
        verdict.odd = Some(odd);
        break format!("{} caught: {why}", odd.short());
    };
    (verdict, outcome)
}

/// A node not in `tried` with room for `layers`, drawn at random among those that hold the
/// model's file, else among those that fetch slices.
fn verifier(
    net: &Net,
    link: &Link,
    layers: &Range<u32>,
    tried: &HashSet<NodeId>,
) -> Option<NodeId> {
    let l = &link.0;
    let need = l.layout.stage_bytes(layers.clone()) + l.layout.kv_for(layers.clone(), l.positions);
    let (holders, all) = super::candidates(net, &l.model, tried);
    let fits = |c: Vec<plan::Candidate>| -> Vec<NodeId> {
        c.into_iter()
            .filter(|c| c.free >= need)
            .map(|c| c.id)
            .collect()
    };
    let pool = Some(fits(holders))
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| fits(all));
    (!pool.is_empty()).then(|| pool[(crate::ids::random_u64() % pool.len() as u64) as usize])
}

/// Runs `w`'s inputs through its layers on `v`: its rows, and what it ran, for its pay.
async fn rerun(
    net: &Net,
    link: &Link,
    v: NodeId,
    w: &Watch,
) -> Result<(Vec<Vec<f32>>, Served), String> {
    let stage = plan::Stage {
        node: v,
        layers: w.layers.clone(),
    };
    // A job id like any sequence's: a verifier cannot tell it checks.
    let job = format!("pipe-{}", crate::ids::random_hex(6));
    let mut open = open_stage(net, link, &job, &stage).await?;
    let (rows, compute) = exchange(&mut open, &w.inputs, link.0.layout.hidden).await?;
    if let Some(last) = w.inputs.last() {
        open.ran = (last.0 + last.1) as usize;
    }
    open.run.steps = w.inputs.len() as u64;
    open.run.compute_ms = compute;
    Ok((rows, Served::of(open, !w.closed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_apart_are_measured_against_their_size() {
        let a = vec![vec![3.0f32, 4.0], vec![1.0, 0.0]];
        assert_eq!(gap(&a, &a), 0.0);
        // A quarter more in every value: a quarter apart, however big the values.
        let b: Vec<Vec<f32>> = a
            .iter()
            .map(|r| r.iter().map(|v| v * 1.25).collect())
            .collect();
        assert!((gap(&b, &a) - 0.25).abs() < 1e-6, "{}", gap(&b, &a));
        // Rounding far below a thousandth agrees.
        let c: Vec<Vec<f32>> = a
            .iter()
            .map(|r| r.iter().map(|v| v + 1e-6).collect())
            .collect();
        assert!(gap(&c, &a) <= AGREE);
        // Another shape, or another number of steps, is as far as can be.
        assert_eq!(gap(&a[..1], &a), f64::INFINITY);
        assert_eq!(gap(&[vec![1.0]], &[vec![1.0, 2.0]]), f64::INFINITY);
    }
}
