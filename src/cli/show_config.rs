//! `llp config [KEY] [--json]`: the effective settings, each with where its value came from —
//! a flag, an environment variable, the config file (its path and line) or the default — so a
//! user can see why a setting has the value it has.
//!
//! The flags and variables are clap's own record (`ArgMatches::value_source`), the file is
//! read as TOML again for its keys and lines, and the values in force are the resolved
//! [`Settings`] where a default is computed (dirs, threads), else the flag's documented default.
//! Secrets (tokens, tickets, the network secret) are never printed.

use std::path::Path;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory};
use serde::Serialize;

use super::{Cli, Global};
use crate::config::{Settings, UsageError};

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Show this setting only (its key in the file, e.g. `slots`, or its flag, `--ctx-size`)
    pub key: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

/// One setting in force.
#[derive(Debug, Serialize)]
struct Row {
    key: String,
    value: String,
    /// `flag`, `env`, `file` or `default`.
    source: &'static str,
    /// The flag, variable or `path:line` it came from (absent for defaults).
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
}

/// Flags with no key in the file (the file's form has another name, or none).
const NOT_IN_FILE: &[&str] = &[
    "config",
    "no_mdns",
    "no_gossip",
    "hold_off",
    "route",
    "route_region",
    "max_credits",
    "max_ttft_ms",
    "cheat",
    "theme",
    "interval",
    "ascii",
    "mouse",
];

/// Keys of the file with no flag: tables and fine tuning.
const FILE_ONLY: &[&str] = &[
    "mdns",
    "gossip",
    "auto_models_keep_s",
    "engines",
    "stall_min_ms",
    "stall_factor",
    "score",
    "credits",
    "fallback",
    "policy",
    "idle",
];

/// Values never shown.
const SECRET: &[&str] = &["api_token", "network_secret", "join", "account_cert"];

