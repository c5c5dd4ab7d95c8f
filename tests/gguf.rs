//! GGUF reader: the real SmolLM2 file (metadata, tensor table, types as shared/spec/MODELS.md says), truncation and
//! corruption at many points (typed errors, never a panic), and a v2 file written by a tiny writer here.

mod common;

use std::path::PathBuf;

use webreward::formats::gguf::{GgmlType, Gguf, GgufError, GgufHeader, Value};

const MODEL: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The model file, located by `common::model_file` (`$WEBREWARD_MODELS` or the setup cache).
fn model_path() -> PathBuf {
    common::model_file(MODEL)
}

#[test]
fn real_file_metadata() {
    let g = Gguf::open(model_path()).unwrap();
    assert_eq!(g.version, 3);
    assert_eq!(g.alignment, 32);
    assert_eq!(g.get_str("general.architecture").unwrap(), "llama");
    assert_eq!(g.get_u32("llama.block_count").unwrap(), 30);
    assert_eq!(g.get_u32("llama.embedding_length").unwrap(), 576);
    assert_eq!(g.get_u32("llama.feed_forward_length").unwrap(), 1536);
    assert_eq!(g.get_u32("llama.attention.head_count").unwrap(), 9);
    assert_eq!(g.get_u32("llama.attention.head_count_kv").unwrap(), 3);
    assert_eq!(g.get_u32("llama.context_length").unwrap(), 8192);
    assert_eq!(g.get_f32("llama.rope.freq_base").unwrap(), 100000.0);
    assert!((g.get_f32("llama.attention.layer_norm_rms_epsilon").unwrap() - 1e-5).abs() < 1e-9);
    assert_eq!(g.get_str_array("tokenizer.ggml.tokens").unwrap().len(), 49152);
    assert_eq!(g.get_str_array("tokenizer.ggml.merges").unwrap().len(), 48900);
    assert_eq!(g.get_str("tokenizer.ggml.model").unwrap(), "gpt2");
    assert!(
        g.get_str("tokenizer.chat_template")
            .unwrap()
            .contains("add_generation_prompt")
    );

    let e = g.get_str("llama.block_count").unwrap_err();
    assert_eq!(e.code(), "GGUF_WRONG_TYPE");
    assert!(e.to_string().contains("llama.block_count"), "{e}");
    let e = g.get_u32("no.such.key").unwrap_err();
    assert_eq!(e.code(), "GGUF_MISSING_KEY");
    assert!(e.to_string().contains("no.such.key"), "{e}");
    let e: webreward::Error = g.get_f32_array("general.name").unwrap_err().into();
    assert_eq!(e.code(), "GGUF_WRONG_TYPE");
}

#[test]
fn real_file_tensor_table() {
    let g = Gguf::open(model_path()).unwrap();
    assert_eq!(g.tensors.len(), 272);
    let count = |t: GgmlType| g.tensors.iter().filter(|i| i.qtype().ok() == Some(t)).count();
    assert_eq!(
        (count(GgmlType::Q4_1), count(GgmlType::F32), count(GgmlType::Q8_0)),
        (210, 61, 1)
    );
    let emb = g.tensor("token_embd.weight").unwrap();
    assert_eq!((emb.qtype, emb.dims), (GgmlType::Q8_0, &[576u64, 49152][..]));
    assert_eq!(emb.data.len() as u64, 576 * 49152 / 32 * 34);
    let up = g.tensor("blk.29.ffn_up.weight").unwrap();
    assert_eq!((up.qtype, up.dims), (GgmlType::Q4_1, &[576u64, 1536][..]));
    assert_eq!(up.data.len(), 576 * 1536 / 32 * 20);
    let norm = g.tensor("blk.0.attn_norm.weight").unwrap();
    assert_eq!(norm.qtype, GgmlType::F32);
    let w: Vec<f32> = norm
        .data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert!(w.iter().all(|x| x.is_finite()) && w.iter().any(|&x| x != 0.0));
    assert_eq!(
        g.tensor("blk.30.ffn_up.weight").unwrap_err().code(),
        "GGUF_MISSING_TENSOR"
    );

    // Ranges: aligned, disjoint, inside the file, ending at the file's end.
    let mut ranges: Vec<_> = g.tensors.iter().map(|t| g.tensor_range(t)).collect();
    ranges.sort_by_key(|r| r.start);
    assert!(ranges.iter().all(|r| r.start % 32 == 0));
    assert!(ranges.windows(2).all(|w| w[0].end <= w[1].start));
    assert_eq!(g.data_end(), g.bytes().len() as u64);
}

