//! Text extraction of hostile files, through real uploads on both databases: decompression
//! bombs of several shapes and formats (PDF content compressed twice, many PDF streams, one
//! stream re-read by many pages, a PDF cross-reference stream, a DOCX part of 1 GiB, XLSX and
//! PPTX with many large parts), a page of 40,000 `<script>` tags, text PostgreSQL would refuse,
//! an extraction that outlives its deadline, and a file that is mid-extraction every time the
//! server is killed.
//!
//! Each bomb is built in a few milliseconds: a chunk of data is compressed once and its
//! compressed bytes repeated (checksums combined arithmetically), so a 1 GiB part costs a
//! megabyte. The tests read the server's memory and CPU from /proc, and those of its
//! extraction child, found as the server's child process.

use std::io::Write as _;
use std::time::{Duration, Instant};

use atrium_client::wire::{Project, Visibility};
use atrium_tests::fixtures::{self, TestUser};
use atrium_tests::{Backend, TestServer};
use reqwest::StatusCode;
use serde_json::Value;

const MIB: u64 = 1024 * 1024;
/// The extraction child's address space in these tests.
const MEMORY_MIB: u64 = 192;
/// The expansion budget in these tests.
const BUDGET_MIB: u64 = 32;
/// What a bomb would expand to without the budget.
const BOMB: u64 = 1024 * MIB;

// ---- reading processes ---------------------------------------------------------------------

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// The fields of /proc/PID/stat after the command name (state is index 0).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// Live (not zombie) child processes of `parent`.
fn children(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            stat_fields(pid).is_some_and(|fields| {
                fields.get(1).and_then(|ppid| ppid.parse::<u32>().ok()) == Some(parent)
                    && fields[0] != "Z"
            })
        })
        .collect()
}

fn alive(pid: u32) -> bool {
    stat_fields(pid).is_some_and(|fields| fields[0] != "Z")
}

/// Whether `pid` is gone (or a zombie) within ten seconds.
async fn gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// CPU seconds of a process and of its children it has waited for (user + system).
fn cpu_with_children(pid: u32) -> f64 {
    let fields = stat_fields(pid).unwrap_or_default();
    // After the command name: utime, stime, cutime, cstime are the 12th to 15th fields.
    (11..15)
        .filter_map(|i| fields.get(i)?.parse::<f64>().ok())
        .sum::<f64>()
        / 100.0
}

/// The highest memory seen while watching: the server's RSS, and the peak RSS of any child.
#[derive(Debug, Default, Clone, Copy)]
struct Peaks {
    server_kib: u64,
    child_kib: u64,
    children: usize,
}

struct Watch {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Peaks>,
}

/// Samples the server and its children every 10 ms until stopped.
fn watch(server: u32) -> Watch {
    let (stop, mut stopped) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let mut peaks = Peaks::default();
        let mut seen = std::collections::HashSet::new();
        loop {
            peaks.server_kib = peaks
                .server_kib
                .max(status_kib(server, "VmRSS:").unwrap_or(0));
            for child in children(server) {
                seen.insert(child);
                // The child's own high-water mark: its peak even between two samples.
                peaks.child_kib = peaks
                    .child_kib
                    .max(status_kib(child, "VmHWM:").unwrap_or(0));
            }
            peaks.children = seen.len();
            tokio::select! {
                _ = &mut stopped => return peaks,
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
        }
    });
    Watch { stop, task }
}

impl Watch {
    async fn stop(self) -> Peaks {
        let _ = self.stop.send(());
        self.task.await.unwrap()
    }
}

// ---- bombs ----------------------------------------------------------------------------------

/// Raw deflate data built from pieces, each a chunk compressed once and repeated: the same
/// compressed bytes decode to the chunk again (a sync flush ends each on a byte boundary with
/// no reference before its start). Tracks the CRC-32 and length of what it decodes to.
struct Deflate {
    data: Vec<u8>,
    crc: crc32fast::Hasher,
    len: u64,
}

impl Deflate {
    fn new() -> Self {
        Self {
            data: Vec::new(),
            crc: crc32fast::Hasher::new(),
            len: 0,
        }
    }

