//! `bert.embeddings.*` and BERT's input rule: how a batch of pairs becomes the tensors the
//! embeddings and the attention read — padding, absolute positions from 0 (the `position_ids`
//! buffer's `arange`), token types (0 for `[CLS] A [SEP]`, 1 from the second segment on, as the
//! tokenizer's `token_type_ids`; padding 0), the mask.

// `LayerNorm` carries the HF tensor name (the derive also binds it as a variable).
#![allow(non_snake_case)]

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::BertConfig;
use crate::error::Result;
use crate::model::{HostEmbeddings, Row, Words};

/// `bert.embeddings.*`: word + position + token-type embeddings, then LayerNorm.
#[derive(Module, Debug)]
pub struct Embeddings {
    pub word_embeddings: Embedding,
    pub position_embeddings: Embedding,
    pub token_type_embeddings: Embedding,
    pub LayerNorm: LayerNorm,
}

impl Embeddings {
    pub fn new(c: &BertConfig, device: &Device) -> Self {
        Self {
            word_embeddings: EmbeddingConfig::new(c.vocab_size, c.hidden_size).init(device),
            position_embeddings: EmbeddingConfig::new(c.max_position_embeddings, c.hidden_size).init(device),
            token_type_embeddings: EmbeddingConfig::new(c.type_vocab_size, c.hidden_size).init(device),
            LayerNorm: LayerNormConfig::new(c.hidden_size).with_epsilon(c.layer_norm_eps).init(device),
        }
    }

    /// Words (ids or looked-up rows), `[1, seq]` position ids and `[batch, seq]` token types →
    /// `[batch, seq, hidden]`.
    pub fn forward(&self, words: Words, position_ids: Tensor<2, Int>, token_type_ids: Tensor<2, Int>) -> Tensor<3> {
        let words = match words {
            Words::Ids(ids) => self.word_embeddings.forward(ids),
            Words::Vectors(vectors) => vectors,
        };
        let positions = self.position_embeddings.forward(position_ids);
        let types = self.token_type_embeddings.forward(token_type_ids);
        self.LayerNorm.forward(words + positions + types)
    }
}

/// One padded batch on its way into the model.
pub struct ModelInput {
    /// Token ids `[batch, seq]` right-padded with `pad_token_id`, or their embedding rows.
    pub words: Words,
    /// `[1, seq]`: 0, 1, 2, … for every row (broadcast over the batch).
    pub position_ids: Tensor<2, Int>,
    /// `[batch, seq]` token types.
    pub token_type_ids: Tensor<2, Int>,
    /// `[batch, 1, 1, seq]` additive mask: 0 for real tokens, a huge negative for pads.
    pub attention_bias: Tensor<4>,
}

impl ModelInput {
    /// Pads `rows` to the longest and builds the tensors on `device`, looking the words up in
    /// `host` when the table lives there (an error if it lacks a row).
    pub fn new(rows: &[Row<'_>], pad_token_id: u32, host: Option<&HostEmbeddings>, device: &Device) -> Result<Self> {
        let batch = rows.len();
        let seq = rows.iter().map(|r| r.ids.len()).max().unwrap_or(0);
        let mut input_ids = Vec::with_capacity(batch * seq);
        let mut types = Vec::with_capacity(batch * seq);
        let mut bias = Vec::with_capacity(batch * seq);
        for row in rows {
            input_ids.extend((0..seq).map(|t| row.ids.get(t).copied().unwrap_or(pad_token_id)));
            types.extend(token_type_ids(row, seq));
            // HF fills masked scores with the dtype's minimum.
            bias.extend((0..seq).map(|t| if t < row.ids.len() { 0.0f32 } else { f32::MIN }));
        }
        let positions: Vec<i64> = (0..seq as i64).collect();
        Ok(ModelInput {
            words: Words::new(&input_ids, [batch, seq], host, device)?,
            position_ids: Tensor::<2, Int>::from_data(TensorData::new(positions, [1, seq]), device),
            token_type_ids: Tensor::<2, Int>::from_data(TensorData::new(types, [batch, seq]), device),
            attention_bias: Tensor::<4>::from_data(TensorData::new(bias, [batch, 1, 1, seq]), device),
        })
    }
}

/// The tokenizer's `token_type_ids` for one pair padded to `seq`: 0 before the second segment,
/// 1 from it to the last real token, 0 for padding (`pad_token_type_id`).
pub fn token_type_ids(row: &Row<'_>, seq: usize) -> impl Iterator<Item = i64> + use<> {
    let (second, len) = (row.second_segment, row.ids.len());
    (0..seq).map(move |t| i64::from(t >= second && t < len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_types_follow_the_segments_and_padding_is_zero() {
        let row = Row { ids: &[2, 10, 11, 3, 20, 3], second_segment: 4 };
        assert_eq!(token_type_ids(&row, 8).collect::<Vec<_>>(), [0, 0, 0, 0, 1, 1, 0, 0]);
        assert_eq!(token_type_ids(&Row::ids(&[2, 3]), 3).collect::<Vec<_>>(), [0, 0, 0]);
    }
}
