//! A stand-in for a bigger model, for the tests and the benchmark of a cheater that claims one
//! (`--cheat claim-bigger`): one model file is all this machine has offline, so the "bigger"
//! model is the default one with its `ffn_down` weights scrambled (a different model of the
//! same shape, whose answers differ from the default's), listed in a catalog as a 1.7B model.
//! Compiled only with the `fault-injection` feature, as the cheaters are.
//!
//! Owns: writing that model file and the catalog that lists it. Must not touch: the models dir
//! of the user (all of it goes into a directory the caller gives).

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::catalog::{Catalog, Model, Variant};

/// The stand-in's name in its catalog.
pub const NAME: &str = "stand-in-1.7b";
/// What its catalog says it has (SmolLM2 1.7B's count): what a requester pays for.
pub const PARAMETERS: u64 = 1_711_376_384;
/// GGML's type id of Q4_1, and its blocks: 32 weights in 20 bytes (two f16, then 16 bytes of
/// 4-bit weights).
const Q4_1: u32 = 3;
const BLOCK_WEIGHTS: u64 = 32;
const BLOCK_BYTES: u64 = 20;
const BLOCK_SCALES: u64 = 4;

/// What [`write`] made.
pub struct StandIn {
    /// The built-in catalog with the stand-in added (every node of its network uses it: the
    /// catalog's facts set the network's prices).
    pub catalog: PathBuf,
    /// A models dir holding the stand-in and (linked) the default model.
    pub models_dir: PathBuf,
    /// `NAME:QUANT` of the default model and of the stand-in.
    pub default: String,
    pub stand_in: String,
}

/// Writes the stand-in of the default model (found in `models_dir`) and its catalog under
/// `dir`.
pub fn write(models_dir: &Path, dir: &Path) -> anyhow::Result<StandIn> {
    let mut catalog = Catalog::builtin();
    let base = catalog.resolve(&catalog.default.clone())?;
    let (model, variant) = (base.model.clone(), base.variant.clone());
    let from = models_dir.join(&variant.file);
    let out = dir.join("models");
    std::fs::create_dir_all(&out)?;
    let linked = out.join(&variant.file);
    if !linked.exists() {
        std::os::unix::fs::symlink(&from, &linked)
            .with_context(|| format!("linking {}", from.display()))?;
    }
    let file = format!("{NAME}.{}.gguf", variant.quant.to_uppercase());
    let mut bytes = std::fs::read(&from).with_context(|| format!("reading {}", from.display()))?;
    let scrambled = scramble(&mut bytes).map_err(|e| anyhow::anyhow!("{}: {e}", from.display()))?;
    anyhow::ensure!(
        scrambled > 0,
        "{}: no Q4_1 ffn_down weights to scramble",
        from.display()
    );
    let path = out.join(&file);
    std::fs::write(&path, &bytes)?;
    let sha256 = crate::fetch::sha256_file(&path)?;
    catalog.models.push(Model {
        name: NAME.into(),
        family: "stand-in".into(),
        parameters: PARAMETERS,
        hf_repo: Some("llp-tests/stand-in".into()),
        variants: vec![Variant {
            file,
            size: bytes.len() as u64,
            size_exact: true,
            sha256,
            source: None,
            ..variant.clone()
        }],
        ..model
    });
    let path = dir.join("models.toml");
    std::fs::write(&path, toml::to_string(&catalog)?)?;
    Ok(StandIn {
        catalog: path,
        models_dir: out,
        default: catalog.default.clone(),
        stand_in: format!("{NAME}:{}", variant.quant),
    })
}

/// Scrambles the 4-bit weights of every Q4_1 `ffn_down` tensor of the GGUF file in `bytes`
/// (the same way each time, leaving the scales as they are); how many tensors it scrambled.
fn scramble(bytes: &mut [u8]) -> Result<usize, String> {
    let (data, tensors) = q4_1_ffn_down(bytes)?;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for (offset, weights) in &tensors {
        let start = data + offset;
        for block in 0..weights / BLOCK_WEIGHTS {
            let at = (start + block * BLOCK_BYTES + BLOCK_SCALES) as usize;
            let quants = bytes
                .get_mut(at..at + (BLOCK_BYTES - BLOCK_SCALES) as usize)
                .ok_or("a tensor ends past the end of the file")?;
            for b in quants {
                // xorshift64: any fixed stream of bytes will do.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b ^= state as u8;
            }
        }
    }
    Ok(tensors.len())
}

/// Where the tensor data of the GGUF file in `bytes` starts, and the offset and weight count of
/// each Q4_1 `ffn_down` tensor in it.
fn q4_1_ffn_down(bytes: &[u8]) -> Result<(u64, Vec<(u64, u64)>), String> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4)? != b"GGUF" {
        return Err("not a GGUF file".into());
    }
    let version = r.u32()?;
    if version < 2 {
        return Err(format!("GGUF version {version} is not supported"));
    }
    let (tensors, kvs) = (r.u64()?, r.u64()?);
    let mut align = 32;
    for _ in 0..kvs {
        let key = r.string()?;
        let ty = r.u32()?;
        if key == "general.alignment" && ty == 4 {
            align = u64::from(r.u32()?).max(1);
        } else {
            r.skip_value(ty)?;
        }
    }
    let mut found = Vec::new();
    for _ in 0..tensors {
        let name = r.string()?;
        let dims = r.u32()?;
        let mut weights = 1u64;
        for _ in 0..dims {
            weights = weights.saturating_mul(r.u64()?);
        }
        let (ty, offset) = (r.u32()?, r.u64()?);
        if ty == Q4_1 && name.ends_with("ffn_down.weight") {
            found.push((offset, weights));
        }
    }
    Ok(((r.at as u64).div_ceil(align) * align, found))
}

/// Reads GGUF's little-endian header.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: u64) -> Result<&'a [u8], String> {
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.at.checked_add(n))
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| format!("the header ends early, at byte {}", self.at))?;
        let b = &self.bytes[self.at..end];
        self.at = end;
        Ok(b)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }

    fn string(&mut self) -> Result<String, String> {
        let n = self.u64()?;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    /// Skips a metadata value of GGUF type `ty`.
    fn skip_value(&mut self, ty: u32) -> Result<(), String> {
        match ty {
            8 => self.string().map(drop),
            9 => {
                let (inner, n) = (self.u32()?, self.u64()?);
                match fixed_size(inner) {
                    Some(size) => self.take(size.saturating_mul(n)).map(drop),
                    None => (0..n).try_for_each(|_| self.skip_value(inner)),
                }
            }
            _ => {
                let size = fixed_size(ty).ok_or(format!("unknown metadata type {ty}"))?;
                self.take(size).map(drop)
            }
        }
    }
}

/// The size of a metadata value of GGUF type `ty`, if fixed.
fn fixed_size(ty: u32) -> Option<u64> {
    match ty {
        0 | 1 | 7 => Some(1),
        2 | 3 => Some(2),
        4..=6 => Some(4),
        10..=12 => Some(8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_cut_short_is_an_error_not_a_panic() {
        let mut b = b"GGUF\x03\0\0\0\x01\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0".to_vec();
        assert!(scramble(&mut b).unwrap_err().contains("ends early"));
        assert!(scramble(&mut b"GGML".to_vec()).is_err());
    }
}
