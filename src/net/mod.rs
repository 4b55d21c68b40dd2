//! The peer network: iroh QUIC connections between nodes, gossip announcements, the routing
//! table, and the node's own protocol on [`wire::ALPN`].
//!
//! Reached through cloneable [`Net`] handles; holds a [`Node`] handle (for the engines, the
//! ledger, the job registry) and never touches HTTP. The parts, a file each:
//! - [`ticket`]: invite tickets.
//! - `conn`: dialing, accepting, the handshake, the verified connections.
//! - `gossip`: announcements, sent and received (verify → rate-limit → ledger → apply).
//! - `reputation`: strikes, flood limits, bans.
//! - [`table`]: the routing table, the choice of peer and the provider records (pure).
//! - `maintain`: pings, Kademlia refresh, expiry, LAN discovery, peers remembered on disk.
//! - [`serve`]: running peers' jobs here (admit, stream, settle).
//! - [`share`]: model files offered to peers and fetched from them (iroh-blobs).
//! - `auto`: wants (models jobs wait for that no node serves) and `--auto-models`.
//! - [`remote`]: sending our jobs to peers, following them, failover, paying.
//! - [`pipeline`]: one model across several nodes: coordinating its stages, hosting peers'.
//! - [`wire`]: the messages and their encoding.
//! - [`status`]: peers as status shows them.
//!
//! ## Lifecycle
//! [`Net::start`] binds the endpoint, subscribes to the network's gossip topic (bootstrapped from
//! the `--join` tickets, the peers remembered from the last run, and mDNS), and spawns its tasks
//! under a child of the node's task tree. [`Net::stop`] announces that the node leaves, waits
//! (briefly) for the peers it is connected to to close their connections once they heard it,
//! then cancels and waits for its tasks and closes the router and endpoint.
//!
//! ## Trust
//! A connection is used for jobs only after the handshake: both sides prove the network secret
//! over both (QUIC-authenticated) ids. A node that cannot is refused and logged, and no prompt is
//! ever sent to it. Announcements are signed by their author over the network's topic.

pub mod account;
mod auto;
mod conn;
mod gossip;
mod inbound;
mod maintain;
pub mod pipeline;
mod provide;
pub mod remote;
mod reputation;
pub mod serve;
pub mod share;
pub mod status;
pub mod table;
pub mod ticket;
pub mod wire;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use iroh::address_lookup::memory::MemoryLookup;
use iroh::endpoint::{QuicTransportConfig, VarInt, presets};
use iroh::{Endpoint, EndpointAddr, RelayMode, SecretKey};
use iroh_gossip::api::GossipSender;
use iroh_gossip::net::Gossip;

use crate::config::{NetSettings, Relay, UsageError};
use crate::ids::{NodeId, unix_now};
use crate::node::Node;
use crate::tasks::Tasks;
pub use auto::Want;
pub use reputation::{FLOOD_WINDOW, MAX_FLOOD_AUTHORS, Misbehaviour};
pub use status::PeerStatus;
use table::Table;
pub use ticket::Ticket;
use wire::Contact;

/// A fetch of a peer's ledger entries (see [`Net::fetch_chain`]).
pub type ChainFetch<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>>;

/// How long [`Net::stop`] waits for connected peers to hear that this node leaves.
const LEAVE_WAIT: Duration = Duration::from_secs(1);

/// A handle to the network. Clone freely.
#[derive(Clone)]
pub struct Net {
    inner: Arc<Inner>,
}

