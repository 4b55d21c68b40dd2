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
//! Lookups are Kademlia's ([`table::lookup`] keeps their books): the closest nodes known are
//! asked, [`table::lookup::ALPHA`] at a time, for closer ones, until the K closest have answered
//! or failed, within [`MAX_QUERIES`] and [`LOOKUP_WAIT`]. A peer whose named nodes do not answer
//! loses its other candidates, so made-up ids cost a lookup about one batch, not its deadline.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Net;
use super::table::lookup::{Failure, Lookup, Step};
use super::table::{self, Health, providers};
use super::wire::{self, Contact, Reply, Request};
use crate::ids::{ModelRef, NodeId, random_u64};

/// The largest network, by this node's estimate, in which it announces itself over gossip
/// (every node hears every node: at 1,000 nodes some 200 announcements a second each, by
/// `llp bench --sim`). Past it, announcements travel only point to point, and provider records
/// find workers.
pub(super) const GOSSIP_UP_TO: u64 = 1_000;
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
/// How long one query of a lookup may take (the dial included), and the whole lookup: a peer
/// that stalls costs a lookup this much, not its progress.
const QUERY_WAIT: Duration = Duration::from_secs(3);
const LOOKUP_WAIT: Duration = Duration::from_secs(20);
/// The addresses a lookup dials a node at, from all that named it, at most.
const MERGED_ADDRS: usize = 2 * wire::MAX_CONTACT_ADDRS;
/// Searches running at once, over every model.
const SEARCHES: usize = 2;
/// The oldest record a search takes (by its author's clock): one republish and some slack. An
/// older one is a replay: its author has published since, or is gone.
const RECORD_MAX_AGE: Duration = Duration::from_secs(providers::REPUBLISH.as_secs() + 120);
/// How far ahead of ours an author's clock may read.
const CLOCK_AHEAD: Duration = Duration::from_secs(120);
/// The least time between two records from one peer (an honest one sends one per holder
/// every [`providers::REPUBLISH`], or on a change).
const PROVIDE_GAP: Duration = Duration::from_secs(5);
/// How long a search may take, all its lookups and dials together.
const SEARCH_DEADLINE: Duration = Duration::from_secs(20);

/// A record as a lookup received it: who sent it, and its author and seq.
struct Record {
    holder: NodeId,
    author: NodeId,
    seq: u64,
    bytes: Vec<u8>,
}

/// One answer to a lookup's query: the contacts and records it carried (checked), and the
/// addresses it came from.
struct Answer {
    nodes: Vec<(NodeId, Contact)>,
    records: Vec<Record>,
    at: Vec<std::net::SocketAddr>,
}

/// What a lookup found: the closest nodes that answered, and the records they sent.
#[derive(Default)]
struct Found {
    closest: Vec<NodeId>,
    records: Vec<Record>,
    /// It ended because the closest had all answered or failed (not by a bound), and no
    /// candidate was dropped for being named only by distrusted peers.
    converged: bool,
}

/// The provider records this node holds for others, and its searches: when it last searched
/// each model (or searches it now), and the permits of searches at once.
pub(super) struct Providers {
    store: std::sync::Mutex<providers::Store<Arc<Vec<u8>>>>,
    searched: std::sync::Mutex<std::collections::HashMap<String, Option<Instant>>>,
    searches: Arc<tokio::sync::Semaphore>,
    /// When each peer last sent a record (one every [`PROVIDE_GAP`]).
    provided: std::sync::Mutex<HashMap<NodeId, Instant>>,
    /// The estimate before the last, and whether the network counts as large (gossip off):
    /// two estimates in a row past the bounds flip it, not one.
    prev_size: std::sync::atomic::AtomicU64,
    large: std::sync::atomic::AtomicBool,
    /// The network's size as last estimated (0: not yet).
    size: std::sync::atomic::AtomicU64,
}

