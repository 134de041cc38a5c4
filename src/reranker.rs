//! [`Reranker`]: config + tokenizer + weights → scores. Plain Rust, identical on every target;
//! the backend is whatever burn [`Device`] it is given.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::backend::cpu_device;
use crate::config::ModelConfig;
use crate::error::{Error, Result};
use crate::load::{HostEmbeddings, WeightBytes, load_weights};
use crate::model::{ModelInput, Words, XlmRobertaForSequenceClassification};
use crate::tokenize::{BatchLimits, PairTokenizer, plan_batches};

/// Default bound on the largest activation of a batch (the attention scores, `pairs × heads ×
/// seq² × 4` bytes): long inputs get smaller batches instead of exhausting wasm's 4 GiB.
const DEFAULT_MAX_ACTIVATION_BYTES: u64 = 256 << 20;

#[derive(Debug, Clone)]
pub struct RerankerOptions {
    /// Tokens per pair, special tokens included; `None` = the model's maximum (512 for XLM-R).
    pub max_length: Option<usize>,
    /// Pairs per forward pass (fewer when pairs are long).
    pub batch_size: usize,
    /// Where to compute; `None` = the default CPU backend.
    pub device: Option<Device>,
    /// Look word embeddings up in host memory instead of on the device (for GPUs whose largest
    /// storage binding cannot hold the table). Same scores either way.
    pub host_word_embeddings: bool,
    /// Largest activation tensor a batch may create, in bytes (a GPU's largest storage binding,
    /// say); `None` = 256 MiB. Batches shrink to fit; a single pair always runs.
    pub max_activation_bytes: Option<u64>,
}

impl RerankerOptions {
    /// The activation budget on a GPU whose largest storage binding is `max_binding_bytes`: the
    /// default, or less where one binding cannot hold it.
    pub fn gpu_activation_bytes(max_binding_bytes: u64) -> u64 {
        max_binding_bytes.min(DEFAULT_MAX_ACTIVATION_BYTES)
    }
}

impl Default for RerankerOptions {
    fn default() -> Self {
        // Small batches are fastest on the CPU: length-sorted pairs already pad little, and a
        // batch's attention scores stay in cache (README, "CPU backend").
        Self { max_length: None, batch_size: 4, device: None, host_word_embeddings: false, max_activation_bytes: None }
    }
}

/// The score of one (query, passage) pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// `sigmoid(logit)`, in 0..1: the model card's relevance score.
    pub score: f32,
    /// The raw classifier output; ranks identically but does not saturate.
    pub logit: f32,
    /// Tokens the model saw, special tokens included, after truncation.
    pub n_tokens: usize,
}

/// A document's place in a ranking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    /// Position in the input list.
    pub index: usize,
    pub score: f32,
    pub logit: f32,
}

pub struct Reranker {
    model: XlmRobertaForSequenceClassification,
    host_embeddings: Option<HostEmbeddings>,
    tokenizer: PairTokenizer,
    config: ModelConfig,
    device: Device,
    limits: BatchLimits,
}

/// Pairs tokenized and grouped into batches, ready to run one batch at a time (so a caller can
/// report progress or stop between batches).
pub struct ScorePlan {
    ids: Vec<Vec<u32>>,
    batches: Vec<Vec<usize>>,
}

impl ScorePlan {
    pub fn num_pairs(&self) -> usize {
        self.ids.len()
    }

    pub fn num_batches(&self) -> usize {
        self.batches.len()
    }

    /// Token ids of pair `i`, in input order.
    pub fn input_ids(&self, i: usize) -> &[u32] {
        &self.ids[i]
    }

    /// Scores in input order from each batch's logits, given in batch order.
    pub fn into_scores(&self, batch_logits: Vec<Vec<f32>>) -> Result<Vec<Score>> {
        let mut scores = vec![None; self.ids.len()];
        for (batch, logits) in self.batches.iter().zip(&batch_logits) {
            if logits.len() != batch.len() {
                return Err(Error::Backend(format!("expected {} logits, got {}", batch.len(), logits.len())));
            }
            for (&i, &logit) in batch.iter().zip(logits) {
                if !logit.is_finite() {
                    return Err(Error::Backend(format!("non-finite logit {logit} for pair {i}")));
                }
                scores[i] = Some(Score { score: sigmoid(logit), logit, n_tokens: self.ids[i].len() });
            }
        }
        scores.into_iter().map(|s| s.ok_or_else(|| Error::Backend("a batch was not run".into()))).collect()
    }
}

