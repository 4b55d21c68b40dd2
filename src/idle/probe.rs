//! The readers of the conditions: other programs' CPU and GPU use, the battery, heat, and the
//! user's last input at a terminal. Blocking (they read /proc, sysfs and NVML): the governor
//! runs them off the async threads. The file readers take their root (sysfs, /dev), so tests
//! give their own tree; every reader says in words what it found.
//!
//! "Other programs" leaves out this process and the other `llp` nodes on the machine: their
//! load is contribution, not the owner's (a machine running `llp demo` must not pause itself).

use std::ffi::OsString;
use std::path::Path;
use std::time::SystemTime;

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// The busiest program among the others, in words: `yes (pid 4242)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Busy {
    /// Their share of the whole machine (all cores; one GPU), in percent.
    pub percent: f64,
    /// The busiest one and its own share.
    pub top: Option<(String, f64)>,
}

/// What other programs do on one GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuUse {
    pub index: u32,
    pub name: String,
    /// Their SM utilisation, percent (None: the card does not report it per process).
    pub busy: Option<Busy>,
    /// The memory they hold, bytes, and the program that holds most.
    pub memory: u64,
    pub memory_top: Option<String>,
    pub temperature_c: Option<u32>,
}

pub struct Probes {
    /// The process table (none where the platform's cannot be read).
    sys: Option<System>,
    own: Option<Pid>,
    own_name: OsString,
    cores: f64,
    /// NVML, once (it dlopens the library), or why not.
    nvml: Option<Result<nvml_wrapper::Nvml, String>>,
    /// Per GPU, the newest utilisation sample seen (NVML's timestamps, µs).
    gpu_seen: Vec<u64>,
    /// The processes of the last CPU reading, and when it was.
    seen: std::collections::HashSet<Pid>,
    last_cpu: Option<std::time::Instant>,
}

impl Default for Probes {
    fn default() -> Self {
        Probes::new()
    }
}

