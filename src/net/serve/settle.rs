//! Settling a peer's paid job on its requester's last promise: the requester records a spend for
//! it and sends the entry with its signed head; this node audits the requester's chain up to
//! that head (so the payment continues the chain it audited: seq, previous hash, balance), then
//! records its earning, carrying the spend as its backing. Without a valid payment the promise
//! becomes a debt: kept, announced, and collected when an audit of the requester's chain shows
//! the spend.

use std::time::Duration;

use iroh::endpoint::SendStream;
use tokio::sync::mpsc;

use super::super::Net;
use super::super::wire::{self, InferRequest, RefuseCode, Reply, Request};
use super::stream::Running;
use crate::ids::NodeId;
use crate::ledger::{AuditError, Entry, Head, Ledger, LedgerError, Payload, Receipt};

/// How long a worker waits for the requester's payment: it comes after the requester's check
/// of the answer, which may need two verifier peers' verdicts (a minute each at most).
const SETTLE_WAIT: Duration = Duration::from_secs(150);

/// Settles a job that sent `sent` tokens (a free job has nothing to settle).
pub(super) async fn settle(
    net: &Net,
    peer: NodeId,
    job: &InferRequest,
    running: &mut Running,
    sent: u32,
    send: &mut SendStream,
    from_requester: &mut mpsc::Receiver<Request>,
) {
    let Some(tab) = running.tab.as_mut() else {
        return;
    };
    let ledger = net.node().ledger().expect("a tab needs a ledger").clone();
    let paid = tokio::time::timeout(SETTLE_WAIT, async {
        loop {
            match from_requester.recv().await {
                Some(Request::Pay(p)) => {
                    if let Err(why) = tab.update(*p, sent, &ledger) {
                        net.strike(&peer, &format!("a bad promise: {why}"));
                        return None;
                    }
                }
                // A stop racing the end of the job.
                Some(Request::Stop) => continue,
                Some(Request::Paid { entry, head }) => return Some((entry, head)),
                _ => return None,
            }
        }
    })
    .await
    .ok()
    .flatten();
    let promise = tab.latest.clone();
    let Some((entry, head)) = paid else {
        tracing::warn!(
            "job {}: requester {} did not pay its promise of {} credits",
            job.job,
            peer.short(),
            promise.receipt.credits
        );
        ledger.note_debt(promise);
        return;
    };
    match record(net, &ledger, peer, Some(&promise.receipt), &entry, &head).await {
        Ok(Some(e)) => {
            running.guard.settled(&promise.receipt, &e);
            let _ = wire::write(send, &Reply::Settled { seq: e.seq }).await;
        }
        // Already recorded (a debt collected by the audit of this very payment).
        Ok(None) => {}
        Err(why) => {
            if let Refused::Bad(_) = &why {
                net.strike(&peer, &format!("a bad payment for job {}: {why}", job.job));
            } else {
                tracing::warn!("job {}: the payment could not be checked: {why}", job.job);
            }
            ledger.note_debt(promise);
        }
    }
}

/// Why a payment was not recorded.
#[derive(Debug)]
enum Refused {
    /// The payment is wrong: the requester's fault.
    Bad(String),
    /// It could not be checked now (its chain unreachable, or the entry no longer known here):
    /// nobody's fault yet; it is delivered again later.
    Unchecked(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Bad(m) | Refused::Unchecked(m) => f.write_str(m),
        }
    }
}

impl From<String> for Refused {
    fn from(m: String) -> Refused {
        Refused::Bad(m)
    }
}

impl From<&str> for Refused {
    fn from(m: &str) -> Refused {
        Refused::Bad(m.to_string())
    }
}

