// First visits: bytes over the network and time to the first result, ja-rerank with word-embedding
// rows on demand (rows: "lazy", the default) against the whole file (rows: "eager") and
// transformers.js q8, each in a fresh browser profile (empty Cache Storage), served as a CDN
// serves them (tools/serve.mjs --gzip: JSON, JS and wasm gzipped; safetensors and ONNX not).
// The model is the spread stand-in (fixtures/spread: small-v1's shape, its tokenizer's pieces
// spread over all 250,002 ids as a real vocabulary spreads them); transformers.js reads the ONNX
// export of fixtures/full, the same shape and sizes. Bytes are counted by Chromium (CDP Network),
// compressed as sent and decoded; "model" bytes are the Hub files, "code" the package files.
//
//   node bench/first-visit.mjs [--quick]    prints the results as JSON on stdout, progress on stderr
//                                          (bench/run.mjs calls firstVisits)
//   node bench/first-visit.mjs --hub [--before PKG_DIR] [--quick] [--session-only] [--markdown FILE]
//                                          the same on a server that behaves like the Hub, over
//                                          HTTP/2 (hubVisits; bench/run.mjs calls it too)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "../tools/serve.mjs";
import { BM25 } from "../www/bm25.js";
import { hubSection } from "./report-hub.mjs";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const BENCH = join(ROOT, "bench");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
// Chromium's network emulation: 50 Mbit/s down and up, 20 ms added latency.
export const THROTTLE = { offline: false, latency: 20, downloadThroughput: 50e6 / 8, uploadThroughput: 50e6 / 8 };

// The demo's six example queries and fourteen more of the same kind; each reranks the demo
// collection's BM25 top 30, as the demo does by default.
const DEMO_QUERIES = [
  "ディレクトリの中身を一覧表示したい", "プロセスを強制終了する", "ファイルシステムをマウントする", "パスワードの有効期限",
  "ネットワークインターフェースの設定", "圧縮ファイルを展開する", "ファイルの所有者を変更する", "ディスクの空き容量を調べる",
  "環境変数を表示する", "シンボリックリンクを作成する", "ユーザーをグループに追加する", "テキストファイルの行数を数える",
  "実行中のプロセスの一覧", "ファイルのアクセス権を変更する", "時刻を設定する", "ファイルを検索する",
  "共有ライブラリの依存関係を表示する", "カーネルモジュールを読み込む", "ログファイルの末尾を表示する", "文字コードを変換する",
];

export function demoCalls(topN = 30) {
  const { documents } = JSON.parse(readFileSync(join(ROOT, "www/data/collection.json"), "utf8"));
  // As www/app.js: BM25 over the passages, the cross-encoder reading command, summary, passage.
  const bm25 = new BM25(documents.map((d) => `${d.title} ${d.summary} ${d.text}`));
  const passage = (d) => `${d.title.replace(/\([^)]*\)$/, "")}: ${d.summary}\n${d.text}`;
  return DEMO_QUERIES.map((query) => bm25.search(query, topN).hits.map((h) => ({ query, passage: passage(documents[h.index]) })));
}

const readPairs = (file) => readFileSync(join(ROOT, file), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));

/** The workloads: each a list of calls (the first one is the "first result"). */
export function workloads() {
  return [
    { id: "128", label: "32 pairs ~128 tokens", calls: [readPairs("fixtures/bench/pairs-128.jsonl")] },
    { id: "256", label: "32 pairs ~256 tokens", calls: [readPairs("fixtures/bench/pairs-256.jsonl")] },
    { id: "jacwir", label: "JaCWIR-like, 100 pairs", calls: [readPairs("bench/data/pairs-jacwir.jsonl")] },
    { id: "demo", label: "demo: 20 queries × BM25 top 30", calls: demoCalls() },
  ];
}

