//! GGUF v2/v3 reader (format: ggml-org/ggml `docs/gguf.md`): header, metadata of every value type, tensor table,
//! data section. It borrows the file bytes and never copies tensor data: native callers memory-map the file
//! (`Gguf::open`), the browser copies its ArrayBuffer into wasm memory once, or streams tensors one by one using
//! [`GgufHeader::parse`] on a prefix and each tensor's absolute byte range. It does not dequantize.

mod tensor;
mod value;

use std::collections::HashMap;

pub use tensor::{GgmlType, TensorInfo, TensorRef};
pub use value::Value;

use value::Cursor;

/// "GGUF" read as a little-endian u32.
const MAGIC: [u8; 4] = *b"GGUF";
/// Used when `general.alignment` is absent (spec default).
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// No real model has more; larger counts in a header are corruption.
const MAX_TENSORS: u64 = 1 << 20;
const MAX_KVS: u64 = 1 << 20;

/// Errors of the GGUF layer; `code()` is stable and surfaces through `crate::Error::code`.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("GGUF truncated: {what} needs bytes {start}..{end} but the input has {len} bytes")]
    Truncated {
        what: String,
        start: u64,
        end: u64,
        len: u64,
    },
    #[error("tensor {name}: data {start}..{end} past end of file ({len} bytes)")]
    TensorPastEnd {
        name: String,
        start: u64,
        end: u64,
        len: u64,
    },
    #[error("not a GGUF file: magic {0:02x?} (expected \"GGUF\")")]
    BadMagic([u8; 4]),
    #[error("unsupported GGUF version {0} (supported: 2, 3)")]
    UnsupportedVersion(u32),
    #[error("GGUF metadata key {0} is missing")]
    MissingKey(String),
    #[error("GGUF metadata key {key}: expected {expected}, found {found}")]
    WrongType {
        key: String,
        expected: &'static str,
        found: String,
    },
    #[error(
        "tensor {tensor}: ggml type {type_name} (id {type_id}) is not supported (supported: F32, F16, Q8_0, Q4_0, Q4_1)"
    )]
    UnsupportedQuant {
        tensor: String,
        type_id: u32,
        type_name: &'static str,
    },
    #[error("GGUF has no tensor named {0}")]
    MissingTensor(String),
    #[error("invalid GGUF: {0}")]
    Invalid(String),
    #[error("cannot read GGUF file {path}: {msg}")]
    Io { path: String, msg: String },
}

impl GgufError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            GgufError::Truncated { .. } | GgufError::TensorPastEnd { .. } => "GGUF_TRUNCATED",
            GgufError::BadMagic(_) => "GGUF_BAD_MAGIC",
            GgufError::UnsupportedVersion(_) => "GGUF_UNSUPPORTED_VERSION",
            GgufError::MissingKey(_) => "GGUF_MISSING_KEY",
            GgufError::WrongType { .. } => "GGUF_WRONG_TYPE",
            GgufError::UnsupportedQuant { .. } => "GGUF_UNSUPPORTED_QUANT",
            GgufError::MissingTensor(_) => "GGUF_MISSING_TENSOR",
            GgufError::Invalid(_) => "GGUF_INVALID",
            GgufError::Io { .. } => "GGUF_IO",
        }
    }
}

/// Everything before the data section: parseable from a prefix of the file.
#[derive(Debug, Clone)]
pub struct GgufHeader {
    pub version: u32,
    /// Metadata in file order.
    pub metadata: Vec<(String, Value)>,
    index: HashMap<String, usize>,
    pub tensors: Vec<TensorInfo>,
    tensor_index: HashMap<String, usize>,
    pub alignment: u64,
    /// Absolute offset of the data section (end of tensor infos rounded up to `alignment`).
    pub data_offset: u64,
}

