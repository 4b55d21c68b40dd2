//! Making a variant: llama.cpp's quantizer (`llama_model_quantize`, the code behind its
//! `llama-quantize` tool) rewrites a GGUF file in another quantization.
//!
//! Owns: the names of the types it writes and the one call into llama.cpp. llama-cpp-2 does not
//! bind the quantizer, so this module calls llama-cpp-sys-2 directly.
#![allow(unsafe_code)] // One FFI call with owned, NUL-terminated paths; see `quantize`.

use std::ffi::{CStr, CString, c_char, c_void};
use std::path::Path;

use llama_cpp_sys_2 as sys;

/// The types `llp models quantize --to` writes, as the catalog names them, with llama.cpp's
/// file type for each.
const TYPES: &[(&str, sys::llama_ftype)] = &[
    ("f16", sys::LLAMA_FTYPE_MOSTLY_F16),
    ("bf16", sys::LLAMA_FTYPE_MOSTLY_BF16),
    ("q8_0", sys::LLAMA_FTYPE_MOSTLY_Q8_0),
    ("q6_k", sys::LLAMA_FTYPE_MOSTLY_Q6_K),
    ("q5_k_m", sys::LLAMA_FTYPE_MOSTLY_Q5_K_M),
    ("q5_k_s", sys::LLAMA_FTYPE_MOSTLY_Q5_K_S),
    ("q5_1", sys::LLAMA_FTYPE_MOSTLY_Q5_1),
    ("q5_0", sys::LLAMA_FTYPE_MOSTLY_Q5_0),
    ("q4_k_m", sys::LLAMA_FTYPE_MOSTLY_Q4_K_M),
    ("q4_k_s", sys::LLAMA_FTYPE_MOSTLY_Q4_K_S),
    ("q4_1", sys::LLAMA_FTYPE_MOSTLY_Q4_1),
    ("q4_0", sys::LLAMA_FTYPE_MOSTLY_Q4_0),
    ("q3_k_l", sys::LLAMA_FTYPE_MOSTLY_Q3_K_L),
    ("q3_k_m", sys::LLAMA_FTYPE_MOSTLY_Q3_K_M),
    ("q3_k_s", sys::LLAMA_FTYPE_MOSTLY_Q3_K_S),
    ("q2_k", sys::LLAMA_FTYPE_MOSTLY_Q2_K),
];

/// llama.cpp's file type for `quant` (case-insensitive), or why the quantizer cannot write it
/// (naming what it can).
pub fn file_type(quant: &str) -> Result<sys::llama_ftype, String> {
    TYPES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(quant))
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let names: Vec<&str> = TYPES.iter().map(|(n, _)| *n).collect();
            format!(
                "llama.cpp's quantizer does not write `{quant}` here; it writes: {}",
                names.join(", ")
            )
        })
}

/// llama.cpp's log callback while and after quantizing: warnings and errors, to tracing.
extern "C" fn warnings_only(level: sys::ggml_log_level, text: *const c_char, _: *mut c_void) {
    if level != sys::GGML_LOG_LEVEL_WARN && level != sys::GGML_LOG_LEVEL_ERROR || text.is_null() {
        return;
    }
    // SAFETY: llama.cpp passes a NUL-terminated string, valid for the call.
    let text = unsafe { CStr::from_ptr(text) }.to_string_lossy();
    tracing::warn!(target: "llama.cpp", "{}", text.trim_end());
}

/// Writes `input` quantized as `quant` (`q8_0`, `q4_k_m`, ... case-insensitive) to `output`.
/// Blocking and CPU-heavy: run it on a thread of its own. An already quantized input is
/// dequantized first (llama.cpp's `--allow-requantize`): the result is no better than it.
pub fn quantize(input: &Path, output: &Path, quant: &str, threads: u32) -> Result<(), String> {
    let ftype = file_type(quant)?;
    super::backend().map_err(|e| e.to_string())?;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_encoded_bytes())
            .map_err(|_| format!("{} has a NUL byte in its name", p.display()))
    };
    let (inp, out) = (c(input)?, c(output)?);
    // The quantizer logs a line per tensor at info level; llama-cpp-2's bridge to tracing lets
    // them through every filter. From here on this process keeps llama.cpp's warnings only (a
    // node keeps no others either).
    // SAFETY: a plain function pointer that lives as long as the program, and no user data.
    unsafe { sys::llama_log_set(Some(warnings_only), std::ptr::null_mut()) };
    // SAFETY: returns a plain struct by value and touches no state.
    let mut params = unsafe { sys::llama_model_quantize_default_params() };
    params.nthread = threads.max(1) as i32;
    params.ftype = ftype;
    params.allow_requantize = true;
    // SAFETY: both paths are NUL-terminated and outlive the call; `params` is a valid struct
    // whose pointer fields are the defaults' nulls. llama.cpp reads `input`, writes `output` and
    // returns non-zero on failure (it catches its own exceptions).
    let rc = unsafe { sys::llama_model_quantize(inp.as_ptr(), out.as_ptr(), &raw const params) };
    if rc != 0 {
        let _ = std::fs::remove_file(output);
        return Err(format!(
            "llama.cpp could not quantize {} to {quant} (see the log; is it a complete GGUF?)",
            input.display()
        ));
    }
    Ok(())
}
