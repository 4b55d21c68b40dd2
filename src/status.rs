//! The node snapshot behind `llp status --json`, `/api/status` and the UI: the node, its models,
//! jobs, credits and devices, and (when it runs one) its network and peers. Built on demand from
//! the [`Router`]'s node and network; clients read it back with the same types.

use serde::{Deserialize, Serialize};

use crate::devices::Profile;
use crate::ids::NodeId;
use crate::ledger::{Equivocation, LedgerStatus};
use crate::net::{Misbehaviour, PeerStatus};
use crate::node::{JobInfo, ModelStatus, Totals, VERSION};
use crate::route::Router;

/// The node snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    /// `None` (written as `""`) for a node that never ran and has no key yet.
    #[serde(with = "crate::ids::empty_as_none")]
    pub id: Option<NodeId>,
    pub version: String,
    pub running: bool,
    pub api: Option<String>,
    pub paused: bool,
    /// Why it is paused (or contributing by hand over a condition), and when it expects to
    /// resume.
    #[serde(default)]
    pub contribution: crate::node::Contribution,
    pub uptime_s: u64,
    pub models: Vec<ModelStatus>,
    pub jobs: Vec<JobInfo>,
    pub network: Option<NetworkStatus>,
    pub peers: Vec<PeerStatus>,
    pub balance: Option<i64>,
    /// The credit ledger: balance, held credits, the newest entries.
    pub ledger: Option<LedgerStatus>,
    pub totals: Totals,
    pub devices: Profile,
    /// The account this node is a member of: its members and balance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<crate::net::account::AccountStatus>,
    /// What the paid fallback served and cost, when one is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<crate::fallback::Totals>,
}

/// The network this node is in, for status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkStatus {
    pub name: String,
    pub private: bool,
    pub p2p_addrs: Vec<String>,
    pub relay: Option<String>,
    /// Jobs waiting for room on any capable node.
    pub waiting: usize,
    /// Peers that broke the protocol: id, strikes, the last reason.
    pub misbehaving: Vec<Misbehaviour>,
    /// Peers caught signing two different ledger heads for one seq: refused for good.
    pub equivocators: Vec<Equivocation>,
    /// Fraud proofs this node made: workers whose signed answers failed its spot checks
    /// (`/api/proofs` has them whole).
    #[serde(default)]
    pub frauds: Vec<crate::trust::proof::Fraud>,
    /// Model files being fetched from peers.
    #[serde(default)]
    pub transfers: Vec<crate::net::share::Transfer>,
    /// Model files this node offers to its peers.
    #[serde(default)]
    pub offers: Vec<crate::net::wire::FileAd>,
    /// The pipelines this node coordinates: their stages and what each did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pipelines: Vec<crate::net::pipeline::Pipeline>,
    /// The pipeline stages this node runs for peers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<crate::net::pipeline::host::HostedStage>,
    /// Bytes of memory it has free for peers' stages.
    #[serde(default)]
    pub stage_free: u64,
    /// Whether it announces itself over the network-wide gossip topic now (not with
    /// `--no-gossip`, nor in a network estimated past 1,000 nodes).
    #[serde(default)]
    pub gossip: bool,
    /// The network's size, estimated from the distances of the nodes nearest this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_estimate: Option<u64>,
    /// Provider records it holds (Kademlia ADD_PROVIDER), its own among them.
    #[serde(default)]
    pub provider_records: usize,
}

/// The snapshot of a running node. Blocking (reads the ledger's newest entries).
pub fn snapshot(router: &Router) -> Snapshot {
    let node = router.node();
    let (models, totals) = node.models();
    let (jobs, waiting) = node.jobs();
    let network = router.net().map(|n| {
        let c = n.contact();
        NetworkStatus {
            name: n.settings().network.clone(),
            private: !n.settings().secret.is_empty(),
            p2p_addrs: c.addrs.iter().map(|a| a.to_string()).collect(),
            relay: c.relay,
            waiting,
            misbehaving: n.misbehaving(),
            frauds: n
                .proofs()
                .iter()
                .map(crate::trust::proof::Fraud::of)
                .collect(),
            equivocators: node.ledger().map(|l| l.equivocators()).unwrap_or_default(),
            transfers: n.transfers(),
            offers: n.offers(),
            pipelines: n.pipelines(),
            stages: n.stages().status(),
            stage_free: crate::net::pipeline::host::budget(n).saturating_sub(n.stages().used()),
            gossip: n.gossiping(),
            size_estimate: n.size_estimate(),
            provider_records: n.provider_records(),
        }
    });
    let ledger = node.ledger().map(|l| l.status());
    Snapshot {
        id: Some(node.id()),
        version: VERSION.into(),
        running: true,
        api: Some(node.api().to_string()),
        paused: node.paused(),
        contribution: node.contribution(),
        uptime_s: node.uptime().as_secs(),
        models,
        jobs,
        network,
        peers: router.net().map(|n| n.peers()).unwrap_or_default(),
        balance: ledger.as_ref().map(|l| l.balance as i64),
        ledger,
        totals,
        devices: node.devices(),
        fallback: router.fallback().map(crate::fallback::Fallback::totals),
        account: router.net().and_then(crate::net::Net::account_status),
    }
}
