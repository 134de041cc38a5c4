// The v2 rerankers' section of BENCHMARKS.md: the ModernBERT stand-ins at the shapes of
// japanese-reranker-tiny-v2 and -xsmall-v2 (bench/run.mjs's configurations with a `family`),
// each against transformers.js on its own ONNX export, next to small-v1's shape.
import { exp, f2, firstDifference, maxAbsDiff, mb, mean, mib, sec, table } from "./format.mjs";

const SHAPES = {
  "tiny-v2": "tiny-v2 (ModernBERT 3 × 256, vocab 102,400, 29.4 M parameters)",
  "xsmall-v2": "xsmall-v2 (ModernBERT 10 × 256, 36.8 M)",
};

export function v2Section(R, p, { W, byId, smallV1 }) {
  const all = R.browser.configs ?? [];
  const models = Object.keys(SHAPES).filter((m) => all.some((c) => c.family === m));
  if (!models.length) return;
  const m = (id, w) => byId[id]?.measurements?.[w];
  p("## The v2 rerankers' shapes: tiny-v2 and xsmall-v2 (ModernBERT stand-ins)", "");
  p("The same pairs through **full-size ModernBERT stand-ins** (random weights at the exact shapes of",
    "`hotchpotch/japanese-reranker-tiny-v2` and `-xsmall-v2`: hidden 256, 4 heads, GeGLU 1,024, a 128-token local window on two",
    "layers of three; `tools/fixtures/make_modernbert_full.py`), as safetensors for ja-rerank (int8: `ja-rerank convert --dtype int8`)",
    "and exported to ONNX by the same `bench/export_onnx.py` (fp32 and q8) for transformers.js, configured and timed as above",
    "(the rows of one ratio side by side, runs alternating). Their stand-in tokenizer (102,400 ids, 6,000 real pieces) splits",
    "this text into more tokens than small-v1's stand-in does: see *tokens/pair*. f32 on two threads is not run for these.", "");
  const rows = [];
  for (const model of models) {
    for (const c of all.filter((c) => c.family === model)) {
      const cells = c.skipped ? W.map(() => "not built") : c.error ? W.map(() => "failed")
        : W.map((w) => (c.measurements[w.id] ? `**${f2(c.measurements[w.id].pairsPerS)}**` : "–"));
      const ld = c.load ? `${sec(c.load.totalMs)} (${c.load.weightsFrom === "Cache Storage" ? "Cache Storage" : "network"})` : (c.error ?? "").slice(0, 80);
      rows.push([model, c.label, String(c.threads), ...cells, ld, mib(c.wasmMemory?.largestBytes)]);
    }
  }
  p(table(["shape", "runtime", "threads", ...W.map((w) => w.label), "load (weights from)", "wasm memory"], rows), "");

  p("Ratio ours / transformers.js, like with like, and each shape against small-v1's (the same runtime and threads):", "");
  const ratio = (a, b) => W.map((w) => {
    const x = m(a, w.id), y = m(b, w.id);
    return x && y && x.pairs === y.pairs ? `${(x.pairsPerS / y.pairsPerS).toFixed(2)}×` : "–";
  });
  const rrows = [];
  for (const model of models) {
    rrows.push([model, "ja-rerank f32, 1 thread / transformers.js fp32, numThreads 1", ...ratio(`${model}:ours-cpu-1t`, `${model}:tjs-fp32-1t`)]);
    rrows.push([model, "**ja-rerank int8, 1 thread / transformers.js q8, numThreads 1**", ...ratio(`${model}:ours-int8-1t`, `${model}:tjs-q8-1t`)]);
    rrows.push([model, "**ja-rerank int8, 1 thread, relaxed-SIMD build / transformers.js q8, numThreads 1**", ...ratio(`${model}:ours-int8-1t-relaxed`, `${model}:tjs-q8-1t`)]);
    rrows.push([model, "**ja-rerank int8, threads (2) / transformers.js q8, numThreads 2**", ...ratio(`${model}:ours-int8-2t`, `${model}:tjs-q8-2t`)]);
    rrows.push([model, `ja-rerank int8, relaxed-SIMD build, 1 thread: ${model} / small-v1's shape`, ...ratio(`${model}:ours-int8-1t-relaxed`, "ours-int8-1t-relaxed")]);
    rrows.push([model, `transformers.js q8, numThreads 1: ${model} / small-v1's shape`, ...ratio(`${model}:tjs-q8-1t`, "tjs-q8-1t")]);
  }
  p(table(["shape", "comparison", ...W.map((w) => w.label)], rrows), "");
  if (smallV1 && !smallV1.measurements) p("(small-v1's relaxed-SIMD row did not run, so its column is empty.)", "");

  p("Tokens and agreement: *tokens/pair* from Python `tokenizers` on the stand-in's `tokenizer.json` (ja-rerank's ids equal",
    "them: `tests/modernbert.rs`); transformers.js's ids as its tokenizer produced them in the page; max |Δscore| against",
    "ja-rerank f32 on the same shape in the same browser (PyTorch agreement: `bench/models/stand-in/NAME/export.json`, and the",
    "parity tests).", "");
  const trows = [];
  const unkPairs = [];
  for (const model of models) {
    const ref = (w) => m(`${model}:ours-cpu-1t`, w)?.scores;
    for (const w of W) {
      const t = R.tokensV2?.[model]?.[w.id]?.reference;
      if (!t) continue;
      const lens = t.map((x) => x.length);
      const tj = m(`${model}:tjs-fp32-1t`, w.id)?.tokens ?? m(`${model}:tjs-q8-1t`, w.id)?.tokens;
      const differ = tj ? tj.ids.map((ids, i) => i).filter((i) => firstDifference(tj.ids[i], t[i] ?? []) >= 0) : [];
      const bad = tj ? differ.length : null;
      // <unk> (id 0) where the reference spells the character in byte pieces (ids 15–270).
      const unkForBytes = differ.filter((i) => tj.ids[i].includes(0) && !t[i].includes(0) && t[i].some((id) => id >= 15 && id <= 270));
      if (unkForBytes.length) unkPairs.push(`${model} ${w.label}: ${unkForBytes.length}`);
      const agree = all.filter((c) => c.family === model && c.id !== `${model}:ours-cpu-1t` && c.measurements?.[w.id])
        .map((c) => `${c.id.split(":")[1]} ${exp(maxAbsDiff(c.measurements[w.id].scores, ref(w.id)))}`).join(", ");
      trows.push([model, w.label, `${mean(lens).toFixed(1)} (${Math.min(...lens)}–${Math.max(...lens)})`,
        bad == null ? "–" : bad === 0 ? "identical" : `${bad} of ${t.length} pairs differ`, agree || "–"]);
    }
  }
  p(table(["shape", "workload", "tokens/pair (min–max)", "transformers.js ids vs reference", "max \\|Δscore\\| vs ja-rerank f32"], trows), "");
  if (unkPairs.length)
    p(`**transformers.js tokenizes these differently** (${unkPairs.join("; ")} pairs): where a character is not in the vocabulary,`,
      "the reference (and ja-rerank) spell it in byte pieces (`byte_fallback: true` in the Unigram model, as the real v2",
      "tokenizers have it), transformers.js writes `<unk>` — its Unigram model has no byte fallback (4.3.1; its BPE model",
      "has one). Those pairs get different scores (the large Δscore above), and transformers.js feeds a few tokens fewer. The",
      "stand-in's 6,000 real pieces make such characters far more common than in the real 102k vocabulary, but rare kanji,",
      "emoji and symbols would still reach `<unk>` there.", "");

  const fv = R.firstVisit?.v2;
  if (fv) {
    p("**Bytes to the first result** (`bench/first-visit.mjs`: a fresh profile each, served as a CDN serves them, bytes as",
      "Chromium counts them; the first call is the ~128-token workload, 32 pairs; unthrottled). The stand-in tokenizer's real",
      "pieces sit at ids 0–5,996, so rows on demand need fewer requests than a real vocabulary's would; bytes per row are the",
      "same. The stand-in `tokenizer.json` is 5.6 MB raw (its padding pieces compress well; a real one would not).", "");
    const frows = [];
    for (const model of Object.keys(fv)) {
      for (const r of fv[model]) {
        const who = r.runtime === "ja-rerank" ? `ja-rerank${r.int8 ? " int8" : ""}, rows ${r.rows}` : r.runtime;
        frows.push([model, who, `**${mb(r.atFirst.model.sent + r.atFirst.code.sent)}**`, mb(r.atFirst.model.sent), mb(r.atFirst.code.sent),
          r.atFirst.model.requests, sec(r.firstResultMs)]);
      }
    }
    p(table(["shape", "runtime", "sent to the first result", "model", "code", "model requests", "first result (localhost)"], frows), "");
  }
}
