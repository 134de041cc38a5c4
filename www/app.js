// The ja-rerank demo page: BM25 over the whole collection in this thread (fast), then the
// cross-encoder re-orders the top N in a Web Worker (RerankerWorker), so typing and scrolling
// stay smooth. Documents are rendered as text nodes only.
import { RerankerWorker } from "./pkg/client.js";
import { chooseBuild, detectFeatures } from "./pkg/ja_rerank.js";
import { BM25, highlight } from "./bm25.js";
import { MODELS, needsConfirm, sizeText } from "./models.js";

const HUB = "https://huggingface.co";
const DEFAULT_MODEL = "hotchpotch/japanese-reranker-cross-encoder-small-v1";
const BACKENDS = ["auto", "webgpu", "cpu"];
// The bundled stand-in: a small cross-encoder trained here on man pages (tools/ranker/train.py); the demo
// build copies fixtures/models/ranker to models/stand-in/ranker/resolve/main/.
const STANDIN = { hub: new URL("./models", location.href).href, model: "stand-in/ranker", revision: "main" };
// The package's build that the worker will run (its own choice, js/index.js, made as a Worker
// would make it), fetched here so that its download shows progress like the model's files.
const engineBuild = (backend) => chooseBuild({ backend }, { ...detectFeatures(), worker: true }).name;
const engineUrl = (build) => new URL(`./pkg/ja_rerank_${build}_bg.wasm`, location.href).href;
// Questions where the bundled stand-in moves the page that answers them to the top of BM25's list
// (checked by tools/ranker/demo_examples.mjs in the test suite; on average over held-out
// questions it ranks worse than BM25 alone — see the README).
const EXAMPLES = [
  "パスワードの有効期限",
  "ファイルシステムをマウントする",
  "行を並べ替える",
  "ファイルの所有者を変える",
  "ファイルシステムを修復する",
  "ファイルを復元できないように消す",
];
const FILES = [
  ["engine", "推論エンジン", "wasm", "pkg/ja_rerank_*_bg.wasm"],
  ["config.json", "設定", "config", "config.json"],
  ["tokenizer.json", "トークナイザ", "tokenizer", "tokenizer.json"],
  ["model.safetensors", "重み", "weights", "model.safetensors"],
];

// Error codes of the package (plus this page's own) in words a person understands.
const MESSAGES = {
  NETWORK: {
    title: "ネットワークエラー",
    ja: "モデルのファイルをダウンロードできませんでした。ネットワーク接続と Hub の URL を確認してください。",
    en: "The model files could not be downloaded. Check the network connection and the Hub URL.",
  },
  MODEL_LOAD: {
    title: "モデルを読み込めません",
    ja: "モデルのファイルが見つからないか、壊れているか、対応していない形式です。モデル名とリビジョンを確認してください。",
    en: "The model files are missing, damaged or of a kind this page cannot run. Check the model name and revision.",
  },
  BACKEND: {
    title: "計算エラー",
    ja: "計算エンジン (WebGPU / WebAssembly) でエラーが起きました。CPU に切り替えるか、ページを再読み込みしてください。",
    en: "The compute engine (WebGPU / WebAssembly) failed. Switch to the CPU or reload the page.",
  },
  DICTIONARY: {
    title: "形態素解析の辞書が読めません",
    ja: "このモデル (BERT-ja) は MeCab の辞書 unidic-lite.vibrato.zst を使います。パッケージと一緒に配信されているか確認してください。",
    en: "This model (BERT-ja) needs the MeCab dictionary unidic-lite.vibrato.zst: check that the app serves it with the package.",
  },
  OUT_OF_MEMORY: {
    title: "メモリが足りません",
    ja: "このモデルはこの端末のブラウザのメモリに収まりません。小さいモデルか int8 を選ぶか、他のタブを閉じてください。",
    en: "This model does not fit in this browser's memory. Pick a smaller model or int8, or close other tabs.",
  },
  INVALID_INPUT: {
    title: "入力を処理できません",
    ja: "この入力は採点できませんでした。検索語を変えてお試しください。",
    en: "This input could not be scored. Try another query.",
  },
  DISPOSED: {
    title: "モデルが解放されました",
    ja: "モデルはすでに解放されています。モデルを読み込み直してください。",
    en: "The model was released. Load it again.",
  },
  ENGINE: {
    title: "推論エンジンを読み込めません",
    ja: "推論エンジン (ja_rerank_*_bg.wasm) をダウンロードできませんでした。ページの配置 (pkg/ フォルダ) を確認してください。",
    en: "The inference engine (ja_rerank_*_bg.wasm) could not be downloaded. Check that the pkg/ folder is deployed next to the page.",
  },
  COLLECTION: {
    title: "文書集合を読み込めません",
    ja: "文書集合 (data/collection.json) を読み込めませんでした。",
    en: "The document collection (data/collection.json) could not be loaded.",
  },
  UNKNOWN: {
    title: "予期しないエラー",
    ja: "予期しないエラーが起きました。ページを再読み込みしてください。",
    en: "Something unexpected went wrong. Reload the page.",
  },
};

