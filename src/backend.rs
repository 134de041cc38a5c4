//! Which burn device computes, and whether it computes right. The one place that knows the
//! backends compiled in.

use burn::tensor::{Device, TensorData};

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

/// Whether `device` is one of the CPU backends compiled in (else a GPU).
pub fn is_cpu(device: &Device) -> bool {
    CpuBackend::compiled().iter().any(|b| b.device().as_ref() == Some(device))
}

/// Logits read back from a device.
pub fn read_logits<E: std::fmt::Display>(data: std::result::Result<TensorData, E>) -> crate::Result<Vec<f32>> {
    data.map_err(|e| crate::Error::Backend(format!("reading results: {e}")))?
        .try_into_vec::<f32>()
        .map_err(|e| crate::Error::Backend(format!("reading results: {e:?}")))
}

/// The outcome of [`self_check`].
#[derive(Debug, Clone, Copy)]
pub struct SelfCheck {
    /// Largest |logit(device) − logit(CPU)| over the check's inputs.
    pub max_abs_diff: f32,
}

/// Runs a small random XLM-R cross-encoder (2 layers, hidden 16, padded batch of 3) on `device`
/// and on the default CPU backend, and fails unless the logits agree to 1e-4 and differ between
/// inputs. Catches a broken driver or a miscompiled kernel — including the "same score for every
/// document" failure reported against WebGPU cross-encoders elsewhere — before it ranks anything.
pub async fn self_check(device: &Device) -> crate::Result<SelfCheck> {
    use burn::module::Module;

    use crate::model::xlm_roberta::{XlmRoberta, XlmRobertaConfig, XlmRobertaForSequenceClassification};
    use crate::model::{BuildOptions, CrossEncoder, Kernels, Precision, Row};

    let config = XlmRobertaConfig {
        vocab_size: 64,
        hidden_size: 16,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        intermediate_size: 32,
        max_position_embeddings: 40,
        type_vocab_size: 1,
        layer_norm_eps: 1e-5,
        pad_token_id: 1,
    };
    let ids: [&[u32]; 3] = [&[0, 5, 9, 2, 2, 7, 33, 2], &[0, 3, 2, 2, 11, 2], &[0, 60, 61, 62, 2, 2, 40, 41, 42, 2]];
    let rows = ids.map(Row::ids);
    let cpu = cpu_device();
    let build = |module, device: &Device| {
        let options = BuildOptions {
            device: device.clone(),
            host_word_embeddings: false,
            kernels: Kernels::Burn,
            precision: Precision::F32,
            max_activation_bytes: u64::MAX,
        };
        XlmRoberta::from_module(module, None, &config, &options)
    };
    let reference_module = XlmRobertaForSequenceClassification::new(&config, &cpu);
    // The clone shares the lazily initialised parameters: reading on the CPU first materialises
    // them, so moving the clone to the device afterwards carries the same values.
    let device_module = reference_module.clone();
    let expected = read_logits(build(reference_module, &cpu)?.forward(&rows)?.into_data_async().await)?;
    let got = read_logits(build(device_module.to_device(device), device)?.forward(&rows)?.into_data_async().await)?;

    let max_abs_diff = expected.iter().zip(&got).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    let scale = expected.iter().fold(1.0f32, |m, x| m.max(x.abs()));
    if got.len() != expected.len() || max_abs_diff.is_nan() || max_abs_diff > 1e-4 * scale {
        return Err(crate::Error::Backend(format!(
            "self-check failed: device logits {got:?}, CPU logits {expected:?}"
        )));
    }
    let spread = got.iter().fold(f32::MIN, |m, x| m.max(*x)) - got.iter().fold(f32::MAX, |m, x| m.min(*x));
    if spread <= 1e-6 {
        return Err(crate::Error::Backend(format!("self-check failed: identical logits {got:?} for different inputs")));
    }
    Ok(SelfCheck { max_abs_diff })
}