struct Inner {
    settings: NetSettings,
    /// The credit policy's fingerprint; peers must have the same.
    policy: String,
    /// Where known peers are remembered across restarts (`peers.json` in the data dir).
    peers_file: Option<std::path::PathBuf>,
    key: SecretKey,
    id: NodeId,
    endpoint: Endpoint,
    memory: MemoryLookup,
    /// The ids whose addresses are in `memory`, and when they were put there.
    remembered: Mutex<std::collections::HashMap<NodeId, Instant>>,
    gossip: Gossip,
    router: OnceLock<iroh::protocol::Router>,
    sender: OnceLock<GossipSender>,
    topic: [u8; 32],
    /// The key that proves membership of the network (its proofs and its topic).
    membership: wire::Membership,
    table: Mutex<Table>,
    conns: conn::Conns,
    reputation: reputation::Reputation,
    /// The seq of this node's next announcement.
    seq: AtomicU64,
    /// Dials to verify newly announced peers, a few at a time.
    dials: Arc<tokio::sync::Semaphore>,
    /// Peers' prompts being tokenized, a few at a time.
    prepares: tokio::sync::Semaphore,
    /// The peers' jobs running here, and the holds this node ran a job on or waived.
    claims: Mutex<serve::Claims>,
    /// What this node found checking its workers' answers.
    checks: crate::trust::spot::Checks,
    /// Answers this node checked, for challenges.
    known: crate::trust::challenge::Book,
    /// Provider records held for others, and this node's searches (`provide`).
    providers: provide::Providers,
    /// The fraud proofs whose ids announcements brought, fetched or being fetched (so each
    /// is fetched and re-run once).
    proofs_seen: Mutex<KeySet>,
    /// Jobs (their keys) whose work a well-formed fraud proof disputes that this node could
    /// not re-run (it lacks the variant): it holds no debt for them.
    disputed: Mutex<KeySet>,
    /// Debts heard of whose debtor was asked for a proof against their job (once each).
    debts_asked: Mutex<KeySet>,
    /// The last announcement sent, sealed: what `GetAnnouncement` answers (cheap to serve;
    /// empty until the first is sent).
    sealed: tokio::sync::watch::Sender<Vec<u8>>,
    /// When the last announcement went out, and whether a change waits to be announced.
    last_broadcast: Mutex<Instant>,
    change_pending: AtomicBool,
    /// The model files offered to peers and fetched from them.
    shares: Arc<share::Shares>,
    /// The catalog (what wants and offers may name, what `--auto-models` loads).
    catalog: Option<crate::catalog::Catalog>,
    /// Wants, and what `--auto-models` loaded.
    auto: auto::Auto,
    /// This node's account membership (`--account-cert`), if any.
    account: Option<account::Account>,
    /// The pipeline stages this node runs for peers.
    stages: Arc<pipeline::host::Hosts>,
    /// The pipelines this node coordinates.
    pipelines: Mutex<Vec<pipeline::Link>>,
    node: Node,
    tasks: Tasks,
}