fn sigmoid(logit: f32) -> f32 {
    (1.0 / (1.0 + (-(logit as f64)).exp())) as f32
}

impl Reranker {
    /// Builds a reranker from the three Hub files. `safetensors` is consumed: on the CPU the
    /// model's tensors are views of it; on a GPU it is freed once they are uploaded. Pass a
    /// [`WeightBytes`] filled as the file arrives to avoid a copy; a `Vec<u8>` is copied once.
    pub fn from_bytes(
        config_json: &[u8],
        tokenizer_json: &[u8],
        safetensors: impl Into<WeightBytes>,
        options: RerankerOptions,
    ) -> Result<Self> {
        let safetensors = safetensors.into();
        let config = ModelConfig::from_json(config_json)?;
        let limit = config.max_tokens();
        let max_length = match options.max_length {
            None => limit,
            Some(n) if n > limit => {
                return Err(Error::InvalidInput(format!("max_length {n} exceeds the model's limit of {limit} tokens")));
            }
            Some(n) => n,
        };
        if options.batch_size == 0 {
            return Err(Error::InvalidInput("batch_size must be at least 1".into()));
        }
        let tokenizer = PairTokenizer::from_json(tokenizer_json, max_length)?;
        // An id past the embedding table would read out of bounds on the GPU (garbage) or abort
        // on the CPU, so a tokenizer that can produce one is refused up front.
        if tokenizer.vocab_size() > config.vocab_size {
            return Err(Error::Tokenizer(format!(
                "{} token ids but the model's vocab_size is {}: tokenizer and model do not match",
                tokenizer.vocab_size(),
                config.vocab_size
            )));
        }
        let device = options.device.unwrap_or_else(cpu_device);
        let mut model = XlmRobertaForSequenceClassification::new(&config, &device);
        let host_embeddings = load_weights(&mut model, safetensors, options.host_word_embeddings)?;
        let bytes = options.max_activation_bytes.unwrap_or(DEFAULT_MAX_ACTIVATION_BYTES) as usize;
        let limits = BatchLimits {
            max_pairs: options.batch_size,
            max_cells: bytes / (4 * config.num_attention_heads),
            max_tokens: bytes / (4 * config.intermediate_size.max(config.hidden_size)),
        };
        Ok(Self { model, host_embeddings, tokenizer, config, device, limits })
    }

    /// Reads `config.json`, `tokenizer.json` and `model.safetensors` from a folder in Hub layout.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_dir(dir: impl AsRef<std::path::Path>, options: RerankerOptions) -> Result<Self> {
        let dir = dir.as_ref();
        let read = |name: &str, kind: fn(String) -> Error| {
            std::fs::read(dir.join(name)).map_err(|e| kind(format!("cannot read {}: {e}", dir.join(name).display())))
        };
        let config = read("config.json", |m| Error::config("(file)", m))?;
        let tokenizer = read("tokenizer.json", Error::Tokenizer)?;
        let path = dir.join("model.safetensors");
        let weights =
            WeightBytes::read(&path).map_err(|e| Error::Weights(format!("cannot read {}: {e}", path.display())))?;
        Self::from_bytes(&config, &tokenizer, weights, options)
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn max_length(&self) -> usize {
        self.tokenizer.max_length()
    }

    pub fn batch_size(&self) -> usize {
        self.limits.max_pairs
    }

