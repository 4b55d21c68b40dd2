//! The decision, pure: where a job goes next, from a [`View`] of the node and its peers at one
//! moment. The rules, in order (the router's module docs say them for users):
//! 1. No peer can serve the model (at the first look): the local engine takes it, behind its own
//!    bounded queue, or 404 if this node does not serve it either, unless a node with
//!    `--auto-models` could load it: then the job waits (rule 7) for one to.
//! 2. The local engine serves the model, contribution is not paused and a slot is free: local.
//! 3. Else a peer with room (the table picks it by weighted round-robin on scores).
//! 4. Else, with no model here: every capable peer judged the request itself bad, or refused
//!    it for lack of credits: that refusal.
//! 5. Else a paused node that serves the model runs it itself (its own user is always served).
//! 6. Else, with no model here and no capable peer left: the last refusal, or 404.
//! 7. Else the job waits for room, unless `queue_limit` jobs already wait or it waited
//!    [`super::MAX_WAIT`]: 503 with Retry-After.

use std::time::Duration;

use super::MAX_WAIT;
use crate::job::{Refusal, retry_after};

/// What the router sees for one job at one moment.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// The first look at this job (nothing was tried yet).
    pub first: bool,
    /// This node's engine serves the model.
    pub local: bool,
    /// This node's contribution is paused.
    pub paused: bool,
    /// The local engine has a free slot and nobody waits for one.
    pub local_slot: bool,
    /// A routable peer serves the model (whether it has room or not).
    pub peers_capable: bool,
    /// A capable peer that did not refuse this job has room.
    pub peer_room: bool,
    /// Every capable peer judged the request itself bad: one of their refusals.
    pub all_refused: Option<Refusal>,
    /// The last refusal from a peer.
    pub last_refusal: Option<Refusal>,
    /// The job holds no place in the wait, and `queue_limit` jobs already wait.
    pub queue_full: bool,
    /// How long the job has waited so far.
    pub waited: Duration,
    /// No node serves the model, but one with `--auto-models` could load it.
    pub loadable: bool,
}

/// Where the job goes next.
#[derive(Debug, Clone)]
pub enum Decision {
    /// On this node's engine, in a free slot (rule 2).
    Local,
    /// On this node's engine, behind its bounded queue (rules 1 and 5).
    LocalQueue,
    /// On a peer with room (rule 3).
    Peer,
    /// Waits for room (rule 7).
    Wait,
    /// Refused: 404 when `None` (nothing serves the model), else this refusal.
    Refuse(Option<Refusal>),
    /// Refused: `queue_limit` jobs wait already (rule 7).
    QueueFull,
    /// Refused: it waited too long (rule 7).
    TooLong,
}

/// Applies the rules to `v` (see the module docs).
pub fn decide(v: &View) -> Decision {
    if v.first && !v.peers_capable && !v.loadable {
        return if v.local {
            Decision::LocalQueue
        } else {
            Decision::Refuse(None)
        };
    }
    if v.local && !v.paused && v.local_slot {
        return Decision::Local;
    }
    if v.peer_room {
        return Decision::Peer;
    }
    if !v.local {
        if let Some(r) = &v.all_refused {
            return Decision::Refuse(Some(r.clone()));
        }
        if let Some(r) = v.last_refusal.as_ref().filter(|r| r.status == 402) {
            return Decision::Refuse(Some(r.clone()));
        }
    }
    if v.local && v.paused {
        return Decision::LocalQueue;
    }
    if !v.local && !v.peers_capable && !v.loadable {
        return Decision::Refuse(v.last_refusal.clone());
    }
    if v.queue_full {
        return Decision::QueueFull;
    }
    if v.waited > MAX_WAIT {
        return Decision::TooLong;
    }
    Decision::Wait
}

/// 503 when `queue_limit` jobs already wait for `model`.
pub fn queue_full(model: &str, waiting: usize) -> Refusal {
    Refusal::busy(
        format!(
            "Every node that serves {model} is busy and {waiting} requests are waiting; retry shortly"
        ),
        retry_after(waiting, 4),
    )
}