impl Net {
    /// Binds the endpoint with the node's key and starts the network's tasks.
    pub async fn start(node: &Node, key: SecretKey) -> anyhow::Result<Net> {
        let settings = node.settings().net.clone();
        let (endpoint, memory) = bind(&settings, &key).await?;
        let gossip = Gossip::builder()
            .max_message_size(wire::MAX_ANNOUNCEMENT + 1024)
            .spawn(endpoint.clone());
        let id = NodeId::from_bytes(*endpoint.id().as_bytes());
        let (checks, membership) = open_trust(node, &settings).await?;
        let (shares, blobs, share_events) =
            share::Shares::open(&node.settings().data_dir, settings.share_rate).await?;
        let account = account::Account::of(node, &id)?;
        let net = Net {
            inner: Arc::new(Inner {
                shares: Arc::new(shares),
                catalog: crate::catalog::Catalog::load(node.settings().catalog.as_deref()).ok(),
                auto: auto::Auto::default(),
                account,
                stages: Default::default(),
                pipelines: Default::default(),
                topic: membership.topic(),
                membership,
                table: Mutex::new(Table::new(id, settings.score)),
                reputation: reputation::Reputation::new(settings.announce_interval),
                policy: node
                    .ledger()
                    .map_or_else(|| node.settings().credits.id(), |l| l.pricing_id()),
                peers_file: Some(node.settings().data_dir.join("peers.json")),
                settings,
                key,
                id,
                endpoint: endpoint.clone(),
                memory,
                remembered: Mutex::new(Default::default()),
                gossip: gossip.clone(),
                router: OnceLock::new(),
                sender: OnceLock::new(),
                conns: conn::Conns::default(),
                seq: AtomicU64::new(unix_now() * 1000),
                dials: Arc::new(tokio::sync::Semaphore::new(8)),
                prepares: tokio::sync::Semaphore::new(4),
                claims: Mutex::new(Default::default()),
                checks,
                proofs_seen: Mutex::new(KeySet::new(KEY_SET_CAP)),
                disputed: Mutex::new(KeySet::new(KEY_SET_CAP)),
                debts_asked: Mutex::new(KeySet::new(KEY_SET_CAP)),
                known: Default::default(),
                providers: Default::default(),
                sealed: tokio::sync::watch::channel(Vec::new()).0,
                last_broadcast: Mutex::new(Instant::now()),
                change_pending: AtomicBool::new(false),
                node: node.clone(),
                tasks: node.tasks().child(),
            }),
        };
        let router = iroh::protocol::Router::builder(endpoint)
            .accept(wire::ALPN, conn::Handler(net.clone()))
            .accept(
                iroh_gossip::ALPN,
                conn::counted(&net, iroh_gossip::ALPN, gossip),
            )
            .accept(
                iroh_blobs::ALPN,
                conn::counted(&net, iroh_blobs::ALPN, blobs),
            )
            .spawn();
        net.spawn_model_tasks(share_events);
        let _ = net.inner.router.set(router);
        net.restore_verdicts();
        let bootstrap = net.bootstrap()?;
        let ids: Vec<iroh::PublicKey> = bootstrap.iter().filter_map(NodeId::public_key).collect();
        let receiver = net.subscribe(ids).await?;
        net.spawn_tasks(receiver, bootstrap);
        Ok(net)
    }

    /// Joins the network's gossip topic through `ids`, unless gossip is off: then
    /// announcements travel only point to point (to provider records' holders, to the peers
    /// that ask, with the answers to pings).
    async fn subscribe(
        &self,
        ids: Vec<iroh::PublicKey>,
    ) -> anyhow::Result<Option<iroh_gossip::api::GossipReceiver>> {
        if !self.inner.settings.gossip {
            return Ok(None);
        }
        let topic = self
            .inner
            .gossip
            .subscribe(self.inner.topic.into(), ids)
            .await
            .context("subscribing to the network's gossip topic")?;
        let (sender, receiver) = topic.split();
        let _ = self.inner.sender.set(sender);
        Ok(Some(receiver))
    }

    /// A worker proven to cheat before the restart stays banned after it; one with verified
    /// work is off probation.
    fn restore_verdicts(&self) {
        for (peer, r) in self.checks().all() {
            self.with_table(|t| t.set_verified(&peer, r.failed == 0 && r.passed > 0));
            if r.failed > 0 {
                self.ban(
                    &peer,
                    "its answers failed a spot check (before this node restarted)",
                );
            }
        }
    }

    /// The tasks of model files and models: answering the blobs provider, offering the models
    /// dir, and `--auto-models`.
    fn spawn_model_tasks(
        &self,
        share_events: tokio::sync::mpsc::Receiver<iroh_blobs::provider::events::ProviderMessage>,
    ) {
        self.tasks()
            .spawn(self.clone().serve_share_events(share_events));
        self.tasks().spawn(self.clone().offer_models_dir());
        if self.node().settings().engine.auto_models {
            self.tasks().spawn(self.clone().auto_models());
        }
    }

