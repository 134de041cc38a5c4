//! Which burn device computes. The one place that knows the backends compiled in.

use burn::tensor::Device;

#[cfg(not(any(feature = "ndarray", feature = "flex")))]
compile_error!("enable a CPU backend: feature \"ndarray\" or \"flex\"");

/// A CPU backend that can be compiled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuBackend {
    /// burn-ndarray: deprecated by burn 0.22; kept for comparison.
    NdArray,
    /// burn-flex: burn's pure-Rust CPU backend; the default.
    Flex,
}

impl CpuBackend {
    pub fn name(self) -> &'static str {
        match self {
            CpuBackend::NdArray => "ndarray",
            CpuBackend::Flex => "flex",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "ndarray" => Some(CpuBackend::NdArray),
            "flex" => Some(CpuBackend::Flex),
            _ => None,
        }
    }

    /// The default: flex when compiled in, else ndarray.
    pub fn default_compiled() -> Self {
        if cfg!(feature = "flex") { CpuBackend::Flex } else { CpuBackend::NdArray }
    }

    /// Every CPU backend compiled into this build, the default first.
    pub fn compiled() -> Vec<Self> {
        let first = Self::default_compiled();
        let others =
            [CpuBackend::NdArray, CpuBackend::Flex].into_iter().filter(|&b| b != first && b.device().is_some());
        std::iter::once(first).chain(others).collect()
    }

    /// The device, or `None` when this backend's feature is off.
    pub fn device(self) -> Option<Device> {
        match self {
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)] // deprecated upstream; compiled only on request, for comparison
            CpuBackend::NdArray => Some(Device::ndarray()),
            #[cfg(feature = "flex")]
            CpuBackend::Flex => Some(Device::flex()),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

/// The default CPU device.
pub fn cpu_device() -> Device {
    CpuBackend::default_compiled().device().expect("the default backend is compiled in")
}
