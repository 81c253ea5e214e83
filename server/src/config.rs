//! The one `Config`: every option is a command-line flag and an `ATRIUM_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The `atrium` command line.
#[derive(Debug, Parser)]
#[command(
    name = "atrium",
    version,
    about = "Atrium: a real-time collaborative workspace server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What `atrium` was asked to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (migrations are applied first).
    Serve(Config),
    /// Apply pending database migrations and exit.
    Migrate(Config),
    /// Administrative tasks.
    Admin {
        #[command(flatten)]
        config: Config,
        #[command(subcommand)]
        task: AdminTask,
    },
    /// Search index tasks (run them while the server is stopped).
    Search {
        #[command(flatten)]
        config: Config,
        #[command(subcommand)]
        task: SearchTask,
    },
    /// Print the version and exit.
    Version,
    /// Print the OpenAPI document (what `/api/v1/openapi.json` serves) and exit.
    Openapi,
    /// Internal: extract the text of the file on standard input (the server runs this as a
    /// child process under resource limits).
    #[command(hide = true)]
    Extract(ExtractArgs),
}

/// Arguments of the internal `atrium extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// How to read the file.
    #[arg(long, value_enum)]
    pub method: crate::files::extract::Method,
    /// Bytes the file may expand to through decompression and re-reading.
    #[arg(long)]
    pub max_expanded_bytes: u64,
}

/// Administrative subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminTask {
    /// Create a user account (the password is read from standard input unless `--password` is given).
    CreateUser(CreateUserArgs),
    /// Run the pass over unpaid invoices (overdue, reminders) as of a day; the server runs it
    /// on its own every `ATRIUM_INVOICES_PASS_SECS` for today. Safe beside a running server.
    InvoicePass(InvoicePassArgs),
    /// Remind people who have not submitted last week's timesheet by the deadline (what the
    /// hourly `timesheets.pass` job does), as of `--at`.
    TimesheetPass(TimesheetPassArgs),
    /// Fire the automation rules whose schedule or due date falls between their last pass and
    /// `--at` (what the `automation.schedule` job does every minute); the running server does
    /// the queued runs.
    AutomationPass(TimesheetPassArgs),
}

/// Arguments of `atrium admin invoice-pass`.
#[derive(Debug, Args)]
pub struct InvoicePassArgs {
    /// The day to run it for (`YYYY-MM-DD`, UTC); today when absent.
    #[arg(long)]
    pub date: Option<String>,
}

/// Arguments of `atrium admin timesheet-pass`.
#[derive(Debug, Args)]
pub struct TimesheetPassArgs {
    /// The time to run it at (RFC 3339, e.g. `2026-12-07T12:00:00Z`); now when absent.
    #[arg(long)]
    pub at: Option<String>,
}

/// Search subcommands.
#[derive(Debug, Subcommand)]
pub enum SearchTask {
    /// Rebuild the search index from the whole change feed (sequence 0), then exit.
    Reindex,
}

