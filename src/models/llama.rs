//! The llama architecture (Touvron et al. 2023) as GGUF stores it: token embedding, per layer RMSNorm ->
//! grouped-query attention with RoPE over the KV cache -> residual -> RMSNorm -> SwiGLU FFN -> residual, a final
//! RMSNorm and a tied or separate output projection. One implementation for every llama-family GGUF; variations
//! (head counts, rope base and scaling, tied output) are read from the file's metadata.

use crate::device::Device;
use crate::formats::gguf::{Gguf, GgufHeader};
use crate::kv_cache::KvCache;
use crate::models::ModelError;
use crate::ops::{self, AttnRow, RopeStyle};
use crate::quant::Weight;
use crate::tensor::Tensor;

/// Hyper-parameters from the `llama.*` metadata keys.
#[derive(Clone, Debug, PartialEq)]
pub struct LlamaConfig {
    pub n_layers: usize,
    pub hidden: usize,
    pub ffn: usize,
    pub n_heads: usize,
    pub n_kv_heads: usize,
    pub head_dim: usize,
    pub rope_dim: usize,
    pub rope_base: f32,
    /// 1 / linear rope scaling factor (`rope.scaling.factor`), 1 when unscaled.
    pub rope_freq_scale: f32,
    pub rms_eps: f32,
    pub context_len: usize,
    pub vocab: usize,
}

impl LlamaConfig {
    pub fn from_gguf(h: &GgufHeader) -> Result<Self, ModelError> {
        let arch = h.get_str("general.architecture")?;
        if arch != "llama" {
            return Err(ModelError::UnsupportedArchitecture(arch.to_string()));
        }
        let key = |k: &str| format!("llama.{k}");
        let hidden = h.get_u32(&key("embedding_length"))? as usize;
        let n_heads = h.get_u32(&key("attention.head_count"))? as usize;
        let n_kv_heads = h.get_u32(&key("attention.head_count_kv")).unwrap_or(n_heads as u32) as usize;
        if n_heads == 0 || n_kv_heads == 0 || hidden % n_heads != 0 || n_heads % n_kv_heads != 0 {
            return Err(ModelError::BadConfig(format!("hidden {hidden}, heads {n_heads}, kv heads {n_kv_heads}")));
        }
        let head_dim = hidden / n_heads;
        let scaling = match h.get_str(&key("rope.scaling.type")) {
            Ok("linear") => h.get_f32(&key("rope.scaling.factor")).unwrap_or(1.0),
            Ok("none") | Err(_) => 1.0,
            Ok(other) => return Err(ModelError::BadConfig(format!("rope scaling {other} is not supported"))),
        };
        let vocab = match h.get_u32(&key("vocab_size")) {
            Ok(v) => v as usize,
            Err(_) => h.get_array("tokenizer.ggml.tokens")?.len(),
        };
        Ok(LlamaConfig {
            n_layers: h.get_u32(&key("block_count"))? as usize,
            hidden,
            ffn: h.get_u32(&key("feed_forward_length"))? as usize,
            n_heads,
            n_kv_heads,
            head_dim,
            rope_dim: h.get_u32(&key("rope.dimension_count")).map(|d| d as usize).unwrap_or(head_dim),
            rope_base: h.get_f32(&key("rope.freq_base")).unwrap_or(10000.0),
            rope_freq_scale: 1.0 / scaling.max(f32::MIN_POSITIVE),
            rms_eps: h.get_f32(&key("attention.layer_norm_rms_epsilon"))?,
            context_len: h.get_u32(&key("context_length"))? as usize,
            vocab,
        })
    }
}

struct Layer {
    attn_norm: Tensor,
    wq: Weight,
    wk: Weight,
    wv: Weight,
    wo: Weight,
    ffn_norm: Tensor,
    w_gate: Weight,
    w_up: Weight,
    w_down: Weight,
}

/// One forward batch: `ids[i]` at `positions[i]` writes its keys/values to `slots[i]` and attends as `rows[i]` says.
pub struct Batch<'a> {
    pub ids: &'a [u32],
    pub positions: &'a [u32],
    pub slots: &'a [u32],
    pub rows: &'a [AttnRow],
}

pub struct Llama {
    pub config: LlamaConfig,
    device: Device,
    tok_embd: Weight,
    layers: Vec<Layer>,
    output_norm: Tensor,
    /// `None` when the output layer is tied to the token embedding.
    output: Option<Weight>,
}

fn weight<B: AsRef<[u8]>>(device: &Device, g: &Gguf<B>, name: &str) -> Result<Weight, ModelError> {
    let t = g.tensor(name)?;
    let (cols, rows) = match t.dims {
        [c, r] => (*c as usize, *r as usize),
        _ => return Err(ModelError::BadTensor { name: name.into(), msg: format!("expected 2 dims, got {:?}", t.dims) }),
    };
    Ok(Weight::from_raw(device, t.qtype.into(), rows, cols, t.data)?)
}

