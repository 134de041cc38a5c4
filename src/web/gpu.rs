//! WebGPU: probe the browser's adapter, bring up burn's wgpu runtime once per page, check it
//! against the CPU, and report what the adapter offers. Every failure is a reason to use the
//! CPU, never a panic.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

pub use super::adapter::AdapterReport;
use burn::tensor::Device;
use burn::tensor::wgpu::{WgpuBackend, wgpu};
use js_sys::{Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, future_to_promise};

pub struct Gpu {
    pub device: Device,
    wgpu_device: wgpu::Device,
    pub adapter: AdapterReport,
    /// The first error the device reported outside any error scope, if any.
    error: Arc<Mutex<Option<String>>>,
}

impl Gpu {
    /// Largest single tensor the device can bind, in bytes.
    pub fn max_binding_bytes(&self) -> u64 {
        let limits = self.wgpu_device.limits();
        limits.max_storage_buffer_binding_size.min(limits.max_buffer_size)
    }

    /// Destroys the device, as a driver reset would. For tests of the CPU fallback.
    pub fn destroy(&self) {
        self.wgpu_device.destroy();
    }

    /// Why the device cannot be trusted any more, if it reported an error.
    pub fn error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|e| e.clone())
    }
}

/// Replaces cubecl's handler for uncaptured device errors, which panics (aborting the whole
/// wasm instance) on any validation error that arrives before the device-lost callback — as
/// Firefox reports them for a destroyed device. Ours records the error; the reranker checks it
/// after every batch and moves to the CPU.
fn watch_errors(device: &wgpu::Device) -> Arc<Mutex<Option<String>>> {
    let slot: Arc<Mutex<Option<String>>> = Arc::default();
    let sink = slot.clone();
    device.on_uncaptured_error(Arc::new(move |error| {
        let message = error.to_string();
        web_sys::console::warn_1(&format!("ja-rerank: WebGPU error: {message}").into());
        if let Ok(mut first) = sink.lock() {
            first.get_or_insert(message);
        }
    }));
    slot
}

thread_local! {
    /// The outcome of bringing WebGPU up; burn's runtime can be initialised once per page.
    static GPU: RefCell<Option<Result<Rc<Gpu>, String>>> = const { RefCell::new(None) };
    /// The initialisation in flight, so concurrent loads wait for one attempt.
    static INIT: RefCell<Option<Promise>> = const { RefCell::new(None) };
}

/// The page's WebGPU device, or why there is none. Initialises on first call.
pub async fn webgpu() -> Result<Rc<Gpu>, String> {
    if let Some(done) = GPU.with(|g| g.borrow().clone()) {
        return done;
    }
    let init = INIT.with(|i| {
        i.borrow_mut()
            .get_or_insert_with(|| {
                future_to_promise(async {
                    let result = init().await.map(Rc::new);
                    GPU.with(|g| *g.borrow_mut() = Some(result));
                    Ok(JsValue::UNDEFINED)
                })
            })
            .clone()
    });
    let _ = JsFuture::from(init).await;
    GPU.with(|g| g.borrow().clone()).unwrap_or_else(|| Err("WebGPU initialisation did not finish".into()))
}

/// Whether WebGPU came up earlier and its device has since been destroyed or lost: then the
/// runtime cannot be brought up again in this page.
pub fn forget_lost_device() {
    GPU.with(|g| *g.borrow_mut() = Some(Err("the WebGPU device was lost earlier in this page".into())));
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn text(target: &JsValue, key: &str) -> String {
    get(target, key).as_string().unwrap_or_default()
}

async fn init() -> Result<Gpu, String> {
    // Ask the browser first: burn's runtime would treat "no adapter" as a hard error, and
    // this way we also read the adapter's own description and limits.
    let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err("WebGPU is not available in this browser (navigator.gpu is missing)".into());
    }
    let request = get(&gpu, "requestAdapter")
        .dyn_into::<js_sys::Function>()
        .map_err(|_| "navigator.gpu.requestAdapter is not a function".to_string())?;
    let options = js_sys::Object::new();
    let _ = Reflect::set(&options, &"powerPreference".into(), &"high-performance".into());
    let adapter = request.call1(&gpu, &options).map_err(|e| super::error::WebError::describe(&e))?;
    let adapter = JsFuture::from(adapter.unchecked_into::<Promise>())
        .await
        .map_err(|e| format!("requestAdapter failed: {}", super::error::WebError::describe(&e)))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("no WebGPU adapter (the browser offers none, or WebGPU is disabled)".into());
    }
    let info = get(&adapter, "info");
    let limits = get(&adapter, "limits");
    let features = get(&adapter, "features");
    let has = |name: &str| {
        get(&features, "has")
            .dyn_into::<js_sys::Function>()
            .ok()
            .and_then(|f| f.call1(&features, &name.into()).ok())
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    };
    let fallback = get(&info, "isFallbackAdapter").as_bool().or_else(|| get(&adapter, "isFallbackAdapter").as_bool());
    let mut report = AdapterReport {
        vendor: text(&info, "vendor"),
        architecture: text(&info, "architecture"),
        description: text(&info, "description"),
        is_fallback_adapter: fallback.unwrap_or(false),
        max_storage_buffer_binding_size: get(&limits, "maxStorageBufferBindingSize").as_f64().unwrap_or(0.0),
        max_buffer_size: get(&limits, "maxBufferSize").as_f64().unwrap_or(0.0),
        shader_f16: has("shader-f16"),
        self_check_max_abs_diff: f32::NAN,
    };

    let (device, setup) = Device::wgpu_options()
        .graphics_api(WgpuBackend::WebGpu)
        .init_with_setup_async()
        .await
        .map_err(|e| format!("WebGPU device: {e}"))?;
    let error = watch_errors(&setup.device);
    let check = crate::backend::self_check(&device).await.map_err(|e| e.to_string())?;
    if let Some(e) = error.lock().ok().and_then(|e| e.clone()) {
        return Err(format!("self-check: the device reported an error: {e}"));
    }
    report.self_check_max_abs_diff = check.max_abs_diff;
    Ok(Gpu { device, wgpu_device: setup.device, adapter: report, error })
}
