//! Committing a record's workflow step: one a person takes (`POST /records/{id}/transition`)
//! or one the server takes for them (a payment moving an invoice to `paid`, the clock making it
//! `overdue`). In one place the record is numbered when it first leaves its initial state, its
//! version checked, its index rewritten, its history kept, its search entry refreshed and the
//! change announced to its readers — all in the caller's unit of work.

use atrium_client::wire::{FieldChange, NamingAt};

use super::registry::StepCheck;
use super::routes::{ResolvedType, wire};
use super::store::history::NewEntry;
use super::store::records::RecordRow;
use super::{events, history, naming, store, workflow};
use crate::authz::records::RecordAccess;
use crate::authz::{Action, Scope};
use crate::db::{Db, now_ms};
use crate::error::{ApiError, Result};
use crate::write::UnitOfWork;

/// Who took a step and why, for the history.
pub struct Step<'a> {
    /// The action (`send`, `approve`) or what the server did (`payment`, `overdue`).
    pub action: &'a str,
    /// The person; `None` when the server took the step.
    pub user_id: Option<&'a str>,
    pub comment: Option<&'a str>,
}

/// `before` as it is once the caller takes `action`: the transition from its state, checked
/// against the caller's roles, self-approval, its condition and the type's own rules; the new
/// state set and the type's reaction applied. Nothing is written until [`commit`].
pub fn take(
    resolved: &ResolvedType,
    access: &RecordAccess,
    before: &RecordRow,
    action: &str,
    comment: Option<&str>,
) -> Result<RecordRow> {
    let workflow_def = resolved
        .schema
        .workflow
        .as_ref()
        .ok_or(workflow::Refusal::NotFromHere)?;
    let transition = workflow::find(workflow_def, before.state.as_deref(), action)
        .ok_or(workflow::Refusal::NotFromHere)?;
    workflow::check(
        transition,
        &access.roles(),
        before.created_by == access.user_id(),
        &before.data,
    )?;
    if let Some(kind) = &resolved.kind {
        kind.check_step(&StepCheck {
            action,
            user_id: access.user_id(),
            writes_all: access.scope(Action::Write) == Scope::All,
            record: before,
            comment,
            asking: false,
        })?;
    }
    let mut record = before.clone();
    record.state = Some(transition.to.clone());
    if let Some(kind) = &resolved.kind {
        kind.on_transition(before.state.as_deref(), &transition.to, &mut record.data);
    }
    Ok(record)
}

/// Writes `record` — `before` with a new state and whatever the step changed in its data —
/// and answers it as stored (new version, name).
pub async fn commit(
    db: &Db,
    work: &mut UnitOfWork,
    resolved: &ResolvedType,
    access: &RecordAccess,
    before: &RecordRow,
    mut record: RecordRow,
    step: Step<'_>,
) -> Result<RecordRow> {
    record.version = before.version + 1;
    record.updated_at = now_ms();
    let numbered_here = resolved
        .schema
        .naming
        .as_ref()
        .is_some_and(|n| n.at == NamingAt::Transition)
        && !record.named
        && record.amend_root.is_none()
        && record.state != before.state;
    if numbered_here {
        assign_name(work, resolved, &mut record).await?;
    }
    if !store::records::update(work.tx(), &record, before.version).await? {
        return Err(ApiError::conflict(
            "stale_version",
            "the record changed meanwhile; reload it",
        ));
    }
    store::index::write(work.tx(), &resolved.schema, &record)
        .await?
        .map_err(|f| ApiError::invalid_field(&f, "is already used by another record"))?;
    let mut changes = history::diff(&before.data, &record.data);
    let mut front = Vec::new();
    if record.state != before.state {
        front.push(FieldChange {
            field: "state".into(),
            before: before.state.clone().into(),
            after: record.state.clone().into(),
        });
    }
    if before.name != record.name {
        store::companions::rename_discussion(work.tx(), &record.org_id, &record.id, &record.name)
            .await?;
        front.push(FieldChange {
            field: "name".into(),
            before: before.name.clone().into(),
            after: record.name.clone().into(),
        });
    }
    changes.splice(0..0, front);
    let entry = NewEntry {
        org_id: &record.org_id,
        record_id: &record.id,
        user_id: step.user_id,
        kind: "transitioned",
        changes: &changes,
        action: Some(step.action),
        comment: step.comment,
    };
    store::history::append(work.tx(), &entry).await?;
    super::feed::upsert(work, &resolved.schema, &record, &entry)?;
    announce(db, work, access, &record, "record.transitioned").await?;
    if let Some(kind) = &resolved.kind {
        kind.after_step(db, work, before, &record, step.user_id, step.comment)
            .await?;
    }
    Ok(record)
}

/// Gives `record` its name from the series.
pub async fn assign_name(
    work: &mut UnitOfWork,
    resolved: &ResolvedType,
    record: &mut RecordRow,
) -> Result<()> {
    if let Some(series) = &resolved.schema.naming {
        let period = naming::period(series, now_ms());
        let number =
            store::counters::next(work.tx(), &record.org_id, &record.record_type, &period).await?;
        record.name = naming::name(series, &period, number);
        record.named = true;
    }
    Ok(())
}

/// Announces `record` as `kind` (`record.created`, …) to the members who may read it.
pub async fn announce(
    db: &Db,
    work: &mut UnitOfWork,
    access: &RecordAccess,
    record: &RecordRow,
    kind: &'static str,
) -> Result<()> {
    let readers = events::readers(db, access, record).await?;
    work.emit_all(events::to_readers(
        &record.org_id,
        &readers,
        kind,
        &wire(record, access),
    ));
    Ok(())
}
