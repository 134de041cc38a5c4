//! A loaded reranker in the page: loading (backend, then files by name, with the core's load
//! policy deciding batch size, memory fit and where the word embeddings live), scoring through
//! the core's loop with a hook for aborts, the event loop and GPU errors, the move to the CPU
//! when the GPU fails, and what `reranker.info` reports.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Promise};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use super::build;
use super::callback::emit;
use super::error::{Code, WebError, WebResult};
use super::gpu::{self, Gpu};
use super::hub::Hub;
use super::info::{Info, RequestReport, wasm_memory_bytes};
use super::options::{BackendChoice, Rows, Settings};
use super::pin;
use super::rows::{self, Begun, RowStats};
use super::tokenizer;
use crate::load::{WEIGHTS_FILE, WeightBytes};
use crate::{ModelConfig, Reranker, RerankerOptions, Score, ScoreHook, WordEmbeddings};

#[derive(Clone, Copy, PartialEq, Eq)]
enum BackendKind {
    WebGpu,
    Cpu,
}

impl BackendKind {
    fn name(self) -> &'static str {
        match self {
            BackendKind::WebGpu => "webgpu",
            BackendKind::Cpu => "cpu",
        }
    }
}

/// A loaded model on one backend.
struct Active {
    core: Reranker,
    backend: BackendKind,
    gpu: Option<Rc<Gpu>>,
}

/// How the weights were read, for `info`.
struct RowsMode {
    lazy: bool,
    reason: Option<String>,
    from_cache: u64,
}

#[derive(Serialize)]
struct BackendChange<'a> {
    from: &'static str,
    to: &'static str,
    reason: &'a str,
}

pub struct Session {
    settings: Settings,
    /// The model's files, from one commit, for the life of the instance.
    hub: Hub,
    /// `None` once disposed.
    active: RefCell<Option<Rc<Active>>>,
    info: RefCell<Info>,
    row_stats: Cell<RowStats>,
}

