//! Typed compile-time constants for WGSL kernels. A kernel is specialised by prepending `const` declarations
//! (`.u32("WG", 64)` emits `const WG: u32 = 64u;`), never by textual replacement; the defines are part of the
//! pipeline cache key (web-rwkv `Macros`, ratchet `KernelKey`).

use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Value {
    U32(u32),
    I32(i32),
    /// Stored as bits so the key stays `Eq + Hash`.
    F32(u32),
    Bool(bool),
}

/// Sorted set of named constants; the order never depends on insertion.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Defines(BTreeMap<&'static str, Value>);

impl Defines {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn u32(mut self, name: &'static str, v: u32) -> Self {
        self.0.insert(name, Value::U32(v));
        self
    }

    pub fn i32(mut self, name: &'static str, v: i32) -> Self {
        self.0.insert(name, Value::I32(v));
        self
    }

    /// Only finite values: WGSL has no literal for NaN or infinity.
    pub fn f32(mut self, name: &'static str, v: f32) -> Self {
        debug_assert!(v.is_finite(), "WGSL constant {name} must be finite");
        self.0.insert(name, Value::F32(v.to_bits()));
        self
    }

    pub fn flag(mut self, name: &'static str, on: bool) -> Self {
        self.0.insert(name, Value::Bool(on));
        self
    }

    /// The WGSL preamble declaring every constant.
    pub fn preamble(&self) -> String {
        let mut s = String::new();
        for (name, v) in &self.0 {
            let _ = match *v {
                Value::U32(x) => writeln!(s, "const {name}: u32 = {x}u;"),
                Value::I32(x) => writeln!(s, "const {name}: i32 = {x}i;"),
                Value::F32(b) => writeln!(s, "const {name}: f32 = {:?}f;", f32::from_bits(b)),
                Value::Bool(x) => writeln!(s, "const {name}: bool = {x};"),
            };
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preamble_is_typed_and_sorted() {
        let d = Defines::new().u32("WG", 64).f32("EPS", 1e-5).flag("TIED", true).i32("OFF", -3);
        assert_eq!(
            d.preamble(),
            "const EPS: f32 = 1e-5f;\nconst OFF: i32 = -3i;\nconst TIED: bool = true;\nconst WG: u32 = 64u;\n"
        );
    }
}
