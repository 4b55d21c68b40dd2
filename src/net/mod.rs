//! The peer network: iroh QUIC connections between nodes, gossip announcements, the routing
//! table, and the node's own protocol on [`wire::ALPN`] (handshake, remote inference, FIND_NODE,
//! ping).
//!
//! Owns: the iroh endpoint and router, the gossip subscription, the [`table::Table`] of peers,
//! the verified connections, and the background tasks that announce, listen, probe and expire.
//! Reached through cloneable [`Net`] handles. Serving a peer's job goes through the node's engines
//! ([`serve`]); sending a job to a peer is [`remote`]. It never touches HTTP.
//!
//! ## Lifecycle
//! [`Net::start`] binds the endpoint, subscribes to the network's gossip topic (bootstrapped from
//! the `--join` tickets and mDNS), and spawns the tasks. [`Net::shutdown`] announces that the node
//! leaves, then closes the router and endpoint.
//!
//! ## Trust
//! A connection is used for jobs only after the handshake: both sides prove the network secret
//! over both (QUIC-authenticated) ids. A node that cannot is refused and logged, and no prompt is
//! ever sent to it. Announcements are signed by their author over the network's topic.

pub mod remote;
pub mod serve;
pub mod table;
pub mod wire;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use futures_util::StreamExt;
use iroh::address_lookup::memory::MemoryLookup;
use iroh::endpoint::{Connection, QuicTransportConfig, presets};
use iroh::{Endpoint, EndpointAddr, PublicKey, RelayMode, SecretKey};
use iroh_gossip::api::{Event as GossipEvent, GossipSender};
use iroh_gossip::net::Gossip;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::config::UsageError;
use crate::node::Node;
use table::{Health, Table, Weights};
use wire::{Announcement, Contact, Reply, Request};

/// A fetch of a peer's ledger entries (see [`Net::fetch_chain`]).
pub type ChainFetch<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>>;

/// How the network part of a node is set up.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Where known peers are remembered across restarts (`peers.json` in the data dir).
    pub peers_file: Option<std::path::PathBuf>,
    pub listen: String,
    pub relay: String,
    pub join: Vec<String>,
    pub mdns: bool,
    pub network: String,
    pub secret: String,
    pub announce_interval: Duration,
    pub peer_expiry: Duration,
    pub weights: Weights,
    /// The shortest stall timeout, and the multiple of a peer's mean time between tokens that
    /// counts as a stall (see [`remote`]).
    pub stall_min: Duration,
    pub stall_factor: f64,
    /// The credit policy's fingerprint; peers must have the same.
    pub policy: String,
}

/// What `llp invite` prints and `--join` takes: how to reach a node and which network it is in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ticket {
    pub network: String,
    /// Present when the inviter chose to share it; otherwise the joiner passes `--network-secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(flatten)]
    pub contact: Contact,
}

const TICKET_PREFIX: &str = "llp1";

impl Ticket {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("tickets serialize");
        format!(
            "{TICKET_PREFIX}{}",
            data_encoding::BASE32_NOPAD.encode(&json).to_lowercase()
        )
    }

    pub fn decode(s: &str) -> Result<Ticket, String> {
        let s = s.trim();
        let body = s.strip_prefix(TICKET_PREFIX).ok_or_else(|| {
            format!("`{}` is not an llp ticket (they start with `{TICKET_PREFIX}`; get one from `llp invite`)", short(s))
        })?;
        let bytes = data_encoding::BASE32_NOPAD
            .decode(body.to_uppercase().as_bytes())
            .map_err(|e| {
                format!("ticket is damaged (not base32: {e}); copy it again from `llp invite`")
            })?;
        let t: Ticket = serde_json::from_slice(&bytes)
            .map_err(|e| format!("ticket is damaged ({e}); copy it again from `llp invite`"))?;
        parse_id(&t.contact.id).map_err(|e| format!("ticket: {e}"))?;
        Ok(t)
    }
}

fn short(s: &str) -> String {
    s.chars().take(24).collect()
}

/// A hex node id as key bytes.
pub fn parse_id(id: &str) -> Result<[u8; 32], String> {
    let b = hex::decode(id).map_err(|_| format!("`{}` is not a hex node id", short(id)))?;
    b.try_into()
        .map_err(|_| format!("`{}` is not a 32-byte node id", short(id)))
}

/// The cached outgoing connection to one peer, locked while dialing.
type Slot = Arc<tokio::sync::Mutex<Option<Connection>>>;

/// A handle to the network. Clone freely.
#[derive(Clone)]
pub struct Net {
    inner: Arc<Inner>,
}

struct Inner {
    config: NetConfig,
    key: SecretKey,
    endpoint: Endpoint,
    memory: MemoryLookup,
    gossip: Gossip,
    router: OnceLock<iroh::protocol::Router>,
    sender: OnceLock<GossipSender>,
    topic: [u8; 32],
    table: Mutex<Table>,
    /// Verified outgoing connections, by peer id.
    /// One slot per peer: dials to the same peer wait for each other (and share the result),
    /// dials to different peers never do, so one unreachable peer cannot delay the others.
    conns: Mutex<HashMap<[u8; 32], Slot>>,
    /// Verified connections peers opened to us. Used first: they work even when dialing the
    /// peer does not (it is behind a NAT, or it restarted and iroh still tries its old path).
    inbound: Mutex<HashMap<[u8; 32], Connection>>,
    /// Protocol violations by peers not (or no longer) in the table.
    strikes: Mutex<HashMap<[u8; 32], (u32, String)>>,
    /// Announcements per author in the current flood window.
    flood: Mutex<(Instant, HashMap<[u8; 32], u32>)>,
    seq: AtomicU64,
    /// Dials to verify newly announced peers, a few at a time.
    dials: tokio::sync::Semaphore,
    /// Peers' prompts being tokenized, a few at a time.
    prepares: tokio::sync::Semaphore,
    /// The last announcement sent, sealed: what `GetAnnouncement` answers (cheap to serve).
    sealed: Mutex<Vec<u8>>,
    /// When the last announcement went out, and whether a change waits to be announced.
    last_broadcast: Mutex<Instant>,
    change_pending: AtomicBool,
    node: Node,
    shutdown: CancellationToken,
}

