//! The WGSL sources, one file per op under `shaders/`, compiled into the binary with `include_str!`.

/// Source text of the shader named `name` (the file stem under `shaders/`).
pub fn source(name: &str) -> Option<&'static str> {
    Some(match name {
        "attention" => include_str!("../../shaders/attention.wgsl"),
        "kv_write" => include_str!("../../shaders/kv_write.wgsl"),
        "sampling" => include_str!("../../shaders/sampling.wgsl"),
        "binary" => include_str!("../../shaders/binary.wgsl"),
        "matmul" => concat!(include_str!("../../shaders/matmul.wgsl"), include_str!("../../shaders/dequant.wgsl")),
        "embedding" => concat!(include_str!("../../shaders/embedding.wgsl"), include_str!("../../shaders/dequant.wgsl")),
        "activation" => include_str!("../../shaders/activation.wgsl"),
        "layer_norm" => include_str!("../../shaders/layer_norm.wgsl"),
        "pooling" => include_str!("../../shaders/pooling.wgsl"),
        "rms_norm" => include_str!("../../shaders/rms_norm.wgsl"),
        "rope" => include_str!("../../shaders/rope.wgsl"),
        "softmax" => include_str!("../../shaders/softmax.wgsl"),
        _ => return None,
    })
}
