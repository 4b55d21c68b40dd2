//! `llp account`: an owner's fleet of nodes whose credits are one balance (`ledger::account`).
//!
//! - `create`: a new owner key, in a file of its own (mode 0600), kept apart from any node;
//! - `add-node`: a certificate of a node, printed (for `--account-cert`), or written into the
//!   data dir of a node on this machine (`--data-dir`, where `llp serve` reads it);
//! - `revoke`: the owner's revocation of a node, printed, and handed to this machine's running
//!   node, which announces it to the other members;
//! - `show`: the running node's account: members and balance.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::Global;
use crate::ids::{NodeId, now_ms};
use crate::ledger::account::{Cert, Revocation};

#[derive(Debug, Args)]
pub struct AccountArgs {
    #[command(subcommand)]
    pub command: AccountCommand,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an owner key (the account's id is its public half)
    Create(KeyArg),
    /// Certify a node as a member: NODE_ID, or the node of --data-dir (whose data dir then
    /// holds the certificate)
    AddNode {
        #[command(flatten)]
        key: KeyArg,
        /// The node's id (`llp status` prints it); without it, the node of --data-dir
        node: Option<String>,
    },
    /// Revoke a member: it no longer earns for, nor spends from, the account
    Revoke {
        #[command(flatten)]
        key: KeyArg,
        node: String,
    },
    /// The running node's account: its members and balance
    Show(super::JsonFlag),
}

#[derive(Debug, Args)]
pub struct KeyArg {
    /// The owner key's file [default: owner.key in the platform config dir]
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
}

impl KeyArg {
    fn path(&self) -> PathBuf {
        self.key.clone().unwrap_or_else(|| {
            crate::config::default_config_file()
                .and_then(|f| f.parent().map(|d| d.join("owner.key")))
                .unwrap_or_else(|| PathBuf::from("owner.key"))
        })
    }

    fn read(&self) -> anyhow::Result<iroh::SecretKey> {
        let path = self.path();
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "{}: no owner key (create one with `llp account create`)",
                path.display()
            )
        })?;
        let b: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("{}: not a 32-byte owner key", path.display()))?;
        Ok(iroh::SecretKey::from_bytes(&b))
    }
}

pub(super) async fn run(g: &Global, a: AccountArgs) -> anyhow::Result<ExitCode> {
    match a.command {
        AccountCommand::Create(k) => create(&k),
        AccountCommand::AddNode { key, node } => add_node(g, &key, node.as_deref()),
        AccountCommand::Revoke { key, node } => revoke(g, &key, &node).await,
        AccountCommand::Show(j) => show(g, j.json).await,
    }
}

fn create(k: &KeyArg) -> anyhow::Result<ExitCode> {
    let path = k.path();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no randomness for a key: {e}"))?;
    // Never over an existing key: that would lose an account.
    let mut f = crate::node::datadir::private_file(&path)
        .with_context(|| format!("{} (an owner key is never overwritten)", path.display()))?;
    std::io::Write::write_all(&mut f, &b)
        .and_then(|()| f.sync_all())
        .with_context(|| path.display().to_string())?;
    let id = NodeId::from(&iroh::SecretKey::from_bytes(&b));
    println!("{id}");
    eprintln!(
        "The account {id}; its owner key is {} (mode 0600). Keep it off the fleet's nodes, and \
         back it up: it certifies and revokes members.",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn add_node(g: &Global, k: &KeyArg, node: Option<&str>) -> anyhow::Result<ExitCode> {
    let owner = k.read()?;
    let (id, dir) = match node {
        Some(n) => (
            NodeId::parse(n).map_err(|e| anyhow::anyhow!("`{n}` is not a node id: {e}"))?,
            None,
        ),
        None => {
            let dir = g.settings()?.data_dir;
            let _ = std::fs::create_dir_all(&dir);
            (crate::node::datadir::node_id(&dir)?, Some(dir))
        }
    };
    let cert = Cert::issue(&owner, id, now_ms());
    let text = cert.text();
    if let Some(dir) = dir {
        let path = dir.join("account.cert");
        std::fs::write(&path, format!("{text}\n")).with_context(|| path.display().to_string())?;
        eprintln!(
            "Node {id} is a member of account {}; its certificate is in {} (restart the node \
             to use it).",
            cert.owner,
            path.display()
        );
    } else {
        eprintln!(
            "Node {id} is a member of account {}: start it with --account-cert <the line \
             above> (or LLP_ACCOUNT_CERT, or account.cert in its data dir).",
            cert.owner
        );
    }
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

async fn revoke(g: &Global, k: &KeyArg, node: &str) -> anyhow::Result<ExitCode> {
    let owner = k.read()?;
    let id = NodeId::parse(node).map_err(|e| anyhow::anyhow!("`{node}` is not a node id: {e}"))?;
    let r = Revocation::issue(&owner, id, now_ms());
    println!("{}", r.text());
    // Handed to this machine's node, if one runs: it announces it to the other members.
    let settings = g.settings()?;
    let Some(nf) = crate::node::datadir::running_node(&settings.data_dir) else {
        eprintln!(
            "No node runs for {}: give the line above to any member (POST /api/account/revoke \
             {{\"revocation\": ...}}); it reaches the others.",
            settings.data_dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    };
    let v = api(
        &nf.api,
        settings.api.token.as_deref(),
        "/api/account/revoke",
        Some(serde_json::json!({"revocation": r.text()})),
    )
    .await?;
    eprintln!(
        "Node {id} is revoked; the node at {} announces it: {v}",
        nf.api
    );
    Ok(ExitCode::SUCCESS)
}

async fn show(g: &Global, json: bool) -> anyhow::Result<ExitCode> {
    let settings = g.settings()?;
    let Some(nf) = crate::node::datadir::running_node(&settings.data_dir) else {
        eprintln!(
            "llp: no node is running for {}",
            settings.data_dir.display()
        );
        return Ok(ExitCode::from(1));
    };
    let v = api(&nf.api, settings.api.token.as_deref(), "/api/account", None).await?;
    if json {
        println!("{v:#}");
        return Ok(ExitCode::SUCCESS);
    }
    println!("account  {}", v["id"].as_str().unwrap_or("?"));
    println!("balance  {}", v["balance"]);
    for m in v["members"].as_array().into_iter().flatten() {
        println!(
            "member   {}  {}",
            m["node"].as_str().unwrap_or("?"),
            m["balance"]
        );
    }
    for r in v["revocations"].as_array().into_iter().flatten() {
        println!("revoked  {}", r.as_str().unwrap_or("?"));
    }
    Ok(ExitCode::SUCCESS)
}

/// A call to the running node's API (a POST of `body`, else a GET), its JSON answer or its
/// error.
async fn api(
    addr: &std::net::SocketAddr,
    token: Option<&str>,
    path: &str,
    body: Option<serde_json::Value>,
) -> anyhow::Result<serde_json::Value> {
    let http = crate::fetch::http_client()?;
    let url = format!("http://{addr}{path}");
    let mut req = match &body {
        Some(b) => http.post(url).json(b),
        None => http.get(url),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await?;
    if !resp.status().is_success() {
        anyhow::bail!("{}", crate::client::error_message(resp).await);
    }
    Ok(resp.json().await?)
}
