//! `llp service install | uninstall | show [--user]`: the node as a systemd service.
//!
//! The units are `assets/systemd/llp.service` (system: a transient user of its own, the state,
//! cache and config dirs systemd makes, hardened) and `llp-user.service` (the user's own dirs,
//! so `llp` and `llp status` find its node). Installing writes the unit with the path of the
//! running `llp` in `ExecStart`, then has systemctl enable and start it; uninstalling stops,
//! disables and removes it. Both are idempotent; the node's data is never touched.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};

use crate::config::UsageError;

const SYSTEM_UNIT: &str = include_str!("../../assets/systemd/llp.service");
const USER_UNIT: &str = include_str!("../../assets/systemd/llp-user.service");
/// The program path in the units as shipped, replaced by the running one's.
const SHIPPED_PATH: &str = "/usr/local/bin/llp";
const UNIT_NAME: &str = "llp.service";

#[derive(Debug, Args)]
pub struct ServiceArgs {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Subcommand)]
pub enum Action {
    /// Write the systemd unit for this llp, then enable and start it (system-wide: as root)
    Install(Which),
    /// Stop and disable the service and remove its unit (the node's data stays)
    Uninstall(Which),
    /// Print the unit that install writes
    Show(Which),
}

#[derive(Debug, Args)]
pub struct Which {
    /// A user service (~/.config/systemd/user), run by the user's own systemd
    #[arg(long)]
    pub user: bool,
    /// Only write (or remove) the unit file; do not call systemctl
    #[arg(long)]
    pub files_only: bool,
}

pub(super) fn run(a: &ServiceArgs) -> anyhow::Result<ExitCode> {
    match &a.action {
        Action::Show(w) => {
            print!("{}", unit(w.user)?);
            Ok(ExitCode::SUCCESS)
        }
        Action::Install(w) => install(w),
        Action::Uninstall(w) => uninstall(w),
    }
}

/// The unit, with `ExecStart` naming the running program.
fn unit(user: bool) -> anyhow::Result<String> {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .context("cannot tell where this llp is")?;
    let exe = exe
        .to_str()
        .ok_or_else(|| anyhow!("the path of this llp is not UTF-8: {}", exe.display()))?;
    if exe.contains(char::is_whitespace) || exe.contains(['"', '\'', '\\', '%']) {
        return Err(UsageError(format!(
            "the path of this llp ({exe}) has spaces or quotes; install it somewhere plain, \
             e.g. {SHIPPED_PATH}"
        ))
        .into());
    }
    let text = if user { USER_UNIT } else { SYSTEM_UNIT };
    Ok(text.replace(
        &format!("ExecStart={SHIPPED_PATH} "),
        &format!("ExecStart={exe} "),
    ))
}

/// Where the unit goes: systemd's admin dir, or the user's config dir.
fn unit_path(user: bool) -> anyhow::Result<PathBuf> {
    if !user {
        return Ok(PathBuf::from("/etc/systemd/system").join(UNIT_NAME));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .ok_or_else(|| anyhow!("neither XDG_CONFIG_HOME nor HOME is set"))?;
    Ok(config.join("systemd/user").join(UNIT_NAME))
}

fn needs_root(w: &Which) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if !w.user && !root {
        return Err(UsageError(
            "a system service needs root: run `sudo llp service ...`, or pass --user for a \
             service of your own"
                .into(),
        )
        .into());
    }
    Ok(())
}

fn install(w: &Which) -> anyhow::Result<ExitCode> {
    needs_root(w)?;
    let text = unit(w.user)?;
    let path = unit_path(w.user)?;
    let dir = path.parent().expect("a unit path has a dir");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let same = std::fs::read_to_string(&path).is_ok_and(|t| t == text);
    if !same {
        // Written whole, then renamed: systemd never reads half a unit.
        let tmp = dir.join(format!(".{UNIT_NAME}.tmp"));
        std::fs::write(&tmp, &text).with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "{} {}",
        if same { "unchanged:" } else { "wrote" },
        path.display()
    );
    if w.files_only {
        println!("not started (--files-only): {}", enable_hint(w.user));
        return Ok(ExitCode::SUCCESS);
    }
    systemctl(w.user, &["daemon-reload"])?;
    systemctl(w.user, &["enable", "--now", UNIT_NAME])?;
    if !same {
        // A unit that changed restarts on the new one; `enable --now` leaves a running one be.
        systemctl(w.user, &["try-restart", UNIT_NAME])?;
    }
    let u = if w.user { " --user" } else { "" };
    println!(
        "llp runs as a service, and starts at boot{}.",
        if w.user {
            " (at login; `loginctl enable-linger` for boot)"
        } else {
            ""
        }
    );
    println!("  status: systemctl{u} status llp     logs: journalctl{u} -u llp -f");
    if !w.user {
        println!("  the node: sudo llp status --data-dir /var/lib/llp");
    }
    Ok(ExitCode::SUCCESS)
}

fn enable_hint(user: bool) -> String {
    let u = if user { " --user" } else { "" };
    format!("`systemctl{u} daemon-reload && systemctl{u} enable --now llp` starts it")
}

fn uninstall(w: &Which) -> anyhow::Result<ExitCode> {
    needs_root(w)?;
    let path = unit_path(w.user)?;
    if !w.files_only && path.exists() {
        systemctl(w.user, &["disable", "--now", UNIT_NAME])?;
    }
    match std::fs::remove_file(&path) {
        Ok(()) => println!("removed {}", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("not installed: no {}", path.display());
        }
        Err(e) => return Err(anyhow!("cannot remove {}: {e}", path.display())),
    }
    if !w.files_only {
        systemctl(w.user, &["daemon-reload"])?;
    }
    println!("the node's data and models stay where they were");
    Ok(ExitCode::SUCCESS)
}

/// Runs `systemctl [--user] ARGS`, failing with what it said.
fn systemctl(user: bool, args: &[&str]) -> anyhow::Result<()> {
    let mut cmd = std::process::Command::new("systemctl");
    if user {
        cmd.arg("--user");
    }
    let shown = format!(
        "systemctl{} {}",
        if user { " --user" } else { "" },
        args.join(" ")
    );
    let out = cmd.args(args).output().map_err(|e| {
        anyhow!("cannot run `{shown}` ({e}); is this a systemd machine? --files-only writes the unit alone")
    })?;
    if !out.status.success() {
        return Err(anyhow!(
            "`{shown}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}