/// Brings the backend up, fetches the files and builds the model on it.
async fn load_active(settings: &Settings, hub: &Hub, choice: BackendChoice) -> WebResult<(Active, Info)> {
    let started = js_sys::Date::now();
    // Backend first: it is quick, and a refused "webgpu" should fail before a long download.
    let gpu_allowed = crate::reranker::precision_on(settings.precision, false);
    let (gpu, reason): (Option<Rc<Gpu>>, Option<String>) = match choice {
        BackendChoice::Cpu => (None, None),
        BackendChoice::WebGpu => {
            gpu_allowed?;
            (Some(gpu::webgpu().await.map_err(|e| WebError::new(Code::Backend, e))?), None)
        }
        BackendChoice::Auto if gpu_allowed.is_err() => {
            (None, Some(format!("precision \"{}\" computes on the CPU only", settings.precision.name())))
        }
        BackendChoice::Auto => match gpu::webgpu().await {
            Ok(gpu) => (Some(gpu), None),
            Err(e) => (None, Some(e)),
        },
    };
    let backend_ready = js_sys::Date::now();

    let requests_before = hub.requests();
    // config.json first, read where the commit is pinned: the policy needs it, and a model we
    // cannot run fails before the weights.
    let (config, pinned) = pin::pin(hub).await?;
    let config = ModelConfig::from_json(config.as_bytes())?;
    let (device, binding) = match &gpu {
        Some(g) => (g.device.clone(), Some(g.max_binding_bytes())),
        None => (crate::cpu_device(), None),
    };
    let mut options = RerankerOptions::for_device(&config, device, binding, settings.word_embeddings)?;
    options.max_length = settings.max_length;
    options.overflow = settings.overflow;
    options.batch_size = settings.batch_size.unwrap_or(options.batch_size);
    options.precision = settings.precision;
    let eager = match (settings.rows, settings.word_embeddings) {
        (Rows::Eager, _) => Some("rows: \"eager\""),
        (_, WordEmbeddings::Device) => Some("wordEmbeddings: \"device\" needs the whole table"),
        _ => None,
    };
    // In parts, the weights' header first: checked against the config before anything else.
    let begun = match eager {
        None => Some(rows::begin_parts(hub, &config).await?),
        Some(_) => None,
    };
    let (tokenizer, dictionary) = tokenizer::fetch_tokenizer(hub, &config, settings.dictionary.as_deref()).await?;
    let whole =
        |bytes: WeightBytes, why: String| (bytes.into(), RowsMode { lazy: false, reason: Some(why), from_cache: 0 });
    let (weights, mut mode) = match begun {
        None => whole(hub.fetch(WEIGHTS_FILE).await?, eager.unwrap_or_default().into()),
        Some(Begun::Whole(bytes, why)) => whole(bytes, why),
        Some(Begun::Header(header)) => (
            rows::load_parts(hub, header, &config, &options).await?,
            RowsMode { lazy: true, reason: None, from_cache: 0 },
        ),
    };
    // Rows on demand are looked up on the host, whatever the device.
    options.host_word_embeddings |= mode.lazy;
    let fetched_at = js_sys::Date::now();
    let host_word_embeddings = options.host_word_embeddings;
    // `weights` moves in and is freed once the tensors are built: one extra copy at most.
    let core = Reranker::from_config(config, tokenizer.files(), weights, options)?;
    if mode.lazy && settings.cache {
        mode.from_cache = rows::restore(&core, &hub.url(WEIGHTS_FILE)).await;
    }
    pin::save_manifest(hub).await;
    let load_requests = hub.requests().since(requests_before);

    let backend = if gpu.is_some() { BackendKind::WebGpu } else { BackendKind::Cpu };
    let info = Info {
        build: build::report(),
        backend: backend.name(),
        backend_reason: reason,
        adapter: gpu.as_ref().map(|g| g.adapter.clone()),
        model: settings.source.model.clone(),
        model_type: core.config().family(),
        dictionary_url: dictionary.as_ref().map(|d| d.url.clone()),
        dictionary_bytes: dictionary.map(|d| d.bytes),
        revision: settings.source.revision.clone(),
        commit: pinned.commit,
        commit_pinned_by: pinned.by,
        newer_commit: pinned.newer,
        requests: RequestReport { load: load_requests, ..Default::default() },
        file_urls: hub.final_urls(),
        hub_url: settings.source.hub_url.clone(),
        max_length: core.max_length(),
        max_length_set_by: core.max_length_source().name(),
        overflow: core.overflow().name(),
        batch_size: core.batch_size(),
        precision: core.precision().name(),
        precision_reason: core.precision_reason().map(str::to_string),
        host_word_embeddings,
        load_ms: js_sys::Date::now() - started,
        backend_ms: backend_ready - started,
        fetch_ms: fetched_at - backend_ready,
        build_ms: js_sys::Date::now() - fetched_at,
        bytes_downloaded: hub.bytes_downloaded(),
        bytes_from_cache: hub.bytes_from_cache(),
        wasm_memory_bytes: wasm_memory_bytes(),
        rows: if mode.lazy { "lazy" } else { "eager" },
        rows_reason: mode.reason,
        rows_held: None,
        rows_from_cache: mode.from_cache as f64,
        row_bytes_fetched: 0.0,
        row_requests: 0.0,
    };
    Ok((Active { core, backend, gpu }, info))
}

fn aborted(signal: Option<&AbortSignal>) -> WebResult<()> {
    match signal {
        Some(s) if s.aborted() => Err(WebError::new(Code::Aborted, "aborted")),
        _ => Ok(()),
    }
}

