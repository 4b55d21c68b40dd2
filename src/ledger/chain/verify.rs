//! Verification of a chain: entry by entry (links, sequence, clock, kind rules, admission,
//! arithmetic, replays, each earning's backing spend and its payer's signature, checked in
//! batches), up to a signed head that authenticates it all; and of an export (JSON lines whose
//! readable fields must match the signed bytes, ending with the signed head).

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::{
    Admission, BATCH, Entry, FUTURE_TOLERANCE_MS, HOLD_TTL_MS, Head, Kind, MAX_OPEN_HOLDS, Payload,
    Position, Receipt, Reserve, hexarr,
};
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

/// The network's rules a chain is held to (each `None`: not known to this verifier, so not
/// checked beyond the chain's own statements).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// The network the chain's admission must be for.
    pub network: Option<String>,
    /// The least admission work the network asks.
    pub admission_bits: Option<u8>,
    /// The largest starter grant the network allows.
    pub max_grant: Option<u64>,
}

/// A spend an earning of the chain relies on: the payer's chain must hold it (see
/// `ledger::audit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backing {
    pub payer: NodeId,
    pub seq: u64,
    pub hash: [u8; 32],
    pub credits: u64,
    /// The seq of the earning in the audited chain.
    pub earned_at: u64,
}

/// A hold open in a chain: the credits it sets aside, and when and where it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenHold {
    pub amount: u64,
    pub time_ms: u64,
    pub seq: u64,
    /// The hold entry's hash (what a worker's waiver of it signs).
    pub hash: [u8; 32],
}

/// What a chain's verification carries on to the next part of the chain: the replay keys of
/// its recent receipts (with their times and credits), and its open holds, by job key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Jobs {
    pub receipts: HashMap<[u8; 32], (u64, u64)>,
    pub holds: HashMap<[u8; 32], OpenHold>,
}

/// How old a receipt may be when it is recorded (a debt must be paid within it).
pub const RECEIPT_AGE_MS: u64 = 30 * 86_400_000;

/// Checks a chain entry by entry: links, sequence, clock, kind rules, admission, arithmetic,
/// replays and each earning's backing (its payer's signature batched; see the module docs).
pub struct Verifier {
    owner: Option<NodeId>,
    at: Position,
    rules: Rules,
    now_ms: u64,
    /// The spends the chain's earnings rely on, in order.
    backing: Vec<Backing>,
    jobs: Jobs,
    /// The size of `jobs` after its last pruning.
    pruned_at: usize,
    /// Receipts this verifier added to `jobs` (undone by [`Verifier::rollback`]).
    added: Vec<[u8; 32]>,
    /// Holds this verifier opened or closed, with what was there before (undone likewise).
    holds_before: Vec<([u8; 32], Option<OpenHold>)>,
    batch: ed25519_zebra::batch::Verifier,
    pending: Vec<(u64, Sig, ed25519_zebra::batch::Item)>,
    /// Also check each entry's own signature (an export: a file anyone may have altered).
    owner_sigs: bool,
    /// Check the payer's signature on each earning's spend (not where the earning is backed by
    /// finding that very spend in the payer's own verified chain: an audit).
    payer_sigs: bool,
}

enum Sig {
    Owner,
    Payer,
}

impl Verifier {
    /// A verifier of a whole chain. `owner`: the key it must belong to, if known.
    pub fn new(owner: Option<NodeId>, rules: Rules, now_ms: u64) -> Verifier {
        Verifier::resume(owner, Position::START, rules, now_ms)
    }

    /// A verifier that continues after an audited position (only new entries are checked; a
    /// replay of a receipt recorded before that position is not seen).
    pub fn resume(owner: Option<NodeId>, at: Position, rules: Rules, now_ms: u64) -> Verifier {
        Verifier {
            owner,
            at,
            rules,
            now_ms,
            backing: Vec::new(),
            jobs: Jobs::default(),
            pruned_at: 0,
            added: Vec::new(),
            holds_before: Vec::new(),
            batch: ed25519_zebra::batch::Verifier::new(),
            pending: Vec::new(),
            owner_sigs: false,
            payer_sigs: true,
        }
    }

    /// Leaves each earning's payer signature unchecked: the caller counts an earning only once
    /// its payer's chain, authenticated by the payer's own head, is seen to hold those very
    /// bytes, which proves them the payer's (see `ledger::backing`). An audit does this; it
    /// makes a chain one signature to check, whatever its length.
    pub fn backed_by_payers(mut self) -> Verifier {
        self.payer_sigs = false;
        self
    }

