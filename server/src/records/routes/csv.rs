//! `GET /api/v1/orgs/{org}/records/{type}/export.csv` and `POST …/import.csv`.
//!
//! Export takes the list's filters and sort, needs `export` (with "only own", only the
//! caller's records), and streams: a keyset-paged query loop feeds the response body a page
//! at a time, so memory stays constant however many records match.
//!
//! Import maps the header to fields (by name or label), reads and checks every row first —
//! one bad row answers 422 with errors per row and column (`rows[3].fee`) and writes nothing —
//! then writes all rows in one transaction, each like a single create (naming, unique values,
//! links, history, events), in batches of multi-row statements ([`crate::records::csv::import`]).
//! The importer's sockets get `record.import.progress` as it goes and `record.import.finished`
//! with the outcome ([`crate::records::import_progress`]). Readers hear of a small import's
//! records one by one (`record.created`, as if created by hand) and of a large one's once
//! (`record.imported`, with how many they may read): a hundred thousand events would overrun
//! every reader's socket queue.

use atrium_client::wire::{ErrorBody, ImportResult, RecordsImported};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ResolvedType;
use super::records::type_access;
use crate::auth::CurrentUser;
use crate::authz::{Action, ResourceKind, Scope, forbidden};
use crate::db::Db;
use crate::error::{ApiError, Result};
use crate::http::extract::{Path, Query};
use crate::records::csv::cells;
use crate::records::csv::import::Importer;
use crate::records::import_progress::ImportReporter;
use crate::records::query::{self, ListPlan};
use crate::records::registry::Save;
use crate::records::schema::check::Errors;
use crate::records::store::records::RecordRow;
use crate::records::{events, rules, store};
use crate::state::AppState;

/// Most rows one import takes.
pub const MAX_IMPORT_ROWS: usize = 100_000;
/// Largest import body (100,000 rows of a few hundred bytes).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;
/// Records per page of an export's query loop.
const EXPORT_PAGE: u32 = 500;
/// Largest import whose records are announced one by one.
const ANNOUNCED_ROWS: usize = 100;
/// Most row errors one answer lists.
const MAX_REPORTED_ERRORS: usize = 1_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_csv)).merge(
        OpenApiRouter::new()
            .routes(routes!(import_csv))
            .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
    )
}

fn io_error(error: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(error.to_string())
}

/// One export page as CSV bytes (with the header first when `header` is set).
fn render(
    resolved: &ResolvedType,
    rows: &[RecordRow],
    header: bool,
) -> std::result::Result<Bytes, std::io::Error> {
    let fields = cells::export_fields(&resolved.schema);
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    if header {
        let names = cells::OWN_COLUMNS
            .iter()
            .map(|c| (*c).to_owned())
            .chain(fields.iter().map(|f| f.name.clone()));
        writer.write_record(names).map_err(io_error)?;
    }
    for record in rows {
        let own = [
            cells::guard(record.id.clone()),
            cells::guard(record.name.clone()),
            cells::guard(record.state.clone().unwrap_or_default()),
        ];
        let values = fields.iter().map(|f| cells::cell(record.data.get(&f.name)));
        writer
            .write_record(own.into_iter().chain(values))
            .map_err(io_error)?;
    }
    writer.into_inner().map(Bytes::from).map_err(io_error)
}

/// Where an export's query loop is.
struct Export {
    db: Db,
    org_id: String,
    resolved: ResolvedType,
    plan: ListPlan,
    started: bool,
    done: bool,
}

impl Export {
    async fn next_chunk(mut self) -> Option<(std::result::Result<Bytes, std::io::Error>, Self)> {
        if self.done {
            return None;
        }
        let rows = store::list::page(&self.db, &self.org_id, &self.resolved.slug, &self.plan).await;
        let mut rows = match rows {
            Ok(rows) => rows,
            Err(error) => {
                tracing::error!(%error, "records export failed");
                self.done = true;
                return Some((Err(io_error(error)), self));
            }
        };
        let limit = self.plan.limit as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        match rows.last() {
            Some(last) if more => {
                let cursor = self.plan.cursor_after(&self.resolved.schema, last);
                self.plan.set_cursor(cursor);
            }
            _ => self.done = true,
        }
        let chunk = render(&self.resolved, &rows, !self.started);
        self.started = true;
        Some((chunk, self))
    }
}

