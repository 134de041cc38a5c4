// A consumer app, as a web developer would write it: imports the installed "ja-rerank" package
// (the main entry and the worker client) and exposes one function for the test to call.
import init, { Reranker } from "ja-rerank";
import { RerankerWorker } from "ja-rerank/worker";

const documents = [
  "rm はファイルやディレクトリを削除する。",
  "ls はディレクトリの内容を一覧表示する。",
  "passwd はユーザーのパスワードを変更する。",
  "猫の飼い方について説明する。",
];
const query = "ディレクトリのファイル一覧を表示する";

window.runPackageTest = async ({ hubUrl, model, webgpu, pairs }) => {
  const out = { hardwareConcurrency: navigator.hardwareConcurrency, deviceMemory: navigator.deviceMemory ?? null };
  out.init = await init({ backend: "cpu" });
  const direct = await Reranker.load({ hubUrl, model, backend: "cpu" });
  out.directBuild = direct.info.build;
  out.instance = direct instanceof Reranker;
  out.direct = await direct.rerank(query, documents, { returnDocuments: true });
  out.directScores = await direct.score(documents.map((d) => [query, d]));
  out.reference = await direct.score(pairs);
  // One build per page: asking for another is a typed error, and the reranker still works.
  const other = out.directBuild.name === "simd" ? "relaxed" : "simd";
  out.otherBuild = await Reranker.load({ hubUrl, model, build: other }).then(() => "resolved", (e) => e.code);
  out.badBuild = await Reranker.load({ hubUrl, model, build: "fastest" }).then(() => "resolved", (e) => e.code);
  out.afterBuildErrors = (await direct.score(pairs.slice(0, 2))).length;

  // A load can be stopped: the worker is terminated and the promise rejects.
  const stopLoad = new AbortController();
  const loading = RerankerWorker.load({ hubUrl, model, backend: "cpu", signal: stopLoad.signal });
  stopLoad.abort();
  out.loadAbort = await loading.then(() => "resolved", (e) => e.code);

  const progress = [];
  const worker = await RerankerWorker.load({ hubUrl, model, backend: "cpu", onProgress: (e) => progress.push(e) });
  out.workerBackend = worker.backend;
  out.workerBuild = worker.info.build;
  out.worker = await worker.rerank(query, documents, { returnDocuments: true });
  // The default `threads` on a page without cross-origin isolation: more workers, each its own
  // instance; the reference pairs are split over them.
  out.workers = await worker.ready();
  out.workerReference = await worker.score(pairs);
  out.progressFiles = [...new Set(progress.map((e) => e.file))];
  out.progressComplete = progress.filter((e) => e.loaded === e.total).map((e) => e.file);

  // Cancellation between batches: many documents, batch size 4, aborted right away.
  const controller = new AbortController();
  const many = Array.from({ length: 400 }, (_, i) => `文書 ${i} ${documents[i % documents.length]}`);
  const pending = worker.rerank(query, many, { signal: controller.signal });
  controller.abort();
  out.abort = await pending.then(() => "resolved", (e) => e.code);
  // Bad input comes back as a typed error; the worker stays usable.
  out.badInput = await worker.rerank("", documents).then(() => "resolved", (e) => e.code);
  out.afterErrors = (await worker.rerank(query, documents)).length;
  worker.dispose();
  out.disposed = await worker.rerank(query, documents).then(() => "resolved", (e) => e.code);

  // The plain-SIMD build (what Safari gets) in the same engine, forced: scores as the others.
  const simd = await RerankerWorker.load({ hubUrl, model, backend: "cpu", build: "simd", threads: 1 });
  out.simdBuild = simd.info.build;
  out.simdReference = await simd.score(pairs);
  simd.dispose();

  if (webgpu) {
    const gpu = await RerankerWorker.load({ hubUrl, model, backend: "webgpu" });
    out.gpuBackend = gpu.backend;
    out.gpuBuild = gpu.info.build.name;
    out.gpuAdapter = gpu.info.adapter;
    out.gpu = await gpu.rerank(query, documents);
    gpu.dispose();
  }
  document.getElementById("status").textContent = "done";
  return out;
};
document.getElementById("status").textContent = "ready";