/** Counts the bytes a page receives, by kind, from CDP Network events (`cdn`: the Hub-like server's CDN origin). */
async function meter(page, context, cdn = null) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const urls = new Map();
  const totals = { model: { sent: 0, decoded: 0, requests: 0 }, code: { sent: 0, decoded: 0, requests: 0 } };
  const kind = (url) => (/\/hub(like)?\/|\/models\//.test(url) || (cdn && url.startsWith(cdn)) ? "model" : "code");
  cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
  cdp.on("Network.dataReceived", (e) => urls.has(e.requestId) && (totals[kind(urls.get(e.requestId))].decoded += e.dataLength));
  cdp.on("Network.loadingFinished", (e) => {
    const url = urls.get(e.requestId);
    if (!url) return;
    totals[kind(url)].sent += e.encodedDataLength;
    totals[kind(url)].requests += 1;
  });
  return {
    cdp,
    snapshot: () => JSON.parse(JSON.stringify(totals)),
    reset: () => Object.values(totals).forEach((t) => Object.assign(t, { sent: 0, decoded: 0, requests: 0 })),
  };
}

export async function scenario({
  origin, runtime, rows, calls, throttle, secondVisit, log, int8 = false, model = null, onnx = "stand-in/full",
  hubUrl = `${origin}/hub`, pkgUrl = "/pkg", build = undefined, tjsRemote = null, cdn = null, tolerate = false,
}) {
  const profile = mkdtempSync(join(tmpdir(), "ja-rerank-first-visit-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    // --ignore-certificate-errors: the HTTP/2 server's certificate is self-signed (tools/serve.mjs --http2).
    args: ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--ignore-certificate-errors"],
    ignoreHTTPSErrors: true,
  });
  const visit = async () => {
    const page = await context.newPage();
    const m = await meter(page, context, cdn);
    if (throttle) await m.cdp.send("Network.emulateNetworkConditions", THROTTLE);
    await page.goto(`${origin}/bench.html`);
    await page.waitForFunction(() => window.benchReady);
    m.reset(); // the page itself is not the library
    const t0 = await page.evaluate(() => performance.now());
    const load = runtime === "ja-rerank"
      ? await page.evaluate((o) => window.bench.loadJaRerank(o), {
          pkgUrl, hubUrl, model: model ?? (int8 ? "stand-in/spread-int8" : "stand-in/spread"), backend: "cpu", batchSize: 4, rows,
          revision: "main", precision: int8 ? "int8" : undefined, build,
        })
      : await page.evaluate((o) => window.bench.loadTransformersJs(o), { tjsUrl: "/tjs/transformers.min.js", ortUrl: `${origin}/ort/`, modelsUrl: "/models/", model: onnx, dtype: "q8", numThreads: 1, remoteHost: tjsRemote });
    const first = await page.evaluate((o) => window.bench.time(o), { pairs: calls[0], warmup: 0, runs: 1 });
    const firstResultMs = (await page.evaluate(() => performance.now())) - t0;
    const atFirst = m.snapshot();
    const cumulative = [atFirst];
    let failed = null; // with `tolerate`: the first later call that failed, and why
    for (const [i, pairs] of calls.slice(1).entries()) {
      try {
        await page.evaluate((o) => window.bench.time(o), { pairs, warmup: 0, runs: 1 });
      } catch (error) {
        if (!tolerate) throw error;
        failed = { call: i + 2, error: String(error.message).split("\n")[0] };
        break;
      }
      cumulative.push(m.snapshot());
    }
    const info = load.info ?? null;
    await page.close();
    return {
      firstResultMs, loadMs: load.totalMs, firstCallMs: first.timesMs[0], atFirst, cumulative, scores: first.scores, failed,
      info: info && { rows: info.rows, rowsReason: info.rowsReason, rowRequests: info.rowRequests, rowBytesFetched: info.rowBytesFetched, rowsHeld: info.rowsHeld, requests: info.requests, commitPinnedBy: info.commitPinnedBy },
    };
  };
  try {
    const first = await visit();
    const second = secondVisit ? await visit() : null;
    log?.(`first visit ${runtime}${model ? ` ${model}` : ""}${int8 ? " int8" : ""}${rows ? ` rows ${rows}` : ""}${throttle ? " (50 Mbit/s, 20 ms)" : ""}: first result in ` +
      `${(first.firstResultMs / 1000).toFixed(1)} s, model ${(first.atFirst.model.sent / 1e6).toFixed(1)} MB, code ${(first.atFirst.code.sent / 1e6).toFixed(1)} MB sent` +
      (second ? `; second visit: model ${second.atFirst.model.sent} bytes` : ""));
    return { first, second };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** What the benchmark page needs served: the package(s), ORT-web, transformers.js, the ONNX exports, the page. */
function pageMounts(pkg, extra = []) {
  return [
    ["/pkg/", pkg],
    ...extra,
    ["/ort/", join(BENCH, "node_modules/onnxruntime-web/dist")],
    ["/tjs/", join(BENCH, "node_modules/@huggingface/transformers/dist")],
    ["/models/", join(BENCH, "models")],
    ["/", join(BENCH, "page")],
  ].sort((a, b) => b[0].length - a[0].length); // longest prefix first
}

/**
 * Runs every first-visit measurement. `pkg`: the package folder to serve (bench/run.mjs passes its
 * snapshot). Returns plain data for bench/report.mjs.
 */
export async function firstVisits({ pkg = join(ROOT, "pkg"), log = console.log, quick = false } = {}) {
  const server = await startServer({
    port: 0, hub: true, gzip: true,
    mounts: pageMounts(pkg),
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const out = { throttle: THROTTLE, workloads: [], throttled: [] };
  try {
    const all = workloads(); // reads the pair files and runs the demo's BM25 once
    for (const w of all) {
      const calls = quick ? w.calls.slice(0, 3).map((c) => c.slice(0, 8)) : w.calls;
      const lazy = await scenario({ origin, runtime: "ja-rerank", rows: "lazy", calls, secondVisit: true, log });
      const eager = await scenario({ origin, runtime: "ja-rerank", rows: "eager", calls: calls.slice(0, 1), log });
      // small-v1's shape converted to int8 (`ja-rerank convert`), computed in int8: the smallest first visit.
      const lazyInt8 = await scenario({ origin, runtime: "ja-rerank", rows: "lazy", calls: calls.slice(0, 1), int8: true, log });
      const same = lazy.first.scores.every((s, i) => Object.is(s, eager.first.scores[i]));
      out.workloads.push({ id: w.id, label: w.label, calls: calls.length, pairs: calls.flat().length, lazy, eager, lazyInt8, bitIdentical: same });
    }
    // Time to the first result on a throttled network: the ~128-token workload.
    const calls = [quick ? all[0].calls[0].slice(0, 8) : all[0].calls[0]];
    for (const [runtime, rows, int8] of [["ja-rerank", "lazy"], ["ja-rerank", "eager"], ["ja-rerank", "lazy", true], ["transformers.js q8", null]]) {
      const r = await scenario({ origin, runtime: runtime === "ja-rerank" ? runtime : "transformers.js", rows, calls, throttle: true, log, int8 });
      out.throttled.push({ runtime, rows, int8: !!int8, ...r.first });
    }
    // The v2 rerankers' shapes (ModernBERT stand-ins): bytes to the first result of the same call,
    // unthrottled. Their stand-in tokenizer's pieces sit at ids 0–5,996 (not spread), so rows on
    // demand take fewer requests than a real vocabulary's would; the bytes per row are the same.
    out.v2 = {};
    for (const m of ["tiny-v2", "xsmall-v2"]) {
      out.v2[m] = [];
      for (const [runtime, rows, int8] of [["ja-rerank", "lazy", true], ["ja-rerank", "lazy", false], ["ja-rerank", "eager", false], ["transformers.js q8", null]]) {
        const model = int8 ? `stand-in/${m}-int8` : `stand-in/${m}`;
        const r = await scenario({ origin, runtime: runtime === "ja-rerank" ? runtime : "transformers.js", rows, calls, log, int8, model, onnx: `stand-in/${m}` });
        out.v2[m].push({ runtime, rows, int8: !!int8, ...r.first, scores: undefined });
      }
    }
  } finally {
    server.close();
  }
  return out;
}

/**
 * First visits on a server that behaves like huggingface.co (tools/hub-like.mjs, over HTTP/2 with its
 * CDN on a second origin: /resolve/ answers large files 302 to signed URLs, a resolver quota), each
 * measurement a tenant of its own, so the server's counts are that measurement's:
 * - time and bytes to the first result (32 pairs of ~128 tokens) at 50 Mbit/s + 20 ms, small-v1's
 *   shape (the spread stand-in; transformers.js reads the ONNX export of fixtures/full, the same
 *   shape) and tiny-v2's: f32 as published and an int8 file, rows on demand, against
 *   transformers.js q8 loading from the same server; and the resolver requests of each;
 * - the request economy of a session: a load and the demo's 20 calls (BM25 top 30 each), spread
 *   stand-in, f32, rows on demand, unthrottled — by this package and, where `before` names one, by
 *   an earlier package (its `build`), which sent every row request to /resolve/.
 */
export async function hubVisits({ pkg = join(ROOT, "pkg"), before = null, beforeBuild = "cpu-simd", log = console.log, quick = false, sessionOnly = false } = {}) {
  const server = await startServer({
    port: 0, hub: true, gzip: true, http2: true, hubRoots: [join(BENCH, "models")],
    mounts: pageMounts(pkg, before ? [["/pkg-before/", before]] : []),
  });
  const origin = `https://127.0.0.1:${server.address().port}`;
  const cdn = `https://127.0.0.1:${server.cdn.address().port}`;
  const counts = (tenant) => Object.fromEntries(server.hubLike.tenant(tenant).stats);
  let n = 0;
  const tenant = (what) => `${what}-${Date.now()}-${n++}`;
  const out = { throttle: THROTTLE, protocol: "HTTP/2 (TLS, self-signed)", first: [], session: [] };
  try {
    const all = workloads();
    const calls = [quick ? all[0].calls[0].slice(0, 8) : all[0].calls[0]];
    for (const m of sessionOnly ? [] : ["spread", "tiny-v2"]) {
      for (const [runtime, int8] of [["ja-rerank", false], ["ja-rerank", true], ["transformers.js q8", false]]) {
        const t = tenant(`first-${m}`);
        const hubUrl = `${origin}/hublike/${t}`;
        const r = await scenario({
          origin, hubUrl, cdn, runtime: runtime === "ja-rerank" ? runtime : "transformers.js", rows: "lazy", calls, throttle: true, log, int8,
          model: `stand-in/${m}${int8 ? "-int8" : ""}`, onnx: m === "spread" ? "stand-in/full" : `stand-in/${m}`, tjsRemote: `${hubUrl}/`,
        });
        out.first.push({ model: m, runtime, int8, ...r.first, scores: undefined, served: counts(t) });
      }
    }
    const session = quick ? all[3].calls.slice(0, 3) : all[3].calls;
    for (const [label, pkgUrl, build] of [...(before ? [["before", "/pkg-before", beforeBuild]] : []), ["now", "/pkg", undefined]]) {
      const t = tenant(`session-${label}`);
      const r = await scenario({ origin, hubUrl: `${origin}/hublike/${t}`, cdn, runtime: "ja-rerank", rows: "lazy", calls: session, log, pkgUrl, build, model: "stand-in/spread", tolerate: true });
      out.session.push({ label, calls: session.length, pairs: session.flat().length, ...r.first, scores: undefined, served: counts(t) });
      log(`hub-like session (${label}): ${JSON.stringify(counts(t))}`);
    }
  } finally {
    server.close();
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url) && process.argv.includes("--hub")) {
  const at = process.argv.indexOf("--before");
  const before = at > 0 ? resolve(process.argv[at + 1]) : null;
  const results = await hubVisits({ before, quick: process.argv.includes("--quick"), sessionOnly: process.argv.includes("--session-only"), log: (m) => console.error(m) });
  const md = process.argv.indexOf("--markdown");
  if (md > 0) {
    const lines = [];
    const p = (...l) => lines.push(...l);
    p(`# First visits on a Hub-like server`, "", `Written by \`node bench/first-visit.mjs ${process.argv.slice(2).join(" ")}\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
      `(${cpus()[0]?.model}, ${cpus().length} cores; ${execFileSync(CHROMIUM, ["--version"], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim()}). Do not edit by hand: rerun it.`, "");
    hubSection(results, p, "##");
    writeFileSync(process.argv[md + 1], lines.join("\n"));
  }
  console.log(JSON.stringify(results, (k, v) => (k === "scores" ? undefined : v), 1));
} else if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const results = await firstVisits({ quick: process.argv.includes("--quick"), log: (m) => console.error(m) });
  console.log(JSON.stringify(results, (k, v) => (k === "scores" ? undefined : v), 1));
}
