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

    use crate::model::XlmRobertaForSequenceClassification;
    use crate::reranker::{model_input, read_logits};

    let config = crate::ModelConfig {
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
    let rows: [&[u32]; 3] = [&[0, 5, 9, 2, 2, 7, 33, 2], &[0, 3, 2, 2, 11, 2], &[0, 60, 61, 62, 2, 2, 40, 41, 42, 2]];
    let cpu = cpu_device();
    let run = |model: &XlmRobertaForSequenceClassification, device: &Device| {
        model.forward(model_input(rows.iter().copied(), config.pad_token_id, None, device))
    };
    let reference_model = XlmRobertaForSequenceClassification::new(&config, &cpu);
    // Reading on the CPU materialises the lazily initialised parameters, so the copy below
    // carries the same values to the device.
    let expected = read_logits(run(&reference_model, &cpu).into_data_async().await)?;
    let device_model = reference_model.clone().to_device(device);
    let got = read_logits(run(&device_model, device).into_data_async().await)?;

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
