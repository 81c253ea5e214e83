//! An organisation's invoice settings: the seller block, the template (logo, accent colour,
//! footer, paper), the reminder schedule and the e-mail templates invoice mail is written
//! with. Stored as one JSON document per org; an org that never saved them invoices under the
//! defaults with its own name as the seller.

use atrium_client::wire::InvoiceSettings;
use futures::TryStreamExt;

use super::store;
use crate::db::{Db, Tx};
use crate::error::{ApiError, Result};
use crate::files::storage::{Store, blob_key};
use crate::records::schema::check::Errors;

/// Image types a logo may be.
const LOGO_TYPES: [&str; 3] = ["image/png", "image/jpeg", "image/svg+xml"];
/// Most reminders per invoice.
const MAX_REMINDERS: usize = 6;
/// Most payment-detail rows.
const MAX_PAYMENT_DETAILS: usize = 8;

/// The org's settings, or the defaults.
pub async fn load(db: &Db, org_id: &str) -> Result<InvoiceSettings, sqlx::Error> {
    Ok(store::settings(db, org_id).await?.unwrap_or_default())
}

/// Tidies `settings` (trims text, upper-cases nothing, sorts the reminder days) and lists what
/// is wrong with it, field by field.
pub fn check(settings: &mut InvoiceSettings) -> Errors {
    let mut errors = Errors::new();
    let mut text = |field: &str, value: &mut String, max: usize| {
        *value = value.trim().to_owned();
        if value.chars().count() > max {
            errors.insert(field.into(), format!("must be at most {max} characters"));
        }
    };
    text("legal_name", &mut settings.legal_name, 200);
    text("address", &mut settings.address, 1_000);
    text("tax_id", &mut settings.tax_id, 50);
    text("tax_id_label", &mut settings.tax_id_label, 30);
    text("tax_name", &mut settings.tax_name, 30);
    text("email", &mut settings.email, 320);
    text("phone", &mut settings.phone, 40);
    text("footer_text", &mut settings.footer_text, 300);
    if settings.address.lines().count() > 8 {
        errors.insert("address".into(), "must be at most 8 lines".into());
    }
    if !settings.email.is_empty() && settings.email.parse::<lettre::message::Mailbox>().is_err() {
        errors.insert("email".into(), "is not a valid e-mail address".into());
    }
    if let Some(code) = &settings.state_code {
        let code = code.trim().to_owned();
        if code.is_empty() {
            settings.state_code = None;
        } else if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_digit()) || code == "00" {
            errors.insert(
                "state_code".into(),
                "must be a two-digit GST state code such as \"27\"".into(),
            );
        } else {
            settings.state_code = Some(code);
        }
    }
    if settings.payment_details.len() > MAX_PAYMENT_DETAILS {
        errors.insert(
            "payment_details".into(),
            format!("must be at most {MAX_PAYMENT_DETAILS} rows"),
        );
    }
    for (i, detail) in settings.payment_details.iter_mut().enumerate() {
        detail.label = detail.label.trim().to_owned();
        detail.value = detail.value.trim().to_owned();
        if detail.label.is_empty() || detail.label.chars().count() > 40 {
            errors.insert(
                format!("payment_details[{i}].label"),
                "must be 1 to 40 characters".into(),
            );
        }
        if detail.value.is_empty() || detail.value.chars().count() > 200 {
            errors.insert(
                format!("payment_details[{i}].value"),
                "must be 1 to 200 characters".into(),
            );
        }
    }
    let colour = settings.accent_color.trim().to_ascii_lowercase();
    if colour.len() != 7
        || !colour.starts_with('#')
        || !colour[1..].bytes().all(|b| b.is_ascii_hexdigit())
    {
        errors.insert("accent_color".into(), "must be a colour as #rrggbb".into());
    }
    settings.accent_color = colour;
    settings.paper = settings.paper.trim().to_ascii_lowercase();
    if !["a4", "letter"].contains(&settings.paper.as_str()) {
        errors.insert("paper".into(), "must be a4 or letter".into());
    }
    for template in [
        &mut settings.invoice_template,
        &mut settings.reminder_template,
    ] {
        *template = template
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
    }
    settings.reminder_days.sort_unstable();
    if settings.reminder_days.len() > MAX_REMINDERS
        || settings.reminder_days.windows(2).any(|w| w[0] == w[1])
        || settings
            .reminder_days
            .iter()
            .any(|d| !(1..=365).contains(d))
    {
        errors.insert(
            "reminder_days".into(),
            format!("must be at most {MAX_REMINDERS} different days from 1 to 365"),
        );
    }
    errors
}

