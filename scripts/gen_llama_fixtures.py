#!/usr/bin/env python3
"""Generate the llama.cpp reference fixtures for SmolLM2-135M-Instruct Q4_1 (see tests/fixtures/llama/README.md).

Reference: llama.cpp through PyPI `llama-cpp-python` (built from source). Writes
  tests/fixtures/tokenizer/llama_tokenize.json  (a) tokenization of varied strings, special on/off
  tests/fixtures/llama/logits.json              (b) per-position top-20 logits + logsumexp for 5 chat prompts
  tests/fixtures/llama/greedy.json              (c) greedy 64-token generations for 3 chat prompts
Usage: venv/bin/python scripts/gen_llama_fixtures.py [--model PATH]
"""

import argparse
import hashlib
import json
import os
import random
from pathlib import Path

import jinja2
import llama_cpp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("WEBREWARD_CACHE", Path.home() / ".cache" / "webreward"))
MODELS = Path(os.environ.get("WEBREWARD_MODELS", CACHE / "models"))
MODEL = MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
TOP_K = 20

FIXED = [
    "", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\n \n", "a", "A", "Hello", "Hello world",
    "Hello, world!", " Hello world", "Hello world ", "Hello  world", "Hello   world", "Hello\tworld",
    "Hello\nworld", "Hello\n\nworld", "Hello \n world", "    indented", "trailing    ",
    "I'm", "you're", "we've", "they'll", "he'd", "it's", "IT'S", "You'RE", "don't", "o'clock", "'quoted'",
    "1", "12", "123", "1234567890", "3.14159", "-42", "1,000,000", "2024-11-28", "v1.2.3", "0x1F", "1e-5",
    "café", "naïve", "Zürich", "résumé", "ångström", "Ελληνικά", "Привет мир", "Ça va? Très bien.",
    "中文", "你好，世界", "日本語のテキスト", "한국어 문장", "ไทย", "العربية", "עברית", "हिन्दी", "Tiếng Việt",
    "👍", "😀😃😄", "👨‍👩‍👧‍👦", "🇫🇷🇯🇵", "I ❤️ NY", "∑ x_i ≤ ∞", "→ ← ↑ ↓", "©®™", "\u00a0nbsp",
    "\u200bzero width", "e\u0301", "\ufeffbom", "\x00nul", "tab\tsep\tvalues",
    "def f(x):\n    return x * 2\n", "fn main() {\n    println!(\"hi\");\n}", "for (int i = 0; i < n; ++i) {}",
    '{"key": [1, 2, 3], "b": null}', "<html><body>Hi</body></html>", "SELECT * FROM t WHERE a = 1;",
    "x += 1  # comment", "```python\nprint('x')\n```", "a  b   c    d", "!!!???...", "$100 & 50%",
    "user@example.com", "https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct", "C:\\path\\to\\file",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im_start|>user\nHi<|im_end|>", "text<|im_end|>more",
    "<|im_start|>assistant\n", "<|im_sta", "<|im_end", "<repo_name>x<file_sep>y", "<filename>a.py",
    " <|im_start|> ", "<|im_start|><|im_end|>", "<|endoftext|><|endoftext|>", "<gh_stars>5",
]

FRAGMENTS = [
    "the", " quick", " brown", " fox", "123", " 45", "  ", "\n", "\t", "é", "中", "🙂", "'s", "'ll", "<|im_end|>",
    "!", "?", ".", ",", "(", ")", "{", "}", "_", "-", "=", "==", "->", "::", "//", "café", "Ω", "ß", " ", "A",
    "x", "0", "\r", "<", ">", "|", "<|im_start|>", " world", "Hello", "naïve", "ÆØÅ", "ひらがな", "🚀",
]


RANGES = [
    (0x20, 0x7E), (0xA0, 0xFF), (0x100, 0x17F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x600, 0x6FF),
    (0x660, 0x669), (0x900, 0x97F), (0x966, 0x96F), (0xE00, 0xE7F), (0x2000, 0x206F), (0x2070, 0x209F),
    (0x2150, 0x218F), (0x2200, 0x22FF), (0x3000, 0x303F), (0x3040, 0x30FF), (0x4E00, 0x4FFF), (0xAC00, 0xAD00),
    (0xFF00, 0xFFEF), (0x1F300, 0x1F64F), (0x1D400, 0x1D4FF), (0x10000, 0x1007F), (0x09, 0x0D),
]


