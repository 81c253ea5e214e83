//! The single tantivy schema every kind shares, and the permission terms.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analyzer::ANALYZER;
use crate::model::{Access, Kind};

/// Bumped whenever the schema or the analyzer changes in a way that needs a rebuild; stored in
/// the commit payload so an old index is detected and rebuilt instead of half-matching.
/// Version 2: records are indexed (with several grants each), so an index built before holds
/// none of them and is rebuilt from the change feed.
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// Handles to every field of the schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// `kind:id`, the identity updates and deletes address.
    pub key: Field,
    /// 64-bit hash of `key`: a stable tie-breaker for ranking and cursors.
    pub key_hash: Field,
    pub kind: Field,
    pub id: Field,
    pub org: Field,
    pub project: Field,
    pub channel: Field,
    pub author: Field,
    /// Permission terms (see [`access_term`]); a query only matches documents holding one of
    /// the caller's terms.
    pub access: Field,
    pub title: Field,
    pub body: Field,
    pub created: Field,
    pub updated: Field,
}

impl Fields {
    pub fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let text = TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields = Fields {
            key: b.add_text_field("key", STRING),
            key_hash: b.add_u64_field("key_hash", FAST),
            kind: b.add_text_field("kind", STRING | STORED),
            id: b.add_text_field("id", STRING | STORED),
            org: b.add_text_field("org", STRING),
            project: b.add_text_field("project", STRING | STORED),
            channel: b.add_text_field("channel", STRING | STORED),
            author: b.add_text_field("author", STRING | STORED),
            access: b.add_text_field("access", STRING),
            title: b.add_text_field("title", text.clone()),
            body: b.add_text_field("body", text),
            created: b.add_i64_field("created", INDEXED | FAST | STORED),
            updated: b.add_i64_field("updated", INDEXED | FAST | STORED),
        };
        (b.build(), fields)
    }
}

/// The identity of an entity in the index.
pub(crate) fn key(kind: Kind, id: &str) -> String {
    format!("{}:{id}", kind.as_str())
}

/// FNV-1a: stable across processes and versions, unlike `std`'s hasher, so cursors stay valid
/// after a restart.
pub(crate) fn key_hash(key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The permission terms stored for an entity (a query matches it when the caller holds any
/// of them); `None` when its access names a project, channel or grant it lacks. Prefixes keep
/// the namespaces apart, so a project id can never be mistaken for a channel id or a grant.
pub(crate) fn access_terms(
    access: &Access,
    project: Option<&str>,
    channel: Option<&str>,
) -> Option<Vec<String>> {
    match access {
        Access::Project => project.map(|p| vec![format!("p:{p}")]),
        Access::Channel => channel.map(|c| vec![format!("c:{c}")]),
        Access::Org => Some(vec!["o".to_string()]),
        Access::Grant(g) => Some(vec![grant_term(g)]),
        Access::AnyGrant(grants) if grants.is_empty() => None,
        Access::AnyGrant(grants) => Some(grants.iter().map(|g| grant_term(g)).collect()),
    }
}

/// The stored term of a named grant (also what [`crate::query::scope_terms`] matches).
pub(crate) fn grant_term(grant: &str) -> String {
    format!("g:{grant}")
}
