//! The peer protocol's messages and their encoding: what crosses the wire, and nothing else.
//!
//! Two channels carry messages:
//! - the node's own protocol on the versioned ALPN [`ALPN`]: every message is one frame, a 4-byte
//!   big-endian length and a JSON body, bounded by [`MAX_FRAME`] (a request holding a whole
//!   conversation) or [`MAX_SMALL_FRAME`] (everything a server sends back);
//! - gossip announcements: `[1 byte envelope version][32-byte author key][64-byte signature]
//!   [JSON body]`, signed over the topic and the body, so an announcement cannot be forged,
//!   altered, or replayed into another network.
//!
//! Decoding never panics and never trusts a length before checking it against the bound; every
//! error says what was wrong. The decoders are fuzzed by the property tests at the bottom.

use std::net::SocketAddr;

use iroh::{PublicKey, SecretKey, Signature};

use crate::ids::NodeId;
use crate::job;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The node-to-node protocol, versioned in its name: a node speaking another version is refused
/// by the QUIC handshake itself.
pub const ALPN: &[u8] = b"llp/13";
/// The protocol version carried in [`Request::Hello`] (3: admitted chains, backed earnings,
/// payment by signed promises; 4: commitments, proofs, verifiers; 5: running commitments;
/// 6: tools, response formats, logprobs, chat messages with tool calls; 7: engines and
/// variants in announcements; 10: regions, accounts, transfers; 11: pipeline stages; 12: the
/// sender's clock in announcements; 13: provider records).
pub const VERSION: u32 = 13;
/// A worker signs a running commitment to the answer so far after every this many tokens
/// ([`Reply::Committed`]), and its requester promises to pay for those tokens only then.
pub const COMMIT_EVERY: u32 = 8;
/// Largest request frame (a whole conversation, as big as the HTTP body limit allows, plus room).
pub const MAX_FRAME: usize = 4 << 20;
/// Largest frame a server sends (a token, a status line, a list of contacts).
pub const MAX_SMALL_FRAME: usize = 64 << 10;
/// Largest answer to `GetProviders`: records up to [`MAX_PROVIDER_RECORDS`] bytes of hex, and
/// K contacts.
pub const MAX_PROVIDERS_FRAME: usize = 512 << 10;
/// Bytes of hex records one `Providers` answer carries at most.
pub const MAX_PROVIDER_RECORDS: usize = 256 << 10;
/// Addresses one contact carries at most (a node has a few; more is a lie, or an attack).
pub const MAX_CONTACT_ADDRS: usize = 8;
/// Largest gossip announcement.
pub const MAX_ANNOUNCEMENT: usize = 16 << 10;
const ENVELOPE_VERSION: u8 = 1;
const ENVELOPE_HEADER: usize = 1 + 32 + 64;

/// Why a message was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("frame of {len} bytes exceeds the {max}-byte limit")]
    TooBig { len: usize, max: usize },
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("message of {0} bytes is too short to hold a signed envelope")]
    Truncated(usize),
    #[error("the frame ended after {got} of its {want} bytes")]
    Short { got: usize, want: usize },
    #[error("unknown envelope version {0}")]
    UnknownVersion(u8),
    #[error("bad signature (the message was altered or not signed by {0})")]
    BadSignature(String),
    #[error("connection: {0}")]
    Io(String),
}

impl From<std::io::Error> for WireError {
    fn from(e: std::io::Error) -> Self {
        WireError::Io(e.to_string())
    }
}

