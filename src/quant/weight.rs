//! A weight matrix [rows = out features, cols = in features] in a GGML type. On the CPU it keeps the GGUF bytes;
//! on the GPU it is repacked at upload into 4-byte-aligned buffers (quants as u32 words, scales and mins as f32 in
//! their own array) and split into row chunks that each fit one storage binding.

use std::sync::Arc;

use half::f16;

use super::{dequantize_row, quantize_row, row_bytes, QuantType, QK};
use crate::device::Device;
use crate::error::{Error, Result};

/// One row range of a GPU weight with its own buffers.
pub struct GpuChunk {
    pub row_start: usize,
    pub rows: usize,
    /// Quants as u32 words (F32 bits, packed f16 pairs, or 4/8-bit codes).
    pub quants: wgpu::Buffer,
    /// Per-block scale (Q4_0, Q8_0) or (scale, min) pairs (Q4_1); a 4-byte dummy for F32/F16.
    pub scales: wgpu::Buffer,
}

enum Repr {
    Cpu(Arc<Vec<u8>>),
    Gpu(Vec<GpuChunk>),
}

pub struct Weight {
    qtype: QuantType,
    rows: usize,
    cols: usize,
    device: Device,
    repr: Repr,
}

impl std::fmt::Debug for Weight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Weight({:?}, {}x{}, {:?})", self.qtype, self.rows, self.cols, self.device)
    }
}

/// u32 words per row on the GPU: F16 rows are padded to an even count.
pub(crate) fn gpu_words_per_row(t: QuantType, cols: usize) -> usize {
    match t {
        QuantType::F32 => cols,
        QuantType::F16 => cols.div_ceil(2),
        QuantType::Q4_0 | QuantType::Q4_1 => cols / QK * 4,
        QuantType::Q8_0 => cols / QK * 8,
    }
}

/// Splits one row's GGUF bytes into (quant words, scales).
fn repack_row(t: QuantType, row: &[u8], words: &mut Vec<u32>, scales: &mut Vec<f32>) {
    let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let h = |b: &[u8]| f16::from_le_bytes([b[0], b[1]]).to_f32();
    match t {
        QuantType::F32 => words.extend(row.chunks_exact(4).map(word)),
        QuantType::F16 => {
            let mut pairs = row.chunks(4).map(|c| if c.len() == 4 { word(c) } else { u16::from_le_bytes([c[0], c[1]]) as u32 });
            words.extend(&mut pairs);
        }
        QuantType::Q4_0 | QuantType::Q8_0 => {
            let bs = if t == QuantType::Q4_0 { 18 } else { 34 };
            for b in row.chunks_exact(bs) {
                scales.push(h(b));
                words.extend(b[2..].chunks_exact(4).map(word));
            }
        }
        QuantType::Q4_1 => {
            for b in row.chunks_exact(20) {
                scales.extend([h(b), h(&b[2..])]);
                words.extend(b[4..].chunks_exact(4).map(word));
            }
        }
    }
}

impl Weight {
    /// A weight from GGUF bytes (row-major blocks). `cols` must fill whole blocks.
    pub fn from_raw(device: &Device, qtype: QuantType, rows: usize, cols: usize, bytes: &[u8]) -> Result<Weight> {
        Self::from_raw_chunked(device, qtype, rows, cols, bytes, None)
    }

    /// Like `from_raw`, with an explicit per-chunk byte limit (tests force splitting with a small one).
    #[doc(hidden)]
    pub fn from_raw_chunked(
        device: &Device,
        qtype: QuantType,
        rows: usize,
        cols: usize,
        bytes: &[u8],
        chunk_limit: Option<u64>,
    ) -> Result<Weight> {
        let op = "weight";
        if rows == 0 || cols == 0 {
            return Err(Error::Empty { op, what: "weight with zero rows or columns" });
        }
        let rb = row_bytes(qtype, cols)
            .ok_or_else(|| Error::invalid(op, format!("{} columns are not a multiple of the {qtype:?} block", cols)))?;
        if bytes.len() != rb * rows {
            return Err(Error::shape(op, format!("{} bytes for {rows}x{cols} {qtype:?}", rb * rows), bytes.len()));
        }
        let repr = match device {
            Device::Cpu => Repr::Cpu(Arc::new(bytes.to_vec())),
            Device::Gpu(g) => {
                let limit = chunk_limit.unwrap_or(g.max_binding()).max(4);
                let row_word_bytes = gpu_words_per_row(qtype, cols) as u64 * 4;
                let per_chunk = ((limit / row_word_bytes.max(1)) as usize).max(1);
                if row_word_bytes > limit {
                    return Err(Error::TooLarge { op, what: "weight row", size: row_word_bytes, limit });
                }
                let mut chunks = Vec::new();
                for row_start in (0..rows).step_by(per_chunk) {
                    let n = per_chunk.min(rows - row_start);
                    let (mut words, mut scales) = (Vec::new(), Vec::new());
                    for row in bytes[row_start * rb..(row_start + n) * rb].chunks_exact(rb) {
                        repack_row(qtype, row, &mut words, &mut scales);
                    }
                    if scales.is_empty() {
                        scales.push(0.0);
                    }
                    let quants = g.upload_static(op, bytemuck::cast_slice(&words))?;
                    let scales = g.upload_static(op, bytemuck::cast_slice(&scales))?;
                    chunks.push(GpuChunk { row_start, rows: n, quants, scales });
                }
                Repr::Gpu(chunks)
            }
        };
        Ok(Weight { qtype, rows, cols, device: device.clone(), repr })
    }

    /// Quantizes f32 values (row-major [rows, cols]) with ggml's reference rounding.
    pub fn from_f32(device: &Device, qtype: QuantType, rows: usize, cols: usize, values: &[f32]) -> Result<Weight> {
        if values.len() != rows * cols {
            return Err(Error::shape("weight", rows * cols, values.len()));
        }
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(Error::invalid("weight", format!("non-finite value {v} in weights")));
        }
        if row_bytes(qtype, cols).is_none() {
            return Err(Error::invalid("weight", format!("{cols} columns are not a multiple of the {qtype:?} block")));
        }
        let bytes: Vec<u8> = values.chunks(cols).flat_map(|r| quantize_row(qtype, r)).collect();
        Self::from_raw(device, qtype, rows, cols, &bytes)
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn qtype(&self) -> QuantType {
        self.qtype
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The GGUF bytes of a CPU weight.
    pub fn cpu_bytes(&self, op: &'static str) -> Result<&[u8]> {
        match &self.repr {
            Repr::Cpu(b) => Ok(b),
            Repr::Gpu(_) => Err(Error::DeviceMismatch { op }),
        }
    }

    /// The chunks of a GPU weight.
    pub fn gpu_chunks(&self, op: &'static str) -> Result<&[GpuChunk]> {
        match &self.repr {
            Repr::Gpu(c) => Ok(c),
            Repr::Cpu(_) => Err(Error::DeviceMismatch { op }),
        }
    }

    /// Bytes of one row in the GGUF layout.
    pub fn row_bytes(&self) -> usize {
        row_bytes(self.qtype, self.cols).unwrap_or(0)
    }

    /// All values as f32 (CPU weights only).
    pub fn dequantize(&self) -> Result<Vec<f32>> {
        let bytes = self.cpu_bytes("dequantize")?;
        let mut out = vec![0f32; self.rows * self.cols];
        for (o, r) in out.chunks_exact_mut(self.cols).zip(bytes.chunks_exact(self.row_bytes())) {
            dequantize_row(self.qtype, r, o);
        }
        Ok(out)
    }
}
