//! The `llp` binary: everything lives in the library; see `local_llm_proxy::cli`.

fn main() -> std::process::ExitCode {
    local_llm_proxy::cli::main()
}
