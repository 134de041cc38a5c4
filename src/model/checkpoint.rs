//! What every family does with `model.safetensors` before its module is filled: where the
//! word-embedding table goes (the device, or host memory — whole, or filled row by row from
//! [`Weights::Parts`]) and which int8 weights stay packed as the file stores them. A family names
//! its pieces in a [`Layout`] and calls [`fill`].

use std::collections::HashMap;
use std::ops::Range;

use burn::module::Module;
use burn::store::ModuleSnapshot;

use crate::error::Result;
use crate::load::compact::SCALE_SUFFIX;
use crate::load::{Header, Int8Tensor, Naming, Tensors, Weights};
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
