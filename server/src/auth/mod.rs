//! Authentication: sign-up, log-in and out, sessions and API tokens, TOTP, password reset, and
//! the [`extract::CurrentUser`] extractor every authenticated route takes, and the aggregated
//! audit of refused credentials ([`rejections`]).

pub mod csrf;
pub mod extract;
pub mod rejections;
pub mod reset;
pub mod routes;
pub mod store;
pub mod tokens;
pub mod totp;

pub use extract::CurrentUser;
