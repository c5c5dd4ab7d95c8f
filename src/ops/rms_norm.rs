//! RMSNorm over the last dimension (llama, Zhang & Sennrich 2019): `x / sqrt(mean(x^2) + eps) * w`.
//! Also holds the guards and the dispatch shared by the row-wise kernels (one workgroup per row with a
//! workgroup reduction): `layer_norm`, `softmax` and `l2_normalize` use them too. No fused residual add.

use bytemuck::{Pod, Zeroable};

use crate::error::{Error, Result};
use crate::gpu::{Defines, Kernel, grid, whole};
use crate::tensor::{DType, Tensor, same_device};

/// Threads per workgroup of the row-reduction kernels, passed to their shaders as `WG` (a power of two, since
/// the tree reduction halves its stride). 128 covers d = 576 in 5 strided steps without idling many threads
/// on small rows.
pub(crate) const ROW_WG: u32 = 128;

/// The uniform block of every row kernel (`shaders/{rms_norm,layer_norm,softmax,pooling}.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct RowParams {
    pub rows: u32,
    pub d: u32,
    pub eps: f32,
    pub _pad: u32,
}

/// `(rows, d)` of an f32 input viewed over its last dimension; rows and elements must be GPU-indexable.
pub(super) fn rows_of(op: &'static str, x: &Tensor) -> Result<(usize, usize)> {
    x.expect_dtype(op, DType::F32)?;
    let (rows, d) = x.rows_cols();
    if rows == 0 || d == 0 {
        return Err(Error::Empty { op, what: "input with zero elements" });
    }
    let n = x.elem_count() as u64;
    if n > u32::MAX as u64 {
        return Err(Error::TooLarge { op, what: "elements", size: n, limit: u32::MAX as u64 });
    }
    Ok((rows, d))
}

/// `eps` must be a positive finite number: zero lets an all-zero row divide by zero, NaN poisons every row.
pub(super) fn check_eps(op: &'static str, eps: f32) -> Result<()> {
    if !(eps.is_finite() && eps > 0.0) {
        return Err(Error::invalid(op, format!("eps must be finite and > 0, got {eps}")));
    }
    Ok(())
}

/// A per-channel parameter (gain or bias) must be an f32 vector of length `d` on `x`'s device.
pub(super) fn check_channel(op: &'static str, x: &Tensor, v: &Tensor, d: usize) -> Result<()> {
    same_device(op, x.device(), &[v])?;
    v.expect_dtype(op, DType::F32)?;
    if v.shape() != [d] {
        return Err(Error::shape(op, [d], v.shape()));
    }
    Ok(())
}

/// The input as a contiguous row-major vector (the CPU paths work on flat rows).
pub(super) fn cpu_rows(op: &'static str, x: &Tensor) -> Result<Vec<f32>> {
    Ok(x.cpu_f32(op)?.iter().copied().collect())
}

/// Records the row kernel `entry` of `shader` over `x` (bindings: x, then `extra`, then the output of x's shape).
pub(super) fn dispatch_rows(
    shader: &'static str,
    entry: &'static str,
    x: &Tensor,
    extra: &[&Tensor],
    eps: f32,
) -> Result<Tensor> {
    let g = x.device().gpu_context().ok_or(Error::DeviceMismatch { op: entry })?;
    let (rows, d) = x.rows_cols();
    let out = Tensor::gpu_uninit(x.device(), entry, x.shape(), DType::F32)?;
    let params = RowParams { rows: rows as u32, d: d as u32, eps, _pad: 0 };
    let mut bufs = vec![whole(x.gpu_buffer(entry)?)];
    for t in extra {
        bufs.push(whole(t.gpu_buffer(entry)?));
    }
    bufs.push(whole(out.gpu_buffer(entry)?));
    let k = Kernel::new(shader, entry, Defines::new().u32("WG", ROW_WG));
    let wg = grid(rows as u32, g.limits().max_compute_workgroups_per_dimension);
    g.dispatch(&k, bytemuck::bytes_of(&params), &bufs, wg)?;
    Ok(out)
}

/// RMSNorm. `x`: [.., d]; `w`: [d]; `eps` > 0 (1e-5 for SmolLM2, 1e-6 for Gemma-style configs).
pub fn rms_norm(x: &Tensor, w: &Tensor, eps: f32) -> Result<Tensor> {
    let op = "rms_norm";
    let (_, d) = rows_of(op, x)?;
    check_channel(op, x, w, d)?;
    check_eps(op, eps)?;
    if x.device().is_gpu() {
        return dispatch_rows(op, op, x, &[w], eps);
    }
    let (xs, ws) = (cpu_rows(op, x)?, cpu_rows(op, w)?);
    let mut out = Vec::with_capacity(xs.len());
    for row in xs.chunks_exact(d) {
        // Accumulate in f64: the CPU path is the reference the GPU's f32 tree reduction is checked against.
        let ms = row.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / d as f64;
        let scale = (1.0 / (ms + eps as f64).sqrt()) as f32;
        out.extend(row.iter().zip(&ws).map(|(&v, &g)| v * scale * g));
    }
    Tensor::from_f32(x.device(), x.shape(), &out)
}