    /// Appends `chunk` decoded `times` times.
    fn piece(mut self, chunk: &[u8], times: u64) -> Self {
        let mut compress = flate2::Compress::new(flate2::Compression::best(), false);
        let mut out = Vec::with_capacity(chunk.len() / 4 + 1024);
        compress
            .compress_vec(chunk, &mut out, flate2::FlushCompress::Sync)
            .unwrap();
        assert_eq!(
            compress.total_in(),
            chunk.len() as u64,
            "compress the whole chunk"
        );
        let mut crc = crc32fast::Hasher::new();
        crc.update(chunk);
        for _ in 0..times {
            self.data.extend_from_slice(&out);
            self.crc.combine(&crc);
        }
        self.len += chunk.len() as u64 * times;
        self
    }

    /// The raw deflate stream, ended by an empty final block.
    fn finish(mut self) -> (Vec<u8>, u32, u64) {
        self.data.extend_from_slice(&[0x03, 0x00]);
        (self.data, self.crc.finalize(), self.len)
    }
}

/// A zlib stream of `len` zero bytes (Adler-32 of zeros: A = 1, B = len).
fn zlib_zeros(len: u64) -> Vec<u8> {
    let chunk = MIB.min(len);
    let (raw, _, total) = Deflate::new()
        .piece(&vec![0; chunk as usize], len / chunk)
        .finish();
    let adler = ((total % 65_521) << 16 | 1) as u32;
    [vec![0x78, 0xda], raw, adler.to_be_bytes().to_vec()].concat()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    [
        format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes(),
        data.to_vec(),
        b"\nendstream".to_vec(),
    ]
    .concat()
}

fn text(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// Pages `3 ..` (object numbers), each given as its `/Contents` value, after the catalog and
/// the page tree; the rest of the objects follow.
fn pdf_with_pages(contents: &[String], rest: &[Vec<u8>]) -> Vec<u8> {
    let kids: String = (0..contents.len())
        .map(|i| format!("{} 0 R ", i + 3))
        .collect();
    let mut objects = vec![
        text("<< /Type /Catalog /Pages 2 0 R >>"),
        text(&format!(
            "<< /Type /Pages /Kids [{kids}] /Count {} >>",
            contents.len()
        )),
    ];
    for content in contents {
        objects.push(text(&format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content} >>"
        )));
    }
    objects.extend_from_slice(rest);
    fixtures::pdf_of_objects(&objects)
}

/// One page whose content is `BOMB` bytes compressed twice (about 2 KB in the file).
fn pdf_compressed_twice() -> Vec<u8> {
    let twice = zlib(&zlib_zeros(BOMB));
    pdf_with_pages(
        &["4 0 R".to_owned()],
        &[stream("/Filter [/FlateDecode /FlateDecode]", &twice)],
    )
}

/// Forty pages, each with its own stream of 4 MiB compressed once: 160 MiB in all.
fn pdf_many_streams() -> Vec<u8> {
    let pages = 40;
    let page_stream = zlib_zeros(4 * MIB);
    let contents: Vec<String> = (0..pages)
        .map(|i| format!("{} 0 R", 3 + pages + i))
        .collect();
    let streams: Vec<Vec<u8>> = (0..pages)
        .map(|_| stream("/Filter /FlateDecode", &page_stream))
        .collect();
    pdf_with_pages(&contents, &streams)
}

/// Drawing operators without text, `len` bytes of them.
fn drawing(len: usize) -> Vec<u8> {
    b"0 0 m 100 100 l S\n"
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect()
}

/// One compressed stream of `stream_mib` MiB of drawing operators, the content of `pages`
/// pages: the extractor reads it again for every page.
fn pdf_rereads(stream_mib: u64, pages: usize) -> Vec<u8> {
    let content = zlib(&drawing((stream_mib * MIB) as usize));
    let target = 3 + pages;
    let contents = vec![format!("{target} 0 R"); pages];
    pdf_with_pages(&contents, &[stream("/Filter /FlateDecode", &content)])
}

