//! The contribution switch: whether this node runs work for peers now, and why not.
//!
//! Two voices decide it. The conditions (a schedule, the owner's use of the machine, battery,
//! heat; [`crate::idle`] watches them) say "pause" or "contribute"; a hand (the UI's `p`, the
//! API, `--paused`) may say otherwise, and is obeyed until the conditions' verdict next changes,
//! so a hand's resume during a game lasts until the game ends, and a hand's pause until the next
//! schedule window opens or closes. With no conditions configured the hand alone decides, as
//! before there were any.

use serde::{Deserialize, Serialize};

/// One condition that holds now (or held within its hold-off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// `schedule`, `cpu`, `gpu`, `battery`, `heat` or `user`.
    pub kind: String,
    /// What holds, in words: "GPU busy with game (pid 4242, 87 %)".
    pub text: String,
    /// Cleared, and held only until its hold-off ends (the node resumes then).
    #[serde(default)]
    pub clearing: bool,
}

/// What the conditions say now: the reasons in force (none: contribute), and when the node
/// expects to resume, if it can tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    pub reasons: Vec<Reason>,
    pub resume_at: Option<u64>,
}

/// The switch as status shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contribution {
    pub paused: bool,
    /// Set by hand over the conditions (`Some(true)`: paused by hand), until they next change.
    pub by_hand: Option<bool>,
    /// The conditions in force (empty: none says pause).
    pub reasons: Vec<Reason>,
    /// When the node expects to resume (unix seconds), if it can tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_at: Option<u64>,
    /// Since when the switch is where it is (unix seconds).
    pub since: u64,
    /// The whole of it in one line, for the header and `llp status`.
    pub why: String,
    /// What peers may use while it contributes (`--max-peer-jobs`, `--threads-for-peers`,
    /// `--peer-duty`), in words; empty: no limit but the slots.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub limits: String,
}

/// The switch's state, owned by the node.
#[derive(Debug, Default)]
pub(super) struct Switch {
    hand: Option<bool>,
    conditions: Conditions,
    since: u64,
    paused: bool,
}

impl Switch {
    pub(super) fn new(paused: bool) -> Switch {
        Switch {
            hand: paused.then_some(true),
            since: crate::ids::unix_now(),
            paused,
            conditions: Conditions::default(),
        }
    }

    /// A hand sets the switch; returns whether it moved.
    pub(super) fn by_hand(&mut self, paused: bool) -> bool {
        self.hand = Some(paused);
        self.settle()
    }

    /// The conditions' news; a change of their verdict ends a hand's resume over them (a
    /// hand's pause lasts until a hand resumes: the owner asked for the machine). Returns
    /// whether the switch moved.
    pub(super) fn conditions(&mut self, c: Conditions) -> bool {
        if c.reasons.is_empty() != self.conditions.reasons.is_empty() && self.hand == Some(false) {
            self.hand = None;
        }
        self.conditions = c;
        self.settle()
    }

    fn settle(&mut self) -> bool {
        let paused = self.hand.unwrap_or(!self.conditions.reasons.is_empty());
        let moved = paused != self.paused;
        if moved {
            self.paused = paused;
            self.since = crate::ids::unix_now();
        }
        moved
    }

    pub(super) fn paused(&self) -> bool {
        self.paused
    }

    /// Paused while a condition holds (the owner needs the machine), whether or not a hand
    /// paused it too: peers' jobs are handed back.
    pub(super) fn paused_by_conditions(&self) -> bool {
        self.paused && !self.conditions.reasons.is_empty()
    }

    pub(super) fn view(&self) -> Contribution {
        let c = &self.conditions;
        let words = c
            .reasons
            .iter()
            .map(|r| r.text.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let resume = c
            .resume_at
            .map(|t| format!("; resumes {}", when(t)))
            .unwrap_or_default();
        let why = match (self.hand, self.paused, c.reasons.is_empty()) {
            (Some(true), _, true) => "paused by hand".to_string(),
            (Some(true), _, false) => format!("paused by hand (and {words})"),
            (Some(false), _, false) => {
                format!("contributing by hand over: {words} (until that changes)")
            }
            (_, true, _) => format!("paused: {words}{resume}"),
            (_, false, _) => "contributing".to_string(),
        };
        Contribution {
            paused: self.paused,
            by_hand: self.hand,
            reasons: c.reasons.clone(),
            resume_at: if self.paused && self.hand.is_none() {
                c.resume_at
            } else {
                None
            },
            since: self.since,
            why,
            limits: String::new(),
        }
    }
}

/// A unix time as "in 42 s", "in 12 min" or "in 3 h 5 min".
pub fn when(t: u64) -> String {
    let s = t.saturating_sub(crate::ids::unix_now());
    match s {
        0..120 => format!("in {s} s"),
        120..7200 => format!("in {} min", s.div_ceil(60)),
        _ => format!("in {} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu() -> Conditions {
        Conditions {
            reasons: vec![Reason {
                kind: "gpu".into(),
                text: "GPU busy with game (pid 1, 90 %)".into(),
                clearing: false,
            }],
            resume_at: None,
        }
    }

    #[test]
    fn a_hand_overrides_until_the_conditions_change() {
        let mut s = Switch::new(false);
        assert!(s.conditions(gpu()) && s.paused() && s.paused_by_conditions());
        // The owner resumes by hand during the game: it holds while the game runs.
        assert!(s.by_hand(false) && !s.paused());
        assert!(!s.conditions(gpu()) && !s.paused());
        assert!(s.view().why.contains("by hand over"), "{}", s.view().why);
        // The game ends: the hand's word ends with it, and nothing says pause.
        assert!(!s.conditions(Conditions::default()) && !s.paused());
        assert_eq!(s.view().by_hand, None);
        // The next game pauses it again.
        assert!(s.conditions(gpu()) && s.paused());
    }

    #[test]
    fn a_pause_by_hand_lasts_until_a_hand_resumes() {
        let mut s = Switch::new(true);
        assert!(s.paused() && !s.paused_by_conditions());
        assert!(!s.conditions(Conditions::default()));
        assert!(s.paused());
        assert_eq!(s.view().why, "paused by hand");
        // A condition comes and goes: the hand's pause stays (peers' jobs go back meanwhile).
        assert!(!s.conditions(gpu()) && s.paused_by_conditions());
        assert!(!s.conditions(Conditions::default()) && s.paused());
        assert!(!s.paused_by_conditions());
        assert!(s.by_hand(false) && !s.paused());
    }
}
