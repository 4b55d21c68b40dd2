//! Paying for a remote job, as a payment channel. Before a segment goes out, credits are held
//! for it and offered to the peer as its budget, with this node's signed head and its signed
//! promise for the prompt (billed by [`Policy::billed_prompt`], priced from this node's own
//! catalog for the exact variant asked). While tokens arrive this node signs a cumulative
//! promise for the tokens each of the worker's running commitments covers (every
//! [`PROMISE_EVERY`] tokens); the worker streams at most a window beyond the last one. At the
//! segment's end — done, stopped, or broken and failed over — and after its check, this node
//! records the spend for the tokens the worker's commitments cover (the prompt included) and
//! sends the entry with its signed head, so the worker can check it continues the chain it
//! audited and record its earning; or, when a fraud proof shows the answer false, nothing.

use super::super::Net;
use super::super::wire::{self, Request};
use super::Segment;
use crate::ids::{ModelRef, NodeId, now_ms};
use crate::job::{ErrorCode, Refusal, Spec};
use crate::ledger::chain::Entry;
use crate::ledger::{Hold, Ledger, LedgerError, Policy, Promise, Receipt};
use crate::node::JobGuard;

/// Answer tokens between two promises.
pub(super) const PROMISE_EVERY: u32 = wire::COMMIT_EVERY;

/// A paid segment's tab on the requester: the credits held and what was promised.
pub(super) struct Tab {
    hold: Hold,
    /// The receipt of no answer token yet: every promise is this with an answer count.
    base: Receipt,
    parameters: u64,
    context: u32,
}

impl Tab {
    /// What the segment is due for `completion` answer tokens.
    pub(super) fn due(&self, ledger: &Ledger, completion: u32) -> u64 {
        let tokens = self.base.prompt_tokens as u64 + completion as u64;
        ledger
            .policy()
            .price(self.parameters, &self.base.quant, tokens)
    }

    /// The promise for `completion` answer tokens, signed.
    fn promise(&self, ledger: &Ledger, completion: u32) -> Promise {
        let receipt = Receipt {
            completion_tokens: completion,
            credits: self.due(ledger, completion),
            time_ms: now_ms(),
            ..self.base.clone()
        };
        ledger.promise(receipt)
    }

    /// The most answer tokens this segment pays for: the model's context bounds prompt and
    /// answer together.
    pub(super) fn payable(&self) -> u32 {
        self.context.saturating_sub(self.base.prompt_tokens)
    }
}

/// What a segment offers its peer.
pub(super) struct Offer {
    pub tab: Option<Tab>,
    pub budget: u64,
    /// The exact variant asked for (`name:quant`).
    pub model: String,
    /// The promise for the prompt (paid jobs).
    pub promise: Option<Promise>,
    /// The chain's hold entry for the job, hex (paid jobs): what a refusing worker waives.
    pub hold: Option<String>,
}

impl Offer {
    /// An offer of no credits: asked to be served free.
    fn free(model: String) -> Offer {
        Offer {
            tab: None,
            budget: 0,
            model,
            promise: None,
            hold: None,
        }
    }
}

/// The catalog's facts of model `name`, whose variant `exact` the peer serves: refused when
/// the catalog does not list them. The table holds no unlisted variant (gossip leaves them
/// out), so this refuses a peer whose announcement went meanwhile (`exact` has no quant then,
/// and an honest worker's `Accepted` would not match it), and any later way an unlisted
/// variant might reach routing: nobody could check or price it.
fn listed(
    ledger: &crate::ledger::Ledger,
    peer: &NodeId,
    name: &str,
    exact: &str,
) -> Result<crate::ledger::ModelFacts, Refusal> {
    let refused = |m: String| {
        Refusal::new(404, m)
            .param("model")
            .code(ErrorCode::ModelNotFound)
    };
    let Some(facts) = ledger.facts(name) else {
        return Err(refused(format!(
            "The model `{name}` is not in this node's catalog, so its price is unknown"
        )));
    };
    if !ledger.lists_variant(exact) {
        return Err(refused(format!(
            "Peer {} serves `{exact}`, a variant not in this node's catalog",
            peer.short()
        )));
    }
    Ok(facts)
}

