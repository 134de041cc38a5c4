mod connector;
mod lexicon;
mod tokenizer;

#[cfg(feature = "train")]
mod trainer;
