#!/usr/bin/env node
// A small HTTP server for the demo, the browser tests and the benchmarks. No dependencies.
//
//   node tools/serve.mjs [--port 8080] [--host 127.0.0.1] [--root DIR] [--mount /url=DIR ...] [--hub]
//                        [--cdn-port N] [--http2]
//
// --root / --mount   static files (index.html for directories)
// --hub              Hub layout at /hub/{org}/{name}/resolve/{revision}/{file}: the committed
//                    stand-ins as "stand-in/tiny", "stand-in/odd", "stand-in/ranker" (trained), "stand-in/mb-tiny" and
//                    "stand-in/mb-mean" (ModernBERT), and "stand-in/full" when
//                    fixtures/full exists ("stand-in/spread", "stand-in/xsmall-v1", "stand-in/large-m3" when
//                    fixtures/spread, xsmall-v1, large-m3 do; make_full.py). Any
//                    revision resolves. "stand-in/ranker-f16" and "stand-in/ranker-int8": the
//                    trained stand-in converted (`ja-rerank convert`) into target/compact/ (made
//                    by scripts/test.sh); "stand-in/full-int8" and "stand-in/spread-int8" likewise
//                    (made by bench/run.mjs). "stand-in/tiny-v2" and "stand-in/xsmall-v2": the
//                    full-size ModernBERT stand-ins (tools/fixtures/run make_modernbert_full.py),
//                    "-int8" their conversions (bench/run.mjs). Test repos with faults: "stand-in/truncated"
//                    (model.safetensors cut short of its Content-Length), "stand-in/broken"
//                    (HTTP 500); the org "no-range" ("no-range/tiny", ...) serves the same repos
//                    but ignores Range (200 with the whole body), as some servers do.
//                    "stand-in/bert-tiny", "stand-in/base-v1" and "stand-in/large-v1" (BERT-ja; base-v1
//                    also as "hotchpotch/japanese-reranker-cross-encoder-base-v1"; "-int8" their
//                    conversions, made by bench/models.mjs), their MeCab dictionary at
//                    /dictionary/unidic-lite.vibrato.zst (scripts/build-dictionary.sh).
//                    GET /__stats counts hub requests by path (and "<path> range" for ranged
//                    ones, "<path> bytes" for the bytes sent); POST /__stats/reset clears them;
//                    POST /__faults?drop=N cuts the next N ranged hub responses off halfway
//                    through their body (a network lost mid-call; a connection closed before
//                    any byte would be retried by the browser).
//                    Also, at /hublike/{tenant}/, the same repositories on a server that behaves like
//                    huggingface.co (tools/hub-like.mjs: redirects to signed, expiring URLs on a CDN at
//                    --cdn-port, default any free port; moving `main`; the resolver quota and 429s;
//                    X-Repo-Commit and ETag, exposed to CORS or not).
// --http2            HTTP/2 over TLS (HTTP/1.1 still answered) with a self-signed certificate made
//                    by openssl at start, on both origins, as the Hub's CDN speaks it; a browser
//                    needs --ignore-certificate-errors
// --no-ranges        ignore Range everywhere (answer 200 with the whole file)
// --gzip             gzip JSON, JavaScript, HTML, CSS and wasm for clients that accept it (not
//                    ranges, not safetensors), as a CDN serves them; for measuring first visits
// Files answer a single `Range: bytes=a-b` with 206 and Content-Range, as the Hub's CDN does; a
// multi-range request gets the whole file (200), also as the CDN does. Every response allows
// cross-origin reads (CORS, CORP; Content-Range exposed) and carries COOP/COEP, so pages are
// cross-origin isolated (needed for wasm threads) and may fetch from other local ports; a
// document asked for with `?isolated=0` comes without COOP/COEP (a page that is not).
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { createSecureServer } from "node:http2";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { HubLike } from "./hub-like.mjs";
import { gzipSync } from "node:zlib";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

