//! The chain's data: entries, receipts and signed heads, their byte encoding (what is hashed and
//! signed), the JSON-lines export, and verification.
//!
//! ## Encoding (format 1)
//! Integers are big-endian; ids are 32-byte ed25519 public keys; strings are a 1-byte length and
//! UTF-8 bytes. An **entry** is
//! `"LLPE" 01 | owner[32] | seq u64 | prev[32] | time_ms u64 | kind u8 (0 grant, 1 earn, 2 spend)
//! | amount u64 | balance u64 | [receipt fields | counterparty_sig[64]] (earn and spend only)
//! | sig[64]`, where `sig` is the owner's ed25519 signature over every byte before it, and the
//! entry's hash is BLAKE3 of all its bytes, signature included. `prev` is the previous entry's
//! hash (32 zero bytes for seq 0).
//!
//! The **receipt fields** are `job str | requester[32] | worker[32] | model str | quant str |
//! prompt_tokens u32 | completion_tokens u32 | credits u64 | time_ms u64`. Each party signs
//! `"LLPR" 01 | receipt fields`; an entry carries the *other* party's signature (its own is
//! covered by the entry's signature), so neither side can write the other's half.
//!
//! A **signed head** is the owner's signature over `"LLPH" 01 | owner | seq | hash | balance`.
//! Two valid heads of one owner at one seq with different hashes prove equivocation.
//!
//! Signatures are verified in batches that coalesce by key (`ed25519-zebra`, ZIP-215 rules): a
//! chain is mostly one key, which halves the work. A failed batch is re-checked one signature at
//! a time, so the first bad entry is still named.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub const FORMAT: u8 = 1;
const ENTRY_MAGIC: &[u8; 4] = b"LLPE";
const RECEIPT_MAGIC: &[u8; 4] = b"LLPR";
const HEAD_MAGIC: &[u8; 4] = b"LLPH";
/// How far an entry's clock may run ahead of the verifier's.
pub const FUTURE_TOLERANCE_MS: u64 = 5 * 60 * 1000;
/// Longest job id, model name and quantization name a receipt may carry.
pub const MAX_JOB: usize = 64;
pub const MAX_MODEL: usize = 128;
pub const MAX_QUANT: usize = 32;
/// Signatures verified together.
const BATCH: usize = 4096;

/// Hex (de)serialization of fixed-size byte arrays, for the JSON forms.
pub mod hexarr {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer, const N: usize>(v: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let s = String::deserialize(d)?;
        let v = hex::decode(&s).map_err(serde::de::Error::custom)?;
        v.try_into()
            .map_err(|_| serde::de::Error::custom(format!("expected {N} hex-encoded bytes")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The starter grant, seq 0 only.
    Grant,
    /// Credits minted for work this node did for a requester.
    Earn,
    /// Credits paid for work a peer did for this node.
    Spend,
}

impl Kind {
    fn code(self) -> u8 {
        match self {
            Kind::Grant => 0,
            Kind::Earn => 1,
            Kind::Spend => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Grant => "grant",
            Kind::Earn => "earn",
            Kind::Spend => "spend",
        }
    }
}

/// One job's settlement, signed by both parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub job: String,
    #[serde(with = "hexarr")]
    pub requester: [u8; 32],
    #[serde(with = "hexarr")]
    pub worker: [u8; 32],
    pub model: String,
    pub quant: String,
    /// Tokens the worker processed as prompt (a failover's continuation included).
    pub prompt_tokens: u32,
    /// Tokens delivered to the requester.
    pub completion_tokens: u32,
    pub credits: u64,
    pub time_ms: u64,
}

impl Receipt {
    fn encode_into(&self, out: &mut Vec<u8>) {
        put_str(out, &self.job);
        out.extend_from_slice(&self.requester);
        out.extend_from_slice(&self.worker);
        put_str(out, &self.model);
        put_str(out, &self.quant);
        out.extend_from_slice(&self.prompt_tokens.to_be_bytes());
        out.extend_from_slice(&self.completion_tokens.to_be_bytes());
        out.extend_from_slice(&self.credits.to_be_bytes());
        out.extend_from_slice(&self.time_ms.to_be_bytes());
    }

    /// What each party signs.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(RECEIPT_MAGIC);
        out.push(FORMAT);
        self.encode_into(&mut out);
        out
    }

    pub fn sign(&self, key: &iroh::SecretKey) -> [u8; 64] {
        key.sign(&self.signed_bytes()).to_bytes()
    }

    /// Whether `sig` is `signer`'s signature of this receipt.
    pub fn signed_by(&self, signer: &[u8; 32], sig: &[u8; 64]) -> bool {
        verify_one(signer, sig, &self.signed_bytes())
    }

    /// Field bounds, so every receipt can be encoded.
    pub fn check(&self) -> Result<(), String> {
        if self.job.is_empty() || self.job.len() > MAX_JOB {
            return Err(format!("job id must be 1 to {MAX_JOB} bytes"));
        }
        if self.model.len() > MAX_MODEL || self.quant.len() > MAX_QUANT {
            return Err("model or quantization name too long".into());
        }
        if self.requester == self.worker {
            return Err("requester and worker are the same node".into());
        }
        Ok(())
    }

    /// The key that identifies this receipt in one party's chain (replays are refused).
    pub fn replay_key(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(self.job.as_bytes());
        h.update(&[0]);
        h.update(&self.requester);
        h.update(&self.worker);
        *h.finalize().as_bytes()
    }
}

/// One link of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub owner: [u8; 32],
    pub seq: u64,
    pub prev: [u8; 32],
    pub time_ms: u64,
    pub kind: Kind,
    pub amount: u64,
    /// The balance after this entry.
    pub balance: u64,
    /// The receipt and the counterparty's signature of it (earn and spend).
    pub receipt: Option<(Receipt, [u8; 64])>,
    pub sig: [u8; 64],
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    // Lengths are checked before signing; a longer string would not decode.
    out.push(s.len().min(255) as u8);
    out.extend_from_slice(&s.as_bytes()[..s.len().min(255)]);
}

