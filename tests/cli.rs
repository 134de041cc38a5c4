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
    let cases: Vec<_> = reference("reference.json").cases.into_iter().filter(|c| c.max_length == 512).collect();
    let stdin: String =
        cases.iter().map(|c| serde_json::json!({"query": c.query, "passage": c.passage}).to_string() + "\n").collect();
    let out = run(&["score", "--model", &tiny(), "--with-ids", "--batch-size", "5"], &stdin);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), cases.len());
    for (line, case) in lines.iter().zip(&cases) {
        let score = line["score"].as_f64().unwrap() as f32;
        assert!((score - case.scores["tiny"]).abs() <= TOLERANCE, "{}: {score}", case.name);
        assert_eq!(line["n_tokens"].as_u64().unwrap() as usize, case.input_ids.len());
        let ids: Vec<u32> = serde_json::from_value(line["input_ids"].clone()).unwrap();
        assert_eq!(ids, case.input_ids, "{}", case.name);
        assert!(line["logit"].is_number());
    }
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
