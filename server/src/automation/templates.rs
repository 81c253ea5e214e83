//! The organisation's e-mail templates (`/orgs/{org}/email-templates`,
//! `/email-templates/{template}…`): a subject and a plain-text body with `{{field}}`
//! placeholders, rendered over an event's fields when a rule's `email` action sends one, and
//! over an invoice's fields for the invoice mail and reminders the invoice settings choose it
//! for ([`crate::invoices::send`]). The subject is flattened to one line after rendering (a
//! field cannot add a header), and the HTML part is the body escaped, paragraph by paragraph.

use atrium_client::wire::{
    CreateEmailTemplateRequest, EmailTemplate, ErrorBody, Page, PreviewEmailTemplateRequest,
    RenderedEmail, UpdateEmailTemplateRequest,
};
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::render::render;
use super::store;
use crate::auth::CurrentUser;
use crate::authz::{Action, require_org};
use crate::db::{new_id, now_ms};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path};
use crate::state::AppState;

/// Most templates one organisation has.
const MAX_PER_ORG: i64 = 200;
const MAX_NAME_CHARS: usize = 100;
const MAX_SUBJECT_CHARS: usize = 300;
const MAX_BODY_CHARS: usize = 20_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_template, list_templates))
        .routes(routes!(get_template, update_template, delete_template))
        .routes(routes!(preview_template))
}

/// `template` rendered over `fields`.
pub fn render_template(template: &EmailTemplate, fields: &Map<String, Value>) -> RenderedEmail {
    let subject = render(&template.subject, fields)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    RenderedEmail {
        subject: subject.chars().take(MAX_SUBJECT_CHARS).collect(),
        body: render(&template.body, fields),
    }
}

/// The HTML part of a rendered body: escaped, blank lines between paragraphs.
pub fn html_of(body: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    body.split("\n\n")
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn check(name: &str, subject: &str, body: &str) -> Result<()> {
    let n = name.trim();
    if n.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            "name",
            format!(
                "must be 1 to {MAX_NAME_CHARS} characters, not blank, without control characters"
            ),
        ));
    }
    if subject.trim().is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(ApiError::invalid_field(
            "subject",
            format!("must be 1 to {MAX_SUBJECT_CHARS} characters"),
        ));
    }
    if body.trim().is_empty() || body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::invalid_field(
            "body",
            format!("must be 1 to {MAX_BODY_CHARS} characters"),
        ));
    }
    Ok(())
}

fn taken() -> ApiError {
    ApiError::conflict(
        "name_taken",
        "the organisation already has a template of this name",
    )
}

/// The template, for someone who may manage the org's automation.
async fn managed(state: &AppState, user: &CurrentUser, id: &str) -> Result<EmailTemplate> {
    let template = store::find_template(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound("email template"))?;
    require_org(
        &state.db,
        user.id(),
        &template.org_id,
        Action::ManageMembers,
    )
    .await?;
    Ok(template)
}

/// Create an e-mail template (org owners and admins).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/email-templates", tag = "integrations", params(("org" = String, Path)), request_body = CreateEmailTemplateRequest, responses(
    (status = 201, description = "Created", body = EmailTemplate),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 409, description = "The name is taken", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
async fn create_template(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Json(body): Json<CreateEmailTemplateRequest>,
) -> Result<(StatusCode, Json<EmailTemplate>)> {
    require_org(&state.db, user.id(), &org_id, Action::ManageMembers).await?;
    check(&body.name, &body.subject, &body.body)?;
    let now = now_ms();
    let template = EmailTemplate {
        id: new_id(),
        org_id: org_id.clone(),
        name: body.name.trim().to_owned(),
        subject: body.subject,
        body: body.body,
        created_by: user.id().to_owned(),
        created_at: now,
        updated_at: now,
    };
    let mut work = state.writes.begin().await?;
    if store::count_templates(work.tx(), &org_id).await? >= MAX_PER_ORG {
        return Err(ApiError::conflict(
            "too_many",
            format!("an organisation has at most {MAX_PER_ORG} templates"),
        ));
    }
    if !store::insert_template(work.tx(), &template).await? {
        return Err(taken());
    }
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(template)))
}

