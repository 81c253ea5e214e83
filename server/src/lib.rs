//! Atrium's server: the HTTP and WebSocket API, identity and tenancy, and the domains built on
//! them. It owns the database.
//!
//! # Layout
//! - [`config`] — the one `Config`, flags and `ATRIUM_*` environment variables.
//! - [`server`] — [`serve`] — start-up, the listener, graceful shutdown.
//! - [`app`] — the router: domain routes, OpenAPI document, fallbacks, middleware.
//! - [`db`] — the pool over SQLite or PostgreSQL, migrations, the change feed's SQL and safe
//!   read horizons, cursor paging.
//! - [`feed`] — the typed change feed: changes, consumers with cursors, retention.
//! - [`http`] — extractors with JSON rejections, fallbacks, the middleware stack.
//! - [`error`] — `ApiError`, the contract's error responses.
//! - [`ops`] — `/healthz`, `/readyz`, `/metrics`.
//! - [`telemetry`] — logging and metrics.
//! - [`web`] — the browser app's static files.
//! - [`auth`] — sign-up and e-mail verification, log-in (throttled, with unlock links), sessions
//!   and API tokens, TOTP, password reset, `CurrentUser`.
//! - [`authz`] — roles and the one place that decides who may do what.
//! - [`orgs`], [`projects`] — tenancy: organisations, members, invitations, projects.
//! - [`records`] — business records: custom and built-in types, rules, naming series,
//!   workflows, per-type permissions, history, indexed lists.
//! - [`crm`] — the sales side's built-in types (client, contact, deal) and the deal forecast.
//! - [`docs`] — collaborative documents: metadata, the `/collab` socket, content, versions.
//! - [`chat`] — channels, direct messages, messages, threads, mentions, reactions, unread state.
//! - [`events`] — the app event bus and the `/api/v1/events` socket; presence and typing.
//! - [`notifications`] — the notification centre and the offline e-mail digest.
//! - [`files`] — files in projects: streamed uploads to a directory or S3, versions, ranged
//!   downloads, text extraction for search.
//! - [`audit`] — the append-only audit log (an organisation reads its own events only).
//! - [`automation`] — rules (trigger, conditions, actions) run from the change feed and the job
//!   queue as their author, their run log and dry run; the organisation's e-mail templates.
//! - [`search`] — the search index fed by the change feed, and `GET /api/v1/orgs/{org}/search`.
//! - [`jobs`] — the one durable job queue every background task runs on, and
//!   `GET /api/v1/orgs/{org}/jobs`.
//! - [`mail`] — outgoing mail, queued as jobs, delivered to `.eml` files or SMTP.
//! - [`timetrack`] — time entries on tasks, the one running timer per user, reports and CSV.
//! - [`planning`] — milestones, the project overview, saved views.
//! - [`calendar`] — `YYYY-MM-DD` dates: strict parsing, weeks named by their Monday.
//! - [`webhooks`] — outgoing webhooks: subscriptions, the change feed fanned out to an outbox,
//!   signed deliveries in order with retries, the delivery log.
//! - [`users`] — accounts — validation, password hashing, storage.
//! - [`cli`] — the non-serving subcommands (`migrate`, `admin`, `search reindex`).
//!
//! Domains are vertical slices (`routes.rs` handlers, `store.rs` SQL, `model.rs` rules): handlers
//! never hold SQL, and every store function of an organisation's data takes its org id.

pub mod app;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod automation;
pub mod boards;
pub mod calendar;
pub mod chat;
pub mod cli;
pub mod config;
pub mod crm;
pub mod db;
pub mod docs;
pub mod error;
pub mod events;
pub mod feed;
pub mod files;
pub mod http;
pub mod invoices;
pub mod jobs;
pub mod mail;
pub mod notifications;
pub mod openapi;
pub mod ops;
pub mod orgs;
pub mod planning;
pub mod projects;
pub mod records;
pub mod search;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod timesheets;
pub mod timetrack;
pub mod users;
pub mod web;
pub mod webhooks;
pub mod write;

pub use config::Config;
pub use server::{Server, serve};
