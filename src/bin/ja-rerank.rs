//! `ja-rerank`: score pairs or rerank documents from the command line (used by benchmarks and
//! evaluation). Input on stdin, JSON on stdout, one-line errors on stderr with a non-zero exit.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use ja_rerank::eval::{EvalQuery, mrr_at_k, ndcg_at_k};
use ja_rerank::tokenize::MecabDictionary;
use ja_rerank::{CpuBackend, Precision, Reranker, RerankerOptions};
use serde::{Deserialize, Serialize};

#[derive(Parser)]
#[command(name = "ja-rerank", version, about = "Japanese cross-encoder reranker (XLM-R) on burn")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Score JSON lines {"query": ..., "passage": ...} from stdin; one JSON line out per input.
    Score {
        #[command(flatten)]
        model: ModelArgs,
        /// Also print the token ids the model saw.
        #[arg(long)]
        with_ids: bool,
    },
    /// Rerank the documents on stdin (one per line) for --query; prints a JSON array, best first.
    Rerank {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        query: String,
        /// Keep only the best K documents.
        #[arg(long)]
        top_k: Option<usize>,
    },
    /// NDCG@K and MRR@K on rerank data (JSON lines; forms in src/eval.rs and the README).
    Eval {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        eval: EvalArgs,
    },
    /// Write a copy of a model with compact weights (f16, or int8 with per-row scales; format in
    /// src/load/compact.rs): config and tokenizer copied, model.safetensors converted.
    Convert {
        /// Folder in Hub layout holding the f32 model.
        #[arg(long)]
        model: PathBuf,
        /// f16 or int8.
        #[arg(long)]
        dtype: String,
        /// Folder to write (created; its model.safetensors is replaced).
        #[arg(long)]
        out: PathBuf,
    },
    /// Compile MeCab dictionary sources (lex.csv, matrix.def, char.def, unk.def) into the
    /// dictionary file BERT-ja models read (vibrato's format; scripts/build-dictionary.sh makes
    /// unidic-lite's and compresses it).
    Dictionary {
        /// Folder holding the four source files.
        #[arg(long)]
        sources: PathBuf,
        /// The name models give it in tokenizer_config.json's mecab_kwargs.mecab_dic
        /// (unidic_lite): a model naming another is refused.
        #[arg(long)]
        name: String,
        /// Compress with the zstd command at this level (19 for the shipped file).
        #[arg(long)]
        zstd: Option<u32>,
        /// File to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// NDCG@K and MRR@K of the order the passages are listed in (a first stage's ranking, such
    /// as BM25's), with no model: the baseline that `eval` on the same file improves on.
    Listed {
        #[command(flatten)]
        eval: EvalArgs,
    },
}

#[derive(Args)]
struct EvalArgs {
    /// JSON lines: {"query", "positives"|"positive", "negatives"} or {"query", "passages": [{"text", "label"}]}.
    #[arg(long)]
    data: PathBuf,
    /// Cut-off rank.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Also print each query's metrics, one JSON line per query, before the summary.
    #[arg(long)]
    per_query: bool,
}

#[derive(Args)]
struct ModelArgs {
    /// Folder in Hub layout: config.json, tokenizer.json (or tokenizer_config.json + vocab.txt),
    /// model.safetensors.
    #[arg(long)]
    model: PathBuf,
    /// The MeCab dictionary file, for models whose tokenizer is BertJapaneseTokenizer (base-v1,
    /// large-v1): unidic-lite.vibrato.zst from scripts/build-dictionary.sh.
    #[arg(long)]
    dictionary: Option<PathBuf>,
    /// Tokens per pair, special tokens included (default: the tokenizer's model_max_length where
    /// tokenizer_config.json sets one below the model's positions, else the positions; --timing
    /// prints which).
    #[arg(long)]
    max_length: Option<usize>,
    /// Pairs per forward pass.
    #[arg(long, default_value_t = ja_rerank::reranker::CPU_BATCH_SIZE)]
    batch_size: usize,
    /// CPU backend: ndarray or flex (whichever are compiled in).
    #[arg(long)]
    backend: Option<String>,
    /// How the Linear layers compute: f32 (exact), f16 (f16 weights and matmuls; burn-flex has
    /// them, burn-ndarray computes in f32) or int8 (int8 weights and activations); see the
    /// README, "Precision", for what each costs.
    #[arg(long, default_value = "f32")]
    precision: String,
    /// A passage whose pair is longer than the max length: truncate (cut, as sentence-transformers
    /// does: the reference's scores) or chunks (scored as overlapping windows of its sentences,
    /// the best one's score kept; README, "Long passages").
    #[arg(long, default_value = "truncate")]
    overflow: String,
    /// With --overflow chunks: windows per passage at most.
    #[arg(long)]
    max_chunks: Option<usize>,
    /// Print load and scoring times to stderr.
    #[arg(long)]
    timing: bool,
}

