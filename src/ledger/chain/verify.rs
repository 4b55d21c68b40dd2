//! Verification of a chain: entry by entry (links, sequence, clock, kind rules, arithmetic,
//! replays) with every signature checked in batches, and of an export (JSON lines whose readable
//! fields must match the signed bytes, ending with the signed head).

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;

use super::{BATCH, Entry, FUTURE_TOLERANCE_MS, Head, Kind, Position, Receipt, hexarr};
use crate::ids::NodeId;

/// The first entry that failed verification, and why. `index` is its position in the chain
/// (which is also the seq it should have).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {index}: {reason}")]
pub struct BadEntry {
    pub index: u64,
    pub reason: String,
}

/// What a verified chain adds up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub owner: NodeId,
    pub entries: u64,
    pub balance: u64,
    #[serde(with = "hexarr")]
    pub head: [u8; 32],
    pub time_ms: u64,
}

enum Sig {
    Owner,
    Counterparty,
}

/// Checks a chain entry by entry: links, sequence, clock, kind rules, arithmetic, replays, and
/// every signature (batched; see the module docs).
pub struct Verifier {
    owner: Option<NodeId>,
    at: Position,
    max_grant: Option<u64>,
    now_ms: u64,
    jobs: HashSet<[u8; 32]>,
    /// Receipts this verifier added to `jobs` (undone by [`Verifier::rollback`]).
    added: Vec<[u8; 32]>,
    batch: ed25519_zebra::batch::Verifier,
    pending: Vec<(u64, Sig, ed25519_zebra::batch::Item)>,
}

impl Verifier {
    /// A verifier of a whole chain. `owner`: the key it must belong to, if known; `max_grant`:
    /// the largest starter grant the network allows, if known.
    pub fn new(owner: Option<NodeId>, max_grant: Option<u64>, now_ms: u64) -> Verifier {
        Verifier::resume(owner, Position::START, max_grant, now_ms)
    }

    /// A verifier that continues after an audited position (only new entries are checked; a
    /// replay of a receipt recorded before that position is not seen).
    pub fn resume(
        owner: Option<NodeId>,
        at: Position,
        max_grant: Option<u64>,
        now_ms: u64,
    ) -> Verifier {
        Verifier {
            owner,
            at,
            max_grant,
            now_ms,
            jobs: HashSet::new(),
            added: Vec::new(),
            batch: ed25519_zebra::batch::Verifier::new(),
            pending: Vec::new(),
        }
    }

    pub fn position(&self) -> Position {
        self.at
    }

    /// Receipts already seen in the part of the chain before the resume point: a replay of one
    /// is refused.
    pub fn with_jobs(mut self, jobs: HashSet<[u8; 32]>) -> Verifier {
        self.jobs = jobs;
        self
    }

    /// Checks the next entry. Its signatures may be checked later (by [`Verifier::finish`] or a
    /// later push), which still names this entry if they are bad.
    pub fn push(&mut self, raw: &[u8]) -> Result<Entry, BadEntry> {
        let index = self.at.next;
        let bad = |reason: String| BadEntry { index, reason };
        let e = match Entry::decode(raw) {
            Ok(e) => e,
            Err(r) => return Err(self.flush_then(bad(format!("malformed: {r}")))),
        };
        if let Err(r) = self.rules(&e) {
            return Err(self.flush_then(bad(r)));
        }
        let body = &raw[..raw.len() - 64];
        self.queue(index, Sig::Owner, e.owner, e.sig, body);
        if let Some((r, cs)) = &e.receipt {
            let other = e.counterparty().expect("receipt");
            self.queue(index, Sig::Counterparty, other, *cs, &r.signed_bytes());
        }
        self.owner = Some(e.owner);
        self.at = Position {
            next: index + 1,
            prev: *blake3::hash(raw).as_bytes(),
            time_ms: e.time_ms,
            balance: e.balance,
        };
        if self.pending.len() >= BATCH {
            self.flush()?;
        }
        Ok(e)
    }

