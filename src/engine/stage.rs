//! Pipeline stages on candle: a contiguous range of a llama-architecture GGUF model's layers
//! ([`Layers`]), and the ends of the model (token embedding, final norm, output head: [`Ends`])
//! that a pipeline's coordinator holds.
//!
//! Owns: the weights of one range of layers, read from the file tensor by tensor (a stage never
//! holds another stage's layers), and one KV cache per [`Session`].
//!
//! The arithmetic is candle-transformers' quantized llama's, op for op and in the same order
//! (`quantized_llama::ModelWeights::forward`, whose layers and fields are private), so the hidden
//! state a stage hands on is bit for bit the one the whole model computes at that layer, and a
//! pipeline's answer is the whole model's answer on this engine. The tests hold it to that.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use candle_core::quantized::{QMatMul, QTensor, gguf_file};
use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_transformers::quantized_nn::RmsNorm;

/// The positions a session holds (candle-transformers' quantized llama precomputes RoPE for
/// this many).
pub const MAX_POSITIONS: usize = candle_transformers::models::quantized_llama::MAX_SEQ_LEN;

/// What a model's file says about splitting it: its layers and what each weighs.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub architecture: String,
    /// Width of the hidden state that crosses from stage to stage.
    pub hidden: usize,
    /// Bytes of each layer's tensors as a stage holds them in memory (quantized weights as
    /// stored; norms, and weights stored as floats, as f32).
    pub layer_bytes: Vec<u64>,
    /// Bytes the ends take in memory: the embedding dequantized to f32 (as candle holds it),
    /// the final norm and the output head.
    pub ends_bytes: u64,
    /// Bytes of KV cache one layer keeps per position (keys and values, f32).
    pub kv_bytes: u64,
}

impl Layout {
    pub fn layers(&self) -> u32 {
        self.layer_bytes.len() as u32
    }

    /// Memory the KV cache of one sequence of `positions` positions takes in `range`.
    pub fn kv_for(&self, range: std::ops::Range<u32>, positions: u32) -> u64 {
        self.kv_bytes * u64::from(range.end - range.start) * u64::from(positions)
    }

    /// Memory the weights of a stage of `range` need: its layers, and a margin for candle's
    /// scratch tensors (its sequences' KV caches come on top: [`Layout::kv_for`]).
    pub fn stage_bytes(&self, range: std::ops::Range<u32>) -> u64 {
        let weights: u64 = self.layer_bytes[range.start as usize..range.end as usize]
            .iter()
            .sum();
        weights + weights / 8 + STAGE_OVERHEAD
    }
}

/// Fixed memory of a stage beyond its weights (candle's buffers, the session's state).
pub const STAGE_OVERHEAD: u64 = 8 << 20;

/// Bytes a tensor takes as stored; `None` where its shape overflows (a crafted header).
fn bytes_of(t: &gguf_file::TensorInfo) -> Option<u64> {
    let d = t.ggml_dtype;
    (elems_of(t)? / d.block_size() as u64).checked_mul(d.type_size() as u64)
}

fn elems_of(t: &gguf_file::TensorInfo) -> Option<u64> {
    t.shape
        .dims()
        .iter()
        .try_fold(1u64, |n, &x| n.checked_mul(x as u64))
}

/// Bytes a layer's tensor takes in a stage's memory: candle turns the norms, and weights stored
/// as f32, f16 or bf16, into f32 tensors; quantized weights stay as stored.
fn held_of(name: &str, t: &gguf_file::TensorInfo) -> Option<u64> {
    use candle_core::quantized::GgmlDType as G;
    let widened =
        name.ends_with("_norm.weight") || matches!(t.ggml_dtype, G::F32 | G::F16 | G::BF16);
    match widened {
        true => elems_of(t)?.checked_mul(4),
        false => bytes_of(t),
    }
}

/// The tensors of a layer, by the name after `blk.N.`: what a stage reads.
const LAYER_TENSORS: [&str; 9] = [
    "attn_q.weight",
    "attn_k.weight",
    "attn_v.weight",
    "attn_output.weight",
    "attn_norm.weight",
    "ffn_gate.weight",
    "ffn_down.weight",
    "ffn_up.weight",
    "ffn_norm.weight",
];

/// Opens the GGUF file at `path` and reads its header. Blocking.
pub fn open(path: &Path) -> Result<(File, gguf_file::Content), String> {
    let mut f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let ct = gguf_file::Content::read(&mut f)
        .map_err(|e| format!("candle could not read {}: {e}", path.display()))?;
    Ok((f, ct))
}

