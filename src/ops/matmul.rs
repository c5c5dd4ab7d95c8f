//! `matmul`: x [m, cols] times a weight [rows, cols] transposed -> [m, rows], for every GGML weight type. The CPU
//! path decodes one block of a weight row at a time and applies it to all m input rows (natively split over
//! threads by weight rows); the GPU kernel does the same per workgroup, so m sequences share one weight read.

use bytemuck::{Pod, Zeroable};

use crate::error::{Error, Result};
use crate::gpu::{whole, Defines, Kernel};
use crate::quant::{dequantize_row, QuantType, Weight, QK};
use crate::tensor::{same_device, DType, Tensor};

/// Threads per matmul workgroup (a power of two for the tree reduction).
const MATMUL_WG: u32 = 64;
/// Input rows per GPU tile.
const MT: u32 = 8;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    rows: u32,
    cols: u32,
    m: u32,
    wpr: u32,
    out_stride: u32,
    row_offset: u32,
}

/// `x`: [m, cols] f32; `w`: [rows, cols]. Returns [m, rows].
pub fn matmul(x: &Tensor, w: &Weight) -> Result<Tensor> {
    let op = "matmul";
    same_device(op, w.device(), &[x])?;
    x.expect_dtype(op, DType::F32)?;
    let (m, cols) = x.rows_cols();
    if x.shape().len() != 2 || cols != w.cols() {
        return Err(Error::shape(op, ["m".to_string(), w.cols().to_string()], x.shape()));
    }
    match w.device().gpu_context() {
        None => cpu(x, w, m),
        Some(g) => {
            let out = Tensor::gpu_uninit(x.device(), op, &[m, w.rows()], DType::F32)?;
            let k = Kernel::new("matmul", op, qtype_defines(w.qtype()).u32("WG", MATMUL_WG).u32("MT", MT));
            let wpr = crate::quant::weight_words_per_row(w.qtype(), cols) as u32;
            let max = g.limits().max_compute_workgroups_per_dimension;
            for c in w.gpu_chunks(op)? {
                let params = Params {
                    rows: c.rows as u32,
                    cols: cols as u32,
                    m: m as u32,
                    wpr,
                    out_stride: w.rows() as u32,
                    row_offset: c.row_start as u32,
                };
                let [gx, gy, _] = crate::gpu::grid(c.rows as u32, max);
                let bufs = [whole(x.gpu_buffer(op)?), whole(&c.quants), whole(&c.scales), whole(out.gpu_buffer(op)?)];
                g.dispatch(&k, bytemuck::bytes_of(&params), &bufs, [gx, gy, (m as u32).div_ceil(MT)])?;
            }
            Ok(out)
        }
    }
}

/// The `QTYPE` constant of the dequantizing kernels.
pub(crate) fn qtype_defines(t: QuantType) -> Defines {
    Defines::new().u32("QTYPE", t.id())
}

fn cpu(x: &Tensor, w: &Weight, m: usize) -> Result<Tensor> {
    let op = "matmul";
    let xs = x.cpu_f32(op)?.as_standard_layout().into_owned().into_raw_vec_and_offset().0;
    let (rows, cols) = (w.rows(), w.cols());
    let bytes = w.cpu_bytes(op)?;
    let rb = w.row_bytes();
    let mut out_t = vec![0f32; rows * m];
    let work = |r0: usize, out: &mut [f32]| {
        let mut buf = vec![0f32; cols];
        for (i, o) in out.chunks_exact_mut(m).enumerate() {
            let r = r0 + i;
            dequantize_row(w.qtype(), &bytes[r * rb..(r + 1) * rb], &mut buf);
            for (j, oj) in o.iter_mut().enumerate() {
                *oj = dot(&buf, &xs[j * cols..(j + 1) * cols]);
            }
        }
    };
    let threads = thread_count(rows * cols * m);
    // wasm32 has no threads here (and the weight's WebGPU handles are not Send): one thread there.
    if threads <= 1 || cfg!(target_arch = "wasm32") {
        work(0, &mut out_t);
    } else {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let per = rows.div_ceil(threads);
            std::thread::scope(|s| {
                for (t, chunk) in out_t.chunks_mut(per * m).enumerate() {
                    let work = &work;
                    s.spawn(move || work(t * per, chunk));
                }
            });
        }
    }
    let mut out = vec![0f32; m * rows];
    for r in 0..rows {
        for j in 0..m {
            out[j * rows + r] = out_t[r * m + j];
        }
    }
    Tensor::from_f32(x.device(), &[m, rows], &out)
}

/// Dot product in 8 independent lanes so the compiler vectorises it (SSE/AVX natively, SIMD128 in wasm).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Worker threads for `work` multiply-adds: one below ~1M, else the machine's cores (natively; 1 in wasm).
fn thread_count(work: usize) -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    if work >= 1 << 20 {
        return std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    }
    let _ = work;
    1
}

const _: () = assert!(QK == 32);
