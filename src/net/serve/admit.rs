//! Admitting a peer's job, before any work: it must be well formed (the same bounds as the HTTP
//! API), name the exact variant this node serves, this node must have room, and the job must be
//! paid for — the requester's signed head and the entries of its chain not audited before, no
//! unpaid debt, its budget against its audited balance, its job id against replays, and its
//! signed promise for the prompt (billed by the rule both sides compute) — or asked free on an
//! idle slot. Then it is tokenized (a few at a time), clamped to what its budget pays for and to
//! the model's context, and queued by the requester's credit standing.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::super::Net;
use super::super::wire::{self, InferRequest, RefuseCode, Reply, Request};
use crate::engine::Engine;
use crate::ids::{JobId, ModelRef, NodeId};
use crate::job::local::{FREE_PRIORITY, Prepared, prepare_off_runtime};
use crate::job::{self, Spec};
use crate::ledger::chain::{
    Entry, HOLD_TTL_MS, MAX_OPEN_HOLDS, OpenHold, Payload, Waiver, job_key,
};
use crate::ledger::{AuditError, Ledger, Policy, Promise};

/// The least time a hold must have left when its job is admitted.
const MIN_HOLD_LEFT_MS: u64 = 10 * 60 * 1000;

/// Longest failover continuation a peer may send, in tokens.
const MAX_CONTINUATION: usize = 1 << 20;
/// Most messages a peer's chat may carry.
const MAX_MESSAGES: usize = 4096;

/// What the requester pays with, checked before any work.
pub(super) enum Terms {
    /// Credits held by the requester, audited against its chain; its balance sets the priority.
    /// `promise`: its signed promise for the prompt, the template of every later one.
    Paid {
        budget: u64,
        standing: u64,
        promise: Box<Promise>,
        /// When the requester may release the job's hold: the job ends before.
        hold_until: u64,
        /// The requester's head the audit ended at (shown to its witnesses again later).
        head: Box<crate::ledger::Head>,
        /// The hash of the chain's hold entry the job runs on.
        hold: [u8; 32],
    },
    /// No credits offered: served only on idle capacity, for nothing.
    Free,
}

/// Most holds waived and remembered at once; past it, no waiver is given (jobs are still
/// taken). One requester's are bounded by [`MAX_OPEN_HOLDS`] too: no chain has more open.
const MAX_WAIVED: usize = 1 << 14;

/// Peers' job ids running here, and the holds this node ran a job on or waived: one job id
/// runs once at a time, so one hold cannot back two jobs; a hold it waived (the requester may
/// release it at once) backs no job here, and a hold a job ran on is never waived.
pub(crate) struct Claims {
    /// By job key (requester, job id and this node).
    running: HashSet<[u8; 32]>,
    /// Holds waived here, by requester: each hold's entry hash, and when its time is up (then
    /// a release needs no waiver, and no job is admitted on it: the mark no longer matters).
    /// At most [`MAX_OPEN_HOLDS`] per requester, [`MAX_WAIVED`] in all.
    waived: HashMap<NodeId, Vec<([u8; 32], u64)>>,
    waived_total: usize,
    /// When the waived holds whose time is up may be dropped next, with the table full.
    next_prune_ms: u64,
    /// Holds a job ran or runs on here, by entry hash: when their time is up.
    ran: HashMap<[u8; 32], u64>,
    /// Past this many, the next mark of a run drops those whose time is up.
    prune_ran_at: usize,
    /// When this node started. What it waived before is forgotten, so a hold made before is
    /// not run on (it may have been waived), nor waived.
    started: u64,
}

impl Default for Claims {
    fn default() -> Claims {
        Claims {
            running: HashSet::new(),
            waived: HashMap::new(),
            waived_total: 0,
            next_prune_ms: 0,
            ran: HashMap::new(),
            prune_ran_at: 4096,
            started: crate::ids::now_ms(),
        }
    }
}

