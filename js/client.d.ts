import type { BackendChangeEvent, LoadOptions, Ranked, RerankOptions, RerankerInfo, ScoreOptions } from "./ja_rerank.js";

export type { BackendChangeEvent, BackendChoice, BuildInfo, LoadOptions, ProgressEvent, Ranked, RerankOptions, RerankerError, RerankerErrorCode, RerankerInfo, ScoreOptions, AdapterInfo } from "./ja_rerank.js";

export interface WorkerLoadOptions extends LoadOptions {
  /** Use this Worker (running ja-rerank's worker.js) instead of starting one; then only that one runs. */
  worker?: Worker;
  /** Where the .wasm files are when they are not next to the package's JS: a folder (ending in "/")
   * holding ja_rerank_<build>_bg.wasm, or one .wasm file's URL (with `build` set to match). */
  wasm?: string | URL;
  /** Stops the load: the worker is terminated and the promise rejects with code "ABORTED". */
  signal?: AbortSignal;
  /** Cores the CPU may use (default: all, at most 4 and one per 2 GB of navigator.deviceMemory; 1 to 64). On a cross-origin-isolated page, wasm threads
   * in one worker (the threads build); elsewhere that many workers, each with its own instance of the model,
   * sharing each call's documents. WebGPU uses one worker. */
  threads?: number;
}

/** The Reranker API, run in a Web Worker so the page stays responsive while scoring. */
export declare class RerankerWorker {
  private constructor();
  static load(options?: WorkerLoadOptions): Promise<RerankerWorker>;
  /** "webgpu" or "cpu"; changes to "cpu" if the GPU device is lost. */
  readonly backend: "webgpu" | "cpu" | null;
  /** The first worker's info (info.build says which build and why). */
  readonly info: RerankerInfo | null;
  /** Workers serving calls now: grows to `threads` as the extra workers finish loading (CPU, no isolation). */
  readonly workers: number;
  /** Resolves, with the number of workers, once every worker asked for has loaded (or failed to). */
  ready(): Promise<number>;
  rerank(query: string, documents: string[], options?: RerankOptions): Promise<Ranked[]>;
  score(pairs: [string, string][], options?: ScoreOptions): Promise<number[]>;
  /** Stops the worker; pending and later calls reject with code "DISPOSED". */
  dispose(): void;
}
