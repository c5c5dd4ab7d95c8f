//! GGUF metadata values and the bounds-checked little-endian cursor that reads them.
//! Every length or count read from the file is checked against the bytes that remain before anything is allocated,
//! so a corrupted header fails with a typed error instead of an out-of-memory abort.

use super::GgufError;

/// Nested arrays deeper than this are rejected (llama.cpp never writes more than one level).
const MAX_ARRAY_DEPTH: usize = 8;

/// One metadata value; the variant is the GGUF value type (spec: ggml/docs/gguf.md, `gguf_metadata_value_type`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(String),
    /// Element type id and the elements (all of that type; arrays may nest).
    Array(u32, Vec<Value>),
    U64(u64),
    I64(i64),
    F64(f64),
}

impl Value {
    /// The GGUF type name, used in `WrongType` errors.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Array(..) => "array",
            other => type_name_of(other.type_id()),
        }
    }

    /// The GGUF value type id (0..=12).
    pub fn type_id(&self) -> u32 {
        match self {
            Value::U8(_) => 0,
            Value::I8(_) => 1,
            Value::U16(_) => 2,
            Value::I16(_) => 3,
            Value::U32(_) => 4,
            Value::I32(_) => 5,
            Value::F32(_) => 6,
            Value::Bool(_) => 7,
            Value::String(_) => 8,
            Value::Array(..) => 9,
            Value::U64(_) => 10,
            Value::I64(_) => 11,
            Value::F64(_) => 12,
        }
    }

    /// Any integer variant widened to i128 (so u64 and i64 both fit); `None` for non-integers.
    pub fn as_integer(&self) -> Option<i128> {
        Some(match *self {
            Value::U8(v) => v.into(),
            Value::I8(v) => v.into(),
            Value::U16(v) => v.into(),
            Value::I16(v) => v.into(),
            Value::U32(v) => v.into(),
            Value::I32(v) => v.into(),
            Value::U64(v) => v.into(),
            Value::I64(v) => v.into(),
            _ => return None,
        })
    }
}

pub(crate) fn type_name_of(id: u32) -> &'static str {
    match id {
        0 => "u8",
        1 => "i8",
        2 => "u16",
        3 => "i16",
        4 => "u32",
        5 => "i32",
        6 => "f32",
        7 => "bool",
        8 => "string",
        9 => "array",
        10 => "u64",
        11 => "i64",
        12 => "f64",
        _ => "unknown",
    }
}

/// Smallest encoded size of one value of a type: used to reject absurd array counts before allocating.
fn min_encoded_size(id: u32) -> u64 {
    match id {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        8 => 8,
        9 => 12,
        _ => 8,
    }
}

/// A cursor over the header bytes; `len` is what the caller has (a prefix when parsing headers only).
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> u64 {
        (self.bytes.len() - self.pos) as u64
    }

    pub(crate) fn take(&mut self, n: u64, what: &dyn Fn() -> String) -> Result<&'a [u8], GgufError> {
        let start = self.pos as u64;
        let end = start.saturating_add(n);
        if end > self.bytes.len() as u64 {
            return Err(GgufError::Truncated {
                what: what(),
                start,
                end,
                len: self.bytes.len() as u64,
            });
        }
        self.pos = end as usize;
        Ok(&self.bytes[start as usize..end as usize])
    }

    fn array<const N: usize>(&mut self, what: &dyn Fn() -> String) -> Result<[u8; N], GgufError> {
        let s = self.take(N as u64, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    pub(crate) fn u32(&mut self, what: &dyn Fn() -> String) -> Result<u32, GgufError> {
        self.array::<4>(what).map(u32::from_le_bytes)
    }

    pub(crate) fn u64(&mut self, what: &dyn Fn() -> String) -> Result<u64, GgufError> {
        self.array::<8>(what).map(u64::from_le_bytes)
    }

    /// A GGUF string: u64 byte length, then UTF-8 bytes (no terminator).
    pub(crate) fn string(&mut self, what: &dyn Fn() -> String) -> Result<String, GgufError> {
        let len = self.u64(what)?;
        if len > self.remaining() {
            let start = self.pos as u64;
            let end = start.saturating_add(len);
            return Err(GgufError::Truncated {
                what: what(),
                start,
                end,
                len: self.bytes.len() as u64,
            });
        }
        let raw = self.take(len, what)?;
        String::from_utf8(raw.to_vec()).map_err(|_| GgufError::Invalid(format!("{}: string is not UTF-8", what())))
    }

    /// One value of type `ty`; `what` names the key for error messages.
    pub(crate) fn value(&mut self, ty: u32, what: &dyn Fn() -> String, depth: usize) -> Result<Value, GgufError> {
        Ok(match ty {
            0 => Value::U8(self.array::<1>(what)?[0]),
            1 => Value::I8(i8::from_le_bytes(self.array::<1>(what)?)),
            2 => Value::U16(u16::from_le_bytes(self.array::<2>(what)?)),
            3 => Value::I16(i16::from_le_bytes(self.array::<2>(what)?)),
            4 => Value::U32(self.u32(what)?),
            5 => Value::I32(i32::from_le_bytes(self.array::<4>(what)?)),
            6 => Value::F32(f32::from_le_bytes(self.array::<4>(what)?)),
            7 => match self.array::<1>(what)?[0] {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => {
                    return Err(GgufError::Invalid(format!(
                        "{}: bool byte {b} is neither 0 nor 1",
                        what()
                    )));
                }
            },
            8 => Value::String(self.string(what)?),
            9 => self.array_value(what, depth)?,
            10 => Value::U64(self.u64(what)?),
            11 => Value::I64(i64::from_le_bytes(self.array::<8>(what)?)),
            12 => Value::F64(f64::from_le_bytes(self.array::<8>(what)?)),
            other => return Err(GgufError::Invalid(format!("{}: unknown value type {other}", what()))),
        })
    }

    fn array_value(&mut self, what: &dyn Fn() -> String, depth: usize) -> Result<Value, GgufError> {
        if depth >= MAX_ARRAY_DEPTH {
            return Err(GgufError::Invalid(format!(
                "{}: arrays nested deeper than {MAX_ARRAY_DEPTH}",
                what()
            )));
        }
        let elem = self.u32(what)?;
        let count = self.u64(what)?;
        if elem > 12 {
            return Err(GgufError::Invalid(format!(
                "{}: unknown array element type {elem}",
                what()
            )));
        }
        // Reject counts the remaining bytes cannot hold before reserving memory for them.
        let need = count.saturating_mul(min_encoded_size(elem));
        if need > self.remaining() {
            let start = self.pos as u64;
            return Err(GgufError::Truncated {
                what: format!("{} ({count} x {})", what(), type_name_of(elem)),
                start,
                end: start.saturating_add(need),
                len: self.bytes.len() as u64,
            });
        }
        let mut items = Vec::with_capacity(count as usize);
        for _ in 0..count {
            items.push(self.value(elem, what, depth + 1)?);
        }
        Ok(Value::Array(elem, items))
    }
}
