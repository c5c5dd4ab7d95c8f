//! ReNO-style noise optimisation (Eyring et al. 2024, ALGORITHMS.md section 3): minimise
//! sum_i w_i loss_i(G(z)) + lambda_reg * (0.5 ||z||^2 - (d - 1) log ||z||) over the initial noise z of a one-step
//! generator with SGD (lr 5, momentum 0.9, Nesterov), clipping the gradient to global L2 norm 0.1 before each step.
//! 50 iterations are 50 evaluations and 49 updates; the result is the iterate with the lowest reward loss.

use super::{finite, GuidanceError, Result};

pub const LAMBDA_REG: f64 = 0.01;
pub const LR: f64 = 5.0;
pub const MOMENTUM: f64 = 0.9;
pub const CLIP_NORM: f64 = 0.1;
pub const ITERATIONS: usize = 50;

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// The chi regulariser 0.5 ||z||^2 - (d - 1) log ||z|| (negative log-density of ||z|| under a chi distribution
/// with d = len(z) degrees of freedom, up to a constant) and its gradient z - (d - 1) z / ||z||^2.
pub fn chi_regulariser(z: &[f64]) -> Result<(f64, Vec<f64>)> {
    finite("z", z)?;
    let r = norm(z);
    if r == 0.0 {
        return Err(GuidanceError::Invalid("z must not be zero (log ||z|| is undefined)".into()));
    }
    let d1 = z.len() as f64 - 1.0;
    let value = 0.5 * r * r - d1 * r.ln();
    Ok((value, z.iter().map(|x| x - d1 * x / (r * r)).collect()))
}

/// Scales `g` so its global L2 norm is at most `max_norm` (torch.nn.utils.clip_grad_norm_ without its epsilon).
pub fn clip_grad_norm(g: &mut [f64], max_norm: f64) {
    let n = norm(g);
    if n > max_norm {
        g.iter_mut().for_each(|x| *x *= max_norm / n);
    }
}

/// torch.optim.SGD(lr, momentum, nesterov=True, dampening=0): buf = m buf + g (buf = g at the first step),
/// g' = g + m buf, z -= lr g'.
#[derive(Clone, Debug)]
pub struct NesterovSgd {
    pub lr: f64,
    pub momentum: f64,
    buf: Option<Vec<f64>>,
}

impl NesterovSgd {
    pub fn new(lr: f64, momentum: f64) -> Self {
        Self { lr, momentum, buf: None }
    }

    pub fn step(&mut self, z: &mut [f64], g: &[f64]) {
        let m = self.momentum;
        let buf = match self.buf.take() {
            None => g.to_vec(),
            Some(b) => b.iter().zip(g).map(|(b, g)| m * b + g).collect(),
        };
        for ((zi, gi), bi) in z.iter_mut().zip(g).zip(&buf) {
            *zi -= self.lr * (gi + m * bi);
        }
        self.buf = Some(buf);
    }
}

/// One evaluation in the history.
#[derive(Clone, Debug)]
pub struct Iterate {
    pub reward_loss: f64,
    pub total_loss: f64,
    pub z: Vec<f64>,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    /// Index into `history` of the lowest reward loss (regulariser excluded).
    pub best: usize,
    pub history: Vec<Iterate>,
}

/// Runs `iterations` evaluations of `reward_loss(z) -> (loss, d loss / d z)` with `iterations - 1` updates.
pub fn optimise<F>(z0: &[f64], iterations: usize, lambda_reg: f64, mut reward_loss: F) -> Result<Outcome>
where
    F: FnMut(&[f64]) -> Result<(f64, Vec<f64>)>,
{
    if iterations == 0 || z0.is_empty() {
        return Err(GuidanceError::Invalid("need at least one iteration and a non-empty z".into()));
    }
    let mut z = z0.to_vec();
    let mut opt = NesterovSgd::new(LR, MOMENTUM);
    let mut history = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let (loss, mut grad) = reward_loss(&z)?;
        if grad.len() != z.len() {
            return Err(GuidanceError::LengthMismatch { what: "gradient and z", a: grad.len(), b: z.len() });
        }
        let (reg, reg_grad) = chi_regulariser(&z)?;
        history.push(Iterate { reward_loss: loss, total_loss: loss + lambda_reg * reg, z: z.clone() });
        if i + 1 == iterations {
            break;
        }
        grad.iter_mut().zip(&reg_grad).for_each(|(g, r)| *g += lambda_reg * r);
        finite("gradient", &grad)?;
        clip_grad_norm(&mut grad, CLIP_NORM);
        opt.step(&mut z, &grad);
    }
    let best = (0..history.len())
        .min_by(|&a, &b| history[a].reward_loss.total_cmp(&history[b].reward_loss).then(a.cmp(&b)))
        .unwrap_or(0);
    Ok(Outcome { best, history })
}

/// Central finite-difference gradient of `f` at `z` with step `h`, to check analytic gradients.
pub fn finite_difference<F: FnMut(&[f64]) -> f64>(z: &[f64], h: f64, mut f: F) -> Vec<f64> {
    let mut x = z.to_vec();
    (0..z.len())
        .map(|i| {
            x[i] = z[i] + h;
            let up = f(&x);
            x[i] = z[i] - h;
            let down = f(&x);
            x[i] = z[i];
            (up - down) / (2.0 * h)
        })
        .collect()
}