fn vector<B: AsRef<[u8]>>(device: &Device, g: &Gguf<B>, name: &str, len: usize) -> Result<Tensor, ModelError> {
    let t = g.tensor(name)?;
    let w = Weight::from_raw(&Device::Cpu, t.qtype.into(), 1, t.dims.iter().product::<u64>() as usize, t.data)?;
    let v = w.dequantize()?;
    if v.len() != len {
        return Err(ModelError::BadTensor { name: name.into(), msg: format!("expected {len} values, got {}", v.len()) });
    }
    Ok(Tensor::from_f32(device, &[len], &v)?)
}

impl Llama {
    /// Builds the model from a GGUF on `device` (weights are uploaded once, repacked for the GPU).
    pub fn load<B: AsRef<[u8]>>(device: &Device, g: &Gguf<B>) -> Result<Self, ModelError> {
        let config = LlamaConfig::from_gguf(&g.header)?;
        let c = &config;
        let mut layers = Vec::with_capacity(c.n_layers);
        for l in 0..c.n_layers {
            let n = |s: &str| format!("blk.{l}.{s}.weight");
            layers.push(Layer {
                attn_norm: vector(device, g, &n("attn_norm"), c.hidden)?,
                wq: weight(device, g, &n("attn_q"))?,
                wk: weight(device, g, &n("attn_k"))?,
                wv: weight(device, g, &n("attn_v"))?,
                wo: weight(device, g, &n("attn_output"))?,
                ffn_norm: vector(device, g, &n("ffn_norm"), c.hidden)?,
                w_gate: weight(device, g, &n("ffn_gate"))?,
                w_up: weight(device, g, &n("ffn_up"))?,
                w_down: weight(device, g, &n("ffn_down"))?,
            });
        }
        let output = match g.header.tensor_info("output.weight") {
            Ok(_) => Some(weight(device, g, "output.weight")?),
            Err(_) => None,
        };
        Ok(Llama {
            tok_embd: weight(device, g, "token_embd.weight")?,
            output_norm: vector(device, g, "output_norm.weight", c.hidden)?,
            output,
            layers,
            device: device.clone(),
            config,
        })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// A KV cache for this model with `capacity` slots on its device.
    pub fn new_cache(&self, capacity: usize) -> Result<KvCache, ModelError> {
        let c = &self.config;
        Ok(KvCache::new(&self.device, c.n_layers, c.n_kv_heads, c.head_dim, capacity)?)
    }

    /// Runs the trunk; returns the final-normed hidden states [m, hidden] (the hook value and reward heads read).
    pub fn forward(&self, b: &Batch<'_>, cache: &mut KvCache) -> Result<Tensor, ModelError> {
        let c = &self.config;
        let m = b.ids.len();
        if m == 0 || b.positions.len() != m || b.slots.len() != m || b.rows.len() != m {
            return Err(ModelError::BadBatch(format!(
                "{} ids, {} positions, {} slots, {} rows",
                m,
                b.positions.len(),
                b.slots.len(),
                b.rows.len()
            )));
        }
        if let Some(&bad) = b.ids.iter().find(|&&id| id as usize >= c.vocab) {
            return Err(ModelError::BadBatch(format!("token id {bad} >= vocabulary size {}", c.vocab)));
        }
        let ids = Tensor::from_u32(&self.device, &[m], b.ids)?;
        let pos = Tensor::from_u32(&self.device, &[m], b.positions)?;
        let scale = 1.0 / (c.head_dim as f32).sqrt();
        let mut x = ops::embedding(&self.tok_embd, &ids)?;
        for (l, layer) in self.layers.iter().enumerate() {
            let h = ops::rms_norm(&x, &layer.attn_norm, c.rms_eps)?;
            let rope = |t: Tensor, heads: usize| -> Result<Tensor, ModelError> {
                let t = t.reshape(&[m, heads, c.head_dim])?;
                let r = ops::rope(&t, &pos, c.rope_base, c.rope_dim, c.rope_freq_scale, RopeStyle::Norm)?;
                Ok(r.reshape(&[m, heads * c.head_dim])?)
            };
            let q = rope(ops::matmul(&h, &layer.wq)?, c.n_heads)?;
            let k = rope(ops::matmul(&h, &layer.wk)?, c.n_kv_heads)?;
            let v = ops::matmul(&h, &layer.wv)?;
            cache.write(l, &k, &v, b.slots)?;
            let (kc, vc) = cache.layer(l);
            let a = ops::attention(&q, kc, vc, b.rows, c.n_heads, c.n_kv_heads, scale)?;
            x = ops::add(&x, &ops::matmul(&a, &layer.wo)?)?;
            let h = ops::rms_norm(&x, &layer.ffn_norm, c.rms_eps)?;
            let gated = ops::silu_mul(&ops::matmul(&h, &layer.w_gate)?, &ops::matmul(&h, &layer.w_up)?)?;
            x = ops::add(&x, &ops::matmul(&gated, &layer.w_down)?)?;
        }
        Ok(ops::rms_norm(&x, &self.output_norm, c.rms_eps)?)
    }

    /// Vocabulary logits [m, vocab] for hidden states [m, hidden].
    pub fn logits(&self, hidden: &Tensor) -> Result<Tensor, ModelError> {
        Ok(ops::matmul(hidden, self.output.as_ref().unwrap_or(&self.tok_embd))?)
    }
}
