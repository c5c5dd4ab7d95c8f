//! The WebGPU backend (wgpu: WebGPU in the browser, Vulkan/Metal/DX12 natively).

mod context;
mod defines;
mod pool;
mod shaders;

pub use context::{grid, whole, AdapterSummary, GpuContext, Kernel};
pub use defines::Defines;
pub use pool::PooledBuffer;
