//! The subcommands that work on the data without serving: `migrate`, `admin` and `search`.

use std::io::Read as _;

use atrium_client::wire::User;

use crate::config::{Config, CreateUserArgs, InvoicePassArgs, TimesheetPassArgs};
use crate::db;
use crate::error::ApiError;
use crate::server::{StartError, open_database};
use crate::users::model::NewUser;
use crate::users::{password, store};

/// Why a subcommand failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read the password from standard input: {0}")]
    Stdin(std::io::Error),
    #[error("cannot rebuild the search index: {0}")]
    Search(#[from] crate::search::feed::RebuildError),
}

/// `atrium migrate`: applies pending migrations; returns how many the database has.
pub async fn migrate(config: &Config) -> Result<usize, CliError> {
    let db = open_database(config).await?;
    let count = db::migrate::run(&db).await.map_err(StartError::from)?;
    db.close().await;
    Ok(count)
}

/// `atrium admin create-user`. The operator vouches for the address: it counts as verified.
pub async fn create_user(config: &Config, args: CreateUserArgs) -> Result<User, CliError> {
    let password = match args.password {
        Some(password) => password,
        None => read_password_from_stdin()?,
    };
    let new_user = NewUser::validate(&args.email, &args.name, args.handle.as_deref(), &password)
        .map_err(describe)?;
    let db = open_database(config).await?;
    db::migrate::run(&db).await.map_err(StartError::from)?;
    let hash = password::hash(&new_user.password).map_err(|e| CliError::Invalid(e.to_string()))?;
    let created = store::create(&db, &new_user, &hash, true)
        .await
        .map_err(describe);
    db.close().await;
    created
}

/// `atrium search reindex`: empties the index in `<data_dir>/search` and applies the change
/// feed from sequence 0; returns the last sequence applied and how many entities are
/// searchable. The server must be stopped: it holds the index's writer.
pub async fn search_reindex(config: &Config) -> Result<(i64, u64), CliError> {
    let db = open_database(config).await?;
    db::migrate::run(&db).await.map_err(StartError::from)?;
    let node = crate::feed::node::id(&config.data_dir).map_err(StartError::from)?;
    let rebuilt = crate::search::feed::rebuild(
        &db,
        config.data_dir.join("search"),
        &crate::feed::node::search_consumer(&node),
    )
    .await;
    db.close().await;
    Ok(rebuilt?)
}

/// `atrium admin invoice-pass`: the invoices' pass as of `--date`. What it queues (reminder
/// mail) a running server's job runner delivers, or this database's next server.
pub async fn invoice_pass(
    config: &Config,
    args: InvoicePassArgs,
) -> Result<crate::invoices::reminders::PassReport, CliError> {
    let today = match &args.date {
        Some(date) => crate::records::value::parse_date(date)
            .ok_or_else(|| CliError::Invalid(format!("{date:?} is not a date as YYYY-MM-DD")))?,
        None => crate::invoices::reminders::today(),
    };
    with_writes(config, |writes| async move {
        crate::invoices::reminders::pass(&writes, today).await
    })
    .await
}

/// `atrium admin timesheet-pass`: the timesheet reminders as of `--at` (an RFC 3339 time; now
/// when absent). The notifications it writes reach people on their next look.
pub async fn timesheet_pass(config: &Config, args: TimesheetPassArgs) -> Result<usize, CliError> {
    let now = at_or_now(args.at.as_deref())?;
    with_writes(config, |writes| async move {
        crate::timesheets::reminders::pass(&writes, now).await
    })
    .await
}

/// `atrium admin automation-pass`: the schedule and due-date pass of automation as of `--at`;
/// how many runs it queued (a running server does them).
pub async fn automation_pass(config: &Config, args: TimesheetPassArgs) -> Result<usize, CliError> {
    let now = at_or_now(args.at.as_deref())?;
    with_writes(config, |writes| async move {
        Ok(crate::automation::schedule::pass(&writes, now).await?)
    })
    .await
}

/// An RFC 3339 time as UTC ms; now when absent.
fn at_or_now(at: Option<&str>) -> Result<i64, CliError> {
    let Some(at) = at else {
        return Ok(db::now_ms());
    };
    let parsed = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .map_err(|_| CliError::Invalid(format!("{at:?} is not an RFC 3339 time")))?;
    i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| CliError::Invalid(format!("{at:?} is out of range")))
}

/// Runs `work` with the write path of the configured database (migrated first), as a server
/// would: its events reach the event bus other nodes listen to.
async fn with_writes<T, F, Fut>(config: &Config, work: F) -> Result<T, CliError>
where
    F: FnOnce(crate::write::Writes) -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::error::ApiError>>,
{
    let db = open_database(config).await?;
    db::migrate::run(&db).await.map_err(StartError::from)?;
    let stop = tokio_util::sync::CancellationToken::new();
    let (events, events_task) =
        crate::events::Events::start(db.clone(), config.events(), None, stop.clone())
            .await
            .map_err(|e| CliError::Invalid(e.to_string()))?;
    let writes = crate::write::Writes::new(
        db.clone(),
        events,
        crate::jobs::Jobs::default(),
        crate::feed::Wakers::default(),
    );
    let outcome = work(writes).await.map_err(describe);
    stop.cancel();
    let _ = events_task.await;
    db.close().await;
    outcome
}

fn read_password_from_stdin() -> Result<String, CliError> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(CliError::Stdin)?;
    // Only the line ending a shell or `echo` adds is dropped: blanks inside are the password's.
    let password = input.strip_suffix('\n').unwrap_or(&input);
    Ok(password.strip_suffix('\r').unwrap_or(password).to_owned())
}

fn describe(error: ApiError) -> CliError {
    match error {
        ApiError::Validation(fields) => CliError::Invalid(
            fields
                .iter()
                .map(|(field, why)| format!("{field} {why}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => CliError::Invalid(other.to_string()),
    }
}
