// out[i, row_offset + r] = sum_c x[i, c] * W[r, c] for the rows of one weight chunk. One workgroup per weight row
// and tile of MT input rows: each block of W is read once and applied to all MT rows of x (batched decoding costs
// one read of the weights). Constants: WG (threads, a power of two), MT (input rows per tile), QTYPE.
struct Params {
    rows: u32,        // rows of this chunk
    cols: u32,
    m: u32,           // input rows
    wpr: u32,         // u32 words per weight row
    out_stride: u32,  // output columns (rows of the whole weight)
    row_offset: u32,  // first row of this chunk
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wq: array<u32>;
@group(0) @binding(3) var<storage, read> ws: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WG * MT>;

@compute @workgroup_size(WG)
fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
    let r = wid.y * nwg.x + wid.x;
    if (r >= p.rows) {
        return;
    }
    let m0 = wid.z * MT;
    var acc: array<f32, MT>;
    var w: array<f32, 32>;
    let nb = (p.cols + 31u) / 32u;
    for (var b = lid; b < nb; b += WG) {
        load_block(r, b, p.wpr, p.cols, &w);
        let c0 = b * 32u;
        let n = min(32u, p.cols - c0);
        for (var i = 0u; i < MT; i++) {
            let mi = m0 + i;
            if (mi < p.m) {
                let xb = mi * p.cols + c0;
                var s = 0.0;
                for (var k = 0u; k < n; k++) {
                    s += w[k] * x[xb + k];
                }
                acc[i] += s;
            }
        }
    }
    for (var i = 0u; i < MT; i++) {
        partial[i * WG + lid] = acc[i];
    }
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            for (var i = 0u; i < MT; i++) {
                partial[i * WG + lid] += partial[i * WG + lid + s];
            }
        }
        workgroupBarrier();
    }
    if (lid < MT && m0 + lid < p.m) {
        out[(m0 + lid) * p.out_stride + p.row_offset + r] = partial[lid * WG];
    }
}
