//! Byte-level BPE tokenizer built from GGUF metadata (`tokenizer.ggml.model = "gpt2"`) with the `tokenizers`
//! crate, matching llama.cpp's tokenization: the pre-tokenizer split regexes come from `tokenizer.ggml.pre`
//! ([`pre`]), control (type 3) and user-defined (type 4) tokens are matched whole. SentencePiece (`llama`) vocabs
//! are not supported. Decoding is done here from token bytes so streaming never splits a UTF-8 character.

pub mod chat;
mod pre;
mod stream;

pub use stream::StreamDecoder;

use crate::formats::gguf::{GgufError, GgufHeader};
use crate::{Error, Result};
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, PreTokenizerWrapper, SplitDelimiterBehavior};

const OP: &str = "tokenizer";

/// llama.cpp `llama_token_type` values stored in `tokenizer.ggml.token_type`.
const TYPE_CONTROL: i64 = 3;
const TYPE_USER_DEFINED: i64 = 4;

/// Texts of control tokens that end generation (llama.cpp's EOG list, the part relevant to BPE vocabs).
const EOG_TEXTS: [&str; 5] = ["<|endoftext|>", "<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>"];

/// A GGUF byte-level BPE tokenizer.
pub struct Tokenizer {
    /// Control tokens are matched in the text (llama.cpp `parse_special = true`).
    parse_special: tokenizers::Tokenizer,
    /// Control tokens are plain text (`parse_special = false`); user-defined tokens still match, as in llama.cpp.
    plain: tokenizers::Tokenizer,
    /// Decoded bytes of each token.
    pieces: Vec<Vec<u8>>,
    is_control: Vec<bool>,
    bos: Option<u32>,
    eos: Option<u32>,
    eot: Option<u32>,
    eog: Vec<u32>,
    add_bos: bool,
    add_eos: bool,
}

impl Tokenizer {
    /// Builds the tokenizer from `tokenizer.ggml.*` metadata.
    pub fn from_gguf(h: &GgufHeader) -> Result<Tokenizer> {
        let model = h.get_str("tokenizer.ggml.model")?;
        if model != "gpt2" {
            let msg = format!("tokenizer.ggml.model = {model:?} is not supported (only \"gpt2\")");
            return Err(Error::invalid(OP, msg));
        }
        let pre = optional(h, "tokenizer.ggml.pre", GgufHeader::get_str)?.unwrap_or("default");
        let regexes = pre::split_regexes(pre)
            .ok_or_else(|| Error::invalid(OP, format!("tokenizer.ggml.pre = {pre:?} is not supported")))?;
        let tokens = h.get_str_array("tokenizer.ggml.tokens")?;
        if tokens.is_empty() || tokens.len() > u32::MAX as usize / 2 {
            return Err(Error::invalid(OP, format!("vocabulary of {} tokens", tokens.len())));
        }
        let types = optional(h, "tokenizer.ggml.token_type", GgufHeader::get_i64_array)?
            .unwrap_or_else(|| vec![1; tokens.len()]);
        if types.len() != tokens.len() {
            return Err(Error::shape(OP, tokens.len(), types.len()));
        }
        let merges = h.get_str_array("tokenizer.ggml.merges")?;
        let id = |key: &str| -> Result<Option<u32>> {
            match optional(h, key, GgufHeader::get_u32)? {
                Some(v) if v as usize >= tokens.len() => {
                    Err(Error::invalid(OP, format!("{key} = {v} is outside the vocabulary")))
                }
                v => Ok(v),
            }
        };
        let (bos, eos) = (id("tokenizer.ggml.bos_token_id")?, id("tokenizer.ggml.eos_token_id")?);
        let add_bos = optional(h, "tokenizer.ggml.add_bos_token", GgufHeader::get_bool)?.unwrap_or(false);
        let add_eos = optional(h, "tokenizer.ggml.add_eos_token", GgufHeader::get_bool)?.unwrap_or(false);

        let is_control: Vec<bool> = types.iter().map(|&t| t == TYPE_CONTROL).collect();
        let parse_special = build_hf(&tokens, &types, &merges, &regexes)?;
        let mut plain = parse_special.clone();
        plain.set_encode_special_tokens(true);
        let pieces = tokens.iter().zip(&types).map(|(t, &ty)| token_bytes(t, ty)).collect();
        let find = |text: &str| {
            tokens
                .iter()
                .position(|t| *t == text)
                .filter(|&i| is_control[i])
                .map(|i| i as u32)
        };
        let eot = id("tokenizer.ggml.eot_token_id")?
            .or_else(|| find("<|im_end|>"))
            .or(eos);
        let mut eog: Vec<u32> = EOG_TEXTS.iter().filter_map(|t| find(t)).chain(eos).chain(eot).collect();
        eog.sort_unstable();
        eog.dedup();
        Ok(Tokenizer {
            parse_special,
            plain,
            pieces,
            is_control,
            bos,
            eos,
            eot,
            eog,
            add_bos,
            add_eos,
        })
    }