/// A message sent to a peer on [`ALPN`]. The first stream of a connection carries `Hello`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Proves membership of the network: `proof` is [`Membership::proof`] over both ids.
    Hello {
        version: u32,
        network: String,
        proof: String,
        /// The credit policy's fingerprint ([`crate::ledger::Policy::id`]): a network's nodes
        /// must price work alike.
        #[serde(default)]
        policy: String,
    },
    /// Runs a generation on the peer and streams its tokens back.
    Infer(InferRequest),
    /// Kademlia FIND_NODE: the contacts the peer knows closest to `target` (hex node id).
    FindNode {
        target: String,
    },
    Ping {
        nonce: u64,
    },
    /// Kademlia ADD_PROVIDER: the sender's own sealed announcement (hex), which the peer keeps
    /// as the sender's provider record under the key of each model it serves
    /// (`net::table::providers`). Answered by `Stored`.
    Provide {
        signed: String,
    },
    /// Kademlia GET_PROVIDERS: the provider records the peer holds under `key` (hex), from the
    /// `from`-th on, and the contacts it knows closest to the key. Answered by `Providers`
    /// (read up to [`MAX_FRAME`]: it carries whole announcements).
    GetProviders {
        key: String,
        #[serde(default)]
        from: u32,
    },
    /// The peer's current signed announcement, asked directly when gossip has not brought one
    /// lately (a peer that restarted, or a gossip overlay still healing).
    GetAnnouncement,
    /// The peer's ledger entries after seq `after` (all when `None`), for an audit. Answered
    /// by `Entries` frames and a last `ChainEnd`.
    GetChain {
        after: Option<u64>,
    },
    /// The latest ledger head of node `id` (hex) this peer holds: a node asks for its own at
    /// start, to learn whether its ledger file is behind the chain its peers saw.
    HeadOf {
        id: String,
    },
    /// A worker about to run a job for `head`'s owner shows the head it audited to a witness of
    /// that chain, which keeps it and answers `Witnessed`.
    Witness {
        head: Box<crate::ledger::Head>,
    },
    /// Checks an answer for its requester, which does not run the variant: the worker's signed
    /// commitment with the prompt, re-run as a fraud proof is. Answered by `Verdict`.
    Verify {
        claim: Box<crate::trust::proof::FraudProof>,
    },
    /// A fraud proof the peer announced, by id (hex), or the one it holds against a job (the
    /// hex key of job, requester and worker: asked by a node that heard of a debt for that
    /// job): answered by `Proof` (read up to [`MAX_FRAME`]: it carries its prompt).
    GetProof {
        id: String,
    },
    /// On a job's stream: the requester's promise to pay for the tokens it received so far (a
    /// receipt it signed, cumulative: each replaces the one before).
    Pay(Box<crate::ledger::Promise>),
    /// On a job's stream: the requester stops the job (its last promise says what it received).
    Stop,
    /// On a job's stream, at its end: the spend entry the requester recorded for its last
    /// promise (hex) and its signed head for that entry.
    Paid {
        entry: String,
        head: Box<crate::ledger::Head>,
    },
    /// A member of this node's account asks it for up to `credits` (`net::account`):
    /// answered by `Given`.
    Transfer {
        credits: u64,
    },
    /// A member asks for every revocation of the account's owner this node knows: answered
    /// by `Revocations`.
    GetRevocations,
    /// A pipeline's coordinator asks the peer to run the layers `layers` of `model` for one
    /// sequence (`net::pipeline`): answered by `StageReady` (or `Refused`, as when they do not
    /// fit its memory), then `StageStep` frames on the same stream, each answered by a
    /// `StageOut`, until the coordinator ends the stream.
    Stage {
        job: String,
        /// `NAME:QUANT`.
        model: String,
        layers: [u32; 2],
        /// The most positions the sequence will hold (the stage reserves its KV cache for
        /// them, and refuses steps past them).
        positions: u32,
    },
    /// On a stage's stream: `rows` hidden states (f32 little-endian, base64, row-major) at
    /// positions `pos..pos + rows` to run through the stage's layers. `pos` 0 starts the
    /// sequence over; any other is where the stage's cache ends.
    StageStep {
        pos: u32,
        rows: u32,
        hidden: String,
        /// More rows of this step follow in the next frame (a step bigger than a frame is
        /// split, and run as one forward pass once whole).
        #[serde(default, skip_serializing_if = "is_false")]
        more: bool,
    },
}

/// A generation a peer is asked to run. `continuation` holds tokens another node already produced
/// for this job (failover): the peer appends them to the prompt and generates what is left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferRequest {
    pub job: String,
    pub model: String,
    pub prompt: Prompt,
    #[serde(default)]
    pub continuation: Vec<u32>,
    pub max_tokens: Option<u32>,
    pub sampling: WireSampling,
    #[serde(default)]
    pub stop: Vec<String>,
    #[serde(default)]
    pub ignore_eos: bool,
    /// Credits the requester has set aside for this job (0: it asks to be served for free).
    #[serde(default)]
    pub budget: u64,
    /// The requester's signed ledger head, for the worker's audit (with a budget).
    #[serde(default)]
    pub head: Option<Box<crate::ledger::Head>>,
    /// The requester's promise to pay for the prompt (with a budget): the receipt of no answer
    /// token yet, signed.
    #[serde(default)]
    pub promise: Option<Box<crate::ledger::Promise>>,
    /// The requester's hold entry for this job, hex (with a budget): a worker that refuses the
    /// job may waive that hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<String>,
    /// Tools and response format: a worker that cannot honour them refuses the job.
    #[serde(default, skip_serializing_if = "unconstrained")]
    pub constraints: Box<job::Constraints>,
    /// Log probabilities with each token, and this many alternatives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<u8>,
}