/// Lets the event loop run (so a worker can receive an abort message between batches).
async fn yield_now() {
    let promise = Promise::new(&mut |resolve, _| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok());
        match set_timeout {
            Some(f) => {
                let _ = f.call2(&JsValue::NULL, &resolve, &0.into());
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Between batches: a GPU that reported an error since may have produced garbage without failing
/// the read, so it ends the call; with a signal, the event loop runs and an abort stops the call.
struct Between<'a> {
    gpu: Option<&'a Gpu>,
    signal: Option<&'a AbortSignal>,
}

impl ScoreHook for Between<'_> {
    type Error = WebError;
    async fn after_batches(&mut self, _done: usize, _total: usize) -> WebResult<()> {
        if let Some(error) = self.gpu.and_then(|g| g.error()) {
            return Err(WebError::new(Code::Backend, format!("the GPU reported an error: {error}")));
        }
        if self.signal.is_some() {
            yield_now().await;
            aborted(self.signal)?;
        }
        Ok(())
    }
}

impl Session {
    pub async fn load(settings: Settings) -> WebResult<Rc<Self>> {
        super::error::install_panic_hook();
        let hub = Hub::new(settings.source.clone(), settings.cache, settings.on_progress.clone());
        let (active, info) = load_active(&settings, &hub, settings.backend).await?;
        let active = RefCell::new(Some(Rc::new(active)));
        Ok(Rc::new(Self { settings, hub, active, info: RefCell::new(info), row_stats: Cell::default() }))
    }

    /// What `reranker.info` shows, with memory and rows read now.
    pub fn info(&self) -> Info {
        let mut info = self.info.borrow().clone();
        info.build = build::report();
        info.wasm_memory_bytes = wasm_memory_bytes();
        info.rows_held = self.active.borrow().as_ref().and_then(|a| a.core.rows_held()).map(|n| n as f64);
        let stats = self.row_stats.get();
        (info.row_bytes_fetched, info.row_requests) = (stats.row_bytes_fetched, stats.row_requests);
        info.requests.total = self.hub.requests();
        info.file_urls = self.hub.final_urls();
        info
    }

    /// One call on one backend: the rows it lacks first (lazy weights), then the batches.
    async fn score_on(&self, active: &Active, pairs: &[(String, String)], signal: Option<&AbortSignal>) -> WebResult<Vec<Score>> {
        aborted(signal)?;
        let plan = active.core.plan(pairs)?;
        let before = self.hub.requests();
        let fetched = rows::fetch_missing(&active.core, &plan, &self.hub, &self.row_stats, signal).await;
        self.info.borrow_mut().requests.last_call = self.hub.requests().since(before);
        fetched?;
        aborted(signal)?;
        active.core.score_plan_with(&plan, &mut Between { gpu: active.gpu.as_deref(), signal }).await
    }

    pub fn backend(&self) -> &'static str {
        self.info.borrow().backend
    }

    /// Frees the model. Later calls fail with "DISPOSED"; calls in flight finish.
    pub fn dispose(&self) {
        self.active.borrow_mut().take();
    }

    /// Fails with "DISPOSED" once disposed.
    pub fn check_usable(&self) -> WebResult<()> {
        self.active().map(|_| ())
    }

    fn active(&self) -> WebResult<Rc<Active>> {
        self.active
            .borrow()
            .clone()
            .ok_or_else(|| WebError::new(Code::Disposed, "this reranker was disposed; load another"))
    }

    /// Scores, moving to the CPU (once, for good) if the GPU fails.
    pub async fn score(&self, pairs: &[(String, String)], signal: Option<&AbortSignal>) -> WebResult<Vec<Score>> {
        let active = self.active()?;
        match self.score_on(&active, pairs, signal).await {
            Err(e) if e.code == Code::Backend && active.backend == BackendKind::WebGpu => {
                gpu::forget_lost_device();
                let reason = format!("WebGPU failed ({}); moved to the CPU", e.message);
                web_sys::console::warn_1(&format!("ja-rerank: {reason}").into());
                let cpu = self.reload_on_cpu(&reason).await?;
                self.score_on(&cpu, pairs, signal).await
            }
            other => other,
        }
    }

    async fn reload_on_cpu(&self, reason: &str) -> WebResult<Rc<Active>> {
        let (active, mut info) = load_active(&self.settings, &self.hub, BackendChoice::Cpu).await?;
        let active = Rc::new(active);
        info.backend_reason = Some(reason.to_string());
        info.adapter = self.info.borrow().adapter.clone();
        if self.active.borrow().is_none() {
            return Err(WebError::new(Code::Disposed, "this reranker was disposed; load another"));
        }
        *self.active.borrow_mut() = Some(active.clone());
        *self.info.borrow_mut() = info;
        emit(self.settings.on_backend_change.as_ref(), &BackendChange { from: "webgpu", to: "cpu", reason });
        Ok(active)
    }
}