/// Every record of a type as CSV, unfiltered and a page at a time: the whole-organisation
/// export's `records/<type>.csv` (the same columns as a list's export).
pub(crate) fn all_records(
    db: Db,
    org_id: String,
    resolved: ResolvedType,
) -> Result<impl futures::Stream<Item = std::result::Result<Bytes, std::io::Error>>> {
    let mut plan = query::plan(&resolved.schema, &HashMap::new())?;
    plan.limit = EXPORT_PAGE;
    let export = Export {
        db,
        org_id,
        resolved,
        plan,
        started: false,
        done: false,
    };
    Ok(futures::stream::unfold(export, Export::next_chunk))
}

/// Export a list as CSV (the list's filters and sort apply).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/records/{type}/export.csv", tag = "records", params(("org" = String, Path), ("type" = String, Path)), responses(
    (status = 200, description = "The records as CSV, streamed", content_type = "text/csv", body = String),
    (status = 403, description = "The caller's roles cannot export these records", body = ErrorBody),
    (status = 404, description = "No such organisation or type", body = ErrorBody),
    (status = 422, description = "A bad filter", body = ErrorBody)))]
async fn export_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((org_id, slug)): Path<(String, String)>,
    Query(mut params): Query<HashMap<String, String>>,
) -> Result<Response> {
    let (resolved, access) = type_access(&state, &user, &org_id, &slug).await?;
    params.remove("cursor");
    params.remove("limit");
    let mut plan = query::plan(&resolved.schema, &params)?;
    plan.limit = EXPORT_PAGE;
    let read = access.scope(Action::Read);
    let export = access.scope(Action::Export);
    match (read, export) {
        (Scope::None, _) | (_, Scope::None) => {
            return Err(forbidden(Action::Export, ResourceKind::Record));
        }
        (Scope::All, Scope::All) => {}
        _ => plan.only_owner = Some(user.id().to_owned()),
    }
    let export = Export {
        db: state.db.clone(),
        org_id,
        resolved,
        plan,
        started: false,
        done: false,
    };
    let stream = futures::stream::unfold(export, Export::next_chunk);
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{slug}.csv\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Rows and their cells' errors, per row and column.
type ReadRows = (Vec<Map<String, Value>>, BTreeMap<String, String>);

/// The rows of a CSV body read into field maps, with the errors of cells that are no value of
/// their field (those cells are left out, so the rules can still check the rest of the row).
fn read_rows(resolved: &ResolvedType, body: &[u8]) -> Result<ReadRows> {
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ApiError::invalid_field("header", format!("is not CSV: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    // An empty body has no header row: nothing says which fields the (absent) rows fill, so it
    // is refused rather than read as zero records.
    if header.iter().all(String::is_empty) {
        return Err(ApiError::invalid_field(
            "header",
            "is missing: the first row names each column's field",
        ));
    }
    let mapping = cells::map_header(&resolved.schema, &header).map_err(|unknown| {
        ApiError::Validation(
            unknown
                .into_iter()
                .map(|c| {
                    (
                        format!("header.{c}"),
                        "names no field of this type".to_owned(),
                    )
                })
                .collect(),
        )
    })?;
    let mut rows = Vec::new();
    let mut errors = BTreeMap::new();
    for (i, record) in reader.records().enumerate() {
        if rows.len() >= MAX_IMPORT_ROWS {
            return Err(ApiError::invalid_field(
                "rows",
                format!("at most {MAX_IMPORT_ROWS} rows per import"),
            ));
        }
        let n = i + 1;
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                errors.insert(format!("rows[{n}]"), format!("is not a CSV row: {e}"));
                continue;
            }
        };
        let mut fields = Map::new();
        for (cell, field) in record.iter().zip(&mapping) {
            let Some(field) = field else { continue };
            match cells::value(field, cell) {
                Ok(Some(v)) => {
                    fields.insert(field.name.clone(), v);
                }
                Ok(None) => {}
                Err(why) => {
                    errors.insert(format!("rows[{n}].{}", field.name), why);
                }
            }
        }
        rows.push(fields);
    }
    Ok((rows, errors))
}

/// Import records from CSV: every row checked first; one bad row writes nothing.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/records/{type}/import.csv", tag = "records", params(("org" = String, Path), ("type" = String, Path)), request_body(content = String, content_type = "text/csv"), responses(
    (status = 201, description = "Every row written", body = ImportResult),
    (status = 403, description = "The caller's roles cannot import these records", body = ErrorBody),
    (status = 404, description = "No such organisation or type", body = ErrorBody),
    (status = 409, description = "The type is archived", body = ErrorBody),
    (status = 422, description = "Errors per row and column (`rows[3].fee`); nothing written", body = ErrorBody)))]