const $ = (id) => document.getElementById(id);

/** An element with properties and children; strings become text nodes (never HTML). */
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null) continue;
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("aria-") || k === "role" || k === "title") e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children.flat()) if (c != null && c !== false) e.append(c);
  return e;
}

function codedError(code, message, cause) {
  const e = new Error(message, { cause });
  e.code = code;
  return e;
}

const nf = new Intl.NumberFormat("ja-JP");
function bytes(n) {
  if (n == null) return "?";
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}
function ms(x) {
  return x < 10 ? `${x.toFixed(2)} ms` : x < 1000 ? `${x.toFixed(0)} ms` : `${(x / 1000).toFixed(2)} s`;
}
function backendName(b) {
  return b === "webgpu" ? "WebGPU" : b === "cpu" ? "CPU (Wasm)" : "—";
}

// ---------------------------------------------------------------- settings (URL parameters)

function absolute(url) {
  try {
    return new URL(url, location.href).href.replace(/\/+$/, "");
  } catch {
    return url;
  }
}

const params = new URLSearchParams(location.search);
const settings = {
  hub: absolute(params.get("hub") || HUB),
  model: params.get("model") || DEFAULT_MODEL,
  revision: params.get("revision") || "main",
  backend: BACKENDS.includes(params.get("backend")) ? params.get("backend") : "auto",
};
const isStandIn = (s) => s.model.startsWith("stand-in/");

function syncUrl() {
  const p = new URLSearchParams(location.search);
  const set = (k, v, dflt) => (v && v !== dflt ? p.set(k, v) : p.delete(k));
  set("hub", settings.hub, HUB);
  set("model", settings.model, DEFAULT_MODEL);
  set("revision", settings.revision, "main");
  set("backend", settings.backend, "auto");
  set("q", current?.query ?? "", "");
  const qs = p.toString();
  history.replaceState(null, "", qs ? `?${qs}` : location.pathname);
}

function fillSettingsForm() {
  const f = $("settings-form");
  f.hub.value = settings.hub;
  f.model.value = settings.model;
  f.revision.value = settings.revision;
  f.backend.value = settings.backend;
  showModelSize();
}

/** The chosen model's first-visit size under the picker; a new choice asks again if it is large. */
function showModelSize() {
  const f = $("settings-form");
  $("model-size").textContent = sizeText(f.model.value.trim());
  delete f.dataset.confirmed;
  f.querySelector("button[type=submit]").replaceChildren("読み込む ", Object.assign(document.createElement("small"), { textContent: "Load" }));
}

// ---------------------------------------------------------------- state

let collection = []; // documents
let bm25 = null;
let reranker = null; // RerankerWorker once loaded
let loadSeq = 0;
let searchCtl = null;
let current = null; // {query, first, bm25Ms, ranked, rerankMs, backend}
let view = "rerank";
let engineBlobUrl = null;
let gpuAvailable = null; // null: not known yet; false: no WebGPU adapter

