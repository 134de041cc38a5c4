//! [`Reranker`]: config + tokenizer + weights → scores, for any model family. Plain Rust,
//! identical on every target; the backend is whatever burn [`Device`] it is given. One scoring
//! loop ([`Reranker::score_plan_with`]) serves the CLI, the native API and the browser, which
//! passes a [`ScoreHook`] to stop, yield or notice a lost device between batches.

mod chunks;
mod max_length;
mod memory;
mod options;
mod plan;

mod rank;
mod rows;

use std::future::Future;

use burn::tensor::{Device, Tensor};

pub use chunks::{DEFAULT_MAX_CHUNKS, Overflow, Window};
pub use max_length::{MaxLength, MaxLengthSource};
pub use memory::{MemoryPlan, WASM32_BYTES};
pub use options::{CPU_BATCH_SIZE, GPU_BATCH_SIZE, RerankerOptions, WordEmbeddings, precision_on};
pub use plan::{BatchLimits, ScorePlan, plan_batches};
pub use rank::rank;
use rank::query_pairs;
pub use rows::{ROW_GAP, RowRequest, row_requests};

use crate::backend::{cpu_device, is_cpu, read_logits};
use crate::error::{Error, Result};
use crate::load::{Header, WeightBytes, Weights};
use crate::model::{BuildOptions, CrossEncoder, Kernels, ModelConfig, Precision};
use crate::tokenize::{PairTokenizer, TokenizerFiles};

/// The score of one (query, passage) pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// `sigmoid(logit)`, in 0..1: the model card's relevance score.
    pub score: f32,
    /// The raw classifier output; ranks identically but does not saturate.
    pub logit: f32,
    /// Tokens the model saw, special tokens included, after truncation (of the best window).
    pub n_tokens: usize,
    /// The passage's best window, where it was scored in windows ([`Overflow::Chunks`]).
    pub window: Option<Window>,
}

/// A document's place in a ranking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    /// Position in the input list.
    pub index: usize,
    pub score: f32,
    pub logit: f32,
    /// [`Score::window`].
    pub window: Option<Window>,
}

/// What the scoring loop asks of its caller between batches: the place to stop (an abort), to
/// let an event loop run, or to notice that the device failed.
pub trait ScoreHook {
    /// The caller's error type; the loop's own errors convert into it.
    type Error: From<Error>;
    /// Called after each step of the loop: `done` of `total` batches have run.
    fn after_batches(&mut self, done: usize, total: usize) -> impl Future<Output = Result<(), Self::Error>>;
}

/// No hook: run every batch.
impl ScoreHook for () {
    type Error = Error;
    async fn after_batches(&mut self, _done: usize, _total: usize) -> Result<()> {
        Ok(())
    }
}

pub struct Reranker {
    model: Box<dyn CrossEncoder>,
    tokenizer: PairTokenizer,
    /// What `tokenizer` truncates to, and which limit set it.
    max_length: MaxLength,
    config: ModelConfig,
    device: Device,
    on_cpu: bool,
    kernels: Kernels,
    precision: Precision,
    /// Why `precision` is not the one the options asked for (f16 on a device without it).
    precision_reason: Option<String>,
    limits: BatchLimits,
    overflow: Overflow,
}

impl Reranker {
    /// Builds a reranker from the three Hub files of a model with a `tokenizer.json`. `safetensors` is consumed: on the CPU the
    /// model's tensors are views of it; on a GPU it is freed once they are uploaded. Pass a
    /// [`WeightBytes`] filled as the file arrives to avoid a copy; a `Vec<u8>` is copied once.
    /// Without `tokenizer_config.json` the limit is the model's positions: where the repository
    /// has one, pass it through [`Self::from_config`] (`TokenizerFiles::Json { config, .. }`) to
    /// truncate as the reference does.
    pub fn from_bytes(
        config_json: &[u8],
        tokenizer_json: &[u8],
        safetensors: impl Into<WeightBytes>,
        options: RerankerOptions,
    ) -> Result<Self> {
        let weights = Weights::File(safetensors.into());
        let tokenizer = TokenizerFiles::Json { json: tokenizer_json, config: None };
        Self::from_config(ModelConfig::from_json(config_json)?, tokenizer, weights, options)
    }

