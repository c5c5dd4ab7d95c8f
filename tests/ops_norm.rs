//! rms_norm, layer_norm, softmax, silu_mul, gelu, erf, mean_pool, l2_normalize and rope: the CPU path against
//! float64 numpy/scipy golden values (scripts/gen_norm_fixtures.py), the GPU against the CPU on random shapes
//! (row lengths that are not multiples of the workgroup size), and typed errors that leave the device usable.
mod common;
use std::collections::HashMap;

use common::*;
use webreward::ops::{self, RopeStyle};
use webreward::{Device, Tensor};

const DIMS: [usize; 7] = [1, 5, 64, 67, 384, 576, 1000];

struct Golden(HashMap<String, (Vec<usize>, Vec<f32>)>);

impl Golden {
    fn load() -> Self {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/norm/golden.txt");
        let text = std::fs::read_to_string(path).expect("fixture; run scripts/gen_norm_fixtures.py");
        let mut map = HashMap::new();
        for line in text.lines().filter(|l| !l.is_empty()) {
            let mut it = line.split_whitespace();
            let name = it.next().expect("name").to_string();
            let dims = it.next().expect("dims").split('x').map(|s| s.parse().expect("dim")).collect();
            let vals = it.map(|s| s.parse::<f64>().expect("value") as f32).collect();
            map.insert(name, (dims, vals));
        }
        Golden(map)
    }

    fn vals(&self, name: &str) -> &[f32] {
        &self.0.get(name).unwrap_or_else(|| panic!("fixture has no {name}")).1
    }

    fn tensor(&self, name: &str) -> Tensor {
        let (dims, vals) = self.0.get(name).unwrap_or_else(|| panic!("fixture has no {name}"));
        Tensor::from_f32(&Device::Cpu, dims, vals).unwrap()
    }
}

fn host(t: Tensor) -> Vec<f32> {
    block_on(t.to_vec_f32()).unwrap()
}

fn f32s(d: &Device, shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_f32(d, shape, v).unwrap()
}

#[test]
fn cpu_matches_numpy_golden_values() {
    let g = Golden::load();
    let out = host(ops::rms_norm(&g.tensor("rms.x"), &g.tensor("rms.w"), g.vals("rms.eps")[0]).unwrap());
    all_close("rms_norm", &out, g.vals("rms.out"), 1e-6, 1e-6);
    let (x, w, b) = (g.tensor("ln.x"), g.tensor("ln.w"), g.tensor("ln.b"));
    let out = host(ops::layer_norm(&x, &w, &b, g.vals("ln.eps")[0]).unwrap());
    all_close("layer_norm", &out, g.vals("ln.out"), 1e-6, 1e-6);
    all_close("softmax", &host(ops::softmax(&g.tensor("softmax.x")).unwrap()), g.vals("softmax.out"), 1e-7, 1e-6);
    let out = host(ops::silu_mul(&g.tensor("silu.gate"), &g.tensor("silu.up")).unwrap());
    all_close("silu_mul", &out, g.vals("silu.out"), 1e-6, 1e-6);
    all_close("gelu", &host(ops::gelu(&g.tensor("gelu.x")).unwrap()), g.vals("gelu.out"), 1e-6, 0.0);
    let erf: Vec<f32> = g.vals("gelu.x").iter().map(|&v| ops::erf(v)).collect();
    eprintln!("erf: max |error| vs scipy {:.2e}", max_abs(&erf, g.vals("erf.out")));
    all_close("erf vs scipy", &erf, g.vals("erf.out"), 1e-6, 0.0);
    let out = host(ops::mean_pool(&g.tensor("pool.x"), &g.tensor("pool.mask")).unwrap());
    all_close("mean_pool", &out, g.vals("pool.out"), 1e-6, 1e-6);
    all_close("l2_normalize", &host(ops::l2_normalize(&g.tensor("l2.x")).unwrap()), g.vals("l2.out"), 1e-7, 1e-6);
    let args = g.vals("rope.args");
    let pos: Vec<u32> = g.vals("rope.pos").iter().map(|&p| p as u32).collect();
    let pos = Tensor::from_u32(&Device::Cpu, &[pos.len()], &pos).unwrap();
    for (style, want) in [(RopeStyle::Norm, "rope.norm"), (RopeStyle::Neox, "rope.neox")] {
        let out = host(ops::rope(&g.tensor("rope.x"), &pos, args[0], args[1] as usize, args[2], style).unwrap());
        // theta = 500 rad is formed in f32 (as llama.cpp does): ~6e-5 rad of rounding, times |x| <= 3.
        all_close(want, &out, g.vals(want), 2e-4, 0.0);
    }
}

