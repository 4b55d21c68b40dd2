//! Judging a claimed answer, position by position, from what the model itself computes there
//! (`engine::score`): under greedy decoding each claimed token is the model's top token, or
//! within a tolerance of it (honest nodes differ in the last bits of their logits: thread
//! counts, batch neighbours); under sampling each lies inside what top-k, top-p and min-p let
//! through, with the same tolerance at their edges. Where the answer ended, ending was a choice
//! the same rules allow; where it went on, going on was (so running past the end to bill more,
//! or cutting an answer short, fails like any other wrong token).

use crate::engine::score::{MIN_P, Position, TOP_K};
use crate::job::Sampling;

/// How far an honest node may stray from the checker's own numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Logits: a claimed token this close to the top counts as the top (a near-tie).
    pub gap: f32,
    /// Probability: slack on top-p's edge.
    pub mass: f32,
    /// Ranks: slack on top-k's edge.
    pub rank: u32,
}

impl Default for Tolerance {
    fn default() -> Tolerance {
        Tolerance {
            gap: 0.5,
            mass: 0.02,
            rank: 2,
        }
    }
}

impl Tolerance {
    /// A checker on one engine judging an answer another computed: llama.cpp's and candle's
    /// logits differ by up to 0.63 where their tokens agree (measured on the default model;
    /// `cargo test engines::`), so the gap allows that on top of the usual slack.
    pub fn across_engines() -> Tolerance {
        Tolerance {
            gap: 1.5,
            mass: 0.05,
            rank: 4,
        }
    }

    /// The tolerance for a checker on `checker` judging an answer `worker` computed.
    pub fn between(checker: crate::engine::EngineKind, worker: crate::engine::EngineKind) -> Self {
        if checker == worker {
            Tolerance::default()
        } else {
            Tolerance::across_engines()
        }
    }
}

/// What a check found wrong, at which answer position (0 is the first answer token; the
/// answer's length is the position after the last).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Fault {
    #[error(
        "at answer token {at}: token {claimed} is not the model's choice ({top} is, by {gap:.2} logits)"
    )]
    NotTop {
        at: usize,
        claimed: u32,
        top: u32,
        gap: f32,
    },
    #[error(
        "at answer token {at}: token {claimed} is outside what the sampling settings allow ({why})"
    )]
    Outside {
        at: usize,
        claimed: u32,
        why: String,
    },
    #[error("at answer token {at}: the answer went on where the model ends it (p(end) = {end:.3})")]
    PastTheEnd { at: usize, end: f32 },
    #[error("the answer ends at token {at}, where the model would not end it ({why})")]
    EndedEarly { at: usize, why: String },
    #[error("at answer token {at}: the answer went on past a stop sequence it had met")]
    PastStop { at: usize },
}

impl Fault {
    /// The answer position where the fault is (the answer's length for an end).
    pub fn at(&self) -> usize {
        match self {
            Fault::NotTop { at, .. }
            | Fault::Outside { at, .. }
            | Fault::PastTheEnd { at, .. }
            | Fault::EndedEarly { at, .. }
            | Fault::PastStop { at } => *at,
        }
    }

    /// What the fault is, without the model's own choices: what a verifier tells the node
    /// that asked (which does not run the model, and gets no free inference from a check).
    pub fn summary(&self) -> String {
        match self {
            Fault::PastStop { .. } => self.to_string(),
            Fault::NotTop { at, .. } => format!("at answer token {at}: not the model's choice"),
            Fault::Outside { at, .. } => {
                format!("at answer token {at}: outside what the sampling settings allow")
            }
            Fault::PastTheEnd { at, .. } => {
                format!("at answer token {at}: the answer went on where the model ends it")
            }
            Fault::EndedEarly { at, .. } => {
                format!("the answer ends at token {at}, where the model would not end it")
            }
        }
    }
}

/// Checks every scored position; the first fault, if any.
pub fn judge(positions: &[Position], sampling: &Sampling, tol: &Tolerance) -> Result<(), Fault> {
    for (at, p) in positions.iter().enumerate() {
        if let Some(why) = refused(p, sampling, tol) {
            return Err(match p.claimed {
                None => Fault::EndedEarly { at, why },
                // The model's own choice here was to end: going on is running past the end.
                Some(_) if p.end >= 0.5 => Fault::PastTheEnd { at, end: p.end },
                Some(claimed) if sampling.temperature <= 0.0 => Fault::NotTop {
                    at,
                    claimed,
                    top: p.top,
                    gap: p.gap,
                },
                Some(claimed) => Fault::Outside { at, claimed, why },
            });
        }
    }
    Ok(())
}