fn unconstrained(c: &job::Constraints) -> bool {
    c.is_default()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Prompt {
    /// Chat messages; the serving node applies the model's template.
    Chat(Vec<job::ChatMsg>),
    Text(String),
    Embed(Vec<String>),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireSampling {
    pub temperature: f32,
    pub top_p: f32,
    pub seed: Option<u64>,
    pub frequency_penalty: f32,
    pub presence_penalty: f32,
}

// The border between a job and its wire form: the two may grow apart, the wire may not change
// by accident.

impl From<&job::Prompt> for Prompt {
    fn from(p: &job::Prompt) -> Prompt {
        match p {
            job::Prompt::Chat(m) => Prompt::Chat(m.clone()),
            job::Prompt::Text(t) => Prompt::Text(t.clone()),
            job::Prompt::Embed(v) => Prompt::Embed(v.clone()),
        }
    }
}

impl From<Prompt> for job::Prompt {
    fn from(p: Prompt) -> job::Prompt {
        match p {
            Prompt::Chat(m) => job::Prompt::Chat(m),
            Prompt::Text(t) => job::Prompt::Text(t),
            Prompt::Embed(v) => job::Prompt::Embed(v),
        }
    }
}

impl From<&job::Sampling> for WireSampling {
    fn from(s: &job::Sampling) -> WireSampling {
        WireSampling {
            temperature: s.temperature,
            top_p: s.top_p,
            seed: s.seed,
            frequency_penalty: s.frequency_penalty,
            presence_penalty: s.presence_penalty,
        }
    }
}

impl From<&WireSampling> for job::Sampling {
    fn from(s: &WireSampling) -> job::Sampling {
        job::Sampling {
            temperature: s.temperature,
            top_p: s.top_p,
            seed: s.seed,
            frequency_penalty: s.frequency_penalty,
            presence_penalty: s.presence_penalty,
        }
    }
}

/// Why a peer did not take a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefuseCode {
    /// The handshake: not a member of the network (no proof of its secret).
    Network,
    /// The handshake: another protocol version.
    Version,
    /// The handshake: another credit policy.
    Policy,
    /// The handshake is missing, or happened already.
    Handshake,
    /// Contribution is paused.
    Paused,
    /// No room now (or a transient failure): try elsewhere, or later.
    Busy,
    /// The model is not served here.
    Model,
    /// The request is malformed or out of range.
    Invalid,
    ContextLengthExceeded,
    /// Refused for good (it forked its ledger).
    Banned,
    /// Not enough credits offered, or audited.
    Credits,
    /// Its ledger failed the audit.
    Ledger,
    /// It owes a worker for a job (a promise it signed and has not paid).
    Debt,
    /// The model here cannot honour what the job asks (tools its template does not render).
    Unsupported,
    /// A code this version does not know.
    #[serde(other)]
    Unknown,
}

impl RefuseCode {
    pub fn as_str(self) -> &'static str {
        match self {
            RefuseCode::Network => "network",
            RefuseCode::Version => "version",
            RefuseCode::Policy => "policy",
            RefuseCode::Handshake => "handshake",
            RefuseCode::Paused => "paused",
            RefuseCode::Busy => "busy",
            RefuseCode::Model => "model",
            RefuseCode::Invalid => "invalid",
            RefuseCode::ContextLengthExceeded => "context_length_exceeded",
            RefuseCode::Banned => "banned",
            RefuseCode::Credits => "credits",
            RefuseCode::Ledger => "ledger",
            RefuseCode::Debt => "debt",
            RefuseCode::Unsupported => "unsupported",
            RefuseCode::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for RefuseCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for RefuseCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Reply {
    /// A refusal with its reason.
    pub fn refused(code: RefuseCode, message: impl Into<String>) -> Reply {
        Reply::Refused {
            code,
            message: message.into(),
        }
    }
}

/// What a peer sends back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reply {
    Welcome {
        version: u32,
        proof: String,
        #[serde(default)]
        policy: String,
    },
    /// The request was not taken, and why.
    Refused {
        code: RefuseCode,
        message: String,
    },
    /// The job is queued on the peer's engine; tokens follow.
    Accepted {
        model: String,
        prompt_tokens: u32,
        max_tokens: u32,
        warning: Option<String>,
        /// The engine that runs it.
        #[serde(default)]
        engine: crate::engine::EngineKind,
        /// Why it runs this variant (the worker's memory, or named exactly).
        #[serde(default)]
        why: String,
    },
    /// Before the `Refused` of a paid job: the worker waives the requester's hold for it (see
    /// `ledger::chain::Waiver`), so the requester may release it at once.
    Waived {
        waiver: crate::ledger::chain::Waiver,
    },
    /// The job waits in the worker's queue (or reads its prompt): sent every few seconds until
    /// its first token, so a busy worker is not taken for a stalled one.
    Waiting,
    Token {
        id: u32,
        piece: Vec<u8>,
        /// Logprobs and the parser's delta, when the job asked for them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extra: Option<Box<job::TokenExtra>>,
    },
    /// One vector of an embedding job, in input order (the f32s little-endian, base64): all
    /// of them come before `Done`.
    Embedding {
        vector: String,
    },
    /// The worker's signature over its commitment to the segment's first `n` tokens, as cut
    /// there (`finish` length), after every [`COMMIT_EVERY`]-th token: what its requester's
    /// next promise pays for, and a fraud proof if those tokens are not the model's.
    Committed {
        n: u32,
        commitment: crate::trust::proof::Signature,
    },
    Done {
        reason: String,
        completion_tokens: u32,
        cached_tokens: u32,
        ttft_ms: f64,
        prompt_ms: f64,
        generation_ms: f64,
        /// The worker's signature over its commitment to the answer (`trust::proof`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        commitment: Option<Box<crate::trust::proof::Signature>>,
        /// What the parser read anew at the end (constrained jobs).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        delta: Option<Box<job::MsgDelta>>,
    },
    Failed {
        message: String,
    },
    Nodes {
        nodes: Vec<Contact>,
    },
    /// Credits given to a member of the account that asked (`Transfer`): the giver's spend
    /// entry (hex) and its signed head for it, recorded as a payment delivered on its own.
    Given {
        entry: String,
        head: Box<crate::ledger::Head>,
    },
    Revocations {
        revocations: Vec<crate::ledger::account::Revocation>,
    },
    /// The stage's layers are loaded and its session is open: `hidden` is the width of the
    /// rows its steps carry.
    StageReady {
        hidden: u32,
    },
    /// A stage's output for its step: `rows` hidden states as the step carries them, and the
    /// stage's compute time for it.
    StageOut {
        rows: u32,
        hidden: String,
        ms: f64,
        /// More rows of this output follow in the next frame.
        #[serde(default, skip_serializing_if = "is_false")]
        more: bool,
    },
    Pong {
        nonce: u64,
    },
    /// A `Provide` was kept under this many keys.
    Stored {
        keys: u32,
    },
    /// The answer to `GetProviders`: sealed announcements (hex), and closer contacts.
    Providers {
        records: Vec<String>,
        nodes: Vec<Contact>,
    },
    /// A sealed announcement (the same bytes gossip carries, checked the same way).
    Announcement {
        signed: Vec<u8>,
    },
    /// The head asked for by `HeadOf` (none if unknown here).
    Head {
        head: Option<Box<crate::ledger::Head>>,
    },
    /// A witness kept the head; `proof`: the owner forked its chain (another head at that seq,
    /// or an older proof).
    Witnessed {
        proof: Option<Box<crate::ledger::Proof>>,
        /// The latest head of the owner this witness holds.
        #[serde(default)]
        latest: Option<Box<crate::ledger::Head>>,
    },
    /// The worker recorded its earning for the job at this seq of its chain.
    Settled {
        seq: u64,
    },
    /// Ledger entries, hex-encoded (see `GetChain`).
    Entries {
        entries: Vec<String>,
    },
    /// What a verifier found checking an answer: the fault, if it failed.
    Verdict {
        fault: Option<String>,
    },
    /// A fraud proof asked for by id.
    Proof {
        proof: Box<crate::trust::proof::FraudProof>,
    },
    ChainEnd,
}

/// How to reach a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub id: String,
    pub addrs: Vec<SocketAddr>,
    pub relay: Option<String>,
}

/// What a node tells the network about itself, every few seconds and when it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Announcement {
    /// Grows with every announcement from this node (a restarted node starts from the clock).
    pub seq: u64,
    pub network: String,
    pub version: String,
    pub addrs: Vec<SocketAddr>,
    pub relay: Option<String>,
    pub paused: bool,
    /// The node is shutting down: forget it now.
    pub leaving: bool,
    pub models: Vec<ModelAd>,
    pub capability: Capability,
    /// The node's signed ledger head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<crate::ledger::Head>,
    /// Proofs of equivocation this node knows (the newest few), so they reach every node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equivocations: Vec<crate::ledger::Proof>,
    /// Promises owed to this node and not paid (the newest few): every honest node refuses the
    /// debtor until its chain shows the payment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub debts: Vec<crate::ledger::Promise>,
    /// Requesters' signed heads of the latest payments this node accepted: every node checks
    /// them against the heads it saw, so a requester that showed two workers two chains is
    /// proven forked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paid_heads: Vec<crate::ledger::Head>,
    /// The ids (hex) of the newest fraud proofs this node holds, made or re-run here: a node
    /// that does not have one asks for it (`GetProof`) and re-runs it itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frauds: Vec<String>,
    /// The model files this node offers to peers (iroh-blobs on [`iroh_blobs::ALPN`]): a peer
    /// that lacks one fetches it from every node that offers it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileAd>,
    /// This node loads the models the network lacks (`--auto-models`).
    #[serde(default)]
    pub auto_models: bool,
    /// Models (`NAME`, `NAME:QUANT`, `NAME@MIN`) that jobs at this node wait for and no node
    /// serves: a node with `--auto-models` may load one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wants: Vec<String>,
    /// The region its operator set (`--region`), for requesters whose routing policy requires
    /// one. The operator's word: no one can check it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Its certificate of membership of an account (`ledger::account`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<crate::ledger::account::Cert>,
    /// The newest revocations of its account's owner that it knows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revocations: Vec<crate::ledger::account::Revocation>,
    /// How many it knows in all: a member that knows fewer asks for them (`GetRevocations`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub revocations_known: u32,
    /// Bytes of memory it has free for pipeline stages of the models in `files` (0: it hosts
    /// none, as when paused).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub stage_free: u64,
    /// The sender's clock when it made this announcement (ms since the Unix epoch; 0:
    /// unknown): peers tell their operator of a clock far from theirs (`llp doctor`), which
    /// would make their receipts look from the future or too old.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub clock_ms: u64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

/// The most files an announcement offers (the rest are left out).
pub const MAX_FILE_ADS: usize = 32;

/// A model file a node offers: which variant, its BLAKE3 hash (what the transfer verifies
/// while streaming) and its size. Only a claim: the file's sha256 is checked against the
/// catalog (or the hash recorded at first use) before it gets its final name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAd {
    /// `NAME:QUANT`.
    pub model: String,
    /// 64 hex digits.
    pub blake3: String,
    pub size: u64,
}

