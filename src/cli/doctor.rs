//! `llp doctor [--json]`: checks what a node needs and says how to fix what is wrong — the
//! config, the data dir's permissions, the models and their checksums, the API and P2P ports,
//! the relays, the GPU and sysfs readers, the build's SIMD and GPU backends against this
//! machine, the ledger's chain, and the clock against peers'. Exit 0 when nothing failed (a
//! warning does not fail), 1 otherwise.
//!
//! With a node running for the data dir it asks that node (its API, its status, its chain);
//! without one it reads the files and tries the ports itself.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use super::Global;
use crate::config::Settings;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print JSON: every check with its level, detail and fix
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Level {
    Ok,
    /// Works, but not as well as it could.
    Warn,
    Fail,
    /// Does not apply here.
    Skip,
}

/// One check's finding.
#[derive(Debug, Serialize)]
struct Check {
    check: String,
    level: Level,
    detail: String,
    /// What to do about it (warnings and failures).
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

fn check(name: impl Into<String>, level: Level, detail: impl Into<String>) -> Check {
    Check {
        check: name.into(),
        level,
        detail: detail.into(),
        fix: None,
    }
}

impl Check {
    fn fix(mut self, how: impl Into<String>) -> Check {
        self.fix = Some(how.into());
        self
    }
}

pub(super) async fn run(g: &Global, a: &DoctorArgs) -> anyhow::Result<ExitCode> {
    let checks = match g.settings() {
        Err(e) => vec![
            check("config", Level::Fail, e.0)
                .fix("correct the file, flag or variable it names; `llp config` shows them"),
        ],
        Ok(s) => all(g, s).await,
    };
    let failed = checks.iter().filter(|c| c.level == Level::Fail).count();
    if a.json {
        super::print_json(&serde_json::json!({ "ok": failed == 0, "checks": checks }))?;
    } else {
        print(&checks, failed);
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print(checks: &[Check], failed: usize) {
    let width = checks.iter().map(|c| c.check.len()).max().unwrap_or(0);
    for c in checks {
        let word = match c.level {
            Level::Ok => "ok",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
            Level::Skip => "skip",
        };
        println!("{word:<4}  {:width$}  {}", c.check, c.detail);
        if let Some(f) = &c.fix {
            println!("{:4}  {:width$}  fix: {f}", "", "");
        }
    }
    let warned = checks.iter().filter(|c| c.level == Level::Warn).count();
    match failed {
        0 => println!("no problems found ({warned} warnings)"),
        n => println!(
            "{n} problem{} found ({warned} warnings)",
            if n == 1 { "" } else { "s" }
        ),
    }
}

async fn all(g: &Global, s: Settings) -> Vec<Check> {
    let mut checks = vec![check(
        "config",
        Level::Ok,
        match &s.config_file {
            Some(p) => format!(
                "{} read (`llp config` shows each setting's source)",
                p.display()
            ),
            None => "no config file: flags, environment and defaults".into(),
        },
    )];
    let running = crate::client::running_api(&s.data_dir);
    let status = match &running {
        Some(base) => node_status(base, s.api.token.as_deref()).await,
        None => None,
    };
    let local = s.clone();
    let mut blocking = tokio::task::spawn_blocking(move || {
        let mut v = data_dir(&local.data_dir);
        v.extend(models(&local));
        v.extend(readers(&local.idle.sysfs));
        v.extend(build());
        v
    })
    .await
    .unwrap_or_default();
    checks.append(&mut blocking);
    checks.extend(ports(&s, running.as_deref(), status.as_ref()).await);
    checks.push(relays(&s).await);
    checks.push(ledger(g, &s, running.is_some()).await);
    checks.push(clock(running.is_some(), status.as_ref()));
    checks
}

/// The running node's `/api/status`, if it answers.
async fn node_status(base: &str, token: Option<&str>) -> Option<serde_json::Value> {
    let client = crate::fetch::http_client().ok()?;
    let mut req = client
        .get(format!("{base}/api/status"))
        .timeout(Duration::from_secs(10));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.ok()?;
    resp.status().is_success().then_some(())?;
    resp.json().await.ok()
}

fn data_dir(dir: &Path) -> Vec<Check> {
    use std::os::unix::fs::PermissionsExt;
    let name = "data dir";
    let meta = match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return vec![check(
                name,
                Level::Ok,
                format!(
                    "{}: not there yet; a node makes it at its first start",
                    dir.display()
                ),
            )];
        }
        Err(e) => {
            return vec![
                check(name, Level::Fail, format!("{}: {e}", dir.display()))
                    .fix("give this user access to it, or choose another with --data-dir"),
            ];
        }
        Ok(m) => m,
    };
    if !meta.is_dir() {
        return vec![
            check(
                name,
                Level::Fail,
                format!("{} is not a directory", dir.display()),
            )
            .fix("move it away, or choose another with --data-dir"),
        ];
    }
    let mode = meta.permissions().mode() & 0o777;
    let mut out = Vec::new();
    if mode & 0o022 != 0 {
        out.push(
            check(
                name,
                Level::Fail,
                format!("{} is writable by others (mode {mode:o}): they could replace the node's key or ledger", dir.display()),
            )
            .fix(format!("chmod 700 {}", dir.display())),
        );
    } else if let Err(e) = tempfile::tempfile_in(dir) {
        out.push(
            check(
                name,
                Level::Fail,
                format!("{}: cannot write: {e}", dir.display()),
            )
            .fix("chown the dir to this user, or choose another with --data-dir"),
        );
    } else {
        out.push(check(
            name,
            Level::Ok,
            format!("{} (mode {mode:o})", dir.display()),
        ));
    }
    let key = dir.join("node.key");
    if let Ok(m) = std::fs::metadata(&key)
        && m.permissions().mode() & 0o077 != 0
    {
        out.push(
            check(
                "node key",
                Level::Fail,
                format!(
                    "{} is readable by others (mode {:o}): whoever reads it is this node",
                    key.display(),
                    m.permissions().mode() & 0o777
                ),
            )
            .fix(format!("chmod 600 {}", key.display())),
        );
    }
    out
}

/// Every model file of the catalog present in the models dir, hashed whole against its sha256.
fn models(s: &Settings) -> Vec<Check> {
    let catalog = match crate::catalog::Catalog::load(s.catalog.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            return vec![
                check("catalog", Level::Fail, e.to_string())
                    .fix("correct the catalog file, or drop --catalog"),
            ];
        }
    };
    let dir = &s.models_dir;
    let mut out = Vec::new();
    for m in &catalog.models {
        for v in &m.variants {
            let path = dir.join(&v.file);
            if !path.is_file() {
                continue;
            }
            let name = format!("model {}:{}", m.name, v.quant);
            let fetch = format!(
                "rm {} && llp models fetch {}:{}",
                path.display(),
                m.name,
                v.quant
            );
            if v.size > 1 << 30 {
                // Seconds a gigabyte: say why the doctor is quiet.
                eprintln!(
                    "llp doctor: hashing {} ({})",
                    path.display(),
                    super::bytes(v.size)
                );
            }
            let want = crate::fetch::expected_sha256(dir, v).ok().flatten();
            out.push(match (crate::fetch::sha256_file(&path), want) {
                (Err(e), _) => {
                    check(name, Level::Fail, format!("{}: {e}", path.display())).fix(fetch)
                }
                (Ok(have), Some(want)) if have != want => check(
                    name,
                    Level::Fail,
                    format!(
                        "{} is corrupt: its sha256 is {have}, expected {want}",
                        path.display()
                    ),
                )
                .fix(fetch),
                (Ok(_), Some(_)) => check(
                    name,
                    Level::Ok,
                    format!("{}: checksum matches", path.display()),
                ),
                (Ok(_), None) => check(
                    name,
                    Level::Warn,
                    format!("{}: no checksum is known for it", path.display()),
                )
                .fix(format!(
                    "`llp models fetch {}:{}` records one",
                    m.name, v.quant
                )),
            });
        }
    }
    if out.is_empty() {
        let default = &catalog.default;
        out.push(
            check(
                "models",
                Level::Warn,
                format!("no model of the catalog in {}", dir.display()),
            )
            .fix(format!("llp models fetch {default}")),
        );
    }
    out
}