/// Arguments of `atrium admin create-user`.
#[derive(Debug, Args)]
pub struct CreateUserArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: String,
    /// The @mention handle; derived from the e-mail address when absent.
    #[arg(long)]
    pub handle: Option<String>,
    /// The password. Prefer standard input: a flag is visible in the process list.
    #[arg(long, env = "ATRIUM_ADMIN_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Server configuration shared by every subcommand that touches state.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Directory for the SQLite database, local files, the search index and the mail outbox.
    #[arg(long, env = "ATRIUM_DATA_DIR", default_value = "./atrium-data")]
    pub data_dir: PathBuf,

    /// This node's name among several (shown in `/readyz` and `/metrics`; 1 to 64 letters,
    /// digits, `.`, `_`, `-`). Unset: a UUID kept in the data directory.
    #[arg(long, env = "ATRIUM_NODE_ID", value_parser = parse_node_id)]
    pub node_id: Option<String>,

    /// Address to listen on.
    #[arg(long, env = "ATRIUM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Database URL (`postgres://…` or `sqlite://…`). `DATABASE_URL` is read too; without
    /// either, a SQLite file in the data directory is used.
    #[arg(long, env = "ATRIUM_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Largest number of pooled database connections.
    #[arg(long, env = "ATRIUM_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// Redis URL for cross-node fan-out (scale-out setups).
    #[arg(long, env = "ATRIUM_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    #[command(flatten)]
    pub s3: S3Config,

    /// Directory holding the built browser app (`index.html` and assets).
    #[arg(long, env = "ATRIUM_WEB_DIR", default_value = "client/web/dist")]
    pub web_dir: PathBuf,

    /// Largest accepted JSON request body, in bytes.
    #[arg(long, env = "ATRIUM_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest accepted file upload, in bytes.
    #[arg(long, env = "ATRIUM_FILES_MAX_UPLOAD_BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub files_max_upload_bytes: u64,

    /// Bytes of files one organisation may store (identical files count once).
    #[arg(long, env = "ATRIUM_FILES_ORG_QUOTA_BYTES", default_value_t = 10 * 1024 * 1024 * 1024)]
    pub files_org_quota_bytes: u64,

    /// Address space of one text-extraction process, in MiB: a file whose extraction needs
    /// more fails with "exceeded the extraction memory limit".
    #[arg(long, env = "ATRIUM_EXTRACT_MEMORY_MIB", default_value_t = 512, value_parser = clap::value_parser!(u64).range(128..=65_536))]
    pub extract_memory_mib: u64,

    /// Seconds one text extraction may take (wall clock, and CPU time) before it is stopped.
    #[arg(long, env = "ATRIUM_EXTRACT_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub extract_timeout_secs: u64,

    /// MiB one file may expand to in text extraction: every decompressed byte (each layer of
    /// nested compression, every part of an Office zip) and every re-read of PDF page content
    /// counts. Keep it well below the memory limit.
    #[arg(long, env = "ATRIUM_EXTRACT_MAX_EXPANDED_MIB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub extract_max_expanded_mib: u64,

    /// Hours the app event log is kept for clients that reconnect and resume.
    #[arg(long, env = "ATRIUM_EVENTS_RETENTION_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..=24 * 90))]
    pub events_retention_hours: u64,

    /// Hours change-feed rows are kept after every live consumer has passed them (and beyond,
    /// each live entity's last change is kept for consumers that start from the beginning).
    #[arg(long, env = "ATRIUM_FEED_RETENTION_HOURS", default_value_t = 72, value_parser = clap::value_parser!(u64).range(1..=24 * 3650))]
    pub feed_retention_hours: u64,

    /// Hours after which a change-feed consumer that has not acknowledged (a node that is gone)
    /// stops holding rows back; if it returns behind what was pruned, it rebuilds.
    #[arg(long, env = "ATRIUM_FEED_CONSUMER_STALE_HOURS", default_value_t = 168, value_parser = clap::value_parser!(u64).range(1..=24 * 3650))]
    pub feed_consumer_stale_hours: u64,

    /// Seconds between pings on the event socket; a socket silent for three is closed.
    #[arg(long, env = "ATRIUM_EVENTS_HEARTBEAT_SECS", default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub events_heartbeat_secs: u64,

    /// Events a socket may fall behind before it is closed as too slow (it then resumes).
    #[arg(long, env = "ATRIUM_EVENTS_QUEUE", default_value_t = 4096, value_parser = clap::value_parser!(u64).range(16..=1_000_000))]
    pub events_queue: u64,

    /// Milliseconds between group commits of document edits under load: edits arriving
    /// meanwhile share one transaction and one fsync. Peers on this node see an edit at once
    /// whatever this is; the sender's "saved" echo, and peers on other nodes, wait up to this
    /// long. Larger saves CPU and disk flushes on busy servers (BENCHMARKS.md: 5 ms → 20 ms
    /// cut CPU per delivered update by ~8 µs). Default: 20 on SQLite (one node: only the
    /// echo waits), 5 on PostgreSQL (other nodes' editors receive an edit after its commit).
    #[arg(long, env = "ATRIUM_COLLAB_COMMIT_INTERVAL_MS", value_parser = clap::value_parser!(u64).range(0..=1_000))]
    pub collab_commit_interval_ms: Option<u64>,

    /// Seconds of editing one automatic history snapshot of a document covers at most: while
    /// people edit, the server keeps at most one snapshot per document per this period.
    #[arg(long, env = "ATRIUM_DOC_HISTORY_INTERVAL_SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub doc_history_interval_secs: u64,

    /// Seconds after a document's last edit, with nobody connected to it on this node, after
    /// which its editing session counts as ended and its automatic snapshot is taken.
    #[arg(long, env = "ATRIUM_DOC_HISTORY_QUIET_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=3_600))]
    pub doc_history_quiet_secs: u64,

    /// Bytes a collaboration socket may have waiting to be sent (besides the frame being
    /// written, which may be a whole document); a client that does not read them in time is
    /// closed as a slow consumer (4508) and resyncs when it reconnects. Raise it for large
    /// documents edited over slow links; lower it to bound memory per socket.
    #[arg(long, env = "ATRIUM_COLLAB_SEND_QUEUE_BYTES", default_value_t = 16 << 20, value_parser = clap::value_parser!(u64).range(65_536..=1 << 30))]
    pub collab_send_queue_bytes: u64,

    /// Seconds between notification e-mail digests; a notification is e-mailed when its user
    /// was offline and has not read it for this long.
    #[arg(long, env = "ATRIUM_NOTIFY_DIGEST_SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub notify_digest_secs: u64,

    /// Seconds between scans for tasks due tomorrow (their assignees are notified once).
    #[arg(long, env = "ATRIUM_TASKS_DUE_SCAN_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub tasks_due_scan_secs: u64,

    /// Seconds between passes over unpaid invoices (overdue, reminders; each at most once).
    #[arg(long, env = "ATRIUM_INVOICES_PASS_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub invoices_pass_secs: u64,

    /// Seconds between passes reminding people of last week's timesheet (each at most once).
    #[arg(long, env = "ATRIUM_TIMESHEETS_PASS_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timesheets_pass_secs: u64,

    // --- Webhooks ---
    /// Lets webhook URLs point at loopback, private and link-local addresses (refused
    /// otherwise, at creation and on every delivery: SSRF).
    #[arg(long, env = "ATRIUM_WEBHOOKS_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhooks_allow_private: bool,

    /// Seconds a failing webhook delivery is retried, from its first attempt, before its
    /// endpoint is disabled and its managers are told.
    #[arg(long, env = "ATRIUM_WEBHOOKS_RETRY_HORIZON_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..=30 * 86_400))]
    pub webhooks_retry_horizon_secs: u64,

    /// Milliseconds before the second attempt of a failed webhook delivery; doubled for each
    /// further one, up to an hour.
    #[arg(long, env = "ATRIUM_WEBHOOKS_RETRY_BASE_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub webhooks_retry_base_ms: u64,

    // --- Background jobs (mail delivery, text extraction) ---
    /// Jobs one node runs at once (text extraction runs one at a time within this).
    #[arg(long, env = "ATRIUM_JOBS_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub jobs_concurrency: u64,

    /// Milliseconds between looks for due jobs when nothing wakes the runner: how soon a retry
    /// falls due, a job queued on another node starts, or a dead node's job is taken over.
    #[arg(long, env = "ATRIUM_JOBS_POLL_INTERVAL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub jobs_poll_interval_ms: u64,

    /// Seconds a node's claim on a job lasts without renewal (it renews every third of it while
    /// the job runs): a job whose node died runs again on another node after this long.
    #[arg(long, env = "ATRIUM_JOBS_LEASE_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub jobs_lease_secs: u64,

    /// Milliseconds before the second attempt of a failed job; doubled for each further one.
    #[arg(long, env = "ATRIUM_JOBS_BACKOFF_BASE_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub jobs_backoff_base_ms: u64,

    /// Longest wait between two attempts of a failed job, in seconds (plus up to 10% jitter).
    #[arg(long, env = "ATRIUM_JOBS_BACKOFF_MAX_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub jobs_backoff_max_secs: u64,

    /// Hours finished jobs are kept before they are deleted.
    #[arg(long, env = "ATRIUM_JOBS_DONE_RETENTION_HOURS", default_value_t = 168, value_parser = clap::value_parser!(u64).range(1..=24 * 365))]
    pub jobs_done_retention_hours: u64,

    /// Hours dead jobs (given up) are kept for admins to see before they are deleted.
    #[arg(long, env = "ATRIUM_JOBS_DEAD_RETENTION_HOURS", default_value_t = 720, value_parser = clap::value_parser!(u64).range(1..=24 * 365))]
    pub jobs_dead_retention_hours: u64,

    // --- Accounts: log-in throttling and invitation limits ---
    /// Failed log-ins from one client address (to any accounts) before that address backs
    /// off: each further failure doubles its wait, from 30 s up to `--login-backoff-max-secs`.
    #[arg(long, env = "ATRIUM_LOGIN_ADDRESS_FAILURES", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub login_address_failures: u32,

    /// Failed log-ins to one account from one client address before that address backs off
    /// for that account (other places are not affected; the owner can also use the e-mailed
    /// unlock link).
    #[arg(long, env = "ATRIUM_LOGIN_ACCOUNT_FAILURES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub login_account_failures: u32,

    /// The longest log-in back-off, in seconds.
    #[arg(long, env = "ATRIUM_LOGIN_BACKOFF_MAX_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(30..=86_400))]
    pub login_backoff_max_secs: u64,

    /// Invitations one organisation may send per hour.
    #[arg(long, env = "ATRIUM_INVITATIONS_PER_ORG_PER_HOUR", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub invitations_per_org_per_hour: u32,

    /// Invitations one member may send per hour (over all organisations).
    #[arg(long, env = "ATRIUM_INVITATIONS_PER_INVITER_PER_HOUR", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub invitations_per_inviter_per_hour: u32,
    // --- end of accounts settings ---
    /// Seconds to wait for in-flight requests after SIGTERM/SIGINT before exiting anyway.
    #[arg(long, env = "ATRIUM_SHUTDOWN_TIMEOUT_SECS", default_value_t = 10)]
    pub shutdown_timeout_secs: u64,

    /// The URL people reach this server at, for links in e-mails and the `Secure` cookie flag
    /// (set when it is https). Defaults to `http://` plus the listen address.
    #[arg(long, env = "ATRIUM_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// SMTP server for outgoing e-mail, e.g. `smtp://user:pass@mail:587?tls=required`.
    /// Without it, e-mails are written as `.eml` files to `<data-dir>/outbox`.
    #[arg(long, env = "ATRIUM_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The `From` address of outgoing e-mail.
    #[arg(
        long,
        env = "ATRIUM_MAIL_FROM",
        default_value = "Atrium <atrium@localhost>"
    )]
    pub mail_from: String,

    /// Origins allowed to call the API from another site (CORS), comma-separated. Empty:
    /// cross-origin calls are refused.
    #[arg(long, env = "ATRIUM_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Trust `X-Forwarded-For` for the client address (only behind a proxy that sets it).
    #[arg(long, env = "ATRIUM_TRUST_PROXY", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_proxy: bool,

    /// Log-in, sign-up, password-reset and TOTP attempts allowed per client address per minute.
    #[arg(long, env = "ATRIUM_AUTH_RATE_PER_MINUTE", default_value_t = 10)]
    pub auth_rate_per_minute: u32,

    /// API requests per second allowed per user (bursts up to ten times as many).
    #[arg(long, env = "ATRIUM_API_RATE_PER_SECOND", default_value_t = 50)]
    pub api_rate_per_second: u32,

    /// Seconds a client has to send a request's headers, counted from the connection's start
    /// (on a kept-alive connection, from the request's first byte); slower ones are closed.
    #[arg(long, env = "ATRIUM_HTTP_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub http_header_timeout_secs: u64,

    /// Seconds a kept-alive connection may wait for its next request before it is closed.
    /// Keep it above the idle timeout of a proxy in front that reuses connections.
    #[arg(long, env = "ATRIUM_HTTP_IDLE_TIMEOUT_SECS", default_value_t = 75, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub http_idle_timeout_secs: u64,

    /// Connections open at once, WebSockets included; past it, a new connection is answered
    /// 503 and closed at once.
    #[arg(long, env = "ATRIUM_HTTP_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub http_max_connections: u64,

    /// The bearer token `/metrics` requires (`Authorization: Bearer <token>`; 401 without it).
    /// Unset: `/metrics` answers anyone who can reach it.
    #[arg(long, env = "ATRIUM_METRICS_TOKEN", hide_env_values = true, value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub metrics_token: Option<String>,

    /// Serve `/metrics` on this address (e.g. one only the monitoring network reaches) instead
    /// of on `--listen`.
    #[arg(long, env = "ATRIUM_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Seconds over which refused credentials (bogus, revoked or expired tokens) of one kind and
    /// client address are counted into one audit entry instead of one entry each.
    #[arg(long, env = "ATRIUM_AUDIT_REJECTION_WINDOW_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub audit_rejection_window_secs: u64,

    /// Log format.
    #[arg(long, env = "ATRIUM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log filter (tracing `EnvFilter` syntax).
    #[arg(long, env = "ATRIUM_LOG", default_value = "info")]
    pub log: String,
}