impl Default for Providers {
    fn default() -> Self {
        Providers {
            store: Default::default(),
            searched: Default::default(),
            searches: Arc::new(tokio::sync::Semaphore::new(SEARCHES)),
            provided: Default::default(),
            prev_size: Default::default(),
            large: Default::default(),
            size: Default::default(),
        }
    }
}

impl Providers {
    /// Records held for others, for status.
    pub(super) fn held(&self) -> usize {
        self.store.lock().expect("providers").len()
    }

    pub(super) fn expire(&self) {
        self.store.lock().expect("providers").expire(Instant::now());
    }

    /// Drops `provider`'s records (it left, or paused).
    pub(super) fn forget(&self, provider: &NodeId) {
        self.store
            .lock()
            .expect("providers")
            .remove_provider(provider);
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
    /// network counts as small (see [`Net::refresh`]).
    pub fn gossiping(&self) -> bool {
        self.settings().gossip
            && !self
                .providers()
                .large
                .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Kademlia's bucket refresh: a lookup of this node's own id, which teaches the table the
    /// nodes nearest to it; then a lookup of a random id estimates the network's size by how
    /// near to it the nodes that answer lie. (Not our own id: ids made near ours cost an
    /// attacker nothing, and a few would make the network look huge; to crowd a random id,
    /// it must run nodes all over.) The network counts as large (no gossip) after two
    /// estimates in a row past 1.5x [`GOSSIP_UP_TO`], and small again after two under half of
    /// it: one estimate is noisy (0.3-3x), and a flapping node would do both badly.
    pub(super) async fn refresh(&self) {
        self.lookup(self.id(), false, 0).await;
        let probe: [u8; 32] = std::array::from_fn(|_| random_u64() as u8);
        let probe = NodeId::from_bytes(probe);
        let found = self.lookup(probe, false, 0).await;
        // A lookup cut short (by the deadline, or liars) says nothing of the size.
        if found.closest.is_empty() || !found.converged {
            return;
        }
        let n = providers::estimate_size(&probe, &found.closest, table::K);
        let p = self.providers();
        let prev = p.prev_size.swap(n, std::sync::atomic::Ordering::Relaxed);
        p.size.store(n, std::sync::atomic::Ordering::Relaxed);
        let large = p.large.load(std::sync::atomic::Ordering::Relaxed);
        if providers::flips(large, prev, n, GOSSIP_UP_TO) {
            p.large.store(!large, std::sync::atomic::Ordering::Relaxed);
            if self.settings().gossip {
                tracing::info!(
                    "the network holds about {n} nodes: announcements over gossip {}",
                    if large {
                        "on"
                    } else {
                        "off (provider records find workers)"
                    }
                );
            }
        }
    }

    pub(super) fn providers(&self) -> &Providers {
        &self.inner.providers
    }

    /// Whether the catalog lists a model of this name (a node without a catalog takes any).
    fn catalog_lists(&self, name: &str) -> bool {
        self.inner
            .catalog
            .as_ref()
            .is_none_or(|c| c.model(name).is_some())
    }

    /// Kademlia's iterative lookup of `target`, within [`LOOKUP_WAIT`]. `records`: asks
    /// GET_PROVIDERS instead of FIND_NODE and collects the records, stopping once `enough`
    /// are in. Contacts it hears of are tried, not put in the table: only one that answers is
    /// (a made-up contact is neither kept nor passed on).
    async fn lookup(&self, target: NodeId, records: bool, enough: usize) -> Found {
        use futures_util::StreamExt;
        let deadline = tokio::time::Instant::now() + LOOKUP_WAIT;
        let known = self.with_table(|t| t.closest(&target, table::K));
        let known = known.iter().filter_map(|c| NodeId::parse(&c.id).ok());
        let mut l = Lookup::new(target, known, table::K, MAX_QUERIES);
        let mut contacts: HashMap<NodeId, Contact> = HashMap::new();
        let mut found = Found::default();
        // Queries in flight: a new one goes out as soon as one ends, so a node that stalls
        // holds one of the ALPHA places, not the whole lookup.
        let mut queries = futures_util::stream::FuturesUnordered::new();
        loop {
            match l.step() {
                Step::Ask(batch) => {
                    for id in batch {
                        // The query keeps to QUERY_WAIT itself, and says how it failed.
                        queries.push(async move { (id, self.query(&id, target, records).await) });
                    }
                    continue;
                }
                Step::Wait => {}
                Step::Converged => {
                    found.converged = !l.trimmed();
                    break;
                }
                Step::Bounded => break,
            }
            let Ok(Some((id, reply))) = tokio::time::timeout_at(deadline, queries.next()).await
            else {
                break;
            };
            let Answer {
                nodes,
                records: recs,
                at,
            } = match reply {
                Ok(r) => r,
                Err(how) => {
                    l.failed(id, how);
                    continue;
                }
            };
            // It answered through a handshake: a real node, worth a place in the table and
            // (while we gossip) among our gossip neighbours.
            if let Some(mut c) = contacts.remove(&id) {
                // Where it answered from, not what its namers said (a liar's addresses may be
                // among those it was dialed at).
                if !at.is_empty() {
                    c.addrs = at;
                    c.addrs.truncate(wire::MAX_CONTACT_ADDRS);
                }
                let added = self.with_table(|t| {
                    let added = t.get(&id).is_none() && t.add_contact(c, id, Instant::now());
                    if added && let Some(p) = t.get_mut(&id) {
                        p.health = Health::Ok;
                    }
                    added
                });
                if added && self.gossiping() {
                    self.join_gossip(&id).await;
                }
            }
            let named: Vec<(NodeId, bool)> = nodes
                .into_iter()
                .map(|(n, c)| (n, self.dial_at(&l, &mut contacts, n, c)))
                .collect();
            l.answered(id, named);
            found.records.extend(recs);
            // Enough authors (an answer holds one record per author; others repeat them).
            let authors: HashSet<NodeId> = found.records.iter().map(|r| r.author).collect();
            if records && authors.len() >= enough {
                break;
            }
        }
        found.closest = l.closest();
        found
    }

    /// Takes in the addresses an answer gave for `n`, and says whether they are among those
    /// `n` is (or will be) dialed at: then a failure of `n` is charged to that answer's sender.
    /// A node not yet asked is dialed at its namers' addresses together (up to
    /// [`MERGED_ADDRS`]), so a liar that names a real node first, at addresses that go
    /// nowhere, cannot make honest namers pay for it. A node our table holds is dialed where
    /// the table says: a namer is liable for it only if it named those addresses and the
    /// table does not count the node as up.
    fn dial_at(
        &self,
        l: &Lookup,
        contacts: &mut HashMap<NodeId, Contact>,
        n: NodeId,
        c: Contact,
    ) -> bool {
        // Whether dialing at `d` is dialing where `c` says.
        let covers = |d: &Contact| {
            (c.relay.is_none() || c.relay == d.relay) && c.addrs.iter().all(|a| d.addrs.contains(a))
        };
        if l.was_asked(&n) {
            // In flight: what it was dialed at is settled.
            return contacts.get(&n).is_some_and(covers);
        }
        // One our table holds is dialed where the table says: the namer is liable only if it
        // said the same of one the table does not count as up.
        if let Some((up, d)) = self.with_table(|t| {
            t.get(&n)
                .map(|p| (p.health == Health::Ok, p.contact.clone()))
        }) {
            return !up && covers(&d);
        }
        let Some(d) = contacts.get_mut(&n) else {
            self.remember(&c);
            contacts.insert(n, c);
            return true;
        };
        let mut all_in = c.relay.is_none() || d.relay.is_none() || c.relay == d.relay;
        let mut grew = false;
        for a in &c.addrs {
            if d.addrs.contains(a) {
                continue;
            }
            if d.addrs.len() < MERGED_ADDRS {
                d.addrs.push(*a);
                grew = true;
            } else {
                all_in = false;
            }
        }
        if d.relay.is_none() && c.relay.is_some() {
            d.relay = c.relay;
            grew = true;
        }
        if grew {
            self.remember(d);
        }
        all_in
    }

    /// One query of a lookup: the contacts `peer` sends, and its records (GET_PROVIDERS),
    /// each checked: a sealed announcement, one per author, within the bounds of an answer.
    /// When it gets none, how it failed (a rule broken is struck once for the answer).
    async fn query(&self, peer: &NodeId, target: NodeId, records: bool) -> Result<Answer, Failure> {
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
        // A node we banned since it was named: our doing, not its namers'.
        if self.banned(peer) {
            return Err(Failure::Refused);
        }
        // Within QUERY_WAIT: reaching the node, then its answer. Never reached: unreachable
        // (a made-up node never is). Reached (it holds its key) and then no answer, or a
        // handshake that failed: a real node that stalls or is not one of us; honest peers
        // name only nodes that passed their handshake, so it paces its namers, but does not
        // count toward their distrust.
        let start = tokio::time::Instant::now();
        let reached = std::sync::atomic::AtomicBool::new(false);
        let dial = self.connect_noting(peer, Some(&reached));
        let conn = match tokio::time::timeout(QUERY_WAIT, dial).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                tracing::debug!("lookup: {}: {e:#}", peer.short());
                let real = e.downcast_ref::<super::conn::Reached>().is_some()
                    || reached.load(std::sync::atomic::Ordering::Relaxed);
                return Err(if real {
                    Failure::Silent
                } else {
                    Failure::Unreachable
                });
            }
            Err(_) if reached.load(std::sync::atomic::Ordering::Relaxed) => {
                return Err(Failure::Silent);
            }
            Err(_) => return Err(Failure::Unreachable),
        };
        let left = QUERY_WAIT.saturating_sub(start.elapsed());
        let answer = match tokio::time::timeout(left, super::conn::call_on(&conn, &req)).await {
            Ok(a) => a,
            Err(_) => return Err(Failure::Silent),
        };
        let at = Net::path_addrs(&conn);
        let (nodes, recs) = match answer {
            Ok(Reply::Nodes { nodes }) if !records => (nodes, Vec::new()),
            Ok(Reply::Providers { records: rs, nodes }) if records => (nodes, rs),
            Ok(Reply::Refused { message, .. }) => {
                tracing::debug!("lookup: {} refused: {message}", peer.short());
                return Err(Failure::Refused);
            }
            Ok(other) => {
                let (asked, got) = (super::serve::kind(&req), reply_kind(&other));
                self.strike(peer, &format!("answered {asked} with {got}"));
                return Err(Failure::Refused);
            }
            // It broke the stream off: a real node's doing.
            Err(e) => {
                tracing::debug!("lookup: {}: {e:#}", peer.short());
                return Err(Failure::Refused);
            }
        };
        let (nodes, rs) = self.checked(&nodes, &recs).map_err(|why| {
            self.strike(peer, &format!("{}: {why}", super::serve::kind(&req)));
            Failure::Refused
        })?;
        let rs = rs
            .into_iter()
            .map(|(author, seq, bytes)| Record {
                holder: *peer,
                author,
                seq,
                bytes,
            })
            .collect();
        Ok(Answer {
            nodes,
            records: rs,
            at,
        })
    }

