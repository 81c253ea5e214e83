//! `GET /api/v1/orgs/{org}/search`.
//!
//! Snippets and titles are returned as plain text exactly as stored, never HTML; the matched
//! words are given separately as `highlights`, ranges of **UTF-16 code units** (the indices of a
//! JavaScript string: `snippet.slice(start, end)`), end exclusive, ascending and disjoint.
//! A client renders the text with those ranges marked, escaping it as it would any text.

use std::ops::Range;
use std::time::Instant;

use atrium_client::wire::ErrorBody;
use atrium_search::{Kind, SearchRequest, SearchResults, Snippet, TimeRange};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{QUERY_SECONDS, scope};
use crate::auth::CurrentUser;
use crate::auth::scopes::{Area, TokenGrant};
use crate::error::{ApiError, Result};
use crate::http::extract::{Json, Path, Query};
use crate::state::AppState;

/// Largest page; the index caps at the same size.
const MAX_LIMIT: u32 = 100;
/// Most values in one list parameter (`kind`, `project`, `channel`, `author`): each becomes a
/// term of the query.
const MAX_LIST_VALUES: usize = 100;

/// The search route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

/// Search parameters. List parameters are comma-separated.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Free text: words (the last one also matches as a prefix), `"quoted phrases"`; longer
    /// words tolerate typos. At most 1 KiB and 32 words.
    q: Option<String>,
    /// Kinds to search: `doc`, `message`, `task`, `record`, `file`. Default: all.
    kind: Option<String>,
    /// Only these projects.
    project: Option<String>,
    /// Only these channels (messages).
    channel: Option<String>,
    /// Only by these authors (user ids).
    author: Option<String>,
    /// Changed at or after this time (ms since the epoch).
    since: Option<i64>,
    /// Changed at or before this time (ms since the epoch).
    until: Option<i64>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The `next` of the previous page.
    cursor: Option<String>,
}

/// A page of hits, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    pub hits: Vec<SearchHit>,
    /// How many readable entities match, over all pages.
    pub total: usize,
    /// Cursor of the next page; absent on the last page.
    pub next: Option<String>,
}

/// One thing found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    /// `doc`, `message`, `task`, `record` or `file`.
    pub kind: String,
    pub id: String,
    /// Plain text (empty for messages).
    pub title: String,
    /// Plain text: the best passage, with `…` where it was cut.
    pub snippet: String,
    /// Relevance; comparable within one search only.
    pub score: f32,
    pub project: Option<String>,
    /// The channel, for messages.
    pub channel: Option<String>,
    /// The author's user id.
    pub author: Option<String>,
    /// ms since the epoch.
    pub created_at: i64,
    /// ms since the epoch.
    pub updated_at: i64,
    pub highlights: Highlights,
}

/// The matched words of `title` and `snippet`.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Highlights {
    pub title: Vec<MatchRange>,
    pub snippet: Vec<MatchRange>,
}

/// A range of UTF-16 code units, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct MatchRange {
    pub start: usize,
    pub end: usize,
}

/// Search everything the caller may read in an organisation.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/search", tag = "search", params(("org" = String, Path), SearchQuery), responses(
    (status = 200, description = "Hits the caller may read, best first", body = SearchResponse),
    (status = 400, description = "Unusable query, filter, limit or cursor (`invalid_query`, `invalid_limit`)", body = ErrorBody),
    (status = 404, description = "No such organisation (or not a member)", body = ErrorBody),
    (status = 503, description = "The search index is being reopened", body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(org_id): Path<String>,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchResponse>> {
    // Membership first: a non-member learns nothing, not even that the query was bad.
    let scope = scope::for_user(&state.db, user.id(), &org_id).await?;
    let mut request = request(query)?;
    request.kinds = readable_kinds(&user.grant, request.kinds)?;
    let index = state.search.index().ok_or_else(|| {
        ApiError::Unavailable("the search index is being reopened; try again".to_owned())
    })?;
    let started = Instant::now();
    let results = tokio::task::spawn_blocking(move || index.search(&scope, &request))
        .await
        .map_err(ApiError::internal)?;
    metrics::histogram!(QUERY_SECONDS).record(started.elapsed().as_secs_f64());
    match results {
        Ok(results) => Ok(Json(response(results))),
        Err(atrium_search::Error::BadQuery(why)) => {
            Err(ApiError::bad_request("invalid_query", why))
        }
        Err(other) => Err(ApiError::internal(other)),
    }
}

/// Validates the parameters into the index's request.
fn request(query: SearchQuery) -> Result<SearchRequest> {
    let limit = match query.limit {
        None => 0,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n as usize,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
    };
    if matches!((query.since, query.until), (Some(since), Some(until)) if since > until) {
        return Err(invalid("since is after until"));
    }
    let kinds = list("kind", query.kind.as_deref())?
        .into_iter()
        .map(|k| k.parse::<Kind>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| match e {
            atrium_search::Error::BadQuery(why) => invalid(why),
            other => ApiError::internal(other),
        })?;
    Ok(SearchRequest {
        query: query.q.unwrap_or_default(),
        kinds,
        projects: list("project", query.project.as_deref())?,
        channels: list("channel", query.channel.as_deref())?,
        authors: list("author", query.author.as_deref())?,
        created: TimeRange::default(),
        updated: TimeRange {
            from: query.since,
            to: query.until,
        },
        limit,
        cursor: query.cursor.filter(|c| !c.is_empty()),
        now: None,
    })
}

/// The area of the product each kind of hit belongs to, for scoped tokens.
fn area_of(kind: Kind) -> Area {
    match kind {
        Kind::Doc => Area::Docs,
        Kind::Message => Area::Chat,
        Kind::Task => Area::Boards,
        Kind::Record => Area::Records,
        Kind::File => Area::Files,
    }
}

/// The kinds a search may return: a scoped token (which needs `search:read` to get here) finds
/// only what its scopes let it read — `search:read` with `records:read` never returns a chat
/// message. Asking for a kind outside them is a 403 naming the scope; a token that reads none
/// of the searched areas cannot search.
fn readable_kinds(grant: &TokenGrant, asked: Vec<Kind>) -> Result<Vec<Kind>> {
    if grant.scopes.is_none() {
        return Ok(asked);
    }
    if let Some(kind) = asked.iter().find(|kind| !grant.reads(area_of(**kind))) {
        return Err(ApiError::Forbidden(format!(
            "this token's scopes do not include {}:read",
            area_of(*kind).name()
        )));
    }
    if !asked.is_empty() {
        return Ok(asked);
    }
    let readable: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|kind| grant.reads(area_of(*kind)))
        .collect();
    if readable.is_empty() {
        return Err(ApiError::Forbidden(
            "this token reads none of the searched areas (docs, chat, boards, records, files)"
                .into(),
        ));
    }
    Ok(readable)
}

