//! The ops LM and reward-model inference needs. Each op is one file: shape and dtype guards, the CPU
//! implementation (the numerical reference) and the GPU dispatch of the WGSL kernel of the same name.

mod binary;

pub use binary::{add, mul};

/// Threads per workgroup for elementwise kernels; defined once here and passed to every shader as `WG`.
pub const WG: u32 = 64;
