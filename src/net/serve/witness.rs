//! Witnesses of requesters' chains. Before it runs a paid job, a worker shows the requester's
//! signed head (the one its audit ended at, which holds the job's credits) to the few nodes
//! nearest the requester's id in its routing table. Each keeps the head and compares it with the
//! heads of that seq it was shown before: a requester that holds the same credits for two
//! workers must fork its chain, and of two workers that ask a common witness, the later one is
//! answered with the proof (each stores its head before it asks), refuses the job, and spreads
//! the proof, which stops the other's job at its next promise.
//!
//! A witness keeps the heads of chains it audits in their books; others apart, in a bounded map,
//! so a flood of made-up keys cannot push real chains out of its books.

use std::time::Duration;

use futures_util::future::join_all;

use super::super::Net;
use super::super::wire::{RefuseCode, Reply, Request};
use crate::ids::NodeId;
use crate::ledger::{Head, Proof};

/// Witnesses asked per job.
const WITNESSES: usize = 3;
/// How long a worker waits for a witness (one that does not answer in time is not counted).
const WITNESS_WAIT: Duration = Duration::from_secs(3);

/// Serves `Witness`: keeps `head` (if its owner is a node this one deals with) and answers
/// with a proof that its owner forked, if this node holds or now finds one.
pub(super) fn serve(net: &Net, peer: NodeId, head: &Head) -> Reply {
    let Some(ledger) = net.node().ledger() else {
        return Reply::Witnessed {
            proof: None,
            latest: None,
        };
    };
    let owner = head.owner;
    if let Some(e) = ledger.equivocation_of(&owner) {
        return Reply::Witnessed {
            proof: Some(Box::new(e.proof)),
            latest: None,
        };
    }
    match ledger.witness_head(head) {
        Ok(proof) => Reply::Witnessed {
            proof: proof.map(Box::new),
            latest: ledger.latest_head(&owner).map(Box::new),
        },
        Err(e) => {
            net.strike(&peer, &format!("witness: {e}"));
            Reply::refused(RefuseCode::Invalid, e)
        }
    }
}

/// A boxed future of a named type: serving a job asks witnesses, asking dials, and dialing
/// serves streams, so the compiler needs this link's type spelled out to see the cycle is
/// `Send` (as with `Net::fetch_chain`).
type Checked<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Seen> + Send + 'a>>;

/// What the witnesses said of a requester's chain.
#[derive(Default)]
pub(super) struct Seen {
    /// A proof that it forked (checked and adopted here, so it spreads).
    pub proof: Option<Proof>,
    /// The latest head of it a witness holds, when later than the one shown: the head shown
    /// must be on the way to it (else the requester forked, or shows an old head).
    pub later: Option<Head>,
}

/// Shows `head` (of `requester`, already kept by this node's audit) to its witnesses; returns
/// what they hold against it.
pub(super) fn check<'a>(net: &'a Net, requester: NodeId, head: &'a Head) -> Checked<'a> {
    Box::pin(check_inner(net, requester, head))
}

async fn check_inner(net: &Net, requester: NodeId, head: &Head) -> Seen {
    let me = net.id();
    let witnesses: Vec<NodeId> = net
        .with_table(|t| t.closest(&requester, WITNESSES + 2))
        .into_iter()
        .filter_map(|c| NodeId::parse(&c.id).ok())
        .filter(|id| *id != requester && *id != me)
        .take(WITNESSES)
        .collect();
    let ask = Request::Witness {
        head: Box::new(head.clone()),
    };
    let answers = join_all(
        witnesses
            .iter()
            .map(|w| tokio::time::timeout(WITNESS_WAIT, net.call(w, &ask))),
    )
    .await;
    let mut seen = Seen::default();
    let Some(ledger) = net.node().ledger() else {
        return seen;
    };
    for (w, answer) in witnesses.iter().zip(answers) {
        let Ok(Ok(Reply::Witnessed { proof, latest })) = answer else {
            continue;
        };
        if let Some(l) = latest
            && l.owner == requester
            && l.seq > head.seq
            && seen.later.as_ref().is_none_or(|s| s.seq < l.seq)
            && l.valid()
        {
            seen.later = Some(*l);
        }
        let Some(p) = proof else {
            continue;
        };
        match ledger.adopt(*p.clone()) {
            Ok(_) if p.a.owner == requester => {
                tracing::warn!(
                    "witness {} holds proof that {} forked its chain at seq {}",
                    w.short(),
                    requester.short(),
                    p.a.seq
                );
                seen.proof = Some(*p);
                return seen;
            }
            Ok(_) => net.strike(
                w,
                "answered a witness request with a proof about another key",
            ),
            Err(e) => net.strike(w, &format!("sent a false equivocation proof: {e}")),
        }
    }
    seen
}
