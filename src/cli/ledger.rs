//! `llp ledger show | verify | export`: the credit ledger. With a node running for the data dir
//! its API serves the chain (the node holds the redb file); otherwise the file is read directly.
//! `verify --file` checks an export with no node at all, for auditors.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::Global;
use crate::ledger::{self, Entry, EntryLine};

#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    pub command: Option<LedgerCommand>,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// The entries and the balance over time (the default)
    Show {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Check every hash link, signature and counterparty signature; exit 3 naming the first
    /// bad entry
    Verify {
        /// Check an export (from `llp ledger export`) instead of this node's chain
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// The node id the chain must belong to (hex)
        #[arg(long)]
        owner: Option<String>,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Write the chain as JSON lines, ending with its signed head
    Export {
        /// Write to this file instead of standard output
        #[arg(long, short)]
        out: Option<std::path::PathBuf>,
    },
}

/// The chain as an export: from the running node, else from the file.
pub(super) async fn export_text(g: &Global) -> anyhow::Result<String> {
    let settings = g.settings()?;
    if let Some(base) = crate::client::running_api(&settings.data_dir) {
        let mut req = crate::fetch::http_client()?.get(format!("{base}/api/ledger"));
        if let Some(t) = &settings.api.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await?;
        if !resp.status().is_success() {
            anyhow::bail!("{}", crate::client::error_message(resp).await);
        }
        return Ok(resp.text().await?);
    }
    let dir = settings.data_dir.clone();
    let raws = tokio::task::spawn_blocking(move || ledger::export_file(&dir)).await??;
    // Offline there is no key to sign a fresh head with, and none is needed: the last entry is
    // signed by the owner, so the head is written from it and marked as such.
    let mut out = String::new();
    let mut last = None;
    for raw in &raws {
        let e = Entry::decode(raw)
            .map_err(|e| anyhow::anyhow!("entry {}: {e}", out.lines().count()))?;
        out.push_str(&e.to_json(raw).to_string());
        out.push('\n');
        last = Some(e);
    }
    if let Some(e) = last {
        let sk = crate::node::datadir::node_key(&settings.data_dir)?;
        let raw = raws.last().expect("not empty");
        let h = ledger::Head::sign(&sk, e.seq, *blake3::hash(raw).as_bytes(), e.balance);
        out.push_str(&serde_json::json!({ "head": h }).to_string());
        out.push('\n');
    }
    Ok(out)
}

pub(super) async fn run(g: &Global, a: LedgerArgs) -> anyhow::Result<ExitCode> {
    match a.command.unwrap_or(LedgerCommand::Show { json: false }) {
        LedgerCommand::Show { json } => show(g, json).await,
        LedgerCommand::Verify { file, owner, json } => verify(g, file, owner, json).await,
        LedgerCommand::Export { out } => {
            let text = export_text(g).await?;
            match out {
                Some(p) => {
                    std::fs::write(&p, text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
                }
                None => {
                    use std::io::Write;
                    let mut o = std::io::stdout().lock();
                    if let Err(e) = o.write_all(text.as_bytes())
                        && e.kind() != std::io::ErrorKind::BrokenPipe
                    {
                        return Err(e.into());
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `llp ledger show`: every entry and the balance over time.
async fn show(g: &Global, json: bool) -> anyhow::Result<ExitCode> {
    let text = export_text(g).await?;
    let lines: Vec<EntryLine> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| hex::decode(v.get("raw")?.as_str()?).ok())
        .filter_map(|raw| Entry::decode(&raw).ok())
        .map(|e| EntryLine::of(&e))
        .collect();
    if json {
        super::print_json(&lines)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>6}  {:<19}  {:<5}  {:>10}  {:>10}  {:<12}  details",
        "seq", "time (UTC)", "kind", "amount", "balance", "with"
    );
    for l in &lines {
        let sign = match l.kind {
            ledger::Kind::Spend | ledger::Kind::Hold => "-",
            _ => "+",
        };
        println!(
            "{:>6}  {:<19}  {:<5}  {:>10}  {:>10}  {:<12}  {}",
            l.seq,
            utc(l.time_ms),
            l.kind.as_str(),
            format!("{sign}{}", l.amount),
            l.balance,
            l.counterparty
                .map_or(String::new(), |c| c.to_string()[..12].to_string()),
            match (&l.model, l.tokens, &l.job) {
                (Some(m), Some(t), Some(j)) => format!("{m}, {t} tokens, {j}"),
                (_, _, Some(j)) if l.kind == ledger::Kind::Hold => format!("held for {j}"),
                (_, _, Some(j)) => format!("hold of {j} released unpaid"),
                _ => "starter grant".into(),
            }
        );
    }
    if let Some(l) = lines.last() {
        println!(
            "balance {} credits after {} entries",
            l.balance,
            lines.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `llp ledger verify`: this node's chain, or an export; exit code 3 naming the first bad
/// entry.
async fn verify(
    g: &Global,
    file: Option<std::path::PathBuf>,
    owner: Option<String>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let (text, what) = match &file {
        Some(f) => (
            std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?,
            f.display().to_string(),
        ),
        None => (export_text(g).await?, "this node's ledger".to_string()),
    };
    let owner = match (owner, &file) {
        (Some(o), _) => Some(
            crate::ids::NodeId::parse(&o)
                .map_err(|e| crate::config::UsageError(format!("--owner: {e}")))?,
        ),
        (None, None) => Some(crate::node::datadir::node_id(&g.settings()?.data_dir)?),
        (None, Some(_)) => None,
    };
    if text.trim().is_empty() {
        // A node stopped before it wrote its first entry (the admitted grant).
        if json {
            super::print_json(
                &serde_json::json!({"ok": true, "summary": {"entries": 0, "balance": 0}}),
            )?;
        } else {
            println!(
                "{what}: empty: no entries yet (a new node writes its first once it is admitted)"
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let started = std::time::Instant::now();
    let result = tokio::task::spawn_blocking(move || {
        // The network's own rules (its name, its admission difficulty) are checked by its
        // nodes; here a chain must keep its own: a solved admission, links, arithmetic.
        ledger::chain::verify_export(&text, owner, ledger::Rules::default(), crate::ids::now_ms())
    })
    .await?;
    match result {
        Ok(s) => {
            if json {
                super::print_json(&serde_json::json!({"ok": true, "summary": s}))?;
            } else {
                println!(
                    "{what}: OK: {} entries by {}, balance {}, head {} ({:.2} s)",
                    s.entries,
                    s.owner,
                    s.balance,
                    hex::encode(s.head),
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(bad) => {
            if json {
                super::print_json(&serde_json::json!({
                    "ok": false, "first_bad_entry": bad.index, "reason": bad.reason,
                }))?;
            }
            eprintln!("{what}: DOES NOT VERIFY: first bad entry is {bad}");
            Ok(ExitCode::from(3))
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC.
fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