    /// [`Self::from_bytes`] with `config.json` already read (the load policy reads it first), the
    /// tokenizer's files of either kind ([`TokenizerFiles`]; a `tokenizer.json`'s bytes convert),
    /// and the weights whole or in parts ([`Weights::Parts`]: the word-embedding rows are then added
    /// as calls need them, see [`Self::missing_rows`]).
    pub fn from_config(
        config: ModelConfig,
        tokenizer: TokenizerFiles<'_>,
        weights: impl Into<Weights>,
        options: RerankerOptions,
    ) -> Result<Self> {
        let dims = config.dims();
        MemoryPlan::ensure_claimed(&dims)?;
        let weights = weights.into();
        // Every tensor the config implies, against the file, before anything is built.
        match &weights {
            Weights::File(bytes) => config.check_header(&Header::parse_file(bytes.as_bytes())?)?,
            Weights::Parts { header, .. } => config.check_header(header)?,
        }
        let max_length = MaxLength::resolve(options.max_length, tokenizer.model_max_length()?, dims.max_tokens)?;
        if options.batch_size == 0 {
            return Err(Error::InvalidInput("batch_size must be at least 1".into()));
        }
        let tokenizer = PairTokenizer::new(tokenizer, max_length.tokens)?;
        // An id past the embedding table would read out of bounds on the GPU (garbage) or abort
        // on the CPU, so a tokenizer that can produce one is refused up front.
        if tokenizer.vocab_size() > dims.vocab_size {
            return Err(Error::Tokenizer(format!(
                "{} token ids but the model's vocab_size is {}: tokenizer and model do not match",
                tokenizer.vocab_size(),
                dims.vocab_size
            )));
        }
        let device = options.device.clone().unwrap_or_else(cpu_device);
        let on_cpu = is_cpu(&device);
        let kernels = options.kernels_for(on_cpu)?;
        let (precision, precision_reason) = options.precision_for(&device, on_cpu)?;
        options.memory_plan(weights.bytes_held(), &dims).ensure()?;
        let max_activation_bytes = options.activation_bytes();
        let build = BuildOptions {
            device: device.clone(),
            host_word_embeddings: options.host_word_embeddings,
            kernels,
            precision,
            max_activation_bytes,
        };
        let model = config.build(weights, &build)?;
        let limits = BatchLimits::new(&dims, kernels, options.batch_size, max_activation_bytes);
        let overflow = options.overflow;
        Ok(Self { model, tokenizer, max_length, config, device, on_cpu, kernels, precision, precision_reason, limits, overflow })
    }

    /// Reads `config.json`, the tokenizer's files and `model.safetensors` from a folder in Hub
    /// layout. The tokenizer is `tokenizer.json`, or (without one) what `tokenizer_config.json`
    /// names: `BertJapaneseTokenizer` reads `vocab.txt` and needs
    /// [`RerankerOptions::mecab_dictionary`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_dir(dir: impl AsRef<std::path::Path>, options: RerankerOptions) -> Result<Self> {
        use crate::tokenize::{BertJapanese, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, VOCAB_FILE};
        let dir = dir.as_ref();
        let read = |name: &str, kind: fn(String) -> Error| {
            std::fs::read(dir.join(name)).map_err(|e| kind(format!("cannot read {}: {e}", dir.join(name).display())))
        };
        let config = ModelConfig::from_json(&read(crate::config::CONFIG_FILE, |m| Error::config("(file)", m))?)?;
        let path = dir.join(crate::load::WEIGHTS_FILE);
        let weights =
            WeightBytes::read(&path).map_err(|e| Error::Weights(format!("cannot read {}: {e}", path.display())))?;
        // Optional beside a tokenizer.json: it may set model_max_length.
        let tokenizer_config = if dir.join(TOKENIZER_CONFIG_FILE).exists() {
            Some(read(TOKENIZER_CONFIG_FILE, Error::Tokenizer)?)
        } else {
            None
        };
        if dir.join(TOKENIZER_FILE).exists() {
            let json = read(TOKENIZER_FILE, Error::Tokenizer)?;
            let files = TokenizerFiles::Json { json: &json, config: tokenizer_config.as_deref() };
            return Self::from_config(config, files, weights, options);
        }
        let tokenizer_config = tokenizer_config.ok_or_else(|| {
            Error::Tokenizer(format!("{} has neither {TOKENIZER_FILE} nor {TOKENIZER_CONFIG_FILE}", dir.display()))
        })?;
        if !BertJapanese::is_named_in(&tokenizer_config) {
            return Err(Error::Tokenizer(format!(
                "{} has no {TOKENIZER_FILE}, and its {TOKENIZER_CONFIG_FILE} names no tokenizer ja-rerank reads without one",
                dir.display()
            )));
        }
        let vocab = read(VOCAB_FILE, Error::Tokenizer)?;
        let dictionary = options.mecab_dictionary.clone().ok_or_else(|| {
            Error::Dictionary("this model splits words with MeCab: pass a dictionary (RerankerOptions::mecab_dictionary, the CLI's --dictionary)".into())
        })?;
        let files = TokenizerFiles::BertJapanese { config: &tokenizer_config, vocab: &vocab, dictionary };
        Self::from_config(config, files, weights, options)
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