/// 503 when no node had room for [`MAX_WAIT`].
pub fn waited_too_long(model: &str) -> Refusal {
    Refusal::busy(
        format!(
            "No node that serves {model} had room for {}s; retry later",
            MAX_WAIT.as_secs()
        ),
        30,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> View {
        View {
            first: false,
            local: true,
            peers_capable: true,
            ..View::default()
        }
    }

    fn is(d: Decision, want: &str) -> bool {
        format!("{d:?}").starts_with(want)
    }

    #[test]
    fn a_model_no_node_serves_waits_when_a_node_could_load_it() {
        let v = View {
            first: true,
            loadable: true,
            ..View::default()
        };
        assert!(is(decide(&v), "Wait"));
        let later = View {
            waited: MAX_WAIT + Duration::from_secs(1),
            ..v.clone()
        };
        assert!(is(decide(&later), "TooLong"));
        let nobody = View {
            loadable: false,
            ..v
        };
        assert!(is(decide(&nobody), "Refuse(None)"));
    }

    #[test]
    fn rule_1_without_capable_peers_the_local_engine_queues_it_or_404() {
        let v = View {
            first: true,
            peers_capable: false,
            ..view()
        };
        assert!(is(decide(&v), "LocalQueue"));
        // Even paused, and even with no free slot: its own queue bounds it.
        let busy = View {
            paused: true,
            local_slot: false,
            ..v.clone()
        };
        assert!(is(decide(&busy), "LocalQueue"));
        let none = View { local: false, ..v };
        assert!(is(decide(&none), "Refuse(None)"));
    }

    #[test]
    fn rule_2_a_free_local_slot_wins_unless_paused() {
        let v = View {
            local_slot: true,
            peer_room: true,
            ..view()
        };
        assert!(is(decide(&v), "Local"));
        let paused = View { paused: true, ..v };
        assert!(is(decide(&paused), "Peer"), "a paused node sends it out");
    }

    #[test]
    fn rule_3_else_a_peer_with_room() {
        let v = View {
            peer_room: true,
            ..view()
        };
        assert!(is(decide(&v), "Peer"));
        let remote_only = View { local: false, ..v };
        assert!(is(decide(&remote_only), "Peer"));
    }

    #[test]
    fn rule_4_refusals_of_the_request_itself_are_returned_when_nothing_else_can_serve() {
        let bad = Refusal::new(400, "too long");
        let v = View {
            local: false,
            all_refused: Some(bad.clone()),
            last_refusal: Some(bad),
            ..view()
        };
        assert!(matches!(decide(&v), Decision::Refuse(Some(r)) if r.status == 400));
        let poor = View {
            all_refused: None,
            last_refusal: Some(Refusal::new(402, "no credits")),
            ..v.clone()
        };
        assert!(matches!(decide(&poor), Decision::Refuse(Some(r)) if r.status == 402));
        // With the model here, the local engine is still an option: wait for it.
        let local = View { local: true, ..v };
        assert!(is(decide(&local), "Wait"));
    }

    #[test]
    fn rule_5_a_paused_node_serves_its_own_user() {
        let v = View {
            paused: true,
            ..view()
        };
        assert!(is(decide(&v), "LocalQueue"));
    }

    #[test]
    fn rule_6_capable_peers_gone_and_no_model_here_is_a_refusal() {
        let v = View {
            local: false,
            peers_capable: false,
            last_refusal: Some(Refusal::busy("busy", 1)),
            ..view()
        };
        assert!(matches!(decide(&v), Decision::Refuse(Some(r)) if r.status == 503));
        let never = View {
            last_refusal: None,
            ..v
        };
        assert!(is(decide(&never), "Refuse(None)"));
    }

    #[test]
    fn rule_7_otherwise_wait_bounded_in_places_and_time() {
        let v = view();
        assert!(is(decide(&v), "Wait"));
        let full = View {
            queue_full: true,
            ..v.clone()
        };
        assert!(is(decide(&full), "QueueFull"));
        let long = View {
            waited: MAX_WAIT + Duration::from_secs(1),
            ..v
        };
        assert!(is(decide(&long), "TooLong"));
    }
}
