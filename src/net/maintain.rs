//! Periodic maintenance of the peer table: every announce interval, quiet peers expire, the
//! peers this node uses are pinged (RTT, and readmission of evicted peers whose back-off ended;
//! a small table whole, a large one's other peers a few a round: see
//! [`table::Table::due_for_ping`]), now and then a lookup of our own id refreshes the buckets
//! and estimates the network's size (`provide`), and
//! the healthy peers are remembered in `peers.json` for the next start. LAN discovery by mDNS
//! feeds the table too.

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use super::Net;
use super::conn::call_on;
use super::table::Health;
use super::wire::{Contact, Reply, Request};
use crate::ids::{NodeId, random_u64};

/// Peers remembered across restarts at most.
const MAX_REMEMBERED: usize = 64;

impl Net {
    /// The peers remembered from the last run (missing or unreadable file: none, with a warning
    /// for the latter).
    pub(super) fn load_peers(&self) -> Vec<Contact> {
        let Some(path) = &self.inner.peers_file else {
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

    /// Remembers the healthy peers that announced themselves, for the next start. Blocking.
    pub(super) fn save_peers(&self) {
        let Some(path) = self.inner.peers_file.clone() else {
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

    /// Every announce interval: expire quiet peers, probe the others (ping, RTT), retry the
    /// unreachable, and readmit evicted peers whose back-off ended and who answer again; now
    /// and then, remember the peers, refresh the buckets, deliver unconfirmed payments again.
    pub(super) async fn maintain(self) {
        let mut tick = tokio::time::interval(self.settings().announce_interval);
        let mut rounds = 0u64;
        loop {
            tick.tick().await;
            rounds += 1;
            if rounds.is_multiple_of(6) {
                let net = self.clone();
                let _ = self.tasks().spawn_blocking(move || net.save_peers()).await;
            }
            if rounds.is_multiple_of(12) {
                self.refresh_buckets();
            }
            // Payments their workers did not confirm: delivered again, aside.
            if rounds.is_multiple_of(6) {
                let (net, round) = (self.clone(), (rounds / 6) as usize);
                self.tasks()
                    .spawn(async move { super::remote::redeliver(&net, round).await });
            }
            self.expire().await;
            let now = Instant::now();
            // Without gossip, no peer is heard from unasked: only those in use are pinged.
            let quiet = match self.gossiping() {
                true => self.settings().announce_interval * 2,
                false => Duration::MAX,
            };
            let due: Vec<NodeId> = self.with_table(|t| t.due_for_ping(now, quiet));
            for id in due {
                let net = self.clone();
                self.tasks().spawn(async move { net.probe(&id).await });
            }
        }
    }

    /// Kademlia's bucket refresh ([`Net::refresh`]), aside.
    fn refresh_buckets(&self) {
        let net = self.clone();
        self.tasks().spawn(async move { net.refresh().await });
    }

    /// Drops the peers silent for longer than the expiry.
    async fn expire(&self) {
        let expiry = self.settings().peer_expiry;
        let expired = self.with_table(|t| t.expire(Instant::now(), expiry));
        self.forget_addresses();
        if !expired.is_empty() {
            self.node().room_changed();
        }
        for id in expired {
            tracing::info!(
                "peer {}: no announcement for {}s; removed from routing",
                id.short(),
                expiry.as_secs()
            );
            self.forget_connection(&id, None).await;
        }
    }

    /// Pings a peer. An answer readmits an evicted peer; silence counts as a failure.
    async fn probe(&self, id: &NodeId) {
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
            .settings()
            .announce_interval
            .max(Duration::from_secs(1))
            * 2;
        let nonce = random_u64();
        let now = Instant::now();
        let fail = |reason: String| {
            if self.with_table(|t| t.failure(id, &reason, Instant::now())) {
                tracing::warn!("peer {} evicted from routing: {reason}", id.short());
                self.node().room_changed();
            }
        };
        let conn = match tokio::time::timeout(limit, self.connect(id)).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return fail(format!("{e:#}")),
            Err(_) => return fail("no answer to a ping".into()),
        };
        let r = tokio::time::timeout(limit, call_on(&conn, &Request::Ping { nonce })).await;
        match r {
            Ok(Ok(Reply::Pong { nonce: n })) if n == nonce => self.answered(id, &conn, now).await,
            Ok(Ok(other)) => self.strike(id, &format!("answered a ping with {other:?}")),
            Ok(Err(e)) => {
                // A dead connection is forgotten (the next try dials afresh); a live one that
                // answered without a pong keeps carrying the peer's other streams.
                if conn.close_reason().is_some() {
                    self.forget_connection(id, Some(&conn)).await;
                }
                fail(format!("{e:#}"));
            }
            Err(_) => {
                // A stalled peer (or a dead connection): the next try dials afresh.
                self.forget_connection(id, Some(&conn)).await;
                fail("no answer to a ping".into());
            }
        }
    }

    /// A peer answered a ping sent at `sent`: its path, its readmission, and its announcement
    /// if gossip has not brought one lately.
    async fn answered(&self, id: &NodeId, conn: &iroh::endpoint::Connection, sent: Instant) {
        self.observe_path(id, conn);
        if self.with_peer(id, |t| t.readmit(id, sent)) {
            tracing::info!("peer {} answers again; readmitted to routing", id.short());
        }
        let interval = self.settings().announce_interval;
        let stale = self.with_table(|t| {
            t.get(id).is_some_and(|p| {
                p.announcement.is_none() || sent.saturating_duration_since(p.heard) > interval * 2
            })
        });
        if stale {
            self.pull_announcement(id).await;
        }
    }

    /// LAN discovery: peers found by mDNS are dialed and join our gossip.
    pub(super) async fn mdns(self) {
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
        while let Some(ev) = events.next().await {
            if let iroh_mdns_address_lookup::DiscoveryEvent::Discovered { endpoint_info, .. } = ev {
                let id = NodeId::from_bytes(*endpoint_info.endpoint_id.as_bytes());
                let contact = Contact {
                    id: id.to_string(),
                    addrs: endpoint_info.data.ip_addrs().copied().collect(),
                    relay: None,
                };
                let added = self.with_table(|t| {
                    t.get(&id).is_none() && t.add_contact(contact, id, Instant::now())
                });
                if added {
                    tracing::info!("found peer {} on the LAN (mDNS)", id.short());
                    let net = self.clone();
                    self.tasks().spawn(async move {
                        if net.connect(&id).await.is_ok() {
                            net.join_gossip(&id).await;
                        }
                    });
                }
            }
        }
    }
}