async function probeGpu() {
  try {
    gpuAvailable = !!(await navigator.gpu?.requestAdapter());
  } catch {
    gpuAvailable = false;
  }
  renderBackend();
}

function setState(kind, value) {
  document.body.dataset[kind] = value;
}

// ---------------------------------------------------------------- notices and errors

function hideNotices() {
  for (const id of ["notice-offline", "notice-error"]) $(id).hidden = true;
}

function showError(error, context, source = "model") {
  const m = MESSAGES[error?.code] ?? MESSAGES.UNKNOWN;
  $("notice-error").dataset.source = source;
  $("error-title").textContent = context ? `${m.title} — ${context}` : m.title;
  $("error-text").textContent = m.ja;
  $("error-text-en").textContent = m.en;
  $("error-detail").textContent = `${error?.code ?? error?.name ?? "Error"}: ${error?.message ?? error}`;
  $("notice-error").hidden = false;
}

function showOffline(error, s) {
  const unreachable = error.code === "NETWORK";
  $("offline-text").textContent = unreachable
    ? `${s.hub} に接続できないため、モデル ${s.model} をダウンロードできませんでした (オフライン、またはネットワークで遮断されています)。`
    : `${s.hub} からモデル ${s.model} (リビジョン ${s.revision}) を読み込めませんでした: ファイルが見つからないか、壊れています。`;
  $("offline-text-en").textContent = unreachable
    ? `Cannot reach ${s.hub}, so the model ${s.model} could not be downloaded (offline, or blocked by the network).`
    : `The model ${s.model} (revision ${s.revision}) could not be loaded from ${s.hub}: files missing or damaged.`;
  $("offline-detail").textContent = `${error.code}: ${error.message}`;
  $("notice-offline").hidden = false;
}

// ---------------------------------------------------------------- download progress

const progress = new Map(); // key -> {loaded, total, fromCache, done, row}