/// Reads the layout of the GGUF file at `path` (its header only).
pub fn layout(path: &Path) -> Result<Layout, String> {
    let (_, ct) = open(path)?;
    layout_of(&ct).map_err(|e| format!("{}: {e}", path.display()))
}

/// The bounds a model's header is held to before anything is sized from it: far above any
/// open model's (Llama 3 405B: 16,384 wide, 128 heads, 126 layers), far below what would
/// make a stage allocate without end.
const MAX_HIDDEN: u32 = 1 << 16;
const MAX_HEADS: u32 = 1 << 10;

/// What a stage reads of a model's file it does not hold: the file's header, parsed from its
/// first bytes, and where each layer's tensors lie in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub layout: Layout,
    /// Bytes of the file the header takes (the tensors' data starts there).
    pub data_offset: u64,
    /// Each layer's tensors, as byte ranges of the file, ascending and merged.
    pub layers: Vec<Vec<std::ops::Range<u64>>>,
}

impl Header {
    /// The byte ranges of the file a stage of `range` reads: the header and its layers'
    /// tensors, ascending and merged.
    pub fn ranges(&self, range: std::ops::Range<u32>) -> Vec<std::ops::Range<u64>> {
        let parts = std::iter::once(0..self.data_offset).chain(
            self.layers[range.start as usize..range.end as usize]
                .iter()
                .flatten()
                .cloned(),
        );
        merge(parts.collect())
    }
}

/// Why the first bytes of a file gave no [`Header`].
#[derive(Debug, Clone, PartialEq)]
pub enum HeaderError {
    /// The header goes on past the bytes given.
    Short,
    Bad(String),
}

/// Reads the header of a model's file of `size` bytes from its first bytes, `prefix`, and
/// checks it as a header from a stranger: every tensor of a layer lies within the file, and
/// the sizes a stage computes from it are bounded.
pub fn read_header(prefix: &[u8], size: u64) -> Result<Header, HeaderError> {
    let ct = match gguf_file::Content::read(&mut std::io::Cursor::new(prefix)) {
        Ok(ct) => ct,
        // Candle bounds every length by the bytes it was given: past them, more may help.
        Err(_) if (prefix.len() as u64) < size => return Err(HeaderError::Short),
        Err(e) => return Err(HeaderError::Bad(format!("candle could not read it: {e}"))),
    };
    let bad = HeaderError::Bad;
    let layout = layout_of(&ct).map_err(bad)?;
    let data_offset = ct.tensor_data_offset;
    if data_offset > size {
        return Err(bad(format!(
            "its header ends at {data_offset}, past the file's {size} bytes"
        )));
    }
    let mut layers = vec![Vec::new(); layout.layer_bytes.len()];
    for (name, t) in &ct.tensor_infos {
        let Some(i) = layer_of(name) else { continue };
        // Only the tensors a stage reads: at most nine pieces of the file a layer.
        let tail = name.splitn(3, '.').nth(2).unwrap_or_default();
        if !LAYER_TENSORS.contains(&tail) {
            return Err(bad(format!("tensor {name} is not one of a llama layer's")));
        }
        let span = bytes_of(t).and_then(|n| {
            let start = data_offset.checked_add(t.offset)?;
            Some(start..start.checked_add(n)?)
        });
        match span {
            Some(r) if r.end <= size => layers[i].push(r),
            _ => {
                return Err(bad(format!(
                    "tensor {name} lies past the file's {size} bytes"
                )));
            }
        }
    }
    let layers = layers.into_iter().map(merge).collect();
    Ok(Header {
        layout,
        data_offset,
        layers,
    })
}

