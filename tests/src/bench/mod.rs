//! Shared by the benchmark binaries (`atrium-load`, `atrium-search-bench`, `atrium-chat-bench`,
//! `atrium-boards-bench`, `atrium-records-bench`, `atrium-invoices-bench`): a release server
//! started on a fresh (or a kept) data directory on SQLite or PostgreSQL ([`database`]),
//! readings of its
//! CPU time and memory from /proc, percentiles, a tenant set up over HTTP ([`tenant`]) and app
//! event sockets ([`sockets`]).

pub mod database;
pub mod server_time;
pub mod sockets;
pub mod tenant;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt as _, BufReader};

/// An `atrium serve` started for a benchmark; killed on drop.
pub struct BenchServer {
    pub child: tokio::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub pid: u32,
    pub data_dir: DataDir,
}

/// A server's data directory: a fresh one removed afterwards, or one kept between runs (a
/// seeded database worth reusing).
pub enum DataDir {
    Fresh(tempfile::TempDir),
    Kept(PathBuf),
}

impl DataDir {
    pub fn path(&self) -> &Path {
        match self {
            Self::Fresh(dir) => dir.path(),
            Self::Kept(path) => path,
        }
    }
}

impl BenchServer {
    /// Where the server writes its mail (`.eml` files; no SMTP is configured).
    pub fn outbox(&self) -> std::path::PathBuf {
        self.data_dir.path().join("outbox")
    }

    /// Starts `bin` on a fresh data directory with rate limits out of the way (requests and
    /// invitations), plus `env`.
    pub async fn start(bin: &Path, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_in(bin, DataDir::Fresh(tempfile::tempdir()?), env).await
    }

    /// As [`BenchServer::start`], on `data_dir`.
    pub async fn start_in(
        bin: &Path,
        data_dir: DataDir,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let mut child = tokio::process::Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--log", "warn"])
            .env("ATRIUM_DATA_DIR", data_dir.path())
            .env("ATRIUM_AUTH_RATE_PER_MINUTE", "1000000")
            .env("ATRIUM_API_RATE_PER_SECOND", "1000000")
            .env("ATRIUM_INVITATIONS_PER_ORG_PER_HOUR", "1000000")
            .env("ATRIUM_INVITATIONS_PER_INVITER_PER_HOUR", "1000000")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                let line = lines
                    .next_line()
                    .await?
                    .context("atrium exited before listening")?;
                if let Some(url) = line.strip_prefix("atrium listening on ") {
                    break anyhow::Ok(url.trim().to_owned());
                }
            }
        })
        .await
        .context("atrium did not listen within 60 s")??;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let pid = child.id().context("pid")?;
        Ok(Self {
            child,
            base,
            pid,
            data_dir,
        })
    }
}

/// CPU time (user + system) of a process in seconds, from /proc.
pub fn cpu_seconds(pid: u32) -> f64 {
    stat_cpu_seconds(&format!("/proc/{pid}/stat"))
}

/// CPU time (user + system) of the calling thread in seconds, counted as [`cpu_seconds`]
/// counts a process's.
pub fn thread_cpu_seconds() -> f64 {
    stat_cpu_seconds("/proc/thread-self/stat")
}

fn stat_cpu_seconds(path: &str) -> f64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // After the command name, utime and stime are the 12th and 13th fields (clock ticks of 10 ms).
    (ticks(11) + ticks(12)) / 100.0
}

/// Resident memory of a process in MB.
pub fn rss_mb(pid: u32) -> f64 {
    status_field(pid, "VmRSS:")
        .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// Threads of a process (each SQLite connection, for one, has its own).
pub fn threads(pid: u32) -> u32 {
    status_field(pid, "Threads:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn status_field(pid: u32, name: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .map(|v| v.trim().to_owned())
}

/// The `p`th percentile (0–100) of sorted figures, nearest rank; NaN when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// p50, p99 and max of some figures.
pub fn summarize(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (
        percentile(&values, 50.0),
        percentile(&values, 99.0),
        values.last().copied().unwrap_or(f64::NAN),
    )
}
