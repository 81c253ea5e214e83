//! Writing an import's checked rows: in batches of [`BATCH`] records, each table written with
//! multi-row statements (records, index rows, unique values, history) instead of a handful of
//! statements per row, inside the caller's one unit of work — so 100,000 rows are a few
//! hundred statements, and one fault still writes nothing.
//!
//! Each row ends up exactly as a single create leaves it: a provisional or series name, its
//! index rows and unique values, a `created` history entry (action `import`), a change-feed row
//! and, for a small import, a `record.created` event for every member who may read it.

use std::collections::HashMap;

use atrium_client::wire::NamingAt;
use serde_json::Map;

use crate::authz::Subject;
use crate::authz::records::RecordAccess;
use crate::db::{new_id, now_ms};
use crate::error::{ApiError, Result};
use crate::records::routes::{ResolvedType, name_from_field, wire};
use crate::records::rules::{Prepared, Reference, Target};
use crate::records::store::history::NewEntry;
use crate::records::store::records::RecordRow;
use crate::records::{events, history, naming, store};
use crate::write::UnitOfWork;

/// Records written per round of statements: enough to make each statement carry hundreds of
/// rows, few enough that a round's rows and history stay small in memory.
pub const BATCH: usize = 1_000;

/// Who imports what, where.
pub(crate) struct Importer<'a> {
    pub org_id: &'a str,
    pub user_id: &'a str,
    pub resolved: &'a ResolvedType,
    pub access: &'a RecordAccess,
    /// The org's members, for the events' readers.
    pub members: &'a [Subject],
    /// Whether readers hear of each record (`record.created`); else the caller tells each
    /// reader once how many they may read, from what [`Importer::write`] returns.
    pub announce_each: bool,
}

/// The field error of a row (`rows[3].code`), counting rows from 1.
fn row_error(row: usize, field: &str, why: &str) -> ApiError {
    ApiError::invalid_field(&format!("rows[{}].{field}", row + 1), why)
}

fn reference_fault(target: &Target) -> &'static str {
    match target {
        Target::User => "is not a member of this organisation",
        Target::File => "is not a file of this organisation",
        Target::Record(_) => "is not a record of the linked type in this organisation",
    }
}

impl Importer<'_> {
    fn record(&self, data: Map<String, serde_json::Value>) -> RecordRow {
        let now = now_ms();
        let id = new_id();
        let mut record = RecordRow {
            name: naming::provisional(&id),
            id,
            org_id: self.org_id.to_owned(),
            record_type: self.resolved.slug.clone(),
            named: false,
            version: 1,
            state: self.resolved.schema.initial_state().map(str::to_owned),
            data,
            amended_from: None,
            amend_root: None,
            created_by: self.user_id.to_owned(),
            created_at: now,
            updated_at: now,
        };
        name_from_field(&self.resolved.schema, &mut record);
        record
    }

    /// Writes every row; `progress(done)` after each batch. A row that cannot be written (a
    /// taken name or unique value, a link to nothing) is a 422 naming it; the caller then drops
    /// the unit of work, which writes nothing. Returns, unless each record was announced, how
    /// many of the records each reader may read.
    pub async fn write(
        &self,
        work: &mut UnitOfWork,
        prepared: Vec<Prepared>,
        mut progress: impl FnMut(usize),
    ) -> Result<HashMap<String, u64>> {
        let mut readable: HashMap<String, u64> = HashMap::new();
        let schema = &self.resolved.schema;
        let series = schema.naming.as_ref().filter(|n| n.at == NamingAt::Create);
        let mut rows = prepared.into_iter().peekable();
        let mut offset = 0;
        while rows.peek().is_some() {
            let mut records = Vec::with_capacity(BATCH);
            let mut references: Vec<(usize, Reference)> = Vec::new();
            for (j, p) in rows.by_ref().take(BATCH).enumerate() {
                references.extend(p.references.into_iter().map(|r| (offset + j, r)));
                records.push(self.record(p.data));
            }
            if let Some(series) = series {
                for record in &mut records {
                    let period = naming::period(series, now_ms());
                    let number = store::counters::next(
                        work.tx(),
                        &record.org_id,
                        &record.record_type,
                        &period,
                    )
                    .await?;
                    record.name = naming::name(series, &period, number);
                    record.named = true;
                }
            }
            let taken = store::records::insert_many(work.tx(), &records).await?;
            if let Some(id) = taken.first() {
                let j = records.iter().position(|r| &r.id == id).unwrap_or(0);
                return Err(row_error(
                    offset + j,
                    "name",
                    "is already used by another record",
                ));
            }
            let refs: Vec<&Reference> = references.iter().map(|(_, r)| r).collect();
            let missing = store::index::missing_references(work.tx(), self.org_id, &refs).await?;
            if !missing.is_empty() {
                return Err(ApiError::Validation(
                    missing
                        .into_iter()
                        .map(|m| {
                            let (row, reference) = &references[m];
                            (
                                format!("rows[{}].{}", row + 1, reference.path),
                                reference_fault(&reference.target).to_owned(),
                            )
                        })
                        .collect(),
                ));
            }
            if let Err((j, field)) = store::index::write_new(work.tx(), schema, &records).await? {
                return Err(row_error(
                    offset + j,
                    &field,
                    "is already used by another record",
                ));
            }
            let changes: Vec<_> = records
                .iter()
                .map(|r| history::diff(&Map::new(), &r.data))
                .collect();
            let entries: Vec<NewEntry> = records
                .iter()
                .zip(&changes)
                .map(|(record, changes)| NewEntry {
                    org_id: self.org_id,
                    record_id: &record.id,
                    user_id: Some(self.user_id),
                    kind: "created",
                    changes,
                    action: Some("import"),
                    comment: None,
                })
                .collect();
            store::history::append_all(work.tx(), &entries).await?;
            for (record, entry) in records.iter().zip(&entries) {
                crate::records::feed::upsert(work, schema, record, entry)?;
                let readers = events::readers_among(self.access, self.members, record);
                if self.announce_each {
                    work.emit_all(events::to_readers(
                        self.org_id,
                        &readers,
                        "record.created",
                        &wire(record, self.access),
                    ));
                } else {
                    for reader in readers {
                        *readable.entry(reader).or_default() += 1;
                    }
                }
            }
            offset += records.len();
            progress(offset);
        }
        Ok(readable)
    }
}
