//! Text extraction in a child process, where its memory and CPU are bounded and it can really
//! be stopped.
//!
//! A thread cannot be stopped from outside, and a parser that allocates without a bound takes
//! the whole server with it. So the worker runs every extraction as `atrium extract`: the same
//! binary, started again with a hidden subcommand, the file's bytes on standard input and the
//! text on standard output. Before it runs, the child gets resource limits (its address space
//! and its CPU seconds), no core dumps, and a parent-death signal, so it never outlives a
//! killed server; the worker kills it at a wall-clock deadline. A child that dies of a limit
//! leaves the version `failed` with the reason; the server itself never sees the bytes expand.
//!
//! The child side ([`child_main`]) runs before the async runtime is built: it is one thread
//! reading, extracting and writing, and exits.

use std::alloc::{GlobalAlloc, Layout};
use std::io::{Read as _, Write as _};
use std::os::unix::process::ExitStatusExt as _;
use std::process::{ExitCode, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use futures::StreamExt as _;
use nix::sys::signal::Signal;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::oneshot;

use super::extract::{self, Budget, MAX_INPUT_BYTES, MAX_TEXT_BYTES, Method};
use super::storage::ByteStream;
use crate::config::Config;

const MIB: u64 = 1024 * 1024;
/// The child's exit code when the file is not readable; the reason is on its standard output.
const EXIT_UNREADABLE: u8 = 3;
/// The child's exit code when an allocation was refused where it could be handled (most are
/// not: Rust aborts the process, which [`outcome`] recognises too).
const EXIT_OUT_OF_MEMORY: u8 = 4;
/// The child's standard error kept for the log.
const MAX_STDERR: u64 = 4096;
/// The longest reason an unreadable file gets.
const MAX_REASON: usize = 400;

/// The limits of one extraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The child's address space, in bytes (its code, stacks and heap).
    pub memory_bytes: u64,
    /// Wall-clock time (and CPU time) one extraction may take.
    pub timeout: Duration,
    /// Bytes one file may expand to through decompression and re-reading (see
    /// [`extract::Budget`]).
    pub max_expanded_bytes: u64,
}

impl Limits {
    /// The limits configured.
    pub fn from_config(config: &Config) -> Self {
        Self {
            memory_bytes: config.extract_memory_mib * MIB,
            timeout: Duration::from_secs(config.extract_timeout_secs),
            max_expanded_bytes: config.extract_max_expanded_mib * MIB,
        }
    }
}

/// Why an extraction in the child did not produce text. The messages are shown to users.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The extractor read the file and found it unreadable (its own reason).
    #[error("{0}")]
    Unreadable(String),
    #[error("exceeded the extraction memory limit ({} MiB)", .0 / MIB)]
    Memory(u64),
    #[error("extraction took longer than {0} s")]
    Time(u64),
    #[error("the extractor crashed on this file")]
    Crashed,
    #[error("the extractor could not be started")]
    Start,
    /// The file could not be read from storage.
    #[error("cannot read the file: {0}")]
    Read(String),
}

