//! Connections: dialing a peer and the handshake on both sides, the verified connections kept
//! per peer (ours, and those peers opened to us), and one request-reply on a fresh stream.
//!
//! A connection must open with the handshake (`Hello`, answered by `Welcome` with our own
//! proof); a peer that cannot prove the network secret, speaks another version or prices work
//! otherwise is refused, logged and struck. Either side's verified connection then carries
//! requests both ways (a peer behind a NAT is reachable only through the one it opened).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iroh::endpoint::{Connection, ConnectionError, SendStream};
use iroh::protocol::{AcceptError, ProtocolHandler};

use super::Net;
use super::table::Health;
use super::wire::{self, Contact, RefuseCode, Reply, Request};
use crate::ids::NodeId;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a new connection has to complete the handshake.
const HANDSHAKE_WAIT: Duration = Duration::from_secs(10);
/// How long a refused peer has to read why before its connection closes.
const REFUSAL_READ: Duration = Duration::from_secs(1);
/// How long a request on its own stream (an announcement, nearby nodes) may take to answer.
const CALL_WAIT: Duration = Duration::from_secs(10);

/// A dial that reached its node (the QUIC handshake proved it holds its key) and then failed:
/// our handshake was refused or broken off. A real node, not an unreachable one.
#[derive(Debug)]
pub(super) struct Reached(String);

impl std::fmt::Display for Reached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Reached {}

/// The cached outgoing connection to one peer, locked while dialing.
type Slot = Arc<tokio::sync::Mutex<Option<Connection>>>;

/// The verified connections, by peer.
#[derive(Default)]
pub(super) struct Conns {
    /// Ours. One slot per peer: dials to the same peer wait for each other (and share the
    /// result), dials to different peers never do, so one unreachable peer cannot delay the
    /// others.
    outbound: Mutex<HashMap<NodeId, Slot>>,
    /// Those peers opened to us. Used first: they work even when dialing the peer does not (it
    /// is behind a NAT, or it restarted and iroh still tries its old path).
    inbound: Mutex<HashMap<NodeId, Connection>>,
    /// Inbound connections being served, counted against the limits per peer, per address
    /// and in all.
    slots: super::inbound::Slots,
}

impl Conns {
    /// Drops `peer`'s slot if nothing is cached or waiting in it, so that the dials the
    /// network asks for (a new peer announced, a contact to verify) leave no entry behind.
    fn drop_empty_slot(&self, peer: &NodeId) {
        let mut outbound = self.outbound.lock().expect("conns lock");
        if let Some(s) = outbound.get(peer)
            && Arc::strong_count(s) == 1
            && s.try_lock().is_ok_and(|c| c.is_none())
        {
            outbound.remove(peer);
        }
    }

    fn slot(&self, peer: &NodeId) -> Slot {
        self.outbound
            .lock()
            .expect("conns lock")
            .entry(*peer)
            .or_default()
            .clone()
    }

    fn inbound(&self, peer: &NodeId) -> Option<Connection> {
        let mut inbound = self.inbound.lock().expect("inbound lock");
        match inbound.get(peer) {
            Some(c) if c.close_reason().is_none() => Some(c.clone()),
            Some(_) => {
                inbound.remove(peer);
                None
            }
            None => None,
        }
    }

    /// Whether `peer` has an open verified connection with this node, either way.
    pub(super) fn verified(&self, peer: &NodeId) -> bool {
        if self.inbound(peer).is_some() {
            return true;
        }
        let slot = self.outbound.lock().expect("conns lock").get(peer).cloned();
        slot.is_some_and(|s| {
            s.try_lock()
                .is_ok_and(|c| c.as_ref().is_some_and(|c| c.close_reason().is_none()))
        })
    }

    /// Every open connection, both ways.
    pub(super) fn all(&self) -> Vec<Connection> {
        let mut v: Vec<Connection> = self
            .inbound
            .lock()
            .expect("inbound lock")
            .values()
            .cloned()
            .collect();
        let slots: Vec<Slot> = self
            .outbound
            .lock()
            .expect("conns lock")
            .values()
            .cloned()
            .collect();
        for s in slots {
            if let Ok(c) = s.try_lock()
                && let Some(c) = c.as_ref()
            {
                v.push(c.clone());
            }
        }
        v.retain(|c| c.close_reason().is_none());
        v
    }
}

