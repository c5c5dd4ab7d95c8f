//! Dense activations: f32 (or u32 token ids) in row-major order, on the CPU as ndarray arrays, on the GPU as pooled
//! storage buffers. Quantized weights are a separate type (`Weight`), since they are only ever op operands.

use std::sync::Arc;

use ndarray::{ArcArray, ArrayD, IxDyn};

use crate::device::Device;
use crate::error::{Error, Result};
use crate::gpu::PooledBuffer;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    F32,
    U32,
}

#[derive(Clone)]
pub enum CpuStorage {
    F32(ArcArray<f32, IxDyn>),
    U32(ArcArray<u32, IxDyn>),
}

#[derive(Clone)]
pub enum Storage {
    Cpu(CpuStorage),
    Gpu(Arc<PooledBuffer>),
}

/// A dense tensor. Cloning shares the storage.
#[derive(Clone)]
pub struct Tensor {
    shape: Vec<usize>,
    dtype: DType,
    storage: Storage,
    device: Device,
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor({:?}, {:?}, {:?})", self.shape, self.dtype, self.device)
    }
}

fn check_len(op: &'static str, shape: &[usize], len: usize) -> Result<()> {
    let n: usize = shape.iter().product();
    if shape.is_empty() || n == 0 {
        return Err(Error::Empty { op, what: "tensor with zero elements" });
    }
    if n != len {
        return Err(Error::shape(op, shape, format!("{len} elements")));
    }
    Ok(())
}