/// S3-compatible object storage; used only when an endpoint is configured.
#[derive(Debug, Clone, Args)]
pub struct S3Config {
    /// S3 endpoint, e.g. `http://minio:9000`.
    #[arg(long = "s3-endpoint", env = "ATRIUM_S3_ENDPOINT")]
    pub endpoint: Option<String>,
    #[arg(
        long = "s3-region",
        env = "ATRIUM_S3_REGION",
        default_value = "us-east-1"
    )]
    pub region: String,
    #[arg(long = "s3-bucket", env = "ATRIUM_S3_BUCKET", default_value = "atrium")]
    pub bucket: String,
    #[arg(
        long = "s3-access-key",
        env = "ATRIUM_S3_ACCESS_KEY",
        hide_env_values = true
    )]
    pub access_key: Option<String>,
    #[arg(
        long = "s3-secret-key",
        env = "ATRIUM_S3_SECRET_KEY",
        hide_env_values = true
    )]
    pub secret_key: Option<String>,
    /// Path-style bucket addressing (MinIO and most self-hosted servers need it).
    #[arg(long = "s3-path-style", env = "ATRIUM_S3_PATH_STYLE", default_value_t = true, action = clap::ArgAction::Set)]
    pub path_style: bool,
}

impl Config {
    /// The database URL in force: the flag or `ATRIUM_DATABASE_URL`, then `DATABASE_URL`,
    /// then the embedded SQLite file in the data directory.
    pub fn resolved_database_url(&self) -> String {
        self.database_url
            .clone()
            .or_else(|| std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()))
            .unwrap_or_else(|| {
                format!(
                    "sqlite://{}?mode=rwc",
                    self.data_dir.join("atrium.db").display()
                )
            })
    }

    /// The public base URL, without a trailing slash.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }

    /// The event bus settings.
    pub fn events(&self) -> crate::events::EventsConfig {
        crate::events::EventsConfig {
            retention: Duration::from_secs(self.events_retention_hours * 3600),
            queue: usize::try_from(self.events_queue).unwrap_or(4096),
            heartbeat: Duration::from_secs(self.events_heartbeat_secs),
            ..crate::events::EventsConfig::default()
        }
    }

    /// The change feed's retention settings.
    pub fn feed_retention(&self) -> crate::feed::retention::RetentionConfig {
        crate::feed::retention::RetentionConfig {
            window: Duration::from_secs(self.feed_retention_hours * 3600),
            stale_after: Duration::from_secs(self.feed_consumer_stale_hours * 3600),
        }
    }

    /// The limits on client connections.
    pub fn connection_limits(&self) -> crate::http::serve::ConnectionLimits {
        crate::http::serve::ConnectionLimits {
            header_timeout: Duration::from_secs(self.http_header_timeout_secs),
            idle_timeout: Duration::from_secs(self.http_idle_timeout_secs),
            max_connections: usize::try_from(self.http_max_connections).unwrap_or(10_000),
        }
    }

    /// How long shutdown waits for in-flight work.
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }

    /// Why this configuration cannot run as one of several nodes, if it cannot. Redis is what
    /// links nodes (events, presence, document updates), so configuring it declares a
    /// multi-node deployment: every node must then share the database and the files, which a
    /// SQLite file and the data directory's files cannot be (each node would serve its own
    /// documents and files, silently apart). A single node needs no Redis.
    pub fn multi_node_problem(&self) -> Option<String> {
        self.redis_url.as_ref()?;
        if !self.resolved_database_url().starts_with("postgres") {
            return Some(
                "ATRIUM_REDIS_URL is set, which links several nodes, but the database is SQLite, \
                 which nodes cannot share: set ATRIUM_DATABASE_URL to a PostgreSQL database \
                 (postgres://…), or unset ATRIUM_REDIS_URL to run a single node"
                    .to_owned(),
            );
        }
        if self.s3.endpoint.is_none() {
            return Some(
                "ATRIUM_REDIS_URL is set, which links several nodes, but files are stored in \
                 this node's data directory, which the others cannot read: configure S3 \
                 (ATRIUM_S3_ENDPOINT and its credentials), or unset ATRIUM_REDIS_URL to run a \
                 single node"
                    .to_owned(),
            );
        }
        None
    }
}

