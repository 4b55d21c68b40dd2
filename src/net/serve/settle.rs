//! Settling a peer's paid job: this node signs a receipt for the tokens delivered, the requester
//! countersigns it and proves it recorded the payment (its spend entry and signed head), and
//! only then does this node record its earning. A missing, malformed or unproven
//! countersignature records nothing and costs the requester reputation.

use std::time::Duration;

use iroh::endpoint::SendStream;
use tokio::sync::mpsc;

use super::super::Net;
use super::super::wire::{self, InferRequest, Reply, Request};
use super::admit::Terms;
use super::stream::Running;
use crate::ids::{NodeId, now_ms};
use crate::ledger::{Head, Ledger, LedgerError, Receipt};

/// How long a worker waits for the requester's countersignature.
const SETTLE_WAIT: Duration = Duration::from_secs(20);

/// Settles a job that delivered `delivered` tokens (a free job has nothing to settle).
pub(super) async fn settle(
    net: &Net,
    peer: NodeId,
    job: &InferRequest,
    running: &Running,
    delivered: u32,
    send: &mut SendStream,
    from_requester: &mut mpsc::Receiver<Request>,
) {
    let Terms::Paid { .. } = running.terms else {
        return;
    };
    let ledger = net.node().ledger().expect("paid terms need a ledger");
    let receipt = Receipt {
        job: job.job.clone(),
        requester: peer,
        worker: ledger.id(),
        model: running.model.name.clone(),
        quant: running.model.quant.clone(),
        prompt_tokens: running.processed as u32,
        completion_tokens: delivered,
        credits: ledger.policy().price(
            running.parameters,
            &running.model.quant,
            running.processed + delivered as u64,
        ),
        time_ms: now_ms(),
    };
    let own_sig = ledger.sign(&receipt);
    let offer = Reply::Receipt {
        receipt: receipt.clone(),
        sig: hex::encode(own_sig),
    };
    if wire::write(send, &offer).await.is_err() {
        tracing::warn!(
            "job {}: requester {} left before the receipt",
            job.job,
            peer.short()
        );
        return;
    }
    let answer = tokio::time::timeout(SETTLE_WAIT, async {
        loop {
            match from_requester.recv().await {
                // Tokens it had not read yet when it stopped may still be counted: skip.
                Some(Request::Stop { .. }) => continue,
                other => return other,
            }
        }
    })
    .await;
    let unpaid = || {
        net.strike(
            &peer,
            &format!(
                "did not countersign the receipt of job {} (unpaid)",
                job.job
            ),
        )
    };
    match answer {
        Ok(Some(Request::Countersign { sig, entry, head })) => {
            let paid = Paid {
                net,
                peer,
                ledger,
                receipt: &receipt,
                own_sig: &own_sig,
            };
            if let Some(seq) = paid.record(&sig, &entry, &head, running).await {
                let _ = wire::write(send, &Reply::Settled { seq }).await;
            }
        }
        Ok(Some(Request::Dispute { reason })) => tracing::warn!(
            "job {}: requester {} disputed the receipt: {reason}",
            job.job,
            peer.short()
        ),
        _ => unpaid(),
    }
}

/// A countersigned receipt, to be checked and recorded.
struct Paid<'a> {
    net: &'a Net,
    peer: NodeId,
    ledger: &'a Ledger,
    receipt: &'a Receipt,
    own_sig: &'a [u8; 64],
}

impl Paid<'_> {
    /// Checks the countersignature and the proof of payment, then records the earning; its
    /// seq, or `None` (the requester was struck, or the write failed and was logged).
    async fn record(&self, sig: &str, entry: &str, head: &Head, running: &Running) -> Option<u64> {
        let job = &self.receipt.job;
        let sig: Option<[u8; 64]> = hex::decode(sig).ok().and_then(|b| b.try_into().ok());
        let Some(sig) = sig else {
            self.net.strike(
                &self.peer,
                "countersigned a receipt with a malformed signature",
            );
            return None;
        };
        // Its proof that it recorded the payment: without it, an earning could be minted by a
        // requester that never pays.
        let paid = hex::decode(entry)
            .map_err(|_| "its spend entry is not hex".to_string())
            .and_then(|raw| {
                self.ledger
                    .check_payment(self.receipt, self.own_sig, &raw, head)
            });
        if let Err(why) = paid {
            self.net.strike(
                &self.peer,
                &format!("bad proof of payment for job {job}: {why}"),
            );
            return None;
        }
        match self.ledger.earn(self.receipt.clone(), sig).await {
            Ok(e) => {
                running.guard.settled(self.receipt, &e);
                Some(e.seq)
            }
            Err(LedgerError::Invalid(why)) => {
                self.net.strike(
                    &self.peer,
                    &format!("bad countersignature for job {job}: {why}"),
                );
                None
            }
            Err(e) => {
                tracing::error!("job {job}: recording the receipt failed: {e}");
                None
            }
        }
    }
}
