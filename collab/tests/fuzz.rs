//! A seeded mutation fuzzer for the collaboration protocol, run for a bounded time as ordinary
//! tests.
//!
//! The seeds are valid y-websocket frames produced by yrs: SyncStep1 (empty, one client, many
//! clients), SyncStep2 and Update carrying documents of every content kind (text with
//! formatting and embeds, maps and arrays of every `Any` value, nested types, XML, a
//! subdocument, deletions, merged updates with skips), awareness updates, query-awareness,
//! auth and unknown messages, and frames of several messages. Each input is a seed mutated
//! one to four times (bit flips, interesting bytes, varint boundaries, insertions, deletions,
//! duplicated ranges, splices of two seeds, truncation) by a deterministic generator, so a
//! finding is reproduced by its iteration number.
//!
//! - `decoder`: `protocol::decode_frame`, `validate_update_v1` and `decode_update` on every
//!   input, and every update that passes integrated into an empty and a populated document.
//! - `connection`: a hub on SQLite, inputs fed to editor and viewer `Connection`s of one room.
//!
//! A finding is a panic (in our code, or one yrs raises on input the validating scanner let
//! through: the scanner must refuse what yrs cannot take), an input that runs past
//! [`HANG`] (a watchdog aborts the process, printing it), or one that allocates more than a
//! small multiple of its size (a counting allocator measures each input's peak). Every run
//! lasts `ATRIUM_FUZZ_SECS` seconds per target (default [`DEFAULT_SECS`]); the seed is fixed,
//! and `ATRIUM_FUZZ_SEED` picks another.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use atrium_collab::protocol::{self, Incoming, ProtocolError};
use atrium_collab::{Access, Connection, Hub, HubConfig, Outbox, Outgoing, Rate, close_codes};
use bytes::Bytes;
use common::TestDb;
use yrs::sync::Awareness;
use yrs::types::Attrs;
use yrs::updates::decoder::Decode;
use yrs::{
    Any, Array, ArrayPrelim, Doc, Map, MapPrelim, ReadTxn, StateVector, Text, TextPrelim, Transact,
    Update, Xml, XmlElementPrelim, XmlFragment, XmlTextPrelim,
};

/// Seconds each target runs unless `ATRIUM_FUZZ_SECS` says otherwise.
const DEFAULT_SECS: f64 = 6.0;
/// One input taking longer than this is a hang.
const HANG: Duration = Duration::from_secs(10);
/// Messages per frame, as the hub allows by default.
const MAX_MESSAGES: usize = 64;

// --- allocation accounting ----------------------------------------------------------------

/// The system allocator, counting each thread's live bytes and their peak, so one input's
/// peak allocation can be read on the thread that decodes it.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    // `try_with`: allocations during thread teardown find the slots gone.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now);
            }
        });
    });
}

// SAFETY: every call is forwarded to `System` unchanged; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result and the most bytes it had allocated at once (this thread).
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    let peak = PEAK.with(Cell::get) - base;
    (out, peak.max(0) as usize)
}

// --- inputs ---------------------------------------------------------------------------------

/// splitmix64: small, fast and good enough to drive mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seed() -> u64 {
    std::env::var("ATRIUM_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00a7_71c0_11ab_f022)
}