/// The offer for segment `job` on `peer`: the variant the peer announced for the job's model,
/// priced from this node's catalog; credits held: what this node has available, at most the
/// price of the most tokens the job can use (its billed prompt and its `max_tokens`, within the
/// model's context). A node with nothing available asks to be served free (when the network's
/// policy allows that on idle capacity), else gets 402.
pub(super) async fn payment(
    net: &Net,
    peer: &NodeId,
    spec: &Spec,
    job: &str,
    continuation: usize,
    max_tokens: Option<u32>,
    spent: u64,
) -> Result<Offer, Refusal> {
    let model = spec.model.clone().expect("a routed job names its model");
    // The last word on privacy, on the very peer picked: it may have joined, come back or
    // changed its region since the router screened the table.
    if !super::screen::may_see(net, spec, peer) {
        let why = format!(
            "peer {} is not one the job's policy ({}) allows",
            peer.short(),
            spec.policy.line()
        );
        return Err(crate::route::policy::refusal("route", why));
    }
    let ad = net.with_table(|t| t.get(peer).and_then(|p| p.serves(&model)).cloned());
    let quant = model
        .quant
        .clone()
        .or_else(|| ad.map(|a| a.quant))
        .unwrap_or_default();
    let exact = format!("{}:{quant}", model.name);
    let Some(ledger) = net.node().ledger() else {
        return Ok(Offer::free(exact));
    };
    if let Some(why) = ledger.stale() {
        return Err(Refusal::new(402, why).code(ErrorCode::InsufficientCredits));
    }
    let name = model.name.clone();
    let facts = listed(ledger, peer, &name, &exact)?;
    let billed = Policy::billed(&spec.prompt, continuation, facts.context);
    let embed = matches!(spec.prompt, crate::job::Prompt::Embed(_));
    let (prompt_price, bound) = bounds(ledger.policy(), &facts, &quant, billed, max_tokens, embed);
    // The routing policy's ceiling, less what the job's earlier segments were paid: the last
    // word before credits are held (the router screened peers by it already).
    if let Err(e) = spec.policy.admits_credits(bound.saturating_add(spent)) {
        return Err(crate::route::policy::refusal(e.rule, e.why));
    }
    // A member of an account short of credits asks the other members for the rest first.
    if net.in_account() && ledger.available() < bound {
        net.top_up(bound).await;
    }
    let budget = ledger.available().min(bound);
    let answer = u64::from(!embed);
    let short = || insufficient(ledger, &name, &quant, spec, continuation, None);
    if budget == 0 || budget < prompt_price.saturating_add(answer) {
        if budget == 0 && ledger.policy().free_when_idle {
            return Ok(Offer::free(exact));
        }
        return Err(short());
    }
    // Reachable first: a hold for a peer that cannot be reached would stay until its time.
    if let Err(e) = net.connect(peer).await {
        return Err(Refusal::busy(format!("peer {}: {e:#}", peer.short()), 1));
    }
    let (hold, budget, entry) = match hold_on_chain(ledger, budget, job, *peer).await {
        Ok((hold, (held, e))) if held >= prompt_price.saturating_add(answer) => (hold, held, e),
        Err(Some(e)) => return Err(not_held(job, peer, e)),
        _ => return Err(short()),
    };
    let base = Receipt {
        job: job.to_string(),
        requester: ledger.id(),
        worker: *peer,
        model: name,
        quant,
        prompt_tokens: billed,
        completion_tokens: 0,
        credits: prompt_price,
        time_ms: now_ms(),
    };
    let tab = Tab {
        hold,
        base,
        parameters: facts.parameters,
        context: facts.context,
    };
    let promise = tab.promise(ledger, 0);
    Ok(Offer {
        tab: Some(tab),
        budget,
        model: exact,
        promise: Some(promise),
        hold: Some(hex::encode(entry.encode())),
    })
}

/// The most a job (its rest after `continuation` tokens) could cost on a peer that serves
/// `quant` of `name`; `None` when this node prices no such job (no ledger, or not in its
/// catalog: the payment refuses it then).
pub(super) fn worst_case(
    net: &Net,
    spec: &Spec,
    name: &str,
    quant: &str,
    continuation: usize,
    max_tokens: Option<u32>,
) -> Option<u64> {
    let ledger = net.node().ledger()?;
    let facts = ledger.facts(name)?;
    let billed = Policy::billed(&spec.prompt, continuation, facts.context);
    let embed = matches!(spec.prompt, crate::job::Prompt::Embed(_));
    Some(bounds(ledger.policy(), &facts, quant, billed, max_tokens, embed).1)
}

