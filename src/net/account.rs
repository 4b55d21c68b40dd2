//! This node's account (`ledger::account`): its certificate, the owner's revocations it knows,
//! the members it sees, and transfers between members. A member short of credits asks the
//! others for some ([`Net::pull`]: the richest first); a member asked gives what it has
//! available (`give`), as a spend on its chain that the asker records as an earning after
//! auditing the giver's chain, as any payment. Every rule of the ledger holds for a transfer;
//! what the account adds is who may ask: a member whose certificate (announced, signed by the
//! owner, for its own id) is not revoked, asking a member whose own is not either.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::Net;
use super::wire::{RefuseCode, Reply, Request};
use crate::ids::{NodeId, now_ms, random_hex};
use crate::ledger::account::{Cert, Revocation, TRANSFER_MODEL};
use crate::ledger::{Payload, Receipt};

/// Revocations an announcement carries (the newest) and a node keeps.
pub const MAX_REVOCATIONS: usize = 256;
const ANNOUNCED_REVOCATIONS: usize = 32;
/// The most credits one transfer moves.
const MAX_TRANSFER: u64 = 1 << 40;

/// This node's membership.
pub(super) struct Account {
    pub cert: Cert,
    /// The owner's revocations this node knows, by node.
    revoked: Mutex<BTreeMap<NodeId, Revocation>>,
    /// Where they are kept across restarts (`account-revocations.json` in the data dir).
    file: PathBuf,
}

/// An account as status shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountStatus {
    /// The owner's key: the account's id.
    pub id: NodeId,
    /// This node's certificate is revoked: it neither gives nor asks.
    pub revoked: bool,
    /// The members this node sees, itself first, with their balances (their signed heads).
    pub members: Vec<MemberStatus>,
    /// The sum of the members' balances.
    pub balance: u64,
    /// Nodes whose membership the owner revoked.
    pub revocations: Vec<NodeId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberStatus {
    pub node: NodeId,
    pub balance: u64,
}

impl Account {
    /// The membership its settings give the node `id` (`--account-cert`), if any.
    pub(super) fn of(node: &crate::node::Node, id: &NodeId) -> anyhow::Result<Option<Account>> {
        let Some(text) = node.settings().account_cert.as_deref() else {
            return Ok(None);
        };
        let cert = Cert::parse(text).map_err(|e| anyhow::anyhow!("--account-cert: {e}"))?;
        Account::load(cert, id, &node.settings().data_dir).map(Some)
    }

    /// This node's membership by `cert` (checked to be for `id`), with the revocations kept in
    /// `data_dir`.
    pub(super) fn load(cert: Cert, id: &NodeId, data_dir: &Path) -> anyhow::Result<Account> {
        anyhow::ensure!(
            cert.valid(),
            "the account certificate is not signed by its owner"
        );
        anyhow::ensure!(
            cert.node == *id,
            "the account certificate is for node {}, not this node {id} (each node needs its \
             own: llp account add-node {id})",
            cert.node
        );
        let file = data_dir.join("account-revocations.json");
        let mut revoked = BTreeMap::new();
        if let Ok(text) = std::fs::read_to_string(&file) {
            let texts: Vec<String> = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!("{}: not a list of revocations: {e}", file.display())
            })?;
            for t in texts {
                match Revocation::parse(&t) {
                    Ok(r) if r.owner == cert.owner => {
                        revoked.insert(r.node, r);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("{}: a revocation skipped: {e}", file.display()),
                }
            }
        }
        Ok(Account {
            cert,
            revoked: Mutex::new(revoked),
            file,
        })
    }

    pub(super) fn is_revoked(&self, node: &NodeId) -> bool {
        self.revoked.lock().expect("revocations").contains_key(node)
    }

    /// Keeps `r` if it is the owner's and new here (written to the data dir); whether it was
    /// new.
    fn keep(&self, r: Revocation) -> Result<bool, String> {
        if r.owner != self.cert.owner {
            return Err("a revocation of another account".into());
        }
        let texts = {
            let mut all = self.revoked.lock().expect("revocations");
            if all.contains_key(&r.node) {
                return Ok(false);
            }
            if !r.valid() {
                return Err("a revocation its owner did not sign".into());
            }
            if all.len() >= MAX_REVOCATIONS {
                return Err(format!("more than {MAX_REVOCATIONS} revocations"));
            }
            all.insert(r.node, r);
            all.values().map(Revocation::text).collect::<Vec<_>>()
        };
        let json = serde_json::to_vec_pretty(&texts).expect("texts serialize");
        let tmp = self.file.with_extension("json.tmp");
        std::fs::write(&tmp, json)
            .and_then(|()| std::fs::rename(&tmp, &self.file))
            .map_err(|e| format!("{}: {e}", self.file.display()))?;
        Ok(true)
    }

    /// The newest revocations, for an announcement.
    pub(super) fn announced(&self) -> Vec<Revocation> {
        let all = self.revoked.lock().expect("revocations");
        let mut v: Vec<Revocation> = all.values().copied().collect();
        v.sort_by_key(|r| std::cmp::Reverse(r.time_ms));
        v.truncate(ANNOUNCED_REVOCATIONS);
        v
    }
}