impl FileAd {
    /// Whether it is well formed: a variant's id and a BLAKE3 hash.
    pub fn well_formed(&self) -> bool {
        self.model.len() <= 128
            && self.model.contains(':')
            && self.blake3.len() == 64
            && self.blake3.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

impl Announcement {
    /// An announcement of `models` with nothing else to say (no addresses, not paused, not
    /// leaving, an empty capability profile); callers fill in what they know.
    pub fn new(seq: u64, network: &str, models: Vec<ModelAd>) -> Announcement {
        Announcement {
            seq,
            network: network.to_string(),
            version: crate::node::VERSION.into(),
            addrs: Vec::new(),
            relay: None,
            paused: false,
            leaving: false,
            models,
            capability: Capability::default(),
            ledger: None,
            equivocations: Vec::new(),
            debts: Vec::new(),
            paid_heads: Vec::new(),
            frauds: Vec::new(),
            files: Vec::new(),
            auto_models: false,
            wants: Vec::new(),
            region: None,
            account: None,
            revocations: Vec::new(),
            revocations_known: 0,
            stage_free: 0,
            clock_ms: crate::ids::now_ms(),
        }
    }
}

/// The [`ModelAd::features`] word of a model whose template renders tools.
pub const FEATURE_TOOLS: &str = "tools";
/// The [`ModelAd::features`] word of an embedding model (it embeds, and generates no text).
pub const FEATURE_EMBED: &str = "embed";

/// A vector as [`Reply::Embedding`] carries it.
pub fn encode_vector(v: &[f32]) -> String {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    data_encoding::BASE64.encode(&bytes)
}

/// A vector from [`Reply::Embedding`], if it is one (whole f32s, all finite).
pub fn decode_vector(s: &str) -> Option<Vec<f32>> {
    let bytes = data_encoding::BASE64.decode(s.as_bytes()).ok()?;
    if bytes.is_empty() || bytes.len() % 4 != 0 {
        return None;
    }
    let v: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    v.iter().all(|x| x.is_finite()).then_some(v)
}

/// A model a node serves, with its load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelAd {
    pub name: String,
    pub quant: String,
    pub slots: u32,
    pub busy: u32,
    pub queued: u32,
    pub ctx: u32,
    /// Measured generation speed of one slot, tokens per second (0 until measured).
    pub tokens_per_s: f64,
    /// What it can do besides plain generation that not every model can: `tools` (its chat
    /// template renders them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// The engine that computes it (`llama` or `candle`).
    #[serde(default)]
    pub engine: crate::engine::EngineKind,
}

impl ModelAd {
    /// The variant it names.
    pub fn id(&self) -> crate::ids::ModelId {
        crate::ids::ModelId::new(&self.name, &self.quant)
    }
}

/// The capability profile, as announced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capability {
    pub cpu: String,
    pub cores: u32,
    pub ram_bytes: u64,
    pub gpus: Vec<(String, u64)>,
    pub backends: Vec<String>,
    pub quantizations: Vec<String>,
}

