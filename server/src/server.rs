//! Start-up and shutdown.
//!
//! [`Server::build`] does everything that can fail before traffic is accepted (data directory,
//! database, migrations, dependency settings); [`Server::run`] serves a bound listener until
//! the shutdown future resolves, then stops accepting, lets in-flight requests finish within
//! the configured grace period, and closes the database.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::db::{self, Db};
use crate::http::serve::{self as http_serve, ConnectionLimits};
use crate::jobs::{Jobs, Runner, RunnerOptions};
use crate::mail::{self, Mailer};
use crate::ops::readiness::{self, Dependencies};
use crate::state::AppState;
use crate::write::Writes;
use crate::{app, docs, telemetry};
use atrium_collab::{Dialect, Hub, HubConfig, SqlStore};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Database(#[from] db::ConnectError),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Dependencies(#[from] readiness::ConfigError),
    #[error("invalid mail settings: {0}")]
    Mail(#[from] mail::Error),
    #[error("cannot open the search index: {0}")]
    Search(#[from] atrium_search::Error),
    #[error("cannot open file storage: {0}")]
    Files(#[from] crate::files::storage::StorageError),
    #[error("cannot start the event bus: {0}")]
    Events(#[from] sqlx::Error),
    #[error("server I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("refusing to start: {0}")]
    MultiNode(String),
}

/// Connections the separate metrics address takes at once.
const METRICS_CONNECTIONS: usize = 16;

/// A server ready to accept traffic.
pub struct Server {
    state: AppState,
    /// Background tasks (the job runner, the indexer, …) awaited on shutdown.
    background: Vec<tokio::task::JoinHandle<()>>,
    /// Stops the background tasks.
    stop_background: CancellationToken,
    /// Where `/metrics` is served instead of the main listener, when configured.
    metrics_listener: Option<TcpListener>,
}

impl Server {
    /// Prepares everything: data directory, database, migrations.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        if let Some(problem) = config.multi_node_problem() {
            return Err(StartError::MultiNode(problem));
        }
        let db = open_database(&config).await?;
        let applied = db::migrate::run(&db).await?;
        tracing::info!(
            backend = db.backend().name(),
            migrations = applied,
            "database ready"
        );
        let node = crate::feed::node::resolve(config.node_id.as_deref(), &config.data_dir)?;
        let dependencies = Dependencies::from_config(&config, db.clone(), node.clone())?;
        telemetry::metrics::handle();
        telemetry::metrics::node_info(&node);
        let mailer = Mailer::from_config(&config)?;
        let search = crate::search::Search::open(config.data_dir.join("search")).await?;
        let shutdown = CancellationToken::new();
        let dialect = match db.backend() {
            db::Backend::Sqlite => Dialect::Sqlite,
            db::Backend::Postgres => Dialect::Postgres,
        };
        let store = Arc::new(SqlStore::new(db.pool().clone(), dialect));
        // A document edit is searchable within about a second of a pause in the typing: the
        // hub reports settled text after 500 ms without an edit (its default, 2 s, alone would
        // exceed that), the indexer is woken by the report and commits once caught up (at most
        // every 250 ms, up to 500 ms apart under a steady stream of writes). Typed into without a pause, a document is reported every 5 s: each
        // report re-reads the whole document and costs the index a commit.
        let hub_config = HubConfig {
            change_debounce: std::time::Duration::from_millis(500),
            change_max_wait: std::time::Duration::from_secs(5),
            commit_interval: std::time::Duration::from_millis(
                config
                    .collab_commit_interval_ms
                    .unwrap_or(default_commit_interval_ms(db.backend())),
            ),
            send_queue_bytes: usize::try_from(config.collab_send_queue_bytes).unwrap_or(usize::MAX),
            ..HubConfig::default()
        };
        let (collab, doc_changes) = Hub::with_change_feed(store, hub_config);
        // Background work stops after the hub has flushed (see `run`), so its last reports land.
        let stop_background = CancellationToken::new();
        // With Redis, document updates and presence reach the other nodes at once.
        if let Some(client) = dependencies.redis_client() {
            docs::relay::DocRelay::start(client, collab.clone(), stop_background.clone());
        }
        // The event dispatcher reads the event log in order and fans it out to the sockets.
        let (events, events_task) = crate::events::Events::start(
            db.clone(),
            config.events(),
            dependencies.redis_client(),
            stop_background.clone(),
        )
        .await?;
        // Every write goes through one path, which wakes the event dispatcher, the job runner
        // and this node's change-feed consumers after its commit.
        let jobs = Jobs::default();
        let feed_wakers = crate::feed::Wakers::default();
        let writes = Writes::new(
            db.clone(),
            events.clone(),
            jobs.clone(),
            feed_wakers.clone(),
        );
        let doc_feed = docs::feed::spawn(writes.clone(), doc_changes, stop_background.clone());
        // Automatic history snapshots, taken beside the hub (after it flushed, the last ones).
        let doc_history = docs::history::spawn(
            collab.clone(),
            docs::history::HistoryConfig::from_config(&config),
            stop_background.clone(),
        );
        // Short-lived: catches up on edits whose report a crash lost.
        docs::feed::spawn_reconcile(writes.clone(), collab.clone());
        // File storage is chosen here once (directory or S3).
        let files = crate::files::Files::start(&config).await?;
        // Every background job (mail, text extraction) runs on the one queue; on shutdown the
        // runner finishes the mail it is sending and gives unfinished extractions back.
        // Automation runs act through the application's handlers: the handler gets the state
        // once it is built (below), before any job of its kind can matter.
        let automation_runs = crate::automation::runner::RunHandler::default();
        // Whole-organisation exports read documents through the hub, and the purge of a
        // deleted organisation deletes them through it: both get the state once built.
        let org_exports = crate::orgs::archive::ExportHandler::default();
        let org_purges = crate::orgs::purge::PurgeHandler::default();
        let jobs_task = Runner::new(db.clone(), RunnerOptions::from_config(&config))
            .register(automation_runs.clone())
            .register(org_exports.clone())
            .register(org_purges.clone())
            .register(crate::orgs::purge::ExpireHandler::new(
                writes.clone(),
                files.store.clone(),
            ))
            .register(crate::automation::schedule::handler(writes.clone()))
            .register(mail::MailHandler::new(mailer.clone()))
            .register(crate::invoices::send::InvoiceMailHandler::new(
                db.clone(),
                files.store.clone(),
                mailer,
            ))
            .register(crate::jobs::recurring::RecurringHandler::new(
                writes.clone(),
                crate::invoices::reminders::KIND,
                std::time::Duration::from_secs(config.invoices_pass_secs),
                crate::invoices::reminders::pass_today,
            ))
            .register(crate::jobs::recurring::RecurringHandler::new(
                writes.clone(),
                crate::timesheets::reminders::KIND,
                std::time::Duration::from_secs(config.timesheets_pass_secs),
                crate::timesheets::reminders::pass_now,
            ))
            .register(crate::webhooks::retention::handler(writes.clone()))
            .register(crate::boards::due::DueSoonHandler::new(
                writes.clone(),
                std::time::Duration::from_secs(config.tasks_due_scan_secs),
            ))
            .register(crate::files::extraction::ExtractionHandler::new(
                writes.clone(),
                files.store.clone(),
                crate::files::sandbox::Limits::from_config(&config),
            ))
            .spawn(jobs, stop_background.clone());
        if let Err(error) =
            crate::jobs::recurring::ensure_scheduled(&writes, crate::automation::schedule::KIND)
                .await
        {
            tracing::warn!(%error, "cannot queue the automation schedule pass");
        }
        if let Err(error) =
            crate::jobs::recurring::ensure_scheduled(&writes, crate::orgs::purge::EXPIRE_KIND).await
        {
            tracing::warn!(%error, "cannot queue the export expiry pass");
        }
        // Due-soon notifications run as a recurring job: its first run is queued once.
        if let Err(error) = crate::boards::due::ensure_scheduled(&writes).await {
            tracing::warn!(%error, "cannot queue the due-soon scan");
        }
        if let Err(error) =
            crate::jobs::recurring::ensure_scheduled(&writes, crate::invoices::reminders::KIND)
                .await
        {
            tracing::warn!(%error, "cannot queue the invoice pass");
        }
        if let Err(error) =
            crate::jobs::recurring::ensure_scheduled(&writes, crate::timesheets::reminders::KIND)
                .await
        {
            tracing::warn!(%error, "cannot queue the timesheet pass");
        }
        // The indexer follows the change feed from the index's last commit; on shutdown it
        // commits what it applied and closes the index (later rows are applied on next start).
        // It is this node's consumer of the feed, under a name kept in the data directory: the
        // cursor belongs to the index there, whatever the node is called.
        let index_owner = crate::feed::node::id(&config.data_dir)?;
        let search_task = crate::search::feed::spawn(
            db.clone(),
            search.clone(),
            crate::feed::node::search_consumer(&index_owner),
            &feed_wakers,
            stop_background.clone(),
        );
        // Each node removes deleted organisations from its own search index.
        let search_sweep = crate::orgs::purge::spawn_search_sweep(
            db.clone(),
            search.clone(),
            stop_background.clone(),
        );
        // Webhooks: one node fans the change feed out to the deliveries' outbox; every node's
        // dispatcher delivers the subscriptions whose lease it holds.
        let webhooks = crate::webhooks::Webhooks::default();
        let webhook_tasks = webhooks.start(
            &writes,
            &feed_wakers,
            crate::webhooks::WebhookOptions::from_config(&config),
            node.clone(),
            config.public_url(),
            &stop_background,
        );
        // Automation: the change-feed consumer that queues the runs of matching rules.
        let automation_wake = Arc::new(tokio::sync::Notify::new());
        feed_wakers.register(Arc::clone(&automation_wake));
        let automation_task = crate::automation::consumer::spawn(
            writes.clone(),
            automation_wake,
            stop_background.clone(),
        );
        // Retention deletes the feed rows no consumer needs any more.
        let retention_task = crate::feed::retention::spawn(
            db.clone(),
            config.feed_retention(),
            stop_background.clone(),
        );
        // Posts are answered after their commit; on shutdown the writer finishes what is queued.
        let (chat, chat_task) =
            crate::chat::writer::MessageWriter::spawn(writes.clone(), stop_background.clone());
        let digest_task = crate::notifications::digest::spawn(
            writes.clone(),
            config.public_url(),
            std::time::Duration::from_secs(config.notify_digest_secs),
            stop_background.clone(),
        );
        // Refused credentials are audited in aggregate; the task writes the closing windows.
        let (credential_rejections, rejections_task) =
            crate::auth::rejections::CredentialRejections::start(
                writes.clone(),
                std::time::Duration::from_secs(config.audit_rejection_window_secs),
                stop_background.clone(),
            );
        let state = AppState {
            config: Arc::new(config),
            db,
            dependencies,
            collab,
            writes,
            files,
            events,
            board_cards: Arc::default(),
            chat,
            search,
            verified_credentials: Arc::default(),
            credential_rejections,
            webhooks,
            shutdown,
        };
        automation_runs.set_state(state.clone());
        org_exports.set_state(state.clone());
        org_purges.set_state(state.clone());
        let mut background = vec![
            doc_feed,
            doc_history,
            automation_task,
            jobs_task,
            search_task,
            retention_task,
            events_task,
            chat_task,
            digest_task,
            rejections_task,
            search_sweep,
        ];
        background.extend(webhook_tasks);
        Ok(Self {
            state,
            background,
            stop_background,
            metrics_listener: None,
        })
    }

    /// Serves `/metrics` on `listener` (bound to `--metrics-listen`) instead of the main one.
    pub fn with_metrics_listener(mut self, listener: TcpListener) -> Self {
        self.metrics_listener = Some(listener);
        self
    }

    /// Serves on `listener` until `shutdown` resolves, then shuts down gracefully.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let Self {
            state,
            background,
            stop_background,
            metrics_listener,
        } = self;
        let grace = state.config.shutdown_timeout();
        let limits = state.config.connection_limits();
        let stop_accepting = CancellationToken::new();
        if let Some(metrics_listener) = metrics_listener {
            // Scrapers are few: a handful of connections is all the metrics address takes.
            let metrics_limits = ConnectionLimits {
                max_connections: METRICS_CONNECTIONS,
                ..limits.clone()
            };
            tokio::spawn(http_serve::serve(
                metrics_listener,
                crate::ops::routes::metrics_router(state.clone()),
                metrics_limits,
                stop_accepting.clone(),
            ));
        }
        let serving = http_serve::serve(
            listener,
            app::router(state.clone()),
            limits,
            stop_accepting.clone(),
        );
        let mut serving = tokio::spawn(serving);

        tokio::select! {
            () = shutdown => {}
            finished = &mut serving => {
                state.shutdown.cancel();
                state.collab.shutdown().await;
                stop_background.cancel();
                join_background(background).await;
                state.db.close().await;
                return flatten(finished);
            }
        }

        tracing::info!(
            grace_secs = grace.as_secs(),
            "shutting down: no new connections, finishing in-flight requests"
        );
        stop_accepting.cancel();
        state.shutdown.cancel();
        let outcome = match tokio::time::timeout(grace, &mut serving).await {
            Ok(finished) => flatten(finished),
            Err(_) => {
                tracing::warn!(
                    "in-flight requests did not finish within the grace period; closing them"
                );
                serving.abort();
                Ok(())
            }
        };
        // Every room is flushed before the database closes: nothing acknowledged is lost.
        state.collab.shutdown().await;
        stop_background.cancel();
        join_background(background).await;
        state.db.close().await;
        tracing::info!("shutdown complete");
        outcome
    }

    /// The state, for subcommands that work on it without serving.
    pub fn state(&self) -> &AppState {
        &self.state
    }
}