/// Extracts the text of the first `length` bytes of `input` in a child process under `limits`.
pub async fn extract(
    method: Method,
    input: ByteStream,
    length: u64,
    limits: &Limits,
) -> Result<String, Failure> {
    let exe = std::env::current_exe().map_err(|error| {
        tracing::error!(%error, "cannot find the atrium binary to run the extractor");
        Failure::Start
    })?;
    let mut command = Command::new(exe);
    command
        .arg("extract")
        .arg("--method")
        .arg(method_name(method))
        .arg("--max-expanded-bytes")
        .arg(limits.max_expanded_bytes.to_string())
        // Nothing of the server's environment (database URL, keys) reaches the parser.
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    confine(&mut command, limits);
    let mut child = launch(command).await.map_err(|error| {
        tracing::error!(%error, "cannot start the extractor");
        Failure::Start
    })?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(Failure::Start);
    };
    let work = async {
        let (fed, out, err) = tokio::join!(
            feed(input, length, stdin),
            read_capped(stdout, MAX_TEXT_BYTES as u64 + 64 * 1024),
            read_capped(stderr, MAX_STDERR),
        );
        (fed, child.wait().await, out, err)
    };
    let (fed, status, out, err) = match tokio::time::timeout(limits.timeout, work).await {
        Ok(finished) => finished,
        Err(_) => {
            let _ = child.kill().await;
            return Err(Failure::Time(limits.timeout.as_secs()));
        }
    };
    // The child saw the file cut short: whatever it made of that is not the file's text.
    fed.map_err(Failure::Read)?;
    let status = status.map_err(|error| {
        tracing::error!(%error, "cannot wait for the extractor");
        Failure::Crashed
    })?;
    outcome(status, out, &err, limits)
}

/// What the child's exit means.
fn outcome(
    status: ExitStatus,
    out: Vec<u8>,
    err: &[u8],
    limits: &Limits,
) -> Result<String, Failure> {
    let stderr = String::from_utf8_lossy(err);
    match (status.code(), status.signal()) {
        (Some(0), _) => {
            let mut text = String::from_utf8_lossy(&out).into_owned();
            if text.len() > MAX_TEXT_BYTES {
                let mut end = MAX_TEXT_BYTES;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.truncate(end);
            }
            Ok(text)
        }
        (Some(code), _) if code == i32::from(EXIT_OUT_OF_MEMORY) => {
            Err(Failure::Memory(limits.memory_bytes))
        }
        (Some(code), _) if code == i32::from(EXIT_UNREADABLE) => {
            let mut reason: String = String::from_utf8_lossy(&out)
                .chars()
                .take(MAX_REASON)
                .collect();
            if reason.is_empty() {
                reason = "not readable".to_owned();
            }
            Err(Failure::Unreadable(reason))
        }
        // The soft CPU limit.
        (_, Some(signal)) if signal == Signal::SIGXCPU as i32 => {
            Err(Failure::Time(limits.timeout.as_secs()))
        }
        // Rust aborts when an allocation fails; the kernel's OOM killer sends SIGKILL.
        (_, Some(signal))
            if (signal == Signal::SIGABRT as i32 && stderr.contains("memory allocation of"))
                || signal == Signal::SIGKILL as i32 =>
        {
            Err(Failure::Memory(limits.memory_bytes))
        }
        _ => {
            tracing::warn!(%status, stderr = %stderr.trim(), "the extractor crashed");
            Err(Failure::Crashed)
        }
    }
}

/// Writes the first `length` bytes of `input` to the child and closes its standard input.
async fn feed(mut input: ByteStream, length: u64, mut stdin: ChildStdin) -> Result<(), String> {
    let mut sent = 0u64;
    while sent < length {
        let Some(chunk) = input.next().await else {
            break;
        };
        let chunk = chunk.map_err(|error| error.to_string())?;
        let take = chunk
            .len()
            .min(usize::try_from(length - sent).unwrap_or(usize::MAX));
        // A child that died early closes the pipe; its exit status tells why.
        if stdin.write_all(&chunk[..take]).await.is_err() {
            return Ok(());
        }
        sent += take as u64;
    }
    Ok(())
}

/// Reads up to `cap` bytes, then drains the rest so the child never blocks on a full pipe.
async fn read_capped(mut reader: impl AsyncRead + Unpin, cap: u64) -> Vec<u8> {
    let mut kept = Vec::new();
    let _ = (&mut reader).take(cap).read_to_end(&mut kept).await;
    let _ = tokio::io::copy(&mut reader, &mut tokio::io::sink()).await;
    kept
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Text => "text",
        Method::Html => "html",
        Method::Pdf => "pdf",
        Method::Office => "office",
    }
}

