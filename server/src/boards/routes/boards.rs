//! `/api/v1/projects/{project}/boards`, `/api/v1/boards/{board}` and its columns.

use std::collections::HashSet;

use atrium_client::wire::{
    Board, BoardSummary, CreateBoardRequest, ErrorBody, NewColumn, Page, StatusCategory,
    UpdateBoardRequest,
};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{Event, action};
use crate::auth::CurrentUser;
use crate::authz::{Action, Resource, ResourceKind};
use crate::boards::store::boards::{self as store, BoardRow, NewBoard, NewColumnRow};
use crate::boards::store::{projects, statuses};
use crate::boards::{access, live, model, rank, view};
use crate::db::Tx;
use crate::error::{ApiError, Result};
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_board, list_boards))
        .routes(routes!(get_board, update_board, delete_board))
        .routes(routes!(add_column))
}

/// The largest WIP limit: columns store it as a 32-bit signed integer (PostgreSQL refused a
/// larger one with a 500 before this check).
const MAX_WIP_LIMIT: u32 = i32::MAX as u32;

/// A WIP limit, checked.
fn wip_limit(limit: Option<u32>) -> Result<Option<u32>> {
    match limit {
        Some(n) if n > MAX_WIP_LIMIT => Err(ApiError::invalid_field(
            "wip_limit",
            format!("must be at most {MAX_WIP_LIMIT}"),
        )),
        _ => Ok(limit),
    }
}

/// A column's name and WIP limit, checked.
fn column_spec(column: &NewColumn) -> Result<(String, StatusCategory, Option<u32>)> {
    let name = model::name("columns", &column.name)?;
    Ok((
        name,
        column.category.unwrap_or(StatusCategory::Todo),
        wip_limit(column.wip_limit)?,
    ))
}

/// Adds columns at the end of a board, each on the project's status of its name.
async fn add_columns(
    tx: &mut Tx,
    board: &BoardRow,
    columns: &[(String, StatusCategory, Option<u32>)],
) -> Result<()> {
    let existing = store::columns(tx, &board.org_id, &board.id).await?;
    if existing.len() + columns.len() > model::MAX_COLUMNS {
        return Err(ApiError::invalid_field(
            "columns",
            format!("a board has at most {} columns", model::MAX_COLUMNS),
        ));
    }
    let mut last = existing.last().map(|c| c.position.clone());
    let mut shown: HashSet<String> = existing.iter().map(|c| c.status_id.clone()).collect();
    for (name, category, wip_limit) in columns {
        let status =
            statuses::find_or_create(tx, &board.org_id, &board.project_id, name, *category).await?;
        if !shown.insert(status.id.clone()) {
            return Err(ApiError::invalid_field(
                "columns",
                format!("the board already shows the status {:?}", status.name),
            ));
        }
        let position = rank::between(last.as_deref(), None).map_err(ApiError::internal)?;
        store::add_column(
            tx,
            &NewColumnRow {
                board_id: &board.id,
                status_id: &status.id,
                name,
                position: &position,
                wip_limit: *wip_limit,
            },
        )
        .await?;
        last = Some(position);
    }
    Ok(())
}

/// Create a board in a project (editors and managers). Without columns it gets Backlog, To do,
/// In progress and Done; each column shows the project's status of its name.
#[utoipa::path(post, path = "/api/v1/projects/{project}/boards", tag = "boards", params(("project" = String, Path)), request_body = CreateBoardRequest, responses(
    (status = 201, description = "Created", body = Board),
    (status = 403, description = "The role cannot create boards", body = ErrorBody),
    (status = 404, description = "No such project", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody)))]
