// tools/serve.mjs answers ranges as the Hub's CDN does (single range: 206 + Content-Range; several:
// the whole file), can refuse them ("no-range" org, --no-ranges), and injects the faults the
// browser tests use. Run: node --test tools/serve.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseRange, startServer } from "./serve.mjs";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const file = readFileSync(join(ROOT, "fixtures/models/tiny/model.safetensors"));
const path = "/hub/stand-in/tiny/resolve/main/model.safetensors";

async function withServer(options, body) {
  const server = await startServer({ port: 0, hub: true, ...options });
  const origin = `http://127.0.0.1:${server.address().port}`;
  try {
    await body(origin);
  } finally {
    server.close();
  }
}

test("parseRange", () => {
  assert.deepEqual(parseRange("bytes=0-7", 100), [0, 7]);
  assert.deepEqual(parseRange("bytes=90-", 100), [90, 99]);
  assert.deepEqual(parseRange("bytes=-4", 100), [96, 99]);
  assert.deepEqual(parseRange("bytes=95-200", 100), [95, 99]);
  assert.equal(parseRange("bytes=0-1,5-6", 100), null, "several ranges: the whole file");
  assert.equal(parseRange(undefined, 100), null);
  assert.equal(parseRange("bytes=100-", 100), "invalid");
  assert.equal(parseRange("bytes=5-2", 100), "invalid");
});