/// The org's e-mail templates, by name.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/email-templates", tag = "integrations", params(("org" = String, Path)), responses(
    (status = 200, description = "The templates", body = Page<EmailTemplate>),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn list_templates(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<Page<EmailTemplate>>> {
    require_org(&state.db, user.id(), &org_id, Action::ManageMembers).await?;
    let items = store::list_templates(&state.db, &org_id).await?;
    Ok(Json(Page { items, next: None }))
}

/// One e-mail template.
#[utoipa::path(get, path = "/api/v1/email-templates/{template}", tag = "integrations", params(("template" = String, Path)), responses(
    (status = 200, description = "The template", body = EmailTemplate),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such template", body = ErrorBody)))]
async fn get_template(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<EmailTemplate>> {
    Ok(Json(managed(&state, &user, &id).await?))
}

/// Change an e-mail template.
#[utoipa::path(patch, path = "/api/v1/email-templates/{template}", tag = "integrations", params(("template" = String, Path)), request_body = UpdateEmailTemplateRequest, responses(
    (status = 200, description = "The template", body = EmailTemplate),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such template", body = ErrorBody),
    (status = 409, description = "The name is taken", body = ErrorBody),
    (status = 422, description = "Field errors", body = ErrorBody)))]
async fn update_template(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<UpdateEmailTemplateRequest>,
) -> Result<Json<EmailTemplate>> {
    let mut template = managed(&state, &user, &id).await?;
    if let Some(name) = body.name {
        template.name = name.trim().to_owned();
    }
    if let Some(subject) = body.subject {
        template.subject = subject;
    }
    if let Some(text) = body.body {
        template.body = text;
    }
    check(&template.name, &template.subject, &template.body)?;
    template.updated_at = now_ms();
    let mut work = state.writes.begin().await?;
    if !store::update_template(work.tx(), &template).await? {
        return Err(taken());
    }
    work.commit().await?;
    Ok(Json(template))
}

/// Delete an e-mail template (rules that name it fail their `email` action from then on). A
/// template the org's invoice settings write invoice or reminder mail with is not deleted:
/// that mail would silently change to the built-in wording.
#[utoipa::path(delete, path = "/api/v1/email-templates/{template}", tag = "integrations", params(("template" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such template", body = ErrorBody),
    (status = 409, description = "The invoice settings use the template (code `template_in_use`); nothing deleted", body = ErrorBody)))]
async fn delete_template(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let template = managed(&state, &user, &id).await?;
    let mut work = state.writes.begin().await?;
    store::delete_template(work.tx(), &template.id).await?;
    // Asked after the delete, in its transaction: settings being saved with this template
    // meanwhile hold it locked, so this reads them once they are committed.
    let mails =
        crate::invoices::settings::mails_using_template(work.tx(), &template.org_id, &template.id)
            .await?;
    if !mails.is_empty() {
        return Err(ApiError::conflict(
            "template_in_use",
            format!(
                "the organisation's invoice settings write {} e-mail with this template; \
                 choose another there before deleting it",
                mails.join(" and ")
            ),
        ));
    }
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The template rendered over sample fields; nothing is sent.
#[utoipa::path(post, path = "/api/v1/email-templates/{template}/preview", tag = "integrations", params(("template" = String, Path)), request_body = PreviewEmailTemplateRequest, responses(
    (status = 200, description = "The rendered subject and body", body = RenderedEmail),
    (status = 403, description = "Not an owner or admin", body = ErrorBody),
    (status = 404, description = "No such template", body = ErrorBody)))]
async fn preview_template(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Json(body): Json<PreviewEmailTemplateRequest>,
) -> Result<Json<RenderedEmail>> {
    let template = managed(&state, &user, &id).await?;
    Ok(Json(render_template(&template, &body.fields)))
}