def varied_strings(chat_texts):
    rng = random.Random(1234)
    out = list(FIXED)
    for n in range(1, 9):
        out.append(" " * n + "x")
        out.append("x" + " " * n + "y")
        out.append("\n" * n + "z")
    while len(out) < 300:
        k = rng.randint(1, 12)
        out.append("".join(rng.choice(FRAGMENTS) for _ in range(k)))
    # Random code points from many scripts and categories (letters, marks, non-ASCII digits and spaces), where
    # Unicode-table differences between llama.cpp and the regex engine would show.
    for _ in range(120):
        k = rng.randint(1, 10)
        out.append("".join(chr(rng.randint(*rng.choice(RANGES))) for _ in range(k)))
    out.extend(chat_texts)
    return out


def render_chat(template, messages, add_generation_prompt, meta):
    # As transformers renders chat templates (ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)).
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)

    def raise_exception(msg):
        raise jinja2.TemplateError(msg)

    env.globals["raise_exception"] = raise_exception
    tokens = meta["tokens"]
    return env.from_string(template).render(
        messages=messages,
        add_generation_prompt=add_generation_prompt,
        bos_token=tokens[meta["bos"]],
        eos_token=tokens[meta["eos"]],
    )


CHATS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Name three primary colors."}],
    [{"role": "user", "content": "Write a haiku about the sea."}],
    [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello! How can I help?"},
     {"role": "user", "content": "Count from 1 to 5."}],
    [{"role": "user", "content": "Translate 'good morning' into French and Spanish."}],
]


def top_logits(llm, ids):
    llm.reset()
    llm.eval(ids)
    scores = np.asarray(llm.scores[: len(ids)], dtype=np.float64)
    rows = []
    for row in scores:
        top = np.argsort(-row, kind="stable")[:TOP_K]
        m = row.max()
        lse = float(m + np.log(np.exp(row - m).sum()))
        rows.append({"top_ids": top.tolist(), "top_logits": [round(float(row[i]), 5) for i in top], "logsumexp": round(lse, 5)})
    return rows


def greedy(llm, ids, n, eog):
    llm.reset()
    out = []
    for tok in llm.generate(ids, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0, reset=True):
        out.append(int(tok))
        if tok in eog or len(out) >= n:
            break
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(MODEL))
    args = ap.parse_args()
    digest = hashlib.sha256(Path(args.model).read_bytes()).hexdigest()
    assert digest == SHA256, f"sha256 mismatch: {digest}"
    llm = llama_cpp.Llama(args.model, n_ctx=512, n_threads=2, logits_all=True, verbose=False, seed=0)
    md = llm.metadata
    meta = {
        "bos": int(md["tokenizer.ggml.bos_token_id"]),
        "eos": int(md["tokenizer.ggml.eos_token_id"]),
    }
    meta["tokens"] = {i: llm.detokenize([i], special=True).decode("utf-8") for i in (meta["bos"], meta["eos"])}
    template = md["tokenizer.chat_template"]
    chat_texts = [render_chat(template, c, True, meta) for c in CHATS]
    chat_texts.append(render_chat(template, CHATS[3], False, meta))
    source = {"llama_cpp_python": llama_cpp.__version__, "model_sha256": SHA256, "n_ctx": 512, "n_threads": 2}

    cases = []
    for text in varied_strings(chat_texts):
        for special in (True, False):
            ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=special)
            cases.append({"text": text, "parse_special": special, "ids": ids})
    write(ROOT / "tests/fixtures/tokenizer/llama_tokenize.json", {"source": source, "cases": cases})

    chats = [{"messages": c, "add_generation_prompt": True, "text": t} for c, t in zip(CHATS, chat_texts)]
    chats.append({"messages": CHATS[3], "add_generation_prompt": False, "text": chat_texts[-1]})
    write(ROOT / "tests/fixtures/tokenizer/chat_template.json", {"source": source, "template": template, "chats": chats})

    prompts = []
    for c, t in zip(CHATS, chat_texts):
        ids = llm.tokenize(t.encode("utf-8"), add_bos=False, special=True)
        prompts.append({"messages": c, "text": t, "ids": ids, "positions": top_logits(llm, ids)})
    write(ROOT / "tests/fixtures/llama/logits.json", {"source": source, "top_k": TOP_K, "prompts": prompts})

    eog = {meta["eos"], 0}
    gens = []
    for c, t in zip(CHATS[:3], chat_texts[:3]):
        ids = llm.tokenize(t.encode("utf-8"), add_bos=False, special=True)
        out = greedy(llm, ids, 64, eog)
        text = llm.detokenize(out, special=False).decode("utf-8", "replace")
        gens.append({"messages": c, "prompt_ids": ids, "generated_ids": out, "text": text})
    write(ROOT / "tests/fixtures/llama/greedy.json", {"source": source, "max_new_tokens": 64, "stop_ids": sorted(eog), "generations": gens})


def write(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