/// The readers the idle governor and the device profile use: NVML and sysfs.
fn readers(sysfs: &Path) -> Vec<Check> {
    use nvml_wrapper::error::NvmlError;
    let nvml = match nvml_wrapper::Nvml::init() {
        Ok(n) => {
            let count = n.device_count().unwrap_or(0);
            let driver = n.sys_driver_version().unwrap_or_else(|_| "?".into());
            check(
                "NVML",
                Level::Ok,
                format!("driver {driver}, {count} NVIDIA GPU(s)"),
            )
        }
        Err(NvmlError::LibloadingError(_) | NvmlError::DriverNotLoaded) => check(
            "NVML",
            Level::Skip,
            "no NVIDIA driver (libnvidia-ml.so.1 not found or not loaded): no NVIDIA GPU is used",
        ),
        Err(e) => check("NVML", Level::Warn, format!("NVML failed to start: {e}"))
            .fix("check the NVIDIA driver (`nvidia-smi`); the node computes on the CPU meanwhile"),
    };
    let class = |c: &str| std::fs::read_dir(sysfs.join("class").join(c)).map(|d| d.count());
    let sys = match (class("power_supply"), class("hwmon")) {
        (Ok(p), Ok(h)) => check(
            "sysfs",
            Level::Ok,
            format!(
                "{}: {p} power supplies, {h} sensors (auto-pause reads the battery and heat there)",
                sysfs.display()
            ),
        ),
        (Err(e), _) | (_, Err(e)) => check(
            "sysfs",
            Level::Warn,
            format!(
                "cannot read {}/class: {e}: auto-pause cannot see the battery or heat",
                sysfs.display()
            ),
        )
        .fix("mount sysfs, or point [idle] sysfs at the host's"),
    };
    vec![nvml, sys]
}

