// First-stage retrieval for the demo: Okapi BM25 over character n-grams, in plain JS.
//
// Text is NFKC-normalised and lower-cased (so ＡＢＣ = abc, ｶﾀｶﾅ = カタカナ), split into runs of
// letters and digits, and each run into overlapping character bigrams ("ファイル" → ファ, ァイ,
// イル). Bigrams need no dictionary and suit Japanese, which has no spaces between words. A query
// with no bigram (one character, e.g. "猫") is matched on character unigrams instead.

/** NFKC + lower case: the one normalisation used for indexing, querying and highlighting. */
export function normalize(text) {
  return text.normalize("NFKC").toLowerCase();
}

const RUN = /[\p{L}\p{N}\p{M}]+/gu;

/** Runs of letters/digits of normalised text, each as an array of code points. */
function runs(text) {
  return (normalize(text).match(RUN) ?? []).map((r) => [...r]);
}

/** Character n-grams (n = 1 or 2) of `text`, in order, with repeats. */
export function ngrams(text, n) {
  const out = [];
  for (const cs of runs(text)) {
    for (let i = 0; i + n <= cs.length; i++) out.push(n === 1 ? cs[i] : cs[i] + cs[i + 1]);
  }
  return out;
}

class Index {
  constructor(texts, n) {
    this.n = n;
    this.postings = new Map(); // term -> [docIndex, tf, docIndex, tf, ...]
    this.lengths = new Float64Array(texts.length);
    let total = 0;
    texts.forEach((text, d) => {
      const grams = ngrams(text, n);
      this.lengths[d] = grams.length;
      total += grams.length;
      const tf = new Map();
      for (const g of grams) tf.set(g, (tf.get(g) ?? 0) + 1);
      for (const [g, f] of tf) {
        let list = this.postings.get(g);
        if (!list) this.postings.set(g, (list = []));
        list.push(d, f);
      }
    });
    this.avgLength = texts.length ? total / texts.length : 0;
  }
}

export class BM25 {
  /**
   * @param {string[]} texts one string per document
   * @param {{k1?: number, b?: number}} [params] BM25 parameters (defaults 1.2 and 0.75)
   */
  constructor(texts, { k1 = 1.2, b = 0.75 } = {}) {
    this.texts = texts;
    this.k1 = k1;
    this.b = b;
    this.bigrams = new Index(texts, 2);
    this.unigrams = null; // built on the first one-character query
  }

  get size() {
    return this.texts.length;
  }

  /** Number of documents containing `term` (a bigram, or a unigram when `mode` is "unigram"). */
  df(term, mode = "bigram") {
    const index = mode === "bigram" ? this.bigrams : this.unigrams;
    return (index?.postings.get(term)?.length ?? 0) / 2;
  }

  /** Distinct query terms and which index they are for. */
  terms(query) {
    const bi = [...new Set(ngrams(query, 2))];
    if (bi.length) return { mode: "bigram", terms: bi };
    return { mode: "unigram", terms: [...new Set(ngrams(query, 1))] };
  }

  /**
   * The best `k` documents for `query`, best first (ties: lower index first). Documents that
   * share no term with the query are left out.
   * @returns {{mode: "bigram"|"unigram", terms: string[], hits: {index: number, score: number}[]}}
   */
  search(query, k = 30) {
    const { mode, terms } = this.terms(query);
    if (mode === "unigram") this.unigrams ??= new Index(this.texts, 1);
    const index = mode === "bigram" ? this.bigrams : this.unigrams;
    const n = this.size;
    const scores = new Float64Array(n);
    const touched = new Uint8Array(n);
    const { k1, b } = this;
    for (const term of terms) {
      const list = index.postings.get(term);
      if (!list) continue;
      const df = list.length / 2;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      for (let i = 0; i < list.length; i += 2) {
        const d = list[i];
        const tf = list[i + 1];
        const norm = k1 * (1 - b + (b * index.lengths[d]) / index.avgLength);
        scores[d] += (idf * tf * (k1 + 1)) / (tf + norm);
        touched[d] = 1;
      }
    }
    const hits = [];
    for (let d = 0; d < n; d++) if (touched[d]) hits.push({ index: d, score: scores[d] });
    hits.sort((x, y) => y.score - x.score || x.index - y.index);
    return { mode, terms, hits: hits.slice(0, Math.max(0, k)) };
  }
}

/**
 * Splits `text` into [{text, match}] pieces, `match` true where a query term (in the same
 * normalisation) covers the character. Works per code point, so offsets stay in the original.
 */
export function highlight(text, terms, n) {
  const chars = [...text];
  if (!terms.length || !chars.length) return [{ text, match: false }];
  const wanted = new Set(terms);
  // Normalise character by character; a character whose NFKC form is several characters or
  // none (rare: ligatures, combining marks) is kept as one unit.
  const norm = chars.map((c) => normalize(c));
  const hit = new Uint8Array(chars.length);
  for (let i = 0; i + n <= chars.length; i++) {
    let gram = "";
    for (let j = 0; j < n; j++) gram += norm[i + j];
    if (wanted.has(gram)) for (let j = 0; j < n; j++) hit[i + j] = 1;
  }
  const pieces = [];
  let start = 0;
  for (let i = 1; i <= chars.length; i++) {
    if (i === chars.length || hit[i] !== hit[start]) {
      pieces.push({ text: chars.slice(start, i).join(""), match: hit[start] === 1 });
      start = i;
    }
  }
  return pieces;
}
