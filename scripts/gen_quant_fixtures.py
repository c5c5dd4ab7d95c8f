"""Golden fixture for GGML block quantization: the PyPI `gguf` package's numpy quantizers (gguf-py, llama.cpp's
Python port of ggml's `quantize_row_*_ref`) are an implementation independent of ours.

Writes tests/fixtures/quant/gguf_quants.json: the f32 input and, per type, the quantized bytes (hex) and the
dequantized values, all floats as their IEEE-754 bit patterns so the comparison can be exact.

Run: /root/.cache/webreward/venv/bin/python scripts/gen_quant_fixtures.py   (pip install gguf numpy)
"""
import importlib.metadata
import json
import pathlib

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

COLS = 64  # two blocks per row
OUT = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/quant/gguf_quants.json"


def inputs() -> np.ndarray:
    rng = np.random.default_rng(20261128)
    ties = np.append(np.arange(31) + 0.5, 127.0)  # amax 127 -> d = 1
    rows = [
        np.zeros(COLS),  # all-zero blocks: scale 0, no division by zero
        np.full(COLS, 0.75),  # constant blocks (Q4_1: d = 0)
        np.linspace(-1, 1, COLS),
        -np.linspace(0, 3, COLS),  # negative extreme (Q4_0 sign of the scale)
        rng.normal(0, 1, COLS),
        rng.normal(0, 0.02, COLS),  # typical LM weight scale
        rng.uniform(-100, 100, COLS),
        np.concatenate([rng.normal(0, 1e-3, COLS - 1), [5.0]]),  # one outlier
        np.concatenate([ties, -ties]),  # Q8_0: x / d lands exactly on .5 (ggml rounds half away from zero)
        rng.standard_cauchy(COLS).clip(-50, 50),
    ]
    rows += [rng.normal(0, s, COLS) for s in (0.1, 0.5, 2.0, 10.0)]
    return np.stack(rows).astype(np.float32)


def bits(a: np.ndarray) -> list:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).ravel().tolist()


def main() -> None:
    x = inputs()
    out = {
        "generator": f"gguf {importlib.metadata.version('gguf')}, numpy {np.__version__}",
        "rows": int(x.shape[0]),
        "cols": COLS,
        "input_bits": bits(x),
        "types": {},
    }
    for name, t in [("F16", T.F16), ("Q8_0", T.Q8_0), ("Q4_0", T.Q4_0), ("Q4_1", T.Q4_1)]:
        q = quants.quantize(x, t)
        deq = quants.dequantize(q, t).reshape(x.shape)
        out["types"][name] = {"bytes_hex": q.tobytes().hex(), "dequant_bits": bits(deq)}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