/// The SIMD extensions this build was compiled to need, against this CPU's; the GPU backends
/// it has, against the GPUs here.
fn build() -> Vec<Check> {
    let p = crate::devices::detect();
    vec![simd(&p), gpu(&p)]
}

fn simd(p: &crate::devices::Profile) -> Check {
    let has = |f: &str| p.cpu.simd.iter().any(|s| s == f);
    let mut needed = Vec::new();
    macro_rules! compiled {
        ($($f:tt),*) => { $( if cfg!(target_feature = $f) { needed.push($f); } )* };
    }
    compiled!("avx", "avx2", "fma", "f16c", "bmi2", "avx512f");
    let missing: Vec<&str> = needed.iter().copied().filter(|f| !has(f)).collect();
    if !missing.is_empty() && cfg!(target_arch = "x86_64") {
        check(
            "build: SIMD",
            Level::Fail,
            format!(
                "this build needs {} which this CPU lacks: it will crash (SIGILL)",
                missing.join(", ")
            ),
        )
        .fix("build for this CPU: RUSTFLAGS='-C target-cpu=x86-64' cargo build --release")
    } else {
        check(
            "build: SIMD",
            Level::Ok,
            format!(
                "built for {}; this CPU has {}",
                if needed.is_empty() {
                    "the base ISA".into()
                } else {
                    needed.join(" ")
                },
                p.cpu.simd.join(" ")
            ),
        )
    }
}

fn gpu(p: &crate::devices::Profile) -> Check {
    let backends: Vec<&str> = [
        ("cuda", cfg!(feature = "cuda")),
        ("vulkan", cfg!(feature = "vulkan")),
        ("metal", cfg!(feature = "metal")),
        ("rocm", cfg!(feature = "rocm")),
    ]
    .into_iter()
    .filter_map(|(b, on)| on.then_some(b))
    .collect();
    let vendors: Vec<&str> = p.gpus.iter().map(|g| g.vendor.as_str()).collect();
    let unused =
        |v: &str, b: &[&str]| vendors.contains(&v) && !b.iter().any(|x| backends.contains(x));
    if unused("nvidia", &["cuda", "vulkan"]) {
        check(
            "build: GPU",
            Level::Warn,
            "an NVIDIA GPU is here, but this build computes on the CPU only",
        )
        .fix("cargo build --release --features cuda")
    } else if unused("amd", &["rocm", "vulkan"]) {
        check(
            "build: GPU",
            Level::Warn,
            "an AMD GPU is here, but this build computes on the CPU only",
        )
        .fix("cargo build --release --features vulkan (or rocm)")
    } else if !backends.is_empty() && vendors.is_empty() {
        check(
            "build: GPU",
            Level::Warn,
            format!("built for {} but no GPU is visible", backends.join(", ")),
        )
        .fix("check the driver (`nvidia-smi`, `ls /dev/dri`) and the device's permissions")
    } else {
        check(
            "build: GPU",
            Level::Ok,
            format!(
                "backends: {}; GPUs here: {}",
                if backends.is_empty() {
                    "CPU only".into()
                } else {
                    backends.join(", ")
                },
                if vendors.is_empty() {
                    "none".into()
                } else {
                    vendors.join(", ")
                }
            ),
        )
    }
}

