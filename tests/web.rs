//! Browser tier (wasm-bindgen-test in headless Chromium with WebGPU): the WebGPU kernels against the CPU path
//! compiled to wasm (SIMD128), a CPU-only check, and a typed error after which the device still works.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;
use webreward::quant::{QuantType, Weight};
use webreward::{ops, Device, Tensor};

wasm_bindgen_test_configure!(run_in_browser);

/// Deterministic pseudo-random data in [-1, 1) (SplitMix64), no dependency.
fn data(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

async fn gpu() -> Device {
    match Device::gpu().await {
        Ok(d) => d,
        Err(e) => panic!("WebGPU required in the browser tier: {e}"),
    }
}

async fn host(t: webreward::Result<Tensor>) -> Vec<f32> {
    let t = t.expect("op");
    t.device().submit();
    t.to_vec_f32().await.expect("readback")
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// Runs `f` on the GPU and on the CPU with the same f32 inputs and compares within `tol`.
async fn compare(name: &str, shapes: &[&[usize]], tol: f32, f: impl Fn(&[Tensor]) -> webreward::Result<Tensor>) {
    let g = gpu().await;
    let inputs: Vec<Vec<f32>> = shapes.iter().enumerate().map(|(i, s)| data(s.iter().product(), 7 + i as u64)).collect();
    let on = |d: &Device| -> Vec<Tensor> {
        shapes.iter().zip(&inputs).map(|(s, v)| Tensor::from_f32(d, s, v).expect("upload")).collect()
    };
    let got = host(f(&on(&g)[..])).await;
    let want = host(f(&on(&Device::Cpu)[..])).await;
    let d = max_diff(&got, &want);
    console_log!("{name}: max |gpu - cpu| = {d:e}");
    assert!(d <= tol, "{name}: max diff {d} > {tol}");
}

#[wasm_bindgen_test]
async fn add_mul_gpu_vs_cpu() {
    compare("add", &[&[5, 67], &[5, 67]], 0.0, |t| ops::add(&t[0], &t[1])).await;
    compare("mul", &[&[1031], &[1031]], 0.0, |t| ops::mul(&t[0], &t[1])).await;
}

#[wasm_bindgen_test]
async fn rms_norm_softmax_gpu_vs_cpu() {
    compare("rms_norm", &[&[3, 130], &[130]], 1e-5, |t| ops::rms_norm(&t[0], &t[1], 1e-5)).await;
    compare("softmax", &[&[4, 259]], 1e-6, |t| ops::softmax(&t[0])).await;
}

#[wasm_bindgen_test]
async fn matmul_q8_gpu_vs_cpu() {
    let (rows, cols) = (37, 96);
    let w = data(rows * cols, 3);
    let g = gpu().await;
    let run = |d: Device| {
        let w = w.clone();
        async move {
            let wq = Weight::from_f32(&d, QuantType::Q8_0, rows, cols, &w).expect("weight");
            let x = Tensor::from_f32(&d, &[3, cols], &data(3 * cols, 5)).expect("x");
            host(ops::matmul(&x, &wq)).await
        }
    };
    let d = max_diff(&run(g).await, &run(Device::Cpu).await);
    console_log!("matmul q8_0: max |gpu - cpu| = {d:e}");
    assert!(d <= 1e-4, "matmul diff {d}");
}

#[wasm_bindgen_test]
async fn argmax_gpu_equals_cpu() {
    let g = gpu().await;
    let v = data(3 * 1000, 11);
    let mut ids = Vec::new();
    for d in [g, Device::Cpu] {
        let t = ops::argmax(&Tensor::from_f32(&d, &[3, 1000], &v).expect("logits")).expect("argmax");
        d.submit();
        ids.push(t.to_vec_u32().await.expect("ids"));
    }
    assert_eq!(ids[0], ids[1]);
}

#[wasm_bindgen_test]
async fn cpu_path_in_wasm() {
    let c = Device::Cpu;
    let a = Tensor::from_f32(&c, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).expect("a");
    let b = Tensor::from_f32(&c, &[2, 3], &[0.5, -1.0, 2.0, 0.0, 1.0, -2.0]).expect("b");
    let s = host(ops::add(&a, &b)).await;
    let p = host(ops::mul(&a, &b)).await;
    for i in 0..6 {
        let (x, y) = ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0][i], [0.5, -1.0, 2.0, 0.0, 1.0, -2.0][i]);
        assert_eq!((s[i], p[i]), (x + y, x * y), "element {i}");
    }
    let sm = host(ops::softmax(&a)).await;
    assert!((sm[..3].iter().sum::<f32>() - 1.0).abs() < 1e-6);
}

#[wasm_bindgen_test]
async fn typed_error_then_device_still_works() {
    let g = gpu().await;
    let a = Tensor::from_f32(&g, &[2, 3], &[1.0; 6]).expect("a");
    let b = Tensor::from_f32(&g, &[3, 2], &[1.0; 6]).expect("b");
    let err = ops::add(&a, &b).expect_err("shape mismatch must be an error");
    assert_eq!(err.code(), "SHAPE_MISMATCH");
    let c = Tensor::from_f32(&Device::Cpu, &[2, 3], &[1.0; 6]).expect("c");
    assert_eq!(ops::add(&a, &c).expect_err("device mismatch").code(), "DEVICE_MISMATCH");
    assert_eq!(host(ops::add(&a, &a)).await, vec![2.0; 6]);
    g.check().expect("device healthy");
}