    /// The peers to join through: the tickets' (their addresses go into the lookup) and those
    /// known before a restart (a node that was the bootstrap of others, and whose port changed,
    /// finds them again without a ticket).
    fn bootstrap(&self) -> Result<Vec<NodeId>, UsageError> {
        let mut bootstrap = Vec::new();
        let now = Instant::now();
        for t in &self.inner.settings.join {
            let t = Ticket::decode(t).map_err(UsageError)?;
            let id = t.id().map_err(|e| UsageError(e.to_string()))?;
            if id.public_key().is_none() {
                return Err(UsageError(format!(
                    "a --join ticket names node {id}, which is not a valid public key"
                )));
            }
            self.remember(&t.contact);
            self.with_table(|tb| tb.add_contact(t.contact.clone(), id, now));
            bootstrap.push(id);
        }
        for c in self.load_peers() {
            // A peers file edited by hand may hold anything: what is not a key is skipped.
            let Some(id) = NodeId::parse(&c.id)
                .ok()
                .filter(|id| id.public_key().is_some())
            else {
                continue;
            };
            if id == self.inner.id || bootstrap.contains(&id) {
                continue;
            }
            self.remember(&c);
            self.with_table(|t| t.add_contact(c.clone(), id, now));
            bootstrap.push(id);
        }
        Ok(bootstrap)
    }

    fn spawn_tasks(
        &self,
        receiver: Option<iroh_gossip::api::GossipReceiver>,
        bootstrap: Vec<NodeId>,
    ) {
        let tasks = &self.inner.tasks;
        if let Some(receiver) = receiver {
            tasks.spawn(self.clone().listen(receiver));
        }
        tasks.spawn(self.clone().provide_loop());
        tasks.spawn(self.clone().announce_loop());
        tasks.spawn(self.clone().announce_changes());
        tasks.spawn(self.clone().maintain());
        tasks.spawn(self.clone().check_own_chain());
        if let Some(mean) = self.inner.settings.challenge_interval {
            tasks.spawn(remote::challenges(self.clone(), mean));
        }
        if self.inner.settings.mdns {
            tasks.spawn(self.clone().mdns());
        }
        for id in bootstrap {
            let net = self.clone();
            tasks.spawn(async move {
                if let Err(e) = net.connect(&id).await {
                    tracing::warn!("joining through {}: {e}", id.short());
                } else {
                    // The nodes nearest us, and the network's size, soon: a node joining a
                    // large one stays off gossip.
                    net.refresh().await;
                }
            });
        }
    }

    pub fn id(&self) -> NodeId {
        self.inner.id
    }

    /// Asks peers which head of this node's own chain they hold, soon after start and once
    /// more later: a ledger file that was lost or restored from an old backup is behind it,
    /// and must not grow (see [`crate::ledger::Ledger::own_head_seen`]).
    async fn check_own_chain(self) {
        for wait in [5, 25] {
            tokio::time::sleep(Duration::from_secs(wait)).await;
            let Some(ledger) = self.node().ledger().cloned() else {
                return;
            };
            let peers: Vec<NodeId> = self.with_table(|t| t.peers().map(|p| p.id).take(8).collect());
            let ask = wire::Request::HeadOf {
                id: self.id().to_string(),
            };
            for p in peers {
                let Ok(wire::Reply::Head { head: Some(h) }) = self.call(&p, &ask).await else {
                    continue;
                };
                let (l, seq) = (ledger.clone(), h.seq);
                let ours = self
                    .tasks()
                    .spawn_blocking(move || l.own_hash_at(seq))
                    .await
                    .ok()
                    .flatten();
                ledger.own_head_seen(&h, ours);
            }
        }
    }

    pub fn settings(&self) -> &NetSettings {
        &self.inner.settings
    }

    /// The answers this node checked (what its challenges ask again).
    pub fn known_answers(&self) -> &crate::trust::challenge::Book {
        &self.inner.known
    }

    /// What this node found checking its workers' answers (spot checks).
    pub fn checks(&self) -> &crate::trust::spot::Checks {
        &self.inner.checks
    }

    /// Keeps a fraud proof, durably (in `trust.redb`); whether it is new here. Kept proofs
    /// are announced, so that the network's other nodes re-run them.
    pub async fn keep_proof(&self, p: crate::trust::proof::FraudProof) -> bool {
        // The work it proves false is owed nothing: a debt for it is dropped.
        if let Some(l) = self.node().ledger() {
            let c = &p.commitment;
            let why = "a fraud proof shows that work failed its check";
            l.void_debt(&c.job, &c.requester, &c.worker, why);
        }
        let n = self.clone();
        match self
            .tasks()
            .spawn_blocking(move || n.checks().keep_proof(&p))
            .await
        {
            Ok(Ok(new)) => new,
            Ok(Err(e)) => {
                tracing::error!("could not save a fraud proof (it is kept in memory): {e}");
                true
            }
            Err(_) => false,
        }
    }

