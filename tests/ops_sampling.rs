//! Sampling on the device: argmax, top_k and seeded sample agree with the CPU for identical logits over many
//! seeds; the empirical distribution follows the probabilities; the repetition penalty; typed errors.

mod common;
use common::*;
use webreward::ops::{self, SampleParams};
use webreward::{Device, Tensor};

fn logits(rng: &mut Rng, m: usize, vocab: usize) -> Vec<f32> {
    let mut l = rng.vec(m * vocab, -4.0, 4.0);
    l[3] = l[vocab - 2]; // a tie
    l
}

fn ids(d: &Device, t: Tensor) -> Vec<u32> {
    let _ = d;
    block_on(t.to_vec_u32()).unwrap()
}

#[test]
fn gpu_agrees_with_cpu() {
    let Some(g) = gpu() else { return };
    let mut rng = Rng::new(3);
    for vocab in [5, 300, 49152] {
        let m = 4;
        let l = logits(&mut rng, m, vocab);
        let on = |d: &Device| Tensor::from_f32(d, &[m, vocab], &l).unwrap();
        assert_eq!(ids(&g, ops::argmax(&on(&g)).unwrap()), ids(&Device::Cpu, ops::argmax(&on(&Device::Cpu)).unwrap()));
        let k = 20.min(vocab);
        let (gv, gi) = ops::top_k(&on(&g), k).unwrap();
        let (cv, ci) = ops::top_k(&on(&Device::Cpu), k).unwrap();
        assert_eq!(block_on(gi.to_vec_u32()).unwrap(), block_on(ci.to_vec_u32()).unwrap());
        assert_eq!(block_on(gv.to_vec_f32()).unwrap(), block_on(cv.to_vec_f32()).unwrap());
        let mut agree = 0;
        let mut total = 0;
        for (temperature, top_k, top_p) in [(0.0, 0, 1.0), (1.0, 0, 1.0), (0.7, 40, 1.0), (1.0, 0, 0.9), (1.3, 5, 0.5)] {
            for seed in 0..25u64 {
                let params: Vec<SampleParams> =
                    (0..m).map(|r| SampleParams { temperature, top_k, top_p, seed: seed * 31 + r as u64, step: r as u32 }).collect();
                let a = ids(&g, ops::sample(&on(&g), &params).unwrap());
                let b = ids(&Device::Cpu, ops::sample(&on(&Device::Cpu), &params).unwrap());
                agree += a.iter().zip(&b).filter(|(x, y)| x == y).count();
                total += m;
            }
        }
        // exp() differs by ulps between backends, so a draw landing exactly on a boundary may differ: allow 1%.
        eprintln!("vocab {vocab}: GPU and CPU sampled the same id {agree}/{total}");
        assert!(agree * 100 >= total * 99, "{agree}/{total}");
    }
}

#[test]
fn distribution_follows_probabilities() {
    for d in [Some(Device::Cpu), gpu()].into_iter().flatten() {
        let l = [1.0f32, 0.0, 2.0, -1.0];
        let p: Vec<f64> = {
            let z: f64 = l.iter().map(|&x| (x as f64).exp()).sum();
            l.iter().map(|&x| (x as f64).exp() / z).collect()
        };
        let n = 4000;
        let logits: Vec<f32> = l.repeat(n);
        let t = Tensor::from_f32(&d, &[n, 4], &logits).unwrap();
        let params: Vec<SampleParams> =
            (0..n).map(|i| SampleParams { temperature: 1.0, top_k: 0, top_p: 1.0, seed: 12345, step: i as u32 }).collect();
        let got = ids(&d, ops::sample(&t, &params).unwrap());
        let mut counts = [0f64; 4];
        got.iter().for_each(|&i| counts[i as usize] += 1.0);
        let chi2: f64 = counts.iter().zip(&p).map(|(c, p)| (c - p * n as f64).powi(2) / (p * n as f64)).sum();
        assert!(chi2 < 16.27, "chi-square {chi2} (3 dof, p = 0.001): {counts:?}");
        // top_k = 1 is greedy; top_p tiny keeps only the best.
        let greedy: Vec<SampleParams> = params.iter().map(|p| SampleParams { top_k: 1, ..*p }).collect();
        assert!(ids(&d, ops::sample(&t, &greedy).unwrap()).iter().all(|&i| i == 2));
        let nucleus: Vec<SampleParams> = params.iter().map(|p| SampleParams { top_p: 0.01, ..*p }).collect();
        assert!(ids(&d, ops::sample(&t, &nucleus).unwrap()).iter().all(|&i| i == 2));
    }
}

#[test]
fn repetition_penalty_and_errors() {
    for d in [Some(Device::Cpu), gpu()].into_iter().flatten() {
        let t = Tensor::from_f32(&d, &[2, 4], &[2.0, -2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0]).unwrap();
        let out = ops::repetition_penalty(&t, &[vec![0, 1, 1], vec![3]], 2.0).unwrap();
        assert_eq!(block_on(out.to_vec_f32()).unwrap(), vec![1.0, -4.0, 1.0, 0.5, 1.0, 1.0, 1.0, 0.5]);
        assert_eq!(block_on(t.to_vec_f32()).unwrap()[0], 2.0, "input untouched");
        assert_eq!(ops::repetition_penalty(&t, &[vec![4], vec![]], 2.0).unwrap_err().code(), "INVALID_ARGUMENT");
        assert_eq!(ops::repetition_penalty(&t, &[vec![]], 2.0).unwrap_err().code(), "SHAPE_MISMATCH");
        assert_eq!(ops::top_k(&t, 5).unwrap_err().code(), "INVALID_ARGUMENT");
        assert_eq!(ops::top_k(&t, 0).unwrap_err().code(), "INVALID_ARGUMENT");
        let p = SampleParams { temperature: f32::NAN, top_k: 0, top_p: 1.0, seed: 0, step: 0 };
        assert_eq!(ops::sample(&t, &[p, p]).unwrap_err().code(), "INVALID_ARGUMENT");
        let p = SampleParams { temperature: 1.0, top_p: 0.0, ..p };
        assert_eq!(ops::sample(&t, &[p, p]).unwrap_err().code(), "INVALID_ARGUMENT");
        assert_eq!(ops::sample(&t, &[p]).unwrap_err().code(), "SHAPE_MISMATCH");
        assert_eq!(ids(&d, ops::argmax(&t).unwrap()), vec![0, 0]);
    }
}
