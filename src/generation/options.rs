//! Options of a generation call and their validation (every bad value is a typed error before any work).

use super::MAX_SEQUENCES;
use crate::models::ModelError;

#[derive(Clone, Debug, PartialEq)]
pub struct SamplingOptions {
    /// <= 0 means greedy.
    pub temperature: f32,
    /// 0 keeps every token.
    pub top_k: u32,
    /// 1 keeps every token.
    pub top_p: f32,
    pub seed: u64,
    /// 1 disables it (CTRL rule, as llama.cpp).
    pub repetition_penalty: f32,
    /// How many most recent tokens (prompt included) the penalty looks at.
    pub repetition_last_n: usize,
}

impl Default for SamplingOptions {
    fn default() -> Self {
        Self { temperature: 0.0, top_k: 0, top_p: 1.0, seed: 0, repetition_penalty: 1.0, repetition_last_n: 64 }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct GenerateOptions {
    pub max_new_tokens: usize,
    pub sampling: SamplingOptions,
    pub stop_strings: Vec<String>,
    pub stop_at_end_of_generation: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self { max_new_tokens: 64, sampling: SamplingOptions::default(), stop_strings: Vec::new(), stop_at_end_of_generation: true }
    }
}

impl GenerateOptions {
    pub(crate) fn validate(&self, n: usize, prompt_len: usize, context_len: usize) -> Result<(), ModelError> {
        let bad = |m: String| Err(ModelError::BadOptions(m));
        if prompt_len == 0 {
            return Err(ModelError::EmptyPrompt);
        }
        if n == 0 || n > MAX_SEQUENCES {
            return bad(format!("number of sequences must be in 1..={MAX_SEQUENCES}, got {n}"));
        }
        if self.max_new_tokens == 0 {
            return bad("max_new_tokens must be at least 1".into());
        }
        if prompt_len + self.max_new_tokens > context_len {
            return Err(ModelError::ContextOverflow { prompt: prompt_len, max_new: self.max_new_tokens, context: context_len });
        }
        let s = &self.sampling;
        if !s.temperature.is_finite() || !(s.top_p > 0.0 && s.top_p <= 1.0) {
            return bad(format!("temperature {} must be finite and top_p {} in (0, 1]", s.temperature, s.top_p));
        }
        if !(s.repetition_penalty.is_finite() && s.repetition_penalty > 0.0) {
            return bad(format!("repetition_penalty {} must be finite and > 0", s.repetition_penalty));
        }
        if self.stop_strings.iter().any(String::is_empty) {
            return bad("stop strings must not be empty".into());
        }
        Ok(())
    }
}
