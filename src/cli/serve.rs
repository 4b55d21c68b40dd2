//! `llp serve`: the node, headless, in the foreground. Also the embedded node that `llp chat`
//! and `llp bench` start when no node runs for the data dir.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use super::Global;
use crate::catalog::Catalog;
use crate::config::{Settings, UsageError};
use crate::engine::{Engine, EngineConfig};
use crate::node::{DataDirLock, Node, NodeFile};

/// A started node: its handle, the API address, and what stops it.
pub struct Running {
    pub node: Node,
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
    _lock: DataDirLock,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Tells peers this node leaves, stops accepting requests and waits (a bounded time) for
    /// running ones.
    pub async fn stop(self) {
        if let Some(net) = self.node.net() {
            net.shutdown().await;
        }
        self.shutdown.cancel();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), self.server).await;
    }
}

pub async fn run(g: &Global) -> anyhow::Result<ExitCode> {
    let settings = g.settings()?;
    let running = start_node(settings, None, true).await?;
    let node = &running.node;
    let url = running.base_url();
    let first = node
        .engines()
        .first()
        .map(|e| e.info().name.clone())
        .unwrap_or_else(|| "smollm2-135m-instruct".into());
    let served: Vec<String> = node
        .engines()
        .iter()
        .map(|e| format!("{}:{}", e.info().name, e.info().quant))
        .collect();
    println!(
        "llp node {} serving {} on {url}",
        node.id(),
        if served.is_empty() {
            "no model of its own (it routes every request to peers)".to_string()
        } else {
            served.join(", ")
        }
    );
    println!("  chat here:   llp chat \"Hello!\"");
    println!(
        "  curl:        curl {url}/v1/chat/completions -H 'Content-Type: application/json' \\\n               \
         -d '{{\"model\":\"{first}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello!\"}}]}}'"
    );
    println!("  OpenAI SDK:  base_url=\"{url}/v1\", api_key=\"anything\"");
    if let Some(net) = node.net() {
        let c = net.config();
        println!(
            "  network:     {}{} (P2P on {})",
            c.network,
            if c.secret.is_empty() { "" } else { ", private" },
            net.contact()
                .addrs
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        );
        println!("  invite:      llp serve --join {}", net.ticket(true));
    }
    println!("Ctrl-C stops the node.");
    wait_for_signal().await;
    eprintln!("llp: shutting down");
    running.stop().await;
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Starts a node for `settings`: locks the data dir, checks and loads the models, binds the API
/// (`api` overrides the settings' address, e.g. `127.0.0.1:0` for an embedded node).
pub async fn start_node(
    mut settings: Settings,
    api: Option<SocketAddr>,
    network: bool,
) -> anyhow::Result<Running> {
    let lock = crate::node::lock_data_dir(&settings.data_dir)?;
    let key = crate::node::node_key(&settings.data_dir)?;
    let id = crate::node::node_id(&settings.data_dir)?;
    if network {
        adopt_ticket_network(&mut settings)?;
    }
    let catalog =
        Catalog::load(settings.catalog.as_deref()).map_err(|e| UsageError(e.to_string()))?;
    let wanted = models_to_serve(&catalog, &settings)?;

    let mut engines = Vec::new();
    for spec in wanted {
        let choice = catalog
            .resolve_in(&spec, Some(&settings.models_dir))
            .map_err(|e| UsageError(e.to_string()))?;
        let id_str = choice.id();
        let verified = crate::fetch::verify_off_runtime(&settings.models_dir, &choice)
            .await
            .map_err(|e| UsageError(e.to_string()))?;
        if let crate::fetch::Verified::RecordedNow(sha) = verified {
            eprintln!(
                "llp: {id_str} has no published checksum; recorded sha256 {sha} (trust on first use)"
            );
        }
        let path = settings.models_dir.join(&choice.variant.file);
        crate::engine::check_gguf(&path)
            .map_err(|e| UsageError(format!("model file {}: {e}", path.display())))?;
        let config = EngineConfig {
            name: choice.model.name.clone(),
            quant: choice.variant.quant.clone(),
            path: path.clone(),
            threads: settings.threads,
            slots: settings.slots,
            ctx_per_slot: settings
                .ctx_per_slot
                .min(choice.model.context_length.max(64)),
            queue_limit: settings.queue_limit,
        };
        tracing::info!("loading {id_str} from {}", path.display());
        let engine = tokio::task::spawn_blocking(move || Engine::load(config))
            .await?
            .map_err(|e| match e {
                crate::engine::LoadError::Model { .. } | crate::engine::LoadError::Missing(_) => {
                    anyhow::Error::new(UsageError(e.to_string()))
                }
                other => anyhow::Error::new(other),
            })?;
        engines.push(engine);
    }

    let devices = tokio::task::spawn_blocking(crate::devices::detect).await?;
    let addr = api.unwrap_or(settings.api);
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (is another program using it? pick another with --api)")
    })?;
    let addr = listener.local_addr()?;
    let node = Node::new(id.clone(), settings.clone(), addr, engines, devices);
    let params = catalog
        .models
        .iter()
        .map(|m| {
            let facts = crate::ledger::ModelFacts {
                parameters: m.parameters,
                context: m.context_length,
            };
            (m.name.to_ascii_lowercase(), facts)
        })
        .collect();
    let (dir, policy, sk) = (
        settings.data_dir.clone(),
        settings.credits.clone(),
        iroh::SecretKey::from_bytes(&key),
    );
    let ledger =
        tokio::task::spawn_blocking(move || crate::ledger::Ledger::open(&dir, sk, policy, params))
            .await?
            .map_err(|e| UsageError(e.to_string()))?;
    node.set_ledger(ledger.clone());
    // A full check of the chain at start, in the background: status shows its result.
    let l = ledger.clone();
    tokio::task::spawn_blocking(move || l.check_self());
    let mut ticket = None;
    if network {
        let net = crate::net::Net::start(net_config(&settings), key, node.clone()).await?;
        ticket = Some(net.ticket(true));
        let n = net.clone();
        ledger.on_change(move || n.announce_changed());
        node.set_net(net);
    }
    crate::node::write_node_file(
        &settings.data_dir,
        &NodeFile {
            pid: std::process::id(),
            api: addr,
            id,
            version: crate::node::VERSION.into(),
            ticket,
        },
    )
    .with_context(|| format!("writing node.json in {}", settings.data_dir.display()))?;
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(crate::api::serve(node.clone(), listener, shutdown.clone()));
    Ok(Running {
        node,
        addr,
        shutdown,
        server,
        _lock: lock,
    })
}