fn invalid(why: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_query", why)
}

/// A comma-separated parameter; blanks between commas are ignored.
fn list(name: &str, value: Option<&str>) -> Result<Vec<String>> {
    let values: Vec<String> = value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect();
    if values.len() > MAX_LIST_VALUES {
        return Err(invalid(format!(
            "{name} lists more than {MAX_LIST_VALUES} values"
        )));
    }
    Ok(values)
}

fn response(results: SearchResults) -> SearchResponse {
    SearchResponse {
        hits: results
            .hits
            .into_iter()
            .map(|hit| {
                let highlights = Highlights {
                    title: utf16_ranges(&hit.title),
                    snippet: utf16_ranges(&hit.snippet),
                };
                SearchHit {
                    kind: hit.kind.as_str().to_owned(),
                    id: hit.id,
                    title: hit.title.text,
                    snippet: hit.snippet.text,
                    score: hit.score,
                    project: hit.project,
                    channel: hit.channel,
                    author: hit.author,
                    created_at: hit.created,
                    updated_at: hit.updated,
                    highlights,
                }
            })
            .collect(),
        total: results.total,
        next: results.next,
    }
}

/// The snippet's byte ranges as UTF-16 code-unit ranges. A range off a character boundary
/// (never produced by the index) is dropped rather than mis-marking the text.
fn utf16_ranges(snippet: &Snippet) -> Vec<MatchRange> {
    let text = snippet.text.as_str();
    let mut out = Vec::with_capacity(snippet.highlights.len());
    // Ranges ascend: count code units incrementally instead of from the start each time.
    let (mut byte_at, mut unit_at) = (0, 0);
    let mut advance = |to: usize| -> Option<usize> {
        let gap = text.get(byte_at..to)?;
        unit_at += gap.encode_utf16().count();
        byte_at = to;
        Some(unit_at)
    };
    for Range { start, end } in snippet.highlights.iter().cloned() {
        if start >= end {
            continue;
        }
        let (Some(start), Some(end)) = (advance(start), advance(end)) else {
            continue;
        };
        out.push(MatchRange { start, end });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(text: &str, bytes: &[(usize, usize)]) -> Vec<(usize, usize)> {
        utf16_ranges(&Snippet {
            text: text.into(),
            highlights: bytes.iter().map(|&(start, end)| start..end).collect(),
        })
        .into_iter()
        .map(|r| (r.start, r.end))
        .collect()
    }

    #[test]
    fn highlights_count_utf16_code_units() {
        assert_eq!(ranges("a café b", &[(2, 7)]), [(2, 6)]);
        // 会议 is 6 bytes and 2 code units; 😀 is 4 bytes and 2 code units.
        assert_eq!(
            ranges("😀 会议记录 x", &[(5, 11), (18, 19)]),
            [(3, 5), (8, 9)]
        );
        // Out of order, empty or off a character boundary: dropped.
        assert_eq!(ranges("会议", &[(1, 3)]), []);
        assert_eq!(ranges("abc", &[(2, 3), (0, 1), (3, 3)]), [(2, 3)]);
        assert_eq!(ranges("abc", &[(0, 9)]), []);
    }

    #[test]
    fn parameters_are_checked() {
        let ok = request(SearchQuery {
            q: Some("plan".into()),
            kind: Some("doc, message,,".into()),
            project: Some("p1,p2".into()),
            limit: Some(5),
            ..SearchQuery::default()
        })
        .unwrap();
        assert_eq!(ok.kinds, [Kind::Doc, Kind::Message]);
        assert_eq!(ok.projects, ["p1", "p2"]);
        assert_eq!(ok.limit, 5);
        for bad in [
            SearchQuery {
                kind: Some("docs".into()),
                ..SearchQuery::default()
            },
            SearchQuery {
                limit: Some(0),
                ..SearchQuery::default()
            },
            SearchQuery {
                limit: Some(101),
                ..SearchQuery::default()
            },
            SearchQuery {
                since: Some(10),
                until: Some(5),
                ..SearchQuery::default()
            },
            SearchQuery {
                author: Some(vec!["u"; 101].join(",")),
                ..SearchQuery::default()
            },
        ] {
            assert_eq!(request(bad).unwrap_err().status(), 400);
        }
    }
}
