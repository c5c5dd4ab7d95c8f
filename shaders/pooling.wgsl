// Sentence-embedding pooling (sentence-transformers). mean_pool: one thread per output element (batch, channel),
// looping over tokens so neighbouring threads read neighbouring channels. l2_normalize: one workgroup per row,
// x / max(||x||, eps) like torch F.normalize.
// Constants: WG (workgroup size; a power of two for l2_normalize's tree reduction).
struct Params {
    a: u32,     // mean_pool: batch b; l2_normalize: rows
    b: u32,     // mean_pool: tokens t; l2_normalize: row length d
    c: u32,     // mean_pool: channels d; l2_normalize: eps as f32 bits
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;             // [b, t, d] or [rows, d]
// The output comes second so both entry points use bindings 1..k contiguously (layouts are derived from the
// bindings an entry point uses, and buffers are bound in order).
@group(0) @binding(2) var<storage, read_write> out: array<f32>;     // [b, d] or [rows, d]
@group(0) @binding(3) var<storage, read> mask: array<f32>;          // [b, t] mean_pool only

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn mean_pool(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
    let i = (wid.y * nwg.x + wid.x) * WG + lid;
    let d = p.c;
    if (i >= p.a * d) {
        return;
    }
    let bi = i / d;
    let j = i % d;
    var acc = 0.0;
    var count = 0.0;
    for (var ti = 0u; ti < p.b; ti = ti + 1u) {
        let m = mask[bi * p.b + ti];
        count = count + m;
        acc = acc + m * x[(bi * p.b + ti) * d + j];
    }
    // Clamp as sentence-transformers does, so an all-padding row pools to zeros.
    out[i] = acc / max(count, 1e-9);
}

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
    workgroupBarrier();
    return total;
}

@compute @workgroup_size(WG)
fn l2_normalize(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let row = wid.y * nwg.x + wid.x;
    if (row >= p.a) {
        return;
    }
    let base = row * p.b;
    var acc = 0.0;
    for (var i = lid; i < p.b; i = i + WG) {
        let v = x[base + i];
        acc = acc + v * v;
    }
    let inv = 1.0 / max(sqrt(reduce_sum(lid, acc)), bitcast<f32>(p.c));
    for (var i = lid; i < p.b; i = i + WG) {
        out[base + i] = x[base + i] * inv;
    }
}
