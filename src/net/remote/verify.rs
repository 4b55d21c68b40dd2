//! Checks that involve other nodes: a node without the model has verifier peers check its
//! workers' answers ([`by_peers`]); a node checks answers for such peers ([`verify_for`]) and
//! re-runs the fraud proofs its peers announce ([`take_proof`]).
//!
//! Peers' work runs in a queue of its own, two at a time (one per peer) and never waiting (a
//! busy node refuses at once): no peer, however many identities it has, can crowd out this
//! node's own spot checks (`check`), nor make it prefill without end.

use std::time::{Duration, Instant};

use super::super::Net;
use super::super::conn::call_on;
use super::super::wire::{RefuseCode, Reply, Request};
use super::check::{Claim, accuse, record};
use crate::ids::{ModelRef, NodeId, now_ms};
use crate::job::Spec;
use crate::ledger::{Policy, Receipt};
use crate::node::JobGuard;
use crate::trust::proof::{FraudProof, ProofError};

/// Peers' checks and proofs running here: two at a time, none waiting.
static FOREIGN: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
/// The peers with a check running here: one each, so that one peer cannot hold both places.
static ASKING: std::sync::Mutex<Vec<NodeId>> = std::sync::Mutex::new(Vec::new());
/// Proofs being fetched from their announcers: a few at a time (the rest wait for the next
/// announcement).
static FETCHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);
/// Debts heard and waiting for [`debt_heard`], at most (the gossip that brings them skips the
/// rest until a later announcement).
pub(in crate::net) static DEBTS_PENDING: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(256);

/// The candidates a node without the model draws its verifiers from: the best-reputed few.
const CANDIDATES: usize = 8;
/// Verifiers asked for one check: the first, and a second to confirm a failure (or to stand in
/// for a first that gave no verdict). Never more: a busy verifier is not a reason to go down the
/// list until a willing (perhaps colluding) one is found.
const VERIFIERS: usize = 2;
/// How long a verifier has to answer (a check is a prefill or two, after any check of its own).
const VERIFY_WAIT: Duration = Duration::from_secs(60);

/// Checks `claim` by peers that run its variant, for a node that does not. Two verifiers are
/// drawn at random among the best-reputed few (most checks passed here, then the nearest),
/// never the worker: a pass from the first counts; a failure counts only when the second
/// finds one too, and then the worker is banned here and the signed claim kept as a fraud
/// proof, which other nodes re-run for themselves before they believe it. Otherwise no one is
/// accused.
pub(super) async fn by_peers(
    net: &Net,
    guard: &JobGuard,
    spec: &Spec,
    claim: &Claim,
    variant: &ModelRef,
) -> bool {
    let Some((commitment, signature)) = &claim.signed else {
        guard.set_check("not checked: the worker signed no commitment to send a verifier".into());
        return false;
    };
    let ask = Request::Verify {
        claim: Box::new(FraudProof {
            commitment: commitment.clone(),
            signature: *signature,
            prompt: spec.prompt.clone(),
            constraints: spec.constraints.clone(),
            before: claim.before.clone(),
            fault: String::new(),
            regions: spec.policy.region.clone(),
        }),
    };
    by_two(net, guard, spec, claim, variant, &ask).await
}

