// `LayerNorm` carries the HF tensor name (the derive also binds it as a variable).
#![allow(non_snake_case)]

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig};
use burn::tensor::{Device, Int, Tensor};

use crate::config::ModelConfig;

/// `roberta.embeddings.*`: word + position + token-type embeddings, then LayerNorm.
#[derive(Module, Debug)]
pub struct Embeddings {
    pub word_embeddings: Embedding,
    pub position_embeddings: Embedding,
    pub token_type_embeddings: Embedding,
    pub LayerNorm: LayerNorm,
}

impl Embeddings {
    pub fn new(c: &ModelConfig, device: &Device) -> Self {
        Self {
            word_embeddings: EmbeddingConfig::new(c.vocab_size, c.hidden_size).init(device),
            position_embeddings: EmbeddingConfig::new(c.max_position_embeddings, c.hidden_size).init(device),
            token_type_embeddings: EmbeddingConfig::new(c.type_vocab_size, c.hidden_size).init(device),
            LayerNorm: LayerNormConfig::new(c.hidden_size).with_epsilon(c.layer_norm_eps).init(device),
        }
    }

    /// Words (ids or looked-up rows) and `[batch, seq]` position ids → `[batch, seq, hidden]`.
    pub fn forward(&self, words: Words, position_ids: Tensor<2, Int>) -> Tensor<3> {
        let [_, hidden] = self.token_type_embeddings.weight.dims();
        // Cross-encoders built on XLM-R use token type 0 for both segments, so the token-type
        // term is row 0 broadcast, not a lookup.
        let token_type = self.token_type_embeddings.weight.val().slice(0..1).reshape([1, 1, hidden]);
        let words = match words {
            Words::Ids(ids) => self.word_embeddings.forward(ids),
            Words::Vectors(vectors) => vectors,
        };
        let x = words + self.position_embeddings.forward(position_ids) + token_type;
        self.LayerNorm.forward(x)
    }
}

/// The word part of the input: ids to look up on the device, or rows already looked up on the
/// host (`load::HostEmbeddings`).
pub enum Words {
    /// `[batch, seq]` token ids.
    Ids(Tensor<2, Int>),
    /// `[batch, seq, hidden]` word-embedding rows.
    Vectors(Tensor<3>),
}
