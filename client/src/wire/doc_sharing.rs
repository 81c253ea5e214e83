//! Document sharing: the organisation's opt-in to public links (`/api/v1/orgs/{org}/doc-sharing`)
//! and a document's public read-only link (`/api/v1/docs/{doc}/public-link`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An organisation's document sharing settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocSharing {
    /// Whether documents may be published at public read-only links.
    pub public_links: bool,
}

/// `{expires?}`: when the link stops working (milliseconds since the epoch, UTC; in the
/// future). Absent or null: until revoked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatePublicLink {
    #[serde(default)]
    pub expires: Option<i64>,
}

/// A newly made public link: the only time its URL is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicLinkCreated {
    pub url: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// A document's public link, without its URL (only a digest of it is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicLinkInfo {
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// Past its expiry: it no longer opens.
    pub expired: bool,
}

/// Whether a document may be published, and its link if it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicLinkStatus {
    /// The organisation allows public links.
    pub allowed: bool,
    /// The caller may create and revoke the document's link.
    pub can_manage: bool,
    pub link: Option<PublicLinkInfo>,
}