/// Encodes a message as one frame.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    let body = serde_json::to_vec(msg).expect("wire messages serialize");
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// Decodes a frame's body.
pub fn decode<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, WireError> {
    serde_json::from_slice(body).map_err(|e| WireError::Malformed(e.to_string()))
}

/// Writes one message as a frame.
pub async fn write<T: Serialize, W: AsyncWrite + Unpin>(
    w: &mut W,
    msg: &T,
) -> Result<(), WireError> {
    w.write_all(&encode(msg)).await?;
    Ok(())
}

/// Reads one frame of at most `max` bytes and decodes it. `Ok(None)` at a clean end of stream.
pub async fn read<T: for<'de> Deserialize<'de>, R: AsyncRead + Unpin>(
    r: &mut R,
    max: usize,
) -> Result<Option<T>, WireError> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(WireError::TooBig { len, max });
    }
    // Grown as the bytes arrive, never reserved from the length alone: a peer that promises
    // 4 MiB on each of its streams and sends nothing more must not make us hold 4 MiB each.
    let mut body = Vec::with_capacity(len.min(64 << 10));
    r.take(len as u64).read_to_end(&mut body).await?;
    if body.len() < len {
        return Err(WireError::Short {
            got: body.len(),
            want: len,
        });
    }
    decode(&body).map(Some)
}

