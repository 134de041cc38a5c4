//! The ops of a model instance whose implementation is chosen when the instance is built
//! ([`Ops`]: its [`Kernels`] and [`Precision`], kept by the instance like HF's
//! `attn_implementation`): `Linear` (matmul + bias,
//! GELU fused), the whole self-attention and softmax, either as burn's ops or, on the CPU, as
//! `crate::kernels`' 4×8 tiles and vectorised exp (faster than burn-flex in V8: README.md,
//! "Speed in the browser", from BENCHMARKS.md runs). For other dtypes, or widths the tiles do not take (not a
//! multiple of 8), an op falls back to burn's own.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::nn::Linear;
use burn::tensor::activation::{gelu, softmax as burn_softmax};
use burn::tensor::{DType, Device, Tensor, TensorData};

use crate::error::{Error, Result};
use crate::load::Int8Tensor;
use crate::kernels::gemm::{self, Epilogue};
use crate::kernels::int8::PackedInt8;
use crate::kernels::{attention, simd};
use super::fused::HostLinear;
/// Which code computes a model instance's matmuls, attention and softmax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    /// burn's ops, on whatever device the model is on.
    Burn,
    /// ja-rerank's own CPU kernels (`crate::kernels`): simd128 in wasm, where they beat
    /// burn-flex; natively the same algorithms on 4-lane arrays (slower than burn-flex's AVX,
    /// but they let native tests check the wasm arithmetic against PyTorch). CPU devices only.
    Tiled,
}

impl Kernels {
    pub fn name(self) -> &'static str {
        match self {
            Kernels::Burn => "burn",
            Kernels::Tiled => "tiled",
        }
    }
}

/// How the weights of a model instance's `Linear` layers are held and multiplied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// f32 weights and f32 arithmetic: PyTorch's scores to ~1e-6. Weights stored as f16 or int8
    /// are dequantized when loaded.
    #[default]
    F32,
    /// int8 weights (per output channel) times int8 activations (per token, quantized on the
    /// fly), summed in i32 ([`crate::kernels::int8`]); attention, softmax, LayerNorms and the
    /// head stay f32. A quarter of the weights' memory and faster matmuls in wasm, at a measured
    /// cost in ranking quality (README, "Precision"). CPU devices only.
    Int8,
    /// f16 weights for the encoder's `Linear` layers, multiplied in f16 ([`to_f16`]): half the
    /// weights' memory on the device. Their inputs are cast to f16 and their outputs back to f32;
    /// biases, attention, softmax, LayerNorms, embeddings and the head stay f32. For devices with
    /// f16 arithmetic (WebGPU with `shader-f16`); the reranker's policy computes in f32 elsewhere.
    F16,
}

impl Precision {
    /// Every precision, by name: the one list the CLI and the web options read.
    pub const ALL: [Precision; 3] = [Precision::F32, Precision::F16, Precision::Int8];

    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::Int8 => "int8",
            Precision::F16 => "f16",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The ops of one model instance, as it was built: which [`Kernels`], and under
/// [`Precision::Int8`] the packed int8 weights of its `Linear` layers (keyed by parameter, so
/// the model's modules keep their checkpoint shape and names).
#[derive(Debug, Clone)]
pub struct Ops {
    kernels: Kernels,
    int8: HashMap<ParamId, PackedInt8>,
    /// Bytes of attention scores one step may hold (`BuildOptions::max_activation_bytes`).
    max_activation_bytes: u64,
}

impl Ops {
    /// Ops in f32 with `kernels`, attention scores within `max_activation_bytes` per step.
    pub fn new(kernels: Kernels, max_activation_bytes: u64) -> Self {
        Self { kernels, int8: HashMap::new(), max_activation_bytes }
    }

    /// Bytes of activations one step may hold (`Ops::in_query_slices`, `model/slices.rs`).
    pub fn max_activation_bytes(&self) -> u64 {
        self.max_activation_bytes
    }

    pub fn kernels(&self) -> Kernels {
        self.kernels
    }

    /// Bytes of int8 weights held.
    pub fn int8_bytes(&self) -> usize {
        self.int8.values().map(PackedInt8::bytes).sum()
    }

