//! The one scoring loop (`Reranker::score_plan_with`): the hook runs after every batch and can
//! stop the call; the blocking and async entry points are the same loop, so the same scores.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{TOLERANCE, model_dir, reference};
use ja_rerank::{Error, Reranker, RerankerOptions, ScoreHook};

/// Records each call; fails the call after `stop_after` batches when set.
struct Recorder {
    calls: Vec<(usize, usize)>,
    stop_after: Option<usize>,
}

#[derive(Debug)]
enum HookError {
    #[allow(dead_code)] // read through Debug when a test fails
    Core(Error),
    Stopped,
}

impl From<Error> for HookError {
    fn from(e: Error) -> Self {
        HookError::Core(e)
    }
}

impl ScoreHook for Recorder {
    type Error = HookError;
    async fn after_batches(&mut self, done: usize, total: usize) -> Result<(), HookError> {
        self.calls.push((done, total));
        if self.stop_after.is_some_and(|n| done >= n) {
            return Err(HookError::Stopped);
        }
        Ok(())
    }
}

fn setup() -> (Reranker, Vec<(String, String)>, Vec<f32>) {
    let cases: Vec<_> = reference("reference.json").cases.into_iter().filter(|c| c.max_length == 512).collect();
    let reranker =
        Reranker::from_dir(model_dir("tiny"), RerankerOptions { batch_size: 3, ..Default::default() }).unwrap();
    let pairs = cases.iter().map(|c| (c.query.clone(), c.passage.clone())).collect();
    let want = cases.iter().map(|c| c.scores["tiny"]).collect();
    (reranker, pairs, want)
}

#[test]
fn the_hook_runs_after_every_batch_and_the_scores_are_the_reference() {
    let (reranker, pairs, want) = setup();
    let plan = reranker.plan(&pairs).unwrap();
    let total = plan.num_batches();
    assert!(total > 2, "the fixture should make several batches, got {total}");
    let mut hook = Recorder { calls: Vec::new(), stop_after: None };
    let scores = pollster::block_on(reranker.score_plan_with(&plan, &mut hook)).unwrap();
    let expected: Vec<(usize, usize)> = (1..=total).map(|done| (done, total)).collect();
    assert_eq!(hook.calls, expected, "one call per batch (no thread pool natively), in order");
    for (s, w) in scores.iter().zip(&want) {
        assert!((s.score - w).abs() <= TOLERANCE, "{} vs {w}", s.score);
    }
}

#[test]
fn a_hook_error_stops_the_loop_and_the_reranker_still_works() {
    let (reranker, pairs, want) = setup();
    let plan = reranker.plan(&pairs).unwrap();
    let mut hook = Recorder { calls: Vec::new(), stop_after: Some(1) };
    let result = pollster::block_on(reranker.score_plan_with(&plan, &mut hook));
    assert!(matches!(result, Err(HookError::Stopped)), "{result:?}");
    assert_eq!(hook.calls.len(), 1, "no batch ran after the hook stopped the call");
    let again = reranker.score(&pairs).unwrap();
    assert!(again.iter().zip(&want).all(|(s, w)| (s.score - w).abs() <= TOLERANCE));
}

#[test]
fn blocking_and_async_entry_points_agree() {
    let (reranker, pairs, _) = setup();
    let blocking = reranker.score(&pairs).unwrap();
    let asynchronous = pollster::block_on(reranker.score_async(&pairs)).unwrap();
    assert_eq!(blocking, asynchronous);
    let docs: Vec<&str> = pairs.iter().map(|(_, p)| p.as_str()).collect();
    let ranked = reranker.rerank(&pairs[0].0, &docs, Some(3)).unwrap();
    let ranked_async = pollster::block_on(reranker.rerank_async(&pairs[0].0, &docs, Some(3))).unwrap();
    assert_eq!(ranked, ranked_async);
}
