//! An invoice record as a PDF: the record, its client, the org's settings and logo turned into
//! an [`atrium_pdf::InvoiceDocument`], typeset off the async threads, a few at a time.

use std::sync::{Arc, OnceLock};

use atrium_client::wire::InvoiceSettings;
use atrium_invoicing::Currency;
use atrium_pdf::{
    DocumentLine, Fonts, InvoiceDocument, Labelled, Paper, Party, Renderer, TaxRow,
    TemplateSettings, Totals,
};
use serde_json::{Map, Value};
use tokio::sync::Semaphore;

use super::kind::{self, states};
use super::settings;
use crate::db::Db;
use crate::error::{ApiError, Result};
use crate::files::storage::Store;
use crate::records::store::records::RecordRow;

/// PDFs typeset at once on this node; each takes a core for tens of milliseconds.
const CONCURRENT_RENDERS: usize = 2;

/// The process's renderer: fonts loaded once, on first use (document exports share it).
pub(crate) fn renderer() -> &'static Renderer {
    static RENDERER: OnceLock<Renderer> = OnceLock::new();
    RENDERER.get_or_init(|| {
        let renderer = Renderer::new(Fonts::load());
        if let Some(missing) = renderer.fonts().missing() {
            tracing::warn!("invoice PDFs: {missing}");
        }
        renderer
    })
}

/// The bound on PDFs typeset at once, invoices and document exports together.
pub(crate) fn slots() -> &'static Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS.get_or_init(|| Arc::new(Semaphore::new(CONCURRENT_RENDERS)))
}

/// The PDF of `invoice` (of org `invoice.org_id`).
pub async fn render(db: &Db, files: &Store, invoice: &RecordRow) -> Result<Vec<u8>> {
    let settings = settings::load(db, &invoice.org_id).await?;
    let client_id = text(&invoice.data, "client").unwrap_or_default();
    let client = super::store::client_data(db, &invoice.org_id, &client_id)
        .await?
        .unwrap_or_default();
    let org_name = crate::orgs::store::name(db, &invoice.org_id)
        .await?
        .unwrap_or_default();
    let logo = settings::logo_bytes(db, files, &invoice.org_id, &settings).await?;
    let document = document(invoice, &client, &settings, &org_name, logo)?;
    let _slot = slots()
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || renderer().render_invoice(&document))
        .await
        .map_err(ApiError::internal)?
        .map_err(|error| match error {
            atrium_pdf::Error::Invalid { field, reason } => ApiError::invalid_field(&field, reason),
            atrium_pdf::Error::InvalidLogo(why) => ApiError::Refused {
                code: "invalid_logo",
                message: format!(
                    "the organisation's logo {why}; choose another in the invoice settings"
                ),
            },
            other => ApiError::internal(other),
        })
}

/// The PDF's file name: `INV-2026-00001.pdf`.
pub fn file_name(invoice: &RecordRow) -> String {
    let safe: String = invoice
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.pdf")
}

fn text(data: &Map<String, Value>, field: &str) -> Option<String> {
    data.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn non_empty(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

/// What the PDF shows of an invoice.
fn document(
    invoice: &RecordRow,
    client: &Map<String, Value>,
    settings: &InvoiceSettings,
    org_name: &str,
    logo: Option<Vec<u8>>,
) -> Result<InvoiceDocument> {
    let data = &invoice.data;
    let currency = Currency::from_code(&text(data, "currency").unwrap_or_default())
        .map_err(|e| ApiError::invalid_field("currency", e.to_string()))?;
    let totals =
        kind::figures(data).map_err(|e| ApiError::invalid_field("lines", e.to_string()))?;
    let items = kind::line_items(data);
    let gst = data.get("tax_scheme").and_then(Value::as_str) == Some("gst");
    let tax_name = non_empty(&settings.tax_name).unwrap_or_else(|| "Tax".into());
    let seller = Party {
        name: non_empty(&settings.legal_name).unwrap_or_else(|| org_name.to_owned()),
        address: settings.address.lines().map(str::to_owned).collect(),
        tax_id: non_empty(&settings.tax_id),
        tax_id_label: non_empty(&settings.tax_id_label).or(gst.then(|| "GSTIN".to_owned())),
        email: non_empty(&settings.email),
        phone: non_empty(&settings.phone),
    };
    let client = Party {
        name: text(client, "name").unwrap_or_else(|| "—".into()),
        address: text(client, "address")
            .map(|a| a.lines().map(str::to_owned).collect())
            .unwrap_or_default(),
        tax_id: text(client, "tax_id"),
        tax_id_label: gst.then(|| "GSTIN".to_owned()),
        email: text(client, "email"),
        phone: None,
    };
    let title = match (gst, invoice.amended_from.is_some()) {
        (_, true) => "Amended invoice",
        (true, false) => "Tax invoice",
        (false, false) => "Invoice",
    };
    let mut notes = text(data, "notes");
    if invoice.state.as_deref() == Some(states::VOID) {
        notes = Some(match notes {
            Some(n) => format!("VOID — this invoice was cancelled.\n{n}"),
            None => "VOID — this invoice was cancelled.".into(),
        });
    }
    Ok(InvoiceDocument {
        title: title.into(),
        number: invoice.name.clone(),
        draft: invoice.state.as_deref() == Some(states::DRAFT),
        issue_date: text(data, "issue_date").unwrap_or_default(),
        due_date: text(data, "due_date"),
        seller,
        logo,
        client,
        currency,
        lines: items
            .iter()
            .zip(&totals.lines)
            .map(|(item, figures)| DocumentLine::from_item(item, figures))
            .collect(),
        tax_rows: TaxRow::rows(&totals, &tax_name),
        totals: Totals::from(&totals),
        payment_details: settings
            .payment_details
            .iter()
            .map(|d| Labelled {
                label: d.label.clone(),
                value: d.value.clone(),
            })
            .collect(),
        notes,
        template: TemplateSettings {
            accent_color: settings.accent_color.clone(),
            footer_text: settings.footer_text.clone(),
            paper: if settings.paper == "letter" {
                Paper::Letter
            } else {
                Paper::A4
            },
        },
    })
}
