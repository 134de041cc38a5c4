// A test server that behaves like huggingface.co where it matters to a page that reads a model:
// mounted by tools/serve.mjs under /hublike/{tenant}/ (the Hub) with its CDN on a second origin
// (another port). Each tenant is an independent Hub (its own quota, commits and counters), and
// its name sets how it behaves, so tests never share state:
//
//   /hublike/{tenant}/{org}/{name}/resolve/{revision}/{file}   the "resolvers" (rate-limited)
//   /hublike/{tenant}/api/models/{org}/{name}/revision/{rev}   the Hub API's revision endpoint
//   GET  /__hublike/{tenant}/stats                            requests by kind and by path
//   POST /__hublike/{tenant}/move?repo=org/name               `main` moves to a new commit
//   POST /__hublike/{tenant}/expire                           every signed URL issued so far expires
//   POST /__hublike/{tenant}/limit?seconds=N                  the quota is used up for the next N
//                                                             seconds (0: a new window starts now)
//
// Tenant names are words joined by "-"; these set its behaviour (any other word only names it):
//   q<N>, w<N>  resolver quota: N requests per fixed window of w seconds from its first request
//               (default 3000 per 300, the Hub's anonymous quota); past it, 429 with `RateLimit: "resolvers";r=0;t=<s>`
//               and `RateLimit-Policy: "fixed window";"resolvers";q=<N>;w=<s>` (draft 9 of the
//               IETF ratelimit headers, as the Hub sends them); `ra` adds Retry-After
//   ttl<N>      signed CDN URLs expire N seconds after they are issued (default 3600, as the Hub's)
//   hide        X-Repo-Commit, ETag and X-Linked-* are sent but not exposed to CORS (by default they
//               are, as on huggingface.co, whose exposed list this copies)
//   rl          RateLimit, RateLimit-Policy and Retry-After exposed to CORS too (the Hub does not
//               expose them: a page cannot read how long a 429 lasts; a proxy could)
//   noapi       no API (404), as a mirror without one
//   noredirect  large files answered by the resolver itself, as a mirror does
//
// As on the Hub: small (git) files are answered by the resolver directly with X-Repo-Commit and
// ETag; large (LFS/Xet: .safetensors, .onnx, .bin, or over 10 MiB) ones 302 to a signed,
// expiring URL on the CDN whose path is content-addressed, so an old URL keeps serving the old
// bytes after `main` moves. `main` starts at commit 1; each move makes a new commit whose
// model.safetensors has the same header byte for byte and other values: the sign bit of every
// word-embedding element flipped (any dtype), as a fine-tune that keeps the layout would (a
// second move flips them back: each commit differs from the one before it).
// Revisions other than `main` and the commits' ids are 404, as on the Hub. Every response is
// `Cache-Control: no-store`, so the browser's HTTP cache never hides a request from the counts.
import { createHash, createHmac, randomBytes } from "node:crypto";
import { closeSync, createReadStream, existsSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { Transform } from "node:stream";

const SECRET = randomBytes(16);
const LFS = /\.(safetensors|onnx|bin|msgpack|h5|zst)$/;
// What huggingface.co lets a page read (its Access-Control-Expose-Headers, as observed): not the
// RateLimit headers, so a browser meets a 429 without knowing for how long.
const HUB_EXPOSED = "X-Repo-Commit, X-Request-Id, X-Error-Code, X-Error-Message, X-Total-Count, ETag, Link, Accept-Ranges, Content-Range, X-Linked-Size, X-Linked-ETag, X-Xet-Hash";
const RATE_EXPOSED = "RateLimit, RateLimit-Policy, Retry-After";
const BASE_EXPOSED = "Content-Length, Content-Type, Content-Range, Accept-Ranges";

const sha = (algo, text) => createHash(algo).update(text).digest("hex");

function parseTenant(name) {
  const t = { name, quota: 3000, window: 300, ttl: 3600, hide: false, api: true, redirect: true, retryAfter: false, rateExposed: false };
  for (const word of name.split("-")) {
    let m;
    if ((m = word.match(/^q(\d+)$/))) t.quota = Number(m[1]);
    else if ((m = word.match(/^w(\d+)$/))) t.window = Number(m[1]);
    else if ((m = word.match(/^ttl(\d+)$/))) t.ttl = Number(m[1]);
    else if (word === "hide") t.hide = true;
    else if (word === "noapi") t.api = false;
    else if (word === "noredirect") t.redirect = false;
    else if (word === "ra") t.retryAfter = true;
    else if (word === "rl") t.rateExposed = true;
  }
  return { ...t, moves: new Map(), expiredBefore: 0, windowStart: 0, used: 0, stats: new Map() };
}

/** The word-embedding tensor's byte range in a safetensors file, and its element size. */
function wordEmbeddings(path) {
  const fd = openSync(path, "r");
  try {
    const prefix = Buffer.alloc(8);
    readSync(fd, prefix, 0, 8, 0);
    const n = Number(prefix.readBigUInt64LE());
    const json = Buffer.alloc(n);
    readSync(fd, json, 0, n, 8);
    const header = JSON.parse(json.toString("utf8"));
    const size = { F32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, F64: 8 };
    for (const [name, t] of Object.entries(header)) {
      if (/(word|tok)_embeddings\.weight$/.test(name)) {
        return { start: 8 + n + t.data_offsets[0], end: 8 + n + t.data_offsets[1], element: size[t.dtype] ?? 1 };
      }
    }
  } finally {
    closeSync(fd);
  }
  return null;
}

/** Flips the sign bit of every word-embedding element in the stream of bytes [start, …]. */
function flipper(path, start) {
  const we = wordEmbeddings(path);
  let at = start;
  return new Transform({
    transform(chunk, _, done) {
      if (we) {
        for (let i = Math.max(0, we.start - at); i < chunk.length && at + i < we.end; i++) {
          if ((at + i - we.start) % we.element === we.element - 1) chunk[i] ^= 0x80;
        }
      }
      at += chunk.length;
      done(null, chunk);
    },
  });
}

export class HubLike {
  #tenants = new Map();
  #objects = new Map(); // object id → { path, version }

  /** `repos`: repository id → folder; `roots`: more folders holding `{org}/{name}/…` (the
   * benchmark's ONNX exports), looked in after it; `cdnOrigin()`: the CDN's origin, known once
   * it listens. */
  constructor({ repos, roots = [], cdnOrigin }) {
    this.repos = repos;
    this.roots = roots;
    this.cdnOrigin = cdnOrigin;
  }

  /** Where `file` of `repo` is, or null. */
  find(repo, file) {
    if (file.split("/").some((part) => part === ".." || part === "")) return null;
    const dirs = [this.repos[repo], ...this.roots.map((r) => join(r, repo))].filter(Boolean);
    return dirs.map((d) => join(d, file)).find((p) => existsSync(p) && statSync(p).isFile()) ?? null;
  }

  known(repo) {
    return Boolean(this.repos[repo] || this.roots.some((r) => existsSync(join(r, repo))));
  }

  tenant(name) {
    if (!this.#tenants.has(name)) this.#tenants.set(name, parseTenant(name));
    return this.#tenants.get(name);
  }

  commit(repo, version) {
    return sha("sha1", `${repo}@${version}`);
  }

  /** The version a revision names in `t` (1-based), or 0 when it names none. */
  version(t, repo, revision) {
    const head = 1 + (t.moves.get(repo) ?? 0);
    if (revision === "main") return head;
    for (let v = 1; v <= head; v++) if (this.commit(repo, v) === revision) return v;
    return 0;
  }

  objectId(path, version) {
    const { size, mtimeMs } = statSync(path);
    const id = sha("sha256", `${realpathSync(path)}:${size}:${mtimeMs}:v${version}`);
    this.#objects.set(id, { path, version });
    return id;
  }

  #headers(t, extra = {}) {
    return {
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Expose-Headers": [BASE_EXPOSED, t.hide ? null : HUB_EXPOSED, t.rateExposed ? RATE_EXPOSED : null].filter(Boolean).join(", "),
      "Cross-Origin-Resource-Policy": "cross-origin",
      "Cache-Control": "no-store",
      ...extra,
    };
  }

  #count(t, key) {
    t.stats.set(key, (t.stats.get(key) ?? 0) + 1);
  }

  /** Handles a request under /hublike/ or /__hublike/; false when the path is not one of ours. */
  handle(req, res, path, url) {
    const control = path.match(/^\/__hublike\/([^/]+)\/(stats|move|expire|limit)$/);
    if (control) {
      const t = this.tenant(control[1]);
      if (control[2] === "stats") {
        res.writeHead(200, this.#headers(t, { "Content-Type": "application/json" }));
        return res.end(JSON.stringify(Object.fromEntries(t.stats))), true;
      }
      if (control[2] === "move") {
        const repo = url.searchParams.get("repo");
        t.moves.set(repo, (t.moves.get(repo) ?? 0) + 1);
        res.writeHead(200, this.#headers(t, { "Content-Type": "application/json" }));
        return res.end(JSON.stringify({ commit: this.commit(repo, 1 + t.moves.get(repo)) })), true;
      }
      if (control[2] === "limit") {
        // As if the window had begun so long ago that N seconds of it are left, its quota used up.
        const seconds = Number(url.searchParams.get("seconds") ?? 0);
        [t.windowStart, t.used] = seconds > 0 ? [Date.now() / 1000 + seconds - t.window, t.quota] : [Date.now() / 1000, 0];
      } else t.expiredBefore = Date.now() + 1;
      res.writeHead(204, this.#headers(t));
      return res.end(), true;
    }
    const api = path.match(/^\/hublike\/([^/]+)\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/);
    if (api) {
      const t = this.tenant(api[1]);
      this.#count(t, "api");
      const v = t.api && this.known(api[2]) ? this.version(t, api[2], api[3]) : 0;
      if (!v) return this.#error(res, t, 404, "RevisionNotFound"), true;
      res.writeHead(200, this.#headers(t, { "Content-Type": "application/json" }));
      return res.end(JSON.stringify({ id: api[2], sha: this.commit(api[2], v) })), true;
    }
    const m = path.match(/^\/hublike\/([^/]+)\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    if (!m) return false;
    const [, name, repo, revision, file] = m;
    const t = this.tenant(name);
    this.#count(t, "resolver");
    this.#count(t, `resolver ${repo}/${file}`);
    // The quota: a fixed window, as the Hub's RateLimit-Policy says.
    const now = Date.now() / 1000;
    if (now >= t.windowStart + t.window) [t.windowStart, t.used] = [now, 0];
    const left = Math.max(1, Math.ceil(t.windowStart + t.window - now));
    const policy = { RateLimit: `"resolvers";r=${Math.max(0, t.quota - t.used - 1)};t=${left}`, "RateLimit-Policy": `"fixed window";"resolvers";q=${t.quota};w=${t.window}` };
    if (t.used >= t.quota) {
      this.#count(t, "429");
      const extra = { ...policy, RateLimit: `"resolvers";r=0;t=${left}`, ...(t.retryAfter ? { "Retry-After": String(left) } : {}) };
      return this.#error(res, t, 429, "You have been rate-limited; you can retry this action in about " + left + " seconds.", extra), true;
    }
    t.used++;
    const v = this.known(repo) ? this.version(t, repo, revision) : 0;
    const filePath = v ? this.find(repo, file) : null;
    if (!filePath) return this.#error(res, t, 404, "Entry not found", policy), true;
    const commit = this.commit(repo, v);
    const { size } = statSync(filePath);
    const large = LFS.test(file) || size > 10 << 20;
    const id = this.objectId(filePath, large ? v : 1);
    const meta = { ...policy, "X-Repo-Commit": commit, ETag: `"${id}"` };
    if (large && t.redirect) {
      const expires = Math.floor(Date.now() / 1000) + t.ttl;
      const issued = Date.now();
      const sig = createHmac("sha256", SECRET).update(`${name}/${id}:${expires}:${issued}`).digest("hex");
      const location = `${this.cdnOrigin()}/${name}/${id}?Expires=${expires}&Issued=${issued}&Signature=${sig}`;
      res.writeHead(302, this.#headers(t, { ...meta, Location: location, "X-Linked-Etag": `"${id}"`, "X-Linked-Size": String(size), "Content-Type": "text/plain" }));
      return res.end(`Found. Redirecting to ${location}`), true;
    }
    this.#send(req, res, t, filePath, large ? v : 1, meta);
    return true;
  }

  /** The CDN: signed, expiring, content-addressed URLs. */
  handleCdn(req, res) {
    const url = new URL(req.url, "http://localhost");
    const m = url.pathname.match(/^\/([^/]+)\/([0-9a-f]{64})$/);
    const t = m && this.tenant(m[1]);
    if (req.method === "OPTIONS") {
      res.writeHead(204, this.#headers(t ?? parseTenant(""), { "Access-Control-Allow-Methods": "GET, HEAD", "Access-Control-Allow-Headers": "*" }));
      return res.end();
    }
    const object = m && this.#objects.get(m[2]);
    if (!object) return this.#error(res, t ?? parseTenant(""), 404, "NoSuchKey");
    this.#count(t, "cdn");
    const [expires, issued, sig] = ["Expires", "Issued", "Signature"].map((k) => url.searchParams.get(k));
    const good = sig === createHmac("sha256", SECRET).update(`${m[1]}/${m[2]}:${expires}:${issued}`).digest("hex");
    if (!good || Number(expires) * 1000 < Date.now() || Number(issued) < t.expiredBefore) {
      this.#count(t, "cdn expired");
      res.writeHead(403, this.#headers(t, { "Content-Type": "application/xml" }));
      return res.end("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>");
    }
    this.#send(req, res, t, object.path, object.version, { ETag: `"${m[2]}"` });
  }

  #error(res, t, status, message, extra = {}) {
    res.writeHead(status, this.#headers(t, { "Content-Type": "text/plain; charset=utf-8", "X-Error-Message": message, ...extra }));
    res.end(message);
  }

  /** A file, or the one range asked for, at `version` (≥ 2: the word embeddings' signs flipped). */
  #send(req, res, t, path, version, extra) {
    const size = statSync(path).size;
    const m = (req.headers.range ?? "").match(/^bytes=(\d+)-(\d*)$/);
    const [start, end] = m ? [Number(m[1]), m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1)] : [0, size - 1];
    if (m && start > end) {
      res.writeHead(416, this.#headers(t, { "Content-Range": `bytes */${size}` }));
      return res.end();
    }
    this.#count(t, m ? "ranges" : "whole files");
    const headers = { ...extra, "Content-Type": "application/octet-stream", "Content-Length": end - start + 1, "Accept-Ranges": "bytes" };
    if (m) headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
    res.writeHead(m ? 206 : 200, this.#headers(t, headers));
    if (req.method === "HEAD" || size === 0) return res.end();
    const stream = createReadStream(path, { start, end });
    (version % 2 === 0 && path.endsWith(".safetensors") ? stream.pipe(flipper(path, start)) : stream).pipe(res);
  }
}
