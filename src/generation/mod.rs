//! Text generation from a llama policy: prefill the prompt once, then decode `n` sequences as one batch that
//! shares the prompt's KV slots (each sequence owns a region for its own tokens), sampling every sequence with its
//! own seed on the device, so a step reads back only token ids. `n = 1` is plain generation, `n > 1` is the
//! candidate pool of best-of-N.

mod options;

pub use options::{GenerateOptions, SamplingOptions};

use crate::clock::now_ms;
use crate::error::Error;
use crate::models::{Batch, Llama, ModelError};
use crate::ops::{self, AttnRow, SampleParams};
use crate::tokenizer::{StreamDecoder, Tokenizer};

/// Most sequences decoded together; bounds the KV cache and the batch.
pub const MAX_SEQUENCES: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// An end-of-generation token (EOS, `<|im_end|>`...).
    EndOfGeneration,
    StopString,
    MaxTokens,
}

#[derive(Clone, Debug)]
pub struct Completion {
    /// Generated ids, the stop token excluded.
    pub ids: Vec<u32>,
    /// Decoded text without control tokens, cut before a matched stop string.
    pub text: String,
    pub stop: StopReason,
}

#[derive(Clone, Debug)]
pub struct Generation {
    pub completions: Vec<Completion>,
    pub prompt_tokens: usize,
    pub prefill_ms: f64,
    pub decode_ms: f64,
    /// Bytes of the KV cache allocated for the whole batch.
    pub kv_cache_bytes: u64,
}

struct Sequence {
    seed: u64,
    ids: Vec<u32>,
    decoder: StreamDecoder,
    text: String,
    stop: Option<StopReason>,
}