impl Entry {
    /// The bytes the owner signs: everything but the signature.
    pub fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(400);
        out.extend_from_slice(ENTRY_MAGIC);
        out.push(FORMAT);
        out.extend_from_slice(&self.owner);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.prev);
        out.extend_from_slice(&self.time_ms.to_be_bytes());
        out.push(self.kind.code());
        out.extend_from_slice(&self.amount.to_be_bytes());
        out.extend_from_slice(&self.balance.to_be_bytes());
        if let Some((r, cs)) = &self.receipt {
            r.encode_into(&mut out);
            out.extend_from_slice(cs);
        }
        out
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = self.body();
        b.extend_from_slice(&self.sig);
        b
    }

    pub fn hash(&self) -> [u8; 32] {
        *blake3::hash(&self.encode()).as_bytes()
    }

    /// Signs the entry with the owner's key (sets `sig`).
    pub fn signed(mut self, key: &iroh::SecretKey) -> Entry {
        self.sig = key.sign(&self.body()).to_bytes();
        self
    }

    /// The other party of a receipt entry.
    pub fn counterparty(&self) -> Option<[u8; 32]> {
        self.receipt.as_ref().map(|(r, _)| {
            if self.kind == Kind::Earn {
                r.requester
            } else {
                r.worker
            }
        })
    }

    /// Decodes one entry; every byte must be accounted for.
    pub fn decode(bytes: &[u8]) -> Result<Entry, String> {
        let mut r = Reader { b: bytes, at: 0 };
        if r.take(4)? != ENTRY_MAGIC {
            return Err("not a ledger entry (bad magic)".into());
        }
        let format = r.u8()?;
        if format != FORMAT {
            return Err(format!("unknown entry format {format}"));
        }
        let owner = r.arr::<32>()?;
        let seq = r.u64()?;
        let prev = r.arr::<32>()?;
        let time_ms = r.u64()?;
        let kind = match r.u8()? {
            0 => Kind::Grant,
            1 => Kind::Earn,
            2 => Kind::Spend,
            k => return Err(format!("unknown entry kind {k}")),
        };
        let amount = r.u64()?;
        let balance = r.u64()?;
        let receipt = if kind == Kind::Grant {
            None
        } else {
            let job = r.str()?;
            let requester = r.arr::<32>()?;
            let worker = r.arr::<32>()?;
            let model = r.str()?;
            let quant = r.str()?;
            let prompt_tokens = r.u32()?;
            let completion_tokens = r.u32()?;
            let credits = r.u64()?;
            let rtime = r.u64()?;
            let cs = r.arr::<64>()?;
            Some((
                Receipt {
                    job,
                    requester,
                    worker,
                    model,
                    quant,
                    prompt_tokens,
                    completion_tokens,
                    credits,
                    time_ms: rtime,
                },
                cs,
            ))
        };
        let sig = r.arr::<64>()?;
        if r.at != bytes.len() {
            return Err(format!(
                "{} bytes after the end of the entry",
                bytes.len() - r.at
            ));
        }
        Ok(Entry {
            owner,
            seq,
            prev,
            time_ms,
            kind,
            amount,
            balance,
            receipt,
            sig,
        })
    }

    /// The entry as one JSON line of an export: readable fields, and `raw`, the signed bytes.
    pub fn to_json(&self, raw: &[u8]) -> Value {
        json!({
            "seq": self.seq,
            "kind": self.kind.as_str(),
            "amount": self.amount,
            "balance": self.balance,
            "time_ms": self.time_ms,
            "owner": hex::encode(self.owner),
            "prev": hex::encode(self.prev),
            "hash": blake3::hash(raw).to_hex().to_string(),
            "receipt": self.receipt.as_ref().map(|(r, _)| serde_json::to_value(r).expect("receipt")),
            "counterparty_sig": self.receipt.as_ref().map(|(_, s)| hex::encode(s)),
            "sig": hex::encode(self.sig),
            "raw": hex::encode(raw),
        })
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let Some(end) = end else {
            return Err(format!(
                "truncated: needs {n} more bytes at offset {}",
                self.at
            ));
        };
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N], String> {
        Ok(self.take(N)?.try_into().expect("length taken"))
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.arr()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_be_bytes(self.arr()?))
    }
    fn str(&mut self) -> Result<String, String> {
        let n = self.u8()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| "a string is not UTF-8".into())
    }
}