/// Runs `f` on the GPU and on the CPU and compares; `None` when this machine has no GPU.
fn gpu_vs_cpu(what: &str, atol: f32, rtol: f32, f: impl Fn(&Device) -> Tensor) -> Option<()> {
    let gpu = gpu()?;
    let (got, want) = (host(f(&gpu)), host(f(&Device::Cpu)));
    eprintln!("{what}: max |gpu - cpu| {:.2e}", max_abs(&got, &want));
    all_close(what, &got, &want, atol, rtol);
    Some(())
}

fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn row_ops_gpu_match_cpu_on_odd_shapes() {
    let mut rng = Rng::new(7);
    for d in DIMS {
        let rows = 1 + rng.below(9);
        // Two leading dims check that rows are the product of all but the last.
        let shape = [rows, 1 + rng.below(2), d];
        let n = shape.iter().product();
        let (x, w, b) = (rng.vec(n, -4.0, 4.0), rng.vec(d, -2.0, 2.0), rng.vec(d, -1.0, 1.0));
        let tag = |op: &str| format!("{op} {shape:?}");
        gpu_vs_cpu(&tag("rms_norm"), 1e-5, 1e-5, |dev| {
            ops::rms_norm(&f32s(dev, &shape, &x), &f32s(dev, &[d], &w), 1e-5).unwrap()
        });
        gpu_vs_cpu(&tag("layer_norm"), 2e-5, 1e-5, |dev| {
            ops::layer_norm(&f32s(dev, &shape, &x), &f32s(dev, &[d], &w), &f32s(dev, &[d], &b), 1e-12).unwrap()
        });
        // A large common offset: a one-pass E[x^2] - E[x]^2 variance would lose most digits here, and an f32 mean
        // near 300 alone costs ~1e-5 (the kernel centres on the row's first element).
        let shifted: Vec<f32> = x.iter().map(|v| v + 300.0).collect();
        gpu_vs_cpu(&tag("layer_norm +300"), 2e-6, 1e-5, |dev| {
            ops::layer_norm(&f32s(dev, &shape, &shifted), &f32s(dev, &[d], &w), &f32s(dev, &[d], &b), 1e-5).unwrap()
        });
        let logits: Vec<f32> = x.iter().map(|v| v * 8.0 + 500.0).collect();
        gpu_vs_cpu(&tag("softmax"), 1e-6, 1e-4, |dev| ops::softmax(&f32s(dev, &shape, &logits)).unwrap());
        gpu_vs_cpu(&tag("l2_normalize"), 1e-6, 1e-5, |dev| ops::l2_normalize(&f32s(dev, &shape, &x)).unwrap());
    }
}

/// More rows than one dispatch dimension allows (65535): the grid splits over x and y and every row is reached.
#[test]
fn row_ops_cover_rows_past_one_grid_dimension() {
    let mut rng = Rng::new(17);
    let (rows, d) = (65_537, 3);
    let x = rng.vec(rows * d, -3.0, 3.0);
    let w = rng.vec(d, -1.0, 1.0);
    gpu_vs_cpu("rms_norm [65537, 3]", 1e-5, 1e-5, |dev| {
        ops::rms_norm(&f32s(dev, &[rows, d], &x), &f32s(dev, &[d], &w), 1e-6).unwrap()
    });
    gpu_vs_cpu("softmax [65537, 3]", 1e-6, 1e-5, |dev| ops::softmax(&f32s(dev, &[rows, d], &x)).unwrap());
}

#[test]
fn softmax_rows_sum_to_one_on_gpu() {
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(11);
    for d in DIMS {
        let rows = 1 + rng.below(9);
        let x = rng.vec(rows * d, -30.0, 30.0);
        let p = host(ops::softmax(&f32s(&gpu, &[rows, d], &x)).unwrap());
        for (r, row) in p.chunks(d).enumerate() {
            let s: f32 = row.iter().sum();
            assert!((s - 1.0).abs() < 1e-4 && row.iter().all(|&v| v >= 0.0), "row {r} of d={d} sums to {s}");
        }
    }
}

