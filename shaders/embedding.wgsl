// out[t, c] = W[ids[t], c] for the ids inside one weight chunk (other rows are left for the other chunks' passes).
// Ids past the table are clamped to its last row: GPU-resident ids cannot be checked without a readback.
// Constants: WG, QTYPE.
struct Params {
    n: u32,          // ids * cols
    cols: u32,
    wpr: u32,
    row_start: u32,  // first table row of this chunk
    rows: u32,       // rows of this chunk
    total_rows: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> wq: array<u32>;
@group(0) @binding(3) var<storage, read> ws: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn embedding(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
    let i = (wid.y * nwg.x + wid.x) * WG + lid;
    if (i >= p.n) {
        return;
    }
    let id = min(ids[i / p.cols], p.total_rows - 1u);
    if (id < p.row_start || id >= p.row_start + p.rows) {
        return;
    }
    out[i] = deq1(id - p.row_start, i % p.cols, p.wpr, p.cols);
}