/// The settings' e-mail template fields with the kind of mail each is for.
fn templates(settings: &InvoiceSettings) -> [(&'static str, Option<&str>); 2] {
    [
        ("invoice_template", settings.invoice_template.as_deref()),
        ("reminder_template", settings.reminder_template.as_deref()),
    ]
}

/// Whether each e-mail template `settings` name is one of the org's; field errors if not.
/// Runs in the transaction that saves them: the templates stay locked until it commits, so a
/// template deleted meanwhile is either refused here or refuses its deletion.
pub async fn check_templates(tx: &mut Tx, org_id: &str, settings: &InvoiceSettings) -> Result<()> {
    let mut errors = Errors::new();
    for (field, id) in templates(settings) {
        if let Some(id) = id
            && !store::template_of_org(tx, org_id, id).await?
        {
            errors.insert(
                field.into(),
                "is not an e-mail template of this organisation".into(),
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The kinds of invoice mail (`invoice`, `reminder`) the org's saved settings write with
/// template `template_id`, read in the caller's transaction; empty when none.
pub async fn mails_using_template(
    tx: &mut Tx,
    org_id: &str,
    template_id: &str,
) -> Result<Vec<&'static str>, sqlx::Error> {
    let Some(settings) = store::settings_in(tx, org_id).await? else {
        return Ok(Vec::new());
    };
    Ok(templates(&settings)
        .into_iter()
        .filter(|(_, id)| *id == Some(template_id))
        .map(|(field, _)| field.trim_end_matches("_template"))
        .collect())
}

/// Whether the logo file is an image of the org small enough to print; a field error if not.
pub async fn check_logo(db: &Db, org_id: &str, file_id: &str) -> Result<()> {
    let file = crate::files::store::find(db, org_id, file_id)
        .await?
        .ok_or_else(|| {
            ApiError::invalid_field("logo_file", "is not a file of this organisation")
        })?;
    if !LOGO_TYPES.contains(&file.content_type.as_str()) {
        return Err(ApiError::invalid_field(
            "logo_file",
            "must be a PNG, JPEG or SVG image",
        ));
    }
    if usize::try_from(file.size).unwrap_or(usize::MAX) > atrium_pdf::MAX_LOGO_BYTES {
        return Err(ApiError::invalid_field(
            "logo_file",
            format!("must be at most {} KiB", atrium_pdf::MAX_LOGO_BYTES / 1024),
        ));
    }
    Ok(())
}

/// The logo's bytes, when the settings name one that is still there (a deleted logo file
/// leaves invoices without a logo rather than failing them).
pub async fn logo_bytes(
    db: &Db,
    files: &Store,
    org_id: &str,
    settings: &InvoiceSettings,
) -> Result<Option<Vec<u8>>> {
    let Some(file_id) = &settings.logo_file else {
        return Ok(None);
    };
    let Some(file) = crate::files::store::find(db, org_id, file_id).await? else {
        return Ok(None);
    };
    if usize::try_from(file.size).unwrap_or(usize::MAX) > atrium_pdf::MAX_LOGO_BYTES {
        return Ok(None);
    }
    let stream = files
        .read(&blob_key(org_id, &file.sha256), None)
        .await
        .map_err(|e| ApiError::Unavailable(format!("file storage failed: {e}")))?;
    let bytes = stream
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .map_err(|e| ApiError::Unavailable(format!("file storage failed while reading: {e}")))?;
    Ok(Some(bytes))
}
