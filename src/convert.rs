//! Converting a sentence-transformers BERT model (safetensors, `config.json`, `vocab.txt`) into
//! a GGUF file llama.cpp embeds with: the embedding model of the catalog ships only in that
//! form on the registries this project can reach.
//!
//! The layout is what llama.cpp's own converter (`convert_hf_to_gguf.py`, `BertModel`) writes:
//! f16 matrices and f32 norms and biases, WordPiece tokens with `##` continuations bare and
//! word starts marked `▁`, the model's special tokens, mean or CLS pooling from the
//! sentence-transformers pooling config. Pure file work: no llama.cpp.

use std::io::Write;
use std::path::Path;

use safetensors::{Dtype, SafeTensors};
use serde_json::Value;

/// GGUF's data alignment (the default, unwritten).
const ALIGN: u64 = 32;

/// What went wrong, with the file it is about.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ConvertError {
    pub file: String,
    pub message: String,
}

fn err(file: &Path, message: impl Into<String>) -> ConvertError {
    ConvertError {
        file: file.display().to_string(),
        message: message.into(),
    }
}

/// A metadata value.
enum Kv {
    U32(u32),
    F32(f32),
    Bool(bool),
    Str(String),
    Strs(Vec<String>),
    I32s(Vec<i32>),
}

fn read(dir: &Path, f: &str) -> Result<Vec<u8>, ConvertError> {
    let p = dir.join(f);
    std::fs::read(&p).map_err(|e| err(&p, e.to_string()))
}

/// Converts the BERT model in `dir` to GGUF at `out`, named `name`.
pub fn bert_to_gguf(dir: &Path, name: &str, out: &Path) -> Result<(), ConvertError> {
    let (kvs, layers) = metadata(dir, name)?;
    let tensors = tensors(dir, layers)?;
    write(out, &kvs, &tensors).map_err(|e| err(out, e.to_string()))
}

/// The GGUF metadata of the model in `dir`, and its layer count.
fn metadata(dir: &Path, name: &str) -> Result<(Metadata, u32), ConvertError> {
    let json = |f: &str| json(dir, f);
    let config = json("config.json")?;
    let cfg = |k: &str| {
        config[k]
            .as_u64()
            .map(|v| v as u32)
            .ok_or_else(|| err(&dir.join("config.json"), format!("no `{k}`")))
    };
    let layers = cfg("num_hidden_layers")?;
    if layers == 0 || layers > 256 {
        return Err(err(&dir.join("config.json"), format!("{layers} layers")));
    }
    let pooling = match json("1_Pooling/config.json") {
        Ok(p) if p["pooling_mode_cls_token"] == Value::Bool(true) => 2,
        _ => 1, // mean, sentence-transformers' usual
    };
    let Vocab {
        tokens,
        types,
        special: [cls, sep, unk, pad, mask],
    } = vocab(dir)?;
    let kvs: Metadata = vec![
        ("general.architecture", Kv::Str("bert".into())),
        ("general.name", Kv::Str(name.into())),
        (
            "bert.context_length",
            Kv::U32(cfg("max_position_embeddings")?),
        ),
        ("bert.embedding_length", Kv::U32(cfg("hidden_size")?)),
        (
            "bert.feed_forward_length",
            Kv::U32(cfg("intermediate_size")?),
        ),
        ("bert.block_count", Kv::U32(layers)),
        (
            "bert.attention.head_count",
            Kv::U32(cfg("num_attention_heads")?),
        ),
        (
            "bert.attention.layer_norm_epsilon",
            Kv::F32(config["layer_norm_eps"].as_f64().unwrap_or(1e-12) as f32),
        ),
        ("bert.attention.causal", Kv::Bool(false)),
        ("bert.pooling_type", Kv::U32(pooling)),
        ("general.file_type", Kv::U32(1)), // mostly f16
        ("tokenizer.ggml.model", Kv::Str("bert".into())),
        ("tokenizer.ggml.pre", Kv::Str("bert-bge".into())),
        ("tokenizer.ggml.tokens", Kv::Strs(tokens)),
        ("tokenizer.ggml.token_type", Kv::I32s(types)),
        (
            "tokenizer.ggml.token_type_count",
            Kv::U32(cfg("type_vocab_size")?),
        ),
        ("tokenizer.ggml.bos_token_id", Kv::U32(cls)),
        ("tokenizer.ggml.eos_token_id", Kv::U32(sep)),
        ("tokenizer.ggml.unknown_token_id", Kv::U32(unk)),
        ("tokenizer.ggml.seperator_token_id", Kv::U32(sep)),
        ("tokenizer.ggml.padding_token_id", Kv::U32(pad)),
        ("tokenizer.ggml.mask_token_id", Kv::U32(mask)),
        ("tokenizer.ggml.add_bos_token", Kv::Bool(true)),
        ("tokenizer.ggml.add_eos_token", Kv::Bool(true)),
        ("tokenizer.ggml.add_sep_token", Kv::Bool(false)),
    ];
    Ok((kvs, layers))
}