    /// The fraud proofs this node holds, oldest first.
    pub fn proofs(&self) -> Vec<crate::trust::proof::FraudProof> {
        self.checks().proofs()
    }

    /// Forgets that a proof id was seen (it could not be fetched or re-run yet): its next
    /// announcement, by any node, brings it again.
    pub(crate) fn forget_proof_sight(&self, id: &[u8; 32]) {
        self.inner.proofs_seen.lock().expect("proofs seen").pop(id);
    }

    /// A fraud proof this node cannot re-run (it lacks the variant), which two verifier peers
    /// that run it confirmed, disputes its job's work: this node holds no debt for it. Bounded
    /// like the proofs seen.
    pub(crate) fn dispute(&self, c: &crate::trust::proof::Commitment) {
        let key = crate::ledger::chain::job_key(&c.job, &c.requester, &c.worker);
        insert_bounded(&self.inner.disputed, key);
        if let Some(l) = self.node().ledger() {
            let why = "a fraud proof two verifiers confirmed disputes that work";
            l.void_debt(&c.job, &c.requester, &c.worker, why);
        }
    }

    /// Whether a debt for this job is not owed: a fraud proof kept here shows its work false,
    /// or one this node could not re-run disputes it.
    pub(crate) fn debt_void(&self, job: &str, requester: &NodeId, worker: &NodeId) -> bool {
        let key = crate::ledger::chain::job_key(job, requester, worker);
        self.checks().proves(job, requester, worker)
            || self.inner.disputed.lock().expect("disputed").contains(&key)
    }

    /// Marks a debt (its key) heard of as asked about; whether it was new. Bounded like the
    /// proofs seen (the least recently seen forgotten: a debtor asked once more).
    pub(crate) fn first_sight_of_debt(&self, key: [u8; 32]) -> bool {
        insert_bounded(&self.inner.debts_asked, key)
    }

    /// Marks a proof id an announcement brought as seen; whether it was new. The set is
    /// bounded: past [`KEY_SET_CAP`] ids the least recently seen is forgotten (a proof
    /// fetched twice is re-run once more).
    pub(crate) fn first_sight_of_proof(&self, id: [u8; 32]) -> bool {
        insert_bounded(&self.inner.proofs_seen, id)
    }

    /// The credit policy's fingerprint, which peers must share.
    pub fn policy(&self) -> &str {
        &self.inner.policy
    }

    /// The pipeline stages this node runs for peers.
    pub fn stages(&self) -> Arc<pipeline::host::Hosts> {
        self.inner.stages.clone()
    }

    /// Gives a pipeline this node coordinates the network its layers run on.
    pub fn attach_pipeline(&self, link: pipeline::Link) {
        link.attach(self.clone());
        self.inner.pipelines.lock().expect("pipelines").push(link);
    }

    /// The pipelines this node coordinates, as they run.
    pub fn pipelines(&self) -> Vec<pipeline::Pipeline> {
        let links = self.inner.pipelines.lock().expect("pipelines");
        links.iter().map(pipeline::Link::view).collect()
    }

    pub fn node(&self) -> &Node {
        &self.inner.node
    }

    /// The network's tasks (a child of the node's).
    pub fn tasks(&self) -> &Tasks {
        &self.inner.tasks
    }

    pub fn with_table<R>(&self, f: impl FnOnce(&mut Table) -> R) -> R {
        f(&mut self.inner.table.lock().expect("table lock"))
    }