/// The API and P2P ports: answering, if a node runs; free to bind, if none does.
async fn ports(
    s: &Settings,
    running: Option<&str>,
    status: Option<&serde_json::Value>,
) -> Vec<Check> {
    vec![
        api_port(s, running, status),
        p2p_port(s, running, status).await,
    ]
}

fn api_port(s: &Settings, running: Option<&str>, status: Option<&serde_json::Value>) -> Check {
    let fix_api = "stop the program that holds it, or choose another address: --api 127.0.0.1:PORT (or `api` in the config file)";
    match running {
        Some(base) if status.is_some() => check(
            "API port",
            Level::Ok,
            format!("the node's API answers at {base}"),
        ),
        Some(base) => check(
            "API port",
            Level::Fail,
            format!("a node holds the data dir but its API at {base} does not answer"),
        )
        .fix("see its log (logs/ in the data dir); restart it"),
        None if s.api.addr.port() == 0 => check(
            "API port",
            Level::Ok,
            format!("{}: a free port is chosen at start", s.api.addr),
        ),
        None => match std::net::TcpListener::bind(s.api.addr) {
            Ok(_) => check(
                "API port",
                Level::Ok,
                format!("{} is free (no node is running)", s.api.addr),
            ),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => check(
                "API port",
                Level::Fail,
                format!("{} is taken by another program", s.api.addr),
            )
            .fix(fix_api),
            Err(e) => check(
                "API port",
                Level::Fail,
                format!("cannot bind {}: {e}", s.api.addr),
            )
            .fix(fix_api),
        },
    }
}

async fn p2p_port(
    s: &Settings,
    running: Option<&str>,
    status: Option<&serde_json::Value>,
) -> Check {
    let fix_p2p = "stop the program that holds it, or choose another: --listen 0.0.0.0:PORT (or 0.0.0.0:0 for any)";
    let listen = s.net.listen;
    match status {
        Some(st) => reach(st).await,
        None if running.is_some() => check("P2P port", Level::Skip, "the node did not answer"),
        None if listen.port() == 0 => check(
            "P2P port",
            Level::Ok,
            format!("{listen}: a free UDP port is chosen at start"),
        ),
        None => match std::net::UdpSocket::bind(listen) {
            Ok(_) => check(
                "P2P port",
                Level::Ok,
                format!("UDP {listen} is free (no node is running)"),
            ),
            Err(e) => check(
                "P2P port",
                Level::Fail,
                format!("cannot bind UDP {listen}: {e}"),
            )
            .fix(fix_p2p),
        },
    }
}

/// A QUIC connection to the running node at its P2P addresses, and at their ports on loopback,
/// from an endpoint of the doctor's own (no relay): proof that the port is bound and answers.
async fn reach(st: &serde_json::Value) -> Check {
    let addrs: Vec<std::net::SocketAddr> = st["network"]["p2p_addrs"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()?.parse().ok()).collect())
        .unwrap_or_default();
    let shown = addrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if addrs.is_empty() {
        return check(
            "P2P port",
            Level::Fail,
            "the node has no P2P address: peers cannot reach it",
        )
        .fix("see its log; check --listen");
    }
    let id = st["id"].as_str().unwrap_or_default();
    match connect(id, &addrs).await {
        Ok(took) => check(
            "P2P port",
            Level::Ok,
            format!(
                "bound at {shown}; a QUIC connection from loopback took {:.0} ms",
                took.as_secs_f64() * 1000.0
            ),
        ),
        Err(e) => check(
            "P2P port",
            Level::Fail,
            format!("bound at {shown}, but a connection from this machine failed: {e}"),
        )
        .fix("check the firewall for UDP on that port (nftables, ufw); see the node's log"),
    }
}