export const HUB_REPOS = {
  "stand-in/tiny": join(ROOT, "fixtures/models/tiny"),
  "stand-in/odd": join(ROOT, "fixtures/models/odd"),
  "stand-in/ranker": join(ROOT, "fixtures/models/ranker"),
  "stand-in/mb-tiny": join(ROOT, "fixtures/models/mb-tiny"),
  "stand-in/mb-mean": join(ROOT, "fixtures/models/mb-mean"),
  "stand-in/ranker-f16": join(ROOT, "target/compact/ranker-f16"),
  "stand-in/ranker-int8": join(ROOT, "target/compact/ranker-int8"),
  "stand-in/full-int8": join(ROOT, "target/compact/full-int8"),
  "stand-in/spread-int8": join(ROOT, "target/compact/spread-int8"),
  "stand-in/tiny-v2": join(ROOT, "fixtures/tiny-v2"),
  "stand-in/xsmall-v2": join(ROOT, "fixtures/xsmall-v2"),
  "stand-in/tiny-v2-int8": join(ROOT, "target/compact/tiny-v2-int8"),
  "stand-in/xsmall-v2-int8": join(ROOT, "target/compact/xsmall-v2-int8"),
  "stand-in/full": join(ROOT, "fixtures/full"),
  "stand-in/xsmall-v1": join(ROOT, "fixtures/xsmall-v1"),
  "stand-in/large-m3": join(ROOT, "fixtures/large-m3"),
  "stand-in/large-m3-int8": join(ROOT, "target/compact/large-m3-int8"),
  "stand-in/xsmall-v1-int8": join(ROOT, "target/compact/xsmall-v1-int8"),
  "stand-in/spread": join(ROOT, "fixtures/spread"),
  // BERT-ja (BertJapaneseTokenizer: tokenizer_config.json + vocab.txt, no tokenizer.json): the
  // committed bert-tiny, and the full-size base-v1 stand-in (make_full.py --base-v1) also under
  // the real repository's name, so loading that name fetches what the real one would.
  "stand-in/bert-tiny": join(ROOT, "fixtures/models/bert-tiny"),
  "stand-in/base-v1": join(ROOT, "fixtures/base-v1"),
  "hotchpotch/japanese-reranker-cross-encoder-base-v1": join(ROOT, "fixtures/base-v1"),
  "stand-in/large-v1": join(ROOT, "fixtures/large-v1"),
  "stand-in/base-v1-int8": join(ROOT, "target/compact/base-v1-int8"),
  "stand-in/large-v1-int8": join(ROOT, "target/compact/large-v1-int8"),
  "stand-in/truncated": join(ROOT, "fixtures/models/tiny"),
  "stand-in/broken": join(ROOT, "fixtures/models/tiny"),
};

function parseArgs(argv) {
  const args = { port: 8080, host: "127.0.0.1", mounts: [], hub: false, ranges: true, gzip: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--port") args.port = Number(argv[++i]);
    else if (a === "--host") args.host = argv[++i];
    else if (a === "--root") args.mounts.push(["/", resolve(argv[++i])]);
    else if (a === "--mount") {
      const [url, dir] = argv[++i].split("=");
      args.mounts.push([url.endsWith("/") ? url : url + "/", resolve(dir)]);
    } else if (a === "--hub") args.hub = true;
    else if (a === "--no-ranges") args.ranges = false;
    else if (a === "--gzip") args.gzip = true;
    else if (a === "--cdn-port") args.cdnPort = Number(argv[++i]);
    else if (a === "--http2") args.http2 = true;
    else throw new Error(`unknown argument ${a}`);
  }
  // Longest mount first, so /pkg/ wins over /.
  args.mounts.sort((a, b) => b[0].length - a[0].length);
  return args;
}

function headers(extra = {}) {
  return {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Content-Length, Content-Type, Content-Range, Accept-Ranges",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cache-Control": "no-store",
    ...extra,
  };
}

// The byte range `[start, end]` (inclusive) a single-range `Range` header asks of a file of
// `size` bytes; null for no header or several ranges (answered with the whole file); "invalid"
// when it cannot be satisfied.
export function parseRange(header, size) {
  const m = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!m) return null;
  let [start, end] = [m[1], m[2]];
  if (start === "" && end === "") return "invalid";
  if (start === "") [start, end] = [Math.max(0, size - Number(end)), size - 1];
  else [start, end] = [Number(start), end === "" ? size - 1 : Math.min(Number(end), size - 1)];
  return start <= end && start < size ? [start, end] : "invalid";
}