    fn rules(&mut self, e: &Entry) -> Result<(), String> {
        let at = &self.at;
        if let Some(o) = self.owner
            && e.owner != o
        {
            return Err(format!(
                "belongs to {}, not to the chain's owner {}",
                e.owner.short(),
                o.short()
            ));
        }
        if e.seq != at.next {
            return Err(format!(
                "has seq {}, expected {} (entries reordered, duplicated or missing)",
                e.seq, at.next
            ));
        }
        if e.prev != at.prev {
            return Err("its previous-hash does not match the entry before it".into());
        }
        if e.time_ms < at.time_ms {
            return Err("its time is earlier than the entry before it".into());
        }
        if e.time_ms > self.now_ms + FUTURE_TOLERANCE_MS {
            return Err(format!(
                "its time is {} s in the future",
                (e.time_ms - self.now_ms) / 1000
            ));
        }
        match (e.kind, &e.receipt) {
            (Kind::Grant, _) => self.grant_rules(e),
            (_, None) => Err("a payment without a receipt".into()),
            (kind, Some((r, _))) => self.payment_rules(e, kind, r),
        }
    }

    /// A grant: the first entry only, within the network's starter grant.
    fn grant_rules(&self, e: &Entry) -> Result<(), String> {
        if e.seq != 0 {
            return Err("a grant after the first entry".into());
        }
        if let Some(max) = self.max_grant
            && e.amount > max
        {
            return Err(format!(
                "grants itself {} credits; the network's starter grant is {max}",
                e.amount
            ));
        }
        if e.balance != e.amount {
            return Err("the grant's balance is not its amount".into());
        }
        Ok(())
    }

    /// An earning or a spending: its receipt names the owner on the right side, its amount is
    /// the receipt's, its balance follows, and no receipt is recorded twice.
    fn payment_rules(&mut self, e: &Entry, kind: Kind, r: &Receipt) -> Result<(), String> {
        let at = &self.at;
        if e.seq == 0 {
            return Err("the chain does not start with its grant".into());
        }
        r.check()?;
        let (party, role) = if kind == Kind::Earn {
            (r.worker, "worker")
        } else {
            (r.requester, "requester")
        };
        if party != e.owner {
            return Err(format!(
                "a {} whose receipt names another node as {role}",
                kind.as_str()
            ));
        }
        if r.credits != e.amount {
            return Err(format!(
                "amount {} differs from its receipt's {} credits",
                e.amount, r.credits
            ));
        }
        let expected = if kind == Kind::Earn {
            at.balance.checked_add(e.amount)
        } else {
            at.balance.checked_sub(e.amount)
        };
        match expected {
            None if kind == Kind::Spend => {
                return Err(format!(
                    "spends {} credits with a balance of {}",
                    e.amount, at.balance
                ));
            }
            Some(b) if b == e.balance => {}
            _ => {
                return Err(format!(
                    "balance {} does not follow from {} {} {}",
                    e.balance,
                    at.balance,
                    if kind == Kind::Earn { "+" } else { "-" },
                    e.amount
                ));
            }
        }
        let key = r.replay_key();
        if !self.jobs.insert(key) {
            return Err(format!("replays the receipt of job {}", r.job));
        }
        self.added.push(key);
        Ok(())
    }

    fn queue(&mut self, index: u64, which: Sig, key: NodeId, sig: [u8; 64], msg: &[u8]) {
        let item = ed25519_zebra::batch::Item::from((
            ed25519_zebra::VerificationKeyBytes::from(*key.as_bytes()),
            ed25519_zebra::Signature::from_bytes(&sig),
            msg,
        ));
        self.batch.queue(item.clone());
        self.pending.push((index, which, item));
    }

