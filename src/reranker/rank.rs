//! Scores → a ranking: documents by relevance, best first.

use super::{Ranked, Score};
use crate::error::{Error, Result};

pub(super) fn query_pairs<'a, D: AsRef<str>>(query: &'a str, documents: &'a [D]) -> Vec<(&'a str, &'a str)> {
    documents.iter().map(|d| (query, d.as_ref())).collect()
}

/// Sorts by logit (the score saturates at 1.0 in f32; the logit does not), ties by index.
pub fn rank(scores: Vec<Score>, top_k: Option<usize>) -> Result<Vec<Ranked>> {
    if top_k == Some(0) {
        return Err(Error::InvalidInput("top_k must be at least 1".into()));
    }
    let mut ranked: Vec<Ranked> =
        scores.into_iter().enumerate().map(|(index, s)| Ranked { index, score: s.score, logit: s.logit, window: s.window }).collect();
    ranked.sort_by(|a, b| b.logit.total_cmp(&a.logit).then(a.index.cmp(&b.index)));
    ranked.truncate(top_k.unwrap_or(usize::MAX));
    Ok(ranked)
}

#[cfg(test)]
mod tests {
    use super::super::plan::sigmoid;
    use super::*;

    fn s(logit: f32) -> Score {
        Score { score: sigmoid(logit), logit, n_tokens: 3, window: None }
    }

    #[test]
    fn rank_sorts_by_logit_then_index() {
        // 30 and 40 both give score 1.0 in f32; the logit still orders them.
        let ranked = rank(vec![s(0.5), s(30.0), s(-2.0), s(40.0), s(0.5)], None).unwrap();
        let order: Vec<usize> = ranked.iter().map(|r| r.index).collect();
        assert_eq!(order, vec![3, 1, 0, 4, 2]);
        assert_eq!(ranked[0].score, 1.0);
        assert_eq!(rank(vec![s(1.0), s(2.0)], Some(1)).unwrap().len(), 1);
        assert_eq!(rank(vec![s(1.0), s(2.0)], Some(10)).unwrap().len(), 2);
        assert!(matches!(rank(vec![s(1.0)], Some(0)), Err(Error::InvalidInput(_))));
    }
}
