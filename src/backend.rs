//! Which burn device computes. The one place that knows the backends compiled in.

use burn::tensor::Device;

#[cfg(not(any(feature = "ndarray", feature = "flex")))]
compile_error!("enable a CPU backend: feature \"ndarray\" or \"flex\"");

/// A CPU backend that can be compiled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuBackend {
    /// burn-ndarray: deprecated by burn 0.22, but faster on this model (see README).
    NdArray,
    /// burn-flex: burn's suggested replacement.
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

    /// The default: ndarray when compiled in, else flex.
    pub fn default_compiled() -> Self {
        if cfg!(feature = "ndarray") { CpuBackend::NdArray } else { CpuBackend::Flex }
    }

    /// The device, or `None` when this backend's feature is off.
    pub fn device(self) -> Option<Device> {
        match self {
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)] // chosen on measurement; see README "CPU backend"
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