function resetProgress() {
  progress.clear();
  $("progress-overall").classList.remove("failed");
  const box = $("progress-files");
  box.replaceChildren();
  for (const [key, label, en, file] of FILES) {
    const fill = el("i");
    const bar = el("div", { class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100" }, fill);
    const text = el("span", { class: "pbytes" }, "待機中 waiting");
    const row = el("div", { class: "prow", dataset: { file: key } }, el("span", { class: "pname", title: file }, label, " ", el("small", {}, en)), bar, text);
    box.append(row);
    progress.set(key, { loaded: 0, total: null, fromCache: false, done: false, started: false, bar, fill, text, row });
  }
  $("progress").hidden = false;
  renderProgress();
}

function onProgress(key, { loaded, total, fromCache }) {
  const p = progress.get(key);
  if (!p) return;
  p.started = true;
  p.loaded = loaded;
  p.total = total ?? null;
  p.fromCache = !!fromCache;
  renderProgress();
}

function finishProgress() {
  // A download whose size the server did not announce is complete now: its size is what came.
  for (const p of progress.values()) {
    p.done = true;
    if (p.started && p.total == null) p.total = p.loaded;
  }
  renderProgress();
}

function failProgress() {
  for (const p of progress.values()) {
    const complete = p.started && p.total != null && p.loaded >= p.total;
    p.done = true;
    if (!complete) {
      setBar(p.bar, p.fill, p.total ? (100 * p.loaded) / p.total : 0);
      p.text.textContent = p.started ? `${bytes(p.loaded)} で中断 failed` : "— 未取得 not fetched";
      p.row.classList.add("failed");
    }
  }
  const overall = $("progress-overall");
  setBar(overall, overall.firstElementChild, 0);
  overall.classList.add("failed");
  $("progress-overall-text").textContent = "失敗 failed";
}

function setBar(bar, fill, pct) {
  if (pct == null) {
    bar.classList.add("indeterminate");
    bar.removeAttribute("aria-valuenow");
    fill.style.width = "";
  } else {
    bar.classList.remove("indeterminate");
    bar.setAttribute("aria-valuenow", String(Math.round(pct)));
    fill.style.width = `${pct}%`;
  }
}

function renderProgress() {
  let loaded = 0;
  let total = 0;
  let known = true;
  for (const p of progress.values()) {
    const pct = p.total ? Math.min(100, (100 * p.loaded) / p.total) : p.started && !p.done ? null : p.done && p.started ? 100 : 0;
    setBar(p.bar, p.fill, pct);
    p.row.classList.toggle("cached", p.fromCache);
    p.row.classList.toggle("complete", pct === 100);
    if (!p.started) p.text.textContent = p.done ? "—" : "待機中 waiting";
    else if (p.fromCache) p.text.textContent = `${bytes(p.total ?? p.loaded)} キャッシュ済み cached`;
    else p.text.textContent = p.total ? `${bytes(p.loaded)} / ${bytes(p.total)}` : `${bytes(p.loaded)}`;
    loaded += p.loaded;
    total += p.total ?? 0;
    if (p.total == null && !(p.done && !p.started)) known = false;
  }
  const overall = known && total ? Math.min(100, (100 * loaded) / total) : null;
  setBar($("progress-overall"), $("progress-overall").firstElementChild, overall);
  $("progress-overall-text").textContent = known && total ? `${bytes(loaded)} / ${bytes(total)} (${Math.floor(overall)}%)` : `${bytes(loaded)}`;
}

/** Downloads the wasm engine (one build of the package) with progress (the package's own
 * progress covers the model files only) and hands it to the worker as a blob: URL, fetched once
 * per page and build. */
async function fetchEngine(build) {
  if (engineBlobUrl?.build === build) {
    onProgress("engine", { loaded: engineBlobUrl.size, total: engineBlobUrl.size, fromCache: true });
    return engineBlobUrl.url;
  }
  const url = engineUrl(build);
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw codedError("ENGINE", `${url}: ${e.message}`, e);
  }
  if (!response.ok) throw codedError("ENGINE", `${url}: HTTP ${response.status}`);
  // With Content-Encoding the header counts compressed bytes: then the size is unknown.
  const header = Number(response.headers.get("content-length")) || null;
  const total = response.headers.get("content-encoding") ? null : header;
  const chunks = [];
  let loaded = 0;
  const reader = response.body.getReader();
  onProgress("engine", { loaded, total, fromCache: false });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress("engine", { loaded, total: total && loaded <= total ? total : null, fromCache: false });
  }
  onProgress("engine", { loaded, total: loaded, fromCache: false });
  const blob = new Blob(chunks, { type: "application/wasm" });
  if (engineBlobUrl) URL.revokeObjectURL(engineBlobUrl.url);
  engineBlobUrl = { url: URL.createObjectURL(blob), size: loaded, build };
  return engineBlobUrl.url;
}

// ---------------------------------------------------------------- model

function renderModelHead(s) {
  const link = $("model-link");
  link.textContent = s.model;
  link.href = isStandIn(s) ? "#" : `${s.hub}/${s.model}`;
  $("model-rev").textContent = `@${s.revision}`;
  $("notice-standin").hidden = !isStandIn(s);
  document.body.classList.toggle("standin", isStandIn(s));
}

function renderBackend() {
  const active = reranker?.backend ?? null;
  const loading = document.body.dataset.modelState === "loading";
  for (const b of ["webgpu", "cpu"]) {
    const btn = $(`backend-${b}`);
    btn.setAttribute("aria-pressed", String(active === b));
    btn.classList.toggle("wanted", !active && settings.backend === b);
    btn.disabled = loading || (b === "webgpu" && gpuAvailable === false);
  }
  if (gpuAvailable === false) $("backend-webgpu").title = "このブラウザ・端末では WebGPU を使えません / WebGPU is not available here";
  const note = $("backend-note");
  const info = reranker?.info;
  if (loading) note.textContent = settings.backend === "auto" ? "自動選択中… choosing" : `${backendName(settings.backend)} で読み込み中… loading`;
  else if (!info) note.textContent = "";
  else if (info.backend === "webgpu") {
    const a = info.adapter;
    note.textContent = `GPU で計算中 · ${[a?.vendor, a?.architecture || a?.description].filter(Boolean).join(" ") || "adapter"}${a?.isFallbackAdapter ? " (ソフトウェア実装: 遅い software adapter: slow)" : ""}`;
  } else if (info.backendReason) note.textContent = `CPU で計算中 — ${info.backendReason}`;
  else note.textContent = "CPU (WebAssembly) で計算中";
}

