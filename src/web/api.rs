//! The JS API, translation only: `Reranker.load(options)`, `reranker.rerank(query, documents,
//! options)`, `reranker.score(pairs)`, `reranker.dispose()`, and a module-level `rerank()` that
//! loads the default model once. Arguments are checked by `options`, the work is the
//! [`Session`]'s; every failure is a typed `RerankerError` and nothing panics across the boundary.

use std::rc::Rc;

use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::args;
use super::error::{Code, WebError, WebResult};
use super::options::{
    self, Call, DefaultRerankOptionsArg, LoadOptionsArg, RerankOptionsArg, ScoreOptionsArg, Settings, arg,
};
use super::session::Session;
use super::{default_model, gpu};

pub use super::error::panic_count;

#[wasm_bindgen(typescript_custom_section)]
const TS_RANKED: &'static str = r#"
export interface Ranked {
  /** Position in the input list. */
  index: number;
  /** sigmoid(logit), 0..1. */
  score: number;
  /** With overflow "chunks", for a document longer than maxLength: its best window, the part that scored —
   * `document.slice(start, end)` (UTF-16 offsets, as JS strings index) — window `index` of `count`. */
  window?: { start: number; end: number; index: number; count: number };
  document?: string;
}
"#;

#[derive(Serialize)]
struct RankedOut {
    index: usize,
    score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    window: Option<WindowOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<String>,
}

/// A [`crate::Window`] in the units JS strings index by (UTF-16 code units, not bytes).
#[derive(Serialize)]
struct WindowOut {
    start: usize,
    end: usize,
    index: usize,
    count: usize,
}

impl WindowOut {
    fn new(w: crate::Window, text: &str) -> Self {
        let units = |bytes: usize| text[..bytes].encode_utf16().count();
        Self { start: units(w.start), end: units(w.end), index: w.index, count: w.count }
    }
}

fn to_js(value: &impl Serialize) -> WebResult<JsValue> {
    super::callback::to_js(value).map_err(|e| WebError::new(Code::Backend, e.to_string()))
}

async fn rerank_with(session: &Session, query: String, documents: Vec<String>, call: Call) -> WebResult<JsValue> {
    session.check_usable()?;
    if documents.is_empty() {
        return Ok(Array::new().into());
    }
    let pairs: Vec<(String, String)> = documents.iter().map(|d| (query.clone(), d.clone())).collect();
    let scores = session.score(&pairs, call.signal.as_ref()).await?;
    let ranked = crate::reranker::rank(scores, call.top_k)?;
    let out: Vec<RankedOut> = ranked
        .into_iter()
        .map(|r| RankedOut {
            index: r.index,
            score: r.score,
            window: r.window.map(|w| WindowOut::new(w, &documents[r.index])),
            document: call.return_documents.then(|| documents[r.index].clone()),
        })
        .collect();
    to_js(&out)
}

/// A promise of `work`, its error turned into a `RerankerError`.
fn promise(work: impl Future<Output = WebResult<JsValue>> + 'static) -> js_sys::Promise {
    future_to_promise(async move { work.await.map_err(WebError::into_js) })
}

/// A cross-encoder loaded in this page (or worker).
#[wasm_bindgen]
pub struct Reranker {
    session: Rc<Session>,
}

#[wasm_bindgen]
impl Reranker {
    /// Downloads (or reads from Cache Storage) the model's files and builds it on the chosen
    /// backend.
    pub async fn load(options: Option<LoadOptionsArg>) -> Result<Reranker, JsValue> {
        let settings = Settings::from_js(&arg(options))?;
        Ok(Reranker { session: Session::load(settings).await? })
    }

    /// "webgpu" or "cpu": where scoring runs now.
    #[wasm_bindgen(getter, unchecked_return_type = "\"webgpu\" | \"cpu\"")]
    pub fn backend(&self) -> String {
        self.session.backend().to_string()
    }

    /// Backend, adapter limits, load time, bytes downloaded and from cache, wasm memory.
    #[wasm_bindgen(getter, unchecked_return_type = "RerankerInfo")]
    pub fn info(&self) -> JsValue {
        to_js(&self.session.info()).unwrap_or(JsValue::NULL)
    }

    /// Documents sorted by relevance to `query`, best first; ties keep input order.
    #[wasm_bindgen(unchecked_return_type = "Promise<Ranked[]>")]
    pub fn rerank(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] query: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string[]")] documents: JsValue,
        options: Option<RerankOptionsArg>,
    ) -> js_sys::Promise {
        let session = self.session.clone();
        let options = arg(options);
        promise(async move {
            let (query, documents) = (args::query(&query)?, args::documents(&documents)?);
            rerank_with(&session, query, documents, Call::rerank(&options)?).await
        })
    }

    /// Scores of `[query, passage]` pairs, in input order.
    #[wasm_bindgen(unchecked_return_type = "Promise<number[]>")]
    pub fn score(
        &self,
        #[wasm_bindgen(unchecked_param_type = "[string, string][]")] pairs: JsValue,
        options: Option<ScoreOptionsArg>,
    ) -> js_sys::Promise {
        let session = self.session.clone();
        let options = arg(options);
        promise(async move {
            let pairs = args::pairs(&pairs)?;
            let call = Call::score(&options)?;
            session.check_usable()?;
            let scores = if pairs.is_empty() { Vec::new() } else { session.score(&pairs, call.signal.as_ref()).await? };
            to_js(&scores.iter().map(|s| s.score as f64).collect::<Vec<f64>>())
        })
    }

    /// Frees the model. Later calls reject with code "DISPOSED"; calls in flight finish.
    pub fn dispose(&self) {
        self.session.dispose();
    }

    /// Destroys the WebGPU device as a driver reset would, so tests can check the move to the
    /// CPU. Not for production use.
    #[wasm_bindgen(js_name = simulateDeviceLoss)]
    pub async fn simulate_device_loss() -> Result<(), JsValue> {
        let gpu = gpu::webgpu().await.map_err(|e| WebError::new(Code::Backend, e))?;
        gpu.destroy();
        Ok(())
    }
}

/// Reranks with a model loaded on first use and kept for later calls (reloaded only when the
/// load options change). `options` holds both load options and `topK` / `returnDocuments` /
/// `signal`.
#[wasm_bindgen(unchecked_return_type = "Promise<Ranked[]>")]
pub fn rerank(
    #[wasm_bindgen(unchecked_param_type = "string")] query: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string[]")] documents: JsValue,
    options: Option<DefaultRerankOptionsArg>,
) -> js_sys::Promise {
    let options = arg(options);
    promise(async move {
        // The call's own arguments are checked before a possibly long first download.
        let (query, documents) = (args::query(&query)?, args::documents(&documents)?);
        let (settings, key, call) = options::split_default(&options)?;
        let session = default_model::session(settings, key).await?;
        rerank_with(&session, query, documents, call).await
    })
}