/// The handler of [`wire::ALPN`]: the handshake, then the peer's requests.
#[derive(Clone)]
pub(super) struct Handler(pub Net);

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("llp protocol handler")
    }
}

impl ProtocolHandler for Handler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        // Stopping the network ends handshakes in progress and the serving of streams alike.
        let net = &self.0;
        let closed = net
            .tasks()
            .token()
            .run_until_cancelled(serve_inbound(net, &conn));
        if closed.await.is_none() {
            conn.close(0u32.into(), b"stopping");
        }
        Ok(())
    }
}

/// Another protocol's handler (gossip, model files) behind the same inbound limits: its
/// connection is counted from the start (that protocol has its own handshake, or none) until it
/// closes.
#[derive(Clone)]
pub(super) struct Counted<H> {
    net: Net,
    alpn: &'static [u8],
    inner: H,
}

/// `inner`, the handler of `alpn`, behind the inbound limits.
pub(super) fn counted<H>(net: &Net, alpn: &'static [u8], inner: H) -> Counted<H> {
    Counted {
        net: net.clone(),
        alpn,
        inner,
    }
}

impl<H> std::fmt::Debug for Counted<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (counted)", String::from_utf8_lossy(self.alpn))
    }
}

impl<H: ProtocolHandler> ProtocolHandler for Counted<H> {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let Some((peer, place)) = admit_inbound(&self.net, &conn, self.alpn) else {
            return Ok(());
        };
        // Only a member may take another's place: gossip asks for no proof, and the model
        // files are refused to others only after the connection is taken.
        let member = self.net.inner.conns.verified(&peer);
        if let Err(why) = place.established(member) {
            conn.close(3u32.into(), why.as_bytes());
            return Ok(());
        }
        let served = self.inner.accept(conn.clone()).await;
        // (A handler may hand the connection to a task of its own and return: the place is
        // held until the connection closes all the same.)
        if served.is_ok() {
            conn.closed().await;
        }
        drop(place);
        served
    }

    async fn shutdown(&self) {
        self.inner.shutdown().await;
    }
}

/// An inbound connection of `alpn` past the ban check and counted against the limits: its peer
/// and its place; `None` when it was closed instead, saying why.
fn admit_inbound(
    net: &Net,
    conn: &Connection,
    alpn: &'static [u8],
) -> Option<(NodeId, super::inbound::Slot)> {
    let peer = NodeId::from_bytes(*conn.remote_id().as_bytes());
    if net.banned(&peer) {
        tracing::warn!(
            "refused peer {}: banned after repeated protocol violations",
            peer.short()
        );
        conn.close(2u32.into(), b"banned");
        return None;
    }
    let source = super::inbound::source_of(conn);
    match net
        .inner
        .conns
        .slots
        .admit(&peer, alpn, source, Some(conn.clone()))
    {
        Ok(place) => Some((peer, place)),
        Err(why) => {
            tracing::debug!(
                "refused a connection from {} at {}: {why}",
                peer.short(),
                source.map_or("a relay".into(), |ip| ip.to_string())
            );
            conn.close(3u32.into(), why.as_bytes());
            None
        }
    }
}

/// An inbound connection: the ban check, the handshake, then its streams until it closes.
async fn serve_inbound(net: &Net, conn: &Connection) {
    let Some((peer, place)) = admit_inbound(net, conn, wire::ALPN) else {
        return;
    };
    match tokio::time::timeout(HANDSHAKE_WAIT, handshake(net, conn, &peer)).await {
        Ok(Ok(())) => {}
        Ok(Err(send)) => {
            // The refusal reaches it before the connection closes: the peer read it all (or
            // gave up on the stream).
            if let Some(send) = send {
                let _ = tokio::time::timeout(REFUSAL_READ, send.stopped()).await;
            }
            conn.close(1u32.into(), b"handshake refused");
            return;
        }
        Err(_) => {
            net.strike_outsider(&peer, "no handshake within 10 s");
            conn.close(1u32.into(), b"handshake timeout");
            return;
        }
    }
    net.welcomed(&peer);
    if let Err(why) = place.established(true) {
        tracing::debug!("closed a connection from {}: {why}", peer.short());
        conn.close(3u32.into(), why.as_bytes());
        return;
    }
    net.introduced(&peer, conn);
    super::serve::serve_streams(net.clone(), peer, conn.clone()).await;
    net.closed_inbound(&peer, conn);
}

