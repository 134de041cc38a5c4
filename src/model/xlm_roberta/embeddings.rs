//! `roberta.embeddings.*` and XLM-R's input rule: how a batch of token-id rows becomes the
//! tensors the embeddings and the attention read (padding, RoBERTa position ids, the mask).

// `LayerNorm` carries the HF tensor name (the derive also binds it as a variable).
#![allow(non_snake_case)]

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::XlmRobertaConfig;
use crate::error::Result;
use crate::model::{HostEmbeddings, Words};

/// `roberta.embeddings.*`: word + position + token-type embeddings, then LayerNorm.
#[derive(Module, Debug)]
pub struct Embeddings {
    pub word_embeddings: Embedding,
    pub position_embeddings: Embedding,
    pub token_type_embeddings: Embedding,
    pub LayerNorm: LayerNorm,
}

impl Embeddings {
    pub fn new(c: &XlmRobertaConfig, device: &Device) -> Self {
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

/// One padded batch on its way into the model.
pub struct ModelInput {
    /// Token ids `[batch, seq]` right-padded with `pad_token_id`, or their embedding rows.
    pub words: Words,
    /// `[batch, seq]` RoBERTa position ids: real tokens `pad+1 ..`, pads `pad`.
    pub position_ids: Tensor<2, Int>,
    /// `[batch, 1, 1, seq]` additive mask: 0 for real tokens, a huge negative for pads.
    pub attention_bias: Tensor<4>,
}

impl ModelInput {
    /// Pads `rows` (token ids per pair) to the longest and builds the tensors on `device`,
    /// looking the words up in `host` when the table lives there (an error if it lacks a row).
    pub fn new(rows: &[&[u32]], pad_token_id: u32, host: Option<&HostEmbeddings>, device: &Device) -> Result<Self> {
        let batch = rows.len();
        let seq = rows.iter().map(|r| r.len()).max().unwrap_or(0);
        let mut input_ids = Vec::with_capacity(batch * seq);
        let mut bias = Vec::with_capacity(batch * seq);
        for row in rows {
            for t in 0..seq {
                input_ids.push(row.get(t).copied().unwrap_or(pad_token_id));
                // Padding is masked by place: a typed `<pad>` is a real, attended token.
                // HF fills masked scores with the dtype's minimum.
                bias.push(if t < row.len() { 0.0f32 } else { f32::MIN });
            }
        }
        let position_ids = create_position_ids_from_input_ids(&input_ids, seq, pad_token_id);
        let words = Words::new(&input_ids, [batch, seq], host, device)?;
        Ok(ModelInput {
            words,
            position_ids: Tensor::<2, Int>::from_data(TensorData::new(position_ids, [batch, seq]), device),
            attention_bias: Tensor::<4>::from_data(TensorData::new(bias, [batch, 1, 1, seq]), device),
        })
    }
}

/// HF's `create_position_ids_from_input_ids` for rows of `seq` ids: `cumsum(ids != pad) *
/// (ids != pad) + pad`. It looks at ids, not at the mask, so a `<pad>` typed inside the text also
/// gets position `pad` and does not advance the count; we do the same.
pub fn create_position_ids_from_input_ids(input_ids: &[u32], seq: usize, pad_token_id: u32) -> Vec<i64> {
    let pad = pad_token_id as i64;
    let mut positions = Vec::with_capacity(input_ids.len());
    for row in input_ids.chunks(seq.max(1)) {
        let mut position = pad;
        for &id in row {
            positions.push(if id == pad_token_id {
                pad
            } else {
                position += 1;
                position
            });
        }
    }
    positions
}

#[cfg(test)]
mod tests {
    use super::create_position_ids_from_input_ids;

    #[test]
    fn positions_follow_hf() {
        // pad 1: real tokens from 2, pads (trailing or typed inside the text) stay at 1.
        let ids = [0, 5, 1, 7, 2, 1, 0, 9, 2, 1, 1, 1];
        assert_eq!(create_position_ids_from_input_ids(&ids, 6, 1), vec![2, 3, 1, 4, 5, 1, 2, 3, 4, 1, 1, 1]);
    }
}