/// A PDF whose cross-reference stream is compressed twice: lopdf inflates it while parsing,
/// before anything can bound it, so the child's memory limit does.
fn pdf_xref_stream_bomb() -> Vec<u8> {
    let mut out = b"%PDF-1.5\n".to_vec();
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ];
    for (i, object) in objects.iter().enumerate() {
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    let twice = zlib(&zlib_zeros(BOMB));
    out.extend_from_slice(b"4 0 obj\n");
    out.extend_from_slice(&stream(
        "/Type /XRef /Size 5 /W [1 4 2] /Root 1 0 R /Filter [/FlateDecode /FlateDecode]",
        &twice,
    ));
    out.extend_from_slice(format!("\nendobj\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    out
}

/// A zip of entries given as (name, raw deflate data, CRC-32, uncompressed size), written by
/// hand: the bytes are already compressed.
fn zip(entries: &[(String, Vec<u8>, u32, u64)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let u16le = |v: usize| u16::try_from(v).unwrap().to_le_bytes();
    let u32le = |v: u64| u32::try_from(v).unwrap().to_le_bytes();
    for (name, data, crc, size) in entries {
        let offset = out.len() as u64;
        let common = [
            20u16.to_le_bytes().as_slice(), // version needed
            &0u16.to_le_bytes(),            // flags
            &8u16.to_le_bytes(),            // deflate
            &0u16.to_le_bytes(),            // time
            &0x21u16.to_le_bytes(),         // date: 1980-01-01
            &crc.to_le_bytes(),
            &u32le(data.len() as u64),
            &u32le(*size),
            &u16le(name.len()),
            &0u16.to_le_bytes(), // extra
        ]
        .concat();
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        central.extend_from_slice(&common);
        // Comment length, disk, internal and external attributes.
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&u32le(offset));
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = out.len() as u64;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&u16le(entries.len()));
    out.extend_from_slice(&u16le(entries.len()));
    out.extend_from_slice(&u32le(central.len() as u64));
    out.extend_from_slice(&u32le(central_offset));
    out.extend_from_slice(&[0; 2]);
    out
}

/// An entry whose part is `head`, then `body` repeated to about `size` bytes, then `tail`.
fn entry(
    name: &str,
    head: &str,
    body: &[u8],
    size: u64,
    tail: &str,
) -> (String, Vec<u8>, u32, u64) {
    // Whole copies of `body` in a chunk of about 1 MiB, so the chunks join into valid markup.
    let chunk = body.repeat((MIB as usize / body.len()).max(1));
    let (data, crc, len) = Deflate::new()
        .piece(head.as_bytes(), 1)
        .piece(&chunk, size / chunk.len() as u64)
        .piece(tail.as_bytes(), 1)
        .finish();
    (name.to_owned(), data, crc, len)
}

fn content_types() -> (String, Vec<u8>, u32, u64) {
    entry(
        "[Content_Types].xml",
        "<?xml version=\"1.0\"?><Types/>",
        b" ",
        MIB,
        "",
    )
}

/// A DOCX whose `word/document.xml` inflates to 1 GiB (of markup without text).
fn docx_bomb() -> Vec<u8> {
    zip(&[
        content_types(),
        entry(
            "word/document.xml",
            r#"<?xml version="1.0"?><w:document xmlns:w="w"><w:body><w:p><w:r><w:t>Start</w:t></w:r></w:p>"#,
            b"<w:bookmarkStart w:id=\"0\"/>",
            BOMB,
            "</w:body></w:document>",
        ),
    ])
}

/// An XLSX of 40 sheets of 4 MiB each, a PPTX of 60 slides of 4 MiB: no part large, the sum
/// far past the budget.
fn many_parts(kind: &str) -> Vec<u8> {
    let (count, pattern, head, tail, body): (usize, &str, &str, &str, &[u8]) = match kind {
        "xlsx" => (
            40,
            "xl/worksheets/sheet{}.xml",
            "<worksheet><sheetData>",
            "</sheetData></worksheet>",
            b"<c r=\"A1\" s=\"1\"/>".as_slice(),
        ),
        _ => (
            60,
            "ppt/slides/slide{}.xml",
            "<p:sld xmlns:a=\"a\" xmlns:p=\"p\"><p:spTree>",
            "</p:spTree></p:sld>",
            b"<a:off x=\"0\" y=\"0\"/>".as_slice(),
        ),
    };
    let part = entry("x", head, body, 4 * MIB, tail);
    let mut entries = vec![content_types()];
    for i in 1..=count {
        entries.push((
            pattern.replace("{}", &i.to_string()),
            part.1.clone(),
            part.2,
            part.3,
        ));
    }
    zip(&entries)
}

// ---- the server ---------------------------------------------------------------------------

struct Workspace {
    server: TestServer,
    owner: TestUser,
    project: Project,
}

async fn workspace(backend: Backend, env: &[(&str, String)]) -> Workspace {
    let mut builder = TestServer::builder(backend)
        .env("ATRIUM_EXTRACT_MEMORY_MIB", MEMORY_MIB.to_string())
        .env("ATRIUM_EXTRACT_MAX_EXPANDED_MIB", BUDGET_MIB.to_string());
    for (key, value) in env {
        builder = builder.env(key, value.clone());
    }
    let server = builder.start().await;
    let owner = fixtures::user(&server, "owner").await;
    let org = fixtures::create_org(&owner, "Acme").await;
    let project = fixtures::create_project(&owner, &org.id, "Files", Visibility::Open).await;
    Workspace {
        server,
        owner,
        project,
    }
}

async fn upload(w: &Workspace, name: &str, bytes: &[u8]) -> String {
    let (status, body) = fixtures::upload_file(&w.owner, &w.project.id, name, bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
    body["id"].as_str().unwrap().to_owned()
}

/// A small file extracted first, so that what the first extraction sets up once is in the
/// baseline.
async fn warm_up(w: &Workspace) {
    let file = upload(w, "warm.html", b"<!DOCTYPE html><p>warm</p>").await;
    let text = fixtures::extraction_finished(&w.owner, &file, Duration::from_secs(60)).await;
    assert_eq!(text["extraction"], "done", "{text}");
}

/// The extraction of the file's version: its state and error, and the attempts of its job.
async fn job(pool: &sqlx::AnyPool, file: &str) -> (String, Option<String>, i64) {
    sqlx::query_as(
        "select v.extract_state, v.extract_error, j.attempts from file_versions v
         join jobs j on j.org_id = v.org_id and j.kind = 'extract'
                    and j.payload like '%' || v.id || '%'
         where v.file_id = $1",
    )
    .bind(file)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Waits until the file's extraction is claimed for the `attempt`th time and its child is at
/// work; returns the child's pid.
async fn running_child(server: &TestServer, pool: &sqlx::AnyPool, file: &str, attempt: i64) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (state, _, attempts) = job(pool, file).await;
        let running = children(server.pid());
        if state == "running" && attempts == attempt && !running.is_empty() {
            return running[0];
        }
        assert!(
            Instant::now() < deadline,
            "attempt {attempt} did not start: {state}, {attempts}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

atrium_tests::backend_tests! {
    async fn bombs_fail_with_a_reason_in_bounded_memory(backend) {
        let w = workspace(backend, &[]).await;
        warm_up(&w).await;
        let pid = w.server.pid();
        let baseline = status_kib(pid, "VmRSS:").unwrap();
        let expands = format!("expands to more than the {BUDGET_MIB} MiB extraction budget");
        let memory = format!("exceeded the extraction memory limit ({MEMORY_MIB} MiB)");
        let bombs: Vec<(&str, Vec<u8>, &str)> = vec![
            ("compressed-twice.pdf", pdf_compressed_twice(), &expands),
            ("many-streams.pdf", pdf_many_streams(), &expands),
            ("re-read.pdf", pdf_rereads(2, 100), &expands),
            ("xref-stream.pdf", pdf_xref_stream_bomb(), &memory),
            ("huge-part.docx", docx_bomb(), &expands),
            ("many-sheets.xlsx", many_parts("xlsx"), &expands),
            ("many-slides.pptx", many_parts("pptx"), &expands),
        ];
        let watch = watch(pid);
        let mut files = Vec::new();
        for (name, bytes, _) in &bombs {
            assert!(bytes.len() < 8 * MIB as usize, "{name} is {} bytes", bytes.len());
            files.push(upload(&w, name, bytes).await);
        }
        for ((name, _, reason), file) in bombs.iter().zip(&files) {
            let text = fixtures::extraction_finished(&w.owner, file, Duration::from_secs(120)).await;
            assert_eq!(text["extraction"], "failed", "{name}: {text}");
            assert!(text["error"].as_str().unwrap().contains(reason), "{name}: {text}");
            assert!(text["text"].is_null(), "{name}: {text}");
            // The server answers throughout.
            let health = reqwest::get(format!("{}/healthz", w.server.url())).await.unwrap();
            assert_eq!(health.status(), StatusCode::OK);
        }
        let peaks = watch.stop().await;
        let growth_mib = peaks.server_kib.saturating_sub(baseline) / 1024;
        eprintln!("bombs: server RSS {baseline} KiB → peak {} KiB; {} children, peak {} KiB", peaks.server_kib, peaks.children, peaks.child_kib);
        // In-process, the first of these took the server past 1 GiB.
        assert!(growth_mib < 64, "server RSS grew by {growth_mib} MiB ({peaks:?}, baseline {baseline} KiB)");
        assert!(peaks.child_kib / 1024 < MEMORY_MIB, "an extraction child peaked at {} KiB", peaks.child_kib);
        assert!(peaks.children >= 1, "no extraction child was seen ({peaks:?})");
        // Every child is gone once its job is recorded.
        assert_eq!(children(pid), Vec::<u32>::new());
    }

    async fn a_page_of_scripts_is_linear(backend) {
        let w = workspace(backend, &[]).await;
        warm_up(&w).await;
        let pid = w.server.pid();
        // 40,000 scripts (720 KB): each one lower-cased the rest of the page before, minutes
        // of one core for the whole page.
        let page = format!("<!DOCTYPE html><html><body>{}<p>the end</p></body></html>", "<script>x</script>".repeat(40_000));
        let mixed = format!("<!DOCTYPE html><html><body>{}<p>mixed end</p></body></html>", "<SCRIPT>x</ScRiPt><style>p{}</style>&amp&&#x41;".repeat(20_000));
        let before = cpu_with_children(pid);
        let first = upload(&w, "scripts.html", page.as_bytes()).await;
        let second = upload(&w, "mixed.html", mixed.as_bytes()).await;
        let text = fixtures::extraction_finished(&w.owner, &first, Duration::from_secs(60)).await;
        assert_eq!(text["extraction"], "done", "{text}");
        assert_eq!(text["text"].as_str().unwrap().trim(), "the end");
        let text = fixtures::extraction_finished(&w.owner, &second, Duration::from_secs(60)).await;
        assert_eq!(text["extraction"], "done", "{text}");
        assert!(text["text"].as_str().unwrap().trim_end().ends_with("mixed end"), "{text}");
        // Server and extraction children together (the children are counted once reaped).
        let spent = cpu_with_children(pid) - before;
        eprintln!("script pages: {spent:.2} s of CPU, server and children");
        assert!(spent < 5.0, "extracting two script pages took {spent:.1} s of CPU");
    }

    async fn text_the_database_refuses_is_cleaned(backend) {
        let w = workspace(backend, &[]).await;
        // A NUL after the part that is sniffed, and one written as an HTML entity: PostgreSQL
        // refuses NUL in text, which left the job running.
        let mut plain = b"a".repeat(10_000);
        plain.extend_from_slice(b" before\0after");
        let plain = upload(&w, "notes.txt", &plain).await;
        let html = upload(&w, "page.html", b"<!DOCTYPE html><p>x&#0;y</p>").await;
        let text = fixtures::extraction_finished(&w.owner, &plain, Duration::from_secs(60)).await;
        assert_eq!(text["extraction"], "done", "{text}");
        assert!(text["text"].as_str().unwrap().ends_with("beforeafter"), "{text}");
        let text = fixtures::extraction_finished(&w.owner, &html, Duration::from_secs(60)).await;
        assert_eq!(text["extraction"], "done", "{text}");
        assert_eq!(text["text"].as_str().unwrap().trim(), "xy");
    }

    async fn an_extraction_past_its_deadline_is_stopped(backend) {
        // The budget out of the way: only the deadline stops a file that takes minutes.
        let w = workspace(backend, &[
            ("ATRIUM_EXTRACT_TIMEOUT_SECS", "2".to_owned()),
            ("ATRIUM_EXTRACT_MAX_EXPANDED_MIB", "1048576".to_owned()),
        ]).await;
        warm_up(&w).await;
        let pid = w.server.pid();
        let file = upload(&w, "slow.pdf", &pdf_rereads(8, 5_000)).await;
        let text = fixtures::extraction_finished(&w.owner, &file, Duration::from_secs(60)).await;
        assert_eq!(text["extraction"], "failed", "{text}");
        assert_eq!(text["error"], "extraction took longer than 2 s", "{text}");
        assert_eq!(children(pid), Vec::<u32>::new(), "the child was not stopped");
    }

    async fn with_the_budget_raised_the_memory_limit_stops_a_bomb(backend) {
        let w = workspace(backend, &[("ATRIUM_EXTRACT_MAX_EXPANDED_MIB", "1048576".to_owned())]).await;
        warm_up(&w).await;
        let pid = w.server.pid();
        let baseline = status_kib(pid, "VmRSS:").unwrap();
        let watch = watch(pid);
        // (Office parts are streamed through the XML reader, so they are no memory bomb even
        // without the budget; these two are.)
        let pdf = upload(&w, "compressed-twice.pdf", &pdf_compressed_twice()).await;
        let xref = upload(&w, "xref-stream.pdf", &pdf_xref_stream_bomb()).await;
        for file in [pdf, xref] {
            let text = fixtures::extraction_finished(&w.owner, &file, Duration::from_secs(120)).await;
            assert_eq!(text["extraction"], "failed", "{text}");
            assert_eq!(text["error"], format!("exceeded the extraction memory limit ({MEMORY_MIB} MiB)"), "{text}");
        }
        let peaks = watch.stop().await;
        let growth_mib = peaks.server_kib.saturating_sub(baseline) / 1024;
        eprintln!("memory limit: server RSS {baseline} KiB → peak {} KiB; {} children, peak {} KiB", peaks.server_kib, peaks.children, peaks.child_kib);
        assert!(growth_mib < 64, "server RSS grew by {growth_mib} MiB ({peaks:?})");
        assert!(peaks.child_kib / 1024 < MEMORY_MIB, "an extraction child peaked at {} KiB", peaks.child_kib);
    }

    async fn an_extraction_interrupted_three_times_fails(backend) {
        // A real file that takes many minutes (one 8 MiB stream read for each of 5,000 pages),
        // with the budget and deadline out of the way: the server is killed while the child
        // works on it, three times. A killed server's job is taken up again once its lease runs
        // out (renewed every third of it while the server lives): two seconds here.
        let mut w = workspace(backend, &[
            ("ATRIUM_EXTRACT_TIMEOUT_SECS", "3600".to_owned()),
            ("ATRIUM_EXTRACT_MAX_EXPANDED_MIB", "1048576".to_owned()),
            ("ATRIUM_JOBS_LEASE_SECS", "2".to_owned()),
        ]).await;
        let file = upload(&w, "slow.pdf", &pdf_rereads(8, 5_000)).await;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(w.server.database_url()).await.unwrap();
        // A graceful stop in the middle stops the child and puts the job back uncounted.
        let child = running_child(&w.server, &pool, &file, 1).await;
        w.server.signal(nix::sys::signal::Signal::SIGTERM);
        w.server.wait(Duration::from_secs(30)).await;
        assert!(gone(child).await, "the extraction child outlived a graceful stop");
        let (state, _, attempts) = job(&pool, &file).await;
        assert_eq!((state.as_str(), attempts), ("pending", 0));
        w.server.restart().await;
        for attempt in 1..=3 {
            let child = running_child(&w.server, &pool, &file, attempt).await;
            w.server.kill().await;
            // The child dies with the server (parent-death signal), not minutes later.
            assert!(gone(child).await, "the extraction child {child} outlived the server");
            w.server.restart().await;
        }
        // After the third restart its lease ran out with no attempt left: failed, with the
        // reason.
        let owner = w.server.client().with_token(&w.owner.token);
        let deadline = Instant::now() + Duration::from_secs(30);
        let text = loop {
            let text: Value = owner.get(&format!("/api/v1/files/{file}/text")).await.unwrap();
            if text["extraction"] == "failed" {
                break text;
            }
            assert!(Instant::now() < deadline, "the job was not failed: {text}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(text["error"], "extraction was interrupted 3 times", "{text}");
        // And start-up no longer retries it.
        w.server.restart().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(children(w.server.pid()), Vec::<u32>::new());
        let (state, error, attempts) = job(&pool, &file).await;
        assert_eq!((state.as_str(), error.as_deref(), attempts), ("failed", Some("extraction was interrupted 3 times"), 3));
        pool.close().await;
    }
}
