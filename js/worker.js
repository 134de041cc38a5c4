// The Web Worker entry of ja-rerank: runs the reranker off the main thread so the page keeps
// painting while it scores. Spoken to by RerankerWorker (client.js); see that file for the protocol.
import { rerankerError } from "./errors.js";
import * as wasm from "./ja_rerank.js";

const { default: init, Reranker } = wasm;

let ready = null;
let reranker = null;
const controllers = new Map();

function fail(id, error) {
  self.postMessage({
    id,
    type: "error",
    error: { name: error?.name ?? "Error", message: error?.message ?? String(error), code: error?.code ?? "BACKEND" },
  });
}

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  if (type === "abort") {
    controllers.get(data.target)?.abort();
    return;
  }
  try {
    ready ??= init(data.wasm ? { module_or_path: data.wasm } : undefined).catch((e) => {
      if (!(e instanceof WebAssembly.CompileError)) throw e;
      // The threaded build uses wasm threads and relaxed SIMD (scripts/build-threads.sh).
      throw rerankerError(
        "BACKEND",
        `this browser cannot compile this build of ja-rerank (${e.message}); the threaded build needs ` +
          "WebAssembly threads and relaxed SIMD (Chrome/Edge 114+, Firefox 153 ESR): use the single-threaded package here",
      );
    });
    await ready;
    let result = null;
    if (type === "load") {
      if (data.threads > 1) {
        // Only the threaded build (scripts/build-threads.sh → pkg-threads/) has a pool.
        if (!wasm.initThreads) {
          throw rerankerError("INVALID_INPUT", "threads: this build of ja-rerank is single-threaded (use the threaded build, pkg-threads/)");
        }
        await wasm.initThreads(data.threads);
      }
      reranker?.dispose();
      reranker = null;
      reranker = await Reranker.load({
        ...data.options,
        onProgress: (event) => self.postMessage({ id, type: "progress", event }),
        onBackendChange: (event) => self.postMessage({ type: "backend", event, info: reranker?.info }),
      });
    } else if (type === "rerank" || type === "score") {
      if (!reranker) throw rerankerError("DISPOSED", "this reranker was disposed; load another");
      const controller = new AbortController();
      controllers.set(id, controller);
      try {
        result =
          type === "rerank"
            ? await reranker.rerank(data.query, data.documents, { ...data.options, signal: controller.signal })
            : await reranker.score(data.pairs, { signal: controller.signal });
      } finally {
        controllers.delete(id);
      }
    } else if (type === "dispose") {
      reranker?.dispose();
      reranker = null;
    } else {
      throw new Error(`unknown message type ${type}`);
    }
    self.postMessage({ id, type: "result", result, info: reranker?.info ?? null });
  } catch (error) {
    fail(id, error);
  }
};