fn budget() -> Duration {
    let secs = std::env::var("ATRIUM_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(DEFAULT_SECS);
    Duration::from_secs_f64(secs)
}

/// Documents of every content kind yrs writes, each as (document, its full state).
fn documents() -> Vec<Doc> {
    let mut docs = Vec::new();

    // Text: inserts in the middle, deletions, formatting, an embed.
    let doc = Doc::with_client_id(11);
    let text = doc.get_or_insert_text("text");
    {
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "hello wörld 👋 and more text");
        text.insert(&mut txn, 5, ", dear");
        text.remove_range(&mut txn, 2, 4);
        let bold: Attrs = [("bold".into(), Any::Bool(true))].into();
        text.format(&mut txn, 3, 6, bold.clone());
        text.insert_with_attributes(&mut txn, 1, "fmt", bold);
        text.insert_embed(
            &mut txn,
            2,
            Any::from(vec![Any::from("img"), Any::from(1.0)]),
        );
    }
    docs.push(doc);

    // Maps and arrays of every Any value, nested types, a subdocument.
    let doc = Doc::with_client_id(22);
    let map = doc.get_or_insert_map("m");
    let arr = doc.get_or_insert_array("a");
    {
        let mut txn = doc.transact_mut();
        let mut inner = std::collections::HashMap::new();
        inner.insert("k".to_owned(), Any::from(vec![Any::Null, Any::Undefined]));
        map.insert(&mut txn, "null", Any::Null);
        map.insert(&mut txn, "undefined", Any::Undefined);
        map.insert(&mut txn, "bool", Any::Bool(false));
        map.insert(&mut txn, "int", Any::Number(yrs::Number::Int(-(1 << 60))));
        map.insert(&mut txn, "float", Any::Number(yrs::Number::Float(1.5)));
        map.insert(&mut txn, "small", Any::Number(yrs::Number::Int(-7)));
        map.insert(&mut txn, "string", Any::from("s"));
        map.insert(&mut txn, "buffer", Any::Buffer(vec![0u8, 1, 255].into()));
        map.insert(&mut txn, "nested", Any::from(inner));
        map.insert(&mut txn, "deleted", Any::from("gone"));
        map.remove(&mut txn, "deleted");
        let sub = map.insert(&mut txn, "map", MapPrelim::default());
        sub.insert(&mut txn, "x", Any::from(1.0));
        arr.push_back(&mut txn, Any::from(7.0));
        arr.push_back(&mut txn, ArrayPrelim::default());
        arr.push_back(&mut txn, TextPrelim::new("nested text"));
        arr.insert(&mut txn, 1, Any::from("between"));
        arr.remove(&mut txn, 0);
        map.insert(&mut txn, "subdoc", Doc::new());
    }
    docs.push(doc);

    // XML, as y-prosemirror writes it.
    let doc = Doc::with_client_id(33);
    let frag = doc.get_or_insert_xml_fragment("default");
    {
        let mut txn = doc.transact_mut();
        let p = frag.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
        p.insert_attribute(&mut txn, "align", "left");
        let t = p.push_back(&mut txn, XmlTextPrelim::new("para"));
        let italic: Attrs = [("italic".into(), Any::Map(Default::default()))].into();
        t.insert_with_attributes(&mut txn, 2, "it", italic);
        let list = frag.push_back(&mut txn, XmlElementPrelim::empty("bulletList"));
        let item = list.push_back(&mut txn, XmlElementPrelim::empty("listItem"));
        item.push_back(&mut txn, XmlTextPrelim::new("item"));
        frag.remove_range(&mut txn, 0, 1);
    }
    docs.push(doc);

    // Two clients' concurrent edits merged, and a document with GC'd deletions.
    let a = Doc::with_client_id(44);
    let b = Doc::with_client_id(55);
    a.get_or_insert_text("text")
        .insert(&mut a.transact_mut(), 0, "from a");
    b.get_or_insert_text("text")
        .insert(&mut b.transact_mut(), 0, "from b");
    let ua = a
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    b.transact_mut()
        .apply_update(Update::decode_v1(&ua).unwrap())
        .unwrap();
    let t = b.get_or_insert_text("text");
    t.remove_range(&mut b.transact_mut(), 1, 8);
    docs.push(b);
    docs
}

/// Seeds to mutate: valid frames, valid raw v1 updates, and updates that must be refused
/// (shapes that crashed yrs before the scanner and the room refused them).
struct Seeds {
    frames: Vec<Vec<u8>>,
    updates: Vec<Vec<u8>>,
    refused: Vec<Vec<u8>>,
}