/// GGUF metadata, in the order written.
type Metadata = Vec<(&'static str, Kv)>;

fn json(dir: &Path, f: &str) -> Result<Value, ConvertError> {
    serde_json::from_slice(&read(dir, f)?).map_err(|e| err(&dir.join(f), e.to_string()))
}

/// The WordPiece vocabulary as llama.cpp's BERT tokenizer reads it, the token types, and the
/// special tokens' ids (CLS, SEP, UNK, PAD, MASK).
struct Vocab {
    tokens: Vec<String>,
    types: Vec<i32>,
    special: [u32; 5],
}

fn vocab(dir: &Path) -> Result<Vocab, ConvertError> {
    let vocab_text = String::from_utf8(read(dir, "vocab.txt")?)
        .map_err(|e| err(&dir.join("vocab.txt"), e.to_string()))?;
    let vocab: Vec<&str> = vocab_text.lines().collect();
    let specials = json(dir, "special_tokens_map.json")?;
    let id_of = |k: &str| -> Result<u32, ConvertError> {
        let tok = specials[k]
            .as_str()
            .or_else(|| specials[k]["content"].as_str())
            .ok_or_else(|| err(&dir.join("special_tokens_map.json"), format!("no `{k}`")))?;
        vocab
            .iter()
            .position(|t| *t == tok)
            .map(|i| i as u32)
            .ok_or_else(|| {
                err(
                    &dir.join("vocab.txt"),
                    format!("the {k} `{tok}` is not in the vocabulary"),
                )
            })
    };
    let special = [
        id_of("cls_token")?,
        id_of("sep_token")?,
        id_of("unk_token")?,
        id_of("pad_token")?,
        id_of("mask_token")?,
    ];
    let tokens: Vec<String> = vocab
        .iter()
        .map(|t| {
            if t.starts_with('[') && t.ends_with(']') {
                t.to_string()
            } else if let Some(rest) = t.strip_prefix("##") {
                rest.to_string()
            } else {
                format!("\u{2581}{t}")
            }
        })
        .collect();
    let types: Vec<i32> = (0..tokens.len() as u32)
        .map(|i| if special.contains(&i) { 3 } else { 1 })
        .collect();
    Ok(Vocab {
        tokens,
        types,
        special,
    })
}

/// The model's tensors in llama.cpp's names and order.
fn tensors(dir: &Path, layers: u32) -> Result<Vec<Tensor>, ConvertError> {
    let st_path = dir.join("model.safetensors");
    let raw = read(dir, "model.safetensors")?;
    let st = SafeTensors::deserialize(&raw).map_err(|e| err(&st_path, e.to_string()))?;
    let prefix = if st.tensor("embeddings.word_embeddings.weight").is_ok() {
        ""
    } else {
        "bert."
    };
    let tensors = tensor_plan(prefix, layers)
        .into_iter()
        .map(|(to, from, half)| {
            let t = st
                .tensor(&from)
                .map_err(|e| err(&st_path, format!("{from}: {e}")))?;
            if t.dtype() != Dtype::F32 {
                return Err(err(&st_path, format!("{from} is {:?}, not F32", t.dtype())));
            }
            let values: Vec<f32> = t
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            Ok(Tensor {
                name: to,
                // GGUF lists dimensions innermost first.
                dims: t.shape().iter().rev().map(|&d| d as u64).collect(),
                values,
                half,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(tensors)
}

/// (GGUF name, safetensors name, stored as f16) in llama.cpp's converter's order.
fn tensor_plan(prefix: &str, layers: u32) -> Vec<(String, String, bool)> {
    let e = |s: &str| format!("{prefix}embeddings.{s}");
    let mut plan = vec![
        (
            "token_embd.weight".into(),
            e("word_embeddings.weight"),
            true,
        ),
        (
            "token_types.weight".into(),
            e("token_type_embeddings.weight"),
            false,
        ),
        (
            "position_embd.weight".into(),
            e("position_embeddings.weight"),
            true,
        ),
        (
            "token_embd_norm.weight".into(),
            e("LayerNorm.weight"),
            false,
        ),
        ("token_embd_norm.bias".into(), e("LayerNorm.bias"), false),
    ];
    for i in 0..layers {
        let l = |s: &str| format!("{prefix}encoder.layer.{i}.{s}");
        for (from, to) in [
            ("attention.self.query", "attn_q"),
            ("attention.self.key", "attn_k"),
            ("attention.self.value", "attn_v"),
            ("attention.output.dense", "attn_output"),
            ("intermediate.dense", "ffn_up"),
            ("output.dense", "ffn_down"),
        ] {
            plan.push((
                format!("blk.{i}.{to}.weight"),
                l(&format!("{from}.weight")),
                true,
            ));
            plan.push((
                format!("blk.{i}.{to}.bias"),
                l(&format!("{from}.bias")),
                false,
            ));
        }
        for (from, to) in [
            ("attention.output.LayerNorm", "attn_output_norm"),
            ("output.LayerNorm", "layer_output_norm"),
        ] {
            plan.push((
                format!("blk.{i}.{to}.weight"),
                l(&format!("{from}.weight")),
                false,
            ));
            plan.push((
                format!("blk.{i}.{to}.bias"),
                l(&format!("{from}.bias")),
                false,
            ));
        }
    }
    plan
}

struct Tensor {
    name: String,
    dims: Vec<u64>,
    values: Vec<f32>,
    half: bool,
}

impl Tensor {
    fn bytes(&self) -> u64 {
        self.values.len() as u64 * if self.half { 2 } else { 4 }
    }
}

fn pad(n: u64) -> u64 {
    n.div_ceil(ALIGN) * ALIGN
}

/// Writes a GGUF v3 file: header, metadata, tensor infos, then the aligned tensor data.
fn write(out: &Path, kvs: &[(&str, Kv)], tensors: &[Tensor]) -> std::io::Result<()> {
    let mut h: Vec<u8> = Vec::new();
    h.extend_from_slice(b"GGUF");
    h.extend_from_slice(&3u32.to_le_bytes());
    h.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
    h.extend_from_slice(&(kvs.len() as u64).to_le_bytes());
    let string = |h: &mut Vec<u8>, s: &str| {
        h.extend_from_slice(&(s.len() as u64).to_le_bytes());
        h.extend_from_slice(s.as_bytes());
    };
    for (k, v) in kvs {
        string(&mut h, k);
        match v {
            Kv::U32(x) => {
                h.extend_from_slice(&4u32.to_le_bytes());
                h.extend_from_slice(&x.to_le_bytes());
            }
            Kv::F32(x) => {
                h.extend_from_slice(&6u32.to_le_bytes());
                h.extend_from_slice(&x.to_le_bytes());
            }
            Kv::Bool(x) => {
                h.extend_from_slice(&7u32.to_le_bytes());
                h.push(u8::from(*x));
            }
            Kv::Str(s) => {
                h.extend_from_slice(&8u32.to_le_bytes());
                string(&mut h, s);
            }
            Kv::Strs(list) => {
                h.extend_from_slice(&9u32.to_le_bytes());
                h.extend_from_slice(&8u32.to_le_bytes());
                h.extend_from_slice(&(list.len() as u64).to_le_bytes());
                for s in list {
                    string(&mut h, s);
                }
            }
            Kv::I32s(list) => {
                h.extend_from_slice(&9u32.to_le_bytes());
                h.extend_from_slice(&5u32.to_le_bytes());
                h.extend_from_slice(&(list.len() as u64).to_le_bytes());
                for x in list {
                    h.extend_from_slice(&x.to_le_bytes());
                }
            }
        }
    }
    let mut offset = 0u64;
    for t in tensors {
        string(&mut h, &t.name);
        h.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
        for d in &t.dims {
            h.extend_from_slice(&d.to_le_bytes());
        }
        h.extend_from_slice(&u32::from(t.half).to_le_bytes()); // 1 = F16, 0 = F32
        h.extend_from_slice(&offset.to_le_bytes());
        offset += pad(t.bytes());
    }
    h.resize(pad(h.len() as u64) as usize, 0);
    let mut f = std::io::BufWriter::new(std::fs::File::create(out)?);
    f.write_all(&h)?;
    for t in tensors {
        if t.half {
            for v in &t.values {
                f.write_all(&half::f16::from_f32(*v).to_le_bytes())?;
            }
        } else {
            for v in &t.values {
                f.write_all(&v.to_le_bytes())?;
            }
        }
        let rest = pad(t.bytes()) - t.bytes();
        f.write_all(&vec![0u8; rest as usize])?;
    }
    f.into_inner().map_err(|e| e.into_error())?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_names_every_tensor_once() {
        let plan = tensor_plan("", 6);
        assert_eq!(plan.len(), 5 + 6 * 16);
        let mut names: Vec<_> = plan.iter().map(|p| &p.0).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), plan.len());
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let e = bert_to_gguf(dir.path(), "x", &dir.path().join("out.gguf")).unwrap_err();
        assert!(e.file.ends_with("config.json"), "{e}");
    }
}
