//! The names every layer shares: [`NodeId`] (a node), [`ModelId`] and [`ModelRef`] (a model
//! variant, and a request for one), [`JobId`] (a job).
//!
//! Each displays as users and scripts see it (full hex for a node, `name:quant` for a model) and
//! serializes the same way, so typing them changed no JSON. Bare `[u8; 32]`, `format!("{}:{}")`
//! and hand-cut hex prefixes do not appear outside this file. Also [`secrets_match`], the one
//! comparison of secrets (proofs, tokens) whose time must not depend on them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Whether two secrets (a membership proof, a bearer token) are equal, in a time that tells an
/// attacker nothing: both are hashed first (so neither the length nor a common prefix shows),
/// and BLAKE3's `Hash` compares in constant time.
pub fn secrets_match(a: &str, b: &str) -> bool {
    blake3::hash(a.as_bytes()) == blake3::hash(b.as_bytes())
}

/// A node: the public half of its ed25519 key, which is also its iroh endpoint id.
///
/// Displayed in full hex; [`NodeId::short`] (the first 5 bytes) names it in logs and tables.
/// Serialized as hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NodeId([u8; 32]);

/// Why a text is not a node id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("`{0}` is not a hex node id")]
    NotHex(String),
    #[error("`{0}` is not a 32-byte node id")]
    Length(String),
}

/// The first characters of untrusted text, for an error message.
fn prefix(s: &str) -> String {
    s.chars().take(24).collect()
}

impl NodeId {
    pub const fn from_bytes(bytes: [u8; 32]) -> NodeId {
        NodeId(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The short form: the first 5 bytes in hex, as logs and tables show a node.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..5])
    }

    /// A node id from its hex form.
    pub fn parse(s: &str) -> Result<NodeId, IdError> {
        let b = hex::decode(s).map_err(|_| IdError::NotHex(prefix(s)))?;
        b.try_into()
            .map(NodeId)
            .map_err(|_| IdError::Length(prefix(s)))
    }

    /// The iroh public key of this id (`None` for bytes that are not a curve point).
    pub fn public_key(&self) -> Option<iroh::PublicKey> {
        iroh::PublicKey::from_bytes(&self.0).ok()
    }

    /// Bitwise XOR: Kademlia's distance.
    pub fn xor(&self, other: &NodeId) -> [u8; 32] {
        std::array::from_fn(|i| self.0[i] ^ other.0[i])
    }
}

impl From<iroh::PublicKey> for NodeId {
    fn from(k: iroh::PublicKey) -> NodeId {
        NodeId(*k.as_bytes())
    }
}

impl From<&iroh::SecretKey> for NodeId {
    fn from(k: &iroh::SecretKey) -> NodeId {
        NodeId(*k.public().as_bytes())
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({})", self.short())
    }
}

impl FromStr for NodeId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<NodeId, IdError> {
        NodeId::parse(s)
    }
}

impl Serialize for NodeId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for NodeId {
    /// The same messages as the ledger's other hex fields, so a malformed id reads alike
    /// wherever it appears.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NodeId, D::Error> {
        let s = String::deserialize(d)?;
        let v = hex::decode(&s).map_err(serde::de::Error::custom)?;
        v.try_into()
            .map(NodeId)
            .map_err(|_| serde::de::Error::custom("expected 32 hex-encoded bytes"))
    }
}

/// Serde for an optional node id written as its hex, or as the empty string for none (the
/// form `llp status --json` has always used for a node that has no key yet).
pub mod empty_as_none {
    use super::NodeId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &Option<NodeId>, s: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => s.collect_str(id),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NodeId>, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Ok(None);
        }
        NodeId::parse(&s)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

/// One variant of a catalog model, as a node loads and serves it: `name:quant`, e.g.
/// `smollm2-135m-instruct:q4_1`. Serialized as that text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelId {
    pub name: String,
    pub quant: String,
}