impl Probes {
    pub fn new() -> Probes {
        let own = sysinfo::get_current_pid().ok();
        let own_name = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_os_string()))
            .unwrap_or_else(|| "llp".into());
        Probes {
            sys: System::new().ok(),
            own,
            own_name,
            cores: std::thread::available_parallelism()
                .map(|n| n.get() as f64)
                .unwrap_or(1.0),
            nvml: None,
            gpu_seen: Vec::new(),
            seen: Default::default(),
            last_cpu: None,
        }
    }

    /// Whether `pid` is this node or another `llp` node.
    fn ours(&self, pid: Pid) -> bool {
        // By its program's file, read again at every reading: a process's name is taken when
        // it is first seen, which may be before its `exec`.
        Some(pid) == self.own
            || self
                .sys
                .as_ref()
                .and_then(|s| s.process(pid))
                .and_then(|p| p.exe())
                .and_then(|exe| exe.file_name())
                .is_some_and(|n| n == self.own_name.as_os_str())
    }

    /// Whether `pid` is a process this node can see. In a container NVML gives the host's
    /// pids, this node's own among them: one not in this `/proc` cannot be told from this
    /// node, so it does not count (else a node would pause itself for good).
    fn visible(&self, pid: Pid) -> bool {
        self.sys.as_ref().is_some_and(|s| s.process(pid).is_some())
    }

    fn name_of(&self, pid: Pid) -> String {
        let name = self
            .sys
            .as_ref()
            .and_then(|s| s.process(pid))
            .map(|p| {
                // Its file (fresh) over its name (taken when first seen).
                p.exe()
                    .and_then(|e| e.file_name())
                    .unwrap_or(p.name())
                    .to_string_lossy()
                    .into_owned()
            })
            .unwrap_or_else(|| "a program".into());
        // A program names itself: no control characters (status prints it to a terminal),
        // and not at length.
        let name: String = name
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .take(32)
            .collect();
        format!("{name} (pid {pid})")
    }

    /// Other programs' CPU use since the last call, as a share of all cores. The first call
    /// only starts the count (it reads 0).
    pub fn cpu(&mut self) -> Busy {
        let Some(sys) = self.sys.as_mut() else {
            return Busy {
                percent: 0.0,
                top: None,
            };
        };
        sys.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing()
                .with_cpu()
                .with_exe(sysinfo::UpdateKind::Always),
        );
        let mut total = 0.0;
        let mut top: Option<(Pid, f64)> = None;
        let sys = self.sys.as_ref().expect("just refreshed");
        let since = self.last_cpu.replace(std::time::Instant::now());
        let mut seen = std::collections::HashSet::with_capacity(self.seen.len());
        for (pid, p) in sys.processes() {
            seen.insert(*pid);
            // A program started since the last reading has no use yet by the counters' diff:
            // its CPU time so far over the time since that reading (the pause comes a reading
            // sooner than it would).
            let used = match since {
                Some(at) if !self.seen.contains(pid) && p.run_time() <= 1 => {
                    p.accumulated_cpu_time() as f64 / (at.elapsed().as_secs_f64() * 10.0)
                }
                _ => f64::from(p.cpu_usage()),
            };
            if used <= 0.0 || self.ours(*pid) {
                continue;
            }
            total += used;
            if top.is_none_or(|(_, t)| used > t) {
                top = Some((*pid, used));
            }
        }
        self.seen = seen;
        Busy {
            percent: total / self.cores,
            top: top.map(|(pid, used)| (self.name_of(pid), used / self.cores)),
        }
    }

    /// Other programs on each NVIDIA GPU: their utilisation (where the card reports it per
    /// process) and memory. `Err` says why there is no reading (no NVML: no NVIDIA GPU).
    pub fn gpus(&mut self) -> Result<Vec<GpuUse>, String> {
        let nvml = self.nvml.get_or_insert_with(|| {
            nvml_wrapper::Nvml::init().map_err(|e| format!("no NVML ({e})"))
        });
        let nvml = match nvml {
            Ok(n) => n,
            Err(e) => return Err(e.clone()),
        };
        let count = nvml.device_count().map_err(|e| e.to_string())?;
        self.gpu_seen.resize(count as usize, 0);
        let mut out = Vec::new();
        let mut pids = Vec::new();
        let mut raw: Vec<Raw> = Vec::new();
        for i in 0..count {
            let Ok(d) = nvml.device_by_index(i) else {
                continue;
            };
            let procs: Vec<_> = d
                .running_compute_processes()
                .unwrap_or_default()
                .into_iter()
                .chain(d.running_graphics_processes().unwrap_or_default())
                .collect();
            let samples = d.process_utilization_stats(Some(self.gpu_seen[i as usize]));
            if let Ok(s) = &samples
                && let Some(newest) = s.iter().map(|s| s.timestamp).max()
            {
                self.gpu_seen[i as usize] = newest;
            }
            pids.extend(procs.iter().map(|p| Pid::from_u32(p.pid)));
            if let Ok(s) = &samples {
                pids.extend(s.iter().map(|s| Pid::from_u32(s.pid)));
            }
            raw.push(Raw {
                index: i,
                name: d.name().unwrap_or_else(|_| format!("GPU {i}")),
                procs,
                samples: samples.ok(),
                temperature_c: d
                    .temperature(nvml_wrapper::enum_wrappers::device::TemperatureSensor::Gpu)
                    .ok(),
            });
        }
        // Names (and whether they are `llp`) of the programs seen on the cards.
        if let Some(sys) = self.sys.as_mut() {
            sys.refresh_processes_specifics(
                ProcessesToUpdate::Some(&pids),
                false,
                ProcessRefreshKind::nothing().with_exe(sysinfo::UpdateKind::Always),
            );
        }
        for r in raw {
            out.push(self.use_of(r));
        }
        Ok(out)
    }
    /// One card's programs as other programs' use of it.
    fn use_of(&self, r: Raw) -> GpuUse {
        let mut memory = 0u64;
        let mut memory_top: Option<(Pid, u64)> = None;
        for p in &r.procs {
            let pid = Pid::from_u32(p.pid);
            if self.ours(pid) || !self.visible(pid) {
                continue;
            }
            if let nvml_wrapper::enums::device::UsedGpuMemory::Used(b) = p.used_gpu_memory {
                memory += b;
                if memory_top.is_none_or(|(_, m)| b > m) {
                    memory_top = Some((pid, b));
                }
            }
        }
        let busy = r.samples.map(|s| {
            // The newest sample of each program: its SM share, percent.
            let mut by_pid: std::collections::HashMap<u32, (u64, u32)> = Default::default();
            let others = s.iter().filter(|s| {
                let pid = Pid::from_u32(s.pid);
                !self.ours(pid) && self.visible(pid)
            });
            for s in others {
                let e = by_pid.entry(s.pid).or_insert((0, 0));
                if s.timestamp >= e.0 {
                    *e = (s.timestamp, s.sm_util);
                }
            }
            let top = by_pid.iter().max_by_key(|(_, (_, u))| *u);
            Busy {
                percent: by_pid
                    .values()
                    .map(|(_, u)| f64::from(*u))
                    .sum::<f64>()
                    .min(100.0),
                top: top.map(|(pid, (_, u))| (self.name_of(Pid::from_u32(*pid)), f64::from(*u))),
            }
        });
        GpuUse {
            index: r.index,
            name: r.name,
            busy,
            memory,
            memory_top: memory_top.map(|(pid, _)| self.name_of(pid)),
            temperature_c: r.temperature_c,
        }
    }
}

