//! Authentication: sign-up, log-in and out, sessions and API tokens, TOTP, password reset and
//! change ([`password_change`]), e-mail verification, log-in throttling with unlock links, the
//! [`extract::CurrentUser`] extractor every authenticated route takes, API token scopes
//! ([`scopes`], enforced by [`scope_guard`]; an org's integration tokens: [`org_tokens`]), and
//! the aggregated audit of refused credentials ([`rejections`]); credentials that authenticated
//! within the last second are answered from memory ([`remembered`]).

pub mod csrf;
pub mod extract;
pub mod org_tokens;
pub mod password_change;
pub mod rejections;
pub mod remembered;
pub mod reset;
pub mod routes;
pub mod scope_guard;
pub mod scope_targets;
pub mod scopes;
pub mod store;
pub mod throttle;
pub mod tokens;
pub mod totp;
pub mod unlock;
pub mod verify;

pub use extract::CurrentUser;
