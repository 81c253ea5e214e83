//! Collaborative documents as resources: metadata (title, project, trash) in the `docs` table,
//! content in the collab hub. The `/collab/{doc}` socket hands frames to the hub; changes to a
//! document's content reach the change feed (for search) through [`feed`]; with Redis, the hub
//! reaches the other nodes through [`relay`]. Documents nest and are ordered in a page tree per
//! project ([`tree`]); people comment on ranges of their text ([`comments`]); new documents may start from an
//! organisation's templates ([`templates`]).

pub mod comment_store;
pub mod comments;
pub mod create;
pub mod diff;
pub mod export;
pub mod feed;
pub mod history;
pub mod import;
pub mod public_link;
pub mod public_link_store;
pub mod relay;
pub mod routes;
pub mod socket;
pub mod store;
pub mod templates;
pub mod tree;
pub mod wire;
