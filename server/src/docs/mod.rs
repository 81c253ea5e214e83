//! Collaborative documents as resources: metadata (title, project, trash) in the `docs` table,
//! content in the collab hub. The `/collab/{doc}` socket hands frames to the hub; changes to a
//! document's content reach the change feed (for search) through [`feed`].

pub mod feed;
pub mod routes;
pub mod socket;
pub mod store;
pub mod wire;