/// [`by_peers`]' asking of its two verifiers, `ask` being the claim.
async fn by_two(
    net: &Net,
    guard: &JobGuard,
    spec: &Spec,
    claim: &Claim,
    variant: &ModelRef,
    ask: &Request,
) -> bool {
    let started = Instant::now();
    let mut first: Option<(NodeId, String)> = None;
    let mut fees = 0;
    // Only peers the job's policy lets see its prompt.
    for v in verifiers(net, variant, &claim.peer)
        .into_iter()
        .filter(|v| super::screen::may_see(net, spec, v))
        .take(VERIFIERS)
    {
        let Some(fault) = verdict(net, &v, ask).await else {
            continue;
        };
        fees += pay_counted(net, v, &fault, &first, spec, claim, variant);
        let n = claim.tokens.len();
        let ms = started.elapsed().as_millis();
        match (fault, &first) {
            (None, None) => {
                let r = record(net, claim.peer, true).await;
                super::check::learn(net, spec, claim);
                checked(
                    guard,
                    fees,
                    format!(
                        "spot check passed: {n} tokens of {} verified by {} in {ms} ms (its run: {})",
                        claim.peer.short(),
                        v.short(),
                        r.run
                    ),
                );
                return false;
            }
            (None, Some((f, found))) => {
                checked(
                    guard,
                    fees,
                    format!(
                        "spot check undecided: {} found a fault ({found}), {} none; no one is accused",
                        f.short(),
                        v.short()
                    ),
                );
                return false;
            }
            (Some(found), None) => first = Some((v, found)),
            (Some(_), Some((f, found))) => {
                record(net, claim.peer, false).await;
                let fault = format!("{found} (found by {} and {})", f.short(), v.short());
                let proven = accuse(net, spec, claim, &fault).await;
                checked(
                    guard,
                    fees,
                    format!(
                        "spot check FAILED ({ms} ms): {fault}{}",
                        super::check::proven_line(proven)
                    ),
                );
                return proven;
            }
        }
    }
    checked(
        guard,
        fees,
        match first {
            Some((f, found)) => format!(
                "spot check undecided: {} found a fault ({found}), and no second verifier could \
             confirm it; no one is accused",
                f.short()
            ),
            None => format!("not checked: no peer that runs {variant} could verify it"),
        },
    );
    false
}

/// Pays for verifier `v`'s verdict `fault` when it counts: a pass, and a fault once a second
/// verifier confirms it (then the `first` is paid too); an unconfirmed fault is not (crying
/// fault would earn a verifier a second fee). The credits paid.
fn pay_counted(
    net: &Net,
    v: NodeId,
    fault: &Option<String>,
    first: &Option<(NodeId, String)>,
    spec: &Spec,
    claim: &Claim,
    variant: &ModelRef,
) -> u64 {
    match (fault, first) {
        (None, _) => pay_for_check(net, v, spec, claim, variant),
        (Some(_), Some((f, _))) => {
            pay_for_check(net, *f, spec, claim, variant)
                + pay_for_check(net, v, spec, claim, variant)
        }
        (Some(_), None) => 0,
    }
}

/// Whether two verifier peers that run a proof's variant both find its fault (`Some(true)`), or
/// one finds none (`Some(false)`); `None` when two verdicts could not be had now. Its accuser
/// (the requester) and its worker are never among them.
async fn judged_by_verifiers(net: &Net, proof: &FraudProof) -> Option<bool> {
    let c = &proof.commitment;
    let variant = ModelRef::parse(&c.model);
    let ask = Request::Verify {
        claim: Box::new(proof.clone()),
    };
    let mut faults = 0;
    // Only verifiers the proof's job lets see its prompt.
    for v in verifiers(net, &variant, &c.worker)
        .into_iter()
        .filter(|v| *v != c.requester && super::screen::may_see_proof(net, v, proof))
        .take(VERIFIERS)
    {
        match verdict(net, &v, &ask).await? {
            Some(_) => faults += 1,
            None => return Some(false),
        }
    }
    (faults == VERIFIERS).then_some(true)
}

/// Sets a verified job's check line, with what its verifiers were paid.
fn checked(guard: &JobGuard, fees: u64, line: String) {
    if fees > 0 {
        guard.set_check(format!("{line}; its verifiers were paid {fees} credits"));
    } else {
        guard.set_check(line);
    }
}

