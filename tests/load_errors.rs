//! Broken model files give typed errors that name the culprit; extra tensors a classifier does
//! not use are ignored.
#![cfg(not(target_arch = "wasm32"))] // native only; the browser tests are tests/web_*.rs

mod common;

use std::collections::BTreeMap;

use common::model_dir;
use ja_rerank::{Error, Reranker, RerankerOptions};
use safetensors::{Dtype, SafeTensors, View};

struct Files {
    config: Vec<u8>,
    tokenizer: Vec<u8>,
    weights: Vec<u8>,
}

fn tiny() -> Files {
    let d = model_dir("tiny");
    Files {
        config: std::fs::read(d.join("config.json")).unwrap(),
        tokenizer: std::fs::read(d.join("tokenizer.json")).unwrap(),
        weights: std::fs::read(d.join("model.safetensors")).unwrap(),
    }
}

fn load(f: &Files) -> Result<Reranker, Error> {
    Reranker::from_bytes(&f.config, &f.tokenizer, f.weights.clone(), RerankerOptions::default())
}

/// A tensor owned by the test, for rewriting safetensors files.
struct Owned {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &Owned {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        (&self.data[..]).into()
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// The tiny model's tensors, edited by `edit`, serialized again.
fn rewrite(weights: &[u8], edit: impl FnOnce(&mut BTreeMap<String, Owned>)) -> Vec<u8> {
    let st = SafeTensors::deserialize(weights).unwrap();
    let mut tensors: BTreeMap<String, Owned> = st
        .tensors()
        .into_iter()
        .map(|(name, t)| (name, Owned { dtype: t.dtype(), shape: t.shape().to_vec(), data: t.data().to_vec() }))
        .collect();
    edit(&mut tensors);
    safetensors::serialize(tensors.iter().map(|(k, v)| (k.clone(), v)), None).unwrap()
}

fn f32_tensor(shape: Vec<usize>) -> Owned {
    let n: usize = shape.iter().product();
    Owned { dtype: Dtype::F32, shape, data: vec![0u8; n * 4] }
}

fn weights_error(f: &Files) -> String {
    match load(f) {
        Err(Error::Weights(message)) => message,
        Err(other) => panic!("expected a weights error, got {other}"),
        Ok(_) => panic!("expected a weights error, got a model"),
    }
}

#[test]
fn the_committed_fixture_loads() {
    load(&tiny()).unwrap();
}

#[test]
fn truncated_file() {
    let mut f = tiny();
    f.weights.truncate(f.weights.len() / 2);
    let message = weights_error(&f);
    assert!(message.contains("cannot read"), "{message}");
    f.weights.truncate(5);
    weights_error(&f);
    f.weights.clear();
    weights_error(&f);
}

#[test]
fn missing_tensor_is_named() {
    let mut f = tiny();
    let name = "roberta.encoder.layer.1.attention.self.key.weight";
    f.weights = rewrite(&f.weights, |t| {
        t.remove(name).unwrap();
    });
    let message = weights_error(&f);
    assert!(message.contains("missing") && message.contains(name), "{message}");
}

#[test]
fn wrong_shape_is_named() {
    let mut f = tiny();
    let name = "roberta.encoder.layer.0.intermediate.dense.weight";
    f.weights = rewrite(&f.weights, |t| {
        t.insert(name.into(), f32_tensor(vec![64, 31]));
    });
    let message = weights_error(&f);
    assert!(message.contains("intermediate.dense.weight"), "{message}");
}

#[test]
fn a_layer_beyond_the_config_is_unexpected_but_an_lm_head_is_ignored() {
    let mut f = tiny();
    let extra = "roberta.encoder.layer.2.output.dense.bias";
    f.weights = rewrite(&tiny().weights, |t| {
        t.insert(extra.into(), f32_tensor(vec![32]));
    });
    let message = weights_error(&f);
    assert!(message.contains("unexpected") && message.contains(extra), "{message}");

    f.weights = rewrite(&tiny().weights, |t| {
        t.insert("lm_head.dense.weight".into(), f32_tensor(vec![32, 32]));
        t.insert("roberta.pooler.dense.weight".into(), f32_tensor(vec![32, 32]));
        t.insert(
            "roberta.embeddings.position_ids".into(),
            Owned { dtype: Dtype::I64, shape: vec![1, 514], data: vec![0; 514 * 8] },
        );
    });
    load(&f).expect("unused tensors outside the classifier are ignored");
}

#[test]
fn f16_weights_are_widened() {
    let mut f = tiny();
    f.weights = rewrite(&f.weights, |t| {
        for v in t.values_mut() {
            let halves: Vec<u8> = v
                .data
                .chunks(4)
                .flat_map(|c| half_bits(f32::from_le_bytes(c.try_into().unwrap())).to_le_bytes())
                .collect();
            v.dtype = Dtype::F16;
            v.data = halves;
        }
    });
    let want = load(&tiny()).unwrap().score(&[("猫", "犬")]).unwrap()[0].score;
    let got = load(&f).unwrap().score(&[("猫", "犬")]).unwrap()[0].score;
    // f16 rounding of every weight moves the score a little, not a lot.
    assert!((want - got).abs() < 0.05, "{want} vs {got}");
}

/// f32 → IEEE half (round to nearest even), enough for weights of magnitude < 65504.
fn half_bits(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32 - 127 + 15;
    let mant = bits & 0x7f_ffff;
    if exp <= 0 {
        return sign; // flush tiny values to zero
    }
    let mut h = ((exp as u32) << 10) | (mant >> 13);
    let rest = mant & 0x1fff;
    if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) {
        h += 1;
    }
    sign | h as u16
}

#[test]
fn bad_config_names_the_field() {
    let mut f = tiny();
    let mut config: serde_json::Value = serde_json::from_slice(&f.config).unwrap();
    config["num_attention_heads"] = 5.into();
    f.config = config.to_string().into_bytes();
    match load(&f) {
        Err(Error::Config { field, .. }) => assert_eq!(field, "hidden_size"),
        other => panic!("expected a config error, got {:?}", other.err()),
    }
    f.config = b"{ not json".to_vec();
    assert!(matches!(load(&f), Err(Error::Config { .. })));

    // A config with more layers than the file has: the missing layer's tensors are named.
    let mut f = tiny();
    let mut config: serde_json::Value = serde_json::from_slice(&f.config).unwrap();
    config["num_hidden_layers"] = 3.into();
    f.config = config.to_string().into_bytes();
    let message = weights_error(&f);
    assert!(message.contains("roberta.encoder.layer.2."), "{message}");
}

#[test]
fn tokenizer_errors() {
    let mut f = tiny();
    f.tokenizer = b"{}".to_vec();
    assert!(matches!(load(&f), Err(Error::Tokenizer(_))));

    // A tokenizer whose ids exceed the model's embedding table (config and file agree on 100).
    let mut f = tiny();
    let mut config: serde_json::Value = serde_json::from_slice(&f.config).unwrap();
    config["vocab_size"] = 100.into();
    f.config = config.to_string().into_bytes();
    f.weights = rewrite(&f.weights, |t| {
        t.insert("roberta.embeddings.word_embeddings.weight".into(), f32_tensor(vec![100, 32]));
    });
    match load(&f) {
        Err(Error::Tokenizer(message)) => assert!(message.contains("vocab_size"), "{message}"),
        other => panic!("expected a tokenizer error, got {:?}", other.err()),
    }
    // A config.json whose vocab_size the file does not hold: its header says so first.
    let mut f = tiny();
    f.config = config.to_string().into_bytes();
    match load(&f) {
        Err(Error::Weights(message)) => assert!(message.contains("word_embeddings") && message.contains("config.json"), "{message}"),
        other => panic!("expected a weights error, got {:?}", other.err()),
    }
}
