//! Timesheets: the built-in `timesheet` record type — one per person and week, prefilled from
//! the person's time entries, submitted, then approved or rejected by the person's manager or a
//! manager of one of its projects (never by the person) — its notifications, and the reminder
//! to people who have not submitted last week's timesheet by the org's deadline.
//!
//! The type is the records engine's own (stored, listed, permitted, audited by it). Who
//! approves is a relation, not a role: the timesheet names its approvers in a `users` field the
//! server derives on every save, and that field is one of its owner fields, so an approver
//! reads the timesheets they approve under the same "only own" rows as their own.
//!
//! # Layout
//! - [`kind`] — the `timesheet` type: schema, prefill, approvers, the approval rules.
//! - [`notify`] — notifications on submit, approve and reject, and the reminder's.
//! - [`settings`] — the org's deadline.
//! - [`reminders`] — the pass that reminds people of last week's timesheet.
//! - [`store`] — every SQL statement of the domain.
//! - [`routes`] — `GET/PUT /orgs/{org}/timesheet-settings`.

pub mod kind;
pub mod notify;
pub mod reminders;
pub mod routes;
pub mod settings;
pub mod store;

use atrium_client::wire::TypePermission;

use crate::crm::grant;

/// Everyone keeps their own timesheets (the approver's reach comes from the `approvers`
/// owner field); `hr` and accountants (who bill the time) read them all.
pub(crate) fn timesheet_permissions() -> Vec<TypePermission> {
    let mut rows = Vec::new();
    for role in ["member", "viewer"] {
        rows.extend(grant(
            role,
            &["read", "comment", "write", "delete", "transition"],
            "own",
        ));
    }
    for role in ["hr", "accountant"] {
        rows.extend(grant(role, &["read", "comment", "export"], "all"));
    }
    rows
}
