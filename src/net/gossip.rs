//! Announcements: what this node tells the network about itself (every announce interval, and
//! soon after a change), and what it makes of its peers'.
//!
//! A received announcement goes through four steps, in order: **verify** (the envelope's
//! signature over our topic, the network's name), **rate-limit** (an author flooding is struck),
//! **ledger** (its signed head and the equivocation proofs it carries), **apply** (the routing
//! table, its addresses, a dial to verify a new peer). A relayed bad announcement is only
//! logged: gossip relays do not check what they pass on.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use iroh_gossip::api::Event as GossipEvent;

use super::Net;
use super::table::Health;
use super::wire::{self, Announcement, Contact, ModelAd, Reply, Request};
use crate::ids::NodeId;
use crate::ledger::LedgerEvent;
use crate::node::{Node, NodeEvent};

/// How long a peer asking for our announcement waits for the first one (a node that just
/// started has not sealed one yet).
const FIRST_ANNOUNCEMENT_WAIT: Duration = Duration::from_secs(2);

/// What this node serves, with its load, as announced.
fn model_ads(node: &Node) -> Vec<ModelAd> {
    node.engines()
        .iter()
        // A pipeline serves this node's own users only (see `Node::engine_here`).
        .filter(|e| !e.info().pipeline)
        .map(|e| {
            let s = e.stats();
            let i = e.info();
            // `--max-peer-jobs` bounds what peers may count on, and full is full.
            let slots = node.settings().net.max_peer_jobs.map_or(i.slots, |cap| {
                i.slots.min(u32::try_from(cap).unwrap_or(u32::MAX))
            });
            let busy = match node.peer_slots_full() {
                true => slots,
                false => (s.busy_slots.load(Ordering::Relaxed) as u32).min(slots),
            };
            let secs = s.decode_us.load(Ordering::Relaxed) as f64 / 1e6;
            let generated = s.generated_tokens.load(Ordering::Relaxed) as f64;
            ModelAd {
                name: i.name.clone(),
                quant: i.quant.clone(),
                slots,
                busy,
                queued: s.queued.load(Ordering::Relaxed) as u32,
                ctx: i.ctx_per_slot,
                tokens_per_s: if secs > 0.0 { generated / secs } else { 0.0 },
                features: if e.embeds() {
                    vec![crate::net::wire::FEATURE_EMBED.into()]
                } else if e.supports_tools() {
                    vec![crate::net::wire::FEATURE_TOOLS.into()]
                } else {
                    Vec::new()
                },
                engine: i.engine,
            }
        })
        .collect()
}

/// The capability profile, as announced.
fn capability(profile: &crate::devices::Profile) -> wire::Capability {
    wire::Capability {
        cpu: profile.cpu.model.clone(),
        cores: profile
            .cpu
            .cores_physical
            .value
            .unwrap_or(profile.cpu.threads_logical),
        ram_bytes: profile.cpu.ram_total_bytes,
        gpus: profile
            .gpus
            .iter()
            .map(|g| (g.name.clone(), g.memory_total_bytes.value.unwrap_or(0)))
            .collect(),
        backends: profile.backends.iter().map(|b| b.backend.clone()).collect(),
        quantizations: profile.quantizations.clone(),
    }
}

impl Net {
    /// The announcement of this node as it is now. Reads the devices: call off the async
    /// threads.
    fn announcement(&self, leaving: bool) -> Announcement {
        let node = self.node();
        let contact = self.contact();
        let ledger = node.ledger();
        let revocations = self.announced_revocations();
        Announcement {
            seq: self.inner.seq.fetch_add(1, Ordering::Relaxed),
            network: self.settings().network.clone(),
            version: crate::node::VERSION.into(),
            addrs: contact.addrs,
            relay: contact.relay,
            paused: node.paused(),
            leaving,
            models: model_ads(node),
            ledger: ledger.map(|l| l.head()),
            // The newest few: an announcement is bounded.
            equivocations: ledger
                .map(|l| {
                    l.equivocators()
                        .into_iter()
                        .take(8)
                        .map(|e| e.proof)
                        .collect()
                })
                .unwrap_or_default(),
            debts: ledger
                .map(|l| l.own_debts().into_iter().take(8).collect())
                .unwrap_or_default(),
            paid_heads: ledger.map(|l| l.paid_heads()).unwrap_or_default(),
            frauds: self.fraud_ids(),
            files: self.shares().offers(),
            auto_models: node.settings().engine.auto_models,
            wants: self.wants(),
            region: self.settings().region.clone(),
            account: self.inner.account.as_ref().map(|a| a.cert),
            revocations: revocations.0,
            revocations_known: revocations.1,
            stage_free: super::pipeline::host::budget(self)
                .saturating_sub(self.inner.stages.used()),
            capability: capability(&node.devices()),
            clock_ms: crate::ids::now_ms(),
        }
    }

