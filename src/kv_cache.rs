//! The key/value cache: per layer a K and a V tensor [capacity slots, kv heads, head dim], allocated once on the
//! model's device. Which slots a query attends to is the attention op's business (`AttnRow`), so one cache serves
//! prefill, decode and N sequences that share a prompt's slots.

use crate::device::Device;
use crate::error::{Error, Result};
use crate::ops::kv_write;
use crate::tensor::Tensor;

pub struct KvCache {
    layers: Vec<(Tensor, Tensor)>,
    n_kv_heads: usize,
    head_dim: usize,
    capacity: usize,
}

impl KvCache {
    pub fn new(device: &Device, n_layers: usize, n_kv_heads: usize, head_dim: usize, capacity: usize) -> Result<Self> {
        let op = "kv_cache";
        if n_layers == 0 || n_kv_heads == 0 || head_dim == 0 || capacity == 0 {
            return Err(Error::Empty { op, what: "cache with a zero dimension" });
        }
        let bytes = [n_kv_heads, head_dim, 4]
            .iter()
            .try_fold(capacity as u64, |acc, &d| acc.checked_mul(d as u64))
            .filter(|&b| usize::try_from(b).is_ok())
            .ok_or(Error::TooLarge { op, what: "KV cache layer", size: u64::MAX, limit: isize::MAX as u64 })?;
        if let Some(g) = device.gpu_context()
            && bytes > g.max_binding()
        {
            return Err(Error::TooLarge { op, what: "KV cache layer", size: bytes, limit: g.max_binding() });
        }
        let shape = [capacity, n_kv_heads, head_dim];
        let layers = (0..n_layers)
            .map(|_| Ok((Tensor::zeros(device, &shape)?, Tensor::zeros(device, &shape)?)))
            .collect::<Result<_>>()?;
        Ok(KvCache { layers, n_kv_heads, head_dim, capacity })
    }

    /// Writes keys and values `k`, `v` [m, kv heads * head dim] of layer `layer` to `slots`.
    pub fn write(&mut self, layer: usize, k: &Tensor, v: &Tensor, slots: &[u32]) -> Result<()> {
        let (kc, vc) = self.layers.get_mut(layer).ok_or_else(|| Error::invalid("kv_cache", format!("no layer {layer}")))?;
        kv_write(kc, k, slots)?;
        kv_write(vc, v, slots)
    }

    /// (K, V) of `layer`, each [capacity, kv heads, head dim].
    pub fn layer(&self, layer: usize) -> (&Tensor, &Tensor) {
        let (k, v) = &self.layers[layer.min(self.layers.len() - 1)];
        (k, v)
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes held by all layers' keys and values.
    pub fn bytes(&self) -> u64 {
        (self.layers.len() * 2 * self.capacity * self.n_kv_heads * self.head_dim * 4) as u64
    }
}