/// What proves membership of a network: a key derived from its name and secret, from which
/// each connection's proof and the gossip topic are made.
///
/// A proof is sent to whoever answers a dial, and a dial may go to a LAN bystander that
/// announced itself over mDNS; the gossip topic also travels to peers before they are
/// verified. Either lets its holder test guesses of the secret offline. So the key of a
/// private network comes from Argon2id with 64 MiB and 3 passes (about a quarter second, once
/// per start): every guess costs the attacker as much, where a plain hash would let it try
/// billions a second. A secret of `llp`'s own making (16 random bytes) is beyond guessing
/// either way; this protects the passphrases people choose. A PAKE would also stop offline
/// guessing but needs a round trip and a crate of its own; a responder-proves-first rule
/// would leave the topic exposed.
#[derive(Clone)]
pub struct Membership {
    key: [u8; 32],
}

impl std::fmt::Debug for Membership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Membership(..)")
    }
}

/// The Argon2id cost of a private network's key: memory in KiB, and passes.
const MEMBERSHIP_KIB: u32 = 64 * 1024;
const MEMBERSHIP_PASSES: u32 = 3;

impl Membership {
    /// The key of `network` with `secret` (empty: an open network, which has nothing to hide
    /// and gets a plain hash). Blocking for a private network: run it off the async runtime.
    pub fn derive(network: &str, secret: &str) -> Membership {
        let name = blake3::derive_key("llp network name v2", network.as_bytes());
        if secret.is_empty() {
            return Membership { key: name };
        }
        let params = argon2::Params::new(MEMBERSHIP_KIB, MEMBERSHIP_PASSES, 1, Some(32))
            .expect("valid Argon2 parameters");
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = [0u8; 32];
        // The network's name salts the derivation, so one table of guesses serves one network.
        argon
            .hash_password_into(secret.as_bytes(), &name, &mut key)
            .expect("Argon2 with fixed parameters and a 32-byte salt");
        Membership { key }
    }

