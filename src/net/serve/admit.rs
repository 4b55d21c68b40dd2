//! Admitting a peer's job, before any work: it must be well formed (the same bounds as the HTTP
//! API), this node must serve the model and have room, and the job must be paid for — the
//! requester's signed head and the entries of its chain not audited before, its budget against
//! its audited balance, its job id against replays — or asked free on an idle slot. Then it is
//! tokenized (a few at a time), clamped to what its budget pays for, and queued by the
//! requester's credit standing.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::super::Net;
use super::super::wire::{self, InferRequest, RefuseCode, Reply, Request};
use crate::engine::Engine;
use crate::ids::{JobId, ModelRef, NodeId};
use crate::job::local::{FREE_PRIORITY, Prepared, prepare_off_runtime};
use crate::job::{self, Spec};
use crate::ledger::AuditError;

/// Longest failover continuation a peer may send, in tokens.
const MAX_CONTINUATION: usize = 1 << 20;
/// Most messages a peer's chat may carry.
const MAX_MESSAGES: usize = 4096;

/// What the requester pays with, checked before any work.
pub(super) enum Terms {
    /// Credits held by the requester, audited against its chain; its balance sets the priority.
    Paid { budget: u64, standing: u64 },
    /// No credits offered: served only on idle capacity, for nothing.
    Free,
}

/// A peer's job, checked, paid for and tokenized: ready to queue.
pub(super) struct Admitted {
    pub engine: Engine,
    pub spec: Spec,
    pub prepared: Prepared,
    pub terms: Terms,
    /// The catalog's parameter count of the model (the network's prices use it).
    pub parameters: u64,
    /// Tokens processed as prompt: the prompt and a failover's continuation.
    pub processed: u64,
    pub priority: i64,
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
    job::Sampling::from(&job.sampling)
        .check()
        .map_err(|e| e.message)
}

/// Checks, pays for and prepares a peer's job; a refusal is the reply to send.
pub(super) async fn admit(net: &Net, peer: NodeId, job: &InferRequest) -> Result<Admitted, Reply> {
    let node = net.node();
    if node.paused() {
        let m = "this node has paused its contribution";
        return Err(Reply::refused(RefuseCode::Paused, m));
    }
    let model = ModelRef::parse(&job.model);
    let Some(engine) = node.engine_for(Some(&model)).cloned() else {
        let m = format!("this node does not serve {}", job.model);
        return Err(Reply::refused(RefuseCode::Model, m));
    };
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
    };
    let prepared = {
        let Ok(_permit) = net.inner.prepares.acquire().await else {
            return Err(Reply::refused(RefuseCode::Busy, "stopping"));
        };
        prepare_off_runtime(
            net.tasks(),
            &engine,
            &spec.prompt,
            &job.continuation,
            job.max_tokens,
        )
        .await
    };
    let prepared = prepared.map_err(|r| super::refused(&r))?;
    let info = engine.info();
    // Priced from the catalog's parameter count, as the requester prices it.
    let parameters = node
        .ledger()
        .and_then(|l| l.parameters(&info.name))
        .unwrap_or(info.parameters);
    let mut a = Admitted {
        processed: prepared.prompt_tokens as u64 + job.continuation.len() as u64,
        engine,
        spec,
        prepared,
        terms,
        parameters,
        priority: FREE_PRIORITY,
    };
    match a.price(net) {
        Some(refusal) => Err(refusal),
        None => Ok(a),
    }
}

impl Admitted {
    /// Clamps a paid job to what its budget pays for, and sets its priority: contributor
    /// priority, the richer requester's job is admitted first. A budget that pays for no
    /// answer token gets the refusal to send.
    fn price(&mut self, net: &Net) -> Option<Reply> {
        let Terms::Paid { budget, standing } = self.terms else {
            return None;
        };
        let policy = net
            .node()
            .ledger()
            .expect("paid terms need a ledger")
            .policy();
        let quant = &self.engine.info().quant;
        let can = policy.affordable(self.parameters, quant, self.processed, budget);
        if can == 0 {
            let need = policy.price(self.parameters, quant, self.processed + 1);
            let processed = self.processed;
            return Some(Reply::refused(
                RefuseCode::Credits,
                format!(
                    "its {processed}-token prompt and one answer token cost {need} credits; \
                     {budget} were offered"
                ),
            ));
        }
        if can < self.prepared.max_tokens as u64 {
            self.prepared.max_tokens = can as u32;
            self.prepared.warn(format!(
                "max_tokens clamped to {can}: what the requester's credits pay for"
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
        let free = ledger.policy().free_when_idle;
        return if free && idle {
            Ok(Terms::Free)
        } else {
            Err(Reply::refused(
                RefuseCode::Credits,
                format!(
                    "the job offers no credits, and this node serves such jobs only when a slot is idle \
                     (free_when_idle = {free})"
                ),
            ))
        };
    }
    let invalid = |m: String| {
        net.strike(&peer, &m);
        Reply::refused(RefuseCode::Invalid, m)
    };
    let Some(head) = &job.head else {
        return Err(invalid(
            "a job with a budget must carry the requester's signed ledger head".into(),
        ));
    };
    if head.owner != peer {
        return Err(invalid("the ledger head it sent is another node's".into()));
    }
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
    let n = net.clone();
    let fetch = |after, sink| async move { n.fetch_chain(peer, after, sink).await };
    let balance = ledger
        .audit(net.tasks(), head, fetch)
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
    if balance < job.budget {
        let m = format!(
            "it offered {} credits but its audited balance is {balance}",
            job.budget
        );
        net.strike(&peer, &m);
        return Err(Reply::refused(RefuseCode::Credits, m));
    }
    Ok(Terms::Paid {
        budget: job.budget,
        standing: balance,
    })
}

impl Net {
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
