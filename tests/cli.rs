//! The `ja-rerank` binary end to end on a committed fixture.
#![cfg(not(target_arch = "wasm32"))] // native only; the browser tests are tests/web_*.rs

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{TOLERANCE, model_dir, reference};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ja-rerank"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn tiny() -> String {
    model_dir("tiny").display().to_string()
}

/// A failure: non-zero exit and exactly one line on stderr, no backtrace.
fn assert_one_line_failure(out: &Output, needle: &str) {
    assert!(!out.status.success(), "expected failure");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "stderr: {stderr}");
    assert!(stderr.contains(needle), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

#[test]
fn score_keeps_input_order_and_matches_the_reference() {
    // Both families: XLM-R (small-v1's) and ModernBERT (the v2 rerankers'), chosen by config.json.
    for (model, file, max_length) in [("tiny", "reference.json", 512), ("mb-tiny", "modernbert-reference.json", 1024)] {
        let cases: Vec<_> = reference(file).cases.into_iter().filter(|c| c.max_length == max_length).collect();
        let stdin: String =
            cases.iter().map(|c| serde_json::json!({"query": c.query, "passage": c.passage}).to_string() + "\n").collect();
        let dir = model_dir(model).display().to_string();
        let max = max_length.to_string();
        let out = run(&["score", "--model", &dir, "--with-ids", "--batch-size", "5", "--max-length", &max], &stdin);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let lines: Vec<serde_json::Value> =
            String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), cases.len());
        for (line, case) in lines.iter().zip(&cases) {
            let score = line["score"].as_f64().unwrap() as f32;
            assert!((score - case.scores[model]).abs() <= TOLERANCE, "{model} {}: {score}", case.name);
            assert_eq!(line["n_tokens"].as_u64().unwrap() as usize, case.input_ids.len());
            let ids: Vec<u32> = serde_json::from_value(line["input_ids"].clone()).unwrap();
            assert_eq!(ids, case.input_ids, "{model} {}", case.name);
            assert!(line["logit"].is_number());
        }
    }
    let stdin = "{\"query\": \"猫\", \"passage\": \"猫の飼い方\"}\n";
    // Without --with-ids there are no ids.
    let out = run(&["score", "--model", &tiny()], &stdin);
    let first: serde_json::Value =
        serde_json::from_str(String::from_utf8(out.stdout).unwrap().lines().next().unwrap()).unwrap();
    assert!(first.get("input_ids").is_none());
}

#[test]
fn rerank_prints_a_sorted_array() {
    let docs = "猫の飼い方\nファイルを削除する\n\nディレクトリの内容を一覧表示する\n";
    let out = run(&["rerank", "--model", &tiny(), "--query", "ファイルを一覧表示する", "--top-k", "3"], docs);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ranked: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ranked.len(), 3);
    let lines: Vec<&str> = docs.lines().collect();
    for r in &ranked {
        let i = r["index"].as_u64().unwrap() as usize;
        assert_eq!(r["document"].as_str().unwrap(), lines[i]);
    }
    let scores: Vec<f64> = ranked.iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[test]
