//! `llp models [list | fetch NAME[:QUANT] | path NAME[:QUANT]]`.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{Global, bytes};
use crate::catalog::{Catalog, Choice};
use crate::config::UsageError;
use crate::fetch::{FetchOptions, Verified};

#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub action: Option<Action>,
    /// Print JSON (list)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Action {
    /// The catalog, with what is present in the models dir
    List,
    /// Download a model (resumes, verifies the sha256); without :QUANT, the best one that fits in
    /// RAM. When its hub cannot be reached, the peers that offer it are tried
    Fetch {
        spec: String,
        /// Fetch from the network's peers that offer the file (BLAKE3-verified while streaming,
        /// from several at once), through the running node or one started for the fetch (with
        /// --join TICKET, or the peers it knew)
        #[arg(long)]
        from_peers: bool,
    },
    /// Print the path of a model's file
    Path { spec: String },
    /// Make a variant with llama.cpp's quantizer, from the variant the catalog names as its
    /// source (fetched first if missing); the result is checked against the catalog's sha256,
    /// or its hash recorded at first use where the catalog says "unknown"
    Quantize {
        /// The model, NAME
        name: String,
        /// The quantization to write (q8_0, q4_0, q4_k_m, ...)
        #[arg(long)]
        to: String,
    },
}

pub(super) async fn run(g: &Global, a: ModelsArgs) -> anyhow::Result<ExitCode> {
    let settings = g.settings()?;
    let catalog =
        Catalog::load(settings.catalog.as_deref()).map_err(|e| UsageError(e.to_string()))?;
    let dir = &settings.models_dir;
    match a.action.unwrap_or(Action::List) {
        Action::List => list(&catalog, dir, a.json),
        Action::Path { spec } => {
            let c = catalog
                .resolve_in(&spec, Some(dir))
                .map_err(|e| UsageError(e.to_string()))?;
            let path = dir.join(&c.variant.file);
            println!("{}", path.display());
            if path.is_file() {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!(
                    "llp: not present yet; `llp models fetch {}` downloads it",
                    c.id()
                );
                Ok(ExitCode::from(1))
            }
        }
        Action::Fetch { spec, from_peers } => fetch(&settings, &catalog, &spec, from_peers).await,
        Action::Quantize { name, to } => {
            let choice = catalog
                .resolve(&format!("{name}:{}", to.to_ascii_lowercase()))
                .map_err(|e| UsageError(quantize_hint(&e, &name, &to)))?;
            if choice
                .variant
                .source
                .as_ref()
                .and_then(|s| s.quantize.as_ref())
                .is_none()
            {
                return Err(UsageError(format!(
                    "{} is published, not made here: `llp models fetch {}` downloads it",
                    choice.id(),
                    choice.id()
                ))
                .into());
            }
            fetch_one(dir, &choice).await
        }
    }
}

/// `llp models fetch SPEC [--from-peers]`: from its source, and from peers when that cannot be
/// reached (or at once, with `--from-peers`).
async fn fetch(
    settings: &crate::config::Settings,
    catalog: &Catalog,
    spec: &str,
    from_peers: bool,
) -> anyhow::Result<ExitCode> {
    let dir = &settings.models_dir;
    let choice = if spec.contains(':') {
        catalog
            .resolve(spec)
            .map_err(|e| UsageError(e.to_string()))?
    } else {
        let model = catalog.model(spec).ok_or_else(|| {
            UsageError(crate::catalog::CatalogError::UnknownModel(spec.to_string()).to_string())
        })?;
        let ram = tokio::task::spawn_blocking(crate::devices::detect)
            .await?
            .cpu
            .ram_total_bytes;
        let variant = model.fitting(ram).ok_or_else(|| {
            UsageError(format!(
                "no variant of {} fits in this machine's {} of RAM",
                model.name,
                bytes(ram)
            ))
        })?;
        Choice { model, variant }
    };
    if from_peers {
        return super::pull::from_peers(settings, &choice.id().to_string()).await;
    }
    match fetch_one(dir, &choice).await {
        // The hub (or pip's index) cannot be reached: the peers may have it.
        Err(e)
            if e.downcast_ref::<crate::fetch::FetchError>()
                .is_some_and(|e| {
                    matches!(
                        e,
                        crate::fetch::FetchError::Http { .. } | crate::fetch::FetchError::Pip(_)
                    )
                }) =>
        {
            eprintln!("llp: {e}\nllp: trying the network's peers");
            super::pull::from_peers(settings, &choice.id().to_string()).await
        }
        other => other,
    }
}