/// The owner's signed statement of its chain's latest entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    #[serde(with = "hexarr")]
    pub owner: [u8; 32],
    pub seq: u64,
    #[serde(with = "hexarr")]
    pub hash: [u8; 32],
    pub balance: u64,
    #[serde(with = "hexarr")]
    pub sig: [u8; 64],
}

impl Head {
    fn signed_bytes(owner: &[u8; 32], seq: u64, hash: &[u8; 32], balance: u64) -> Vec<u8> {
        let mut m = Vec::with_capacity(4 + 1 + 32 + 8 + 32 + 8);
        m.extend_from_slice(HEAD_MAGIC);
        m.push(FORMAT);
        m.extend_from_slice(owner);
        m.extend_from_slice(&seq.to_be_bytes());
        m.extend_from_slice(hash);
        m.extend_from_slice(&balance.to_be_bytes());
        m
    }

    pub fn sign(key: &iroh::SecretKey, seq: u64, hash: [u8; 32], balance: u64) -> Head {
        let owner = *key.public().as_bytes();
        let sig = key
            .sign(&Head::signed_bytes(&owner, seq, &hash, balance))
            .to_bytes();
        Head {
            owner,
            seq,
            hash,
            balance,
            sig,
        }
    }

    pub fn valid(&self) -> bool {
        verify_one(
            &self.owner,
            &self.sig,
            &Head::signed_bytes(&self.owner, self.seq, &self.hash, self.balance),
        )
    }
}

/// Two heads of one key for one seq with different hashes: the key forked its chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    pub a: Head,
    pub b: Head,
}

impl Proof {
    /// Checks the proof on its own: nothing else needs to be trusted.
    pub fn check(&self) -> Result<[u8; 32], String> {
        if self.a.owner != self.b.owner {
            return Err("the heads are by different keys".into());
        }
        if self.a.seq != self.b.seq {
            return Err("the heads are for different sequence numbers".into());
        }
        if self.a.hash == self.b.hash {
            return Err("the heads agree".into());
        }
        if !self.a.valid() || !self.b.valid() {
            return Err("a head's signature is bad".into());
        }
        Ok(self.a.owner)
    }
}

/// One ed25519 verification under the same rules as the batches.
pub fn verify_one(key: &[u8; 32], sig: &[u8; 64], msg: &[u8]) -> bool {
    let Ok(vk) = ed25519_zebra::VerificationKey::try_from(*key) else {
        return false;
    };
    vk.verify(&ed25519_zebra::Signature::from_bytes(sig), msg)
        .is_ok()
}

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
    #[serde(with = "hexarr")]
    pub owner: [u8; 32],
    pub entries: u64,
    pub balance: u64,
    #[serde(with = "hexarr")]
    pub head: [u8; 32],
    pub time_ms: u64,
}

