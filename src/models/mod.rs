//! Model families built from the op layer: the llama policy LM (and value models on its trunk).

pub mod llama;

pub use llama::{Batch, Llama, LlamaConfig};

/// Errors of the model layer: bad files, unsupported architectures, bad batches, and op failures beneath.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("unsupported architecture {0:?} (supported: llama)")]
    UnsupportedArchitecture(String),
    #[error("bad model config: {0}")]
    BadConfig(String),
    #[error("tensor {name}: {msg}")]
    BadTensor { name: String, msg: String },
    #[error("bad batch: {0}")]
    BadBatch(String),
    #[error("bad options: {0}")]
    BadOptions(String),
    #[error("the prompt is empty")]
    EmptyPrompt,
    #[error("prompt of {prompt} tokens + {max_new} new tokens exceeds the context length {context}")]
    ContextOverflow { prompt: usize, max_new: usize, context: usize },
    #[error(transparent)]
    Gguf(#[from] crate::formats::gguf::GgufError),
    #[error(transparent)]
    Op(#[from] crate::error::Error),
}

impl ModelError {
    pub fn code(&self) -> &'static str {
        match self {
            ModelError::UnsupportedArchitecture(_) => "UNSUPPORTED_ARCHITECTURE",
            ModelError::BadConfig(_) => "BAD_MODEL_CONFIG",
            ModelError::BadTensor { .. } => "BAD_TENSOR",
            ModelError::BadBatch(_) => "BAD_BATCH",
            ModelError::BadOptions(_) => "BAD_OPTIONS",
            ModelError::EmptyPrompt => "EMPTY_PROMPT",
            ModelError::ContextOverflow { .. } => "CONTEXT_OVERFLOW",
            ModelError::Gguf(e) => e.code(),
            ModelError::Op(e) => e.code(),
        }
    }
}
