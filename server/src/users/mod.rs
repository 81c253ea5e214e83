//! User accounts: validation, password hashing, and their storage.

pub mod model;
pub mod password;
pub mod store;