function renderFacts() {
  const info = reranker?.info;
  const dl = $("model-facts");
  dl.replaceChildren();
  if (!info) {
    dl.hidden = true;
    return;
  }
  const facts = [
    ["読み込み", "load", ms(info.loadMs)],
    ["ダウンロード", "downloaded", bytes(info.bytesDownloaded)],
    ["キャッシュから", "from cache", bytes(info.bytesFromCache)],
    ["Wasm メモリ", "wasm memory", bytes(info.wasmMemoryBytes)],
    ["バッチ / 最大長", "batch / max len", `${info.batchSize} / ${info.maxLength}`],
  ];
  if (info.adapter) facts.push(["GPU", "adapter", info.adapter.description || info.adapter.vendor || "?"]);
  for (const [ja, en, v] of facts) dl.append(el("div", {}, el("dt", {}, ja, " ", el("small", {}, en)), el("dd", {}, v)));
  dl.hidden = false;
}

function onBackendChange(event) {
  // The GPU device was lost and the reranker moved to the CPU.
  setState("backend", event.to);
  renderBackend();
  renderFacts();
  showError(
    { code: "BACKEND", message: `${event.from} → ${event.to}: ${event.reason}` },
    "GPU が使えなくなったため CPU に切り替えました / moved to the CPU",
  );
}

async function loadModel({ keepNotices = false } = {}) {
  const seq = ++loadSeq;
  const s = { ...settings };
  searchCtl?.abort();
  searchCtl = null;
  if (document.body.dataset.searchState === "reranking") setState("searchState", "waiting");
  reranker?.dispose();
  reranker = null;
  if (!keepNotices) hideNotices();
  setState("backend", "");
  renderModelHead(s);
  fillSettingsForm();
  setState("modelState", "loading");
  $("model-status").textContent = "推論エンジンを準備中… preparing the engine";
  $("model-facts").hidden = true;
  resetProgress();
  renderBackend();
  if (current) renderPipeline();
  try {
    const build = engineBuild(s.backend);
    const wasm = await fetchEngine(build);
    if (seq !== loadSeq) return;
    $("model-status").textContent = isStandIn(s)
      ? "モデルを読み込み中… loading"
      : "モデルをダウンロード中 (2 回目からはブラウザのキャッシュ) … downloading";
    const r = await RerankerWorker.load({
      hubUrl: s.hub,
      model: s.model,
      revision: s.revision,
      backend: s.backend,
      build,
      wasm,
      onProgress: (e) => seq === loadSeq && onProgress(e.file, e),
      onBackendChange,
    });
    if (seq !== loadSeq) return r.dispose();
    reranker = r;
    finishProgress();
    setState("modelState", "ready");
    setState("backend", r.backend);
    $("model-status").textContent = `準備完了 ready · ${backendName(r.backend)}`;
    renderBackend();
    renderFacts();
    if (current?.query) runSearch(current.query);
  } catch (error) {
    if (seq !== loadSeq) return;
    console.warn("model load failed:", error);
    setState("modelState", "error");
    failProgress();
    $("model-status").textContent = `読み込み失敗 failed (${error.code ?? "ERROR"})`;
    renderBackend();
    if (s.backend === "webgpu" && error.code === "BACKEND") {
      // The GPU cannot run the model here: say so and go back to the CPU.
      showError(error, "WebGPU を使えないため CPU に戻します / WebGPU failed, back to the CPU");
      settings.backend = "cpu";
      syncUrl();
      loadModel({ keepNotices: true });
    } else if (!isStandIn(s) && (error.code === "NETWORK" || error.code === "MODEL_LOAD")) {
      setState("modelState", "offline");
      showOffline(error, s);
    } else {
      showError(error, isStandIn(s) ? "同梱スタンドイン / bundled stand-in" : s.model);
    }
    if (current) renderPipeline();
  }
}