impl GgufHeader {
    /// Parses the header from `prefix` (the whole file or just its first bytes). If the prefix ends inside the
    /// header the error is `Truncated` with `end` = bytes needed so far, so a streaming caller can fetch more.
    pub fn parse(prefix: &[u8]) -> Result<GgufHeader, GgufError> {
        let mut c = Cursor::new(prefix);
        let magic: [u8; 4] = c.take(4, &|| "magic".into())?.try_into().unwrap_or([0; 4]);
        if magic != MAGIC {
            return Err(GgufError::BadMagic(magic));
        }
        let version = c.u32(&|| "version".into())?;
        if !(2..=3).contains(&version) {
            return Err(GgufError::UnsupportedVersion(version));
        }
        let n_tensors = c.u64(&|| "tensor count".into())?;
        let n_kv = c.u64(&|| "metadata count".into())?;
        if n_tensors > MAX_TENSORS || n_kv > MAX_KVS {
            return Err(GgufError::Invalid(format!(
                "absurd counts: {n_tensors} tensors, {n_kv} metadata entries"
            )));
        }
        let (metadata, index) = parse_metadata(&mut c, n_kv)?;
        let alignment = match metadata_lookup(&metadata, &index, "general.alignment") {
            None => DEFAULT_ALIGNMENT,
            Some(v) => match v.as_integer() {
                Some(a) if a > 0 && a <= 1 << 16 && (a as u64).is_power_of_two() => a as u64,
                _ => {
                    return Err(GgufError::Invalid(format!(
                        "general.alignment {v:?} is not a power of two"
                    )));
                }
            },
        };
        let (tensors, tensor_index) = parse_tensor_infos(&mut c, n_tensors, alignment)?;
        let data_offset = (c.pos as u64).div_ceil(alignment) * alignment;
        Ok(GgufHeader {
            version,
            metadata,
            index,
            tensors,
            tensor_index,
            alignment,
            data_offset,
        })
    }

