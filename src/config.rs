//! Settings: built-in defaults, then the TOML config file, then environment variables, then
//! command-line flags, each layer winning over the one before.
//!
//! Every setting is declared once, in [`Layer`]: its flag and variable (clap fills one layer
//! from the command line and the environment) and its key in the file (serde fills another).
//! [`Settings::resolve`] merges the layers and resolves each typed section on its own
//! ([`ApiSettings`], [`EngineSettings`], [`NetSettings`], the credit [`Policy`]), naming the flag,
//! or the file, line and field, of a bad value. Unknown keys are errors. Also owns the platform
//! directories (through `directories`).
//!
//! The two tables that tune one part each, `[score]` and `[credits]`, are parsed straight into
//! that part's own types ([`Weights`] of the routing table, the ledger's [`Policy`]), so their
//! format and checks live with the code that uses them; config names them and nothing more.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::ledger::Policy;
use crate::net::table::Weights;

/// Bad usage or a bad config: the process exits with code 2 and this message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// One layer of settings: the command line with the environment (clap), or the config file
/// (serde). Every field is optional; an absent one leaves the layer below in force.
#[derive(Debug, Default, Clone, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// Data dir: node key, databases, logs [default: the platform data dir]
    #[arg(long, env = "LLP_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Config file [default: config.toml in the platform config dir]
    #[arg(long, env = "LLP_CONFIG", global = true)]
    #[serde(skip)]
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
    #[arg(
        long,
        env = "LLP_JOIN",
        global = true,
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub join: Option<Vec<String>>,
    /// Model to serve, NAME or NAME:QUANT (repeatable), or `none` to serve no model and route every request to peers [default: the models present, else the default model]
    #[arg(
        long = "model",
        env = "LLP_MODEL",
        global = true,
        value_delimiter = ','
    )]
    pub models: Option<Vec<String>>,
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
    #[arg(
        long = "ctx-size",
        value_name = "CTX_SIZE",
        env = "LLP_CTX_SIZE",
        global = true
    )]
    pub ctx_per_slot: Option<u32>,
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
    #[serde(skip)]
    pub no_mdns: Option<bool>,
    /// LAN discovery over mDNS (the file's form of `--no-mdns`).
    #[arg(skip)]
    pub mdns: Option<bool>,
    /// Turn off announcements over the network-wide gossip topic: peers are found by provider
    /// records and lookups only (what a network of thousands of nodes wants)
    #[arg(long, env = "LLP_NO_GOSSIP", global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    #[serde(skip)]
    pub no_gossip: Option<bool>,
    /// Announcements over gossip (the file's form of `--no-gossip`).
    #[arg(skip)]
    pub gossip: Option<bool>,
    /// How often the node announces itself to its peers, in ms [default: 5000]
    #[arg(long, env = "LLP_ANNOUNCE_INTERVAL_MS", global = true)]
    pub announce_interval_ms: Option<u64>,
    /// A peer not heard from for this long is dropped, in ms [default: 5 announce intervals, at least 5000]
    #[arg(long, env = "LLP_PEER_EXPIRY_MS", global = true)]
    pub peer_expiry_ms: Option<u64>,
    /// The mean time between challenges this node sends to peers on probation, in ms; 0: none [default: 300000]
    #[arg(long, env = "LLP_CHALLENGE_INTERVAL_MS", global = true)]
    pub challenge_interval_ms: Option<u64>,
    /// Engine that computes the models: llama (llama.cpp) or candle [default: llama]
    #[arg(long, env = "LLP_ENGINE", global = true, value_enum)]
    pub engine: Option<crate::engine::EngineKind>,
    /// Memory the models may use (e.g. `6GiB`; standing in for a GPU's memory): each `--model
    /// NAME` serves the best variant on disk that fits what is left [default: the free RAM]
    #[arg(long, env = "LLP_MEMORY_LIMIT", global = true)]
    pub memory_limit: Option<String>,
    /// Serve a model that does not fit --memory-limit as a pipeline: this node holds its ends
    /// (embedding and output head) and peers run its layers, in at least this many stages
    /// (1: as few as fit; the candle engine computes it) [default: off]
    #[arg(long, env = "LLP_PIPELINE_STAGES", global = true)]
    pub pipeline_stages: Option<u32>,
    /// The share of a pipeline's sequences whose stages another node checks, from 0 to 1
    /// (a check costs one stage's share of the job more) [default: 0.1]
    #[arg(long, env = "LLP_PIPELINE_CHECKS", global = true)]
    pub pipeline_checks: Option<f64>,
    /// The most this node sends a second of the model files peers fetch from it (e.g. `20MB`)
    /// [default: no limit]
    #[arg(long, env = "LLP_SHARE_RATE", global = true)]
    pub share_rate: Option<String>,
    /// Load the models the network lacks: fetch (from peers first) and serve a model that
    /// requests wait for and no node serves, within --memory-limit (else the free RAM) and
    /// --auto-models-disk, unloading the least used such model when memory runs short
    #[arg(long, env = "LLP_AUTO_MODELS", global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub auto_models: Option<bool>,
    /// The most the models dir may hold after --auto-models fetches a model (e.g. `50GiB`)
    /// [default: 20GiB]
    #[arg(long, env = "LLP_AUTO_MODELS_DISK", global = true)]
    pub auto_models_disk: Option<String>,
    /// The least time a model `--auto-models` loaded stays loaded, in seconds (file only)
    /// [default: 300].
    #[arg(skip)]
    pub auto_models_keep_s: Option<u64>,
    /// The engine of particular models, by `NAME` or `NAME:QUANT` (file only), over `engine`.
    #[arg(skip)]
    pub engines: Option<std::collections::BTreeMap<String, crate::engine::EngineKind>>,
    /// Failover: the shortest stall timeout, in ms (file only).
    #[arg(skip)]
    pub stall_min_ms: Option<u64>,
    /// Failover: a stall is this many mean token intervals (file only).
    #[arg(skip)]
    pub stall_factor: Option<f64>,
    /// The weights of the peer score (file only; see the README).
    #[arg(skip)]
    pub score: Option<Weights>,
    /// The network's credit policy (file only; see the README); every node of a network needs
    /// the same.
    #[arg(skip)]
    pub credits: Option<Policy>,
    /// The region this node announces (its operator's word: `eu-west`, `us`, ...), for peers
    /// whose policy requires one [default: none]
    #[arg(long, env = "LLP_REGION", global = true)]
    pub region: Option<String>,
    /// Where this node's own prompts may go: local (this machine), network (nodes that proved
    /// this private network's secret) or any [default: any]
    #[arg(long, env = "LLP_ROUTE", global = true, value_enum)]
    #[serde(skip)]
    pub route: Option<crate::route::policy::Route>,
    /// Send this node's prompts only to nodes that announce one of these regions (repeatable)
    /// [default: any region]
    #[arg(long, env = "LLP_ROUTE_REGION", global = true, value_delimiter = ',')]
    #[serde(skip)]
    pub route_region: Option<Vec<String>>,
    /// The most credits a job of this node's may cost on the network [default: no ceiling]
    #[arg(long, env = "LLP_MAX_CREDITS", global = true)]
    #[serde(skip)]
    pub max_credits: Option<u64>,
    /// The longest expected time to a job's first token on a peer, in ms [default: no ceiling]
    #[arg(long, env = "LLP_MAX_TTFT_MS", global = true)]
    #[serde(skip)]
    pub max_ttft_ms: Option<u64>,
    /// This node's certificate of membership of an account (`llpcert1…`, from `llp account
    /// add-node`) [default: account.cert in the data dir, if there]
    #[arg(long, env = "LLP_ACCOUNT_CERT", global = true, hide_env_values = true)]
    pub account_cert: Option<String>,
    /// The paid fallback, an OpenAI-compatible upstream (file only; see the README).
    #[arg(skip)]
    pub fallback: Option<crate::fallback::Config>,
    /// The routing policy (file only; the flags above win over its fields; see the README).
    #[arg(skip)]
    pub policy: Option<crate::route::policy::Rules>,
    /// Keep the text of the prompts and answers this node serves for peers in its job log
    /// (`--keep-peer-text=false` overrides the file) [default: false, sizes and timings only]
    #[arg(long, env = "LLP_KEEP_PEER_TEXT", global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub keep_peer_text: Option<bool>,
    /// Contribute to peers only within these windows of local time, e.g. `Mon-Fri
    /// 00:00-07:00` or `Sat-Sun all` (repeatable; `;` between windows in LLP_CONTRIBUTE)
    /// [default: at any time]
    #[arg(long, env = "LLP_CONTRIBUTE", global = true, value_delimiter = ';')]
    pub contribute: Option<Vec<String>>,
    /// Pause for peers by itself while other programs use the CPU or GPU, on battery, or when
    /// hot (each condition in the file's [idle] table; `--auto-pause=false` turns all off)
    /// [default: on]
    #[arg(long, env = "LLP_AUTO_PAUSE", global = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub auto_pause: Option<bool>,
    /// How long a condition must stay clear before contributing resumes, e.g. `30s` (the
    /// file's `idle.hold_off`) [default: 30s]
    #[arg(long, env = "LLP_HOLD_OFF", global = true)]
    #[serde(skip)]
    pub hold_off: Option<String>,
    /// The most jobs this node runs for peers at once [default: one per slot]
    #[arg(long, env = "LLP_MAX_PEER_JOBS", global = true)]
    pub max_peer_jobs: Option<usize>,
    /// The CPU threads' worth of time peers' jobs may use, of --threads [default: all]
    #[arg(long, env = "LLP_THREADS_FOR_PEERS", global = true)]
    pub threads_for_peers: Option<u32>,
    /// The share of the engine's time peers' jobs may use, in percent: a duty cycle ("half my
    /// GPU") [default: 100]
    #[arg(long, env = "LLP_PEER_DUTY", global = true)]
    pub peer_duty: Option<u32>,
    /// When the node pauses by itself, and how it watches (file only; see the README).
    #[arg(skip)]
    pub idle: Option<crate::idle::File>,
    /// Serve peers' jobs dishonestly, in this way (a build with `fault-injection` only: tests)
    #[cfg(feature = "fault-injection")]
    #[arg(long, global = true, value_enum)]
    #[serde(skip)]
    pub cheat: Option<crate::trust::cheat::Cheat>,
}