    /// Tokenizes and batches `pairs`. An empty query is refused: it carries no information and is
    /// almost always a caller's bug. Empty passages are scored.
    pub fn plan<Q: AsRef<str>, P: AsRef<str>>(&self, pairs: &[(Q, P)]) -> Result<ScorePlan> {
        let ids = pairs
            .iter()
            .enumerate()
            .map(|(i, (q, p))| {
                if q.as_ref().trim().is_empty() {
                    return Err(Error::InvalidInput(format!("pair {i}: the query is empty")));
                }
                self.tokenizer.encode(q.as_ref(), p.as_ref())
            })
            .collect::<Result<Vec<_>>>()?;
        let lengths: Vec<usize> = ids.iter().map(Vec::len).collect();
        let mut limits = self.limits;
        // With a thread pool, at least one batch per thread where there are enough pairs (5
        // pairs on 2 threads: 3 + 2, not 4 + 1), so whole batches can run side by side.
        let threads = crate::parallel::threads();
        if threads > 1 {
            limits.max_pairs = limits.max_pairs.min(pairs.len().div_ceil(threads)).max(1);
        }
        let batches = plan_batches(&lengths, limits);
        Ok(ScorePlan { ids, batches })
    }

    /// Runs batch `b` of `plan`: `[pairs in batch]` logits, still on the device.
    pub fn forward_batch(&self, plan: &ScorePlan, b: usize) -> Tensor<1> {
        let rows = plan.batches[b].iter().map(|&i| plan.ids[i].as_slice());
        let input = model_input(rows, self.config.pad_token_id, self.host_embeddings.as_ref(), &self.device);
        self.model.forward(input)
    }

    /// Scores pairs in input order. Blocks until done; in a browser use [`Self::score_async`].
    pub fn score<Q: AsRef<str>, P: AsRef<str>>(&self, pairs: &[(Q, P)]) -> Result<Vec<Score>> {
        self.score_plan(&self.plan(pairs)?)
    }

    /// Runs every batch of a plan made by [`Self::plan`]; scores in input order.
    pub fn score_plan(&self, plan: &ScorePlan) -> Result<Vec<Score>> {
        plan.into_scores(self.run_batches(plan, 0..plan.num_batches())?)
    }

    /// Logits of batches `range` of `plan`, in batch order: one after another on this thread,
    /// or side by side on the thread pool where there is one (see [`crate::parallel`]). Reads
    /// the results back blocking, so not for WebGPU in a browser.
    pub fn run_batches(&self, plan: &ScorePlan, range: std::ops::Range<usize>) -> Result<Vec<Vec<f32>>> {
        crate::parallel::map_tasks(range.collect(), |b| read_logits(self.forward_batch(plan, b).try_into_data()))
            .into_iter()
            .collect()
    }

    /// [`Self::score`] for targets that cannot block on the device (WebGPU in a browser).
    pub async fn score_async<Q: AsRef<str>, P: AsRef<str>>(&self, pairs: &[(Q, P)]) -> Result<Vec<Score>> {
        let plan = self.plan(pairs)?;
        let mut logits = Vec::with_capacity(plan.num_batches());
        for b in 0..plan.num_batches() {
            logits.push(read_logits(self.forward_batch(&plan, b).into_data_async().await)?);
        }
        plan.into_scores(logits)
    }

    /// Documents by relevance to `query`, best first; equal scores keep input order. `top_k`
    /// keeps the best k (`None` = all; larger than the list = all).
    pub fn rerank<D: AsRef<str>>(&self, query: &str, documents: &[D], top_k: Option<usize>) -> Result<Vec<Ranked>> {
        let pairs: Vec<(&str, &str)> = documents.iter().map(|d| (query, d.as_ref())).collect();
        rank(self.score(&pairs)?, top_k)
    }

    /// [`Self::rerank`] for targets that cannot block on the device.
    pub async fn rerank_async<D: AsRef<str>>(
        &self,
        query: &str,
        documents: &[D],
        top_k: Option<usize>,
    ) -> Result<Vec<Ranked>> {
        let pairs: Vec<(&str, &str)> = documents.iter().map(|d| (query, d.as_ref())).collect();
        rank(self.score_async(&pairs).await?, top_k)
    }
}

