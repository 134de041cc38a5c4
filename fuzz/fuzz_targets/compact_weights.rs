//! A whole `model.safetensors`, f32 or compact (f16 / int8 with per-row scales, the metadata that
//! declares them), as each family's loading reads it before a module is filled.
#![no_main]
use ja_rerank::load::{Tensors, compact};
use ja_rerank::model::{bert, modernbert, xlm_roberta};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = compact::declared(data);
    for naming in [&xlm_roberta::NAMING, &modernbert::NAMING, &bert::NAMING] {
        for keep_int8 in [false, true] {
            let keep = move |_: &str| keep_int8;
            if let Ok(mut tensors) = Tensors::read(data.into(), naming, &keep) {
                let _ = tensors.take_int8();
            }
        }
    }
});
