//! The guidance math against every vector of shared/spec/ALGORITHMS.md, plus cases of our own.

use webreward::guidance::best_of_n::*;
use webreward::guidance::reno::*;
use webreward::guidance::transforms::*;
use webreward::guidance::value_targets::*;
use webreward::guidance::vas::*;
use webreward::guidance::{log_sigmoid, GuidanceError};

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() <= tol, "{a} vs {b}");
}

fn close_all(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).for_each(|(x, y)| close(*x, *y, tol));
}

#[test]
fn best_of_n_vectors() {
    close(expected_best_of_n(&[1.0, 2.0, 3.0, 4.0], 2).unwrap(), 3.333333, 1e-5);
    close(expected_best_of_n(&[4.0, 1.0, 3.0, 2.0], 2).unwrap(), 3.333333, 1e-5);
    close_all(&soft_probs(&[1.0, 2.0, 0.0], 0.5).unwrap(), &[0.117310, 0.866813, 0.015876], 1e-5);
    close(kl_bound(4).unwrap(), 0.636294, 1e-6);
}

#[test]
fn best_of_n_properties() {
    let s: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 1000) as f64 / 10.0).collect();
    // n = 1 is the mean, n = N the maximum; large N must not overflow.
    close(expected_best_of_n(&s, 1).unwrap(), s.iter().sum::<f64>() / 1000.0, 1e-9);
    close(expected_best_of_n(&s, 1000).unwrap(), 99.9, 1e-9);
    let e16 = expected_best_of_n(&s, 16).unwrap();
    assert!(e16 > expected_best_of_n(&s, 4).unwrap() && e16 < 99.9);
    assert_eq!(kl_bound(1).unwrap(), 0.0);
    assert_eq!(rank(&[1.0, 3.0, 3.0, 2.0]).unwrap(), vec![1, 2, 3, 0]);
    assert_eq!(soft_pick(&[0.2, 0.5, 0.3], 0.69).unwrap(), 1);
    assert_eq!(soft_pick(&[0.2, 0.5, 0.3], 0.71).unwrap(), 2);
    assert!(matches!(check_n(0), Err(GuidanceError::BadN { .. })));
    assert!(matches!(check_n(MAX_N + 1), Err(GuidanceError::BadN { .. })));
    assert!(check_n(MAX_N).is_ok());
    assert_eq!(rank(&[1.0, f64::NAN]).unwrap_err().code(), "NON_FINITE");
    assert!(expected_best_of_n(&[1.0], 2).is_err());
    assert!(soft_probs(&[1.0], 0.0).is_err());
}

#[test]
fn vas_vectors() {
    let logits = [2.0f32, 1.0, 0.5, -1.0];
    let c = top_k_candidates(&logits, 2).unwrap();
    assert_eq!(c, vec![0, 1]);
    let q = [0.3f32, 0.9];
    let adj = adjust_logits(&logits, &c, &[&q], &[1.0]).unwrap();
    close_all(&adj.iter().map(|&x| x as f64).collect::<Vec<_>>(), &[1.7, 1.3, 0.5, -1.0], 1e-6);
    let m = adj.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let z: f64 = adj.iter().map(|&x| (x as f64 - m).exp()).sum();
    let p: Vec<f64> = adj.iter().map(|&x| (x as f64 - m).exp() / z).collect();
    close_all(&p, &[0.490504, 0.328795, 0.147737, 0.032965], 1e-5);
}

#[test]
fn vas_properties_and_errors() {
    let logits = [0.5f32, 3.0, 3.0, -2.0, 1.25];
    // Ties by lower id; beta = 0 is bit-identical; the input is untouched; several value models add up.
    assert_eq!(top_k_candidates(&logits, 3).unwrap(), vec![1, 2, 4]);
    let c = [1u32, 2, 4];
    let (q1, q2) = ([0.1f32, 0.7, -0.2], [1.0f32, 0.0, 2.0]);
    assert_eq!(adjust_logits(&logits, &c, &[&q1, &q2], &[0.0, 0.0]).unwrap(), logits.to_vec());
    let both = adjust_logits(&logits, &c, &[&q1, &q2], &[2.0, -0.5]).unwrap();
    let one = adjust_logits(&logits, &c, &[&q1], &[2.0]).unwrap();
    let two = adjust_logits(&one, &c, &[&q2], &[-0.5]).unwrap();
    close_all(&both.iter().map(|&x| x as f64).collect::<Vec<_>>(), &two.iter().map(|&x| x as f64).collect::<Vec<_>>(), 1e-6);
    assert_eq!(both[0], logits[0]);
    assert_eq!(both[3], logits[3]);
    assert_eq!(top_k_candidates(&logits, 0).unwrap_err().code(), "INVALID_ARGUMENT");
    assert_eq!(top_k_candidates(&logits, 6).unwrap_err().code(), "INVALID_ARGUMENT");
    assert_eq!(adjust_logits(&logits, &c, &[&q1], &[f32::NAN]).unwrap_err().code(), "NON_FINITE");
    assert_eq!(adjust_logits(&logits, &c, &[&q1], &[f32::INFINITY]).unwrap_err().code(), "NON_FINITE");
    assert_eq!(adjust_logits(&logits, &[1, 1, 4], &[&q1], &[1.0]).unwrap_err().code(), "INVALID_ARGUMENT");
    assert_eq!(adjust_logits(&logits, &c, &[&q1[..2]], &[1.0]).unwrap_err().code(), "SHAPE_MISMATCH");
}

