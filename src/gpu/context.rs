//! The GPU context: device and queue, the pipeline cache, the storage-buffer pool and the pending command
//! encoder. Ops record compute passes into the pending encoder; nothing is submitted until a readback or an
//! explicit `submit`, so a whole decode step is one encoder and one submit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::defines::Defines;
use super::pool::{BufferPool, PooledBuffer};
use crate::error::{Error, Result};

/// Uniform parameter blocks are packed at this stride into one arena buffer per submit.
const PARAM_STRIDE: u64 = 256;
const PARAM_ARENA_BYTES: u64 = 1 << 20;

/// Which kernel to run: the shader file, its entry point and its specialisation constants.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Kernel {
    pub shader: &'static str,
    pub entry: &'static str,
    pub defines: Defines,
}

impl Kernel {
    pub fn new(shader: &'static str, entry: &'static str, defines: Defines) -> Self {
        Self { shader, entry, defines }
    }
}

/// What a user sees of the adapter.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub driver: String,
    pub device_type: String,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
}

struct Pending {
    encoder: Option<wgpu::CommandEncoder>,
    params: Vec<u8>,
}

pub struct GpuContext {
    device: wgpu::Device,
    queue: wgpu::Queue,
    summary: AdapterSummary,
    limits: wgpu::Limits,
    pipelines: Mutex<HashMap<Kernel, wgpu::ComputePipeline>>,
    pool: Arc<BufferPool>,
    pending: Mutex<Pending>,
    param_arena: wgpu::Buffer,
    /// First uncaptured device error (validation, out of memory) or device loss, reported at the next sync point.
    fault: Arc<Mutex<Option<String>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl GpuContext {
    /// Opens the default adapter at its own limits. Fails with `GpuUnavailable` when there is none.
    pub async fn new() -> Result<Arc<Self>> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::GpuUnavailable(format!("no adapter: {e}")))?;
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("webreward"),
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| Error::GpuUnavailable(format!("request_device: {e}")))?;
        let info = adapter.get_info();
        let summary = AdapterSummary {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
            device_type: format!("{:?}", info.device_type),
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size as u64,
            max_buffer_size: limits.max_buffer_size,
        };
        let fault = Arc::new(Mutex::new(None));
        let f = fault.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            lock(&f).get_or_insert_with(|| e.to_string());
        }));
        let f = fault.clone();
        device.set_device_lost_callback(move |reason, msg| {
            lock(&f).get_or_insert_with(|| format!("device lost ({reason:?}): {msg}"));
        });
        let param_arena = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params"),
            size: PARAM_ARENA_BYTES,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(Arc::new(Self {
            device,
            queue,
            summary,
            limits,
            pipelines: Mutex::new(HashMap::new()),
            pool: Arc::new(BufferPool::default()),
            pending: Mutex::new(Pending { encoder: None, params: Vec::new() }),
            param_arena,
            fault,
        }))
    }

    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    pub fn summary(&self) -> &AdapterSummary {
        &self.summary
    }

    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    /// Largest byte size one storage binding may have.
    pub fn max_binding(&self) -> u64 {
        (self.limits.max_storage_buffer_binding_size as u64).min(self.limits.max_buffer_size)
    }

    /// Fails if the device reported an error or was lost since the last check.
    pub fn check(&self) -> Result<()> {
        match lock(&self.fault).take() {
            Some(msg) => Err(Error::Gpu(msg)),
            None => Ok(()),
        }
    }

    /// A pooled storage buffer of at least `bytes` bytes (contents undefined).
    pub fn alloc(&self, op: &'static str, bytes: u64) -> Result<PooledBuffer> {
        if bytes > self.max_binding() {
            return Err(Error::TooLarge { op, what: "buffer", size: bytes, limit: self.max_binding() });
        }
        Ok(PooledBuffer::new(self.pool.take(&self.device, bytes), self.pool.clone()))
    }

    /// A pooled storage buffer holding `data`.
    pub fn upload(&self, op: &'static str, data: &[u8]) -> Result<PooledBuffer> {
        let buf = self.alloc(op, data.len() as u64)?;
        self.write(buf.buffer(), 0, data);
        Ok(buf)
    }

    /// Writes `data` at `offset`, ordered after every dispatch recorded so far. `queue.write_buffer` alone would
    /// run before the pending encoder is submitted, so a pooled buffer freed and reused within one step could be
    /// overwritten under a recorded reader; while work is pending the write is a copy recorded in the encoder.
    pub fn write(&self, buf: &wgpu::Buffer, offset: u64, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let mut padded;
        let bytes = if data.len() % 4 == 0 {
            data
        } else {
            padded = data.to_vec();
            padded.resize(data.len().next_multiple_of(4), 0);
            &padded[..]
        };
        let mut pending = lock(&self.pending);
        match pending.encoder.as_mut() {
            None => self.queue.write_buffer(buf, offset, bytes),
            Some(enc) => {
                let staging = wgpu::util::DeviceExt::create_buffer_init(
                    &self.device,
                    &wgpu::util::BufferInitDescriptor { label: Some("upload"), contents: bytes, usage: wgpu::BufferUsages::COPY_SRC },
                );
                enc.copy_buffer_to_buffer(&staging, 0, buf, offset, bytes.len() as u64);
            }
        }
    }

    /// A dedicated (not pooled) storage buffer holding `data`: for weights that live as long as a model.
    pub fn upload_static(&self, op: &'static str, data: &[u8]) -> Result<wgpu::Buffer> {
        let size = (data.len() as u64).next_multiple_of(4).max(4);
        if size > self.max_binding() {
            return Err(Error::TooLarge { op, what: "weight buffer", size, limit: self.max_binding() });
        }
        let buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(op),
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        self.write(&buf, 0, data);
        Ok(buf)
    }

    fn pipeline(&self, k: &Kernel) -> Result<wgpu::ComputePipeline> {
        if let Some(p) = lock(&self.pipelines).get(k) {
            return Ok(p.clone());
        }
        let body = super::shaders::source(k.shader)
            .ok_or_else(|| Error::Gpu(format!("no shader named {}", k.shader)))?;
        let src = format!("{}\n{}", k.defines.preamble(), body);
        let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(k.shader),
            source: wgpu::ShaderSource::Wgsl(src.into()),
        });
        let p = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(k.entry),
            layout: None,
            module: &module,
            entry_point: Some(k.entry),
            compilation_options: Default::default(),
            cache: None,
        });
        lock(&self.pipelines).insert(k.clone(), p.clone());
        Ok(p)
    }

    /// Records one dispatch of `k` into the pending encoder. Binding 0 is the uniform `params` block
    /// (any `Pod` struct, at most 256 bytes); bindings 1.. are `buffers` in order.
    pub fn dispatch(
        &self,
        k: &Kernel,
        params: &[u8],
        buffers: &[wgpu::BufferBinding<'_>],
        workgroups: [u32; 3],
    ) -> Result<()> {
        if params.len() as u64 > PARAM_STRIDE {
            return Err(Error::Gpu(format!("{}: params block of {} bytes", k.entry, params.len())));
        }
        let max_wg = self.limits.max_compute_workgroups_per_dimension;
        if workgroups.iter().any(|&w| w > max_wg) {
            return Err(Error::TooLarge { op: k.entry, what: "workgroup count", size: workgroups[0].max(workgroups[1]).max(workgroups[2]) as u64, limit: max_wg as u64 });
        }
        if workgroups.contains(&0) {
            return Ok(());
        }
        let pipeline = self.pipeline(k)?;
        let mut pending = lock(&self.pending);
        if pending.params.len() as u64 + PARAM_STRIDE > PARAM_ARENA_BYTES {
            self.submit_locked(&mut pending);
        }
        let offset = pending.params.len() as u64;
        pending.params.extend_from_slice(params);
        pending.params.resize((offset + PARAM_STRIDE) as usize, 0);
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &self.param_arena,
                offset,
                size: wgpu::BufferSize::new(PARAM_STRIDE),
            }),
        }];
        for (i, b) in buffers.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry { binding: i as u32 + 1, resource: wgpu::BindingResource::Buffer(b.clone()) });
        }
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(k.entry),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        let device = &self.device;
        let enc = pending
            .encoder
            .get_or_insert_with(|| device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("step") }));
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(k.entry), timestamp_writes: None });
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(workgroups[0], workgroups[1], workgroups[2]);
        Ok(())
    }

    /// Records a buffer-to-buffer copy into the pending encoder.
    pub fn copy(&self, src: &wgpu::Buffer, src_off: u64, dst: &wgpu::Buffer, dst_off: u64, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let mut pending = lock(&self.pending);
        let device = &self.device;
        pending
            .encoder
            .get_or_insert_with(|| device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("step") }))
            .copy_buffer_to_buffer(src, src_off, dst, dst_off, bytes);
    }

    fn submit_locked(&self, pending: &mut Pending) {
        if !pending.params.is_empty() {
            self.queue.write_buffer(&self.param_arena, 0, &pending.params);
            pending.params.clear();
        }
        if let Some(enc) = pending.encoder.take() {
            self.queue.submit([enc.finish()]);
        }
    }

    /// Submits everything recorded so far as one command buffer.
    pub fn submit(&self) {
        self.submit_locked(&mut lock(&self.pending));
    }

    /// Copies `bytes` bytes of `src` from `offset` back to the host, submitting pending work first.
    /// Awaits `map_async`; natively it polls the device, in the browser it yields to the event loop.
    pub async fn read(&self, src: &wgpu::Buffer, offset: u64, bytes: u64) -> Result<Vec<u8>> {
        let size = bytes.next_multiple_of(4).max(4);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.copy(src, offset, &staging, 0, size);
        self.submit();
        let (tx, rx) = futures_channel::oneshot::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(format!("poll: {e}")))?;
        let mapped = rx.await.map_err(|_| Error::Gpu("readback cancelled".into()))?;
        self.check()?;
        mapped.map_err(|e| Error::Gpu(format!("map_async: {e}")))?;
        let out = {
            let view = staging.slice(..).get_mapped_range().map_err(|e| Error::Gpu(format!("{e:?}")))?;
            view[..bytes as usize].to_vec()
        };
        staging.unmap();
        Ok(out)
    }

    /// Bytes held by idle pooled buffers.
    pub fn pooled_idle_bytes(&self) -> u64 {
        self.pool.idle_bytes()
    }
}

/// Splits `n` workgroups over x and y so neither exceeds the per-dimension limit; kernels recover the linear
/// index as `wid.y * num_workgroups.x + wid.x` and discard indices past `n`.
pub fn grid(n: u32, max_per_dim: u32) -> [u32; 3] {
    if n <= max_per_dim { [n, 1, 1] } else { [max_per_dim, n.div_ceil(max_per_dim), 1] }
}

/// A binding of the whole buffer.
pub fn whole(b: &wgpu::Buffer) -> wgpu::BufferBinding<'_> {
    b.as_entire_buffer_binding()
}
