//! The memory plan: what a model instance holds in the host's memory while it is built and runs,
//! checked before the weights are downloaded where their size is known first (the browser's rows
//! on demand read the header before the tensors) and again before the model is built. On wasm32
//! everything lives in one memory of at most 4 GiB, and an allocation that cannot grow it aborts
//! the instance; the plan turns that into [`Error::Memory`], which says what needs how much.
//! README, "Models", for the plan of each model of the table and its measured peaks.

use crate::error::{Error, Result};
use crate::kernels::attention::BLOCK_SCORES;
use crate::model::{Dims, Kernels, ROW_SLICE_BYTES};

/// Bytes a wasm32 memory can address.
pub const WASM32_BYTES: u64 = 4 << 30;
/// The module's code and data, its stack, the tokenizer, the JS glue's buffers: roughly, measured
/// as the wasm memory of a loaded small model minus its weights.
const BASELINE_BYTES: u64 = 160 << 20;
/// Activation budgets alive at once at worst on burn's CPU ops: a layer's scores or feed-forward
/// activation, its input and output.
const ACTIVATION_BUDGETS: u64 = 3;
/// On the tiled kernels (the browser's CPU default) no step holds `seq²` of anything: what is
/// alive at once is a few `tokens × hidden` rows — the residual stream, a layer's input, q / k /
/// v, the context — counted here as this many (measured 5.8 for the ModernBERT stand-ins, fewer
/// for XLM-R: `examples/peak_memory.rs`) — plus blocks of a fixed size whatever the length:
/// each thread's attention scores ([`BLOCK_SCORES`]), a feed-forward slice and its output
/// ([`ROW_SLICE_BYTES`] each) and a packed weight.
const TILED_ROWS_PER_TOKEN: u64 = 8;

/// Host bytes the tiled kernels hold at once for a batch of `tokens` padded tokens of a model
/// `hidden` wide, on `threads` threads.
pub fn tiled_activations(hidden: usize, tokens: usize, threads: usize) -> u64 {
    let fixed = threads as u64 * BLOCK_SCORES as u64 + 3 * ROW_SLICE_BYTES;
    fixed.saturating_add(TILED_ROWS_PER_TOKEN.saturating_mul((tokens as u64).saturating_mul(4 * hidden as u64)))
}

/// The most padded tokens a batch on the tiled kernels may hold within `budget` bytes (at least
/// one: a pair longer than that still runs, alone).
pub fn tiled_tokens_within(hidden: usize, budget: u64, threads: usize) -> usize {
    let fixed = tiled_activations(hidden, 0, threads);
    (budget.saturating_sub(fixed) / (TILED_ROWS_PER_TOKEN * 4 * hidden.max(1) as u64)).max(1) as usize
}

/// What a model instance holds in host memory, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryPlan {
    /// Bytes of `model.safetensors` held while the model is built: the whole file, or every tensor
    /// but the word embeddings (rows on demand). On the CPU the model's tensors are views of them
    /// (`Linear` weights transposed in place, `crate::load`); on a GPU they are freed once uploaded.
    pub weights: u64,
    /// The int8 copies of the encoder's `Linear` weights under precision int8 (at most a quarter
    /// of the f32 weights they are made from; their f32 bytes stay, the file is one buffer).
    pub int8: u64,
    /// Activations of the largest batch, on the host (0 when a GPU computes).
    pub activations: u64,
}

impl MemoryPlan {
    /// The plan for `weights` bytes held, `int8` whether precision int8 quantizes them, and the
    /// host's `activations` (0 on a GPU: [`Self::activations`]).
    pub fn new(weights: u64, int8: bool, activations: u64) -> Self {
        Self { weights, int8: if int8 { weights / 4 } else { 0 }, activations }
    }

