//! The math of reward-guided generation, exactly as `shared/spec/ALGORITHMS.md` states it: best-of-N ranking and
//! estimators, VAS logit adjustment, TD(lambda) value targets, ReNO's regulariser and optimiser, and the reward
//! transforms and ensembles. Pure functions over slices; the runtime wires them to models.

pub mod best_of_n;
pub mod reno;
pub mod transforms;
pub mod value_targets;
pub mod vas;

/// Errors of the guidance layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GuidanceError {
    #[error("N = {n} is outside 1..={max}")]
    BadN { n: usize, max: usize },
    #[error("{what} must be finite, got {value}")]
    NonFinite { what: &'static str, value: f64 },
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("{what}: lengths differ ({a} vs {b})")]
    LengthMismatch { what: &'static str, a: usize, b: usize },
    #[error("invalid argument: {0}")]
    Invalid(String),
}

impl GuidanceError {
    pub fn code(&self) -> &'static str {
        match self {
            GuidanceError::BadN { .. } => "BAD_N",
            GuidanceError::NonFinite { .. } => "NON_FINITE",
            GuidanceError::Empty(_) => "EMPTY_INPUT",
            GuidanceError::LengthMismatch { .. } => "SHAPE_MISMATCH",
            GuidanceError::Invalid(_) => "INVALID_ARGUMENT",
        }
    }
}

pub type Result<T> = std::result::Result<T, GuidanceError>;

pub(crate) fn finite(what: &'static str, xs: &[f64]) -> Result<()> {
    match xs.iter().find(|x| !x.is_finite()) {
        Some(&value) => Err(GuidanceError::NonFinite { what, value }),
        None => Ok(()),
    }
}

pub(crate) fn same_len(what: &'static str, a: usize, b: usize) -> Result<()> {
    if a == b { Ok(()) } else { Err(GuidanceError::LengthMismatch { what, a, b }) }
}

/// log(sigmoid(x)) without overflow for large |x|.
pub fn log_sigmoid(x: f64) -> f64 {
    if x >= 0.0 { -(-x).exp().ln_1p() } else { x - x.exp().ln_1p() }
}

pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { x.exp() / (1.0 + x.exp()) }
}
