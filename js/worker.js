// The Web Worker entry of ja-rerank: runs the reranker off the main thread so the page keeps
// painting while it scores. Spoken to by RerankerWorker (client.js); see that file for the protocol.
import { rerankerError } from "./errors.js";
import init, { Reranker, initThreads } from "./ja_rerank.js";

let ready = null;
let reranker = null;
const controllers = new Map();

function fail(id, error) {
  self.postMessage({
    id,
    type: "error",
    error: { name: error?.name ?? "Error", message: error?.message ?? String(error), code: error?.code ?? "BACKEND", retryAfter: error?.retryAfter },
  });
}

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  if (type === "abort") {
    controllers.get(data.target)?.abort();
    return;
  }
  try {
    // The first message is a load: its options pick the build (js/index.js, chooseBuild).
    const { build, backend, precision } = data.options ?? {};
    ready ??= init({ build, backend, precision, threads: data.threads, wasm: data.wasm }).catch((e) => {
      ready = null; // a failed start (network, a build this engine lacks) may be retried
      throw e;
    });
    const { name } = await ready;
    let result = null;
    if (type === "load") {
      // The threads build shares the CPU work inside this worker; with the others, the client
      // spreads calls over several workers instead (client.js).
      if (name === "threads") await initThreads(data.threads);
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
