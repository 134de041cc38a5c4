// The page bench/run.mjs drives (through page.evaluate): loads ONE runtime per page — ja-rerank
// (CPU or WebGPU, one of the package's builds, in a worker or a pool of them) or transformers.js (ORT-web
// wasm, fp32 or q8, numThreads n) — and times `score(pairs)` calls. Nothing runs on its own.
//
// Every WebAssembly.Memory the page creates or instantiates is remembered, so the harness can
// read ORT-web's linear memory as well as ours. Wasm memory only grows, so its size after the
// timed runs is its peak.

const memories = new Set();
{
  const Memory = WebAssembly.Memory;
  const keep = (m) => m instanceof Memory && memories.add(m);
  WebAssembly.Memory = new Proxy(Memory, {
    construct(target, args, newTarget) {
      const m = Reflect.construct(target, args, newTarget);
      keep(m);
      return m;
    },
  });
  const fromResult = (r) => {
    const instance = r instanceof WebAssembly.Instance ? r : r?.instance;
    for (const v of Object.values(instance?.exports ?? {})) keep(v);
    return r;
  };
  for (const name of ["instantiate", "instantiateStreaming"]) {
    const original = WebAssembly[name];
    WebAssembly[name] = (...args) => original.apply(WebAssembly, args).then(fromResult);
  }
}

const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const now = () => performance.now();
let runtime = null; // { score(pairs) → { scores }, tokens(pairs) → per-pair ids, describe() }

function wasmMemory() {
  const sizes = [...memories].map((m) => m.buffer.byteLength).sort((a, b) => b - a);
  return { largestBytes: sizes[0] ?? null, allBytes: sizes };
}

async function adapterInfo() {
  if (!navigator.gpu) return null;
  const a = await navigator.gpu.requestAdapter();
  if (!a) return null;
  const i = a.info ?? {};
  return { vendor: i.vendor, architecture: i.architecture, description: i.description, isFallbackAdapter: a.isFallbackAdapter ?? i.isFallbackAdapter };
}