#[test]
fn td_lambda_vectors() {
    let (adv, targets) = td_lambda(&[0.0, 0.0, 1.0], &[0.2, 0.5, 0.4], 1.0, 0.95).unwrap();
    close_all(&adv, &[0.7465, 0.47, 0.6], 1e-9);
    close_all(&targets, &[0.9465, 0.97, 1.0], 1e-9);
    assert_eq!(terminal_rewards(3, 1.0), vec![0.0, 0.0, 1.0]);
    // lambda = 1, gamma = 1: every target is the return; lambda = 0: one-step TD.
    let (_, t1) = td_lambda(&[0.0, 0.0, 2.0], &[0.3, -0.1, 0.8], 1.0, 1.0).unwrap();
    close_all(&t1, &[2.0, 2.0, 2.0], 1e-12);
    let (_, t0) = td_lambda(&[0.0, 0.0, 2.0], &[0.3, -0.1, 0.8], 1.0, 0.0).unwrap();
    close_all(&t0, &[-0.1, 0.8, 2.0], 1e-12);
    let (loss, grad) = value_loss(&[1.0, 2.0], &[0.0, 4.0]).unwrap();
    close(loss, 0.5 * (1.0 + 4.0) / 2.0, 1e-12);
    close_all(&grad, &[0.5, -1.0], 1e-12);
    assert!(td_lambda(&[0.0], &[0.0, 1.0], 1.0, 0.95).is_err());
}

#[test]
fn reno_vectors() {
    let (reg, grad) = chi_regulariser(&[3.0, 4.0]).unwrap();
    close(reg, 10.890562, 1e-5);
    close_all(&grad, &[2.88, 3.84], 1e-9);
    let mut g = vec![0.3, 0.4];
    clip_grad_norm(&mut g, 0.1);
    close_all(&g, &[0.06, 0.08], 1e-12);
    let mut z = vec![0.0, 0.0];
    let mut opt = NesterovSgd::new(5.0, 0.9);
    opt.step(&mut z, &g);
    close_all(&z, &[-0.57, -0.76], 1e-12);
    // The regulariser gradient equals finite differences.
    let zz = [0.3, -1.2, 2.5, 0.7];
    let fd = finite_difference(&zz, 1e-6, |x| chi_regulariser(x).unwrap().0);
    close_all(&chi_regulariser(&zz).unwrap().1, &fd, 1e-6);
}

#[test]
fn reno_driver_counts_and_keeps_the_best() {
    let target = [1.0, -2.0, 0.5];
    let mut evals = 0;
    let out = optimise(&[0.5, 0.5, 0.5], ITERATIONS, LAMBDA_REG, |z| {
        evals += 1;
        let loss = z.iter().zip(&target).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
        Ok((loss, z.iter().zip(&target).map(|(a, b)| 2.0 * (a - b)).collect()))
    })
    .unwrap();
    assert_eq!(evals, 50);
    assert_eq!(out.history.len(), 50);
    let best = &out.history[out.best];
    assert!(out.history.iter().all(|h| h.reward_loss >= best.reward_loss));
    assert!(best.reward_loss < out.history[0].reward_loss);
    // Each update moves z by at most lr * (1 + m) * clip (first step) and by a bounded amount after.
    let step = |i: usize| {
        out.history[i + 1].z.iter().zip(&out.history[i].z).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt()
    };
    close(step(0), 5.0 * 1.9 * 0.1, 1e-9);
}

