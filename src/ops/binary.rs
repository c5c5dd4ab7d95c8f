//! Elementwise `add` and `mul`. `b` has the shape of `a`, or is one row broadcast over `a`'s rows
//! (its length equals `a`'s last dimension): residual adds, biases and gains.

use bytemuck::{Pod, Zeroable};
use ndarray::{Axis, Ix1, Zip};

use crate::error::{Error, Result};
use crate::gpu::{grid, whole, Defines, Kernel};
use crate::ops::WG;
use crate::tensor::{same_device, DType, Tensor};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    n: u32,
    b_len: u32,
}

#[derive(Clone, Copy)]
enum BinaryOp {
    Add,
    Mul,
}

impl BinaryOp {
    fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Mul => "mul",
        }
    }

    fn apply(self, x: f32, y: f32) -> f32 {
        match self {
            BinaryOp::Add => x + y,
            BinaryOp::Mul => x * y,
        }
    }
}

/// `a + b`. `a`: [.., d]; `b`: same shape as `a`, or [d].
pub fn add(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(BinaryOp::Add, a, b)
}

/// `a * b` elementwise. `a`: [.., d]; `b`: same shape as `a`, or [d].
pub fn mul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    binary(BinaryOp::Mul, a, b)
}

fn binary(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let name = op.name();
    same_device(name, a.device(), &[b])?;
    a.expect_dtype(name, DType::F32)?;
    b.expect_dtype(name, DType::F32)?;
    let row = b.shape().len() == 1 && b.shape()[0] == *a.shape().last().unwrap_or(&0);
    if b.shape() != a.shape() && !row {
        return Err(Error::shape(name, a.shape(), b.shape()));
    }
    match a.device().gpu_context() {
        None => cpu(op, a, b),
        Some(g) => {
            let out = Tensor::gpu_uninit(a.device(), name, a.shape(), DType::F32)?;
            let params = Params { n: a.elem_count() as u32, b_len: b.elem_count() as u32 };
            let k = Kernel::new("binary", name, Defines::new().u32("WG", WG));
            g.dispatch(
                &k,
                bytemuck::bytes_of(&params),
                &[whole(a.gpu_buffer(name)?), whole(b.gpu_buffer(name)?), whole(out.gpu_buffer(name)?)],
                grid(params.n.div_ceil(WG), g.limits().max_compute_workgroups_per_dimension),
            )?;
            Ok(out)
        }
    }
}

fn cpu(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let name = op.name();
    let (x, y) = (a.cpu_f32(name)?, b.cpu_f32(name)?);
    let mut out = x.to_owned();
    if x.shape() == y.shape() {
        Zip::from(&mut out).and(y).for_each(|o, &v| *o = op.apply(*o, v));
    } else {
        let row = y.view().into_dimensionality::<Ix1>().map_err(|e| Error::invalid(name, e.to_string()))?;
        let last = Axis(out.ndim() - 1);
        for mut lane in out.lanes_mut(last) {
            Zip::from(&mut lane).and(&row).for_each(|o, &v| *o = op.apply(*o, v));
        }
    }
    Tensor::from_array(out)
}
