// The package entry (`import init, { Reranker, rerank } from "ja-rerank"`): picks one build of
// ja-rerank for this engine and page, downloads only that one's wasm, and forwards the API to it.
//
// Builds (scripts/build-package.sh; `reranker.info.build`):
//   simd         WebGPU + CPU, wasm SIMD: every engine (Safari has no relaxed SIMD).
//   relaxed      WebGPU + CPU, the CPU kernels' multiply-adds fused by relaxed SIMD (Chrome/Edge
//                114+, Firefox): the CPU runs ~1.3-1.9x faster (BENCHMARKS.md).
//   cpu-simd,    the same without WebGPU, a quarter of the download: picked where the CPU will
//   cpu-relaxed  compute (backend "cpu", precision "int8", or no navigator.gpu).
//   threads      CPU only, wasm threads + relaxed SIMD: needs a cross-origin-isolated page and a
//                thread that may block (a Worker), so RerankerWorker picks it, never the main thread.
// A module scope holds one build: the first init() or load decides it (a wasm module's classes
// cannot cross builds).
import { rerankerError } from "./errors.js";

import * as simdBuild from "./ja_rerank_simd.js";
import * as relaxedBuild from "./ja_rerank_relaxed.js";
import * as cpuSimdBuild from "./ja_rerank_cpu-simd.js";
import * as cpuRelaxedBuild from "./ja_rerank_cpu-relaxed.js";

// The single-threaded builds' JS glue is imported (~35 kB gzip in all), only the chosen build's
// .wasm is fetched (its init() does). Static imports, not import(): a worker bundle that splits
// code is refused by some bundlers' defaults (Vite builds workers as IIFE). The threads build is
// picked only where this file is served as published (below), so it is imported at run time by
// URL, which bundlers leave alone (and Node never evaluates its worker script).
const MODULES = { simd: simdBuild, relaxed: relaxedBuild, "cpu-simd": cpuSimdBuild, "cpu-relaxed": cpuRelaxedBuild };
const BUILDS = [...Object.keys(MODULES), "threads"];
const importThreads = () => {
  // Not `new URL("literal", import.meta.url)`: bundlers would copy the file as an asset.
  const url = new URL("./ja_rerank_threads.js".slice(0), import.meta.url).href;
  return import(/* webpackIgnore: true */ /* @vite-ignore */ url);
};

// Smallest modules that use the feature (as wasm-feature-detect's): validate() says whether the
// engine would compile a build that uses it.
const SIMD = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11];
// i8x16.relaxed_swizzle
const RELAXED = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11];

const isNode = typeof process === "object" && typeof process.versions?.node === "string" && typeof window === "undefined";

/** What this engine and page offer, as the choice reads it. */
export function detectFeatures() {
  const validate = (bytes) => {
    try {
      return WebAssembly.validate(new Uint8Array(bytes));
    } catch {
      return false;
    }
  };
  const worker = typeof WorkerGlobalScope === "function" && globalThis instanceof WorkerGlobalScope;
  return {
    simd: validate(SIMD),
    relaxedSimd: validate(RELAXED),
    // Threads need shared memory, which browsers give only to cross-origin-isolated pages.
    crossOriginIsolated: globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === "function",
    worker,
    webgpu: typeof navigator === "object" && !!navigator?.gpu,
    node: isNode,
    // wasm-bindgen-rayon's thread workers import the threads build's JS by its URL and call its
    // exports by name, which a bundler renames into its chunks: threads only where this file is
    // served as published (copied to a static folder, or from a CDN).
    asPublished: (() => {
      try {
        const url = new URL(import.meta.url);
        return url.pathname.endsWith("/ja_rerank.js") && url.protocol === globalThis.location?.protocol;
      } catch {
        return false;
      }
    })(),
  };
}

/**
 * The build for these load options in this environment, and why. Exported for tests and for
 * RerankerWorker; `init()` and `Reranker.load()` call it.
 */
