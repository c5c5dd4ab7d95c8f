//! Shared helpers for the native test tier: a seeded RNG, `all_close` that names the worst element, and the GPU
//! device (lavapipe in CI). With `WEBREWARD_REQUIRE_GPU=1` a missing adapter fails the test instead of skipping.
#![allow(dead_code)]

use std::sync::OnceLock;

use webreward::Device;

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

/// The shared GPU device, or `None` (with a note) when this machine has none and it is not required.
pub fn gpu() -> Option<Device> {
    static GPU: OnceLock<Option<Device>> = OnceLock::new();
    GPU.get_or_init(|| match block_on(Device::gpu()) {
        Ok(d) => {
            eprintln!("GPU: {d:?}");
            Some(d)
        }
        Err(e) => {
            assert!(std::env::var("WEBREWARD_REQUIRE_GPU").as_deref() != Ok("1"), "GPU required but unavailable: {e}");
            eprintln!("skipping GPU comparisons: {e}");
            None
        }
    })
    .clone()
}

/// SplitMix64: deterministic test data without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn vec(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }
}

/// Asserts |a - b| <= atol + rtol * |b| everywhere, reporting the worst element and its index.
pub fn all_close(what: &str, got: &[f32], want: &[f32], atol: f32, rtol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length {} vs {}", got.len(), want.len());
    let mut worst = (0usize, 0f32);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let excess = (g - w).abs() - (atol + rtol * w.abs());
        if excess.is_nan() || excess > worst.1 {
            worst = (i, if excess.is_nan() { f32::INFINITY } else { excess });
        }
    }
    let (i, e) = worst;
    assert!(e <= 0.0, "{what}: element {i}: got {} want {} (excess {e})", got[i], want[i]);
}

/// A model file under `$WEBREWARD_MODELS`, else `$WEBREWARD_CACHE/models`, else `$HOME/.cache/webreward/models`;
/// fails with what to run when it is missing (the README's commands fetch it).
pub fn model_file(name: &str) -> std::path::PathBuf {
    use std::path::PathBuf;
    let env = |k: &str| std::env::var_os(k).map(PathBuf::from);
    let dir = env("WEBREWARD_MODELS").unwrap_or_else(|| {
        env("WEBREWARD_CACHE")
            .unwrap_or_else(|| env("HOME").unwrap_or_default().join(".cache/webreward"))
            .join("models")
    });
    let p = dir.join(name);
    assert!(p.exists(), "model file {} is missing: run scripts/setup.sh (see README.md)", p.display());
    p
}
