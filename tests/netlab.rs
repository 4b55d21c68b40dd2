//! A lab of real networks: `llp` nodes each in a network namespace of its own, joined through
//! a router namespace whose links the test degrades. Reusable by any test (and by
//! `scripts/degraded.sh`, which runs the whole ladder).
//!
//! ```text
//!   test process (root namespace) ── veth ──┐
//!   node 0 (namespace) ── veth ── r0 ──┐    │
//!   node 1 (namespace) ── veth ── r1 ──┼── router namespace
//!   node 2 (namespace) ── veth ── r2 ──┘
//! ```
//!
//! Every UDP packet between nodes crosses the router, where nftables drops a share of them
//! (`numgen random`: loss) and sends the rest by TPROXY to a small userspace proxy
//! (`netlab/delay.py`) that holds each for the link's latency with jitter and sends it on
//! from its own source address. `tbf` on the router's links caps their rate. The kernel has no
//! `netem` here, so this is how delay is made. An outage drops every packet of one node, both
//! ways. The test process reaches the nodes' APIs over TCP through the router (not degraded).
//!
//! Needs root, `ip`, `nft`, `tc` and `python3`; where one is missing the test says so and
//! skips (`.ci/run` installs them).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::*;

/// One step of the ladder: per-link latency, jitter and loss (as iroh's own degradation tests
/// use), and the rate of each link.
#[derive(Debug, Clone, Copy)]
pub struct Level {
    pub name: &'static str,
    pub delay_ms: u32,
    pub loss_permille: u32,
    pub rate_mbit: Option<u32>,
}

pub const CLEAN: Level = Level {
    name: "clean",
    delay_ms: 0,
    loss_permille: 0,
    rate_mbit: None,
};

/// The ladder: 10 ms / 0.5 %, 100 ms / 3 %, 200 ms / 5 %, 300 ms / 8 %, each link at 20 Mbit/s
/// (a home uplink).
pub const LADDER: [Level; 4] = [
    Level {
        name: "1: 10 ms, 0.5 % loss",
        delay_ms: 10,
        loss_permille: 5,
        rate_mbit: Some(20),
    },
    Level {
        name: "2: 100 ms, 3 % loss",
        delay_ms: 100,
        loss_permille: 30,
        rate_mbit: Some(20),
    },
    Level {
        name: "3: 200 ms, 5 % loss",
        delay_ms: 200,
        loss_permille: 50,
        rate_mbit: Some(20),
    },
    Level {
        name: "4: 300 ms, 8 % loss",
        delay_ms: 300,
        loss_permille: 80,
        rate_mbit: Some(20),
    },
];

/// One lab at a time: labs are heavy (three nodes each, on a shared machine), and their
/// timings mean something only when they do not crowd each other out.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The lab: its namespaces, the proxy, and the nodes' addresses.
pub struct Lab {
    tag: String,
    /// The second octet of the lab's 10.X.0.0/16.
    net: u8,
    hosts: usize,
    proxy: Child,
    control: PathBuf,
    dir: tempfile::TempDir,
    down: Vec<usize>,
    delay: (u32, u32),
    /// Held for the lab's life (dropped last, after the namespaces are gone).
    _turn: std::sync::MutexGuard<'static, ()>,
}

const PROXY_PORT: u16 = 9999;

fn sh(args: &[&str]) -> Result<(), String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("{}: {e}", args[0]))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Why a lab cannot be built here, if it cannot.
pub fn missing() -> Option<String> {
    // The effective uid, from /proc (no unsafe call to geteuid).
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap_or("?");
    if euid != "0" {
        return Some("not root (network namespaces need it)".into());
    }
    for tool in ["ip", "nft", "tc", "python3"] {
        if Command::new(tool).arg("-V").output().is_err() {
            return Some(format!(
                "`{tool}` is not installed (scripts/setup.sh installs it)"
            ));
        }
    }
    let probe = format!("llpprobe{}", &rand_hex()[..6]);
    if let Err(e) = sh(&["ip", "netns", "add", &probe]) {
        return Some(format!("cannot make a network namespace: {e}"));
    }
    let _ = sh(&["ip", "netns", "del", &probe]);
    None
}