    /// The raw metadata value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        metadata_lookup(&self.metadata, &self.index, key)
    }

    /// The tensor info of `name`.
    pub fn tensor_info(&self, name: &str) -> Result<&TensorInfo, GgufError> {
        self.tensor_index
            .get(name)
            .and_then(|&i| self.tensors.get(i))
            .filter(|t| t.name == name)
            .ok_or_else(|| GgufError::MissingTensor(name.to_string()))
    }

    /// Absolute byte range of a tensor's data in the file (for streaming tensors to the GPU one by one).
    pub fn tensor_range(&self, info: &TensorInfo) -> std::ops::Range<u64> {
        let start = self.data_offset + info.offset;
        start..start + info.byte_size
    }

    /// End of the last tensor's data: the minimum file length this header implies.
    pub fn data_end(&self) -> u64 {
        self.tensors
            .iter()
            .map(|t| self.tensor_range(t).end)
            .max()
            .unwrap_or(self.data_offset)
    }

    /// Checks every tensor's data lies inside a file of `file_len` bytes.
    pub fn check_file_len(&self, file_len: u64) -> Result<(), GgufError> {
        for t in &self.tensors {
            let r = self.tensor_range(t);
            if r.end > file_len {
                return Err(GgufError::TensorPastEnd {
                    name: t.name.clone(),
                    start: r.start,
                    end: r.end,
                    len: file_len,
                });
            }
        }
        Ok(())
    }

    fn typed<'s, T>(
        &'s self,
        key: &str,
        expected: &'static str,
        f: impl Fn(&'s Value) -> Option<T>,
    ) -> Result<T, GgufError> {
        let v = self.get(key).ok_or_else(|| GgufError::MissingKey(key.to_string()))?;
        f(v).ok_or_else(|| GgufError::WrongType {
            key: key.to_string(),
            expected,
            found: describe(v),
        })
    }

    /// A u32 (or any integer type whose value fits a u32: converters vary between u32 and i32).
    pub fn get_u32(&self, key: &str) -> Result<u32, GgufError> {
        self.typed(key, "u32", |v| v.as_integer().and_then(|i| u32::try_from(i).ok()))
    }

    /// A u64 (or any non-negative integer).
    pub fn get_u64(&self, key: &str) -> Result<u64, GgufError> {
        self.typed(key, "u64", |v| v.as_integer().and_then(|i| u64::try_from(i).ok()))
    }

    /// An f32 (f64 values are narrowed).
    pub fn get_f32(&self, key: &str) -> Result<f32, GgufError> {
        self.typed(key, "f32", |v| match *v {
            Value::F32(x) => Some(x),
            Value::F64(x) => Some(x as f32),
            _ => None,
        })
    }

    pub fn get_bool(&self, key: &str) -> Result<bool, GgufError> {
        self.typed(key, "bool", |v| if let Value::Bool(b) = *v { Some(b) } else { None })
    }

    pub fn get_str(&self, key: &str) -> Result<&str, GgufError> {
        self.typed(key, "string", |v| {
            if let Value::String(s) = v {
                Some(s.as_str())
            } else {
                None
            }
        })
    }

    /// The elements of an array value (any element type).
    pub fn get_array(&self, key: &str) -> Result<&[Value], GgufError> {
        self.typed(key, "array", |v| {
            if let Value::Array(_, items) = v {
                Some(items.as_slice())
            } else {
                None
            }
        })
    }

    pub fn get_str_array(&self, key: &str) -> Result<Vec<&str>, GgufError> {
        self.typed(key, "array of string", |v| match v {
            Value::Array(8, items) => items
                .iter()
                .map(|s| {
                    if let Value::String(s) = s {
                        Some(s.as_str())
                    } else {
                        None
                    }
                })
                .collect(),
            _ => None,
        })
    }

    /// An integer array (any integer element type) as i64 values.
    pub fn get_i64_array(&self, key: &str) -> Result<Vec<i64>, GgufError> {
        self.typed(key, "array of integer", |v| match v {
            Value::Array(_, items) => items
                .iter()
                .map(|x| x.as_integer().and_then(|i| i64::try_from(i).ok()))
                .collect(),
            _ => None,
        })
    }

    pub fn get_f32_array(&self, key: &str) -> Result<Vec<f32>, GgufError> {
        self.typed(key, "array of f32", |v| match v {
            Value::Array(6, items) => items
                .iter()
                .map(|x| if let Value::F32(f) = *x { Some(f) } else { None })
                .collect(),
            _ => None,
        })
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Array(elem, items) => format!("array of {} ({} items)", value::type_name_of(*elem), items.len()),
        other => other.type_name().to_string(),
    }
}

fn metadata_lookup<'a>(
    metadata: &'a [(String, Value)],
    index: &HashMap<String, usize>,
    key: &str,
) -> Option<&'a Value> {
    // `get` + name check: the pub vectors may have been edited after parsing.
    index
        .get(key)
        .and_then(|&i| metadata.get(i))
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v)
}

type Metadata = (Vec<(String, Value)>, HashMap<String, usize>);

fn parse_metadata(c: &mut Cursor<'_>, n_kv: u64) -> Result<Metadata, GgufError> {
    // Each entry needs at least 12 bytes (key length + value type): bound the allocation by what remains.
    if n_kv.saturating_mul(12) > c.remaining() {
        let start = c.pos as u64;
        let len = start + c.remaining();
        return Err(GgufError::Truncated {
            what: format!("{n_kv} metadata entries"),
            start,
            end: start + n_kv * 12,
            len,
        });
    }
    let mut metadata = Vec::with_capacity(n_kv as usize);
    let mut index = HashMap::with_capacity(n_kv as usize);
    for i in 0..n_kv {
        let key = c.string(&|| format!("metadata key #{i}"))?;
        let ty = c.u32(&|| format!("metadata {key}: value type"))?;
        let value = c.value(ty, &|| format!("metadata {key}"), 0)?;
        if index.insert(key.clone(), metadata.len()).is_some() {
            return Err(GgufError::Invalid(format!("duplicate metadata key {key}")));
        }
        metadata.push((key, value));
    }
    Ok((metadata, index))
}

