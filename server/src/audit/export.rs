//! `GET /api/v1/orgs/{org}/audit/export.csv`: the organisation's audit log as CSV, with the
//! listing's filters.
//!
//! Streamed like the records export: a keyset-paged query loop feeds the body a page at a
//! time, so memory stays constant however long the log is. Every text cell goes through the
//! records export's guard ([`cells::guard`]): names, targets and recorded values are user
//! input, and a spreadsheet runs a cell that starts with a formula character.

use atrium_client::wire::{AuditEntry, ErrorBody};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::store::{self, AuditFilter};
use crate::auth::CurrentUser;
use crate::authz::{OrgAction, require_org};
use crate::db::Db;
use crate::db::paging::{Cursor, PageRequest};
use crate::error::Result;
use crate::http::extract::{Path, Query};
use crate::records::csv::cells;
use crate::state::AppState;
use crate::webhooks::event::rfc3339;

/// Entries per page of the export's query loop.
const EXPORT_PAGE: u32 = 500;
/// The columns, in order.
const COLUMNS: [&str; 9] = [
    "time",
    "actor",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "ip",
    "before",
    "after",
];

/// The listing's filters, without paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Only this action, e.g. `member.role_changed`.
    action: Option<String>,
    /// Only events by this user.
    actor: Option<String>,
    /// From this time (ms since the epoch, inclusive).
    since: Option<i64>,
    /// Up to this time (ms since the epoch, inclusive).
    until: Option<i64>,
}

fn io_error(error: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(error.to_string())
}

/// One page of entries as CSV bytes (with the header first when `header` is set). The
/// whole-organisation export writes its `audit.csv` with it.
pub(crate) fn render(
    entries: &[AuditEntry],
    header: bool,
) -> std::result::Result<Bytes, std::io::Error> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    if header {
        writer.write_record(COLUMNS).map_err(io_error)?;
    }
    let text = |value: &Option<String>| cells::guard(value.clone().unwrap_or_default());
    let json = |value: &Option<serde_json::Value>| {
        cells::guard(value.as_ref().map(ToString::to_string).unwrap_or_default())
    };
    for entry in entries {
        writer
            .write_record([
                rfc3339(entry.created_at),
                text(&entry.actor_name),
                text(&entry.actor_id),
                cells::guard(entry.action.clone()),
                text(&entry.target_type),
                text(&entry.target_id),
                text(&entry.ip),
                json(&entry.before),
                json(&entry.after),
            ])
            .map_err(io_error)?;
    }
    writer.into_inner().map(Bytes::from).map_err(io_error)
}

/// Where an export's query loop is.
struct Export {
    db: Db,
    org_id: String,
    filter: AuditFilter,
    after: Option<Cursor>,
    started: bool,
    done: bool,
}

impl Export {
    async fn next_chunk(mut self) -> Option<(std::result::Result<Bytes, std::io::Error>, Self)> {
        if self.done {
            return None;
        }
        let request = PageRequest {
            limit: EXPORT_PAGE,
            after: self.after.take(),
        };
        let page = match store::list(&self.db, &self.org_id, &self.filter, &request).await {
            Ok(page) => page,
            Err(error) => {
                tracing::error!(%error, "audit export failed");
                self.done = true;
                return Some((Err(io_error(error)), self));
            }
        };
        match page.next.as_deref().map(Cursor::decode) {
            Some(Ok(cursor)) => self.after = Some(cursor),
            Some(Err(error)) => {
                self.done = true;
                return Some((Err(io_error(error)), self));
            }
            None => self.done = true,
        }
        let chunk = render(&page.items, !self.started);
        self.started = true;
        Some((chunk, self))
    }
}

/// The organisation's audit log as CSV, newest first, with the listing's filters (owners and
/// admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/audit/export.csv", tag = "orgs", params(("org" = String, Path), ExportQuery), responses(
    (status = 200, description = "The entries as CSV, streamed, newest first", content_type = "text/csv", body = String),
    (status = 400, description = "A filter is not a number where one is expected", body = ErrorBody),
    (status = 403, description = "Only owners and admins read the audit log", body = ErrorBody),
    (status = 404, description = "No such organisation", body = ErrorBody)))]
pub async fn export_audit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Result<Response> {
    require_org(&state.db, user.id(), &org_id, OrgAction::ReadAudit).await?;
    // No action or user id holds a NUL, and PostgreSQL cannot compare text with one: such a
    // filter matches nothing (the header alone).
    let impossible = |filter: &Option<String>| filter.as_deref().is_some_and(|f| f.contains('\0'));
    let nothing = impossible(&query.action) || impossible(&query.actor);
    let export = Export {
        db: state.db.clone(),
        org_id,
        filter: AuditFilter {
            action: query.action,
            actor_id: query.actor,
            since: query.since,
            until: query.until,
        },
        after: None,
        started: false,
        done: false,
    };
    let body = if nothing {
        Body::from(render(&[], true).map_err(crate::error::ApiError::internal)?)
    } else {
        Body::from_stream(futures::stream::unfold(export, Export::next_chunk))
    };
    let mut response = body.into_response();
    crate::http::download::attachment(
        response.headers_mut(),
        "text/csv; charset=utf-8",
        "audit-log.csv",
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_look_like_formulas_are_text() {
        let entry = AuditEntry {
            id: "e1".into(),
            org_id: Some("o1".into()),
            actor_id: Some("u1".into()),
            actor_name: Some("=HYPERLINK(\"http://evil\")".into()),
            action: "org.created".into(),
            target_type: Some("org".into()),
            target_id: Some("o1".into()),
            ip: None,
            user_agent: None,
            before: None,
            after: Some(serde_json::json!({ "name": "@SUM(1)" })),
            created_at: 0,
        };
        let csv = String::from_utf8(render(&[entry], true).unwrap().to_vec()).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some(COLUMNS.join(",").as_str()));
        let row = lines.next().unwrap();
        assert!(row.starts_with("1970-01-01T00:00:00Z,"), "{row}");
        assert!(
            row.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
            "{row}"
        );
        assert!(row.contains("org.created"), "{row}");
    }
}
