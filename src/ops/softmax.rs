//! Softmax over the last dimension, max-subtracted so that large logits cannot overflow `exp`. Masking and
//! temperature are the caller's (scale or mask the logits first); the samplers keep the logits unmodified.

use super::rms_norm::{cpu_rows, dispatch_rows, rows_of};
use crate::error::Result;
use crate::tensor::Tensor;

/// Softmax. `x`: [.., d]; returns [.., d] whose rows sum to 1. A row containing +inf or NaN, or only -inf,
/// yields NaN (as torch does); the GPU follows WGSL, which leaves non-finite arithmetic implementation-defined.
pub fn softmax(x: &Tensor) -> Result<Tensor> {
    let op = "softmax";
    let (_, d) = rows_of(op, x)?;
    if x.device().is_gpu() {
        return dispatch_rows(op, op, x, &[], 0.0);
    }
    let xs = cpu_rows(op, x)?;
    let mut out = Vec::with_capacity(xs.len());
    for row in xs.chunks_exact(d) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let sum = row.iter().map(|&v| ((v - max) as f64).exp()).sum::<f64>();
        out.extend(row.iter().map(|&v| (((v - max) as f64).exp() / sum) as f32));
    }
    Tensor::from_f32(x.device(), x.shape(), &out)
}
