//! Pre-tokenizer split regexes selected by `tokenizer.ggml.pre`, copied from llama.cpp `src/llama-vocab.cpp`
//! (`llm_tokenizer_bpe` constructor). llama.cpp applies each expression in turn, keeping both matches and the text
//! between them as pieces; that is `tokenizers`' `Split` with `Isolated` behaviour, chained in a `Sequence`.
//! Only families that, like SmolLM2's `smollm`, keep BPE merges on (`ignore_merges = false`) are mapped; Llama 3
//! and Qwen 2 style vocabs also change merge handling and BOS defaults in llama.cpp and are not supported yet. An
//! unknown `pre` value is an error rather than a silent wrong split.

/// GPT-2's split (llama.cpp `LLAMA_VOCAB_PRE_TYPE_GPT2`).
const GPT2: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";

/// The regexes llama.cpp applies for a `tokenizer.ggml.pre` value, or `None` if this crate does not know it.
pub fn split_regexes(pre: &str) -> Option<Vec<&'static str>> {
    Some(match pre {
        // llama.cpp LLAMA_VOCAB_PRE_TYPE_DEFAULT (also used when the key is absent).
        "default" => vec![r"[\p{P}\$\+<=>\^~\|]+", GPT2, r"\p{N}+", "[0-9][0-9][0-9]"],
        "gpt-2" | "gpt2" | "jina-v1-en" | "jina-v2-code" | "roberta-bpe" | "mpt" | "olmo" => vec![GPT2],
        // Digits one by one, then GPT-2 (STARCODER, REFACT, COMMAND_R, SMOLLM, CODESHELL, EXAONE).
        "starcoder" | "refact" | "command-r" | "smollm" | "codeshell" | "exaone" => {
            vec![r"\p{N}", GPT2]
        }
        _ => return None,
    })
}