async fn create_board(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(project_id): Path<String>,
    Json(body): Json<CreateBoardRequest>,
) -> Result<(StatusCode, Json<Board>)> {
    let access = crate::authz::require_in_project(
        &state.db,
        user.id(),
        &project_id,
        "project",
        Resource::new(ResourceKind::Board),
        Action::Write,
    )
    .await?;
    let name = model::name("name", &body.name)?;
    let columns = match &body.columns {
        Some(columns) if !columns.is_empty() => columns
            .iter()
            .map(column_spec)
            .collect::<Result<Vec<_>>>()?,
        Some(_) => return Err(ApiError::invalid_field("columns", "a board needs a column")),
        None => model::DEFAULT_COLUMNS
            .iter()
            .map(|(name, category)| ((*name).to_owned(), *category, None))
            .collect(),
    };
    let filter = body.filter.clone().unwrap_or_default();
    let org_id = access.project.org_id.clone();
    let mut work = state.writes.begin().await?;
    projects::ensure_key(work.tx(), &org_id, &project_id).await?;
    let board = store::create(
        work.tx(),
        &NewBoard {
            org_id: &org_id,
            project_id: &project_id,
            name: &name,
            filter: &filter,
            swimlanes: body.swimlanes,
            created_by: user.id(),
        },
    )
    .await?;
    add_columns(work.tx(), &board, &columns).await?;
    let event = Event::new(action::BOARD_CREATED, Some(user.id()))
        .org(&org_id)
        .target("board", &board.id)
        .change(
            None::<()>,
            Some(serde_json::json!({ "name": board.name, "project": project_id })),
        );
    work.audit(&event, &client).await?;
    live::board_updated(&mut work, &org_id, &view::summary(&board));
    work.commit().await?;
    let mut conn = state.db.pool().acquire().await?;
    let wire = view::board(&state, &mut conn, &board, &access).await?;
    Ok((StatusCode::CREATED, Json(wire)))
}

/// A project's boards.
#[utoipa::path(get, path = "/api/v1/projects/{project}/boards", tag = "boards", params(("project" = String, Path)), responses(
    (status = 200, description = "The boards", body = Page<BoardSummary>),
    (status = 404, description = "No such project", body = ErrorBody)))]
async fn list_boards(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
) -> Result<Json<Page<BoardSummary>>> {
    let access = crate::authz::require_in_project(
        &state.db,
        user.id(),
        &project_id,
        "project",
        Resource::new(ResourceKind::Board),
        Action::Read,
    )
    .await?;
    let mut conn = state.db.pool().acquire().await?;
    let items = store::list(&mut conn, &access.project.org_id, &project_id)
        .await?
        .iter()
        .map(view::summary)
        .collect();
    Ok(Json(Page { items, next: None }))
}

/// A board: its columns with their cards in order (filtered by the board's filter; `count` is
/// every open card of the column's status).
#[utoipa::path(get, path = "/api/v1/boards/{board}", tag = "boards", params(("board" = String, Path)), responses(
    (status = 200, description = "The board", body = Board),
    (status = 404, description = "No such board", body = ErrorBody)))]
async fn get_board(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(board_id): Path<String>,
) -> Result<Json<Board>> {
    let (access, board) = access::board(&state, user.id(), &board_id, Action::Read).await?;
    let mut conn = state.db.pool().acquire().await?;
    Ok(Json(view::board(&state, &mut conn, &board, &access).await?))
}

/// Rename a board, change its filter or swimlanes, reorder, rename and limit its columns
/// (editors and managers).
#[utoipa::path(patch, path = "/api/v1/boards/{board}", tag = "boards", params(("board" = String, Path)), request_body = UpdateBoardRequest, responses(
    (status = 200, description = "The board", body = Board),
    (status = 403, description = "The role cannot change boards", body = ErrorBody),
    (status = 404, description = "No such board", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody)))]
