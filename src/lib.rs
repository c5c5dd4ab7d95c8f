//! webreward: quantized policy language models and reward models on WebGPU compute shaders, with a CPU path that
//! is both the fallback and the numerical reference, and reward-guided generation (best-of-N, VAS, ReNO) on top.

pub mod clock;
pub mod device;
pub mod error;
pub mod formats;
pub mod generation;
pub mod gpu;
pub mod guidance;
pub mod kv_cache;
pub mod models;
pub mod ops;
pub mod quant;
pub mod tensor;
pub mod tokenizer;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use device::Device;
pub use error::{Error, Result};
pub use tensor::{DType, Tensor};
