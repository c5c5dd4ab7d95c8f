//! The WGSL sources, one file per op under `shaders/`, compiled into the binary with `include_str!`.

/// Source text of the shader named `name` (the file stem under `shaders/`).
pub fn source(name: &str) -> Option<&'static str> {
    Some(match name {
        "binary" => include_str!("../../shaders/binary.wgsl"),
        _ => return None,
    })
}
