#!/usr/bin/env python3
"""Golden values for tests/ops_norm.rs: the norm, softmax, activation, pooling and RoPE ops computed independently
in float64 numpy/scipy (torch's formulas, Meta's complex-number RoPE, HF's rotate_half) from float32 inputs.

Writes tests/fixtures/norm/golden.txt, one tensor a line: `name dims values...` (dims joined by 'x').
Run: /root/.cache/webreward/venv/bin/python scripts/gen_norm_fixtures.py  (numpy, scipy)
"""
from pathlib import Path

import numpy as np
from scipy.special import erf

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "norm" / "golden.txt"
rng = np.random.default_rng(20260128)
lines = []


def put(name, a):
    a = np.asarray(a)
    dims = "x".join(str(s) for s in a.shape) or "1"
    lines.append(f"{name} {dims} " + " ".join(repr(float(v)) for v in a.astype(np.float64).ravel()))


def f32(shape, lo=-3.0, hi=3.0):
    """float32 inputs; the expected values are computed from exactly these values in float64."""
    return rng.uniform(lo, hi, shape).astype(np.float32)


def rms_norm():
    x, w, eps = f32((3, 5)), f32((5,)), np.float32(1e-5)
    x64 = x.astype(np.float64)
    y = x64 / np.sqrt((x64**2).mean(-1, keepdims=True) + float(eps)) * w
    put("rms.x", x), put("rms.w", w), put("rms.eps", [eps]), put("rms.out", y)


def layer_norm():
    # An offset of 100 checks the variance is taken around the mean (E[x^2] - E[x]^2 would lose digits).
    x, w, b, eps = f32((2, 7)) + np.float32(100), f32((7,)), f32((7,)), np.float32(1e-12)
    x64 = x.astype(np.float64)
    mu = x64.mean(-1, keepdims=True)
    var = ((x64 - mu) ** 2).mean(-1, keepdims=True)
    y = (x64 - mu) / np.sqrt(var + float(eps)) * w + b
    put("ln.x", x), put("ln.w", w), put("ln.b", b), put("ln.eps", [eps]), put("ln.out", y)


def softmax():
    # Logits near 1000 overflow exp unless the max is subtracted.
    x = f32((3, 6), -20, 20) + np.float32(1000)
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(-1, keepdims=True))
    put("softmax.x", x), put("softmax.out", e / e.sum(-1, keepdims=True))


def activations():
    g, u = f32((4, 5), -8, 8), f32((4, 5))
    g64 = g.astype(np.float64)
    put("silu.gate", g), put("silu.up", u), put("silu.out", g64 / (1 + np.exp(-g64)) * u)
    x = np.concatenate([np.linspace(-6, 6, 481), rng.uniform(-10, 10, 16)]).astype(np.float32)
    x64 = x.astype(np.float64)
    put("gelu.x", x), put("gelu.out", 0.5 * x64 * (1 + erf(x64 / np.sqrt(2)))), put("erf.out", erf(x64))


def pooling():
    x = f32((3, 4, 3))
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0]], dtype=np.float32)
    x64, m = x.astype(np.float64), mask.astype(np.float64)[..., None]
    pooled = (x64 * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    put("pool.x", x), put("pool.mask", mask), put("pool.out", pooled)
    y = f32((3, 5))
    y[1] = 0
    y64 = y.astype(np.float64)
    put("l2.x", y), put("l2.out", y64 / np.maximum(np.linalg.norm(y64, axis=-1, keepdims=True), 1e-12))


def rope():
    m, heads, head_dim, rope_dim, base, scale = 3, 2, 8, 6, 10000.0, 0.5
    x, pos = f32((m, heads, head_dim)), np.array([0, 7, 1000])
    x64 = x.astype(np.float64)
    theta = (pos * scale)[:, None] * base ** (-np.arange(0, rope_dim, 2) / rope_dim)  # [m, rope_dim/2]
    # Norm: Meta's llama reference, adjacent pairs as complex numbers times e^{i theta}.
    z = (x64[..., 0:rope_dim:2] + 1j * x64[..., 1:rope_dim:2]) * np.exp(1j * theta)[:, None, :]
    norm = x64.copy()
    norm[..., 0:rope_dim:2], norm[..., 1:rope_dim:2] = z.real, z.imag
    # Neox: HF rotate_half over the first rope_dim dims.
    cos = np.cos(np.concatenate([theta, theta], -1))[:, None, :]
    sin = np.sin(np.concatenate([theta, theta], -1))[:, None, :]
    r = x64[..., :rope_dim]
    rot = np.concatenate([-r[..., rope_dim // 2:], r[..., : rope_dim // 2]], -1)
    neox = x64.copy()
    neox[..., :rope_dim] = r * cos + rot * sin
    put("rope.x", x), put("rope.pos", pos), put("rope.args", [base, rope_dim, scale])
    put("rope.norm", norm), put("rope.neox", neox)


for f in (rms_norm, layer_norm, softmax, activations, pooling, rope):
    f()
OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text("\n".join(lines) + "\n")
print(f"wrote {len(lines)} tensors to {OUT}")