    /// This node's last announcement, sealed (what `GetAnnouncement` answers). A node that has
    /// sent none yet waits a moment for its first; `None` if it still has none.
    pub(super) async fn sealed_announcement(&self) -> Option<Vec<u8>> {
        let mut rx = self.inner.sealed.subscribe();
        let first = rx.wait_for(|s| !s.is_empty());
        match tokio::time::timeout(FIRST_ANNOUNCEMENT_WAIT, first).await {
            Ok(Ok(s)) => Some(s.clone()),
            _ => None,
        }
    }

    /// Seals and sends this node's announcement.
    pub(super) async fn broadcast(&self, leaving: bool) {
        let net = self.clone();
        let Ok(bytes) = self
            .tasks()
            .spawn_blocking(move || {
                let a = net.announcement(leaving);
                wire::seal(&net.inner.key, &net.inner.topic, &a)
            })
            .await
        else {
            return;
        };
        if !leaving {
            self.inner.sealed.send_replace(bytes.clone());
        }
        *self.inner.last_broadcast.lock().expect("last broadcast") = Instant::now();
        // In a large network, nobody hears everybody: the announcement goes only to the peers
        // that ask for it and to provider records' holders. A leave still goes to whoever
        // listens.
        if !leaving && !self.gossiping() {
            return;
        }
        if let Some(s) = self.inner.sender.get()
            && let Err(e) = s.broadcast(Bytes::from(bytes)).await
        {
            tracing::debug!("announcing: {e}");
        }
    }

    /// Every announce interval.
    pub(super) async fn announce_loop(self) {
        let mut tick = tokio::time::interval(self.settings().announce_interval);
        loop {
            tick.tick().await;
            self.broadcast(false).await;
        }
    }