/// A segment's prompt price, and the most it may cost: the price of the most tokens it can use
/// (its billed prompt and `max_tokens`, within the context), and never less than its prompt and
/// one answer token. (Prices are whole credits rounded up: the last few tokens of a failed-over
/// job can cost nothing beyond its prompt, and a bound that paid for no answer token would
/// refuse the job as if the node had no credits.) An embedding job's answer is its vectors,
/// priced with its prompt.
fn bounds(
    policy: &Policy,
    facts: &crate::ledger::ModelFacts,
    quant: &str,
    billed: u32,
    max_tokens: Option<u32>,
    embed: bool,
) -> (u64, u64) {
    let context = u64::from(facts.context);
    let most = if embed {
        u64::from(billed)
    } else {
        (u64::from(billed) + max_tokens.map_or(context, u64::from)).min(context)
    };
    let prompt_price = policy.price(facts.parameters, quant, u64::from(billed));
    let bound = policy
        .price(facts.parameters, quant, most)
        .max(prompt_price.saturating_add(u64::from(!embed)));
    (prompt_price, bound)
}

/// Holds `budget` credits for segment `job` on `peer`, on the chain before the job goes out:
/// the worker sees them set aside for it. Returns the hold, and the credits the chain holds for
/// the job with that hold's entry; `Err(None)` when they are not there.
/// Why the chain would not take a job's hold: a stale chain (402), or a hold of this job's id
/// open or paid already, which is no lack of credits (another segment id or node may do).
fn not_held(job: &str, peer: &NodeId, e: LedgerError) -> Refusal {
    match e {
        LedgerError::Stale(_) => {
            Refusal::new(402, e.to_string()).code(ErrorCode::InsufficientCredits)
        }
        e => Refusal::busy(
            format!(
                "job {job}: could not hold its credits for {}: {e}",
                peer.short()
            ),
            1,
        ),
    }
}

async fn hold_on_chain(
    ledger: &Ledger,
    budget: u64,
    job: &str,
    peer: NodeId,
) -> Result<(Hold, (u64, Entry)), Option<LedgerError>> {
    let mut hold = ledger.hold(budget).map_err(|_| None)?;
    match ledger.reserve(&mut hold, job, peer).await {
        Ok(held) => Ok((hold, held)),
        Err(e @ LedgerError::Stale(_)) => Err(Some(e)),
        Err(e @ LedgerError::Invalid(_)) => {
            tracing::warn!("job {job}: could not hold its credits: {e}");
            Err(Some(e))
        }
        Err(e) => {
            tracing::warn!("job {job}: could not hold its credits: {e}");
            Err(None)
        }
    }
}

/// How long a requester waits for the worker's confirmation of a payment.
const CONFIRM_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Waits for the worker's `Settled` for a payment, and marks it confirmed.
async fn confirmed(
    ledger: Ledger,
    receipt: Receipt,
    mut frames: tokio::sync::mpsc::Receiver<Result<super::super::wire::Reply, wire::WireError>>,
) {
    let wait = tokio::time::timeout(CONFIRM_WAIT, async {
        while let Some(f) = frames.recv().await {
            if let Ok(super::super::wire::Reply::Settled { .. }) = f {
                return true;
            }
        }
        false
    });
    if wait.await == Ok(true) {
        ledger.confirm(&receipt);
    }
}

/// Delivers again the payments whose workers did not confirm them (a worker that was gone, a
/// connection lost at the end of a job), so that every spend gets its earning: credits are
/// conserved. Each round (the `round`-th), the next few in turn, once they are a minute old; a
/// worker that answers `Settled` (now, or that it had recorded it) confirms it. One too old to
/// record (past the receipt age) is given up, with a warning.
pub(in crate::net) async fn redeliver(net: &Net, round: usize) {
    let Some(ledger) = net.node().ledger().cloned() else {
        return;
    };
    // Holds of jobs that were never paid (refused, or lost before their spend) come back once
    // their time is up.
    match ledger.release_expired().await {
        Ok(0) => {}
        Ok(n) => tracing::info!("released {n} expired holds of unpaid jobs"),
        Err(e) => tracing::warn!("could not release expired holds: {e}"),
    }
    let l = ledger.clone();
    let each = 16;
    let skip = round.wrapping_mul(each);
    let Ok(Ok(raws)) = net
        .tasks()
        .spawn_blocking(move || l.unconfirmed(skip, each))
        .await
    else {
        return;
    };
    let now = now_ms();
    for raw in raws {
        let Ok(e) = crate::ledger::Entry::decode(&raw) else {
            continue;
        };
        let Some(r) = e.receipt().cloned() else {
            continue;
        };
        if e.time_ms + 60_000 > now {
            continue;
        }
        if r.time_ms + crate::ledger::chain::RECEIPT_AGE_MS < now {
            tracing::warn!(
                "job {}: {} never confirmed the payment of {} credits; giving up delivering it",
                r.job,
                r.worker.short(),
                r.credits
            );
            ledger.confirm(&r);
            continue;
        }
        let paid = Request::Paid {
            entry: hex::encode(&raw),
            head: Box::new(ledger.head_of(&e)),
        };
        match net.call(&r.worker, &paid).await {
            Ok(super::super::wire::Reply::Settled { .. }) => {
                tracing::info!(
                    "job {}: {} confirmed the payment delivered again",
                    r.job,
                    r.worker.short()
                );
                ledger.confirm(&r);
            }
            // A worker that answers and still does not record it says why: worth the log.
            Ok(other) => tracing::info!("job {}: payment not confirmed: {other:?}", r.job),
            Err(e) => tracing::debug!("job {}: payment not delivered: {e:#}", r.job),
        }
    }
}