impl Layer {
    /// The settings in force with this layer of flags and environment on top.
    pub fn settings(&self) -> Result<Settings, UsageError> {
        Settings::resolve(self.clone())
    }
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config_file: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub models_dir: PathBuf,
    pub catalog: Option<PathBuf>,
    /// Contribution to others starts paused.
    pub paused: bool,
    pub api: ApiSettings,
    pub engine: EngineSettings,
    pub net: NetSettings,
    pub credits: Policy,
    /// Where this node's own jobs may go (a request may narrow it).
    pub policy: crate::route::policy::Policy,
    /// Keep peers' prompts and answers in the job log (off: their sizes and timings only).
    pub keep_peer_text: bool,
    /// The paid fallback, if configured.
    pub fallback: Option<crate::fallback::Config>,
    /// This node's account certificate (its text), if any.
    pub account_cert: Option<String>,
    /// When it contributes: its windows and the conditions that pause it.
    pub idle: crate::idle::Settings,
}

/// The local HTTP API.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub addr: SocketAddr,
    /// Required of every request but `/health` (and required when `addr` is not loopback).
    pub token: Option<String>,
    /// Larger bodies get 413.
    pub max_body_bytes: usize,
}

/// The engines: which models, and how each runs.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// `NAME` or `NAME:QUANT` each; empty: the models present; `none`: no model.
    pub models: Vec<String>,
    pub threads: u32,
    pub slots: u32,
    /// Prompt plus answer tokens per request.
    pub ctx_per_slot: u32,
    /// Waiting requests before 503.
    pub queue_limit: usize,
    /// The engine of every model but those named in `engines`.
    pub engine: crate::engine::EngineKind,
    /// Per model (`NAME` or `NAME:QUANT`), from the config file.
    pub engines: std::collections::BTreeMap<String, crate::engine::EngineKind>,
    /// Bytes the models may use, if limited.
    pub memory_limit: Option<u64>,
    /// A model that does not fit is served as a pipeline over peers in at least this many
    /// stages (0: it is not, and does not start).
    pub pipeline_stages: u32,
    /// The share of a pipeline's sequences whose stages are checked.
    pub pipeline_checks: f64,
    /// Load the models the network lacks (`--auto-models`), within this many bytes of model
    /// files in the models dir.
    pub auto_models: bool,
    pub auto_models_disk: u64,
    /// The least time a model it loaded stays loaded.
    pub auto_models_keep: std::time::Duration,
    /// The share of an engine's time peers' jobs may use, percent (from `--threads-for-peers`
    /// and `--peer-duty`; the idle governor lowers it where a GPU's power limit is refused).
    /// Shared by every clone: the engines read it at each step.
    pub peer_share: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

