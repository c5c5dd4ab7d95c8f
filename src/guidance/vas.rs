//! Value-Augmented Sampling (Han et al. 2024, ALGORITHMS.md section 2): the target policy is
//! pi_base(a|s) * exp(sum_i beta_i * Q_i(s, a)). Per step only the top-k candidates C of the base logits are
//! re-scored: logit'(a) = logit(a) + sum_i beta_i * (Q_i(s, a) - mean_C Q_i) for a in C; tokens outside C keep
//! their base logit (they are not masked). Temperature and top-p apply afterwards, as usual.

use super::{same_len, GuidanceError, Result};

/// The reference code's default number of candidates.
pub const DEFAULT_K: usize = 20;

/// Ids of the `k` largest logits, ties by lower id.
pub fn top_k_candidates(logits: &[f32], k: usize) -> Result<Vec<u32>> {
    if k == 0 || k > logits.len() {
        return Err(GuidanceError::Invalid(format!("k must be in 1..={}, got {k}", logits.len())));
    }
    let mut idx: Vec<u32> = (0..logits.len() as u32).collect();
    let cmp = |a: &u32, b: &u32| logits[*b as usize].total_cmp(&logits[*a as usize]).then(a.cmp(b));
    idx.select_nth_unstable_by(k - 1, cmp);
    idx.truncate(k);
    idx.sort_by(cmp);
    Ok(idx)
}

/// Checks betas (finite) and Q tables (one per beta, each aligned with `candidates`, finite).
fn validate(logits: &[f32], candidates: &[u32], q: &[&[f32]], betas: &[f32]) -> Result<()> {
    if candidates.is_empty() {
        return Err(GuidanceError::Empty("candidates"));
    }
    same_len("value models and betas", q.len(), betas.len())?;
    if let Some(&b) = betas.iter().find(|b| !b.is_finite()) {
        return Err(GuidanceError::NonFinite { what: "beta", value: b as f64 });
    }
    for qi in q {
        same_len("Q values and candidates", qi.len(), candidates.len())?;
        if let Some(&v) = qi.iter().find(|v| !v.is_finite()) {
            return Err(GuidanceError::NonFinite { what: "Q value", value: v as f64 });
        }
    }
    let mut seen = std::collections::HashSet::new();
    for &c in candidates {
        if c as usize >= logits.len() || !seen.insert(c) {
            return Err(GuidanceError::Invalid(format!("candidate id {c} is out of range or repeated")));
        }
    }
    Ok(())
}

/// New logits with the VAS shift applied to `candidates`; the input is never modified. With every beta 0 the
/// result is bit-identical to `logits`.
pub fn adjust_logits(logits: &[f32], candidates: &[u32], q: &[&[f32]], betas: &[f32]) -> Result<Vec<f32>> {
    validate(logits, candidates, q, betas)?;
    let mut out = logits.to_vec();
    for (qi, &beta) in q.iter().zip(betas) {
        if beta == 0.0 {
            continue;
        }
        let mean = qi.iter().map(|&v| v as f64).sum::<f64>() / qi.len() as f64;
        for (&c, &v) in candidates.iter().zip(qi.iter()) {
            out[c as usize] += (beta as f64 * (v as f64 - mean)) as f32;
        }
    }
    Ok(out)
}
