//! How long one invoice PDF takes to render, start to finish (checks, typesetting, PDF export,
//! cache eviction), on one thread with fonts already loaded, as the server will do it.
//!
//! ```text
//! cargo bench -p atrium-pdf --bench invoice_pdf -- [--lines N] [--iterations N] [--warmup N]
//!                                                    [--out FILE]
//! ```
//!
//! Defaults: the 200-line sample euro invoice (Unicode text, a CJK client, two VAT rates,
//! discounts), 200 timed renders — each of a variant with its own number and line texts — after
//! 10 untimed ones. Prints the start-up cost (loading the
//! fonts and the first, cold render), then p50, p90, p99 and max per render, the PDF's size and
//! pages, the process's peak and current resident memory (Linux), and the load average the
//! figures were taken under. `--out` also writes the PDF, to look at.

use std::error::Error;
use std::time::{Duration, Instant};

use atrium_pdf::{Fonts, Renderer, sample};

struct Options {
    lines: usize,
    iterations: usize,
    warmup: usize,
    out: Option<String>,
}

fn options() -> Result<Options, Box<dyn Error>> {
    let mut options = Options {
        lines: 200,
        iterations: 200,
        warmup: 10,
        out: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || -> Result<usize, Box<dyn Error>> {
            Ok(args.next().ok_or(format!("{arg} needs a value"))?.parse()?)
        };
        match arg.as_str() {
            "--lines" => options.lines = value()?,
            "--iterations" => options.iterations = value()?.max(1),
            "--warmup" => options.warmup = value()?,
            "--out" => options.out = Some(args.next().ok_or("--out needs a file name")?),
            // cargo bench passes --bench to every bench binary.
            "--bench" => {}
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(options)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A line of `/proc/self/status` (`VmHWM`, `VmRSS`), in MiB; `None` off Linux.
fn memory_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(key))?;
    let kib: f64 = line[key.len()..]
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

fn mib(value: Option<f64>) -> String {
    value.map_or_else(|| "?".into(), |v| format!("{v:.0} MiB"))
}

/// Pages of a PDF typst wrote: the count in its page tree, `/Type/Pages/Count N`.
fn pages(pdf: &[u8]) -> Option<usize> {
    const NEEDLE: &[u8] = b"/Type/Pages/Count ";
    let at = pdf.windows(NEEDLE.len()).position(|w| w == NEEDLE)? + NEEDLE.len();
    let digits = pdf[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&pdf[at..at + digits])
        .ok()?
        .parse()
        .ok()
}

/// The CPU time this process has used so far (user and system, all threads), from
/// `/proc/self/stat` in clock ticks of 10 ms; `None` off Linux.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() -> Result<(), Box<dyn Error>> {
    let options = options()?;
    let doc = sample::eur_invoice(options.lines);

    let started = Instant::now();
    let fonts = Fonts::load();
    let fonts_loaded = started.elapsed();
    if let Some(missing) = fonts.missing() {
        println!("warning: {missing}");
    }
    let renderer = Renderer::new(fonts);
    let started = Instant::now();
    let first = renderer.render_invoice(&doc)?;
    let cold = started.elapsed();

    for _ in 0..options.warmup {
        renderer.render_invoice(&doc)?;
    }
    // Each timed render is of another invoice (its number and every line's text differ), so
    // what typst keeps between renders helps only as much as it would between real invoices.
    let variants: Vec<_> = (0..options.iterations)
        .map(|i| {
            let mut doc = doc.clone();
            doc.number = format!("INV-2026-{:05}", 100 + i);
            for line in &mut doc.lines {
                line.description = format!("{} (batch {i})", line.description);
            }
            doc
        })
        .collect();
    let rss_before = memory_mib("VmRSS");
    let cpu_before = cpu_time();
    let mut times = Vec::with_capacity(options.iterations);
    for variant in &variants {
        let started = Instant::now();
        let pdf = renderer.render_invoice(variant)?;
        times.push(started.elapsed());
        assert!(pdf != first, "each invoice is its own PDF");
    }
    assert!(renderer.render_invoice(&doc)? == first, "renders differ");
    let cpu_per_render = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| (after - before) / options.iterations as u32);
    times.sort();
    if let Some(path) = &options.out {
        std::fs::write(path, &first)?;
    }
    println!(
        "invoice PDF, {} lines, {} pages, {} bytes; fonts loaded in {}, first render {}",
        options.lines,
        pages(&first).map_or_else(|| "?".into(), |n| n.to_string()),
        first.len(),
        ms(fonts_loaded),
        ms(cold)
    );
    println!(
        "{} renders: p50 {}  p90 {}  p99 {}  max {}",
        times.len(),
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 90.0)),
        ms(percentile(&times, 99.0)),
        ms(*times.last().expect("at least one render")),
    );
    println!(
        "CPU time per render (user + system, all threads): {}",
        cpu_per_render.map_or_else(|| "?".into(), ms)
    );
    println!(
        "memory: peak RSS {}; RSS {} before the timed renders, {} after",
        mib(memory_mib("VmHWM")),
        mib(rss_before),
        mib(memory_mib("VmRSS")),
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average (1, 5, 15 min): {} on {} cores",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        std::thread::available_parallelism().map_or(0, usize::from),
    );
    Ok(())
}