    /// Like `with_table`, for a change to one peer: if it makes the peer routable or no longer
    /// routable, jobs waiting for room look again (they wait on notifications, not a timer).
    pub(crate) fn with_peer<R>(&self, peer: &NodeId, f: impl FnOnce(&mut Table) -> R) -> R {
        let routable = |t: &Table| t.get(peer).is_some_and(table::Peer::routable);
        let (changed, r) = self.with_table(|t| {
            let before = routable(t);
            let r = f(t);
            (before != routable(t), r)
        });
        if changed {
            self.node().room_changed();
        }
        r
    }

    /// This node's contact: its id and the addresses it is bound to (loopback included, which
    /// iroh leaves out of its own address when other interfaces exist).
    pub fn contact(&self) -> Contact {
        let ep = &self.inner.endpoint;
        let mut addrs: Vec<SocketAddr> = ep.addr().ip_addrs().copied().collect();
        for s in ep.bound_sockets() {
            let a = if s.ip().is_unspecified() {
                let lo: std::net::IpAddr = if s.is_ipv4() {
                    std::net::Ipv4Addr::LOCALHOST.into()
                } else {
                    std::net::Ipv6Addr::LOCALHOST.into()
                };
                SocketAddr::new(lo, s.port())
            } else {
                s
            };
            if !addrs.contains(&a) {
                addrs.push(a);
            }
        }
        // Peers take this many at most (a host with many interfaces lists its first few).
        addrs.truncate(wire::MAX_CONTACT_ADDRS);
        Contact {
            id: self.id().to_string(),
            addrs,
            relay: ep.addr().relay_urls().next().map(|u| u.to_string()),
        }
    }

    /// The invite ticket of this node (with the network secret when `with_secret`).
    pub fn ticket(&self, with_secret: bool) -> String {
        let s = &self.inner.settings;
        Ticket {
            network: s.network.clone(),
            secret: (with_secret && !s.secret.is_empty()).then(|| s.secret.clone()),
            contact: self.contact(),
        }
        .encode()
    }