    /// Token ids of `text`. `add_special` adds BOS/EOS as the GGUF's `add_bos_token`/`add_eos_token` say;
    /// `parse_special` matches control tokens such as `<|im_start|>` written in the text.
    pub fn encode(&self, text: &str, add_special: bool, parse_special: bool) -> Result<Vec<u32>> {
        let tk = if parse_special {
            &self.parse_special
        } else {
            &self.plain
        };
        let enc = tk
            .encode_fast(text, false)
            .map_err(|e| Error::invalid(OP, format!("encode failed: {e}")))?;
        let mut ids = Vec::with_capacity(enc.len() + 2);
        if add_special && self.add_bos {
            ids.extend(self.bos);
        }
        ids.extend_from_slice(enc.get_ids());
        if add_special && self.add_eos {
            ids.extend(self.eos);
        }
        Ok(ids)
    }

    /// The text of `ids`, control tokens included as their text (so `decode(encode(t, false, true)) == t`).
    /// Invalid UTF-8 (a character cut by the end of `ids`) becomes U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.decode_bytes(ids, false)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Like [`Tokenizer::decode`] but control tokens render as nothing (what a chat UI shows).
    pub fn decode_skip_special(&self, ids: &[u32]) -> Result<String> {
        self.decode_bytes(ids, true)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    fn decode_bytes(&self, ids: &[u32], skip_special: bool) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for &id in ids {
            if !(skip_special && self.is_control(id)) {
                out.extend_from_slice(self.token_to_piece(id)?);
            }
        }
        Ok(out)
    }

    /// The bytes a token stands for (may be part of a UTF-8 character).
    pub fn token_to_piece(&self, id: u32) -> Result<&[u8]> {
        self.pieces.get(id as usize).map(Vec::as_slice).ok_or_else(|| {
            Error::invalid(
                OP,
                format!("token id {id} outside the vocabulary of {}", self.pieces.len()),
            )
        })
    }

    /// Whether `id` is a control token (`<|im_start|>`, `<|endoftext|>`, ...).
    pub fn is_control(&self, id: u32) -> bool {
        self.is_control.get(id as usize).copied().unwrap_or(false)
    }

    pub fn vocab_size(&self) -> usize {
        self.pieces.len()
    }

    pub fn bos_id(&self) -> Option<u32> {
        self.bos
    }

    pub fn eos_id(&self) -> Option<u32> {
        self.eos
    }

    /// End of turn: `tokenizer.ggml.eot_token_id`, else ChatML's `<|im_end|>`, else EOS.
    pub fn eot_id(&self) -> Option<u32> {
        self.eot
    }

    /// Whether generation should stop at `id` (EOS, EOT and the usual end-of-text control tokens).
    pub fn is_eog(&self, id: u32) -> bool {
        self.eog.binary_search(&id).is_ok()
    }

    /// The end-of-generation ids, sorted.
    pub fn eog_ids(&self) -> &[u32] {
        &self.eog
    }
}

/// A metadata value that may be absent; present with another type is still an error.
fn optional<'h, T>(
    h: &'h GgufHeader,
    key: &str,
    get: impl Fn(&'h GgufHeader, &str) -> std::result::Result<T, GgufError>,
) -> Result<Option<T>> {
    match h.get(key) {
        None => Ok(None),
        Some(_) => Ok(Some(get(h, key)?)),
    }
}

/// The `tokenizers` pipeline: BPE over the vocab and merges, llama.cpp's split regexes, byte-level mapping.
fn build_hf(tokens: &[&str], types: &[i64], merges: &[&str], regexes: &[&str]) -> Result<tokenizers::Tokenizer> {
    let bad = |what: &str, e: &dyn std::fmt::Display| Error::invalid(OP, format!("{what}: {e}"));
    let vocab: Vocab = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.to_string(), i as u32))
        .collect();
    let mut pairs = Vec::with_capacity(merges.len());
    for m in merges {
        let (a, b) = m.split_once(' ').ok_or_else(|| bad("merge without a space", m))?;
        pairs.push((a.to_string(), b.to_string()));
    }
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, pairs)
        .build()
        .map_err(|e| bad("BPE", &e))?;
    let mut steps: Vec<PreTokenizerWrapper> = Vec::with_capacity(regexes.len() + 1);
    for r in regexes {
        let split = Split::new(
            SplitPattern::Regex(r.to_string()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map_err(|e| bad("split regex", &e))?;
        steps.push(split.into());
    }
    // Regex splitting is done above, so the byte-level step only maps bytes to its printable alphabet.
    steps.push(ByteLevel::new(false, false, false).into());
    let mut tk = tokenizers::Tokenizer::new(bpe);
    tk.with_pre_tokenizer(Some(Sequence::new(steps)));
    tk.with_decoder(Some(ByteLevel::default()));
    // Control tokens go in the special set (skipped when `encode_special_tokens` is on); user-defined ones do not.
    let added = |ty: i64| -> Vec<AddedToken> {
        let chosen = tokens.iter().zip(types).filter(|(_, t)| **t == ty);
        chosen
            .map(|(s, _)| AddedToken::from(s.to_string(), ty == TYPE_CONTROL).normalized(false))
            .collect()
    };
    tk.add_special_tokens(&added(TYPE_CONTROL));
    tk.add_tokens(&added(TYPE_USER_DEFINED));
    Ok(tk)
}

/// Bytes of a token: byte-level-decoded for normal tokens, the text itself for control/user-defined tokens.
fn token_bytes(text: &str, ty: i64) -> Vec<u8> {
    if ty == TYPE_CONTROL || ty == TYPE_USER_DEFINED {
        return text.as_bytes().to_vec();
    }
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match stream::byte_of_char(c) {
            Some(b) => out.push(b),
            // Not in the byte-level alphabet: keep the character as UTF-8.
            None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out
}
