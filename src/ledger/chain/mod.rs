//! The chain's data: entries, receipts and signed heads, their byte encoding (what is hashed and
//! signed), the JSON-lines export, and verification.
//!
//! ## Encoding (format 2)
//! Integers are big-endian; ids are 32-byte ed25519 public keys; strings are a 1-byte length and
//! UTF-8 bytes. An **entry** is
//! `"LLPE" 02 | owner[32] | seq u64 | prev[32] | time_ms u64 | kind u8 (0 grant, 1 earn, 2 spend,
//! 3 hold, 4 release) | amount u64 | balance u64 | payload | sig[64]`, where `sig` is the owner's ed25519 signature
//! over every byte before it, and the entry's hash is BLAKE3 of all its bytes, signature
//! included. `prev` is the previous entry's hash (32 zero bytes for seq 0). The payload is
//! - a grant (seq 0 only): its admission, `network str | bits u8 | nonce u64` ([`admission`]);
//! - a spend: the receipt; when the chain holds credits for its job, the spend closes that hold
//!   and its balance is the one before plus the credits held less the credits paid;
//! - a hold: `job str | worker[32]`; a release: the same, then `waived u8 (0 or 1) |
//!   [the worker's waiver, sig[64]]`. A **hold** sets `amount` credits aside for one
//!   job on one worker before the job goes out (the balance drops by it), so one balance cannot
//!   back jobs on several workers at once without a fork, which witnesses prove. A hold is
//!   closed by its job's spend, or by a **release** of the same amount: at once with the
//!   worker's [`Waiver`] of that hold entry (it refused the job), else no sooner than
//!   [`HOLD_TTL_MS`] after it
//!   (entry clocks never run backwards nor far ahead, so a release cannot appear while the
//!   worker still runs the job). At most [`MAX_OPEN_HOLDS`] are open;
//! - an earning: `len u16 | the payer's spend entry` (its bytes, signed by the payer), whose
//!   receipt is the earning's: an earning carries its backing.
//!
//! The **receipt** is `job str | requester[32] | worker[32] | model str | quant str |
//! prompt_tokens u32 | completion_tokens u32 | credits u64 | time_ms u64`. The requester signs
//! `"LLPR" 02 | receipt` as its promise to pay: what it owes is in its own hand.
//!
//! A **signed head** is the owner's signature over `"LLPH" 02 | owner | seq | hash | balance`.
//! It authenticates the whole chain up to it (every entry is linked by hash), so a verifier
//! checks one signature per chain, not one per entry. Two valid heads of one owner at one seq
//! with different hashes prove equivocation.
//!
//! What a verifier checks per entry besides the links is the payer's signature on an earning's
//! spend, in batches that coalesce by key (`ed25519-zebra`, ZIP-215 rules). A failed batch is
//! re-checked one signature at a time, so the first bad entry is still named.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::ids::NodeId;

pub mod admission;
mod verify;
pub use admission::Admission;
pub use verify::Backing;
pub use verify::{
    BadEntry, Jobs, OpenHold, RECEIPT_AGE_MS, Rules, Summary, Verified, Verifier, verify_export,
};

pub const FORMAT: u8 = 2;
const ENTRY_MAGIC: &[u8; 4] = b"LLPE";
const RECEIPT_MAGIC: &[u8; 4] = b"LLPR";
const HEAD_MAGIC: &[u8; 4] = b"LLPH";
const WAIVER_MAGIC: &[u8; 4] = b"LLPW";
/// How far an entry's clock may run ahead of the verifier's.
pub const FUTURE_TOLERANCE_MS: u64 = 5 * 60 * 1000;
/// Longest job id, model name and quantization name a receipt may carry.
pub const MAX_JOB: usize = 64;
pub const MAX_MODEL: usize = 128;
pub const MAX_QUANT: usize = 32;
/// Signatures verified together.
const BATCH: usize = 4096;
/// Longest spend entry an earning may carry.
pub const MAX_SPEND: usize = 1024;
/// How long a hold stays open before its owner may release it unpaid.
pub const HOLD_TTL_MS: u64 = 30 * 60 * 1000;
/// Holds a chain may have open at once.
pub const MAX_OPEN_HOLDS: usize = 64;

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
    /// Credits set aside for one job on one worker.
    Hold,
    /// A hold that was not paid, given back after its time.
    Release,
}