impl ModelId {
    pub fn new(name: impl Into<String>, quant: impl Into<String>) -> ModelId {
        ModelId {
            name: name.into(),
            quant: quant.into(),
        }
    }
}

impl fmt::Display for ModelId {
    /// `name:quant`; just `name` when the quantization is unknown (a listing written by hand).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quant.is_empty() {
            return f.write_str(&self.name);
        }
        write!(f, "{}:{}", self.name, self.quant)
    }
}

impl Serialize for ModelId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ModelId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ModelId, D::Error> {
        let s = String::deserialize(d)?;
        let r = ModelRef::parse(&s);
        Ok(ModelId::new(r.name, r.quant.unwrap_or_default()))
    }
}

/// A model as a request names it: `NAME` (any variant), `NAME:QUANT` (that one) or `NAME@QUANT`
/// (a variant of at least that quality, e.g. `NAME@q8`). Matching ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelRef {
    pub name: String,
    pub quant: Option<String>,
    /// The lowest quality accepted, as a quantization (`q8`, `q4_k_m`, `f16`).
    pub min: Option<String>,
}

impl ModelRef {
    /// Splits `NAME[:QUANT]` or `NAME@MIN`.
    pub fn parse(spec: &str) -> ModelRef {
        let mut r = ModelRef {
            name: spec.to_string(),
            quant: None,
            min: None,
        };
        if let Some((n, q)) = spec.split_once(':') {
            r.name = n.to_string();
            r.quant = Some(q.to_string());
        } else if let Some((n, m)) = spec.split_once('@') {
            r.name = n.to_string();
            r.min = Some(m.to_string());
        }
        r
    }

    /// Whether a served variant `name`/`quant` is what this names.
    pub fn matches(&self, name: &str, quant: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            && self
                .quant
                .as_deref()
                .is_none_or(|q| q.eq_ignore_ascii_case(quant))
            && self.min.as_deref().is_none_or(|m| {
                // A lowest quality that names no known quantization accepts nothing.
                let floor = quality(m);
                floor != (0, 0) && quality(quant) >= floor
            })
    }

    /// Whether `id` is what this names.
    pub fn matches_id(&self, id: &ModelId) -> bool {
        self.matches(&id.name, &id.quant)
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.quant, &self.min) {
            (Some(q), _) => write!(f, "{}:{q}", self.name),
            (None, Some(m)) => write!(f, "{}@{m}", self.name),
            (None, None) => f.write_str(&self.name),
        }
    }
}

impl Serialize for ModelRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ModelRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ModelRef, D::Error> {
        Ok(ModelRef::parse(&String::deserialize(d)?))
    }
}

impl From<&ModelId> for ModelRef {
    fn from(id: &ModelId) -> ModelRef {
        ModelRef {
            name: id.name.clone(),
            quant: Some(id.quant.clone()),
            min: None,
        }
    }
}

/// How good a quantization is, for ordering variants and for `NAME@MIN`: its bits per weight,
/// then its kind within those bits (`q4_k_m` > `q4_k_s` > `q4_1` > `q4_0`). `q8` alone is the
/// least of its bits, so `@q8` accepts every 8-bit variant and better. Unknown names rank last.
pub fn quality(quant: &str) -> (u32, u32) {
    let q = quant.to_ascii_lowercase();
    let rest = q.trim_start_matches("iq").trim_start_matches(['q', 'f']);
    let rest = rest.strip_prefix("bf").unwrap_or(rest);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let Ok(bits) = digits.parse::<u32>() else {
        return (0, 0);
    };
    let bits = if q.starts_with("bf") { 16 } else { bits };
    let kind = match &rest[digits.len()..] {
        "_k_l" => 6,
        "_k_m" | "_k" => 5,
        "_k_s" => 4,
        "_xs" | "_nl" => 3,
        "_1" => 2,
        "_0" => 1,
        _ => 0,
    };
    (bits, kind)
}