    /// Quantizes every 2-D weight of `module` — a family passes the modules whose `Linear`s
    /// run through these ops (an encoder's layers), not its embedding tables — and frees the f32
    /// copy: the parameter keeps its id, its value becomes an empty tensor. The module must then
    /// run only through these ops. CPU devices only (the caller's policy checks).
    ///
    /// `stored`: weights the file already holds as int8 (an int8 file, `crate::load::compact`),
    /// keyed by their path in `module` (`layer.0.attention.self_.query.weight`); their parameters
    /// were left unallocated, and they are packed as stored, never widened to f32.
    pub fn quantize<M: Module>(&mut self, module: M, stored: HashMap<String, Int8Tensor>) -> Result<M> {
        let mut quantizer = Quantizer { packed: &mut self.int8, stored, path: Vec::new(), error: None };
        let module = module.map(&mut quantizer);
        if let Some(e) = quantizer.error {
            return Err(e);
        }
        match quantizer.stored.into_values().next() {
            Some(t) => Err(Error::Weights(format!(
                "unexpected tensor '{}': the file does not match config.json",
                t.file_name
            ))),
            None => Ok(module),
        }
    }

    /// `x · W + b` for `x` `[batch, seq, d_in]`.
    pub fn linear(&self, linear: &Linear, x: Tensor<3>) -> Tensor<3> {
        self.linear_with(linear, x, Epilogue::Bias).unwrap_or_else(|x| linear.forward(x))
    }

    /// `gelu(x · W + b)`, the GELU fused into the matmul on the tiled and int8 paths.
    pub fn linear_gelu(&self, linear: &Linear, x: Tensor<3>) -> Tensor<3> {
        self.linear_with(linear, x, Epilogue::BiasGelu).unwrap_or_else(|x| gelu(linear.forward(x)))
    }

    /// Output width of `linear` (its f32 weight may have been freed for an int8 copy).
    pub fn out_features(&self, linear: &Linear) -> usize {
        self.int8.get(&linear.weight.id).map_or_else(|| linear.weight.dims()[1], |packed| packed.dims()[1])
    }

    /// The int8 or tiled product, or `Err(x)` back for burn's.
    fn linear_with(&self, linear: &Linear, x: Tensor<3>, epilogue: Epilogue) -> std::result::Result<Tensor<3>, Tensor<3>> {
        if linear.weight.val().dtype() == DType::F16 {
            let y = linear_f16(linear, x);
            return Ok(if epilogue == Epilogue::BiasGelu { gelu(y) } else { y });
        }
        let [batch, seq, _] = x.dims();
        // Checked before converting x, so a fallback costs nothing.
        let Some([_, d_out]) = self.host_dims(linear) else { return Err(x) };
        if x.dtype() != DType::F32 {
            return Err(x);
        }
        let device = x.device();
        // x's values copied out, then x let go before the product is allocated (a long input is
        // not held beside its copy); rebuilt from what was read if the product declines.
        let data = x.clone().try_into_data().map_err(|_| x.clone())?;
        drop(x);
        let rows = data.as_slice::<f32>().ok().and_then(|xs| self.project(linear, xs, batch * seq, epilogue));
        match rows {
            Some(y) => Ok(Tensor::<3>::from_data(TensorData::new(y, [batch, seq, d_out]), &device)),
            None => Err(Tensor::<3>::from_data(data, &device)),
        }
    }

    /// Softmax over the last dimension (attention scores `[batch, heads, q, k]`).
    pub fn softmax(&self, scores: Tensor<4>) -> Tensor<4> {
        if self.kernels == Kernels::Tiled && scores.dtype() == DType::F32 {
            let dims = scores.dims();
            let device = scores.device();
            if let Ok(data) = scores.clone().try_into_data()
                && let Ok(mut values) = data.try_into_vec::<f32>()
            {
                simd::softmax_rows(&mut values, dims[3]);
                return Tensor::<4>::from_data(TensorData::new(values, dims), &device);
            }
        }
        burn_softmax(scores, 3)
    }

