// BM25 top-k for tools/ranker/make_data.py, with the demo's own first stage (www/bm25.js), so the
// evaluation candidates are the ones the demo would rerank.
// stdin: {"collection": [text, ...], "queries": [text, ...], "k": 50}; stdout: [[index, ...], ...]
import { BM25 } from "../../www/bm25.js";

// Decoded as one stream: chunks appended as strings one by one split a UTF-8 character that
// straddles two reads into two U+FFFD, differently from run to run (found on ~11 MB of whole man
// pages: tools/ranker/make_long.py; make_data.py's candidates for a few queries moved too).
process.stdin.setEncoding("utf8");
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { collection, queries, k } = JSON.parse(input);
const bm25 = new BM25(collection);
process.stdout.write(JSON.stringify(queries.map((q) => bm25.search(q, k).hits.map((h) => h.index))));
