//! User accounts: validation, password hashing, storage, the profile routes, and profile
//! pictures ([`avatar`], checked and re-encoded by [`avatar_image`]).

pub mod avatar;
pub mod avatar_image;
pub mod model;
pub mod password;
pub mod routes;
pub mod store;
