//! The tokenizer's files for a model: `tokenizer.json`, or — for a model whose
//! `tokenizer_config.json` names `BertJapaneseTokenizer` (base-v1, large-v1 ship no
//! `tokenizer.json`) — that file, `vocab.txt` and the MeCab dictionary, which is not in the model
//! repository: it comes from `LoadOptions.dictionary` (the package's copy by default), fetched
//! and cached like the weights. One parsed dictionary serves every instance that names its URL.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Weak};

use super::error::{Code, WebError, WebResult};
use super::hub::Hub;
use crate::WeightBytes;
use crate::model::ModelConfig;
use crate::tokenize::{
    BertJapanese, DICTIONARY_FILE, MecabDictionary, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, TokenizerFiles, VOCAB_FILE,
};

/// The files, fetched.
pub enum Fetched {
    /// `tokenizer.json`, and `tokenizer_config.json` where the repository has one.
    Json(WeightBytes, Option<WeightBytes>),
    BertJapanese {
        config: WeightBytes,
        vocab: WeightBytes,
        dictionary: Arc<MecabDictionary>,
    },
}

impl Fetched {
    pub fn files(&self) -> TokenizerFiles<'_> {
        match self {
            Fetched::Json(json, config) => {
                TokenizerFiles::Json { json: json.as_bytes(), config: config.as_ref().map(WeightBytes::as_bytes) }
            }
            Fetched::BertJapanese { config, vocab, dictionary } => TokenizerFiles::BertJapanese {
                config: config.as_bytes(),
                vocab: vocab.as_bytes(),
                dictionary: dictionary.clone(),
            },
        }
    }
}

/// What a dictionary fetch reports in `info`.
pub struct DictionaryReport {
    pub url: String,
    /// Bytes of the file read (network or Cache Storage); 0 when an instance already held it.
    pub bytes: f64,
}

thread_local! {
    /// Parsed dictionaries by URL, held while some instance holds them.
    static DICTIONARIES: RefCell<HashMap<String, Weak<MecabDictionary>>> = RefCell::new(HashMap::new());
}

pub async fn fetch_tokenizer(
    hub: &Hub,
    config: &ModelConfig,
    dictionary_url: Option<&str>,
) -> WebResult<(Fetched, Option<DictionaryReport>)> {
    // Read for every family: its model_max_length is the reference's truncation. A repository
    // without one (4xx) has its tokenizer.json and the model's positions.
    let tokenizer_config = match hub.fetch(TOKENIZER_CONFIG_FILE).await {
        Ok(bytes) => Some(bytes),
        Err(e) if e.code == Code::ModelLoad => None,
        Err(e) => return Err(e),
    };
    let tokenizer_config = match tokenizer_config {
        Some(bytes) if config.may_name_its_tokenizer() && BertJapanese::is_named_in(bytes.as_bytes()) => bytes,
        other => return Ok((Fetched::Json(hub.fetch(TOKENIZER_FILE).await?, other), None)),
    };
    let vocab = hub.fetch(VOCAB_FILE).await?;
    let url = dictionary_url.ok_or_else(|| {
        WebError::new(Code::Dictionary, "this model splits words with MeCab: pass the dictionary's URL (LoadOptions.dictionary)")
    })?;
    let (dictionary, report) = dictionary(hub, url).await?;
    Ok((Fetched::BertJapanese { config: tokenizer_config, vocab, dictionary }, Some(report)))
}

async fn dictionary(hub: &Hub, url: &str) -> WebResult<(Arc<MecabDictionary>, DictionaryReport)> {
    let held = DICTIONARIES.with(|d| d.borrow().get(url).and_then(Weak::upgrade));
    if let Some(dictionary) = held {
        return Ok((dictionary, DictionaryReport { url: url.into(), bytes: 0.0 }));
    }
    let name = url.rsplit('/').next().unwrap_or(url);
    let bytes = hub.fetch_url(name, url).await.map_err(|e| {
        // A network failure stays NETWORK (try again); a missing file is the dictionary's fault.
        let code = if e.code == Code::Network { Code::Network } else { Code::Dictionary };
        WebError::new(code, format!("the MeCab dictionary: {} (the package ships {DICTIONARY_FILE})", e.message))
    })?;
    let size = bytes.len() as f64;
    let dictionary = Arc::new(MecabDictionary::from_bytes(bytes.as_bytes())?);
    DICTIONARIES.with(|d| d.borrow_mut().insert(url.to_string(), Arc::downgrade(&dictionary)));
    Ok((dictionary, DictionaryReport { url: url.into(), bytes: size }))
}