async fn import_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((org_id, slug)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, axum::Json<ImportResult>)> {
    let (resolved, access) = type_access(&state, &user, &org_id, &slug).await?;
    if access.scope(Action::Import) == Scope::None || access.scope(Action::Write) == Scope::None {
        return Err(forbidden(Action::Import, ResourceKind::Record));
    }
    if resolved.archived {
        return Err(ApiError::conflict("type_archived", "the type is archived"));
    }
    super::records::refuse_created_elsewhere(&resolved)?;
    let mut reporter = ImportReporter::new(state.writes.events(), &org_id, user.id(), &slug);
    let outcome = import(&state, &user, &resolved, &access, &body, &mut reporter).await;
    match &outcome {
        Ok(created) => reporter.finished(*created, 0),
        Err(ApiError::Validation(errors)) => reporter.finished(0, errors.len()),
        Err(_) => {}
    }
    let created = outcome?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ImportResult {
            created: created as u64,
        }),
    ))
}

/// One row as the create route takes a record: completed by the type (`fill`), checked, and
/// given its server-set fields (`derive`). `Ok(Err(_))`: the row's field errors.
async fn prepare_row(
    save: &Save<'_>,
    resolved: &ResolvedType,
    row: &Map<String, Value>,
) -> Result<Result<rules::Prepared, Errors>> {
    let kind = resolved.kind.as_deref();
    let mut row = row.clone();
    if let Some(kind) = kind
        && let Err(error) = kind.fill(save, &mut row, None).await
    {
        return row_refusal(error).map(Err);
    }
    let mut prepared = match rules::prepare(&resolved.schema, kind, &row, None) {
        Ok(prepared) => prepared,
        Err(errors) => return Ok(Err(errors)),
    };
    if let Some(kind) = kind
        && let Err(error) = kind.derive(save, &mut prepared.data).await
    {
        return row_refusal(error).map(Err);
    }
    Ok(Ok(prepared))
}

/// A type's refusal of one row as that row's errors; a failure of the server stays one.
fn row_refusal(error: ApiError) -> Result<Errors> {
    let message = match error {
        ApiError::Validation(errors) => return Ok(errors),
        ApiError::Conflict { message, .. } | ApiError::Refused { message, .. } => message,
        ApiError::Forbidden(message) => message,
        other => return Err(other),
    };
    Ok(Errors::from([("record".to_owned(), message)]))
}

/// Checks every row, then writes them all; the records written.
async fn import(
    state: &AppState,
    user: &CurrentUser,
    resolved: &ResolvedType,
    access: &crate::authz::records::RecordAccess,
    body: &[u8],
    reporter: &mut ImportReporter<'_>,
) -> Result<usize> {
    let (org_id, slug) = (&access.org.org_id, &resolved.slug);
    let (rows, mut errors) = read_rows(resolved, body)?;
    let total = rows.len();
    reporter.phase(total);
    let mut prepared = Vec::with_capacity(total);
    let save = Save {
        db: &state.db,
        org_id,
        user_id: user.id(),
        writes_all: access.scope(Action::Write) == Scope::All,
    };
    for (i, row) in rows.iter().enumerate() {
        match prepare_row(&save, resolved, row).await? {
            Ok(p) => prepared.push(p),
            Err(row_errors) => {
                for (field, why) in row_errors {
                    if errors.len() < MAX_REPORTED_ERRORS {
                        errors
                            .entry(format!("rows[{}].{field}", i + 1))
                            .or_insert(why);
                    }
                }
            }
        }
        reporter.row("validating", i + 1);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let members = events::members(&state.db, org_id).await?;
    reporter.phase(total);
    let mut work = state.writes.begin().await?;
    let importer = Importer {
        org_id,
        user_id: user.id(),
        resolved,
        access,
        members: &members,
        announce_each: total <= ANNOUNCED_ROWS,
    };
    let readable = importer
        .write(&mut work, prepared, |done| reporter.row("writing", done))
        .await?;
    for (reader, created) in readable {
        let data = RecordsImported {
            record_type: slug.clone(),
            created,
        };
        work.emit_all(events::to_readers(
            org_id,
            &[reader],
            "record.imported",
            &data,
        ));
    }
    work.commit().await?;
    Ok(total)
}
