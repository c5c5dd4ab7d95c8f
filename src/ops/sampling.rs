//! Token selection: `argmax`, `top_k`, seeded `sample` (temperature, top-k, top-p) and `repetition_penalty`.
//! Samplers take logits by reference and return new tensors (best-of-N and VAS need the originals). On the GPU a
//! decode step then reads back only ids.
//!
//! `sample` semantics, identical on both backends: temperature <= 0 is greedy. With top_k = 0 and top_p = 1 it
//! draws from the whole vocabulary (inverse CDF in index order). Otherwise the candidates are the top
//! min(top_k or KMAX, KMAX) logits in (value desc, index asc) order, of which the smallest prefix holding top_p of
//! their mass is kept: nucleus sampling is computed within the KMAX = 256 most likely tokens (the mass past them is
//! negligible for top_p < 1 in practice, and bounded so the GPU needs no full sort). The draw is
//! u = `uniform(seed, step)`, a PCG hash that the WGSL implements bit for bit.

use bytemuck::{Pod, Zeroable};

use crate::error::{Error, Result};
use crate::gpu::{whole, Defines, Kernel};
use crate::tensor::{DType, Tensor};

/// Largest candidate list of `sample` and `top_k` on the GPU.
pub const KMAX: usize = 256;
const SAMPLE_WG: u32 = 256;

/// Per-row sampling settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleParams {
    pub temperature: f32,
    pub top_k: u32,
    pub top_p: f32,
    pub seed: u64,
    pub step: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct Params {
    vocab: u32,
    m: u32,
    k: u32,
    n_pen: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuSampler {
    temperature: f32,
    top_k: u32,
    top_p: f32,
    seed_lo: u32,
    seed_hi: u32,
    step: u32,
    penalty: f32,
    pad: u32,
}

fn pcg(x: u32) -> u32 {
    let s = x.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    let w = ((s >> ((s >> 28) + 4)) ^ s).wrapping_mul(277_803_737);
    (w >> 22) ^ w
}

/// Uniform in [0, 1) with 24 bits, from (seed, step): the same function as the WGSL `uniform01`.
pub fn uniform(seed: u64, step: u32) -> f32 {
    (pcg(pcg(pcg(seed as u32) ^ (seed >> 32) as u32) ^ step) >> 8) as f32 / 16_777_216.0
}

fn val(v: f32) -> f32 {
    if v.is_nan() { -3.0e38 } else { v }
}

/// Indices of the k best in (value desc, index asc) order.
fn top_indices(row: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..row.len()).collect();
    let cmp = |a: &usize, b: &usize| val(row[*b]).total_cmp(&val(row[*a])).then(a.cmp(b));
    if k < idx.len() {
        idx.select_nth_unstable_by(k, cmp);
        idx.truncate(k);
    }
    idx.sort_by(cmp);
    idx
}

/// First item whose weight exceeds what is left of `goal` (inverse CDF).
fn pick_from(mut goal: f32, items: impl Iterator<Item = (usize, f32)>) -> Option<usize> {
    for (i, e) in items {
        if goal < e {
            return Some(i);
        }
        goal -= e;
    }
    None
}

fn sample_row(row: &[f32], s: &SampleParams) -> u32 {
    if s.temperature <= 0.0 {
        return top_indices(row, 1)[0] as u32;
    }
    let u = uniform(s.seed, s.step) as f64;
    let inv_t = 1.0 / s.temperature;
    if s.top_k == 0 && s.top_p >= 1.0 {
        let mx = val(row[top_indices(row, 1)[0]]);
        let e = |i: usize| ((val(row[i]) - mx) * inv_t).exp();
        // Summed in the kernel's order (one contiguous chunk per thread, then the chunk sums) so both backends
        // round alike.
        let chunk = row.len().div_ceil(SAMPLE_WG as usize);
        let sums: Vec<f32> = (0..row.len()).step_by(chunk).map(|lo| (lo..(lo + chunk).min(row.len())).map(e).sum()).collect();
        let total: f32 = sums.iter().sum();
        let mut goal = u as f32 * total;
        for (c, &s) in sums.iter().enumerate() {
            if goal < s {
                let lo = c * chunk;
                let hi = (lo + chunk).min(row.len());
                return pick_from(goal, (lo..hi).map(|i| (i, e(i)))).unwrap_or(row.len() - 1) as u32;
            }
            goal -= s;
        }
        return row.len() as u32 - 1;
    }
    let k = if s.top_k == 0 { KMAX } else { (s.top_k as usize).min(KMAX) }.min(row.len());
    let c = top_indices(row, k);
    let e = |i: usize| ((val(row[i]) - val(row[c[0]])) * inv_t).exp();
    let total: f32 = c.iter().map(|&i| e(i)).sum();
    let (mut mass, mut kept) = (0f32, 0);
    for &i in &c {
        mass += e(i);
        kept += 1;
        if mass >= s.top_p * total {
            break;
        }
    }
    let chosen = pick_from(u as f32 * mass, c[..kept].iter().map(|&i| (i, e(i)))).unwrap_or(c[kept - 1]);
    chosen as u32
}

