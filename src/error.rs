//! The error type of the tensor/op layer. Every user-reachable failure is a variant here or converts into one;
//! `code()` is the stable string the JS boundary exposes as `WebRewardError.code`.

/// Result of the op layer.
pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{op}: shape mismatch: expected {expected}, got {got}")]
    ShapeMismatch { op: &'static str, expected: String, got: String },
    #[error("{op}: unsupported dtype {dtype}")]
    UnsupportedDType { op: &'static str, dtype: String },
    #[error("{op}: empty input ({what})")]
    Empty { op: &'static str, what: &'static str },
    #[error("{op}: {what} is too large: {size} > {limit}")]
    TooLarge { op: &'static str, what: &'static str, size: u64, limit: u64 },
    #[error("{op}: invalid argument: {msg}")]
    InvalidArgument { op: &'static str, msg: String },
    #[error("{op}: operands live on different devices")]
    DeviceMismatch { op: &'static str },
    #[error("GPU unavailable: {0}")]
    GpuUnavailable(String),
    #[error("GPU error: {0}")]
    Gpu(String),
    #[error(transparent)]
    Gguf(#[from] crate::formats::gguf::GgufError),
    #[error(transparent)]
    Guidance(#[from] crate::guidance::GuidanceError),
}

impl Error {
    /// Stable machine-readable code, mapped once at the JS boundary.
    pub fn code(&self) -> &'static str {
        match self {
            Error::ShapeMismatch { .. } => "SHAPE_MISMATCH",
            Error::UnsupportedDType { .. } => "UNSUPPORTED_DTYPE",
            Error::Empty { .. } => "EMPTY_INPUT",
            Error::TooLarge { .. } => "TOO_LARGE",
            Error::InvalidArgument { .. } => "INVALID_ARGUMENT",
            Error::DeviceMismatch { .. } => "DEVICE_MISMATCH",
            Error::GpuUnavailable(_) => "GPU_UNAVAILABLE",
            Error::Gpu(_) => "GPU_ERROR",
            Error::Gguf(e) => e.code(),
            Error::Guidance(e) => e.code(),
        }
    }

    pub(crate) fn shape(op: &'static str, expected: impl std::fmt::Debug, got: impl std::fmt::Debug) -> Self {
        Error::ShapeMismatch { op, expected: format!("{expected:?}"), got: format!("{got:?}") }
    }

    pub(crate) fn invalid(op: &'static str, msg: impl Into<String>) -> Self {
        Error::InvalidArgument { op, msg: msg.into() }
    }
}
