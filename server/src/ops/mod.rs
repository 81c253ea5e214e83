//! Operations endpoints: liveness, readiness, metrics.

pub mod readiness;
pub mod routes;
