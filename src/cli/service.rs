//! `llp service install | uninstall | show [--user]`: the node as a systemd service.
//!
//! The units are `assets/systemd/llp.service` (system: a transient user of its own, the state,
//! cache and config dirs systemd makes, hardened) and `llp-user.service` (the user's own dirs,
//! so `llp` and `llp status` find its node). Installing writes the unit with the path of the
//! running `llp` in `ExecStart`, then has systemctl enable and start it; uninstalling stops,
//! disables and removes it. Both are idempotent; the node's data is never touched.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};

use crate::config::UsageError;

const SYSTEM_UNIT: &str = include_str!("../../assets/systemd/llp.service");
const USER_UNIT: &str = include_str!("../../assets/systemd/llp-user.service");
/// The program path in the units as shipped, replaced by the running one's.
const SHIPPED_PATH: &str = "/usr/local/bin/llp";
const UNIT_NAME: &str = "llp.service";
/// The system service's config file, handed to the node as a credential when it exists.
const SYSTEM_CONFIG: &str = "/etc/llp/config.toml";

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

pub(super) fn run(g: &super::Global, a: &ServiceArgs) -> anyhow::Result<ExitCode> {
    if matches!(a.action, Action::Install(_))
        && (g.data_dir.is_some() || g.config.is_some() || g.models_dir.is_some())
    {
        // The unit names its own dirs: a data dir given here would be a different node.
        eprintln!(
            "llp: the service uses its own data, models and config dirs (see `llp service show`); \
             --data-dir, --models-dir and --config given here are not carried into it"
        );
    }
    match &a.action {
        Action::Show(w) => {
            print!("{}", unit(w.user, false)?);
            Ok(ExitCode::SUCCESS)
        }
        Action::Install(w) => install(w),
        Action::Uninstall(w) => uninstall(w),
    }
}

/// The unit, with `ExecStart` naming the running program (`checked`: one the system service
/// can run safely, as installing requires).
fn unit(user: bool, checked: bool) -> anyhow::Result<String> {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .context("cannot tell where this llp is")?;
    let exe = exe
        .to_str()
        .ok_or_else(|| anyhow!("the path of this llp is not UTF-8: {}", exe.display()))?;
    // systemd expands `%` specifiers and `$VAR`s in ExecStart, and splits at spaces.
    if exe.contains(char::is_whitespace) || exe.contains(['"', '\'', '\\', '%', '$']) {
        return Err(UsageError(format!(
            "the path of this llp ({exe}) has spaces or quotes; install it somewhere plain, \
             e.g. {SHIPPED_PATH}"
        ))
        .into());
    }
    if !user && checked {
        system_program(Path::new(exe))?;
    }
    let text = if user { USER_UNIT } else { SYSTEM_UNIT };
    let mut text = text.replace(
        &format!("ExecStart={SHIPPED_PATH} "),
        &format!("ExecStart={exe} "),
    );
    if !user && Path::new(SYSTEM_CONFIG).is_file() {
        text = text
            .replace("#LoadCredential=", "LoadCredential=")
            .replace("#Environment=LLP_CONFIG=", "Environment=LLP_CONFIG=");
    }
    Ok(text)
}

/// The system service runs its program as root starts it: it must be where the hardened
/// service can run it (not under /home or a tmp), and only root may change it (whoever can
/// write it owns the node's identity and credits).
fn system_program(exe: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let hidden = ["/home/", "/root/", "/tmp/", "/var/tmp/", "/run/user/"];
    if hidden.iter().any(|h| exe.starts_with(h)) {
        return Err(UsageError(format!(
            "{} is where the system service cannot run it (it hides /home, /root and tmp): \
             install it first, e.g. `sudo install -m 755 {} /usr/local/bin/llp`, and run \
             `sudo /usr/local/bin/llp service install`",
            exe.display(),
            exe.display()
        ))
        .into());
    }
    for p in exe.ancestors() {
        let Ok(m) = std::fs::metadata(p) else {
            continue;
        };
        if m.uid() != 0 || m.mode() & 0o022 != 0 {
            return Err(UsageError(format!(
                "{} can be changed by a user other than root ({} is owned by uid {}, mode \
                 {:o}): whoever can change it would own the node; install it where only root \
                 writes, e.g. /usr/local/bin",
                exe.display(),
                p.display(),
                m.uid(),
                m.mode() & 0o7777
            ))
            .into());
        }
    }
    Ok(())
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
    let text = unit(w.user, true)?;
    let path = unit_path(w.user)?;
    let dir = path.parent().expect("a unit path has a dir");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let same = std::fs::read_to_string(&path).is_ok_and(|t| t == text);
    if !same {
        // Written whole to a new file of its own (never one planted there), then renamed:
        // systemd never reads half a unit.
        use std::io::Write;
        use std::os::unix::fs::PermissionsExt;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        tmp.write_all(text.as_bytes())?;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
        tmp.persist(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
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
    systemctl(w.user, &["enable", UNIT_NAME])?;
    // A unit that changed restarts on the new one (or starts); an unchanged one only starts.
    systemctl(w.user, &[if same { "start" } else { "restart" }, UNIT_NAME])?;
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
