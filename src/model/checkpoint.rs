//! What every family does with `model.safetensors` before its module is filled: where the
//! word-embedding table goes (the device, or host memory — whole, or filled row by row from
//! [`Weights::Parts`]) and which int8 weights stay packed as the file stores them. A family names
//! its pieces in a [`Layout`] and calls [`fill`].

use std::collections::HashMap;
use std::ops::Range;

use burn::module::{Module, ModuleVisitor, Param};
use burn::store::ModuleSnapshot;
use burn::tensor::{Device, Tensor};
use safetensors::Dtype;

use crate::error::{Error, Result};
use crate::load::compact::SCALE_SUFFIX;
use crate::load::{Header, Int8Tensor, Naming, Tensors, Weights, burn_shape};
use crate::model::{BuildOptions, HostEmbeddings, Precision};

/// Tensors a family does not read (a buffer, a pooler) are fetched too when they sit between two
/// it reads and are this small: one request costs more than that many bytes.
const MAX_GAP_BYTES: u64 = 1 << 20;

/// The byte ranges to read for a model whose word-embedding rows arrive on demand: every tensor
/// the family reads (by its `naming`) but the word-embedding table.
pub fn eager_ranges(header: &Header, naming: &Naming, word_embeddings: &str) -> Vec<Range<u64>> {
    header.ranges(|name| naming.reads(name) && name != word_embeddings, MAX_GAP_BYTES)
}

/// Where a family's checkpoint keeps the pieces loading treats apart.
pub struct Layout<'a> {
    pub naming: &'a Naming,
    /// The word-embedding table's tensor name and `[vocab, hidden]` shape.
    pub word_embeddings: &'a str,
    pub shape: [usize; 2],
    /// The module path whose `Linear` weights run int8 under [`Precision::Int8`]: an int8 file's
    /// weights there are kept packed, without an f32 copy.
    pub int8_under: &'a str,
}

/// Fills `module` from `weights` as `options` say. From [`Weights::Parts`] the word embeddings
/// are a host table filled on demand, whatever `options.host_word_embeddings` says (an int8
/// table's rows are dequantized as they arrive, with its per-row scales). Returns that host
/// table, if any, and the int8 weights kept packed, by their path under `layout.int8_under`
/// (their module parameters, like the host table's, stay unallocated).
pub fn fill<M: Module + ModuleSnapshot>(
    module: &mut M,
    weights: Weights,
    layout: &Layout,
    options: &BuildOptions,
) -> Result<(Option<HostEmbeddings>, HashMap<String, Int8Tensor>)> {
    let (naming, name, shape) = (layout.naming, layout.word_embeddings, layout.shape);
    let keep_int8 = |path: &str| options.precision == Precision::Int8 && path.starts_with(layout.int8_under);
    let (mut tensors, host_embeddings) = match weights {
        Weights::Parts { header, parts } => {
            let table = header.row_table(name, shape)?;
            let mut tensors = Tensors::from_parts(&header, parts, naming, &keep_int8)?;
            let scales =
                if table.is_int8() { Some(tensors.take_f32(&format!("{name}{SCALE_SUFFIX}"), &[shape[0]])?) } else { None };
            (tensors, Some(HostEmbeddings::on_demand(table, scales)?))
        }
        Weights::File(bytes) if options.host_word_embeddings => {
            let mut tensors = Tensors::read(bytes, naming, &keep_int8)?;
            let table = tensors.take_f32(name, &shape)?;
            (tensors, Some(HostEmbeddings::whole(table, shape[1])))
        }
        Weights::File(bytes) => (Tensors::read(bytes, naming, &keep_int8)?, None),
    };
    let stored: HashMap<String, Int8Tensor> = tensors
        .take_int8()
        .into_iter()
        .map(|t| (t.name.strip_prefix(layout.int8_under).unwrap_or(&t.name).to_string(), t))
        .collect();
    let mut left_out: Vec<&str> = stored.values().map(|t| t.name.as_str()).collect();
    if host_embeddings.is_some() {
        left_out.push(name);
    }
    tensors.apply_to(module, naming, &left_out)?;
    Ok((host_embeddings, stored))
}

/// Checks every tensor a module of the config's shape reads against the file's header — its
/// name, a dtype loading reads, its shape, its bytes inside the file — before anything the config
/// sizes is allocated, so a `config.json` that claims more than the file holds costs nothing.
/// `template(n, device)` builds the family's module with `n` layers: it is called with
/// `min(layers, 2)` (parameters are lazy: building it allocates no tensor, so any device does);
/// its layer 1, named `{layer_prefix}1.` in the file, stands for layers `1..layers`, which are
/// checked one at a time, stopping at the first the file lacks.
pub fn check_header<M: Module>(
    template: impl FnOnce(usize, &Device) -> M,
    naming: &Naming,
    layer_prefix: &str,
    layers: usize,
    header: &Header,
) -> Result<()> {
    let mut expected = Expected { path: Vec::new(), tensors: Vec::new() };
    template(layers.min(2), &Device::default()).visit(&mut expected);
    let repeated = format!("{layer_prefix}1.");
    for (path, shape) in &expected.tensors {
        let name = naming.to_file(path);
        // Module shapes are burn's; the file's differ by the Linear transpose, its own inverse.
        let shape = burn_shape(&name, shape);
        match name.strip_prefix(&repeated) {
            Some(rest) => {
                for i in 1..layers {
                    check_tensor(header, &format!("{layer_prefix}{i}.{rest}"), &shape)?;
                }
            }
            None => check_tensor(header, &name, &shape)?,
        }
    }
    Ok(())
}

fn check_tensor(header: &Header, name: &str, shape: &[usize]) -> Result<()> {
    let t = header.tensor(name).ok_or_else(|| {
        Error::Weights(format!("missing tensor '{name}': config.json describes a model the file does not hold"))
    })?;
    if t.shape != shape {
        return Err(Error::Weights(format!(
            "Shape mismatch for '{name}': config.json implies {shape:?}, the file holds {:?}",
            t.shape
        )));
    }
    if !matches!(t.dtype, Dtype::F32 | Dtype::F16 | Dtype::BF16 | Dtype::I8) {
        return Err(Error::Weights(format!("tensor '{name}' has unsupported dtype {:?}", t.dtype)));
    }
    // Header::parse has laid every tensor end to end inside the file's length.
    debug_assert!(t.bytes.end <= header.file_len());
    Ok(())
}

/// The float parameters of a module, by path, with their shapes, read without initializing them.
struct Expected {
    path: Vec<String>,
    tensors: Vec<(String, Vec<usize>)>,
}

impl ModuleVisitor for Expected {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.tensors.push((self.path.join("."), param.lazy_shape().to_vec()));
    }
}