/// Why the sampler could not have picked the position's token (or the end), if it could not.
fn refused(p: &Position, s: &Sampling, tol: &Tolerance) -> Option<String> {
    if s.temperature <= 0.0 {
        return (p.gap > tol.gap).then(|| format!("{:.2} logits below the top", p.gap));
    }
    // Within tolerance of the top is always allowed: every filter keeps the top token.
    if p.gap <= tol.gap {
        return None;
    }
    if p.rank as usize >= TOP_K + tol.rank as usize {
        return Some(format!("rank {} is past top-k {TOP_K}", p.rank));
    }
    let top_p = if s.top_p > 0.0 { s.top_p } else { 1.0 };
    if top_p < 1.0 && p.above >= top_p + tol.mass {
        return Some(format!(
            "{:.3} of the probability is above it, past top-p {top_p}",
            p.above
        ));
    }
    let min_p_gap = (1.0 / MIN_P).ln();
    if p.gap > min_p_gap + tol.gap {
        return Some(format!(
            "{:.2} logits below the top, past min-p {MIN_P}",
            p.gap
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(claimed: Option<u32>, gap: f32, rank: u32, above: f32, end: f32) -> Position {
        Position {
            claimed,
            top: 9,
            gap,
            rank,
            above,
            end,
        }
    }

    fn sampling(temperature: f32, top_p: f32) -> Sampling {
        Sampling {
            temperature,
            top_p,
            seed: Some(1),
            frequency_penalty: 0.0,
            presence_penalty: 0.0,
        }
    }

    #[test]
    fn greedy_answers_keep_to_the_top_within_the_tolerance() {
        let tol = Tolerance::default();
        let g = sampling(0.0, 1.0);
        let honest = [at(Some(9), 0.0, 0, 0.0, 0.0), at(Some(3), 0.3, 1, 0.4, 0.0)];
        assert_eq!(judge(&honest, &g, &tol), Ok(()));
        let wrong = [honest[0], at(Some(3), 1.5, 1, 0.6, 0.0)];
        assert!(matches!(
            judge(&wrong, &g, &tol),
            Err(Fault::NotTop {
                at: 1,
                claimed: 3,
                ..
            })
        ));
        let past = [at(Some(3), 4.0, 1, 0.9, 0.9)];
        assert!(matches!(
            judge(&past, &g, &tol),
            Err(Fault::PastTheEnd { at: 0, .. })
        ));
        let early = [honest[0], at(None, 3.0, 5, 0.8, 0.01)];
        assert!(matches!(
            judge(&early, &g, &tol),
            Err(Fault::EndedEarly { at: 1, .. })
        ));
    }

    #[test]
    fn sampled_answers_stay_inside_top_k_top_p_and_min_p() {
        let tol = Tolerance::default();
        let s = sampling(0.8, 0.9);
        // Second choice, 1 logit down, 0.5 of the mass above: allowed.
        assert_eq!(judge(&[at(Some(3), 1.0, 1, 0.5, 0.0)], &s, &tol), Ok(()));
        // 0.95 of the mass above it: top-p 0.9 cut it.
        let e = judge(&[at(Some(3), 2.0, 3, 0.95, 0.0)], &s, &tol).unwrap_err();
        assert!(e.to_string().contains("top-p"), "{e}");
        // 4 logits down: min-p 0.05 cut it (ln 20 = 3.0).
        let loose = sampling(0.8, 1.0);
        let e = judge(&[at(Some(3), 4.0, 5, 0.5, 0.0)], &loose, &tol).unwrap_err();
        assert!(e.to_string().contains("min-p"), "{e}");
        // Rank 60: past top-k.
        let e = judge(&[at(Some(3), 2.0, 60, 0.5, 0.0)], &loose, &tol).unwrap_err();
        assert!(e.to_string().contains("top-k"), "{e}");
    }
}