impl Claims {
    /// Marks `hold` of `peer` (made at `time_ms`, its time up at `until`) as one a job runs on,
    /// unless it was waived here or made before this node started. Returns whether the mark
    /// is new (no job ran on the hold here before).
    fn run_on(
        &mut self,
        peer: &NodeId,
        hold: [u8; 32],
        time_ms: u64,
        until: u64,
    ) -> Result<bool, (RefuseCode, &'static str)> {
        let now = crate::ids::now_ms();
        if time_ms < self.started {
            // Not the requester's fault: it may send the job elsewhere.
            let why = "was made before this node started (it keeps no record of it)";
            return Err((RefuseCode::Busy, why));
        }
        let waived = self.waived.get(peer).into_iter().flatten();
        if waived.into_iter().any(|&(h, t)| h == hold && t > now) {
            return Err((
                RefuseCode::Credits,
                "was waived by this node when it refused the job",
            ));
        }
        if self.ran.len() >= self.prune_ran_at {
            self.ran.retain(|_, t| *t > now);
            self.prune_ran_at = (2 * self.ran.len()).max(4096);
        }
        Ok(self.ran.insert(hold, until).is_none_or(|t| t <= now))
    }

    /// Forgets that a job runs on `hold`: its job was refused before any work, and no job ran
    /// on it before.
    fn unrun(&mut self, hold: &[u8; 32]) {
        self.ran.remove(hold);
    }

    /// Marks `hold` of `peer` for the job with `key` (made at `time_ms`, its time up at
    /// `until`) as waived; false when it may not be: its job runs here, a job ran on it, it
    /// was made before this node started or after now (a requester's clock ahead of this
    /// node's gets no waivers), or too many are waived.
    fn waive(
        &mut self,
        peer: NodeId,
        key: &[u8; 32],
        hold: [u8; 32],
        time_ms: u64,
        until: u64,
    ) -> bool {
        let now = crate::ids::now_ms();
        if self.running.contains(key)
            || time_ms < self.started
            || time_ms > now
            || until <= now
            || self.ran.get(&hold).is_some_and(|t| *t > now)
        {
            return false;
        }
        if self.waived_total >= MAX_WAIVED && now >= self.next_prune_ms {
            // At most once a minute: a table full of live holds is not scanned at each call.
            self.next_prune_ms = now + 60_000;
            self.waived.retain(|_, v| {
                v.retain(|&(_, t)| t > now);
                !v.is_empty()
            });
            self.waived_total = self.waived.values().map(Vec::len).sum();
        }
        let full = self.waived_total >= MAX_WAIVED;
        let mine = self.waived.entry(peer).or_default();
        let before = mine.len();
        mine.retain(|&(_, t)| t > now);
        self.waived_total -= before - mine.len();
        if mine.iter().any(|&(h, _)| h == hold) {
            return true;
        }
        if full || mine.len() >= MAX_OPEN_HOLDS {
            // No empty entry left behind: a flood of refused requesters would grow the map.
            if mine.is_empty() {
                self.waived.remove(&peer);
            }
            return false;
        }
        mine.push((hold, until));
        self.waived_total += 1;
        true
    }
}

/// A peer's job id taken on this node while its job runs and settles (see `Net::claims`).
pub(super) struct Claim {
    net: Net,
    key: [u8; 32],
}

impl Claim {
    /// Takes `job` of `peer`, unless a job with that id of that peer runs here already.
    fn take(net: &Net, peer: NodeId, job: &str) -> Option<Claim> {
        let key = job_key(job, &peer, &net.id());
        let fresh = net.inner.claims.lock().expect("claims").running.insert(key);
        fresh.then(|| Claim {
            net: net.clone(),
            key,
        })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.net
            .inner
            .claims
            .lock()
            .expect("claims")
            .running
            .remove(&self.key);
    }
}

/// Marks the hold a paid job runs on, just before the job is queued: from here on it is never
/// waived. Refused when it was waived, was made before this node started, or has too little
/// time left (the job waited to be tokenized). Returns whether the mark is new.
fn runs_on(net: &Net, peer: NodeId, terms: &Terms, job: &str) -> Result<bool, Reply> {
    let Terms::Paid {
        hold, hold_until, ..
    } = terms
    else {
        return Ok(false);
    };
    if *hold_until < crate::ids::now_ms() + MIN_HOLD_LEFT_MS {
        let m = format!("the hold for job {job} is about to expire");
        return Err(Reply::refused(RefuseCode::Credits, m));
    }
    let made = hold_until - HOLD_TTL_MS;
    let mut claims = net.inner.claims.lock().expect("claims");
    match claims.run_on(&peer, *hold, made, *hold_until) {
        Ok(fresh) => Ok(fresh),
        Err((code, why)) => {
            let m = format!("the hold for job {job} {why}");
            Err(Reply::refused(code, m))
        }
    }
}

