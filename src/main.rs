//! The `llp` binary: everything lives in the library; see `local_llm_proxy::cli`.

fn main() -> std::process::ExitCode {
    // The build targets x86-64-v3 (.cargo/config.toml): say so plainly on an older CPU rather
    // than die of an illegal instruction somewhere in llama.cpp.
    #[cfg(target_arch = "x86_64")]
    if !(std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("fma")
        && std::is_x86_feature_detected!("f16c"))
    {
        eprintln!(
            "llp: this build needs a CPU with AVX2, FMA and F16C (x86-64-v3); rebuild without \
             the `target-cpu` line in .cargo/config.toml for this machine"
        );
        return std::process::ExitCode::from(1);
    }
    local_llm_proxy::cli::main()
}
