//! Where tensors live and ops run: the CPU (ndarray, also the numerical reference) or a GPU through wgpu.

use std::sync::Arc;

use crate::error::Result;
use crate::gpu::GpuContext;

#[derive(Clone)]
pub enum Device {
    Cpu,
    Gpu(Arc<GpuContext>),
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Device::Cpu => write!(f, "Cpu"),
            Device::Gpu(g) => write!(f, "Gpu({} via {})", g.summary().name, g.summary().backend),
        }
    }
}

impl Device {
    /// The default GPU adapter, or `GpuUnavailable` with the reason.
    pub async fn gpu() -> Result<Self> {
        Ok(Device::Gpu(GpuContext::new().await?))
    }

    /// The GPU when there is one, else the CPU together with the reason it fell back.
    pub async fn auto() -> (Self, Option<String>) {
        match Self::gpu().await {
            Ok(d) => (d, None),
            Err(e) => (Device::Cpu, Some(e.to_string())),
        }
    }

    pub fn is_gpu(&self) -> bool {
        matches!(self, Device::Gpu(_))
    }

    pub fn gpu_context(&self) -> Option<&Arc<GpuContext>> {
        match self {
            Device::Gpu(g) => Some(g),
            Device::Cpu => None,
        }
    }

    /// Two devices are the same when both are the CPU or both are the same GPU context.
    pub fn same(&self, other: &Device) -> bool {
        match (self, other) {
            (Device::Cpu, Device::Cpu) => true,
            (Device::Gpu(a), Device::Gpu(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Submits recorded GPU work (no-op on the CPU).
    pub fn submit(&self) {
        if let Device::Gpu(g) = self {
            g.submit();
        }
    }

    /// Reports a device error or loss seen since the last check.
    pub fn check(&self) -> Result<()> {
        match self {
            Device::Gpu(g) => g.check(),
            Device::Cpu => Ok(()),
        }
    }
}