impl Net {
    fn account(&self) -> Option<&Account> {
        self.inner.account.as_ref()
    }

    /// Whether this node is a member of an account.
    pub fn in_account(&self) -> bool {
        self.inner.account.is_some()
    }

    /// Whether `peer` is a member of this node's account: it announces a certificate of the
    /// owner for its own id, and the owner did not revoke it.
    pub(super) fn is_member(&self, peer: &NodeId) -> bool {
        let Some(a) = self.account() else {
            return false;
        };
        let cert = self.with_table(|t| {
            t.get(peer)
                .and_then(|p| p.announcement.as_ref())
                .and_then(|an| an.account)
        });
        cert.is_some_and(|c| c.owner == a.cert.owner && c.node == *peer && !a.is_revoked(peer))
    }

    /// The other members and their balances (from their signed heads), the richest first.
    fn members(&self) -> Vec<(NodeId, u64)> {
        let Some(a) = self.account() else {
            return Vec::new();
        };
        let mut out: Vec<(NodeId, u64)> = self.with_table(|t| {
            t.peers()
                .filter_map(|p| {
                    let an = p.announcement.as_ref()?;
                    let c = an.account?;
                    (c.owner == a.cert.owner && c.node == p.id)
                        .then(|| (p.id, an.ledger.as_ref().map_or(0, |h| h.balance)))
                })
                .collect()
        });
        out.retain(|(id, _)| !a.is_revoked(id));
        out.sort_by_key(|(id, b)| (std::cmp::Reverse(*b), *id));
        out
    }

    /// The account as status shows it.
    pub fn account_status(&self) -> Option<AccountStatus> {
        let a = self.account()?;
        let own = self
            .node()
            .ledger()
            .map_or(0, crate::ledger::Ledger::balance);
        let revoked = a.is_revoked(&self.id());
        let mut members = Vec::new();
        if !revoked {
            members.push(MemberStatus {
                node: self.id(),
                balance: own,
            });
        }
        members.extend(
            self.members()
                .into_iter()
                .map(|(node, balance)| MemberStatus { node, balance }),
        );
        Some(AccountStatus {
            id: a.cert.owner,
            revoked,
            balance: members.iter().map(|m| m.balance).sum(),
            members,
            revocations: a
                .revoked
                .lock()
                .expect("revocations")
                .keys()
                .copied()
                .collect(),
        })
    }

    /// Keeps the owner's revocation `r` (from the API or a member's announcement) and
    /// announces it; whether it was new.
    pub fn take_revocation(&self, r: Revocation) -> Result<bool, String> {
        let a = self
            .account()
            .ok_or("this node is not a member of an account")?;
        let new = a.keep(r)?;
        if new {
            tracing::info!("account: the owner revoked node {}", r.node.short());
            self.announce_soon();
        }
        Ok(new)
    }