fn seeds(docs: &[Doc]) -> Seeds {
    let mut frames: Vec<Vec<u8>> = Vec::new();
    let mut updates: Vec<Vec<u8>> = Vec::new();
    for doc in docs {
        let txn = doc.transact();
        let full = txn.encode_state_as_update_v1(&StateVector::default());
        let sv = txn.state_vector();
        frames.push(protocol::encode_sync_step1(sv.clone()).to_vec());
        frames.push(protocol::encode_sync_step2(full.clone()).to_vec());
        frames.push(protocol::encode_update(full.clone()).to_vec());
        updates.push(full);
    }
    // Incremental updates (with origins, right origins and a delete set), and a merge of two
    // of them with a gap between (a Skip block).
    let doc = Doc::with_client_id(66);
    let text = doc.get_or_insert_text("text");
    let mut incremental = Vec::new();
    for (at, s) in [(0, "abc"), (1, "XY"), (5, "tail"), (0, "head")] {
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, at, s);
        if at == 5 {
            text.remove_range(&mut txn, 2, 2);
        }
        incremental.push(txn.encode_update_v1());
    }
    let mut refused = Vec::new();
    updates.push(yrs::merge_updates_v1([&incremental[0], &incremental[1]]).unwrap());
    // Merged across a gap: a skip followed by blocks.
    refused.push(yrs::merge_updates_v1([&incremental[0], &incremental[2]]).unwrap());
    // One client's blocks in two sections.
    let mut twice = vec![2];
    for u in [&incremental[0], &incremental[1]] {
        // Each incremental update is one client section and an empty delete set.
        assert_eq!((u[0], u[u.len() - 1]), (1, 0));
        twice.extend_from_slice(&u[1..u.len() - 1]);
    }
    twice.push(0);
    refused.push(twice);
    for u in &incremental {
        frames.push(protocol::encode_update(u.clone()).to_vec());
    }
    updates.extend(incremental);
    updates.push(vec![0, 0]);
    // State vectors: empty, and many clients.
    frames.push(protocol::encode_sync_step1(StateVector::default()).to_vec());
    let many: StateVector = (1..200u64)
        .map(|c| (yrs::ClientID::new(c * 7919), c as u32))
        .collect();
    frames.push(protocol::encode_sync_step1(many).to_vec());
    // Awareness: several states and a removal.
    let mut awareness = Awareness::new(Doc::with_client_id(77));
    awareness
        .set_local_state(
            serde_json::json!({"user": {"name": "Ann", "color": "#f00"}, "cursor": null}),
        )
        .unwrap();
    frames.push(protocol::encode_awareness(awareness.update().unwrap()).to_vec());
    frames.push(
        protocol::encode_awareness_entries(
            [
                (77u64, 2u32, "null"),
                (88, 1, r#"{"a":[1,2,{"b":"c"}]}"#),
                (99, 3, "\"x\""),
            ]
            .into_iter(),
        )
        .to_vec(),
    );
    frames.push(protocol::encode_query_awareness().to_vec());
    frames.push(protocol::encode_permission_denied("denied").to_vec());
    frames.push(vec![2, 1]);
    // An unknown message: a tag and a buffer.
    frames.push(vec![9, 3, 1, 2, 3]);
    // Several messages in one frame.
    let mut several = frames[0].clone();
    several.extend_from_slice(&frames[frames.len() - 4]);
    several.extend_from_slice(&frames[2]);
    frames.push(several);
    Seeds {
        frames,
        updates,
        refused,
    }
}

/// Varint encodings of boundary values.
const VARINTS: &[&[u8]] = &[
    &[0x00],
    &[0x7f],
    &[0x80, 0x01],
    &[0xff, 0x7f],
    &[0xff, 0xff, 0xff, 0xff, 0x0f],
    &[0xff, 0xff, 0xff, 0xff, 0x1f],
    &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f],
    &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f],
    &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    &[
        0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
    ],
];

/// One to four mutations of a seed.
fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut input = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(4) {
        let len = input.len();
        match rng.below(10) {
            0 if len > 0 => {
                let at = rng.below(len);
                input[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                input[at] = [0, 1, 0x7f, 0x80, 0xfe, 0xff, rng.next() as u8][rng.below(7)];
            }
            2 => {
                let at = rng.below(len + 1);
                let v = VARINTS[rng.below(VARINTS.len())];
                // Replace as many bytes as the varint has, or insert it.
                if rng.below(2) == 0 && at + v.len() <= len {
                    input[at..at + v.len()].copy_from_slice(v);
                } else {
                    input.splice(at..at, v.iter().copied());
                }
            }
            3 => {
                let at = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                input.splice(at..at, bytes);
            }
            4 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(16));
                input.drain(at..at + n);
            }
            5 if len > 0 => {
                let from = rng.below(len);
                let n = 1 + rng.below((len - from).min(64));
                let chunk = input[from..from + n].to_vec();
                let at = rng.below(len + 1);
                input.splice(at..at, chunk);
            }
            6 => {
                let other = &seeds[rng.below(seeds.len())];
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                input.truncate(cut);
                input.extend_from_slice(&other[from..]);
            }
            7 if len > 1 => input.truncate(rng.below(len)),
            8 => {
                let other = &seeds[rng.below(seeds.len())];
                input.extend_from_slice(other);
            }
            _ => {
                if len > 0 {
                    let at = rng.below(len);
                    input[at] = input[at].wrapping_add(1 + rng.below(3) as u8);
                }
            }
        }
    }
    input
}

