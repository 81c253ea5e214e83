//! HTTP plumbing shared by every domain: extractors whose rejections are `ApiError`s, the
//! fallbacks for unknown routes, the middleware stack, WebSocket helpers, and the connection
//! loop with its limits ([`serve`]).

pub mod client_info;
pub mod download;
pub mod extract;
pub mod fallback;
pub mod fields;
pub mod html;
pub mod middleware;
pub mod rate_limit;
pub mod security;
pub mod serve;
pub mod shared_buckets;
pub mod unread_body;
pub mod ws;
