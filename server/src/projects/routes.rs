//! `/api/v1/orgs/{org}/projects` and `/api/v1/projects/*` handlers.

use atrium_client::wire::{
    AddProjectMemberRequest, CreateProjectRequest, ErrorBody, Page, Project, ProjectMember,
    ProjectRole, UpdateProjectRequest, Visibility,
};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, NewProject, ProjectRow};
use crate::audit::{Event, action};
use crate::auth::CurrentUser;
use crate::authz::roles::project_role_name;
use crate::authz::{
    self, OrgAction, ProjectAccess, ProjectAction, ProjectFacts, Resource, ResourceKind,
    require_org, require_project,
};
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::state::AppState;

const MAX_DESCRIPTION_CHARS: usize = 2000;

/// The project routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_project, list_projects))
        .routes(routes!(get_project, update_project))
        .routes(routes!(add_project_member, list_project_members))
        .routes(routes!(remove_project_member))
}

/// A project as the caller with `access` sees it.
fn wire(project: ProjectRow, access: &ProjectAccess) -> Project {
    let can = access.can(Resource::new(ResourceKind::Project));
    let role = access.role;
    Project {
        id: project.id,
        org_id: project.org_id,
        name: project.name,
        description: project.description,
        visibility: project.visibility,
        default_role: project.default_role,
        key: project.key,
        created_at: project.created_at,
        updated_at: project.updated_at,
        role,
        can,
    }
}

/// The project row behind an access already checked (404 if it went away meanwhile).
async fn row(state: &AppState, access: &ProjectAccess) -> Result<ProjectRow> {
    store::find(&state.db, &access.project.org_id, &access.project.id)
        .await?
        .ok_or(ApiError::NotFound("project"))
}

fn validate_name(name: &str) -> Result<String> {
    crate::http::fields::name("name", name)
}

/// The 409 of a project key another project of the org has.
fn key_taken() -> ApiError {
    ApiError::conflict(
        "key_taken",
        "another project of this organisation has this key",
    )
}

fn validate_description(description: &str) -> Result<String> {
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::invalid_field(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(description.trim().to_owned())
}

/// Create a project in an organisation; the creator becomes its manager.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/projects", tag = "projects", params(("org" = String, Path)), request_body = CreateProjectRequest, responses(
    (status = 201, description = "Created", body = Project),
    (status = 403, description = "The org role cannot create projects", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody),
    (status = 409, description = "Another project of the organisation has this key", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody)))]
async fn create_project(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(org_id): Path<String>,
    Json(body): Json<CreateProjectRequest>,
) -> Result<(StatusCode, Json<Project>)> {
    require_org(&state.db, user.id(), &org_id, OrgAction::CreateProject).await?;
    let name = validate_name(&body.name)?;
    let description = validate_description(body.description.as_deref().unwrap_or_default())?;
    if let Some(key) = &body.key
        && !crate::boards::keys::is_valid(key)
    {
        return Err(ApiError::invalid_field(
            "key",
            "must be 2 to 10 of A-Z and 0-9, starting with a letter",
        ));
    }
    let mut work = state.writes.begin().await?;
    let key = match &body.key {
        Some(key) => {
            if crate::boards::store::projects::key_taken(work.tx(), &org_id, key).await? {
                return Err(key_taken());
            }
            key.clone()
        }
        None => crate::boards::store::projects::free_key(work.tx(), &org_id, &name).await?,
    };
    let project = store::create(
        work.tx(),
        &NewProject {
            org_id: &org_id,
            name: &name,
            description: &description,
            visibility: body.visibility.unwrap_or(Visibility::Open),
            default_role: body.default_role.unwrap_or(ProjectRole::Editor),
            key: &key,
            created_by: user.id(),
        },
    )
    .await
    .map_err(|error| {
        if crate::boards::store::is_unique_violation(&error) {
            key_taken()
        } else {
            error.into()
        }
    })?;
    let event = Event::new(action::PROJECT_CREATED, Some(user.id()))
        .org(&org_id)
        .target("project", &project.id)
        .change(
            None::<()>,
            Some(serde_json::json!({ "name": project.name, "visibility": project.visibility })),
        );
    work.audit(&event, &client).await?;
    work.commit().await?;
    let access = authz::project_access(&state.db, user.id(), &project.id).await?;
    Ok((StatusCode::CREATED, Json(wire(project, &access))))
}

/// The projects of an organisation the caller can see, with their role in each.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/projects", tag = "projects", params(("org" = String, Path)), responses(
    (status = 200, description = "Visible projects", body = Page<Project>),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
async fn list_projects(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
) -> Result<Json<Page<Project>>> {
    let access = require_org(&state.db, user.id(), &org_id, OrgAction::Read).await?;
    let items = store::list_in_org(&state.db, &org_id, user.id())
        .await?
        .into_iter()
        .filter_map(|(project, explicit)| {
            let facts = ProjectFacts {
                id: project.id.clone(),
                org_id: project.org_id.clone(),
                visibility: project.visibility,
                default_role: project.default_role,
            };
            let subject = access.in_project(&facts, explicit)?;
            let project_access = ProjectAccess {
                role: subject.project_role?,
                org_role: access.role,
                subject,
                policy: access.policy.clone(),
                project: facts,
            };
            Some(wire(project, &project_access))
        })
        .collect();
    Ok(Json(Page { items, next: None }))
}

/// A project.
#[utoipa::path(get, path = "/api/v1/projects/{project}", tag = "projects", params(("project" = String, Path)), responses(
    (status = 200, description = "The project", body = Project),
    (status = 404, description = "No such project (or not visible)", body = ErrorBody)))]
async fn get_project(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
) -> Result<Json<Project>> {
    let access = require_project(&state.db, user.id(), &project_id, ProjectAction::Read).await?;
    Ok(Json(wire(row(&state, &access).await?, &access)))
}