#[test]
fn header_only_parse_from_prefix() {
    let bytes = std::fs::read(model_path()).unwrap();
    let full = GgufHeader::parse(&bytes).unwrap();
    let prefix = &bytes[..full.data_offset as usize];
    let h = GgufHeader::parse(prefix).unwrap();
    assert_eq!(h.tensors, full.tensors);
    assert_eq!(h.data_offset, full.data_offset);
    let info = h.tensor_info("output_norm.weight").unwrap();
    let r = h.tensor_range(info);
    assert_eq!(r.end - r.start, 576 * 4);
    // Streaming tensor by tensor from the prefix's ranges gives the same bytes as the whole-file reader.
    let g = Gguf::parse(&bytes).unwrap();
    for info in &h.tensors {
        let r = h.tensor_range(info);
        assert_eq!(
            &bytes[r.start as usize..r.end as usize],
            g.tensor(&info.name).unwrap().data,
            "{}",
            info.name
        );
    }
    // Too short a prefix says how far it needed to read.
    match GgufHeader::parse(&bytes[..100_000]) {
        Err(GgufError::Truncated { end, len, .. }) => assert!(end > len && len == 100_000),
        other => panic!("expected Truncated, got {other:?}"),
    }
    // The whole-file parse refuses a file cut inside the data, naming the tensor.
    let e = Gguf::parse(&bytes[..bytes.len() - 1]).err().unwrap();
    assert_eq!(e.code(), "GGUF_TRUNCATED");
    assert!(e.to_string().contains("past end of file"), "{e}");
}

/// Every cut point fails with a typed error, and random byte corruption of the header never panics.
#[test]
fn truncation_and_corruption_never_panic() {
    let bytes = std::fs::read(model_path()).unwrap();
    let data_offset = GgufHeader::parse(&bytes).unwrap().data_offset as usize;
    let mut rng = Lcg(7);
    let mut cuts: Vec<usize> = (0..64).collect();
    cuts.extend((0..150).map(|_| rng.below(data_offset)));
    cuts.extend((0..30).map(|_| data_offset + rng.below(bytes.len() - data_offset)));
    for &cut in &cuts {
        let e = Gguf::parse(&bytes[..cut])
            .err()
            .unwrap_or_else(|| panic!("cut at {cut} parsed"));
        assert_eq!(e.code(), "GGUF_TRUNCATED", "cut at {cut}: {e}");
    }
    let mut header = bytes[..data_offset].to_vec();
    let (mut ok, mut err) = (0, 0);
    for _ in 0..150 {
        let pos = rng.below(data_offset);
        let old = header[pos];
        header[pos] = rng.next() as u8;
        match GgufHeader::parse(&header) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
        header[pos] = old;
    }
    assert!(err > 0 && ok + err == 150);
}

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A minimal GGUF writer (spec: ggml docs/gguf.md) for versions 2 and 3.
#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
}
impl Writer {
    fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend(v.to_le_bytes());
        self
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend(v.to_le_bytes());
        self
    }
    fn str(&mut self, s: &str) -> &mut Self {
        self.u64(s.len() as u64);
        self.buf.extend(s.as_bytes());
        self
    }
    fn kv(&mut self, key: &str, ty: u32, payload: &[u8]) -> &mut Self {
        self.str(key).u32(ty);
        self.buf.extend(payload);
        self
    }
    fn tensor(&mut self, name: &str, dims: &[u64], ty: u32, offset: u64) -> &mut Self {
        self.str(name).u32(dims.len() as u32);
        dims.iter().for_each(|&d| {
            self.u64(d);
        });
        self.u32(ty).u64(offset)
    }
}

fn gguf_str(s: &str) -> Vec<u8> {
    let mut v = (s.len() as u64).to_le_bytes().to_vec();
    v.extend(s.as_bytes());
    v
}

/// A v2 (or v3) file with every value type, a nested array, alignment 64 and three tensors (F32, Q4_0, Q6_K).
fn tiny_gguf(version: u32) -> Vec<u8> {
    let mut w = Writer::default();
    w.buf.extend(b"GGUF");
    w.u32(version).u64(3).u64(15);
    w.kv("u8", 0, &[200])
        .kv("i8", 1, &[0xFE])
        .kv("u16", 2, &515u16.to_le_bytes())
        .kv("i16", 3, &(-3i16).to_le_bytes());
    w.kv("u32", 4, &70000u32.to_le_bytes())
        .kv("i32", 5, &(-70000i32).to_le_bytes());
    w.kv("f32", 6, &1.5f32.to_le_bytes())
        .kv("bool", 7, &[1])
        .kv("str", 8, &gguf_str("héllo"));
    w.kv("u64", 10, &(1u64 << 40).to_le_bytes())
        .kv("i64", 11, &(-5i64).to_le_bytes())
        .kv("f64", 12, &2.25f64.to_le_bytes());
    let mut arr = 8u32.to_le_bytes().to_vec();
    arr.extend(2u64.to_le_bytes());
    arr.extend(gguf_str("a b"));
    arr.extend(gguf_str("ü"));
    w.kv("strs", 9, &arr);
    // [[1, 2], [3]] as an array of arrays of i32.
    let mut nested = 9u32.to_le_bytes().to_vec();
    nested.extend(2u64.to_le_bytes());
    for inner in [&[1i32, 2][..], &[3]] {
        nested.extend(5u32.to_le_bytes());
        nested.extend((inner.len() as u64).to_le_bytes());
        inner.iter().for_each(|x| nested.extend(x.to_le_bytes()));
    }
    w.kv("nested", 9, &nested);
    w.kv("general.alignment", 4, &64u32.to_le_bytes());
    w.tensor("a", &[3, 2], 0, 0)
        .tensor("b", &[32], 2, 64)
        .tensor("k", &[256], 14, 128);
    let data_start = w.buf.len().div_ceil(64) * 64;
    w.buf.resize(data_start, 0);
    (0..6).for_each(|i| w.buf.extend((i as f32).to_le_bytes()));
    w.buf.resize(data_start + 64, 0);
    w.buf.extend([7u8; 18]);
    w.buf.resize(data_start + 128, 0);
    w.buf.extend([9u8; 210]);
    w.buf
}