const COMPRESSIBLE = new Set([".json", ".js", ".mjs", ".html", ".css", ".wasm"]);
const gzipped = new Map(); // path → { mtimeMs, body }

// The gzip body of `path`, compressed once per version of the file.
function gzipOf(path) {
  const { mtimeMs } = statSync(path);
  const hit = gzipped.get(path);
  if (hit?.mtimeMs === mtimeMs) return hit.body;
  const body = gzipSync(readFileSync(path), { level: 6 });
  gzipped.set(path, { mtimeMs, body });
  return body;
}

function sendFile(req, res, path, { truncate = false, ranges = true, gzip = false, count = () => {} } = {}) {
  const size = statSync(path).size;
  const type = TYPES[extname(path)] ?? "application/octet-stream";
  if (gzip && !req.headers.range && COMPRESSIBLE.has(extname(path)) && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
    const body = gzipOf(path);
    res.writeHead(200, headers({ "Content-Type": type, "Content-Encoding": "gzip", "Content-Length": body.length, Vary: "Accept-Encoding" }));
    count(body.length);
    return res.end(req.method === "HEAD" ? undefined : body);
  }
  const range = ranges ? parseRange(req.headers.range, size) : null;
  if (range === "invalid") {
    res.writeHead(416, headers({ "Content-Range": `bytes */${size}`, "Accept-Ranges": "bytes" }));
    return res.end();
  }
  const [start, end] = range ?? [0, size - 1];
  const length = end - start + 1;
  const status = range ? 206 : 200;
  const extra = { "Content-Type": type, "Content-Length": length, ...(ranges ? { "Accept-Ranges": "bytes" } : {}) };
  if (range) extra["Content-Range"] = `bytes ${start}-${end}/${size}`;
  res.writeHead(status, headers(extra));
  if (req.method === "HEAD") return res.end();
  count(truncate ? Math.floor(length / 2) : length);
  if (size === 0) return res.end();
  if (!truncate) return createReadStream(path, { start, end }).pipe(res);
  // Send half, then drop the connection: the client sees fewer bytes than promised.
  createReadStream(path, { start, end: start + Math.floor(length / 2) - 1 })
    .on("end", () => res.socket?.destroy())
    .pipe(res, { end: false });
}

function notFound(res, message = "not found") {
  res.writeHead(404, headers({ "Content-Type": "text/plain; charset=utf-8" }));
  res.end(message);
}