    /// Host activations of a model `hidden` wide whose batches keep within `budget` bytes, on
    /// `kernels`, one pair reading up to `max_tokens`: on the tiled kernels the batch limits keep
    /// everything alive within the budget ([`tiled_tokens_within`]), unless one pair alone needs
    /// more; on burn's ops, a few budgets at once.
    pub fn activations(kernels: Kernels, hidden: usize, max_tokens: usize, budget: u64) -> u64 {
        match kernels {
            Kernels::Tiled => budget.max(tiled_activations(hidden, max_tokens, crate::parallel::threads())),
            Kernels::Burn => ACTIVATION_BUDGETS * budget,
        }
    }

    /// Everything, with the module's own share.
    pub fn total(&self) -> u64 {
        BASELINE_BYTES + self.weights + self.int8 + self.activations
    }

    /// `Ok` when the plan fits in `limit` bytes; else [`Error::Memory`] naming each share.
    pub fn check_within(&self, limit: u64) -> Result<()> {
        if self.total() <= limit {
            return Ok(());
        }
        let mib = |b: u64| b.div_ceil(1 << 20);
        Err(Error::Memory(format!(
            "this model needs about {} MiB of memory here ({} MiB of weights, {} MiB of int8 copies, {} MiB of \
             activations, {} MiB for the module), more than the {} MiB available; read the word embeddings on demand \
             (rows \"lazy\"), load a compact int8 or f16 file, lower maxLength or batchSize, or use WebGPU",
            mib(self.total()),
            mib(self.weights),
            mib(self.int8),
            mib(self.activations),
            mib(BASELINE_BYTES),
            mib(limit)
        )))
    }

    /// What `config.json` claims, before anything is fetched or allocated for it: the model's
    /// parameters at one byte each (the smallest a file can hold them in, int8) and the module's
    /// share must fit in `limit`; else [`Error::Memory`]. [`Self::ensure_claimed`] on wasm32.
    pub fn check_claimed_within(dims: &Dims, limit: u64) -> Result<()> {
        let claimed = dims.min_parameters();
        if claimed.saturating_add(BASELINE_BYTES) <= limit {
            return Ok(());
        }
        Err(Error::Memory(format!(
            "config.json claims a model of at least {claimed} parameters ({} MiB even as int8), more than the {} MiB \
             available here",
            claimed.div_ceil(1 << 20),
            limit >> 20
        )))
    }

    /// [`Self::check_claimed_within`] wasm32's 4 GiB; natively nothing (the header check refuses
    /// a config the file does not back).
    pub fn ensure_claimed(dims: &Dims) -> Result<()> {
        if cfg!(target_arch = "wasm32") { Self::check_claimed_within(dims, WASM32_BYTES) } else { Ok(()) }
    }