#[test]
fn written_v2_and_v3_files() {
    for version in [2, 3] {
        let bytes = tiny_gguf(version);
        let g = Gguf::parse(&bytes).unwrap();
        assert_eq!((g.version, g.alignment, g.data_offset % 64), (version, 64, 0));
        assert_eq!(g.get("u8"), Some(&Value::U8(200)));
        assert_eq!(g.get("i8"), Some(&Value::I8(-2)));
        assert_eq!(g.get("u16"), Some(&Value::U16(515)));
        assert_eq!(g.get("i16"), Some(&Value::I16(-3)));
        assert_eq!(g.get_u32("u32").unwrap(), 70000);
        assert_eq!(g.get("i32"), Some(&Value::I32(-70000)));
        assert_eq!(g.get_f32("f32").unwrap(), 1.5);
        assert!(g.get_bool("bool").unwrap());
        assert_eq!(g.get_str("str").unwrap(), "héllo");
        assert_eq!(g.get_u64("u64").unwrap(), 1 << 40);
        assert_eq!(g.get("i64"), Some(&Value::I64(-5)));
        assert_eq!(g.get("f64"), Some(&Value::F64(2.25)));
        assert_eq!(g.get_str_array("strs").unwrap(), vec!["a b", "ü"]);
        let nested = g.get_array("nested").unwrap();
        assert_eq!(nested[0], Value::Array(5, vec![Value::I32(1), Value::I32(2)]));
        assert_eq!(nested[1], Value::Array(5, vec![Value::I32(3)]));
        assert_eq!(g.get_u32("i32").unwrap_err().code(), "GGUF_WRONG_TYPE");
        assert_eq!(g.get_u32("i64").unwrap_err().code(), "GGUF_WRONG_TYPE");

        let a = g.tensor("a").unwrap();
        assert_eq!((a.qtype, a.dims, a.data.len()), (GgmlType::F32, &[3u64, 2][..], 24));
        assert_eq!(f32::from_le_bytes(a.data[20..24].try_into().unwrap()), 5.0);
        let b = g.tensor("b").unwrap();
        assert_eq!((b.qtype, b.data), (GgmlType::Q4_0, &[7u8; 18][..]));
        let e = g.tensor("k").unwrap_err();
        assert_eq!(e.code(), "GGUF_UNSUPPORTED_QUANT");
        assert!(e.to_string().contains("Q6_K") && e.to_string().contains('k'), "{e}");
        assert_eq!(g.tensor_range(g.tensor_info("k").unwrap()).end, bytes.len() as u64);
    }
}

#[test]
fn rejects_bad_headers() {
    let good = tiny_gguf(3);
    let mut bad = good.clone();
    bad[0] = b'X';
    assert_eq!(Gguf::parse(&bad).err().unwrap().code(), "GGUF_BAD_MAGIC");
    for v in [1u32, 4, 0xFFFF_FFFF] {
        let mut bad = good.clone();
        bad[4..8].copy_from_slice(&v.to_le_bytes());
        assert_eq!(Gguf::parse(&bad).err().unwrap().code(), "GGUF_UNSUPPORTED_VERSION");
    }
    // Absurd counts are rejected before allocating.
    for (at, v) in [(8, u64::MAX), (16, u64::MAX), (16, 1 << 19), (8, 1 << 19)] {
        let mut bad = good.clone();
        bad[at..at + 8].copy_from_slice(&v.to_le_bytes());
        assert!(Gguf::parse(&bad).is_err());
    }
    // A huge string length in the first key.
    let mut bad = good.clone();
    bad[24..32].copy_from_slice(&(u64::MAX - 3).to_le_bytes());
    assert_eq!(Gguf::parse(&bad).err().unwrap().code(), "GGUF_TRUNCATED");
    // Tensor data cut short names the tensor.
    let e = Gguf::parse(&good[..good.len() - 10]).err().unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "tensor k: data {}..{} past end of file ({} bytes)",
            good.len() - 210,
            good.len(),
            good.len() - 10
        )
    );
}
