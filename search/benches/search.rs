//! Indexing and query benchmark for `atrium-search` over generated chat messages and documents.
//!
//! ```text
//! cargo bench -p atrium-search --bench search -- [--messages N] [--docs N]
//!     [--queries N] [--threads N] [--heap-mb N] [--dir PATH [--skip-index]]
//! ```
//!
//! Text is deterministic pseudo-language with a Zipf-like word distribution (a few hundred
//! common English words, then thousands of rarer generated words), 3% of messages in Chinese
//! or Japanese. Messages belong to 5 orgs × 20 projects × 5 channels (one in five private).
//! Queries run as a member of 10 projects and 2 private channels of one org, 20 hits a page,
//! snippets included; latency is measured in-process, one query at a time.

use atrium_search::corpus::{CJK, Corpus, Rng};
use std::error::Error;
use std::time::{Duration, Instant};

use atrium_search::{
    Access, IndexOp, IndexOptions, Kind, Scope, SearchDoc, SearchIndex, SearchRequest,
};

const ORGS: usize = 5;
const PROJECTS: usize = 20;
const CHANNELS: usize = 5;
const YEAR_MS: i64 = 365 * 86_400_000;
const NOW: i64 = 1_750_000_000_000;

fn message(corpus: &Corpus, rng: &mut Rng, i: usize) -> SearchDoc {
    let org = rng.below(ORGS);
    let project = rng.below(PROJECTS);
    let channel = rng.below(CHANNELS);
    let private = channel == 0;
    let len = 4 + rng.below(27);
    let created = NOW - (rng.unit() * YEAR_MS as f64) as i64;
    SearchDoc {
        kind: Kind::Message,
        id: format!("msg-{i:08}"),
        org: format!("org{org}"),
        project: Some(format!("o{org}p{project}")),
        channel: Some(format!("o{org}p{project}c{channel}")),
        title: String::new(),
        body: corpus.text(rng, len),
        author: Some(format!("user{}", rng.below(200))),
        created,
        updated: created,
        access: if private {
            Access::Channel
        } else {
            Access::Project
        },
    }
}

fn document(corpus: &Corpus, rng: &mut Rng, i: usize) -> SearchDoc {
    let org = rng.below(ORGS);
    let project = rng.below(PROJECTS);
    let created = NOW - (rng.unit() * YEAR_MS as f64) as i64;
    let title_len = 2 + rng.below(5);
    let body_len = 200 + rng.below(800);
    SearchDoc {
        kind: Kind::Doc,
        id: format!("doc-{i:08}"),
        org: format!("org{org}"),
        project: Some(format!("o{org}p{project}")),
        channel: None,
        title: corpus.text(rng, title_len),
        body: corpus.text(rng, body_len),
        author: Some(format!("user{}", rng.below(200))),
        created,
        updated: created + (rng.unit() * 30.0 * 86_400_000.0) as i64,
        access: Access::Project,
    }
}

struct Args {
    messages: usize,
    docs: usize,
    queries: usize,
    threads: usize,
    heap_mb: usize,
    dir: Option<String>,
    /// Query an index left in `dir` by an earlier run instead of building one.
    skip_index: bool,
}

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let mut args = Args {
        messages: 1_000_000,
        docs: 10_000,
        queries: 2_000,
        threads: 0,
        heap_mb: 192,
        dir: None,
        skip_index: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            // Added by `cargo bench` itself.
            "--bench" => continue,
            "--skip-index" => {
                args.skip_index = true;
                continue;
            }
            _ => {}
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--messages" => args.messages = value.parse()?,
            "--docs" => args.docs = value.parse()?,
            "--queries" => args.queries = value.parse()?,
            "--threads" => args.threads = value.parse()?,
            "--heap-mb" => args.heap_mb = value.parse()?,
            "--dir" => args.dir = Some(value),
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    Ok(args)
}

fn index_all(
    index: &SearchIndex,
    count: usize,
    seq: &mut i64,
    mut make: impl FnMut(usize) -> SearchDoc,
) -> Result<Duration, Box<dyn Error>> {
    const BATCH: usize = 10_000;
    const COMMIT_EVERY: usize = 250_000;
    let started = Instant::now();
    let mut done = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let batch: Vec<(i64, IndexOp)> = (done..done + n)
            .map(|i| {
                *seq += 1;
                (*seq, IndexOp::Upsert(make(i)))
            })
            .collect();
        index.apply(batch)?;
        done += n;
        if done % COMMIT_EVERY == 0 {
            index.commit()?;
        }
    }
    index.commit()?;
    Ok(started.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let tmp;
    let dir = match &args.dir {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    let corpus = Corpus::new();
    if !args.skip_index {
        build(&args, &dir, &corpus)?;
    }
    // Queries run on a settled index, as a long-running server has: `build` waited for the
    // merges the bulk load started.
    let index = SearchIndex::open(&dir, IndexOptions::default())?;
    println!(
        "{} documents in {} segments",
        index.num_docs(),
        index.num_segments()
    );

    queries(&index, &corpus, args.queries)?;
    index.close()?;
    Ok(())
}

fn build(args: &Args, dir: &std::path::Path, corpus: &Corpus) -> Result<(), Box<dyn Error>> {
    let index = SearchIndex::open(
        dir,
        IndexOptions {
            writer_heap_bytes: args.heap_mb * 1024 * 1024,
            writer_threads: args.threads,
        },
    )?;
    index.reset()?;
    let mut seq = 0;
    let mut rng = Rng(7);
    let t_msgs = index_all(&index, args.messages, &mut seq, |i| {
        message(corpus, &mut rng, i)
    })?;
    let mut rng = Rng(8);
    let t_docs = index_all(&index, args.docs, &mut seq, |i| {
        document(corpus, &mut rng, i)
    })?;
    let size: u64 = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "indexed {} messages in {:.2?}: {:.0} messages/s (incl. commits)",
        args.messages,
        t_msgs,
        args.messages as f64 / t_msgs.as_secs_f64()
    );
    println!(
        "indexed {} documents in {:.2?}: {:.0} documents/s; index {:.0} MiB, {} docs",
        args.docs,
        t_docs,
        args.docs as f64 / t_docs.as_secs_f64(),
        size as f64 / 1_048_576.0,
        index.num_docs()
    );

    let started = Instant::now();
    index.close()?;
    println!("merges settled in {:.2?}", started.elapsed());
    Ok(())
}