// --- the watchdog ---------------------------------------------------------------------------

/// Aborts the process, printing the input, when one input runs past [`HANG`].
struct Watchdog {
    /// (iteration + 1) of the input being run; 0 between inputs.
    current: Arc<AtomicU64>,
    started: Arc<AtomicU64>,
    input: Arc<std::sync::Mutex<Vec<u8>>>,
    epoch: Instant,
}

impl Watchdog {
    fn start(target: &'static str) -> Self {
        let dog = Self {
            current: Arc::default(),
            started: Arc::default(),
            input: Arc::default(),
            epoch: Instant::now(),
        };
        let (current, started, input, epoch) = (
            dog.current.clone(),
            dog.started.clone(),
            dog.input.clone(),
            dog.epoch,
        );
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(250));
                let iteration = current.load(Ordering::SeqCst);
                if iteration == 0 {
                    continue;
                }
                let since = Duration::from_millis(started.load(Ordering::SeqCst));
                if epoch.elapsed().saturating_sub(since) > HANG
                    && current.load(Ordering::SeqCst) == iteration
                {
                    let input = input.lock().map(|i| hex(&i)).unwrap_or_default();
                    eprintln!(
                        "fuzz {target}: iteration {} (seed {:#x}) ran past {HANG:?}: a hang\ninput: {input}",
                        iteration - 1,
                        seed()
                    );
                    std::process::abort();
                }
            }
        });
        dog
    }

    fn begin(&self, iteration: u64, input: &[u8]) {
        if let Ok(mut i) = self.input.lock() {
            i.clear();
            i.extend_from_slice(input);
        }
        self.started
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::SeqCst);
        self.current.store(iteration + 1, Ordering::SeqCst);
    }

    fn end(&self) {
        self.current.store(0, Ordering::SeqCst);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What went wrong with one input.
struct Finding {
    iteration: u64,
    what: String,
    input: Vec<u8>,
}

fn report(target: &str, findings: &[Finding], iterations: u64) {
    eprintln!(
        "fuzz {target}: {iterations} inputs, {} findings",
        findings.len()
    );
    if findings.is_empty() {
        return;
    }
    let listed: Vec<String> = findings
        .iter()
        .take(10)
        .map(|f| {
            format!(
                "iteration {}: {}\n  input: {}",
                f.iteration,
                f.what,
                hex(&f.input)
            )
        })
        .collect();
    panic!(
        "fuzz {target} (seed {:#x}) found {} problem(s):\n{}",
        seed(),
        findings.len(),
        listed.join("\n")
    );
}

thread_local! {
    /// Set while this thread runs fuzzed code: the panics it raises are findings, reported
    /// with their input, not printed as they happen.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with this thread's panics caught and not printed.
fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                default(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let out = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    out
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// Integrates `update` into `doc` as the room does (refusing an update that starts past the
/// document's clock of a client); `Err` with what happened when yrs panics.
fn integrate(doc: &Doc, update: Update) -> Result<(), String> {
    let sv = doc.transact().state_vector();
    if update
        .state_vector_lower()
        .iter()
        .any(|(client, start)| *start > sv.get(client))
    {
        return Ok(());
    }
    match quietly(|| doc.transact_mut().apply_update(update).map(|_| ())) {
        Ok(_) => Ok(()),
        Err(p) => Err(format!(
            "yrs panicked integrating an accepted update: {}",
            panic_message(&*p)
        )),
    }
}

/// Runs one decoder input: every entry point, and integration of what they accept. Returns
/// what went wrong, if anything.
fn decode_one(input: &[u8], is_update: bool, base: &Doc) -> Option<String> {
    let frame = Bytes::copy_from_slice(input);
    let outcome = quietly(|| -> Option<String> {
        let mut updates: Vec<Bytes> = Vec::new();
        if is_update {
            let _ = protocol::validate_update_v1(input);
            updates.push(frame.clone());
        } else {
            match protocol::decode_frame(&frame, MAX_MESSAGES) {
                Ok(messages) => {
                    if messages.len() > MAX_MESSAGES {
                        return Some(format!("{} messages decoded", messages.len()));
                    }
                    for m in messages {
                        match m {
                            Incoming::Update(u) | Incoming::SyncStep2(u) => updates.push(u),
                            Incoming::SyncStep1(sv) => {
                                let decoded = sv.decode();
                                let _ = base.transact().encode_state_as_update_v1(&decoded);
                            }
                            Incoming::Awareness(entries) => {
                                let n = entries.iter().count();
                                if n != entries.len() {
                                    return Some(format!(
                                        "awareness: {n} entries read of {}",
                                        entries.len()
                                    ));
                                }
                                let _ = entries.decode();
                            }
                            _ => {}
                        }
                    }
                }
                Err(ProtocolError::Yrs(e)) if e.contains("panicked") => {
                    return Some(format!("yrs panicked decoding an accepted payload: {e}"));
                }
                Err(_) => {}
            }
        }
        for u in updates {
            match protocol::decode_update(&u) {
                Ok(update) => {
                    // Into an empty document and into one with content (shared structure).
                    let again = Update::decode_v1(&u).ok();
                    if let Err(e) = integrate(&Doc::new(), update) {
                        return Some(e);
                    }
                    let populated = Doc::new();
                    let state = base
                        .transact()
                        .encode_state_as_update_v1(&StateVector::default());
                    let _ = populated
                        .transact_mut()
                        .apply_update(Update::decode_v1(&state).unwrap());
                    if let Some(again) = again {
                        if let Err(e) = integrate(&populated, again) {
                            return Some(e);
                        }
                    }
                }
                Err(ProtocolError::Yrs(e)) if e.contains("panicked") => {
                    return Some(format!("yrs panicked decoding an accepted update: {e}"));
                }
                Err(_) => {}
            }
        }
        None
    });
    match outcome {
        Ok(found) => found,
        Err(p) => Some(format!("panic: {}", panic_message(&*p))),
    }
}

/// The most one decoder input may allocate at once: a small multiple of its size (decoding,
/// integration into two documents) plus the populated document's own state.
fn decoder_allowance(input_len: usize) -> usize {
    256 * input_len + (4 << 20)
}

#[test]
fn decoder() {
    let docs = documents();
    let Seeds {
        frames,
        updates,
        refused,
    } = seeds(&docs);
    let base = &docs[0];
    let mut rng = Rng(seed());
    let dog = Watchdog::start("decoder");
    let deadline = Instant::now() + budget();
    let mut findings = Vec::new();
    let mut iteration = 0u64;
    // Every seed as it is must pass cleanly.
    for (i, frame) in frames.iter().enumerate() {
        assert!(
            protocol::decode_frame(&Bytes::from(frame.clone()), MAX_MESSAGES).is_ok(),
            "seed frame {i} is refused: {}",
            hex(frame)
        );
    }
    for u in &updates {
        protocol::decode_update(u).unwrap();
    }
    for u in &refused {
        assert!(protocol::decode_update(u).is_err(), "{}", hex(u));
    }
    let updates: Vec<Vec<u8>> = updates.into_iter().chain(refused).collect();
    while Instant::now() < deadline {
        let is_update = iteration % 4 == 3;
        let input = mutate(&mut rng, if is_update { &updates } else { &frames });
        dog.begin(iteration, &input);
        let (found, peak) = peak_of(|| decode_one(&input, is_update, base));
        dog.end();
        if let Some(what) = found {
            findings.push(Finding {
                iteration,
                what,
                input: input.clone(),
            });
        } else if peak > decoder_allowance(input.len()) {
            findings.push(Finding {
                iteration,
                what: format!("allocated {peak} bytes at once for {} bytes", input.len()),
                input: input.clone(),
            });
        }
        iteration += 1;
    }
    report("decoder", &findings, iteration);
    assert!(iteration > 1_000, "only {iteration} inputs ran");
}

// --- valid edits ----------------------------------------------------------------------------

/// Three yrs peers editing one document concurrently (text with formatting, a map, an array
/// with nested types, XML), now and then merging each other's state: their updates are valid
/// and build on each other, which mutated seeds rarely are. Half of what they produce is then
/// mutated lightly, so integration sees near-valid input too.
struct Editors {
    docs: Vec<Doc>,
    /// A peer whose last update was mutated (so the room lacks it): it sends its whole state
    /// next, as a reconnecting client does, instead of updates the room would find gapped.
    resync: Option<usize>,
    last: usize,
}

impl Editors {
    fn new() -> Self {
        Self {
            docs: (0..3).map(|i| Doc::with_client_id(500 + i)).collect(),
            resync: None,
            last: 0,
        }
    }

    /// The last frame did not reach the room as it was.
    fn lost_last(&mut self) {
        self.resync = Some(self.last);
    }

    /// The next frame: an edit's update, a peer's whole state, or a merge among the peers.
    fn next(&mut self, rng: &mut Rng) -> Vec<u8> {
        let who = rng.below(self.docs.len());
        self.last = who;
        if let Some(who) = self.resync.take() {
            return protocol::encode_sync_step2(
                self.docs[who]
                    .transact()
                    .encode_state_as_update_v1(&StateVector::default()),
            )
            .to_vec();
        }
        match rng.below(16) {
            // Peers merge: the next edits are concurrent with, or build on, others'.
            0 => {
                let other = (who + 1 + rng.below(self.docs.len() - 1)) % self.docs.len();
                let state = self.docs[other]
                    .transact()
                    .encode_state_as_update_v1(&StateVector::default());
                let _ = self.docs[who]
                    .transact_mut()
                    .apply_update(Update::decode_v1(&state).unwrap());
                protocol::encode_sync_step2(state).to_vec()
            }
            // The whole state, as a client's SyncStep2 (never a gap: it starts at zero).
            1 => protocol::encode_sync_step2(
                self.docs[who]
                    .transact()
                    .encode_state_as_update_v1(&StateVector::default()),
            )
            .to_vec(),
            _ => protocol::encode_update(edit(&self.docs[who], rng)).to_vec(),
        }
    }
}

/// One random edit of `doc`; returns its update.
fn edit(doc: &Doc, rng: &mut Rng) -> Vec<u8> {
    let text = doc.get_or_insert_text("text");
    let map = doc.get_or_insert_map("m");
    let arr = doc.get_or_insert_array("a");
    let frag = doc.get_or_insert_xml_fragment("default");
    // ASCII where offsets are used (yrs counts UTF-8 bytes, and panics on a split character,
    // on the client's side); other text where none are.
    let words = ["a", "word ", "\n", "longer text here "];
    let unicode = ["ü", "👋 wave", "日本"];
    let mut txn = doc.transact_mut();
    match rng.below(10) {
        0..=2 => {
            let len = text.len(&txn);
            let at = rng.below(len as usize + 1) as u32;
            text.insert(&mut txn, at, words[rng.below(words.len())]);
        }
        3 => {
            let len = text.len(&txn);
            if len > 0 {
                let at = rng.below(len as usize) as u32;
                let n = 1 + rng.below((len - at).min(8) as usize) as u32;
                text.remove_range(&mut txn, at, n);
            }
        }
        4 => {
            let len = text.len(&txn);
            if len > 0 {
                let at = rng.below(len as usize) as u32;
                let attrs: Attrs = [("bold".into(), Any::Bool(rng.below(2) == 0))].into();
                text.format(&mut txn, at, 1, attrs);
            }
        }
        5 => {
            let key = ["k1", "k2", "k3"][rng.below(3)];
            match rng.below(4) {
                0 => {
                    map.insert(&mut txn, key, Any::from(rng.below(100) as f64));
                }
                1 => {
                    let sub = map.insert(&mut txn, key, MapPrelim::default());
                    sub.insert(&mut txn, "x", Any::from(unicode[rng.below(unicode.len())]));
                }
                2 => {
                    map.remove(&mut txn, key);
                }
                _ => {
                    map.insert(&mut txn, key, TextPrelim::new("t"));
                }
            }
        }
        6 | 7 => {
            let len = arr.len(&txn);
            if rng.below(3) == 0 && len > 0 {
                arr.remove(&mut txn, rng.below(len as usize) as u32);
            } else {
                let at = rng.below(len as usize + 1) as u32;
                match rng.below(3) {
                    0 => {
                        arr.insert(&mut txn, at, Any::from(vec![Any::Null, Any::from(1.0)]));
                    }
                    1 => {
                        arr.insert(&mut txn, at, ArrayPrelim::default());
                    }
                    _ => {
                        arr.insert(&mut txn, at, Any::from("item"));
                    }
                }
            }
        }
        _ => {
            let len = frag.len(&txn);
            if rng.below(4) == 0 && len > 0 {
                frag.remove_range(&mut txn, rng.below(len as usize) as u32, 1);
            } else {
                let at = rng.below(len as usize + 1) as u32;
                let p = frag.insert(&mut txn, at, XmlElementPrelim::empty("paragraph"));
                p.insert_attribute(&mut txn, "n", rng.below(9).to_string());
                p.push_back(
                    &mut txn,
                    XmlTextPrelim::new(unicode[rng.below(unicode.len())]),
                );
            }
        }
    }
    txn.encode_update_v1()
}

// --- the connection target ------------------------------------------------------------------

/// A connection of the fuzzed room, and what it was sent.
struct Peer {
    conn: Connection,
    outbox: Outbox,
    access: Access,
}

async fn join(hub: &Hub, doc: &str, access: Access) -> Peer {
    let (conn, outbox) = hub.connect(doc, access).await.unwrap();
    Peer {
        conn,
        outbox,
        access,
    }
}

/// Two editors and a viewer in `doc`.
async fn peers(hub: &Hub, doc: &str) -> Vec<Peer> {
    vec![
        join(hub, doc, Access::ReadWrite).await,
        join(hub, doc, Access::ReadWrite).await,
        join(hub, doc, Access::ReadOnly).await,
    ]
}

/// Reads what is queued for `peer`; the close code if the hub closed it.
fn drain(peer: &mut Peer) -> Option<u16> {
    while peer.outbox.try_next().is_some() {}
    match futures::FutureExt::now_or_never(peer.outbox.next()) {
        Some(Some(Outgoing::Close { code, .. })) => Some(code),
        _ => None,
    }
}

/// The most one `receive` may allocate at once: a small multiple of the frame, plus answers
/// of up to the whole document (kept small here).
fn connection_allowance(input_len: usize) -> usize {
    256 * input_len + (8 << 20)
}

/// The fuzzed room still works: what is stored converges with a new reader, and a new
/// editor's update is stored and reaches it.
async fn check_room(hub: &Hub, doc: &str) {
    hub.flush().await;
    let mut reader = common::Client::join(hub, doc, Access::ReadOnly).await;
    reader.settle().await;
    let state = hub.encode_state(doc).await.unwrap();
    let stored = Doc::new();
    stored
        .transact_mut()
        .apply_update(Update::decode_v1(&state).unwrap())
        .unwrap();
    assert_eq!(
        reader.doc.transact().state_vector(),
        stored.transact().state_vector(),
        "{doc}: a new reader converges with the stored state"
    );
    let mut writer = common::Client::join(hub, doc, Access::ReadWrite).await;
    writer.edit("after the fuzz").unwrap();
    writer.wait_echoes().await;
    reader.settle().await;
    assert_eq!(reader.closed, None, "{doc}");
    assert!(
        reader.text().contains("after the fuzz"),
        "{doc}: {:?}",
        reader.text()
    );
}

/// Inputs per room: then its state is checked and the next room is fuzzed.
const ROOM_INPUTS: u64 = 1_500;

#[tokio::test(flavor = "current_thread")]
async fn connection() {
    let db = TestDb::sqlite().await;
    let unlimited = Rate {
        per_second: 1e9,
        burst: 1e9,
    };
    let hub = Hub::new(
        Arc::new(db.store.clone()),
        HubConfig {
            update_rate: unlimited,
            awareness_rate: unlimited,
            sync_request_rate: unlimited,
            awareness_query_rate: unlimited,
            max_document_size: 8 << 20,
            maintenance_interval: Duration::from_secs(3600),
            ..HubConfig::default()
        },
    );
    let docs = documents();
    let frames = seeds(&docs).frames;
    let mut rng = Rng(seed() ^ 0x5eed);
    let dog = Watchdog::start("connection");
    let deadline = Instant::now() + budget();
    let mut findings = Vec::new();
    let mut iteration = 0u64;
    let mut closes = std::collections::BTreeMap::<u16, u64>::new();
    // Every input, before it runs, for a crash no test can catch (`ATRIUM_FUZZ_LOG=path`).
    let mut log = std::env::var_os("ATRIUM_FUZZ_LOG").map(|p| std::fs::File::create(p).unwrap());
    let mut room = String::from("fuzz-0");
    let mut peers = peers(&hub, &room).await;
    let mut editors = Editors::new();
    while Instant::now() < deadline {
        if iteration > 0 && iteration % ROOM_INPUTS == 0 {
            drop(std::mem::take(&mut peers));
            check_room(&hub, &room).await;
            room = format!("fuzz-{}", iteration / ROOM_INPUTS);
            peers = self::peers(&hub, &room).await;
            editors = Editors::new();
        }
        // Half mutated seeds; half valid edits by concurrent peers, some of them mutated.
        let input = if iteration % 2 == 0 {
            mutate(&mut rng, &frames)
        } else {
            let frame = editors.next(&mut rng);
            if rng.below(4) == 0 {
                editors.lost_last();
                mutate(&mut rng, std::slice::from_ref(&frame))
            } else {
                frame
            }
        };
        // Edits go to the editors (the viewer's would be refused, and the room then lack
        // them); anything else to anyone.
        let who = rng.below(if iteration % 2 == 0 { peers.len() } else { 2 });
        if let Some(log) = &mut log {
            use std::io::Write as _;
            let _ = writeln!(log, "{iteration} {room} {who} {}", hex(&input));
            let _ = log.flush();
        }
        dog.begin(iteration, &input);
        let frame = Bytes::from(input.clone());
        let peer = &mut peers[who];
        let (outcome, peak) = peak_of(|| quietly(|| peer.conn.receive(frame)));
        dog.end();
        let code = match outcome {
            Err(p) => {
                findings.push(Finding {
                    iteration,
                    what: format!("panic: {}", panic_message(&*p)),
                    input: input.clone(),
                });
                None
            }
            Ok(Err(code)) => Some(code),
            Ok(Ok(())) => drain(peer),
        };
        if peak > connection_allowance(input.len()) {
            findings.push(Finding {
                iteration,
                what: format!("allocated {peak} bytes at once for {} bytes", input.len()),
                input: input.clone(),
            });
        }
        // Now and then, and after a close, everyone reads what they were sent (the committer
        // runs first), and a closed connection is replaced. Only an update yrs could not
        // integrate resets the room (every connection closed with 4509): the scanner or the
        // room let through something they must refuse.
        if code.is_some() || iteration % 64 == 0 {
            tokio::task::yield_now().await;
            let mut reset = false;
            for (i, p) in peers.iter_mut().enumerate() {
                let closed = if i == who {
                    code.or_else(|| drain(p))
                } else {
                    drain(p)
                };
                if let Some(c) = closed {
                    *closes.entry(c).or_default() += 1;
                    reset |= c == close_codes::ROOM_RESET;
                }
                if closed.is_some() || p.conn.receive(Bytes::from_static(&[2, 1])).is_err() {
                    let access = p.access;
                    *p = join(&hub, &room, access).await;
                }
            }
            if reset {
                findings.push(Finding {
                    iteration,
                    what: "the room was reset (yrs panicked integrating an accepted update)".into(),
                    input: input.clone(),
                });
            }
        }
        iteration += 1;
    }
    eprintln!(
        "fuzz connection: {} rooms, closes by code {closes:?}",
        iteration / ROOM_INPUTS + 1
    );
    report("connection", &findings, iteration);
    assert!(iteration > 200, "only {iteration} inputs ran");
    drop(peers);
    check_room(&hub, &room).await;
    hub.shutdown().await;
    db.cleanup().await;
}

/// The generator is deterministic: a finding is reproduced by its iteration number.
#[test]
fn mutations_are_deterministic() {
    let docs = documents();
    let frames = seeds(&docs).frames;
    let run = || {
        let mut rng = Rng(seed());
        (0..200)
            .map(|_| mutate(&mut rng, &frames))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}
