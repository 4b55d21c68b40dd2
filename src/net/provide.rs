//! Provider records on the wire ([`providers`] holds them): how a network too large for every
//! node to hear every other finds its workers.
//!
//! - **Publish.** A node that serves models sends its sealed announcement (`Provide`) to the
//!   [`table::K`] nodes closest to each model's key for its shard, found by an iterative lookup:
//!   soon after start, when what it serves changes, and every [`providers::REPUBLISH`].
//! - **Hold.** A node keeps a record only from its own author, under the keys of the catalog's
//!   models it announces, within the store's bounds; it answers `GetProviders` with the records
//!   under a key and the contacts it knows closest to it.
//! - **Search.** A node that knows fewer than [`table::SHORTLIST`] routable peers of a model a
//!   request asks for looks up its providers, a shard at a time, and takes each record in as if
//!   gossip had brought it: after checking that it belongs under the key asked and is not older
//!   than a record lives. A request that knows none waits for the search.
//!
//! Lookups are Kademlia's: the closest nodes known are asked, [`ALPHA`] at a time, for closer
//! ones, until the K closest have answered or failed, within [`MAX_QUERIES`].

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Net;
use super::table::{self, Health, providers};
use super::wire::{self, Contact, Reply, Request};
use crate::ids::{ModelRef, NodeId, random_u64};
use crate::node::NodeEvent;

/// The largest network, by this node's estimate, in which it announces itself over gossip
/// (every node hears every node: at 1,000 nodes some 200 announcements a second each, by
/// `llp bench --sim`). Past it, announcements travel only point to point, and provider records
/// find workers.
pub(super) const GOSSIP_UP_TO: u64 = 1_000;
/// Queries in flight at once in a lookup (Kademlia's alpha).
const ALPHA: usize = 3;
/// Queries one lookup sends at most: a lookup led on by liars ends.
const MAX_QUERIES: usize = 30;
/// Shard keys a search looks up at once.
const SEARCH_SHARDS: u32 = 4;
/// How long a request that knows no capable peer waits for a search (and the handshakes with
/// the providers it found).
const SEARCH_WAIT: Duration = Duration::from_secs(8);
/// The least time between two searches of one model: with some capable peers known, with none.
const SEARCH_GAP: Duration = Duration::from_secs(30);
const SEARCH_GAP_NONE: Duration = Duration::from_secs(5);
/// Models one record is kept under at most.
const MODELS_PER_RECORD: usize = 16;
/// Providers found by a search that are dialed at once, to be routable when it returns.
const DIAL_FOUND: usize = 8;

/// What a lookup found: the closest nodes that answered, and the records they sent (with who
/// sent each).
#[derive(Default)]
struct Found {
    closest: Vec<NodeId>,
    records: Vec<(NodeId, Vec<u8>)>,
}

/// The provider records this node holds for others, and when it last searched each model.
#[derive(Default)]
pub(super) struct Providers {
    store: std::sync::Mutex<providers::Store<Arc<Vec<u8>>>>,
    searched: std::sync::Mutex<std::collections::HashMap<String, Instant>>,
    /// The network's size as last estimated (0: not yet).
    size: std::sync::atomic::AtomicU64,
}

impl Providers {
    /// Records held for others, for status.
    pub(super) fn held(&self) -> usize {
        self.store.lock().expect("providers").len()
    }

    pub(super) fn expire(&self) {
        self.store.lock().expect("providers").expire(Instant::now());
    }
}

impl Net {
    /// Provider records this node holds for others.
    pub fn provider_records(&self) -> usize {
        self.providers().held()
    }