/// A peer, as status shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerStatus {
    pub id: String,
    /// `direct`, `relay`, or `unknown` before the first connection.
    pub address: String,
    pub addrs: Vec<String>,
    pub rtt_ms: Option<f64>,
    pub health: Health,
    pub paused: bool,
    pub version: String,
    pub models: Vec<wire::ModelAd>,
    pub load: f64,
    pub score: Option<f64>,
    pub reliability: f64,
    pub inflight: u32,
    pub strikes: u32,
    /// The seq and balance of the latest ledger head it signed that this node saw.
    pub ledger_seq: Option<u64>,
    pub balance: Option<u64>,
    pub last_heard_s: f64,
}

/// A peer that broke the protocol, for status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Misbehaviour {
    pub peer: String,
    pub strikes: u32,
    pub last: String,
}

/// Most announcements one author may send per window before the excess counts as flooding.
const FLOOD_LIMIT: u32 = 20;
const FLOOD_WINDOW: Duration = Duration::from_secs(10);
/// Peers remembered across restarts at most.
const MAX_REMEMBERED: usize = 64;
/// Peers whose protocol violations are remembered at most (the least-struck are forgotten).
const MAX_STRIKE_RECORDS: usize = 4096;
/// How long a banned peer stays out of routing (its strike record may be forgotten sooner).
const BAN_TIME: Duration = Duration::from_secs(24 * 3600);
/// Strikes after which a peer's connections are refused at the handshake.
const BAN_STRIKES: u32 = 5;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl Net {
    /// Binds the endpoint and starts the network tasks. `key` is the node key.
    pub async fn start(config: NetConfig, key: [u8; 32], node: Node) -> anyhow::Result<Net> {
        let secret = SecretKey::from_bytes(&key);
        let memory = MemoryLookup::new();
        let mut builder = match config.relay.as_str() {
            "default" => Endpoint::builder(presets::N0),
            _ => Endpoint::builder(presets::Minimal),
        };
        if config.relay.starts_with("http") {
            let url = config
                .relay
                .parse()
                .map_err(|e| UsageError(format!("--relay {}: {e}", config.relay)))?;
            builder = builder.relay_mode(RelayMode::custom([url]));
        }
        if config.relay == "disabled" {
            builder = builder
                .relay_mode(RelayMode::Disabled)
                .portmapper_config(iroh::endpoint::PortmapperConfig::Disabled)
                .net_report_config(iroh::NetReportConfig::minimal());
        }
        let listen: SocketAddr = config.listen.parse().map_err(|_| {
            UsageError(format!(
                "--listen / LLP_LISTEN: `{}` is not an address like 0.0.0.0:0",
                config.listen
            ))
        })?;
        builder = builder
            .secret_key(secret.clone())
            .clear_ip_transports()
            .bind_addr(listen)
            .map_err(|e| UsageError(format!("--listen {listen}: {e}")))?
            .address_lookup(memory.clone())
            .transport_config(
                QuicTransportConfig::builder()
                    .max_idle_timeout(Some(Duration::from_secs(20).try_into()?))
                    .keep_alive_interval(Duration::from_secs(2))
                    .build(),
            );
        let endpoint = builder
            .bind()
            .await
            .with_context(|| format!("binding the P2P endpoint on {listen}"))?;
        let gossip = Gossip::builder()
            .max_message_size(wire::MAX_ANNOUNCEMENT + 1024)
            .spawn(endpoint.clone());
        let own = *endpoint.id().as_bytes();
        let net = Net {
            inner: Arc::new(Inner {
                topic: wire::topic(&config.network, &config.secret),
                table: Mutex::new(Table::new(own, config.weights)),
                config,
                key: secret,
                endpoint: endpoint.clone(),
                memory,
                gossip: gossip.clone(),
                router: OnceLock::new(),
                sender: OnceLock::new(),
                conns: Mutex::new(HashMap::new()),
                inbound: Mutex::new(HashMap::new()),
                strikes: Mutex::new(HashMap::new()),
                flood: Mutex::new((Instant::now(), HashMap::new())),
                seq: AtomicU64::new(crate::node::unix_now() * 1000),
                dials: tokio::sync::Semaphore::new(8),
                prepares: tokio::sync::Semaphore::new(4),
                sealed: Mutex::new(Vec::new()),
                last_broadcast: Mutex::new(Instant::now()),
                change_pending: AtomicBool::new(false),
                node,
                shutdown: CancellationToken::new(),
            }),
        };
        let router = iroh::protocol::Router::builder(endpoint)
            .accept(wire::ALPN, serve::Handler(net.clone()))
            .accept(iroh_gossip::ALPN, gossip)
            .spawn();
        let _ = net.inner.router.set(router);

        // Peers from tickets: their addresses go into the lookup, their ids bootstrap gossip.
        let mut bootstrap = Vec::new();
        for t in &net.inner.config.join {
            let t = Ticket::decode(t).map_err(UsageError)?;
            let id = parse_id(&t.contact.id).map_err(UsageError)?;
            net.remember(&t.contact);
            net.inner.table.lock().expect("table").add_contact(
                t.contact.clone(),
                id,
                Instant::now(),
            );
            bootstrap.push(PublicKey::from_bytes(&id)?);
        }
        // Peers known before a restart: a node that was the bootstrap of others (and whose
        // port changed) finds them again without a ticket.
        for c in net.load_peers() {
            let Ok(id) = parse_id(&c.id) else { continue };
            if id == own || bootstrap.iter().any(|b| b.as_bytes() == &id) {
                continue;
            }
            net.remember(&c);
            net.with_table(|t| t.add_contact(c.clone(), id, Instant::now()));
            if let Ok(pk) = PublicKey::from_bytes(&id) {
                bootstrap.push(pk);
            }
        }
        let topic = net
            .inner
            .gossip
            .subscribe(net.inner.topic.into(), bootstrap.clone())
            .await
            .context("subscribing to the network's gossip topic")?;
        let (sender, receiver) = topic.split();
        let _ = net.inner.sender.set(sender);
        tokio::spawn(net.clone().listen(receiver));
        tokio::spawn(net.clone().announce_loop());
        tokio::spawn(net.clone().maintain());
        if net.inner.config.mdns {
            tokio::spawn(net.clone().mdns());
        }
        for id in bootstrap {
            let net = net.clone();
            tokio::spawn(async move {
                if let Err(e) = net.connect(id.as_bytes()).await {
                    tracing::warn!("joining through {}: {e}", id.fmt_short());
                } else {
                    net.find_nodes(id.as_bytes()).await;
                }
            });
        }
        Ok(net)
    }

    pub fn id(&self) -> [u8; 32] {
        *self.inner.endpoint.id().as_bytes()
    }

    pub fn config(&self) -> &NetConfig {
        &self.inner.config
    }

    pub fn node(&self) -> &Node {
        &self.inner.node
    }

    pub(crate) fn key(&self) -> &SecretKey {
        &self.inner.key
    }

    /// The peers remembered from the last run (missing or unreadable file: none, with a warning
    /// for the latter).
    fn load_peers(&self) -> Vec<Contact> {
        let Some(path) = &self.inner.config.peers_file else {
            return Vec::new();
        };
        match std::fs::read(path) {
            Ok(bytes) => match serde_json::from_slice::<Vec<Contact>>(&bytes) {
                Ok(v) => v.into_iter().take(MAX_REMEMBERED).collect(),
                Err(e) => {
                    tracing::warn!(
                        "{}: not a list of peers ({e}); starting without it",
                        path.display()
                    );
                    Vec::new()
                }
            },
            Err(_) => Vec::new(),
        }
    }

    /// Remembers the healthy peers that announced themselves, for the next start.
    fn save_peers(&self) {
        let Some(path) = self.inner.config.peers_file.clone() else {
            return;
        };
        let peers: Vec<Contact> = self.with_table(|t| {
            t.peers()
                .filter(|p| {
                    p.health == Health::Ok
                        && p.announcement.is_some()
                        && !p.contact.addrs.is_empty()
                })
                .take(MAX_REMEMBERED)
                .map(|p| p.contact.clone())
                .collect()
        });
        let tmp = path.with_extension("json.tmp");
        let body = serde_json::to_vec_pretty(&peers).expect("contacts serialize");
        if let Err(e) = std::fs::write(&tmp, body).and_then(|_| std::fs::rename(&tmp, &path)) {
            tracing::warn!("remembering peers in {}: {e}", path.display());
        }
    }

    /// This node's contact: its id and the addresses it is bound to (loopback included, which
    /// iroh leaves out of its own address when other interfaces exist).
    pub fn contact(&self) -> Contact {
        let ep = &self.inner.endpoint;
        let mut addrs: Vec<SocketAddr> = ep.addr().ip_addrs().copied().collect();
        for s in ep.bound_sockets() {
            if s.ip().is_unspecified() {
                let lo = SocketAddr::new(
                    if s.is_ipv4() {
                        std::net::Ipv4Addr::LOCALHOST.into()
                    } else {
                        std::net::Ipv6Addr::LOCALHOST.into()
                    },
                    s.port(),
                );
                if !addrs.contains(&lo) {
                    addrs.push(lo);
                }
            } else if !addrs.contains(&s) {
                addrs.push(s);
            }
        }
        Contact {
            id: hex::encode(self.id()),
            addrs,
            relay: ep.addr().relay_urls().next().map(|u| u.to_string()),
        }
    }

    /// The invite ticket of this node (with the network secret when `with_secret`).
    pub fn ticket(&self, with_secret: bool) -> String {
        let c = &self.inner.config;
        Ticket {
            network: c.network.clone(),
            secret: (with_secret && !c.secret.is_empty()).then(|| c.secret.clone()),
            contact: self.contact(),
        }
        .encode()
    }

    /// Adds a contact's addresses to the endpoint's lookup, so iroh and gossip can dial it.
    fn remember(&self, c: &Contact) {
        let Ok(id) = parse_id(&c.id) else { return };
        let Ok(pk) = PublicKey::from_bytes(&id) else {
            return;
        };
        let mut addr = EndpointAddr::new(pk);
        for a in &c.addrs {
            addr = addr.with_ip_addr(*a);
        }
        if let Some(r) = c.relay.as_ref().and_then(|r| r.parse().ok()) {
            addr = addr.with_relay_url(r);
        }
        // Replace, not merge: a restarted peer's old addresses are dead and would be dialed first.
        self.inner.memory.set_endpoint_info(addr);
    }

    pub fn with_table<R>(&self, f: impl FnOnce(&mut Table) -> R) -> R {
        f(&mut self.inner.table.lock().expect("table lock"))
    }

    /// Records a protocol violation by `peer`, with the reason, in the log and its reputation.
    pub fn strike(&self, peer: &[u8; 32], reason: &str) {
        let short = hex::encode(&peer[..5]);
        tracing::warn!("peer {short}: {reason}; its reputation drops");
        let count = {
            let mut s = self.inner.strikes.lock().expect("strikes");
            if s.len() >= MAX_STRIKE_RECORDS && !s.contains_key(peer) {
                // Bounded: forget the least-struck record to make room.
                if let Some(k) = s.iter().min_by_key(|(_, (n, _))| *n).map(|(k, _)| *k) {
                    s.remove(&k);
                }
            }
            let e = s.entry(*peer).or_insert((0, String::new()));
            e.0 = e.0.saturating_add(1);
            e.1 = reason.chars().take(300).collect();
            e.0
        };
        let now = Instant::now();
        self.with_table(|t| {
            t.failure(peer, reason, now);
            if let Some(p) = t.get_mut(peer) {
                p.strikes = count;
                if count >= BAN_STRIKES {
                    p.health = Health::Evicted {
                        reason: format!("banned after {count} protocol violations; last: {reason}"),
                        retry_in_s: BAN_TIME.as_secs(),
                    };
                    p.retry_at = Some(now + BAN_TIME);
                }
            }
            t.invalidate();
        });
    }

    pub fn misbehaving(&self) -> Vec<Misbehaviour> {
        let mut v: Vec<Misbehaviour> = self
            .inner
            .strikes
            .lock()
            .expect("strikes")
            .iter()
            .map(|(id, (n, last))| Misbehaviour {
                peer: hex::encode(id),
                strikes: *n,
                last: last.clone(),
            })
            .collect();
        v.sort_by(|a, b| a.peer.cmp(&b.peer));
        v
    }

    /// Whether `peer` has misbehaved so often that it is refused, or forked its ledger.
    pub fn banned(&self, peer: &[u8; 32]) -> bool {
        if self
            .inner
            .node
            .ledger()
            .is_some_and(|l| l.is_equivocator(peer))
        {
            return true;
        }
        self.inner
            .strikes
            .lock()
            .expect("strikes")
            .get(peer)
            .is_some_and(|(n, _)| *n >= BAN_STRIKES)
    }

    /// A verified connection to `peer`: reuses a live one, else dials and runs the handshake.
    /// Failures mark the peer unreachable, with the reason, for status.
    pub async fn connect(&self, peer: &[u8; 32]) -> anyhow::Result<Connection> {
        anyhow::ensure!(
            !self.banned(peer),
            "banned after repeated protocol violations"
        );
        if let Some(c) = self.inbound_connection(peer) {
            return Ok(c);
        }
        let slot = self.slot(peer);
        let mut cached = slot.lock().await;
        if let Some(c) = cached.as_ref()
            && c.close_reason().is_none()
        {
            return Ok(c.clone());
        }
        *cached = None;
        tracing::debug!("dialing {}", hex::encode(&peer[..5]));
        let result = tokio::time::timeout(CONNECT_TIMEOUT, self.dial(peer)).await;
        let result = match result {
            Ok(r) => r,
            Err(_) => Err(anyhow::anyhow!(
                "no answer within {}s (is it running, and is its UDP port reachable?)",
                CONNECT_TIMEOUT.as_secs()
            )),
        };
        match result {
            Ok(conn) => {
                self.observe_path(peer, &conn);
                self.with_table(|t| {
                    if let Some(p) = t.get_mut(peer)
                        && !matches!(p.health, Health::Evicted { .. })
                    {
                        p.health = Health::Ok;
                    }
                });
                *cached = Some(conn.clone());
                tokio::spawn(serve::serve_streams(self.clone(), *peer, conn.clone()));
                Ok(conn)
            }
            Err(e) => {
                let reason = format!("{e:#}");
                self.with_table(|t| {
                    if let Some(p) = t.get_mut(peer)
                        && !matches!(p.health, Health::Evicted { .. })
                    {
                        p.health = Health::Unreachable {
                            reason: reason.clone(),
                        };
                    }
                });
                Err(e)
            }
        }
    }

    async fn dial(&self, peer: &[u8; 32]) -> anyhow::Result<Connection> {
        let pk = PublicKey::from_bytes(peer)?;
        let conn = self
            .inner
            .endpoint
            .connect(pk, wire::ALPN)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect: {e}"))?;
        let (mut tx, mut rx) = conn.open_bi().await?;
        let c = &self.inner.config;
        let own = self.inner.endpoint.id();
        wire::write(
            &mut tx,
            &Request::Hello {
                version: wire::VERSION,
                network: c.network.clone(),
                proof: wire::proof(&c.network, &c.secret, &own, &pk),
                policy: c.policy.clone(),
            },
        )
        .await?;
        let reply: Option<Reply> = wire::read(&mut rx, wire::MAX_SMALL_FRAME).await?;
        match reply {
            Some(Reply::Welcome {
                version,
                proof,
                policy,
            }) => {
                anyhow::ensure!(
                    version == wire::VERSION,
                    "it speaks protocol version {version}, we speak {}",
                    wire::VERSION
                );
                anyhow::ensure!(
                    policy == c.policy,
                    "its credit policy ({policy}) differs from ours ({}): the nodes of a network \
                     need the same [credits] settings",
                    c.policy
                );
                if !wire::proofs_match(&proof, &wire::proof(&c.network, &c.secret, &pk, &own)) {
                    // It claims membership without proving the secret: never send it a prompt.
                    conn.close(1u32.into(), b"network proof mismatch");
                    self.strike(
                        peer,
                        "answered the handshake without proving the network secret",
                    );
                    anyhow::bail!(
                        "refused: it could not prove the secret of network `{}`",
                        c.network
                    );
                }
                Ok(conn)
            }
            Some(Reply::Refused { code, message }) => {
                anyhow::bail!("refused us ({code}): {message}")
            }
            Some(other) => anyhow::bail!("answered the handshake with {other:?}"),
            None => anyhow::bail!("closed the handshake stream"),
        }
    }

    fn inbound_connection(&self, peer: &[u8; 32]) -> Option<Connection> {
        let mut inbound = self.inner.inbound.lock().expect("inbound lock");
        match inbound.get(peer) {
            Some(c) if c.close_reason().is_none() => Some(c.clone()),
            Some(_) => {
                inbound.remove(peer);
                None
            }
            None => None,
        }
    }

    fn slot(&self, peer: &[u8; 32]) -> Slot {
        self.inner
            .conns
            .lock()
            .expect("conns lock")
            .entry(*peer)
            .or_default()
            .clone()
    }

    /// Drops the cached connection to `peer` (it failed, or the peer restarted elsewhere), so
    /// the next use dials afresh instead of waiting on a dead connection.
    /// `which`: only that connection (the one that failed); `None`: any (the peer is gone).
    /// A connection the peer opened since the failure is kept. A dial in progress holds the
    /// slot and will cache a fresh connection.
    pub async fn forget_connection(&self, peer: &[u8; 32], which: Option<&Connection>) {
        let matches = |c: &Connection| which.is_none_or(|w| w.stable_id() == c.stable_id());
        {
            let mut inbound = self.inner.inbound.lock().expect("inbound lock");
            if inbound.get(peer).is_some_and(matches)
                && let Some(c) = inbound.remove(peer)
            {
                c.close(0u32.into(), b"forgotten");
            }
        }
        let slot = self.slot(peer);
        if let Ok(mut cached) = slot.try_lock()
            && cached.as_ref().is_some_and(matches)
            && let Some(c) = cached.take()
        {
            c.close(0u32.into(), b"forgotten");
        }
        if which.is_none() {
            self.inner.conns.lock().expect("conns lock").remove(peer);
        }
        if let Some(w) = which {
            w.close(0u32.into(), b"failed");
        }
    }

    /// Records the connection's selected path: RTT, and whether it goes through a relay.
    fn observe_path(&self, peer: &[u8; 32], conn: &Connection) {
        let (rtt, relayed) = {
            let paths = conn.paths();
            match paths.iter().find(|p| p.is_selected()) {
                Some(p) => (Some(p.rtt()), p.is_relay()),
                None => (None, false),
            }
        };
        self.with_table(|t| {
            if let Some(p) = t.get_mut(peer) {
                if rtt.is_some() {
                    p.rtt = rtt;
                }
                p.relayed = relayed;
            }
        });
    }

    /// Asks `peer` for the contacts closest to our id and adds them to the table and gossip.
    async fn find_nodes(&self, peer: &[u8; 32]) {
        let target = hex::encode(self.id());
        let Ok(reply) = self.call(peer, &Request::FindNode { target }).await else {
            return;
        };
        let Reply::Nodes { nodes } = reply else {
            self.strike(peer, "answered FIND_NODE with something else");
            return;
        };
        let mut new = Vec::new();
        for c in nodes.into_iter().take(table::K) {
            let Ok(id) = parse_id(&c.id) else {
                self.strike(peer, "sent a contact with a malformed id");
                return;
            };
            // Only new contacts: a reply cannot rewrite the addresses of peers we know.
            let added = self.with_table(|t| {
                t.get(&id).is_none() && t.add_contact(c.clone(), id, Instant::now())
            });
            if added && let Ok(pk) = PublicKey::from_bytes(&id) {
                self.remember(&c);
                new.push(pk);
            }
        }
        if !new.is_empty()
            && let Some(s) = self.inner.sender.get()
        {
            let _ = s.join_peers(new).await;
        }
    }

    /// One request, one reply, on a fresh stream of the verified connection.
    async fn call(&self, peer: &[u8; 32], req: &Request) -> anyhow::Result<Reply> {
        let conn = self.connect(peer).await?;
        call_on(&conn, req).await
    }

    /// The announcement of this node as it is now.
    fn announcement(&self, leaving: bool) -> Announcement {
        let node = &self.inner.node;
        let profile = node.devices();
        let contact = self.contact();
        Announcement {
            seq: self.inner.seq.fetch_add(1, Ordering::Relaxed),
            network: self.inner.config.network.clone(),
            version: crate::node::VERSION.into(),
            addrs: contact.addrs,
            relay: contact.relay,
            paused: node.paused(),
            leaving,
            models: node.model_ads(),
            ledger: node.ledger().map(|l| l.head()),
            equivocations: node
                .ledger()
                .map(|l| {
                    // The newest few: an announcement is bounded.
                    let mut v: Vec<_> = l.equivocators().into_iter().map(|e| e.proof).collect();
                    v.truncate(8);
                    v
                })
                .unwrap_or_default(),
            capability: wire::Capability {
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
            },
        }
    }

    /// This node's announcement, sealed.
    /// The last one sent, so serving it costs nothing (empty until the first is sent).
    pub(crate) fn sealed_announcement(&self) -> Vec<u8> {
        self.inner.sealed.lock().expect("sealed lock").clone()
    }

    /// A peer completed the handshake with us: record it and fetch its announcement directly,
    /// so it can serve jobs without waiting for gossip to carry one.
    pub(crate) fn introduced(&self, peer: &[u8; 32], conn: &Connection) {
        let addrs: Vec<SocketAddr> = conn
            .paths()
            .iter()
            .filter_map(|p| match p.remote_addr() {
                iroh::TransportAddr::Ip(a) => Some(*a),
                _ => None,
            })
            .collect();
        let contact = Contact {
            id: hex::encode(peer),
            addrs,
            relay: None,
        };
        let known = self.with_table(|t| t.get(peer).is_some());
        if !known {
            self.remember(&contact);
            self.with_table(|t| t.add_contact(contact, *peer, Instant::now()));
        }
        tracing::debug!("peer {} introduced itself", hex::encode(&peer[..5]));
        // It proved the secret: its connection serves our requests to it too (and is the only
        // way back to a peer behind a NAT).
        self.inner
            .inbound
            .lock()
            .expect("inbound lock")
            .insert(*peer, conn.clone());
        self.with_table(|t| {
            if let Some(p) = t.get_mut(peer) {
                // A fresh, verified connection: failures counted against an earlier one (a
                // peer that restarted) no longer count. An eviction still runs its back-off.
                let now = Instant::now();
                if p.fresh_start
                    .is_none_or(|t| now.saturating_duration_since(t) > Duration::from_secs(60))
                {
                    p.failures_in_row = 0;
                    p.fresh_start = Some(now);
                }
                if !matches!(p.health, Health::Evicted { .. } | Health::Ok) {
                    p.health = Health::Ok;
                }
            }
        });
        let net = self.clone();
        let peer = *peer;
        tokio::spawn(async move {
            // Give the peer a moment to finish starting before asking.
            tokio::time::sleep(Duration::from_millis(100)).await;
            net.pull_announcement(&peer).await;
            if let (Some(s), Ok(pk)) = (net.inner.sender.get(), PublicKey::from_bytes(&peer)) {
                let _ = s.join_peers(vec![pk]).await;
            }
        });
    }

    pub(crate) async fn prepare_permit(
        &self,
    ) -> Result<tokio::sync::SemaphorePermit<'_>, tokio::sync::AcquireError> {
        self.inner.prepares.acquire().await
    }

    /// A peer's connection to us ended: forget it (if it is still the one we hold).
    pub(crate) fn closed_inbound(&self, peer: &[u8; 32], conn: &Connection) {
        let mut inbound = self.inner.inbound.lock().expect("inbound lock");
        if inbound
            .get(peer)
            .is_some_and(|c| c.stable_id() == conn.stable_id())
        {
            inbound.remove(peer);
        }
    }

    /// Asks `peer` for its announcement and handles it as if gossip had brought it.
    async fn pull_announcement(&self, peer: &[u8; 32]) {
        match self.call(peer, &Request::GetAnnouncement).await {
            Ok(Reply::Announcement { signed }) => {
                if let Ok((author, _)) = wire::open(&self.inner.topic, &signed)
                    && author.as_bytes() != peer
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
                tracing::debug!("announcement of {}: {message}", hex::encode(&peer[..5]))
            }
            Ok(other) => self.strike(peer, &format!("answered get_announcement with {other:?}")),
            Err(e) => tracing::debug!("announcement of {}: {e:#}", hex::encode(&peer[..5])),
        }
    }

    async fn broadcast(&self, leaving: bool) {
        // Reading the devices may touch NVML or sysfs: off the async threads.
        let net = self.clone();
        let Ok(bytes) = tokio::task::spawn_blocking(move || {
            let a = net.announcement(leaving);
            wire::seal(&net.inner.key, &net.inner.topic, &a)
        })
        .await
        else {
            return;
        };
        if !leaving {
            *self.inner.sealed.lock().expect("sealed lock") = bytes.clone();
        }
        *self.inner.last_broadcast.lock().expect("last broadcast") = Instant::now();
        if let Some(s) = self.inner.sender.get()
            && let Err(e) = s.broadcast(Bytes::from(bytes)).await
        {
            tracing::debug!("announcing: {e}");
        }
    }

    /// Announces now (after a change such as pausing), besides the periodic announcements.
    pub fn announce_soon(&self) {
        let net = self.clone();
        tokio::spawn(async move { net.broadcast(false).await });
    }

    /// Announces a change of the ledger soon, at most once a second beyond the periodic
    /// announcements (peers count floods).
    pub fn announce_changed(&self) {
        if self.inner.change_pending.swap(true, Ordering::SeqCst) {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            self.inner.change_pending.store(false, Ordering::SeqCst);
            return;
        };
        let net = self.clone();
        rt.spawn(async move {
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

    /// Fetches a peer's ledger entries after `after` for an audit, bounded in count.
    ///
    /// A boxed future of a named type: serving a job audits, auditing dials, and dialing serves
    /// streams, so the compiler needs this link's type spelled out to see the cycle is `Send`.
    pub fn fetch_chain(
        &self,
        peer: [u8; 32],
        after: Option<u64>,
        sink: tokio::sync::mpsc::Sender<Vec<Vec<u8>>>,
    ) -> ChainFetch<'_> {
        Box::pin(self.fetch_chain_inner(peer, after, sink))
    }

    async fn fetch_chain_inner(
        &self,
        peer: [u8; 32],
        after: Option<u64>,
        sink: tokio::sync::mpsc::Sender<Vec<Vec<u8>>>,
    ) -> Result<(), String> {
        let conn = self.connect(&peer).await.map_err(|e| format!("{e:#}"))?;
        let (mut tx, mut rx) = conn.open_bi().await.map_err(|e| e.to_string())?;
        wire::write(&mut tx, &Request::GetChain { after })
            .await
            .map_err(|e| e.to_string())?;
        let _ = tx.finish();
        loop {
            let frame = tokio::select! {
                f = tokio::time::timeout(
                    Duration::from_secs(30),
                    wire::read::<Reply, _>(&mut rx, wire::MAX_SMALL_FRAME),
                ) => f,
                // The verifier stopped at a bad entry: no need to wait for more.
                _ = sink.closed() => return Ok(()),
            };
            let frame = frame
                .map_err(|_| "its chain did not arrive in time".to_string())?
                .map_err(|e| e.to_string())?;
            match frame {
                Some(Reply::Entries { entries }) => {
                    let raws = entries
                        .iter()
                        .map(hex::decode)
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|_| "an entry is not hex".to_string())?;
                    // The verifier stopped (a bad entry): it says why.
                    if sink.send(raws).await.is_err() {
                        return Ok(());
                    }
                }
                Some(Reply::ChainEnd) => return Ok(()),
                Some(Reply::Refused { message, .. }) => return Err(message),
                Some(other) => return Err(format!("answered GetChain with {other:?}")),
                None => return Err("closed the stream before the end of its chain".into()),
            }
        }
    }

    async fn announce_loop(self) {
        let mut tick = tokio::time::interval(self.inner.config.announce_interval);
        loop {
            tokio::select! {
                _ = self.inner.shutdown.cancelled() => return,
                _ = tick.tick() => self.broadcast(false).await,
            }
        }
    }

    /// Reads gossip: verifies, rate-limits and records announcements.
    async fn listen(self, mut rx: iroh_gossip::api::GossipReceiver) {
        loop {
            let ev = tokio::select! {
                _ = self.inner.shutdown.cancelled() => return,
                ev = rx.next() => ev,
            };
            let Some(ev) = ev else { return };
            match ev {
                Ok(GossipEvent::Received(m)) => {
                    let from = *m.delivered_from.as_bytes();
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

    /// Handles a sealed announcement. `direct`: `from` is its publisher (a direct gossip
    /// neighbour or a peer we asked), so a bad one is its fault; a relayed bad one is only
    /// logged, since gossip relays do not check what they pass on.
    fn on_announcement(&self, from: &[u8; 32], content: &[u8], direct: bool) {
        let (author, a) = match wire::open(&self.inner.topic, content) {
            Ok(x) => x,
            Err(e) if direct => {
                self.strike(from, &format!("sent a bad announcement: {e}"));
                return;
            }
            Err(e) => {
                tracing::warn!(
                    "dropped a bad announcement relayed by {}: {e}",
                    hex::encode(&from[..5])
                );
                return;
            }
        };
        let author = *author.as_bytes();
        if a.network != self.inner.config.network {
            self.strike(
                &author,
                &format!("announced network `{}` on ours", a.network),
            );
            return;
        }
        {
            let mut f = self.inner.flood.lock().expect("flood");
            if f.0.elapsed() > FLOOD_WINDOW {
                *f = (Instant::now(), HashMap::new());
            }
            let n = f.1.entry(author).or_insert(0);
            *n += 1;
            // A network's nodes share their settings: announcing faster than 20 per window
            // (an interval under 500 ms) is no flood where this node does so itself. Twice
            // its own rate leaves room for announcements of changes, which come at most once a
            // second, and for a window that catches one more periodic announcement.
            let own = (2 * FLOOD_WINDOW.as_millis()
                / self.inner.config.announce_interval.as_millis().max(1))
                as u32;
            // The config's floor (100 ms) bounds it: 201 at most.
            let limit = FLOOD_LIMIT.max(own.min(200) + 1);
            if *n > limit {
                let n = *n;
                drop(f);
                if n == limit + 1 || n.is_multiple_of(50) {
                    self.strike(
                        &author,
                        &format!(
                            "flooded {n} announcements within {}s",
                            FLOOD_WINDOW.as_secs()
                        ),
                    );
                }
                return;
            }
        }
        if self.banned(&author) {
            return;
        }
        if let Some(ledger) = self.inner.node.ledger() {
            if let Some(h) = &a.ledger {
                if h.owner != author {
                    self.strike(&author, "announced another node's ledger head");
                    return;
                }
                match ledger.observe_head(h) {
                    Ok(Some(_)) => {
                        self.announce_changed();
                        self.with_table(|t| t.remove(&author));
                        return;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        self.strike(&author, &e);
                        return;
                    }
                }
            }
            for p in &a.equivocations {
                // Only proofs about nodes this one knows: a flood of proofs about made-up keys
                // must not crowd out the real ones.
                let known = self.with_table(|t| t.get(&p.a.owner).is_some())
                    || ledger.peer_head(&p.a.owner).is_some();
                if !known {
                    continue;
                }
                match ledger.adopt(p.clone()) {
                    Ok(Some(p)) => {
                        self.announce_changed();
                        let id = p.a.owner;
                        self.with_table(|t| t.remove(&id));
                    }
                    Ok(None) => {}
                    Err(e) => {
                        self.strike(&author, &format!("sent a false equivocation proof: {e}"))
                    }
                }
            }
        }
        if a.leaving {
            // Only a leave newer than what we know counts: an old one replayed is noise.
            let newer = self.with_table(|t| {
                t.get(&author)
                    .and_then(|p| p.announcement.as_ref())
                    .is_some_and(|old| a.seq > old.seq)
            });
            if newer {
                tracing::info!("peer {} left the network", hex::encode(&author[..5]));
                self.with_table(|t| t.remove(&author));
                let net = self.clone();
                tokio::spawn(async move { net.forget_connection(&author, None).await });
            }
            return;
        }
        let contact = Contact {
            id: hex::encode(author),
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
        self.inner.node.capacity().notify_waiters();
        if verify {
            let net = self.clone();
            tokio::spawn(async move {
                // Verification dials are few at a time: a flood of new ids costs little.
                let Ok(_permit) = net.inner.dials.acquire().await else {
                    return;
                };
                if let Err(e) = net.connect(&author).await {
                    tracing::info!("peer {}: {e:#}", hex::encode(&author[..5]));
                }
            });
        }
    }

    /// Every announce interval: expire quiet peers, probe the others (ping, RTT), retry the
    /// unreachable, and readmit evicted peers whose back-off ended and who answer again.
    async fn maintain(self) {
        let mut tick = tokio::time::interval(self.inner.config.announce_interval);
        let mut rounds = 0u64;
        loop {
            tokio::select! {
                _ = self.inner.shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            rounds += 1;
            let now = Instant::now();
            if rounds.is_multiple_of(6) {
                let net = self.clone();
                let _ = tokio::task::spawn_blocking(move || net.save_peers()).await;
            }
            // Kademlia's bucket refresh: now and then ask a random healthy peer for the
            // contacts nearest to us, so the table learns of nodes gossip has not brought.
            if rounds.is_multiple_of(12) {
                let healthy: Vec<[u8; 32]> = self.with_table(|t| {
                    t.peers()
                        .filter(|p| p.health == Health::Ok)
                        .map(|p| p.id)
                        .collect()
                });
                if !healthy.is_empty() {
                    let pick =
                        healthy[(crate::engine::random_u64() % healthy.len() as u64) as usize];
                    let net = self.clone();
                    tokio::spawn(async move { net.find_nodes(&pick).await });
                }
            }
            let expired = self.with_table(|t| t.expire(now, self.inner.config.peer_expiry));
            for id in expired {
                tracing::info!(
                    "peer {}: no announcement for {}s; removed from routing",
                    hex::encode(&id[..5]),
                    self.inner.config.peer_expiry.as_secs()
                );
                self.forget_connection(&id, None).await;
            }
            let due: Vec<[u8; 32]> = self.with_table(|t| {
                t.peers()
                    .filter(|p| match &p.health {
                        Health::Evicted { .. } => p.retry_at.is_none_or(|r| now >= r),
                        _ => true,
                    })
                    .map(|p| p.id)
                    .collect()
            });
            for id in due {
                let net = self.clone();
                tokio::spawn(async move { net.probe(&id).await });
            }
        }
    }

    /// Pings a peer. An answer readmits an evicted peer; silence counts as a failure.
    async fn probe(&self, id: &[u8; 32]) {
        // Peers not (yet) healthy are dialed a few at a time: a flood of made-up ids costs
        // little, and probes of them wait for the next round.
        let healthy = self.with_table(|t| t.get(id).is_some_and(|p| p.health == Health::Ok));
        let _permit = if healthy {
            None
        } else {
            match self.inner.dials.try_acquire() {
                Ok(p) => Some(p),
                Err(_) => return,
            }
        };
        let limit = self
            .inner
            .config
            .announce_interval
            .max(Duration::from_secs(1))
            * 2;
        let nonce = crate::engine::random_u64();
        let now = Instant::now();
        let short = hex::encode(&id[..5]);
        let fail = |reason: String| {
            if self.with_table(|t| t.failure(id, &reason, Instant::now())) {
                tracing::warn!("peer {short} evicted from routing: {reason}");
            }
        };
        let conn = match tokio::time::timeout(limit, self.connect(id)).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return fail(format!("{e:#}")),
            Err(_) => return fail("no answer to a ping".into()),
        };
        let r = tokio::time::timeout(limit, call_on(&conn, &Request::Ping { nonce })).await;
        match r {
            Ok(Ok(Reply::Pong { nonce: n })) if n == nonce => {
                self.observe_path(id, &conn);
                if self.with_table(|t| t.readmit(id, now)) {
                    tracing::info!("peer {short} answers again; readmitted to routing");
                    self.inner.node.capacity().notify_waiters();
                }
                // Gossip has not brought its announcement lately: ask for it directly.
                let stale = self.with_table(|t| {
                    t.get(id).is_some_and(|p| {
                        p.announcement.is_none()
                            || now.saturating_duration_since(p.heard)
                                > self.inner.config.announce_interval * 2
                    })
                });
                if stale {
                    self.pull_announcement(id).await;
                }
            }
            Ok(Ok(other)) => self.strike(id, &format!("answered a ping with {other:?}")),
            Ok(Err(e)) => {
                self.forget_connection(id, Some(&conn)).await;
                fail(format!("{e:#}"));
            }
            Err(_) => {
                // A stalled peer (or a dead connection): the next try dials afresh.
                self.forget_connection(id, Some(&conn)).await;
                fail("no answer to a ping".into());
            }
        }
    }

    /// LAN discovery: peers found by mDNS are dialed and join our gossip.
    async fn mdns(self) {
        let lookup = match iroh_mdns_address_lookup::MdnsAddressLookup::builder()
            .build(self.inner.endpoint.id())
        {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!("mDNS discovery is off: {e}");
                return;
            }
        };
        // Announces this node on the LAN and lets iroh resolve the peers it finds.
        match self.inner.endpoint.address_lookup() {
            Ok(services) => services.add(lookup.clone()),
            Err(e) => tracing::warn!("mDNS: {e}"),
        }
        let mut events = lookup.subscribe().await;
        loop {
            let ev = tokio::select! {
                _ = self.inner.shutdown.cancelled() => return,
                ev = events.next() => ev,
            };
            let Some(ev) = ev else { return };
            if let iroh_mdns_address_lookup::DiscoveryEvent::Discovered { endpoint_info, .. } = ev {
                let id = *endpoint_info.endpoint_id.as_bytes();
                let contact = Contact {
                    id: hex::encode(id),
                    addrs: endpoint_info.data.ip_addrs().copied().collect(),
                    relay: None,
                };
                let added = self.with_table(|t| {
                    t.get(&id).is_none() && t.add_contact(contact, id, Instant::now())
                });
                if added {
                    tracing::info!("found peer {} on the LAN (mDNS)", hex::encode(&id[..5]));
                    let net = self.clone();
                    tokio::spawn(async move {
                        if net.connect(&id).await.is_ok()
                            && let (Some(s), Ok(pk)) =
                                (net.inner.sender.get(), PublicKey::from_bytes(&id))
                        {
                            let _ = s.join_peers(vec![pk]).await;
                        }
                    });
                }
            }
        }
    }

    /// The peers, for status.
    pub fn peers(&self) -> Vec<PeerStatus> {
        let now = Instant::now();
        let ledger = self.inner.node.ledger();
        let mut out: Vec<PeerStatus> = self.with_table(|t| {
            let w = t.weights;
            t.peers()
                .map(|p| {
                    let a = p.announcement.as_ref();
                    let models = a.map(|a| a.models.clone()).unwrap_or_default();
                    let (announced_busy, slots) = models.iter().fold((0u32, 0u32), |(b, s), m| {
                        (
                            b.saturating_add(m.busy).saturating_add(m.queued),
                            s.saturating_add(m.slots),
                        )
                    });
                    let busy = announced_busy.max(p.inflight);
                    PeerStatus {
                        id: hex::encode(p.id),
                        address: if p.rtt.is_none() {
                            "unknown".into()
                        } else if p.relayed {
                            "relay".into()
                        } else {
                            "direct".into()
                        },
                        addrs: p.contact.addrs.iter().map(|a| a.to_string()).collect(),
                        rtt_ms: p.rtt.map(|r| r.as_secs_f64() * 1e3),
                        health: p.health.clone(),
                        paused: a.is_some_and(|a| a.paused),
                        version: a.map(|a| a.version.clone()).unwrap_or_default(),
                        // Announcements lag: our own jobs on it count at once.
                        load: if slots > 0 {
                            busy as f64 / slots as f64
                        } else {
                            0.0
                        },
                        score: models
                            .first()
                            .and_then(|m| p.score(&format!("{}:{}", m.name, m.quant), &w)),
                        models,
                        reliability: p.reliability.value(),
                        inflight: p.inflight,
                        strikes: p.strikes,
                        ledger_seq: ledger
                            .as_ref()
                            .and_then(|l| l.peer_head(&p.id))
                            .map(|h| h.seq),
                        balance: ledger
                            .as_ref()
                            .and_then(|l| l.peer_head(&p.id))
                            .map(|h| h.balance),
                        last_heard_s: now.saturating_duration_since(p.heard).as_secs_f64(),
                    }
                })
                .collect()
        });
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Announces that this node leaves, then closes the connections.
    pub async fn shutdown(&self) {
        let net = self.clone();
        let _ = tokio::task::spawn_blocking(move || net.save_peers()).await;
        self.broadcast(true).await;
        self.inner.shutdown.cancel();
        // Give the leaving announcement a moment to go out.
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Some(r) = self.inner.router.get() {
            let _ = tokio::time::timeout(Duration::from_secs(3), r.shutdown()).await;
        }
    }
}

/// One request, one reply, on a fresh stream of `conn`.
async fn call_on(conn: &Connection, req: &Request) -> anyhow::Result<Reply> {
    let (mut tx, mut rx) = conn.open_bi().await?;
    wire::write(&mut tx, req).await?;
    tx.finish()?;
    wire::read(&mut rx, wire::MAX_SMALL_FRAME)
        .await?
        .ok_or_else(|| anyhow::anyhow!("closed the stream without an answer"))
}