impl EngineSettings {
    /// The engine that computes `choice`: its `NAME:QUANT` entry, else its `NAME` entry, else
    /// the node's engine. The flag sets the node's engine; a model's entry in the file is more
    /// particular and wins.
    pub fn engine_for(&self, choice: &crate::catalog::Choice<'_>) -> crate::engine::EngineKind {
        self.engines
            .get(&choice.id().to_string())
            .or_else(|| self.engines.get(&choice.model.name))
            .copied()
            .unwrap_or(self.engine)
    }
}

/// How the node reaches its peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relay {
    /// iroh's public relays (and address lookup).
    Default,
    /// Direct connections only: no relay, no port mapping, no address lookup.
    Disabled,
    Custom(iroh::RelayUrl),
}

/// The peer network.
#[derive(Debug, Clone)]
pub struct NetSettings {
    pub listen: SocketAddr,
    pub relay: Relay,
    /// Tickets from `llp invite`.
    pub join: Vec<String>,
    pub mdns: bool,
    /// Announcements over the network-wide gossip topic (off: provider records and lookups
    /// only).
    pub gossip: bool,
    /// The network's name and secret (empty: an open network).
    pub network: String,
    pub secret: String,
    pub announce_interval: Duration,
    pub peer_expiry: Duration,
    /// The mean time between challenges (`None`: no challenges).
    pub challenge_interval: Option<Duration>,
    /// Failover: the shortest stall timeout, and the multiple of a peer's mean time between
    /// tokens that counts as a stall.
    pub stall_min: Duration,
    pub stall_factor: f64,
    pub score: Weights,
    /// The most bytes a second this node sends of the model files peers fetch (`None`: no
    /// limit).
    pub share_rate: Option<u64>,
    /// The region this node announces (lower case), if its operator set one.
    pub region: Option<String>,
    /// The most jobs this node runs for peers at once (`None`: its slots bound them).
    pub max_peer_jobs: Option<usize>,
    /// How this node cheats its peers (tests of verified work only).
    #[cfg(feature = "fault-injection")]
    pub cheat: Option<crate::trust::cheat::Cheat>,
}

