//! Ranking-quality metrics for rerank evaluation data (JQaRA / JaCWIR style): NDCG@k and MRR@k
//! over the reranker's ordering of each query's candidate passages.
//!
//! Accepted JSON lines (one query per line):
//! - `{"query": q, "positives": [p, ...], "negatives": [n, ...]}` — relevance 1 and 0;
//!   `"positive": p` (one string) is accepted for `"positives"`;
//! - `{"query": q, "passages": [{"text": p, "label": 2}, ...]}` — graded relevance (label ≥ 0).
//!
//! Gains are linear (`label / log2(rank + 1)`, as ranx's and trec_eval's NDCG); MRR counts the
//! first passage with label > 0. Candidates are ranked by logit; equal logits keep the listed
//! order (positives before negatives), as sentence-transformers' reranking evaluator lists them.

use serde::Deserialize;

use crate::error::{Error, Result};

/// One query and its labelled candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalQuery {
    pub query: String,
    pub passages: Vec<String>,
    pub labels: Vec<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Graded {
    text: String,
    label: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    query: String,
    #[serde(default)]
    positives: Option<Vec<String>>,
    #[serde(default)]
    positive: Option<String>,
    #[serde(default)]
    negatives: Option<Vec<String>>,
    #[serde(default)]
    passages: Option<Vec<Graded>>,
}

impl EvalQuery {
    /// Parses one line in any of the accepted forms.
    pub fn from_json(line: &str) -> Result<Self> {
        let l: Line = serde_json::from_str(line).map_err(|e| Error::InvalidInput(e.to_string()))?;
        let mut passages = Vec::new();
        let mut labels = Vec::new();
        if let Some(graded) = l.passages {
            if l.positives.is_some() || l.positive.is_some() || l.negatives.is_some() {
                return Err(Error::InvalidInput(
                    "use either \"passages\" or \"positives\"/\"negatives\", not both".into(),
                ));
            }
            for g in graded {
                if !(g.label.is_finite() && g.label >= 0.0) {
                    return Err(Error::InvalidInput(format!("label {} is not a number ≥ 0", g.label)));
                }
                passages.push(g.text);
                labels.push(g.label);
            }
        } else {
            let positives = match (l.positives, l.positive) {
                (Some(_), Some(_)) => {
                    return Err(Error::InvalidInput("give \"positives\" or \"positive\", not both".into()));
                }
                (Some(p), None) => p,
                (None, Some(p)) => vec![p],
                (None, None) => Vec::new(),
            };
            for p in positives {
                passages.push(p);
                labels.push(1.0);
            }
            for n in l.negatives.unwrap_or_default() {
                passages.push(n);
                labels.push(0.0);
            }
        }
        if passages.is_empty() {
            return Err(Error::InvalidInput("no passages".into()));
        }
        if !labels.iter().any(|&l| l > 0.0) {
            return Err(Error::InvalidInput("no relevant passage (every label is 0): NDCG is undefined".into()));
        }
        Ok(Self { query: l.query, passages, labels })
    }
}

/// NDCG@k of `ranked_labels` (the labels in the order the system ranked them), against the
/// ideal order of the same labels.
pub fn ndcg_at_k(ranked_labels: &[f64], k: usize) -> f64 {
    let dcg =
        |labels: &[f64]| -> f64 { labels.iter().take(k).enumerate().map(|(i, &l)| l / ((i + 2) as f64).log2()).sum() };
    let mut ideal = ranked_labels.to_vec();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let best = dcg(&ideal);
    if best == 0.0 { 0.0 } else { dcg(ranked_labels) / best }
}

/// Reciprocal rank of the first relevant label within the top `k`, else 0.
pub fn mrr_at_k(ranked_labels: &[f64], k: usize) -> f64 {
    ranked_labels.iter().take(k).position(|&l| l > 0.0).map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    // Hand-computed: log2(2) = 1, log2(3) = 1.5849625007, log2(4) = 2, log2(5) = 2.3219280949.
    #[test]
    fn ndcg_by_hand() {
        // Binary, the relevant passage third of four: DCG = 1/log2(4) = 0.5, IDCG = 1.
        assert!(close(ndcg_at_k(&[0.0, 0.0, 1.0, 0.0], 10), 0.5));
        // Perfect order.
        assert!(close(ndcg_at_k(&[1.0, 1.0, 0.0], 10), 1.0));
        // Two relevant at ranks 2 and 4: DCG = 1/1.5849625 + 1/2.3219281 = 0.6309298 + 0.4306766
        // = 1.0616064; IDCG = 1 + 0.6309298 = 1.6309298; NDCG = 0.6509209.
        assert!((ndcg_at_k(&[0.0, 1.0, 0.0, 1.0], 10) - 0.650_920_9).abs() < 1e-7);
        // Graded 2,0,1 vs ideal 2,1,0: DCG = 2 + 0 + 1/2 = 2.5; IDCG = 2 + 1/1.5849625 = 2.6309298.
        assert!((ndcg_at_k(&[2.0, 0.0, 1.0], 10) - 2.5 / 2.630_929_8).abs() < 1e-7);
        // Cut-off: the relevant passage at rank 3 is outside @2.
        assert!(close(ndcg_at_k(&[0.0, 0.0, 1.0], 2), 0.0));
    }

    #[test]
    fn mrr_by_hand() {
        assert!(close(mrr_at_k(&[0.0, 0.0, 1.0, 1.0], 10), 1.0 / 3.0));
        assert!(close(mrr_at_k(&[2.0, 0.0], 10), 1.0));
        assert!(close(mrr_at_k(&[0.0, 0.0, 1.0], 2), 0.0));
    }

    #[test]
    fn accepted_forms() {
        let a = EvalQuery::from_json(r#"{"query": "q", "positives": ["a"], "negatives": ["b", "c"]}"#).unwrap();
        assert_eq!(a.labels, vec![1.0, 0.0, 0.0]);
        let b = EvalQuery::from_json(r#"{"query": "q", "positive": "a", "negatives": ["b"]}"#).unwrap();
        assert_eq!((b.passages.clone(), b.labels.clone()), (vec!["a".to_string(), "b".into()], vec![1.0, 0.0]));
        let c = EvalQuery::from_json(
            r#"{"query": "q", "passages": [{"text": "a", "label": 0}, {"text": "b", "label": 2}]}"#,
        )
        .unwrap();
        assert_eq!(c.labels, vec![0.0, 2.0]);
        for bad in [
            r#"{"query": "q", "negatives": ["b"]}"#,
            r#"{"query": "q", "positives": []}"#,
            r#"{"query": "q", "positive": "a", "positives": ["b"]}"#,
            r#"{"query": "q", "passages": [{"text": "a", "label": -1}]}"#,
            r#"{"query": "q", "positives": ["a"], "passages": [{"text": "a", "label": 1}]}"#,
            r#"{"query": "q", "positives": ["a"], "extra": 1}"#,
            r#"{"positives": ["a"]}"#,
        ] {
            assert!(EvalQuery::from_json(bad).is_err(), "{bad}");
        }
    }
}