/// After the segment's `received`-th token: a new promise every [`PROMISE_EVERY`] tokens (never
/// past what the segment pays for).
pub(super) async fn promise_more(net: &Net, s: &mut Segment, received: u32) {
    let Some(tab) = s.tab.as_ref() else {
        return;
    };
    if !received.is_multiple_of(PROMISE_EVERY) || received > tab.payable() {
        return;
    }
    let Some(ledger) = net.node().ledger() else {
        return;
    };
    let p = tab.promise(ledger, received);
    // A failed write shows up as a broken stream on the next read.
    let _ = wire::write(&mut s.send, &Request::Pay(Box::new(p))).await;
}

/// A peer's 402 as this node's: with this node's balance and the job's estimated cost.
pub(super) fn refused_for_credits(net: &Net, peer: &NodeId, spec: &Spec, r: Refusal) -> Refusal {
    let Some(l) = net.node().ledger() else {
        return r;
    };
    let model = spec.model.clone().unwrap_or_else(|| ModelRef::parse(""));
    let quant = model.quant.clone().unwrap_or_else(|| {
        net.with_table(|t| {
            t.get(peer)
                .and_then(|p| p.serves(&model))
                .map(|a| a.quant.clone())
        })
        .unwrap_or_default()
    });
    insufficient(l, &model.name, &quant, spec, 0, Some(&r.message))
}

/// 402, with the balance and the job's estimated cost: its prompt as billed (with the
/// `continuation` of a failed-over job) and its `max_tokens`.
fn insufficient(
    ledger: &Ledger,
    name: &str,
    quant: &str,
    spec: &Spec,
    continuation: usize,
    peer_said: Option<&str>,
) -> Refusal {
    let context = ledger.facts(name).map_or(u32::MAX, |f| f.context);
    let billed = Policy::billed(&spec.prompt, continuation, context);
    let tokens = u64::from(billed) + u64::from(spec.max_tokens.unwrap_or(256));
    let estimate = ledger.price(name, quant, tokens).unwrap_or(0);
    let mut m = format!(
        "Not enough credits: this node's balance is {} credits ({} available beside running \
         jobs) and this request is estimated at {estimate} credits ({tokens} tokens of {name}). \
         Earn credits by serving others' jobs, or use a model this node runs itself (free)",
        ledger.balance(),
        ledger.available()
    );
    if let Some(p) = peer_said {
        m.push_str(&format!(". The peer said: {p}"));
    }
    Refusal::new(402, m).code(ErrorCode::InsufficientCredits)
}

