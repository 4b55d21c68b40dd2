//! `llp completions SHELL` and `llp man`: shell completions (clap_complete) and man pages
//! (clap_mangen), generated from the same clap definitions the parser uses, so they cannot
//! drift from the flags. `assets/` holds copies; a test regenerates them and compares.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory};

use super::Cli;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `llp.1` and a page per command (`llp-serve.1`, ...) into DIR instead of printing
    /// `llp.1`; install them into a `man1` dir (e.g. /usr/local/share/man/man1)
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The completion script for `shell`.
pub(super) fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "llp", &mut out);
    out
}

/// The man pages: `llp.1` first, then one per command, as (file name, roff text).
pub(super) fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut pages = Vec::new();
    let cmd = Cli::command();
    page(&cmd, "llp", &mut pages)?;
    Ok(pages)
}

fn page(
    cmd: &clap::Command,
    name: &str,
    pages: &mut Vec<(String, Vec<u8>)>,
) -> std::io::Result<()> {
    let cmd = cmd
        .clone()
        .name(name.to_string())
        .display_name(name.to_string());
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    pages.push((format!("{name}.1"), out));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        page(sub, &format!("{name}-{}", sub.get_name()), pages)?;
    }
    Ok(())
}

pub(super) fn run_completions(a: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    write_stdout(&completions(a.shell))
}

pub(super) fn run_man(a: &ManArgs) -> anyhow::Result<ExitCode> {
    let pages = man_pages()?;
    match &a.dir {
        None => write_stdout(&pages[0].1),
        Some(dir) => {
            write_pages(dir, &pages)?;
            println!("wrote {} man pages into {}", pages.len(), dir.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn write_pages(dir: &Path, pages: &[(String, Vec<u8>)]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    for (name, text) in pages {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Writes to stdout; a closed pipe (`llp man | head`) is not an error.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        r => r.map(|()| ExitCode::SUCCESS).map_err(Into::into),
    }
}