/// Checks the first stream's `Hello` and answers it. A refusal is struck before it is sent (so
/// a peer that reads it and dials again meets its new standing) and comes back with the stream
/// it was sent on, for the caller to let the peer read it before closing.
async fn handshake(net: &Net, conn: &Connection, peer: &NodeId) -> Result<(), Option<SendStream>> {
    let refused = |why: &str| {
        // A handshake this node closed (to make room for another) is not the peer's fault.
        if !matches!(conn.close_reason(), Some(ConnectionError::LocallyClosed)) {
            net.strike_outsider(peer, &format!("handshake refused: {why}"));
        }
    };
    let (mut send, mut recv) = match conn.accept_bi().await {
        Ok(s) => s,
        Err(e) => {
            refused(&e.to_string());
            return Err(None);
        }
    };
    let hello = wire::read::<Request, _>(&mut recv, wire::MAX_SMALL_FRAME).await;
    let reply = match hello {
        Ok(Some(Request::Hello {
            version,
            network,
            proof,
            policy,
        })) => match check_hello(net, peer, version, &network, &proof, &policy) {
            Ok(welcome) => welcome,
            Err((code, m)) => {
                refused(&m);
                Reply::refused(code, m)
            }
        },
        Ok(Some(other)) => {
            let m = format!(
                "opened with {} instead of hello",
                super::serve::kind(&other)
            );
            refused(&m);
            Reply::refused(RefuseCode::Handshake, m)
        }
        Ok(None) => {
            refused("closed before the handshake");
            return Err(None);
        }
        Err(e) => {
            refused(&e.to_string());
            Reply::refused(RefuseCode::Invalid, e.to_string())
        }
    };
    let welcome = matches!(reply, Reply::Welcome { .. });
    let _ = wire::write(&mut send, &reply).await;
    let _ = send.finish();
    if welcome { Ok(()) } else { Err(Some(send)) }
}

/// The server's side of the handshake: our `Welcome`, or why not.
fn check_hello(
    net: &Net,
    peer: &NodeId,
    version: u32,
    network: &str,
    proof: &str,
    policy: &str,
) -> Result<Reply, (RefuseCode, String)> {
    let s = net.settings();
    let own = net.id();
    if version != wire::VERSION {
        return Err((
            RefuseCode::Version,
            format!(
                "protocol version {version} is not supported (this node speaks {})",
                wire::VERSION
            ),
        ));
    }
    if network != s.network || !wire::proofs_match(proof, &net.inner.membership.proof(peer, &own)) {
        tracing::warn!(
            "peer {} tried to join without the network secret: refused",
            peer.short()
        );
        return Err((
            RefuseCode::Network,
            format!(
                "not a member of network `{}` (it asked for `{network}`, or its secret is wrong or missing)",
                s.network
            ),
        ));
    }
    if policy != net.policy() {
        return Err((
            RefuseCode::Policy,
            format!(
                "its credit policy ({policy}) differs from this network's ({}): the nodes of a \
                 network need the same [credits] settings and model catalog",
                net.policy()
            ),
        ));
    }
    Ok(Reply::Welcome {
        version: wire::VERSION,
        proof: net.inner.membership.proof(&own, peer),
        policy: net.policy().to_string(),
    })
}

impl Net {
    /// A verified connection to `peer`: reuses a live one, else dials and runs the handshake.
    /// Failures mark the peer unreachable, with the reason, for status.
    pub async fn connect(&self, peer: &NodeId) -> anyhow::Result<Connection> {
        self.connect_noting(peer, None).await
    }

