// Compiled with `tsc --noEmit --strict`: the package's declarations describe the API as used.
import init, { Reranker, rerank, chooseBuild, type Ranked, type LoadOptions, type RerankerInfo, type BuildName } from "ja-rerank";
import { RerankerWorker } from "ja-rerank/worker";

export async function example(): Promise<number> {
  const chosen: { name: BuildName; reason: string } = await init({ build: "auto", backend: "cpu" });
  const would: BuildName = chooseBuild({ backend: "webgpu" }).name;
  const options: LoadOptions = { model: "m", backend: "auto", cache: true, onProgress: (e) => console.log(e.file, e.loaded, e.total) };
  const r: Reranker = await Reranker.load(options);
  const backend: "webgpu" | "cpu" = r.backend;
  const ranked: Ranked[] = await r.rerank("q", ["a", "b"], { topK: 1, returnDocuments: true });
  const scores: number[] = await r.score([["q", "a"]]);
  const info: RerankerInfo = r.info;
  const build: "simd" | "relaxed" | "cpu-simd" | "cpu-relaxed" | "threads" = info.build.name;
  r.dispose();
  const w = await RerankerWorker.load({ model: "m", threads: 2, build: "simd", onBackendChange: (e) => console.log(e.from, e.to) });
  const workers: number = (await w.ready()) + w.workers;
  const viaWorker: Ranked[] = await w.rerank("q", ["a"], { signal: new AbortController().signal });
  const defaultRanked: Ranked[] = await rerank("q", ["a"], { topK: 1 });
  return ranked[0].index + scores[0] + info.loadMs + viaWorker.length + defaultRanked.length + workers + chosen.reason.length + would.length + build.length + (backend === "cpu" ? 0 : 1);
}
