//! Outgoing e-mail: mail queued as jobs on the one job queue ([`crate::jobs`]), and the two
//! ways mail leaves the server (`.eml` files or SMTP).
//!
//! A feature that sends mail calls [`outbox::enqueue`] inside the transaction of the change that
//! causes it, so a mail exists exactly when that change committed, then wakes the job runner
//! ([`crate::jobs::Jobs::wake`]). The runner claims the job (safe with several nodes on one
//! PostgreSQL), [`job::MailHandler`] hands it to the [`Mailer`] chosen at start-up, and failures
//! are retried with exponential back-off until the job is dead.
//!
//! # Layout
//! - [`outbox`] — [`OutgoingMail`], its validation, and queuing it as a job.
//! - [`mailer`] — [`Mailer`]: `.eml` files under `<data_dir>/outbox/` or SMTP via `lettre`;
//!   RFC 5322 message building.
//! - [`job`] — [`job::MailHandler`]: one delivery attempt for the job runner.
//! - [`templates`] — the product's messages (password reset, organisation invitation, e-mail
//!   verification, log-in unlock, notification digest).

pub mod job;
pub mod mailer;
pub mod outbox;
pub mod templates;

pub use job::MailHandler;
pub use mailer::Mailer;
pub use outbox::{Attachment, OutgoingMail};

/// Mails delivered (to a file or accepted by the SMTP server). Failures and the queue are the
/// job queue's metrics (`atrium_jobs*{kind="mail"}`).
pub const METRIC_SENT: &str = "atrium_mail_sent_total";

/// Why a mail could not be queued, built or delivered.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A header value holds CR or LF, which could smuggle in extra headers.
    #[error("the {field} must not contain line breaks")]
    LineBreak { field: &'static str },
    /// An address that is not a valid mailbox.
    #[error("the {field} is not a valid e-mail address: {source}")]
    InvalidAddress {
        field: &'static str,
        source: lettre::address::AddressError,
    },
    /// A value over its size limit.
    #[error("the {field} is longer than {max} bytes")]
    TooLong { field: &'static str, max: usize },
    /// An attachment's media type that is not one.
    #[error("{0:?} is not a media type")]
    ContentType(String),
    /// More values than allowed.
    #[error("at most {max} {field} are allowed")]
    TooMany { field: &'static str, max: usize },
    /// `ATRIUM_SMTP_URL` could not be understood.
    #[error("invalid SMTP URL: {0}")]
    SmtpUrl(#[source] lettre::transport::smtp::Error),
    /// The message could not be assembled.
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    /// The SMTP server could not be reached or refused the message.
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The `.eml` file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("mail queue database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl Error {
    /// Whether trying again cannot help: the mail itself is malformed, so retrying would only
    /// repeat the same failure. Transport and storage failures are worth retrying.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Self::LineBreak { .. }
                | Self::InvalidAddress { .. }
                | Self::TooLong { .. }
                | Self::TooMany { .. }
                | Self::ContentType(_)
                | Self::Build(_)
        )
    }
}

/// The module's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