    /// [`Net::connect`], setting `reached` once a dial of ours has the QUIC connection (the
    /// peer holds its key), so a caller that gives up waiting knows which kind of failure it
    /// saw.
    pub(super) async fn connect_noting(
        &self,
        peer: &NodeId,
        reached: Option<&std::sync::atomic::AtomicBool>,
    ) -> anyhow::Result<Connection> {
        anyhow::ensure!(
            !self.banned(peer),
            "banned after repeated protocol violations"
        );
        if let Some(c) = self.inner.conns.inbound(peer) {
            return Ok(c);
        }
        let slot = self.inner.conns.slot(peer);
        let mut cached = slot.lock().await;
        if let Some(c) = cached.as_ref()
            && c.close_reason().is_none()
        {
            return Ok(c.clone());
        }
        *cached = None;
        tracing::debug!("dialing {}", peer.short());
        let result = match tokio::time::timeout(CONNECT_TIMEOUT, self.dial(peer, reached)).await {
            Ok(r) => r,
            Err(_) => Err(anyhow::anyhow!(
                "no answer within {}s (is it running, and is its UDP port reachable?)",
                CONNECT_TIMEOUT.as_secs()
            )),
        };
        let health = match &result {
            Ok(_) => Health::Ok,
            Err(e) => Health::Unreachable {
                reason: format!("{e:#}"),
            },
        };
        self.with_peer(peer, |t| {
            if let Some(p) = t.get_mut(peer)
                && !matches!(p.health, Health::Evicted { .. })
            {
                p.health = health;
            }
        });
        let conn = match result {
            Ok(c) => c,
            Err(e) => {
                drop(cached);
                drop(slot);
                self.inner.conns.drop_empty_slot(peer);
                return Err(e);
            }
        };
        self.observe_path(peer, &conn);
        *cached = Some(conn.clone());
        let (net, peer, c) = (self.clone(), *peer, conn.clone());
        self.tasks()
            .spawn(async move { super::serve::serve_streams(net, peer, c).await });
        Ok(conn)
    }

