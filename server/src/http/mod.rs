//! HTTP plumbing shared by every domain: extractors whose rejections are `ApiError`s, the
//! fallbacks for unknown routes, the middleware stack, and WebSocket helpers.

pub mod client_info;
pub mod extract;
pub mod fallback;
pub mod middleware;
pub mod rate_limit;
pub mod security;
pub mod ws;
