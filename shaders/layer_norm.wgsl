// LayerNorm over the last dim with the biased variance (BERT, torch.nn.LayerNorm):
// out = (x - mean) / sqrt(var + eps) * w + b. One workgroup per row; the variance is a second pass around the
// mean, which avoids the cancellation of E[x^2] - E[x]^2.
// Constants: WG (workgroup size, a power of two).
struct Params {
    rows: u32,
    d: u32,     // row length
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;             // [rows, d]
@group(0) @binding(2) var<storage, read> w: array<f32>;             // [d]
@group(0) @binding(3) var<storage, read> b: array<f32>;             // [d]
@group(0) @binding(4) var<storage, read_write> out: array<f32>;     // [rows, d]

var<workgroup> partial: array<f32, WG>;

fn reduce_sum(lid: u32, v: f32) -> f32 {
    partial[lid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lid < s) {
            partial[lid] = partial[lid] + partial[lid + s];
        }
        workgroupBarrier();
    }
    let total = partial[0];
    // Every thread must read the total before the scratch is reused.
    workgroupBarrier();
    return total;
}

@compute @workgroup_size(WG)
fn layer_norm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
    let row = wid.y * nwg.x + wid.x;
    if (row >= p.rows) {
        return;
    }
    let base = row * p.d;
    // Work around the row's first element: with a large common offset, x - shift is exact and the mean of the
    // differences keeps the digits that an f32 mean near the offset would round away.
    let shift = x[base];
    var acc = 0.0;
    for (var i = lid; i < p.d; i = i + WG) {
        acc = acc + (x[base + i] - shift);
    }
    let mean = reduce_sum(lid, acc) / f32(p.d);
    var sq = 0.0;
    for (var i = lid; i < p.d; i = i + WG) {
        let c = (x[base + i] - shift) - mean;
        sq = sq + c * c;
    }
    let inv = 1.0 / sqrt(reduce_sum(lid, sq) / f32(p.d) + p.eps);
    for (var i = lid; i < p.d; i = i + WG) {
        out[base + i] = ((x[base + i] - shift) - mean) * inv * w[i] + b[i];
    }
}