/// The waiver of the hold of a job refused after it was marked to run on it (the engine's
/// queue filled while it was tokenized): the mark is taken back when it was this job's, and
/// the job's id given up first, so the waiver's checks are those of any refusal.
pub(super) fn unrun(
    net: &Net,
    peer: NodeId,
    job: &InferRequest,
    admitted: Admitted,
) -> Option<Waiver> {
    let fresh = admitted.fresh_mark;
    let hold = match admitted.terms {
        Terms::Paid { hold, .. } => hold,
        Terms::Free => return None,
    };
    drop(admitted.claim);
    if fresh {
        net.inner.claims.lock().expect("claims").unrun(&hold);
    }
    waiver(net, peer, job)
}

/// This node's waiver of the hold a refused paid job carries, so that the requester has its
/// credits back at once: given only for the requester's own hold entry for this job on this
/// node, made since this node started and not in the future, whose time is not up, when no job
/// runs or ran on it here and the requester owes no debt. The hold is remembered as waived
/// until its time is up, and no job is admitted on it.
pub(super) fn waiver(net: &Net, peer: NodeId, job: &InferRequest) -> Option<Waiver> {
    let ledger = net.node().ledger()?;
    let raw = hex::decode(job.hold.as_deref()?).ok()?;
    let e = Entry::decode(&raw).ok()?;
    let Payload::Hold(h) = &e.payload else {
        return None;
    };
    let fits = e.owner == peer && h.job == job.job && h.worker == ledger.id();
    if !fits || ledger.debt_of(&peer).is_some() || !e.signature_ok(&raw) {
        return None;
    }
    let (hash, until) = (e.hash(), e.time_ms.saturating_add(HOLD_TTL_MS));
    let key = job_key(&job.job, &peer, &ledger.id());
    let mut claims = net.inner.claims.lock().expect("claims");
    if !claims.waive(peer, &key, hash, e.time_ms, until) {
        return None;
    }
    drop(claims);
    Some(ledger.waive(&hash))
}

/// A peer's job, checked, paid for and tokenized: ready to queue.
pub(super) struct Admitted {
    /// Its job id, taken here until it has settled.
    pub claim: Claim,
    pub engine: Engine,
    pub spec: Spec,
    pub prepared: Prepared,
    pub terms: Terms,
    /// The catalog's parameter count of the model (the network's prices use it).
    pub parameters: u64,
    /// Prompt tokens billed (by the rule both sides compute; see [`Policy::billed_prompt`]).
    pub billed: u64,
    /// The catalog's context of the model: prompt and answer billed never exceed it.
    pub context: u32,
    pub priority: i64,
    /// Whether this job marked its hold as run on here (no job ran on it before).
    pub fresh_mark: bool,
}

/// The same bounds the HTTP API enforces, for requests that come from peers.
fn check(job: &InferRequest) -> Result<(), String> {
    if job.job.is_empty() || job.job.len() > crate::ledger::chain::MAX_JOB {
        return Err(format!(
            "a job id must be 1 to {} bytes",
            crate::ledger::chain::MAX_JOB
        ));
    }
    job::check_stops(&job.stop).map_err(|e| e.message)?;
    if let wire::Prompt::Chat(m) = &job.prompt
        && (m.is_empty() || m.len() > MAX_MESSAGES)
    {
        return Err(format!(
            "a job must carry 1 to {MAX_MESSAGES} messages, not {}",
            m.len()
        ));
    }
    if job.continuation.len() > MAX_CONTINUATION {
        return Err("continuation too long".into());
    }
    job::check_constraints(&job.constraints).map_err(|e| e.message)?;
    // A template reads tool calls' arguments as JSON, recursively: JSON within serde's depth.
    if let wire::Prompt::Chat(m) = &job.prompt
        && m.iter()
            .flat_map(|m| &m.tool_calls)
            .any(|c| serde_json::from_str::<serde_json::Value>(&c.arguments).is_err())
    {
        return Err("a tool call's arguments are not JSON (or nest too deep)".into());
    }
    if let wire::Prompt::Embed(v) = &job.prompt
        && (v.is_empty() || v.len() > job::MAX_EMBED_INPUTS)
    {
        return Err(format!(
            "an embedding job carries 1 to {} inputs, not {}",
            job::MAX_EMBED_INPUTS,
            v.len()
        ));
    }
    if job.logprobs.is_some_and(|n| n > job::MAX_TOP_LOGPROBS) {
        return Err(format!(
            "top_logprobs may be at most {}",
            job::MAX_TOP_LOGPROBS
        ));
    }
    job::Sampling::from(&job.sampling)
        .check()
        .map_err(|e| e.message)
}

