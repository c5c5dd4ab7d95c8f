//! Quantized weights and matmul/embedding: our quantizer's bytes equal gguf-py's (llama.cpp's Python reference),
//! the CPU product equals an f64 product of the dequantized weights, and the GPU equals the CPU on odd shapes,
//! several m and weights split over several buffers.

mod common;
use common::*;
use webreward::quant::{quantize_row, QuantType, Weight};
use webreward::{ops, Device, Tensor};

const TYPES: [QuantType; 5] = [QuantType::F32, QuantType::F16, QuantType::Q8_0, QuantType::Q4_0, QuantType::Q4_1];

fn reference(x: &[f32], w: &[f32], m: usize, rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0f32; m * rows];
    for i in 0..m {
        for r in 0..rows {
            out[i * rows + r] = (0..cols).map(|c| x[i * cols + c] as f64 * w[r * cols + c] as f64).sum::<f64>() as f32;
        }
    }
    out
}

fn run(d: &Device, w: &Weight, x: &[f32], m: usize) -> Vec<f32> {
    let t = Tensor::from_f32(d, &[m, w.cols()], x).unwrap();
    block_on(ops::matmul(&t, w).unwrap().to_vec_f32()).unwrap()
}

#[test]
fn matmul_cpu_matches_f64_reference_and_gpu_matches_cpu() {
    let gpu = gpu();
    let mut rng = Rng::new(7);
    for t in TYPES {
        for &(rows, cols) in &[(1, 32), (67, 96), (130, 64), (5, 576)] {
            let cols = if matches!(t, QuantType::F32 | QuantType::F16) && rows == 67 { 95 } else { cols };
            let values = rng.vec(rows * cols, -1.0, 1.0);
            let cpu_w = Weight::from_f32(&Device::Cpu, t, rows, cols, &values).unwrap();
            let deq = cpu_w.dequantize().unwrap();
            for m in [1, 2, 7, 16, 17, 64] {
                let x = rng.vec(m * cols, -1.0, 1.0);
                let cpu = run(&Device::Cpu, &cpu_w, &x, m);
                all_close(&format!("{t:?} cpu {rows}x{cols} m{m}"), &cpu, &reference(&x, &deq, m, rows, cols), 1e-4, 1e-4);
                if let Some(g) = &gpu {
                    let gw = Weight::from_f32(g, t, rows, cols, &values).unwrap();
                    all_close(&format!("{t:?} gpu {rows}x{cols} m{m}"), &run(g, &gw, &x, m), &cpu, 1e-4, 1e-4);
                }
            }
        }
    }
}

#[test]
fn split_weights_and_embedding_match_cpu() {
    let Some(g) = gpu() else { return };
    let g = &g;
    let mut rng = Rng::new(9);
    for t in TYPES {
        let (rows, cols) = (70, 64);
        let values = rng.vec(rows * cols, -2.0, 2.0);
        let cpu_w = Weight::from_f32(&Device::Cpu, t, rows, cols, &values).unwrap();
        let bytes: Vec<u8> = values.chunks(cols).flat_map(|r| quantize_row(t, r)).collect();
        // 300-byte chunks force many buffers (a few rows each).
        let split = Weight::from_raw_chunked(g, t, rows, cols, &bytes, Some(300)).unwrap();
        let x = rng.vec(3 * cols, -1.0, 1.0);
        all_close(&format!("{t:?} split"), &run(g, &split, &x, 3), &run(&Device::Cpu, &cpu_w, &x, 3), 1e-4, 1e-4);
        let ids = [0u32, 69, 3, 3, 41];
        let e = |d: &Device, w: &Weight| {
            block_on(ops::embedding(w, &Tensor::from_u32(d, &[5], &ids).unwrap()).unwrap().to_vec_f32()).unwrap()
        };
        let want = e(&Device::Cpu, &cpu_w);
        all_close(&format!("{t:?} embedding"), &e(g, &split), &want, 0.0, 0.0);
        let deq = cpu_w.dequantize().unwrap();
        assert_eq!(&want[cols..2 * cols], &deq[69 * cols..70 * cols]);
    }
}

#[test]
fn all_zero_block_and_quantizer_rounding() {
    for t in [QuantType::Q8_0, QuantType::Q4_0, QuantType::Q4_1] {
        let w = Weight::from_f32(&Device::Cpu, t, 1, 32, &[0.0; 32]).unwrap();
        assert_eq!(w.dequantize().unwrap(), vec![0.0; 32]);
    }
    // Q8_0 of a ramp: scale = max / 127, codes = round(x / scale).
    let x: Vec<f32> = (0..32).map(|i| i as f32 / 31.0).collect();
    let b = quantize_row(QuantType::Q8_0, &x);
    assert_eq!(b[2 + 31] as i8, 127);
    assert_eq!(b[2 + 16] as i8, (16.0f32 / 31.0 * 127.0).round() as i8);
}