pub const DEFAULT_API: &str = "127.0.0.1:8686";

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "llp")
}

/// `config.toml` in the platform config dir.
pub fn default_config_file() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

pub fn default_data_dir() -> PathBuf {
    project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".llp"))
}

pub fn default_models_dir() -> PathBuf {
    project_dirs()
        .map(|d| d.cache_dir().join("models"))
        .unwrap_or_else(|| PathBuf::from(".llp-models"))
}

/// Threads for llama.cpp: the physical cores (hyper-threads slow llama.cpp down).
pub fn default_threads() -> u32 {
    let physical = sysinfo::System::physical_core_count().unwrap_or(0);
    let logical = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    (if physical > 0 {
        physical.min(logical)
    } else {
        logical
    })
    .max(1) as u32
}

/// Where a value came from, to name it in an error: the flag or variable when one was given,
/// else the file's line for that key.
struct Places<'a> {
    file: Option<&'a Path>,
    text: &'a str,
}

impl Places<'_> {
    fn of(&self, key: &str, overridden: bool) -> String {
        let flag = format!("--{} / LLP_{}", key.replace('_', "-"), key.to_uppercase());
        if overridden {
            return flag;
        }
        let line = self
            .text
            .lines()
            .position(|l| l.split('=').next().is_some_and(|k| k.trim() == key))
            .map(|n| format!(", line {}", n + 1))
            .unwrap_or_default();
        match self.file {
            Some(p) => format!("config file {}{line}, field `{key}`", p.display()),
            None => flag,
        }
    }
}

/// A setting from the flags (`flag`) or else the file (`file`), with where it came from.
fn pick<T>(flag: Option<T>, file: Option<T>) -> (Option<T>, bool) {
    match flag {
        Some(v) => (Some(v), true),
        None => (file, false),
    }
}

impl Settings {
    /// Merges defaults, the config file (explicit `--config`/`LLP_CONFIG`, else the platform one
    /// if it exists) and the flags and environment (`o`).
    pub fn resolve(o: Layer) -> Result<Settings, UsageError> {
        let (config_file, (file, text)) = match &o.config {
            Some(path) => (Some(path.clone()), read_file(path, true)?),
            None => match default_config_file() {
                Some(path) if path.exists() => (Some(path.clone()), read_file(&path, false)?),
                _ => (None, (Layer::default(), String::new())),
            },
        };
        let places = Places {
            file: config_file.as_deref(),
            text: &text,
        };
        let credits = file.credits.clone().unwrap_or_default();
        credits
            .check()
            .map_err(|e| UsageError(format!("{}: {e}", places.of("credits", false))))?;
        let data_dir = o
            .data_dir
            .clone()
            .or(file.data_dir.clone())
            .unwrap_or_else(default_data_dir);
        // The flag, else the file's key, else `account.cert` in the data dir.
        let account_cert = o
            .account_cert
            .clone()
            .or(file.account_cert.clone())
            .or_else(|| std::fs::read_to_string(data_dir.join("account.cert")).ok())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        Ok(Settings {
            account_cert,
            policy: policy(&o, &file, &places)?,
            keep_peer_text: o.keep_peer_text.or(file.keep_peer_text).unwrap_or(false),
            fallback: match file.fallback.clone() {
                None => None,
                Some(mut f) => {
                    f.check().map_err(|e| {
                        UsageError(format!("{}: {e}", places.of("fallback", false)))
                    })?;
                    Some(f)
                }
            },
            idle: crate::idle::Settings::resolve(
                &file.idle.clone().unwrap_or_default(),
                &o.contribute
                    .clone()
                    .or(file.contribute.clone())
                    .unwrap_or_default(),
                o.auto_pause.or(file.auto_pause).unwrap_or(true),
                o.hold_off.as_deref(),
            )
            .map_err(|e| {
                let key = if e.starts_with("`contribute`") {
                    "contribute"
                } else {
                    "idle"
                };
                let given = if key == "contribute" {
                    o.contribute.is_some()
                } else {
                    o.hold_off.is_some() && e.starts_with("`hold_off`")
                };
                UsageError(format!("{}: {e}", places.of(key, given)))
            })?,
            api: ApiSettings::resolve(&o, &file, &places)?,
            engine: EngineSettings::resolve(&o, &file, &places)?,
            net: NetSettings::resolve(&o, &file, &places)?,
            credits,
            paused: o.paused.or(file.paused).unwrap_or(false),
            data_dir,
            models_dir: o
                .models_dir
                .or(file.models_dir)
                .unwrap_or_else(default_models_dir),
            catalog: o.catalog.or(file.catalog),
            config_file,
        })
    }
}

