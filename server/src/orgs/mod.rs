//! Organisations: creation, members and their roles, invitations.

pub mod invitations;
pub mod routes;
pub mod store;
