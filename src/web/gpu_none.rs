//! `gpu` for builds without the `webgpu` feature (the package's cpu-simd, cpu-relaxed and threads
//! builds, scripts/build-package.sh): the same surface, and WebGPU is never available, so
//! `backend: "auto"` means the CPU and `backend: "webgpu"` is a clear BACKEND error.

use std::rc::Rc;

use burn::tensor::Device;

/// Never constructed here.
pub use super::adapter::AdapterReport;

pub struct Gpu {
    pub device: Device,
    pub adapter: AdapterReport,
}

impl Gpu {
    pub fn max_binding_bytes(&self) -> u64 {
        0
    }
    pub fn destroy(&self) {}
    pub fn error(&self) -> Option<String> {
        None
    }
}

pub async fn webgpu() -> Result<Rc<Gpu>, String> {
    Err(format!(
        "this build of ja-rerank (\"{}\") has no WebGPU backend: the page's first load chose a CPU-only build; \
         to use WebGPU, load with backend \"webgpu\" or \"auto\" first (or build: \"relaxed\" / \"simd\")",
        super::build::NAME
    ))
}

pub fn forget_lost_device() {}
