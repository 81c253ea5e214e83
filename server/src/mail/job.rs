//! The mail job handler: delivers a queued mail through the [`Mailer`] chosen at start-up.
//!
//! Transport and storage failures are retried by the job runner with back-off; a mail that can
//! never be sent (malformed, or a payload that is not a mail) is dead at once.

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::outbox::{self, KIND};
use super::{METRIC_SENT, Mailer};
use crate::jobs::{Handler, Job, Outcome};

/// Runs jobs of kind [`KIND`].
pub struct MailHandler {
    mailer: Mailer,
}

impl MailHandler {
    /// A handler delivering through `mailer`.
    pub fn new(mailer: Mailer) -> Self {
        metrics::describe_counter!(METRIC_SENT, "e-mails delivered");
        tracing::info!(mailer = mailer.kind(), "mail delivery ready");
        Self { mailer }
    }
}

impl Handler for MailHandler {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// A send is never cut short: the runner's shutdown waits for it (lettre's per-command
    /// timeout bounds it).
    fn run<'a>(&'a self, job: &'a Job, _stop: &'a CancellationToken) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let Some(mail) = outbox::from_payload(&job.payload) else {
                return Outcome::Permanent("the job's payload is not a mail".to_owned());
            };
            if let Err(error) = mail.validate() {
                return Outcome::Permanent(error.to_string());
            }
            // The job id is the Message-ID: a retried send is recognisably the same message.
            match self.mailer.send(&job.id, &mail).await {
                Ok(()) => {
                    metrics::counter!(METRIC_SENT).increment(1);
                    Outcome::Done
                }
                Err(error) if error.is_permanent() => Outcome::Permanent(error.to_string()),
                Err(error) => Outcome::Retry(error.to_string()),
            }
        })
    }
}
