// RerankerWorker: the same methods as Reranker, but the model lives in Web Workers, so a page
// stays responsive while documents are scored. Cancellation with an AbortSignal takes effect
// between batches.
//
// Using several cores: where the page is cross-origin isolated the worker runs the threads
// build and shares each call among wasm threads itself; elsewhere (most pages: COOP/COEP break
// embeds and pop-ups) `threads` > 1 starts that many workers, each with its own instance of the
// model, and spreads a call's documents over them. The first worker serves alone until the
// others have loaded (from Cache Storage, which the first filled), so the first result is not
// delayed; on WebGPU there is one worker (one GPU).
//
// Protocol (client → worker): {id, type: "load"|"rerank"|"score"|"dispose", ...args} and
// {type: "abort", target: id}. Worker → client: {id, type: "progress"|"result"|"error", ...}
// and {type: "backend", event, info} when the reranker moves from WebGPU to the CPU.

import { rerankerError } from "./errors.js";

/** One worker and its pending calls. */
class Channel {
  #worker;
  #pending = new Map();
  #nextId = 1;
  #onBackend;
  info = null;

  constructor(worker, onBackend) {
    this.#worker = worker;
    this.#onBackend = onBackend;
    worker.onmessage = ({ data }) => this.#receive(data);
    worker.onerror = (event) => this.fail("BACKEND", `worker: ${event.message || "the worker failed to start"}`);
    worker.onmessageerror = () => this.fail("BACKEND", "worker: a message could not be read");
  }

  call(message, { onProgress, signal } = {}) {
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

  fail(code, message) {
    for (const { reject } of this.#pending.values()) reject(rerankerError(code, message));
    this.#pending.clear();
  }

  terminate() {
    this.#worker.terminate();
  }

  #receive(data) {
    if (data.type === "backend") {
      this.info = data.info ?? this.info;
      this.#onBackend?.(data.event);
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
      if (data.info) this.info = data.info;
      pending.resolve(data.result);
    } else {
      pending.reject(rerankerError(data.error.code, data.error.message, data.error.retryAfter));
    }
  }
}

// All cores, at most 4, and at most one per 2 GB where the browser tells its memory
// (navigator.deviceMemory, Chromium): without cross-origin isolation each worker holds its own
// copy of the model (BENCHMARKS.md, "A page without cross-origin isolation": speed and memory).
const defaultThreads = () => {
  const nav = globalThis.navigator;
  const byMemory = nav?.deviceMemory ? Math.floor(nav.deviceMemory / 2) : 4;
  return Math.max(1, Math.min(nav?.hardwareConcurrency || 1, 4, byMemory));
};

export class RerankerWorker {
  #channels = [];
  #start = null; // the extra workers' loading
  #disposed = false;

  /**
   * Starts a worker and loads the model in it. `options` are Reranker.load's; `worker` may be
   * given to use a Worker you created (e.g. from a bundler's worker import; then only that one
   * runs), `wasm` where the .wasm files are when they are not next to worker.js, `signal` stops
   * the load (the workers are terminated, the download with them; the promise rejects with code
   * "ABORTED"), and `threads` the cores the CPU may use (default: all, at most 4 and at most one
   * per 2 GB of navigator.deviceMemory; 1 = one worker, one thread).
   */
  static async load(options = {}) {
    const { onProgress, onBackendChange, worker, wasm, signal, threads, ...rest } = options ?? {};
    if (signal?.aborted) throw rerankerError("ABORTED", "aborted");
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
      throw rerankerError("INVALID_INPUT", `threads must be an integer from 1 to 64, got ${threads}`);
    }
    const want = threads ?? defaultThreads();
    const spawn = () => new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    let client;
    const open = (w) => {
      const channel = new Channel(w, (event) => client.#backendChanged(channel, event, onBackendChange));
      return channel;
    };
    const first = open(worker ?? spawn());
    client = new RerankerWorker();
    client.#channels.push(first);
    const stop = () => client.#fail("ABORTED", "aborted");
    signal?.addEventListener("abort", stop, { once: true });
    try {
      await first.call({ type: "load", options: rest, wasm, threads: want }, { onProgress });
    } catch (error) {
      first.terminate();
      throw error;
    } finally {
      signal?.removeEventListener("abort", stop);
    }
    const info = first.info;
    if (!worker && want > 1 && info?.backend === "cpu" && info.build?.threads === 1) {
      // More workers, each its own instance, loaded in the background; calls use those ready.
      // They read the first one's commit and its final URLs: one resolution for all (the Hub
      // rate-limits resolutions), and one version of the model in every worker.
      const shared = { ...rest, backend: "cpu", revision: info.commit ?? rest.revision, fileUrls: info.fileUrls };
      client.#start = (async () => {
        for (let i = 1; i < want && !client.#disposed; i++) {
          const channel = open(spawn());
          try {
            await channel.call({ type: "load", options: shared, wasm, threads: 1 });
          } catch {
            channel.terminate(); // one worker fewer (e.g. out of memory); the others serve
            break;
          }
          if (client.#disposed) channel.terminate();
          else client.#channels.push(channel);
        }
      })();
    }
    return client;
  }

