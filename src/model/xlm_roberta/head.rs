use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use super::XlmRobertaConfig;

/// `classifier.*`: `XLMRobertaClassificationHead` — dense → tanh → out_proj on the first token.
#[derive(Module, Debug)]
pub struct ClassificationHead {
    pub dense: Linear,
    pub out_proj: Linear,
}

impl ClassificationHead {
    pub fn new(c: &XlmRobertaConfig, device: &Device) -> Self {
        Self {
            dense: LinearConfig::new(c.hidden_size, c.hidden_size).init(device),
            out_proj: LinearConfig::new(c.hidden_size, 1).init(device),
        }
    }

    /// `[batch, seq, hidden]` (only row 0 of each sequence is read) → `[batch]` logits.
    pub fn forward(&self, hidden: Tensor<3>) -> Tensor<1> {
        let [batch, _, width] = hidden.dims();
        let first = hidden.narrow(1, 0, 1).reshape([batch, width]);
        let x = self.dense.forward(first).tanh();
        self.out_proj.forward(x).reshape([batch])
    }
}
