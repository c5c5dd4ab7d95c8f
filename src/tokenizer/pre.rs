//! Pre-tokenizer split regexes selected by `tokenizer.ggml.pre`, copied from llama.cpp `src/llama-vocab.cpp`
//! (`llm_tokenizer_bpe` constructor). llama.cpp applies each expression in turn, keeping both matches and the text
//! between them as pieces; that is `tokenizers`' `Split` with `Isolated` behaviour, chained in a `Sequence`.
//! Only the families below are mapped; an unknown `pre` value is an error rather than a silent wrong split.

/// GPT-2's split (llama.cpp `LLAMA_VOCAB_PRE_TYPE_GPT2`).
const GPT2: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";

/// Llama 3's split, with llama.cpp's case-insensitive contractions spelled out.
const LLAMA3: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Qwen 2's split (single digits).
const QWEN2: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The regexes llama.cpp applies for a `tokenizer.ggml.pre` value, or `None` if this crate does not know it.
pub fn split_regexes(pre: &str) -> Option<Vec<&'static str>> {
    Some(match pre {
        // llama.cpp LLAMA_VOCAB_PRE_TYPE_DEFAULT (also used when the key is absent).
        "default" => vec![r"[\p{P}\$\+<=>\^~\|]+", GPT2, r"\p{N}+", "[0-9][0-9][0-9]"],
        "gpt-2" | "gpt2" | "phi-2" | "jina-es" | "jina-de" | "jina-v1-en" | "jina-v2-es" | "jina-v2-de"
        | "jina-v2-code" | "roberta-bpe" | "mpt" | "olmo" => vec![GPT2],
        // Digits one by one, then GPT-2 (STARCODER, REFACT, COMMAND_R, SMOLLM, CODESHELL, EXAONE, MINERVA).
        "starcoder" | "refact" | "command-r" | "smollm" | "codeshell" | "exaone" | "minerva-7b" => {
            vec![r"\p{N}", GPT2]
        }
        "llama3" | "llama-v3" | "llama-bpe" | "falcon3" | "pixtral" => vec![LLAMA3],
        "qwen2" | "deepseek-r1-qwen" => vec![QWEN2],
        _ => return None,
    })
}