impl ApiSettings {
    fn resolve(o: &Layer, file: &Layer, places: &Places) -> Result<ApiSettings, UsageError> {
        let (text, given) = pick(o.api.clone(), file.api.clone());
        let text = text.unwrap_or_else(|| DEFAULT_API.to_string());
        let addr: SocketAddr = text.parse().map_err(|_| {
            UsageError(format!(
                "{}: `{text}` is not an address like 127.0.0.1:8686",
                places.of("api", given)
            ))
        })?;
        let token = o
            .api_token
            .clone()
            .or(file.api_token.clone())
            .filter(|t| !t.is_empty());
        if !addr.ip().is_loopback() && token.is_none() {
            return Err(UsageError(format!(
                "the API address {addr} is reachable beyond this machine, so a bearer token is \
                 required: set LLP_API_TOKEN (or api_token in the config file)"
            )));
        }
        Ok(ApiSettings {
            addr,
            token,
            max_body_bytes: o.max_body_bytes.or(file.max_body_bytes).unwrap_or(1 << 20),
        })
    }
}

impl EngineSettings {
    fn resolve(o: &Layer, file: &Layer, places: &Places) -> Result<EngineSettings, UsageError> {
        let positive =
            |name: &str, flag: Option<u32>, from_file: Option<u32>, default: u32| match pick(
                flag, from_file,
            ) {
                (Some(0), given) => Err(UsageError(format!(
                    "{}: {name} must be at least 1",
                    places.of(name, given)
                ))),
                (Some(v), _) => Ok(v),
                (None, _) => Ok(default),
            };
        let ctx_per_slot = positive("ctx_per_slot", o.ctx_per_slot, file.ctx_per_slot, 2048)?;
        if ctx_per_slot < 64 {
            return Err(UsageError(format!(
                "{}: ctx_per_slot must be at least 64 tokens",
                places.of("ctx_per_slot", o.ctx_per_slot.is_some())
            )));
        }
        let memory_limit = size_setting(
            "memory_limit",
            "an amount of memory like 6GiB or 512MB",
            pick(o.memory_limit.clone(), file.memory_limit.clone()),
            places,
        )?;
        let auto_models_disk = size_setting(
            "auto_models_disk",
            "an amount of disk like 50GiB",
            pick(o.auto_models_disk.clone(), file.auto_models_disk.clone()),
            places,
        )?
        .unwrap_or(20 << 30);
        let pipeline_checks = o.pipeline_checks.or(file.pipeline_checks).unwrap_or(0.1);
        if !(0.0..=1.0).contains(&pipeline_checks) {
            return Err(UsageError(format!(
                "{}: pipeline_checks must be a share from 0 to 1, not {pipeline_checks}",
                places.of("pipeline_checks", o.pipeline_checks.is_some())
            )));
        }
        let threads = positive("threads", o.threads, file.threads, default_threads())?;
        let (for_peers, given) = pick(o.threads_for_peers, file.threads_for_peers);
        if for_peers == Some(0) {
            return Err(UsageError(format!(
                "{}: at least 1 (pause contributing to give peers none)",
                places.of("threads_for_peers", given)
            )));
        }
        let (duty, given) = pick(o.peer_duty, file.peer_duty);
        let duty = duty.unwrap_or(100);
        if !(1..=100).contains(&duty) {
            return Err(UsageError(format!(
                "{}: a percentage from 1 to 100, not {duty}",
                places.of("peer_duty", given)
            )));
        }
        // Threads' worth of time is a share of the engine's time (llama.cpp fixes a context's
        // threads when it is made).
        let thread_share = for_peers.map_or(100, |n| (n.min(threads) * 100).div_ceil(threads));
        Ok(EngineSettings {
            peer_share: std::sync::Arc::new(std::sync::atomic::AtomicU32::new(
                duty.min(thread_share),
            )),
            memory_limit,
            pipeline_stages: o.pipeline_stages.or(file.pipeline_stages).unwrap_or(0),
            pipeline_checks,
            auto_models: o.auto_models.or(file.auto_models).unwrap_or(false),
            auto_models_disk,
            auto_models_keep: std::time::Duration::from_secs(
                o.auto_models_keep_s
                    .or(file.auto_models_keep_s)
                    .unwrap_or(300),
            ),
            models: o.models.clone().or(file.models.clone()).unwrap_or_default(),
            threads,
            slots: positive("slots", o.slots, file.slots, 4)?,
            ctx_per_slot,
            queue_limit: o.queue_limit.or(file.queue_limit).unwrap_or(512),
            engine: o.engine.or(file.engine).unwrap_or_default(),
            engines: file.engines.clone().unwrap_or_default(),
        })
    }
}

