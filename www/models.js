// The models the demo offers: those of small-v1's comparison table (and the v2 family) that
// ja-rerank runs, with what a first visit downloads. Sizes are the real repositories' files as
// their shapes make them (config.json × 4 bytes per f32 weight; tokenizer.json as published for
// XLM-R, as the stand-in's for the v2 family);
// "first" is what the page fetches before its first result with the word embeddings read on
// demand (every tensor but that table, the tokenizer, a few MB of rows; for the BERT-ja models
// also the 20.9 MB MeCab dictionary the package ships). README, "Models".
export const MODELS = [
  { id: "hotchpotch/japanese-reranker-cross-encoder-xsmall-v1", label: "xsmall-v1 · XLM-R 6 × 384", whole: 428e6, first: 63e6 },
  { id: "hotchpotch/japanese-reranker-cross-encoder-small-v1", label: "small-v1 · XLM-R 12 × 384", whole: 471e6, first: 106e6 },
  { id: "hotchpotch/japanese-reranker-cross-encoder-base-v1", label: "base-v1 · BERT 12 × 768 + MeCab", whole: 445e6, first: 369e6 },
  { id: "hotchpotch/japanese-reranker-cross-encoder-large-v1", label: "large-v1 · BERT 24 × 1024 + MeCab", whole: 1350e6, first: 1241e6 },
  { id: "hotchpotch/japanese-bge-reranker-v2-m3-v1", label: "japanese-bge-reranker-v2-m3-v1 · XLM-R 24 × 1024", whole: 2271e6, first: 1268e6 },
  { id: "BAAI/bge-reranker-v2-m3", label: "bge-reranker-v2-m3 · XLM-R 24 × 1024", whole: 2271e6, first: 1268e6 },
  { id: "hotchpotch/japanese-reranker-tiny-v2", label: "tiny-v2 · ModernBERT 3 × 256", whole: 118e6, first: 20e6 },
  { id: "hotchpotch/japanese-reranker-xsmall-v2", label: "xsmall-v2 · ModernBERT 10 × 256", whole: 147e6, first: 49e6 },
  { id: "hotchpotch/japanese-reranker-small-v2", label: "small-v2 · ModernBERT", whole: null, first: null },
  { id: "hotchpotch/japanese-reranker-base-v2", label: "base-v2 · ModernBERT", whole: null, first: null },
];

/** A first visit above this asks before it downloads. */
export const CONFIRM_BYTES = 1e9;

const size = (b) => (b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : `${Math.round(b / 1e6)} MB`);

/** The table's entry for `model`, or null for one it does not list (a mirror, a local folder). */
export const modelInfo = (model) => MODELS.find((m) => m.id === model) ?? null;

/** "first visit ~X (whole file Y)" for a listed model with known sizes, else "". */
export function sizeText(model) {
  const m = modelInfo(model);
  return m?.first ? `初回 ~${size(m.first)} (ファイル全体 ${size(m.whole)}) · first visit ~${size(m.first)} (whole file ${size(m.whole)})` : "";
}

/** Whether loading `model` from the Hub needs a confirmation first (a multi-GB first visit). */
export const needsConfirm = (model) => (modelInfo(model)?.first ?? 0) > CONFIRM_BYTES;
