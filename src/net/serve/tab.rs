//! A paid job's tab on the worker: the requester's latest promise. The requester signs a
//! cumulative promise every few tokens it receives ([`super::super::remote`]'s `PROMISE_EVERY`);
//! this node streams at most [`WINDOW`] tokens beyond the last promise and then waits for the
//! next, so its unpaid work on a job is at most `WINDOW` tokens, whatever the requester does.

use std::time::Duration;

use crate::ledger::{Ledger, Promise};

/// Tokens streamed beyond the requester's last promise at most.
pub(super) const WINDOW: u32 = 32;
/// How long a worker waits for a promise once the window is full.
pub(super) const PAY_WAIT: Duration = Duration::from_secs(10);

/// A promise is made now: its time within the clock tolerance of this node's (an old one would
/// be too old to record by the time it is paid).
pub(super) fn fresh(r: &crate::ledger::Receipt) -> Result<(), String> {
    let now = crate::ids::now_ms();
    let skew = crate::ledger::chain::FUTURE_TOLERANCE_MS;
    if r.time_ms > now + skew || r.time_ms + skew < now {
        return Err(format!(
            "a promise dated {} s from this node's clock",
            (r.time_ms as i128 - now as i128) / 1000
        ));
    }
    Ok(())
}

pub(super) struct Tab {
    pub(super) latest: Promise,
    parameters: u64,
    /// When the requester may release the credits its chain holds for the job.
    hold_until: u64,
    /// The requester's head the job was admitted on.
    pub(super) head: crate::ledger::Head,
}

impl Tab {
    pub(super) fn new(
        first: Promise,
        parameters: u64,
        hold_until: u64,
        head: crate::ledger::Head,
    ) -> Tab {
        Tab {
            latest: first,
            parameters,
            hold_until,
            head,
        }
    }

    /// Whether the job must end now: its hold could be released soon (a release may be dated
    /// up to the clock tolerance ahead; three minutes more for the settlement, which follows
    /// the requester's check of the answer).
    pub(super) fn expiring(&self) -> bool {
        let skew = crate::ledger::chain::FUTURE_TOLERANCE_MS + 180_000;
        crate::ids::now_ms() + skew >= self.hold_until
    }

    /// Answer tokens promised so far.
    pub(super) fn promised(&self) -> u32 {
        self.latest.receipt.completion_tokens
    }

    /// Whether the window allows another token after `sent`.
    pub(super) fn may_send(&self, sent: u32) -> bool {
        sent < self.promised().saturating_add(WINDOW)
    }

    /// Takes a newer promise: the same job, parties, variant and prompt; an answer count between
    /// the last promise's and the tokens sent; priced as the network prices it; signed by the
    /// requester.
    pub(super) fn update(&mut self, p: Promise, sent: u32, ledger: &Ledger) -> Result<(), String> {
        p.check()?;
        // Proven to have shown another chain elsewhere (a double spend): no more work.
        if ledger.is_equivocator(&p.receipt.requester) {
            return Err("the requester was proven to fork its chain".into());
        }
        fresh(&p.receipt)?;
        let (new, old) = (&p.receipt, &self.latest.receipt);
        let same = new.job == old.job
            && new.requester == old.requester
            && new.worker == old.worker
            && new.model == old.model
            && new.quant == old.quant
            && new.prompt_tokens == old.prompt_tokens;
        if !same {
            return Err("a promise for another job or variant".into());
        }
        let c = new.completion_tokens;
        if c < old.completion_tokens || c > sent {
            return Err(format!(
                "a promise for {c} answer tokens after {} promised and {sent} sent",
                old.completion_tokens
            ));
        }
        let tokens = new.prompt_tokens as u64 + c as u64;
        let price = ledger.policy().price(self.parameters, &new.quant, tokens);
        if new.credits != price {
            return Err(format!(
                "a promise of {} credits for {tokens} tokens, whose price is {price}",
                new.credits
            ));
        }
        self.latest = p;
        Ok(())
    }
}
