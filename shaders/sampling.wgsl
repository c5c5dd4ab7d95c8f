// Token selection on the device, so a decode step reads back ids only. One workgroup per logits row.
// Order of candidates everywhere: value descending, then index ascending; NaN counts as -infinity.
// The RNG is the PCG hash of (seed, step), bit-identical to `uniform` in src/ops/sampling.rs.
// Constants: WG (power of two), KMAX (largest candidate list).
struct Params {
    vocab: u32,
    m: u32,
    k: u32,       // top_k entry: how many to return
    n_pen: u32,   // repetition_penalty entry: (row, id) pairs
}

struct Sampler {
    temperature: f32,
    top_k: u32,
    top_p: f32,
    seed_lo: u32,
    seed_hi: u32,
    step: u32,
    penalty: f32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> samplers: array<Sampler>;
@group(0) @binding(3) var<storage, read_write> out_ids: array<u32>;
@group(0) @binding(4) var<storage, read_write> out_vals: array<f32>;

var<workgroup> rv: array<f32, WG>;
var<workgroup> ri: array<u32, WG>;
var<workgroup> cv: array<f32, KMAX>;
var<workgroup> ci: array<u32, KMAX>;
var<workgroup> pick: u32;

// Every entry point statically uses every binding (never at run time: vocab > 0), so all four share one layout.
fn use_all_bindings() {
    if (p.vocab == 0u) {
        out_ids[0] = samplers[0].top_k + u32(logits[0]);
        out_vals[0] = 0.0;
    }
}

fn pcg(x: u32) -> u32 {
    let s = x * 747796405u + 2891336453u;
    let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
    return (w >> 22u) ^ w;
}

fn uniform01(lo: u32, hi: u32, step: u32) -> f32 {
    return f32(pcg(pcg(pcg(lo) ^ hi) ^ step) >> 8u) / 16777216.0;
}

fn val(row: u32, i: u32) -> f32 {
    let v = logits[row * p.vocab + i];
    return select(-3.0e38, v, v == v);
}

// (a_v, a_i) comes before (b_v, b_i) in candidate order.
fn before(av: f32, ai: u32, bv: f32, bi: u32) -> bool {
    return av > bv || (av == bv && ai < bi);
}

// The best element strictly after (prev_v, prev_i) in candidate order (any element when `first`).
fn select_next(row: u32, lid: u32, first: bool, prev_v: f32, prev_i: u32) -> vec2<u32> {
    var bv = -3.4e38;
    var bi = 0xffffffffu;
    for (var i = lid; i < p.vocab; i += WG) {
        let v = val(row, i);
        if ((first || before(prev_v, prev_i, v, i)) && before(v, i, bv, bi)) {
            bv = v;
            bi = i;
        }
    }
    rv[lid] = bv;
    ri[lid] = bi;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s && before(rv[lid + s], ri[lid + s], rv[lid], ri[lid])) {
            rv[lid] = rv[lid + s];
            ri[lid] = ri[lid + s];
        }
        workgroupBarrier();
    }
    let r = vec2<u32>(bitcast<u32>(rv[0]), ri[0]);
    workgroupBarrier();
    return r;
}

// Fills cv/ci with the first k candidates.
fn top_candidates(row: u32, lid: u32, k: u32) {
    var prev = vec2<u32>(0u, 0u);
    for (var j = 0u; j < k; j++) {
        prev = select_next(row, lid, j == 0u, bitcast<f32>(prev.x), prev.y);
        if (lid == 0u) {
            cv[j] = bitcast<f32>(prev.x);
            ci[j] = prev.y;
        }
    }
    workgroupBarrier();
}

@compute @workgroup_size(WG)
fn argmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    use_all_bindings();
    let best = select_next(wid.x, lid, true, 0.0, 0u);
    if (lid == 0u) {
        out_ids[wid.x] = best.y;
    }
}

@compute @workgroup_size(WG)
fn top_k(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    use_all_bindings();
    top_candidates(wid.x, lid, p.k);
    for (var j = lid; j < p.k; j += WG) {
        out_ids[wid.x * p.k + j] = ci[j];
        out_vals[wid.x * p.k + j] = cv[j];
    }
}

@compute @workgroup_size(WG)
fn sample(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    use_all_bindings();
    let row = wid.x;
    let s = samplers[row];
    if (s.temperature <= 0.0) {
        let best = select_next(row, lid, true, 0.0, 0u);
        if (lid == 0u) {
            out_ids[row] = best.y;
        }
        return;
    }
    let u = uniform01(s.seed_lo, s.seed_hi, s.step);
    let inv_t = 1.0 / s.temperature;
    if (s.top_k == 0u && s.top_p >= 1.0) {
        // Inverse CDF over the whole vocabulary in index order; each thread sums one contiguous chunk.
        let mx = bitcast<f32>(select_next(row, lid, true, 0.0, 0u).x);
        let chunk = (p.vocab + WG - 1u) / WG;
        let lo = min(lid * chunk, p.vocab);
        let hi = min(lo + chunk, p.vocab);
        var sum = 0.0;
        for (var i = lo; i < hi; i++) {
            sum += exp((val(row, i) - mx) * inv_t);
        }
        rv[lid] = sum;
        workgroupBarrier();
        if (lid == 0u) {
            var total = 0.0;
            for (var t = 0u; t < WG; t++) {
                total += rv[t];
            }
            var goal = u * total;
            var chosen = p.vocab - 1u;
            var found = false;
            for (var t = 0u; t < WG && !found; t++) {
                if (goal < rv[t]) {
                    for (var i = t * chunk; i < min(t * chunk + chunk, p.vocab); i++) {
                        let e = exp((val(row, i) - mx) * inv_t);
                        if (goal < e) {
                            chosen = i;
                            found = true;
                            break;
                        }
                        goal -= e;
                    }
                    found = true;
                } else {
                    goal -= rv[t];
                }
            }
            out_ids[row] = chosen;
        }
        return;
    }
    let k = select(KMAX, min(s.top_k, KMAX), s.top_k > 0u);
    top_candidates(row, lid, min(k, p.vocab));
    if (lid == 0u) {
        let n = min(k, p.vocab);
        var total = 0.0;
        for (var j = 0u; j < n; j++) {
            total += exp((cv[j] - cv[0]) * inv_t);
        }
        var kept = 0u;
        var mass = 0.0;
        for (var j = 0u; j < n; j++) {
            mass += exp((cv[j] - cv[0]) * inv_t);
            kept = j + 1u;
            if (mass >= s.top_p * total) {
                break;
            }
        }
        var goal = u * mass;
        var chosen = ci[kept - 1u];
        for (var j = 0u; j < kept; j++) {
            let e = exp((cv[j] - cv[0]) * inv_t);
            if (goal < e) {
                chosen = ci[j];
                break;
            }
            goal -= e;
        }
        out_ids[row] = chosen;
    }
}

// out_vals (a copy of the logits) gets the CTRL penalty at each distinct (row, id) pair listed in out_ids.
@compute @workgroup_size(WG)
fn repetition_penalty(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    use_all_bindings();
    let j = wid.x * WG + lid;
    if (j >= p.n_pen) {
        return;
    }
    let row = out_ids[2u * j];
    let at = row * p.vocab + out_ids[2u * j + 1u];
    let pen = samplers[row].penalty;
    let v = out_vals[at];
    out_vals[at] = select(v * pen, v / pen, v > 0.0);
}
