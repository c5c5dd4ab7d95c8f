//! `attention`: scaled dot-product attention of queries over KV-cache slots with grouped-query heads. Each query
//! row says which slots it sees (`AttnRow`): a shared prefix [0, shared_len) and its own range
//! [own_start, own_start + own_len). Causal prefill, decode, and N sequences sharing one prompt's keys (best-of-N
//! without N copies of the prompt) are all this one op. Bidirectional encoders use it too (own range = sequence).

use bytemuck::{Pod, Zeroable};

use crate::error::{Error, Result};
use crate::gpu::{grid, whole, Defines, Kernel};
use crate::tensor::{same_device, DType, Tensor};

/// Which cache slots one query row attends to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttnRow {
    pub shared_len: u32,
    pub own_start: u32,
    pub own_len: u32,
}

impl AttnRow {
    fn slots(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.shared_len as usize).chain(self.own_start as usize..(self.own_start + self.own_len) as usize)
    }
}

const ATTN_WG: u32 = 64;
const TILE: u32 = 256;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    m: u32,
    n_heads: u32,
    n_kv: u32,
    hd: u32,
    group: u32,
    scale: f32,
}

/// `q`: [m, n_heads * hd]; `k`, `v`: [capacity, n_kv_heads, hd]; one `AttnRow` per query row. Returns
/// [m, n_heads * hd] = softmax(q k^T * scale) v per head.
pub fn attention(q: &Tensor, k: &Tensor, v: &Tensor, rows: &[AttnRow], n_heads: usize, n_kv_heads: usize, scale: f32) -> Result<Tensor> {
    let op = "attention";
    same_device(op, q.device(), &[k, v])?;
    for t in [q, k, v] {
        t.expect_dtype(op, DType::F32)?;
    }
    if n_heads == 0 || n_kv_heads == 0 || !n_heads.is_multiple_of(n_kv_heads) {
        return Err(Error::invalid(op, format!("{n_heads} heads are not a multiple of {n_kv_heads} kv heads")));
    }
    let (m, qcols) = q.rows_cols();
    let hd = qcols / n_heads;
    if qcols % n_heads != 0 || k.shape().len() != 3 || k.shape() != v.shape() || k.shape()[1..] != [n_kv_heads, hd] {
        return Err(Error::shape(op, format!("q [m, {n_heads}*hd], k/v [cap, {n_kv_heads}, hd]"), (q.shape(), k.shape(), v.shape())));
    }
    if rows.len() != m {
        return Err(Error::shape(op, m, rows.len()));
    }
    let cap = k.shape()[0] as u64;
    for r in rows {
        let end = r.own_start as u64 + r.own_len as u64;
        if r.shared_len as u64 + r.own_len as u64 == 0 || r.shared_len as u64 > cap || end > cap {
            return Err(Error::invalid(op, format!("{r:?} is empty or outside the cache of {cap} slots")));
        }
    }
    if !scale.is_finite() {
        return Err(Error::invalid(op, format!("scale {scale} must be finite")));
    }
    match q.device().gpu_context() {
        None => cpu(q, k, v, rows, n_heads, n_kv_heads, scale),
        Some(g) => {
            let out = Tensor::gpu_uninit(q.device(), op, q.shape(), DType::F32)?;
            let flat: Vec<u32> = rows.iter().flat_map(|r| [r.shared_len, r.own_start, r.own_len]).collect();
            let rows_buf = g.upload(op, bytemuck::cast_slice(&flat))?;
            let params = Params {
                m: m as u32,
                n_heads: n_heads as u32,
                n_kv: n_kv_heads as u32,
                hd: hd as u32,
                group: (n_heads / n_kv_heads) as u32,
                scale,
            };
            let defines = Defines::new().u32("WG", ATTN_WG).u32("TILE", TILE).u32("DPT", (hd as u32).div_ceil(ATTN_WG));
            let bufs = [
                whole(q.gpu_buffer(op)?),
                whole(k.gpu_buffer(op)?),
                whole(v.gpu_buffer(op)?),
                whole(rows_buf.buffer()),
                whole(out.gpu_buffer(op)?),
            ];
            let wg = grid((m * n_heads) as u32, g.limits().max_compute_workgroups_per_dimension);
            g.dispatch(&Kernel::new("attention", op, defines), bytemuck::bytes_of(&params), &bufs, wg)?;
            Ok(out)
        }
    }
}

fn cpu(q: &Tensor, k: &Tensor, v: &Tensor, rows: &[AttnRow], n_heads: usize, n_kv: usize, scale: f32) -> Result<Tensor> {
    let op = "attention";
    let flat = |t: &Tensor| -> Result<Vec<f32>> { Ok(t.cpu_f32(op)?.iter().copied().collect()) };
    let (qv, kv, vv) = (flat(q)?, flat(k)?, flat(v)?);
    let (m, qcols) = q.rows_cols();
    let hd = qcols / n_heads;
    let mut out = vec![0f32; m * qcols];
    let mut scores = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        for h in 0..n_heads {
            let g = h / (n_heads / n_kv);
            let qh = &qv[(i * n_heads + h) * hd..][..hd];
            scores.clear();
            scores.extend(r.slots().map(|s| super::matmul::dot(qh, &kv[(s * n_kv + g) * hd..][..hd]) * scale));
            let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut den = 0f32;
            scores.iter_mut().for_each(|x| {
                *x = (*x - max).exp();
                den += *x;
            });
            let o = &mut out[(i * n_heads + h) * hd..][..hd];
            for (p, s) in scores.iter().zip(r.slots()) {
                let vs = &vv[(s * n_kv + g) * hd..][..hd];
                o.iter_mut().zip(vs).for_each(|(o, v)| *o += p * v);
            }
            o.iter_mut().for_each(|x| *x /= den);
        }
    }
    Tensor::from_f32(q.device(), q.shape(), &out)
}