/// Sets the child's limits between fork and exec.
fn confine(command: &mut Command, limits: &Limits) {
    use nix::sys::resource::{Resource, setrlimit};
    let parent = nix::unistd::Pid::this();
    let memory = limits.memory_bytes;
    let cpu = limits.timeout.as_secs().max(1);
    // SAFETY: the closure runs in the forked child before exec, where only async-signal-safe
    // functions may be called: it makes four system calls (prctl, getppid, setrlimit) and
    // allocates nothing.
    unsafe {
        command.pre_exec(move || {
            // Killed with the server. Linux sends this when the thread that forked the child
            // exits, which is why children are started from one long-lived thread.
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            // The server may have died between fork and prctl: then nobody sends the signal.
            if nix::unistd::getppid() != parent {
                return Err(std::io::Error::other("the server is gone"));
            }
            // The address space, not RLIMIT_DATA: mimalloc commits a 1 GiB arena up front
            // (VmData 1 GiB at rest), which RLIMIT_DATA counts whole; under RLIMIT_AS it falls
            // back to smaller arenas, and a refused allocation fails cleanly.
            setrlimit(Resource::RLIMIT_AS, memory, memory)?;
            // SIGXCPU at the limit, SIGKILL a second later if it were caught.
            setrlimit(Resource::RLIMIT_CPU, cpu, cpu + 1)?;
            setrlimit(Resource::RLIMIT_CORE, 0, 0)?;
            Ok(())
        });
    }
}

type Launch = (Command, oneshot::Sender<std::io::Result<Child>>);

/// Starts `command` from the launcher thread: a thread that lives as long as the process, so
/// the parent-death signal fires when the server dies and not when a runtime thread retires.
async fn launch(command: Command) -> std::io::Result<Child> {
    static LAUNCHER: OnceLock<mpsc::Sender<Launch>> = OnceLock::new();
    let launcher = LAUNCHER.get_or_init(|| {
        let (sender, requests) = mpsc::channel::<Launch>();
        let runtime = tokio::runtime::Handle::current();
        let started = std::thread::Builder::new()
            .name("atrium-extract-launcher".to_owned())
            .spawn(move || {
                // Children register with the runtime's process driver.
                let _runtime = runtime.enter();
                for (mut command, reply) in requests {
                    let _ = reply.send(command.spawn());
                }
            });
        if let Err(error) = started {
            tracing::error!(%error, "cannot start the extraction launcher thread");
        }
        sender
    });
    let (reply, child) = oneshot::channel();
    launcher
        .send((command, reply))
        .map_err(|_| std::io::Error::other("the extraction launcher is gone"))?;
    child
        .await
        .map_err(|_| std::io::Error::other("the extraction launcher is gone"))?
}

/// `atrium extract`: the child side. Reads the file from standard input, writes the text to
/// standard output (exit 0) or the reason it is unreadable (exit 3); exit 4 when memory ran
/// out where that could be handled. A panic exits with 101; a limit otherwise ends the process
/// with a signal.
pub fn child_main(method: Method, max_expanded_bytes: u64) -> ExitCode {
    let mut input = Vec::new();
    if let Err(error) = std::io::stdin()
        .lock()
        .take(MAX_INPUT_BYTES)
        .read_to_end(&mut input)
    {
        eprintln!("atrium extract: cannot read standard input: {error}");
        return ExitCode::FAILURE;
    }
    let budget = Budget::new(max_expanded_bytes);
    let result = extract::extract(method, &input, &budget);
    drop(input);
    // A library that met the memory limit may have carried on with what it had (lopdf does):
    // its text would be a silent fraction, so the limit is reported instead.
    if ALLOCATION_REFUSED.load(Ordering::Relaxed) {
        return ExitCode::from(EXIT_OUT_OF_MEMORY);
    }
    let (text, code) = match result {
        Ok(text) => (text, ExitCode::SUCCESS),
        Err(extract::ExtractError::OutOfMemory) => return ExitCode::from(EXIT_OUT_OF_MEMORY),
        Err(error) => (error.to_string(), ExitCode::from(EXIT_UNREADABLE)),
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        eprintln!("atrium extract: cannot write standard output: {error}");
        return ExitCode::FAILURE;
    }
    code
}