#[derive(Deserialize)]
struct PairLine {
    query: String,
    passage: String,
}

#[derive(Serialize)]
struct ScoreLine<'a> {
    score: f32,
    logit: f32,
    n_tokens: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    window: Option<WindowLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_ids: Option<&'a [u32]>,
}

#[derive(Serialize)]
struct RankedLine<'a> {
    index: usize,
    score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    window: Option<WindowLine>,
    document: &'a str,
}

/// The best window of a passage scored in chunks: `start..end` in characters (code points, as
/// Python slices a str), window `index` of `count`.
#[derive(Serialize)]
struct WindowLine {
    start: usize,
    end: usize,
    index: usize,
    count: usize,
}

impl WindowLine {
    fn new(window: Option<ja_rerank::Window>, passage: &str) -> Option<Self> {
        let w = window?;
        let chars = |bytes: usize| passage[..bytes].chars().count();
        Some(Self { start: chars(w.start), end: chars(w.end), index: w.index, count: w.count })
    }
}

/// Pairs scored per call when streaming `score` input: batches still sort by length within a
/// chunk, and memory stays bounded on endless input.
const SCORE_CHUNK: usize = 1024;

fn main() -> ExitCode {
    // Nothing should panic; if something does, say so in one line rather than a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("ja-rerank: internal error: {info}");
    }));
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ja-rerank: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn load(args: &ModelArgs) -> Result<Reranker, String> {
    let backend = match &args.backend {
        None => CpuBackend::default_compiled(),
        Some(name) => {
            CpuBackend::from_name(name).ok_or_else(|| format!("unknown backend \"{name}\" (ndarray, flex)"))?
        }
    };
    let device = backend.device().ok_or_else(|| {
        format!("backend \"{}\" is not compiled in (cargo feature \"{}\")", backend.name(), backend.name())
    })?;
    let precision = Precision::from_name(&args.precision).ok_or_else(|| {
        let names: Vec<_> = Precision::ALL.iter().map(|p| p.name()).collect();
        format!("unknown precision \"{}\" ({})", args.precision, names.join(", "))
    })?;
    let start = Instant::now();
    let mecab_dictionary = match &args.dictionary {
        None => None,
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Some(std::sync::Arc::new(MecabDictionary::from_bytes(&bytes).map_err(|e| e.to_string())?))
        }
    };
    let overflow = ja_rerank::Overflow::from_name(&args.overflow, args.max_chunks).ok_or_else(|| {
        format!("unknown overflow \"{}\" ({})", args.overflow, ja_rerank::Overflow::NAMES.join(", "))
    })?;
    let options = RerankerOptions {
        overflow,
        max_length: args.max_length,
        batch_size: args.batch_size,
        device: Some(device),
        precision,
        mecab_dictionary,
        ..Default::default()
    };
    let reranker = Reranker::from_dir(&args.model, options).map_err(|e| e.to_string())?;
    if let Some(why) = reranker.precision_reason() {
        eprintln!("note: {why}");
    }
    if args.timing {
        eprintln!("loaded {} on {} in {:.2} s", args.model.display(), backend.name(), start.elapsed().as_secs_f64());
        let source = reranker.max_length_source().name();
        eprintln!("max length {} tokens (set by {source}); overflow: {}", reranker.max_length(), reranker.overflow().name());
    }
    Ok(reranker)
}

