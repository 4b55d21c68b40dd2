//! The command line: clap definitions and one file per subcommand, each with a `run`.
//! Parses flags and environment variables (clap's `env`), merges them with the config file
//! (`config`), and maps errors to exit codes: 2 for bad usage or config, 1 for runtime failures.

mod bench;
mod bench_ledger;
mod bench_net;
mod bench_tui;
mod chat;
mod demo;
mod devices;
mod invite;
mod ledger;
mod models;
mod serve;
mod status;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Overrides, Settings, UsageError};

pub use serve::{Running, start_node};

#[derive(Debug, Parser)]
#[command(
    name = "llp",
    version,
    about = "Local LLM Proxy: a peer-to-peer LLM inference node with an OpenAI-compatible local API"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Options of the terminal UI (`llp` with no command)
    #[command(flatten)]
    pub tui: crate::tui::TuiArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes (each also an environment variable).
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Data dir: node key, databases, logs [default: the platform data dir]
    #[arg(long, env = "LLP_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Config file [default: config.toml in the platform config dir]
    #[arg(long, env = "LLP_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Where GGUF models live [default: models/ in the platform cache dir]
    #[arg(long, env = "LLP_MODELS_DIR", global = true)]
    pub models_dir: Option<PathBuf>,
    /// A models.toml catalog to use instead of the built-in one
    #[arg(long, env = "LLP_CATALOG", global = true)]
    pub catalog: Option<PathBuf>,
    /// Address of the local HTTP API [default: 127.0.0.1:8686]
    #[arg(long, env = "LLP_API", global = true)]
    pub api: Option<String>,
    /// Bearer token the API requires (required when --api is not loopback)
    #[arg(long, env = "LLP_API_TOKEN", global = true, hide_env_values = true)]
    pub api_token: Option<String>,
    /// P2P (QUIC/UDP) bind address [default: 0.0.0.0:0]
    #[arg(long, env = "LLP_LISTEN", global = true)]
    pub listen: Option<String>,
    /// Join the network of the node that printed this ticket (repeatable)
    #[arg(long, env = "LLP_JOIN", global = true, value_delimiter = ',')]
    pub join: Vec<String>,
    /// Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]
    #[arg(
        long = "model",
        env = "LLP_MODEL",
        global = true,
        value_delimiter = ','
    )]
    pub models: Vec<String>,
    /// Start with contribution to others paused (`--paused=false` overrides the config file)
    #[arg(long, env = "LLP_PAUSED", global = true, num_args = 0..=1, default_missing_value = "true")]
    pub paused: Option<bool>,
    /// Largest request body the API accepts, in bytes [default: 1048576]
    #[arg(long, env = "LLP_MAX_BODY_BYTES", global = true)]
    pub max_body_bytes: Option<usize>,
    /// Relay mode: default, disabled, or a relay URL
    #[arg(long, env = "LLP_RELAY", global = true)]
    pub relay: Option<String>,
    /// CPU threads for llama.cpp [default: physical cores]
    #[arg(long, env = "LLP_THREADS", global = true)]
    pub threads: Option<u32>,
    /// Requests decoded together per model [default: 4]
    #[arg(long, env = "LLP_SLOTS", global = true)]
    pub slots: Option<u32>,
    /// Context length of each slot in tokens [default: 2048]
    #[arg(long, env = "LLP_CTX_SIZE", global = true)]
    pub ctx_size: Option<u32>,
    /// Requests that may wait for a slot before new ones get 503 [default: 512]
    #[arg(long, env = "LLP_QUEUE_LIMIT", global = true)]
    pub queue_limit: Option<usize>,
    /// Name of the network to join or create [default: public]
    #[arg(long, env = "LLP_NETWORK", global = true)]
    pub network: Option<String>,
    /// Secret of a private network: only nodes that know it can join [default: none, open]
    #[arg(
        long,
        env = "LLP_NETWORK_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub network_secret: Option<String>,
    /// Turn off LAN discovery over mDNS
    #[arg(long, env = "LLP_NO_MDNS", global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub no_mdns: Option<bool>,
    /// How often the node announces itself to its peers, in ms [default: 5000]
    #[arg(long, env = "LLP_ANNOUNCE_INTERVAL_MS", global = true)]
    pub announce_interval_ms: Option<u64>,
    /// A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]
    #[arg(long, env = "LLP_PEER_EXPIRY_MS", global = true)]
    pub peer_expiry_ms: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the node, headless, in the foreground
    Serve,
    /// One streamed answer to PROMPT; without PROMPT, a line-based conversation
    Chat(chat::ChatArgs),
    /// The node's snapshot: id, contribution, models, jobs, devices
    Status(JsonFlag),
    /// This machine's capability profile
    Devices(JsonFlag),
    /// The model catalog and what is present locally
    Models(models::ModelsArgs),
    /// Benchmarks: prompt and generation speed, time to first token, API throughput and latency
    Bench(bench::BenchArgs),
    /// Print a ticket that another node passes to --join to enter this node's network
    Invite(invite::InviteArgs),
    /// Start a real N-node network on 127.0.0.1 with the default model, and show it working
    Demo(demo::DemoArgs),
    /// The credit ledger: show, verify or export the chain
    Ledger(ledger::LedgerArgs),
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