/// Settles a segment after `received` of its tokens reached this node (stopping it first when
/// `stop`): the last promise, for what was received, is recorded as a spend (durably) and sent
/// with the signed head for it. Returns the credits paid. The worker checks it against the chain
/// it audited; a worker that left collects it later from an audit of this node's chain.
pub(super) async fn settle(
    net: &Net,
    guard: Option<&JobGuard>,
    s: &mut Segment,
    received: u32,
    stop: bool,
) -> u64 {
    let Some(tab) = s.tab.take() else {
        let _ = s.send.finish();
        return 0;
    };
    let Some(ledger) = net.node().ledger() else {
        return 0;
    };
    let last = tab.promise(ledger, received.min(tab.payable()));
    let _ = wire::write(&mut s.send, &Request::Pay(Box::new(last.clone()))).await;
    if stop {
        let _ = wire::write(&mut s.send, &Request::Stop).await;
    }
    let job = last.receipt.job.clone();
    let short = s.peer.short();
    match ledger.spend(tab.hold, last.receipt.clone()).await {
        Ok(e) => {
            if let Some(g) = guard {
                g.settled(&last.receipt, &e);
            }
            let paid = Request::Paid {
                entry: hex::encode(e.encode()),
                head: Box::new(ledger.head_of(&e)),
            };
            let _ = wire::write(&mut s.send, &paid).await;
            let _ = s.send.finish();
            tracing::info!(
                "job {job}: paid {} credits to {short} (ledger seq {})",
                e.amount,
                e.seq
            );
            // The worker's confirmation is awaited aside (the answer does not wait for it);
            // without one the payment is delivered again later.
            let (_, closed) = tokio::sync::mpsc::channel(1);
            let frames = std::mem::replace(&mut s.frames, closed);
            net.tasks()
                .spawn(confirmed(ledger.clone(), last.receipt.clone(), frames));
            e.amount
        }
        Err(e) => {
            tracing::error!("job {job}: recording the payment to {short} failed: {e}");
            let _ = s.send.finish();
            0
        }
    }
}

/// Pays nothing for a segment whose answer failed its check (a fraud proof shows it): its hold
/// goes back when its time is up, and the worker's claim to the promises it holds is void
/// wherever the proof goes (`Net::keep_proof`).
pub(super) fn withhold(s: &mut Segment) {
    drop(s.tab.take());
    let _ = s.send.finish();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ModelRef;
    use crate::job::{Prompt, Sampling};
    use crate::ledger::ModelFacts;

    #[test]
    fn a_failed_over_jobs_last_tokens_are_paid_for_however_cheap() {
        let facts = ModelFacts {
            parameters: 134_515_008,
            context: 8192,
        };
        let policy = Policy::default();
        // A prompt and continuation whose price has room left in its last credit: the next
        // three tokens cost nothing more.
        let billed = (40..400)
            .find(|&b| {
                policy.price(facts.parameters, "q4_1", b + 3)
                    == policy.price(facts.parameters, "q4_1", b)
            })
            .expect("rounding leaves room somewhere") as u32;
        let (prompt, bound) = bounds(&policy, &facts, "q4_1", billed, Some(3), false);
        assert!(bound > prompt, "{bound} pays for no answer token");
        assert!(policy.affordable(facts.parameters, "q4_1", u64::from(billed), bound) >= 3);
        // An embedding job's bound is its prompt's price.
        let (prompt, bound) = bounds(&policy, &facts, "q4_1", billed, None, true);
        assert_eq!(bound, prompt);
    }

    #[test]
    fn the_402_message_reads_as_one_sentence_with_the_balance_and_the_estimate() {
        let dir = tempfile::tempdir().unwrap();
        let facts = ModelFacts {
            parameters: 134_515_008,
            context: 8192,
        };
        let params = [("smollm2-135m-instruct".to_string(), facts)].into();
        let policy = Policy {
            admission_bits: 2,
            ..Policy::default()
        };
        let l = Ledger::open(dir.path(), iroh::SecretKey::generate(), policy, params, "t").unwrap();
        let spec = Spec {
            model: Some(ModelRef::parse("smollm2-135m-instruct")),
            prompt: Prompt::Text("hello".into()),
            max_tokens: Some(100),
            sampling: Sampling::default(),
            stop: Vec::new(),
            ignore_eos: false,
            constraints: Default::default(),
            logprobs: None,
            policy: Default::default(),
        };
        let r = insufficient(&l, "smollm2-135m-instruct", "q4_1", &spec, 0, Some("no"));
        assert_eq!(r.status, 402);
        assert!(!r.message.contains("  "), "a run of spaces: {}", r.message);
        // The prompt as billed (what the hold pays for: "hello" is 2 tokens, and 8 for the
        // message and 32 for the model's preamble) and the 100 answer tokens.
        let estimate = l.price("smollm2-135m-instruct", "q4_1", 142).unwrap();
        assert!(
            r.message.contains("balance is 1000 credits")
                && r.message
                    .contains(&format!("estimated at {estimate} credits (142 tokens"))
                && r.message.ends_with(". The peer said: no"),
            "{}",
            r.message
        );
    }
}