/// A payment delivered on a stream of its own: a requester's spend for a job whose settlement
/// did not finish (this node was gone, or the answer lost). Checked and recorded as at the end
/// of a job, the receipt priced as the catalog says; one recorded before is confirmed again.
pub(in crate::net) async fn standalone(net: &Net, peer: NodeId, entry: &str, head: &Head) -> Reply {
    let Some(ledger) = net.node().ledger().cloned() else {
        return Reply::refused(RefuseCode::Busy, "this node keeps no ledger");
    };
    let receipt = hex::decode(entry)
        .ok()
        .and_then(|raw| Entry::decode(&raw).ok())
        .and_then(|e| e.receipt().cloned());
    let Some(r) = receipt else {
        net.strike(&peer, "a payment that is not a spend entry");
        return Reply::refused(RefuseCode::Invalid, "not a spend entry");
    };
    let (l, r2) = (ledger.clone(), r.clone());
    let before = net.tasks().spawn_blocking(move || l.recorded_at(&r2)).await;
    if let Ok(Ok(Some(seq))) = before {
        return Reply::Settled { seq };
    }
    match record(net, &ledger, peer, None, entry, head).await {
        Ok(Some(e)) => Reply::Settled { seq: e.seq },
        Ok(None) => {
            let l = ledger.clone();
            let seq = net.tasks().spawn_blocking(move || l.recorded_at(&r)).await;
            match seq {
                Ok(Ok(Some(seq))) => Reply::Settled { seq },
                _ => Reply::refused(RefuseCode::Busy, "the earning could not be read back"),
            }
        }
        Err(Refused::Bad(why)) => {
            net.strike(&peer, &format!("a bad payment: {why}"));
            Reply::refused(RefuseCode::Ledger, why)
        }
        Err(Refused::Unchecked(why)) => Reply::refused(RefuseCode::Busy, why),
    }
}

/// Checks a payment — the requester's spend entry, signed, recording exactly `expected` (the
/// last promise of a job this node ran), or else a receipt for this node priced as the catalog
/// says; and its signed head for that entry — audits the requester's chain up to that head,
/// and records the earning. `None`: it was recorded meanwhile (a debt the audit collected).
async fn record(
    net: &Net,
    ledger: &Ledger,
    peer: NodeId,
    expected: Option<&Receipt>,
    entry: &str,
    head: &Head,
) -> Result<Option<Entry>, Refused> {
    let raw = hex::decode(entry).map_err(|_| "its spend entry is not hex".to_string())?;
    let e = Entry::decode(&raw).map_err(|m| format!("its spend entry: {m}"))?;
    match (&e.payload, expected) {
        (Payload::Spend(r), Some(x)) if r == x && e.owner == peer => {}
        (Payload::Spend(r), None) if e.owner == peer && r.worker == ledger.id() => {
            // A transfer comes from a member of this node's account to a member, or not at
            // all. Not the giver's fault when it is not (it may be one this node does not see
            // yet): no strike, and it may come again.
            if crate::ledger::account::transfer_check(r).is_some()
                && (!net.is_member(&peer) || net.account_revoked())
            {
                return Err(Refused::Unchecked(
                    "a transfer from a node this node does not see as a member of its account"
                        .into(),
                ));
            }
            ledger.check_price(r)?;
        }
        _ => return Err("its spend entry does not record its last promise".into()),
    }
    if !e.signature_ok(&raw) {
        return Err("its spend entry's signature is bad".into());
    }
    if head.owner != peer
        || head.seq != e.seq
        || head.hash != *blake3::hash(&raw).as_bytes()
        || head.balance != e.balance
    {
        return Err("its signed head is not for its spend entry".into());
    }
    // The spend must continue the chain audited before the job: the audit reads what was
    // added since, up to this head, and checks every link.
    match ledger.audit(net.tasks(), head, net.chain_fetcher()).await {
        Ok(_) => {}
        Err(AuditError::Bad(why)) => {
            return Err(format!("its chain with the payment: {why}").into());
        }
        Err(AuditError::Fetch(why)) => {
            return Err(Refused::Unchecked(format!(
                "its chain could not be read to check the payment: {why}"
            )));
        }
    }
    // The audit verified the chain through that seq: the entry there must be this one. One
    // audited long ago (its hash no longer remembered) counts if an audit saw that very spend.
    match ledger.audited_hash(&peer, e.seq) {
        Some(h) if h == head.hash => {}
        None if ledger.is_backed(&head.hash) => {}
        Some(_) => {
            return Err(format!(
                "its spend at seq {} is not the entry its audited chain holds there",
                e.seq
            )
            .into());
        }
        None => {
            return Err(Refused::Unchecked(format!(
                "its spend at seq {} is older than what this node remembers of its chain",
                e.seq
            )));
        }
    }
    let earned = match ledger.earn(raw).await {
        Ok(e) => Some(e),
        Err(LedgerError::Replay(_)) => None,
        Err(e) => return Err(e.to_string().into()),
    };
    ledger.note_paid_head(head.clone());
    Ok(earned)
}