    /// The proof `from` sends `to`: a keyed hash of both node ids. Binding the ids (which the
    /// QUIC handshake authenticates) means a proof seen once cannot be replayed by another node
    /// or in the other direction.
    pub fn proof(&self, from: &NodeId, to: &NodeId) -> String {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(b"llp membership proof v2");
        h.update(from.as_bytes());
        h.update(to.as_bytes());
        h.finalize().to_hex().to_string()
    }

    /// The gossip topic of the network. It comes from the key, so outsiders cannot even find
    /// it.
    pub fn topic(&self) -> [u8; 32] {
        // The version moves with the announcement's fields: nodes that would drop each other's
        // announcements (unknown fields are refused) do not meet on one topic.
        *blake3::keyed_hash(&self.key, b"llp/announce/3").as_bytes()
    }
}

/// Compares two proofs in constant time ([`crate::ids::secrets_match`]).
pub fn proofs_match(a: &str, b: &str) -> bool {
    crate::ids::secrets_match(a, b)
}

fn signed_bytes(topic: &[u8; 32], body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(16 + 32 + body.len());
    m.extend_from_slice(b"llp-announce-v1");
    m.extend_from_slice(topic);
    m.extend_from_slice(body);
    m
}

/// Signs an announcement for `topic`.
pub fn seal(key: &SecretKey, topic: &[u8; 32], a: &Announcement) -> Vec<u8> {
    let body = serde_json::to_vec(a).expect("announcements serialize");
    let sig = key.sign(&signed_bytes(topic, &body));
    let mut out = Vec::with_capacity(ENVELOPE_HEADER + body.len());
    out.push(ENVELOPE_VERSION);
    out.extend_from_slice(key.public().as_bytes());
    out.extend_from_slice(&sig.to_bytes());
    out.extend_from_slice(&body);
    out
}

