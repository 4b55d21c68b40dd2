//! Accounts: one owner's fleet of nodes whose credits are one balance.
//!
//! An **owner key** (an ed25519 key kept apart from any node, `llp account create`) signs a
//! **certificate** for each node of its fleet (`llp account add-node`): `"LLPA" 01 | owner[32] |
//! node[32] | issued_ms u64`, signed by the owner. A node that holds one is a member; members
//! announce their certificates, so every member sees the others. The owner ends a membership
//! with a signed **revocation** (`llp account revoke`): `"LLPX" 01 | owner | node | time_ms`,
//! which members announce to each other and keep.
//!
//! Credits move between members as **transfers**: a payment like any other, on the chains as
//! they are. The giving member records a spend whose receipt is for [`TRANSFER_MODEL`] with no
//! tokens (`job` names the transfer), the receiving member an earning that carries that spend.
//! So every rule of the ledger holds for them unchanged: the giver's balance bounds what it
//! gives (a fork to give twice is an equivocation), the receiver's earning is backed by the
//! giver's signed spend and audited against the giver's chain, a transfer is recorded once.
//! The account's balance is the sum of its members' balances, from their signed heads.
//!
//! Owns: certificates, revocations and the transfer receipt's form (pure; `net::account` moves
//! the credits).

use serde::{Deserialize, Serialize};

use super::chain::{hexarr, verify_one};
use crate::ids::NodeId;

/// The `model` of a transfer's receipt: not a model, so no catalog prices it.
pub const TRANSFER_MODEL: &str = "llp.transfer";
const CERT_MAGIC: &[u8; 4] = b"LLPA";
const REVOKE_MAGIC: &[u8; 4] = b"LLPX";
const FORMAT: u8 = 1;
/// The text forms' prefixes.
const CERT_PREFIX: &str = "llpcert1";
const REVOKE_PREFIX: &str = "llprevoke1";

/// An owner's word that `node` belongs to its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cert {
    pub owner: NodeId,
    pub node: NodeId,
    pub issued_ms: u64,
    #[serde(with = "hexarr")]
    pub sig: [u8; 64],
}

/// An owner's word that `node` no longer belongs to its account, from `time_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub owner: NodeId,
    pub node: NodeId,
    pub time_ms: u64,
    #[serde(with = "hexarr")]
    pub sig: [u8; 64],
}

fn message(magic: &[u8; 4], owner: &NodeId, node: &NodeId, ms: u64) -> Vec<u8> {
    let mut m = magic.to_vec();
    m.push(FORMAT);
    m.extend_from_slice(owner.as_bytes());
    m.extend_from_slice(node.as_bytes());
    m.extend_from_slice(&ms.to_be_bytes());
    m
}

/// `owner | node | ms | sig` as bytes.
fn bytes(owner: &NodeId, node: &NodeId, ms: u64, sig: &[u8; 64]) -> Vec<u8> {
    let mut b = Vec::with_capacity(136);
    b.extend_from_slice(owner.as_bytes());
    b.extend_from_slice(node.as_bytes());
    b.extend_from_slice(&ms.to_be_bytes());
    b.extend_from_slice(sig);
    b
}

/// The parts of a text form (`prefix` then 272 hex digits), or what is wrong with it.
fn parse(text: &str, prefix: &str, what: &str) -> Result<(NodeId, NodeId, u64, [u8; 64]), String> {
    let hex = text
        .trim()
        .strip_prefix(prefix)
        .ok_or_else(|| format!("not {what} (it starts with {prefix})"))?;
    let b = hex::decode(hex).map_err(|_| format!("{what}: not hex after {prefix}"))?;
    if b.len() != 136 {
        return Err(format!("{what}: {} bytes, not 136", b.len()));
    }
    let id = |s: &[u8]| -> Result<NodeId, String> {
        NodeId::parse(&hex::encode(s)).map_err(|_| format!("{what}: a key that is not one"))
    };
    let ms = u64::from_be_bytes(b[64..72].try_into().expect("8 bytes"));
    let sig: [u8; 64] = b[72..].try_into().expect("64 bytes");
    Ok((id(&b[..32])?, id(&b[32..64])?, ms, sig))
}

