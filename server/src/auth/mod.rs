//! Authentication: sign-up (and, with the identity work, log-in, sessions and tokens).

pub mod routes;
