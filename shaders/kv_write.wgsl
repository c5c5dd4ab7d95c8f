// cache[slots[i], :] = src[i, :]. Constants: WG.
struct Params {
    n: u32,        // m * row_len
    row_len: u32,  // elements per slot
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> slots: array<u32>;
@group(0) @binding(3) var<storage, read_write> cache: array<f32>;

@compute @workgroup_size(WG)
fn kv_write(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
    let i = (wid.y * nwg.x + wid.x) * WG + lid;
    if (i < p.n) {
        cache[slots[i / p.row_len] * p.row_len + i % p.row_len] = src[i];
    }
}
