// The demo's example queries, checked: for each question and the page that answers it, the rank
// of that page after the demo's BM25 (top 30, as the page does it) and after the trained stand-in
// reranks those 30 (the CLI's `score`, on the text the page gives the reranker).
//
//   node tools/ranker/demo_examples.mjs [--cli target/release/ja-rerank] [--model fixtures/models/ranker] [--all]
//
// Without --all it checks the examples www/app.js shows (EXAMPLES) and exits 1 unless every one
// is answered better after reranking than by BM25 alone. With --all it also prints the candidate
// questions below that the examples were picked from (those where reranking helps), so the choice
// can be redone for another model.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BM25 } from "../../www/bm25.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TOP_N = 30;

// Everyday questions and the page(s) that answer them (titles as in www/data/collection.json).
export const CANDIDATES = [
  ["実行中のプログラムを止めたい", ["kill(1)", "killall(1)", "pkill(1)"]],
  ["ファイルの先頭だけ見たい", ["head(1)"]],
  ["ログの末尾を見る", ["tail(1)"]],
  ["ディスクの空き容量を調べる", ["df(1)"]],
  ["フォルダの容量を知りたい", ["du(1)"]],
  ["空きメモリを確認する", ["free(1)"]],
  ["ファイルの権限を変えたい", ["chmod(1)"]],
  ["ファイルを消す", ["rm(1)"]],
  ["圧縮ファイルを展開する", ["gzip(1)", "xz(1)", "tar(1)", "bzip2(1)", "unzip(1)"]],
  ["行数を数える", ["wc(1)"]],
  ["重複した行を消す", ["uniq(1)"]],
  ["文字コードを変換したい", ["iconv(1)"]],
  ["いまログインしているユーザー", ["who(1)", "w(1)", "users(1)"]],
  ["パスワードの有効期限", ["chage(1)"]],
  ["コマンドの実行時間を測る", ["time(1)"]],
  ["定期的にコマンドを実行する", ["crontab(1)", "cron(8)", "watch(1)", "crontab(5)"]],
  ["シンボリックリンクを作る", ["ln(1)"]],
  ["ファイルの種類を調べる", ["file(1)"]],
  ["大きなファイルを分割する", ["split(1)"]],
  ["タブを空白に変える", ["expand(1)"]],
  ["プロセスの一覧を見る", ["ps(1)", "top(1)"]],
  ["行を並べ替える", ["sort(1)"]],
  ["二つのファイルの違いを調べる", ["diff(1)", "cmp(1)"]],
  ["差分を適用する", ["patch(1)"]],
  ["システムの稼働時間", ["uptime(1)"]],
  ["ファイルを復元できないように消す", ["shred(1)"]],
  ["ネットワークインターフェースの設定", ["ifconfig(8)"]],
  ["パーティションを作る", ["fdisk(8)", "cfdisk(8)", "sfdisk(8)"]],
  ["ファイルシステムを修復する", ["fsck(8)", "e2fsck(8)"]],
  ["新しいグループを作る", ["groupadd(8)"]],
  ["連番を出力する", ["seq(1)"]],
  ["しばらく待つ", ["sleep(1)"]],
  ["大文字を小文字に変換する", ["tr(1)"]],
  ["ファイルのハッシュ値を計算する", ["md5sum(1)", "sha1sum(1)", "sha256sum(1)"]],
  ["共有ライブラリの依存関係を調べる", ["ldd(1)"]],
  ["カーネルのメッセージを見る", ["dmesg(1)"]],
  ["ファイルを使っているプロセスを調べる", ["fuser(1)", "lsof(8)"]],
  ["時間制限をつけてコマンドを実行", ["timeout(1)"]],
  ["ディレクトリの中身を一覧表示したい", ["ls(1)", "dir(1)", "vdir(1)"]],
  ["プロセスを強制終了する", ["kill(1)", "killall(1)", "pkill(1)"]],
  ["ファイルシステムをマウントする", ["mount(8)", "mount(2)"]],
  ["ユーザーのパスワードを変える", ["passwd(1)", "chpasswd(8)"]],
  ["ファイルの所有者を変える", ["chown(1)"]],
  ["ファイルをコピーする", ["cp(1)"]],
  ["ホスト名を変更する", ["hostname(1)", "hostnamectl(1)"]],
];

/** The text the demo gives the reranker for a document (www/app.js, passageFor). */
const rerankText = (doc) => `${doc.title.replace(/\([^)]*\)$/, "")}: ${doc.summary}\n${doc.text}`;

function examplesOfApp() {
  const src = readFileSync(join(ROOT, "www/app.js"), "utf8");
  const block = src.match(/const EXAMPLES = \[([\s\S]*?)\];/)[1];
  return [...block.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

function main() {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
  const cli = opt("--cli", resolve(ROOT, process.env.CARGO_TARGET_DIR ?? "target", "release/ja-rerank"));
  const model = opt("--model", join(ROOT, "fixtures/models/ranker"));
  const docs = JSON.parse(readFileSync(join(ROOT, "www/data/collection.json"), "utf8")).documents;
  const bm25 = new BM25(docs.map((d) => `${d.title} ${d.summary} ${d.text}`));
  const shown = examplesOfApp();
  const known = new Map(CANDIDATES);
  const missing = shown.filter((q) => !known.has(q));
  if (missing.length) throw new Error(`examples without an expected page in CANDIDATES: ${missing.join(", ")}`);
  const queries = args.includes("--all") ? CANDIDATES.map(([q]) => q) : shown;

  const hits = queries.map((q) => bm25.search(q, TOP_N).hits.map((h) => h.index));
  const lines = queries.flatMap((q, i) => hits[i].map((d) => JSON.stringify({ query: q, passage: rerankText(docs[d]) })));
  const run = spawnSync(cli, ["score", "--model", model, "--batch-size", "16"], { input: lines.join("\n") + "\n", encoding: "utf8", maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`${cli} score failed: ${run.stderr}`);
  const scores = run.stdout.trim().split("\n").map((l) => JSON.parse(l).score);

  let at = 0, failed = 0;
  const rank = (order, want) => {
    const r = order.findIndex((d) => want.includes(docs[d].title));
    return r < 0 ? `>${TOP_N}` : r + 1;
  };
  for (const [i, q] of queries.entries()) {
    const s = scores.slice(at, at + hits[i].length);
    at += hits[i].length;
    const reranked = hits[i].map((d, j) => [d, s[j], j]).sort((a, b) => b[1] - a[1] || a[2] - b[2]).map(([d]) => d);
    const want = known.get(q);
    const [before, after] = [rank(hits[i], want), rank(reranked, want)];
    const helps = typeof after === "number" && (typeof before !== "number" || after < before);
    if (shown.includes(q) && !helps) failed++;
    console.log(`${helps ? "+" : " "} ${shown.includes(q) ? "shown" : "     "}  BM25 #${before} → reranked #${after}  ${q}  (${want.join(", ")}; BM25 top: ${docs[hits[i][0]].title}, reranked top: ${docs[reranked[0]].title})`);
  }
  if (failed) {
    console.error(`${failed} example(s) in www/app.js are not improved by reranking`);
    process.exit(1);
  }
}

main();
