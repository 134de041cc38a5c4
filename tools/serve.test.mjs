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
