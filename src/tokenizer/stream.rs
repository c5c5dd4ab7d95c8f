//! Incremental detokenization for streaming generation, and GPT-2's byte-to-character alphabet.
//! A token can end in the middle of a UTF-8 character (emoji, CJK), so bytes are held back until the character
//! completes; bytes that can never form a character are emitted as U+FFFD, like `String::from_utf8_lossy`.

use super::Tokenizer;
use crate::Result;

const fn printable(b: u32) -> bool {
    (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255)
}

/// The 68 non-printable bytes in order; the i-th is written as U+0100 + i.
const SHIFTED: [u8; 68] = {
    let mut out = [0u8; 68];
    let (mut b, mut n) = (0u32, 0usize);
    while b < 256 {
        if !printable(b) {
            out[n] = b as u8;
            n += 1;
        }
        b += 1;
    }
    out
};

/// GPT-2 `bytes_to_unicode` (openai/gpt-2 `encoder.py`) inverted: the byte a printable character stands for.
/// Printable bytes map to themselves; the other 68 bytes (0..=32, 127..=160, 173) map to U+0100 onwards in order.
pub(crate) fn byte_of_char(c: char) -> Option<u8> {
    let cp = c as u32;
    if cp < 256 {
        return if printable(cp) { Some(cp as u8) } else { None };
    }
    SHIFTED.get((cp - 256) as usize).copied()
}

/// Turns a stream of token ids into text pieces that never split a character.
#[derive(Debug, Default, Clone)]
pub struct StreamDecoder {
    pending: Vec<u8>,
    skip_special: bool,
}

impl StreamDecoder {
    /// `skip_special`: control tokens produce no text (what a chat UI shows).
    pub fn new(skip_special: bool) -> Self {
        StreamDecoder {
            pending: Vec::new(),
            skip_special,
        }
    }

    /// Adds one token; returns the text that is now complete (possibly empty).
    pub fn push(&mut self, tokenizer: &Tokenizer, id: u32) -> Result<String> {
        if self.skip_special && tokenizer.is_control(id) {
            return Ok(String::new());
        }
        self.pending.extend_from_slice(tokenizer.token_to_piece(id)?);
        Ok(self.take_complete())
    }

    /// Flushes what is left at the end of the stream (an unfinished character becomes U+FFFD).
    pub fn finish(&mut self) -> String {
        let out = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        out
    }

    fn take_complete(&mut self) -> String {
        let mut out = String::new();
        let mut rest: &[u8] = &self.pending;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    rest = &[];
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    // `valid` is UTF-8 by construction of `valid_up_to`.
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        // An incomplete character at the end: wait for the next token.
                        None => {
                            rest = after;
                            break;
                        }
                        Some(n) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[n..];
                        }
                    }
                }
            }
        }
        self.pending = rest.to_vec();
        out
    }
}