#[test]
fn activations_gpu_match_cpu_on_odd_shapes() {
    let mut rng = Rng::new(3);
    for d in DIMS {
        let shape = [1 + rng.below(9), d];
        let n = shape[0] * d;
        let (gate, up) = (rng.vec(n, -12.0, 12.0), rng.vec(n, -3.0, 3.0));
        gpu_vs_cpu(&format!("silu_mul {shape:?}"), 1e-5, 1e-5, |dev| {
            ops::silu_mul(&f32s(dev, &shape, &gate), &f32s(dev, &shape, &up)).unwrap()
        });
        gpu_vs_cpu(&format!("gelu {shape:?}"), 1e-5, 1e-5, |dev| ops::gelu(&f32s(dev, &shape, &gate)).unwrap());
    }
}

#[test]
fn pooling_gpu_matches_cpu_on_odd_shapes() {
    let mut rng = Rng::new(5);
    for d in DIMS {
        let (b, t) = (1 + rng.below(4), 1 + rng.below(9));
        let x = rng.vec(b * t * d, -2.0, 2.0);
        // Left-aligned masks of random length, one row possibly all padding.
        let mut mask = Vec::with_capacity(b * t);
        for _ in 0..b {
            let len = rng.below(t + 1);
            mask.extend((0..t).map(|i| if i < len { 1.0f32 } else { 0.0 }));
        }
        gpu_vs_cpu(&format!("mean_pool [{b}, {t}, {d}]"), 1e-6, 1e-5, |dev| {
            ops::mean_pool(&f32s(dev, &[b, t, d], &x), &f32s(dev, &[b, t], &mask)).unwrap()
        });
    }
}

#[test]
fn rope_gpu_matches_cpu_on_odd_shapes() {
    let mut rng = Rng::new(9);
    let heads_dims = [(1, 2, 2), (3, 8, 6), (2, 64, 64), (4, 67, 32), (2, 128, 128), (1, 96, 64)];
    for (heads, head_dim, rope_dim) in heads_dims {
        let m = 1 + rng.below(9);
        let x = rng.vec(m * heads * head_dim, -2.0, 2.0);
        let pos: Vec<u32> = (0..m).map(|_| rng.below(8192) as u32).collect();
        for style in [RopeStyle::Norm, RopeStyle::Neox] {
            let what = format!("rope {style:?} [{m}, {heads}, {head_dim}] rope_dim {rope_dim}");
            gpu_vs_cpu(&what, 1e-4, 0.0, |dev| {
                let p = Tensor::from_u32(dev, &[m], &pos).unwrap();
                ops::rope(&f32s(dev, &[m, heads, head_dim], &x), &p, 100_000.0, rope_dim, 1.0, style).unwrap()
            });
        }
    }
}

#[test]
fn rope_keeps_norms_and_position_zero_is_identity() {
    let mut rng = Rng::new(13);
    let x = rng.vec(2 * 3 * 10, -1.0, 1.0);
    for d in [Some(Device::Cpu), gpu()].into_iter().flatten() {
        let pos = Tensor::from_u32(&d, &[2], &[0, 4097]).unwrap();
        for style in [RopeStyle::Norm, RopeStyle::Neox] {
            let y = host(ops::rope(&f32s(&d, &[2, 3, 10], &x), &pos, 10_000.0, 8, 1.0, style).unwrap());
            all_close("position 0", &y[..30], &x[..30], 0.0, 0.0);
            all_close("unrotated tail", &y[38..40], &x[38..40], 0.0, 0.0);
            let norm = |v: &[f32]| v.iter().map(|a| a * a).sum::<f32>();
            assert!((norm(&y[30..]) - norm(&x[30..])).abs() < 1e-4, "{style:?} rotation changed the norm on {d:?}");
            assert!(all_differ(&y[30..38], &x[30..38]), "{style:?} did not rotate position 4097 on {d:?}");
        }
    }
}

fn all_differ(a: &[f32], b: &[f32]) -> bool {
    a.iter().zip(b).any(|(x, y)| (x - y).abs() > 1e-3)
}

fn code<T: std::fmt::Debug>(r: webreward::Result<T>) -> &'static str {
    r.unwrap_err().code()
}

