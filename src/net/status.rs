//! The peers as status shows them: address, RTT, health, load, score, reliability, strikes,
//! and the ledger head each last signed.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::Net;
use super::table::{Health, Peer, Weights};
use super::wire::ModelAd;
use crate::ids::{ModelRef, NodeId};
use crate::ledger::Ledger;

/// A peer, as status shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerStatus {
    pub id: NodeId,
    /// `direct`, `relay`, or `unknown` before the first connection.
    pub address: String,
    pub addrs: Vec<String>,
    pub rtt_ms: Option<f64>,
    pub health: Health,
    pub paused: bool,
    pub version: String,
    pub models: Vec<ModelAd>,
    pub load: f64,
    pub score: Option<f64>,
    pub reliability: f64,
    pub inflight: u32,
    pub strikes: u32,
    /// Its speed as this node measured it on the answers it streamed here (tokens a second).
    #[serde(default)]
    pub observed_tps: Option<f64>,
    /// What this node's spot checks of its answers found (none before the first).
    #[serde(default)]
    pub checks: Option<crate::trust::spot::Record>,
    /// On probation in routing here: no work of its passed a check yet (peers on probation
    /// share at most a fifth of this node's jobs).
    #[serde(default)]
    pub probation: bool,
    /// The seq and balance of the latest ledger head it signed that this node saw.
    pub ledger_seq: Option<u64>,
    pub balance: Option<u64>,
    pub last_heard_s: f64,
    /// How far its clock is ahead of this node's (ms; negative: behind), from its last
    /// announcement.
    #[serde(default)]
    pub clock_skew_ms: Option<i64>,
    /// The model files it offers (`NAME:QUANT`).
    #[serde(default)]
    pub files: Vec<String>,
    /// It loads the models the network lacks (`--auto-models`).
    #[serde(default)]
    pub auto_models: bool,
    /// Bytes it has free for pipeline stages of the models in `files`, as it announced.
    #[serde(default)]
    pub stage_free: u64,
}

impl PeerStatus {
    fn of(p: &Peer, w: &Weights, ledger: Option<&Ledger>, now: Instant) -> PeerStatus {
        let a = p.announcement.as_ref();
        let models = a.map(|a| a.models.clone()).unwrap_or_default();
        let (announced_busy, slots) = models.iter().fold((0u32, 0u32), |(b, s), m| {
            (
                b.saturating_add(m.busy).saturating_add(m.queued),
                s.saturating_add(m.slots),
            )
        });
        // Announcements lag: our own jobs on it count at once.
        let busy = announced_busy.max(p.inflight);
        let head = ledger.and_then(|l| l.peer_head(&p.id));
        PeerStatus {
            id: p.id,
            address: match (p.rtt, p.relayed) {
                (None, _) => "unknown",
                (_, true) => "relay",
                _ => "direct",
            }
            .into(),
            addrs: p.contact.addrs.iter().map(|a| a.to_string()).collect(),
            rtt_ms: p.rtt.map(|r| r.as_secs_f64() * 1e3),
            health: p.health.clone(),
            paused: a.is_some_and(|a| a.paused),
            version: a.map(|a| a.version.clone()).unwrap_or_default(),
            load: if slots > 0 {
                busy as f64 / slots as f64
            } else {
                0.0
            },
            score: models
                .first()
                .and_then(|m| p.score(&ModelRef::from(&m.id()), w)),
            models,
            reliability: p.reliability.value(),
            inflight: p.inflight,
            strikes: p.strikes,
            checks: None,
            probation: false,
            observed_tps: p.observed_tps,
            clock_skew_ms: p.clock_skew_ms,
            ledger_seq: head.as_ref().map(|h| h.seq),
            balance: head.as_ref().map(|h| h.balance),
            last_heard_s: now.saturating_duration_since(p.heard).as_secs_f64(),
            files: a
                .map(|a| a.files.iter().map(|f| f.model.clone()).collect())
                .unwrap_or_default(),
            auto_models: a.is_some_and(|a| a.auto_models),
            stage_free: a.map_or(0, |a| a.stage_free),
        }
    }
}

impl Net {
    /// The peers, for status, by id.
    pub fn peers(&self) -> Vec<PeerStatus> {
        let now = Instant::now();
        let ledger = self.node().ledger();
        let mut out: Vec<PeerStatus> = self.with_table(|t| {
            let w = t.weights;
            t.peers()
                .map(|p| PeerStatus {
                    probation: t.on_probation(&p.id),
                    ..PeerStatus::of(p, &w, ledger, now)
                })
                .collect()
        });
        let checks = self.checks().all();
        for p in &mut out {
            p.checks = checks.get(&p.id).copied();
        }
        out.sort_by_key(|p| p.id);
        out
    }
}
