//! `kv_write`: scatter rows of keys or values into cache slots, in place.

use bytemuck::{Pod, Zeroable};

use crate::error::{Error, Result};
use crate::gpu::{grid, whole, Defines, Kernel};
use crate::ops::WG;
use crate::tensor::{same_device, DType, Tensor};

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    n: u32,
    row_len: u32,
}

/// `cache`: [capacity, ..] with rows of `row_len` = elements per slot; `src`: [m, row_len]; `slots`: m slot ids.
pub fn kv_write(cache: &mut Tensor, src: &Tensor, slots: &[u32]) -> Result<()> {
    let op = "kv_write";
    same_device(op, cache.device(), &[src])?;
    src.expect_dtype(op, DType::F32)?;
    let capacity = cache.shape()[0];
    let row_len = cache.elem_count() / capacity;
    let (m, cols) = src.rows_cols();
    if cols != row_len || m != slots.len() {
        return Err(Error::shape(op, [slots.len(), row_len], src.shape()));
    }
    if let Some(&s) = slots.iter().find(|&&s| s as usize >= capacity) {
        return Err(Error::invalid(op, format!("slot {s} >= cache capacity {capacity}")));
    }
    match cache.device().clone().gpu_context() {
        None => {
            let rows: Vec<f32> = src.cpu_f32(op)?.iter().copied().collect();
            let dst = cache.cpu_f32_mut(op)?;
            let flat = dst.as_slice_mut().ok_or_else(|| Error::invalid(op, "cache is not contiguous"))?;
            for (r, &s) in rows.chunks_exact(row_len).zip(slots) {
                flat[s as usize * row_len..(s as usize + 1) * row_len].copy_from_slice(r);
            }
            Ok(())
        }
        Some(g) => {
            let slot_buf = g.upload(op, bytemuck::cast_slice(slots))?;
            let params = Params { n: (m * row_len) as u32, row_len: row_len as u32 };
            let k = Kernel::new("kv_write", op, Defines::new().u32("WG", WG));
            let bufs = [whole(src.gpu_buffer(op)?), whole(slot_buf.buffer()), whole(cache.gpu_buffer(op)?)];
            let wg = grid(params.n.div_ceil(WG), g.limits().max_compute_workgroups_per_dimension);
            g.dispatch(&k, bytemuck::bytes_of(&params), &bufs, wg)
        }
    }
}