/// Seed of sequence `s`: sequence 0 uses the caller's seed, the others are decorrelated from it.
pub fn sequence_seed(seed: u64, s: usize) -> u64 {
    seed ^ (s as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Generates `n` completions of `prompt` (token ids, chat template already applied). `on_piece(s, text)` streams
/// each sequence's decoded text as it grows (never splitting a UTF-8 character).
pub async fn generate(
    model: &Llama,
    tokenizer: &Tokenizer,
    prompt: &[u32],
    n: usize,
    opts: &GenerateOptions,
    on_piece: &mut dyn FnMut(usize, &str),
) -> Result<Generation, ModelError> {
    opts.validate(n, prompt.len(), model.config.context_len)?;
    let (p, max_new) = (prompt.len(), opts.max_new_tokens);
    let mut cache = model.new_cache(p + n * max_new)?;
    let t0 = now_ms();
    let rows: Vec<AttnRow> = (0..p).map(|i| AttnRow { shared_len: 0, own_start: 0, own_len: i as u32 + 1 }).collect();
    let positions: Vec<u32> = (0..p as u32).collect();
    let batch = Batch { ids: prompt, positions: &positions, slots: &positions, rows: &rows };
    let hidden = model.forward(&batch, &mut cache)?.narrow_rows(p - 1, 1)?;
    let mut logits = model.logits(&hidden.repeat_rows(n)?)?;
    let mut seqs: Vec<Sequence> = (0..n)
        .map(|s| Sequence {
            seed: sequence_seed(opts.sampling.seed, s),
            ids: Vec::new(),
            decoder: StreamDecoder::new(true),
            text: String::new(),
            stop: None,
        })
        .collect();
    let mut active: Vec<usize> = (0..n).collect();
    let mut prefill_ms = None;
    for step in 0..max_new {
        let next = sample(&logits, &active, &seqs, prompt, step, opts).await?;
        prefill_ms.get_or_insert_with(|| now_ms() - t0);
        for (&s, &id) in active.iter().zip(&next) {
            advance(&mut seqs[s], tokenizer, id, opts, max_new, s, on_piece)?;
        }
        active.retain(|&s| seqs[s].stop.is_none());
        if active.is_empty() {
            break;
        }
        let ids: Vec<u32> = active.iter().map(|&s| *seqs[s].ids.last().unwrap_or(&0)).collect();
        let t = step as u32 + 1;
        let positions = vec![p as u32 + step as u32; active.len()];
        let own = |s: usize| (p + s * max_new) as u32;
        let slots: Vec<u32> = active.iter().map(|&s| own(s) + step as u32).collect();
        let rows: Vec<AttnRow> =
            active.iter().map(|&s| AttnRow { shared_len: p as u32, own_start: own(s), own_len: t }).collect();
        let batch = Batch { ids: &ids, positions: &positions, slots: &slots, rows: &rows };
        logits = model.logits(&model.forward(&batch, &mut cache)?)?;
    }
    let prefill_ms = prefill_ms.unwrap_or(0.0);
    let completions = seqs
        .into_iter()
        .map(|s| Completion { ids: s.ids, text: s.text, stop: s.stop.unwrap_or(StopReason::MaxTokens) })
        .collect();
    Ok(Generation { completions, prompt_tokens: p, prefill_ms, decode_ms: now_ms() - t0 - prefill_ms, kv_cache_bytes: cache.bytes() })
}

/// Samples one id per active sequence on the device and reads back only the ids.
async fn sample(
    logits: &crate::Tensor,
    active: &[usize],
    seqs: &[Sequence],
    prompt: &[u32],
    step: usize,
    opts: &GenerateOptions,
) -> Result<Vec<u32>, ModelError> {
    let s = &opts.sampling;
    let penalised;
    let logits = if s.repetition_penalty != 1.0 {
        let history: Vec<Vec<u32>> = active
            .iter()
            .map(|&i| {
                let all: Vec<u32> = prompt.iter().chain(&seqs[i].ids).copied().collect();
                all[all.len().saturating_sub(s.repetition_last_n)..].to_vec()
            })
            .collect();
        penalised = ops::repetition_penalty(logits, &history, s.repetition_penalty)?;
        &penalised
    } else {
        logits
    };
    let params: Vec<SampleParams> = active
        .iter()
        .map(|&i| SampleParams { temperature: s.temperature, top_k: s.top_k, top_p: s.top_p, seed: seqs[i].seed, step: step as u32 })
        .collect();
    let ids = ops::sample(logits, &params)?.to_vec_u32().await?;
    if ids.len() != active.len() {
        return Err(Error::shape("sample", active.len(), ids.len()).into());
    }
    Ok(ids)
}

/// Appends `id` to a sequence, streams its text and decides whether it stops.
fn advance(
    seq: &mut Sequence,
    tokenizer: &Tokenizer,
    id: u32,
    opts: &GenerateOptions,
    max_new: usize,
    s: usize,
    on_piece: &mut dyn FnMut(usize, &str),
) -> Result<(), ModelError> {
    if opts.stop_at_end_of_generation && tokenizer.is_eog(id) {
        seq.stop = Some(StopReason::EndOfGeneration);
        let tail = seq.decoder.finish();
        emit(seq, &tail, s, on_piece);
        return Ok(());
    }
    seq.ids.push(id);
    let piece = seq.decoder.push(tokenizer, id)?;
    let before = seq.text.len();
    seq.text.push_str(&piece);
    if let Some(cut) = opts.stop_strings.iter().filter_map(|st| seq.text.find(st.as_str())).min() {
        seq.text.truncate(cut);
        seq.stop = Some(StopReason::StopString);
    } else if seq.ids.len() >= max_new {
        seq.stop = Some(StopReason::MaxTokens);
        let tail = seq.decoder.finish();
        seq.text.push_str(&tail);
    }
    if seq.text.len() > before {
        let new = seq.text[before..].to_string();
        on_piece(s, &new);
    }
    Ok(())
}

fn emit(seq: &mut Sequence, piece: &str, s: usize, on_piece: &mut dyn FnMut(usize, &str)) {
    if !piece.is_empty() {
        seq.text.push_str(piece);
        on_piece(s, piece);
    }
}