function useSettings(next) {
  Object.assign(settings, next);
  syncUrl();
  loadModel();
}

// ---------------------------------------------------------------- search

function passageFor(doc) {
  // What the cross-encoder reads: command name, one-line summary, passage.
  return `${doc.title.replace(/\([^)]*\)$/, "")}: ${doc.summary}\n${doc.text}`;
}

async function runSearch(raw) {
  const query = raw.trim();
  searchCtl?.abort();
  searchCtl = null;
  if (!query || !bm25) return;
  const ctl = (searchCtl = new AbortController());
  const topN = Number($("topn").value);
  const t0 = performance.now();
  const first = bm25.search(query, topN);
  const bm25Ms = performance.now() - t0;
  current = { query, first, bm25Ms, ranked: null, rerankMs: null, backend: null };
  syncUrl();
  if ($("notice-error").dataset.source === "search") $("notice-error").hidden = true;
  renderPipeline();
  renderHits(false);
  if (!first.hits.length) return setState("searchState", "empty");
  if (!reranker) return setState("searchState", "waiting"); // reranked once the model is ready
  setState("searchState", "reranking");
  const documents = first.hits.map((h) => passageFor(collection[h.index]));
  const t1 = performance.now();
  try {
    const ranked = await reranker.rerank(query, documents, { signal: ctl.signal });
    if (ctl !== searchCtl) return;
    current.ranked = ranked;
    current.rerankMs = performance.now() - t1;
    current.backend = reranker.backend;
    renderPipeline();
    renderHits(true);
    document.body.dataset.rerankMs = current.rerankMs.toFixed(1);
    setState("searchState", "done");
  } catch (error) {
    if (error?.code === "ABORTED") {
      // A newer search took over; the worker stopped this one between batches.
      document.body.dataset.abortedReranks = String(Number(document.body.dataset.abortedReranks ?? 0) + 1);
      return;
    }
    if (ctl !== searchCtl) return;
    console.warn("rerank failed:", error);
    setState("searchState", "error");
    showError(error, "リランク / rerank", "search");
    renderPipeline();
  }
}

function renderPipeline() {
  if (!current) return;
  $("pipeline").hidden = false;
  const c = current;
  $("t-bm25").textContent = `${nf.format(collection.length)} 件 → ${c.first.hits.length} 件 · ${ms(c.bm25Ms)}`;
  const t = $("t-rerank");
  const stage = $("stage-rerank");
  stage.classList.remove("busy", "off");
  const state = document.body.dataset.modelState;
  if (!c.first.hits.length) {
    t.textContent = "候補なし no candidates";
    stage.classList.add("off");
  } else if (c.ranked) {
    const n = c.first.hits.length;
    t.textContent = `${n} ペア · ${ms(c.rerankMs)} · ${ms(c.rerankMs / n)}/ペア · ${backendName(c.backend)}`;
  } else if (reranker) {
    t.textContent = `${c.first.hits.length} ペアを採点中… scoring on ${backendName(reranker.backend)}`;
    stage.classList.add("busy");
  } else if (state === "loading") {
    t.textContent = "モデルの読み込み待ち · BM25 の順位を表示中";
    stage.classList.add("busy");
  } else {
    t.textContent = "モデルなし — BM25 の順位のみ  no model: BM25 order";
    stage.classList.add("off");
  }
  for (const b of document.querySelectorAll(".view-switch button")) {
    b.setAttribute("aria-pressed", String(b.dataset.view === view));
    b.disabled = !c.ranked;
  }
}

function movement(from, to) {
  const d = from - to;
  if (d > 0) return el("span", { class: "move up", title: `BM25 ${from}位 → ${to}位` }, `↑${d}`);
  if (d < 0) return el("span", { class: "move down", title: `BM25 ${from}位 → ${to}位` }, `↓${-d}`);
  return el("span", { class: "move same", title: "順位変わらず / unchanged" }, "＝");
}

