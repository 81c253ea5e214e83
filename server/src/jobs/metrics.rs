//! What `/metrics` shows of the queue. Labels come from closed sets: `kind` is a registered
//! handler's kind (jobs of other kinds are not reported), `state` and `outcome` fixed words.

use std::time::Duration;

use super::model::JobState;

/// Jobs in the table now, by kind and state (refreshed by every runner pass).
pub const JOBS: &str = "atrium_jobs";
/// Attempts finished, by kind and outcome (`done`, `retry`, `dead`, `interrupted`).
pub const RUNS: &str = "atrium_jobs_runs_total";
/// Attempts that failed (retried or given up), by kind.
pub const FAILURES: &str = "atrium_jobs_failures_total";
/// Jobs given up, by kind.
pub const DEAD: &str = "atrium_jobs_dead_total";
/// Time from claim to recorded outcome, by kind.
pub const DURATION: &str = "atrium_jobs_run_duration_seconds";

pub(super) fn describe() {
    metrics::describe_gauge!(JOBS, "jobs in the queue, by kind and state");
    metrics::describe_counter!(RUNS, "job attempts finished, by kind and outcome");
    metrics::describe_counter!(FAILURES, "job attempts that failed, by kind");
    metrics::describe_counter!(DEAD, "jobs given up, by kind");
    metrics::describe_histogram!(
        DURATION,
        metrics::Unit::Seconds,
        "time from claiming a job to recording its outcome"
    );
}

/// Counts one finished attempt.
pub(super) fn attempt(kind: &'static str, outcome: &'static str, took: Duration) {
    metrics::counter!(RUNS, "kind" => kind, "outcome" => outcome).increment(1);
    if matches!(outcome, "retry" | "dead") {
        metrics::counter!(FAILURES, "kind" => kind).increment(1);
    }
    if outcome == "dead" {
        metrics::counter!(DEAD, "kind" => kind).increment(1);
    }
    metrics::histogram!(DURATION, "kind" => kind).record(took.as_secs_f64());
}

/// Sets the gauge for every registered kind and every state (zero where none).
pub(super) fn set_counts(kinds: &[&'static str], counts: &[(String, String, i64)]) {
    for &kind in kinds {
        for state in JobState::ALL {
            let n = counts
                .iter()
                .find(|(k, s, _)| k == kind && s == state.as_str())
                .map_or(0, |(_, _, n)| *n);
            // Exact up to 2^53 jobs.
            metrics::gauge!(JOBS, "kind" => kind, "state" => state.as_str()).set(n as f64);
        }
    }
}
