//! Matvec benchmark (`cargo bench --bench matvec`): CPU and GPU time of `ops::matmul` per quant type on SmolLM-like
//! shapes, effective weight bandwidth (bytes of the GGUF weight / time) and, as the roofline, a STREAM-like read
//! bandwidth of this machine (sum over a 256 MB f32 array, one thread and all threads). GPU time is submit + read
//! back of the output, warm, median of several runs. `MATVEC_QUICK=1` runs only the smallest shape.

use std::hint::black_box;
use std::time::{Duration, Instant};

use webreward::quant::{QuantType, Weight};
use webreward::{ops, Device, Tensor};

const TYPES: [QuantType; 5] = [QuantType::F32, QuantType::F16, QuantType::Q8_0, QuantType::Q4_1, QuantType::Q4_0];

/// Median seconds of `f` over at least 3 runs and about `budget` of wall time (after one warm-up run).
fn median(budget: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let (start, mut times) = (Instant::now(), Vec::new());
    while times.len() < 3 || (start.elapsed() < budget && times.len() < 200) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Read bandwidth in GB/s summing `data` split over `threads` threads.
fn stream(data: &[f32], threads: usize) -> f64 {
    let sum = |s: &[f32]| {
        let mut acc = [0f32; 16];
        for c in s.chunks_exact(16) {
            for k in 0..16 {
                acc[k] += c[k];
            }
        }
        acc.iter().sum::<f32>()
    };
    let per = data.len().div_ceil(threads);
    let t = median(Duration::from_secs(2), || {
        let total: f32 = std::thread::scope(|s| {
            let hs: Vec<_> = data.chunks(per).map(|c| s.spawn(move || sum(c))).collect();
            hs.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
        });
        black_box(total);
    });
    data.len() as f64 * 4.0 / t / 1e9
}

fn values(n: usize) -> Vec<f32> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect()
}

fn bench(d: &Device, w: &Weight, m: usize) -> f64 {
    let x = Tensor::from_f32(d, &[m, w.cols()], &values(m * w.cols())).expect("input");
    median(Duration::from_millis(700), || {
        let y = ops::matmul(&x, w).expect("matmul");
        black_box(pollster::block_on(y.to_vec_f32()).expect("read back"));
    })
}

fn main() {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let big = vec![1.0f32; 64 << 20];
    let (bw1, bwn) = (stream(&big, 1), stream(&big, threads));
    drop(big);
    println!("STREAM-like read (sum of 256 MB f32): 1 thread {bw1:.1} GB/s, {threads} threads {bwn:.1} GB/s");
    let gpu = pollster::block_on(Device::gpu()).ok();
    println!("GPU: {}", if gpu.is_some() { "available" } else { "none (GPU columns skipped)" });
    let quick = std::env::var("MATVEC_QUICK").is_ok();
    let shapes: &[(usize, usize)] = if quick { &[(1536, 576)] } else { &[(1536, 576), (576, 1536), (49152, 576)] };
    println!(
        "{:<6} {:>12} {:>3} {:>10} {:>9} {:>7} {:>10} {:>9}",
        "type", "rows x cols", "m", "cpu us", "cpu GB/s", "of max", "gpu us", "gpu GB/s"
    );
    for &(rows, cols) in shapes {
        let vals = values(rows * cols);
        for t in TYPES {
            let bytes = (rows * cols / t.block_size() * t.block_bytes()) as f64;
            let cw = Weight::from_f32(&Device::Cpu, t, rows, cols, &vals).expect("cpu weight");
            let gw = gpu.as_ref().map(|g| Weight::from_f32(g, t, rows, cols, &vals).expect("gpu weight"));
            for m in [1, 8] {
                let c = bench(&Device::Cpu, &cw, m);
                let g = gw.as_ref().zip(gpu.as_ref()).map(|(w, d)| bench(d, w, m));
                let gcol = g.map_or("-".to_string(), |g| format!("{:>10.1} {:>9.2}", g * 1e6, bytes / g / 1e9));
                println!(
                    "{:<6} {:>12} {m:>3} {:>10.1} {:>9.2} {:>6.0}% {gcol}",
                    format!("{t:?}"),
                    format!("{rows}x{cols}"),
                    c * 1e6,
                    bytes / c / 1e9,
                    100.0 * bytes / c / 1e9 / bwn
                );
            }
        }
    }
}