pub(super) fn run(g: &Global, matches: &ArgMatches, a: &ConfigArgs) -> anyhow::Result<ExitCode> {
    let settings = g.settings()?;
    let (file, text) = match &settings.config_file {
        Some(p) => (
            Some(p.as_path()),
            std::fs::read_to_string(p).unwrap_or_default(),
        ),
        None => (None, String::new()),
    };
    let table: toml::Table = toml::from_str(&text).unwrap_or_default();
    let mut rows = flag_rows(matches, &settings, file, &text, &table);
    for key in FILE_ONLY {
        rows.push(match table.get(*key) {
            Some(v) => file_row(key, v, file, &text),
            None => Row {
                key: (*key).into(),
                value: "(built in)".into(),
                source: "default",
                from: None,
            },
        });
    }
    if let Some(want) = &a.key {
        let want = want.trim_start_matches('-').replace('-', "_");
        let long = |r: &Row| {
            Cli::command()
                .get_arguments()
                .find(|arg| arg.get_id().as_str() == r.key)
                .and_then(|arg| arg.get_long().map(|l| l.replace('-', "_")))
        };
        rows.retain(|r| r.key == want || long(r).as_deref() == Some(want.as_str()));
        if rows.is_empty() {
            return Err(
                UsageError(format!("no setting `{want}`: `llp config` lists them all")).into(),
            );
        }
    }
    if a.json {
        super::print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    let width = rows.iter().map(|r| r.key.len()).max().unwrap_or(0);
    let vwidth = rows
        .iter()
        .map(|r| r.value.len())
        .max()
        .unwrap_or(0)
        .min(40);
    for r in &rows {
        let from = r
            .from
            .as_ref()
            .map_or(r.source.to_string(), |f| format!("{} {f}", r.source));
        println!("{:width$}  {:vwidth$}  {from}", r.key, r.value);
    }
    Ok(ExitCode::SUCCESS)
}

/// The settings with a flag: from the command line, the environment, the file or the default.
fn flag_rows(
    matches: &ArgMatches,
    settings: &Settings,
    file: Option<&Path>,
    text: &str,
    table: &toml::Table,
) -> Vec<Row> {
    let cmd = Cli::command();
    let mut rows = Vec::new();
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        if matches!(id, "help" | "version") {
            continue;
        }
        let secret = SECRET.contains(&id);
        let shown = |v: String| {
            if secret {
                "(hidden)".to_string()
            } else {
                without_credentials(&v)
            }
        };
        let raw = || {
            matches
                .get_raw(id)
                .map(|vs| {
                    vs.map(|v| v.to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default()
        };
        let row = match matches.value_source(id) {
            Some(ValueSource::CommandLine) => Row {
                key: id.into(),
                value: shown(raw()),
                source: "flag",
                from: arg.get_long().map(|l| format!("--{l}")),
            },
            Some(ValueSource::EnvVariable) => Row {
                key: id.into(),
                value: shown(raw()),
                source: "env",
                from: arg.get_env().map(|e| e.to_string_lossy().into_owned()),
            },
            _ => match table.get(id).filter(|_| !NOT_IN_FILE.contains(&id)) {
                Some(v) if secret => Row {
                    value: "(hidden)".into(),
                    ..file_row(id, v, file, text)
                },
                Some(v) => file_row(id, v, file, text),
                None => Row {
                    key: id.into(),
                    value: default_of(id, arg, settings),
                    source: "default",
                    from: None,
                },
            },
        };
        rows.push(row);
    }
    rows
}

fn file_row(key: &str, v: &toml::Value, file: Option<&Path>, text: &str) -> Row {
    let value = match v {
        toml::Value::String(s) => without_credentials(s),
        toml::Value::Table(t) => format!(
            "[{key}] {}",
            t.iter()
                .map(|(k, v)| {
                    let secret = ["secret", "token", "password", "key", "auth", "credential"]
                        .iter()
                        .any(|w| k.contains(w));
                    if secret {
                        format!("{k} = (hidden)")
                    } else {
                        format!("{k} = {v}")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        v => v.to_string(),
    };
    let line = text
        .lines()
        .position(|l| {
            let l = l.trim();
            l.split('=').next().is_some_and(|k| k.trim() == key)
                || l.trim_start_matches('[').trim_end_matches(']').trim() == key
        })
        .map_or(String::new(), |n| format!(":{}", n + 1));
    Row {
        key: key.into(),
        value,
        source: "file",
        from: file.map(|f| format!("{}{line}", f.display())),
    }
}

/// A setting's default: the resolved value where it is computed, else the flag's own default,
/// else its documented one (`[default: ...]` in its help).
fn default_of(id: &str, arg: &clap::Arg, s: &Settings) -> String {
    match id {
        "data_dir" => return s.data_dir.display().to_string(),
        "models_dir" => return s.models_dir.display().to_string(),
        "config" => {
            return crate::config::default_config_file().map_or("(none)".into(), |p| {
                format!(
                    "{}{}",
                    p.display(),
                    if p.exists() { "" } else { " (absent)" }
                )
            });
        }
        "threads" => return s.engine.threads.to_string(),
        "api" => return s.api.addr.to_string(),
        "listen" => return s.net.listen.to_string(),
        "paused" => return s.paused.to_string(),
        "no_mdns" => return (!s.net.mdns).to_string(),
        "no_gossip" => return (!s.net.gossip).to_string(),
        "auto_models" => return s.engine.auto_models.to_string(),
        "keep_peer_text" => return s.keep_peer_text.to_string(),
        "slots" => return s.engine.slots.to_string(),
        "mouse" => return "false".into(),
        "relay" => {
            return match &s.net.relay {
                crate::config::Relay::Default => "default".into(),
                crate::config::Relay::Disabled => "disabled".into(),
                crate::config::Relay::Custom(u) => u.to_string(),
            };
        }
        _ => {}
    }
    if let Some(v) = arg.get_default_values().first() {
        return v.to_string_lossy().into_owned();
    }
    let help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(|h| h.to_string());
    help.as_deref()
        .and_then(|h| h.rsplit_once("[default: "))
        .and_then(|(_, d)| d.split_once(']'))
        .map_or("(none)".into(), |(d, _)| d.to_string())
}

/// A URL's user and password (`https://user:pass@host`) and query are credentials: left out.
fn without_credentials(v: &str) -> String {
    let Some((scheme, rest)) = v.split_once("://") else {
        return v.to_string();
    };
    let kept = rest.split_once('?').map_or(rest, |(r, _)| r);
    let (host, path) = kept
        .split_once('/')
        .map_or((kept, None), |(h, p)| (h, Some(p)));
    let bare = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let path = path.map_or(String::new(), |p| format!("/{p}"));
    let cut = kept.len() != rest.len() || bare.len() != host.len();
    format!(
        "{scheme}://{bare}{path}{}",
        if cut { " (credentials hidden)" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_lose_their_credentials() {
        use super::without_credentials as w;
        assert_eq!(
            w("https://relay.example:443/"),
            "https://relay.example:443/"
        );
        assert_eq!(
            w("https://u:p@relay.example/x?token=1"),
            "https://relay.example/x (credentials hidden)"
        );
        assert_eq!(w("127.0.0.1:8686"), "127.0.0.1:8686");
    }
}
