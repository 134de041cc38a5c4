// The Hub-like server's section of BENCHMARKS.md (bench/first-visit.mjs, hubVisits), also written
// alone by `node bench/first-visit.mjs --hub --markdown FILE`.
import { mb, sec, table } from "./format.mjs";

export function hubSection(hv, p, heading = "##") {
  p(`${heading} On a server that behaves like the Hub (HTTP/2, redirects to a CDN, rate limits)`, "");
  p("`bench/first-visit.mjs --hub`: `tools/hub-like.mjs` over HTTP/2 (TLS; `tools/serve.mjs --http2`), which answers `/resolve/`",
    "as huggingface.co does — small files directly with `X-Repo-Commit`, large ones (safetensors, ONNX) with a 302 to a signed,",
    "expiring, content-addressed URL on a second origin (its CDN) — and counts what it is asked: **resolver** requests (every",
    "`/resolve/` URL: the Hub's rate-limited bucket, 3,000 per 5 minutes per IP for anonymous users), **CDN** requests (the",
    "signed URLs) and API requests. A fresh browser profile and a fresh server tenant per row; Chromium's network emulation at",
    `${hv.throttle.downloadThroughput * 8 / 1e6} Mbit/s and ${hv.throttle.latency} ms; 32 pairs of ~128 tokens. **Stand-ins**: the spread stand-in`,
    "(small-v1's shape; transformers.js reads the ONNX export of `fixtures/full`, the same shape) and tiny-v2's; \"int8 file\" =",
    "`ja-rerank convert --dtype int8` loaded with `precision: \"int8\"`; ja-rerank reads rows on demand (the default).", "");
  const tjs = (m) => hv.first.find((r) => r.model === m && r.runtime !== "ja-rerank");
  p(table(["model (stand-in)", "runtime", "first result", "÷ transformers.js q8", "of which: load", "first call", "sent: model", "sent: code",
    "resolver requests", "CDN requests"], hv.first.map((r) => [
    r.model === "spread" ? "small-v1 shape (spread)" : r.model,
    r.runtime === "ja-rerank" ? `ja-rerank ${r.int8 ? "int8 file" : "f32 as published"}` : r.runtime,
    sec(r.firstResultMs), (r.firstResultMs / tjs(r.model).firstResultMs).toFixed(2), sec(r.loadMs), sec(r.firstCallMs),
    mb(r.atFirst.model.sent), mb(r.atFirst.code.sent), r.served.resolver ?? 0, r.served.cdn ?? 0])), "");
  const before = hv.session.some((r) => r.label === "before");
  p("A session as the demo page runs it (a load, then 20 queries, each reranking BM25's top 30 of the demo collection; the spread",
    "stand-in, f32, rows on demand, unthrottled), counted by the server" + (before
      ? "; \"before\" is the package as it was before it sent rows to the final URL (commit bd97596, its `cpu-simd` build):" : ":"), "");
  p(table(["package", "calls", "pairs", "calls that worked", "resolver requests", "CDN requests", "API requests", "429s", "sent: model"], hv.session.map((r) => [
    r.label, r.calls, r.pairs, r.failed ? `${r.failed.call - 1}; call ${r.failed.call}: ${r.failed.error.replace(/^page.evaluate: /, "").replace(/https?:\/\/\S+: /, "")}` : `all ${r.calls}`,
    r.served.resolver ?? 0, r.served.cdn ?? 0, r.served.api ?? 0, r.served["429"] ?? 0, mb(r.cumulative.at(-1).model.sent)])), "");
  p("The quota is the Hub's anonymous one (3,000 resolver requests per 5-minute window per IP), enforced by the server as the Hub",
    "does: a window from its first request, then 429 with `RateLimit: \"resolvers\";r=0;t=<seconds>` until it ends.", "");
}