    /// Dials `peer` and runs the handshake's client side. A failure after the QUIC handshake
    /// (which proves the peer holds its key) is a [`Reached`] one.
    async fn dial(
        &self,
        peer: &NodeId,
        reached: Option<&std::sync::atomic::AtomicBool>,
    ) -> anyhow::Result<Connection> {
        let pk = peer
            .public_key()
            .ok_or_else(|| anyhow::anyhow!("its id is not a public key"))?;
        let conn = self
            .inner
            .endpoint
            .connect(pk, wire::ALPN)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect: {e}"))?;
        if let Some(r) = reached {
            r.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        self.handshake(peer, conn)
            .await
            .map_err(|e| anyhow::Error::new(Reached(format!("{e:#}"))))
    }

    /// Our side of the handshake on a fresh connection to `peer`.
    async fn handshake(&self, peer: &NodeId, conn: Connection) -> anyhow::Result<Connection> {
        let (mut tx, mut rx) = conn.open_bi().await?;
        let s = self.settings();
        let own = self.id();
        let hello = Request::Hello {
            version: wire::VERSION,
            network: s.network.clone(),
            proof: self.inner.membership.proof(&own, peer),
            policy: self.policy().to_string(),
        };
        wire::write(&mut tx, &hello).await?;
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
                    policy == self.policy(),
                    "its credit policy ({policy}) differs from ours ({}): the nodes of a network \
                     need the same [credits] settings and model catalog",
                    self.policy()
                );
                if !wire::proofs_match(&proof, &self.inner.membership.proof(peer, &own)) {
                    // It claims membership without proving the secret: never send it a prompt.
                    conn.close(1u32.into(), b"network proof mismatch");
                    self.strike(
                        peer,
                        "answered the handshake without proving the network secret",
                    );
                    anyhow::bail!(
                        "refused: it could not prove the secret of network `{}`",
                        s.network
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

    /// The addresses `conn` reaches its peer at now (its direct paths).
    pub(super) fn path_addrs(conn: &Connection) -> Vec<SocketAddr> {
        conn.paths()
            .iter()
            .filter_map(|p| match p.remote_addr() {
                iroh::TransportAddr::Ip(a) => Some(*a),
                _ => None,
            })
            .collect()
    }

    /// Drops the cached connection to `peer` (it failed, or the peer restarted elsewhere), so
    /// the next use dials afresh instead of waiting on a dead connection.
    /// `which`: only that connection (the one that failed); `None`: any (the peer is gone).
    /// A connection the peer opened since the failure is kept. A dial in progress holds the
    /// slot and will cache a fresh connection.
    pub async fn forget_connection(&self, peer: &NodeId, which: Option<&Connection>) {
        let conns = &self.inner.conns;
        let matches = |c: &Connection| which.is_none_or(|w| w.stable_id() == c.stable_id());
        {
            let mut inbound = conns.inbound.lock().expect("inbound lock");
            if inbound.get(peer).is_some_and(matches)
                && let Some(c) = inbound.remove(peer)
            {
                c.close(0u32.into(), b"forgotten");
            }
        }
        // `get`, not `slot`: forgetting a peer never dialed must not make it an entry.
        let slot = conns
            .outbound
            .lock()
            .expect("conns lock")
            .get(peer)
            .cloned();
        if let Some(slot) = slot
            && let Ok(mut cached) = slot.try_lock()
            && cached.as_ref().is_some_and(matches)
            && let Some(c) = cached.take()
        {
            c.close(0u32.into(), b"forgotten");
        }
        if which.is_none() {
            conns.outbound.lock().expect("conns lock").remove(peer);
        } else {
            conns.drop_empty_slot(peer);
        }
        if let Some(w) = which {
            w.close(0u32.into(), b"failed");
        }
    }

    /// Records the connection's selected path: RTT, and whether it goes through a relay.
    pub(super) fn observe_path(&self, peer: &NodeId, conn: &Connection) {
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

    /// One request, one reply, on a fresh stream of the verified connection.
    /// A peer that answers pings but never these (a stuck or hostile one) would otherwise
    /// hold the asking task forever, one more every maintenance round: the answer has
    /// [`CALL_WAIT`].
    pub(super) async fn call(&self, peer: &NodeId, req: &Request) -> anyhow::Result<Reply> {
        let conn = self.connect(peer).await?;
        tokio::time::timeout(CALL_WAIT, call_on(&conn, req))
            .await
            .map_err(|_| anyhow::anyhow!("no answer within {}s", CALL_WAIT.as_secs()))?
    }

    /// A peer completed the handshake with us: record it and fetch its announcement directly,
    /// so it can serve jobs without waiting for gossip to carry one.
    fn introduced(&self, peer: &NodeId, conn: &Connection) {
        let addrs = Net::path_addrs(conn);
        let contact = Contact {
            id: peer.to_string(),
            addrs,
            relay: None,
        };
        if !self.with_table(|t| t.get(peer).is_some()) {
            self.remember(&contact);
            self.with_table(|t| t.add_contact(contact, *peer, Instant::now()));
        }
        tracing::debug!("peer {} introduced itself", peer.short());
        // It proved the secret: its connection serves our requests to it too (and is the only
        // way back to a peer behind a NAT).
        self.inner
            .conns
            .inbound
            .lock()
            .expect("inbound lock")
            .insert(*peer, conn.clone());
        self.with_peer(peer, |t| {
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
        let (net, peer) = (self.clone(), *peer);
        self.tasks().spawn(async move {
            net.pull_announcement(&peer).await;
            net.join_gossip(&peer).await;
        });
    }

    /// A peer's connection to us ended: forget it (if it is still the one we hold).
    fn closed_inbound(&self, peer: &NodeId, conn: &Connection) {
        let mut inbound = self.inner.conns.inbound.lock().expect("inbound lock");
        if inbound
            .get(peer)
            .is_some_and(|c| c.stable_id() == conn.stable_id())
        {
            inbound.remove(peer);
        }
    }
}

/// One request, one reply, on a fresh stream of `conn`.
pub(super) async fn call_on(conn: &Connection, req: &Request) -> anyhow::Result<Reply> {
    let (mut tx, mut rx) = conn.open_bi().await?;
    wire::write(&mut tx, req).await?;
    tx.finish()?;
    // A fraud proof carries its prompt: as large as a job's request may be; provider records
    // are whole announcements.
    let limit = match req {
        Request::GetProof { .. } => wire::MAX_FRAME,
        Request::GetProviders { .. } => wire::MAX_PROVIDERS_FRAME,
        _ => wire::MAX_SMALL_FRAME,
    };
    wire::read(&mut rx, limit)
        .await?
        .ok_or_else(|| anyhow::anyhow!("closed the stream without an answer"))
}
