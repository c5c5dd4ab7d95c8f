// Rotary position embedding in llama.cpp's conventions. One thread per output element: element c of a head is
// in pair i with partner c', rotated by theta = pos * freq[i]; dims c >= rope_dim are copied.
// NORM pairs (2i, 2i+1); NEOX pairs (i, i + rope_dim/2). freq[i] = freq_scale * base^(-2i/rope_dim) comes from
// the host (computed in f64) because WGSL's pow may lose many ulps.
// Constants: WG (workgroup size), NEOX (bool).
struct Params {
    n: u32,         // elements, m * heads * head_dim
    heads: u32,
    head_dim: u32,
    rope_dim: u32,  // even, <= head_dim
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;             // [m, heads, head_dim]
@group(0) @binding(2) var<storage, read> positions: array<u32>;     // [m]
@group(0) @binding(3) var<storage, read> freq: array<f32>;          // [rope_dim / 2]
@group(0) @binding(4) var<storage, read_write> out: array<f32>;     // [m, heads, head_dim]

const TWO_PI_HI: f32 = 6.28125;                 // exactly representable, so n * TWO_PI_HI is exact for small n
const TWO_PI_LO: f32 = 0.0019353071795864769;   // 2 pi - TWO_PI_HI

// theta reduced to [-pi, pi] (Cody-Waite, two constants): WGSL only bounds sin/cos error inside that range.
fn reduce_angle(theta: f32) -> f32 {
    let k = round(theta * 0.15915494309189535);
    return (theta - k * TWO_PI_HI) - k * TWO_PI_LO;
}

@compute @workgroup_size(WG)
fn rope(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let idx = (wid.y * nwg.x + wid.x) * WG + lid;
    if (idx >= p.n) {
        return;
    }
    let c = idx % p.head_dim;
    if (c >= p.rope_dim) {
        out[idx] = x[idx];
        return;
    }
    let token = idx / (p.heads * p.head_dim);
    let half = p.rope_dim / 2u;
    var pair: u32;
    var first: bool;
    var partner: u32;
    if (NEOX) {
        pair = c % half;
        first = c < half;
        partner = select(idx - half, idx + half, first);
    } else {
        pair = c / 2u;
        first = c % 2u == 0u;
        partner = select(idx - 1u, idx + 1u, first);
    }
    let r = reduce_angle(f32(positions[token]) * freq[pair]);
    let s = sin(r);
    let co = cos(r);
    if (first) {
        out[idx] = x[idx] * co - x[partner] * s;
    } else {
        out[idx] = x[partner] * s + x[idx] * co;
    }
}