#[test]
fn bad_input_is_typed_and_device_survives() {
    for d in [Some(Device::Cpu), gpu()].into_iter().flatten() {
        let w = Weight::from_f32(&d, QuantType::Q4_1, 4, 64, &[0.5; 256]).unwrap();
        assert_eq!(Weight::from_raw(&d, QuantType::Q4_1, 4, 64, &[0; 10]).unwrap_err().code(), "SHAPE_MISMATCH");
        assert_eq!(Weight::from_f32(&d, QuantType::Q4_1, 1, 33, &[0.0; 33]).unwrap_err().code(), "INVALID_ARGUMENT");
        assert_eq!(Weight::from_f32(&d, QuantType::Q8_0, 1, 32, &[f32::NAN; 32]).unwrap_err().code(), "INVALID_ARGUMENT");
        assert_eq!(Weight::from_raw(&d, QuantType::F32, 0, 4, &[]).unwrap_err().code(), "EMPTY_INPUT");
        let x = Tensor::from_f32(&d, &[2, 32], &[1.0; 64]).unwrap();
        assert_eq!(ops::matmul(&x, &w).unwrap_err().code(), "SHAPE_MISMATCH");
        let ids = Tensor::from_u32(&d, &[64], &[1; 64]).unwrap();
        assert_eq!(ops::matmul(&ids.reshape(&[1, 64]).unwrap(), &w).unwrap_err().code(), "UNSUPPORTED_DTYPE");
        assert_eq!(ops::embedding(&w, &x).unwrap_err().code(), "UNSUPPORTED_DTYPE");
        let other = if d.is_gpu() { Device::Cpu } else { gpu().unwrap_or(Device::Cpu) };
        if !other.same(&d) {
            let xo = Tensor::from_f32(&other, &[1, 64], &[1.0; 64]).unwrap();
            assert_eq!(ops::matmul(&xo, &w).unwrap_err().code(), "DEVICE_MISMATCH");
        }
        if !d.is_gpu() {
            let bad = Tensor::from_u32(&d, &[1], &[4]).unwrap();
            assert_eq!(ops::embedding(&w, &bad).unwrap_err().code(), "INVALID_ARGUMENT");
        }
        let ok = Tensor::from_f32(&d, &[1, 64], &[1.0; 64]).unwrap();
        let y = block_on(ops::matmul(&ok, &w).unwrap().to_vec_f32()).unwrap();
        assert!(y.iter().all(|v| (v - 32.0).abs() < 0.1), "{y:?}");
    }
}

#[test]
fn quantize_and_dequantize_equal_gguf_py() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/quant/gguf_quants.json");
    let f: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array().unwrap().iter().map(|b| f32::from_bits(b.as_u64().unwrap() as u32)).collect()
    };
    let (rows, cols) = (f["rows"].as_u64().unwrap() as usize, f["cols"].as_u64().unwrap() as usize);
    let x = floats(&f["input_bits"]);
    let types = f["types"].as_object().unwrap();
    assert_eq!(types.len(), 4);
    for (name, t) in [("F16", QuantType::F16), ("Q8_0", QuantType::Q8_0), ("Q4_0", QuantType::Q4_0), ("Q4_1", QuantType::Q4_1)] {
        let hex = types[name]["bytes_hex"].as_str().unwrap();
        let want: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        let ours: Vec<u8> = x.chunks(cols).flat_map(|r| quantize_row(t, r)).collect();
        let diff = ours.iter().zip(&want).position(|(a, b)| a != b);
        assert_eq!((ours.len(), diff), (want.len(), None), "{name}: quantized bytes differ from gguf-py");
        let w = Weight::from_raw(&Device::Cpu, t, rows, cols, &want).unwrap();
        let deq = w.dequantize().unwrap();
        let want_deq = floats(&types[name]["dequant_bits"]);
        for (i, (a, b)) in deq.iter().zip(&want_deq).enumerate() {
            assert_eq!(a.to_bits(), b.to_bits(), "{name} dequantized value {i}: {a} vs gguf-py {b}");
        }
    }
}

#[test]
fn ggml_ids_map_to_types_and_others_are_typed_errors() {
    for t in TYPES {
        assert_eq!(QuantType::from_ggml_id(t.id()).unwrap(), t);
    }
    assert_eq!((QuantType::Q4_1.block_size(), QuantType::Q4_1.block_bytes()), (32, 20));
    assert_eq!((QuantType::Q8_0.block_size(), QuantType::Q8_0.block_bytes()), (32, 34));
    assert_eq!((QuantType::F16.block_size(), QuantType::F16.block_bytes()), (1, 2));
    let e = QuantType::from_ggml_id(14).unwrap_err();
    assert_eq!(e.code(), "UNSUPPORTED_DTYPE");
    assert!(e.to_string().contains("Q6_K"), "{e}");
}
