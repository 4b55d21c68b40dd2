//! `llp serve`: the node, headless, in the foreground. Also the embedded node that `llp chat`
//! and `llp bench` start when no node runs for the data dir.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;

use super::Global;
use crate::catalog::Catalog;
use crate::config::{Settings, UsageError};
use crate::engine::Engine;
use crate::node::Node;
use crate::node::datadir::{self, DataDirLock, NodeFile};
use crate::route::Router;
use crate::tasks::Tasks;

/// A started node: its router (the node and its network), the API address, and what stops it.
pub struct Running {
    pub router: Router,
    pub addr: SocketAddr,
    /// The HTTP API's tasks (a child of the node's).
    api: Tasks,
    _lock: DataDirLock,
}

impl Running {
    pub fn node(&self) -> &Node {
        self.router.node()
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the node, part by part, from the top: tells peers it leaves and ends the network's
    /// tasks; stops accepting requests and waits (a bounded time) for running ones; then ends
    /// every task of the node, stops the engines' threads and closes the ledger. The data dir
    /// is released last.
    pub async fn stop(self) {
        if let Some(net) = self.router.net() {
            net.stop().await;
        }
        if tokio::time::timeout(API_STOP_WAIT, self.api.stop())
            .await
            .is_err()
        {
            tracing::warn!(
                "requests still running after {}s; stopping anyway",
                API_STOP_WAIT.as_secs()
            );
        }
        self.router.node().stop().await;
    }
}

/// How long a stopping node waits for the API's running requests.
const API_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

pub(super) async fn run(g: &Global) -> anyhow::Result<ExitCode> {
    let settings = g.settings()?;
    let running = start_node(settings, None, true).await?;
    let node = running.node();
    let url = running.base_url();
    let first = node
        .engines()
        .first()
        .map(|e| e.info().name.clone())
        .unwrap_or_else(|| "smollm2-135m-instruct".into());
    let served: Vec<String> = node
        .engines()
        .iter()
        .map(|e| e.info().id().to_string())
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
    if let Some(net) = running.router.net() {
        let c = net.settings();
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
        // Never the secret on screen (a terminal is shared, recorded, screenshotted).
        println!("  invite:      llp serve --join {}", net.ticket(false));
        if !c.secret.is_empty() {
            println!(
                "               plus --network-secret; `llp invite` prints a ticket that carries it"
            );
        }
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

/// Starts a node for `settings`: locks the data dir, checks and loads the models, opens the
/// ledger, binds the API (`api` overrides the settings' address, e.g. `127.0.0.1:0` for an
/// embedded node) and, with `network`, joins the peer network. The one place that wires the
/// parts together.
pub async fn start_node(
    mut settings: Settings,
    api: Option<SocketAddr>,
    network: bool,
) -> anyhow::Result<Running> {
    let lock = datadir::lock_data_dir(&settings.data_dir)?;
    let key = datadir::node_key(&settings.data_dir)?;
    crate::api::raise_open_files_limit();
    if network {
        adopt_ticket_network(&mut settings)?;
    }
    let catalog =
        Catalog::load(settings.catalog.as_deref()).map_err(|e| UsageError(e.to_string()))?;
    // Once, before the models: their budget is the free RAM it reports (the node refreshes it).
    let devices = tokio::task::spawn_blocking(crate::devices::detect).await?;
    let (engines, links) = load_engines(&catalog, &settings, devices.cpu.ram_free_bytes).await?;
    let addr = api.unwrap_or(settings.api.addr);
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (is another program using it? pick another with --api)")
    })?;
    let addr = listener.local_addr()?;
    let ledger = open_ledger(&catalog, &settings, &key).await?;
    let id = crate::ids::NodeId::from(&key);
    let node = Node::new(
        id,
        settings.clone(),
        addr,
        engines,
        Some(ledger.clone()),
        devices,
    );
    // A full check of the chain at start, in the background: status shows its result.
    node.tasks().spawn_blocking(move || ledger.check_self());
    // Contributing only while the machine is idle: the windows and the owner's use of it.
    crate::idle::start(&node, settings.idle.clone());
    let net = match network {
        true => Some(crate::net::Net::start(&node, key).await?),
        false if !links.is_empty() => {
            return Err(UsageError(
                "a pipeline runs its layers on peers: it needs the network".into(),
            )
            .into());
        }
        false => None,
    };
    for link in links {
        if let Some(n) = &net {
            n.attach_pipeline(link);
        }
    }
    datadir::write_node_file(
        &settings.data_dir,
        &NodeFile {
            pid: std::process::id(),
            api: addr,
            id,
            version: crate::node::VERSION.into(),
            ticket: net.as_ref().map(|n| n.ticket(true)),
        },
    )
    .with_context(|| format!("writing node.json in {}", settings.data_dir.display()))?;
    let fallback = match settings.fallback.clone() {
        Some(cfg) => Some(crate::fallback::Fallback::new(cfg).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let router = Router::new(node, net, fallback);
    let api = router.node().tasks().child();
    api.spawn_watching(crate::api::serve(
        router.clone(),
        listener,
        api.token().clone(),
    ));
    Ok(Running {
        router,
        addr,
        api,
        _lock: lock,
    })
}

/// Checks and loads the models to serve, each on its own engine thread: each `NAME` the best
/// variant on disk that fits the memory left (`--memory-limit`, else the free RAM).
async fn load_engines(
    catalog: &Catalog,
    settings: &Settings,
    free_ram: u64,
) -> anyhow::Result<(Vec<Engine>, Vec<crate::net::pipeline::Link>)> {
    let mut engines = Vec::new();
    let mut links = Vec::new();
    let limit = settings.engine.memory_limit;
    let pipelines = settings.engine.pipeline_stages > 0;
    let mut budget = limit.unwrap_or(free_ram);
    for spec in models_to_serve(catalog, settings)? {
        let (choice, why) = catalog
            .choose(
                &spec,
                &settings.models_dir,
                budget,
                limit.is_some() && !pipelines,
            )
            .map_err(|e| UsageError(e.to_string()))?;
        if pipelines && choice.variant.memory_needed() > budget {
            let (engine, link) = load_pipeline(settings, &choice, budget).await?;
            budget = budget.saturating_sub(engine.info().size_bytes);
            engines.push(engine);
            links.push(link);
            continue;
        }
        budget = budget.saturating_sub(choice.variant.memory_needed());
        #[cfg(feature = "fault-injection")]
        let name = match settings.net.cheat {
            Some(c) => c.name_for(catalog, &choice).map_err(UsageError)?,
            None => choice.model.name.clone(),
        };
        #[cfg(not(feature = "fault-injection"))]
        let name = choice.model.name.clone();
        let engine = crate::engine::load_variant(settings, &choice, name, why).await?;
        engines.push(engine);
    }
    Ok((engines, links))
}

/// A model too big for `budget` bytes here, served as a pipeline: this node loads its ends;
/// the link runs its layers on peers once the network is up.
async fn load_pipeline(
    settings: &Settings,
    choice: &crate::catalog::Choice<'_>,
    budget: u64,
) -> anyhow::Result<(Engine, crate::net::pipeline::Link)> {
    let path = settings.models_dir.join(&choice.variant.file);
    let p2 = path.clone();
    let layout = tokio::task::spawn_blocking(move || crate::engine::stage::layout(&p2))
        .await?
        .map_err(UsageError)?;
    let show = |b: u64| bytesize::ByteSize(b).display().iec().to_string();
    if layout.ends_bytes > budget {
        return Err(UsageError(format!(
            "{}: even the ends a pipeline's coordinator holds (embedding and output head) need \
             {}; this node has {} (--memory-limit)",
            choice.id(),
            show(layout.ends_bytes),
            show(budget)
        ))
        .into());
    }
    let why = format!(
        "a pipeline over peers: it needs {}, this node has {}; here its ends ({}), its {} \
         layers in at least {} stage(s) on peers",
        show(choice.variant.memory_needed()),
        show(budget),
        show(layout.ends_bytes),
        layout.layers(),
        settings.engine.pipeline_stages
    );
    let link = crate::net::pipeline::Link::new(
        choice.id().to_string(),
        layout,
        (
            settings.engine.pipeline_stages as usize,
            settings.engine.ctx_per_slot,
        ),
        settings.engine.pipeline_checks,
    );
    let remote = crate::engine::Pipeline(std::sync::Arc::new(link.clone()));
    let name = choice.model.name.clone();
    let engine =
        crate::engine::load_variant_with(settings, choice, name, why, Some(remote)).await?;
    Ok((engine, link))
}

/// Opens (or creates) the node's ledger, priced from the catalog.
async fn open_ledger(
    catalog: &Catalog,
    settings: &Settings,
    key: &iroh::SecretKey,
) -> anyhow::Result<crate::ledger::Ledger> {
    let params = crate::ledger::catalog_facts(catalog);
    let (dir, policy, key, network) = (
        settings.data_dir.clone(),
        settings.credits.clone(),
        key.clone(),
        settings.net.network.clone(),
    );
    let ledger = tokio::task::spawn_blocking(move || {
        crate::ledger::Ledger::open(&dir, key, policy, params, &network)
    })
    .await?
    .map_err(|e| UsageError(e.to_string()))?;
    Ok(ledger)
}

/// The `--model` list, else every model present (its best variant), else the catalog default.
fn models_to_serve(catalog: &Catalog, settings: &Settings) -> Result<Vec<String>, UsageError> {
    // `--model none`: a node that only uses the network (a gateway, a laptop that consumes).
    let models = &settings.engine.models;
    if models.iter().any(|m| m == "none") {
        return Ok(Vec::new());
    }
    if !models.is_empty() {
        return Ok(models.clone());
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

/// A ticket names its network (and may carry its secret): a node left on the default open
/// network joins the ticket's; a node configured for another network is told of the conflict.
fn adopt_ticket_network(s: &mut Settings) -> Result<(), UsageError> {
    let s = &mut s.net;
    for t in &s.join {
        let t = crate::net::Ticket::decode(t).map_err(|e| UsageError(format!("--join: {e}")))?;
        let default = s.network == "public" && s.secret.is_empty();
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
            if !s.secret.is_empty() && s.secret != *secret {
                return Err(UsageError(
                    "--join: the ticket carries a different network secret than \
                     --network-secret / LLP_NETWORK_SECRET"
                        .into(),
                ));
            }
            s.secret = secret.clone();
        }
    }
    Ok(())
}