/// The model a job names and this node's engine for it: not while paused; a paid job names the
/// exact variant (its price depends on it).
fn engine_for(net: &Net, job: &InferRequest) -> Result<(ModelRef, Engine), Reply> {
    let node = net.node();
    if node.paused() {
        let m = "this node has paused its contribution";
        return Err(Reply::refused(RefuseCode::Paused, m));
    }
    let model = ModelRef::parse(&job.model);
    let Some(engine) = node.engine_here(Some(&model)) else {
        let m = format!("this node does not serve {}", job.model);
        return Err(Reply::refused(RefuseCode::Model, m));
    };
    if job.budget > 0 && model.quant.is_none() {
        let m = format!(
            "a paid job must name the variant it pays for (`{}:{}`)",
            model.name,
            engine.info().quant
        );
        return Err(Reply::refused(RefuseCode::Model, m));
    }
    // Vectors of a chat model, or text of an embedding model: a request no node of this
    // model answers (not a fault: the requester's client named the model).
    let embed = matches!(job.prompt, wire::Prompt::Embed(_));
    if embed != engine.embeds() {
        let m = if embed {
            format!("{} makes text, not embeddings", engine.info().name)
        } else {
            format!(
                "{} is an embedding model: it makes vectors, not text",
                engine.info().name
            )
        };
        return Err(Reply::refused(RefuseCode::Invalid, m));
    }
    if job.constraints.has_tools() && !engine.supports_tools() {
        let m = format!(
            "the chat template of {} here does not render tools",
            engine.info().name
        );
        return Err(Reply::refused(RefuseCode::Unsupported, m));
    }
    Ok((model, engine))
}

/// Checks, pays for and prepares a peer's job; a refusal is the reply to send.
pub(super) async fn admit(net: &Net, peer: NodeId, job: &InferRequest) -> Result<Admitted, Reply> {
    let node = net.node();
    let (model, engine) = engine_for(net, job)?;
    // A malformed request is refused as such, before its payment is looked at.
    let vocab = engine.n_vocab();
    let bad_token = job
        .continuation
        .iter()
        .find(|&&t| t >= vocab)
        .map(|t| format!("continuation token {t} is outside the {vocab}-token vocabulary"));
    if let Some(m) = check(job).err().or(bad_token) {
        net.strike(&peer, &m);
        return Err(Reply::refused(RefuseCode::Invalid, m));
    }
    // Refuse before tokenizing when the engine cannot take it anyway, and tokenize few peer
    // requests at a time: a peer cannot make this node do much work for free.
    if !engine.has_room() {
        let m = "every slot and queue place is taken";
        return Err(Reply::refused(RefuseCode::Busy, m));
    }
    // Not a strike: a requester may send a job again after a broken connection.
    let Some(claim) = Claim::take(net, peer, &job.job) else {
        let m = format!("job {} is running here already", job.job);
        return Err(Reply::refused(RefuseCode::Busy, m));
    };
    let stats = engine.stats();
    let idle =
        stats.busy_slots.load(Ordering::Relaxed) == 0 && stats.queued.load(Ordering::Relaxed) == 0;
    let terms = terms(net, peer, job, idle).await?;
    let spec = Spec {
        model: Some(model),
        prompt: job.prompt.clone().into(),
        max_tokens: job.max_tokens,
        sampling: (&job.sampling).into(),
        stop: job.stop.clone(),
        ignore_eos: job.ignore_eos,
        constraints: (*job.constraints).clone(),
        logprobs: job.logprobs,
        // A peer's job is never sent on from here.
        policy: crate::route::policy::Policy {
            route: crate::route::policy::Route::Local,
            ..Default::default()
        },
    };
    let prepared = {
        let Ok(_permit) = net.inner.prepares.acquire().await else {
            return Err(Reply::refused(RefuseCode::Busy, "stopping"));
        };
        prepare_off_runtime(
            net.tasks(),
            &engine,
            &spec.prompt,
            &spec.constraints,
            &job.continuation,
            job.max_tokens,
        )
        .await
    };
    let prepared = prepared.map_err(|r| super::refused(&r))?;
    let info = engine.info();
    // Priced from the catalog, as the requester prices it.
    let facts = node.ledger().and_then(|l| l.facts(&info.name));
    let parameters = facts.map_or(info.parameters, |f| f.parameters);
    let context = facts.map_or(u32::MAX, |f| f.context);
    let billed = Policy::billed(&spec.prompt, job.continuation.len(), context);
    let mut a = Admitted {
        claim,
        billed: billed as u64,
        context,
        engine,
        spec,
        prepared,
        terms,
        parameters,
        priority: FREE_PRIORITY,
        fresh_mark: false,
    };
    if let Some(refusal) = a.price(net) {
        return Err(refusal);
    }
    a.fresh_mark = runs_on(net, peer, &a.terms, &job.job)?;
    Ok(a)
}