    /// The number of nodes in the network, as last estimated from a lookup of this node's own
    /// id (`None` before the first).
    pub fn size_estimate(&self) -> Option<u64> {
        match self
            .providers()
            .size
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            0 => None,
            n => Some(n),
        }
    }

    /// Whether this node announces itself over gossip now: unless `--no-gossip`, while the
    /// network is estimated at no more than [`GOSSIP_UP_TO`] nodes.
    pub fn gossiping(&self) -> bool {
        self.settings().gossip && self.size_estimate().is_none_or(|n| n <= GOSSIP_UP_TO)
    }

    /// Kademlia's bucket refresh: a lookup of this node's own id, which teaches the table the
    /// nodes nearest to it and, by their distances, the network's size.
    pub(super) async fn refresh(&self) {
        let found = self.lookup(self.id(), false, 0).await;
        if found.closest.is_empty() {
            return;
        }
        let before = self.gossiping();
        let n = providers::estimate_size(&self.id(), &found.closest, table::K);
        self.providers()
            .size
            .store(n, std::sync::atomic::Ordering::Relaxed);
        if self.settings().gossip && before != self.gossiping() {
            tracing::info!(
                "the network holds about {n} nodes: announcements over gossip {}",
                if before {
                    "off (provider records find workers)"
                } else {
                    "on"
                }
            );
        }
    }

    fn providers(&self) -> &Providers {
        &self.inner.providers
    }

    /// Whether the catalog lists a model of this name (a node without a catalog takes any).
    fn catalog_lists(&self, name: &str) -> bool {
        self.inner
            .catalog
            .as_ref()
            .is_none_or(|c| c.model(name).is_some())
    }

    /// Kademlia's iterative lookup of `target`. `records`: asks GET_PROVIDERS instead of
    /// FIND_NODE and collects the records, stopping once `enough` are in.
    async fn lookup(&self, target: NodeId, records: bool, enough: usize) -> Found {
        let mut near: BTreeMap<[u8; 32], NodeId> = BTreeMap::new();
        for c in self.with_table(|t| t.closest(&target, table::K)) {
            if let Ok(id) = NodeId::parse(&c.id) {
                near.insert(id.xor(&target), id);
            }
        }
        let mut asked = HashSet::new();
        let mut answered = Vec::new();
        let mut found = Found::default();
        let mut seen = HashSet::new();
        while asked.len() < MAX_QUERIES {
            let batch: Vec<NodeId> = near
                .values()
                .take(table::K)
                .filter(|id| !asked.contains(*id))
                .take(ALPHA)
                .copied()
                .collect();
            if batch.is_empty() {
                break;
            }
            asked.extend(batch.iter().copied());
            let replies = futures_util::future::join_all(
                batch.iter().map(|id| self.query(id, target, records)),
            )
            .await;
            for (id, reply) in batch.into_iter().zip(replies) {
                let Some((nodes, recs)) = reply else {
                    near.remove(&id.xor(&target));
                    continue;
                };
                answered.push(id);
                for c in nodes.into_iter().take(table::K) {
                    match self.learn(&id, c) {
                        Ok(Some(n)) => {
                            near.insert(n.xor(&target), n);
                        }
                        Ok(None) => {}
                        Err(()) => break,
                    }
                }
                for r in recs {
                    if seen.insert(*blake3::hash(&r).as_bytes()) {
                        found.records.push((id, r));
                    }
                }
            }
            if records && found.records.len() >= enough {
                break;
            }
        }
        answered.sort_by_key(|id| id.xor(&target));
        answered.truncate(table::K);
        found.closest = answered;
        found
    }

    /// One query of a lookup: the contacts `peer` sends, and its records (GET_PROVIDERS).
    /// `None` when it failed or refused (it is left out of the lookup).
    async fn query(
        &self,
        peer: &NodeId,
        target: NodeId,
        records: bool,
    ) -> Option<(Vec<Contact>, Vec<Vec<u8>>)> {
        let req = if records {
            Request::GetProviders {
                key: target.to_string(),
                // A random offset: repeated searches spread over every provider a key holds.
                from: (random_u64() % providers::MAX_RECORDS as u64) as u32,
            }
        } else {
            Request::FindNode {
                target: target.to_string(),
            }
        };
        match self.call(peer, &req).await {
            Ok(Reply::Nodes { nodes }) if !records => Some((nodes, Vec::new())),
            Ok(Reply::Providers { records: rs, nodes }) if records => {
                let mut out = Vec::new();
                for r in rs.iter().take(providers::PER_ANSWER) {
                    match hex::decode(r) {
                        Ok(b) if b.len() <= wire::MAX_ANNOUNCEMENT => out.push(b),
                        _ => {
                            self.strike(
                                peer,
                                "sent a provider record that is not a sealed announcement in hex",
                            );
                            return None;
                        }
                    }
                }
                Some((nodes, out))
            }
            Ok(Reply::Refused { message, .. }) => {
                tracing::debug!("lookup: {} refused: {message}", peer.short());
                None
            }
            Ok(other) => {
                let asked = super::serve::kind(&req);
                self.strike(peer, &format!("answered {asked} with {other:?}"));
                None
            }
            Err(e) => {
                tracing::debug!("lookup: {}: {e:#}", peer.short());
                None
            }
        }
    }

    /// A contact `from` sent in a lookup: its id, with its addresses remembered and the table
    /// told of it if new (a reply cannot rewrite the addresses of peers we know). `Ok(None)`:
    /// ourselves, or not a key; `Err`: a malformed id (`from` is struck, its other contacts
    /// dropped).
    fn learn(&self, from: &NodeId, c: Contact) -> Result<Option<NodeId>, ()> {
        let Ok(id) = NodeId::parse(&c.id) else {
            self.strike(from, "sent a contact with a malformed id");
            return Err(());
        };
        if id == self.id() || id.public_key().is_none() || self.banned(&id) {
            return Ok(None);
        }
        let added = self
            .with_table(|t| t.get(&id).is_none() && t.add_contact(c.clone(), id, Instant::now()));
        if added {
            self.remember(&c);
        }
        Ok(Some(id))
    }

    /// The names of the models this node serves to peers, each once, lowercased.
    fn served_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .node()
            .engines()
            .iter()
            .filter(|e| !e.info().pipeline)
            .map(|e| e.info().name.to_ascii_lowercase())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Publishes this node's provider records: soon after start, when what it serves changes,
    /// every [`providers::REPUBLISH`], and again soon while no holder took them (a node that
    /// just started may know no peer yet).
    pub(super) async fn provide_loop(self) {
        let mut events = self.node().events();
        let soon = (self.settings().announce_interval * 4).max(Duration::from_secs(2));
        let mut wait = soon;
        loop {
            let until = tokio::time::Instant::now() + wait;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => break,
                    ev = events.recv() => match ev {
                        Ok(NodeEvent::Models) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                        Ok(_) => {}
                        Err(_) => return,
                    },
                }
            }
            self.providers().expire();
            wait = match self.publish().await {
                Some(0) => soon,
                _ => providers::REPUBLISH,
            };
        }
    }

    /// Sends this node's record to the K closest nodes to each of its keys, and keeps it here
    /// too. How many took it (`None`: it serves nothing, or has no announcement yet).
    async fn publish(&self) -> Option<usize> {
        let names = self.served_names();
        if names.is_empty() || self.node().paused() {
            return None;
        }
        let signed = self.sealed_announcement().await?;
        let shard = providers::shard_of(&self.id());
        let body = Arc::new(signed.clone());
        let req = Request::Provide {
            signed: hex::encode(&signed),
        };
        let mut took = 0;
        for name in &names {
            let key = providers::key(name, shard);
            self.providers().store.lock().expect("providers").put(
                key,
                self.id(),
                body.clone(),
                Instant::now(),
            );
            let found = self.lookup(key, false, 0).await;
            let replies =
                futures_util::future::join_all(found.closest.iter().map(|id| self.call(id, &req)))
                    .await;
            for (id, r) in found.closest.iter().zip(replies) {
                match r {
                    Ok(Reply::Stored { .. }) => took += 1,
                    Ok(Reply::Refused { message, .. }) => {
                        tracing::debug!("provider record refused by {}: {message}", id.short())
                    }
                    Ok(other) => self.strike(id, &format!("answered provide with {other:?}")),
                    Err(e) => tracing::debug!("provider record to {}: {e:#}", id.short()),
                }
            }
        }
        tracing::debug!(
            "published provider records of {} to {took} holders",
            names.join(", ")
        );
        Some(took)
    }

    /// Looks up providers of `model` when this node knows fewer than [`table::SHORTLIST`]
    /// routable ones, at most once per [`SEARCH_GAP`] ([`SEARCH_GAP_NONE`] when it knows
    /// none): aside, or, when it knows none and `wait`, waiting up to [`SEARCH_WAIT`] for the
    /// search and the handshakes with what it found, so that the request can go there.
    pub async fn find_providers(&self, model: &ModelRef, wait: bool) {
        let known = self.with_table(|t| {
            t.peers()
                .filter(|p| p.routable() && p.serves(model).is_some())
                .take(table::SHORTLIST)
                .count()
        });
        if known >= table::SHORTLIST || !self.catalog_lists(&model.name) {
            return;
        }
        let gap = if known == 0 {
            SEARCH_GAP_NONE
        } else {
            SEARCH_GAP
        };
        let name = model.name.to_ascii_lowercase();
        {
            let mut searched = self.providers().searched.lock().expect("searched");
            if searched.get(&name).is_some_and(|t| t.elapsed() < gap) {
                return;
            }
            searched.retain(|_, t| t.elapsed() < SEARCH_GAP);
            searched.insert(name.clone(), Instant::now());
        }
        let (done, done_rx) = tokio::sync::oneshot::channel();
        let net = self.clone();
        self.tasks().spawn(async move {
            net.search(&name).await;
            let _ = done.send(());
        });
        if known == 0 && wait {
            let _ = tokio::time::timeout(SEARCH_WAIT, done_rx).await;
        }
    }

    /// Looks up the providers of model `name` under its shard keys, [`SEARCH_SHARDS`] at once
    /// from a random one, until a batch finds some (a popular model has providers under every
    /// key; a rare one's few are found by going through them all), takes their records in, and
    /// dials the new ones.
    async fn search(&self, name: &str) {
        let first = random_u64() as u32;
        let mut new = Vec::new();
        for batch in 0..providers::SHARDS.div_ceil(SEARCH_SHARDS) {
            let keys: Vec<NodeId> = (0..SEARCH_SHARDS)
                .map(|i| batch * SEARCH_SHARDS + i)
                .take_while(|i| *i < providers::SHARDS)
                .map(|i| providers::key(name, first.wrapping_add(i) % providers::SHARDS))
                .collect();
            let found = futures_util::future::join_all(
                keys.iter().map(|k| self.lookup(*k, true, table::SHORTLIST)),
            )
            .await;
            for (key, found) in keys.iter().zip(found) {
                for (holder, record) in &found.records {
                    if let Some(author) = self.take_record(holder, key, name, record) {
                        new.push(author);
                    }
                }
            }
            if !new.is_empty() {
                break;
            }
        }
        new.sort();
        new.dedup();
        let dial: Vec<NodeId> = self.with_table(|t| {
            new.iter()
                .filter(|id| t.get(id).is_some_and(|p| p.health == Health::Unverified))
                .take(DIAL_FOUND)
                .copied()
                .collect()
        });
        futures_util::future::join_all(dial.iter().map(|id| self.connect(id))).await;
        tracing::info!(
            "providers of {name}: {} found by lookup, {} of them new",
            new.len(),
            dial.len()
        );
    }

    /// A record `holder` sent under `key` for model `name`: taken in as an announcement if it
    /// is its author's, names the model, belongs under the key (the author's shard) and is no
    /// older than a record lives. Its author, if taken.
    fn take_record(
        &self,
        holder: &NodeId,
        key: &NodeId,
        name: &str,
        record: &[u8],
    ) -> Option<NodeId> {
        let (author, a) = match wire::open(&self.inner.topic, record) {
            Ok(x) => x,
            Err(e) => {
                self.strike(holder, &format!("sent a bad provider record: {e}"));
                return None;
            }
        };
        let under = a.models.iter().any(|m| m.name.eq_ignore_ascii_case(name))
            && providers::key(name, providers::shard_of(&author)) == *key;
        if !under {
            self.strike(
                holder,
                &format!(
                    "sent the record of {} under a key it does not belong to",
                    author.short()
                ),
            );
            return None;
        }
        // A record older than records live (by its author's clock, with room for skew) is a
        // replay: its author has announced since, or is gone.
        let age = crate::ids::now_ms().saturating_sub(a.clock_ms);
        if author == self.id() || age > 2 * providers::RECORD_TTL.as_millis() as u64 {
            return None;
        }
        self.on_announcement(holder, record, false);
        Some(author)
    }
}