impl Tensor {
    /// A tensor holding `data` with `shape` on `device`.
    pub fn from_f32(device: &Device, shape: &[usize], data: &[f32]) -> Result<Tensor> {
        check_len("tensor", shape, data.len())?;
        let storage = match device {
            Device::Cpu => Storage::Cpu(CpuStorage::F32(
                ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).map_err(|e| Error::invalid("tensor", e.to_string()))?.into_shared(),
            )),
            Device::Gpu(g) => Storage::Gpu(Arc::new(g.upload("tensor", bytemuck::cast_slice(data))?)),
        };
        Ok(Tensor { shape: shape.to_vec(), dtype: DType::F32, storage, device: device.clone() })
    }

    /// A tensor of u32 ids with `shape` on `device`.
    pub fn from_u32(device: &Device, shape: &[usize], data: &[u32]) -> Result<Tensor> {
        check_len("tensor", shape, data.len())?;
        let storage = match device {
            Device::Cpu => Storage::Cpu(CpuStorage::U32(
                ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).map_err(|e| Error::invalid("tensor", e.to_string()))?.into_shared(),
            )),
            Device::Gpu(g) => Storage::Gpu(Arc::new(g.upload("tensor", bytemuck::cast_slice(data))?)),
        };
        Ok(Tensor { shape: shape.to_vec(), dtype: DType::U32, storage, device: device.clone() })
    }

    /// Wraps a CPU array.
    pub fn from_array(a: ArrayD<f32>) -> Result<Tensor> {
        check_len("tensor", a.shape(), a.len())?;
        Ok(Tensor { shape: a.shape().to_vec(), dtype: DType::F32, storage: Storage::Cpu(CpuStorage::F32(a.into_shared())), device: Device::Cpu })
    }

    /// Wraps a CPU array of ids.
    pub fn from_array_u32(a: ArrayD<u32>) -> Result<Tensor> {
        check_len("tensor", a.shape(), a.len())?;
        Ok(Tensor { shape: a.shape().to_vec(), dtype: DType::U32, storage: Storage::Cpu(CpuStorage::U32(a.into_shared())), device: Device::Cpu })
    }

    /// A tensor of zeros on `device`.
    pub fn zeros(device: &Device, shape: &[usize]) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        match device {
            Device::Cpu => Tensor::from_array(ArrayD::zeros(IxDyn(shape))),
            Device::Gpu(_) => {
                if n == 0 {
                    return Err(Error::Empty { op: "zeros", what: "tensor with zero elements" });
                }
                let t = Tensor::gpu_uninit(device, "zeros", shape, DType::F32)?;
                let g = device.gpu_context().ok_or(Error::DeviceMismatch { op: "zeros" })?;
                g.write(t.gpu_buffer("zeros")?, 0, &vec![0u8; n * 4]);
                Ok(t)
            }
        }
    }

    /// An uninitialised GPU tensor, for kernels to write into.
    pub(crate) fn gpu_uninit(device: &Device, op: &'static str, shape: &[usize], dtype: DType) -> Result<Tensor> {
        let g = device.gpu_context().ok_or(Error::DeviceMismatch { op })?;
        let n: usize = shape.iter().product();
        if n == 0 {
            return Err(Error::Empty { op, what: "output with zero elements" });
        }
        let buf = g.alloc(op, n as u64 * 4)?;
        Ok(Tensor { shape: shape.to_vec(), dtype, storage: Storage::Gpu(Arc::new(buf)), device: device.clone() })
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    pub fn elem_count(&self) -> usize {
        self.shape.iter().product()
    }

    /// The same data under another shape with as many elements.
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        if n != self.elem_count() {
            return Err(Error::shape("reshape", &self.shape, shape));
        }
        let storage = match &self.storage {
            Storage::Cpu(CpuStorage::F32(a)) => Storage::Cpu(CpuStorage::F32(
                a.as_standard_layout().into_owned().into_shape_with_order(IxDyn(shape)).map_err(|e| Error::invalid("reshape", e.to_string()))?.into_shared(),
            )),
            Storage::Cpu(CpuStorage::U32(a)) => Storage::Cpu(CpuStorage::U32(
                a.as_standard_layout().into_owned().into_shape_with_order(IxDyn(shape)).map_err(|e| Error::invalid("reshape", e.to_string()))?.into_shared(),
            )),
            Storage::Gpu(b) => Storage::Gpu(b.clone()),
        };
        Ok(Tensor { shape: shape.to_vec(), dtype: self.dtype, storage, device: self.device.clone() })
    }

    /// Rows `start..start + len` of the tensor viewed as [rows, last dim] (a copy; on the GPU a recorded copy).
    pub fn narrow_rows(&self, start: usize, len: usize) -> Result<Tensor> {
        let op = "narrow_rows";
        let (rows, cols) = self.rows_cols();
        if len == 0 || start + len > rows {
            return Err(Error::invalid(op, format!("rows {start}..{} of {rows}", start + len)));
        }
        match &self.storage {
            Storage::Cpu(CpuStorage::F32(a)) => {
                let flat: Vec<f32> = a.iter().skip(start * cols).take(len * cols).copied().collect();
                Tensor::from_f32(&Device::Cpu, &[len, cols], &flat)
            }
            Storage::Cpu(CpuStorage::U32(a)) => {
                let flat: Vec<u32> = a.iter().skip(start * cols).take(len * cols).copied().collect();
                Tensor::from_u32(&Device::Cpu, &[len, cols], &flat)
            }
            Storage::Gpu(b) => {
                let out = Tensor::gpu_uninit(&self.device, op, &[len, cols], self.dtype)?;
                let g = self.device.gpu_context().ok_or(Error::DeviceMismatch { op })?;
                g.copy(b.buffer(), (start * cols * 4) as u64, out.gpu_buffer(op)?, 0, (len * cols * 4) as u64);
                Ok(out)
            }
        }
    }

    /// The tensor viewed as [rows, cols] stacked `n` times: [n * rows, cols].
    pub fn repeat_rows(&self, n: usize) -> Result<Tensor> {
        let op = "repeat_rows";
        let (rows, cols) = self.rows_cols();
        if n == 0 {
            return Err(Error::Empty { op, what: "zero repeats" });
        }
        let shape = [n * rows, cols];
        match &self.storage {
            Storage::Cpu(CpuStorage::F32(a)) => {
                let flat: Vec<f32> = a.iter().copied().collect();
                Tensor::from_f32(&Device::Cpu, &shape, &flat.repeat(n))
            }
            Storage::Cpu(CpuStorage::U32(a)) => {
                let flat: Vec<u32> = a.iter().copied().collect();
                Tensor::from_u32(&Device::Cpu, &shape, &flat.repeat(n))
            }
            Storage::Gpu(b) => {
                let out = Tensor::gpu_uninit(&self.device, op, &shape, self.dtype)?;
                let g = self.device.gpu_context().ok_or(Error::DeviceMismatch { op })?;
                let bytes = (rows * cols * 4) as u64;
                for i in 0..n as u64 {
                    g.copy(b.buffer(), 0, out.gpu_buffer(op)?, i * bytes, bytes);
                }
                Ok(out)
            }
        }
    }

    /// `(rows, cols)` of a tensor viewed as a matrix over its last dimension.
    pub fn rows_cols(&self) -> (usize, usize) {
        let cols = *self.shape.last().unwrap_or(&1);
        (self.elem_count() / cols.max(1), cols)
    }

    /// The CPU f32 array; `DeviceMismatch` if the tensor is elsewhere.
    pub fn cpu_f32(&self, op: &'static str) -> Result<&ArcArray<f32, IxDyn>> {
        match &self.storage {
            Storage::Cpu(CpuStorage::F32(a)) => Ok(a),
            Storage::Cpu(CpuStorage::U32(_)) => Err(Error::UnsupportedDType { op, dtype: "u32".into() }),
            Storage::Gpu(_) => Err(Error::DeviceMismatch { op }),
        }
    }

    /// The CPU f32 array for in-place writes (copies only if the storage is shared).
    pub(crate) fn cpu_f32_mut(&mut self, op: &'static str) -> Result<&mut ArcArray<f32, IxDyn>> {
        match &mut self.storage {
            Storage::Cpu(CpuStorage::F32(a)) => Ok(a),
            Storage::Cpu(CpuStorage::U32(_)) => Err(Error::UnsupportedDType { op, dtype: "u32".into() }),
            Storage::Gpu(_) => Err(Error::DeviceMismatch { op }),
        }
    }

    /// The CPU u32 array; `DeviceMismatch` if the tensor is elsewhere.
    pub fn cpu_u32(&self, op: &'static str) -> Result<&ArcArray<u32, IxDyn>> {
        match &self.storage {
            Storage::Cpu(CpuStorage::U32(a)) => Ok(a),
            Storage::Cpu(CpuStorage::F32(_)) => Err(Error::UnsupportedDType { op, dtype: "f32".into() }),
            Storage::Gpu(_) => Err(Error::DeviceMismatch { op }),
        }
    }

    /// The GPU buffer; `DeviceMismatch` if the tensor is elsewhere.
    pub fn gpu_buffer(&self, op: &'static str) -> Result<&wgpu::Buffer> {
        match &self.storage {
            Storage::Gpu(b) => Ok(b.buffer()),
            Storage::Cpu(_) => Err(Error::DeviceMismatch { op }),
        }
    }

    /// `Ok` when `dtype` matches.
    pub fn expect_dtype(&self, op: &'static str, dtype: DType) -> Result<()> {
        if self.dtype != dtype {
            return Err(Error::UnsupportedDType { op, dtype: format!("{:?}", self.dtype) });
        }
        Ok(())
    }

    /// Copies the values to the host (awaits the GPU).
    pub async fn to_vec_f32(&self) -> Result<Vec<f32>> {
        self.expect_dtype("to_vec_f32", DType::F32)?;
        match &self.storage {
            Storage::Cpu(CpuStorage::F32(a)) => Ok(a.iter().copied().collect()),
            Storage::Cpu(CpuStorage::U32(_)) => unreachable!("dtype checked"),
            Storage::Gpu(b) => self.read_gpu(b).await.map(|v| bytemuck::cast_slice(&v).to_vec()),
        }
    }

    /// Copies the ids to the host (awaits the GPU).
    pub async fn to_vec_u32(&self) -> Result<Vec<u32>> {
        self.expect_dtype("to_vec_u32", DType::U32)?;
        match &self.storage {
            Storage::Cpu(CpuStorage::U32(a)) => Ok(a.iter().copied().collect()),
            Storage::Cpu(CpuStorage::F32(_)) => unreachable!("dtype checked"),
            Storage::Gpu(b) => self.read_gpu(b).await.map(|v| bytemuck::cast_slice(&v).to_vec()),
        }
    }

    async fn read_gpu(&self, b: &PooledBuffer) -> Result<Vec<u8>> {
        let g = self.device.gpu_context().ok_or(Error::DeviceMismatch { op: "read" })?;
        g.read(b.buffer(), 0, self.elem_count() as u64 * 4).await
    }

    /// The same values on `device`.
    pub async fn to_device(&self, device: &Device) -> Result<Tensor> {
        if self.device.same(device) {
            return Ok(self.clone());
        }
        match self.dtype {
            DType::F32 => Tensor::from_f32(device, &self.shape, &self.to_vec_f32().await?),
            DType::U32 => Tensor::from_u32(device, &self.shape, &self.to_vec_u32().await?),
        }
    }
}

/// Fails unless every tensor lives on `device`.
pub(crate) fn same_device(op: &'static str, device: &Device, ts: &[&Tensor]) -> Result<()> {
    if ts.iter().all(|t| t.device().same(device)) { Ok(()) } else { Err(Error::DeviceMismatch { op }) }
}
