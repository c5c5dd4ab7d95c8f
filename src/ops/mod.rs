//! The ops LM and reward-model inference needs. Each op is one file: shape and dtype guards, the CPU
//! implementation (the numerical reference) and the GPU dispatch of the WGSL kernel of the same name.

mod activation;
mod attention;
mod binary;
mod embedding;
mod kv_write;
mod layer_norm;
mod matmul;
mod pooling;
mod rms_norm;
mod rope;
mod sampling;
mod softmax;

pub use activation::{erf, gelu, silu_mul};
pub use attention::{attention, AttnRow};
pub use binary::{add, mul};
pub use embedding::embedding;
pub use kv_write::kv_write;
pub use layer_norm::layer_norm;
pub use matmul::matmul;
pub use pooling::{l2_normalize, mean_pool};
pub use rms_norm::rms_norm;
pub use rope::{rope, RopeStyle};
pub use sampling::{argmax, repetition_penalty, sample, top_k, uniform, SampleParams, KMAX};
pub use softmax::softmax;

/// Threads per workgroup for elementwise kernels; defined once here and passed to every shader as `WG`.
pub const WG: u32 = 64;
