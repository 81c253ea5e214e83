//! User accounts: validation, password hashing, storage, and the profile routes.

pub mod model;
pub mod password;
pub mod routes;
pub mod store;
