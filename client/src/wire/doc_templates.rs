//! Document templates (`/api/v1/orgs/{org}/doc-templates`, `/api/v1/doc-templates/{template}`)
//! and the body that creates a document, from a template or blank
//! (`POST /api/v1/projects/{project}/docs`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Can;

/// A document template: one of the built-in starters every organisation has, or one of the
/// organisation's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocTemplate {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub description: String,
    /// Ships with the server: read-only; an org template of the same name takes its place.
    pub builtin: bool,
    /// The content as Markdown; left out of lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    /// Who made it (`null` for a built-in).
    pub created_by: Option<String>,
    /// Milliseconds since the epoch (0 for a built-in).
    pub created_at: i64,
    pub updated_at: i64,
    /// `read`: anyone in the org; `write`/`delete`: org owners and admins, on the org's own.
    pub can: Can,
}

/// `POST /api/v1/orgs/{org}/doc-templates`: give `markdown`, or `from_doc` (a document of the
/// organisation the caller may read) to save that document's content as a template.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateDocTemplate {
    /// 1–100 printable characters, unique in the organisation.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// The content, at most 256 KiB.
    #[serde(default)]
    pub markdown: Option<String>,
    /// A document whose content becomes the template's.
    #[serde(default)]
    pub from_doc: Option<String>,
}

/// `PATCH /api/v1/doc-templates/{template}`: the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpdateDocTemplate {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: Option<String>,
    #[serde(default)]
    pub markdown: Option<String>,
}

/// `POST /api/v1/projects/{project}/docs`: a new document, blank or holding a template's
/// content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateDoc {
    /// Blank: the template's name, else "Untitled".
    #[serde(default)]
    #[schema(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub title: Option<String>,
    /// A template of the project's organisation (built-in or its own).
    #[serde(default)]
    pub template: Option<String>,
}
