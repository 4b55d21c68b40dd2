//! Compiles the chat shim (`src/engine/chat_shim.cpp`): a C boundary over llama.cpp's own chat
//! support (Jinja templates with tools, tool-call grammars and parsers, JSON schema grammars),
//! which llama-cpp-2 builds into `libllama-common` but does not bind.
//!
//! The shim must see the very headers llama-cpp-sys-2 compiled: their C++ structs cross between
//! the two. llama-cpp-sys-2 tells its direct dependents where it installed ggml's CMake package
//! (`DEP_LLAMA_GGML_CMAKE_DIR`, under its OUT_DIR); the CMake cache beside it names the llama.cpp
//! source tree it built.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=src/engine/chat_shim.cpp");
    println!("cargo:rerun-if-env-changed=DEP_LLAMA_GGML_CMAKE_DIR");
    let src = llama_source().unwrap_or_else(|e| panic!("cannot find llama.cpp's sources: {e}"));
    cc::Build::new()
        .cpp(true)
        .file("src/engine/chat_shim.cpp")
        .include(src.join("common"))
        .include(src.join("include"))
        .include(src.join("ggml/include"))
        .include(src.join("vendor"))
        .include(&src)
        .flag_if_supported("-std=c++17")
        .flag_if_supported("-Wno-unused-parameter")
        .flag_if_supported("-Wno-unused-function")
        .pic(true)
        .compile("llp_chat_shim");
}

fn llama_source() -> Result<PathBuf, String> {
    let cmake_dir = std::env::var("DEP_LLAMA_GGML_CMAKE_DIR")
        .map_err(|_| "DEP_LLAMA_GGML_CMAKE_DIR is not set by llama-cpp-sys-2".to_string())?;
    // <OUT_DIR>/lib/cmake -> <OUT_DIR>/build/CMakeCache.txt
    let out = Path::new(&cmake_dir)
        .ancestors()
        .nth(2)
        .ok_or("DEP_LLAMA_GGML_CMAKE_DIR has no OUT_DIR above it")?;
    let cache_path = out.join("build").join("CMakeCache.txt");
    let cache = std::fs::read_to_string(&cache_path)
        .map_err(|e| format!("{}: {e}", cache_path.display()))?;
    let dir = cache
        .lines()
        .find_map(|l| l.strip_prefix("CMAKE_HOME_DIRECTORY:INTERNAL="))
        .ok_or_else(|| format!("{} names no CMAKE_HOME_DIRECTORY", cache_path.display()))?;
    let dir = PathBuf::from(dir.trim());
    if !dir.join("common").join("chat.h").is_file() {
        return Err(format!("{} holds no common/chat.h", dir.display()));
    }
    Ok(dir)
}
