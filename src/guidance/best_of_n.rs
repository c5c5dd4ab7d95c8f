//! Best-of-N (ALGORITHMS.md section 1): ranking, soft best-of-N, the KL bound of Beirami et al. 2024 and the
//! unbiased expected-best-of-n estimator.

use super::{finite, same_len, GuidanceError, Result};

/// Largest N one call may ask for (the batched decoder's sequence limit).
pub const MAX_N: usize = 64;

/// Fails unless 1 <= n <= MAX_N.
pub fn check_n(n: usize) -> Result<()> {
    if n == 0 || n > MAX_N { Err(GuidanceError::BadN { n, max: MAX_N }) } else { Ok(()) }
}

/// Indices of `rewards` best first; ties keep the lower index first.
pub fn rank(rewards: &[f64]) -> Result<Vec<usize>> {
    if rewards.is_empty() {
        return Err(GuidanceError::Empty("rewards"));
    }
    finite("reward", rewards)?;
    let mut idx: Vec<usize> = (0..rewards.len()).collect();
    idx.sort_by(|&a, &b| rewards[b].total_cmp(&rewards[a]).then(a.cmp(&b)));
    Ok(idx)
}

/// Soft best-of-N: P(i) proportional to exp(r_i / lambda), computed max-subtracted.
pub fn soft_probs(rewards: &[f64], lambda: f64) -> Result<Vec<f64>> {
    if rewards.is_empty() {
        return Err(GuidanceError::Empty("rewards"));
    }
    finite("reward", rewards)?;
    if !(lambda.is_finite() && lambda > 0.0) {
        return Err(GuidanceError::Invalid(format!("lambda must be finite and > 0, got {lambda}")));
    }
    let max = rewards.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = rewards.iter().map(|r| ((r - max) / lambda).exp()).collect();
    let z: f64 = e.iter().sum();
    Ok(e.into_iter().map(|x| x / z).collect())
}

/// Index picked by inverse CDF with a uniform draw `u` in [0, 1).
pub fn soft_pick(probs: &[f64], u: f64) -> Result<usize> {
    if probs.is_empty() {
        return Err(GuidanceError::Empty("probabilities"));
    }
    if !(0.0..1.0).contains(&u) {
        return Err(GuidanceError::Invalid(format!("u must be in [0, 1), got {u}")));
    }
    let mut acc = 0.0;
    for (i, p) in probs.iter().enumerate() {
        acc += p;
        if u < acc {
            return Ok(i);
        }
    }
    Ok(probs.len() - 1)
}

/// Upper bound on KL(pi_bon || pi_ref): log N - (N - 1) / N. A bound, never the KL itself.
pub fn kl_bound(n: usize) -> Result<f64> {
    if n == 0 {
        return Err(GuidanceError::BadN { n, max: usize::MAX });
    }
    Ok((n as f64).ln() - (n as f64 - 1.0) / n as f64)
}

/// Unbiased estimate of E[max of n draws] from N >= n scores: with s sorted ascending,
/// sum_{i=n..N} C(i-1, n-1) / C(N, n) * s_i. The weights come from a ratio recurrence, so large N cannot overflow.
pub fn expected_best_of_n(scores: &[f64], n: usize) -> Result<f64> {
    let big_n = scores.len();
    if n == 0 || n > big_n {
        return Err(GuidanceError::Invalid(format!("n must be in 1..={big_n}, got {n}")));
    }
    finite("score", scores)?;
    let mut s = scores.to_vec();
    s.sort_by(f64::total_cmp);
    // w_i = C(i-1, n-1) / C(N, n) for i = N down to n: w_N = n / N, w_{i-1} = w_i * (i - n) / (i - 1).
    let mut w = n as f64 / big_n as f64;
    let mut total = 0.0;
    for i in (n..=big_n).rev() {
        total += w * s[i - 1];
        if i > n {
            w *= (i - n) as f64 / (i - 1) as f64;
        }
    }
    Ok(total)
}

/// Ranks `n` candidates by reward: `(index, reward)` best first.
pub fn ranked(rewards: &[f64]) -> Result<Vec<(usize, f64)>> {
    Ok(rank(rewards)?.into_iter().map(|i| (i, rewards[i])).collect())
}

/// Checks that there is one reward per candidate.
pub fn check_counts(candidates: usize, rewards: usize) -> Result<()> {
    same_len("candidates and rewards", candidates, rewards)
}
