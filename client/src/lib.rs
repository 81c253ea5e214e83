//! Atrium's wire types and Rust SDK.
//!
//! The server serialises exactly these types, so a change here is a change of the contract in
//! `shared/API.md` and the OpenAPI document. The SDK is what the black-box tests and the load
//! generators drive the server with.
//!
//! # Layout
//! - [`wire`] — request and response bodies, errors, paging.
//! - [`sdk`] — [`Client`], a thin typed HTTP client, one method per endpoint.

pub mod sdk;
pub mod wire;

pub use sdk::{Client, ClientError};
