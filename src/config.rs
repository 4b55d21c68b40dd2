//! Settings: built-in defaults, then the TOML config file, then environment variables, then
//! command-line flags, each layer winning over the one before.
//!
//! Owns the file format (unknown keys are errors, with file, line and field named) and the
//! platform directories (through `directories`). Environment variables and flags are parsed by
//! clap in `cli`; this module merges the result with the file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Bad usage or a bad config: the process exits with code 2 and this message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The config file, as written by the user. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub models_dir: Option<PathBuf>,
    pub catalog: Option<PathBuf>,
    pub api: Option<String>,
    pub api_token: Option<String>,
    pub listen: Option<String>,
    pub join: Option<Vec<String>>,
    pub models: Option<Vec<String>>,
    pub paused: Option<bool>,
    pub relay: Option<String>,
    pub threads: Option<u32>,
    pub slots: Option<u32>,
    pub ctx_per_slot: Option<u32>,
    pub queue_limit: Option<usize>,
    pub max_body_bytes: Option<usize>,
    pub network: Option<String>,
    pub network_secret: Option<String>,
    pub mdns: Option<bool>,
    pub announce_interval_ms: Option<u64>,
    pub peer_expiry_ms: Option<u64>,
    pub stall_min_ms: Option<u64>,
    pub stall_factor: Option<f64>,
    /// The weights of the peer score (see the README).
    pub score: Option<crate::net::table::Weights>,
    /// The network's credit policy (see the README); every node of a network needs the same.
    pub credits: Option<crate::ledger::Policy>,
}

/// Values given on the command line or in the environment (already merged by clap).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub models_dir: Option<PathBuf>,
    pub catalog: Option<PathBuf>,
    pub api: Option<String>,
    pub api_token: Option<String>,
    pub listen: Option<String>,
    pub join: Vec<String>,
    pub models: Vec<String>,
    pub paused: Option<bool>,
    pub relay: Option<String>,
    pub max_body_bytes: Option<usize>,
    pub threads: Option<u32>,
    pub slots: Option<u32>,
    pub ctx_per_slot: Option<u32>,
    pub queue_limit: Option<usize>,
    pub network: Option<String>,
    pub network_secret: Option<String>,
    pub mdns: Option<bool>,
    pub announce_interval_ms: Option<u64>,
    pub peer_expiry_ms: Option<u64>,
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config_file: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub models_dir: PathBuf,
    pub catalog: Option<PathBuf>,
    pub api: SocketAddr,
    pub api_token: Option<String>,
    pub listen: String,
    pub join: Vec<String>,
    pub models: Vec<String>,
    pub paused: bool,
    pub relay: String,
    pub threads: u32,
    pub slots: u32,
    pub ctx_per_slot: u32,
    pub queue_limit: usize,
    pub max_body_bytes: usize,
    /// The network's name and secret (empty: an open network).
    pub network: String,
    pub network_secret: String,
    pub mdns: bool,
    pub announce_interval_ms: u64,
    pub peer_expiry_ms: u64,
    pub stall_min_ms: u64,
    pub stall_factor: f64,
    pub score: crate::net::table::Weights,
    pub credits: crate::ledger::Policy,
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