    /// Multi-head scaled dot-product attention with its q/k/v projections, all on the tiled path:
    /// `queries` `[b, q, h]` over `keys_values` `[b, k, h]`, `attention_bias` `[b, 1, 1, k]`;
    /// returns the context `[b, q, h]`, or `None` where the tiled path does not apply (then the
    /// caller runs burn's ops). The projections on the 4×8 tiles (int8 ones under
    /// [`Precision::Int8`]), the heads in [`attention::attention`].
    pub fn attention(
        &self,
        projections: [&Linear; 3],
        num_heads: usize,
        queries: &Tensor<3>,
        keys_values: &Tensor<3>,
        attention_bias: &Tensor<4>,
    ) -> Option<Tensor<3>> {
        if self.kernels != Kernels::Tiled {
            return None;
        }
        let device = queries.device();
        let [batch, q_len, hidden] = queries.dims();
        let [_, k_len, _] = keys_values.dims();
        let f32s = [queries.dtype(), keys_values.dtype(), attention_bias.dtype()].iter().all(|d| *d == DType::F32);
        if !f32s || !attention::supported(hidden, num_heads) || k_len == 0 {
            return None;
        }
        let square = |linear: &Linear| match self.int8.get(&linear.weight.id) {
            Some(packed) => packed.dims() == [hidden, hidden],
            None => linear.weight.dims() == [hidden, hidden],
        };
        if !projections.iter().all(|l| square(l)) {
            return None;
        }
        let xq = queries.clone().try_into_data().ok()?;
        let xkv = keys_values.clone().try_into_data().ok()?;
        let mask = attention_bias.clone().try_into_data().ok()?.try_into_vec::<f32>().ok()?;
        let [wq, wk, wv] = projections;
        let q = self.project(wq, xq.as_slice::<f32>().ok()?, batch * q_len, Epilogue::Bias)?;
        let k = self.project(wk, xkv.as_slice::<f32>().ok()?, batch * k_len, Epilogue::Bias)?;
        let v = self.project(wv, xkv.as_slice::<f32>().ok()?, batch * k_len, Epilogue::Bias)?;

        let dims = attention::Dims { batch, q_len, k_len, hidden, heads: num_heads, window: None };
        Some(heads(q, &k, &v, &mask, dims, &device))
    }

    /// `[d_in, d_out]` of `linear` where [`Self::project`] computes it on host rows (its int8
    /// copy, or f32 on the tiled kernels), else `None`.
    pub(super) fn host_dims(&self, linear: &Linear) -> Option<[usize; 2]> {
        if let Some(packed) = self.int8.get(&linear.weight.id) {
            return Some(packed.dims());
        }
        let weight = linear.weight.val();
        let dims = weight.dims();
        (self.kernels == Kernels::Tiled && weight.dtype() == DType::F32 && gemm::supported(dims[1])).then_some(dims)
    }

    /// `linear` ready for many products on host rows: its int8 copy, or its f32 weight packed
    /// once for the tiles (on the tiled kernels); `None` where neither applies.
    pub(super) fn host_linear(&self, linear: &Linear) -> Option<HostLinear<'_>> {
        let [d_in, d_out] = self.host_dims(linear)?;
        let bias = match &linear.bias {
            Some(b) if b.val().dtype() == DType::F32 => Some(b.val().try_into_data().ok()?.try_into_vec::<f32>().ok()?),
            Some(_) => return None,
            None => None,
        };
        if bias.as_ref().is_some_and(|b| b.len() != d_out) {
            return None;
        }
        if let Some(packed) = self.int8.get(&linear.weight.id) {
            return Some(HostLinear::new(d_in, d_out, bias, Err(packed)));
        }
        let w = linear.weight.val().try_into_data().ok()?;
        Some(HostLinear::new(d_in, d_out, bias, Ok(w.as_slice::<f32>().ok()?)))
    }

    /// `epilogue(x · W + b)` for `rows` rows of `x` (row-major `[rows, d_in]`): int8 where the
    /// weight was quantized, else the f32 tiles; `None` where neither applies.
    pub(super) fn project(&self, linear: &Linear, x: &[f32], rows: usize, epilogue: Epilogue) -> Option<Vec<f32>> {
        let linear = self.host_linear(linear)?;
        (x.len() == rows * linear.d_in).then(|| linear.apply(x, rows, epilogue))
    }
}

/// [`attention::attention`] on slices, the context back as a tensor on `device`.
fn heads(q: Vec<f32>, k: &[f32], v: &[f32], mask: &[f32], d: attention::Dims, device: &Device) -> Tensor<3> {
    let context = attention::attention(q, k, v, mask, d);
    Tensor::<3>::from_data(TensorData::new(context, [d.batch, d.q_len, d.hidden]), device)
}

/// `x · W + b` with `W` in f16 ([`Precision::F16`]): `x` is cast to f16 for the product, which
/// comes back as f32 before the f32 bias is added.
fn linear_f16(linear: &Linear, x: Tensor<3>) -> Tensor<3> {
    let y = x.cast(DType::F16).matmul(linear.weight.val().unsqueeze()).cast(DType::F32);
    match &linear.bias {
        Some(bias) => y + bias.val().unsqueeze(),
        None => y,
    }
}

/// Every 2-D float parameter of `module` cast to f16 on its device ([`Precision::F16`]; a family
/// passes the modules whose `Linear`s run through [`Ops`], as for [`Ops::quantize`]). Biases
/// and LayerNorms (1-D) stay f32.
pub fn to_f16<M: Module>(module: M) -> M {
    struct Halve;
    impl ModuleMapper for Halve {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            if D == 2 { param.map(|t| t.cast(DType::F16)) } else { param }
        }
    }
    module.map(&mut Halve)
}

