//! HTTP plumbing shared by every domain: extractors whose rejections are `ApiError`s, the
//! fallbacks for unknown routes, and the middleware stack.

pub mod extract;
pub mod fallback;
pub mod middleware;
