//! Sending challenges (`trust::challenge`): at random times, a prompt whose answer this node
//! knows goes again, with its settings, to a peer on probation that this node never checked,
//! as an ordinary paid job in this node's job log. Its answer is judged against the known one,
//! and by teacher forcing where it differs (`follow`): a peer that fakes or skips the work is
//! proven, banned and not paid; an honest one ends its probation without any real job.

use std::time::Duration;

use super::super::Net;
use super::{Inflight, start_known};
use crate::ids::{ModelRef, NodeId};
use crate::job::Event;
use crate::trust::challenge::{Known, next_wait};

/// Sends challenges, one at a time, `mean` apart on average, while the node runs.
pub(in crate::net) async fn challenges(net: Net, mean: Duration) {
    loop {
        tokio::time::sleep(next_wait(mean)).await;
        if net.known_answers().is_empty() {
            continue;
        }
        if let Some((peer, known)) = pick(&net) {
            challenge(&net, peer, known).await;
        }
    }
}

/// A peer to challenge and the answer to ask it for: a peer on probation here, never checked
/// here and not banned, serving a variant this node runs, with room, and a known answer of that
/// variant from another worker. Only variants this node would send out now (it is paused, or
/// its engine has no free slot): a node with room runs its own jobs, so a job from it while
/// its announcement shows room would give a challenge away.
fn pick(net: &Net) -> Option<(NodeId, Known)> {
    let paused = net.node().paused();
    let variants: Vec<String> = net
        .node()
        .engines()
        .iter()
        .filter(|e| paused || !e.has_free_slot())
        .map(|e| e.info().id().to_string())
        .collect();
    if variants.is_empty() {
        return None;
    }
    let mut fit: Vec<(NodeId, Known)> = Vec::new();
    let peers: Vec<(NodeId, Vec<String>)> = net.with_table(|t| {
        t.peers()
            .filter(|p| p.routable() && t.on_probation(&p.id))
            .map(|p| {
                let serves = variants
                    .iter()
                    .filter(|v| p.serves(&ModelRef::parse(v)).is_some())
                    .cloned()
                    .collect();
                (p.id, serves)
            })
            .collect()
    });
    for (id, serves) in peers {
        let r = net.checks().get(&id);
        if r.passed + r.failed > 0 || net.banned(&id) {
            continue;
        }
        // Only a prompt whose job's routing policy lets this peer see it.
        let may = |k: &Known| super::screen::may_see(net, &k.spec, &id);
        if let Some(k) = serves
            .iter()
            .find_map(|v| net.known_answers().draw(v, &id, may))
        {
            fit.push((id, k));
        }
    }
    if fit.is_empty() {
        return None;
    }
    let i = (crate::ids::random_u64() % fit.len() as u64) as usize;
    Some(fit.swap_remove(i))
}

/// Runs one challenge on `peer` to its end.
async fn challenge(net: &Net, peer: NodeId, known: Known) {
    let variant = ModelRef::parse(&known.variant);
    let Some(place) = Inflight::on(net, peer, &variant) else {
        return;
    };
    let mut spec = known.spec.clone();
    spec.model = Some(variant.clone());
    let guard = net.node().start_job(variant, 0);
    guard.set_prompt_text(crate::node::jobs::prompt_log(&spec.prompt));
    tracing::info!("job {}: a challenge for {}", guard.id(), peer.short());
    let mut routed = match start_known(net, place, &spec, guard, Some(known)).await {
        Ok(r) => r,
        Err((guard, refusal)) => {
            // Refused (busy, short of credits): nothing is judged of a job never taken.
            guard.refuse(&refusal.message);
            return;
        }
    };
    let guard = routed.guard.clone();
    let mut tokens = 0;
    while let Some(ev) = routed.events.recv().await {
        match ev {
            Event::Token { piece, .. } => {
                tokens += 1;
                guard.push_output(&piece);
                guard.progress(tokens);
            }
            Event::Embeddings(_) => {}
            Event::Done(f) => {
                guard.finish(&f);
                break;
            }
            Event::Failed(why) => {
                guard.fail(&why);
                break;
            }
        }
    }
    // The check ran before the end came (unless it outlasted the payment's wait).
    if let Some(line) = guard.check() {
        guard.set_check(format!("challenge {line}"));
    }
}
