//! One error type for the whole crate. Each variant is a kind a caller can act on differently
//! (fix the input, fix the model files, pick another backend); the message names the culprit.

use thiserror::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum Error {
    /// `config.json` is not valid JSON, or is valid but describes a model we cannot run.
    #[error("config.json: {field}: {message}")]
    Config { field: String, message: String },

    /// The tokenizer's files (`tokenizer.json`, or `tokenizer_config.json` + `vocab.txt`) cannot
    /// be read, or do not fit the model.
    #[error("tokenizer: {0}")]
    Tokenizer(String),

    /// The MeCab dictionary a BERT-ja tokenizer needs is missing, unreadable, or not the one the
    /// model's tokenizer names.
    #[error("dictionary: {0}")]
    Dictionary(String),

    /// `model.safetensors` is unreadable, or a tensor is missing or has the wrong shape.
    #[error("model.safetensors: {0}")]
    Weights(String),

    /// The caller passed something we refuse to score (empty query, bad option, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// The model does not fit in the memory it would live in (wasm32's 4 GiB, or what the browser
    /// lets a page's memory grow to); the message says what needs how much.
    #[error("out of memory: {0}")]
    Memory(String),

    /// The compute backend failed (device lost, read-back failed, ...).
    #[error("backend: {0}")]
    Backend(String),
}

impl Error {
    pub(crate) fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config { field: field.into(), message: message.into() }
    }

    /// A short stable name for the kind, used by the CLI and the JS error codes.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Config { .. } => "config",
            Error::Tokenizer(_) => "tokenizer",
            Error::Dictionary(_) => "dictionary",
            Error::Weights(_) => "weights",
            Error::InvalidInput(_) => "invalid_input",
            Error::Memory(_) => "memory",
            Error::Backend(_) => "backend",
        }
    }
}
