//! Weights read in parts, the way the browser reads them by HTTP Range (the header, then every
//! tensor but the word embeddings), with word-embedding rows added as calls need them: the scores
//! are bit for bit those of the whole file, rows come once, and a row not yet added is a typed
//! error that leaves the reranker usable.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

use common::{Case, MODELS, fixtures, model_dir, reference};
use ja_rerank::load::Header;
use ja_rerank::{Error, ModelConfig, Reranker, RerankerOptions, WeightBytes, Weights};

/// Bytes `range` of a file, as a ranged HTTP response would bring them.
fn read_range(path: &Path, range: Range<u64>) -> WeightBytes {
    let mut file = std::fs::File::open(path).unwrap();
    file.seek(SeekFrom::Start(range.start)).unwrap();
    let mut bytes = vec![0u8; (range.end - range.start) as usize];
    file.read_exact(&mut bytes).unwrap();
    WeightBytes::from(bytes)
}

/// A reranker from the header and the eager ranges only; returns it and the bytes it read.
fn lazy(dir: &Path, options: RerankerOptions) -> (Reranker, u64) {
    let weights = dir.join("model.safetensors");
    let size = Header::size_from_prefix(read_range(&weights, 0..8).as_bytes()).unwrap();
    let header = Header::parse(read_range(&weights, 0..size).as_bytes()).unwrap();
    let config = ModelConfig::from_json(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    let ranges = config.eager_ranges(&header);
    let read: u64 = size + ranges.iter().map(|r| r.end - r.start).sum::<u64>();
    let parts = ranges.into_iter().map(|r| (r.start, read_range(&weights, r))).collect();
    let tokenizer = std::fs::read(dir.join("tokenizer.json")).unwrap();
    (Reranker::from_config(config, tokenizer.as_slice().into(), Weights::Parts { header, parts }, options).unwrap(), read)
}

/// Adds the rows `pairs` lack; returns (rows added, requests, bytes read). Merged requests also
/// bring the rows in their gaps, so at least the missing ones are added.
fn fill(reranker: &Reranker, dir: &Path, pairs: &[(&str, &str)]) -> (usize, usize, u64) {
    let plan = reranker.plan(pairs).unwrap();
    let missing = reranker.missing_rows(&plan);
    let requests = reranker.row_requests(&missing);
    let (mut added, mut bytes) = (0, 0);
    for r in &requests {
        added += reranker.insert_rows(r.first, read_range(&dir.join("model.safetensors"), r.bytes.clone()).as_bytes()).unwrap();
        bytes += r.bytes.end - r.bytes.start;
    }
    assert!(reranker.missing_rows(&plan).is_empty());
    assert!(added >= missing.len(), "{added} rows added for {} missing", missing.len());
    let span: u64 = requests.iter().map(|r| r.count as u64).sum();
    assert!(added as u64 <= span, "no row counted twice");
    (added, requests.len(), bytes)
}

fn pairs(cases: &[Case]) -> Vec<(&str, &str)> {
    cases.iter().map(|c| (c.query.as_str(), c.passage.as_str())).collect()
}

fn logits(r: &Reranker, pairs: &[(&str, &str)]) -> Vec<u32> {
    r.score(pairs).unwrap().iter().map(|s| s.logit.to_bits()).collect()
}

#[test]
fn rows_on_demand_give_the_whole_files_scores_bit_for_bit() {
    let all = reference("reference.json").cases;
    for model in MODELS {
        for max_length in [512, 64] {
            let cases: Vec<Case> = all.iter().filter(|c| c.max_length == max_length).cloned().collect();
            let options = || RerankerOptions { max_length: Some(max_length), batch_size: 7, ..Default::default() };
            let whole = Reranker::from_dir(model_dir(model), options()).unwrap();
            let host = RerankerOptions { host_word_embeddings: true, ..options() };
            let whole_host = Reranker::from_dir(model_dir(model), host).unwrap();
            let (on_demand, _) = lazy(&model_dir(model), options());
            fill(&on_demand, &model_dir(model), &pairs(&cases));
            let want = logits(&whole, &pairs(&cases));
            assert_eq!(logits(&whole_host, &pairs(&cases)), want, "{model} {max_length}: host lookup");
            assert_eq!(logits(&on_demand, &pairs(&cases)), want, "{model} {max_length}: rows on demand");
        }
    }
    // The full-size stand-ins: "full" (its pieces at ids 0–8,001) and "spread" (the same pieces
    // spread over all 250,002 ids, as a real vocabulary spreads them).
    for name in ["full", "spread"] {
        let dir = fixtures().join(name);
        if !dir.join("model.safetensors").exists() {
            assert!(std::env::var_os("JA_RERANK_REQUIRE_FULL").is_none(), "fixtures/{name} is missing");
            continue;
        }
        let cases = reference(&format!("{name}-reference.json")).cases;
        let whole = Reranker::from_dir(&dir, RerankerOptions::default()).unwrap();
        let (on_demand, read) = lazy(&dir, RerankerOptions::default());
        let (rows, requests, bytes) = fill(&on_demand, &dir, &pairs(&cases));
        assert_eq!(logits(&on_demand, &pairs(&cases)), logits(&whole, &pairs(&cases)), "{name}");
        for (case, s) in cases.iter().zip(on_demand.score(&pairs(&cases)).unwrap()) {
            assert!((s.score - case.score.unwrap()).abs() <= common::TOLERANCE, "{name} {}", case.name);
        }
        let file = std::fs::metadata(dir.join("model.safetensors")).unwrap().len();
        println!(
            "{name} stand-in: {read} of {file} bytes before any row; {} pairs: {rows} rows in {requests} requests, {bytes} bytes",
            cases.len()
        );
        assert!(read < file / 4, "the eager parts ({read} bytes) should leave the 366 MiB table out");
    }
}

#[test]
fn rows_come_once_and_only_the_new_ones_are_asked_for() {
    let dir = model_dir("tiny");
    let (r, _) = lazy(&dir, RerankerOptions::default());
    assert_eq!(r.rows_held(), Some(0));
    let first = [("ファイルの一覧", "ls はディレクトリの内容を表示する")];
    let (added, _, _) = fill(&r, &dir, &first);
    assert_eq!(r.rows_held(), Some(added));
    assert!(r.missing_rows(&r.plan(&first).unwrap()).is_empty(), "the same text needs nothing new");
    let more = [("ファイルの一覧", "猫の飼い方")];
    let plan = r.plan(&more).unwrap();
    let missing = r.missing_rows(&plan);
    let ids: std::collections::BTreeSet<u32> = plan.input_ids(0).iter().copied().collect();
    let first_ids: std::collections::BTreeSet<u32> = r.plan(&first).unwrap().input_ids(0).iter().copied().collect();
    let new: std::collections::BTreeSet<u32> = ids.difference(&first_ids).copied().collect();
    assert!(!missing.is_empty() && missing.iter().all(|id| new.contains(id)), "only ids this text adds: {missing:?}");
    let (added_now, _, _) = fill(&r, &dir, &more);
    assert_eq!(r.rows_held(), Some(added + added_now));
}

#[test]
fn a_row_not_yet_added_is_a_typed_error_and_the_reranker_stays_usable() {
    let dir = model_dir("tiny");
    let (r, _) = lazy(&dir, RerankerOptions::default());
    let pair = [("ファイルの一覧", "ls はディレクトリの内容を表示する")];
    assert!(matches!(r.score(&pair), Err(Error::InvalidInput(_))));
    // A short or misplaced read is refused, whole rows only.
    let plan = r.plan(&pair).unwrap();
    let req = r.row_requests(&r.missing_rows(&plan))[0].clone();
    let bytes = read_range(&dir.join("model.safetensors"), req.bytes.clone());
    assert!(matches!(r.insert_rows(req.first, &bytes.as_bytes()[..bytes.len() - 1]), Err(Error::Weights(_))));
    assert!(matches!(r.insert_rows(8001, bytes.as_bytes()), Err(Error::Weights(_))), "past the table");
    fill(&r, &dir, &pair);
    let whole = Reranker::from_dir(&dir, RerankerOptions::default()).unwrap();
    assert_eq!(logits(&r, &pair), logits(&whole, &pair));
    assert_eq!(whole.rows_held(), None, "a whole table is not counted in rows");
    assert!(whole.missing_rows(&plan).is_empty());
}

/// A batch of unequal pairs is padded, and the padding's word-embedding row is looked up like any
/// token's (then masked): the plan asks for it, even when no merged read happens to bring it
/// (here every row is read alone). XLM-R's pad id 1 sits between `<s>` and `</s>`, so a merged
/// read used to bring it by luck; ModernBERT's 3 does not.
#[test]
fn a_padded_batch_asks_for_the_pad_row() {
    for (name, pad) in [("tiny", 1u32), ("mb-tiny", 3)] {
        let dir = model_dir(name);
        let (r, _) = lazy(&dir, RerankerOptions::default());
        let one = [("ファイルの一覧", "ls はディレクトリの内容を表示する")];
        let plan = r.plan(&one).unwrap();
        assert!(!r.missing_rows(&plan).contains(&pad), "{name}: one pair pads nothing");
        let two = [one[0], ("ファイルの一覧", "猫")];
        let plan = r.plan(&two).unwrap();
        assert_eq!(plan.num_batches(), 1);
        let missing = r.missing_rows(&plan);
        assert!(missing.contains(&pad), "{name}: the padded batch needs row {pad}: {missing:?}");
        for &id in &missing {
            let req = &r.row_requests(&[id])[0];
            r.insert_rows(req.first, read_range(&dir.join("model.safetensors"), req.bytes.clone()).as_bytes()).unwrap();
        }
        let whole = Reranker::from_dir(&dir, RerankerOptions::default()).unwrap();
        assert_eq!(logits(&r, &two), logits(&whole, &two), "{name}");
    }
}