impl Kind {
    fn code(self) -> u8 {
        match self {
            Kind::Grant => 0,
            Kind::Earn => 1,
            Kind::Spend => 2,
            Kind::Hold => 3,
            Kind::Release => 4,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Grant => "grant",
            Kind::Earn => "earn",
            Kind::Spend => "spend",
            Kind::Hold => "hold",
            Kind::Release => "release",
        }
    }
}

/// One job's settlement, signed by both parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub job: String,
    pub requester: NodeId,
    pub worker: NodeId,
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
        out.extend_from_slice(self.requester.as_bytes());
        out.extend_from_slice(self.worker.as_bytes());
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
    pub fn signed_by(&self, signer: &NodeId, sig: &[u8; 64]) -> bool {
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
        // A transfer between members of an account moves credits, no work (its form is
        // checked there).
        if let Some(t) = crate::ledger::account::transfer_check(self) {
            return t;
        }
        // Every job bills its prompt: a receipt of nothing is only padding (a chain of them
        // would cost its auditors memory for no credit).
        if self.credits == 0 || self.prompt_tokens == 0 {
            return Err("a receipt of no tokens or no credits".into());
        }
        Ok(())
    }

    /// The key that identifies this receipt in one party's chain (replays are refused).
    pub fn replay_key(&self) -> [u8; 32] {
        job_key(&self.job, &self.requester, &self.worker)
    }
}

/// The key of one job between two nodes: its receipt's, and its hold's.
pub fn job_key(job: &str, requester: &NodeId, worker: &NodeId) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(job.as_bytes());
    h.update(&[0]);
    h.update(requester.as_bytes());
    h.update(worker.as_bytes());
    *h.finalize().as_bytes()
}

/// The job a hold (or its release) is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reserve {
    pub job: String,
    pub worker: NodeId,
    /// A release only: the worker's waiver of the job (it refused it), which lets the hold go
    /// before its time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Waiver>,
}

/// A worker's signature over `"LLPW" 02 | the hold entry's hash`: it waives the requester's
/// hold for a job it refused, so the requester need not wait for the hold's time to use its
/// credits. It names one hold entry, not the job: a waiver must not release a later hold of the
/// same job, which the worker may then run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Waiver(#[serde(with = "hexarr")] pub [u8; 64]);

impl Waiver {
    fn message(hold: &[u8; 32]) -> Vec<u8> {
        let mut m = WAIVER_MAGIC.to_vec();
        m.push(FORMAT);
        m.extend_from_slice(hold);
        m
    }

    /// The worker's waiver of the hold entry whose hash is `hold`, signed by the worker's `key`.
    pub fn sign(key: &iroh::SecretKey, hold: &[u8; 32]) -> Waiver {
        Waiver(key.sign(&Waiver::message(hold)).to_bytes())
    }
}

impl Reserve {
    /// Whether the release carries its worker's valid waiver of the hold entry whose hash is
    /// `hold`.
    pub fn waived(&self, hold: &[u8; 32]) -> bool {
        let m = Waiver::message(hold);
        self.waiver
            .is_some_and(|w| verify_one(&self.worker, &w.0, &m))
    }

    /// Its job's key in the chain of `requester`.
    pub fn key(&self, requester: &NodeId) -> [u8; 32] {
        job_key(&self.job, requester, &self.worker)
    }

    /// Field bounds: a job id that can be encoded, on another node than `owner`.
    pub fn check(&self, owner: &NodeId) -> Result<(), String> {
        if self.job.is_empty() || self.job.len() > MAX_JOB {
            return Err(format!("job id must be 1 to {MAX_JOB} bytes"));
        }
        if self.worker == *owner {
            return Err("a hold for a job on its own node".into());
        }
        Ok(())
    }
}

/// A requester's promise to pay: a receipt it signed. Cumulative within a job (the latest
/// replaces the ones before); whoever holds one can prove what the requester owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promise {
    pub receipt: Receipt,
    #[serde(with = "hexarr")]
    pub sig: [u8; 64],
}

impl Promise {
    pub fn new(receipt: Receipt, key: &iroh::SecretKey) -> Promise {
        let sig = receipt.sign(key);
        Promise { receipt, sig }
    }

    /// Whether the requester it names signed it (and its fields are in bounds).
    pub fn check(&self) -> Result<(), String> {
        self.receipt.check()?;
        if !self.receipt.signed_by(&self.receipt.requester, &self.sig) {
            return Err("the promise is not signed by the requester it names".into());
        }
        Ok(())
    }
}