test("single ranges are 206 with Content-Range, exposed to CORS; several are the whole file", async () => {
  await withServer({}, async (origin) => {
    const whole = await fetch(origin + path);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get("accept-ranges"), "bytes");
    assert.equal((await whole.arrayBuffer()).byteLength, file.length);

    const head = await fetch(origin + path, { headers: { Range: "bytes=0-7" } });
    assert.equal(head.status, 206);
    assert.equal(head.headers.get("content-range"), `bytes 0-7/${file.length}`);
    assert.match(head.headers.get("access-control-expose-headers"), /Content-Range/);
    assert.deepEqual(Buffer.from(await head.arrayBuffer()), file.subarray(0, 8));

    const tail = await fetch(origin + path, { headers: { Range: "bytes=-16" } });
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), file.subarray(file.length - 16));

    const several = await fetch(origin + path, { headers: { Range: "bytes=0-1,4-5" } });
    assert.equal(several.status, 200);
    assert.equal((await several.arrayBuffer()).byteLength, file.length);

    const beyond = await fetch(origin + path, { headers: { Range: `bytes=${file.length}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get("content-range"), `bytes */${file.length}`);

    const stats = await (await fetch(origin + "/__stats")).json();
    assert.equal(stats[path], 5);
    assert.equal(stats[`${path} range`], 4, "ranged requests are counted");
    assert.equal(stats[`${path} bytes`], file.length * 2 + 8 + 16);
  });
});

test("ranges can be refused: the no-range org and --no-ranges answer 200 with the whole file", async () => {
  await withServer({}, async (origin) => {
    const r = await fetch(origin + path.replace("stand-in", "no-range"), { headers: { Range: "bytes=0-7" } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("accept-ranges"), null);
    assert.equal((await r.arrayBuffer()).byteLength, file.length);
  });
  await withServer({ ranges: false }, async (origin) => {
    const r = await fetch(origin + path, { headers: { Range: "bytes=0-7" } });
    assert.equal(r.status, 200);
    assert.equal((await r.arrayBuffer()).byteLength, file.length);
  });
});

test("faults: a ranged response cut off mid-body, then normal service; a truncated range", async () => {
  await withServer({}, async (origin) => {
    assert.equal((await fetch(origin + "/__faults?drop=1", { method: "POST" })).status, 204);
    const cutOff = await fetch(origin + path, { headers: { Range: "bytes=0-99" } });
    assert.equal(cutOff.status, 206, "the response starts, then the connection is lost");
    await assert.rejects(cutOff.arrayBuffer());
    const ok = await fetch(origin + path, { headers: { Range: "bytes=0-7" } });
    assert.equal(ok.status, 206);
    const cut = await fetch(origin + path.replace("tiny", "truncated"), { headers: { Range: "bytes=0-99" } });
    assert.equal(cut.status, 206);
    await assert.rejects(cut.arrayBuffer(), "a body short of its Content-Length fails to read");
  });
});

test("--gzip compresses JSON and wasm for clients that accept it, never ranges or safetensors", async () => {
  await withServer({ gzip: true }, async (origin) => {
    const config = "/hub/stand-in/tiny/resolve/main/tokenizer.json";
    const r = await fetch(origin + config); // undici sends Accept-Encoding: gzip, deflate and decodes
    assert.equal(r.headers.get("content-encoding"), "gzip");
    const raw = readFileSync(join(ROOT, "fixtures/models/tiny/tokenizer.json"));
    assert.ok(Number(r.headers.get("content-length")) < raw.length / 2);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), raw);
    const weights = await fetch(origin + path);
    assert.equal(weights.headers.get("content-encoding"), null);
    const ranged = await fetch(origin + config, { headers: { Range: "bytes=0-9" } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get("content-encoding"), null);
  });
});

test("documents are cross-origin isolated unless asked for with ?isolated=0", async () => {
  await withServer({}, async (origin) => {
    const isolated = await fetch(origin + path);
    assert.equal(isolated.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(isolated.headers.get("cross-origin-embedder-policy"), "require-corp");
    const open = await fetch(`${origin}${path}?isolated=0`);
    assert.equal(open.status, 200);
    assert.equal(open.headers.get("cross-origin-opener-policy"), null);
    assert.equal(open.headers.get("cross-origin-embedder-policy"), null);
    assert.equal(open.headers.get("access-control-allow-origin"), "*", "the other headers stay");
  });
});

// tools/hub-like.mjs, mounted at /hublike/{tenant}/: what huggingface.co does that a page meets.
const ranker = readFileSync(join(ROOT, "fixtures/models/ranker/model.safetensors"));
const weights = (origin, t, rev = "main") => `${origin}/hublike/${t}/stand-in/ranker/resolve/${rev}/model.safetensors`;
const stats = async (origin, t) => (await fetch(`${origin}/__hublike/${t}/stats`)).json();
const bytes = async (r) => Buffer.from(await r.arrayBuffer());

test("hub-like: small files answered directly, large ones 302 to a signed URL on another origin", async () => {
  await withServer({}, async (origin) => {
    const config = await fetch(`${origin}/hublike/a/stand-in/ranker/resolve/main/config.json`);
    assert.equal(config.status, 200);
    assert.match(config.headers.get("x-repo-commit"), /^[0-9a-f]{40}$/);
    assert.match(config.headers.get("access-control-expose-headers"), /X-Repo-Commit/);
    assert.match(config.headers.get("ratelimit"), /^"resolvers";r=2999;t=\d+$/);
    assert.equal(config.headers.get("ratelimit-policy"), '"fixed window";"resolvers";q=3000;w=300');
    const found = await fetch(weights(origin, "a"), { redirect: "manual", headers: { Range: "bytes=0-7" } });
    assert.equal(found.status, 302);
    const location = new URL(found.headers.get("location"));
    assert.notEqual(location.port, new URL(origin).port, "the CDN is another origin");
    assert.match(location.search, /Expires=\d+.*Signature=[0-9a-f]{64}/);
    assert.equal(found.headers.get("x-repo-commit"), config.headers.get("x-repo-commit"));
    const followed = await fetch(weights(origin, "a"), { headers: { Range: "bytes=0-7" } });
    assert.equal(followed.status, 206);
    assert.ok(followed.redirected && followed.url.startsWith(location.origin));
    assert.deepEqual(await bytes(followed), ranker.subarray(0, 8));
    const forged = await fetch(followed.url.replace(/Signature=./, "Signature=0"), { headers: { Range: "bytes=0-7" } });
    assert.equal(forged.status, 403);
    const s = await stats(origin, "a");
    assert.equal(s.resolver, 3);
    assert.equal(s.cdn, 2);
  });
});

test("hub-like: signed URLs expire; main moves with the header kept; old URLs keep the old bytes", async () => {
  await withServer({}, async (origin) => {
    const t = "moves";
    const first = await fetch(weights(origin, t), { headers: { Range: "bytes=0-7" } });
    const oldUrl = first.url;
    const commit1 = (await (await fetch(`${origin}/hublike/${t}/api/models/stand-in/ranker/revision/main`)).json()).sha;
    const moved = await (await fetch(`${origin}/__hublike/${t}/move?repo=stand-in/ranker`, { method: "POST" })).json();
    assert.notEqual(moved.commit, commit1);
    const whole2 = await bytes(await fetch(weights(origin, t)));
    const headerEnd = 8 + Number(ranker.readBigUInt64LE(0));
    assert.equal(whole2.length, ranker.length);
    assert.deepEqual(whole2.subarray(0, headerEnd), ranker.subarray(0, headerEnd), "the header, byte for byte");
    assert.notDeepEqual(whole2, ranker, "other values");
    assert.deepEqual(await bytes(await fetch(weights(origin, t, commit1))), ranker, "the first commit by its id");
    assert.deepEqual(await bytes(await fetch(oldUrl)), ranker, "an old signed URL: the old bytes");
    assert.equal((await fetch(weights(origin, t, "0".repeat(40)))).status, 404);
    assert.equal((await fetch(`${origin}/__hublike/${t}/expire`, { method: "POST" })).status, 204);
    const expired = await fetch(oldUrl);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /Request has expired/);
  });
});

test("hub-like: the resolver quota, 429 with the RateLimit headers; hide, noapi, noredirect, ra", async () => {
  await withServer({}, async (origin) => {
    const config = (t) => fetch(`${origin}/hublike/${t}/stand-in/ranker/resolve/main/config.json`);
    for (let i = 0; i < 2; i++) assert.equal((await config("q2-w60")).status, 200);
    const limited = await config("q2-w60");
    assert.equal(limited.status, 429);
    const left = Number(limited.headers.get("ratelimit").match(/^"resolvers";r=0;t=(\d+)$/)?.[1]);
    assert.ok(left > 50 && left <= 60, limited.headers.get("ratelimit"));
    assert.equal(limited.headers.get("ratelimit-policy"), '"fixed window";"resolvers";q=2;w=60');
    assert.equal(limited.headers.get("retry-after"), null);
    assert.equal((await fetch(weights(origin, "q2-w60"))).status, 429, "every resolver counts");
    await fetch(`${origin}/__hublike/q2-w60/limit?seconds=0`, { method: "POST" });
    assert.equal((await config("q2-w60")).status, 200, "a new window");
    await fetch(`${origin}/__hublike/q1-w60-ra/limit?seconds=25`, { method: "POST" });
    const ra = await config("q1-w60-ra");
    assert.equal(ra.status, 429);
    const retry = Number(ra.headers.get("retry-after"));
    assert.ok(retry > 15 && retry <= 25, ra.headers.get("retry-after"));
    assert.equal(limited.headers.get("access-control-expose-headers").includes("RateLimit"), false, "as huggingface.co: not readable by a page");
    assert.match((await config("rl")).headers.get("access-control-expose-headers"), /RateLimit, RateLimit-Policy, Retry-After/);
    const hidden = await config("hide");
    assert.equal(hidden.headers.get("access-control-expose-headers").includes("X-Repo-Commit"), false);
    assert.match(hidden.headers.get("x-repo-commit"), /^[0-9a-f]{40}$/, "sent, not exposed");
    assert.equal((await fetch(`${origin}/hublike/noapi/api/models/stand-in/ranker/revision/main`)).status, 404);
    const direct = await fetch(weights(origin, "noredirect"), { redirect: "manual", headers: { Range: "bytes=0-7" } });
    assert.equal(direct.status, 206);
  });
});

test("hub-like over HTTP/2 (--http2): the Hub and its CDN speak h2", async () => {
  const { connect } = await import("node:http2");
  const server = await startServer({ port: 0, hub: true, http2: true });
  const get = (origin, path, headers = {}) => new Promise((done, fail) => {
    const session = connect(origin, { rejectUnauthorized: false });
    session.on("error", fail);
    const req = session.request({ ":path": path, ...headers });
    const chunks = [];
    let head;
    req.on("response", (h) => (head = h));
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => (session.close(), done({ head, body: Buffer.concat(chunks), alpn: session.alpnProtocol })));
    req.end();
  });
  try {
    const origin = `https://127.0.0.1:${server.address().port}`;
    const found = await get(origin, "/hublike/h2/stand-in/ranker/resolve/main/model.safetensors", { range: "bytes=0-7" });
    assert.equal(found.alpn, "h2");
    assert.equal(found.head[":status"], 302);
    const cdn = new URL(found.head.location);
    assert.equal(cdn.protocol, "https:");
    const part = await get(cdn.origin, cdn.pathname + cdn.search, { range: "bytes=0-7" });
    assert.equal(part.alpn, "h2");
    assert.equal(part.head[":status"], 206);
    assert.deepEqual(part.body, ranker.subarray(0, 8));
  } finally {
    server.close();
  }
});