fn run(cli: Cli) -> Result<(), String> {
    match &cli.command {
        Command::Eval { model, eval: e } => return eval(Some(model), e),
        Command::Listed { eval: e } => return eval(None, e),
        Command::Convert { model, dtype, out } => return convert(model, dtype, out),
        Command::Dictionary { sources, name, zstd: level, out } => return dictionary(sources, name, *level, out),
        _ => {}
    }
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    match cli.command {
        Command::Score { model, with_ids } => {
            let reranker = load(&model)?;
            let mut chunk: Vec<PairLine> = Vec::with_capacity(SCORE_CHUNK);
            let (mut pairs, mut tokens, mut busy) = (0usize, 0usize, 0f64);
            let mut flush = |chunk: &mut Vec<PairLine>, out: &mut BufWriter<_>| -> Result<(), String> {
                let start = Instant::now();
                let refs: Vec<(&str, &str)> = chunk.iter().map(|p| (p.query.as_str(), p.passage.as_str())).collect();
                let plan = reranker.plan(&refs).map_err(|e| e.to_string())?;
                let scores = reranker.score_plan(&plan).map_err(|e| e.to_string())?;
                busy += start.elapsed().as_secs_f64();
                for (i, s) in scores.iter().enumerate() {
                    pairs += 1;
                    tokens += s.n_tokens;
                    let row = plan.pair_rows(i).start + s.window.map_or(0, |w| w.index);
                    let line = ScoreLine {
                        score: s.score,
                        logit: s.logit,
                        n_tokens: s.n_tokens,
                        window: WindowLine::new(s.window, &chunk[i].passage),
                        input_ids: with_ids.then(|| plan.input_ids(row)),
                    };
                    serde_json::to_writer(&mut *out, &line).map_err(|e| e.to_string())?;
                    writeln!(out).map_err(|e| e.to_string())?;
                }
                chunk.clear();
                Ok(())
            };
            for (n, line) in stdin.lines().enumerate() {
                let line = line.map_err(|e| format!("reading stdin: {e}"))?;
                if line.trim().is_empty() {
                    continue;
                }
                let pair: PairLine = serde_json::from_str(&line).map_err(|e| {
                    format!("stdin line {}: expected {{\"query\": string, \"passage\": string}}: {e}", n + 1)
                })?;
                chunk.push(pair);
                if chunk.len() == SCORE_CHUNK {
                    flush(&mut chunk, &mut out)?;
                }
            }
            flush(&mut chunk, &mut out)?;
            if model.timing {
                eprintln!(
                    "scored {pairs} pairs ({:.0} tokens/pair) in {busy:.2} s: {:.2} pairs/s",
                    tokens as f64 / pairs.max(1) as f64,
                    pairs as f64 / busy.max(1e-9)
                );
            }
        }
        Command::Rerank { model, query, top_k } => {
            let reranker = load(&model)?;
            let documents: Vec<String> =
                stdin.lines().collect::<Result<_, _>>().map_err(|e| format!("reading stdin: {e}"))?;
            let start = Instant::now();
            let ranked = reranker.rerank(&query, &documents, top_k).map_err(|e| e.to_string())?;
            if model.timing {
                eprintln!("reranked {} documents in {:.2} s", documents.len(), start.elapsed().as_secs_f64());
            }
            let lines: Vec<RankedLine> = ranked
                .iter()
                .map(|r| RankedLine {
                    index: r.index,
                    score: r.score,
                    window: WindowLine::new(r.window, &documents[r.index]),
                    document: &documents[r.index],
                })
                .collect();
            serde_json::to_writer(&mut out, &lines).map_err(|e| e.to_string())?;
            writeln!(out).map_err(|e| e.to_string())?;
        }
        Command::Eval { .. } | Command::Listed { .. } | Command::Convert { .. } | Command::Dictionary { .. } => {
            unreachable!("handled above")
        }
    }
    out.flush().map_err(|e| e.to_string())
}

