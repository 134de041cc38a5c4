// BM25 top-k for tools/ranker/make_data.py, with the demo's own first stage (www/bm25.js), so the
// evaluation candidates are the ones the demo would rerank.
// stdin: {"collection": [text, ...], "queries": [text, ...], "k": 50}; stdout: [[index, ...], ...]
import { BM25 } from "../../www/bm25.js";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { collection, queries, k } = JSON.parse(input);
const bm25 = new BM25(collection);
process.stdout.write(JSON.stringify(queries.map((q) => bm25.search(q, k).hits.map((h) => h.index))));