/// What an entry records, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// The starter grant (seq 0 only), with the admission its owner paid.
    Grant(Admission),
    /// Credits earned: the payer's spend entry (its bytes, signed by the payer), whose receipt
    /// is `receipt`.
    Earn { receipt: Receipt, spend: Vec<u8> },
    /// Credits paid for work a peer did.
    Spend(Receipt),
    /// Credits set aside for a job about to go out.
    Hold(Reserve),
    /// A hold given back unpaid.
    Release(Reserve),
}

/// One link of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub owner: NodeId,
    pub seq: u64,
    pub prev: [u8; 32],
    pub time_ms: u64,
    pub amount: u64,
    /// The balance after this entry.
    pub balance: u64,
    pub payload: Payload,
    pub sig: [u8; 64],
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    // Lengths are checked before signing; a longer string would not decode.
    out.push(s.len().min(255) as u8);
    out.extend_from_slice(&s.as_bytes()[..s.len().min(255)]);
}

impl Entry {
    pub fn kind(&self) -> Kind {
        match self.payload {
            Payload::Grant(_) => Kind::Grant,
            Payload::Earn { .. } => Kind::Earn,
            Payload::Spend(_) => Kind::Spend,
            Payload::Hold(_) => Kind::Hold,
            Payload::Release(_) => Kind::Release,
        }
    }

    /// The receipt of an earning or a spending.
    pub fn receipt(&self) -> Option<&Receipt> {
        match &self.payload {
            Payload::Grant(_) | Payload::Hold(_) | Payload::Release(_) => None,
            Payload::Earn { receipt, .. } | Payload::Spend(receipt) => Some(receipt),
        }
    }

    /// The bytes the owner signs: everything but the signature.
    pub fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(400);
        out.extend_from_slice(ENTRY_MAGIC);
        out.push(FORMAT);
        out.extend_from_slice(self.owner.as_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.prev);
        out.extend_from_slice(&self.time_ms.to_be_bytes());
        out.push(self.kind().code());
        out.extend_from_slice(&self.amount.to_be_bytes());
        out.extend_from_slice(&self.balance.to_be_bytes());
        match &self.payload {
            Payload::Grant(a) => {
                put_str(&mut out, &a.network);
                out.push(a.bits);
                out.extend_from_slice(&a.nonce.to_be_bytes());
            }
            Payload::Earn { spend, .. } => {
                // Bounded by MAX_SPEND before it gets here.
                out.extend_from_slice(&(spend.len().min(u16::MAX as usize) as u16).to_be_bytes());
                out.extend_from_slice(spend);
            }
            Payload::Spend(r) => r.encode_into(&mut out),
            Payload::Hold(h) => {
                put_str(&mut out, &h.job);
                out.extend_from_slice(h.worker.as_bytes());
            }
            Payload::Release(h) => {
                put_str(&mut out, &h.job);
                out.extend_from_slice(h.worker.as_bytes());
                match &h.waiver {
                    Some(w) => {
                        out.push(1);
                        out.extend_from_slice(&w.0);
                    }
                    None => out.push(0),
                }
            }
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

    /// Whether the owner's signature is good (an entry shown on its own, out of its chain).
    pub fn signature_ok(&self, raw: &[u8]) -> bool {
        raw.len() > 64 && verify_one(&self.owner, &self.sig, &raw[..raw.len() - 64])
    }

    /// The other party of a receipt entry.
    pub fn counterparty(&self) -> Option<NodeId> {
        match &self.payload {
            Payload::Grant(_) => None,
            Payload::Earn { receipt, .. } => Some(receipt.requester),
            Payload::Spend(r) => Some(r.worker),
            Payload::Hold(h) | Payload::Release(h) => Some(h.worker),
        }
    }

    /// Decodes one entry; every byte must be accounted for.
    pub fn decode(bytes: &[u8]) -> Result<Entry, String> {
        let mut r = Reader { b: bytes, at: 0 };
        if r.take(4)? != ENTRY_MAGIC {
            return Err("not a ledger entry (bad magic)".into());
        }
        let format = r.u8()?;
        if format != FORMAT {
            return Err(format!(
                "entry format {format}, not {FORMAT} (a ledger of an older llp: see the README's \
                 Credits section)"
            ));
        }
        let owner = NodeId::from_bytes(r.arr::<32>()?);
        let seq = r.u64()?;
        let prev = r.arr::<32>()?;
        let time_ms = r.u64()?;
        let kind = r.u8()?;
        let amount = r.u64()?;
        let balance = r.u64()?;
        let payload = match kind {
            0 => Payload::Grant(Admission {
                network: r.str()?,
                bits: r.u8()?,
                nonce: r.u64()?,
            }),
            1 => {
                let n = u16::from_be_bytes(r.arr()?) as usize;
                if n > MAX_SPEND {
                    return Err(format!("its payer's spend entry is {n} bytes"));
                }
                let spend = r.take(n)?.to_vec();
                let e = Entry::decode(&spend).map_err(|e| format!("its payer's spend: {e}"))?;
                let Payload::Spend(receipt) = e.payload else {
                    return Err("an earning backed by something other than a spend".into());
                };
                Payload::Earn { receipt, spend }
            }
            2 => Payload::Spend(r.receipt()?),
            3 => Payload::Hold(r.reserve(false)?),
            4 => Payload::Release(r.reserve(true)?),
            k => return Err(format!("unknown entry kind {k}")),
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
            amount,
            balance,
            payload,
            sig,
        })
    }

