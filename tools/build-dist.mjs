#!/usr/bin/env node
// Assembles the static demo site: the page (www/), the npm package (pkg/, built by
// scripts/build-package.sh) and the bundled stand-in model in Hub layout.
//
//   node tools/build-dist.mjs OUT_DIR [--pkg DIR] [--no-stand-in]
//
// OUT_DIR/
//   index.html app.js bm25.js style.css data/...     from www/
//   pkg/                                            from pkg/ (client.js, worker.js, wasm, ...)
//   models/stand-in/ranker/resolve/main/{config.json,tokenizer_config.json,tokenizer.json,model.safetensors}
//                                                   from fixtures/models/ranker (the stand-in trained
//                                                   here on man pages: tools/ranker/train.py)
//
// Any static host serves OUT_DIR as is (no build step, no server code). Cross-origin isolation
// (COOP/COEP) is not required. Only the paths above are replaced in OUT_DIR.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export function buildDist(outDir, { pkg = join(ROOT, "pkg"), standIn = true } = {}) {
  const out = resolve(outDir);
  const www = join(ROOT, "www");
  const ranker = join(ROOT, "fixtures/models/ranker");
  // Never into the repository itself, one of its sources, or a folder above it.
  if (out === ROOT || out === www || out === pkg || ROOT.startsWith(out + "/")) throw new Error(`refusing to build into ${out}`);
  for (const f of ["client.js", "worker.js", "ja_rerank.js", ...["simd", "relaxed", "cpu-simd", "cpu-relaxed"].map((b) => `ja_rerank_${b}_bg.wasm`)]) {
    if (!existsSync(join(pkg, f))) {
      throw new Error(`${join(pkg, f)} is missing: build the package first (scripts/build-package.sh)`);
    }
  }
  if (!existsSync(join(www, "data/collection.json"))) {
    throw new Error("www/data/collection.json is missing: python3 tools/collection/make_collection.py");
  }
  mkdirSync(out, { recursive: true });
  for (const name of readdirSync(www)) {
    rmSync(join(out, name), { recursive: true, force: true });
    cpSync(join(www, name), join(out, name), { recursive: true });
  }
  rmSync(join(out, "pkg"), { recursive: true, force: true });
  cpSync(pkg, join(out, "pkg"), { recursive: true, filter: (src) => !src.includes("node_modules") });
  rmSync(join(out, "models/stand-in"), { recursive: true, force: true });
  if (standIn) {
    const dest = join(out, "models/stand-in/ranker/resolve/main");
    mkdirSync(dest, { recursive: true });
    for (const f of ["config.json", "tokenizer_config.json", "tokenizer.json", "model.safetensors"]) cpSync(join(ranker, f), join(dest, f));
  }
  let size = 0;
  const walk = (d) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else size += s.size;
    }
  };
  walk(out);
  return { out, bytes: size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outDir = args.find((a) => !a.startsWith("--") && args[args.indexOf(a) - 1] !== "--pkg");
  if (!outDir) {
    console.error("usage: node tools/build-dist.mjs OUT_DIR [--pkg DIR] [--no-stand-in]");
    process.exit(2);
  }
  const i = args.indexOf("--pkg");
  try {
    const { out, bytes } = buildDist(outDir, { pkg: i >= 0 ? resolve(args[i + 1]) : undefined, standIn: !args.includes("--no-stand-in") });
    console.log(`demo site in ${out} (${(bytes / 1e6).toFixed(1)} MB); serve it with: node tools/serve.mjs --root ${relative(process.cwd(), out) || "."}`);
  } catch (e) {
    console.error(`build-dist: ${e.message}`);
    process.exit(1);
  }
}
