//! This machine's capability profile: CPU, GPUs (NVIDIA through NVML, AMD through sysfs, Apple
//! Silicon), the llama.cpp backends compiled in and the quantization types this node can run.
//!
//! Every probe is optional: a missing library or sensor gives a reading with no value and the
//! reason, never an error. The profile is a serde type, announced to peers by the network layer.

use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// One measured value, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading<T> {
    pub value: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

impl<T> Reading<T> {
    pub fn ok(value: T) -> Self {
        Reading {
            value: Some(value),
            unavailable: None,
        }
    }
    pub fn na(reason: impl Into<String>) -> Self {
        Reading {
            value: None,
            unavailable: Some(reason.into()),
        }
    }
    fn from_result<E: std::fmt::Display>(r: Result<T, E>) -> Self {
        match r {
            Ok(v) => Reading::ok(v),
            Err(e) => Reading::na(e.to_string()),
        }
    }
}

impl<T: std::fmt::Display> Reading<T> {
    /// The value, or `N/A (reason)`.
    pub fn show(&self) -> String {
        match (&self.value, &self.unavailable) {
            (Some(v), _) => v.to_string(),
            (None, Some(r)) => format!("N/A ({r})"),
            (None, None) => "N/A".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub cpu: Cpu,
    pub gpus: Vec<Gpu>,
    /// Why a GPU family shows no device (library missing, driver not loaded, ...).
    pub probes: Vec<Probe>,
    /// Devices of the llama.cpp backends compiled into this binary.
    pub backends: Vec<Backend>,
    /// GGUF quantization types this node's engine can run.
    pub quantizations: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cpu {
    pub model: String,
    pub arch: String,
    pub cores_physical: Reading<u32>,
    pub threads_logical: u32,
    /// SIMD extensions the CPU has (runtime detection).
    pub simd: Vec<String>,
    pub ram_total_bytes: u64,
    pub ram_free_bytes: u64,
    /// Busy share of all cores since the previous probe.
    #[serde(default = "not_probed")]
    pub utilization_pct: Reading<u32>,
    #[serde(default = "not_probed")]
    pub temperature_c: Reading<u32>,
    /// Package power from the RAPL energy counter, since the previous probe.
    #[serde(default = "not_probed")]
    pub power_w: Reading<f64>,
}

fn not_probed<T>() -> Reading<T> {
    Reading::na("not probed")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Gpu {
    pub vendor: String,
    pub index: u32,
    pub name: String,
    pub memory_total_bytes: Reading<u64>,
    pub memory_used_bytes: Reading<u64>,
    /// Memory shared with the CPU (Apple Silicon).
    pub unified_memory: bool,
    pub utilization_pct: Reading<u32>,
    pub temperature_c: Reading<u32>,
    pub power_w: Reading<f64>,
    pub driver: Reading<String>,
    /// CUDA version (NVIDIA) or gfx target (AMD).
    pub compute: Reading<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Probe {
    pub source: String,
    pub result: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Backend {
    pub backend: String,
    pub name: String,
    pub description: String,
    pub memory_total_bytes: u64,
    pub memory_free_bytes: u64,
}

/// The quantization types llama.cpp's CPU backend runs (it runs every GGML type); GPU backends
/// in this build run the same set.
pub const QUANTIZATIONS: &[&str] = &[
    "f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k_s", "q3_k_m",
    "q3_k_l", "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m", "q6_k", "iq1_s", "iq1_m", "iq2_xxs",
    "iq2_xs", "iq2_s", "iq2_m", "iq3_xxs", "iq3_xs", "iq3_s", "iq3_m", "iq4_nl", "iq4_xs", "tq1_0",
    "tq2_0", "mxfp4",
];

/// Probes everything. Blocking (NVML init, sysfs reads): call off the async runtime.
pub fn detect() -> Profile {
    let mut probes = Vec::new();
    let mut gpus = Vec::new();
    match nvidia(&mut gpus) {
        Ok(0) => probes.push(Probe {
            source: "nvidia".into(),
            result: "NVML loaded; no NVIDIA GPU".into(),
        }),
        Ok(n) => probes.push(Probe {
            source: "nvidia".into(),
            result: format!("{n} GPU(s) through NVML"),
        }),
        Err(reason) => probes.push(Probe {
            source: "nvidia".into(),
            result: reason,
        }),
    }
    let before = gpus.len();
    match amd(&mut gpus, std::path::Path::new("/sys/class/drm")) {
        Ok(()) if gpus.len() == before => probes.push(Probe {
            source: "amd".into(),
            result: "no AMD GPU in /sys/class/drm".into(),
        }),
        Ok(()) => probes.push(Probe {
            source: "amd".into(),
            result: format!("{} GPU(s) through sysfs", gpus.len() - before),
        }),
        Err(reason) => probes.push(Probe {
            source: "amd".into(),
            result: reason,
        }),
    }
    let cpu = cpu();
    if cfg!(all(target_os = "macos", target_arch = "aarch64")) {
        gpus.push(Gpu {
            vendor: "apple".into(),
            index: 0,
            name: format!("{} GPU (Metal)", cpu.model),
            memory_total_bytes: Reading::ok(cpu.ram_total_bytes),
            memory_used_bytes: Reading::ok(cpu.ram_total_bytes.saturating_sub(cpu.ram_free_bytes)),
            unified_memory: true,
            utilization_pct: Reading::na("not exposed without root (powermetrics)"),
            temperature_c: Reading::na("not exposed without root (powermetrics)"),
            power_w: Reading::na("not exposed without root (powermetrics)"),
            driver: Reading::na("Metal has no separate driver version"),
            compute: Reading::ok("Metal".into()),
        });
    } else {
        probes.push(Probe {
            source: "apple".into(),
            result: "not an Apple Silicon Mac".into(),
        });
    }
    Profile {
        cpu,
        gpus,
        probes,
        backends: backends(),
        quantizations: QUANTIZATIONS.iter().map(|s| s.to_string()).collect(),
    }
}

fn cpu() -> Cpu {
    use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};
    let sys = System::new_with_specifics(
        RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::nothing())
            .with_memory(MemoryRefreshKind::nothing().with_ram()),
    );
    let (model, threads, ram_total, ram_free) = match &sys {
        Ok(s) => (
            s.cpus()
                .first()
                .map(|c| c.brand().trim().to_string())
                .unwrap_or_default(),
            s.cpus().len() as u32,
            s.total_memory(),
            s.available_memory(),
        ),
        Err(_) => (String::new(), 0, 0, 0),
    };
    let threads = if threads > 0 {
        threads
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1)
    };
    Cpu {
        model: if model.is_empty() {
            "unknown CPU".into()
        } else {
            model
        },
        arch: std::env::consts::ARCH.to_string(),
        cores_physical: Reading::from_result(
            System::physical_core_count()
                .map(|n| n as u32)
                .map_err(|e| format!("{e:?}")),
        ),
        threads_logical: threads,
        simd: simd(),
        ram_total_bytes: ram_total,
        ram_free_bytes: ram_free,
        utilization_pct: cpu_usage(),
        temperature_c: cpu_temperature(),
        power_w: cpu_power(),
    }
}

/// Utilisation needs two samples: the first probe only starts the count.
fn cpu_usage() -> Reading<u32> {
    use sysinfo::{CpuRefreshKind, RefreshKind, System};
    static SYS: Mutex<Option<(System, Instant)>> = Mutex::new(None);
    let mut s = SYS.lock().unwrap_or_else(|e| e.into_inner());
    match s.as_mut() {
        Some((sys, at)) if at.elapsed() >= sysinfo::MINIMUM_CPU_UPDATE_INTERVAL => {
            sys.refresh_cpu_usage();
            *at = Instant::now();
            Reading::ok(sys.global_cpu_usage().round() as u32)
        }
        Some(_) => Reading::na("sampled too recently"),
        None => match System::new_with_specifics(
            RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing().with_usage()),
        ) {
            Ok(sys) => {
                *s = Some((sys, Instant::now()));
                Reading::na("measuring (first sample)")
            }
            Err(e) => Reading::na(format!("cannot read CPU times: {e:?}")),
        },
    }
}

/// The hottest CPU package sensor the kernel exposes (k10temp, coretemp, a SoC thermal zone).
fn cpu_temperature() -> Reading<u32> {
    let Ok(components) = sysinfo::Components::new_with_refreshed_list() else {
        return Reading::na("no temperature sensors readable");
    };
    let cpu_like = |l: &str| {
        let l = l.to_ascii_lowercase();
        ["k10temp", "coretemp", "package", "tctl", "cpu", "soc"]
            .iter()
            .any(|k| l.contains(k))
    };
    components
        .iter()
        .filter(|c| cpu_like(c.label()))
        .filter_map(|c| c.temperature())
        .filter(|t| t.is_finite() && *t > 0.0)
        .fold(None, |m: Option<f32>, t| Some(m.map_or(t, |m| m.max(t))))
        .map(|t| Reading::ok(t.round() as u32))
        .unwrap_or_else(|| {
            Reading::na("no CPU temperature sensor (k10temp/coretemp) in /sys/class/hwmon")
        })
}

/// Package power from the RAPL energy counter (Intel and AMD on Linux); reading it usually
/// needs root.
fn cpu_power() -> Reading<f64> {
    static LAST: Mutex<Option<(u64, Instant)>> = Mutex::new(None);
    let path = "/sys/class/powercap/intel-rapl:0/energy_uj";
    let uj = match std::fs::read_to_string(path) {
        Ok(s) => match s.trim().parse::<u64>() {
            Ok(v) => v,
            Err(_) => return Reading::na(format!("{path} is not a number")),
        },
        Err(e) => return Reading::na(format!("no RAPL energy counter ({path}: {e})")),
    };
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    let reading = match *last {
        Some((prev, at)) if uj >= prev && now > at => {
            Reading::ok((uj - prev) as f64 / 1e6 / (now - at).as_secs_f64())
        }
        _ => Reading::na("measuring (first sample)"),
    };
    *last = Some((uj, now));
    reading
}

#[cfg(target_arch = "x86_64")]
fn simd() -> Vec<String> {
    let mut v = Vec::new();
    macro_rules! check {
        ($($f:tt),*) => { $( if std::is_x86_feature_detected!($f) { v.push($f.to_string()); } )* };
    }
    check!(
        "sse3",
        "ssse3",
        "sse4.1",
        "sse4.2",
        "avx",
        "avx2",
        "fma",
        "f16c",
        "bmi2",
        "avx512f",
        "avx512bw",
        "avx512vl",
        "avx512vnni",
        "avx512bf16",
        "avxvnni"
    );
    v
}

#[cfg(target_arch = "aarch64")]
fn simd() -> Vec<String> {
    let mut v = Vec::new();
    macro_rules! check {
        ($($f:tt),*) => { $( if std::arch::is_aarch64_feature_detected!($f) { v.push($f.to_string()); } )* };
    }
    check!("neon", "dotprod", "fp16", "i8mm", "sve", "sve2", "bf16");
    v
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn simd() -> Vec<String> {
    Vec::new()
}

/// NVIDIA GPUs through NVML. `Err` says why NVML could not be used.
fn nvidia(out: &mut Vec<Gpu>) -> Result<usize, String> {
    use nvml_wrapper::Nvml;
    use nvml_wrapper::enum_wrappers::device::TemperatureSensor;
    use nvml_wrapper::error::NvmlError;
    let nvml = Nvml::init().map_err(|e| match e {
        NvmlError::LibloadingError(_) => {
            "N/A: the NVIDIA management library (libnvidia-ml.so.1) is not installed".to_string()
        }
        other => format!("N/A: NVML failed to start: {other}"),
    })?;
    let driver = Reading::from_result(nvml.sys_driver_version());
    let cuda = Reading::from_result(nvml.sys_cuda_driver_version().map(|v| {
        format!(
            "{}.{}",
            nvml_wrapper::cuda_driver_version_major(v),
            nvml_wrapper::cuda_driver_version_minor(v)
        )
    }));
    let count = nvml
        .device_count()
        .map_err(|e| format!("N/A: NVML device count: {e}"))?;
    for i in 0..count {
        let d = match nvml.device_by_index(i) {
            Ok(d) => d,
            Err(e) => {
                out.push(Gpu {
                    vendor: "nvidia".into(),
                    index: i,
                    name: format!("GPU {i} (unreadable: {e})"),
                    memory_total_bytes: Reading::na(e.to_string()),
                    memory_used_bytes: Reading::na(e.to_string()),
                    unified_memory: false,
                    utilization_pct: Reading::na(e.to_string()),
                    temperature_c: Reading::na(e.to_string()),
                    power_w: Reading::na(e.to_string()),
                    driver: driver.clone(),
                    compute: cuda.clone(),
                });
                continue;
            }
        };
        let mem = d.memory_info();
        out.push(Gpu {
            vendor: "nvidia".into(),
            index: i,
            name: d
                .name()
                .unwrap_or_else(|e| format!("NVIDIA GPU {i} (name: {e})")),
            memory_total_bytes: Reading::from_result(
                mem.as_ref().map(|m| m.total).map_err(|e| e.to_string()),
            ),
            memory_used_bytes: Reading::from_result(
                mem.as_ref().map(|m| m.used).map_err(|e| e.to_string()),
            ),
            unified_memory: false,
            utilization_pct: Reading::from_result(d.utilization_rates().map(|u| u.gpu)),
            temperature_c: Reading::from_result(d.temperature(TemperatureSensor::Gpu)),
            power_w: Reading::from_result(d.power_usage().map(|mw| mw as f64 / 1000.0)),
            driver: driver.clone(),
            compute: cuda.clone(),
        });
    }
    Ok(count as usize)
}

/// AMD GPUs from sysfs (`/sys/class/drm/cardN/device` with vendor 0x1002).
pub fn amd(out: &mut Vec<Gpu>, drm: &std::path::Path) -> Result<(), String> {
    use std::fs;
    let entries = match fs::read_dir(drm) {
        Ok(e) => e,
        Err(e) => return Err(format!("N/A: cannot read {}: {e}", drm.display())),
    };
    let mut cards: Vec<_> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with("card") && n[4..].chars().all(|c| c.is_ascii_digit()) && n.len() > 4
        })
        .collect();
    cards.sort_by_key(|n| n[4..].parse::<u32>().unwrap_or(0));
    let driver = Reading::from_result(
        fs::read_to_string("/sys/module/amdgpu/version")
            .map(|s| s.trim().to_string())
            .map_err(|e| format!("/sys/module/amdgpu/version: {e}")),
    );
    let mut index = 0;
    for card in cards {
        let dev = drm.join(&card).join("device");
        let vendor = fs::read_to_string(dev.join("vendor")).unwrap_or_default();
        if vendor.trim() != "0x1002" {
            continue;
        }
        out.push(amd_card(&dev, index, &driver));
        index += 1;
    }
    Ok(())
}

/// One AMD card from its sysfs `device` dir: memory and load from amdgpu's files, temperature
/// and power from its hwmon.
fn amd_card(dev: &std::path::Path, index: u32, driver: &Reading<String>) -> Gpu {
    use std::fs;
    let read_u64 = |name: &str| -> Reading<u64> {
        let p = dev.join(name);
        match fs::read_to_string(&p) {
            Ok(s) => s
                .trim()
                .parse()
                .map(Reading::ok)
                .unwrap_or_else(|e| Reading::na(format!("{}: {e}", p.display()))),
            Err(e) => Reading::na(format!("{}: {e}", p.display())),
        }
    };
    let hwmon = fs::read_dir(dev.join("hwmon"))
        .ok()
        .and_then(|mut d| d.next())
        .and_then(|e| e.ok())
        .map(|e| e.path());
    let hw = |name: &str| -> Result<u64, String> {
        let dir = hwmon.as_ref().ok_or("no hwmon directory")?;
        let p = dir.join(name);
        fs::read_to_string(&p)
            .map_err(|e| format!("{}: {e}", p.display()))?
            .trim()
            .parse::<u64>()
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    let name = fs::read_to_string(dev.join("product_name"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            let id = fs::read_to_string(dev.join("device")).unwrap_or_default();
            format!("AMD GPU {}", id.trim())
        });
    let busy = read_u64("gpu_busy_percent");
    Gpu {
        vendor: "amd".into(),
        index,
        name,
        memory_total_bytes: read_u64("mem_info_vram_total"),
        memory_used_bytes: read_u64("mem_info_vram_used"),
        unified_memory: false,
        utilization_pct: Reading {
            value: busy.value.map(|v| v as u32),
            unavailable: busy.unavailable,
        },
        temperature_c: Reading::from_result(hw("temp1_input").map(|m| (m / 1000) as u32)),
        power_w: Reading::from_result(
            hw("power1_average")
                .or_else(|_| hw("power1_input"))
                .map(|uw| uw as f64 / 1e6),
        ),
        driver: driver.clone(),
        compute: Reading::na("gfx target not read (needs the KFD topology)"),
    }
}

fn backends() -> Vec<Backend> {
    // Registering llama.cpp's backends needs its global init; share the engine's.
    if crate::engine::backend().is_err() {
        return Vec::new();
    }
    llama_cpp_2::list_llama_ggml_backend_devices()
        .into_iter()
        .map(|d| Backend {
            backend: d.backend,
            name: d.name,
            description: d.description,
            memory_total_bytes: d.memory_total as u64,
            memory_free_bytes: d.memory_free as u64,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amd_cards_are_read_from_sysfs() {
        let dir = tempfile::tempdir().unwrap();
        let dev = dir.path().join("card1/device");
        std::fs::create_dir_all(dev.join("hwmon/hwmon3")).unwrap();
        std::fs::create_dir_all(dir.path().join("card1-DP-1")).unwrap();
        std::fs::write(dev.join("vendor"), "0x1002\n").unwrap();
        std::fs::write(dev.join("mem_info_vram_total"), "17163091968\n").unwrap();
        std::fs::write(dev.join("mem_info_vram_used"), "1048576\n").unwrap();
        std::fs::write(dev.join("gpu_busy_percent"), "7\n").unwrap();
        std::fs::write(dev.join("hwmon/hwmon3/temp1_input"), "45000\n").unwrap();
        let mut gpus = Vec::new();
        amd(&mut gpus, dir.path()).unwrap();
        assert_eq!(gpus.len(), 1);
        let g = &gpus[0];
        assert_eq!(g.memory_total_bytes.value, Some(17163091968));
        assert_eq!(g.utilization_pct.value, Some(7));
        assert_eq!(g.temperature_c.value, Some(45));
        assert!(g.power_w.value.is_none() && g.power_w.unavailable.is_some());
    }

    #[test]
    fn non_amd_cards_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let dev = dir.path().join("card0/device");
        std::fs::create_dir_all(&dev).unwrap();
        std::fs::write(dev.join("vendor"), "0x8086\n").unwrap();
        let mut gpus = Vec::new();
        amd(&mut gpus, dir.path()).unwrap();
        assert!(gpus.is_empty());
    }
}