/// What NVML said of one card, before the programs are named.
struct Raw {
    index: u32,
    name: String,
    procs: Vec<nvml_wrapper::struct_wrappers::device::ProcessInfo>,
    samples: Option<Vec<nvml_wrapper::struct_wrappers::device::ProcessUtilizationSample>>,
    temperature_c: Option<u32>,
}

/// Whether the machine runs on battery: a battery under `sysfs/class/power_supply` that says
/// it is discharging. Its words, e.g. `on battery (BAT0 at 64 %)`.
pub fn on_battery(sysfs: &Path) -> Option<String> {
    let dir = std::fs::read_dir(sysfs.join("class/power_supply")).ok()?;
    let read = |p: &Path, f: &str| {
        std::fs::read_to_string(p.join(f))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut supplies: Vec<_> = dir.flatten().map(|e| e.path()).collect();
    supplies.sort();
    supplies.iter().find_map(|p| {
        let battery = read(p, "type").eq_ignore_ascii_case("battery");
        (battery && read(p, "status").eq_ignore_ascii_case("discharging")).then(|| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            match read(p, "capacity") {
                c if c.is_empty() => format!("on battery ({name})"),
                c => format!("on battery ({name} at {c} %)"),
            }
        })
    })
}

/// The hottest sensor under `sysfs/class/hwmon`, in °C, with its name (`k10temp Tctl`).
pub fn hottest(sysfs: &Path) -> Option<(String, u32)> {
    let dir = std::fs::read_dir(sysfs.join("class/hwmon")).ok()?;
    let mut best: Option<(String, u32)> = None;
    for mon in dir.flatten().map(|e| e.path()) {
        let chip = std::fs::read_to_string(mon.join("name"))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| mon.file_name().unwrap_or_default().to_string_lossy().into());
        let Ok(files) = std::fs::read_dir(&mon) else {
            continue;
        };
        for f in files.flatten() {
            let file = f.file_name().to_string_lossy().into_owned();
            let Some(sensor) = file
                .strip_prefix("temp")
                .and_then(|s| s.strip_suffix("_input"))
            else {
                continue;
            };
            let Some(milli) = std::fs::read_to_string(f.path())
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
            else {
                continue;
            };
            // Below zero or above 200 °C is a sensor's noise, not heat.
            let c = (milli / 1000).clamp(0, 200) as u32;
            if best.as_ref().is_none_or(|(_, b)| c > *b) {
                let label = std::fs::read_to_string(mon.join(format!("temp{sensor}_label")))
                    .map(|s| s.trim().to_string())
                    .unwrap_or_else(|_| format!("temp{sensor}"));
                best = Some((format!("{chip} {label}"), c));
            }
        }
    }
    best
}