#[test]
fn transform_vectors() {
    close(par(2.0, &[0.0, 1.0], 1.0).unwrap(), 0.805928, 1e-6);
    close(par(1.0, &[0.0, 1.0, 2.0], 1.0).unwrap(), 0.5, 1e-12);
    let r = [1.0, 2.0, 3.0, 6.0];
    close(ensemble(&r, Ensemble::Mean).unwrap(), 3.0, 1e-12);
    close(ensemble(&r, Ensemble::WorstCase).unwrap(), 1.0, 1e-12);
    let uwo = Ensemble::UncertaintyWeighted { lambda: 0.5, variance: Variance::Population };
    close(ensemble(&r, uwo).unwrap(), 1.25, 1e-12);
    let uwo_s = Ensemble::UncertaintyWeighted { lambda: 0.5, variance: Variance::Sample };
    close(ensemble(&r, uwo_s).unwrap(), 3.0 - 0.5 * 14.0 / 3.0, 1e-12);
    assert_eq!(rewardbench_set(&[3.0, 1.0, 2.0, 0.0]).unwrap(), 1.0);
    assert_eq!(rewardbench_set(&[2.0, 1.0, 2.0, 0.5]).unwrap(), 0.5);
    assert_eq!(rewardbench_set(&[1.0, 3.0, 2.0, 0.0]).unwrap(), 0.0);
    close(rewardbench_accuracy(&[vec![3.0, 1.0, 2.0, 0.0], vec![2.0, 1.0, 2.0, 0.5], vec![1.0, 3.0, 2.0, 0.0]]).unwrap(), 0.5, 1e-12);
    close(weighted_sum(&[1.0, 2.0], &[0.25, 0.5]).unwrap(), 1.25, 1e-12);
}

#[test]
fn normal_quantile_and_lsc() {
    // Reference values of the standard normal quantile (scipy.stats.norm.ppf).
    for (p, z) in [(0.85, 1.0364333894937898), (0.975, 1.959963984540054), (0.5, 0.0), (0.001, -3.090232306167813), (1e-10, -6.361340902404056)] {
        close(normal_quantile(p).unwrap(), z, 1e-12);
    }
    assert!(normal_quantile(1.0).is_err());
    let refs = [0.0, 1.0, 2.0, 3.0];
    let std = (5.0f64 / 3.0).sqrt() + 1e-5;
    close(lsc_reference(&refs).unwrap(), 1.5 + std * 1.0364333894937898, 1e-12);
    close(lsc(2.0, 1.0).unwrap(), (1.0 / (1.0 + (-1.0f64).exp())).ln(), 1e-12);
    // Sum of LSC terms = log of the product of sigmoids; log_sigmoid is stable far out.
    close(lsc(2.0, 1.0).unwrap() + lsc(0.0, 1.0).unwrap(), (sig(1.0) * sig(-1.0)).ln(), 1e-12);
    close(log_sigmoid(-800.0), -800.0, 1e-9);
    assert_eq!(log_sigmoid(800.0), 0.0);
}

fn sig(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn rule_rewards() {
    let text = (0..120).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
    close(relevance(0.8, &text).unwrap(), 0.8, 1e-12);
    close(relevance(0.8, "a b c a b c").unwrap(), 0.8 * 0.06 * 0.75, 1e-12);
    close(unique_trigram_ratio("one two"), 1.0, 0.0);
    close(bleu("the cat sat on the mat", &["the cat sat on the mat"]).unwrap(), 1.0, 1e-12);
    // Hand-checked: 4-gram precisions 5/6, 3/5, 2/4, 1/3 with no brevity penalty.
    let b = bleu("the cat sat on a mat", &["the cat sat on the mat"]).unwrap();
    close(b, (5.0f64 / 6.0 * 3.0 / 5.0 * 2.0 / 4.0 * 1.0 / 3.0).powf(0.25), 1e-12);
    // Smoothing: no 4-gram match gives 0.1 / count instead of zero.
    // NLTK sentence_bleu(method1) gives 0.537284965911771 and 0.09782458612762486 for these two.
    // "cat the mat": p1 3/3, p2 1/2, p3 0.1/1, p4 0.1/1 (no 4-gram at all), brevity exp(1 - 6/3).
    let s = bleu("cat the mat", &["the cat sat on the mat"]).unwrap();
    close(s, (-1.0f64).exp() * (1.0f64 * 0.5 * 0.1 * 0.1).powf(0.25), 1e-12);
    close(length_reward("a b c d", 4).unwrap(), 1.0, 0.0);
    close(length_reward("a b", 4).unwrap(), 0.5, 1e-12);
    close(keyword_reward("The Ocean is deep", &["ocean", "forest"]).unwrap(), 0.5, 1e-12);
    assert!(keyword_reward("x", &[]).is_err());
}