/// Where a verifier starts: the beginning of a chain, or a head already audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub next: u64,
    pub prev: [u8; 32],
    pub time_ms: u64,
    pub balance: u64,
}

impl Position {
    pub const START: Position = Position {
        next: 0,
        prev: [0; 32],
        time_ms: 0,
        balance: 0,
    };
}

enum Sig {
    Owner,
    Counterparty,
}

/// Checks a chain entry by entry: links, sequence, clock, kind rules, arithmetic, replays, and
/// every signature (batched; see the module docs).
pub struct Verifier {
    owner: Option<[u8; 32]>,
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
    pub fn new(owner: Option<[u8; 32]>, max_grant: Option<u64>, now_ms: u64) -> Verifier {
        Verifier::resume(owner, Position::START, max_grant, now_ms)
    }

    /// A verifier that continues after an audited position (only new entries are checked; a
    /// replay of a receipt recorded before that position is not seen).
    pub fn resume(
        owner: Option<[u8; 32]>,
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
                hex::encode(&e.owner[..5]),
                hex::encode(&o[..5])
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
            (Kind::Grant, _) => {
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
            }
            (_, None) => return Err("a payment without a receipt".into()),
            (kind, Some((r, _))) => {
                if e.seq == 0 {
                    return Err("the chain does not start with its grant".into());
                }
                r.check()?;
                let party = if kind == Kind::Earn {
                    r.worker
                } else {
                    r.requester
                };
                if party != e.owner {
                    return Err(format!(
                        "a {} whose receipt names another node as {}",
                        kind.as_str(),
                        if kind == Kind::Earn {
                            "worker"
                        } else {
                            "requester"
                        }
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
            }
        }
        Ok(())
    }

    fn queue(&mut self, index: u64, which: Sig, key: [u8; 32], sig: [u8; 64], msg: &[u8]) {
        let item = ed25519_zebra::batch::Item::from((
            ed25519_zebra::VerificationKeyBytes::from(key),
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
    owner: Option<[u8; 32]>,
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

/// A well-formed chain of `n` entries by `owner` (for tests and the benchmark): a grant of 100,
/// then earns and spends of 7 credits with `peers` in turn, each countersigned.
pub fn sample_chain(owner: &iroh::SecretKey, peers: &[iroh::SecretKey], n: u64) -> Vec<Vec<u8>> {
    let id = *owner.public().as_bytes();
    let mut out = Vec::new();
    let mut prev = [0u8; 32];
    let mut balance = 0u64;
    for seq in 0..n {
        let (kind, receipt) = if seq == 0 {
            (Kind::Grant, None)
        } else {
            let peer = &peers[seq as usize % peers.len()];
            let pid = *peer.public().as_bytes();
            let earn = seq % 3 != 0;
            let r = Receipt {
                job: format!("job-{seq}"),
                requester: if earn { pid } else { id },
                worker: if earn { id } else { pid },
                model: "smollm2-135m-instruct".into(),
                quant: "q4_1".into(),
                prompt_tokens: 20,
                completion_tokens: 30,
                credits: 7,
                time_ms: 1_000 + seq,
            };
            let cs = r.sign(peer);
            (if earn { Kind::Earn } else { Kind::Spend }, Some((r, cs)))
        };
        let amount = if seq == 0 { 100 } else { 7 };
        balance = match kind {
            Kind::Grant => amount,
            Kind::Earn => balance + amount,
            Kind::Spend => balance - amount,
        };
        let e = Entry {
            owner: id,
            seq,
            prev,
            time_ms: 1_000 + seq,
            kind,
            amount,
            balance,
            receipt,
            sig: [0; 64],
        }
        .signed(owner);
        prev = e.hash();
        out.push(e.encode());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> iroh::SecretKey {
        iroh::SecretKey::generate()
    }

    #[test]
    fn a_good_chain_verifies_and_sums_up() {
        let owner = key();
        let raws = sample_chain(&owner, &[key(), key()], 50);
        let mut v = Verifier::new(Some(*owner.public().as_bytes()), Some(100), 10_000);
        for r in &raws {
            v.push(r).unwrap();
        }
        let s = v.finish().unwrap();
        assert_eq!(s.entries, 50);
        let earns = (1..50).filter(|s| s % 3 != 0).count() as u64;
        assert_eq!(s.balance, 100 + 7 * earns - 7 * (49 - earns));
        // Decoding round-trips.
        for r in &raws {
            assert_eq!(&Entry::decode(r).unwrap().encode(), r);
        }
    }

    #[test]
    fn every_single_byte_change_is_caught_at_its_entry() {
        let owner = key();
        let raws = sample_chain(&owner, &[key()], 6);
        for (i, raw) in raws.iter().enumerate() {
            for at in 0..raw.len() {
                let mut bad = raws.clone();
                bad[i][at] ^= 0x01;
                let mut v = Verifier::new(Some(*owner.public().as_bytes()), Some(100), 10_000);
                let r = bad
                    .iter()
                    .try_for_each(|r| v.push(r).map(|_| ()))
                    .and_then(|_| v.finish().map(|_| ()));
                let e = r.expect_err("a flipped bit went unnoticed");
                assert_eq!(e.index, i as u64, "byte {at} of entry {i}: {e}");
            }
        }
    }

    /// An export of `raws` with its signed head.
    fn export(owner: &iroh::SecretKey, raws: &[Vec<u8>]) -> Vec<String> {
        let mut lines: Vec<String> = raws
            .iter()
            .map(|r| Entry::decode(r).unwrap().to_json(r).to_string())
            .collect();
        let last = Entry::decode(raws.last().unwrap()).unwrap();
        let h = Head::sign(
            owner,
            last.seq,
            *blake3::hash(raws.last().unwrap()).as_bytes(),
            last.balance,
        );
        lines.push(json!({ "head": h }).to_string());
        lines
    }

    /// Re-signs an entry (as its owner, or another key) after `edit`, returning its bytes.
    fn resign(raw: &[u8], key: &iroh::SecretKey, edit: impl FnOnce(&mut Entry)) -> Vec<u8> {
        let mut e = Entry::decode(raw).unwrap();
        edit(&mut e);
        e.signed(key).encode()
    }

    fn line_of(raw: &[u8]) -> String {
        Entry::decode(raw).unwrap().to_json(raw).to_string()
    }

    /// The mutation probes of the trust notes, over an export: every field of every line
    /// altered, entries reordered, duplicated, dropped, truncated, re-signed with another key,
    /// a wrong previous hash and sequence gaps (both re-signed by the real owner, so only the
    /// links can catch them), an old head replayed. Every variant must be refused, naming the
    /// right entry.
    #[test]
    fn mutation_probes_are_all_rejected_at_the_first_bad_entry() {
        let owner = key();
        let other = key();
        let id = *owner.public().as_bytes();
        let raws = sample_chain(&owner, &[key(), key()], 12);
        let good = export(&owner, &raws);
        let verify =
            |lines: &[String]| verify_export(&lines.join("\n"), Some(id), Some(100), 10_000);
        verify(&good).expect("the unaltered export verifies");
        let mut probes: Vec<(String, Vec<String>, u64)> = Vec::new();
        // Every field of every entry line, and every hex digit of the signed bytes.
        for (i, line) in good.iter().enumerate().take(raws.len()) {
            let v: Value = serde_json::from_str(line).unwrap();
            for (k, x) in v.as_object().unwrap() {
                let mut m = v.clone();
                m[k] = match x {
                    Value::Number(n) => json!(n.as_u64().unwrap() ^ 1),
                    Value::String(s) => {
                        let mut b = s.clone().into_bytes();
                        let at = b.len() / 2;
                        b[at] = if b[at] == b'0' { b'1' } else { b'0' };
                        json!(String::from_utf8(b).unwrap())
                    }
                    Value::Null => json!("x"),
                    Value::Object(o) => {
                        let mut o = o.clone();
                        let c = o["completion_tokens"].as_u64().unwrap();
                        o.insert("completion_tokens".into(), json!(c ^ 1));
                        Value::Object(o)
                    }
                    other => panic!("unexpected field {k}: {other}"),
                };
                let mut l = good.clone();
                l[i] = m.to_string();
                probes.push((format!("entry {i} field {k}"), l, i as u64));
            }
            let raw_hex = v["raw"].as_str().unwrap();
            for at in (0..raw_hex.len()).step_by(7) {
                let mut b = hex::decode(raw_hex).unwrap();
                b[at / 2] ^= 1 << (at % 8);
                let mut m = v.clone();
                m["raw"] = json!(hex::encode(&b));
                let mut l = good.clone();
                l[i] = m.to_string();
                probes.push((format!("entry {i} raw byte {}", at / 2), l, i as u64));
            }
        }
        let n = raws.len();
        for i in 1..n {
            let mut l = good.clone();
            l.swap(i - 1, i);
            probes.push((
                format!("entries {} and {i} swapped", i - 1),
                l,
                (i - 1) as u64,
            ));
            let mut l = good.clone();
            l.insert(i, good[i - 1].clone());
            probes.push((format!("entry {} duplicated", i - 1), l, i as u64));
            let mut l = good.clone();
            l.remove(i);
            probes.push((format!("entry {i} dropped"), l, i as u64));
        }
        for keep in 1..n {
            // Truncated, the signed head kept: it names the first missing entry.
            let mut l = good[..keep].to_vec();
            l.push(good[n].clone());
            probes.push((format!("truncated to {keep} entries"), l, keep as u64));
        }
        probes.push(("the head line dropped".into(), good[..n].to_vec(), n as u64));
        let cut = good[n - 1][..good[n - 1].len() / 2].to_string();
        let mut l = good[..n - 1].to_vec();
        l.push(cut);
        probes.push(("the last line cut in half".into(), l, (n - 1) as u64));
        // An old head replayed over a truncated chain is caught by the links, not the head.
        let old = export(&owner, &raws[..5]);
        let mut l = good[..n].to_vec();
        l.push(old[5].clone());
        probes.push(("an old signed head".into(), l, 5));
        for i in 0..n {
            let mut l = good.clone();
            l[i] = line_of(&resign(&raws[i], &other, |_| {}));
            probes.push((format!("entry {i} re-signed with another key"), l, i as u64));
            let mut l = good.clone();
            l[i] = line_of(&resign(&raws[i], &other, |e| {
                e.owner = *other.public().as_bytes()
            }));
            probes.push((format!("entry {i} re-owned by another key"), l, i as u64));
            let mut l = good.clone();
            l[i] = line_of(&resign(&raws[i], &owner, |e| e.prev[0] ^= 1));
            probes.push((
                format!("entry {i} with a wrong previous hash (owner-signed)"),
                l,
                i as u64,
            ));
            let mut l = good.clone();
            l[i] = line_of(&resign(&raws[i], &owner, |e| e.seq += 1));
            probes.push((
                format!("entry {i} with a sequence gap (owner-signed)"),
                l,
                i as u64,
            ));
            let mut l = good.clone();
            l[i] = line_of(&resign(&raws[i], &owner, |e| {
                e.time_ms = 10_000 + FUTURE_TOLERANCE_MS + 1
            }));
            probes.push((
                format!("entry {i} from the future (owner-signed)"),
                l,
                i as u64,
            ));
        }
        let total = probes.len();
        let mut wrong = Vec::new();
        for (what, lines, expect) in probes {
            match verify(&lines) {
                Ok(_) => wrong.push(format!("{what}: ACCEPTED")),
                Err(e) if e.index != expect => wrong.push(format!(
                    "{what}: named entry {} (expected {expect}): {}",
                    e.index, e.reason
                )),
                Err(_) => {}
            }
        }
        assert!(total > 500, "only {total} probes");
        eprintln!("{total} mutation probes");
        assert!(
            wrong.is_empty(),
            "{} of {total} probes went wrong:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn heads_and_proofs() {
        let k = key();
        let a = Head::sign(&k, 3, [1; 32], 10);
        let b = Head::sign(&k, 3, [2; 32], 10);
        assert!(a.valid());
        assert_eq!(
            Proof {
                a: a.clone(),
                b: b.clone()
            }
            .check()
            .unwrap(),
            *k.public().as_bytes()
        );
        assert!(
            Proof {
                a: a.clone(),
                b: a.clone()
            }
            .check()
            .is_err()
        );
        let mut forged = b.clone();
        forged.balance = 11;
        assert!(Proof { a, b: forged }.check().is_err());
    }
}
