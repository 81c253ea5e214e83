//! Authentication: sign-up, log-in and out, sessions and API tokens, TOTP, password reset,
//! e-mail verification, log-in throttling with unlock links, the [`extract::CurrentUser`]
//! extractor every authenticated route takes, and the aggregated audit of refused credentials
//! ([`rejections`]).

pub mod csrf;
pub mod extract;
pub mod rejections;
pub mod reset;
pub mod routes;
pub mod store;
pub mod throttle;
pub mod tokens;
pub mod totp;
pub mod unlock;
pub mod verify;

pub use extract::CurrentUser;