export function chooseBuild(options = {}, features = detectFeatures()) {
  const { build = "auto", backend = "auto", precision, threads } = options ?? {};
  if (build !== "auto") {
    if (!BUILDS.includes(build)) {
      throw rerankerError("INVALID_INPUT", `build must be one of "auto", ${BUILDS.map((b) => `"${b}"`).join(", ")}, got ${JSON.stringify(build)}`);
    }
    const relaxed = build === "relaxed" || build === "cpu-relaxed" || build === "threads";
    const missing = relaxed && !features.relaxedSimd ? "relaxed SIMD" : build === "threads" && !features.crossOriginIsolated ? "cross-origin isolation (shared memory)" : null;
    if (missing) throw rerankerError("BACKEND", `build "${build}" needs ${missing}, which this ${features.node ? "runtime" : "page"} lacks`);
    return { name: build, reason: "asked for (build option)" };
  }
  if (!features.simd) throw rerankerError("BACKEND", "this engine has no WebAssembly SIMD, which every build of ja-rerank needs (Chrome 91+, Firefox 89+, Safari 16.4+)");
  // The CPU computes when asked to, when int8 makes "auto" pick it, or when there is no WebGPU:
  // then a build without WebGPU, a quarter of the size.
  const cpu = backend === "cpu" || (backend === "auto" && (precision === "int8" || !features.webgpu));
  const where = backend === "cpu" ? "backend cpu" : precision === "int8" ? "precision int8" : "no WebGPU here";
  if (!features.relaxedSimd) return cpu ? { name: "cpu-simd", reason: `no relaxed SIMD in this engine; CPU only (${where})` } : { name: "simd", reason: "no relaxed SIMD in this engine" };
  if (!cpu) return { name: "relaxed", reason: "WebGPU may compute; relaxed SIMD for the CPU" };
  if (features.worker && features.crossOriginIsolated && features.asPublished && threads !== 1) {
    return { name: "threads", reason: `CPU only (${where}) in a Worker on a cross-origin-isolated page, relaxed SIMD` };
  }
  const why = !features.crossOriginIsolated
    ? "not cross-origin isolated, so no wasm threads"
    : !features.worker
      ? "wasm threads only help in a Worker"
      : threads === 1
        ? "one thread asked for"
        : "the package is bundled, so no wasm threads (their workers import it by URL)";
  return { name: "cpu-relaxed", reason: `CPU only (${where}), relaxed SIMD; ${why}` };
}

let loading = null; // Promise of { module, name, reason }
let loaded = null; // the loaded build's module, once there is one (for instanceof)

// The .wasm of `name` as the glue's init() takes it: default (next to the glue, as bundlers
// rewrite it), the caller's `wasm` (a folder, ending in "/", holding ja_rerank_<build>_bg.wasm,
// or one file's URL),
// or in Node the bytes from disk (Node's fetch does not read file: URLs).
async function wasmSource(name, wasm) {
  if (wasm instanceof WebAssembly.Module || ArrayBuffer.isView(wasm) || wasm instanceof ArrayBuffer) return wasm;
  let url = null;
  if (wasm != null) {
    const text = String(wasm);
    url = new URL(text.endsWith("/") ? `${text}ja_rerank_${name}_bg.wasm` : text, globalThis.location?.href);
  }
  if (!isNode) return url ?? undefined;
  url ??= new URL(`./ja_rerank_${name}_bg.wasm`, import.meta.url);
  if (url.protocol !== "file:") return url;
  return (await nodeFs()).readFile(url);
}

// node:fs/promises, imported by a name bundlers leave alone (this path runs only in Node).
function nodeFs() {
  const name = "node:fs/promises";
  return import(/* webpackIgnore: true */ /* @vite-ignore */ name);
}
function nodeUrl() {
  const name = "node:url";
  return import(/* webpackIgnore: true */ /* @vite-ignore */ name);
}

