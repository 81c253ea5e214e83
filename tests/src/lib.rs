//! The black-box test harness: the real `atrium` binary, started on `127.0.0.1:0` with a fresh
//! database, driven over HTTP and WebSocket.
//!
//! # Layout
//! - [`server`] — [`TestServer`] — spawn, wait for readiness, signal, restart, clean up.
//! - [`database`] — [`Backend`] and [`TestDatabase`] — a fresh SQLite file or PostgreSQL
//!   database per test.
//! - [`collab`] — raw `/collab` sockets (connect, next frame or close code).
//! - [`events`] — [`events::EventSocket`], a client of the app event socket.
//! - [`mail`] — mail the server sent, read from `.eml` files.
//! - [`services`] — the loopback services the test command started (PostgreSQL, Redis, S3,
//!   SMTP), and a private PostgreSQL for tests that stop it.
//! - [`backend_tests!`]: runs one test body on both SQLite and PostgreSQL.
//!
//! The test command (`scripts/test`) builds the binary and starts the services first; run alone,
//! `cargo test` finds the binary in the target directory and fails with a clear message when a
//! service it needs is not configured.

pub mod bench;
pub mod collab;
pub mod database;
pub mod dates;
pub mod events;
pub mod fixtures;
pub mod mail;
pub mod pdf;
pub mod server;
pub mod services;
pub mod source;

pub use database::{Backend, TestDatabase};
pub use server::{TestServer, TestServerBuilder};

/// Runs each test body twice, as `name::sqlite` and `name::postgres`, each with its own server
/// and database. The body gets the backend as its argument.
///
/// ```ignore
/// backend_tests! {
///     async fn health_answers(backend) {
///         let server = TestServer::start(backend).await;
///         assert_eq!(server.client().health().await.unwrap().status, "ok");
///     }
/// }
/// ```
#[macro_export]
macro_rules! backend_tests {
    ($($(#[$meta:meta])* async fn $name:ident($backend:ident) $body:block)*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($backend: $crate::Backend) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run($crate::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    run($crate::Backend::Postgres).await
                }
            }
        )*
    };
}