/// A job, from the node that took it from its client: `job-` and 16 hex digits. A peer's job
/// keeps its requester's id. Serialized as that text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(String);

impl JobId {
    /// A fresh id.
    pub fn new() -> JobId {
        JobId(format!("job-{}", random_hex(8)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for JobId {
    fn default() -> Self {
        JobId::new()
    }
}

impl From<String> for JobId {
    fn from(s: String) -> JobId {
        JobId(s)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `bytes` random bytes from the OS, in hex.
pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).expect("the OS random source");
    hex::encode(b)
}

/// 32 bytes written as 64 hex digits (a hash), if `text` is that.
pub fn hex32(text: &str) -> Option<[u8; 32]> {
    let mut b = [0u8; 32];
    hex::decode_to_slice(text, &mut b).ok()?;
    Some(b)
}

/// A random number from the OS (seeds, nonces, picks).
pub fn random_u64() -> u64 {
    getrandom::u64().expect("the OS random source")
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_read_and_write_hex() {
        let id = NodeId::from_bytes([0xab; 32]);
        assert_eq!(id.to_string(), "ab".repeat(32));
        assert_eq!(id.short(), "ababababab");
        assert_eq!(NodeId::parse(&id.to_string()), Ok(id));
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            format!("\"{}\"", "ab".repeat(32))
        );
        assert!(matches!(NodeId::parse("zz"), Err(IdError::NotHex(_))));
        assert!(matches!(NodeId::parse("abab"), Err(IdError::Length(_))));
        assert!(serde_json::from_str::<NodeId>("\"abab\"").is_err());
    }

    #[test]
    fn a_lowest_quality_accepts_that_variant_and_better_ones() {
        let r = ModelRef::parse("m@q8");
        assert_eq!(
            (r.name.as_str(), r.quant.as_deref(), r.min.as_deref()),
            ("m", None, Some("q8"))
        );
        assert_eq!(r.to_string(), "m@q8");
        for ok in ["q8_0", "Q8_0", "f16", "bf16", "f32"] {
            assert!(r.matches("M", ok), "{ok}");
        }
        for no in ["q6_k", "q5_k_m", "q4_1", "iq4_xs", "weird"] {
            assert!(!r.matches("m", no), "{no}");
        }
        assert!(!r.matches("other", "q8_0"));
        // A floor that names no quantization accepts nothing (not everything).
        assert!(!ModelRef::parse("m@int8").matches("m", "f32"));
        assert!(!ModelRef::parse("m@").matches("m", "q8_0"));
        let k = ModelRef::parse("m@q4_k_m");
        assert!(k.matches("m", "q4_k_m") && k.matches("m", "q5_0") && k.matches("m", "q6_k"));
        assert!(!k.matches("m", "q4_k_s") && !k.matches("m", "q4_1") && !k.matches("m", "q3_k_l"));
        // Within the same bits: k-quants' mixes above the legacy ones.
        let mut qs = ["q4_0", "q4_k_m", "q4_1", "q4_k_s", "iq4_xs"];
        qs.sort_by_key(|q| quality(q));
        assert_eq!(qs, ["q4_0", "q4_1", "iq4_xs", "q4_k_s", "q4_k_m"]);
    }

    #[test]
    fn model_refs_match_case_blind_and_ids_print_as_name_colon_quant() {
        let id = ModelId::new("smollm2-135m-instruct", "q4_1");
        assert_eq!(id.to_string(), "smollm2-135m-instruct:q4_1");
        assert!(ModelRef::parse("SmolLM2-135M-Instruct").matches_id(&id));
        assert!(ModelRef::parse("smollm2-135m-instruct:Q4_1").matches_id(&id));
        assert!(!ModelRef::parse("smollm2-135m-instruct:q8_0").matches_id(&id));
        let back: ModelId = serde_json::from_str(&serde_json::to_string(&id).unwrap()).unwrap();
        assert_eq!(back, id);
    }
}
