//! Elementwise activations: `silu_mul` (the SwiGLU FFN of llama: silu(gate) * up, Shazeer 2020) and `gelu` in the
//! exact erf form BERT uses (Hendrycks & Gimpel 2016), not the tanh approximation. WGSL has no `erf`, so both
//! devices use the same Abramowitz & Stegun 7.1.26 rational approximation (|error| <= 1.5e-7) and the CPU stays
//! the reference for the GPU.

use bytemuck::{Pod, Zeroable};

use crate::error::{Error, Result};
use crate::gpu::{Defines, Kernel, grid, whole};
use crate::ops::WG;
use crate::tensor::{DType, Tensor, same_device};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    n: u32,
}

/// Abramowitz & Stegun 7.1.26 coefficients: erfc(a) ~= t (A1 + t (A2 + ...)) exp(-a^2), t = 1 / (1 + P a), a >= 0.
const P: f32 = 0.327_591_1;
#[allow(clippy::excessive_precision)] // the published digits, so the constants can be checked against the table
const A: [f32; 5] = [0.254_829_592, -0.284_496_736, 1.421_413_741, -1.453_152_027, 1.061_405_429];

/// erfc(a) for a >= 0. Returning erfc rather than erf lets `gelu` of a negative input avoid 1 + erf(x)
/// cancelling to zero.
fn erfc_pos(a: f32) -> f32 {
    let t = 1.0 / (1.0 + P * a);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    poly * (-a * a).exp()
}

/// The error function, within 1.5e-7 of the exact value (A&S 7.1.26); the same formula as the WGSL kernel.
pub fn erf(x: f32) -> f32 {
    let e = 1.0 - erfc_pos(x.abs());
    if x < 0.0 { -e } else { e }
}

/// gelu(x) = x/2 (1 + erf(x / sqrt 2)).
fn gelu_scalar(x: f32) -> f32 {
    let a = x * std::f32::consts::FRAC_1_SQRT_2;
    if a >= 0.0 { 0.5 * x * (2.0 - erfc_pos(a)) } else { 0.5 * x * erfc_pos(-a) }
}

/// silu(g) = g sigmoid(g). Written as g / (1 + exp(-g)): for very negative g it tends to -0, never NaN.
fn silu(g: f32) -> f32 {
    g / (1.0 + (-g).exp())
}

fn check_input(op: &'static str, x: &Tensor) -> Result<u32> {
    x.expect_dtype(op, DType::F32)?;
    let n = x.elem_count();
    if n == 0 {
        return Err(Error::Empty { op, what: "input with zero elements" });
    }
    u32::try_from(n).map_err(|_| Error::TooLarge { op, what: "elements", size: n as u64, limit: u32::MAX as u64 })
}

/// Bindings are x, out, then the second operand (see `shaders/activation.wgsl`).
fn dispatch(op: &'static str, n: u32, x: &Tensor, second: Option<&Tensor>) -> Result<Tensor> {
    let g = x.device().gpu_context().ok_or(Error::DeviceMismatch { op })?;
    let out = Tensor::gpu_uninit(x.device(), op, x.shape(), DType::F32)?;
    let mut bufs = vec![whole(x.gpu_buffer(op)?), whole(out.gpu_buffer(op)?)];
    if let Some(t) = second {
        bufs.push(whole(t.gpu_buffer(op)?));
    }
    let k = Kernel::new("activation", op, Defines::new().u32("WG", WG));
    let wg = grid(n.div_ceil(WG), g.limits().max_compute_workgroups_per_dimension);
    g.dispatch(&k, bytemuck::bytes_of(&Params { n }), &bufs, wg)?;
    Ok(out)
}

/// SwiGLU gating: silu(gate) * up. `gate`, `up`: the same shape, e.g. [tokens, ffn].
pub fn silu_mul(gate: &Tensor, up: &Tensor) -> Result<Tensor> {
    let op = "silu_mul";
    same_device(op, gate.device(), &[up])?;
    let n = check_input(op, gate)?;
    up.expect_dtype(op, DType::F32)?;
    if gate.shape() != up.shape() {
        return Err(Error::shape(op, gate.shape(), up.shape()));
    }
    if gate.device().is_gpu() {
        return dispatch(op, n, gate, Some(up));
    }
    let (g, u) = (gate.cpu_f32(op)?, up.cpu_f32(op)?);
    let out: Vec<f32> = g.iter().zip(u.iter()).map(|(&a, &b)| silu(a) * b).collect();
    Tensor::from_f32(gate.device(), gate.shape(), &out)
}

/// GELU, exact erf form (BERT's `hidden_act = "gelu"`). `x`: any shape.
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    let op = "gelu";
    let n = check_input(op, x)?;
    if x.device().is_gpu() {
        return dispatch(op, n, x, None);
    }
    let out: Vec<f32> = x.cpu_f32(op)?.iter().map(|&v| gelu_scalar(v)).collect();
    Tensor::from_f32(x.device(), x.shape(), &out)
}
