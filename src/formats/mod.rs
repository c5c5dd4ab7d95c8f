//! Model file formats read by the crate. Only parsing lives here: turning tensors into GPU buffers and
//! dequantization belong to the model and op layers.

pub mod gguf;