    /// An answer's contacts and records, checked; what was wrong, if anything was.
    #[allow(clippy::type_complexity)]
    fn checked(
        &self,
        nodes: &[Contact],
        recs: &[String],
    ) -> Result<(Vec<(NodeId, Contact)>, Vec<(NodeId, u64, Vec<u8>)>), String> {
        if nodes.len() > table::K || recs.len() > providers::PER_ANSWER {
            return Err(format!(
                "{} contacts and {} records, over the {} and {} an answer holds",
                nodes.len(),
                recs.len(),
                table::K,
                providers::PER_ANSWER
            ));
        }
        let mut contacts = Vec::new();
        for c in nodes {
            let Ok(id) = NodeId::parse(&c.id) else {
                return Err("a contact with a malformed id".into());
            };
            if id == self.id() || id.public_key().is_none() || self.banned(&id) {
                continue;
            }
            // The first few usable addresses: a holder passes on what others announced, and
            // is not to blame for how many they listed.
            let mut c = c.clone();
            c.addrs.retain(|a| {
                let ip = a.ip();
                !(ip.is_unspecified() || ip.is_multicast() || a.port() == 0)
            });
            c.addrs.truncate(wire::MAX_CONTACT_ADDRS);
            contacts.push((id, c));
        }
        let mut out: Vec<(NodeId, u64, Vec<u8>)> = Vec::new();
        for r in recs {
            let bytes = match hex::decode(r) {
                Ok(b) if b.len() <= wire::MAX_ANNOUNCEMENT => b,
                _ => return Err("a record that is not a sealed announcement in hex".into()),
            };
            let (author, a) = wire::open(&self.inner.topic, &bytes)
                .map_err(|e| format!("a bad provider record: {e}"))?;
            // A holder keeps one record per provider and key: two are a replay of old ones.
            if out.iter().any(|(x, _, _)| *x == author) {
                return Err(format!("two records of {}", author.short()));
            }
            out.push((author, a.seq, bytes));
        }
        Ok((contacts, out))
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

    /// Publishes this node's provider records: soon after start, when what it serves changes
    /// or it pauses or resumes, every [`providers::REPUBLISH`], and again soon while no holder took them (a node that
    /// just started may know no peer yet).
    pub(super) async fn provide_loop(self) {
        let mut events = self.node().events();
        let soon = (self.settings().announce_interval * 4).max(Duration::from_secs(2));
        let mut wait = soon;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                ev = events.recv() => match ev {
                    // Every node event is a change of what it serves or of its pause.
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => return,
                },
            }
            self.providers().expire();
            wait = match self.publish().await {
                Some(0) => soon,
                _ => providers::REPUBLISH,
            };
        }
    }

    /// Sends this node's record to the K closest nodes to each of its keys (found by lookups
    /// of the models at once; each holder once, with the announcement as it is then), and keeps
    /// it here too. A paused node sends its paused announcement, so holders drop its records.
    /// How many holders kept it (`None`: it serves nothing, or has no announcement fit to send).
    async fn publish(&self) -> Option<usize> {
        let names = self.served_names();
        if names.is_empty() {
            return None;
        }
        let shard = providers::shard_of(&self.id());
        let keys: Vec<NodeId> = names.iter().map(|n| providers::key(n, shard)).collect();
        let found =
            futures_util::future::join_all(keys.iter().map(|k| self.lookup(*k, false, 0))).await;
        let mut holders: Vec<NodeId> = found.into_iter().flat_map(|f| f.closest).collect();
        holders.sort();
        holders.dedup();
        // Sealed after the lookups: a holder that heard a newer one by gossip meanwhile would
        // take this one for stale.
        let signed = self.sealed_announcement().await?;
        if signed.len() > wire::MAX_ANNOUNCEMENT {
            tracing::warn!(
                "this node's announcement is {} bytes, over the {}-byte limit: no provider \
                 record sent",
                signed.len(),
                wire::MAX_ANNOUNCEMENT
            );
            return None;
        }
        {
            let body = Arc::new(signed.clone());
            let mut store = self.providers().store.lock().expect("providers");
            if self.node().paused() {
                store.remove_provider(&self.id());
            } else {
                for k in &keys {
                    store.put(*k, self.id(), body.clone(), Instant::now());
                }
            }
        }
        let req = Request::Provide {
            signed: hex::encode(&signed),
        };
        let calls = holders.iter().map(|id| {
            let call = self.call(id, &req);
            async move { tokio::time::timeout(QUERY_WAIT, call).await }
        });
        let replies = futures_util::future::join_all(calls).await;
        let mut took = 0;
        for (id, r) in holders.iter().zip(replies) {
            match r {
                Ok(Ok(Reply::Stored { keys })) => took += usize::from(keys > 0),
                Ok(Ok(Reply::Refused { message, .. })) => {
                    tracing::debug!("provider record refused by {}: {message}", id.short())
                }
                Ok(Ok(other)) => {
                    self.strike(id, &format!("answered provide with {}", reply_kind(&other)))
                }
                Ok(Err(e)) => tracing::debug!("provider record to {}: {e:#}", id.short()),
                Err(_) => tracing::debug!("provider record to {}: no answer", id.short()),
            }
        }
        tracing::debug!(
            "published provider records of {} to {took} of {} holders",
            names.join(", "),
            holders.len()
        );
        Some(took)
    }

    /// Looks up providers of `model` when this node knows fewer than [`table::SHORTLIST`]
    /// routable ones, one search of a model at a time, at most [`SEARCHES`] at once, and at
    /// most once per [`SEARCH_GAP`] after the last ([`SEARCH_GAP_NONE`] when it knows none):
    /// aside, or, when it knows none and `wait`, waiting up to [`SEARCH_WAIT`] for the search
    /// (its own, or one already running) and the handshakes with what it found, so that the
    /// request can go there.
    pub async fn find_providers(&self, model: &ModelRef, wait: bool) {
        // The shortlist routing keeps anyway: no pass over the table on a request's path.
        let known = self.with_table(|t| t.capable_count(model));
        if known >= table::SHORTLIST || !self.catalog_lists(&model.name) {
            return;
        }
        let wait = wait && known == 0;
        let gap = if known == 0 {
            SEARCH_GAP_NONE
        } else {
            SEARCH_GAP
        };
        let name = model.name.to_ascii_lowercase();
        let until = tokio::time::Instant::now() + SEARCH_WAIT;
        let running = |net: &Net| {
            matches!(
                net.providers()
                    .searched
                    .lock()
                    .expect("searched")
                    .get(&name),
                Some(None)
            )
        };
        if running(self) {
            // Another request's search of it: this one waits for it too.
            while wait && running(self) && tokio::time::Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            return;
        }
        let searches = self.providers().searches.clone();
        let permit = if wait {
            match tokio::time::timeout_at(until, searches.acquire_owned()).await {
                Ok(Ok(p)) => p,
                _ => return,
            }
        } else {
            match searches.try_acquire_owned() {
                Ok(p) => p,
                Err(_) => return,
            }
        };
        {
            let mut searched = self.providers().searched.lock().expect("searched");
            // `None`: a search of it runs now.
            match searched.get(&name) {
                Some(None) => return,
                Some(Some(t)) if t.elapsed() < gap => return,
                _ => {}
            }
            searched.retain(|_, t| t.is_none_or(|t| t.elapsed() < SEARCH_GAP));
            searched.insert(name.clone(), None);
        }
        let (done, done_rx) = tokio::sync::oneshot::channel();
        let (net, model) = (self.clone(), model.clone());
        self.tasks().spawn(async move {
            let _permit = permit;
            // However the search ends (a panic, the node stopping), the model is not left
            // marked as searched now.
            let _ended = Ended(net.clone(), name.clone());
            let _ = tokio::time::timeout(SEARCH_DEADLINE, net.search(&name, &model)).await;
            let _ = done.send(());
        });
        if wait {
            let _ = tokio::time::timeout_at(until, done_rx).await;
        }
    }

    /// Looks up the providers of model `name` under its shard keys, [`SEARCH_SHARDS`] at once
    /// from a random one, takes the newest record of each author in, and dials the new
    /// providers; until a batch yields providers that answered and serve the model (a popular
    /// model has providers under every key; a rare one's few are found by going through them
    /// all, and records of made-up providers, which never answer, do not end the search).
    async fn search(&self, name: &str, model: &ModelRef) {
        let first = random_u64() as u32;
        let (mut found_ok, mut dialed) = (Vec::new(), 0);
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
            // The newest record of each author: older ones are replays.
            let mut newest: HashMap<NodeId, (NodeId, Record)> = HashMap::new();
            for (key, found) in keys.iter().zip(found) {
                for r in found.records {
                    if newest.get(&r.author).is_none_or(|(_, n)| n.seq < r.seq) {
                        newest.insert(r.author, (*key, r));
                    }
                }
            }
            let mut new = Vec::new();
            for (key, r) in newest.into_values() {
                if self.take_record(&key, name, &r) {
                    new.push(r.author);
                }
            }
            let dial: Vec<NodeId> = self.with_table(|t| {
                new.iter()
                    .filter(|id| t.get(id).is_some_and(|p| p.health == Health::Unverified))
                    .take(DIAL_FOUND)
                    .copied()
                    .collect()
            });
            dialed += dial.len();
            let dials = dial.iter().map(|id| {
                let c = self.connect(id);
                async move { tokio::time::timeout(QUERY_WAIT, c).await }
            });
            futures_util::future::join_all(dials).await;
            // Found: providers now in the table, verified, serving the model.
            found_ok = self.with_table(|t| {
                new.iter()
                    .filter(|id| {
                        t.get(id)
                            .is_some_and(|p| p.health == Health::Ok && p.serves(model).is_some())
                    })
                    .copied()
                    .collect::<Vec<NodeId>>()
            });
            if !found_ok.is_empty() {
                break;
            }
        }
        tracing::info!(
            "providers of {name}: {} found by lookup, {dialed} of them new",
            found_ok.len()
        );
    }

    /// A record a holder sent under `key` for model `name` (its signature checked): taken in
    /// as an announcement if it names the model, belongs under the key (its author's shard),
    /// is newer than what the table holds of its author, and is not older than
    /// [`RECORD_MAX_AGE`] by its author's clock. Whether it was taken in.
    fn take_record(&self, key: &NodeId, name: &str, r: &Record) -> bool {
        let Ok((author, a)) = wire::open(&self.inner.topic, &r.bytes) else {
            return false;
        };
        if author == self.id() {
            return false;
        }
        let under = a.models.iter().any(|m| m.name.eq_ignore_ascii_case(name))
            && providers::key(name, providers::shard_of(&author)) == *key;
        if !under {
            self.strike(
                &r.holder,
                &format!(
                    "sent the record of {} under a key it does not belong to",
                    author.short()
                ),
            );
            return false;
        }
        let now = crate::ids::now_ms();
        let age_ok = a.clock_ms <= now + CLOCK_AHEAD.as_millis() as u64
            && now.saturating_sub(a.clock_ms) <= RECORD_MAX_AGE.as_millis() as u64;
        let known = self.with_table(|t| {
            t.get(&author)
                .and_then(|p| p.announcement.as_ref())
                .is_some_and(|old| old.seq >= a.seq)
        });
        if !age_ok || known {
            return false;
        }
        self.on_announcement(&r.holder, &r.bytes, false);
        true
    }
}