fn check_logits(op: &'static str, logits: &Tensor) -> Result<(usize, usize)> {
    logits.expect_dtype(op, DType::F32)?;
    if logits.shape().len() != 2 {
        return Err(Error::shape(op, "[m, vocab]", logits.shape()));
    }
    Ok(logits.rows_cols())
}

fn rows(op: &'static str, logits: &Tensor) -> Result<Vec<Vec<f32>>> {
    let (_, v) = logits.rows_cols();
    Ok(logits.cpu_f32(op)?.iter().copied().collect::<Vec<_>>().chunks(v).map(<[f32]>::to_vec).collect())
}

/// Runs one sampling-shader entry point with one workgroup per row (or `groups`).
fn run(logits: &Tensor, entry: &'static str, p: Params, samplers: &[GpuSampler], ids: &Tensor, vals: Option<&Tensor>, groups: u32) -> Result<()> {
    let g = logits.device().gpu_context().ok_or(Error::DeviceMismatch { op: entry })?;
    let mut s = samplers.to_vec();
    if s.is_empty() {
        s.push(GpuSampler::zeroed());
    }
    let sbuf = g.upload(entry, bytemuck::cast_slice(&s))?;
    let dummy = g.alloc(entry, 4)?;
    let vals_buf = match vals {
        Some(t) => t.gpu_buffer(entry)?,
        None => dummy.buffer(),
    };
    let k = Kernel::new("sampling", entry, Defines::new().u32("WG", SAMPLE_WG).u32("KMAX", KMAX as u32));
    let bufs = [whole(logits.gpu_buffer(entry)?), whole(sbuf.buffer()), whole(ids.gpu_buffer(entry)?), whole(vals_buf)];
    g.dispatch(&k, bytemuck::bytes_of(&p), &bufs, [groups, 1, 1])
}

/// Index of the largest logit per row (ties: lowest index). `logits`: [m, vocab] -> u32 [m].
pub fn argmax(logits: &Tensor) -> Result<Tensor> {
    let op = "argmax";
    let (m, vocab) = check_logits(op, logits)?;
    if !logits.device().is_gpu() {
        let ids: Vec<u32> = rows(op, logits)?.iter().map(|r| top_indices(r, 1)[0] as u32).collect();
        return Tensor::from_u32(logits.device(), &[m], &ids);
    }
    let out = Tensor::gpu_uninit(logits.device(), op, &[m], DType::U32)?;
    run(logits, op, Params { vocab: vocab as u32, m: m as u32, k: 1, n_pen: 0 }, &[], &out, None, m as u32)?;
    Ok(out)
}

/// The k largest logits per row, sorted (value desc, index asc): (values f32 [m, k], ids u32 [m, k]).
pub fn top_k(logits: &Tensor, k: usize) -> Result<(Tensor, Tensor)> {
    let op = "top_k";
    let (m, vocab) = check_logits(op, logits)?;
    if k == 0 || k > vocab {
        return Err(Error::invalid(op, format!("k must be in 1..={vocab}, got {k}")));
    }
    if !logits.device().is_gpu() {
        let (mut vals, mut ids) = (Vec::new(), Vec::new());
        for r in rows(op, logits)? {
            for i in top_indices(&r, k) {
                vals.push(r[i]);
                ids.push(i as u32);
            }
        }
        return Ok((Tensor::from_f32(logits.device(), &[m, k], &vals)?, Tensor::from_u32(logits.device(), &[m, k], &ids)?));
    }
    if k > KMAX {
        return Err(Error::TooLarge { op, what: "k on the GPU", size: k as u64, limit: KMAX as u64 });
    }
    let vals = Tensor::gpu_uninit(logits.device(), op, &[m, k], DType::F32)?;
    let ids = Tensor::gpu_uninit(logits.device(), op, &[m, k], DType::U32)?;
    run(logits, op, Params { vocab: vocab as u32, m: m as u32, k: k as u32, n_pen: 0 }, &[], &ids, Some(&vals), m as u32)?;
    Ok((vals, ids))
}

