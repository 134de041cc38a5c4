//! `gpu` for builds without the `webgpu` feature (the threaded CPU build,
//! scripts/build-threads.sh): the same surface, and WebGPU is never available, so `backend:
//! "auto"` means the CPU and `backend: "webgpu"` is a clear BACKEND error.

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
    Err("this build of ja-rerank has no WebGPU backend (the threaded CPU build); use the default package for WebGPU"
        .into())
}

pub fn forget_lost_device() {}