/// Marks a model's search ended (searched now) when dropped.
struct Ended(Net, String);

impl Drop for Ended {
    fn drop(&mut self) {
        if let Ok(mut s) = self.0.providers().searched.lock() {
            s.insert(std::mem::take(&mut self.1), Some(Instant::now()));
        }
    }
}

/// A reply's kind, for a log line (not its contents: an answer may be large).
fn reply_kind(r: &Reply) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v["type"].as_str().map(String::from))
        .unwrap_or_else(|| "an unknown reply".into())
}

/// The names of the announced models the catalog lists, in the variants it lists, each once.
fn listed_names(net: &Net, a: &wire::Announcement) -> Vec<String> {
    let mut names: Vec<String> = a
        .models
        .iter()
        .filter(|m| {
            net.node().ledger().map_or_else(
                || net.catalog_lists(&m.name),
                |l| l.lists_variant(&format!("{}:{}", m.name, m.quant)),
            )
        })
        .map(|m| m.name.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `Provide` from `peer`: its own sealed announcement, kept under the keys of the catalog's
/// models it serves, by a node among the K closest it knows to them, once the announcement
/// passed every check gossip's do (a flooding or banned author's is not kept).
pub(super) fn serve_provide(net: &Net, peer: NodeId, signed: &str) -> Reply {
    let refuse = |why: String| {
        net.strike(&peer, &format!("provide: {why}"));
        Reply::refused(wire::RefuseCode::Invalid, why)
    };
    if signed.len() > 2 * wire::MAX_ANNOUNCEMENT {
        return refuse(format!(
            "a record of {} bytes exceeds the {}-byte limit",
            signed.len() / 2,
            wire::MAX_ANNOUNCEMENT
        ));
    }
    let bytes = match hex::decode(signed) {
        Ok(b) => b,
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
    // One record per peer per PROVIDE_GAP: each costs signature checks and a pass over the
    // table.
    {
        let mut provided = net.providers().provided.lock().expect("provided");
        if provided
            .get(&peer)
            .is_some_and(|t| t.elapsed() < PROVIDE_GAP)
        {
            return Reply::refused(
                wire::RefuseCode::Busy,
                format!("one record per {}s", PROVIDE_GAP.as_secs()),
            );
        }
        if provided.len() >= providers::MAX_HELD {
            provided.retain(|_, t| t.elapsed() < PROVIDE_GAP);
        }
        if provided.len() < providers::MAX_HELD {
            provided.insert(peer, Instant::now());
        }
    }
    net.on_announcement(&peer, &bytes, true);
    if a.leaving || a.paused {
        net.providers().forget(&author);
        return Reply::Stored { keys: 0 };
    }
    // Only once the table holds this announcement of its author, or a newer one (gossip may
    // have brought that first): one the checks dropped (another network, a flood, a ban) is
    // not kept.
    let current = net.with_table(|t| {
        t.get(&author)
            .and_then(|p| p.announcement.as_ref())
            .is_some_and(|now| now.seq >= a.seq)
    });
    if !current {
        return Reply::Stored { keys: 0 };
    }
    let shard = providers::shard_of(&author);
    let keys: Vec<NodeId> = listed_names(net, &a)
        .iter()
        .take(MODELS_PER_RECORD)
        .map(|n| providers::key(n, shard))
        .collect();
    // A node that knows 2K verified nodes closer to a key is not its holder: a provider's
    // lookup finds those; records sent here are an attempt to fill this store. (2K, not K:
    // some of those may be gone, or out of the provider's reach.)
    let keys: Vec<NodeId> = net.with_table(|t| {
        keys.into_iter()
            .filter(|k| t.closer_than_own(k) < 2 * table::K)
            .collect()
    });
    let body = Arc::new(bytes);
    let now = Instant::now();
    let mut store = net.providers().store.lock().expect("providers");
    let kept = keys
        .iter()
        .filter(|k| store.put(**k, author, body.clone(), now))
        .count();
    Reply::Stored { keys: kept as u32 }
}

/// `GetProviders`: the records held under the key (up to [`wire::MAX_PROVIDER_RECORDS`]
/// bytes of them), and the verified peers closest to it.
pub(super) fn serve_get_providers(net: &Net, peer: NodeId, key: &str, from: u32) -> Reply {
    let Some(key) = crate::ids::hex32(key) else {
        net.strike(&peer, "get_providers: not a key");
        return Reply::refused(wire::RefuseCode::Invalid, "not a key (64 hex digits)");
    };
    let key = NodeId::from_bytes(key);
    let held =
        net.providers()
            .store
            .lock()
            .expect("providers")
            .get(&key, from as usize, Instant::now());
    let mut records = Vec::new();
    let mut bytes = 0;
    for (_, b) in held {
        bytes += 2 * b.len();
        if bytes > wire::MAX_PROVIDER_RECORDS {
            break;
        }
        records.push(hex::encode(b.as_slice()));
    }
    Reply::Providers {
        records,
        nodes: net.with_table(|t| t.closest_verified(&key, table::K)),
    }
}