impl Cert {
    /// The owner's certificate of `node`.
    pub fn issue(owner: &iroh::SecretKey, node: NodeId, issued_ms: u64) -> Cert {
        let id = NodeId::from(owner);
        let sig = owner
            .sign(&message(CERT_MAGIC, &id, &node, issued_ms))
            .to_bytes();
        Cert {
            owner: id,
            node,
            issued_ms,
            sig,
        }
    }

    /// Whether its owner signed it.
    pub fn valid(&self) -> bool {
        verify_one(
            &self.owner,
            &self.sig,
            &message(CERT_MAGIC, &self.owner, &self.node, self.issued_ms),
        )
    }

    /// Its text form, `llpcert1…`.
    pub fn text(&self) -> String {
        let b = bytes(&self.owner, &self.node, self.issued_ms, &self.sig);
        format!("{CERT_PREFIX}{}", hex::encode(b))
    }

    /// A certificate from its text form, checked.
    pub fn parse(text: &str) -> Result<Cert, String> {
        let (owner, node, issued_ms, sig) = parse(text, CERT_PREFIX, "an account certificate")?;
        let c = Cert {
            owner,
            node,
            issued_ms,
            sig,
        };
        if !c.valid() {
            return Err("an account certificate its owner did not sign".into());
        }
        Ok(c)
    }
}

impl Revocation {
    /// The owner's revocation of `node`.
    pub fn issue(owner: &iroh::SecretKey, node: NodeId, time_ms: u64) -> Revocation {
        let id = NodeId::from(owner);
        let sig = owner
            .sign(&message(REVOKE_MAGIC, &id, &node, time_ms))
            .to_bytes();
        Revocation {
            owner: id,
            node,
            time_ms,
            sig,
        }
    }

    pub fn valid(&self) -> bool {
        verify_one(
            &self.owner,
            &self.sig,
            &message(REVOKE_MAGIC, &self.owner, &self.node, self.time_ms),
        )
    }

    /// Its text form, `llprevoke1…`.
    pub fn text(&self) -> String {
        let b = bytes(&self.owner, &self.node, self.time_ms, &self.sig);
        format!("{REVOKE_PREFIX}{}", hex::encode(b))
    }

    pub fn parse(text: &str) -> Result<Revocation, String> {
        let (owner, node, time_ms, sig) = parse(text, REVOKE_PREFIX, "a revocation")?;
        let r = Revocation {
            owner,
            node,
            time_ms,
            sig,
        };
        if !r.valid() {
            return Err("a revocation its owner did not sign".into());
        }
        Ok(r)
    }
}

/// Whether a receipt is a transfer, and if so whether it is a well-formed one: no tokens, no
/// quantization, some credits. `None`: not a transfer (priced by the catalog).
pub fn transfer_check(r: &super::Receipt) -> Option<Result<(), String>> {
    if r.model != TRANSFER_MODEL {
        return None;
    }
    Some(
        if r.prompt_tokens != 0 || r.completion_tokens != 0 || !r.quant.is_empty() {
            Err("a transfer's receipt counts tokens".into())
        } else if r.credits == 0 {
            Err("a transfer of no credits".into())
        } else {
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_and_revocations_are_the_owners_and_round_trip() {
        let owner = iroh::SecretKey::generate();
        let node = NodeId::from(&iroh::SecretKey::generate());
        let c = Cert::issue(&owner, node, 7);
        assert!(c.valid());
        assert_eq!(Cert::parse(&c.text()).unwrap(), c);
        // Another key's signature, or a changed field, is refused.
        let mut forged = c;
        forged.node = NodeId::from(&iroh::SecretKey::generate());
        assert!(!forged.valid());
        assert!(
            Cert::parse(&forged.text())
                .unwrap_err()
                .contains("did not sign")
        );
        let other = Cert::issue(&iroh::SecretKey::generate(), node, 7);
        let mut stolen = other;
        stolen.owner = c.owner;
        assert!(!stolen.valid());
        assert!(Cert::parse("llpcert1abc").is_err());
        assert!(Cert::parse(&c.text().replace("llpcert1", "llprevoke1")).is_err());
        // A revocation does not pass for a certificate, nor the other way.
        let r = Revocation::issue(&owner, node, 9);
        assert_eq!(Revocation::parse(&r.text()).unwrap(), r);
        let as_cert = r.text().replace(REVOKE_PREFIX, CERT_PREFIX);
        assert!(Cert::parse(&as_cert).is_err());
    }
}