async fn connect(id: &str, addrs: &[std::net::SocketAddr]) -> Result<Duration, String> {
    use iroh::endpoint::presets;
    let key = crate::ids::NodeId::parse(id)
        .ok()
        .and_then(|n| n.public_key())
        .ok_or("the node's status names no valid node id")?;
    let mut target = iroh::EndpointAddr::new(key);
    for a in addrs {
        target = target
            .with_ip_addr(*a)
            .with_ip_addr(std::net::SocketAddr::from(([127, 0, 0, 1], a.port())));
    }
    let memory = iroh::address_lookup::memory::MemoryLookup::new();
    memory.add_endpoint_info(target.clone());
    let ep = iroh::Endpoint::builder(presets::Minimal)
        .clear_ip_transports()
        .bind_addr("0.0.0.0:0")
        .map_err(|e| e.to_string())?
        .address_lookup(memory)
        .bind()
        .await
        .map_err(|e| format!("no endpoint to test with: {e}"))?;
    let started = std::time::Instant::now();
    let tried = tokio::time::timeout(
        Duration::from_secs(5),
        ep.connect(target, crate::net::wire::ALPN),
    )
    .await;
    let result = match tried {
        Err(_) => Err("no answer within 5 s".to_string()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(conn)) => {
            let took = started.elapsed();
            conn.close(0u32.into(), b"llp doctor");
            Ok(took)
        }
    };
    ep.close().await;
    result
}

/// Whether any relay answers on its port: without one, only peers reachable directly connect.
async fn relays(s: &Settings) -> Check {
    use iroh::defaults::prod;
    let hosts: Vec<String> = match &s.net.relay {
        crate::config::Relay::Disabled => {
            return check(
                "relays",
                Level::Skip,
                "relays are off (--relay disabled): peers connect directly only",
            );
        }
        crate::config::Relay::Custom(url) => {
            vec![format!(
                "{}:{}",
                url.host_str().unwrap_or(""),
                url.port_or_known_default().unwrap_or(443)
            )]
        }
        crate::config::Relay::Default => [
            prod::NA_EAST_RELAY_HOSTNAME,
            prod::NA_WEST_RELAY_HOSTNAME,
            prod::EU_RELAY_HOSTNAME,
            prod::AP_RELAY_HOSTNAME,
        ]
        .iter()
        .map(|h| format!("{}:443", h.trim_end_matches('.')))
        .collect(),
    };
    let tries = hosts.iter().map(|h| async move {
        let reached = tokio::time::timeout(
            Duration::from_secs(3),
            tokio::net::TcpStream::connect(h.as_str()),
        )
        .await;
        (h.clone(), matches!(reached, Ok(Ok(_))))
    });
    let results = futures_util::future::join_all(tries).await;
    let up: Vec<&str> = results
        .iter()
        .filter(|(_, ok)| *ok)
        .map(|(h, _)| h.as_str())
        .collect();
    if up.is_empty() {
        check(
            "relays",
            Level::Warn,
            format!(
                "no relay answers ({}): peers behind NAT cannot reach this node",
                hosts.join(", ")
            ),
        )
        .fix("allow outbound TCP 443 to the relays, or run with --relay disabled on a LAN")
    } else {
        check(
            "relays",
            Level::Ok,
            format!(
                "{} of {} relays answer: {}",
                up.len(),
                hosts.len(),
                up.join(", ")
            ),
        )
    }
}

/// This node's chain, verified entry by entry: from the running node, else from the file.
async fn ledger(g: &Global, s: &Settings, running: bool) -> Check {
    if !running && !crate::ledger::path_in(&s.data_dir).exists() {
        return check(
            "ledger",
            Level::Skip,
            "no ledger yet: a node makes one when it is admitted",
        );
    }
    // Read only: a data dir without a key does not get one from the doctor.
    let owner = if s.data_dir.join("node.key").is_file() {
        crate::node::datadir::node_id(&s.data_dir).ok()
    } else {
        None
    };
    let export = tokio::time::timeout(Duration::from_secs(60), super::ledger::export_text(g));
    let text = match export.await {
        Err(_) => {
            return check(
                "ledger",
                Level::Fail,
                "the node did not hand over its chain within 60 s",
            )
            .fix("see its log (logs/ in the data dir); restart it");
        }
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            return check(
                "ledger",
                Level::Fail,
                format!("cannot read the chain: {e:#}"),
            )
            .fix("see `llp ledger verify`; restore the data dir from a backup");
        }
    };
    if text.trim().is_empty() {
        return check("ledger", Level::Ok, "empty: no entries yet");
    }
    let verified = tokio::task::spawn_blocking(move || {
        crate::ledger::chain::verify_export(
            &text,
            owner,
            crate::ledger::Rules::default(),
            crate::ids::now_ms(),
        )
    })
    .await;
    match verified {
        Ok(Ok(sum)) => check("ledger", Level::Ok, format!("{} entries verify, balance {}", sum.entries, sum.balance)),
        Ok(Err(bad)) => check("ledger", Level::Fail, format!("the chain does not verify: first bad entry is {bad}"))
            .fix("peers refuse a broken chain: restore the data dir from a backup (`llp ledger verify` shows the entry)"),
        Err(e) => check("ledger", Level::Fail, format!("verification stopped: {e}")),
    }
}

