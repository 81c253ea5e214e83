//! Progress of a CSV import on the importer's event sockets (`record.import.progress`, then
//! `record.import.finished` with the outcome). Batched: an event after every
//! [`EVERY_ROWS`] rows, or sooner when [`EVERY`] has passed since the last one (slow rows: a
//! link check, a unique value), never one per row — a 100,000-row import sends about a
//! hundred events per phase at most. Ephemeral: progress is worth nothing after the import, so
//! it is not kept for replay.

use std::time::{Duration, Instant};

use atrium_client::wire::{ImportFinished, ImportProgress};

use crate::events::{Audience, Events};

/// Rows between two progress events.
pub const EVERY_ROWS: usize = 1_000;
/// Longest pause between two progress events while rows are being worked through.
pub const EVERY: Duration = Duration::from_millis(500);

/// Reports one import to the importer.
pub struct ImportReporter<'a> {
    events: &'a Events,
    org_id: String,
    user_id: String,
    record_type: String,
    total: usize,
    /// Rows done at the last event, and when it was sent.
    reported: usize,
    at: Instant,
}

impl<'a> ImportReporter<'a> {
    pub fn new(events: &'a Events, org_id: &str, user_id: &str, record_type: &str) -> Self {
        Self {
            events,
            org_id: org_id.to_owned(),
            user_id: user_id.to_owned(),
            record_type: record_type.to_owned(),
            total: 0,
            reported: 0,
            at: Instant::now(),
        }
    }

    /// Starts a phase (`validating`, `writing`) over `total` rows.
    pub fn phase(&mut self, total: usize) {
        self.total = total;
        self.reported = 0;
        self.at = Instant::now();
    }

    /// `done` rows of the phase are through; sends an event when one is due, and always for
    /// the phase's last row.
    pub fn row(&mut self, phase: &str, done: usize) {
        let due = done - self.reported >= EVERY_ROWS
            || (done > self.reported && self.at.elapsed() >= EVERY)
            || (done == self.total && done > self.reported);
        if due {
            self.reported = done;
            self.at = Instant::now();
            let data = ImportProgress {
                record_type: self.record_type.clone(),
                phase: phase.to_owned(),
                done: done as u64,
                total: self.total as u64,
            };
            self.send("record.import.progress", &data);
        }
    }

    /// The outcome: `created` records, or the faults of rows (`errors`; nothing written).
    pub fn finished(&self, created: usize, errors: usize) {
        let data = ImportFinished {
            record_type: self.record_type.clone(),
            total: self.total as u64,
            created: created as u64,
            errors: errors as u64,
        };
        self.send("record.import.finished", &data);
    }

    fn send(&self, kind: &str, data: &impl serde::Serialize) {
        self.events.publish_ephemeral(
            &self.org_id,
            Audience::User(self.user_id.clone()),
            kind,
            serde_json::to_value(data).unwrap_or_default(),
            None,
        );
    }
}