/// When someone last typed at a terminal or console: the newest access time of `dev/pts/*`
/// and `dev/tty[0-9]*` (the kernel stamps a terminal when its input is read, as `w` shows).
pub fn last_input(dev: &Path) -> Option<SystemTime> {
    let mut newest: Option<SystemTime> = None;
    let mut look = |dir: &Path, filter: &dyn Fn(&str) -> bool| {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !filter(&name) {
                continue;
            }
            if let Ok(t) = e.metadata().and_then(|m| m.accessed())
                && newest.is_none_or(|n| t > n)
            {
                newest = Some(t);
            }
        }
    };
    look(&dev.join("pts"), &|n| n.chars().all(|c| c.is_ascii_digit()));
    look(dev, &|n| {
        n.strip_prefix("tty")
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
    });
    newest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn battery_and_heat_are_read_from_the_tree_given() {
        let root = tempfile::tempdir().unwrap();
        let sys = root.path();
        assert_eq!(on_battery(sys), None);
        assert_eq!(hottest(sys), None);
        let ac = sys.join("class/power_supply/AC");
        let bat = sys.join("class/power_supply/BAT0");
        std::fs::create_dir_all(&ac).unwrap();
        std::fs::create_dir_all(&bat).unwrap();
        std::fs::write(ac.join("type"), "Mains\n").unwrap();
        std::fs::write(bat.join("type"), "Battery\n").unwrap();
        std::fs::write(bat.join("status"), "Charging\n").unwrap();
        std::fs::write(bat.join("capacity"), "64\n").unwrap();
        assert_eq!(on_battery(sys), None);
        std::fs::write(bat.join("status"), "Discharging\n").unwrap();
        assert_eq!(on_battery(sys).unwrap(), "on battery (BAT0 at 64 %)");
        let mon = sys.join("class/hwmon/hwmon2");
        std::fs::create_dir_all(&mon).unwrap();
        std::fs::write(mon.join("name"), "k10temp\n").unwrap();
        std::fs::write(mon.join("temp1_input"), "51000\n").unwrap();
        std::fs::write(mon.join("temp1_label"), "Tctl\n").unwrap();
        std::fs::write(mon.join("temp3_input"), "garbage\n").unwrap();
        assert_eq!(hottest(sys).unwrap(), ("k10temp Tctl".into(), 51));
    }

    #[test]
    fn the_last_input_is_the_newest_terminal_read() {
        let dev = tempfile::tempdir().unwrap();
        assert_eq!(last_input(dev.path()), None);
        std::fs::create_dir_all(dev.path().join("pts")).unwrap();
        let stamp = |p: &Path, secs_ago: u64| {
            let f = std::fs::File::create(p).unwrap();
            let t = SystemTime::now() - std::time::Duration::from_secs(secs_ago);
            f.set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t))
                .unwrap();
            t
        };
        stamp(&dev.path().join("pts/0"), 600);
        let newest = stamp(&dev.path().join("tty2"), 30);
        stamp(&dev.path().join("ttyS0"), 1);
        stamp(&dev.path().join("pts/ptmx"), 1);
        assert_eq!(last_input(dev.path()), Some(newest));
    }

    #[test]
    fn a_busy_child_is_another_programs_load() {
        let mut p = Probes::new();
        let mut child = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .unwrap();
        // A program's use is counted from its second reading.
        std::thread::sleep(std::time::Duration::from_millis(100));
        p.cpu();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let busy = p.cpu();
        let _ = child.kill();
        let _ = child.wait();
        let (top, share) = busy.top.clone().expect("a busy program");
        assert!(top.contains(&format!("pid {}", child.id())), "{busy:?}");
        assert!(share > 0.0 && busy.percent >= share, "{busy:?}");
    }
}
