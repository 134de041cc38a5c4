// A server-side user (an API route, a batch job): the installed package in Node, no DOM, no
// Cache Storage, on the CPU — from a Hub-layout server over HTTP and from a folder on disk.
// Run by tests/package/run.mjs, which checks what it prints.
//   node node.mjs HUB_URL FILE_HUB_URL REFERENCE_JSON BERT_REFERENCE_JSON HUB_LIKE_URL
import { readFileSync } from "node:fs";
import { Reranker, rerank } from "ja-rerank";

const [hubUrl, fileHub, referencePath, bertReferencePath, hubLike] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(referencePath, "utf8")).cases.filter((c) => c.max_length === 512);
const pairs = cases.map((c) => [c.query, c.passage]);
const code = (promise) => promise.then(() => "resolved", (e) => e.code ?? String(e));
const out = {};
const http = await Reranker.load({ hubUrl, model: "stand-in/tiny" });
out.build = http.info.build;
out.backend = http.backend;
out.rows = http.info.rows;
out.http = await http.score(pairs);
const disk = await Reranker.load({ hubUrl: fileHub, model: "tiny" });
out.diskRows = disk.info.rows;
out.diskPinnedBy = disk.info.commitPinnedBy;
out.disk = await disk.score(pairs);
out.badInput = await code(http.rerank("", ["a"]));
out.afterError = (await http.score(pairs.slice(0, 2))).length;
out.webgpu = await code(Reranker.load({ hubUrl, model: "stand-in/tiny", backend: "webgpu" }));
out.missing = await code(Reranker.load({ hubUrl: fileHub, model: "no-such-model" }));
// A BERT-ja model: its MeCab dictionary is the package's own copy (the default), read from disk.
const bertPairs = JSON.parse(readFileSync(bertReferencePath, "utf8")).cases.filter((c) => c.max_length === 512).slice(0, 12).map((c) => [c.query, c.passage]);
const bert = await Reranker.load({ hubUrl, model: "stand-in/bert-tiny" });
out.bertDictionary = bert.info.dictionaryUrl;
out.bert = await bert.score(bertPairs);
// Node's fetch on a server that behaves like the Hub (tools/hub-like.mjs): redirects to signed CDN
// URLs, X-Repo-Commit (no CORS in Node: every header readable).
const hub = await Reranker.load({ hubUrl: hubLike, model: "stand-in/tiny" });
out.hub = await hub.score(pairs);
out.hubInfo = { rows: hub.info.rows, commit: hub.info.commit, commitPinnedBy: hub.info.commitPinnedBy, requests: hub.info.requests, fileUrls: hub.info.fileUrls };
out.ranked = await rerank(pairs[0][0], pairs.slice(0, 6).map((p) => p[1]), { hubUrl, model: "stand-in/tiny", topK: 2 });
console.log(JSON.stringify(out));
