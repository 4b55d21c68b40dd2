//! Planning a pipeline: which nodes run which layers. Pure: the coordinator hands in what it
//! knows (the model's layer sizes, each candidate's announced free memory and measured round
//! trip) and acts on the plan.
//!
//! The fewest stages that fit win (each stage adds a round trip per token), then the nodes
//! with the most room, then the nearest. Layers are split as evenly as the nodes' memory
//! allows, since the slowest stage sets the pace of every token.

use std::ops::Range;

use crate::ids::NodeId;

/// A node that may run a stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: NodeId,
    /// Bytes free for stages, as it announced.
    pub free: u64,
    /// Round trip, milliseconds (0 for this node itself).
    pub rtt_ms: f64,
}

/// One stage of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub node: NodeId,
    pub layers: Range<u32>,
}

/// Why no plan.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("no node offers room for a stage of this model")]
    NoCandidates,
    #[error("it is to run in at least {want} stages; {have} nodes offer room for one")]
    TooFew { want: usize, have: usize },
    #[error(
        "its {layers} layers need {need} bytes across stages; the {nodes} nodes that offer \
         room have {free} between them"
    )]
    TooSmall {
        layers: u32,
        need: u64,
        nodes: usize,
        free: u64,
    },
}

/// The plan for a model whose layers weigh `layer_bytes` (each stage also needing
/// `need(range)`), on `candidates`, in at least `min_stages` stages.
pub fn plan(
    layers: u32,
    need: impl Fn(Range<u32>) -> u64,
    candidates: &[Candidate],
    min_stages: usize,
) -> Result<Vec<Stage>, PlanError> {
    if candidates.is_empty() || layers == 0 {
        return Err(PlanError::NoCandidates);
    }
    let mut order: Vec<&Candidate> = candidates.iter().collect();
    // Most room first, then nearest; the id breaks ties so that a plan is reproducible.
    order.sort_by(|a, b| {
        b.free
            .cmp(&a.free)
            .then(a.rtt_ms.total_cmp(&b.rtt_ms))
            .then(a.id.cmp(&b.id))
    });
    let most = order.len().min(layers as usize);
    if min_stages > most {
        return Err(PlanError::TooFew {
            want: min_stages,
            have: order.len(),
        });
    }
    for k in min_stages.max(1)..=most {
        let chosen = &order[..k];
        if let Some(stages) = even(layers, &need, chosen).or_else(|| filled(layers, &need, chosen))
        {
            return Ok(stages);
        }
    }
    Err(PlanError::TooSmall {
        layers,
        need: need(0..layers),
        nodes: order.len(),
        free: order.iter().map(|c| c.free).sum(),
    })
}

/// `layers` in `k` ranges as even as can be (the first ones one layer longer).
fn even_ranges(layers: u32, k: u32) -> Vec<Range<u32>> {
    let (base, extra) = (layers / k, layers % k);
    let mut start = 0;
    (0..k)
        .map(|i| {
            let len = base + u32::from(i < extra);
            let r = start..start + len;
            start += len;
            r
        })
        .collect()
}

/// An even split, the longest ranges on the roomiest nodes, if each fits.
fn even(
    layers: u32,
    need: &impl Fn(Range<u32>) -> u64,
    chosen: &[&Candidate],
) -> Option<Vec<Stage>> {
    let ranges = even_ranges(layers, chosen.len() as u32);
    ranges
        .into_iter()
        .zip(chosen)
        .map(|(r, c)| {
            (need(r.clone()) <= c.free).then_some(Stage {
                node: c.id,
                layers: r,
            })
        })
        .collect()
}

/// Each node in turn takes as many layers as fit it, the last what is left, if it fits.
fn filled(
    layers: u32,
    need: &impl Fn(Range<u32>) -> u64,
    chosen: &[&Candidate],
) -> Option<Vec<Stage>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in chosen.iter().enumerate() {
        if start == layers {
            break;
        }
        // Leave at least one layer for each node after this one.
        let left_for_rest = (chosen.len() - i - 1) as u32;
        let mut end = start;
        while end < layers.saturating_sub(left_for_rest) && need(start..end + 1) <= c.free {
            end += 1;
        }
        if end == start {
            return None;
        }
        out.push(Stage {
            node: c.id,
            layers: start..end,
        });
        start = end;
    }
    (start == layers).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(n: u8, free: u64, rtt_ms: f64) -> Candidate {
        Candidate {
            id: NodeId::from_bytes([n; 32]),
            free,
            rtt_ms,
        }
    }

    /// 10 layers of 10 bytes, plus 5 per stage.
    fn need(r: Range<u32>) -> u64 {
        u64::from(r.end - r.start) * 10 + 5
    }

    fn shape(p: &[Stage]) -> Vec<(u8, Range<u32>)> {
        p.iter()
            .map(|s| (s.node.as_bytes()[0], s.layers.clone()))
            .collect()
    }

    #[test]
    fn one_node_that_holds_it_all_is_one_stage() {
        let p = plan(10, need, &[node(1, 50, 1.0), node(2, 200, 9.0)], 1).unwrap();
        assert_eq!(shape(&p), vec![(2, 0..10)]);
    }

    #[test]
    fn the_fewest_stages_that_fit_split_evenly() {
        let c = [node(1, 60, 1.0), node(2, 60, 2.0), node(3, 60, 3.0)];
        assert_eq!(
            shape(&plan(10, need, &c, 1).unwrap()),
            vec![(1, 0..5), (2, 5..10)]
        );
        // Asked for three stages: three.
        assert_eq!(
            shape(&plan(10, need, &c, 3).unwrap()),
            vec![(1, 0..4), (2, 4..7), (3, 7..10)]
        );
    }

    #[test]
    fn uneven_room_fills_the_roomy_node_first() {
        // 80 bytes hold 7 layers, 40 hold 3: an even split (5 + 5) does not fit.
        let c = [node(1, 40, 1.0), node(2, 80, 1.0)];
        assert_eq!(
            shape(&plan(10, need, &c, 1).unwrap()),
            vec![(2, 0..7), (1, 7..10)]
        );
    }

    #[test]
    fn too_little_room_says_how_much_is_missing() {
        let c = [node(1, 30, 1.0), node(2, 30, 1.0)];
        let e = plan(10, need, &c, 1).unwrap_err();
        assert!(matches!(e, PlanError::TooSmall { free: 60, .. }), "{e}");
        assert_eq!(plan(10, need, &[], 1), Err(PlanError::NoCandidates));
        // Asked for more stages than there are nodes: no quiet plan of fewer.
        let e = plan(10, need, &c, 3).unwrap_err();
        assert_eq!(e, PlanError::TooFew { want: 3, have: 2 });
    }

    #[test]
    fn equal_room_prefers_the_nearest() {
        let c = [node(1, 200, 30.0), node(2, 200, 2.0)];
        assert_eq!(shape(&plan(10, need, &c, 1).unwrap()), vec![(2, 0..10)]);
    }
}
