// Elementwise a (op) b, where b is either as long as a or a row broadcast over a's rows (b_len divides n).
// Constants: WG (workgroup size).
struct Params {
    n: u32,      // elements of a and out
    b_len: u32,  // elements of b
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn linear(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid;
}

@compute @workgroup_size(WG)
fn add(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
       @builtin(local_invocation_index) lid: u32) {
    let i = linear(wid, nwg, lid);
    if (i < p.n) {
        out[i] = a[i] + b[i % p.b_len];
    }
}

@compute @workgroup_size(WG)
fn mul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
       @builtin(local_invocation_index) lid: u32) {
    let i = linear(wid, nwg, lid);
    if (i < p.n) {
        out[i] = a[i] * b[i % p.b_len];
    }
}
