//! Document templates: documents people start from instead of a blank page.
//!
//! A template is a name, a description and its content as Markdown. Markdown, because it is
//! what both ends already speak: a template is read into a new document by the Markdown import
//! reader ([`super::import::markdown`], [`super::import::update_of`]), and a document is saved
//! as a template through the content decoder exports use (`ContentFormat::Markdown`), so there
//! is one converter each way and a template is readable and editable as plain text.
//!
//! Built-in starters (meeting notes, spec, invoice cover letter, [`builtin`]) are constants
//! served to every organisation, not rows seeded into each: there is nothing to seed when an
//! organisation is made or to back-fill for old ones, and improving a starter improves it
//! everywhere. Their ids name the organisation (`builtin:{key}:{org}`) so they read like any
//! other template of it (and answer 404 to outsiders); they are read-only. An organisation
//! overrides one by creating its own template of the same name: the built-in is then no
//! longer listed, and deleting the org's own brings it back.
//!
//! Org owners and admins (`manage_members` on the organisation) manage templates; every
//! member may list and read them, and whoever may create documents in a project may create one
//! from a template of its organisation. Changes go through the write path with an audit entry.
//!
//! # Layout
//! - [`builtin`] — the starters.
//! - [`store`] — the SQL.
//! - [`routes`] — `/orgs/{org}/doc-templates`, `/doc-templates/{template}`.
//! - this module — resolving a template and filling a new document with it.

pub mod builtin;
pub mod routes;
pub mod store;

use crate::error::{ApiError, Result};
use crate::state::AppState;
use builtin::{BUILTINS, Builtin};

/// Largest template content, in bytes of Markdown.
pub const MAX_MARKDOWN_BYTES: usize = 256 * 1024;

/// A template's id prefix for the built-ins.
const BUILTIN_PREFIX: &str = "builtin:";

/// The id of a built-in in an organisation.
fn builtin_id(key: &str, org_id: &str) -> String {
    format!("{BUILTIN_PREFIX}{key}:{org_id}")
}

/// The built-in and organisation a built-in's id names.
fn parse_builtin_id(id: &str) -> Option<(&'static Builtin, &str)> {
    let rest = id.strip_prefix(BUILTIN_PREFIX)?;
    let (key, org_id) = rest.split_once(':')?;
    let builtin = BUILTINS.iter().find(|b| b.key == key)?;
    (!org_id.is_empty()).then_some((builtin, org_id))
}

/// A template with its content, built-in or the org's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub row: store::TemplateRow,
    pub builtin: bool,
}

fn builtin_row(builtin: &Builtin, org_id: &str) -> store::TemplateRow {
    store::TemplateRow {
        id: builtin_id(builtin.key, org_id),
        org_id: org_id.to_owned(),
        name: builtin.name.to_owned(),
        description: builtin.description.to_owned(),
        markdown: builtin.markdown.to_owned(),
        created_by: String::new(),
        created_at: 0,
        updated_at: 0,
    }
}

/// The organisation a template id belongs to, if any (membership is the caller's to check).
pub async fn org_of(state: &AppState, id: &str) -> Result<Option<String>> {
    if let Some((_, org_id)) = parse_builtin_id(id) {
        return Ok(Some(org_id.to_owned()));
    }
    Ok(store::locate(&state.db, id).await?)
}

/// A template of `org_id` with its content; `None` when there is no such template in it.
pub async fn resolve(state: &AppState, org_id: &str, id: &str) -> Result<Option<Resolved>> {
    if let Some((builtin, of)) = parse_builtin_id(id) {
        return Ok((of == org_id).then(|| Resolved {
            row: builtin_row(builtin, org_id),
            builtin: true,
        }));
    }
    Ok(store::find(&state.db, org_id, id)
        .await?
        .map(|row| Resolved {
            row,
            builtin: false,
        }))
}

/// The organisation's templates, without content: the built-ins it has not overridden, in
/// their order, then its own by name.
pub async fn list(state: &AppState, org_id: &str) -> Result<Vec<Resolved>> {
    let own = store::list(&state.db, org_id).await?;
    let mut templates: Vec<Resolved> = BUILTINS
        .iter()
        .filter(|b| !own.iter().any(|t| t.name == b.name))
        .map(|b| Resolved {
            row: store::TemplateRow {
                markdown: String::new(),
                ..builtin_row(b, org_id)
            },
            builtin: true,
        })
        .collect();
    templates.extend(own.into_iter().map(|row| Resolved {
        row,
        builtin: false,
    }));
    Ok(templates)
}

/// A template chosen for a new document of `org_id`; 404 when it is not one of the org's.
pub async fn chosen(state: &AppState, org_id: &str, id: &str) -> Result<store::TemplateRow> {
    resolve(state, org_id, id)
        .await?
        .map(|t| t.row)
        .ok_or(ApiError::NotFound("document template"))
}
