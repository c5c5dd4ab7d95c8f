//! TD(lambda) targets for training value heads (ALGORITHMS.md section 2): the reward sits on the last completion
//! token; delta_t = r_t + gamma V_{t+1} - V_t (V after the last token is 0); A_t = delta_t + gamma lambda A_{t+1};
//! target_t = A_t + V_t; loss = 0.5 * mean((V_t - target_t)^2).

use super::{finite, same_len, GuidanceError, Result};

pub const GAMMA: f64 = 1.0;
pub const LAMBDA: f64 = 0.95;

/// Per-token rewards of a completion of `len` tokens scored `reward` as a whole.
pub fn terminal_rewards(len: usize, reward: f64) -> Vec<f64> {
    let mut r = vec![0.0; len];
    if let Some(last) = r.last_mut() {
        *last = reward;
    }
    r
}

/// (advantages, targets) for rewards `r` and values `v` over one completion.
pub fn td_lambda(r: &[f64], v: &[f64], gamma: f64, lambda: f64) -> Result<(Vec<f64>, Vec<f64>)> {
    same_len("rewards and values", r.len(), v.len())?;
    if r.is_empty() {
        return Err(GuidanceError::Empty("completion"));
    }
    finite("reward", r)?;
    finite("value", v)?;
    finite("gamma/lambda", &[gamma, lambda])?;
    let n = r.len();
    let mut adv = vec![0.0; n];
    let mut next_adv = 0.0;
    for t in (0..n).rev() {
        let next_v = if t + 1 < n { v[t + 1] } else { 0.0 };
        let delta = r[t] + gamma * next_v - v[t];
        next_adv = delta + gamma * lambda * next_adv;
        adv[t] = next_adv;
    }
    let targets = adv.iter().zip(v).map(|(a, v)| a + v).collect();
    Ok((adv, targets))
}

/// 0.5 * mean((v - target)^2) and its gradient with respect to v (targets held constant).
pub fn value_loss(v: &[f64], targets: &[f64]) -> Result<(f64, Vec<f64>)> {
    same_len("values and targets", v.len(), targets.len())?;
    if v.is_empty() {
        return Err(GuidanceError::Empty("values"));
    }
    let n = v.len() as f64;
    let loss = v.iter().zip(targets).map(|(a, b)| (a - b).powi(2)).sum::<f64>() * 0.5 / n;
    let grad = v.iter().zip(targets).map(|(a, b)| (a - b) / n).collect();
    Ok((loss, grad))
}
