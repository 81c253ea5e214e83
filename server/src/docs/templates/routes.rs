//! `/api/v1/orgs/{org}/doc-templates` and `/api/v1/doc-templates/{template}` handlers.

use atrium_client::wire::{
    Can, CreateDocTemplate, DocTemplate, ErrorBody, Page, UpdateDocTemplate,
};
use atrium_collab::ContentFormat;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{MAX_MARKDOWN_BYTES, Resolved, store};
use crate::audit::{Event, action};
use crate::auth::CurrentUser;
use crate::authz::{self, Action, OrgAccess, ProjectAction, Resource, ResourceKind};
use crate::db::{new_id, now_ms};
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::state::AppState;

/// Most templates of its own one organisation has.
const MAX_PER_ORG: i64 = 200;
const MAX_DESCRIPTION_CHARS: usize = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_doc_template, list_doc_templates))
        .routes(routes!(
            get_doc_template,
            update_doc_template,
            delete_doc_template
        ))
}

/// Whether the caller manages the organisation's templates (its owners and admins).
fn manages(access: &OrgAccess) -> bool {
    access.may(Action::ManageMembers, Resource::new(ResourceKind::Org))
}

fn wire(template: Resolved, access: &OrgAccess, with_markdown: bool) -> DocTemplate {
    let changeable = !template.builtin && manages(access);
    let row = template.row;
    DocTemplate {
        id: row.id,
        org_id: row.org_id,
        name: row.name,
        description: row.description,
        builtin: template.builtin,
        markdown: with_markdown.then_some(row.markdown),
        created_by: (!template.builtin).then_some(row.created_by),
        created_at: row.created_at,
        updated_at: row.updated_at,
        can: Can {
            read: true,
            comment: false,
            write: changeable,
            manage: changeable,
            delete: changeable,
        },
    }
}

fn checked_name(name: &str) -> Result<String> {
    crate::http::fields::name("name", name)
}

fn checked_description(description: &str) -> Result<String> {
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS
        || description.chars().any(char::is_control)
    {
        return Err(ApiError::invalid_field(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} printable characters"),
        ));
    }
    Ok(description.to_owned())
}

fn checked_markdown(markdown: String) -> Result<String> {
    if markdown.len() > MAX_MARKDOWN_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    if markdown.contains('\0') {
        return Err(ApiError::invalid_field("markdown", "must be text"));
    }
    Ok(markdown)
}

fn taken() -> ApiError {
    ApiError::conflict(
        "name_taken",
        "the organisation already has a document template of this name",
    )
}

fn builtin_read_only() -> ApiError {
    ApiError::conflict(
        "builtin_template",
        "built-in templates cannot be changed; create a template of the same name to use in its place",
    )
}

/// The audit view of a template (its content is left out: it may be large).
fn summary(row: &store::TemplateRow) -> serde_json::Value {
    json!({ "name": row.name, "description": row.description })
}

/// A template of an organisation the caller belongs to, with their access there.
async fn visible(state: &AppState, user: &CurrentUser, id: &str) -> Result<(Resolved, OrgAccess)> {
    let not_found = ApiError::NotFound("document template");
    let org_id = super::org_of(state, id).await?.ok_or(not_found)?;
    let access = match authz::org_access(&state.db, user.id(), &org_id).await {
        Ok(access) => access,
        Err(ApiError::NotFound(_)) => return Err(ApiError::NotFound("document template")),
        Err(other) => return Err(other),
    };
    let template = super::resolve(state, &org_id, id)
        .await?
        .ok_or(ApiError::NotFound("document template"))?;
    Ok((template, access))
}

/// An org template the caller may change: 403 for members, 409 for a built-in.
async fn changeable(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<(store::TemplateRow, OrgAccess)> {
    let (template, access) = visible(state, user, id).await?;
    if !manages(&access) {
        return Err(authz::forbidden(Action::ManageMembers, ResourceKind::Org));
    }
    if template.builtin {
        return Err(builtin_read_only());
    }
    Ok((template.row, access))
}

/// Create a document template (org owners and admins): from `markdown`, or from the content
/// of a document of the organisation the caller may read (`from_doc`).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/doc-templates", tag = "docs", params(("org" = String, Path)), request_body = CreateDocTemplate, responses(
    (status = 201, description = "Created", body = DocTemplate),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such organisation, or `from_doc` is not a document of it the caller may read", body = ErrorBody),
    (status = 409, description = "`name_taken`: the organisation has a template of this name; `too_many`: it has 200", body = ErrorBody),
    (status = 413, description = "The Markdown is larger than 256 KiB", body = ErrorBody),
    (status = 422, description = "Field errors: name, description, neither or both of markdown and from_doc, a document too large for a template", body = ErrorBody)))]