    /// Announces what the node and the ledger report: a pause at once, a ledger change (or a
    /// proven equivocation, to spread it) at most once a second beyond the periodic
    /// announcements (peers count floods).
    pub(super) async fn announce_changes(self) {
        let mut node = self.node().events();
        let mut ledger = self.node().ledger().map(|l| l.events());
        loop {
            let ledger_event = async {
                match ledger.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                ev = node.recv() => match ev {
                    Ok(NodeEvent::Contribution { .. } | NodeEvent::Models) => self.announce_soon(),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => self.announce_soon(),
                    Err(_) => return,
                },
                ev = ledger_event => match ev {
                    Ok(LedgerEvent::Appended { .. } | LedgerEvent::Equivocation { .. })
                    | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        self.announce_changed()
                    }
                    Err(_) => ledger = None,
                },
            }
        }
    }

    /// Announces now (after a change such as pausing), besides the periodic announcements.
    pub(super) fn announce_soon(&self) {
        let net = self.clone();
        self.tasks()
            .spawn(async move { net.broadcast(false).await });
    }

    /// Announces a change of the ledger within a second, unless one is already due.
    fn announce_changed(&self) {
        if self.inner.change_pending.swap(true, Ordering::SeqCst) {
            return;
        }
        let net = self.clone();
        self.tasks().spawn(async move {
            let since = net.inner.last_broadcast.lock().expect("last").elapsed();
            tokio::time::sleep(Duration::from_secs(1).saturating_sub(since)).await;
            net.inner.change_pending.store(false, Ordering::SeqCst);
            // A periodic announcement may have carried it meanwhile.
            let since = net.inner.last_broadcast.lock().expect("last").elapsed();
            if since >= Duration::from_millis(900) {
                net.broadcast(false).await;
            }
        });
    }

    /// Adds a verified peer to our gossip neighbours.
    pub(super) async fn join_gossip(&self, peer: &NodeId) {
        if let (Some(s), Some(pk)) = (self.inner.sender.get(), peer.public_key()) {
            let _ = s.join_peers(vec![pk]).await;
        }
    }

    /// Reads gossip: verifies, rate-limits and records announcements.
    pub(super) async fn listen(self, mut rx: iroh_gossip::api::GossipReceiver) {
        while let Some(ev) = rx.next().await {
            match ev {
                Ok(GossipEvent::Received(m)) => {
                    let from = NodeId::from_bytes(*m.delivered_from.as_bytes());
                    self.on_announcement(&from, &m.content, m.scope.is_direct());
                }
                Ok(GossipEvent::NeighborUp(id)) => {
                    tracing::debug!("gossip neighbor up: {}", id.fmt_short())
                }
                Ok(GossipEvent::NeighborDown(id)) => {
                    tracing::debug!("gossip neighbor down: {}", id.fmt_short())
                }
                Ok(GossipEvent::Lagged) => tracing::warn!("gossip: missed announcements (lagged)"),
                Err(e) => {
                    tracing::warn!("gossip: {e}");
                    return;
                }
            }
        }
    }

    /// Asks `peer` for its announcement and handles it as if gossip had brought it.
    pub(super) async fn pull_announcement(&self, peer: &NodeId) {
        match self.call(peer, &Request::GetAnnouncement).await {
            Ok(Reply::Announcement { signed }) => {
                if let Ok((author, _)) = wire::open(&self.inner.topic, &signed)
                    && author != *peer
                {
                    self.strike(
                        peer,
                        "answered get_announcement with another node's announcement",
                    );
                    return;
                }
                self.on_announcement(peer, &signed, true);
            }
            Ok(Reply::Refused { message, .. }) => {
                tracing::debug!("announcement of {}: {message}", peer.short())
            }
            Ok(other) => self.strike(peer, &format!("answered get_announcement with {other:?}")),
            Err(e) => tracing::debug!("announcement of {}: {e:#}", peer.short()),
        }
    }

    /// Handles a sealed announcement. `direct`: `from` is its publisher (a direct gossip
    /// neighbour or a peer we asked), so a bad one is its fault.
    pub(super) fn on_announcement(&self, from: &NodeId, content: &[u8], direct: bool) {
        let Some((author, a)) = self.verify(from, content, direct) else {
            return;
        };
        // A replay (the table holds one as new) is noise: not counted as its author's flood
        // (a relay or a provider-record holder could otherwise get an honest author struck),
        // and its ledger news is not taken twice.
        let replay = self.with_table(|t| {
            t.get(&author)
                .and_then(|p| p.announcement.as_ref())
                .is_some_and(|old| old.seq >= a.seq)
        });
        if replay || self.banned(&author) || self.flooded(&author, a.clock_ms) {
            return;
        }
        if !self.take_ledger_news(&author, &a) {
            return;
        }
        self.take_frauds(&author, &a);
        if a.leaving {
            self.leave(&author, &a);
        } else {
            self.apply(author, a);
        }
    }

    /// Step 1: the signature over our topic, and our network's name.
    fn verify(
        &self,
        from: &NodeId,
        content: &[u8],
        direct: bool,
    ) -> Option<(NodeId, Announcement)> {
        let (author, a) = match wire::open(&self.inner.topic, content) {
            Ok(x) => x,
            Err(e) if direct => {
                self.strike(from, &format!("sent a bad announcement: {e}"));
                return None;
            }
            Err(e) => {
                tracing::warn!(
                    "dropped a bad announcement relayed by {}: {e}",
                    from.short()
                );
                return None;
            }
        };
        if a.network != self.settings().network {
            self.strike(
                &author,
                &format!("announced network `{}` on ours", a.network),
            );
            return None;
        }
        Some((author, a))
    }

    /// Step 2: whether `author` announces faster than the flood limit (struck now and then).
    fn flooded(&self, author: &NodeId, clock_ms: u64) -> bool {
        let rep = &self.inner.reputation;
        let known = self.with_table(|t| t.get(author).is_some());
        let n = match rep.flooding(author, known, clock_ms) {
            super::reputation::Flood::Fine => return false,
            super::reputation::Flood::Crowded | super::reputation::Flood::Replayed => return true,
            super::reputation::Flood::Over(n) => n,
        };
        if rep.strike_flood(n) {
            self.strike(
                author,
                &format!(
                    "flooded {n} announcements within {}s",
                    super::reputation::FLOOD_WINDOW.as_secs()
                ),
            );
        }
        true
    }

    /// Step 3: its signed ledger head and the equivocation proofs it carries. Returns whether
    /// to go on (not when the author is proven to have forked, or lied).
    fn take_ledger_news(&self, author: &NodeId, a: &Announcement) -> bool {
        let Some(ledger) = self.node().ledger() else {
            return true;
        };
        if let Some(h) = &a.ledger {
            if h.owner != *author {
                self.strike(author, "announced another node's ledger head");
                return false;
            }
            match ledger.observe_head(h) {
                Ok(Some(_)) => {
                    self.with_table(|t| t.remove(author));
                    self.node().room_changed();
                    return false;
                }
                Ok(None) => {}
                Err(e) => {
                    self.strike(author, &e);
                    return false;
                }
            }
        }
        for p in a.equivocations.iter().take(8) {
            // A proof about a node this one never dealt with is kept as hearsay: it gives way
            // first, so a flood of proofs about made-up keys cannot push out the real ones.
            let known =
                self.with_table(|t| t.get(&p.a.owner).is_some()) || ledger.knows(&p.a.owner);
            let adopted = if known {
                ledger.adopt(p.clone())
            } else {
                ledger.adopt_hearsay(p.clone())
            };
            match adopted {
                Ok(Some(p)) => {
                    let id = p.a.owner;
                    self.with_table(|t| t.remove(&id));
                    self.node().room_changed();
                }
                Ok(None) => {}
                Err(e) => self.strike(author, &format!("sent a false equivocation proof: {e}")),
            }
        }
        self.take_debts(author, a, ledger);
        self.take_paid_heads(author, a, ledger);
        true
    }

    /// The ids of the fraud proofs this node announces: its newest 8 small enough for a reply.
    fn fraud_ids(&self) -> Vec<String> {
        let all = self.proofs();
        let newest = all.iter().rev().take(8);
        newest.map(|p| hex::encode(p.id())).collect()
    }

    /// The fraud proofs an announcement names: each one new here is fetched from its author
    /// and re-run, aside (`remote::take_proof`).
    fn take_frauds(&self, author: &NodeId, a: &Announcement) {
        for id in a.frauds.iter().take(8) {
            let Some(id) = crate::ids::hex32(id) else {
                self.strike(author, "announced a fraud proof id that is not one");
                return;
            };
            if self.checks().proof(&id).is_some() || !self.first_sight_of_proof(id) {
                continue;
            }
            let (net, author) = (self.clone(), *author);
            self.tasks()
                .spawn(async move { super::remote::take_proof(&net, author, id).await });
        }
    }

    /// The requesters' heads an announcement carries (payments its author accepted): each is
    /// checked against the heads this node saw, so a fork shown to two workers is proven.
    fn take_paid_heads(&self, author: &NodeId, a: &Announcement, ledger: &crate::ledger::Ledger) {
        for h in a.paid_heads.iter().take(8) {
            // Only heads of chains this node dealt with: a fork of another is proven by the
            // nodes that did, and reaches this one as a proof.
            if !ledger.knows(&h.owner) {
                continue;
            }
            match ledger.observe_head(h) {
                Ok(Some(_)) => {
                    let id = h.owner;
                    self.with_table(|t| t.remove(&id));
                    self.node().room_changed();
                }
                Ok(None) => {}
                Err(e) => {
                    self.strike(author, &format!("announced a bad payer head: {e}"));
                    return;
                }
            }
        }
    }

    /// The debts an announcement carries: promises owed to its author. A debt of this node's
    /// own is paid at once (it signed it); one of a node this node knows is kept, and that node
    /// refused until it pays.
    fn take_debts(&self, author: &NodeId, a: &Announcement, ledger: &crate::ledger::Ledger) {
        for p in a.debts.iter().take(8) {
            let r = &p.receipt;
            if r.worker != *author {
                self.strike(author, "announced a debt owed to another node");
                return;
            }
            // Work a fraud proof shows false is not owed: not paid here, not held against its
            // requester.
            if self.debt_void(&r.job, &r.requester, &r.worker) {
                continue;
            }
            if r.requester == ledger.id() {
                let (l, p) = (ledger.clone(), p.clone());
                self.tasks().spawn(async move {
                    if let Err(e) = l.pay_own_debt(&p).await {
                        tracing::error!(
                            "this node owes {} credits to {} for job {} and could not pay: {e}; \
                             peers refuse it until it does (earn credits by serving)",
                            p.receipt.credits,
                            p.receipt.worker.short(),
                            p.receipt.job
                        );
                    }
                });
                continue;
            }
            // Only debts of nodes this one knows: a flood about made-up keys is noise.
            let known =
                self.with_table(|t| t.get(&r.requester).is_some()) || ledger.knows(&r.requester);
            if !known || ledger.owes(&r.replay_key()) {
                continue;
            }
            if let Err(e) = p.check() {
                self.strike(author, &format!("announced a false debt: {e}"));
                return;
            }
            // Its debtor is asked first for a proof that voids it (aside), once per debt.
            // A bounded queue: past it, the debt waits for a later announcement (not marked
            // seen), and a flood of debts holds no more than that many tasks.
            if let Ok(pending) = super::remote::DEBTS_PENDING.try_acquire()
                && self.first_sight_of_debt(r.replay_key())
            {
                let (net, author, p) = (self.clone(), *author, p.clone());
                self.tasks().spawn(async move {
                    let _pending = pending;
                    super::remote::debt_heard(&net, author, p).await
                });
            }
        }
    }

    /// Step 4, for a leave: only one newer than what we know counts (an old one replayed is
    /// noise); then the peer is forgotten at once.
    fn leave(&self, author: &NodeId, a: &Announcement) {
        let newer = self.with_table(|t| {
            t.get(author)
                .and_then(|p| p.announcement.as_ref())
                .is_some_and(|old| a.seq > old.seq)
        });
        if newer {
            tracing::info!("peer {} left the network", author.short());
            self.with_table(|t| t.remove(author));
            self.providers().forget(author);
            self.node().room_changed();
            let (net, author) = (self.clone(), *author);
            self.tasks()
                .spawn(async move { net.forget_connection(&author, None).await });
        }
    }

    /// Step 4: into the table (a replay is noise); its addresses; a dial to verify a new peer.
    /// Variants the catalog does not list are left out: no job goes to them (nobody could
    /// check or price it), and a router that counted them would wait for them in vain.
    fn apply(&self, author: NodeId, mut a: Announcement) {
        // A contact is passed on with this many addresses at most (see `Net::contact`).
        a.addrs.truncate(wire::MAX_CONTACT_ADDRS);
        if let Some(ledger) = self.node().ledger() {
            let before = a.models.len();
            a.models
                .retain(|m| ledger.lists_variant(&format!("{}:{}", m.name, m.quant)));
            if a.models.len() < before {
                tracing::debug!(
                    "peer {}: {} announced variants are not in the catalog",
                    author.short(),
                    before - a.models.len()
                );
            }
        }
        // Offers of files: well formed, of variants the catalog lists, a bounded number.
        a.files.retain(|f| {
            f.well_formed()
                && self
                    .node()
                    .ledger()
                    .is_none_or(|l| l.lists_variant(&f.model))
        });
        a.files.truncate(wire::MAX_FILE_ADS);
        // Wants of models the catalog lists, spelled as it does, each once, a bounded number.
        a.wants = super::auto::normalize_wants(self.inner.catalog.as_ref(), &a.wants);
        // A region is a name, or none: a malformed one matches no policy's list.
        a.region = a
            .region
            .as_deref()
            .and_then(crate::route::policy::region_name);
        // A certificate counts for its own node only, signed by its owner, and only to a
        // member of that owner's account (others need not check it); the owner's revocations
        // are taken in by its members and not kept in the table.
        a.account = a
            .account
            .filter(|c| c.node == author && self.account_owner() == Some(c.owner) && c.valid());
        let total = a.revocations_known;
        self.revocations_heard(&author, &std::mem::take(&mut a.revocations), total);
        // One offer of each variant.
        let mut seen = std::collections::HashSet::new();
        a.files.retain(|f| seen.insert(f.model.clone()));
        let contact = Contact {
            id: author.to_string(),
            addrs: a.addrs.clone(),
            relay: a.relay.clone(),
        };
        let (fresh, verify) = self.with_table(|t| {
            let fresh = t.announce(author, a, Instant::now());
            let verify = t
                .get(&author)
                .is_some_and(|p| p.health == Health::Unverified);
            (fresh, verify)
        });
        if !fresh {
            return;
        }
        // Its addresses, only from an announcement that was accepted (not a replay).
        self.remember(&contact);
        self.node().room_changed();
        if verify {
            let net = self.clone();
            // Verification dials are few at a time, and none queue: a flood of new ids costs
            // little, and an id skipped now is dialed at its next announcement.
            let Ok(permit) = self.inner.dials.clone().try_acquire_owned() else {
                return;
            };
            self.tasks().spawn(async move {
                let _permit = permit;
                if let Err(e) = net.connect(&author).await {
                    tracing::info!("peer {}: {e:#}", author.short());
                }
            });
        }
    }
}
