//! How many tokens of a pair the model reads: the reference stack's rule. sentence-transformers'
//! `CrossEncoder` truncates to the tokenizer's `model_max_length` (`tokenizer_config.json`) capped
//! by the model's positions, unless the caller passes `max_length`, which replaces
//! `model_max_length` (`CrossEncoder(max_length=…)` sets it on the tokenizer).

use crate::error::{Error, Result};

/// Which of the three limits decided [`MaxLength::tokens`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxLengthSource {
    /// The caller's `max_length` option.
    Option,
    /// `model_max_length` in the model's `tokenizer_config.json`.
    Tokenizer,
    /// The model's positions (`config.json`).
    Positions,
}

impl MaxLengthSource {
    /// As `info.maxLengthSetBy` and the CLI print it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Option => "maxLength",
            Self::Tokenizer => "tokenizer",
            Self::Positions => "positions",
        }
    }
}

/// Tokens per pair, special tokens included, and what set the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxLength {
    pub tokens: usize,
    pub set_by: MaxLengthSource,
}

impl MaxLength {
    /// The caller's `option` where given (no more than the model's `positions`); else the
    /// tokenizer's `model_max_length` where it is below the positions; else the positions.
    pub fn resolve(option: Option<usize>, tokenizer: Option<usize>, positions: usize) -> Result<Self> {
        let (tokens, set_by) = match (option, tokenizer) {
            (Some(n), _) if n > positions => {
                return Err(Error::InvalidInput(format!(
                    "max_length {n} exceeds the model's limit of {positions} tokens"
                )));
            }
            (Some(n), _) => (n, MaxLengthSource::Option),
            (None, Some(t)) if t < positions => (t, MaxLengthSource::Tokenizer),
            (None, _) => (positions, MaxLengthSource::Positions),
        };
        Ok(Self { tokens, set_by })
    }
}

#[cfg(test)]
mod tests {
    use super::MaxLengthSource::*;
    use super::*;

    #[test]
    fn the_option_then_the_tokenizer_then_the_positions() {
        let resolve = |o, t| MaxLength::resolve(o, t, 1024).map(|m| (m.tokens, m.set_by));
        assert_eq!(resolve(None, None).unwrap(), (1024, Positions));
        assert_eq!(resolve(None, Some(512)).unwrap(), (512, Tokenizer));
        assert_eq!(resolve(None, Some(8192)).unwrap(), (1024, Positions));
        assert_eq!(resolve(None, Some(1024)).unwrap(), (1024, Positions));
        // As CrossEncoder(max_length=…): the caller's value replaces the tokenizer's.
        assert_eq!(resolve(Some(100), Some(512)).unwrap(), (100, Option));
        assert_eq!(resolve(Some(800), Some(512)).unwrap(), (800, Option));
        assert!(matches!(resolve(Some(2000), None), Err(Error::InvalidInput(_))));
    }
}