impl Admitted {
    /// Clamps a paid job to what its budget pays for, and sets its priority: contributor
    /// priority, the richer requester's job is admitted first. A budget that pays for no
    /// answer token gets the refusal to send.
    fn price(&mut self, net: &Net) -> Option<Reply> {
        let Terms::Paid {
            budget,
            standing,
            ref promise,
            ..
        } = self.terms
        else {
            return None;
        };
        let ledger = net.node().ledger().expect("paid terms need a ledger");
        let policy = ledger.policy();
        let info = self.engine.info();
        if let Err(m) = check_promise(ledger, promise, &info.name, &info.quant, self.billed) {
            return Some(Reply::refused(RefuseCode::Credits, m));
        }
        let quant = &info.quant;
        // An embedding job's vectors come with its prompt: the promise for the prompt pays.
        if self.prepared.embed.is_some() {
            self.priority = i64::try_from(standing).unwrap_or(i64::MAX - 1);
            return None;
        }
        let can = policy
            .affordable(self.parameters, quant, self.billed, budget)
            .min((self.context as u64).saturating_sub(self.billed));
        if can == 0 {
            let need = policy.price(self.parameters, quant, self.billed + 1);
            let billed = self.billed;
            return Some(Reply::refused(
                RefuseCode::Credits,
                format!(
                    "its prompt (billed as {billed} tokens) and one answer token cost {need} \
                     credits; {budget} were offered"
                ),
            ));
        }
        if can < self.prepared.max_tokens as u64 {
            self.prepared.max_tokens = can as u32;
            self.prepared.warn(format!(
                "max_tokens clamped to {can}: what the requester's credits pay for, within the \
                 model's context"
            ));
        }
        self.priority = i64::try_from(standing).unwrap_or(i64::MAX - 1);
        None
    }
}