impl Relay {
    fn parse(text: &str, place: &str) -> Result<Relay, UsageError> {
        match text {
            "default" => Ok(Relay::Default),
            "disabled" => Ok(Relay::Disabled),
            url if url.starts_with("http") => url
                .parse()
                .map(Relay::Custom)
                .map_err(|e| UsageError(format!("{place}: `{url}`: {e}"))),
            other => Err(UsageError(format!(
                "{place}: `{other}` is not `default`, `disabled` or a relay URL"
            ))),
        }
    }
}

impl NetSettings {
    fn resolve(o: &Layer, file: &Layer, places: &Places) -> Result<NetSettings, UsageError> {
        let (relay, given) = pick(o.relay.clone(), file.relay.clone());
        let relay = Relay::parse(
            relay.as_deref().unwrap_or("default"),
            &places.of("relay", given),
        )?;
        let (listen, given) = pick(o.listen.clone(), file.listen.clone());
        let listen = listen.unwrap_or_else(|| "0.0.0.0:0".into());
        let listen: SocketAddr = listen.parse().map_err(|_| {
            UsageError(format!(
                "{}: `{listen}` is not an address like 0.0.0.0:0",
                places.of("listen", given)
            ))
        })?;
        let (network, given) = pick(o.network.clone(), file.network.clone());
        let network = network.unwrap_or_else(|| "public".into());
        if network.is_empty()
            || network.len() > 64
            || !network
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(UsageError(format!(
                "{}: `{network}` is not a network name (1-64 letters, digits, - _ .)",
                places.of("network", given)
            )));
        }
        let (interval, expiry) = intervals(o, file, places)?;
        let score = file.score.unwrap_or_default();
        check_score(&score, places)?;
        let stall_factor = file.stall_factor.unwrap_or(10.0);
        if !(stall_factor.is_finite() && stall_factor >= 1.0) {
            return Err(UsageError(format!(
                "{}: stall_factor must be at least 1",
                places.of("stall_factor", false)
            )));
        }
        Ok(NetSettings {
            listen,
            relay,
            join: o.join.clone().or(file.join.clone()).unwrap_or_default(),
            mdns: o.no_mdns.map(|off| !off).or(file.mdns).unwrap_or(true),
            gossip: o.no_gossip.map(|off| !off).or(file.gossip).unwrap_or(true),
            network,
            secret: o
                .network_secret
                .clone()
                .or(file.network_secret.clone())
                .unwrap_or_default(),
            announce_interval: interval,
            peer_expiry: expiry,
            challenge_interval: match pick(o.challenge_interval_ms, file.challenge_interval_ms).0 {
                Some(0) => None,
                ms => Some(Duration::from_millis(ms.unwrap_or(300_000).max(100))),
            },
            stall_min: Duration::from_millis(file.stall_min_ms.unwrap_or(500)),
            stall_factor,
            score,
            share_rate: size_setting(
                "share_rate",
                "a rate like 20MB (bytes a second)",
                pick(o.share_rate.clone(), file.share_rate.clone()),
                places,
            )?
            .filter(|r| *r > 0),
            region: match pick(o.region.clone(), file.region.clone()) {
                (None, _) => None,
                (Some(r), given) => {
                    Some(crate::route::policy::region_name(&r).ok_or_else(|| {
                        UsageError(format!(
                            "{}: `{r}` is not a region name (1-32 letters, digits, - _)",
                            places.of("region", given)
                        ))
                    })?)
                }
            },
            max_peer_jobs: max_peer_jobs(o, file, places)?,
            #[cfg(feature = "fault-injection")]
            cheat: o.cheat,
        })
    }
}