fn assert_norm_errors(d: &Device) {
    let x = f32s(d, &[2, 4], &[1.0; 8]);
    let w4 = f32s(d, &[4], &[1.0; 4]);
    let w3 = f32s(d, &[3], &[1.0; 3]);
    let ids = Tensor::from_u32(d, &[2, 4], &[1; 8]).unwrap();
    assert_eq!(code(ops::rms_norm(&x, &w3, 1e-5)), "SHAPE_MISMATCH");
    assert_eq!(code(ops::layer_norm(&x, &w4, &w3, 1e-5)), "SHAPE_MISMATCH");
    for eps in [0.0, -1e-5, f32::NAN, f32::INFINITY] {
        assert_eq!(code(ops::rms_norm(&x, &w4, eps)), "INVALID_ARGUMENT", "eps {eps}");
        assert_eq!(code(ops::layer_norm(&x, &w4, &w4, eps)), "INVALID_ARGUMENT", "eps {eps}");
    }
    assert_eq!(code(ops::rms_norm(&ids, &w4, 1e-5)), "UNSUPPORTED_DTYPE");
    assert_eq!(code(ops::softmax(&ids)), "UNSUPPORTED_DTYPE");
    assert_eq!(code(ops::l2_normalize(&ids)), "UNSUPPORTED_DTYPE");
    assert_eq!(code(ops::gelu(&ids)), "UNSUPPORTED_DTYPE");
    assert_eq!(code(ops::silu_mul(&x, &ids)), "UNSUPPORTED_DTYPE");
    assert_eq!(code(ops::silu_mul(&x, &f32s(d, &[8], &[1.0; 8]))), "SHAPE_MISMATCH");
    // Zero-size tensors cannot be built, so no op ever sees one.
    assert_eq!(code(Tensor::from_f32(d, &[0, 4], &[])), "EMPTY_INPUT");
    let x3 = f32s(d, &[1, 2, 4], &[1.0; 8]);
    assert_eq!(code(ops::mean_pool(&x, &x)), "SHAPE_MISMATCH");
    assert_eq!(code(ops::mean_pool(&x3, &f32s(d, &[1, 3], &[1.0; 3]))), "SHAPE_MISMATCH");
    assert_eq!(code(ops::mean_pool(&x3, &Tensor::from_u32(d, &[1, 2], &[1, 1]).unwrap())), "UNSUPPORTED_DTYPE");
}

fn assert_rope_errors(d: &Device) {
    let x = f32s(d, &[2, 1, 8], &[1.0; 16]);
    let pos = Tensor::from_u32(d, &[2], &[0, 1]).unwrap();
    let norm = RopeStyle::Norm;
    for rope_dim in [0, 3, 10] {
        assert_eq!(code(ops::rope(&x, &pos, 1e4, rope_dim, 1.0, norm)), "INVALID_ARGUMENT", "rope_dim {rope_dim}");
    }
    for (base, scale) in [(0.0, 1.0), (f32::NAN, 1.0), (1e4, 0.0), (1e4, f32::INFINITY)] {
        assert_eq!(code(ops::rope(&x, &pos, base, 8, scale, norm)), "INVALID_ARGUMENT", "{base} {scale}");
    }
    let pos3 = Tensor::from_u32(d, &[3], &[0, 1, 2]).unwrap();
    assert_eq!(code(ops::rope(&x, &pos3, 1e4, 8, 1.0, norm)), "SHAPE_MISMATCH");
    assert_eq!(code(ops::rope(&x, &f32s(d, &[2], &[0.0, 1.0]), 1e4, 8, 1.0, norm)), "UNSUPPORTED_DTYPE");
    assert_eq!(code(ops::rope(&f32s(d, &[2, 8], &[1.0; 16]), &pos, 1e4, 8, 1.0, norm)), "SHAPE_MISMATCH");
}

#[test]
fn bad_inputs_are_typed_errors_and_the_device_still_works() {
    for d in [Some(Device::Cpu), gpu()].into_iter().flatten() {
        assert_norm_errors(&d);
        assert_rope_errors(&d);
        let x = f32s(&d, &[2, 3], &[1.0, 2.0, 2.0, 0.0, 0.0, 0.0]);
        let y = host(ops::l2_normalize(&x).unwrap());
        all_close("l2_normalize after errors", &y, &[1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 0.0, 0.0, 0.0], 1e-6, 0.0);
        d.check().unwrap();
    }
    if let Some(gpu) = gpu() {
        let x = f32s(&gpu, &[2, 4], &[1.0; 8]);
        let w = f32s(&Device::Cpu, &[4], &[1.0; 4]);
        assert_eq!(code(ops::rms_norm(&x, &w, 1e-5)), "DEVICE_MISMATCH");
        let pos = Tensor::from_u32(&Device::Cpu, &[2], &[0, 1]).unwrap();
        let x3 = x.reshape(&[2, 1, 4]).unwrap();
        assert_eq!(code(ops::rope(&x3, &pos, 1e4, 4, 1.0, RopeStyle::Neox)), "DEVICE_MISMATCH");
    }
}