  /** "webgpu" or "cpu". */
  get backend() {
    return this.info?.backend ?? null;
  }

  /** Backend, build, adapter limits, load time, bytes, wasm memory (see RerankerInfo) of the first worker. */
  get info() {
    return this.#channels[0]?.info ?? null;
  }

  /** Workers serving calls now (each its own instance of the model). */
  get workers() {
    return this.#channels.length;
  }

  /** Resolves once every worker asked for has loaded (or failed to). */
  async ready() {
    await this.#start;
    return this.workers;
  }

  async rerank(query, documents, options = {}) {
    const { signal, ...rest } = options ?? {};
    const parts = this.#split(documents, rest);
    if (!parts) return this.#call(0, { type: "rerank", query, documents, options: rest }, signal);
    // Each part's top k holds the whole list's top k among its documents, so merging the parts'
    // answers and sorting again gives the whole list's (ties keep input order, as in the core).
    const answers = await this.#spread(parts, (channel, part) => this.#call(channel, { type: "rerank", query, documents: part.items, options: rest }, signal));
    const merged = answers.flatMap((ranked, i) => ranked.map((r) => ({ ...r, index: r.index + parts[i].offset })));
    merged.sort((a, b) => b.score - a.score || a.index - b.index);
    return rest.topK === undefined ? merged : merged.slice(0, rest.topK);
  }

  async score(pairs, options = {}) {
    const parts = this.#split(pairs, {});
    if (!parts) return this.#call(0, { type: "score", pairs }, options?.signal);
    const answers = await this.#spread(parts, (channel, part) => this.#call(channel, { type: "score", pairs: part.items }, options?.signal));
    return answers.flat();
  }

  /** Frees the models and stops the workers. Pending and later calls reject with "DISPOSED". */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const channel of this.#channels) {
      channel.terminate();
      channel.fail("DISPOSED", "this reranker was disposed");
    }
  }

  // Contiguous parts, one per ready worker, in whole batches; null when one worker should do it
  // all (one worker, a list that is not an array, or fewer batches than workers).
  #split(items, options) {
    const n = this.#channels.length;
    const batch = this.info?.batchSize ?? 4;
    if (n < 2 || !Array.isArray(items) || items.length <= batch || (options.topK !== undefined && !Number.isInteger(options.topK))) return null;
    const per = Math.ceil(Math.ceil(items.length / batch) / n) * batch;
    const parts = [];
    for (let offset = 0; offset < items.length; offset += per) parts.push({ offset, items: items.slice(offset, offset + per) });
    return parts;
  }

  // Runs every part; a failure rejects once every part has settled, so no worker is left busy
  // with a call whose answer nobody reads when the next one comes.
  async #spread(parts, run) {
    const settled = await Promise.allSettled(parts.map((part, i) => run(i, part)));
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    return settled.map((s) => s.value);
  }

  #call(channel, message, signal) {
    if (this.#disposed) return Promise.reject(rerankerError("DISPOSED", "this reranker was disposed; load another"));
    return this.#channels[channel].call(message, { signal });
  }

  #backendChanged(channel, event, onBackendChange) {
    // Only the first worker can be on WebGPU (the others are added on the CPU).
    if (channel === this.#channels[0]) onBackendChange?.(event);
  }

  #fail(code, message) {
    for (const channel of this.#channels) channel.fail(code, message);
  }
}
