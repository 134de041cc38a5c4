use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use super::BertConfig;

/// `bert.pooler.*`: `BertPooler` — dense → tanh on the first token ([CLS]).
#[derive(Module, Debug)]
pub struct Pooler {
    pub dense: Linear,
}

impl Pooler {
    pub fn new(c: &BertConfig, device: &Device) -> Self {
        Self { dense: LinearConfig::new(c.hidden_size, c.hidden_size).init(device) }
    }

    /// `[batch, seq, hidden]` (only row 0 of each sequence is read) → `[batch, hidden]`.
    pub fn forward(&self, hidden: Tensor<3>) -> Tensor<2> {
        let [batch, _, width] = hidden.dims();
        self.dense.forward(hidden.narrow(1, 0, 1).reshape([batch, width])).tanh()
    }
}

/// `classifier.*`: one logit from the pooled output (dropout is off at inference). The score is
/// sigmoid(logit): sentence-transformers' CrossEncoder default for one label, which base-v1 and
/// large-v1 keep (their model cards score with `CrossEncoder(...).predict` and read 0..1).
pub fn classifier(c: &BertConfig, device: &Device) -> Linear {
    LinearConfig::new(c.hidden_size, 1).init(device)
}
