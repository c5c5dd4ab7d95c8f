//! A pool of storage buffers keyed by size class. Reusing a buffer while earlier GPU work still reads it is safe:
//! WebGPU orders every queue operation, so a later dispatch writing the buffer runs after the earlier reads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) const STORAGE_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

/// Buffers are allocated at a size class so that similar requests share them: powers of two up to 1 MiB,
/// then whole MiBs.
pub(crate) fn size_class(bytes: u64) -> u64 {
    let b = bytes.max(256);
    if b <= 1 << 20 { b.next_power_of_two() } else { b.div_ceil(1 << 20) << 20 }
}

#[derive(Default)]
pub(crate) struct BufferPool {
    free: Mutex<HashMap<u64, Vec<wgpu::Buffer>>>,
}

impl BufferPool {
    pub(crate) fn take(&self, device: &wgpu::Device, bytes: u64) -> wgpu::Buffer {
        let class = size_class(bytes);
        if let Some(b) = self.free.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&class).and_then(Vec::pop) {
            return b;
        }
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("pooled"),
            size: class,
            usage: STORAGE_USAGE,
            mapped_at_creation: false,
        })
    }

    pub(crate) fn give(&self, buf: wgpu::Buffer) {
        self.free.lock().unwrap_or_else(|e| e.into_inner()).entry(buf.size()).or_default().push(buf);
    }

    /// Bytes held by idle buffers.
    pub(crate) fn idle_bytes(&self) -> u64 {
        self.free.lock().unwrap_or_else(|e| e.into_inner()).values().flatten().map(|b| b.size()).sum()
    }
}

/// A pooled storage buffer that returns to its pool on drop.
pub struct PooledBuffer {
    buf: Option<wgpu::Buffer>,
    pool: Arc<BufferPool>,
}

impl PooledBuffer {
    pub(crate) fn new(buf: wgpu::Buffer, pool: Arc<BufferPool>) -> Self {
        Self { buf: Some(buf), pool }
    }

    pub fn buffer(&self) -> &wgpu::Buffer {
        self.buf.as_ref().expect("buffer present until drop")
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if let Some(b) = self.buf.take() {
            self.pool.give(b);
        }
    }
}
