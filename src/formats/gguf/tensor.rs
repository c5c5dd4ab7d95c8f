//! GGUF tensor infos and the ggml type table (ids and block sizes from ggml `ggml.h` / `ggml.c` `type_traits`).
//! Every ggml type's size is known so any file's byte ranges can be checked, but only the quant types this crate
//! has kernels for map to [`GgmlType`]; the rest fail with `UnsupportedQuant` naming the type.

use super::GgufError;
use super::value::Cursor;

/// ggml's GGML_MAX_DIMS.
const MAX_DIMS: u32 = 4;

/// The tensor types this crate can compute with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GgmlType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q8_0,
}

impl GgmlType {
    /// The ggml type id as stored in GGUF.
    pub fn id(self) -> u32 {
        match self {
            GgmlType::F32 => 0,
            GgmlType::F16 => 1,
            GgmlType::Q4_0 => 2,
            GgmlType::Q4_1 => 3,
            GgmlType::Q8_0 => 8,
        }
    }

    /// (elements per block, bytes per block).
    pub fn block(self) -> (u64, u64) {
        match ggml_type_traits(self.id()) {
            Some((_, b, s)) => (b, s),
            None => (1, 4),
        }
    }

    pub fn name(self) -> &'static str {
        ggml_type_name(self.id())
    }
}

/// (name, elements per block, bytes per block) of a ggml type id.
fn ggml_type_traits(id: u32) -> Option<(&'static str, u64, u64)> {
    Some(match id {
        0 => ("F32", 1, 4),
        1 => ("F16", 1, 2),
        2 => ("Q4_0", 32, 18),
        3 => ("Q4_1", 32, 20),
        6 => ("Q5_0", 32, 22),
        7 => ("Q5_1", 32, 24),
        8 => ("Q8_0", 32, 34),
        9 => ("Q8_1", 32, 36),
        10 => ("Q2_K", 256, 84),
        11 => ("Q3_K", 256, 110),
        12 => ("Q4_K", 256, 144),
        13 => ("Q5_K", 256, 176),
        14 => ("Q6_K", 256, 210),
        15 => ("Q8_K", 256, 292),
        16 => ("IQ2_XXS", 256, 66),
        17 => ("IQ2_XS", 256, 74),
        18 => ("IQ3_XXS", 256, 98),
        19 => ("IQ1_S", 256, 50),
        20 => ("IQ4_NL", 32, 18),
        21 => ("IQ3_S", 256, 110),
        22 => ("IQ2_S", 256, 82),
        23 => ("IQ4_XS", 256, 136),
        24 => ("I8", 1, 1),
        25 => ("I16", 1, 2),
        26 => ("I32", 1, 4),
        27 => ("I64", 1, 8),
        28 => ("F64", 1, 8),
        29 => ("IQ1_M", 256, 56),
        30 => ("BF16", 1, 2),
        34 => ("TQ1_0", 256, 54),
        35 => ("TQ2_0", 256, 66),
        39 => ("MXFP4", 32, 17),
        _ => return None,
    })
}

/// Name of a ggml type id ("unknown" if not in the table).
pub fn ggml_type_name(id: u32) -> &'static str {
    ggml_type_traits(id).map_or("unknown", |t| t.0)
}

/// One entry of the tensor table.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub name: String,
    /// ggml order: `dims[0]` is the contiguous (innermost) dimension.
    pub dims: Vec<u64>,
    /// Raw ggml type id.
    pub type_id: u32,
    /// Offset relative to the data section start (a multiple of the alignment).
    pub offset: u64,
    /// Bytes of data.
    pub byte_size: u64,
}

impl TensorInfo {
    pub(crate) fn read(c: &mut Cursor<'_>, i: u64, alignment: u64) -> Result<TensorInfo, GgufError> {
        let name = c.string(&|| format!("tensor info #{i}: name"))?;
        let what = || format!("tensor info {name}");
        let n_dims = c.u32(&what)?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(GgufError::Invalid(format!(
                "tensor {name}: {n_dims} dimensions (1..={MAX_DIMS} allowed)"
            )));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(c.u64(&what)?);
        }
        let type_id = c.u32(&what)?;
        let offset = c.u64(&what)?;
        let byte_size = data_size(&name, &dims, type_id)?;
        if offset % alignment != 0 {
            return Err(GgufError::Invalid(format!(
                "tensor {name}: offset {offset} not aligned to {alignment}"
            )));
        }
        if offset.checked_add(byte_size).is_none() {
            return Err(GgufError::Invalid(format!(
                "tensor {name}: offset {offset} + size {byte_size} overflows"
            )));
        }
        Ok(TensorInfo {
            name,
            dims,
            type_id,
            offset,
            byte_size,
        })
    }

    /// Number of elements.
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }

    /// The supported quant type, or `UnsupportedQuant` naming the ggml type (e.g. Q6_K).
    pub fn qtype(&self) -> Result<GgmlType, GgufError> {
        Ok(match self.type_id {
            0 => GgmlType::F32,
            1 => GgmlType::F16,
            2 => GgmlType::Q4_0,
            3 => GgmlType::Q4_1,
            8 => GgmlType::Q8_0,
            id => {
                return Err(GgufError::UnsupportedQuant {
                    tensor: self.name.clone(),
                    type_id: id,
                    type_name: ggml_type_name(id),
                });
            }
        })
    }
}

/// Byte size of a tensor, rejecting unknown types, overflow and rows that do not fill whole blocks.
fn data_size(name: &str, dims: &[u64], type_id: u32) -> Result<u64, GgufError> {
    let Some((type_name, block, type_size)) = ggml_type_traits(type_id) else {
        return Err(GgufError::Invalid(format!(
            "tensor {name}: unknown ggml type id {type_id}"
        )));
    };
    let n = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n < 1 << 48)
        .ok_or_else(|| GgufError::Invalid(format!("tensor {name}: absurd dims {dims:?}")))?;
    if !dims[0].is_multiple_of(block) {
        return Err(GgufError::Invalid(format!(
            "tensor {name}: row length {} is not a multiple of the {type_name} block size {block}",
            dims[0]
        )));
    }
    Ok(n / block * type_size)
}

/// A supported tensor borrowed from the file.
#[derive(Debug, Clone, Copy)]
pub struct TensorRef<'a> {
    pub name: &'a str,
    /// ggml order (innermost first).
    pub dims: &'a [u64],
    pub qtype: GgmlType,
    /// The raw blocks, exactly `byte_size` bytes.
    pub data: &'a [u8],
}