    /// Adds a contact's addresses to the endpoint's lookup, so iroh and gossip can dial it.
    fn remember(&self, c: &Contact) {
        let Some(pk) = NodeId::parse(&c.id).ok().and_then(|id| id.public_key()) else {
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
        if let Ok(id) = NodeId::parse(&c.id) {
            self.inner
                .remembered
                .lock()
                .expect("remembered")
                .insert(id, Instant::now());
        }
    }

    /// Drops from the endpoint's lookup the addresses of peers the table no longer holds (and
    /// that were not just added): iroh's lookup never forgets on its own, and every id that
    /// ever announced would stay in it.
    fn forget_addresses(&self) {
        let now = Instant::now();
        let mut stale: Vec<NodeId> = {
            let remembered = self.inner.remembered.lock().expect("remembered");
            remembered
                .iter()
                .filter(|(_, at)| now.saturating_duration_since(**at) > Duration::from_secs(60))
                .map(|(id, _)| *id)
                .collect()
        };
        self.with_table(|t| stale.retain(|id| t.get(id).is_none()));
        let mut remembered = self.inner.remembered.lock().expect("remembered");
        for id in stale {
            remembered.remove(&id);
            if let Some(pk) = id.public_key() {
                self.inner.memory.remove_endpoint_info(pk);
            }
        }
    }

    /// Announces that this node leaves, waits (at most [`LEAVE_WAIT`]) for the peers it is
    /// connected to to close their connections once they heard it, then stops every task of
    /// the network and closes the router and the endpoint.
    pub async fn stop(&self) {
        let net = self.clone();
        let _ = self
            .inner
            .tasks
            .spawn_blocking(move || net.save_peers())
            .await;
        let open = self.inner.conns.all();
        self.broadcast(true).await;
        let heard = futures_util::future::join_all(open.iter().map(|c| c.closed()));
        if tokio::time::timeout(LEAVE_WAIT, heard).await.is_err() {
            tracing::debug!("not every peer closed its connection after the leave");
        }
        self.inner.tasks.stop().await;
        if let Some(r) = self.inner.router.get() {
            let _ = tokio::time::timeout(Duration::from_secs(3), r.shutdown()).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(3), self.inner.shares.shutdown()).await;
    }
}

/// Streams a peer may hold open at once on one connection, for all protocols: each job,
/// request, chain fetch and model-file request is one. Past it the peer waits for one to end
/// (QUIC's own backpressure), so a peer cannot make us hold more than this many streams, each
/// with at most its receive window buffered and, for `llp`, a first frame due within
/// [`serve::FIRST_FRAME_WAIT`].
const MAX_BIDI_STREAMS: u32 = 256;
/// Gossip opens one unidirectional stream per topic; nothing else uses them.
const MAX_UNI_STREAMS: u32 = 8;
/// Bytes one connection may have in flight to us across all its streams (the default has no
/// limit). Ample for a model file's transfer at full speed.
const CONN_RECEIVE_WINDOW: u32 = 16 << 20;

/// The spot-check records and the membership key, both slow to make (a file, Argon2id):
/// off the async runtime, together.
async fn open_trust(
    node: &Node,
    settings: &NetSettings,
) -> anyhow::Result<(crate::trust::spot::Checks, wire::Membership)> {
    let trust = node.settings().data_dir.join("trust.redb");
    let (name, secret) = (settings.network.clone(), settings.secret.clone());
    Ok(tokio::task::spawn_blocking(move || {
        let checks = crate::trust::spot::Checks::open(&trust).unwrap_or_else(|e| {
            // Not fatal, and nothing is overwritten: this run's checks stay in memory.
            tracing::error!("could not open the spot-check records ({e}); keeping them in memory");
            Default::default()
        });
        (checks, wire::Membership::derive(&name, &secret))
    })
    .await?)
}

/// Binds the endpoint: the relay mode, the listen address, the key, our own address lookup.
async fn bind(settings: &NetSettings, key: &SecretKey) -> anyhow::Result<(Endpoint, MemoryLookup)> {
    let memory = MemoryLookup::new();
    let mut builder = match settings.relay {
        Relay::Default => Endpoint::builder(presets::N0),
        _ => Endpoint::builder(presets::Minimal),
    };
    match &settings.relay {
        Relay::Custom(url) => builder = builder.relay_mode(RelayMode::custom([url.clone()])),
        Relay::Disabled => {
            builder = builder
                .relay_mode(RelayMode::Disabled)
                .portmapper_config(iroh::endpoint::PortmapperConfig::Disabled)
                .net_report_config(iroh::NetReportConfig::minimal());
        }
        Relay::Default => {}
    }
    let listen = settings.listen;
    let endpoint = builder
        .secret_key(key.clone())
        .clear_ip_transports()
        .bind_addr(listen)
        .map_err(|e| UsageError(format!("--listen {listen}: {e}")))?
        .address_lookup(memory.clone())
        .transport_config(
            QuicTransportConfig::builder()
                .max_concurrent_bidi_streams(VarInt::from_u32(MAX_BIDI_STREAMS))
                .max_concurrent_uni_streams(VarInt::from_u32(MAX_UNI_STREAMS))
                .receive_window(VarInt::from_u32(CONN_RECEIVE_WINDOW))
                .max_idle_timeout(Some(Duration::from_secs(20).try_into()?))
                .keep_alive_interval(Duration::from_secs(2))
                .build(),
        )
        .bind()
        .await
        .with_context(|| format!("binding the P2P endpoint on {listen}"))?;
    Ok((endpoint, memory))
}

/// A set of keys (proof ids, job keys) that forgets the least recently seen past its cap:
/// a flood of new keys turns over the oldest, never the whole set at once.
type KeySet = lru::LruCache<[u8; 32], ()>;

/// Keys each [`KeySet`] holds at most.
const KEY_SET_CAP: std::num::NonZeroUsize = std::num::NonZeroUsize::new(16_384).expect("not 0");

/// Inserts `key` in a bounded set of keys; whether it was new.
fn insert_bounded(set: &Mutex<KeySet>, key: [u8; 32]) -> bool {
    set.lock().expect("a set of keys").put(key, ()).is_none()
}
