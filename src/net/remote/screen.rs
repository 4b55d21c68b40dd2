//! A job's routing policy (`route::policy`) applied to the peer table: the peers that may not
//! be sent its prompt, each with the rule that keeps it out. The router, failover, verifier
//! peers and challenges all ask here, so that a prompt never reaches a node its policy
//! excludes.

use std::collections::BTreeMap;

use super::super::Net;
use super::pay;
use crate::ids::{ModelRef, NodeId};
use crate::job::Spec;
use crate::route::policy::{Candidate, Excluded, Policy};

/// A peer as the rules see it: its id, region, variant and expected time to a first token.
type Facts = (
    NodeId,
    Option<String>,
    Option<String>,
    Option<std::time::Duration>,
);

/// What the rules are for: running the job (every rule), or being shown its prompt to check
/// an answer (privacy rules: route and region).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Run,
    Check,
}

/// This node's network is open: its peers proved no secret.
pub fn open_network(net: &Net) -> bool {
    net.settings().secret.is_empty()
}

/// The routable peers that serve `model` and that `spec`'s policy keeps out, with why. The
/// rest of the job is priced after `continuation` tokens, with `max_tokens` left.
pub fn excluded(
    net: &Net,
    spec: &Spec,
    model: &ModelRef,
    purpose: Purpose,
    continuation: usize,
    max_tokens: Option<u32>,
) -> Vec<(NodeId, Excluded)> {
    let policy = &spec.policy;
    let open = open_network(net);
    let shut = policy.allows_peers(open).err();
    if shut.is_none() && trivial(policy, purpose) {
        return Vec::new();
    }
    let peers: Vec<Facts> = net.with_table(|t| {
        t.peers()
            .filter(|p| p.routable())
            .filter_map(|p| {
                let ad = p.serves(model)?;
                let region = p.announcement.as_ref().and_then(|a| a.region.clone());
                let ttft = crate::net::table::Table::expected_ttft(p);
                Some((p.id, region, Some(ad.quant.clone()), ttft))
            })
            .collect()
    });
    if let Some(e) = shut {
        return peers.into_iter().map(|(id, ..)| (id, e.clone())).collect();
    }
    // One price per variant: peers of the same quantization cost the same.
    let mut prices: BTreeMap<String, u64> = BTreeMap::new();
    let mut out = Vec::new();
    for (id, region, quant, ttft) in peers {
        let worst = match (purpose, policy.max_credits, &quant) {
            (Purpose::Run, Some(_), Some(q)) => *prices.entry(q.clone()).or_insert_with(|| {
                pay::worst_case(net, spec, &model.name, q, continuation, max_tokens).unwrap_or(0)
            }),
            _ => 0,
        };
        let c = Candidate {
            region: region.as_deref(),
            member: !open,
            ttft,
            worst_credits: worst,
        };
        let judged = match purpose {
            Purpose::Run => policy.admits(&c),
            Purpose::Check => policy.admits_privacy(&c),
        };
        if let Err(e) = judged {
            out.push((id, e));
        }
    }
    out
}

/// Whether no peer can fail the rules for `purpose` (the common case: nothing to look at).
fn trivial(p: &Policy, purpose: Purpose) -> bool {
    let privacy = p.region.is_none() && p.route == crate::route::policy::Route::Any;
    match purpose {
        Purpose::Check => privacy,
        Purpose::Run => privacy && p.max_credits.is_none() && p.max_ttft_ms.is_none(),
    }
}

/// Whether `peer` may be shown `spec`'s prompt to check an answer (route and region).
pub fn may_see(net: &Net, spec: &Spec, peer: &NodeId) -> bool {
    let policy = &spec.policy;
    if policy.allows_peers(open_network(net)).is_err() {
        return false;
    }
    if trivial(policy, Purpose::Check) {
        return true;
    }
    let region = region_of(net, peer);
    policy
        .admits_privacy(&Candidate {
            region: region.as_deref(),
            member: !open_network(net),
            ..Default::default()
        })
        .is_ok()
}

/// Whether `peer` announces a region the proof's job allows (any, when it names none).
pub fn may_see_proof(net: &Net, peer: &NodeId, proof: &crate::trust::proof::FraudProof) -> bool {
    let Some(list) = &proof.regions else {
        return true;
    };
    region_of(net, peer).is_some_and(|r| list.contains(&r))
}

/// The region `peer` announces.
fn region_of(net: &Net, peer: &NodeId) -> Option<String> {
    net.with_table(|t| {
        t.get(peer)
            .and_then(|p| p.announcement.as_ref())
            .and_then(|a| a.region.clone())
    })
}