    /// Before downloading or building: on wasm32, [`Self::check_within`] its 4 GiB, then grows
    /// the memory to hold the int8 copies building will make, by reserving those bytes and
    /// freeing them at once (wasm memory only grows, and the allocator reuses what was freed): a
    /// browser that will not grow the memory that far is then this typed error, not an abort
    /// halfway through the build. Activations are only counted (reserving them would keep a page
    /// that scores short texts at the size of the longest). Natively nothing: the OS decides.
    pub fn ensure(&self) -> Result<()> {
        if !cfg!(target_arch = "wasm32") {
            return Ok(());
        }
        self.check_within(WASM32_BYTES)?;
        let mut probe: Vec<u8> = Vec::new();
        probe.try_reserve_exact(self.int8 as usize).map_err(|_| {
            Error::Memory(format!(
                "the browser would not grow this page's wasm memory by another {} MiB for int8 weights; \
                 close other tabs, or load a compact int8 file or a smaller model",
                self.int8.div_ceil(1 << 20)
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1 << 20;

    #[test]
    fn shares_add_up_and_a_plan_over_the_limit_names_them() {
        // The large XLM-R shape (bge-m3): 2.27 GB whole, 1.19 GiB without its word embeddings.
        let lazy_int8 = MemoryPlan::new(1190 * MB, true, MemoryPlan::activations(Kernels::Burn, 1024, 8192, 256 * MB));
        assert_eq!(lazy_int8, MemoryPlan { weights: 1190 * MB, int8: 297 * MB + MB / 2, activations: 768 * MB });
        assert_eq!(lazy_int8.total(), BASELINE_BYTES + 1190 * MB + 297 * MB + MB / 2 + 768 * MB);
        assert!(lazy_int8.check_within(WASM32_BYTES).is_ok());
        // On a GPU: no activations on the host.
        assert_eq!(MemoryPlan::new(1190 * MB, false, 0).activations, 0);
        // A 3 GB file with int8 copies and activations does not fit; the plan says what takes what.
        let Err(Error::Memory(why)) = MemoryPlan::new(3000 * MB, true, 768 * MB).check_within(WASM32_BYTES) else {
            panic!("3 GB, its int8 copies and activations fit in 4 GiB?");
        };
        assert!(why.contains("3000 MiB of weights") && why.contains("750 MiB of int8") && why.contains("4096 MiB"), "{why}");
        // Exactly at the limit fits; one byte over does not.
        let plan = MemoryPlan::new(100 * MB, false, MB);
        assert!(plan.check_within(plan.total()).is_ok() && plan.check_within(plan.total() - 1).is_err());
    }

    #[test]
    fn the_tiled_kernels_count_rows_per_token_not_squares() {
        // bge-m3's shape (1,024 wide) within the default 256 MiB: a batch of ~7,500 tokens, so an
        // 8,192-token pair runs alone and the plan counts what it needs beyond the budget.
        let tokens = tiled_tokens_within(1024, 256 * MB, 1);
        assert!((7000..8192).contains(&tokens), "{tokens}");
        assert!(tiled_activations(1024, tokens, 1) <= 256 * MB && tiled_activations(1024, tokens + 1, 1) > 256 * MB);
        let long = MemoryPlan::activations(Kernels::Tiled, 1024, 8192, 256 * MB);
        assert_eq!(long, tiled_activations(1024, 8192, 1));
        assert!(long > 256 * MB && long < 300 * MB, "{long}");
        // The v2 shape (256 wide): three 8,192-token pairs fit the budget, which is what is counted
        // (a third of what burn's ops are counted).
        assert!(tiled_tokens_within(256, 256 * MB, 1) >= 3 * 8192);
        assert_eq!(MemoryPlan::activations(Kernels::Tiled, 256, 8192, 256 * MB), 256 * MB);
        assert_eq!(MemoryPlan::activations(Kernels::Burn, 256, 8192, 256 * MB), 768 * MB);
        // A budget smaller than the fixed blocks still lets one token through.
        assert_eq!(tiled_tokens_within(256, MB, 4), 1);
    }

    #[test]
    fn a_config_claiming_more_than_fits_is_refused_before_anything_is_fetched() {
        let dims = |layers, hidden| Dims {
            vocab_size: 32_000,
            hidden_size: hidden,
            num_attention_heads: 12,
            intermediate_size: 4 * hidden,
            num_hidden_layers: layers,
            max_tokens: 512,
            pad_token_id: 0,
        };
        // The large XLM-R shape: 24 layers of 1,024 (0.3 G parameters + 32 M embeddings) fits.
        assert!(MemoryPlan::check_claimed_within(&dims(24, 1024), WASM32_BYTES).is_ok());
        // The lie: 100,000 layers of 65,536 (saturating, no overflow), and a plausible 1,024.
        for lie in [dims(100_000, 65_536), dims(1024, 65_536), dims(usize::MAX, usize::MAX)] {
            let Err(Error::Memory(why)) = MemoryPlan::check_claimed_within(&lie, WASM32_BYTES) else {
                panic!("{lie:?} fits?")
            };
            assert!(why.contains("config.json claims"), "{why}");
        }
    }
}