/// `Provide` from `peer`: its own sealed announcement, kept under the keys of the catalog's
/// models it serves.
pub(super) fn serve_provide(net: &Net, peer: NodeId, signed: &str) -> Reply {
    let refuse = |why: String| {
        net.strike(&peer, &format!("provide: {why}"));
        Reply::refused(wire::RefuseCode::Invalid, why)
    };
    let bytes = match hex::decode(signed) {
        Ok(b) if b.len() <= wire::MAX_ANNOUNCEMENT => b,
        Ok(b) => {
            return refuse(format!(
                "a record of {} bytes exceeds the {}-byte limit",
                b.len(),
                wire::MAX_ANNOUNCEMENT
            ));
        }
        Err(e) => return refuse(format!("the record is not hex: {e}")),
    };
    let (author, a) = match wire::open(&net.inner.topic, &bytes) {
        Ok(x) => x,
        Err(e) => return refuse(e.to_string()),
    };
    if author != peer {
        return refuse(format!(
            "the record is {}'s announcement, not the sender's",
            author.short()
        ));
    }
    if a.network != net.settings().network || a.leaving || a.paused {
        // Its announcement says it all (and strikes a wrong network).
        net.on_announcement(&peer, &bytes, true);
        return Reply::Stored { keys: 0 };
    }
    let mut names: Vec<String> = a
        .models
        .iter()
        .map(|m| m.name.to_ascii_lowercase())
        .filter(|n| net.catalog_lists(n))
        .collect();
    names.sort();
    names.dedup();
    let shard = providers::shard_of(&author);
    let body = Arc::new(bytes);
    let now = Instant::now();
    let kept = {
        let mut store = net.providers().store.lock().expect("providers");
        names
            .iter()
            .take(MODELS_PER_RECORD)
            .filter(|n| store.put(providers::key(n, shard), author, body.clone(), now))
            .count()
    };
    // The holder learns of the provider as a peer that announced itself to it.
    net.on_announcement(&peer, &body, true);
    Reply::Stored { keys: kept as u32 }
}

/// `GetProviders`: the records held under the key, and the contacts closest to it.
pub(super) fn serve_get_providers(net: &Net, peer: NodeId, key: &str, from: u32) -> Reply {
    let Some(key) = crate::ids::hex32(key) else {
        net.strike(&peer, "get_providers: not a key");
        return Reply::refused(wire::RefuseCode::Invalid, "not a key (64 hex digits)");
    };
    let key = NodeId::from_bytes(key);
    let records =
        net.providers()
            .store
            .lock()
            .expect("providers")
            .get(&key, from as usize, Instant::now());
    Reply::Providers {
        records: records
            .iter()
            .map(|(_, b)| hex::encode(b.as_slice()))
            .collect(),
        nodes: net.with_table(|t| t.closest(&key, table::K)),
    }
}
