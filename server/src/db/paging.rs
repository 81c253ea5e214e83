//! Cursor paging: keyset pages over `(sort key, id)`, with an opaque cursor.
//!
//! A list query orders by a sort key and then by id, asks for `limit + 1` rows, and hands them
//! to [`Page::from_rows`], which trims the extra row and turns the last kept row into the
//! cursor of the next page. The cursor is opaque to clients (base64url of a small JSON array),
//! so the key can change shape without breaking the contract.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Page size when the client gives none.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page a client may ask for.
pub const MAX_LIMIT: u32 = 200;

/// The sort value of a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CursorKey {
    Int(i64),
    Text(String),
}

/// The position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub key: CursorKey,
    pub id: String,
}

impl Cursor {
    /// A cursor at `(key, id)`.
    pub fn new(key: CursorKey, id: impl Into<String>) -> Self {
        Self { key, id: id.into() }
    }

    /// The opaque form sent to clients.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(&(&self.key, &self.id)).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads a cursor a client sent back; anything else is a 400.
    pub fn decode(text: &str) -> Result<Self, ApiError> {
        let invalid =
            || ApiError::bad_request("invalid_cursor", "the cursor is not one this server issued");
        if text.len() > 1024 {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let (key, id): (CursorKey, String) =
            serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        Ok(Self { key, id })
    }
}

/// `?limit=&cursor=` as list endpoints accept them.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// Validates a client's paging parameters.
    pub fn from_query(query: &PageQuery) -> Result<Self, ApiError> {
        let limit = match query.limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid_limit",
                    format!("limit must be between 1 and {MAX_LIMIT}"),
                ));
            }
        };
        let after = query.cursor.as_deref().map(Cursor::decode).transpose()?;
        Ok(Self { limit, after })
    }

    /// How many rows the query should fetch: one more than the page, to know if another follows.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// One page of items and the cursor of the next, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in order; `cursor_of` gives a row's
    /// position.
    pub fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest,
        cursor_of: impl Fn(&T) -> Cursor,
    ) -> Self {
        let limit = request.limit as usize;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|row| cursor_of(row).encode())
        } else {
            None
        };
        Self { items: rows, next }
    }

    /// The page in its wire form.
    pub fn into_wire<U>(self, f: impl FnMut(T) -> U) -> atrium_client::wire::Page<U> {
        atrium_client::wire::Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        for key in [
            CursorKey::Int(-5),
            CursorKey::Int(1_700_000_000_000),
            CursorKey::Text("b:c\"".into()),
        ] {
            let cursor = Cursor::new(key, "0190-id");
            assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        }
    }

    #[test]
    fn garbage_cursors_are_400() {
        for text in ["", "!!!", "bm90IGpzb24", &"a".repeat(5000)] {
            let error = Cursor::decode(text).unwrap_err();
            assert_eq!(error.code(), "invalid_cursor", "{text}");
        }
    }

    #[test]
    fn limits_are_checked() {
        let query = |limit| PageQuery {
            limit,
            cursor: None,
        };
        assert_eq!(
            PageRequest::from_query(&query(None)).unwrap().limit,
            DEFAULT_LIMIT
        );
        assert_eq!(
            PageRequest::from_query(&query(Some(200))).unwrap().limit,
            200
        );
        assert!(PageRequest::from_query(&query(Some(0))).is_err());
        assert!(PageRequest::from_query(&query(Some(201))).is_err());
    }

    #[test]
    fn pages_trim_the_extra_row() {
        let request = PageRequest {
            limit: 2,
            after: None,
        };
        let cursor = |n: &i64| Cursor::new(CursorKey::Int(*n), n.to_string());
        let page = Page::from_rows(vec![1, 2, 3], &request, cursor);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(
            Cursor::decode(page.next.as_deref().unwrap()).unwrap().id,
            "2"
        );
        let last = Page::from_rows(vec![3], &request, cursor);
        assert_eq!(last.next, None);
    }
}