    /// Verifies the queued signatures; on failure names the first entry with a bad one.
    fn flush(&mut self) -> Result<(), BadEntry> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let pending = std::mem::take(&mut self.pending);
        if batch
            .verify(rand_core::UnwrapErr(getrandom::SysRng))
            .is_ok()
        {
            return Ok(());
        }
        for (index, which, item) in pending {
            if item.verify_single().is_err() {
                return Err(BadEntry {
                    index,
                    reason: match which {
                        Sig::Owner => "bad signature (not signed by its owner, or altered)".into(),
                        Sig::Counterparty => {
                            "bad counterparty signature on its receipt (forged or altered)".into()
                        }
                    },
                });
            }
        }
        Ok(())
    }

    /// An earlier entry's bad signature wins over a later entry's fault.
    fn flush_then(&mut self, later: BadEntry) -> BadEntry {
        match self.flush() {
            Err(earlier) => earlier,
            Ok(()) => later,
        }
    }

    /// Checks the remaining signatures and sums the chain up.
    pub fn finish(self) -> Result<Summary, BadEntry> {
        self.finish_with_jobs().map(|(s, _)| s)
    }

    /// The receipts it was given, without those it added: a failed or abandoned audit must not
    /// leave the entries it read counted (they come again next time).
    pub fn rollback(mut self) -> HashSet<[u8; 32]> {
        for k in &self.added {
            self.jobs.remove(k);
        }
        self.jobs
    }

    /// Like [`Verifier::finish`], also returning the receipts seen (to resume with later).
    pub fn finish_with_jobs(mut self) -> Result<(Summary, HashSet<[u8; 32]>), BadEntry> {
        self.flush()?;
        let Some(owner) = self.owner else {
            return Err(BadEntry {
                index: 0,
                reason: "the chain is empty".into(),
            });
        };
        let summary = Summary {
            owner,
            entries: self.at.next,
            balance: self.at.balance,
            head: self.at.prev,
            time_ms: self.at.time_ms,
        };
        Ok((summary, self.jobs))
    }
}

/// Verifies an export (JSON lines: one entry per line, then `{"head": ...}`). Each line's
/// readable fields must match its signed bytes; the signed head must match the last entry, so a
/// truncated file is caught.
pub fn verify_export(
    text: &str,
    owner: Option<NodeId>,
    max_grant: Option<u64>,
    now_ms: u64,
) -> Result<Summary, BadEntry> {
    let mut v = Verifier::new(owner, max_grant, now_ms);
    let mut head: Option<Head> = None;
    for (n, line) in text.lines().enumerate() {
        let index = v.position().next;
        let bad = |reason: String| BadEntry {
            index,
            reason: format!("line {}: {reason}", n + 1),
        };
        if line.trim().is_empty() {
            continue;
        }
        if head.is_some() {
            return Err(bad("lines after the signed head".into()));
        }
        let value: Value = serde_json::from_str(line).map_err(|e| bad(format!("not JSON: {e}")))?;
        if let Some(h) = value.get("head") {
            let h: Head = serde_json::from_value(h.clone())
                .map_err(|e| bad(format!("the signed head is malformed: {e}")))?;
            head = Some(h);
            continue;
        }
        let raw = value
            .get("raw")
            .and_then(Value::as_str)
            .and_then(|s| hex::decode(s).ok())
            .ok_or_else(|| bad("no `raw` hex bytes".into()))?;
        let e = v.push(&raw)?;
        let expected = e.to_json(&raw);
        if expected != value {
            let field = expected
                .as_object()
                .and_then(|o| {
                    o.iter()
                        .find(|(k, x)| value.get(k.as_str()) != Some(x))
                        .map(|(k, _)| k.clone())
                })
                .unwrap_or_else(|| "an unknown field".into());
            return Err(v.flush_then(bad(format!(
                "field `{field}` does not match the entry's signed bytes"
            ))));
        }
    }
    let end = v.position();
    let Some(h) = head else {
        return Err(v.flush_then(BadEntry {
            index: end.next,
            reason: "the export ends without its signed head (truncated?)".into(),
        }));
    };
    let summary = v.finish()?;
    if !h.valid() || h.owner != summary.owner {
        return Err(BadEntry {
            index: summary.entries,
            reason: "the signed head's signature is bad or by another key".into(),
        });
    }
    if h.seq.checked_add(1) != Some(summary.entries) {
        return Err(BadEntry {
            index: summary.entries.min(h.seq.saturating_add(1)),
            reason: format!(
                "the signed head is for seq {} but the file holds entries 0 to {} (entries missing, or an old head)",
                h.seq,
                summary.entries.saturating_sub(1)
            ),
        });
    }
    if h.hash != summary.head || h.balance != summary.balance {
        return Err(BadEntry {
            index: h.seq,
            reason: "the signed head does not match this entry (hash or balance)".into(),
        });
    }
    Ok(summary)
}