/// Pays verifier `v` for its verdict on `claim`: a check is a prefill of the prompt and the
/// answer, priced by its FLOPs as any job is (the catalog's price of this node's billed prompt,
/// the tokens before the segment included, and the answer's tokens; what this node can count
/// without the model). The spend is recorded here and delivered aside (a verifier that does not
/// confirm it gets it again later, as any payment). Returns the credits; 0 when this node
/// keeps no ledger or has not the credits (the verifier checked for free).
fn pay_for_check(net: &Net, v: NodeId, spec: &Spec, claim: &Claim, variant: &ModelRef) -> u64 {
    let (Some(ledger), Some(quant), Some((c, _))) =
        (net.node().ledger(), variant.quant.clone(), &claim.signed)
    else {
        return 0;
    };
    let Some(facts) = ledger.facts(&variant.name) else {
        return 0;
    };
    let billed = Policy::billed(&spec.prompt, claim.before.len(), facts.context);
    let tokens = (billed as u64 + claim.tokens.len() as u64).min(facts.context as u64);
    let credits = ledger.policy().price(facts.parameters, &quant, tokens);
    let Ok(hold) = ledger.hold(credits) else {
        return 0;
    };
    let receipt = Receipt {
        job: format!("{}.check", c.job),
        requester: ledger.id(),
        worker: v,
        model: variant.name.clone(),
        quant,
        prompt_tokens: tokens as u32,
        completion_tokens: 0,
        credits,
        time_ms: now_ms(),
    };
    let (net, ledger) = (net.clone(), ledger.clone());
    net.clone().tasks().spawn(async move {
        let e = match ledger.spend(hold, receipt.clone()).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!("paying verifier {} failed: {e}", v.short());
                return;
            }
        };
        let paid = Request::Paid {
            entry: hex::encode(e.encode()),
            head: Box::new(ledger.head_of(&e)),
        };
        if let Ok(Reply::Settled { .. }) = net.call(&v, &paid).await {
            ledger.confirm(&receipt);
        }
    });
    credits
}

/// What verifier `v` found: `Some(None)` a pass, `Some(Some(fault))` a failure, `None` no
/// verdict (busy, paused, gone, too slow).
async fn verdict(net: &Net, v: &NodeId, ask: &Request) -> Option<Option<String>> {
    let conn = net.connect(v).await.ok()?;
    match tokio::time::timeout(VERIFY_WAIT, call_on(&conn, ask)).await {
        Ok(Ok(Reply::Verdict { fault })) => Some(fault),
        _ => None,
    }
}

/// The peers to ask to verify an answer of `variant` by `worker`: the [`CANDIDATES`]
/// best-reputed routable peers that run it, in a random order (a clique at the top of the
/// ranking does not decide every check).
fn verifiers(net: &Net, variant: &ModelRef, worker: &NodeId) -> Vec<NodeId> {
    let checks = net.checks().all();
    let mut all: Vec<(u32, u32, Duration, NodeId)> = net.with_table(|t| {
        t.peers()
            .filter(|p| p.id != *worker && p.routable() && p.serves(variant).is_some())
            .map(|p| {
                let r = checks.get(&p.id).copied().unwrap_or_default();
                (
                    r.failed,
                    u32::MAX - r.passed,
                    p.rtt.unwrap_or(Duration::MAX),
                    p.id,
                )
            })
            .collect()
    });
    all.sort();
    let mut ids: Vec<NodeId> = all
        .into_iter()
        .take(CANDIDATES)
        .map(|(.., id)| id)
        .collect();
    for i in (1..ids.len()).rev() {
        let j = (crate::ids::random_u64() % (i as u64 + 1)) as usize;
        ids.swap(i, j);
    }
    ids
}

