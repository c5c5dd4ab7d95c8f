//! Tokenizer built from the SmolLM2 GGUF vs llama.cpp (fixtures from scripts/gen_llama_fixtures.py): ids equal on
//! every string with special-token parsing on and off, decode round-trips, streaming never splits a character,
//! and the GGUF's chat template renders as jinja2 does.

mod common;

use std::path::PathBuf;

use serde_json::Value as Json;
use webreward::formats::gguf::Gguf;
use webreward::tokenizer::chat::{ChatTemplate, Message};
use webreward::tokenizer::{StreamDecoder, Tokenizer};

const MODEL: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The model file, located by `common::model_file` (`$WEBREWARD_MODELS` or the setup cache).
fn model_path() -> PathBuf {
    common::model_file(MODEL)
}

fn fixture(rel: &str) -> Json {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

fn ids_of(v: &Json) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn messages_of(v: &Json) -> Vec<Message> {
    let msg = |m: &Json| Message::new(m["role"].as_str().unwrap(), m["content"].as_str().unwrap());
    v.as_array().unwrap().iter().map(msg).collect()
}

fn load() -> (Tokenizer, ChatTemplate) {
    let g = Gguf::open(model_path()).unwrap();
    (Tokenizer::from_gguf(&g).unwrap(), ChatTemplate::from_gguf(&g).unwrap())
}

#[test]
fn ids_match_llama_cpp() {
    let (tok, _) = load();
    let fx = fixture("tokenizer/llama_tokenize.json");
    let cases = fx["cases"].as_array().unwrap();
    let mut mismatches = Vec::new();
    for c in cases {
        let (text, special) = (c["text"].as_str().unwrap(), c["parse_special"].as_bool().unwrap());
        let want = ids_of(&c["ids"]);
        let got = tok.encode(text, false, special).unwrap();
        if got != want {
            mismatches.push(format!(
                "{text:?} (parse_special={special}): got {got:?}, llama.cpp {want:?}"
            ));
        }
    }
    println!(
        "tokenization: {}/{} cases equal to llama.cpp",
        cases.len() - mismatches.len(),
        cases.len()
    );
    assert!(cases.len() >= 600, "fixture has {} cases", cases.len());
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn decode_round_trips() {
    let (tok, _) = load();
    let fx = fixture("tokenizer/llama_tokenize.json");
    for c in fx["cases"].as_array().unwrap() {
        let text = c["text"].as_str().unwrap();
        let ids = ids_of(&c["ids"]);
        assert_eq!(tok.decode(&ids).unwrap(), text, "decode of llama.cpp ids");
        let ours = tok.encode(text, false, c["parse_special"].as_bool().unwrap()).unwrap();
        assert_eq!(tok.decode(&ours).unwrap(), text);
        // Streaming gives the same text, in pieces that are whole characters.
        let mut s = StreamDecoder::new(false);
        let mut out = String::new();
        for &id in &ours {
            out.push_str(&s.push(&tok, id).unwrap());
        }
        out.push_str(&s.finish());
        assert_eq!(out, text);
    }
}

#[test]
fn stream_decoder_holds_partial_characters() {
    let (tok, _) = load();
    // Emoji and CJK are split over byte-level tokens; every returned piece is a String, so no split character
    // can escape, and the held bytes must come out on the token that completes them.
    let text = "ok 🦀🦀 日本語 done";
    let ids = tok.encode(text, false, false).unwrap();
    let partial = ids
        .iter()
        .filter(|&&id| std::str::from_utf8(tok.token_to_piece(id).unwrap()).is_err())
        .count();
    assert!(partial > 0, "expected tokens holding partial characters in {ids:?}");
    let mut s = StreamDecoder::new(false);
    let pieces: Vec<String> = ids.iter().map(|&id| s.push(&tok, id).unwrap()).collect();
    assert!(pieces.iter().any(String::is_empty));
    assert_eq!(pieces.concat() + &s.finish(), text);
    // A cut character at the end of the stream becomes U+FFFD instead of vanishing.
    let crab = tok.encode("🦀", false, false).unwrap();
    assert!(crab.len() > 1);
    let mut s = StreamDecoder::new(false);
    assert_eq!(s.push(&tok, crab[0]).unwrap(), "");
    assert_eq!(s.finish(), "\u{FFFD}");
    // skip_special drops control tokens.
    let ids = tok.encode("<|im_start|>hi<|im_end|>", false, true).unwrap();
    let mut s = StreamDecoder::new(true);
    let shown: String = ids.iter().map(|&id| s.push(&tok, id).unwrap()).collect();
    assert_eq!(shown, "hi");
    assert_eq!(tok.decode_skip_special(&ids).unwrap(), "hi");
}

#[test]
fn special_ids_and_errors() {
    let (tok, _) = load();
    assert_eq!(tok.vocab_size(), 49152);
    assert_eq!((tok.bos_id(), tok.eos_id()), (Some(1), Some(2)));
    let im_end = tok.encode("<|im_end|>", false, true).unwrap();
    assert_eq!(im_end.len(), 1);
    assert_eq!(tok.eot_id(), Some(im_end[0]));
    let endoftext = tok.encode("<|endoftext|>", false, true).unwrap();
    assert!(tok.is_eog(endoftext[0]) && tok.is_eog(im_end[0]) && !tok.is_eog(1));
    assert!(tok.is_control(im_end[0]));
    // add_bos_token is false in this file, so add_special adds nothing.
    assert_eq!(
        tok.encode("hi", true, true).unwrap(),
        tok.encode("hi", false, true).unwrap()
    );
    assert_eq!(tok.token_to_piece(49152).unwrap_err().code(), "INVALID_ARGUMENT");
    assert!(tok.decode(&[5, 49152]).is_err());
    assert_eq!(tok.token_to_piece(im_end[0]).unwrap(), b"<|im_end|>");
}

#[test]
fn chat_template_renders_like_jinja2_and_tokenizes_like_llama_cpp() {
    let (tok, chat) = load();
    let fx = fixture("tokenizer/chat_template.json");
    for c in fx["chats"].as_array().unwrap() {
        let msgs = messages_of(&c["messages"]);
        let gen_prompt = c["add_generation_prompt"].as_bool().unwrap();
        assert_eq!(chat.render(&msgs, gen_prompt).unwrap(), c["text"].as_str().unwrap());
    }
    let logits = fixture("llama/logits.json");
    for p in logits["prompts"].as_array().unwrap() {
        let msgs = messages_of(&p["messages"]);
        assert_eq!(chat.encode(&tok, &msgs, true).unwrap(), ids_of(&p["ids"]));
    }
}

#[test]
fn chat_template_hf_features() {
    let src = "{{ bos_token }}{% for m in messages %}{% if m.role not in ['user', 'assistant'] %}\
               {{ raise_exception('bad role ' ~ m.role) }}{% endif %}\n  {{ loop.index }}/{{ loop.length }} \
               {{ m.role.upper() }}: {{ m.content | trim }}{{ m.content.strip().startswith('x') }}\n\
               {% endfor %}{% if add_generation_prompt %}>{{ eos_token }}{% endif %}";
    let t = ChatTemplate::new(src, "<s>", "</s>").unwrap();
    let msgs = [Message::new("user", "  xa "), Message::new("assistant", "b")];
    assert_eq!(
        t.render(&msgs, true).unwrap(),
        "<s>  1/2 USER: xaTrue\n  2/2 ASSISTANT: bFalse\n></s>"
    );
    let e = t.render(&[Message::new("tool", "x")], false).unwrap_err();
    assert!(e.to_string().contains("bad role tool"), "{e}");
    assert_eq!(e.code(), "INVALID_ARGUMENT");
    assert!(ChatTemplate::new("{% for %}", "", "").is_err());
}

/// A GGUF with only string metadata (no tensors), for the tokenizer's error paths.
fn gguf_with(kvs: &[(&str, &str)]) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend(3u32.to_le_bytes());
    b.extend(0u64.to_le_bytes());
    b.extend((kvs.len() as u64).to_le_bytes());
    for (k, v) in kvs {
        for s in [k, v] {
            b.extend((s.len() as u64).to_le_bytes());
            b.extend(s.as_bytes());
            if std::ptr::eq(s, k) {
                b.extend(8u32.to_le_bytes());
            }
        }
    }
    b
}

#[test]
fn unsupported_metadata_is_a_typed_error() {
    let code = |kvs: &[(&str, &str)]| {
        let bytes = gguf_with(kvs);
        let g = Gguf::parse(&bytes).unwrap();
        Tokenizer::from_gguf(&g).err().map(|e| (e.code(), e.to_string()))
    };
    let (c, msg) = code(&[("tokenizer.ggml.model", "llama")]).unwrap();
    assert_eq!(c, "INVALID_ARGUMENT");
    assert!(msg.contains("llama"), "{msg}");
    let (c, msg) = code(&[("tokenizer.ggml.model", "gpt2"), ("tokenizer.ggml.pre", "no-such-pre")]).unwrap();
    assert!(c == "INVALID_ARGUMENT" && msg.contains("no-such-pre"), "{msg}");
    let (c, msg) = code(&[("tokenizer.ggml.model", "gpt2"), ("tokenizer.ggml.pre", "smollm")]).unwrap();
    assert!(
        c == "GGUF_MISSING_KEY" && msg.contains("tokenizer.ggml.tokens"),
        "{msg}"
    );
    let (c, _) = code(&[("tokenizer.ggml.model", "gpt2"), ("tokenizer.ggml.tokens", "x")]).unwrap();
    assert_eq!(c, "GGUF_WRONG_TYPE");
    let bytes = gguf_with(&[("tokenizer.ggml.model", "gpt2")]);
    let e = ChatTemplate::from_gguf(&Gguf::parse(&bytes).unwrap()).err().unwrap();
    assert_eq!(e.code(), "GGUF_MISSING_KEY");
}

/// Not a benchmark: prints load and encode speed so regressions are visible in the test log.
#[test]
fn timing_report() {
    let t0 = std::time::Instant::now();
    let g = Gguf::open(model_path()).unwrap();
    let t1 = std::time::Instant::now();
    let tok = Tokenizer::from_gguf(&g).unwrap();
    let t2 = std::time::Instant::now();
    let text = "The quick brown fox jumps over the lazy dog 1234. Café 日本語 🦀\n".repeat(2000);
    let ids = tok.encode(&text, false, true).unwrap();
    let t3 = std::time::Instant::now();
    println!(
        "gguf open+parse {:.1} ms, tokenizer build {:.1} ms, encode {} bytes -> {} ids in {:.1} ms ({:.2} MB/s)",
        (t1 - t0).as_secs_f64() * 1e3,
        (t2 - t1).as_secs_f64() * 1e3,
        text.len(),
        ids.len(),
        (t3 - t2).as_secs_f64() * 1e3,
        text.len() as f64 / (t3 - t2).as_secs_f64() / 1e6
    );
    assert_eq!(tok.decode(&ids).unwrap(), text);
}

/// llama.cpp's detokenization (special tokens hidden) of its own greedy outputs equals ours.
#[test]
fn greedy_fixture_text_decodes_alike() {
    let (tok, _) = load();
    let fx = fixture("llama/greedy.json");
    for g in fx["generations"].as_array().unwrap() {
        let ids = ids_of(&g["generated_ids"]);
        assert_eq!(tok.decode_skip_special(&ids).unwrap(), g["text"].as_str().unwrap());
    }
}
