//! Chunked scoring (issue 34, `Overflow::Chunks`), every family: a passage far longer than the
//! model reads is scored as windows of whole sentences, each scored exactly as that substring
//! alone would be, and the pair gets its best window's score and offsets; pairs that fit score
//! exactly as with the default `Truncate`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{fixtures, mecab_dictionary, model_dir, reference};
use ja_rerank::{Overflow, Reranker, RerankerOptions};

/// One row per batch: a batch of other rows pads a row differently, which moves its last bits,
/// and these tests compare scores exactly.
fn reranker(model: &str, max_length: Option<usize>, overflow: Overflow) -> Reranker {
    let mecab_dictionary = Some(mecab_dictionary());
    let options = RerankerOptions { max_length, overflow, batch_size: 1, mecab_dictionary, ..Default::default() };
    Reranker::from_dir(model_dir(model), options).unwrap()
}

/// A long Japanese man-page text (the long-pair fixture's passage), cut to `chars` characters.
fn long_passage(chars: usize) -> String {
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("long-reference.json")).unwrap()).unwrap();
    r["passage"].as_str().unwrap().chars().take(chars).collect()
}

#[test]
fn a_long_passage_scores_as_its_best_window_and_each_window_as_itself() {
    // (model, max_length): XLM-R and BERT-ja at their 512 positions, ModernBERT held to 256.
    for (model, max_length) in [("tiny", None), ("bert-tiny", None), ("mb-tiny", Some(256))] {
        let chunked = reranker(model, max_length, Overflow::Chunks { max_chunks: 64 });
        let whole = reranker(model, max_length, Overflow::Truncate);
        let limit = chunked.max_length();
        let passage = long_passage(6000);
        let query = "ファイルの権限を変更する";
        let plan = chunked.plan(&[(query, passage.as_str())]).unwrap();
        let rows = plan.num_rows();
        let tokens: usize = (0..rows).map(|i| plan.input_ids(i).len()).sum();
        println!("{model}: {} chars in {rows} windows of ≤ {limit} tokens ({tokens} in all)", passage.chars().count());
        assert!(rows >= 4, "{model}: {rows} windows");
        let mut scores = Vec::new();
        let mut covered = 0;
        for i in 0..rows {
            let w = plan.window(i).unwrap();
            assert_eq!((w.index, w.count), (i, rows), "{model}");
            assert!(w.start <= covered && w.end > covered, "{model}: window {i} {w:?} leaves a gap after {covered}");
            assert!(plan.input_ids(i).len() < limit, "{model}: window {i} was cut");
            covered = w.end;
            // The window's score is the one its text gets as a passage on its own.
            let alone = whole.score(&[(query, &passage[w.start..w.end])]).unwrap()[0];
            assert_eq!(alone.n_tokens, plan.input_ids(i).len(), "{model} window {i}");
            scores.push((alone.logit, w));
        }
        assert_eq!(covered, passage.len(), "{model}: the windows reach the end");
        let got = chunked.score(&[(query, passage.as_str())]).unwrap()[0];
        let best = scores.iter().fold(scores[0], |b, s| if s.0 > b.0 { *s } else { b });
        assert_eq!((got.logit, got.window), (best.0, Some(best.1)), "{model}");
        // The default cuts the same pair once, at the limit.
        let cut = whole.score(&[(query, passage.as_str())]).unwrap()[0];
        assert_eq!((cut.n_tokens, cut.window), (limit, None), "{model}");
        // A cap on windows: the first two only.
        let capped = reranker(model, max_length, Overflow::Chunks { max_chunks: 2 });
        let two = capped.plan(&[(query, passage.as_str())]).unwrap();
        assert_eq!(two.num_rows(), 2, "{model}");
        assert_eq!((two.window(0), two.window(1)), (plan.window(0).map(|w| ja_rerank::Window { count: 2, ..w }), plan.window(1).map(|w| ja_rerank::Window { count: 2, ..w })));
    }
}

#[test]
fn pairs_that_fit_score_exactly_as_by_default() {
    let cases = reference("reference.json").cases;
    let pairs: Vec<(&str, &str)> =
        cases.iter().filter(|c| c.max_length == 512).map(|c| (c.query.as_str(), c.passage.as_str())).collect();
    let default = reranker("tiny", None, Overflow::Truncate).score(&pairs).unwrap();
    let chunked = reranker("tiny", None, Overflow::Chunks { max_chunks: 16 }).score(&pairs).unwrap();
    let (mut fit, mut split) = (0, 0);
    for (i, (d, c)) in default.iter().zip(&chunked).enumerate() {
        if d.n_tokens < 512 {
            assert_eq!(d, c, "pair {i}");
            fit += 1;
        } else if c.window.is_some() {
            split += 1;
        } else {
            // A query that leaves no room for a window: cut as by default.
            assert!(pairs[i].0.chars().count() > 1000 && d == c, "pair {i} over the limit was not split");
        }
    }
    assert!(fit >= 20 && split >= 1, "{fit} pairs fit, {split} split, of {}", pairs.len());
}
