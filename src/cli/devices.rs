//! `llp devices [--json]`: this machine's capability profile.

use std::process::ExitCode;

use super::bytes;
use crate::devices::Reading;

pub(super) async fn run(json: bool) -> anyhow::Result<ExitCode> {
    let p = tokio::task::spawn_blocking(crate::devices::detect).await?;
    if json {
        super::print_json(&p)?;
        return Ok(ExitCode::SUCCESS);
    }
    let c = &p.cpu;
    println!("CPU       {} ({})", c.model, c.arch);
    println!(
        "          {} physical cores, {} threads",
        c.cores_physical.show(),
        c.threads_logical
    );
    println!(
        "          SIMD: {}",
        if c.simd.is_empty() {
            "none detected".into()
        } else {
            c.simd.join(" ")
        }
    );
    println!(
        "RAM       {} total, {} free",
        bytes(c.ram_total_bytes),
        bytes(c.ram_free_bytes)
    );
    if p.gpus.is_empty() {
        println!("GPU       none");
    }
    for g in &p.gpus {
        print_gpu(g);
    }
    for probe in &p.probes {
        println!("probe     {}: {}", probe.source, probe.result);
    }
    for be in &p.backends {
        println!(
            "backend   {} {} ({}), {} free of {}",
            be.backend,
            be.name,
            be.description,
            bytes(be.memory_free_bytes),
            bytes(be.memory_total_bytes)
        );
    }
    println!(
        "candle    {}",
        crate::engine::candle::compiled_devices().join(" ")
    );
    println!("quants    {}", p.quantizations.join(" "));
    Ok(ExitCode::SUCCESS)
}

/// One GPU: name, memory, readings, driver and compute capability.
fn print_gpu(g: &crate::devices::Gpu) {
    let b = |r: &Reading<u64>| match r.value {
        Some(v) => bytes(v),
        None => r.show(),
    };
    println!(
        "GPU {}     {} [{}]{}",
        g.index,
        g.name,
        g.vendor,
        if g.unified_memory {
            " (unified memory)"
        } else {
            ""
        }
    );
    println!(
        "          memory {} used of {}",
        b(&g.memory_used_bytes),
        b(&g.memory_total_bytes)
    );
    println!(
        "          utilisation {} %, temperature {} °C, power {} W",
        g.utilization_pct.show(),
        g.temperature_c.show(),
        g.power_w.show()
    );
    // `compute` holds the CUDA version on NVIDIA, the gfx target on AMD.
    let compute = match g.vendor.as_str() {
        "nvidia" => "CUDA",
        "amd" => "gfx target",
        _ => "compute",
    };
    println!(
        "          driver {}, {compute} {}",
        g.driver.show(),
        g.compute.show()
    );
}
