// Softmax over the last dim: out = exp(x - max) / sum(exp(x - max)). Subtracting the row max keeps exp <= 1, so
// large logits cannot overflow. One workgroup per row: a max reduction, then a sum reduction.
// Constants: WG (workgroup size, a power of two).
struct Params {
    rows: u32,
    d: u32,     // row length
    eps: f32,   // unused
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;             // [rows, d]
@group(0) @binding(2) var<storage, read_write> out: array<f32>;     // [rows, d]

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

fn reduce_max(lid: u32, v: f32) -> f32 {
    partial[lid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lid < s) {
            partial[lid] = max(partial[lid], partial[lid + s]);
        }
        workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();
    return total;
}

@compute @workgroup_size(WG)
fn softmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
    let row = wid.y * nwg.x + wid.x;
    if (row >= p.rows) {
        return;
    }
    let base = row * p.d;
    // Threads past the row's end contribute x[base], a real element, so the max needs no -inf literal.
    var m = x[base];
    for (var i = lid; i < p.d; i = i + WG) {
        m = max(m, x[base + i]);
    }
    let row_max = reduce_max(lid, m);
    var acc = 0.0;
    for (var i = lid; i < p.d; i = i + WG) {
        acc = acc + exp(x[base + i] - row_max);
    }
    let inv = 1.0 / reduce_sum(lid, acc);
    for (var i = lid; i < p.d; i = i + WG) {
        out[base + i] = exp(x[base + i] - row_max) * inv;
    }
}
