// Dequantization of GGML weights repacked for the GPU (see src/quant/weight.rs). Prepended to the kernels that read
// weights; they declare `wq: array<u32>` (quant words) and `ws: array<f32>` (scales, mins) and the constant QTYPE
// (the ggml type id: 0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 8 Q8_0). `wpr` = u32 words per row.

// Signed byte t (0..3) of a word.
fn sbyte(w: u32, t: u32) -> f32 {
    return f32(bitcast<i32>(w << (24u - 8u * t)) >> 24u);
}

// Value at (row r, column c).
fn deq1(r: u32, c: u32, wpr: u32, cols: u32) -> f32 {
    if (QTYPE == 0u) {
        return bitcast<f32>(wq[r * wpr + c]);
    }
    if (QTYPE == 1u) {
        let pair = unpack2x16float(wq[r * wpr + c / 2u]);
        return select(pair.x, pair.y, (c & 1u) == 1u);
    }
    let nb = cols / 32u;
    let b = c / 32u;
    let k = c % 32u;
    if (QTYPE == 8u) {
        return sbyte(wq[r * wpr + b * 8u + k / 4u], k % 4u) * ws[r * nb + b];
    }
    let j = k % 16u;
    let byte = (wq[r * wpr + b * 4u + j / 4u] >> (8u * (j % 4u))) & 0xffu;
    let q = f32(select(byte & 15u, byte >> 4u, k >= 16u));
    if (QTYPE == 2u) {
        return (q - 8.0) * ws[r * nb + b];
    }
    let s = 2u * (r * nb + b);
    return q * ws[s] + ws[s + 1u];
}

// The 32 values of block b of row r (F32/F16: zero past `cols`).
fn load_block(r: u32, b: u32, wpr: u32, cols: u32, out: ptr<function, array<f32, 32>>) {
    if (QTYPE == 0u || QTYPE == 1u) {
        for (var k = 0u; k < 32u; k++) {
            let c = b * 32u + k;
            (*out)[k] = select(0.0, deq1(r, min(c, cols - 1u), wpr, cols), c < cols);
        }
        return;
    }
    let nb = cols / 32u;
    if (QTYPE == 8u) {
        let d = ws[r * nb + b];
        for (var j = 0u; j < 8u; j++) {
            let w = wq[r * wpr + b * 8u + j];
            for (var t = 0u; t < 4u; t++) {
                (*out)[j * 4u + t] = sbyte(w, t) * d;
            }
        }
        return;
    }
    var d = 0.0;
    var m = 0.0;
    if (QTYPE == 2u) {
        d = ws[r * nb + b];
        m = -8.0 * d;
    } else {
        d = ws[2u * (r * nb + b)];
        m = ws[2u * (r * nb + b) + 1u];
    }
    for (var j = 0u; j < 4u; j++) {
        let w = wq[r * wpr + b * 4u + j];
        for (var t = 0u; t < 4u; t++) {
            let byte = (w >> (8u * t)) & 0xffu;
            (*out)[j * 4u + t] = f32(byte & 15u) * d + m;
            (*out)[j * 4u + t + 16u] = f32(byte >> 4u) * d + m;
        }
    }
}