impl Lab {
    /// A lab for `hosts` nodes, its links clean. `None` (with the reason printed) where this
    /// machine cannot make one.
    pub fn new(hosts: usize) -> Option<Lab> {
        if let Some(why) = missing() {
            eprintln!("SKIPPED: the network lab needs {why}");
            return None;
        }
        let turn = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let tag = rand_hex()[..6].to_string();
        let net = 100 + (u8::from_str_radix(&tag[..2], 16).unwrap() % 100);
        let dir = tempfile::tempdir().unwrap();
        let control = dir.path().join("links.json");
        std::fs::write(&control, "{}").unwrap();
        let router = format!("llp{tag}r");
        let ns = |args: &[&str]| {
            let mut v = vec!["ip", "netns", "exec", &router];
            v.extend_from_slice(args);
            sh(&v).unwrap();
        };
        sh(&["ip", "netns", "add", &router]).unwrap();
        ns(&["ip", "link", "set", "lo", "up"]);
        ns(&["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
        ns(&["sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0"]);
        ns(&["sysctl", "-qw", "net.ipv4.conf.default.rp_filter=0"]);
        // The test process's way in: TCP to the nodes' APIs, through the router.
        let (host_end, lab_end) = (format!("l{tag}h"), format!("l{tag}x"));
        sh(&[
            "ip", "link", "add", &host_end, "type", "veth", "peer", "name", &lab_end,
        ])
        .unwrap();
        sh(&["ip", "link", "set", &lab_end, "netns", &router]).unwrap();
        sh(&[
            "ip",
            "addr",
            "add",
            &format!("10.{net}.254.2/24"),
            "dev",
            &host_end,
        ])
        .unwrap();
        sh(&["ip", "link", "set", &host_end, "up"]).unwrap();
        ns(&[
            "ip",
            "addr",
            "add",
            &format!("10.{net}.254.1/24"),
            "dev",
            &lab_end,
        ]);
        ns(&["ip", "link", "set", &lab_end, "up"]);
        sh(&[
            "ip",
            "route",
            "add",
            &format!("10.{net}.0.0/16"),
            "via",
            &format!("10.{net}.254.1"),
        ])
        .unwrap();
        for i in 0..hosts {
            Self::add_host(&tag, net, &router, i);
        }
        // Packets to the proxy stay on the router (policy routing for TPROXY's mark).
        ns(&["ip", "rule", "add", "fwmark", "1", "lookup", "100"]);
        ns(&[
            "ip",
            "route",
            "add",
            "local",
            "0.0.0.0/0",
            "dev",
            "lo",
            "table",
            "100",
        ]);
        let log = std::fs::File::create(dir.path().join("delay.log")).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/netlab/delay.py");
        let proxy = Command::new("ip")
            .args(["netns", "exec", &router, "python3", script])
            .arg(PROXY_PORT.to_string())
            .arg(&control)
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let mut lab = Lab {
            tag,
            net,
            hosts,
            proxy,
            control,
            dir,
            down: Vec::new(),
            delay: (0, 0),
            _turn: turn,
        };
        lab.wait_for_proxy();
        lab.set(CLEAN);
        Some(lab)
    }

    fn add_host(tag: &str, net: u8, router: &str, i: usize) {
        let host = format!("llp{tag}n{i}");
        let (inside, outside) = (format!("l{tag}i{i}"), format!("l{tag}r{i}"));
        sh(&["ip", "netns", "add", &host]).unwrap();
        sh(&[
            "ip", "link", "add", &inside, "type", "veth", "peer", "name", &outside,
        ])
        .unwrap();
        sh(&["ip", "link", "set", &inside, "netns", &host]).unwrap();
        sh(&["ip", "link", "set", &outside, "netns", router]).unwrap();
        let in_host = |args: &[&str]| {
            let mut v = vec!["ip", "netns", "exec", &host];
            v.extend_from_slice(args);
            sh(&v).unwrap();
        };
        in_host(&["ip", "link", "set", "lo", "up"]);
        in_host(&[
            "ip",
            "addr",
            "add",
            &format!("10.{net}.{i}.2/24"),
            "dev",
            &inside,
        ]);
        in_host(&["ip", "link", "set", &inside, "up"]);
        in_host(&[
            "ip",
            "route",
            "add",
            "default",
            "via",
            &format!("10.{net}.{i}.1"),
        ]);
        let in_router = |args: &[&str]| {
            let mut v = vec!["ip", "netns", "exec", router];
            v.extend_from_slice(args);
            sh(&v).unwrap();
        };
        in_router(&[
            "ip",
            "addr",
            "add",
            &format!("10.{net}.{i}.1/24"),
            "dev",
            &outside,
        ]);
        in_router(&["ip", "link", "set", &outside, "up"]);
    }

    fn wait_for_proxy(&mut self) {
        let log = self.dir.path().join("delay.log");
        for _ in 0..100 {
            if std::fs::read_to_string(&log)
                .unwrap_or_default()
                .contains("ready")
            {
                return;
            }
            if let Ok(Some(s)) = self.proxy.try_wait() {
                panic!(
                    "the delay proxy exited ({s}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the delay proxy did not start");
    }

    fn router(&self) -> String {
        format!("llp{}r", self.tag)
    }

    /// Host `i`'s namespace, for `ip netns exec`.
    pub fn host(&self, i: usize) -> String {
        format!("llp{}n{i}", self.tag)
    }

    /// Host `i`'s address.
    pub fn addr(&self, i: usize) -> String {
        format!("10.{}.{i}.2", self.net)
    }

    fn in_router(&self, args: &[&str]) -> Result<(), String> {
        let r = self.router();
        let mut v = vec!["ip", "netns", "exec", &r];
        v.extend_from_slice(args);
        sh(&v)
    }

    /// Puts every link at `level`: loss in nftables, rate with tbf, delay in the proxy.
    pub fn set(&mut self, level: Level) {
        // One table, replaced whole: loss first, then every UDP packet crossing the router to
        // the proxy.
        let rules = format!(
            "table inet llp {{}}\ndelete table inet llp\ntable inet llp {{\n  chain pre {{\n    \
             type filter hook prerouting priority mangle; policy accept;\n    {loss}\n    \
             iifname != \"lo\" meta l4proto udp tproxy ip to :{PROXY_PORT} meta mark set 1 \
             accept\n  }}\n}}\n",
            loss = if level.loss_permille > 0 {
                format!(
                    "iifname != \"lo\" meta l4proto udp numgen random mod 1000 < {} drop",
                    level.loss_permille
                )
            } else {
                String::new()
            }
        );
        let file = self.dir.path().join("rules.nft");
        std::fs::write(&file, rules).unwrap();
        self.in_router(&["nft", "-f", file.to_str().unwrap()])
            .unwrap();
        for i in 0..self.hosts {
            let dev = format!("l{}r{i}", self.tag);
            let _ = self.in_router(&["tc", "qdisc", "del", "dev", &dev, "root"]);
            if let Some(mbit) = level.rate_mbit {
                self.in_router(&[
                    "tc",
                    "qdisc",
                    "add",
                    "dev",
                    &dev,
                    "root",
                    "tbf",
                    "rate",
                    &format!("{mbit}mbit"),
                    "burst",
                    "64kb",
                    "latency",
                    "400ms",
                ])
                .unwrap();
            }
        }
        self.delay = (level.delay_ms, level.delay_ms / 10);
        self.write_control();
    }

    /// Cuts host `i` off (every packet to or from it dropped) or brings it back.
    pub fn outage(&mut self, i: usize, on: bool) {
        self.down.retain(|d| *d != i);
        if on {
            self.down.push(i);
        }
        self.write_control();
    }

    fn write_control(&self) {
        let down: Vec<String> = self.down.iter().map(|i| self.addr(*i)).collect();
        let text = serde_json::json!({
            "delay_ms": self.delay.0,
            "jitter_ms": self.delay.1,
            "down": down,
        })
        .to_string();
        let tmp = self.dir.path().join("links.json.tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, &self.control).unwrap();
        // The proxy polls every 200 ms.
        std::thread::sleep(Duration::from_millis(400));
    }

    /// Starts `llp serve` on host `i`: its P2P endpoint on the host's address, its API there
    /// too (with a token, as any API beyond loopback), relays and mDNS off.
    pub fn node(&self, i: usize, extra: &[&str]) -> Node {
        self.start(i, extra, "LLP_LOG=warn")
    }

    fn start(&self, i: usize, extra: &[&str], log: &str) -> Node {
        let ns = self.host(i);
        let listen = format!("{}:7000", self.addr(i));
        let api = format!("{}:8686", self.addr(i));
        let mut args = vec!["--listen", &listen, "--api", &api, "--api-token", LAB_TOKEN];
        args.extend_from_slice(extra);
        Node::start_via(
            &["ip", "netns", "exec", &ns, "env", log],
            tempfile::tempdir().unwrap(),
            &args,
        )
    }

    /// What the proxy logged (its settings as they changed, and errors).
    pub fn proxy_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("delay.log")).unwrap_or_default()
    }
}

/// The bearer token of the lab's nodes' APIs.
pub const LAB_TOKEN: &str = "lab-token";

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.proxy.kill();
        let _ = self.proxy.wait();
        let _ = sh(&["ip", "route", "del", &format!("10.{}.0.0/16", self.net)]);
        let _ = sh(&["ip", "link", "del", &format!("l{}h", self.tag)]);
        for i in 0..self.hosts {
            let _ = sh(&["ip", "netns", "del", &self.host(i)]);
        }
        let _ = sh(&["ip", "netns", "del", &self.router()]);
    }
}