fn bad_input_fails_with_one_line() {
    let m = tiny();
    assert_one_line_failure(
        &run(&["score", "--model", &m], "{\"query\": \"a\", \"passage\": \"b\"}\nnot json\n"),
        "line 2",
    );
    assert_one_line_failure(&run(&["score", "--model", &m], "{\"query\": \"a\"}\n"), "line 1");
    assert_one_line_failure(
        &run(&["score", "--model", &m], "{\"query\": \"\", \"passage\": \"b\"}\n"),
        "query is empty",
    );
    assert_one_line_failure(&run(&["score", "--model", "/nonexistent"], ""), "cannot read");
    assert_one_line_failure(&run(&["rerank", "--model", &m, "--query", "a", "--top-k", "0"], "x\n"), "top_k");
    assert_one_line_failure(&run(&["score", "--model", &m, "--backend", "cuda"], ""), "unknown backend");
    // Invalid UTF-8 on stdin.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ja-rerank"))
        .args(["rerank", "--model", &m, "--query", "a"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"ok\n\xff\xfe\n").unwrap();
    assert_one_line_failure(&child.wait_with_output().unwrap(), "stdin");
}

#[test]
fn eval_reports_ndcg_and_mrr_consistent_with_score() {
    // Three queries in the three accepted forms. The expected metrics are computed here from
    // the CLI's own `score` output with the metric functions (whose values are checked by hand
    // in src/eval.rs); this checks the wiring: parsing, ranking, averaging.
    let data = [
        serde_json::json!({"query": "ファイルの一覧", "positives": ["ls は一覧を表示する"], "negatives": ["猫の飼い方", "rm は削除する", "空"]}),
        serde_json::json!({"query": "パスワード", "positive": "passwd はパスワードを変更する", "negatives": ["ls", "cp はコピーする"]}),
        serde_json::json!({"query": "圧縮", "passages": [{"text": "tar は書庫", "label": 1}, {"text": "gzip は圧縮する", "label": 2}, {"text": "猫", "label": 0}]}),
    ];
    let dir = std::env::temp_dir().join(format!("ja-rerank-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("data.jsonl");
    std::fs::write(&file, data.iter().map(|d| d.to_string() + "\n").collect::<String>()).unwrap();

    let out = run(&["eval", "--model", &tiny(), "--data", file.to_str().unwrap(), "--k", "2", "--per-query"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4, "three per-query lines and the summary");

    let (mut ndcg, mut mrr) = (0.0, 0.0);
    for (d, line) in data.iter().zip(&lines) {
        let q = ja_rerank::eval::EvalQuery::from_json(&d.to_string()).unwrap();
        let stdin: String =
            q.passages.iter().map(|p| serde_json::json!({"query": q.query, "passage": p}).to_string() + "\n").collect();
        let scored = run(&["score", "--model", &tiny()], &stdin);
        let logits: Vec<f64> = String::from_utf8(scored.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["logit"].as_f64().unwrap())
            .collect();
        let mut order: Vec<usize> = (0..logits.len()).collect();
        order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
        let ranked: Vec<f64> = order.iter().map(|&i| q.labels[i]).collect();
        let (n, m) = (ja_rerank::eval::ndcg_at_k(&ranked, 2), ja_rerank::eval::mrr_at_k(&ranked, 2));
        assert!((line["ndcg@2"].as_f64().unwrap() - n).abs() < 1e-9, "{line}");
        assert!((line["mrr@2"].as_f64().unwrap() - m).abs() < 1e-9, "{line}");
        ndcg += n / 3.0;
        mrr += m / 3.0;
    }
    let summary = &lines[3];
    assert_eq!(summary["queries"], 3);
    assert_eq!(summary["pairs"], 10);
    assert!((summary["ndcg@2"].as_f64().unwrap() - ndcg).abs() < 1e-9);
    assert!((summary["mrr@2"].as_f64().unwrap() - mrr).abs() < 1e-9);

    std::fs::write(&file, "{\"query\": \"q\", \"negatives\": [\"a\"]}\n").unwrap();
    assert_one_line_failure(&run(&["eval", "--model", &tiny(), "--data", file.to_str().unwrap()], ""), "line 1");
    assert_one_line_failure(&run(&["eval", "--model", &tiny(), "--data", "/nonexistent.jsonl"], ""), "cannot read");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn listed_reports_the_metrics_of_the_listed_order_without_a_model() {
    // Worked by hand: the first query lists its one positive second (NDCG@10 = 1/log2(3),
    // MRR = 1/2); the second lists labels 0, 2, 1 (DCG = 2/log2(3) + 1/2, ideal 2 + 1/log2(3)).
    let data = [
        serde_json::json!({"query": "a", "passages": [{"text": "x", "label": 0}, {"text": "y", "label": 1}]}),
        serde_json::json!({"query": "b", "passages": [{"text": "x", "label": 0}, {"text": "y", "label": 2}, {"text": "z", "label": 1}]}),
    ];
    let dir = std::env::temp_dir().join(format!("ja-rerank-listed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("data.jsonl");
    std::fs::write(&file, data.iter().map(|d| d.to_string() + "\n").collect::<String>()).unwrap();
    let out = run(&["listed", "--data", file.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let l3 = 3f64.log2();
    let ndcg = ((1.0 / l3) + (2.0 / l3 + 0.5) / (2.0 + 1.0 / l3)) / 2.0;
    assert!((summary["ndcg@10"].as_f64().unwrap() - ndcg).abs() < 1e-9, "{summary}");
    assert!((summary["mrr@10"].as_f64().unwrap() - 0.5).abs() < 1e-9, "{summary}");
    assert_eq!(summary["pairs"], 5);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn convert_writes_a_compact_copy_that_scores_and_refuses_a_bad_dtype() {
    let out_dir = std::env::temp_dir().join(format!("ja-rerank-cli-convert-{}", std::process::id()));
    let out = out_dir.display().to_string();
    let converted = run(&["convert", "--model", &tiny(), "--dtype", "int8", "--out", &out], "");
    assert!(converted.status.success(), "{}", String::from_utf8_lossy(&converted.stderr));
    for f in ["config.json", "tokenizer.json", "model.safetensors"] {
        assert!(out_dir.join(f).is_file(), "{f} missing from the converted folder");
    }
    let f32_len = std::fs::metadata(model_dir("tiny").join("model.safetensors")).unwrap().len();
    let int8_len = std::fs::metadata(out_dir.join("model.safetensors")).unwrap().len();
    assert!(int8_len * 3 < f32_len, "int8 file {int8_len} bytes vs f32 {f32_len}");
    let c = &reference("reference.json").cases[0];
    let line = serde_json::json!({ "query": c.query, "passage": c.passage }).to_string() + "\n";
    let scored = run(&["score", "--model", &out], &line);
    assert!(scored.status.success(), "{}", String::from_utf8_lossy(&scored.stderr));
    let score = serde_json::from_slice::<serde_json::Value>(&scored.stdout).unwrap()["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score));
    // Converting the compact copy again, or to an unknown dtype, fails in one line.
    assert_one_line_failure(&run(&["convert", "--model", &out, "--dtype", "f16", "--out", &out], ""), "already compact");
    assert_one_line_failure(&run(&["convert", "--model", &tiny(), "--dtype", "int4", "--out", &out], ""), "int4");
    assert_one_line_failure(&run(&["convert", "--model", &tiny(), "--dtype", "f16", "--out", &tiny()], ""), "another folder");
    std::fs::remove_dir_all(out_dir).unwrap();
}

/// `--overflow chunks` (issue 34): a passage over the limit is scored in windows, the best one's
/// character offsets printed (its text, scored alone, gives the same score); one that fits prints
/// no window; `rerank` prints the window too; an unknown mode fails in one line.
#[test]
fn overflow_chunks_prints_the_best_window_in_characters() {
    let cases = reference("reference.json").cases;
    let long = cases.iter().find(|c| c.name == "long-passage").unwrap();
    let lines = [
        serde_json::json!({"query": long.query, "passage": long.passage}).to_string(),
        serde_json::json!({"query": "権限", "passage": "短い文。"}).to_string(),
    ];
    let out = run(&["score", "--model", &tiny(), "--overflow", "chunks", "--max-chunks", "6"], &lines.join("\n"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let scores: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let w = &scores[0]["window"];
    let (start, end) = (w["start"].as_u64().unwrap() as usize, w["end"].as_u64().unwrap() as usize);
    assert!(w["count"].as_u64().unwrap() >= 2 && w["count"].as_u64().unwrap() <= 6, "{w}");
    assert!(scores[0]["n_tokens"].as_u64().unwrap() < 512 && scores[1].get("window").is_none());
    let text: String = long.passage.chars().skip(start).take(end - start).collect();
    let alone = run(&["score", "--model", &tiny()], &serde_json::json!({"query": long.query, "passage": text}).to_string());
    let alone: serde_json::Value = serde_json::from_slice(&alone.stdout).unwrap();
    assert!((alone["logit"].as_f64().unwrap() - scores[0]["logit"].as_f64().unwrap()).abs() < 1e-5, "{alone} vs {}", scores[0]);
    let ranked = run(&["rerank", "--model", &tiny(), "--query", &long.query, "--overflow", "chunks"], &long.passage.replace('\n', " "));
    let ranked: serde_json::Value = serde_json::from_slice(&ranked.stdout).unwrap();
    assert!(ranked[0]["window"]["count"].as_u64().unwrap() >= 2, "{ranked}");
    assert_one_line_failure(&run(&["score", "--model", &tiny(), "--overflow", "split"], ""), "unknown overflow");
}
