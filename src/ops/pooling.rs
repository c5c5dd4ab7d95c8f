//! Sentence-embedding pooling as sentence-transformers does it (`1_Pooling/config.json`, mean mode, then the
//! `Normalize` module): `mean_pool` averages the token states under the attention mask, `l2_normalize` scales
//! rows to unit length like `torch.nn.functional.normalize` (eps 1e-12). No CLS or max pooling.

use bytemuck::{Pod, Zeroable};

use super::rms_norm::{cpu_rows, dispatch_rows, rows_of};
use crate::error::{Error, Result};
use crate::gpu::{Defines, Kernel, grid, whole};
use crate::ops::WG;
use crate::tensor::{DType, Tensor, same_device};

/// sentence-transformers clamps the token count with this, so an all-padding row pools to zeros, not NaN.
const MASK_SUM_MIN: f32 = 1e-9;
/// `F.normalize`'s default eps: the norm is clamped to it, so a zero row stays zero.
const NORM_EPS: f32 = 1e-12;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct PoolParams {
    b: u32,
    t: u32,
    d: u32,
    _pad: u32,
}

/// Masked mean over tokens: sum_t(mask * x) / max(sum_t(mask), 1e-9).
/// `x`: [b, t, d]; `mask`: [b, t] f32 of 0/1 (the attention mask); returns [b, d].
pub fn mean_pool(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let op = "mean_pool";
    same_device(op, x.device(), &[mask])?;
    rows_of(op, x)?;
    mask.expect_dtype(op, DType::F32)?;
    let &[b, t, d] = x.shape() else {
        return Err(Error::shape(op, "[b, t, d]", x.shape()));
    };
    if mask.shape() != [b, t] {
        return Err(Error::shape(op, [b, t], mask.shape()));
    }
    if let Some(g) = x.device().gpu_context() {
        let out = Tensor::gpu_uninit(x.device(), op, &[b, d], DType::F32)?;
        let params = PoolParams { b: b as u32, t: t as u32, d: d as u32, _pad: 0 };
        // Bindings x, out, mask: see `shaders/pooling.wgsl`.
        let bufs = [whole(x.gpu_buffer(op)?), whole(out.gpu_buffer(op)?), whole(mask.gpu_buffer(op)?)];
        let k = Kernel::new("pooling", op, Defines::new().u32("WG", WG));
        let wg = grid(((b * d) as u32).div_ceil(WG), g.limits().max_compute_workgroups_per_dimension);
        g.dispatch(&k, bytemuck::bytes_of(&params), &bufs, wg)?;
        return Ok(out);
    }
    let (xs, ms) = (cpu_rows(op, x)?, cpu_rows(op, mask)?);
    let mut out = vec![0f32; b * d];
    for (bi, acc) in out.chunks_exact_mut(d).enumerate() {
        let mut sum = vec![0f64; d];
        let mut count = 0f64;
        for ti in 0..t {
            let m = ms[bi * t + ti] as f64;
            count += m;
            let row = &xs[(bi * t + ti) * d..][..d];
            sum.iter_mut().zip(row).for_each(|(s, &v)| *s += m * v as f64);
        }
        let denom = count.max(MASK_SUM_MIN as f64);
        acc.iter_mut().zip(&sum).for_each(|(o, &s)| *o = (s / denom) as f32);
    }
    Tensor::from_f32(x.device(), &[b, d], &out)
}

/// Rows scaled to unit L2 norm: x / max(||x||, 1e-12). `x`: [.., d].
pub fn l2_normalize(x: &Tensor) -> Result<Tensor> {
    let op = "l2_normalize";
    let (_, d) = rows_of(op, x)?;
    if x.device().is_gpu() {
        return dispatch_rows("pooling", op, x, &[], NORM_EPS);
    }
    let xs = cpu_rows(op, x)?;
    let mut out = Vec::with_capacity(xs.len());
    for row in xs.chunks_exact(d) {
        let norm = row.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>().sqrt();
        let inv = 1.0 / norm.max(NORM_EPS as f64);
        out.extend(row.iter().map(|&v| (v as f64 * inv) as f32));
    }
    Tensor::from_f32(x.device(), x.shape(), &out)
}