/// `--max-peer-jobs`: at least 1 when given.
fn max_peer_jobs(o: &Layer, file: &Layer, places: &Places) -> Result<Option<usize>, UsageError> {
    match pick(o.max_peer_jobs, file.max_peer_jobs) {
        (Some(0), given) => Err(UsageError(format!(
            "{}: at least 1 (pause contributing to run none)",
            places.of("max_peer_jobs", given)
        ))),
        (n, _) => Ok(n),
    }
}

/// This node's routing policy: the file's `[policy]` table, each field under its flag.
fn policy(
    o: &Layer,
    file: &Layer,
    places: &Places,
) -> Result<crate::route::policy::Policy, UsageError> {
    use crate::route::policy::{Origin, Policy, Rules};
    let file_rules = file
        .policy
        .clone()
        .unwrap_or_default()
        .check("policy")
        .map_err(|e| UsageError(format!("{}: {e}", places.of("policy", false))))?;
    let flags = Rules {
        route: o.route,
        region: o.route_region.clone(),
        max_credits: o.max_credits,
        max_ttft_ms: o.max_ttft_ms,
        max_cost: None,
    }
    .check("policy")
    .map_err(|e| UsageError(format!("--route-region / LLP_ROUTE_REGION: {e}")))?;
    // Flags narrow the file's policy, never widen it: a stray `LLP_ROUTE=any` must not send
    // prompts that the file keeps on this machine.
    Policy::node(&file_rules)
        .narrowed(&flags, Origin::Node)
        .map_err(|r| {
            UsageError(format!(
                "--route-region and {}: {}",
                places.of("policy", false),
                r.message
            ))
        })
}

/// A size setting (`6GiB`, `512MB`) as bytes.
fn size_setting(
    name: &str,
    like: &str,
    (text, given): (Option<String>, bool),
    places: &Places,
) -> Result<Option<u64>, UsageError> {
    let Some(text) = text else { return Ok(None) };
    let size = text.trim().parse::<bytesize::ByteSize>().map_err(|e| {
        UsageError(format!(
            "{}: `{text}` is not {like}: {e}",
            places.of(name, given)
        ))
    })?;
    Ok(Some(size.as_u64()))
}

/// The announce interval (at least 100 ms) and the peer expiry (longer than it).
fn intervals(o: &Layer, file: &Layer, places: &Places) -> Result<(Duration, Duration), UsageError> {
    let (interval, given) = pick(o.announce_interval_ms, file.announce_interval_ms);
    let interval = interval.unwrap_or(5000);
    if interval < 100 {
        return Err(UsageError(format!(
            "{}: announce_interval_ms must be at least 100",
            places.of("announce_interval_ms", given)
        )));
    }
    let (expiry, given) = pick(o.peer_expiry_ms, file.peer_expiry_ms);
    let expiry = expiry.unwrap_or((interval * 5).max(5000));
    if expiry <= interval {
        return Err(UsageError(format!(
            "{}: peer_expiry_ms ({expiry}) must be longer than announce_interval_ms ({interval})",
            places.of("peer_expiry_ms", given)
        )));
    }
    Ok((
        Duration::from_millis(interval),
        Duration::from_millis(expiry),
    ))
}

fn check_score(score: &Weights, places: &Places) -> Result<(), UsageError> {
    let w = [
        score.load,
        score.latency,
        score.capability,
        score.reliability,
    ];
    if w.iter().any(|x| !x.is_finite() || *x < 0.0)
        || w.iter().sum::<f64>() <= 0.0
        || score.latency_ref_ms <= 0.0
        || score.speed_ref_tps <= 0.0
    {
        return Err(UsageError(format!(
            "{}: the score weights must be non-negative with a positive sum, and the references positive",
            places.of("score", false)
        )));
    }
    Ok(())
}

/// The parsed file and its text (kept to point at lines in later errors).
fn read_file(path: &Path, explicit: bool) -> Result<(Layer, String), UsageError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok((Layer::default(), String::new()));
        }
        Err(e) => return Err(UsageError(format!("config file {}: {e}", path.display()))),
    };
    let parsed: Layer = toml::from_str(&text).map_err(|e| {
        UsageError(format!(
            "config file {}: {}",
            path.display(),
            toml_error_message(&text, &e)
        ))
    })?;
    if parsed.network_secret.is_some() || parsed.api_token.is_some() {
        warn_if_others_read(path);
    }
    Ok((parsed, text))
}