// Node's fetch does not read file: URLs; with a `file:` hubUrl, requests go through this instead
// (the `fetch` load option): a single Range is answered 206 as the Hub answers it, so rows on
// demand work from disk too. A folder in Hub layout (<model>/resolve/<revision>/<file>) or a plain
// one (<model>/<file>, as a downloaded model sits) both work.
async function fileFetch(request) {
  const url = new URL(typeof request === "string" ? request : request.url);
  if (url.protocol !== "file:") return fetch(request);
  const fs = await nodeFs();
  let path = (await nodeUrl()).fileURLToPath(url);
  let stat = await fs.stat(path).catch(() => null);
  if (!stat) {
    path = path.replace(/[/\\]resolve[/\\][^/\\]+[/\\](?=[^/\\]+$)/, "/");
    stat = await fs.stat(path).catch(() => null);
  }
  if (!stat?.isFile()) return new Response(`${url.href}: not found`, { status: 404 });
  const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers?.get?.("range") ?? "");
  if (!range) return new Response(await fs.readFile(path), { status: 200, headers: { "Content-Length": String(stat.size) } });
  const [start, end] = [Number(range[1]), Math.min(Number(range[2]), stat.size - 1)];
  if (start > end) return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${stat.size}` } });
  const handle = await fs.open(path);
  try {
    const bytes = new Uint8Array(end - start + 1);
    await handle.read(bytes, 0, bytes.length, start);
    return new Response(bytes, { status: 206, headers: { "Content-Range": `bytes ${start}-${end}/${stat.size}`, "Content-Length": String(bytes.length) } });
  } finally {
    await handle.close();
  }
}

// The MeCab dictionary BERT-ja models need (LoadOptions.dictionary), shipped beside this file. A
// literal URL, so bundlers emit it as an asset; it is fetched only when such a model loads.
function packageDictionary() {
  return new URL("./unidic-lite.vibrato.zst", import.meta.url).href;
}

// Load options as the build gets them: the package's dictionary unless one is named; in Node,
// `file:` URLs (a hubUrl, the dictionary) read from disk.
function forBuild(options) {
  if (options != null && typeof options !== "object") return options; // the build refuses it
  const o = { dictionary: packageDictionary(), ...options };
  const fromDisk = [o.hubUrl, o.dictionary].some((u) => String(u ?? "").startsWith("file:"));
  if (isNode && o.fetch === undefined && fromDisk) o.fetch = fileFetch;
  return o;
}

/**
 * Loads one build (the first call decides; later calls return the same). Options: `build`
 * ("auto" or a BuildName: README, "Builds"), `backend` and `precision` (as Reranker.load's,
 * which the choice depends on), `threads` (1 keeps the single-threaded builds), `wasm` (where
 * the .wasm files are, when a bundler did not put them next to the glue). Resolves to
 * `{ name, reason }`.
 */
export default function init(options = {}) {
  if (typeof options !== "object") options = { wasm: options }; // init(url), as wasm-bindgen's
  loading ??= (async () => {
    const { name, reason } = chooseBuild(options);
    const module = name === "threads" ? await importThreads() : MODULES[name];
    const source = await wasmSource(name, options?.wasm ?? options?.module_or_path);
    try {
      await module.default(source === undefined ? undefined : { module_or_path: source });
    } catch (e) {
      if (e instanceof WebAssembly.CompileError || e instanceof WebAssembly.LinkError) {
        throw rerankerError("BACKEND", `this engine cannot run ja-rerank's "${name}" build (${e.message})`);
      }
      throw rerankerError("NETWORK", `cannot load ja-rerank's "${name}" build: ${e?.message ?? e}`);
    }
    module.__setBuildReason(reason);
    loaded = module;
    return { module, name, reason };
  })();
  // A failed load may be retried (a network error, or a forced build this engine lacks).
  loading.catch(() => (loading = null));
  return loading.then(({ name, reason }) => ({ name, reason }));
}

async function ready(options) {
  await init(options);
  return (await loading).module;
}

/** The build's Reranker; `Reranker.load(options)` picks and loads the build first. */
export class Reranker {
  constructor() {
    throw rerankerError("INVALID_INPUT", "use Reranker.load(options)");
  }

  static async load(options) {
    return (await ready(loadChoice(options))).Reranker.load(forBuild(options));
  }

  static [Symbol.hasInstance](value) {
    return loaded?.Reranker != null && value instanceof loaded.Reranker;
  }
}

// The load options the build choice reads (only plain values: a bad type is the build's to refuse).
function loadChoice(options) {
  if (options == null || typeof options !== "object") return {};
  const { build, backend, precision } = options;
  return { build, backend, precision };
}

/** Scores and sorts with the default model, loaded once (see the build's `rerank`). */
export async function rerank(query, documents, options) {
  return (await ready(loadChoice(options))).rerank(query, documents, forBuild(options));
}

/** Starts the threaded build's pool of `threads` workers (threads build only). */
export async function initThreads(threads) {
  const module = await ready({});
  if (typeof module.initThreads !== "function") {
    throw rerankerError("INVALID_INPUT", `threads: the "${(await loading).name}" build of ja-rerank is single-threaded (threads need a cross-origin-isolated page and a Worker)`);
  }
  return module.initThreads(threads);
}
