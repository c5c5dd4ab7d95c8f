//! GGML block quantization (ggml `ggml-quants.c` reference functions): Q4_0, Q4_1 and Q8_0 store 32 values per
//! block with f16 scales; F16 and F32 are plain. Quantizing follows ggml's rounding exactly so our bytes equal
//! llama.cpp's; an all-zero block has scale 0 and decodes to zeros (no division by a zero scale).

mod weight;

pub use crate::formats::gguf::GgmlType as QuantType;
pub use weight::Weight;
pub(crate) use weight::gpu_words_per_row as weight_words_per_row;

use half::f16;

use crate::error::{Error, Result};

impl QuantType {
    /// The type of a GGML type id (0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 8 Q8_0); other ids are `UnsupportedDType` naming
    /// the ggml type, so a model with e.g. Q6_K tensors fails at load with a clear message.
    pub fn from_ggml_id(id: u32) -> Result<QuantType> {
        Ok(match id {
            0 => QuantType::F32,
            1 => QuantType::F16,
            2 => QuantType::Q4_0,
            3 => QuantType::Q4_1,
            8 => QuantType::Q8_0,
            _ => {
                const NAMES: [&str; 16] = [
                    "F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K",
                    "Q4_K", "Q5_K", "Q6_K", "Q8_K",
                ];
                let name = match id {
                    30 => "BF16",
                    _ => NAMES.get(id as usize).copied().unwrap_or("unknown"),
                };
                let dtype = format!("ggml type {name} (id {id}); supported: F32, F16, Q8_0, Q4_0, Q4_1");
                return Err(Error::UnsupportedDType { op: "quant", dtype });
            }
        })
    }

    /// Values per block (1 for F32/F16).
    pub fn block_size(self) -> usize {
        self.block().0 as usize
    }

    /// Bytes per block in the GGUF layout.
    pub fn block_bytes(self) -> usize {
        self.block().1 as usize
    }
}

/// Values per quantized block.
pub const QK: usize = 32;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct BlockQ4_0 {
    pub d: f16,
    pub qs: [u8; QK / 2],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct BlockQ4_1 {
    pub d: f16,
    pub m: f16,
    pub qs: [u8; QK / 2],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct BlockQ8_0 {
    pub d: f16,
    pub qs: [i8; QK],
}

const _: () = assert!(size_of::<BlockQ4_0>() == 18);
const _: () = assert!(size_of::<BlockQ4_1>() == 20);
const _: () = assert!(size_of::<BlockQ8_0>() == 34);

/// Bytes of a row of `cols` values; `None` when `cols` does not fill whole blocks.
pub fn row_bytes(t: QuantType, cols: usize) -> Option<usize> {
    let (per, bytes) = t.block();
    (cols % per as usize == 0).then(|| cols / per as usize * bytes as usize)
}

fn f16_at(b: &[u8], i: usize) -> f32 {
    f16::from_le_bytes([b[i], b[i + 1]]).to_f32()
}

/// Decodes one row (`src` = `row_bytes(t, out.len())` bytes) into `out`.
pub fn dequantize_row(t: QuantType, src: &[u8], out: &mut [f32]) {
    match t {
        QuantType::F32 => out.iter_mut().zip(src.chunks_exact(4)).for_each(|(o, c)| *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        QuantType::F16 => out.iter_mut().zip(src.chunks_exact(2)).for_each(|(o, c)| *o = f16::from_le_bytes([c[0], c[1]]).to_f32()),
        QuantType::Q8_0 => {
            for (o, b) in out.chunks_exact_mut(QK).zip(src.chunks_exact(34)) {
                let d = f16_at(b, 0);
                o.iter_mut().zip(&b[2..]).for_each(|(o, &q)| *o = q as i8 as f32 * d);
            }
        }
        QuantType::Q4_0 => {
            for (o, b) in out.chunks_exact_mut(QK).zip(src.chunks_exact(18)) {
                let d = f16_at(b, 0);
                for (j, &q) in b[2..].iter().enumerate() {
                    o[j] = ((q & 0x0F) as i32 - 8) as f32 * d;
                    o[j + 16] = ((q >> 4) as i32 - 8) as f32 * d;
                }
            }
        }
        QuantType::Q4_1 => {
            for (o, b) in out.chunks_exact_mut(QK).zip(src.chunks_exact(20)) {
                let (d, m) = (f16_at(b, 0), f16_at(b, 2));
                for (j, &q) in b[4..].iter().enumerate() {
                    o[j] = (q & 0x0F) as f32 * d + m;
                    o[j + 16] = (q >> 4) as f32 * d + m;
                }
            }
        }
    }
}

/// Encodes one row as ggml's reference quantizer does (`quantize_row_*_ref`).
pub fn quantize_row(t: QuantType, x: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(row_bytes(t, x.len()).unwrap_or(x.len() * 4));
    match t {
        QuantType::F32 => x.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        QuantType::F16 => x.iter().for_each(|v| out.extend_from_slice(&f16::from_f32(*v).to_le_bytes())),
        QuantType::Q8_0 => {
            for b in x.chunks(QK) {
                let amax = b.iter().fold(0f32, |a, v| a.max(v.abs()));
                let d = amax / 127.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
                b.iter().for_each(|v| out.push((v * id).round() as i8 as u8));
            }
        }
        QuantType::Q4_0 => {
            for b in x.chunks(QK) {
                let max = b.iter().fold(0f32, |m, &v| if v.abs() > m.abs() { v } else { m });
                let d = max / -8.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
                let q = |v: f32| ((v * id + 8.5) as i8).min(15) as u8;
                (0..16).for_each(|j| out.push(q(b[j]) | (q(b[j + 16]) << 4)));
            }
        }
        QuantType::Q4_1 => {
            for b in x.chunks(QK) {
                let min = b.iter().copied().fold(f32::INFINITY, f32::min);
                let max = b.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let d = (max - min) / 15.0;
                let id = if d != 0.0 { 1.0 / d } else { 0.0 };
                out.extend_from_slice(&f16::from_f32(d).to_le_bytes());
                out.extend_from_slice(&f16::from_f32(min).to_le_bytes());
                let q = |v: f32| (((v - min) * id + 0.5) as i8).min(15) as u8;
                (0..16).for_each(|j| out.push(q(b[j]) | (q(b[j + 16]) << 4)));
            }
        }
    }
    out
}