/// Checks a job's payment terms: the requester's signed head, its chain (only what was not
/// audited before), the budget against its balance, and the job id against replays.
async fn terms(net: &Net, peer: NodeId, job: &InferRequest, idle: bool) -> Result<Terms, Reply> {
    let Some(ledger) = net.node().ledger().cloned() else {
        return Ok(Terms::Free);
    };
    if job.budget == 0 {
        return free_terms(&ledger, &peer, idle);
    }
    if ledger.stale().is_some() {
        let m = "this node's ledger is behind its own chain (see its log): it takes no paid jobs";
        return Err(Reply::refused(RefuseCode::Busy, m));
    }
    let invalid = |m: String| {
        net.strike(&peer, &m);
        Reply::refused(RefuseCode::Invalid, m)
    };
    let (head, promise) = paid_with(job, &peer).map_err(invalid)?;
    let (l, j) = (ledger.clone(), JobId::from(job.job.clone()));
    let recorded = net
        .tasks()
        .spawn_blocking(move || l.recorded(&j, &peer, &l.id()))
        .await;
    if matches!(recorded, Ok(Ok(true))) {
        return Err(invalid(format!(
            "replayed job id {}: its receipt is already recorded",
            job.job
        )));
    }
    let balance = ledger
        .audit(net.tasks(), head, net.chain_fetcher())
        .await
        .map_err(|e| match e {
            AuditError::Bad(e) => {
                net.strike(&peer, &format!("ledger audit failed: {e}"));
                let m = format!("your ledger failed this node's audit: {e}");
                Reply::refused(RefuseCode::Ledger, m)
            }
            // Unreachable or slow: nobody's fault yet.
            AuditError::Fetch(e) => {
                let m = format!("could not read your ledger for its audit: {e}");
                Reply::refused(RefuseCode::Busy, m)
            }
        })?;
    // The audit may have shown the payment of a debt; one still unpaid refuses the job.
    if let Some(debt) = ledger.debt_of(&peer) {
        return Err(in_debt(&debt));
    }
    // Not a strike: a hold that expires soon, or earnings not backed yet, can be honest.
    let hold =
        held_for(&ledger, peer, job, head).map_err(|m| Reply::refused(RefuseCode::Credits, m))?;
    witnessed(net, &ledger, peer, head).await?;
    Ok(Terms::Paid {
        budget: job.budget,
        standing: balance,
        promise,
        hold_until: hold.time_ms + HOLD_TTL_MS,
        head: Box::new(head.clone()),
        hold: hold.hash,
    })
}

/// Shows the requester's head to its witnesses before any work: the same credits held for
/// another worker on another branch of its chain are caught here (or by that worker).
async fn witnessed(
    net: &Net,
    ledger: &Ledger,
    peer: NodeId,
    head: &crate::ledger::Head,
) -> Result<(), Reply> {
    let seen = super::witness::check(net, peer, head).await;
    if let Some(p) = seen.proof {
        net.with_table(|t| t.remove(&peer));
        let m = format!(
            "this node refuses you: you signed two different ledger heads at seq {}",
            p.a.seq
        );
        return Err(Reply::refused(RefuseCode::Banned, m));
    }
    // A witness holds a later head: the chain shown must lead to it. A requester that showed
    // this node an old head, or another branch, cannot serve a chain from here to there.
    if let Some(later) = &seen.later
        && let Err(e) = ledger.audit(net.tasks(), later, net.chain_fetcher()).await
    {
        let m = format!(
            "your chain does not lead from the head you sent (seq {}) to the later one your \
             witnesses hold (seq {}): {e}",
            head.seq, later.seq
        );
        // Unreachable or slow: nobody's fault yet.
        if let AuditError::Fetch(_) = e {
            return Err(Reply::refused(RefuseCode::Busy, m));
        }
        net.strike(&peer, &m);
        return Err(Reply::refused(RefuseCode::Ledger, m));
    }
    Ok(())
}

/// The hold the requester's audited chain has open for this job on this node: at least the
/// budget offered, recent enough to run the job before the requester may release it, and backed
/// (the chain's earnings this node could not back yet do not pay for holds).
fn held_for(
    ledger: &Ledger,
    peer: NodeId,
    job: &InferRequest,
    head: &crate::ledger::Head,
) -> Result<OpenHold, String> {
    let key = job_key(&job.job, &peer, &ledger.id());
    let Some((hold, backed)) = ledger.open_hold(&peer, &key) else {
        return Err(format!(
            "your chain holds no credits for job {} on this node (a paid job's budget must be \
             set aside by a hold entry first)",
            job.job
        ));
    };
    // The head shown (to this node's witnesses too) must include the hold.
    if hold.seq > head.seq {
        return Err(format!(
            "the head you sent (seq {}) comes before the hold for job {} (seq {})",
            head.seq, job.job, hold.seq
        ));
    }
    if hold.amount < job.budget {
        return Err(format!(
            "it offered {} credits but its chain holds {} for the job",
            job.budget, hold.amount
        ));
    }
    if hold.time_ms + HOLD_TTL_MS < crate::ids::now_ms() + MIN_HOLD_LEFT_MS {
        return Err(format!("the hold for job {} is about to expire", job.job));
    }
    if !backed {
        return Err(
            "its chain's earnings that back its holds are not backed by their payers' chains \
             (yet)"
                .into(),
        );
    }
    Ok(hold)
}