/// Checks a finished answer for `peer`, the job's requester, which does not run its variant:
/// the claim (the worker's signed commitment with the prompt) is re-run here as a proof is.
/// Refused when this node is paused, does not run the variant, or is busy with another peer's
/// check. The verdict names where the answer failed, never the model's own choice there (no
/// free inference).
pub(in crate::net) async fn verify_for(net: &Net, peer: NodeId, claim: FraudProof) -> Reply {
    let c = &claim.commitment;
    if net.node().paused() {
        return Reply::refused(RefuseCode::Paused, "contribution is paused here");
    }
    // A job's requester asks for its check; any node may ask to have a fraud proof judged (it
    // cannot re-run it, and a debt hangs on it).
    let mine = c.requester == peer || !claim.fault.is_empty();
    if !mine || c.worker == net.id() || c.worker == peer {
        net.strike(
            &peer,
            "asked to verify an answer not of its own job, or by itself",
        );
        return Reply::refused(
            RefuseCode::Invalid,
            "only a job's requester asks for its check",
        );
    }
    if let Err(e) = claim.check() {
        net.strike(
            &peer,
            &format!("asked to verify a claim that is not signed as sent: {e}"),
        );
        return Reply::refused(RefuseCode::Invalid, e.to_string());
    }
    // A proof this node holds already (it made or re-ran it): it holds, at no cost.
    let key = crate::ledger::chain::job_key(&c.job, &c.requester, &c.worker);
    if !claim.fault.is_empty()
        && net
            .checks()
            .proof_of_job(&key)
            .is_some_and(|p| p.commitment == *c && p.signature == claim.signature)
    {
        return Reply::Verdict {
            fault: Some("the proof holds here (re-run before)".into()),
        };
    }
    let variant = ModelRef::parse(&c.model);
    let Some(engine) = engine_of(net, &variant) else {
        return Reply::refused(
            RefuseCode::Model,
            format!("this node does not run {}", c.model),
        );
    };
    // A worker this node knows serving the variant, or one it caught failing: claims signed by
    // made-up keys (which cost nothing to make) are not worth a prefill.
    let caught = net.checks().get(&c.worker).failed > 0;
    if !caught && !known_worker(net, &c.worker, &variant) {
        return Reply::refused(
            RefuseCode::Invalid,
            format!(
                "this node does not know {} as a worker of {}",
                c.worker.short(),
                c.model
            ),
        );
    }
    let Some(_asking) = Asking::start(peer) else {
        return Reply::refused(RefuseCode::Busy, "a check of yours is running here already");
    };
    let Ok(_one) = FOREIGN.try_acquire() else {
        return Reply::refused(RefuseCode::Busy, "busy with other peers' checks");
    };
    match net
        .tasks()
        .spawn_blocking(move || claim.verify(&engine))
        .await
    {
        Ok(Ok(fault)) => Reply::Verdict {
            fault: Some(fault.summary()),
        },
        Ok(Err(ProofError::Passes)) => Reply::Verdict { fault: None },
        Ok(Err(e)) => Reply::refused(RefuseCode::Invalid, e.to_string()),
        Err(e) => Reply::refused(RefuseCode::Busy, e.to_string()),
    }
}

/// This node's engine of exactly `variant` (a quantization named): another computes other
/// logits, so only it can re-run a claim.
fn engine_of(net: &Net, variant: &ModelRef) -> Option<crate::engine::Engine> {
    variant.quant.as_ref()?;
    net.node().engine_here(Some(variant))
}

/// Whether `worker` is a peer this node knows serving `variant`: claims and proofs about
/// made-up keys (which cost nothing to make) are not worth a prefill.
fn known_worker(net: &Net, worker: &NodeId, variant: &ModelRef) -> bool {
    net.with_table(|t| t.get(worker).is_some_and(|p| p.serves(variant).is_some()))
}

/// A peer's place in [`ASKING`] while its check runs.
struct Asking(NodeId);

impl Asking {
    fn start(peer: NodeId) -> Option<Asking> {
        let mut all = ASKING.lock().expect("asking");
        if all.contains(&peer) {
            return None;
        }
        all.push(peer);
        Some(Asking(peer))
    }
}

impl Drop for Asking {
    fn drop(&mut self) {
        ASKING.lock().expect("asking").retain(|p| *p != self.0);
    }
}

/// A fraud proof `author` announced (by `id`): fetched from it, checked, and re-run here when
/// this node runs the variant and knows the worker (a peer in its table serving that variant:
/// proofs against made-up keys cost nothing to make and are not worth a prefill). A proof that
/// holds bans its worker here too and is kept (so this node announces it on). A proof that is
/// not what it claims (another id, a bad signature, another prompt) costs its sender; one whose
/// answer passes here does not (honest nodes' numbers differ at near-ties), it is only dropped.
/// A proof not fetched or not re-run now is looked at again at its next announcement.
pub(in crate::net) async fn take_proof(net: &Net, author: NodeId, id: [u8; 32]) {
    let ran = fetch_and_run(net, author, id).await;
    if !ran {
        net.forget_proof_sight(&id);
    }
}

/// [`take_proof`]'s work; whether the proof was dealt with (false: to look at again).
async fn fetch_and_run(net: &Net, author: NodeId, id: [u8; 32]) -> bool {
    let Ok(_fetch) = FETCHING.try_acquire() else {
        return false;
    };
    let req = Request::GetProof {
        id: hex::encode(id),
    };
    let proof = match net.call(&author, &req).await {
        Ok(Reply::Proof { proof }) => *proof,
        Ok(Reply::Refused { .. }) | Err(_) => return false,
        Ok(_) => {
            net.strike(&author, "answered get_proof with something else");
            return true;
        }
    };
    if proof.id() != id {
        net.strike(
            &author,
            "sent another fraud proof than the one it announced",
        );
        return true;
    }
    judge(net, author, proof, false).await
}