window.bench = {
  async environment() {
    return {
      crossOriginIsolated: self.crossOriginIsolated,
      sharedArrayBuffer: typeof SharedArrayBuffer === "function",
      hardwareConcurrency: navigator.hardwareConcurrency,
      userAgent: navigator.userAgent,
      webgpuAdapter: await adapterInfo(),
    };
  },

  // ja-rerank from `${pkgUrl}/ja_rerank.js` (the package entry), on the page's main thread;
  // `build` forces one of the package's builds (default: the entry's choice).
  async loadJaRerank({ pkgUrl, hubUrl, model, backend, batchSize, threads, worker = false, rows = undefined, revision = "bench", precision = undefined, build = undefined }) {
    if (threads > 1 || worker) return this.loadJaRerankWorker({ pkgUrl, hubUrl, model, backend, batchSize, threads, precision, build });
    const t0 = now();
    const mod = await import(`${pkgUrl}/ja_rerank.js`);
    await mod.default({ build, backend, precision });
    const poolMs = null;
    const t1 = now();
    const reranker = await mod.Reranker.load({ hubUrl, model, backend, batchSize, revision, rows, precision, build });
    const t2 = now();
    runtime = {
      score: async (pairs) => ({ scores: await reranker.score(pairs.map((p) => [p.query, p.passage])) }),
      // The JS API does not expose ids; run.mjs takes ours from the CLI / Python tokenizers.
      tokens: async () => null,
      describe: () => ({ info: reranker.info, backend: reranker.backend }),
    };
    return { initMs: t1 - t0, poolMs, loadMs: t2 - t1, totalMs: t2 - t0, info: reranker.info, backend: reranker.backend };
  },

  // The package's RerankerWorker: on a cross-origin-isolated page with `threads` > 1, the threads
  // build's pool in one worker; elsewhere `threads` workers, each its own instance (measured once
  // all have loaded: the steady state). Timings include the postMessage round trip, as a page
  // using it would see.
  async loadJaRerankWorker({ pkgUrl, hubUrl, model, backend, batchSize, threads, precision = undefined, build = undefined }) {
    const t0 = now();
    const { RerankerWorker } = await import(`${pkgUrl}/client.js`);
    const reranker = await RerankerWorker.load({ hubUrl, model, backend, batchSize, revision: "bench", threads, precision, build });
    const t1 = now();
    const workers = await reranker.ready();
    runtime = {
      score: async (pairs) => ({ scores: await reranker.score(pairs.map((p) => [p.query, p.passage])) }),
      tokens: async () => null,
      describe: () => ({ info: reranker.info, backend: reranker.backend, worker: true, workers }),
      // The worker's wasm memory is not visible from the page; the reranker reports it (the
      // first worker's: each of a pool's holds about as much).
      memory: () => ({ largestBytes: reranker.info?.wasmMemoryBytes ?? null, allBytes: Array(workers).fill(reranker.info?.wasmMemoryBytes ?? 0) }),
    };
    return { initMs: null, poolMs: null, loadMs: t1 - t0, totalMs: t1 - t0, info: reranker.info, backend: reranker.backend, worker: true, workers, allReadyMs: now() - t0 };
  },

  // transformers.js (its browser bundle, which contains ORT-web) with the ORT wasm files served
  // locally, the model from `${modelsUrl}${model}/` (onnx/model.onnx or onnx/model_quantized.onnx).
  // With `remoteHost`, the model from a Hub-layout server instead (`${remoteHost}${model}/resolve/main/…`), as
  // transformers.js reads huggingface.co.
  async loadTransformersJs({ tjsUrl, ortUrl, modelsUrl, model, dtype, numThreads, remoteHost = null }) {
    const t0 = now();
    const tjs = await import(tjsUrl);
    const { env } = tjs;
    env.allowRemoteModels = Boolean(remoteHost);
    env.allowLocalModels = !remoteHost;
    env.localModelPath = modelsUrl;
    if (remoteHost) env.remoteHost = remoteHost;
    const wasm = env.backends.onnx.wasm;
    // The files transformers.js would fetch from jsDelivr by default (the asyncify build), here.
    wasm.wasmPaths = { mjs: `${ortUrl}ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${ortUrl}ort-wasm-simd-threaded.asyncify.wasm` };
    wasm.numThreads = numThreads;
    const warnings = [];
    const warn = console.warn;
    console.warn = (...a) => (warnings.push(a.map(String).join(" ")), warn.apply(console, a));
    const t1 = now();
    const tokenizer = await tjs.AutoTokenizer.from_pretrained(model);
    const m = await tjs.AutoModelForSequenceClassification.from_pretrained(model, { dtype, device: "wasm" });
    const t2 = now();
    console.warn = warn;
    const encode = (pairs) =>
      tokenizer(
        pairs.map((p) => p.query),
        { text_pair: pairs.map((p) => p.passage), padding: true, truncation: true },
      );
    runtime = {
      async score(pairs) {
        const { logits } = await m(encode(pairs));
        return { scores: Array.from(logits.data, sigmoid) };
      },
      // Ids actually fed: each row without its padding, and the padded shape.
      async tokens(pairs) {
        const inputs = encode(pairs);
        const [rows, width] = inputs.input_ids.dims;
        const ids = inputs.input_ids.data;
        const mask = inputs.attention_mask.data;
        const perPair = [];
        for (let r = 0; r < rows; r++) {
          const row = [];
          for (let c = 0; c < width; c++) if (mask[r * width + c]) row.push(Number(ids[r * width + c]));
          perPair.push(row);
        }
        return { ids: perPair, fed: rows * width, shape: [rows, width] };
      },
      describe: () => ({
        ortVersion: env.backends.onnx.versions?.web ?? null,
        tjsVersion: env.version,
        numThreadsAfterInit: wasm.numThreads,
        simd: wasm.simd,
        wasmPaths: wasm.wasmPaths,
        inputNames: m.sessions?.model?.inputNames ?? null,
      }),
    };
    return { initMs: t1 - t0, loadMs: t2 - t1, totalMs: t2 - t0, warnings, ...runtime.describe() };
  },

  // `warmup` untimed calls, then `runs` timed ones; each call scores every pair (one
  // `score(pairs)`: tokenizing and all batches, as a page would call it).
  async time({ pairs, warmup, runs }) {
    for (let i = 0; i < warmup; i++) await runtime.score(pairs);
    const timesMs = [];
    let scores = null;
    for (let i = 0; i < runs; i++) {
      const t = now();
      const r = await runtime.score(pairs);
      timesMs.push(now() - t);
      scores ??= r.scores;
    }
    return { timesMs, scores, tokens: await runtime.tokens(pairs), wasmMemory: runtime.memory?.() ?? wasmMemory(), ...runtime.describe() };
  },

  wasmMemory,
};
window.benchReady = true;
