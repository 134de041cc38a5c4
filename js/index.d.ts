// The package entry's declarations (js/index.js). The API's classes and option types are the
// builds' own (declared in Rust beside what they describe, src/web/); every build has the same.
import type { BackendChoice, BuildName, LoadOptions } from "./ja_rerank_simd.js";

export { Reranker, rerank } from "./ja_rerank_simd.js";
export type {
  AdapterInfo, BackendChangeEvent, BackendChoice, BuildInfo, BuildName, LoadOptions, ProgressEvent, Ranked, RerankOptions,
  RerankerError, RerankerErrorCode, RerankerInfo, ScoreOptions,
} from "./ja_rerank_simd.js";

export interface InitOptions {
  /** "auto" (default) or a build to force (LoadOptions.build). */
  build?: LoadOptions["build"];
  /** The backend and precision the first load will ask for: the choice of build depends on them. */
  backend?: BackendChoice;
  precision?: LoadOptions["precision"];
  /** Where the .wasm is when a bundler did not keep it next to the package's JS: a folder (ending in "/")
   * holding ja_rerank_<build>_bg.wasm, one .wasm file's URL (with `build` set to match), or its bytes / a compiled module. */
  wasm?: string | URL | BufferSource | WebAssembly.Module;
}

/** Picks a build for this engine and page and loads it (the first call decides; Reranker.load and
 * rerank() call it themselves). Resolves to the build and the reason it was picked. */
export default function init(options?: InitOptions | string | URL): Promise<{ name: BuildName; reason: string }>;

/** What the choice of build reads from the engine and page. */
export interface Features {
  simd: boolean;
  relaxedSimd: boolean;
  crossOriginIsolated: boolean;
  worker: boolean;
  webgpu: boolean;
  node: boolean;
  /** Whether the package's files are served as published (not bundled): wasm threads need it. */
  asPublished: boolean;
}
export function detectFeatures(): Features;
/** The build init() would pick for these options (throws a RerankerError for a forced build the engine lacks). */
export function chooseBuild(options?: InitOptions & { threads?: number }, features?: Features): { name: BuildName; reason: string };

/** Starts the threads build's pool of `threads` workers (that build only; RerankerWorker calls it itself). */
export function initThreads(threads: number): Promise<void>;