fn queries(index: &SearchIndex, corpus: &Corpus, count: usize) -> Result<(), Box<dyn Error>> {
    let scope = Scope {
        org: "org0".into(),
        projects: (0..10).map(|p| format!("o0p{p}")).collect(),
        channels: vec!["o0p0c0".into(), "o0p1c0".into()],
        ..Scope::default()
    };
    let mut rng = Rng(9);
    let kinds = [
        "word",
        "two words",
        "phrase",
        "prefix",
        "typo",
        "cjk",
        "rare word",
    ];
    let mut queries = Vec::with_capacity(count);
    for i in 0..count {
        let kind = kinds[i % kinds.len()];
        let q = match kind {
            "word" => format!("{} ", corpus.word(&mut rng)),
            "two words" => format!("{} {} ", corpus.word(&mut rng), corpus.word(&mut rng)),
            "phrase" => format!("\"{} {}\"", corpus.word(&mut rng), corpus.word(&mut rng)),
            "prefix" => {
                let w = corpus.word(&mut rng);
                let n = (2 + rng.below(4)).min(w.len());
                format!("{} {}", corpus.word(&mut rng), &w[..n])
            }
            "typo" => {
                let w = &corpus.words[rng.below(corpus.words.len())];
                let mut c: Vec<char> = w.chars().collect();
                if c.len() >= 5 {
                    c.swap(1, 2);
                }
                format!("{} ", c.into_iter().collect::<String>())
            }
            "cjk" => CJK[rng.below(CJK.len())].to_string(),
            _ => format!("{} ", corpus.words[rng.below(corpus.words.len())]),
        };
        queries.push((kind, q));
    }
    let run = |q: &str| -> Result<(Duration, Duration, usize), Box<dyn Error>> {
        let mut req = SearchRequest::new(q);
        req.now = Some(NOW);
        let cpu = thread_cpu();
        let started = Instant::now();
        let r = index.search(&scope, &req)?;
        Ok((started.elapsed(), thread_cpu() - cpu, r.total))
    };
    for (_, q) in queries.iter().take(200) {
        run(q)?;
    }
    let mut all = Vec::with_capacity(queries.len());
    let mut all_cpu = Vec::with_capacity(queries.len());
    let mut per_kind: Vec<(&str, Vec<Duration>, Vec<Duration>)> =
        kinds.iter().map(|k| (*k, Vec::new(), Vec::new())).collect();
    let mut matched = 0usize;
    let mut slowest: Vec<(Duration, Duration, &str, &str, usize)> =
        Vec::with_capacity(queries.len());
    for (kind, q) in &queries {
        let (took, cpu, total) = run(q)?;
        matched += total;
        all.push(took);
        all_cpu.push(cpu);
        slowest.push((took, cpu, kind, q, total));
        if let Some((_, v, c)) = per_kind.iter_mut().find(|(k, _, _)| k == kind) {
            v.push(took);
            c.push(cpu);
        }
    }
    all.sort();
    all_cpu.sort();
    println!(
        "queries: {} in-process, limit 20 with snippets; mean matches {:.0}",
        all.len(),
        matched as f64 / all.len().max(1) as f64
    );
    println!(
        "  (wall time; in brackets the thread's CPU time, which other processes on the machine \
         do not inflate)"
    );
    let line = |name: &str, wall: &[Duration], cpu: &[Duration]| {
        println!(
            "  {name:<10} p50 {:>8.2?}  p99 {:>8.2?}  max {:>8.2?}   [cpu p50 {:>8.2?}  p99 {:>8.2?}]",
            percentile(wall, 0.5),
            percentile(wall, 0.99),
            wall[wall.len() - 1],
            percentile(cpu, 0.5),
            percentile(cpu, 0.99),
        );
    };
    line("all", &all, &all_cpu);
    for (kind, mut v, mut c) in per_kind {
        if v.is_empty() {
            continue;
        }
        v.sort();
        c.sort();
        line(kind, &v, &c);
    }
    slowest.sort_by_key(|s| std::cmp::Reverse(s.1));
    println!("slowest queries by CPU time (wall, cpu, kind, text, total):");
    for (took, cpu, kind, q, total) in slowest.iter().take(SHOW_SLOWEST) {
        println!("  {took:>8.2?} {cpu:>8.2?}  {kind:<10} {q:?}  {total}");
    }
    if std::env::var_os("SEARCH_BENCH_REPEAT_SLOWEST").is_some() {
        // For profiling the tail: the slowest queries again, many times over.
        let started = Instant::now();
        for _ in 0..20 {
            for (_, _, _, q, _) in slowest.iter().take(40) {
                run(q)?;
            }
        }
        println!("slowest 40 × 20 again in {:.2?}", started.elapsed());
    }
    Ok(())
}

/// CPU time the calling thread has used (`CLOCK_THREAD_CPUTIME_ID`): unlike wall time, not
/// inflated when other processes share the cores.
fn thread_cpu() -> Duration {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec (64-bit Linux layout); the call only writes it.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// The slowest queries printed after the percentiles.
const SHOW_SLOWEST: usize = 25;