/// A node id: 1 to 64 of `A-Z a-z 0-9 . _ -` (it names Redis consumers and metric labels).
fn parse_node_id(value: &str) -> Result<String, String> {
    let valid = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(value.to_owned())
    } else {
        Err("1 to 64 letters, digits, '.', '_' or '-'".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_embedded() {
        let cli = Cli::try_parse_from(["atrium", "serve"]).unwrap();
        let Command::Serve(config) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.data_dir, PathBuf::from("./atrium-data"));
        assert!(config.s3.endpoint.is_none());
    }

    #[test]
    fn collab_commit_interval_is_bounded() {
        let serve = |args: &[&str]| {
            Cli::try_parse_from(["atrium", "serve"].iter().chain(args)).map(|cli| {
                match cli.command {
                    Command::Serve(config) => config.collab_commit_interval_ms,
                    _ => panic!("not serve"),
                }
            })
        };
        assert_eq!(serve(&[]).unwrap(), None);
        assert_eq!(
            serve(&["--collab-commit-interval-ms", "20"]).unwrap(),
            Some(20)
        );
        assert!(serve(&["--collab-commit-interval-ms", "5000"]).is_err());
        assert!(serve(&["--collab-commit-interval-ms", "-1"]).is_err());
    }

    #[test]
    fn collab_send_queue_is_bounded() {
        let serve = |args: &[&str]| {
            Cli::try_parse_from(["atrium", "serve"].iter().chain(args)).map(|cli| {
                match cli.command {
                    Command::Serve(config) => config.collab_send_queue_bytes,
                    _ => panic!("not serve"),
                }
            })
        };
        assert_eq!(serve(&[]).unwrap(), 16 << 20);
        assert_eq!(
            serve(&["--collab-send-queue-bytes", "1048576"]).unwrap(),
            1 << 20
        );
        assert!(serve(&["--collab-send-queue-bytes", "1000"]).is_err());
        assert!(serve(&["--collab-send-queue-bytes", "2147483648"]).is_err());
    }

    #[test]
    fn extraction_limits() {
        let serve = |args: &[&str]| {
            Cli::try_parse_from(["atrium", "serve"].iter().chain(args)).map(|cli| {
                match cli.command {
                    Command::Serve(config) => crate::files::sandbox::Limits::from_config(&config),
                    _ => panic!("not serve"),
                }
            })
        };
        let defaults = serve(&[]).unwrap();
        assert_eq!(defaults.memory_bytes, 512 << 20);
        assert_eq!(defaults.timeout, Duration::from_secs(30));
        assert_eq!(defaults.max_expanded_bytes, 64 << 20);
        let set = serve(&[
            "--extract-memory-mib",
            "256",
            "--extract-timeout-secs",
            "5",
            "--extract-max-expanded-mib",
            "8",
        ])
        .unwrap();
        assert_eq!(
            (
                set.memory_bytes,
                set.timeout.as_secs(),
                set.max_expanded_bytes
            ),
            (256 << 20, 5, 8 << 20)
        );
        assert!(serve(&["--extract-memory-mib", "16"]).is_err());
        assert!(serve(&["--extract-timeout-secs", "0"]).is_err());
        let extract = Cli::try_parse_from([
            "atrium",
            "extract",
            "--method",
            "pdf",
            "--max-expanded-bytes",
            "1024",
        ])
        .unwrap();
        assert!(matches!(
            extract.command,
            Command::Extract(ExtractArgs {
                method: crate::files::extract::Method::Pdf,
                max_expanded_bytes: 1024
            })
        ));
    }

    #[test]
    fn redis_requires_a_shared_database_and_shared_files() {
        let problem = |args: &[&str]| {
            let cli = Cli::try_parse_from(["atrium", "serve"].iter().chain(args)).unwrap();
            match cli.command {
                Command::Serve(config) => config.multi_node_problem(),
                _ => panic!("not serve"),
            }
        };
        let pg = ["--database-url", "postgres://u@h/db"];
        let s3 = ["--s3-endpoint", "http://s3"];
        let redis = ["--redis-url", "redis://r"];
        // Without Redis, any storage is a single node's.
        assert_eq!(problem(&[]), None);
        assert_eq!(problem(&pg), None);
        // With Redis: SQLite (the default, or named) and local files are refused.
        assert!(problem(&redis).unwrap().contains("SQLite"));
        let sqlite = [&redis[..], &["--database-url", "sqlite://x.db"], &s3].concat();
        assert!(problem(&sqlite).unwrap().contains("SQLite"));
        let local = [&redis[..], &pg].concat();
        assert!(problem(&local).unwrap().contains("S3"));
        assert_eq!(problem(&[&redis[..], &pg, &s3].concat()), None);
    }

    #[test]
    fn command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