/// Packs every 2-D float parameter it visits ([`Ops::quantize`]).
struct Quantizer<'a> {
    packed: &'a mut HashMap<ParamId, PackedInt8>,
    stored: HashMap<String, Int8Tensor>,
    path: Vec<String>,
    error: Option<Error>,
}

impl ModuleMapper for Quantizer<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if D != 2 || self.error.is_some() {
            return param;
        }
        if let Some(t) = self.stored.remove(&self.path.join(".")) {
            // The module's weight is [k, n] (inputs, outputs); the file's, PyTorch's [n, k].
            let (device, dims) = (param.lazy_device(), param.lazy_shape().to_vec());
            if t.shape != [dims[1], dims[0]] {
                self.error = Some(Error::Weights(format!(
                    "Shape mismatch for '{}': expected {:?}, found {:?}",
                    t.file_name,
                    [dims[1], dims[0]],
                    t.shape
                )));
                return param;
            }
            self.packed.insert(param.id, PackedInt8::from_quantized(dims[0], dims[1], &t.values, &t.scales));
            return Param::initialized(param.id, Tensor::<D>::zeros([0; D], &device));
        }
        let value = param.val();
        let dims = value.dims();
        let device = value.device();
        let values = value.try_into_data().ok().and_then(|d| d.try_into_vec::<f32>().ok());
        let Some(w) = values else {
            self.error = Some(Error::Weights(format!("cannot quantize a {dims:?} weight that is not f32")));
            return param;
        };
        let (k, n) = (dims[0], dims[1]);
        self.packed.insert(param.id, PackedInt8::new(k, n, |kk, j| w[kk * n + j]));
        Param::initialized(param.id, Tensor::<D>::zeros([0; D], &device))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;
    use burn::tensor::Device;

    fn stored(name: &str, shape: [usize; 2], values: Vec<i8>, scales: Vec<f32>) -> HashMap<String, Int8Tensor> {
        let t = Int8Tensor { name: name.into(), file_name: format!("file.{name}"), shape: shape.to_vec(), values, scales };
        HashMap::from([(name.to_string(), t)])
    }

    #[test]
    fn stored_int8_weights_are_packed_as_stored_and_mismatches_refused() {
        // burn's default device: a CPU backend in native test builds (the tiled path's too).
        let device = Device::default();
        let (k, n) = (16, 8);
        // PyTorch layout [n, k]; the row maxima are not ±127, so quantizing again would differ.
        let values: Vec<i8> = (0..k * n).map(|i| (i % 61) as i8 - 30).collect();
        let scales: Vec<f32> = (0..n).map(|j| 0.01 * (j + 1) as f32).collect();
        let linear = LinearConfig::new(k, n).init(&device);
        let id = linear.weight.id;
        let mut ops = Ops::new(Kernels::Tiled, u64::MAX);
        let linear = ops.quantize(linear, stored("weight", [n, k], values.clone(), scales.clone())).unwrap();
        assert_eq!(linear.weight.val().dims(), [0, 0], "the f32 weight is freed");
        assert_eq!(ops.int8[&id].bytes(), k * n + 8 * n, "int8 values, f32 scales and i32 column sums");

        let x: Vec<f32> = (0..3 * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let got = ops.linear(&linear, Tensor::<3>::from_data(TensorData::new(x.clone(), [1, 3, k]), &device));
        let bias = linear.bias.as_ref().unwrap().val().try_into_data().unwrap().try_into_vec::<f32>().unwrap();
        let want = crate::kernels::int8::matmul(&x, 3, &PackedInt8::from_quantized(k, n, &values, &scales), Some(&bias), Epilogue::Bias);
        assert_eq!(got.try_into_data().unwrap().try_into_vec::<f32>().unwrap(), want);

        let mut ops = Ops::new(Kernels::Tiled, u64::MAX);
        let wrong = stored("weight", [k, n], values.clone(), vec![1.0; k]);
        match ops.quantize(LinearConfig::new(k, n).init(&device), wrong) {
            Err(Error::Weights(m)) => assert!(m.contains("file.weight") && m.contains("Shape mismatch"), "{m}"),
            other => panic!("a transposed int8 weight was accepted: {:?}", other.map(|_| ())),
        }
        let stray = stored("other.weight", [n, k], values, scales);
        match ops.quantize(LinearConfig::new(k, n).init(&device), stray) {
            Err(Error::Weights(m)) => assert!(m.contains("unexpected tensor 'file.other.weight'"), "{m}"),
            other => panic!("an int8 tensor the module lacks was accepted: {:?}", other.map(|_| ())),
        }
    }
}