// A self-signed certificate for 127.0.0.1 and localhost, made once per process.
let certificate = null;
function selfSigned() {
  if (certificate) return certificate;
  const dir = mkdtempSync(join(tmpdir(), "ja-rerank-tls-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
  certificate = { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
  return certificate;
}

// An HTTP/1.1 server, or HTTP/2 over TLS that also answers HTTP/1.1.
const listener = (http2, handler) => (http2 ? createSecureServer({ ...selfSigned(), allowHTTP1: true }, handler) : createServer(handler));

export async function startServer(options) {
  const { port, host = "127.0.0.1", mounts = [], hub = false, ranges = true, gzip = false, cdnPort = 0, http2 = false, hubRoots = [] } = options;
  const scheme = http2 ? "https" : "http";
  const cdn = hub ? listener(http2, (req, res) => hubLike.handleCdn(req, res)) : null;
  const hubLike = new HubLike({ repos: HUB_REPOS, roots: hubRoots, cdnOrigin: () => `${scheme}://${host}:${cdn.address().port}` });
  if (cdn) await new Promise((done) => cdn.listen(cdnPort, host, done));
  const stats = new Map();
  const add = (key, n) => stats.set(key, (stats.get(key) ?? 0) + n);
  let dropRanges = 0;
  const server = listener(http2, (req, res) => {
    const url = new URL(req.url, "http://localhost");
    const path = decodeURIComponent(url.pathname);
    if (url.searchParams.get("isolated") === "0") {
      // A document asked for as most production pages are: without COOP/COEP, so not
      // cross-origin isolated (no SharedArrayBuffer, no wasm threads). For benchmarks and tests.
      const writeHead = res.writeHead.bind(res);
      res.writeHead = (status, h = {}) => {
        delete h["Cross-Origin-Opener-Policy"];
        delete h["Cross-Origin-Embedder-Policy"];
        return writeHead(status, h);
      };
    }
    if (req.method === "OPTIONS") {
      res.writeHead(204, headers({ "Access-Control-Allow-Methods": "GET, HEAD", "Access-Control-Allow-Headers": "*" }));
      return res.end();
    }
    if (hub && path === "/__stats") {
      res.writeHead(200, headers({ "Content-Type": "application/json" }));
      return res.end(JSON.stringify(Object.fromEntries(stats)));
    }
    if (hub && path === "/__stats/reset") {
      stats.clear();
      res.writeHead(204, headers());
      return res.end();
    }
    if (hub && path === "/__faults") {
      dropRanges = Number(url.searchParams.get("drop") ?? 0);
      res.writeHead(204, headers());
      return res.end();
    }
    if (hub && hubLike.handle(req, res, path, url)) return;
    // The MeCab dictionary BERT-ja models need (scripts/build-dictionary.sh), counted like hub files.
    const dict = hub && path.match(/^\/dictionary\/([^/]+)$/);
    if (dict) {
      const filePath = join(ROOT, "fixtures/dictionary", dict[1]);
      if (!existsSync(filePath)) return notFound(res, "no such dictionary");
      add(path, 1);
      return sendFile(req, res, filePath, { ranges, gzip: false, count: (n) => add(`${path} bytes`, n) });
    }
    const m = hub && path.match(/^\/hub\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/([^/]+)$/);
    if (m) {
      const [, org, name, , file] = m;
      const noRange = org === "no-range";
      const repo = `${noRange ? "stand-in" : org}/${name}`;
      add(path, 1);
      const dir = HUB_REPOS[repo];
      const filePath = dir && join(dir, file);
      if (!filePath || !existsSync(filePath)) return notFound(res, "Repository or file not found");
      if (repo === "stand-in/broken") {
        res.writeHead(500, headers({ "Content-Type": "text/plain" }));
        return res.end("internal error");
      }
      const ranged = ranges && !noRange && req.headers.range;
      if (ranged) add(`${path} range`, 1);
      const drop = ranged && dropRanges > 0;
      if (drop) dropRanges--;
      return sendFile(req, res, filePath, {
        truncate: drop || (repo === "stand-in/truncated" && file === "model.safetensors"),
        ranges: ranges && !noRange,
        gzip,
        count: (n) => add(`${path} bytes`, n),
      });
    }
    for (const [prefix, dir] of mounts) {
      if (!(path + (path.endsWith("/") ? "" : "/")).startsWith(prefix) && path !== prefix.slice(0, -1)) continue;
      let filePath = normalize(join(dir, path.slice(prefix.length - 1)));
      if (filePath !== dir && !filePath.startsWith(dir + sep)) return notFound(res);
      if (existsSync(filePath) && statSync(filePath).isDirectory()) filePath = join(filePath, "index.html");
      if (existsSync(filePath)) return sendFile(req, res, filePath, { ranges, gzip });
    }
    notFound(res);
  });
  // Closing the server closes its CDN.
  if (cdn) server.on("close", () => cdn.close());
  server.cdn = cdn;
  server.hubLike = hubLike;
  return new Promise((resolveStart) => server.listen(port, host, () => resolveStart(server)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  const server = await startServer(args);
  const { port } = server.address();
  const scheme = args.http2 ? "https" : "http";
  const cdn = server.cdn ? `, Hub-like at /hublike/{tenant}/ with its CDN at ${scheme}://${args.host}:${server.cdn.address().port}/` : "";
  console.log(`serving on ${scheme}://${args.host}:${port}/` + (args.hub ? ` (Hub layout at /hub${cdn})` : ""));
}
