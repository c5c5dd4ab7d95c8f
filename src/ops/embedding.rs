//! `embedding`: gather rows of a (quantized) table by token id, decoded to f32.

use bytemuck::{Pod, Zeroable};

use super::matmul::qtype_defines;
use crate::error::{Error, Result};
use crate::gpu::{grid, whole, Kernel};
use crate::ops::WG;
use crate::quant::{dequantize_row, Weight};
use crate::tensor::{same_device, DType, Tensor};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    n: u32,
    cols: u32,
    wpr: u32,
    row_start: u32,
    rows: u32,
    total_rows: u32,
}

/// `table`: [vocab, cols]; `ids`: u32 [n]. Returns [n, cols]. Out-of-range ids are an error on the CPU; on the GPU
/// ids are checked when they come from the host (`Tensor::from_u32` on a CPU copy is checked here) and clamped in
/// the kernel otherwise.
pub fn embedding(table: &Weight, ids: &Tensor) -> Result<Tensor> {
    let op = "embedding";
    same_device(op, table.device(), &[ids])?;
    ids.expect_dtype(op, DType::U32)?;
    if ids.shape().len() != 1 {
        return Err(Error::shape(op, "[n]", ids.shape()));
    }
    let (n, cols) = (ids.elem_count(), table.cols());
    match table.device().gpu_context() {
        None => {
            let idv = ids.cpu_u32(op)?;
            let bytes = table.cpu_bytes(op)?;
            let rb = table.row_bytes();
            let mut out = vec![0f32; n * cols];
            for (o, &id) in out.chunks_exact_mut(cols).zip(idv.iter()) {
                if id as usize >= table.rows() {
                    return Err(Error::invalid(op, format!("token id {id} >= table rows {}", table.rows())));
                }
                dequantize_row(table.qtype(), &bytes[id as usize * rb..(id as usize + 1) * rb], o);
            }
            Tensor::from_f32(ids.device(), &[n, cols], &out)
        }
        Some(g) => {
            let out = Tensor::gpu_uninit(ids.device(), op, &[n, cols], DType::F32)?;
            let k = Kernel::new("embedding", op, qtype_defines(table.qtype()).u32("WG", WG));
            let wpr = crate::quant::weight_words_per_row(table.qtype(), cols) as u32;
            for c in table.gpu_chunks(op)? {
                let params = Params {
                    n: (n * cols) as u32,
                    cols: cols as u32,
                    wpr,
                    row_start: c.row_start as u32,
                    rows: c.rows as u32,
                    total_rows: table.rows() as u32,
                };
                let bufs = [whole(ids.gpu_buffer(op)?), whole(&c.quants), whole(&c.scales), whole(out.gpu_buffer(op)?)];
                let wg = grid(params.n.div_ceil(WG), g.limits().max_compute_workgroups_per_dimension);
                g.dispatch(&k, bytemuck::bytes_of(&params), &bufs, wg)?;
            }
            Ok(out)
        }
    }
}