impl Global {
    pub fn settings(&self) -> Result<Settings, UsageError> {
        Settings::resolve(Overrides {
            data_dir: self.data_dir.clone(),
            config: self.config.clone(),
            models_dir: self.models_dir.clone(),
            catalog: self.catalog.clone(),
            api: self.api.clone(),
            api_token: self.api_token.clone(),
            listen: self.listen.clone(),
            join: self.join.clone(),
            models: self.models.clone(),
            paused: self.paused,
            max_body_bytes: self.max_body_bytes,
            relay: self.relay.clone(),
            threads: self.threads,
            slots: self.slots,
            ctx_per_slot: self.ctx_size,
            queue_limit: self.queue_limit,
            network: self.network.clone(),
            network_secret: self.network_secret.clone(),
            mdns: self.no_mdns.map(|off| !off),
            announce_interval_ms: self.announce_interval_ms,
            peer_expiry_ms: self.peer_expiry_ms,
        })
    }
}

/// Runs the command line and returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // The node's logs also go to a rolling file in its data dir; under the UI, only there.
    let logs = match &cli.command {
        None | Some(Command::Serve) => cli.global.settings().ok().map(|s| s.data_dir.join("logs")),
        _ => None,
    };
    let _log_guard = init_logging(logs.as_deref(), cli.command.is_some());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("llp: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(dispatch(cli));
    // Blocking tasks (a stalled stdin read, say) must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(code) => code,
        Err(e) => {
            if let Some(u) = e.downcast_ref::<UsageError>() {
                eprintln!("llp: {u}");
                ExitCode::from(2)
            } else {
                eprintln!("llp: {e:#}");
                ExitCode::from(1)
            }
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let g = cli.global;
    match cli.command {
        None => crate::tui::run(&g, cli.tui).await,
        Some(Command::Serve) => serve::run(&g).await,
        Some(Command::Chat(a)) => chat::run(&g, a).await,
        Some(Command::Status(a)) => status::run(&g, a.json).await,
        Some(Command::Devices(a)) => devices::run(a.json).await,
        Some(Command::Models(a)) => models::run(&g, a).await,
        Some(Command::Bench(a)) => bench::run(&g, a).await,
        Some(Command::Invite(a)) => invite::run(&g, a).await,
        Some(Command::Demo(a)) => demo::run(&g, a).await,
        Some(Command::Ledger(a)) => ledger::run(&g, a).await,
    }
}

/// Logs to standard error (`to_stderr`), and to a file rolled daily in `dir` (a week kept).
/// Returns the file writer's guard: dropping it flushes what is buffered.
fn init_logging(
    dir: Option<&std::path::Path>,
    to_stderr: bool,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer};
    // llama.cpp logs every model load in detail at info level; keep its warnings only.
    let filter = || {
        EnvFilter::try_from_env("LLP_LOG").unwrap_or_else(|_| {
            EnvFilter::new(
                "info,llama-cpp-2=warn,llama_cpp_2=warn,iroh=warn,iroh::address_lookup::pkarr=error,iroh_gossip=warn,noq=warn,\
                 noq_proto=warn,iroh_relay=warn,swarm_discovery=warn,iroh_mdns_address_lookup=warn",
            )
        })
    };
    let file = dir.and_then(|d| {
        // The appender prunes old files at start and complains when the dir is not there yet.
        let _ = std::fs::create_dir_all(d);
        tracing_appender::rolling::RollingFileAppender::builder()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("llp")
            .filename_suffix("log")
            .max_log_files(7)
            .build(d)
            .map_err(|e| eprintln!("llp: cannot log to {}: {e}", d.display()))
            .ok()
    });
    let (file_layer, guard) = match file {
        Some(appender) => {
            // Writes happen on a thread of its own: a slow disk never holds up a job.
            let (w, guard) = tracing_appender::non_blocking(appender);
            let layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(w)
                .with_filter(filter());
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let stderr_layer = to_stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter())
    });
    let _ = tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init();
    guard
}

/// Prints JSON to stdout; a closed pipe (`llp status --json | head`) is not an error.
pub fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let text = serde_json::to_string_pretty(v)?;
    match writeln!(out, "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

/// Human-readable bytes.
pub fn bytes(n: u64) -> String {
    bytesize::ByteSize(n).display().iec().to_string()
}
