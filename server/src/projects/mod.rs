//! Projects inside organisations: open or private, with explicit member roles.

pub mod routes;
pub mod store;
