// Causal/segment attention over the KV cache. Query row i attends to slots [0, shared_len) then
// [own_start, own_start + own_len) of its kv head (grouped-query: head h reads kv head h / GROUP). One workgroup per
// (row, head); keys are taken TILE at a time with an online softmax (running max and denominator), so any context
// length runs in fixed workgroup memory. Constants: WG (power of two), TILE, DPT (= ceil(head_dim / WG)).
struct Params {
    m: u32,
    n_heads: u32,
    n_kv: u32,
    hd: u32,
    group: u32,  // n_heads / n_kv
    scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;     // [m, n_heads * hd]
@group(0) @binding(2) var<storage, read> kc: array<f32>;    // [capacity, n_kv, hd]
@group(0) @binding(3) var<storage, read> vc: array<f32>;    // [capacity, n_kv, hd]
@group(0) @binding(4) var<storage, read> rows: array<u32>;  // [m, 3]: shared_len, own_start, own_len
@group(0) @binding(5) var<storage, read_write> out: array<f32>;  // [m, n_heads * hd]

var<workgroup> sc: array<f32, TILE>;
var<workgroup> red: array<f32, WG>;

fn slot_of(t: u32, shared_len: u32, own_start: u32) -> u32 {
    return select(own_start + t - shared_len, t, t < shared_len);
}

fn reduce_max(lid: u32, v: f32) -> f32 {
    red[lid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            red[lid] = max(red[lid], red[lid + s]);
        }
        workgroupBarrier();
    }
    let r = red[0];
    workgroupBarrier();
    return r;
}

fn reduce_sum(lid: u32, v: f32) -> f32 {
    red[lid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            red[lid] += red[lid + s];
        }
        workgroupBarrier();
    }
    let r = red[0];
    workgroupBarrier();
    return r;
}

@compute @workgroup_size(WG)
fn attention(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
    let idx = wid.y * nwg.x + wid.x;
    if (idx >= p.m * p.n_heads) {
        return;
    }
    let row = idx / p.n_heads;
    let h = idx % p.n_heads;
    let kvh = h / p.group;
    let shared_len = rows[3u * row];
    let own_start = rows[3u * row + 1u];
    let n = shared_len + rows[3u * row + 2u];
    let qb = (row * p.n_heads + h) * p.hd;
    var acc: array<f32, DPT>;
    var mx = -3.0e38;
    var den = 0.0;
    for (var t0 = 0u; t0 < n; t0 += TILE) {
        let tn = min(TILE, n - t0);
        var local_max = -3.0e38;
        for (var t = lid; t < tn; t += WG) {
            let kb = (slot_of(t0 + t, shared_len, own_start) * p.n_kv + kvh) * p.hd;
            var d = 0.0;
            for (var k = 0u; k < p.hd; k++) {
                d += q[qb + k] * kc[kb + k];
            }
            d *= p.scale;
            sc[t] = d;
            local_max = max(local_max, d);
        }
        let new_max = max(mx, reduce_max(lid, local_max));
        let correction = exp(mx - new_max);
        var local_sum = 0.0;
        for (var t = lid; t < tn; t += WG) {
            let e = exp(sc[t] - new_max);
            sc[t] = e;
            local_sum += e;
        }
        den = den * correction + reduce_sum(lid, local_sum);
        mx = new_max;
        for (var j = 0u; j < DPT; j++) {
            let d = lid + j * WG;
            if (d < p.hd) {
                var a = acc[j] * correction;
                for (var t = 0u; t < tn; t++) {
                    a += sc[t] * vc[(slot_of(t0 + t, shared_len, own_start) * p.n_kv + kvh) * p.hd + d];
                }
                acc[j] = a;
            }
        }
        workgroupBarrier();
    }
    for (var j = 0u; j < DPT; j++) {
        let d = lid + j * WG;
        if (d < p.hd) {
            out[qb + d] = acc[j] / den;
        }
    }
}