/// A job that offers nothing: served free on an idle slot where the policy allows it (never to
/// a debtor).
fn free_terms(ledger: &Ledger, peer: &NodeId, idle: bool) -> Result<Terms, Reply> {
    if let Some(debt) = ledger.debt_of(peer) {
        return Err(in_debt(&debt));
    }
    let free = ledger.policy().free_when_idle;
    if free && idle {
        return Ok(Terms::Free);
    }
    Err(Reply::refused(
        RefuseCode::Credits,
        format!(
            "the job offers no credits, and this node serves such jobs only when a slot is idle \
             (free_when_idle = {free})"
        ),
    ))
}

/// What a paid job must carry: the requester's signed head and its promise for this job.
fn paid_with<'a>(
    job: &'a InferRequest,
    peer: &NodeId,
) -> Result<(&'a crate::ledger::Head, Box<Promise>), String> {
    let Some(head) = job.head.as_deref() else {
        return Err("a job with a budget must carry the requester's signed ledger head".into());
    };
    if head.owner != *peer {
        return Err("the ledger head it sent is another node's".into());
    }
    let Some(promise) = job.promise.clone() else {
        return Err(
            "a job with a budget must carry the requester's signed promise for its prompt".into(),
        );
    };
    if promise.receipt.job != job.job || promise.receipt.requester != *peer {
        return Err("its promise is for another job or requester".into());
    }
    Ok((head, promise))
}

/// The refusal of a requester with an unpaid debt.
fn in_debt(debt: &Promise) -> Reply {
    let r = &debt.receipt;
    Reply::refused(
        RefuseCode::Debt,
        format!(
            "you owe {} credits to {} for job {} (a promise you signed and did not pay); every \
             honest node refuses you until your chain shows that payment",
            r.credits,
            r.worker.short(),
            r.job
        ),
    )
}

/// Checks the requester's promise for the prompt: signed by it, for this job on this node, for
/// the variant this node runs, billing the prompt by the rule and priced as the catalog says.
fn check_promise(
    ledger: &Ledger,
    p: &Promise,
    name: &str,
    quant: &str,
    billed: u64,
) -> Result<(), String> {
    p.check()?;
    super::tab::fresh(&p.receipt)?;
    let r = &p.receipt;
    if r.worker != ledger.id() {
        return Err("its promise names another worker".into());
    }
    if !r.model.eq_ignore_ascii_case(name) || !r.quant.eq_ignore_ascii_case(quant) {
        return Err(format!(
            "its promise is for {}:{}, this node runs {name}:{quant}",
            r.model, r.quant
        ));
    }
    let price = ledger.price(name, quant, billed);
    if r.completion_tokens != 0 || r.prompt_tokens as u64 != billed || Some(r.credits) != price {
        return Err(format!(
            "its promise bills {} + {} tokens for {} credits; the prompt is billed {billed} \
             tokens for {} credits",
            r.prompt_tokens,
            r.completion_tokens,
            r.credits,
            price.unwrap_or(0)
        ));
    }
    Ok(())
}

