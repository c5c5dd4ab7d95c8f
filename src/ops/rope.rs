//! Rotary position embedding (Su et al. 2021, RoFormer) in the GGUF conventions of llama.cpp. `Norm`
//! (`LLAMA_ROPE_TYPE_NORM`, llama) rotates adjacent pairs (x[2i], x[2i+1]); the GGUF converter permutes Q/K so
//! this equals HF's `rotate_half`. `Neox` (`LLAMA_ROPE_TYPE_NEOX`, GPT-NeoX, Qwen, Gemma) rotates x[i] with
//! x[i + rope_dim/2]. Both rotate pair i by theta = pos * freq_scale * base^(-2i/rope_dim) and leave the dims
//! past `rope_dim` unchanged. No YaRN or long-rope scaling: `freq_scale` is linear position interpolation only.

use bytemuck::{Pod, Zeroable};

use crate::error::{Error, Result};
use crate::gpu::{Defines, Kernel, grid, whole};
use crate::ops::WG;
use crate::tensor::{DType, Tensor, same_device};

/// Which dims form a rotated pair (llama.cpp's rope type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RopeStyle {
    /// Adjacent pairs (x[2i], x[2i+1]): llama and most GGUF llama-family models.
    Norm,
    /// Halves (x[i], x[i + rope_dim/2]): GPT-NeoX, Qwen2, Gemma.
    Neox,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    n: u32,
    heads: u32,
    head_dim: u32,
    rope_dim: u32,
}

/// The per-pair angular frequencies freq_scale * base^(-2i/rope_dim), computed in f64 and shared by both devices,
/// so the only GPU/CPU difference is sin and cos (WGSL's `pow` may be off by many ulps for large exponents).
fn frequencies(base: f32, rope_dim: usize, freq_scale: f32) -> Vec<f32> {
    (0..rope_dim / 2)
        .map(|i| (freq_scale as f64 * (base as f64).powf(-2.0 * i as f64 / rope_dim as f64)) as f32)
        .collect()
}

fn check(
    op: &'static str,
    x: &Tensor,
    positions: &Tensor,
    base: f32,
    rope_dim: usize,
    freq_scale: f32,
) -> Result<[usize; 3]> {
    same_device(op, x.device(), &[positions])?;
    x.expect_dtype(op, DType::F32)?;
    positions.expect_dtype(op, DType::U32)?;
    let &[m, heads, head_dim] = x.shape() else {
        return Err(Error::shape(op, "[m, heads, head_dim]", x.shape()));
    };
    if x.elem_count() == 0 {
        return Err(Error::Empty { op, what: "input with zero elements" });
    }
    if x.elem_count() > u32::MAX as usize {
        return Err(Error::TooLarge { op, what: "elements", size: x.elem_count() as u64, limit: u32::MAX as u64 });
    }
    if positions.shape() != [m] {
        return Err(Error::shape(op, [m], positions.shape()));
    }
    if rope_dim == 0 || !rope_dim.is_multiple_of(2) || rope_dim > head_dim {
        return Err(Error::invalid(op, format!("rope_dim must be even and in 2..={head_dim}, got {rope_dim}")));
    }
    if !(base.is_finite() && base > 0.0 && freq_scale.is_finite() && freq_scale > 0.0) {
        return Err(Error::invalid(op, format!("base {base} and freq_scale {freq_scale} must be finite and > 0")));
    }
    Ok([m, heads, head_dim])
}

/// Rotates the first `rope_dim` dims of every head by its token's position; returns a new tensor.
/// `x`: [m, heads, head_dim] (queries or keys of m tokens); `positions`: u32 [m]; `rope_dim` even, <= head_dim;
/// `base` (rope_freq_base, e.g. 10000 or 100000) and `freq_scale` (1 / linear scaling factor) finite and > 0.
pub fn rope(
    x: &Tensor,
    positions: &Tensor,
    base: f32,
    rope_dim: usize,
    freq_scale: f32,
    style: RopeStyle,
) -> Result<Tensor> {
    let op = "rope";
    let [_, heads, head_dim] = check(op, x, positions, base, rope_dim, freq_scale)?;
    let freqs = frequencies(base, rope_dim, freq_scale);
    if let Some(g) = x.device().gpu_context() {
        let out = Tensor::gpu_uninit(x.device(), op, x.shape(), DType::F32)?;
        // rope_dim/2 floats per call, from the pool (uploads are ordered after recorded work, so reuse is safe).
        let table = g.upload(op, bytemuck::cast_slice(&freqs))?;
        let (n, heads, head_dim, rope_dim) = (x.elem_count() as u32, heads as u32, head_dim as u32, rope_dim as u32);
        let params = Params { n, heads, head_dim, rope_dim };
        let (xb, pb, ob) = (x.gpu_buffer(op)?, positions.gpu_buffer(op)?, out.gpu_buffer(op)?);
        let bufs = [whole(xb), whole(pb), whole(table.buffer()), whole(ob)];
        let k = Kernel::new("rope", op, Defines::new().u32("WG", WG).flag("NEOX", style == RopeStyle::Neox));
        let wg = grid(params.n.div_ceil(WG), g.limits().max_compute_workgroups_per_dimension);
        g.dispatch(&k, bytemuck::bytes_of(&params), &bufs, wg)?;
        return Ok(out);
    }
    rope_cpu(x, positions, &freqs, [heads, head_dim, rope_dim], style)
}

/// The reference: the same f32 theta as the kernel, with the host's correctly range-reduced sin and cos.
fn rope_cpu(x: &Tensor, positions: &Tensor, freqs: &[f32], dims: [usize; 3], style: RopeStyle) -> Result<Tensor> {
    let op = "rope";
    let [heads, head_dim, rope_dim] = dims;
    let pos: Vec<u32> = positions.cpu_u32(op)?.iter().copied().collect();
    let mut out: Vec<f32> = x.cpu_f32(op)?.iter().copied().collect();
    for (head, chunk) in out.chunks_exact_mut(head_dim).enumerate() {
        let p = pos[head / heads] as f32;
        for (i, &f) in freqs.iter().enumerate() {
            let (a, b) = match style {
                RopeStyle::Norm => (2 * i, 2 * i + 1),
                RopeStyle::Neox => (i, i + rope_dim / 2),
            };
            let (sin, cos) = (p * f).sin_cos();
            let (x0, x1) = (chunk[a], chunk[b]);
            chunk[a] = x0 * cos - x1 * sin;
            chunk[b] = x0 * sin + x1 * cos;
        }
    }
    Tensor::from_f32(x.device(), x.shape(), &out)
}
