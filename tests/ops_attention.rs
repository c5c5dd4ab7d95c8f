//! Attention over the KV cache: CPU against a naive f64 reference, GPU against CPU, for causal prefill, decode,
//! a 3-sequence batch sharing a prompt's slots, GQA (9 heads over 3) and odd sizes; plus typed errors.

mod common;
use common::*;
use webreward::kv_cache::KvCache;
use webreward::ops::{self, AttnRow};
use webreward::{Device, Tensor};

fn naive(q: &[f32], k: &[f32], v: &[f32], rows: &[AttnRow], nh: usize, nkv: usize, hd: usize, scale: f32) -> Vec<f32> {
    let mut out = vec![0f32; rows.len() * nh * hd];
    for (i, r) in rows.iter().enumerate() {
        let slots: Vec<usize> = (0..r.shared_len as usize).chain(r.own_start as usize..(r.own_start + r.own_len) as usize).collect();
        for h in 0..nh {
            let g = h / (nh / nkv);
            let s: Vec<f64> = slots
                .iter()
                .map(|&t| (0..hd).map(|d| q[(i * nh + h) * hd + d] as f64 * k[(t * nkv + g) * hd + d] as f64).sum::<f64>() * scale as f64)
                .collect();
            let mx = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = s.iter().map(|x| (x - mx).exp()).sum();
            for d in 0..hd {
                out[(i * nh + h) * hd + d] = slots.iter().zip(&s).map(|(&t, x)| (x - mx).exp() / z * v[(t * nkv + g) * hd + d] as f64).sum::<f64>() as f32;
            }
        }
    }
    out
}

fn case(d: &Device, rows: &[AttnRow], nh: usize, nkv: usize, hd: usize, cap: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(seed);
    let m = rows.len();
    let (q, k, v) = (rng.vec(m * nh * hd, -1.0, 1.0), rng.vec(cap * nkv * hd, -1.0, 1.0), rng.vec(cap * nkv * hd, -1.0, 1.0));
    let mut cache = KvCache::new(d, 1, nkv, hd, cap).unwrap();
    let kt = Tensor::from_f32(d, &[cap, nkv * hd], &k).unwrap();
    let vt = Tensor::from_f32(d, &[cap, nkv * hd], &v).unwrap();
    cache.write(0, &kt, &vt, &(0..cap as u32).collect::<Vec<_>>()).unwrap();
    let (kc, vc) = cache.layer(0);
    let qt = Tensor::from_f32(d, &[m, nh * hd], &q).unwrap();
    let scale = 1.0 / (hd as f32).sqrt();
    let got = block_on(ops::attention(&qt, kc, vc, rows, nh, nkv, scale).unwrap().to_vec_f32()).unwrap();
    (got, naive(&q, &k, &v, rows, nh, nkv, hd, scale))
}

fn shapes() -> Vec<(Vec<AttnRow>, usize, usize, usize, usize)> {
    let causal = |p: u32| (0..p).map(|i| AttnRow { shared_len: 0, own_start: 0, own_len: i + 1 }).collect::<Vec<_>>();
    let shared = (0..3).map(|s| AttnRow { shared_len: 37, own_start: 37 + s * 10, own_len: 1 + s * 3 }).collect();
    vec![
        (causal(37), 9, 3, 64, 40),
        (vec![AttnRow { shared_len: 0, own_start: 0, own_len: 300 }], 9, 3, 64, 300),
        (shared, 9, 3, 64, 70),
        (causal(5), 4, 4, 67, 5),
        (vec![AttnRow { shared_len: 600, own_start: 700, own_len: 3 }], 2, 1, 130, 703),
    ]
}

#[test]
fn cpu_matches_f64_reference() {
    for (i, (rows, nh, nkv, hd, cap)) in shapes().into_iter().enumerate() {
        let (got, want) = case(&Device::Cpu, &rows, nh, nkv, hd, cap, i as u64);
        all_close(&format!("cpu case {i}"), &got, &want, 2e-5, 1e-4);
    }
}

#[test]
fn gpu_matches_cpu() {
    let Some(g) = gpu() else { return };
    for (i, (rows, nh, nkv, hd, cap)) in shapes().into_iter().enumerate() {
        let (got, _) = case(&g, &rows, nh, nkv, hd, cap, i as u64);
        let (cpu, _) = case(&Device::Cpu, &rows, nh, nkv, hd, cap, i as u64);
        all_close(&format!("gpu case {i}"), &got, &cpu, 2e-5, 1e-4);
    }
}

#[test]
fn bad_input_is_typed() {
    for d in [Some(Device::Cpu), gpu()].into_iter().flatten() {
        let mut cache = KvCache::new(&d, 1, 2, 4, 8).unwrap();
        let q = Tensor::from_f32(&d, &[1, 8], &[0.5; 8]).unwrap();
        let kv = Tensor::from_f32(&d, &[1, 8], &[1.0; 8]).unwrap();
        assert_eq!(cache.write(0, &kv, &kv, &[8]).unwrap_err().code(), "INVALID_ARGUMENT");
        assert_eq!(cache.write(0, &kv, &kv, &[0, 1]).unwrap_err().code(), "SHAPE_MISMATCH");
        cache.write(0, &kv, &kv, &[0]).unwrap();
        let (k, v) = cache.layer(0);
        let row = |s, o, l| AttnRow { shared_len: s, own_start: o, own_len: l };
        assert_eq!(ops::attention(&q, k, v, &[row(0, 0, 0)], 2, 2, 1.0).unwrap_err().code(), "INVALID_ARGUMENT");
        assert_eq!(ops::attention(&q, k, v, &[row(0, 6, 3)], 2, 2, 1.0).unwrap_err().code(), "INVALID_ARGUMENT");
        assert_eq!(ops::attention(&q, k, v, &[], 2, 2, 1.0).unwrap_err().code(), "SHAPE_MISMATCH");
        assert_eq!(ops::attention(&q, k, v, &[row(0, 0, 1)], 3, 2, 1.0).unwrap_err().code(), "INVALID_ARGUMENT");
        assert_eq!(ops::attention(&q, k, v, &[row(0, 0, 1)], 1, 1, 1.0).unwrap_err().code(), "SHAPE_MISMATCH");
        assert!(KvCache::new(&d, 1, 2, 4, 0).is_err());
        assert_eq!(KvCache::new(&d, 1, usize::MAX / 2, 4, 8).err().map(|e| e.code()), Some("TOO_LARGE"));
        let out = block_on(ops::attention(&q, k, v, &[row(0, 0, 1)], 2, 2, 1.0).unwrap().to_vec_f32()).unwrap();
        assert_eq!(out, vec![1.0; 8]);
    }
}