impl Settings {
    /// Merges defaults, the config file (explicit `--config`/`LLP_CONFIG`, else the platform one
    /// if it exists) and the overrides.
    pub fn resolve(o: Overrides) -> Result<Settings, UsageError> {
        let (config_file, (file, text)) = match &o.config {
            Some(path) => (Some(path.clone()), read_file(path, true)?),
            None => match default_config_file() {
                Some(path) if path.exists() => (Some(path.clone()), read_file(&path, false)?),
                _ => (None, (FileConfig::default(), String::new())),
            },
        };
        // Where a bad value came from: the flag or variable when one was given, else the file's
        // line for that key.
        let place = |key: &str, overridden: bool| -> String {
            let flag = format!("--{} / LLP_{}", key.replace('_', "-"), key.to_uppercase());
            if overridden {
                return flag;
            }
            let line = text
                .lines()
                .position(|l| l.split('=').next().is_some_and(|k| k.trim() == key))
                .map(|n| format!(", line {}", n + 1))
                .unwrap_or_default();
            match &config_file {
                Some(p) => format!("config file {}{line}, field `{key}`", p.display()),
                None => flag,
            }
        };
        let api_place = place("api", o.api.is_some());
        let api_text = o
            .api
            .or(file.api)
            .unwrap_or_else(|| DEFAULT_API.to_string());
        let api: SocketAddr = api_text.parse().map_err(|_| {
            UsageError(format!(
                "{api_place}: `{api_text}` is not an address like 127.0.0.1:8686"
            ))
        })?;
        let api_token = o.api_token.or(file.api_token).filter(|t| !t.is_empty());
        if !api.ip().is_loopback() && api_token.is_none() {
            return Err(UsageError(format!(
                "the API address {api} is reachable beyond this machine, so a bearer token is \
                 required: set LLP_API_TOKEN (or api_token in the config file)"
            )));
        }
        let positive =
            |name: &str, flag: Option<u32>, from_file: Option<u32>, default: u32| match flag
                .or(from_file)
            {
                Some(0) => Err(UsageError(format!(
                    "{}: {name} must be at least 1",
                    place(name, flag.is_some())
                ))),
                Some(v) => Ok(v),
                None => Ok(default),
            };
        let relay_place = place("relay", o.relay.is_some());
        let relay = o.relay.or(file.relay).unwrap_or_else(|| "default".into());
        if !(relay == "default" || relay == "disabled" || relay.starts_with("http")) {
            return Err(UsageError(format!(
                "{relay_place}: `{relay}` is not `default`, `disabled` or a relay URL"
            )));
        }
        let ctx_place = place("ctx_per_slot", o.ctx_per_slot.is_some());
        let network_place = place("network", o.network.is_some());
        let network = o
            .network
            .or(file.network)
            .unwrap_or_else(|| "public".into());
        if network.is_empty()
            || network.len() > 64
            || !network
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(UsageError(format!(
                "{network_place}: `{network}` is not a network name (1-64 letters, digits, - _ .)"
            )));
        }
        let interval_place = place("announce_interval_ms", o.announce_interval_ms.is_some());
        let announce_interval_ms = o
            .announce_interval_ms
            .or(file.announce_interval_ms)
            .unwrap_or(5000);
        if announce_interval_ms < 100 {
            return Err(UsageError(format!(
                "{interval_place}: announce_interval_ms must be at least 100"
            )));
        }
        let expiry_place = place("peer_expiry_ms", o.peer_expiry_ms.is_some());
        let peer_expiry_ms = o
            .peer_expiry_ms
            .or(file.peer_expiry_ms)
            .unwrap_or((announce_interval_ms * 5).max(5000));
        if peer_expiry_ms <= announce_interval_ms {
            return Err(UsageError(format!(
                "{expiry_place}: peer_expiry_ms ({peer_expiry_ms}) must be longer than announce_interval_ms ({announce_interval_ms})"
            )));
        }
        let score = file.score.unwrap_or_default();
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
                place("score", false)
            )));
        }
        let stall_factor = file.stall_factor.unwrap_or(10.0);
        if !(stall_factor.is_finite() && stall_factor >= 1.0) {
            return Err(UsageError(format!(
                "{}: stall_factor must be at least 1",
                place("stall_factor", false)
            )));
        }
        let credits = file.credits.unwrap_or_default();
        credits
            .check()
            .map_err(|e| UsageError(format!("{}: {e}", place("credits", false))))?;
        let settings = Settings {
            credits,
            config_file: config_file.clone(),
            data_dir: o
                .data_dir
                .or(file.data_dir)
                .unwrap_or_else(default_data_dir),
            models_dir: o
                .models_dir
                .or(file.models_dir)
                .unwrap_or_else(default_models_dir),
            catalog: o.catalog.or(file.catalog),
            api,
            api_token,
            listen: o
                .listen
                .or(file.listen)
                .unwrap_or_else(|| "0.0.0.0:0".into()),
            join: if o.join.is_empty() {
                file.join.unwrap_or_default()
            } else {
                o.join
            },
            models: if o.models.is_empty() {
                file.models.unwrap_or_default()
            } else {
                o.models
            },
            paused: o.paused.or(file.paused).unwrap_or(false),
            relay,
            threads: positive("threads", o.threads, file.threads, default_threads())?,
            slots: positive("slots", o.slots, file.slots, 4)?,
            ctx_per_slot: positive("ctx_per_slot", o.ctx_per_slot, file.ctx_per_slot, 2048)?,
            queue_limit: o.queue_limit.or(file.queue_limit).unwrap_or(512),
            max_body_bytes: o
                .max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(1024 * 1024),
            network,
            network_secret: o.network_secret.or(file.network_secret).unwrap_or_default(),
            mdns: o.mdns.or(file.mdns).unwrap_or(true),
            announce_interval_ms,
            peer_expiry_ms,
            stall_min_ms: file.stall_min_ms.unwrap_or(500),
            stall_factor,
            score,
        };
        if settings.ctx_per_slot < 64 {
            return Err(UsageError(format!(
                "{ctx_place}: ctx_per_slot must be at least 64 tokens"
            )));
        }
        Ok(settings)
    }
}

/// The parsed file and its text (kept to point at lines in later errors).
fn read_file(path: &Path, explicit: bool) -> Result<(FileConfig, String), UsageError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok((FileConfig::default(), String::new()));
        }
        Err(e) => return Err(UsageError(format!("config file {}: {e}", path.display()))),
    };
    let parsed = toml::from_str(&text).map_err(|e| {
        UsageError(format!(
            "config file {}: {}",
            path.display(),
            toml_error_message(&text, &e)
        ))
    })?;
    Ok((parsed, text))
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
        Settings::resolve(Overrides {
            config: Some(p),
            ..Default::default()
        })
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "slots = 3\nthreads = 5\napi = \"127.0.0.1:9\"\n").unwrap();
        let s = Settings::resolve(Overrides {
            config: Some(p),
            slots: Some(7),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.slots, 7);
        assert_eq!(s.threads, 5);
        assert_eq!(s.api.port(), 9);
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
        let e = Settings::resolve(Overrides {
            api: Some("0.0.0.0:8686".into()),
            ..Default::default()
        })
        .unwrap_err()
        .0;
        assert!(e.contains("LLP_API_TOKEN"), "{e}");
    }
}