impl Net {
    /// Fetches any peer's chain for an audit (the requester's, and its payers').
    pub fn chain_fetcher(
        &self,
    ) -> impl Fn(
        NodeId,
        Option<u64>,
        tokio::sync::mpsc::Sender<Vec<Vec<u8>>>,
    ) -> super::super::ChainFetch<'static>
    + Clone
    + Send
    + Sync
    + 'static {
        let net = self.clone();
        move |peer, after, sink| {
            let n = net.clone();
            Box::pin(async move { n.fetch_chain(peer, after, sink).await })
        }
    }

    /// Fetches a peer's ledger entries after `after` for an audit, bounded in count.
    ///
    /// A boxed future of a named type: serving a job audits, auditing dials, and dialing serves
    /// streams, so the compiler needs this link's type spelled out to see the cycle is `Send`.
    pub fn fetch_chain(
        &self,
        peer: NodeId,
        after: Option<u64>,
        sink: tokio::sync::mpsc::Sender<Vec<Vec<u8>>>,
    ) -> super::super::ChainFetch<'_> {
        Box::pin(self.fetch_chain_inner(peer, after, sink))
    }

    async fn fetch_chain_inner(
        &self,
        peer: NodeId,
        after: Option<u64>,
        sink: tokio::sync::mpsc::Sender<Vec<Vec<u8>>>,
    ) -> Result<(), String> {
        let conn = self.connect(&peer).await.map_err(|e| format!("{e:#}"))?;
        let (mut tx, mut rx) = conn.open_bi().await.map_err(|e| e.to_string())?;
        wire::write(&mut tx, &Request::GetChain { after })
            .await
            .map_err(|e| e.to_string())?;
        let _ = tx.finish();
        loop {
            let frame = tokio::select! {
                f = tokio::time::timeout(
                    Duration::from_secs(30),
                    wire::read::<Reply, _>(&mut rx, wire::MAX_SMALL_FRAME),
                ) => f,
                // The verifier stopped at a bad entry: no need to wait for more.
                _ = sink.closed() => return Ok(()),
            };
            let frame = frame
                .map_err(|_| "its chain did not arrive in time".to_string())?
                .map_err(|e| e.to_string())?;
            match frame {
                Some(Reply::Entries { entries }) => {
                    let raws = entries
                        .iter()
                        .map(hex::decode)
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|_| "an entry is not hex".to_string())?;
                    // The verifier stopped (a bad entry): it says why.
                    if sink.send(raws).await.is_err() {
                        return Ok(());
                    }
                }
                Some(Reply::ChainEnd) => return Ok(()),
                Some(Reply::Refused { message, .. }) => return Err(message),
                Some(other) => return Err(format!("answered GetChain with {other:?}")),
                None => return Err("closed the stream before the end of its chain".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_a_job_ran_on_is_never_waived_and_a_waived_hold_runs_nothing() {
        let mut c = Claims::default();
        let now = crate::ids::now_ms();
        let (peer, until) = (NodeId::from(&iroh::SecretKey::generate()), now + 60_000);
        let waive = |c: &mut Claims, hold: u8, time_ms: u64| {
            c.waive(peer, &[hold; 32], [hold; 32], time_ms, until)
        };
        // A job ran on hold 1 (and may run again on it, sent again): it is not waived.
        assert_eq!(c.run_on(&peer, [1; 32], now, until), Ok(true));
        assert_eq!(c.run_on(&peer, [1; 32], now, until), Ok(false));
        assert!(!waive(&mut c, 1, now));
        // A job refused before any work takes its fresh mark back: then it may be waived.
        assert_eq!(c.run_on(&peer, [8; 32], now, until), Ok(true));
        c.unrun(&[8; 32]);
        assert!(waive(&mut c, 8, now));
        // Hold 2 was waived (again, the same waiver): no job runs on it.
        assert!(waive(&mut c, 2, now));
        assert!(waive(&mut c, 2, now));
        let (code, why) = c.run_on(&peer, [2; 32], now, until).unwrap_err();
        assert!(
            code == RefuseCode::Credits && why.contains("waived"),
            "{why}"
        );
        // Its job runs here: hold 3 is not waived.
        c.running.insert([3; 32]);
        assert!(!waive(&mut c, 3, now));
        // Holds made before this node started (it forgot what it waived), or after now: not
        // waived; nor run on, when made before it started.
        let before = c.started - 1;
        assert!(!waive(&mut c, 4, before));
        assert!(!waive(&mut c, 4, now + 60_000));
        let (code, _) = c.run_on(&peer, [4; 32], before, until).unwrap_err();
        assert!(code == RefuseCode::Busy);
        // Once a hold's time is up, what it was used for no longer matters.
        assert!(!c.waive(peer, &[5; 32], [5; 32], now, 1));
        c.waived.entry(peer).or_default().push(([6; 32], 1));
        c.waived_total += 1;
        assert_eq!(c.run_on(&peer, [6; 32], now, until), Ok(true));
        // One requester has at most as many waived as a chain has holds open.
        for i in 0..MAX_OPEN_HOLDS as u32 {
            let h = *blake3::hash(&i.to_be_bytes()).as_bytes();
            c.waive(peer, &h, h, now, until);
        }
        assert!(!waive(&mut c, 7, now));
        let other = NodeId::from(&iroh::SecretKey::generate());
        assert!(c.waive(other, &[7; 32], [7; 32], now, until));
        assert_eq!(c.waived_total, MAX_OPEN_HOLDS + 1);
    }
}
