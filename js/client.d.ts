import type { BackendChangeEvent, LoadOptions, Ranked, RerankOptions, RerankerInfo, ScoreOptions } from "./ja_rerank.js";

export type { BackendChangeEvent, BackendChoice, LoadOptions, ProgressEvent, Ranked, RerankOptions, RerankerError, RerankerErrorCode, RerankerInfo, ScoreOptions, AdapterInfo } from "./ja_rerank.js";

export interface WorkerLoadOptions extends LoadOptions {
  /** Use this Worker (running ja-rerank's worker.js) instead of starting one. */
  worker?: Worker;
  /** URL of ja_rerank_bg.wasm when it is not next to worker.js. */
  wasm?: string | URL;
  /** Stops the load: the worker is terminated and the promise rejects with code "ABORTED". */
  signal?: AbortSignal;
  /** wasm threads for the CPU matmuls (threaded build only, cross-origin-isolated page). */
  threads?: number;
}

/** The Reranker API, run in a Web Worker so the page stays responsive while scoring. */
export declare class RerankerWorker {
  private constructor();
  static load(options?: WorkerLoadOptions): Promise<RerankerWorker>;
  /** "webgpu" or "cpu"; changes to "cpu" if the GPU device is lost. */
  readonly backend: "webgpu" | "cpu" | null;
  readonly info: RerankerInfo | null;
  rerank(query: string, documents: string[], options?: RerankOptions): Promise<Ranked[]>;
  score(pairs: [string, string][], options?: ScoreOptions): Promise<number[]>;
  /** Stops the worker; pending and later calls reject with code "DISPOSED". */
  dispose(): void;
}