/// Pads a batch of token-id rows and builds the tensors the model reads on `device`.
pub(crate) fn model_input<'a>(
    rows: impl ExactSizeIterator<Item = &'a [u32]> + Clone,
    pad_token_id: u32,
    host_embeddings: Option<&HostEmbeddings>,
    device: &Device,
) -> ModelInput {
    let batch = rows.len();
    let seq = rows.clone().map(<[u32]>::len).max().unwrap_or(0);
    let pad = pad_token_id as i64;
    let mut input_ids = Vec::with_capacity(batch * seq);
    let mut position_ids = Vec::with_capacity(batch * seq);
    let mut bias = Vec::with_capacity(batch * seq);
    for row in rows {
        // HF's create_position_ids_from_input_ids: cumsum(ids != pad) * (ids != pad) + pad.
        // It looks at ids, not at the mask, so a `<pad>` typed inside the text also gets
        // position `pad` and does not advance the count; we do the same.
        let mut position = pad;
        for t in 0..seq {
            let id = row.get(t).map_or(pad, |&id| id as i64);
            input_ids.push(id);
            position_ids.push(if id == pad {
                pad
            } else {
                position += 1;
                position
            });
            // Padding is masked by place: a typed `<pad>` is a real, attended token.
            // HF fills masked scores with the dtype's minimum.
            bias.push(if t < row.len() { 0.0f32 } else { f32::MIN });
        }
    }
    let words = match host_embeddings {
        None => Words::Ids(Tensor::<2, Int>::from_data(TensorData::new(input_ids, [batch, seq]), device)),
        Some(table) => {
            let mut rows = Vec::with_capacity(batch * seq * table.hidden);
            for &id in &input_ids {
                table.push_row(id as usize, &mut rows);
            }
            Words::Vectors(Tensor::<3>::from_data(TensorData::new(rows, [batch, seq, table.hidden]), device))
        }
    };
    ModelInput {
        words,
        position_ids: Tensor::<2, Int>::from_data(TensorData::new(position_ids, [batch, seq]), device),
        attention_bias: Tensor::<4>::from_data(TensorData::new(bias, [batch, 1, 1, seq]), device),
    }
}

pub fn read_logits<E: std::fmt::Display>(data: std::result::Result<TensorData, E>) -> Result<Vec<f32>> {
    data.map_err(|e| Error::Backend(format!("reading results: {e}")))?
        .try_into_vec::<f32>()
        .map_err(|e| Error::Backend(format!("reading results: {e:?}")))
}

/// Sorts by logit (the score saturates at 1.0 in f32; the logit does not), ties by index.
pub fn rank(scores: Vec<Score>, top_k: Option<usize>) -> Result<Vec<Ranked>> {
    if top_k == Some(0) {
        return Err(Error::InvalidInput("top_k must be at least 1".into()));
    }
    let mut ranked: Vec<Ranked> =
        scores.into_iter().enumerate().map(|(index, s)| Ranked { index, score: s.score, logit: s.logit }).collect();
    ranked.sort_by(|a, b| b.logit.total_cmp(&a.logit).then(a.index.cmp(&b.index)));
    ranked.truncate(top_k.unwrap_or(usize::MAX));
    Ok(ranked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(logit: f32) -> Score {
        Score { score: sigmoid(logit), logit, n_tokens: 3 }
    }

    #[test]
    fn rank_sorts_by_logit_then_index() {
        // 30 and 40 both give score 1.0 in f32; the logit still orders them.
        let ranked = rank(vec![s(0.5), s(30.0), s(-2.0), s(40.0), s(0.5)], None).unwrap();
        let order: Vec<usize> = ranked.iter().map(|r| r.index).collect();
        assert_eq!(order, vec![3, 1, 0, 4, 2]);
        assert_eq!(ranked[0].score, 1.0);
        assert_eq!(rank(vec![s(1.0), s(2.0)], Some(1)).unwrap().len(), 1);
        assert_eq!(rank(vec![s(1.0), s(2.0)], Some(10)).unwrap().len(), 2);
        assert!(matches!(rank(vec![s(1.0)], Some(0)), Err(Error::InvalidInput(_))));
    }
}