/// Peers' clocks against this one, from their announcements: receipts are refused when their
/// times are more than five minutes off.
fn clock(running: bool, status: Option<&serde_json::Value>) -> Check {
    let Some(st) = status else {
        return check(
            "clock",
            Level::Skip,
            if running {
                "the node did not answer"
            } else {
                "no node running: start one to compare clocks with its peers"
            },
        );
    };
    let skews: Vec<i64> = st["peers"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p["clock_skew_ms"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    if skews.is_empty() {
        return check("clock", Level::Skip, "no peer has announced its clock yet");
    }
    // The median, not the farthest: one peer with a wrong clock (or a lying one) must not
    // make this machine's clock look wrong. Peers ahead mean this clock is behind.
    let mut sorted = skews.clone();
    sorted.sort_unstable();
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    };
    let farthest = sorted[0]
        .unsigned_abs()
        .max(sorted[sorted.len() - 1].unsigned_abs());
    let secs = |ms: u64| ms as f64 / 1000.0;
    let detail = format!(
        "this clock is {:.1} s {} the median of {} peer(s) (the farthest peer differs by {:.1} s)",
        secs(median.unsigned_abs()),
        if median > 0 { "behind" } else { "ahead of" },
        skews.len(),
        secs(farthest)
    );
    let fix = "sync this machine's clock (`timedatectl set-ntp true`, or chrony)";
    let tolerance = crate::ledger::chain::FUTURE_TOLERANCE_MS;
    match median.unsigned_abs() {
        // Two peers or one could be the wrong ones: too few to fail this machine's clock.
        d if d > tolerance * 4 / 5 && n >= 3 => check(
            "clock",
            Level::Fail,
            format!("{detail}: near the {} s receipts allow", tolerance / 1000),
        )
        .fix(fix),
        d if d > 30_000 => check("clock", Level::Warn, detail).fix(fix),
        _ => check("clock", Level::Ok, detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_skews(skews: &[Option<i64>]) -> serde_json::Value {
        let peers: Vec<_> = skews
            .iter()
            .map(|s| serde_json::json!({ "clock_skew_ms": s }))
            .collect();
        serde_json::json!({ "peers": peers })
    }

    #[test]
    fn a_clock_far_from_the_peers_fails_and_a_near_one_passes() {
        let level = |skews: &[Option<i64>]| clock(true, Some(&with_skews(skews))).level;
        assert_eq!(level(&[]), Level::Skip);
        assert_eq!(level(&[None]), Level::Skip);
        assert_eq!(level(&[Some(1_200), Some(-800)]), Level::Ok);
        assert_eq!(
            level(&[Some(-45_000), Some(-40_000), Some(1_000)]),
            Level::Warn
        );
        // Receipts allow five minutes: four are already a failure, either way, given enough
        // peers to tell; one alone could be the wrong clock.
        assert_eq!(level(&[Some(250_000)]), Level::Warn);
        assert_eq!(
            level(&[Some(250_000), Some(260_000), Some(240_000)]),
            Level::Fail
        );
        // One peer far off (wrong, or lying) among agreeing ones: this clock is fine.
        assert_eq!(level(&[Some(10), Some(-20), Some(9_000_000)]), Level::Ok);
        let c = clock(
            true,
            Some(&with_skews(&[Some(-250_000), Some(-260_000), Some(10)])),
        );
        assert_eq!(c.level, Level::Fail);
        assert!(
            c.detail.contains("250.0 s ahead of the median of 3"),
            "{}",
            c.detail
        );
        assert!(c.fix.is_some());
        assert_eq!(clock(false, None).level, Level::Skip);
    }
}