async fn create_doc_template(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<CreateDocTemplate>,
) -> Result<(StatusCode, Json<DocTemplate>)> {
    let access = authz::require_org(&state.db, user.id(), &org_id, Action::ManageMembers).await?;
    let name = checked_name(&body.name)?;
    let description = checked_description(body.description.as_deref().unwrap_or(""))?;
    let markdown = match (body.markdown, body.from_doc) {
        (Some(markdown), None) => checked_markdown(markdown)?,
        (None, Some(doc_id)) => {
            let doc =
                super::super::routes::doc_for(&state, &user, &doc_id, ProjectAction::Read).await?;
            if doc.org_id != org_id {
                return Err(ApiError::NotFound("document"));
            }
            let markdown = state
                .collab
                .content(&doc.id, ContentFormat::Markdown)
                .await
                .map_err(super::super::routes::collab_error)?;
            if markdown.len() > MAX_MARKDOWN_BYTES {
                return Err(ApiError::invalid_field(
                    "from_doc",
                    "the document is larger than a template may be (256 KiB of Markdown)",
                ));
            }
            markdown
        }
        _ => {
            return Err(ApiError::invalid_field(
                "markdown",
                "give either markdown or from_doc",
            ));
        }
    };
    let now = now_ms();
    let row = store::TemplateRow {
        id: new_id(),
        org_id: org_id.clone(),
        name,
        description,
        markdown,
        created_by: user.id().to_owned(),
        created_at: now,
        updated_at: now,
    };
    let mut work = state.writes.begin().await?;
    if store::count(work.tx(), &org_id).await? >= MAX_PER_ORG {
        return Err(ApiError::conflict(
            "too_many",
            format!("an organisation has at most {MAX_PER_ORG} document templates"),
        ));
    }
    if !store::insert(work.tx(), &row).await? {
        return Err(taken());
    }
    let event = Event::new(action::DOC_TEMPLATE_CREATED, Some(user.id()))
        .org(&org_id)
        .target("doc_template", &row.id)
        .change(None::<()>, Some(summary(&row)));
    work.audit(&event, &client).await?;
    work.commit().await?;
    let template = Resolved {
        row,
        builtin: false,
    };
    Ok((StatusCode::CREATED, Json(wire(template, &access, true))))
}

/// The organisation's document templates, without their content: the built-ins it has not
/// replaced with its own of the same name, then its own by name (every member).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/doc-templates", tag = "docs", params(("org" = String, Path)), responses(
    (status = 200, description = "The templates", body = Page<DocTemplate>),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn list_doc_templates(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<Page<DocTemplate>>> {
    let access = authz::require_org(&state.db, user.id(), &org_id, Action::Read).await?;
    let items = super::list(&state, &org_id)
        .await?
        .into_iter()
        .map(|t| wire(t, &access, false))
        .collect();
    Ok(Json(Page { items, next: None }))
}

/// One document template with its Markdown content (every member of its organisation).
#[utoipa::path(get, path = "/api/v1/doc-templates/{template}", tag = "docs", params(("template" = String, Path)), responses(
    (status = 200, description = "The template", body = DocTemplate),
    (status = 404, description = "No such template", body = ErrorBody)))]
async fn get_doc_template(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<DocTemplate>> {
    let (template, access) = visible(&state, &user, &id).await?;
    Ok(Json(wire(template, &access, true)))
}

/// Change a document template's name, description or content (org owners and admins).
#[utoipa::path(patch, path = "/api/v1/doc-templates/{template}", tag = "docs", params(("template" = String, Path)), request_body = UpdateDocTemplate, responses(
    (status = 200, description = "The template", body = DocTemplate),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such template", body = ErrorBody),
    (status = 409, description = "`name_taken`; `builtin_template`: built-ins are read-only", body = ErrorBody),
    (status = 413, description = "The Markdown is larger than 256 KiB", body = ErrorBody),
    (status = 422, description = "Field errors, or nothing to change", body = ErrorBody)))]
async fn update_doc_template(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(id): Path<String>,
    Json(body): Json<UpdateDocTemplate>,
) -> Result<Json<DocTemplate>> {
    let (before, access) = changeable(&state, &user, &id).await?;
    if body.name.is_none() && body.description.is_none() && body.markdown.is_none() {
        return Err(ApiError::invalid_field(
            "name",
            "give a name, description or markdown to change",
        ));
    }
    let mut row = before.clone();
    if let Some(name) = &body.name {
        row.name = checked_name(name)?;
    }
    if let Some(description) = &body.description {
        row.description = checked_description(description)?;
    }
    if let Some(markdown) = body.markdown {
        row.markdown = checked_markdown(markdown)?;
    }
    row.updated_at = now_ms();
    let mut work = state.writes.begin().await?;
    if !store::update(work.tx(), &row).await? {
        return Err(taken());
    }
    let mut after = summary(&row);
    if row.markdown != before.markdown {
        after["content_changed"] = json!(true);
    }
    let event = Event::new(action::DOC_TEMPLATE_UPDATED, Some(user.id()))
        .org(&row.org_id)
        .target("doc_template", &row.id)
        .change(Some(summary(&before)), Some(after));
    work.audit(&event, &client).await?;
    work.commit().await?;
    let template = Resolved {
        row,
        builtin: false,
    };
    Ok(Json(wire(template, &access, true)))
}

/// Delete a document template (org owners and admins). Documents made from it keep their
/// content; a built-in it replaced is offered again.
#[utoipa::path(delete, path = "/api/v1/doc-templates/{template}", tag = "docs", params(("template" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such template", body = ErrorBody),
    (status = 409, description = "`builtin_template`: built-ins cannot be deleted", body = ErrorBody)))]
async fn delete_doc_template(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let (row, _) = changeable(&state, &user, &id).await?;
    let mut work = state.writes.begin().await?;
    store::delete(work.tx(), &row.org_id, &row.id).await?;
    let event = Event::new(action::DOC_TEMPLATE_DELETED, Some(user.id()))
        .org(&row.org_id)
        .target("doc_template", &row.id)
        .change(Some(summary(&row)), None::<()>);
    work.audit(&event, &client).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
