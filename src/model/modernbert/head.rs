//! `head.*` and `classifier.*`: ModernBERT's pooling and prediction head — pool (the first
//! token, or the mean over real tokens), dense → GELU → LayerNorm, then the classifier.

use burn::module::Module;
use burn::nn::{LayerNorm, Linear, LinearConfig};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor, TensorData};

use super::config::Pooling;
use super::layer::layer_norm;
use super::ModernBertConfig;

/// `head.*`: `ModernBertPredictionHead`.
#[derive(Module, Debug)]
pub struct PredictionHead {
    pub dense: Linear,
    pub norm: LayerNorm,
}

impl PredictionHead {
    pub fn new(c: &ModernBertConfig, device: &Device) -> Self {
        Self {
            dense: LinearConfig::new(c.hidden_size, c.hidden_size).with_bias(c.classifier_bias).init(device),
            norm: layer_norm(c, device),
        }
    }

    /// `[batch, hidden]` → `[batch, hidden]`.
    pub fn forward(&self, pooled: Tensor<2>) -> Tensor<2> {
        self.norm.forward(gelu(self.dense.forward(pooled)))
    }
}

/// `classifier.*`: one logit (always with a bias in HF).
pub fn classifier(c: &ModernBertConfig, device: &Device) -> Linear {
    LinearConfig::new(c.hidden_size, 1).init(device)
}

/// `[batch, rows, hidden]` (final-normed) → `[batch, hidden]`. `Cls` reads row 0; `Mean` averages
/// each row's first `lengths[b]` tokens (HF multiplies by the mask and divides by its sum).
pub fn pool(hidden: Tensor<3>, pooling: Pooling, lengths: &[usize]) -> Tensor<2> {
    let [batch, seq, width] = hidden.dims();
    match pooling {
        Pooling::Cls => hidden.narrow(1, 0, 1).reshape([batch, width]),
        Pooling::Mean => {
            let device = hidden.device();
            let mask: Vec<f32> =
                lengths.iter().flat_map(|&len| (0..seq).map(move |t| if t < len { 1.0 } else { 0.0 })).collect();
            let mask = Tensor::<3>::from_data(TensorData::new(mask, [batch, seq, 1]), &device);
            let counts: Vec<f32> = lengths.iter().map(|&len| len as f32).collect();
            let counts = Tensor::<2>::from_data(TensorData::new(counts, [batch, 1]), &device);
            (hidden * mask).sum_dim(1).reshape([batch, width]) / counts
        }
    }
}
