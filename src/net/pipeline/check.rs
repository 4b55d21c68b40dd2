//! Spot checks of stages: nothing else tells a coordinator that a stage ran its layers. A
//! sequence is checked at the rate `--pipeline-checks` (drawn when it starts, so a stage
//! cannot tell): one of its stages, drawn at random, has the rows it got and the rows it gave
//! back kept for the sequence. When the job ends, and before any stage is paid, another node
//! with room for those layers (drawn at random, so a stage cannot count on a friend) runs the
//! same inputs, in the same chunks, from an empty cache; its rows must equal the stage's (to a
//! thousandth, though candle on one build gives them bit for bit).
//!
//! When they differ, a second node settles it: the one the other two disagree with is banned
//! (a made-up row is no accident) and is not paid for the job. When the second differs from
//! both, or no second node has room, nobody can tell: the two are struck and paid. A verifier
//! is paid for the positions it ran, as a stage, by the coordinator; the job's price is the
//! job's, and a check costs the coordinator one stage's share more.

use std::ops::Range;

use super::{Link, Served, exchange, open_stage, plan};
use crate::ids::NodeId;
use crate::net::Net;

/// The most verifiers asked for one check.
const TRIES: usize = 4;

/// A stage under watch: what it got and gave back, step by step.
pub(super) struct Watch {
    pub node: NodeId,
    pub layers: Range<u32>,
    /// `(pos, rows, input, output)`.
    pub steps: Vec<(u32, u32, Vec<f32>, Vec<f32>)>,
}

/// What a check decided, for the pay.
#[derive(Default)]
pub(super) struct Verdict {
    /// A node caught making up rows: not paid for anything of the job.
    pub liar: Option<NodeId>,
    /// The verifiers, paid for what they ran.
    pub verifiers: Vec<Served>,
}

/// Whether a sequence is checked, at `rate`.
pub(super) fn draw(rate: f64) -> bool {
    rate > 0.0 && (crate::ids::random_u64() as f64 / u64::MAX as f64) < rate
}

/// The rows of two nodes agree: to a thousandth of their size.
fn agree(a: &[Vec<f32>], b: &[Vec<f32>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| (p - q).abs() <= 1e-3 * (1.0 + p.abs().max(q.abs())))
        })
}

/// Checks the stage `w` watched in job `job` (see the module's doc).
pub(super) async fn check(net: &Net, link: &Link, job: &str, w: Watch) -> Verdict {
    let mut verdict = Verdict::default();
    let theirs: Vec<Vec<f32>> = w.steps.iter().map(|s| s.3.clone()).collect();
    let mut tried = std::collections::HashSet::from([w.node]);
    let mut first: Option<(NodeId, Vec<Vec<f32>>)> = None;
    let outcome = loop {
        // Nodes that refuse or fail are passed over, a few of them.
        let found = verifier(net, link, &w.layers, &tried).filter(|_| tried.len() <= TRIES);
        let Some(v) = found else {
            break match &first {
                None => "no other node has room to check it".to_string(),
                Some((v, _)) => {
                    let why = "its rows and a verifier's differ, and no third node has room";
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
        let (rows, served) = match rerun(net, link, job, v, &w).await {
            Ok(r) => r,
            Err(e) => {
                tracing::info!("{job}: the check of a stage on {} failed: {e}", v.short());
                continue;
            }
        };
        verdict.verifiers.push(served);
        match first.take() {
            None if agree(&rows, &theirs) => {
                break format!("{}'s layers check out on {}", w.node.short(), v.short());
            }
            None => first = Some((v, rows)),
            Some((v1, rows1)) => {
                let (liar, why) = if agree(&rows, &theirs) {
                    (
                        v1,
                        "its rows as a verifier were not its layers' (two nodes agree)",
                    )
                } else if agree(&rows, &rows1) {
                    (
                        w.node,
                        "its rows as a stage were not its layers' (two verifiers agree)",
                    )
                } else {
                    let why = "three nodes ran one stage's inputs to three answers";
                    for n in [w.node, v1, v] {
                        net.strike(&n, why);
                    }
                    break why.to_string();
                };
                net.ban(&liar, why);
                verdict.liar = Some(liar);
                break format!("{} caught: {why}", liar.short());
            }
        }
    };
    tracing::info!(
        "{job}: check of layers {}..{} on {}: {outcome}",
        w.layers.start,
        w.layers.end,
        w.node.short()
    );
    let caught = verdict.liar.is_some();
    link.update(|p| {
        p.checks += 1;
        p.caught += u64::from(caught);
        p.last_check = Some(outcome);
    });
    verdict
}

/// A node other than those `tried` with room for `layers`, drawn at random.
fn verifier(
    net: &Net,
    link: &Link,
    layers: &Range<u32>,
    tried: &std::collections::HashSet<NodeId>,
) -> Option<NodeId> {
    let l = &link.0;
    let need = l.layout.stage_bytes(layers.clone()) + l.layout.kv_for(layers.clone(), l.positions);
    let (_, all) = super::candidates(net, &l.model, tried);
    let fit: Vec<plan::Candidate> = all.into_iter().filter(|c| c.free >= need).collect();
    if fit.is_empty() {
        return None;
    }
    Some(fit[(crate::ids::random_u64() % fit.len() as u64) as usize].id)
}

/// Runs `w`'s inputs through `layers` on `v`: its rows, and what it ran, for its pay.
async fn rerun(
    net: &Net,
    link: &Link,
    job: &str,
    v: NodeId,
    w: &Watch,
) -> Result<(Vec<Vec<f32>>, Served), String> {
    let stage = plan::Stage {
        node: v,
        layers: w.layers.clone(),
    };
    let mut open = open_stage(net, link, job, &stage).await?;
    let xs: Vec<(u32, u32, Vec<f32>)> = w
        .steps
        .iter()
        .map(|(pos, rows, x, _)| (*pos, *rows, x.clone()))
        .collect();
    let (rows, compute) = exchange(&mut open, &xs, link.0.layout.hidden).await?;
    if let Some(last) = xs.last() {
        open.ran = (last.0 + last.1) as usize;
    }
    open.run.steps = xs.len() as u64;
    open.run.compute_ms = compute;
    Ok((rows, Served::of(open, true)))
}