/// The `--model` list, else every model present (its best variant), else the catalog default.
fn models_to_serve(catalog: &Catalog, settings: &Settings) -> Result<Vec<String>, UsageError> {
    // `--model none`: a node that only uses the network (a gateway, a laptop that consumes).
    if settings.models.iter().any(|m| m == "none") {
        return Ok(Vec::new());
    }
    if !settings.models.is_empty() {
        return Ok(settings.models.clone());
    }
    let mut present: Vec<String> = Vec::new();
    for c in catalog.present(&settings.models_dir) {
        if !present
            .iter()
            .any(|p| p.split(':').next() == Some(c.model.name.as_str()))
        {
            present.push(c.model.name.clone());
        }
    }
    if present.is_empty() {
        let default = catalog
            .resolve(&catalog.default)
            .map_err(|e| UsageError(e.to_string()))?;
        let path = settings.models_dir.join(&default.variant.file);
        return Err(UsageError(format!(
            "no model in {}: run `llp models fetch {}` (expected {})",
            settings.models_dir.display(),
            default.id(),
            path.display()
        )));
    }
    Ok(present)
}

fn net_config(s: &Settings) -> crate::net::NetConfig {
    crate::net::NetConfig {
        peers_file: Some(s.data_dir.join("peers.json")),
        listen: s.listen.clone(),
        relay: s.relay.clone(),
        join: s.join.clone(),
        mdns: s.mdns,
        network: s.network.clone(),
        secret: s.network_secret.clone(),
        announce_interval: std::time::Duration::from_millis(s.announce_interval_ms),
        peer_expiry: std::time::Duration::from_millis(s.peer_expiry_ms),
        weights: s.score,
        stall_min: std::time::Duration::from_millis(s.stall_min_ms),
        stall_factor: s.stall_factor,
        policy: s.credits.id(),
    }
}

/// A ticket names its network (and may carry its secret): a node left on the default open
/// network joins the ticket's; a node configured for another network is told of the conflict.
fn adopt_ticket_network(s: &mut Settings) -> Result<(), UsageError> {
    for t in &s.join {
        let t = crate::net::Ticket::decode(t).map_err(|e| UsageError(format!("--join: {e}")))?;
        let default = s.network == "public" && s.network_secret.is_empty();
        if t.network != s.network {
            if !default {
                return Err(UsageError(format!(
                    "--join: the ticket is for network `{}` but this node is set to network `{}` \
                     (--network / LLP_NETWORK); drop one of them",
                    t.network, s.network
                )));
            }
            s.network = t.network.clone();
        }
        if let Some(secret) = &t.secret {
            if !s.network_secret.is_empty() && s.network_secret != *secret {
                return Err(UsageError(
                    "--join: the ticket carries a different network secret than \
                     --network-secret / LLP_NETWORK_SECRET"
                        .into(),
                ));
            }
            s.network_secret = secret.clone();
        }
    }
    Ok(())
}