/// What to do when the catalog has no variant `to` of `name`.
fn quantize_hint(e: &crate::catalog::CatalogError, name: &str, to: &str) -> String {
    let to = to.to_ascii_lowercase();
    if let Err(cannot) = crate::engine::quantize::file_type(&to) {
        return cannot;
    }
    format!(
        "{e}. To make it, list it in a catalog of your own (--catalog FILE, a copy of \
         models.toml) under {name}: `[[model.variant]]` with quant = \"{to}\", a file name, \
         sha256 = \"unknown\" (its hash is recorded when it is made) and \
         source = {{ quantize = \"QUANT\" }} naming the variant to make it from"
    )
}

/// `llp models list`: the catalog, and what is present in the models dir.
fn list(catalog: &Catalog, dir: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let rows: Vec<serde_json::Value> = catalog
        .models
        .iter()
        .flat_map(|m| m.variants.iter().map(move |v| (m, v)))
        .map(|(m, v)| {
            let id = crate::ids::ModelId::new(&m.name, &v.quant).to_string();
            serde_json::json!({
                "id": id,
                "name": m.name, "quant": v.quant, "family": m.family,
                "parameters": m.parameters, "context_length": m.context_length,
                "license": m.license, "file": v.file, "size": v.size,
                "sha256": v.sha256, "memory_needed": v.memory_needed(),
                "present": dir.join(&v.file).is_file(),
                "default": catalog.default == id,
            })
        })
        .collect();
    if json {
        super::print_json(&serde_json::json!({"models_dir": dir, "models": rows}))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("models dir: {}", dir.display());
    println!(
        "{:<34} {:<8} {:>10} {:>10} {:<10} PRESENT",
        "MODEL", "QUANT", "SIZE", "MEMORY", "SHA256"
    );
    for r in rows {
        println!(
            "{:<34} {:<8} {:>10} {:>10} {:<10} {}{}",
            r["name"].as_str().unwrap_or(""),
            r["quant"].as_str().unwrap_or(""),
            bytes(r["size"].as_u64().unwrap_or(0)),
            bytes(r["memory_needed"].as_u64().unwrap_or(0)),
            if r["sha256"] == "unknown" {
                "unknown"
            } else {
                "published"
            },
            if r["present"] == true { "yes" } else { "-" },
            if r["default"] == true {
                "  (default)"
            } else {
                ""
            },
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn fetch_one(dir: &std::path::Path, choice: &Choice<'_>) -> anyhow::Result<ExitCode> {
    let size = if choice.variant.size_exact {
        bytes(choice.variant.size)
    } else {
        format!("~{}", bytes(choice.variant.size))
    };
    if !dir.join(&choice.variant.file).is_file() {
        eprintln!(
            "fetching {} ({}, {size}) into {}",
            choice.id(),
            choice.variant.file,
            dir.display()
        );
    }
    let got = crate::fetch::fetch(dir, choice, &FetchOptions::default()).await?;
    if got.already_present {
        println!(
            "{} is already present at {}",
            choice.id(),
            got.path.display()
        );
    } else if got.resumed_from > 0 {
        println!(
            "resumed from byte {}; saved {}",
            got.resumed_from,
            got.path.display()
        );
    } else {
        println!("saved {}", got.path.display());
    }
    match got.verified {
        Verified::Published => println!("sha256 matches the published checksum"),
        Verified::FirstUse => println!("sha256 matches the one recorded at its first download"),
        Verified::RecordedNow(sha) => println!(
            "no published checksum for {}: recorded sha256 {sha} (trust on first use; later loads are checked against it)",
            choice.variant.file
        ),
    }
    Ok(ExitCode::SUCCESS)
}