/// Builds and runs a server on `listener`: the whole life of `atrium serve`.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    Server::build(config).await?.run(listener, shutdown).await
}

/// Opens the configured database, creating the data directory first.
pub async fn open_database(config: &Config) -> Result<Db, StartError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;
    Ok(Db::connect(&config.resolved_database_url(), config.db_max_connections).await?)
}

/// Waits for background tasks to finish their current work (they watch the shutdown token).
async fn join_background(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for task in tasks {
        if tokio::time::timeout(std::time::Duration::from_secs(5), task)
            .await
            .is_err()
        {
            tracing::warn!("a background task did not stop within 5 s");
        }
    }
}

fn flatten(finished: Result<(), tokio::task::JoinError>) -> Result<(), StartError> {
    finished.map_err(|join| StartError::Io(std::io::Error::other(join)))
}

/// The collaboration hub's group-commit interval when none is configured. SQLite serves one
/// node, whose editors receive an edit before it is committed: only the sender's "saved" echo
/// waits for the commit, so commits can be further apart (each is an fsync and ~0.3 ms of
/// CPU; 20 ms saves ~8 µs per delivered update). On PostgreSQL, editors on other nodes receive
/// an edit only once it is committed (the range is published after the commit), so commits
/// stay close together.
fn default_commit_interval_ms(backend: db::Backend) -> u64 {
    match backend {
        db::Backend::Sqlite => 20,
        db::Backend::Postgres => 5,
    }
}