fn parse_tensor_infos(
    c: &mut Cursor<'_>,
    n: u64,
    alignment: u64,
) -> Result<(Vec<TensorInfo>, HashMap<String, usize>), GgufError> {
    // Each info needs at least 8 (name) + 4 (n_dims) + 4 (type) + 8 (offset) bytes.
    if n.saturating_mul(24) > c.remaining() {
        let start = c.pos as u64;
        let len = start + c.remaining();
        return Err(GgufError::Truncated {
            what: format!("{n} tensor infos"),
            start,
            end: start + n * 24,
            len,
        });
    }
    let mut tensors = Vec::with_capacity(n as usize);
    let mut index = HashMap::with_capacity(n as usize);
    for i in 0..n {
        let info = TensorInfo::read(c, i, alignment)?;
        if index.insert(info.name.clone(), tensors.len()).is_some() {
            return Err(GgufError::Invalid(format!("duplicate tensor name {}", info.name)));
        }
        tensors.push(info);
    }
    Ok((tensors, index))
}

/// A parsed GGUF over its bytes `B` (a borrowed slice, a `Vec<u8>`, or a memory map). All tensor ranges are
/// checked against the byte length at construction, so `tensor()` cannot read out of bounds.
pub struct Gguf<B: AsRef<[u8]>> {
    pub header: GgufHeader,
    bytes: B,
}

impl<'a> Gguf<&'a [u8]> {
    /// Parses a whole GGUF file held in memory.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, GgufError> {
        Gguf::from_bytes(bytes)
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Gguf<memmap2::Mmap> {
    /// Memory-maps and parses a file (native only); the map lives as long as the returned value.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Self, GgufError> {
        let path = path.as_ref();
        let io = |e: std::io::Error| GgufError::Io {
            path: path.display().to_string(),
            msg: e.to_string(),
        };
        let file = std::fs::File::open(path).map_err(io)?;
        // SAFETY: the map is read-only; like every mmap reader we assume the file is not truncated while open.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        Gguf::from_bytes(map)
    }
}

impl<B: AsRef<[u8]>> Gguf<B> {
    /// Parses the header from `bytes` and checks every tensor's data range against its length.
    pub fn from_bytes(bytes: B) -> Result<Self, GgufError> {
        let header = GgufHeader::parse(bytes.as_ref())?;
        header.check_file_len(bytes.as_ref().len() as u64)?;
        Ok(Gguf { header, bytes })
    }

    /// A supported tensor's metadata and data bytes; other ggml types fail with `UnsupportedQuant`.
    pub fn tensor(&self, name: &str) -> Result<TensorRef<'_>, GgufError> {
        let info = self.header.tensor_info(name)?;
        let qtype = info.qtype()?;
        let r = self.header.tensor_range(info);
        // Checked by `check_file_len` at construction; checked again because `header` is public.
        let bytes = self.bytes.as_ref();
        let past_end = || GgufError::TensorPastEnd {
            name: info.name.clone(),
            start: r.start,
            end: r.end,
            len: bytes.len() as u64,
        };
        let data = usize::try_from(r.start)
            .ok()
            .zip(usize::try_from(r.end).ok())
            .and_then(|(a, b)| bytes.get(a..b))
            .ok_or_else(past_end)?;
        Ok(TensorRef {
            name: &info.name,
            dims: &info.dims,
            qtype,
            data,
        })
    }

    /// The whole file's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.as_ref()
    }
}

impl<B: AsRef<[u8]>> std::ops::Deref for Gguf<B> {
    type Target = GgufHeader;
    fn deref(&self) -> &GgufHeader {
        &self.header
    }
}