    /// The entry as one JSON line of an export: readable fields, and `raw`, the signed bytes.
    pub fn to_json(&self, raw: &[u8]) -> Value {
        let (admission, payment) = match &self.payload {
            Payload::Grant(a) => (Some(a), None),
            Payload::Earn { spend, .. } => (
                None,
                Entry::decode(spend).ok().map(|s| {
                    json!({"payer": s.owner.to_string(), "seq": s.seq,
                       "hash": blake3::hash(spend).to_hex().to_string()})
                }),
            ),
            Payload::Spend(_) | Payload::Hold(_) | Payload::Release(_) => (None, None),
        };
        let hold = match &self.payload {
            Payload::Hold(h) | Payload::Release(h) => {
                Some(serde_json::to_value(h).expect("reserve"))
            }
            _ => None,
        };
        json!({
            "seq": self.seq,
            "kind": self.kind().as_str(),
            "amount": self.amount,
            "balance": self.balance,
            "time_ms": self.time_ms,
            "owner": self.owner.to_string(),
            "prev": hex::encode(self.prev),
            "hash": blake3::hash(raw).to_hex().to_string(),
            "receipt": self.receipt().map(|r| serde_json::to_value(r).expect("receipt")),
            "admission": admission.map(|a| serde_json::to_value(a).expect("admission")),
            "payment": payment,
            "hold": hold,
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
    fn reserve(&mut self, release: bool) -> Result<Reserve, String> {
        let job = self.str()?;
        let worker = NodeId::from_bytes(self.arr::<32>()?);
        let waiver = match release.then(|| self.u8()).transpose()? {
            None | Some(0) => None,
            Some(1) => Some(Waiver(self.arr::<64>()?)),
            Some(f) => return Err(format!("a release's waiver flag is {f}")),
        };
        Ok(Reserve {
            job,
            worker,
            waiver,
        })
    }
    fn receipt(&mut self) -> Result<Receipt, String> {
        Ok(Receipt {
            job: self.str()?,
            requester: NodeId::from_bytes(self.arr::<32>()?),
            worker: NodeId::from_bytes(self.arr::<32>()?),
            model: self.str()?,
            quant: self.str()?,
            prompt_tokens: self.u32()?,
            completion_tokens: self.u32()?,
            credits: self.u64()?,
            time_ms: self.u64()?,
        })
    }
}

/// The owner's signed statement of its chain's latest entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    pub owner: NodeId,
    pub seq: u64,
    #[serde(with = "hexarr")]
    pub hash: [u8; 32],
    pub balance: u64,
    #[serde(with = "hexarr")]
    pub sig: [u8; 64],
}

impl Head {
    fn signed_bytes(owner: &NodeId, seq: u64, hash: &[u8; 32], balance: u64) -> Vec<u8> {
        let mut m = Vec::with_capacity(4 + 1 + 32 + 8 + 32 + 8);
        m.extend_from_slice(HEAD_MAGIC);
        m.push(FORMAT);
        m.extend_from_slice(owner.as_bytes());
        m.extend_from_slice(&seq.to_be_bytes());
        m.extend_from_slice(hash);
        m.extend_from_slice(&balance.to_be_bytes());
        m
    }

    pub fn sign(key: &iroh::SecretKey, seq: u64, hash: [u8; 32], balance: u64) -> Head {
        let owner = NodeId::from(key);
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

/// A signed head `a` of a key, and another statement of that key that contradicts it: the key
/// forked its chain at `a.seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    pub a: Head,
    pub b: Statement,
}

/// What a key signed about its chain: a head, or an entry shown on its own (its signature over
/// its bytes binds its seq, and its `prev` the entry before it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Statement {
    Head(Head),
    /// An entry's bytes, hex.
    Entry {
        entry: String,
    },
}

impl Proof {
    /// Checks the proof on its own: nothing else needs to be trusted. Two heads of one seq
    /// with different hashes; or a head and an entry of that seq with another hash, or of
    /// the next seq linked to another entry.
    pub fn check(&self) -> Result<NodeId, String> {
        let a = &self.a;
        if !a.valid() {
            return Err("a head's signature is bad".into());
        }
        match &self.b {
            Statement::Head(b) => {
                if a.owner != b.owner {
                    return Err("the heads are by different keys".into());
                }
                if a.seq != b.seq {
                    return Err("the heads are for different sequence numbers".into());
                }
                if a.hash == b.hash {
                    return Err("the heads agree".into());
                }
                if !b.valid() {
                    return Err("a head's signature is bad".into());
                }
            }
            Statement::Entry { entry } => {
                let raw = hex::decode(entry).map_err(|_| "the entry is not hex".to_string())?;
                let e = Entry::decode(&raw)?;
                if e.owner != a.owner {
                    return Err("the head and the entry are by different keys".into());
                }
                if !e.signature_ok(&raw) {
                    return Err("the entry's signature is bad".into());
                }
                let hash = *blake3::hash(&raw).as_bytes();
                let other = (e.seq == a.seq && hash != a.hash)
                    || (e.seq == a.seq.wrapping_add(1) && e.prev != a.hash);
                if !other {
                    return Err("the head and the entry agree".into());
                }
            }
        }
        Ok(a.owner)
    }
}

/// One ed25519 verification under the same rules as the batches.
pub fn verify_one(key: &NodeId, sig: &[u8; 64], msg: &[u8]) -> bool {
    let Ok(vk) = ed25519_zebra::VerificationKey::try_from(*key.as_bytes()) else {
        return false;
    };
    vk.verify(&ed25519_zebra::Signature::from_bytes(sig), msg)
        .is_ok()
}

/// A place in a chain: where the next entry goes (its seq, the hash it links to, the clock and
/// balance it continues). Where a verifier starts (the beginning, or a head already audited),
/// and where the ledger's writer appends.
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

    /// The place after entry `e`, whose bytes are `raw`.
    pub fn after(e: &Entry, raw: &[u8]) -> Position {
        Position {
            next: e.seq + 1,
            prev: *blake3::hash(raw).as_bytes(),
            time_ms: e.time_ms,
            balance: e.balance,
        }
    }

    /// The entry that continues the chain here, signed by `key`: its balance moved by `amount`
    /// as its kind says (a spend that closes a hold of `held` credits gets them back first), its
    /// clock never behind the chain's. `None` when the chain's rules forbid it: a spend or a
    /// hold beyond the balance, an earning that overflows, a grant after the first entry.
    pub fn append(
        &self,
        key: &iroh::SecretKey,
        amount: u64,
        held: u64,
        payload: Payload,
        time_ms: u64,
    ) -> Option<Entry> {
        let balance = match &payload {
            Payload::Grant(_) if self.next == 0 => Some(amount),
            Payload::Grant(_) => None,
            Payload::Earn { .. } | Payload::Release(_) => self.balance.checked_add(amount),
            Payload::Spend(_) => self.balance.checked_add(held)?.checked_sub(amount),
            Payload::Hold(_) => self.balance.checked_sub(amount),
        }?;
        Some(
            Entry {
                owner: NodeId::from(key),
                seq: self.next,
                prev: self.prev,
                time_ms: time_ms.max(self.time_ms),
                amount,
                balance,
                payload,
                sig: [0; 64],
            }
            .signed(key),
        )
    }
}

#[cfg(test)]
mod tests;
