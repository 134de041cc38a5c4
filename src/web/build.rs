//! Which build of the package this module is, for `reranker.info.build`. The npm package ships
//! several builds of this crate (scripts/build-package.sh) and its loader (js/index.js) picks
//! one per page before any Rust runs; the build's name and features are known here at compile
//! time, the loader's reason for choosing it is handed over once after instantiation.

use std::cell::RefCell;

use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_BUILD: &'static str = r#"
/** The build of ja-rerank this reranker runs on (see the package README, "Builds"). */
export type BuildName = "simd" | "relaxed" | "cpu-simd" | "cpu-relaxed" | "threads";

export interface BuildInfo {
  /** "simd": WebGPU + CPU, wasm SIMD (every engine); "relaxed": WebGPU + CPU with relaxed-SIMD multiply-adds;
   * "cpu-simd", "cpu-relaxed": the same without WebGPU (a quarter of the size); "threads": CPU only, wasm threads +
   * relaxed SIMD. */
  name: BuildName;
  /** Why the loader picked it ("asked for", or what the engine and page offer); null when the module was loaded directly. */
  reason: string | null;
  webgpu: boolean;
  relaxedSimd: boolean;
  /** Threads that share the CPU work (1 unless the threaded build runs its pool). */
  threads: number;
}
"#;

pub const NAME: &str = match (cfg!(feature = "threads"), cfg!(feature = "webgpu"), cfg!(feature = "relaxed-simd")) {
    (true, _, _) => "threads",
    (false, true, true) => "relaxed",
    (false, true, false) => "simd",
    (false, false, true) => "cpu-relaxed",
    (false, false, false) => "cpu-simd",
};

thread_local! {
    static REASON: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Called by the package's loader (js/index.js) after it instantiated this build.
#[wasm_bindgen(js_name = __setBuildReason, skip_typescript)]
pub fn set_reason(reason: String) {
    REASON.with(|r| *r.borrow_mut() = Some(reason));
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildReport {
    name: &'static str,
    reason: Option<String>,
    webgpu: bool,
    relaxed_simd: bool,
    threads: usize,
}

pub fn report() -> BuildReport {
    BuildReport {
        name: NAME,
        reason: REASON.with(|r| r.borrow().clone()),
        webgpu: cfg!(feature = "webgpu"),
        relaxed_simd: cfg!(feature = "relaxed-simd"),
        threads: crate::parallel::threads(),
    }
}