    /// [`Self::max_length`], and which limit set it: the option, the tokenizer's
    /// `model_max_length` or the model's positions ([`MaxLength::resolve`]).
    pub fn max_length_source(&self) -> MaxLengthSource {
        self.max_length.set_by
    }

    pub fn batch_size(&self) -> usize {
        self.limits.max_pairs
    }

    /// The kernels this instance computes with.
    pub fn kernels(&self) -> Kernels {
        self.kernels
    }

    /// How this instance's `Linear` layers compute.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Why [`Self::precision`] differs from the one asked for, if it does.
    pub fn precision_reason(&self) -> Option<&str> {
        self.precision_reason.as_deref()
    }

    /// Batches run side by side: the thread pool's size on the CPU where there is one (the
    /// threaded wasm build, in a Worker; see [`crate::parallel`]), else 1.
    fn threads(&self) -> usize {
        if self.on_cpu { crate::parallel::threads() } else { 1 }
    }

    /// What this instance does with a passage longer than [`Self::max_length`].
    pub fn overflow(&self) -> Overflow {
        self.overflow
    }

    /// Tokenizes and batches `pairs` (in windows where a passage overflows and the instance
    /// scores chunks). An empty query is refused: it carries no information and is almost always
    /// a caller's bug. Empty passages are scored.
    pub fn plan<Q: AsRef<str>, P: AsRef<str>>(&self, pairs: &[(Q, P)]) -> Result<ScorePlan> {
        for (i, (q, _)) in pairs.iter().enumerate() {
            if q.as_ref().trim().is_empty() {
                return Err(Error::InvalidInput(format!("pair {i}: the query is empty")));
            }
        }
        let rows = chunks::rows(&self.tokenizer, self.overflow, pairs)?;
        let (mut ids, mut second_segments, mut owners, mut windows) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (row, second, owner, window) in rows {
            ids.push(row);
            second_segments.push(second);
            owners.push(owner);
            windows.push(window);
        }
        let lengths: Vec<usize> = ids.iter().map(Vec::len).collect();
        let mut limits = self.limits;
        // With a thread pool, at least one batch per thread where there are enough pairs (5
        // pairs on 2 threads: 3 + 2, not 4 + 1), so whole batches can run side by side.
        let threads = self.threads();
        if threads > 1 {
            limits.max_pairs = limits.max_pairs.min(ids.len().div_ceil(threads)).max(1);
        }
        let batches = plan_batches(&lengths, limits);
        Ok(ScorePlan { ids, second_segments, owners, windows, num_pairs: pairs.len(), batches })
    }

    /// Runs batch `b` of `plan`: `[pairs in batch]` logits, still on the device. Fails when a
    /// word-embedding row the batch needs is not held yet.
    pub fn forward_batch(&self, plan: &ScorePlan, b: usize) -> Result<Tensor<1>> {
        self.model.forward(&plan.batch_rows(b))
    }

    /// The token ids of `plan` whose word-embedding rows are not held yet, sorted: empty unless
    /// the weights came in parts ([`Weights::Parts`]). Fetch them ([`Self::row_requests`]) and
    /// add them ([`Self::insert_rows`]) before scoring the plan.
    pub fn missing_rows(&self, plan: &ScorePlan) -> Vec<u32> {
        match self.model.host_embeddings() {
            Some(table) if table.row_table().is_some() => {
                // A batch of unequal rows is padded, and the padding is looked up like any token
                // (then masked): its row is needed too.
                let pads = plan.pads().then_some(self.config.dims().pad_token_id);
                table.missing(plan.ids.iter().flatten().copied().chain(pads))
            }
            _ => Vec::new(),
        }
    }

    /// The single-range reads of `model.safetensors` that bring `missing` rows in: neighbours
    /// merged across gaps of up to [`ROW_GAP`] rows. Empty when the table is whole.
    pub fn row_requests(&self, missing: &[u32]) -> Vec<RowRequest> {
        match self.row_table() {
            Some(table) => row_requests(&table, missing, ROW_GAP),
            None => Vec::new(),
        }
    }

