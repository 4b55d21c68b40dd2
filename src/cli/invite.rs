//! `llp invite`: prints the running node's ticket for `llp serve --join`.
//!
//! The ticket comes from the node's `node.json` (mode 0600), not from the HTTP API: the API
//! answers any local process, and the ticket with the network secret is for the node's owner
//! only, who alone can read that file.

use std::process::ExitCode;

use clap::Args;

use super::Global;
use crate::net::Ticket;

#[derive(Debug, Args)]
pub struct InviteArgs {
    /// Leave the network secret out of the ticket: the joiner then passes --network-secret
    #[arg(long)]
    pub no_secret: bool,
}

pub(super) async fn run(g: &Global, a: InviteArgs) -> anyhow::Result<ExitCode> {
    let settings = g.settings()?;
    let dir = &settings.data_dir;
    let Some(nf) = crate::node::datadir::running_node(dir) else {
        eprintln!(
            "llp: no node is running for the data dir {} (or its node.json is not readable by \
             this user); start one with `llp serve`, then run `llp invite` as the same user",
            dir.display()
        );
        return Ok(ExitCode::from(1));
    };
    let Some(text) = nf.ticket else {
        eprintln!("llp: the node runs without the peer network, so it has no ticket");
        return Ok(ExitCode::from(1));
    };
    let mut ticket = Ticket::decode(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join("node.json").display()))?;
    let private = ticket.secret.is_some();
    if a.no_secret {
        ticket.secret = None;
    }
    let ticket = ticket.encode();
    println!("{ticket}");
    eprintln!("On another machine: llp serve --join <the ticket above>");
    if private && a.no_secret {
        eprintln!("The joiner also needs --network-secret (this ticket does not carry it).");
    } else if private {
        eprintln!("This ticket carries the network secret: share it only with nodes you trust.");
    }
    Ok(ExitCode::SUCCESS)
}