    /// Revocations a member announced: those of this node's owner are kept.
    pub(super) fn revocations_heard(&self, rs: &[Revocation]) {
        let Some(a) = self.account() else {
            return;
        };
        for r in rs.iter().take(ANNOUNCED_REVOCATIONS) {
            if r.owner == a.cert.owner
                && !a.is_revoked(&r.node)
                && let Err(e) = self.take_revocation(*r)
            {
                tracing::debug!("account: a revocation not kept: {e}");
            }
        }
    }

    /// Asks the other members for `want` credits, the richest first, until they are here or
    /// every member was asked. Returns the credits received (recorded on this chain).
    pub async fn pull(&self, want: u64) -> Result<u64, String> {
        let a = self
            .account()
            .ok_or("this node is not a member of an account")?;
        if a.is_revoked(&self.id()) {
            return Err("the owner revoked this node's membership".into());
        }
        let mut got = 0;
        let mut last = String::from("no other member is reachable");
        for (member, _) in self.members() {
            if got >= want {
                break;
            }
            match self.ask(&member, want - got).await {
                Ok(n) => got += n,
                Err(e) => {
                    tracing::info!("account: {} gave nothing: {e}", member.short());
                    last = format!("{}: {e}", member.short());
                }
            }
        }
        if got == 0 && want > 0 {
            return Err(last);
        }
        Ok(got)
    }

    /// Asks `member` for `credits`; records what it gives. The credits received.
    async fn ask(&self, member: &NodeId, credits: u64) -> Result<u64, String> {
        let reply = self
            .call(member, &Request::Transfer { credits })
            .await
            .map_err(|e| format!("{e:#}"))?;
        let (entry, head) = match reply {
            Reply::Given { entry, head } => (entry, head),
            Reply::Refused { message, .. } => return Err(message),
            other => return Err(format!("answered {other:?}")),
        };
        // Recorded as any payment delivered on its own: the giver's chain audited up to the
        // head that holds the spend, then the earning appended.
        match super::serve::settle::standalone(self, *member, &entry, &head).await {
            Reply::Settled { .. } => {}
            Reply::Refused { message, .. } => return Err(message),
            other => return Err(format!("recording it: {other:?}")),
        }
        let amount = hex::decode(&entry)
            .ok()
            .and_then(|raw| crate::ledger::Entry::decode(&raw).ok())
            .map_or(0, |e| e.amount);
        tracing::info!("account: {} gave {amount} credits", member.short());
        Ok(amount)
    }
}

/// A member asks this node for `credits`: it gives what it has available, up to that.
pub(super) async fn give(net: &Net, peer: NodeId, credits: u64) -> Reply {
    let Some(a) = net.account() else {
        return Reply::refused(RefuseCode::Unsupported, "this node is in no account");
    };
    if a.is_revoked(&net.id()) {
        return Reply::refused(RefuseCode::Unsupported, "this node's membership is revoked");
    }
    if !net.is_member(&peer) {
        return Reply::refused(
            RefuseCode::Unsupported,
            "not a member of this node's account (no certificate of its owner, or revoked)",
        );
    }
    let Some(ledger) = net.node().ledger().cloned() else {
        return Reply::refused(RefuseCode::Unsupported, "this node keeps no ledger");
    };
    let amount = credits.min(ledger.available()).min(MAX_TRANSFER);
    if amount == 0 {
        return Reply::refused(RefuseCode::Credits, "no credits available to give");
    }
    let receipt = Receipt {
        job: format!("xfer-{}", random_hex(12)),
        requester: net.id(),
        worker: peer,
        model: TRANSFER_MODEL.into(),
        quant: String::new(),
        prompt_tokens: 0,
        completion_tokens: 0,
        credits: amount,
        time_ms: now_ms(),
    };
    let hold = match ledger.hold(amount) {
        Ok(h) => h,
        Err(e) => return Reply::refused(RefuseCode::Credits, e.to_string()),
    };
    match ledger.spend(hold, receipt).await {
        Ok(e) => {
            debug_assert!(matches!(e.payload, Payload::Spend(_)));
            tracing::info!("account: gave {amount} credits to {}", peer.short());
            Reply::Given {
                entry: hex::encode(e.encode()),
                head: Box::new(ledger.head_of(&e)),
            }
        }
        Err(e) => Reply::refused(RefuseCode::Ledger, e.to_string()),
    }
}
