//! LayerNorm over the last dimension with the biased variance, as BERT and `torch.nn.LayerNorm` compute it
//! (Ba et al. 2016): `(x - mean) / sqrt(var + eps) * w + b`. Two passes (mean, then variance around it) rather
//! than `E[x^2] - E[x]^2`, which cancels catastrophically when |mean| >> std; the kernel also centres
//! each row on its first element so the f32 mean does not round away the digits that matter.

use super::rms_norm::{check_channel, check_eps, cpu_rows, dispatch_rows, rows_of};
use crate::error::Result;
use crate::tensor::Tensor;

/// LayerNorm. `x`: [.., d]; `w`, `b`: [d]; `eps` > 0 (1e-12 for BERT / MiniLM, 1e-5 for torch's default).
pub fn layer_norm(x: &Tensor, w: &Tensor, b: &Tensor, eps: f32) -> Result<Tensor> {
    let op = "layer_norm";
    let (_, d) = rows_of(op, x)?;
    check_channel(op, x, w, d)?;
    check_channel(op, x, b, d)?;
    check_eps(op, eps)?;
    if x.device().is_gpu() {
        return dispatch_rows(op, op, x, &[w, b], eps);
    }
    let (xs, ws, bs) = (cpu_rows(op, x)?, cpu_rows(op, w)?, cpu_rows(op, b)?);
    let mut out = Vec::with_capacity(xs.len());
    for row in xs.chunks_exact(d) {
        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / d as f64;
        let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / d as f64;
        let inv = 1.0 / (var + eps as f64).sqrt();
        out.extend(row.iter().zip(ws.iter().zip(&bs)).map(|(&v, (&g, &c))| ((v as f64 - mean) * inv) as f32 * g + c));
    }
    Tensor::from_f32(x.device(), x.shape(), &out)
}
