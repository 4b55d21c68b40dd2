//! `llp invite`: prints the running node's ticket for `llp serve --join`.

use std::process::ExitCode;

use clap::Args;

use super::Global;

#[derive(Debug, Args)]
pub struct InviteArgs {
    /// Leave the network secret out of the ticket: the joiner then passes --network-secret
    #[arg(long)]
    pub no_secret: bool,
}

pub(super) async fn run(g: &Global, a: InviteArgs) -> anyhow::Result<ExitCode> {
    let settings = g.settings()?;
    let Some(base) = crate::client::running_api(&settings.data_dir) else {
        eprintln!(
            "llp: no node is running for the data dir {}; start one with `llp serve`, then run `llp invite`",
            settings.data_dir.display()
        );
        return Ok(ExitCode::from(1));
    };
    let client = crate::fetch::http_client()?;
    let mut req = client.get(format!(
        "{base}/api/invite?secret={}",
        if a.no_secret { "false" } else { "true" }
    ));
    if let Some(t) = &settings.api.token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await?;
    if !resp.status().is_success() {
        anyhow::bail!("{}", crate::client::error_message(resp).await);
    }
    let body: serde_json::Value = resp.json().await?;
    let ticket = body["ticket"].as_str().unwrap_or_default();
    println!("{ticket}");
    eprintln!(
        "On another machine: llp serve --join {}",
        if ticket.len() > 40 {
            "<the ticket above>"
        } else {
            ticket
        }
    );
    if body["private"].as_bool() == Some(true) && a.no_secret {
        eprintln!("The joiner also needs --network-secret (this ticket does not carry it).");
    } else if body["private"].as_bool() == Some(true) {
        eprintln!("This ticket carries the network secret: share it only with nodes you trust.");
    }
    Ok(ExitCode::SUCCESS)
}
