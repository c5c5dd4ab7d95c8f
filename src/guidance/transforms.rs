//! Reward transforms, ensembles and rule rewards (ALGORITHMS.md section 4). Each function is pure and checked
//! against the spec's vectors in tests/algorithms.rs.

use std::collections::{HashMap, HashSet};

use super::{finite, log_sigmoid, same_len, sigmoid, GuidanceError, Result};

/// Standard normal quantile, Wichura's AS241 (PPND16): relative error about 1e-16 on (0, 1).
pub fn normal_quantile(p: f64) -> Result<f64> {
    if !(p > 0.0 && p < 1.0) {
        return Err(GuidanceError::Invalid(format!("quantile level must be in (0, 1), got {p}")));
    }
    let poly = |c: &[f64], x: f64| c.iter().rev().fold(0.0, |acc, &k| acc * x + k);
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        const A: [f64; 8] = [3.387_132_872_796_366_6, 133.141_667_891_784_38, 1_971.590_950_306_551_3, 13_731.693_765_509_461, 45_921.953_931_549_87, 67_265.770_927_008_7, 33_430.575_583_588_13, 2_509.080_928_730_122_7];
        const B: [f64; 8] = [1.0, 42.313_330_701_600_91, 687.187_007_492_057_9, 5_394.196_021_424_751, 21_213.794_301_586_596, 39_307.895_800_092_71, 28_729.085_735_721_943, 5_226.495_278_852_854_5];
        return Ok(q * poly(&A, r) / poly(&B, r));
    }
    let mut r = if q < 0.0 { p } else { 1.0 - p };
    r = (-r.ln()).sqrt();
    let v = if r <= 5.0 {
        r -= 1.6;
        const C: [f64; 8] = [1.423_437_110_749_683_5, 4.630_337_846_156_545, 5.769_497_221_460_691, 3.647_848_324_763_204_5, 1.270_458_252_452_368_4, 0.241_780_725_177_450_6, 0.022_723_844_989_269_184, 7.745_450_142_783_414e-4];
        const D: [f64; 8] = [1.0, 2.053_191_626_637_758_8, 1.676_384_830_183_803_8, 0.689_767_334_985_1, 0.148_103_976_427_480_08, 0.015_198_666_563_616_457, 5.475_938_084_995_345e-4, 1.050_750_071_644_416_8e-9];
        poly(&C, r) / poly(&D, r)
    } else {
        r -= 5.0;
        const E: [f64; 8] = [6.657_904_643_501_103, 5.463_784_911_164_114, 1.784_826_539_917_291_3, 0.296_560_571_828_504_9, 0.026_532_189_526_576_124, 0.001_242_660_947_388_078_4, 2.711_555_568_743_487_6e-5, 2.010_334_399_292_288e-7];
        const F: [f64; 8] = [1.0, 0.599_832_206_555_888, 0.136_929_880_922_735_8, 0.014_875_361_290_850_615, 7.868_691_311_456_133e-4, 1.846_318_317_510_054_8e-5, 1.421_511_758_316_446e-7, 2.044_263_103_389_94e-15];
        poly(&E, r) / poly(&F, r)
    };
    Ok(if q < 0.0 { -v } else { v })
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// How a variance divides the sum of squares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variance {
    /// by n
    Population,
    /// by n - 1 (Bessel)
    Sample,
}

pub fn variance(xs: &[f64], kind: Variance) -> Result<f64> {
    let n = xs.len();
    let dof = match kind {
        Variance::Population => n,
        Variance::Sample => n.saturating_sub(1),
    };
    if dof == 0 {
        return Err(GuidanceError::Invalid(format!("{kind:?} variance needs more than {n} values")));
    }
    finite("value", xs)?;
    let m = mean(xs);
    Ok(xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / dof as f64)
}

/// LSC's reference point: the 0.85 quantile of a normal fitted to reference rewards (mean, Bessel std + 1e-5).
pub fn lsc_reference(reference_rewards: &[f64]) -> Result<f64> {
    let std = variance(reference_rewards, Variance::Sample)?.sqrt() + 1e-5;
    Ok(mean(reference_rewards) + std * normal_quantile(0.85)?)
}

/// LSC (Wang et al. 2024): u = log sigmoid(r - r_ref). Summing u over properties gives log prod sigmoid.
pub fn lsc(r: f64, r_ref: f64) -> Result<f64> {
    finite("reward", &[r, r_ref])?;
    Ok(log_sigmoid(r - r_ref))
}

/// PAR: mean over reference rewards of sigmoid(k (r - ref_m)).
pub fn par(r: f64, refs: &[f64], k: f64) -> Result<f64> {
    if refs.is_empty() {
        return Err(GuidanceError::Empty("reference rewards"));
    }
    finite("reward", &[r, k])?;
    finite("reference reward", refs)?;
    Ok(refs.iter().map(|m| sigmoid(k * (r - m))).sum::<f64>() / refs.len() as f64)
}

/// How an ensemble of reward models is reduced to one reward.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ensemble {
    Mean,
    /// Worst-case optimisation: the minimum.
    WorstCase,
    /// Uncertainty-weighted: mean - lambda * variance.
    UncertaintyWeighted { lambda: f64, variance: Variance },
}