/// `ranges` sorted, with touching and overlapping ones made one.
fn merge(mut ranges: Vec<std::ops::Range<u64>>) -> Vec<std::ops::Range<u64>> {
    ranges.sort_by_key(|r| r.start);
    let mut out: Vec<std::ops::Range<u64>> = Vec::new();
    for r in ranges.into_iter().filter(|r| !r.is_empty()) {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

fn layout_of(ct: &gguf_file::Content) -> Result<Layout, String> {
    let architecture = ct
        .metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default();
    if architecture != "llama" {
        return Err(format!(
            "pipelines run llama-architecture models; this one is `{architecture}`"
        ));
    }
    let n = md_u32(ct, "llama.block_count")?;
    if n == 0 || n > crate::ledger::price::MAX_LAYERS {
        return Err(format!("its header says {n} layers"));
    }
    let n = n as usize;
    let mut layer_bytes = vec![0u64; n];
    let mut ends_bytes = 0u64;
    for (name, t) in &ct.tensor_infos {
        let b = bytes_of(t).ok_or_else(|| format!("tensor {name}'s shape overflows"))?;
        match layer_of(name) {
            Some(i) if i < n => {
                let held = held_of(name, t).ok_or_else(|| format!("{name}'s shape overflows"))?;
                layer_bytes[i] = layer_bytes[i].saturating_add(held);
            }
            Some(i) => return Err(format!("tensor {name} is of layer {i} of {n}")),
            None if name == "token_embd.weight" => {
                // Dequantized to f32 for the lookup, and (when the head is tied to it) kept
                // quantized as the output head too.
                let f32s = (t.shape.elem_count() as u64).saturating_mul(4);
                ends_bytes = ends_bytes.saturating_add(f32s);
                if !ct.tensor_infos.contains_key("output.weight") {
                    ends_bytes = ends_bytes.saturating_add(b);
                }
            }
            None => ends_bytes = ends_bytes.saturating_add(b),
        }
    }
    let hidden = md_u32(ct, "llama.embedding_length")?;
    let heads = md_u32(ct, "llama.attention.head_count")?;
    let kv_heads = md_u32(ct, "llama.attention.head_count_kv")?;
    let rope = md_u32(ct, "llama.rope.dimension_count")?;
    let sane = (1..=MAX_HIDDEN).contains(&hidden)
        && (1..=MAX_HEADS).contains(&heads)
        && (1..=heads).contains(&kv_heads)
        && hidden.is_multiple_of(heads)
        && (hidden / heads).is_multiple_of(2)
        && rope > 0
        && rope.is_multiple_of(2)
        && rope <= hidden / heads;
    if !sane {
        return Err(format!(
            "its header's shape is not a model's: {hidden} wide, {heads} heads, {kv_heads} KV \
             heads, rotary dimension {rope}"
        ));
    }
    let (hidden, heads, kv_heads) = (hidden as usize, u64::from(heads), u64::from(kv_heads));
    Ok(Layout {
        architecture,
        hidden,
        layer_bytes,
        ends_bytes,
        kv_bytes: 2 * kv_heads * (hidden as u64 / heads) * 4,
    })
}

/// The epsilon of the model's RMS norms.
fn norm_eps(ct: &gguf_file::Content) -> Result<f64, String> {
    ct.metadata
        .get("llama.attention.layer_norm_rms_epsilon")
        .and_then(|v| v.to_f32().ok())
        .map(f64::from)
        .ok_or_else(|| "its header has no llama.attention.layer_norm_rms_epsilon".into())
}

fn md_u32(ct: &gguf_file::Content, key: &str) -> Result<u32, String> {
    ct.metadata
        .get(key)
        .and_then(|v| v.to_u32().ok())
        .ok_or_else(|| format!("its header has no {key}"))
}

/// `blk.12.attn_q.weight` is of layer 12.
fn layer_of(name: &str) -> Option<usize> {
    name.strip_prefix("blk.")?.split('.').next()?.parse().ok()
}

fn err(e: candle_core::Error) -> String {
    format!("candle: {e}")
}

/// One layer's weights (shared by every session of a [`Layers`]).
struct Layer {
    wq: QMatMul,
    wk: QMatMul,
    wv: QMatMul,
    wo: QMatMul,
    attention_norm: RmsNorm,
    w1: QMatMul,
    w2: QMatMul,
    w3: QMatMul,
    ffn_norm: RmsNorm,
}

/// The model's hyperparameters a layer needs.
struct Shape {
    n_head: usize,
    n_kv_head: usize,
    head_dim: usize,
    cos: Tensor,
    sin: Tensor,
    neg_inf: Tensor,
}

/// A range of a model's layers, loaded.
pub struct Layers {
    pub range: std::ops::Range<u32>,
    pub hidden: usize,
    /// Bytes of the weights held.
    pub bytes: u64,
    layers: Vec<Arc<Layer>>,
    shape: Arc<Shape>,
    device: Device,
}

impl Layers {
    /// Reads the layers `range` of the model at `path`, and nothing else of it. Blocking.
    pub fn load(path: &Path, range: std::ops::Range<u32>) -> Result<Layers, String> {
        let device = Device::Cpu;
        let (mut f, ct) = open(path)?;
        let layout = layout_of(&ct)?;
        if range.is_empty() || range.end > layout.layers() {
            return Err(format!(
                "layers {}..{} are not a range of its {} layers",
                range.start,
                range.end,
                layout.layers()
            ));
        }
        let shape = Arc::new(shape_of(&ct, &device)?);
        let eps = norm_eps(&ct)?;
        let mut layers = Vec::new();
        for i in range.clone() {
            let mut t = |name: &str| {
                ct.tensor(&mut f, &format!("blk.{i}.{name}.weight"), &device)
                    .map_err(err)
            };
            let q = |t: QTensor| QMatMul::from_qtensor(t).map_err(err);
            let norm = |t: QTensor| RmsNorm::from_qtensor(t, eps).map_err(err);
            layers.push(Arc::new(Layer {
                wq: q(t("attn_q")?)?,
                wk: q(t("attn_k")?)?,
                wv: q(t("attn_v")?)?,
                wo: q(t("attn_output")?)?,
                attention_norm: norm(t("attn_norm")?)?,
                w1: q(t("ffn_gate")?)?,
                w2: q(t("ffn_down")?)?,
                w3: q(t("ffn_up")?)?,
                ffn_norm: norm(t("ffn_norm")?)?,
            }));
        }
        let bytes = layout.layer_bytes[range.start as usize..range.end as usize]
            .iter()
            .sum();
        Ok(Layers {
            range,
            hidden: layout.hidden,
            bytes,
            layers,
            shape,
            device,
        })
    }

    /// A session with empty KV caches, of at most [`MAX_POSITIONS`] positions.
    pub fn session(&self) -> Session {
        self.session_of(MAX_POSITIONS)
    }

    /// A session of at most `positions` positions (what its KV cache was granted).
    pub fn session_of(&self, positions: usize) -> Session {
        Session {
            layers: self.layers.clone(),
            shape: self.shape.clone(),
            device: self.device.clone(),
            hidden: self.hidden,
            kv: vec![None; self.layers.len()],
            len: 0,
            limit: positions.min(MAX_POSITIONS),
            masks: HashMap::new(),
        }
    }
}

fn shape_of(ct: &gguf_file::Content, device: &Device) -> Result<Shape, String> {
    let n_head = md_u32(ct, "llama.attention.head_count")? as usize;
    let n_kv_head = md_u32(ct, "llama.attention.head_count_kv")? as usize;
    let hidden = md_u32(ct, "llama.embedding_length")? as usize;
    let rope_dim = md_u32(ct, "llama.rope.dimension_count")? as usize;
    let freq_base = ct
        .metadata
        .get("llama.rope.freq_base")
        .and_then(|m| m.to_f32().ok())
        .unwrap_or(10000f32);
    if n_head == 0 || n_kv_head == 0 || !n_head.is_multiple_of(n_kv_head) {
        return Err(format!("{n_head} heads over {n_kv_head} KV heads"));
    }
    // As candle-transformers' `precomput_freqs_cis`.
    let theta: Vec<f32> = (0..rope_dim)
        .step_by(2)
        .map(|i| 1f32 / freq_base.powf(i as f32 / rope_dim as f32))
        .collect();
    let run = || -> candle_core::Result<(Tensor, Tensor, Tensor)> {
        let theta = Tensor::new(theta.as_slice(), device)?;
        let idx_theta = Tensor::arange(0, MAX_POSITIONS as u32, device)?
            .to_dtype(DType::F32)?
            .reshape((MAX_POSITIONS, 1))?
            .matmul(&theta.reshape((1, theta.elem_count()))?)?;
        Ok((
            idx_theta.cos()?,
            idx_theta.sin()?,
            Tensor::new(f32::NEG_INFINITY, device)?,
        ))
    };
    let (cos, sin, neg_inf) = run().map_err(err)?;
    Ok(Shape {
        n_head,
        n_kv_head,
        head_dim: hidden / n_head,
        cos,
        sin,
        neg_inf,
    })
}

/// One sequence's pass through a [`Layers`]: its KV caches and how many positions they hold.
pub struct Session {
    layers: Vec<Arc<Layer>>,
    shape: Arc<Shape>,
    device: Device,
    hidden: usize,
    kv: Vec<Option<(Tensor, Tensor)>>,
    len: usize,
    /// The most positions it holds.
    limit: usize,
    masks: HashMap<(usize, usize), Tensor>,
}

impl Session {
    /// Positions its caches hold.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Runs `rows` hidden states (row-major, `rows` × the hidden width) at positions `pos..`
    /// through the layers, and returns theirs. `pos` is where the caches end, or 0 to start
    /// over.
    pub fn forward(&mut self, x: &[f32], rows: usize, pos: usize) -> Result<Vec<f32>, String> {
        if pos != 0 && pos != self.len {
            return Err(format!(
                "this stage holds {} positions; the step starts at {pos}",
                self.len
            ));
        }
        if rows == 0 || x.len() != rows * self.hidden {
            return Err(format!(
                "{} values are not {rows} rows of {}",
                x.len(),
                self.hidden
            ));
        }
        if pos + rows > self.limit {
            return Err(format!(
                "positions {pos}..{} are past the {} this stage's session holds",
                pos + rows,
                self.limit
            ));
        }
        // A new sequence's chunks have new shapes: the old masks go (they are few otherwise).
        if pos == 0 || self.masks.len() > 8 {
            self.masks.clear();
        }
        let x = Tensor::from_slice(x, (1, rows, self.hidden), &self.device).map_err(err)?;
        let out = self.run(x, pos).map_err(err)?;
        self.len = pos + rows;
        out.flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(err)
    }

    fn run(&mut self, mut x: Tensor, pos: usize) -> candle_core::Result<Tensor> {
        let seq_len = x.dim(1)?;
        let mask = if seq_len == 1 {
            None
        } else {
            let key = (seq_len, pos + seq_len);
            if !self.masks.contains_key(&key) {
                let m = candle_transformers::utils::build_causal_mask(seq_len, pos, &self.device)?;
                self.masks.insert(key, m);
            }
            self.masks.get(&key).cloned()
        };
        for i in 0..self.layers.len() {
            let layer = self.layers[i].clone();
            let residual = &x;
            let h = layer.attention_norm.forward(&x)?;
            let attn = self.attention(i, &layer, &h, mask.as_ref(), pos)?;
            let h = (attn + residual)?;
            let residual = &h;
            let m = layer.ffn_norm.forward(&h)?;
            let w1 = layer.w1.forward(&m)?;
            let w3 = layer.w3.forward(&m)?;
            let m = layer.w2.forward(&(candle_nn::ops::silu(&w1)? * w3)?)?;
            x = (m + residual)?;
        }
        Ok(x)
    }

    fn attention(
        &mut self,
        i: usize,
        layer: &Layer,
        x: &Tensor,
        mask: Option<&Tensor>,
        pos: usize,
    ) -> candle_core::Result<Tensor> {
        let s = &*self.shape;
        let (b_sz, seq_len, n_embd) = x.dims3()?;
        let q = layer.wq.forward(x)?;
        let k = layer.wk.forward(x)?;
        let v = layer.wv.forward(x)?;
        let q = q
            .reshape((b_sz, seq_len, s.n_head, s.head_dim))?
            .transpose(1, 2)?;
        let k = k
            .reshape((b_sz, seq_len, s.n_kv_head, s.head_dim))?
            .transpose(1, 2)?;
        let v = v
            .reshape((b_sz, seq_len, s.n_kv_head, s.head_dim))?
            .transpose(1, 2)?
            .contiguous()?;
        let q = rope(s, &q, pos)?;
        let k = rope(s, &k, pos)?;
        let (k, v) = match &self.kv[i] {
            Some((kc, vc)) if pos != 0 => (Tensor::cat(&[kc, &k], 2)?, Tensor::cat(&[vc, &v], 2)?),
            _ => (k, v),
        };
        self.kv[i] = Some((k.clone(), v.clone()));
        let rep = s.n_head / s.n_kv_head;
        let k = candle_transformers::utils::repeat_kv(k, rep)?;
        let v = candle_transformers::utils::repeat_kv(v, rep)?;
        let att = (q.matmul(&k.t()?)? / (s.head_dim as f64).sqrt())?;
        let att = match mask {
            None => att,
            Some(mask) => {
                let mask = mask.broadcast_as(att.shape())?;
                mask.where_cond(&s.neg_inf.broadcast_as(mask.shape().dims())?, &att)?
            }
        };
        let att = candle_nn::ops::softmax_last_dim(&att)?;
        let y = att.matmul(&v.contiguous()?)?;
        let y = y.transpose(1, 2)?.reshape(&[b_sz, seq_len, n_embd])?;
        layer.wo.forward(&y)
    }

    /// Empties the caches.
    pub fn clear(&mut self) {
        self.kv.iter_mut().for_each(|c| *c = None);
        self.len = 0;
    }
}

/// Interleaved RoPE (llama's convention), as candle-transformers applies it.
fn rope(s: &Shape, x: &Tensor, pos: usize) -> candle_core::Result<Tensor> {
    let (_b, _h, seq_len, _d) = x.dims4()?;
    let cos = s.cos.narrow(0, pos, seq_len)?;
    let sin = s.sin.narrow(0, pos, seq_len)?;
    candle_nn::rotary_emb::rope_i(&x.contiguous()?, &cos, &sin)
}

/// Layers that run elsewhere: what a pipeline's coordinator calls for each forward pass
/// (`net::pipeline` implements it over peers). The engine knows no more of the network.
pub trait Remote: Send + Sync {
    /// A new sequence through the layers.
    fn open(&self) -> Box<dyn RemoteSession>;
}

/// One sequence through remote layers.
pub trait RemoteSession: Send {
    /// Runs `rows` rows of the first layer's input at positions `pos..` through every layer,
    /// and returns the last layer's output rows. `pos` 0 starts the sequence over.
    fn forward(&mut self, x: Vec<f32>, rows: usize, pos: usize) -> Result<Vec<f32>, String>;
    /// The sequence's job ended after `prompt` prompt and `generated` answer tokens: its stages
    /// are paid and let go. Returns what each ran of it.
    fn finish(&mut self, prompt: u32, generated: u32) -> Vec<crate::job::StageRun>;
}

/// The ends of a model: what turns tokens into the first stage's input, and the last stage's
/// output into logits. A pipeline's coordinator holds them.
pub struct Ends {
    embeddings: Tensor,
    hidden: usize,
    norm: RmsNorm,
    output: QMatMul,
    device: Device,
    pub layout: Layout,
}

impl Ends {
    /// Reads the ends of the model at `path`, and none of its layers. Blocking.
    pub fn load(path: &Path) -> Result<Ends, String> {
        let device = Device::Cpu;
        let (mut f, ct) = open(path)?;
        let layout = layout_of(&ct)?;
        let eps = norm_eps(&ct)?;
        let mut t = |name: &str| ct.tensor(&mut f, name, &device).map_err(err);
        let embd = t("token_embd.weight")?;
        let embeddings = embd.dequantize(&device).map_err(err)?;
        let norm = RmsNorm::from_qtensor(t("output_norm.weight")?, eps).map_err(err)?;
        let output = match ct.tensor_infos.contains_key("output.weight") {
            true => t("output.weight")?,
            false => embd,
        };
        Ok(Ends {
            embeddings,
            hidden: layout.hidden,
            norm,
            output: QMatMul::from_qtensor(output).map_err(err)?,
            device,
            layout,
        })
    }

    /// The first stage's input for `tokens`: rows of the hidden width.
    pub fn embed(&self, tokens: &[u32]) -> Result<Vec<f32>, String> {
        let run = || -> candle_core::Result<Vec<f32>> {
            let ids = Tensor::new(tokens, &self.device)?;
            // As candle_nn::Embedding::forward: an index_select of the rows.
            let x = self.embeddings.index_select(&ids, 0)?;
            x.flatten_all()?.to_vec1::<f32>()
        };
        run().map_err(err)
    }

    /// The logits after the last of `rows` rows of the last stage's output.
    pub fn logits(&self, x: &[f32], rows: usize) -> Result<Vec<f32>, String> {
        if rows == 0 || x.len() != rows * self.hidden {
            return Err(format!(
                "{} values are not {rows} rows of {}",
                x.len(),
                self.hidden
            ));
        }
        let run = || -> candle_core::Result<Vec<f32>> {
            let x = Tensor::from_slice(x, (1, rows, self.hidden), &self.device)?;
            let x = self.norm.forward(&x)?;
            let x = x.i((.., rows - 1, ..))?;
            let logits = self.output.forward(&x)?;
            logits.squeeze(0)?.to_dtype(DType::F32)?.to_vec1::<f32>()
        };
        run().map_err(err)
    }

    /// Rows of its vocabulary (the output layer's).
    pub fn vocab(&self) -> usize {
        self.embeddings.dims().first().copied().unwrap_or(0)
    }

    pub fn hidden(&self) -> usize {
        self.hidden
    }
}