/// Checks an announcement's envelope and signature and decodes it, returning its author.
pub fn open(topic: &[u8; 32], bytes: &[u8]) -> Result<(NodeId, Announcement), WireError> {
    if bytes.len() > MAX_ANNOUNCEMENT {
        return Err(WireError::TooBig {
            len: bytes.len(),
            max: MAX_ANNOUNCEMENT,
        });
    }
    if bytes.len() < ENVELOPE_HEADER {
        return Err(WireError::Truncated(bytes.len()));
    }
    if bytes[0] != ENVELOPE_VERSION {
        return Err(WireError::UnknownVersion(bytes[0]));
    }
    let author_bytes: [u8; 32] = bytes[1..33].try_into().expect("32 bytes");
    let author = PublicKey::from_bytes(&author_bytes)
        .map_err(|e| WireError::Malformed(format!("author key: {e}")))?;
    let sig_bytes: [u8; 64] = bytes[33..97].try_into().expect("64 bytes");
    let sig = Signature::from_bytes(&sig_bytes);
    let body = &bytes[ENVELOPE_HEADER..];
    author
        .verify(&signed_bytes(topic, body), &sig)
        .map_err(|_| WireError::BadSignature(author.fmt_short().to_string()))?;
    let a = decode(body)?;
    Ok((NodeId::from(author), a))
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Announcement {
        let model = ModelAd {
            name: "m".into(),
            quant: "q4_1".into(),
            slots: 4,
            busy: 1,
            queued: 0,
            ctx: 2048,
            tokens_per_s: 50.0,
            features: vec![FEATURE_TOOLS.into()],
            engine: crate::engine::EngineKind::Llama,
        };
        Announcement {
            addrs: vec!["127.0.0.1:5000".parse().unwrap()],
            ..Announcement::new(7, "public", vec![model])
        }
    }

    #[test]
    fn sealed_announcements_open_only_unaltered_and_in_their_topic() {
        let key = SecretKey::generate();
        let t = Membership::derive("public", "").topic();
        let bytes = seal(&key, &t, &sample());
        let (author, a) = open(&t, &bytes).unwrap();
        assert_eq!(author, NodeId::from(key.public()));
        assert_eq!(a, sample());
        // Another network's topic: the signature does not cover it.
        assert!(matches!(
            open(&Membership::derive("other", "").topic(), &bytes),
            Err(WireError::BadSignature(_))
        ));
        // Every single-bit flip is refused.
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 1;
            assert!(open(&t, &b).is_err(), "flip at byte {i} accepted");
        }
        assert!(matches!(
            open(&t, &bytes[..50]),
            Err(WireError::Truncated(50))
        ));
    }

    #[test]
    fn proofs_bind_both_ids_and_the_secret() {
        let (a, b) = (
            NodeId::from(SecretKey::generate().public()),
            NodeId::from(SecretKey::generate().public()),
        );
        let ns = Membership::derive("n", "s");
        let p = ns.proof(&a, &b);
        assert!(proofs_match(
            &p,
            &Membership::derive("n", "s").proof(&a, &b)
        ));
        assert!(!proofs_match(
            &p,
            &Membership::derive("n", "t").proof(&a, &b)
        ));
        assert!(!proofs_match(&p, &ns.proof(&b, &a)));
        assert!(!proofs_match(
            &p,
            &Membership::derive("m", "s").proof(&a, &b)
        ));
        assert!(!proofs_match(
            &p,
            &Membership::derive("n", "").proof(&a, &b)
        ));
        // The topic hides the secret and the name alike.
        assert_ne!(ns.topic(), Membership::derive("n", "t").topic());
        assert_ne!(ns.topic(), Membership::derive("m", "s").topic());
        assert_eq!(ns.topic(), Membership::derive("n", "s").topic());
    }

    /// A guess of the secret costs an Argon2id evaluation of 64 MiB: measured, not timed (the
    /// machine is shared), as the memory the derivation asks for.
    #[test]
    fn a_private_networks_key_is_slow_to_guess() {
        let params = argon2::Params::new(MEMBERSHIP_KIB, MEMBERSHIP_PASSES, 1, Some(32)).unwrap();
        assert_eq!(params.m_cost(), 65536);
        assert_eq!(params.t_cost(), 3);
        // An open network's key is the plain name hash; a private one's is not.
        let open = Membership::derive("n", "");
        assert_eq!(open.key, blake3::derive_key("llp network name v2", b"n"));
        assert_ne!(Membership::derive("n", "s").key, open.key);
    }

    #[tokio::test]
    async fn frames_are_bounded() {
        let big = encode(&Request::Ping { nonce: 1 });
        let mut r = &big[..];
        let e = read::<Request, _>(&mut r, 5).await.unwrap_err();
        assert!(matches!(e, WireError::TooBig { .. }), "{e}");
        let mut r = &big[..];
        assert_eq!(
            read::<Request, _>(&mut r, 100).await.unwrap(),
            Some(Request::Ping { nonce: 1 })
        );
        let mut empty: &[u8] = &[];
        assert_eq!(read::<Request, _>(&mut empty, 100).await.unwrap(), None);
        // A length promising more than arrives is an error, not a hang or a panic.
        let mut short: &[u8] = &[0, 0, 0, 9, b'{'];
        assert!(read::<Request, _>(&mut short, 100).await.is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn decoders_never_panic_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = decode::<Request>(&bytes);
            let _ = decode::<Reply>(&bytes);
            let t = Membership::derive("public", "").topic();
            prop_assert!(open(&t, &bytes).is_err());
        }

        #[test]
        fn frames_round_trip(nonce in any::<u64>(), id in any::<u32>(), piece in proptest::collection::vec(any::<u8>(), 0..32), text in ".{0,64}") {
            let req = Request::Infer(InferRequest {
                promise: None, hold: None,
                job: text.clone(), model: "m".into(), prompt: Prompt::Chat(vec![job::ChatMsg::new("user", text.clone())]),
                continuation: vec![id], max_tokens: Some(id), sampling: WireSampling { seed: Some(nonce), ..Default::default() },
                stop: vec![text], ignore_eos: false, budget: nonce, head: None,
                constraints: Box::new(job::Constraints {
                    tools: vec![job::Tool { name: "f".into(), description: String::new(), parameters: serde_json::json!({"type": "object"}) }],
                    ..Default::default()
                }),
                logprobs: Some(3),
            });
            let f = encode(&req);
            prop_assert_eq!(decode::<Request>(&f[4..]).unwrap(), req);
            let extra = Some(Box::new(job::TokenExtra {
                logprobs: Some(job::Logprobs { logprob: -0.5, top: vec![job::TopLogprob { id, piece: piece.clone(), logprob: -0.5 }] }),
                delta: None,
            }));
            let rep = Reply::Token { id, piece, extra };
            let f = encode(&rep);
            prop_assert_eq!(decode::<Reply>(&f[4..]).unwrap(), rep);
        }

        #[test]
        fn mutated_frames_are_refused_or_decode_cleanly(nonce in any::<u64>(), at in any::<usize>(), byte in any::<u8>()) {
            let mut f = encode(&Request::Ping { nonce });
            let i = 4 + at % (f.len() - 4);
            f[i] = byte;
            let _ = decode::<Request>(&f[4..]);
        }
    }
}
