// Elementwise activations. silu_mul: out = silu(gate) * up (SwiGLU). gelu: the exact erf form (BERT), with erf
// from Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7), the same formula as the CPU reference in activation.rs.
// Constants: WG (workgroup size).
struct Params {
    n: u32,     // elements
}

@group(0) @binding(0) var<uniform> p: Params;
// The output comes second so both entry points use bindings 1..k contiguously (the pipeline layout is derived
// from the bindings an entry point uses, and buffers are bound in order).
@group(0) @binding(1) var<storage, read> a: array<f32>;             // [n] gate (silu_mul) or x (gelu)
@group(0) @binding(2) var<storage, read_write> out: array<f32>;     // [n]
@group(0) @binding(3) var<storage, read> up: array<f32>;            // [n] silu_mul only

fn linear(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid;
}

// erfc(a) for a >= 0; gelu uses it directly for negative inputs so 1 + erf(x) does not cancel.
fn erfc_pos(a: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    return poly * exp(-a * a);
}

@compute @workgroup_size(WG)
fn silu_mul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
    let i = linear(wid, nwg, lid);
    if (i < p.n) {
        let g = a[i];
        out[i] = g / (1.0 + exp(-g)) * up[i];
    }
}

@compute @workgroup_size(WG)
fn gelu(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear(wid, nwg, lid);
    if (i < p.n) {
        let x = a[i];
        let s = x * 0.70710678118654752;
        if (s >= 0.0) {
            out[i] = 0.5 * x * (2.0 - erfc_pos(s));
        } else {
            out[i] = 0.5 * x * erfc_pos(-s);
        }
    }
}
