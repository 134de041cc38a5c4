// RerankerWorker: the same methods as Reranker, but the model lives in a Web Worker, so a page
// stays responsive while documents are scored. Cancellation with an AbortSignal takes effect
// between batches.
//
// Protocol (client → worker): {id, type: "load"|"rerank"|"score"|"dispose", ...args} and
// {type: "abort", target: id}. Worker → client: {id, type: "progress"|"result"|"error", ...}
// and {type: "backend", event, info} when the reranker moves from WebGPU to the CPU.

import { rerankerError } from "./errors.js";

export class RerankerWorker {
  #worker;
  #pending = new Map();
  #nextId = 1;
  #info = null;
  #onBackendChange;
  #disposed = false;

  constructor(worker, onBackendChange) {
    this.#worker = worker;
    this.#onBackendChange = onBackendChange;
    worker.onmessage = ({ data }) => this.#receive(data);
    worker.onerror = (event) => this.#crash(event.message || "the worker failed to start");
    worker.onmessageerror = () => this.#crash("a message could not be read");
  }

  /**
   * Starts a worker and loads the model in it. `options` are Reranker.load's; `worker` may be
   * given to use a Worker you created (e.g. from a bundler's worker import), `wasm` a URL of
   * ja_rerank_bg.wasm when it is not next to the worker, and `signal` stops the load (the
   * worker is terminated, the download with it; the promise rejects with code "ABORTED").
   * `threads` > 1 starts that many wasm threads in the worker: only with the threaded build
   * (pkg-threads/) on a cross-origin-isolated page; the single-threaded build rejects it.
   */
  static async load(options = {}) {
    const { onProgress, onBackendChange, worker, wasm, signal, threads, ...rest } = options ?? {};
    if (signal?.aborted) throw rerankerError("ABORTED", "aborted");
    const w = worker ?? new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    const client = new RerankerWorker(w, onBackendChange);
    const stop = () => client.#fail("ABORTED", "aborted");
    signal?.addEventListener("abort", stop, { once: true });
    try {
      await client.#call({ type: "load", options: rest, wasm, threads }, { onProgress });
    } catch (error) {
      client.#worker.terminate();
      throw error;
    } finally {
      signal?.removeEventListener("abort", stop);
    }
    return client;
  }

  /** "webgpu" or "cpu". */
  get backend() {
    return this.#info?.backend ?? null;
  }

  /** Backend, adapter limits, load time, bytes, wasm memory (see RerankerInfo). */
  get info() {
    return this.#info;
  }

  rerank(query, documents, options = {}) {
    const { signal, ...rest } = options ?? {};
    return this.#call({ type: "rerank", query, documents, options: rest }, { signal });
  }

  score(pairs, options = {}) {
    return this.#call({ type: "score", pairs }, { signal: options?.signal });
  }

  /** Frees the model and stops the worker. Pending and later calls reject with "DISPOSED". */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#worker.terminate();
    for (const { reject } of this.#pending.values()) reject(rerankerError("DISPOSED", "this reranker was disposed"));
    this.#pending.clear();
  }

  #call(message, { onProgress, signal } = {}) {
    if (this.#disposed) return Promise.reject(rerankerError("DISPOSED", "this reranker was disposed; load another"));
    if (signal?.aborted) return Promise.reject(rerankerError("ABORTED", "aborted"));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.#worker.postMessage({ type: "abort", target: id });
      signal?.addEventListener("abort", onAbort, { once: true });
      const done = () => signal?.removeEventListener("abort", onAbort);
      this.#pending.set(id, {
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
        onProgress,
      });
      try {
        this.#worker.postMessage({ ...message, id });
      } catch (error) {
        // Arguments that cannot be cloned (functions, DOM nodes) are bad input, not a crash.
        this.#pending.delete(id);
        done();
        reject(rerankerError("INVALID_INPUT", `arguments cannot be sent to the worker: ${error.message}`));
      }
    });
  }

  #receive(data) {
    if (data.type === "backend") {
      this.#info = data.info ?? this.#info;
      this.#onBackendChange?.(data.event);
      return;
    }
    const pending = this.#pending.get(data.id);
    if (!pending) return;
    if (data.type === "progress") {
      try {
        pending.onProgress?.(data.event);
      } catch {
        // A throwing progress callback must not break loading.
      }
      return;
    }
    this.#pending.delete(data.id);
    if (data.type === "result") {
      if (data.info) this.#info = data.info;
      pending.resolve(data.result);
    } else {
      pending.reject(rerankerError(data.error.code, data.error.message));
    }
  }

  #crash(message) {
    this.#fail("BACKEND", `worker: ${message}`);
  }

  #fail(code, message) {
    for (const { reject } of this.#pending.values()) reject(rerankerError(code, message));
    this.#pending.clear();
  }
}