    /// Checks every entry's own signature too. Not needed where the chain ends at a head its
    /// owner signed (the links carry that signature back), but it names an entry altered in a
    /// file by someone without the key, rather than the entry after it.
    pub fn with_owner_signatures(mut self) -> Verifier {
        self.owner_sigs = true;
        self
    }

    pub fn position(&self) -> Position {
        self.at
    }

    /// Receipts already seen in the part of the chain before the resume point: a replay of one
    /// is refused.
    pub fn with_jobs(mut self, jobs: Jobs) -> Verifier {
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
        let backing = match self.rules(&e) {
            Ok(b) => b,
            Err(r) => return Err(self.flush_then(bad(r))),
        };
        // The owner's own signature is not checked here: the signed head the chain ends at
        // covers every entry through the hash links. The payer's signature on an earning's
        // spend is what makes the earning backed.
        if self.owner_sigs {
            self.queue(index, Sig::Owner, e.owner, e.sig, &raw[..raw.len() - 64]);
        }
        if let Payload::Earn { spend, receipt } = &e.payload
            && self.payer_sigs
        {
            let (body, sig) = spend.split_at(spend.len() - 64);
            let sig: [u8; 64] = sig.try_into().expect("64 bytes");
            self.queue(index, Sig::Payer, receipt.requester, sig, body);
        }
        self.backing.extend(backing);
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

    /// The chain's rules for `e`; for an earning, the spend it relies on.
    fn rules(&mut self, e: &Entry) -> Result<Option<Backing>, String> {
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
            return Err(
                "does not link to the entry before it (one of the two was altered, or entries \
                 are missing)"
                    .into(),
            );
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
        match &e.payload {
            Payload::Grant(a) => self.grant_rules(e, a).map(|()| None),
            Payload::Earn { receipt, spend } => {
                let backing = earn_rules(e, receipt, spend)?;
                self.payment_rules(e, Kind::Earn, receipt)?;
                Ok(Some(backing))
            }
            Payload::Spend(r) => self.payment_rules(e, Kind::Spend, r).map(|()| None),
            Payload::Hold(h) => self.hold_rules(e, h).map(|()| None),
            Payload::Release(h) => self.release_rules(e, h).map(|()| None),
        }
    }

    /// A hold: after the grant, for a job on another node not paid yet and not held yet, within
    /// the open-hold bound and the balance.
    fn hold_rules(&mut self, e: &Entry, h: &Reserve) -> Result<(), String> {
        if e.seq == 0 {
            return Err("the chain does not start with its grant".into());
        }
        h.check(&e.owner)?;
        let key = h.key(&e.owner);
        if h.waiver.is_some() {
            return Err("a hold with a waiver".into());
        }
        if e.amount == 0 {
            return Err("a hold of no credits".into());
        }
        if self.jobs.receipts.contains_key(&key) {
            return Err(format!("holds credits for job {}, already paid", h.job));
        }
        if self.jobs.holds.contains_key(&key) {
            return Err(format!("holds credits for job {} twice", h.job));
        }
        if self.jobs.holds.len() >= MAX_OPEN_HOLDS {
            return Err(format!("opens more than {MAX_OPEN_HOLDS} holds at once"));
        }
        if self.at.balance.checked_sub(e.amount) != Some(e.balance) {
            return Err(format!(
                "holds {} credits with a balance of {}, leaving {}",
                e.amount, self.at.balance, e.balance
            ));
        }
        let open = OpenHold {
            amount: e.amount,
            time_ms: e.time_ms,
            seq: e.seq,
            hash: e.hash(),
        };
        self.set_hold(key, Some(open));
        Ok(())
    }

    /// A release: of an open hold, all of it, no sooner than its time is up.
    fn release_rules(&mut self, e: &Entry, h: &Reserve) -> Result<(), String> {
        let key = h.key(&e.owner);
        let Some(open) = self.jobs.holds.get(&key).copied() else {
            return Err(format!(
                "releases a hold for job {} that is not open",
                h.job
            ));
        };
        if open.amount != e.amount {
            return Err(format!(
                "releases {} credits of a {}-credit hold",
                e.amount, open.amount
            ));
        }
        if e.time_ms < open.time_ms.saturating_add(HOLD_TTL_MS) && !h.waived(&open.hash) {
            return Err(format!(
                "releases the hold for job {} {} s after making it; a hold lasts {} min",
                h.job,
                (e.time_ms - open.time_ms) / 1000,
                HOLD_TTL_MS / 60_000
            ));
        }
        if self.at.balance.checked_add(e.amount) != Some(e.balance) {
            return Err(format!(
                "balance {} does not follow from {} + {}",
                e.balance, self.at.balance, e.amount
            ));
        }
        self.set_hold(key, None);
        Ok(())
    }

    /// An earning's or a spending's balance: the one before plus or minus its amount; a spend
    /// of a held job pays from its hold, and what is left comes back. Returns the hold it
    /// closes.
    fn balance_rules(
        &self,
        e: &Entry,
        kind: Kind,
        key: &[u8; 32],
        r: &Receipt,
    ) -> Result<Option<u64>, String> {
        let at = &self.at;
        // A spend of a held job pays from its hold; what is left comes back.
        let held = match self.jobs.holds.get(key) {
            Some(h) if kind == Kind::Spend => Some(h.amount),
            _ => None,
        };
        if let Some(h) = held
            && e.amount > h
        {
            return Err(format!(
                "pays {} credits for job {}, which it held {h} credits for",
                e.amount, r.job
            ));
        }
        let expected = if kind == Kind::Earn {
            at.balance.checked_add(e.amount)
        } else {
            at.balance
                .checked_add(held.unwrap_or(0))
                .and_then(|b| b.checked_sub(e.amount))
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
        Ok(held)
    }

    /// Opens (`Some`) or closes a hold, remembering what to undo.
    fn set_hold(&mut self, key: [u8; 32], hold: Option<OpenHold>) {
        let before = match hold {
            Some(h) => self.jobs.holds.insert(key, h),
            None => self.jobs.holds.remove(&key),
        };
        self.holds_before.push((key, before));
    }

    /// A grant: the first entry only, within the network's starter grant, admitted by a solved
    /// puzzle for the network at its difficulty.
    fn grant_rules(&self, e: &Entry, a: &Admission) -> Result<(), String> {
        if e.seq != 0 {
            return Err("a grant after the first entry".into());
        }
        if let Some(max) = self.rules.max_grant
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
        if let Some(n) = &self.rules.network
            && *n != a.network
        {
            return Err(format!(
                "was admitted to network `{}`, not to this network `{n}`",
                a.network
            ));
        }
        if let Some(bits) = self.rules.admission_bits
            && a.bits < bits
        {
            return Err(format!(
                "paid {} bits of admission work; this network asks {bits}",
                a.bits
            ));
        }
        a.check(&e.owner)
    }

    /// An earning or a spending: its receipt names the owner on the right side, its amount is
    /// the receipt's, its balance follows, and no receipt is recorded twice.
    fn payment_rules(&mut self, e: &Entry, kind: Kind, r: &Receipt) -> Result<(), String> {
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
        let key = r.replay_key();
        let held = self.balance_rules(e, kind, &key, r)?;
        // Receipts are recorded within RECEIPT_AGE of their making: a replay of an older one
        // is refused by its age, so only the recent ones need remembering.
        if r.time_ms.saturating_add(RECEIPT_AGE_MS) < e.time_ms {
            return Err(format!(
                "records a receipt {} days old (receipts are recorded within {} days)",
                (e.time_ms - r.time_ms) / 86_400_000,
                RECEIPT_AGE_MS / 86_400_000
            ));
        }
        if r.time_ms > e.time_ms.saturating_add(FUTURE_TOLERANCE_MS) {
            return Err("records a receipt made after it".into());
        }
        if self
            .jobs
            .receipts
            .insert(key, (r.time_ms, r.credits))
            .is_some()
        {
            return Err(format!("replays the receipt of job {}", r.job));
        }
        self.added.push(key);
        if held.is_some() {
            self.set_hold(key, None);
        }
        let receipts = &mut self.jobs.receipts;
        if receipts.len() > self.pruned_at.max(1 << 16) * 2 {
            let oldest = e.time_ms.saturating_sub(RECEIPT_AGE_MS);
            receipts.retain(|_, (t, _)| *t >= oldest);
            self.pruned_at = receipts.len();
        }
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
                        Sig::Payer => {
                            "bad payer signature on the spend that backs it (forged or altered)"
                                .into()
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

    /// The receipts it was given, without those it added: a failed or abandoned audit must not
    /// leave the entries it read counted (they come again next time).
    pub fn rollback(mut self) -> Jobs {
        for k in &self.added {
            self.jobs.receipts.remove(k);
        }
        for (k, before) in self.holds_before.into_iter().rev() {
            match before {
                Some(h) => self.jobs.holds.insert(k, h),
                None => self.jobs.holds.remove(&k),
            };
        }
        self.jobs
    }

    /// Checks the remaining signatures, and that `head` (the owner's signature over the last
    /// entry) ends the chain: it authenticates every entry before it. Sums the chain up.
    pub fn finish_at(self, head: &Head) -> Result<Verified, BadEntry> {
        if !head.valid() || self.owner.is_some_and(|o| o != head.owner) {
            return Err(BadEntry {
                index: self.at.next,
                reason: "the signed head's signature is bad or by another key".into(),
            });
        }
        let balance = self.at.balance;
        let v = self.finish_to(head.seq, head.hash)?;
        if head.balance != balance {
            return Err(BadEntry {
                index: head.seq,
                reason: "does not match the signed head (its balance)".into(),
            });
        }
        Ok(v)
    }

    /// Checks the remaining signatures, and that the chain ends at entry `seq` with hash
    /// `hash`, which its owner signed for (a head, or an entry shown on its own: the caller
    /// checked that signature). Sums the chain up.
    pub fn finish_to(mut self, seq: u64, hash: [u8; 32]) -> Result<Verified, BadEntry> {
        self.flush()?;
        let Some(owner) = self.owner else {
            return Err(BadEntry {
                index: 0,
                reason: "the chain is empty".into(),
            });
        };
        let at = self.at;
        let head = Head {
            owner,
            seq,
            hash,
            balance: at.balance,
            sig: [0; 64],
        };
        if head.seq.checked_add(1) != Some(at.next) {
            return Err(BadEntry {
                index: at.next.min(head.seq.saturating_add(1)),
                reason: format!(
                    "the signed head is for seq {} but the chain holds entries up to {} (entries \
                     missing, or an old head)",
                    head.seq,
                    at.next.saturating_sub(1)
                ),
            });
        }
        if head.hash != at.prev {
            return Err(BadEntry {
                index: head.seq,
                reason: "does not match the signed head (altered, or the head is for another \
                         entry)"
                    .into(),
            });
        }
        Ok(Verified {
            summary: Summary {
                owner,
                entries: at.next,
                balance: at.balance,
                head: at.prev,
                time_ms: at.time_ms,
            },
            jobs: self.jobs,
            backing: self.backing,
        })
    }
}

/// A chain verified up to its signed head.
#[derive(Debug)]
pub struct Verified {
    pub summary: Summary,
    /// The replay keys of its receipts (to resume with later).
    pub jobs: Jobs,
    /// The spends its earnings rely on.
    pub backing: Vec<Backing>,
}

/// An earning's payload: the spend it carries must be the payer's, record this very receipt, and
/// pay what the earning adds.
fn earn_rules(e: &Entry, receipt: &Receipt, spend: &[u8]) -> Result<Backing, String> {
    let s = Entry::decode(spend).map_err(|m| format!("its payer's spend: {m}"))?;
    if s.owner != receipt.requester {
        return Err("the spend that backs it is not the requester's".into());
    }
    if s.amount != e.amount {
        return Err(format!(
            "earns {} credits from a spend of {}",
            e.amount, s.amount
        ));
    }
    Ok(Backing {
        payer: s.owner,
        seq: s.seq,
        hash: *blake3::hash(spend).as_bytes(),
        credits: s.amount,
        earned_at: e.seq,
    })
}

/// Verifies an export (JSON lines: one entry per line, then `{"head": ...}`). Each line's
/// readable fields must match its signed bytes; the signed head must match the last entry, so a
/// truncated file is caught.
pub fn verify_export(
    text: &str,
    owner: Option<NodeId>,
    rules: Rules,
    now_ms: u64,
) -> Result<Summary, BadEntry> {
    let mut v = Verifier::new(owner, rules, now_ms).with_owner_signatures();
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
    Ok(v.finish_at(&h)?.summary)
}