/// Change a project's name, description, visibility or default role (managers).
#[utoipa::path(patch, path = "/api/v1/projects/{project}", tag = "projects", params(("project" = String, Path)), request_body = UpdateProjectRequest, responses(
    (status = 200, description = "The updated project", body = Project),
    (status = 403, description = "Only managers change settings", body = ErrorBody),
    (status = 404, description = "No such project", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody)))]
async fn update_project(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(project_id): Path<String>,
    Json(body): Json<UpdateProjectRequest>,
) -> Result<Json<Project>> {
    let access = require_project(&state.db, user.id(), &project_id, ProjectAction::Manage).await?;
    let before = row(&state, &access).await?;
    let mut project = before.clone();
    if let Some(name) = &body.name {
        project.name = validate_name(name)?;
    }
    if let Some(description) = &body.description {
        project.description = validate_description(description)?;
    }
    project.visibility = body.visibility.unwrap_or(project.visibility);
    project.default_role = body.default_role.unwrap_or(project.default_role);
    let mut work = state.writes.begin().await?;
    project.updated_at = store::update(work.tx(), &project).await?;
    let summary = |p: &ProjectRow| serde_json::json!({ "name": p.name, "visibility": p.visibility, "default_role": project_role_name(p.default_role) });
    let event = Event::new(action::PROJECT_UPDATED, Some(user.id()))
        .org(&project.org_id)
        .target("project", &project.id)
        .change(Some(summary(&before)), Some(summary(&project)));
    work.audit(&event, &client).await?;
    // Who may read the project (and its channels) may have changed for the whole org.
    let access_moved =
        before.visibility != project.visibility || before.default_role != project.default_role;
    if access_moved {
        work.access_changed(
            &project.org_id,
            crate::events::Audience::Org(project.org_id.clone()),
            "project.access_changed",
        );
    }
    work.commit().await?;
    Ok(Json(wire(project, &access)))
}

/// Give an org member an explicit role in the project (managers).
#[utoipa::path(post, path = "/api/v1/projects/{project}/members", tag = "projects", params(("project" = String, Path)), request_body = AddProjectMemberRequest, responses(
    (status = 201, description = "The member", body = ProjectMember),
    (status = 403, description = "Only managers add members", body = ErrorBody),
    (status = 404, description = "No such project", body = ErrorBody),
    (status = 422, description = "The user is not a member of the organisation", body = ErrorBody)))]
async fn add_project_member(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(project_id): Path<String>,
    Json(body): Json<AddProjectMemberRequest>,
) -> Result<(StatusCode, Json<ProjectMember>)> {
    let access = require_project(&state.db, user.id(), &project_id, ProjectAction::Manage).await?;
    if crate::orgs::store::member_role(&state.db, &access.project.org_id, &body.user_id)
        .await?
        .is_none()
    {
        return Err(ApiError::invalid_field(
            "user_id",
            "is not a member of this project's organisation",
        ));
    }
    let mut work = state.writes.begin().await?;
    store::set_member(
        work.tx(),
        &access.project.org_id,
        &project_id,
        &body.user_id,
        body.role,
    )
    .await?;
    let event = Event::new(action::PROJECT_MEMBER_ADDED, Some(user.id()))
        .org(&access.project.org_id)
        .target("project", &project_id)
        .change(None::<()>, Some(serde_json::json!({ "user_id": body.user_id, "role": project_role_name(body.role) })));
    work.audit(&event, &client).await?;
    work.access_changed(
        &access.project.org_id,
        crate::events::Audience::User(body.user_id.clone()),
        "project.joined",
    );
    work.commit().await?;
    let member = store::list_members(&state.db, &access.project.org_id, &project_id)
        .await?
        .into_iter()
        .find(|m| m.user.id == body.user_id)
        .ok_or(ApiError::NotFound("member"))?;
    Ok((StatusCode::CREATED, Json(member)))
}

/// The project's explicit members.
#[utoipa::path(get, path = "/api/v1/projects/{project}/members", tag = "projects", params(("project" = String, Path)), responses(
    (status = 200, description = "Members with explicit roles", body = Page<ProjectMember>),
    (status = 404, description = "No such project", body = ErrorBody)))]
async fn list_project_members(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
) -> Result<Json<Page<ProjectMember>>> {
    let access = require_project(&state.db, user.id(), &project_id, ProjectAction::Read).await?;
    Ok(Json(Page {
        items: store::list_members(&state.db, &access.project.org_id, &project_id).await?,
        next: None,
    }))
}

/// Remove a user's explicit role in the project (managers).
#[utoipa::path(delete, path = "/api/v1/projects/{project}/members/{user}", tag = "projects", params(("project" = String, Path), ("user" = String, Path)), responses(
    (status = 204, description = "Removed"),
    (status = 403, description = "Only managers remove members", body = ErrorBody),
    (status = 404, description = "No such project or member", body = ErrorBody)))]
async fn remove_project_member(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path((project_id, member_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let access = require_project(&state.db, user.id(), &project_id, ProjectAction::Manage).await?;
    let mut work = state.writes.begin().await?;
    if !store::remove_member(work.tx(), &access.project.org_id, &project_id, &member_id).await? {
        return Err(ApiError::NotFound("member"));
    }
    let event = Event::new(action::PROJECT_MEMBER_REMOVED, Some(user.id()))
        .org(&access.project.org_id)
        .target("project", &project_id)
        .change(
            Some(serde_json::json!({ "user_id": member_id })),
            None::<()>,
        );
    work.audit(&event, &client).await?;
    work.access_changed(
        &access.project.org_id,
        crate::events::Audience::User(member_id.clone()),
        "project.left",
    );
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