/// With a model, its ranking of each query's passages; without one, the listed order.
fn eval(model: Option<&ModelArgs>, args: &EvalArgs) -> Result<(), String> {
    let EvalArgs { data, k, per_query } = args;
    let (k, per_query) = (*k, *per_query);
    if k == 0 {
        return Err("--k must be at least 1".into());
    }
    let text = std::fs::read_to_string(data).map_err(|e| format!("cannot read {}: {e}", data.display()))?;
    let queries = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| EvalQuery::from_json(l).map_err(|e| format!("{} line {}: {e}", data.display(), n + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    if queries.is_empty() {
        return Err(format!("{}: no queries", data.display()));
    }
    let reranker = model.map(load).transpose()?;
    let start = Instant::now();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let (mut ndcg, mut mrr, mut pairs) = (0.0, 0.0, 0usize);
    for (i, q) in queries.iter().enumerate() {
        let labels: Vec<f64> = match &reranker {
            Some(r) => {
                let ranked = r.rerank(&q.query, &q.passages, None).map_err(|e| format!("query {}: {e}", i + 1))?;
                ranked.iter().map(|r| q.labels[r.index]).collect()
            }
            None => q.labels.clone(),
        };
        let (n, m) = (ndcg_at_k(&labels, k), mrr_at_k(&labels, k));
        ndcg += n;
        mrr += m;
        pairs += q.passages.len();
        if per_query {
            let line = serde_json::json!({ "query": q.query, format!("ndcg@{k}"): n, format!("mrr@{k}"): m });
            writeln!(out, "{line}").map_err(|e| e.to_string())?;
        }
    }
    let count = queries.len() as f64;
    let summary = serde_json::json!({
        "queries": queries.len(),
        "pairs": pairs,
        format!("ndcg@{k}"): ndcg / count,
        format!("mrr@{k}"): mrr / count,
        "seconds": start.elapsed().as_secs_f64(),
    });
    writeln!(out, "{summary}").map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())
}

/// `ja-rerank dictionary`: MeCab sources → a dictionary file, its payload through `zstd -LEVEL`.
fn dictionary(sources: &std::path::Path, name: &str, level: Option<u32>, out: &std::path::Path) -> Result<(), String> {
    let raw = MecabDictionary::compile(sources).map_err(|e| e.to_string())?;
    let payload = match level {
        None => raw.clone(),
        Some(level) => {
            use std::process::{Command, Stdio};
            let mut zstd = Command::new("zstd")
                // --stream-size: the frame says its size, which bounds what a reader decodes.
                .args(["-q", &format!("-{level}"), "-T0", "-c", &format!("--stream-size={}", raw.len())])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot run zstd (apt install zstd): {e}"))?;
            let mut stdin = zstd.stdin.take().ok_or("zstd: no stdin")?;
            let input = raw.clone();
            // Fed from a thread: zstd writes while it reads, and a full pipe would stall both.
            let feeder = std::thread::spawn(move || stdin.write_all(&input));
            let output = zstd.wait_with_output().map_err(|e| format!("zstd: {e}"))?;
            feeder.join().map_err(|_| "zstd: the feeding thread failed")?.map_err(|e| format!("zstd: {e}"))?;
            if !output.status.success() {
                return Err(format!("zstd exited with {}", output.status));
            }
            output.stdout
        }
    };
    let file = MecabDictionary::file(name, &payload).map_err(|e| e.to_string())?;
    MecabDictionary::from_bytes(&file).map_err(|e| format!("the file written does not read back: {e}"))?;
    std::fs::write(out, &file).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!("wrote {}: {} bytes (vibrato format {} bytes)", out.display(), file.len(), raw.len());
    Ok(())
}

fn convert(model: &std::path::Path, dtype: &str, out: &std::path::Path) -> Result<(), String> {
    use ja_rerank::load::{WEIGHTS_FILE, compact};
    let to = compact::Compact::parse(dtype).map_err(|e| e.to_string())?;
    let source = model.join(WEIGHTS_FILE);
    let bytes = std::fs::read(&source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
    let converted = compact::convert(&bytes, to).map_err(|e| e.to_string())?;
    if out.canonicalize().ok() == model.canonicalize().ok() {
        return Err("--out must be another folder than --model (the f32 original is kept)".into());
    }
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let entries = std::fs::read_dir(model).map_err(|e| format!("cannot list {}: {e}", model.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if entry.path().is_file() && name != WEIGHTS_FILE {
            std::fs::copy(entry.path(), out.join(&name))
                .map_err(|e| format!("cannot copy {}: {e}", entry.path().display()))?;
        }
    }
    let target = out.join(WEIGHTS_FILE);
    std::fs::write(&target, &converted).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    eprintln!("{}: {} → {} bytes ({})", target.display(), bytes.len(), converted.len(), to.name());
    Ok(())
}
