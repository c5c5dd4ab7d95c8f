//! Generation throughput (a benchmark, not a test): prefill and decode tokens/s of the SmolLM2 Q4_1 policy on the
//! native CPU and GPU, and batched best-of-N decoding (N sequences sharing the prompt's KV cache, one forward per
//! step) against N sequential generations. `cargo bench --bench generate`; the llama.cpp peer runs in the same
//! command through scripts/bench_llama_cpp.py when its venv exists. Set WEBREWARD_BENCH_GPU=0 to skip the GPU.

use std::time::Instant;

use webreward::formats::gguf::Gguf;
use webreward::generation::{generate, GenerateOptions, SamplingOptions};
use webreward::models::Llama;
use webreward::tokenizer::chat::{ChatTemplate, Message};
use webreward::tokenizer::Tokenizer;
use webreward::Device;

fn model_path() -> std::path::PathBuf {
    let cache = std::env::var_os("WEBREWARD_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/webreward"));
    std::env::var_os("WEBREWARD_MODELS").map(std::path::PathBuf::from).unwrap_or(cache.join("models")).join("SmolLM2-135M-Instruct.Q4_1.gguf")
}

struct Run {
    prefill_tps: f64,
    decode_tps: f64,
    tokens: usize,
    kv_bytes: u64,
}

fn run(model: &Llama, tok: &Tokenizer, prompt: &[u32], n: usize, new: usize, seed: u64) -> Run {
    let opts = GenerateOptions {
        max_new_tokens: new,
        sampling: SamplingOptions { temperature: 0.8, top_k: 40, seed, ..Default::default() },
        stop_at_end_of_generation: false,
        ..Default::default()
    };
    let g = pollster::block_on(generate(model, tok, prompt, n, &opts, &mut |_, _| {})).expect("generate");
    let tokens: usize = g.completions.iter().map(|c| c.ids.len()).sum();
    Run {
        prefill_tps: g.prompt_tokens as f64 / (g.prefill_ms / 1e3),
        decode_tps: (tokens - n) as f64 / (g.decode_ms / 1e3),
        tokens,
        kv_bytes: g.kv_cache_bytes,
    }
}

fn bench_device(name: &str, device: &Device, gguf: &Gguf<memmap2::Mmap>, prompt: &[u32], new: usize) {
    let model = Llama::load(device, gguf).expect("load");
    let tok = Tokenizer::from_gguf(&gguf.header).expect("tokenizer");
    run(&model, &tok, prompt, 1, 4, 0);
    let one = run(&model, &tok, prompt, 1, new, 1);
    println!("{name}: prompt {} tokens, prefill {:.1} tok/s, decode {:.1} tok/s (1 sequence, {new} new)", prompt.len(), one.prefill_tps, one.decode_tps);
    println!("{name}: best-of-N total generated tokens/s, batched (one forward per step, shared prompt KV) vs N sequential runs");
    for n in [1usize, 2, 4, 8, 16] {
        let t0 = Instant::now();
        let b = run(&model, &tok, prompt, n, new, 2);
        let batched = b.tokens as f64 / t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        let mut seq_tokens = 0;
        for s in 0..n {
            seq_tokens += run(&model, &tok, prompt, 1, new, 100 + s as u64).tokens;
        }
        let sequential = seq_tokens as f64 / t0.elapsed().as_secs_f64();
        let separate = (n as u64) * run(&model, &tok, prompt, 1, 1, 0).kv_bytes / (prompt.len() as u64 + 1) * (prompt.len() + new) as u64;
        println!(
            "{name}: N={n:>2}  batched {batched:>7.1} tok/s  sequential {sequential:>7.1} tok/s  ratio {:.2}x  KV cache {:.1} MiB (N separate caches {:.1} MiB)",
            batched / sequential,
            b.kv_bytes as f64 / 1048576.0,
            separate as f64 / 1048576.0
        );
    }
}

fn main() {
    let gguf = Gguf::open(model_path()).expect("model (run scripts/setup.sh)");
    let tok = Tokenizer::from_gguf(&gguf.header).expect("tokenizer");
    let chat = ChatTemplate::from_gguf(&gguf.header).expect("template");
    let prompt = chat.encode(&tok, &[Message::new("user", "Write a short story about a lighthouse keeper who finds a message in a bottle.")], true).expect("prompt");
    let new = 32;
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    bench_device(&format!("native CPU ({threads} threads)"), &Device::Cpu, &gguf, &prompt, new);
    if std::env::var("WEBREWARD_BENCH_GPU").as_deref() != Ok("0") {
        match pollster::block_on(Device::gpu()) {
            Ok(d) => bench_device(&format!("native GPU {d:?}"), &d, &gguf, &prompt, new),
            Err(e) => println!("native GPU: unavailable ({e})"),
        }
    }
}