function highlighted(text, terms, n) {
  return highlight(text, terms, n).map((p) => (p.match ? el("mark", {}, p.text) : p.text));
}

function renderHits(animate) {
  const list = $("result-list");
  const c = current;
  $("results-empty").hidden = !!c;
  if (!c) return list.replaceChildren();
  if (!c.first.hits.length) {
    list.replaceChildren(el("li", { class: "no-hits" }, `「${c.query}」に一致する文書はありません。No document shares a character bigram with the query.`));
    return;
  }
  // Previous positions, for a short move animation (FLIP).
  const before = new Map();
  if (animate && !matchMedia("(prefers-reduced-motion: reduce)").matches) {
    for (const li of list.children) if (li.dataset.index) before.set(li.dataset.index, li.getBoundingClientRect().top);
  }
  const bm25Rank = new Map(c.first.hits.map((h, i) => [h.index, i + 1]));
  const bm25Score = new Map(c.first.hits.map((h) => [h.index, h.score]));
  const reranked = c.ranked?.map((r) => ({ index: c.first.hits[r.index].index, score: r.score }));
  const order = reranked && view === "rerank" ? reranked : c.first.hits.map((h) => ({ index: h.index, score: null }));
  const rerankScore = new Map((reranked ?? []).map((r, i) => [r.index, { score: r.score, rank: i + 1 }]));
  const n = c.first.mode === "bigram" ? 2 : 1;
  // Highlight what carries meaning: not pure-hiragana bigrams (する, した) nor near-ubiquitous ones.
  const marks = c.first.terms.filter((t) => n === 1 || (!/^[\p{Script=Hiragana}ー]+$/u.test(t) && bm25.df(t) <= 0.6 * collection.length));
  const items = order.map((o, i) => {
    const doc = collection[o.index];
    const from = bm25Rank.get(o.index);
    const rr = rerankScore.get(o.index);
    const rank = i + 1;
    const score = rr?.score;
    const scoreBox = el(
      "div",
      { class: `score${rr ? "" : " pending"}` },
      el("span", { class: "score-num" }, rr ? score.toFixed(3) : "…"),
      el("div", { class: "score-bar" }, el("i", { style: `width:${rr ? (score * 100).toFixed(1) : 0}%` })),
      el("span", { class: "score-label" }, rr ? "スコア score" : reranker ? "採点中 scoring" : "採点待ち pending"),
    );
    const flow = rr
      ? [el("span", { class: "flow" }, `BM25 ${from}位`, el("span", { class: "arr" }, " → "), `リランク ${rr.rank}位`), " ", movement(from, rr.rank)]
      : [el("span", { class: "flow" }, `BM25 ${from}位`)];
    return el(
      "li",
      {
        class: "hit",
        dataset: { index: String(o.index), id: doc.id, bm25Rank: String(from), rank: String(rank), score: rr ? String(score) : "" },
      },
      el("div", { class: "rank" }, el("span", { class: "rank-num" }, String(rank))),
      el(
        "div",
        { class: "hit-body" },
        el("div", { class: "hit-head" }, el("span", { class: "title" }, doc.title), el("span", { class: "summary" }, highlighted(doc.summary, marks, n))),
        el("p", { class: "passage", title: "クリックで全文 / click to expand", onclick: (e) => e.currentTarget.classList.toggle("open") }, highlighted(doc.text, marks, n)),
        el(
          "div",
          { class: "hit-meta" },
          flow,
          el("span", { class: "bm25", title: "BM25 score" }, `BM25 ${bm25Score.get(o.index).toFixed(2)}`),
          el("span", { class: "src", title: `/usr/share/man/ja/${doc.source}` }, doc.source),
        ),
      ),
      scoreBox,
    );
  });
  list.replaceChildren(...items);
  if (before.size) {
    for (const li of list.children) {
      const top = before.get(li.dataset.index);
      if (top == null) continue;
      const dy = top - li.getBoundingClientRect().top;
      if (Math.abs(dy) > 1) li.animate([{ transform: `translateY(${dy}px)` }, { transform: "none" }], { duration: 420, easing: "cubic-bezier(.2,.7,.2,1)" });
    }
  }
}