/// One sampled id per row of `logits` [m, vocab] with that row's `params`.
pub fn sample(logits: &Tensor, params: &[SampleParams]) -> Result<Tensor> {
    let op = "sample";
    let (m, vocab) = check_logits(op, logits)?;
    if params.len() != m {
        return Err(Error::shape(op, m, params.len()));
    }
    if let Some(p) = params.iter().find(|p| !(p.temperature.is_finite() && p.top_p > 0.0 && p.top_p <= 1.0)) {
        return Err(Error::invalid(op, format!("temperature {} must be finite and top_p {} in (0, 1]", p.temperature, p.top_p)));
    }
    if !logits.device().is_gpu() {
        let ids: Vec<u32> = rows(op, logits)?.iter().zip(params).map(|(r, p)| sample_row(r, p)).collect();
        return Tensor::from_u32(logits.device(), &[m], &ids);
    }
    let samplers: Vec<GpuSampler> = params
        .iter()
        .map(|p| GpuSampler {
            temperature: p.temperature,
            top_k: p.top_k,
            top_p: p.top_p,
            seed_lo: p.seed as u32,
            seed_hi: (p.seed >> 32) as u32,
            step: p.step,
            penalty: 1.0,
            pad: 0,
        })
        .collect();
    let out = Tensor::gpu_uninit(logits.device(), op, &[m], DType::U32)?;
    run(logits, op, Params { vocab: vocab as u32, m: m as u32, k: 0, n_pen: 0 }, &samplers, &out, None, m as u32)?;
    Ok(out)
}

/// CTRL / llama.cpp repetition penalty: each distinct id in a row's `history` has its logit divided by `penalty`
/// when positive, multiplied when negative. Returns new logits.
pub fn repetition_penalty(logits: &Tensor, history: &[Vec<u32>], penalty: f32) -> Result<Tensor> {
    let op = "repetition_penalty";
    let (m, vocab) = check_logits(op, logits)?;
    if history.len() != m {
        return Err(Error::shape(op, m, history.len()));
    }
    if !(penalty.is_finite() && penalty > 0.0) {
        return Err(Error::invalid(op, format!("penalty {penalty} must be finite and > 0")));
    }
    let mut pairs = Vec::new();
    for (r, h) in history.iter().enumerate() {
        let mut seen = std::collections::BTreeSet::new();
        for &id in h {
            if id as usize >= vocab {
                return Err(Error::invalid(op, format!("token id {id} >= vocabulary {vocab}")));
            }
            if seen.insert(id) {
                pairs.push([r as u32, id]);
            }
        }
    }
    let apply = |v: f32| if v > 0.0 { v / penalty } else { v * penalty };
    if !logits.device().is_gpu() {
        let mut flat: Vec<f32> = logits.cpu_f32(op)?.iter().copied().collect();
        pairs.iter().for_each(|[r, id]| flat[*r as usize * vocab + *id as usize] = apply(flat[*r as usize * vocab + *id as usize]));
        return Tensor::from_f32(logits.device(), &[m, vocab], &flat);
    }
    let g = logits.device().gpu_context().ok_or(Error::DeviceMismatch { op })?;
    let out = Tensor::gpu_uninit(logits.device(), op, &[m, vocab], DType::F32)?;
    g.copy(logits.gpu_buffer(op)?, 0, out.gpu_buffer(op)?, 0, (m * vocab * 4) as u64);
    if pairs.is_empty() {
        return Ok(out);
    }
    let flat: Vec<u32> = pairs.iter().flatten().copied().collect();
    let pair_t = Tensor::from_u32(logits.device(), &[flat.len()], &flat)?;
    let samplers = vec![GpuSampler { penalty, ..GpuSampler::zeroed() }; m];
    let p = Params { vocab: vocab as u32, m: m as u32, k: 0, n_pen: pairs.len() as u32 };
    run(logits, op, p, &samplers, &pair_t, Some(&out), (pairs.len() as u32).div_ceil(SAMPLE_WG))?;
    Ok(out)
}

