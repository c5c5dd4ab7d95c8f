//! Thin wasm-bindgen layer: runtime creation with WebGPU/CPU selection, adapter info, and a self-check.
//! Every `crate::Error` crosses into JS through [`to_js`] only, so JS sees one error shape:
//! `Error { name: "WebRewardError", code: Error::code(), message }`.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::{ops, Device, Error, Tensor};

/// The single crate-error -> JS conversion: a JS `Error` named "WebRewardError" with a stable `code`.
pub fn to_js(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("WebRewardError");
    let _ = Reflect::set(&err, &"code".into(), &e.code().into());
    err.into()
}

fn set(o: &Object, k: &str, v: JsValue) {
    let _ = Reflect::set(o, &k.into(), &v);
}

/// Installs the panic hook so a Rust panic shows its message in the browser console.
#[wasm_bindgen]
pub fn init() {
    console_error_panic_hook::set_once();
}

/// A device chosen at creation time, plus why it fell back to the CPU (if it did).
#[wasm_bindgen]
pub struct Runtime {
    device: Device,
    fallback: Option<String>,
}

/// `backend`: "auto" (WebGPU, else CPU with a reason), "webgpu" (fails with GPU_UNAVAILABLE) or "cpu".
#[wasm_bindgen(js_name = createRuntime)]
pub async fn create_runtime(backend: String) -> Result<Runtime, JsValue> {
    let (device, fallback) = match backend.as_str() {
        "auto" => Device::auto().await,
        "webgpu" => (Device::gpu().await.map_err(to_js)?, None),
        "cpu" => (Device::Cpu, Some("backend=cpu requested".to_string())),
        other => {
            return Err(to_js(Error::InvalidArgument {
                op: "createRuntime",
                msg: format!("backend must be auto, webgpu or cpu, got {other:?}"),
            }));
        }
    };
    Ok(Runtime { device, fallback })
}

#[wasm_bindgen]
impl Runtime {
    /// `{backend, adapter {name, backend, driver}, limits {maxStorageBufferBindingSize, maxBufferSize}, fallbackReason}`.
    pub fn info(&self) -> JsValue {
        let o = Object::new();
        let adapter = Object::new();
        let limits = Object::new();
        match self.device.gpu_context() {
            Some(g) => {
                let s = g.summary();
                set(&o, "backend", "webgpu".into());
                set(&adapter, "name", s.name.clone().into());
                set(&adapter, "backend", s.backend.clone().into());
                set(&adapter, "driver", s.driver.clone().into());
                set(&limits, "maxStorageBufferBindingSize", (s.max_storage_buffer_binding_size as f64).into());
                set(&limits, "maxBufferSize", (s.max_buffer_size as f64).into());
            }
            None => set(&o, "backend", "cpu".into()),
        }
        set(&o, "adapter", adapter.into());
        set(&o, "limits", limits.into());
        set(&o, "fallbackReason", self.fallback.clone().map(JsValue::from).unwrap_or(JsValue::NULL));
        o.into()
    }

    /// Runs add -> mul -> softmax on this runtime's device and on the CPU; returns the max abs difference.
    #[wasm_bindgen(js_name = selfCheck)]
    pub async fn self_check(&self) -> Result<f64, JsValue> {
        let here = op_chain(&self.device).await.map_err(to_js)?;
        let cpu = op_chain(&Device::Cpu).await.map_err(to_js)?;
        Ok(here.iter().zip(&cpu).map(|(a, b)| (a - b).abs() as f64).fold(0.0, f64::max))
    }
}

/// A small deterministic chain; shapes (3 x 77) are not multiples of the workgroup size on purpose.
async fn op_chain(device: &Device) -> crate::Result<Vec<f32>> {
    let (rows, cols) = (3usize, 77usize);
    let a: Vec<f32> = (0..rows * cols).map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0).collect();
    let b: Vec<f32> = (0..rows * cols).map(|i| ((i * 53 % 97) as f32 - 48.0) / 30.0).collect();
    let ta = Tensor::from_f32(device, &[rows, cols], &a)?;
    let tb = Tensor::from_f32(device, &[rows, cols], &b)?;
    let y = ops::softmax(&ops::mul(&ops::add(&ta, &tb)?, &tb)?)?;
    device.submit();
    let v = y.to_vec_f32().await?;
    device.check()?;
    Ok(v)
}
