//! Logs and metrics.
//!
//! Logs go through `tracing` to standard error, as text or JSON lines; every line written while
//! a request is handled carries that request's id. Metrics are recorded with the `metrics`
//! facade and rendered as Prometheus text at `/metrics`.

pub mod logging;
pub mod metrics;