    /// Adds rows `first ..` from their bytes in `model.safetensors` (what a [`RowRequest`]
    /// read). Returns how many were new.
    pub fn insert_rows(&self, first: u32, bytes: &[u8]) -> Result<usize> {
        match self.model.host_embeddings() {
            Some(table) => table.insert(first, bytes),
            None => Err(Error::InvalidInput("this reranker's word embeddings were loaded whole".into())),
        }
    }

    /// Where the word-embedding rows lie in `model.safetensors`, for weights that came in parts.
    pub fn row_table(&self) -> Option<crate::load::RowTable> {
        self.model.host_embeddings().and_then(|t| t.row_table())
    }

    /// Word-embedding rows held in memory, for weights that came in parts; `None` when the table
    /// was loaded whole.
    pub fn rows_held(&self) -> Option<usize> {
        let table = self.model.host_embeddings().filter(|t| t.row_table().is_some())?;
        Some(table.rows_held())
    }

    /// The scoring loop: every batch of `plan`, calling `hook` after each step; scores in input
    /// order. A step is one batch, or on a CPU with a thread pool as many whole batches as there
    /// are threads, run side by side (no synchronisation inside a forward pass). Results are read
    /// back asynchronously, so this also drives WebGPU in a browser.
    pub async fn score_plan_with<H: ScoreHook>(&self, plan: &ScorePlan, hook: &mut H) -> Result<Vec<Score>, H::Error> {
        let missing = self.missing_rows(plan);
        if !missing.is_empty() {
            return Err(Error::InvalidInput(format!(
                "{} word-embedding rows of these pairs are not loaded yet (missing_rows / insert_rows)",
                missing.len()
            ))
            .into());
        }
        let total = plan.num_batches();
        let step = self.threads();
        let mut logits = Vec::with_capacity(total);
        let mut done = 0;
        while done < total {
            let end = (done + step).min(total);
            if end - done > 1 {
                // CPU tensors read back at once, so the tasks block on nothing.
                let group = crate::parallel::map_tasks((done..end).collect(), |b| {
                    read_logits(self.forward_batch(plan, b)?.try_into_data())
                });
                for batch in group {
                    logits.push(batch?);
                }
            } else {
                logits.push(read_logits(self.forward_batch(plan, done)?.into_data_async().await)?);
            }
            done = end;
            hook.after_batches(done, total).await?;
        }
        Ok(plan.into_scores(logits)?)
    }

    /// Scores pairs in input order. Blocks until done; where the device cannot be read
    /// synchronously (WebGPU in a browser) use [`Self::score_async`].
    pub fn score<Q: AsRef<str>, P: AsRef<str>>(&self, pairs: &[(Q, P)]) -> Result<Vec<Score>> {
        self.score_plan(&self.plan(pairs)?)
    }

    /// Runs every batch of a plan made by [`Self::plan`]; scores in input order. Blocking.
    pub fn score_plan(&self, plan: &ScorePlan) -> Result<Vec<Score>> {
        burn::tensor::try_read_sync(self.score_plan_with(plan, &mut ())).unwrap_or_else(|| {
            Err(Error::Backend("this device cannot be read synchronously here: use score_async".into()))
        })
    }

    /// [`Self::score`] for targets that cannot block on the device (WebGPU in a browser).
    pub async fn score_async<Q: AsRef<str>, P: AsRef<str>>(&self, pairs: &[(Q, P)]) -> Result<Vec<Score>> {
        self.score_plan_with(&self.plan(pairs)?, &mut ()).await
    }

    /// Documents by relevance to `query`, best first; equal scores keep input order. `top_k`
    /// keeps the best k (`None` = all; larger than the list = all).
    pub fn rerank<D: AsRef<str>>(&self, query: &str, documents: &[D], top_k: Option<usize>) -> Result<Vec<Ranked>> {
        rank(self.score(&query_pairs(query, documents))?, top_k)
    }

    /// [`Self::rerank`] for targets that cannot block on the device.
    pub async fn rerank_async<D: AsRef<str>>(
        &self,
        query: &str,
        documents: &[D],
        top_k: Option<usize>,
    ) -> Result<Vec<Ranked>> {
        rank(self.score_async(&query_pairs(query, documents)).await?, top_k)
    }
}