/// How long the debtor of a debt heard of has to send its proof against that job.
const DEBTOR_WAIT: Duration = Duration::from_secs(10);

/// A debt `p` its creditor `author` announced, for a job of a node this one knows: before it is
/// held against the debtor, the debtor is asked for its fraud proof against that job (it
/// withheld the payment because of one). A proof that holds here, or that this node cannot
/// re-run (disputed), voids the debt; otherwise it is kept, and the debtor refused until it
/// pays. So a void does not depend on the proof reaching this node by gossip first.
pub(in crate::net) async fn debt_heard(net: &Net, author: NodeId, p: crate::ledger::Promise) {
    let r = &p.receipt;
    let key = crate::ledger::chain::job_key(&r.job, &r.requester, &r.worker);
    let ask = Request::GetProof {
        id: hex::encode(key),
    };
    let answer = match FETCHING.acquire().await {
        Ok(_fetch) => tokio::time::timeout(DEBTOR_WAIT, net.call(&r.requester, &ask)).await,
        Err(_) => return,
    };
    if let Ok(Ok(Reply::Proof { proof })) = answer {
        let c = &proof.commitment;
        if c.job == r.job && c.requester == r.requester && c.worker == r.worker {
            // This node's own question: it waits for its turn in the queue for peers' work.
            judge(net, r.requester, *proof, true).await;
        } else {
            net.strike(
                &r.requester,
                "answered get_proof with a proof of another job",
            );
        }
    }
    if net.debt_void(&r.job, &r.requester, &r.worker) {
        tracing::warn!(
            "the debt of {} to {} for job {} is not held here: a fraud proof shows or disputes \
             that work",
            r.requester.short(),
            r.worker.short(),
            r.job
        );
        return;
    }
    if let Some(l) = net.node().ledger()
        && let Err(e) = l.adopt_debt(&p)
    {
        net.strike(&author, &format!("announced a false debt: {e}"));
    }
}

/// Judges a fraud proof `author` sent (see [`take_proof`]); whether it was dealt with (false: to
/// look at again when it is announced again). Its re-run takes a place in the queue for peers'
/// work at once, or (`wait`) when one frees.
async fn judge(net: &Net, author: NodeId, proof: FraudProof, wait: bool) -> bool {
    if let Err(e) = proof.check() {
        net.strike(&author, &format!("sent a false fraud proof: {e}"));
        return true;
    }
    let worker = proof.commitment.worker;
    let variant = ModelRef::parse(&proof.commitment.model);
    let known = known_worker(net, &worker, &variant);
    let engine = engine_of(net, &variant);
    if engine.is_none() && known && worker != net.id() {
        // This node cannot re-run it: two verifier peers that can (never its accuser) judge
        // it, and a fault both find disputes that work here (no debt for it is held).
        return match judged_by_verifiers(net, &proof).await {
            Some(true) => {
                net.dispute(&proof.commitment);
                true
            }
            Some(false) => true,
            None => false,
        };
    }
    let engine = engine.filter(|_| known && worker != net.id());
    let Some(engine) = engine else {
        tracing::debug!(
            "a fraud proof against {} ({}): not re-run here (another variant, or a worker this \
             node does not know)",
            worker.short(),
            proof.commitment.model
        );
        // Looked at again when announced again: the worker may be known by then.
        return variant.quant.is_none() || known;
    };
    let one = if wait {
        FOREIGN.acquire().await.ok()
    } else {
        FOREIGN.try_acquire().ok()
    };
    let Some(_one) = one else {
        return false;
    };
    let p = proof.clone();
    match net.tasks().spawn_blocking(move || p.verify(&engine)).await {
        Ok(Ok(fault)) => {
            record(net, worker, false).await;
            net.ban(
                &worker,
                &format!(
                    "a fraud proof from {}, re-run here, finds: {fault}",
                    author.short()
                ),
            );
            net.keep_proof(proof).await;
        }
        Ok(Err(e)) => tracing::warn!(
            "a fraud proof from {} against {} does not hold here: {e}",
            author.short(),
            worker.short()
        ),
        Err(_) => return false,
    }
    true
}