async fn update_board(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(board_id): Path<String>,
    Json(body): Json<UpdateBoardRequest>,
) -> Result<Json<Board>> {
    let (access, mut board) = access::board(&state, user.id(), &board_id, Action::Write).await?;
    if let Some(name) = &body.name {
        board.name = model::name("name", name)?;
    }
    if let Some(filter) = &body.filter {
        board.filter = filter.clone();
    }
    if let Some(swimlanes) = body.swimlanes {
        board.swimlanes = swimlanes;
    }
    let mut work = state.writes.begin().await?;
    if let Some(updates) = &body.columns {
        let columns = store::columns(work.tx(), &board.org_id, &board.id).await?;
        let given: HashSet<&str> = updates.iter().map(|c| c.id.as_str()).collect();
        let all: HashSet<&str> = columns.iter().map(|c| c.id.as_str()).collect();
        if given != all || updates.len() != columns.len() {
            return Err(ApiError::invalid_field(
                "columns",
                "must list every column of the board once",
            ));
        }
        store::park_columns(work.tx(), &board.id).await?;
        let mut last: Option<String> = None;
        for update in updates {
            let Some(column) = columns.iter().find(|c| c.id == update.id) else {
                continue;
            };
            let name = match &update.name {
                Some(name) => model::name("columns", name)?,
                None => column.name.clone(),
            };
            let wip_limit = match update.wip_limit {
                Some(limit) => wip_limit(limit)?,
                None => column.wip_limit,
            };
            let position = rank::between(last.as_deref(), None).map_err(ApiError::internal)?;
            store::update_column(
                work.tx(),
                &board.id,
                &column.id,
                &name,
                &position,
                wip_limit,
            )
            .await?;
            last = Some(position);
        }
    }
    board.updated_at = store::update(work.tx(), &board).await?;
    live::board_updated(&mut work, &board.org_id, &view::summary(&board));
    work.commit().await?;
    let mut conn = state.db.pool().acquire().await?;
    Ok(Json(view::board(&state, &mut conn, &board, &access).await?))
}

/// Delete a board (managers). Its tasks stay: they are the project's.
#[utoipa::path(delete, path = "/api/v1/boards/{board}", tag = "boards", params(("board" = String, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 403, description = "Only managers delete boards", body = ErrorBody),
    (status = 404, description = "No such board", body = ErrorBody)))]
async fn delete_board(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(board_id): Path<String>,
) -> Result<StatusCode> {
    let (_access, board) = access::board(&state, user.id(), &board_id, Action::Delete).await?;
    let mut work = state.writes.begin().await?;
    if !store::delete(work.tx(), &board.org_id, &board.id).await? {
        return Err(ApiError::NotFound("board"));
    }
    let event = Event::new(action::BOARD_DELETED, Some(user.id()))
        .org(&board.org_id)
        .target("board", &board.id)
        .change(Some(serde_json::json!({ "name": board.name })), None::<()>);
    work.audit(&event, &client).await?;
    live::board_deleted(&mut work, &board.org_id, &board.project_id, &board.id);
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a column at the end of a board (editors and managers).
#[utoipa::path(post, path = "/api/v1/boards/{board}/columns", tag = "boards", params(("board" = String, Path)), request_body = NewColumn, responses(
    (status = 201, description = "The board with the new column", body = Board),
    (status = 403, description = "The role cannot change boards", body = ErrorBody),
    (status = 404, description = "No such board", body = ErrorBody),
    (status = 422, description = "Invalid fields", body = ErrorBody)))]
async fn add_column(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(board_id): Path<String>,
    Json(body): Json<NewColumn>,
) -> Result<(StatusCode, Json<Board>)> {
    let (access, mut board) = access::board(&state, user.id(), &board_id, Action::Write).await?;
    let column = column_spec(&body).map_err(|_| {
        ApiError::invalid_field(
            "name",
            format!(
                "must be 1 to {} printable characters",
                model::MAX_NAME_CHARS
            ),
        )
    })?;
    let mut work = state.writes.begin().await?;
    add_columns(work.tx(), &board, &[column]).await?;
    board.updated_at = store::update(work.tx(), &board).await?;
    live::board_updated(&mut work, &board.org_id, &view::summary(&board));
    work.commit().await?;
    let mut conn = state.db.pool().acquire().await?;
    Ok((
        StatusCode::CREATED,
        Json(view::board(&state, &mut conn, &board, &access).await?),
    ))
}