pub fn ensemble(rewards: &[f64], how: Ensemble) -> Result<f64> {
    if rewards.is_empty() {
        return Err(GuidanceError::Empty("ensemble rewards"));
    }
    finite("reward", rewards)?;
    Ok(match how {
        Ensemble::Mean => mean(rewards),
        Ensemble::WorstCase => rewards.iter().copied().fold(f64::INFINITY, f64::min),
        Ensemble::UncertaintyWeighted { lambda, variance: v } => mean(rewards) - lambda * variance(rewards, v)?,
    })
}

/// sum_i w_i r_i.
pub fn weighted_sum(rewards: &[f64], weights: &[f64]) -> Result<f64> {
    same_len("rewards and weights", rewards.len(), weights.len())?;
    finite("reward", rewards)?;
    finite("weight", weights)?;
    Ok(rewards.iter().zip(weights).map(|(r, w)| r * w).sum())
}

/// RewardBench-2 accuracy of one set `[chosen, rejected...]`: 1 / #ties when the chosen score is maximal, else 0.
pub fn rewardbench_set(scores: &[f64]) -> Result<f64> {
    if scores.len() < 2 {
        return Err(GuidanceError::Invalid("a set needs a chosen and at least one rejected score".into()));
    }
    finite("score", scores)?;
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if scores[0] < max {
        return Ok(0.0);
    }
    Ok(1.0 / scores.iter().filter(|&&s| s == max).count() as f64)
}

/// Mean RewardBench-2 accuracy over sets.
pub fn rewardbench_accuracy(sets: &[Vec<f64>]) -> Result<f64> {
    if sets.is_empty() {
        return Err(GuidanceError::Empty("sets"));
    }
    Ok(sets.iter().map(|s| rewardbench_set(s)).sum::<Result<f64>>()? / sets.len() as f64)
}

fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// Share of distinct word trigrams; 1 when the text has fewer than three words (no trigram can repeat).
pub fn unique_trigram_ratio(text: &str) -> f64 {
    let w = words(text);
    if w.len() < 3 {
        return 1.0;
    }
    let all: Vec<&[&str]> = w.windows(3).collect();
    all.iter().collect::<HashSet<_>>().len() as f64 / all.len() as f64
}

/// Regularised relevance: cos * min(1, words / 100) * unique trigrams / trigrams (words = whitespace split).
pub fn relevance(cosine: f64, response: &str) -> Result<f64> {
    finite("cosine", &[cosine])?;
    Ok(cosine * (words(response).len() as f64 / 100.0).min(1.0) * unique_trigram_ratio(response))
}

fn ngrams<'a>(w: &[&'a str], n: usize) -> HashMap<Vec<&'a str>, usize> {
    let mut m = HashMap::new();
    for g in w.windows(n) {
        *m.entry(g.to_vec()).or_insert(0) += 1;
    }
    m
}

/// Sentence BLEU-4 over whitespace tokens with uniform weights, clipped counts over all references, the brevity
/// penalty against the closest reference length, and Chen & Cherry (2014) smoothing method 1 (a zero n-gram
/// match count becomes 0.1), matching NLTK's `sentence_bleu(..., smoothing_function=method1)`.
pub fn bleu(candidate: &str, references: &[&str]) -> Result<f64> {
    if references.is_empty() {
        return Err(GuidanceError::Empty("references"));
    }
    let c = words(candidate);
    if c.is_empty() {
        return Ok(0.0);
    }
    let refs: Vec<Vec<&str>> = references.iter().map(|r| words(r)).collect();
    let mut log_p = 0.0;
    for n in 1..=4 {
        let cand = ngrams(&c, n);
        // A candidate shorter than n has no n-grams: 0 / max(1, 0), smoothed like any zero match (as NLTK).
        let total: usize = cand.values().sum::<usize>().max(1);
        let ref_max = refs.iter().map(|r| ngrams(r, n)).fold(HashMap::new(), |mut acc, m| {
            for (g, k) in m {
                let e = acc.entry(g).or_insert(0);
                *e = (*e).max(k);
            }
            acc
        });
        let matched: usize = cand.iter().map(|(g, k)| (*k).min(*ref_max.get(g).unwrap_or(&0))).sum();
        let num = if matched == 0 { 0.1 } else { matched as f64 };
        log_p += (num / total as f64).ln() / 4.0;
    }
    let closest = refs.iter().map(Vec::len).min_by_key(|&r| (r.abs_diff(c.len()), r)).unwrap_or(0);
    let bp = if c.len() > closest { 1.0 } else { (1.0 - closest as f64 / c.len() as f64).exp() };
    Ok(bp * log_p.exp())
}

/// 1 at `target` words, falling linearly to 0 at 0 and 2 * target words.
pub fn length_reward(text: &str, target: usize) -> Result<f64> {
    if target == 0 {
        return Err(GuidanceError::Invalid("target length must be at least 1 word".into()));
    }
    let w = words(text).len() as f64;
    Ok((1.0 - (w - target as f64).abs() / target as f64).max(0.0))
}

/// Share of `keywords` that occur in `text` (case-insensitive substring match).
pub fn keyword_reward(text: &str, keywords: &[&str]) -> Result<f64> {
    if keywords.is_empty() || keywords.iter().any(|k| k.is_empty()) {
        return Err(GuidanceError::Invalid("keywords must be non-empty".into()));
    }
    let t = text.to_lowercase();
    Ok(keywords.iter().filter(|k| t.contains(&k.to_lowercase())).count() as f64 / keywords.len() as f64)
}
