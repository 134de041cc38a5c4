// Number and table formatting shared by bench/report.mjs and bench/report-v2.mjs.
export const f2 = (x) => (x == null || !Number.isFinite(x) ? "–" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
export const mib = (b) => (b == null ? "n/a" : `${(b / 2 ** 20).toFixed(0)} MiB`);
export const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
export const sec = (ms) => (ms == null ? "–" : `${(ms / 1000).toFixed(1)} s`);
export const sigmoid = (x) => 1 / (1 + Math.exp(-x));
export const maxAbsDiff = (a, b) => (a && b ? Math.max(...a.slice(0, Math.min(a.length, b.length)).map((x, i) => Math.abs(x - b[i]))) : null);
export const exp = (x) => (x == null ? "–" : x.toExponential(1));
export const table = (head, rows) => [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

// Tokens a length-sorted plan of `batch` pairs feeds, padding included (ja-rerank's plan).
export function planned(lengths, batch) {
  const sorted = [...lengths].sort((a, b) => b - a);
  let fed = 0;
  for (let i = 0; i < sorted.length; i += batch) fed += sorted[i] * Math.min(batch, sorted.length - i);
  return fed;
}

export function firstDifference(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}
