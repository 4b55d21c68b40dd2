//! The command line: clap definitions and one file per subcommand, each with a `run`.
//! Parses flags and environment variables (clap's `env`), merges them with the config file
//! (`config`), and maps errors to exit codes: 2 for bad usage or config, 1 for runtime failures.

mod account;
mod chat;
pub(crate) mod demo;
mod devices;
mod doctor;
mod generated;
mod invite;
mod ledger;
mod models;
mod pull;
mod serve;
mod service;
mod show_config;
mod status;

use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::UsageError;

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

/// Options every command takes (each also an environment variable, and most a key of the
/// config file): one layer of the settings, declared once in [`crate::config::Layer`].
pub type Global = crate::config::Layer;

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
    Bench(crate::bench::BenchArgs),
    /// Print a ticket that another node passes to --join to enter this node's network
    Invite(invite::InviteArgs),
    /// Start a real N-node network on 127.0.0.1 with the default model, and show it working
    Demo(demo::DemoArgs),
    /// The credit ledger: show, verify or export the chain
    Ledger(ledger::LedgerArgs),
    /// An owner's fleet of nodes with one balance: create, add-node, revoke, show
    Account(account::AccountArgs),
    /// The settings in force, each with where it came from: flag, environment, file:line, default
    Config(show_config::ConfigArgs),
    /// Check the node's setup and say how to fix what is wrong (exit 1 if anything is)
    Doctor(doctor::DoctorArgs),
    /// Run the node as a systemd service: install, uninstall, show the unit
    Service(service::ServiceArgs),
    /// Print the shell completion script for bash, zsh, fish or powershell
    Completions(generated::CompletionsArgs),
    /// Print the man page (or write every page into a dir with --dir)
    Man(generated::ManArgs),
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

/// Runs the command line and returns the process's exit code.
pub fn main() -> ExitCode {
    // The matches are kept: `llp config` asks them where each value came from.
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|c| (c, m)));
    let (cli, matches) = match parsed {
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
    let result = runtime.block_on(dispatch(cli, &matches));
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

async fn dispatch(cli: Cli, matches: &clap::ArgMatches) -> anyhow::Result<ExitCode> {
    let g = cli.global;
    match cli.command {
        None => crate::tui::run(&g, cli.tui).await,
        Some(Command::Serve) => serve::run(&g).await,
        Some(Command::Chat(a)) => chat::run(&g, a).await,
        Some(Command::Status(a)) => status::run(&g, a.json).await,
        Some(Command::Devices(a)) => devices::run(a.json).await,
        Some(Command::Models(a)) => models::run(&g, a).await,
        Some(Command::Bench(a)) => crate::bench::run(&g, a).await,
        Some(Command::Invite(a)) => invite::run(&g, a).await,
        Some(Command::Demo(a)) => demo::run(&g, a).await,
        Some(Command::Ledger(a)) => ledger::run(&g, a).await,
        Some(Command::Account(a)) => account::run(&g, a).await,
        Some(Command::Config(a)) => show_config::run(&g, matches, &a),
        Some(Command::Doctor(a)) => doctor::run(&g, &a).await,
        Some(Command::Service(a)) => service::run(&g, &a),
        Some(Command::Completions(a)) => generated::run_completions(&a),
        Some(Command::Man(a)) => generated::run_man(&a),
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
        // An empty LLP_LOG (`LLP_LOG= llp ...`) means the default, not "log everything".
        let given = std::env::var("LLP_LOG")
            .ok()
            .filter(|v| !v.trim().is_empty());
        given.and_then(|v| EnvFilter::try_new(v).ok()).unwrap_or_else(|| {
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
