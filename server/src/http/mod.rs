//! HTTP plumbing shared by every domain: extractors whose rejections are `ApiError`s, the
//! fallbacks for unknown routes, and the middleware stack.

pub mod client_info;
pub mod extract;
pub mod fallback;
pub mod middleware;
pub mod rate_limit;
pub mod security;