// ---------------------------------------------------------------- start

async function loadCollection() {
  let data;
  try {
    const res = await fetch(new URL("./data/collection.json", location.href));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    data = await res.json();
  } catch (e) {
    throw codedError("COLLECTION", `data/collection.json: ${e.message}`, e);
  }
  collection = data.documents;
  const t0 = performance.now();
  bm25 = new BM25(collection.map((d) => `${d.title} ${d.summary} ${d.text}`));
  const buildMs = performance.now() - t0;
  $("collection-size").textContent = nf.format(collection.length);
  const pk = data.packages?.["manpages-ja"];
  $("footer-collection").textContent = `Debian の日本語マニュアルページ (manpages-ja, manpages-ja-dev${pk ? ` ${pk}` : ""}) から 1 ページ 1 件、${nf.format(collection.length)} 件の抜粋 (索引の構築 ${ms(buildMs)})`;
}

function wire() {
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    runSearch($("query").value);
  });
  $("topn").addEventListener("change", () => current && runSearch(current.query));
  const ex = $("examples");
  for (const q of EXAMPLES) {
    ex.append(
      el("button", {
        type: "button",
        class: "chip",
        textContent: q,
        onclick: () => {
          $("query").value = q;
          runSearch(q);
        },
      }),
    );
  }
  for (const b of ["webgpu", "cpu"]) {
    $(`backend-${b}`).addEventListener("click", () => {
      if (reranker?.backend === b && settings.backend !== "auto") return;
      useSettings({ backend: b });
    });
  }
  for (const b of document.querySelectorAll(".view-switch button")) {
    b.addEventListener("click", () => {
      view = b.dataset.view;
      renderPipeline();
      renderHits(true);
    });
  }
  // The model picker: the models that run, with their sizes; a multi-GB first visit asks first.
  const f = $("settings-form");
  for (const m of MODELS) {
    const option = document.createElement("option");
    option.value = m.id;
    option.label = [m.label, sizeText(m.id)].filter(Boolean).join(" — ");
    $("model-choices").append(option);
  }
  f.model.addEventListener("input", showModelSize);
  f.addEventListener("submit", (e) => {
    e.preventDefault();
    const model = f.model.value.trim();
    if (needsConfirm(model) && !isStandIn({ model }) && f.dataset.confirmed !== model) {
      f.dataset.confirmed = model;
      $("model-size").textContent = `⚠ ${sizeText(model)}。大きなダウンロードです: もう一度押すと開始します。 A large download: press again to start.`;
      f.querySelector("button[type=submit]").textContent = "ダウンロードして読み込む Download and load";
      return;
    }
    useSettings({ hub: absolute(f.hub.value.trim()), model, revision: f.revision.value.trim() || "main", backend: f.backend.value });
  });
  $("preset-hub").addEventListener("click", () => useSettings({ hub: HUB, model: DEFAULT_MODEL, revision: "main" }));
  $("preset-standin").addEventListener("click", () => useSettings(STANDIN));
  $("use-standin").addEventListener("click", () => useSettings(STANDIN));
  $("retry-load").addEventListener("click", () => loadModel());
  addEventListener("keydown", (e) => {
    if (e.key === "/" && document.activeElement?.tagName !== "INPUT") {
      e.preventDefault();
      $("query").focus();
    }
  });
}

async function main() {
  wire();
  fillSettingsForm();
  renderModelHead(settings);
  const q = params.get("q");
  if (q) $("query").value = q;
  probeGpu();
  // A link to a multi-GB model does not start the download: the form asks first.
  const ask = needsConfirm(settings.model) && !isStandIn(settings);
  if (ask) {
    $("settings").open = true;
    $("settings-form").requestSubmit();
  }
  const model = ask ? null : loadModel(); // downloads in parallel with the collection
  try {
    await loadCollection();
  } catch (error) {
    showError(error);
    return;
  }
  setState("collection", "ready");
  if (q) runSearch(q);
  await model;
}

main();