/// A config file that holds a secret should be its owner's alone, as ssh asks of its keys.
/// Only a warning: refusing would stop a node over a mode its owner may have chosen.
fn warn_if_others_read(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o066 != 0
        {
            eprintln!(
                "llp: warning: {} holds a secret (network_secret or api_token) and other users \
                 of this machine can read or change it (mode {:o}); run: chmod 600 {}",
                path.display(),
                meta.permissions().mode() & 0o777,
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// `line L, column C: message` for a TOML error (toml's own message repeats the source).
pub fn toml_error_message(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim_end().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
            let col = before.len() - line_start + 1;
            // Name the field: the key on that line, if the line is `key = value`.
            let line_text = text[line_start..].lines().next().unwrap_or("");
            match line_text.split_once('=') {
                Some((key, _)) if !key.trim().is_empty() && !key.contains('[') => {
                    format!("line {line}, column {col}, field `{}`: {msg}", key.trim())
                }
                _ => format!("line {line}, column {col}: {msg}"),
            }
        }
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_file(text: &str) -> Result<Settings, UsageError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, text).unwrap();
        Settings::resolve(Layer {
            config: Some(p),
            ..Default::default()
        })
    }

    #[test]
    fn engines_per_model_win_over_the_nodes_and_memory_limits_read_as_sizes() {
        use crate::engine::EngineKind::{Candle, Llama};
        let catalog = crate::catalog::Catalog::builtin();
        let small = catalog.resolve("smollm2-135m-instruct:q4_1").unwrap();
        let coder = catalog.resolve("qwen2.5-coder-0.5b-instruct").unwrap();
        let s = with_file(
            "engine = \"llama\"\nmemory_limit = \"200MiB\"\n[engines]\n\
             \"smollm2-135m-instruct:q4_1\" = \"candle\"\n",
        )
        .unwrap();
        assert_eq!(s.engine.engine_for(&small), Candle);
        assert_eq!(s.engine.engine_for(&coder), Llama);
        assert_eq!(s.engine.memory_limit, Some(200 * 1024 * 1024));
        let s =
            with_file("engine = \"candle\"\n[engines]\n\"smollm2-135m-instruct\" = \"llama\"\n")
                .unwrap();
        assert_eq!(s.engine.engine_for(&small), Llama);
        assert_eq!(s.engine.engine_for(&coder), Candle);
        let e = with_file("engine = \"tensorrt\"\n").unwrap_err().0;
        assert!(e.contains("line 1") && e.contains("engine"), "{e}");
        let e = with_file("memory_limit = \"lots\"\n").unwrap_err().0;
        assert!(e.contains("memory_limit") && e.contains("lots"), "{e}");
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "slots = 3\nthreads = 5\napi = \"127.0.0.1:9\"\n").unwrap();
        let s = Settings::resolve(Layer {
            config: Some(p),
            slots: Some(7),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.engine.slots, 7);
        assert_eq!(s.engine.threads, 5);
        assert_eq!(s.api.addr.port(), 9);
    }

    #[test]
    fn unknown_keys_name_line_and_field() {
        let e = with_file("slots = 2\nslotz = 3\n").unwrap_err().0;
        assert!(e.contains("line 2"), "{e}");
        assert!(e.contains("slotz"), "{e}");
    }

    #[test]
    fn wrong_types_are_refused() {
        let e = with_file("slots = \"four\"\n").unwrap_err().0;
        assert!(e.contains("line 1") && e.contains("slots"), "{e}");
    }

    #[test]
    fn public_api_needs_a_token() {
        let e = Settings::resolve(Layer {
            api: Some("0.0.0.0:8686".into()),
            ..Default::default()
        })
        .unwrap_err()
        .0;
        assert!(e.contains("LLP_API_TOKEN"), "{e}");
    }

    #[test]
    fn sections_parse_what_they_hold() {
        let s = with_file(
            "relay = \"disabled\"\nlisten = \"127.0.0.1:0\"\nmdns = false\nannounce_interval_ms = 500\n",
        )
        .unwrap();
        assert_eq!(s.net.relay, Relay::Disabled);
        assert!(s.net.listen.ip().is_loopback() && !s.net.mdns && s.net.gossip);
        assert_eq!(s.net.peer_expiry, Duration::from_millis(5000));
        let e = with_file("listen = \"nowhere\"\n").unwrap_err().0;
        assert!(e.contains("line 1, field `listen`"), "{e}");
        let flag = Settings::resolve(Layer {
            no_mdns: Some(true),
            ..Default::default()
        })
        .unwrap();
        assert!(!flag.net.mdns);
        assert!(!with_file("gossip = false\n").unwrap().net.gossip);
        let flag = Settings::resolve(Layer {
            no_gossip: Some(true),
            ..Default::default()
        })
        .unwrap();
        assert!(!flag.net.gossip);
    }
}