/// Set once any allocation of the process was refused.
static ALLOCATION_REFUSED: AtomicBool = AtomicBool::new(false);

/// The global allocator `A`, remembering whether it ever refused an allocation. In the
/// extraction child that is the memory limit being met, even where a library handled the
/// failure (a fallible `read_to_end`) and went on; [`child_main`] then reports the limit.
pub struct Watched<A>(pub A);

impl<A> Watched<A> {
    fn note(pointer: *mut u8) -> *mut u8 {
        if pointer.is_null() {
            ALLOCATION_REFUSED.store(true, Ordering::Relaxed);
        }
        pointer
    }
}

// SAFETY: every call is passed to `A` unchanged, with the caller's guarantees; only a null
// result is noted.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Watched<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller promised for `layout`.
        Self::note(unsafe { self.0.alloc(layout) })
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the caller promised for `layout`.
        Self::note(unsafe { self.0.alloc_zeroed(layout) })
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as the caller promised for `pointer`, `layout` and `new_size`.
        Self::note(unsafe { self.0.realloc(pointer, layout, new_size) })
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: as the caller promised for `pointer` and `layout`.
        unsafe { self.0.dealloc(pointer, layout) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        memory_bytes: 256 * MIB,
        timeout: Duration::from_secs(7),
        max_expanded_bytes: 64 * MIB,
    };

    fn exited(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    fn killed(signal: Signal) -> ExitStatus {
        ExitStatus::from_raw(signal as i32)
    }

    fn reason(result: Result<String, Failure>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn exits_and_signals_are_reasons() {
        assert_eq!(
            outcome(exited(0), b"text".to_vec(), b"", &LIMITS).unwrap(),
            "text"
        );
        assert_eq!(
            reason(outcome(
                exited(3),
                b"not a readable PDF: x".to_vec(),
                b"",
                &LIMITS
            )),
            "not a readable PDF: x"
        );
        let memory = "exceeded the extraction memory limit (256 MiB)";
        assert_eq!(reason(outcome(exited(4), Vec::new(), b"", &LIMITS)), memory);
        let abort = b"memory allocation of 1073741824 bytes failed\n";
        assert_eq!(
            reason(outcome(killed(Signal::SIGABRT), Vec::new(), abort, &LIMITS)),
            memory
        );
        assert_eq!(
            reason(outcome(killed(Signal::SIGKILL), Vec::new(), b"", &LIMITS)),
            memory
        );
        assert_eq!(
            reason(outcome(killed(Signal::SIGXCPU), Vec::new(), b"", &LIMITS)),
            "extraction took longer than 7 s"
        );
        let crashed = "the extractor crashed on this file";
        assert_eq!(
            reason(outcome(exited(101), Vec::new(), b"panicked at", &LIMITS)),
            crashed
        );
        assert_eq!(
            reason(outcome(killed(Signal::SIGSEGV), Vec::new(), b"", &LIMITS)),
            crashed
        );
        assert_eq!(
            reason(outcome(killed(Signal::SIGABRT), Vec::new(), b"", &LIMITS)),
            crashed
        );
    }

    #[test]
    fn text_and_reasons_are_capped() {
        let long = "é".repeat(MAX_TEXT_BYTES);
        let text = outcome(exited(0), long.into_bytes(), b"", &LIMITS).unwrap();
        assert!(text.len() <= MAX_TEXT_BYTES);
        let reason = reason(outcome(exited(3), vec![b'x'; 10_000], b"", &LIMITS));
        assert_eq!(reason.len(), MAX_REASON);
    }
}
