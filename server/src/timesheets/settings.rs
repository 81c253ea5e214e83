//! An organisation's timesheet settings: whether and when people are reminded of last week's
//! timesheet. One JSON document per org; an org that never saved them has the defaults
//! (reminders on, due Monday 12:00 UTC).

use atrium_client::wire::TimesheetSettings;
use sqlx::Row;

use crate::db::{Db, Tx, now_ms};
use crate::records::schema::check::Errors;

/// The org's settings, or the defaults.
pub async fn load(db: &Db, org_id: &str) -> Result<TimesheetSettings, sqlx::Error> {
    let row = sqlx::query("select settings from timesheet_settings where org_id = $1")
        .bind(org_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(match row {
        Some(row) => parse(&row.try_get::<String, _>("settings")?),
        None => TimesheetSettings::default(),
    })
}

/// Settings as stored (the defaults for a document this version cannot read).
pub fn parse(stored: &str) -> TimesheetSettings {
    serde_json::from_str(stored).unwrap_or_default()
}

/// What is wrong with `settings`, field by field.
pub fn check(settings: &TimesheetSettings) -> Errors {
    let mut errors = Errors::new();
    if !(1..=7).contains(&settings.deadline_weekday) {
        errors.insert(
            "deadline_weekday".into(),
            "must be 1 (Monday) to 7 (Sunday)".into(),
        );
    }
    if settings.deadline_hour > 23 {
        errors.insert("deadline_hour".into(), "must be 0 to 23".into());
    }
    if !(-720..=840).contains(&settings.utc_offset_minutes) {
        errors.insert(
            "utc_offset_minutes".into(),
            "must be -720 to 840 minutes".into(),
        );
    }
    errors
}

/// Stores the org's settings.
pub async fn save(
    tx: &mut Tx,
    org_id: &str,
    user_id: &str,
    settings: &TimesheetSettings,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(settings).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "insert into timesheet_settings (org_id, settings, updated_by, updated_at) values ($1, $2, $3, $4)
         on conflict (org_id) do update set settings = excluded.settings, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(org_id)
    .bind(json)
    .bind(user_id)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
