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

/// Revocations a node keeps (an owner revokes far fewer nodes than this).
pub const MAX_REVOCATIONS: usize = 100_000;
/// Revocations an announcement carries (the newest; the rest are fetched with
/// `GetRevocations` by a member that knows fewer than the announced count).
const ANNOUNCED_REVOCATIONS: usize = 8;
/// Revocations one `Revocations` reply carries at most.
pub const MAX_REVOCATIONS_REPLY: usize = 4096;
/// The most credits one transfer moves.
const MAX_TRANSFER: u64 = 1 << 40;
/// Transfers one member may ask of this node a minute: each appends to this node's chain.
const ASKS_PER_MINUTE: u32 = 30;
/// The longest a pull may take, all members asked.
const PULL_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// This node's membership.
pub(super) struct Account {
    pub cert: Cert,
    /// The owner's revocations this node knows, by node.
    revoked: Mutex<BTreeMap<NodeId, Revocation>>,
    /// Where they are kept across restarts (`account-revocations.json` in the data dir).
    file: PathBuf,
    /// Members' asks this minute: when the minute began, and how many.
    asks: Mutex<std::collections::HashMap<NodeId, (std::time::Instant, u32)>>,
    /// One pull at a time: jobs short of credits at once wait for it, then look again.
    pulling: tokio::sync::Mutex<()>,
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
            // A damaged file does not keep the node from starting: its members announce the
            // revocations again.
            let texts: Vec<String> = serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!(
                    "{}: not a list of revocations ({e}); ignored",
                    file.display()
                );
                Vec::new()
            });
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
            asks: Mutex::new(Default::default()),
            pulling: tokio::sync::Mutex::new(()),
        })
    }

    /// Whether the owner revoked the certificate `c` (a revocation made after it was issued:
    /// a node certified again later is a member again).
    pub(super) fn is_revoked(&self, c: &Cert) -> bool {
        self.revoked
            .lock()
            .expect("revocations")
            .get(&c.node)
            .is_some_and(|r| r.time_ms >= c.issued_ms)
    }

    /// How many revocations this node knows.
    fn known(&self) -> usize {
        self.revoked.lock().expect("revocations").len()
    }

    /// Whether `peer` may ask now (at most [`ASKS_PER_MINUTE`] a minute).
    fn may_ask(&self, peer: &NodeId) -> bool {
        let now = std::time::Instant::now();
        let mut asks = self.asks.lock().expect("asks");
        asks.retain(|_, (since, _)| now.duration_since(*since).as_secs() < 60);
        let (_, n) = asks.entry(*peer).or_insert((now, 0));
        *n += 1;
        *n <= ASKS_PER_MINUTE
    }

    /// Keeps `r` if it is the owner's and new here (written to the data dir); whether it was
    /// new.
    fn keep(&self, r: Revocation) -> Result<bool, String> {
        if r.owner != self.cert.owner {
            return Err("a revocation of another account".into());
        }
        // The file is written under the lock: two revocations at once cannot interleave.
        let mut all = self.revoked.lock().expect("revocations");
        if all.get(&r.node).is_some_and(|old| old.time_ms >= r.time_ms) {
            return Ok(false);
        }
        if !r.valid() {
            return Err("a revocation its owner did not sign".into());
        }
        if all.len() >= MAX_REVOCATIONS && !all.contains_key(&r.node) {
            // Kept in memory all the same: a revocation is never refused.
            tracing::warn!("account: more than {MAX_REVOCATIONS} revocations");
        }
        all.insert(r.node, r);
        let texts: Vec<String> = all.values().map(Revocation::text).collect();
        let json = serde_json::to_vec_pretty(&texts).expect("texts serialize");
        let tmp = self.file.with_extension("json.tmp");
        let written = std::fs::write(&tmp, json)
            .and_then(|()| std::fs::File::open(&tmp).and_then(|f| f.sync_all()))
            .and_then(|()| std::fs::rename(&tmp, &self.file));
        if let Err(e) = written {
            // In memory it holds; members announce it again after a restart.
            tracing::warn!("account: {}: {e}", self.file.display());
        }
        Ok(true)
    }

    /// Every revocation this node knows (at most [`MAX_REVOCATIONS_REPLY`]), for a member
    /// that knows fewer.
    pub(super) fn all(&self) -> Vec<Revocation> {
        let all = self.revoked.lock().expect("revocations");
        all.values().take(MAX_REVOCATIONS_REPLY).copied().collect()
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

    /// The owner of this node's account.
    pub(super) fn account_owner(&self) -> Option<NodeId> {
        self.account().map(|a| a.cert.owner)
    }

    /// Whether this node's own membership is revoked.
    pub(super) fn account_revoked(&self) -> bool {
        self.account().is_some_and(|a| a.is_revoked(&a.cert))
    }

    /// Whether `peer` is a member of this node's account: it announces a certificate of the
    /// owner for its own id, and the owner did not revoke it since.
    pub(super) fn is_member(&self, peer: &NodeId) -> bool {
        let Some(a) = self.account() else {
            return false;
        };
        let cert = self.with_table(|t| {
            t.get(peer)
                .and_then(|p| p.announcement.as_ref())
                .and_then(|an| an.account)
        });
        cert.is_some_and(|c| c.owner == a.cert.owner && c.node == *peer && !a.is_revoked(&c))
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
                    (c.owner == a.cert.owner && c.node == p.id && !a.is_revoked(&c))
                        .then(|| (p.id, an.ledger.as_ref().map_or(0, |h| h.balance)))
                })
                .collect()
        });
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
        let revoked = a.is_revoked(&a.cert);
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

    /// Keeps the owner's revocation `r` (from the API or a member) and announces it; whether
    /// it was new.
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

    /// The revocations and the count of them an announcement carries.
    pub(super) fn announced_revocations(&self) -> (Vec<Revocation>, u32) {
        self.account().map_or((Vec::new(), 0), |a| {
            let mut v = a.all();
            v.sort_by_key(|r| std::cmp::Reverse(r.time_ms));
            v.truncate(ANNOUNCED_REVOCATIONS);
            (v, a.known() as u32)
        })
    }

    /// Revocations `author` announced (and how many it knows): those of this node's owner are
    /// kept; a forged one is struck; a member that knows more is asked for all of them.
    pub(super) fn revocations_heard(&self, author: &NodeId, rs: &[Revocation], total: u32) {
        let Some(a) = self.account() else {
            return;
        };
        for r in rs.iter().take(ANNOUNCED_REVOCATIONS) {
            if r.owner != a.cert.owner {
                continue;
            }
            if let Err(e) = self.take_revocation(*r) {
                self.strike(author, &format!("announced a bad revocation: {e}"));
                return;
            }
        }
        if total as usize > a.known() && self.is_member(author) {
            let (net, author) = (self.clone(), *author);
            self.tasks()
                .spawn(async move { net.fetch_revocations(&author).await });
        }
    }

    /// Every revocation `member` knows, taken in.
    async fn fetch_revocations(&self, member: &NodeId) {
        match self.call(member, &Request::GetRevocations).await {
            Ok(Reply::Revocations { revocations }) => {
                for r in revocations.into_iter().take(MAX_REVOCATIONS_REPLY) {
                    if let Err(e) = self.take_revocation(r) {
                        self.strike(member, &format!("sent a bad revocation: {e}"));
                        return;
                    }
                }
            }
            Ok(other) => tracing::debug!("account: revocations not sent: {other:?}"),
            Err(e) => tracing::debug!("account: revocations not fetched: {e:#}"),
        }
    }

    /// Asks the other members for `want` credits, the richest first, until they are here, every
    /// member was asked, or [`PULL_WAIT`] is up. Returns the credits received (recorded here).
    pub async fn pull(&self, want: u64) -> Result<u64, String> {
        let a = self
            .account()
            .ok_or("this node is not a member of an account")?;
        if a.is_revoked(&a.cert) {
            return Err("the owner revoked this node's membership".into());
        }
        let deadline = tokio::time::Instant::now() + PULL_WAIT;
        let mut got = 0u64;
        let mut last = String::from("no other member is reachable");
        for (member, _) in self.members() {
            if got >= want {
                break;
            }
            match tokio::time::timeout_at(deadline, self.ask(&member, want - got)).await {
                Err(_) => {
                    last = format!("{}: no answer in time", member.short());
                    break;
                }
                Ok(Ok(n)) => got = got.saturating_add(n),
                Ok(Err(e)) => {
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

    /// Makes this node's available credits reach `need`, asking the other members for what is
    /// missing; one pull at a time (a job that waited for another's looks again after it).
    pub async fn top_up(&self, need: u64) {
        let (Some(a), Some(ledger)) = (self.account(), self.node().ledger()) else {
            return;
        };
        let _one = a.pulling.lock().await;
        let short = need.saturating_sub(ledger.available());
        if short == 0 {
            return;
        }
        match self.pull(short).await {
            Ok(got) => tracing::info!("account: {got} credits from the other members"),
            Err(e) => tracing::info!("account: no credits from the other members: {e}"),
        }
    }

    /// Asks `member` for `credits`; records what it gives, once checked to be a fresh transfer
    /// from it to this node of at most that. The credits received.
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
        let e = hex::decode(&entry)
            .ok()
            .and_then(|raw| crate::ledger::Entry::decode(&raw).ok())
            .ok_or("sent a transfer that is not an entry")?;
        let fresh = match &e.payload {
            Payload::Spend(r) => {
                e.owner == *member
                    && r.requester == *member
                    && r.worker == self.id()
                    && r.model == TRANSFER_MODEL
                    && e.amount <= credits
            }
            _ => false,
        };
        let ledger = self.node().ledger().ok_or("this node keeps no ledger")?;
        let r = e.receipt().cloned().filter(|_| fresh).ok_or_else(|| {
            self.strike(member, "answered a transfer with another entry");
            "answered with another entry than a transfer to this node".to_string()
        })?;
        let l = ledger.clone();
        let known = self
            .tasks()
            .spawn_blocking(move || l.recorded_at(&r))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        if known.is_some() {
            self.strike(member, "answered a transfer with an old one");
            return Err("answered with a transfer recorded before".into());
        }
        // Recorded as any payment delivered on its own: the giver's chain audited up to the
        // head that holds the spend, then the earning appended.
        match super::serve::settle::standalone(self, *member, &entry, &head).await {
            Reply::Settled { .. } => {}
            Reply::Refused { message, .. } => return Err(message),
            other => return Err(format!("recording it: {other:?}")),
        }
        tracing::info!("account: {} gave {} credits", member.short(), e.amount);
        Ok(e.amount)
    }
}

/// A member asks this node for `credits`: it gives what it has available, up to that.
pub(super) async fn give(net: &Net, peer: NodeId, credits: u64) -> Reply {
    let Some(a) = net.account() else {
        return Reply::refused(RefuseCode::Unsupported, "this node is in no account");
    };
    if a.is_revoked(&a.cert) {
        return Reply::refused(RefuseCode::Unsupported, "this node's membership is revoked");
    }
    if !net.is_member(&peer) {
        return Reply::refused(
            RefuseCode::Unsupported,
            "not a member of this node's account (no certificate of its owner, or revoked)",
        );
    }
    if !a.may_ask(&peer) {
        return Reply::refused(
            RefuseCode::Busy,
            format!("more than {ASKS_PER_MINUTE} transfers asked this minute"),
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
            tracing::info!("account: gave {amount} credits to {}", peer.short());
            Reply::Given {
                entry: hex::encode(e.encode()),
                head: Box::new(ledger.head_of(&e)),
            }
        }
        Err(e) => Reply::refused(RefuseCode::Ledger, e.to_string()),
    }
}

/// A member asks for the revocations this node knows.
pub(super) fn revocations(net: &Net, peer: &NodeId) -> Reply {
    match net.account() {
        Some(a) if net.is_member(peer) => Reply::Revocations {
            revocations: a.all(),
        },
        _ => Reply::refused(
            RefuseCode::Unsupported,
            "not a member of this node's account",
        ),
    }
}
