//! Atrium's invoice PDFs, typeset with typst as a library: no browser, no external process.
//!
//! The caller fills an [`InvoiceDocument`] (organisation, client, lines, tax summary, totals,
//! payment details, template settings) and a [`Renderer`] made once per process turns it into
//! PDF bytes. The layout is `templates/invoice.typ`, compiled into the binary: the lines table
//! breaks across pages with its header repeated, and every page has the footer and page
//! numbers. The same document always gives the same bytes.
//!
//! ```no_run
//! use atrium_pdf::{Fonts, InvoiceDocument, Renderer};
//!
//! fn invoice_pdf(document: &InvoiceDocument) -> Result<Vec<u8>, atrium_pdf::Error> {
//!     let renderer = Renderer::new(Fonts::load()); // in a server: once, at start-up
//!     if let Some(missing) = renderer.fonts().missing() {
//!         eprintln!("invoice PDFs: {missing}");
//!     }
//!     renderer.render_invoice(document)
//! }
//! ```
//!
//! # Layout
//! - [`document`]: [`InvoiceDocument`] and its parts — what an invoice PDF shows.
//! - [`fonts`]: [`Fonts`] — typst's embedded fonts plus CJK fonts from disk, loaded once.
//! - `view`: checks a document and writes every amount, date and percentage out as text for
//!   the template (as JSON, so invoice text is never evaluated as markup).
//! - `world`: the closed typst world of one compile: template, data, logo, fonts; no files,
//!   no clock.
//! - `render`: [`Renderer`] — compile, export, and empty typst's cache after each compile.
//! - [`sample`]: deterministic sample invoices for the tests and the benchmark.
//! - [`rich_text`]: [`RichTextDocument`] — a collaborative document (blocks and inline runs)
//!   and its PDF, laid out by `templates/rich_text.typ`.
//! - `templates/invoice.typ`: the layout.

pub mod document;
pub mod fonts;
mod render;
pub mod rich_text;
pub mod sample;
mod view;
mod world;

pub use document::{
    DocumentLine, InvoiceDocument, Labelled, Paper, Party, TaxRow, TemplateSettings, Totals,
};
pub use fonts::Fonts;
pub use render::Renderer;
pub use rich_text::RichTextDocument;
pub use view::{MAX_LOGO_BYTES, MAX_LOGO_PIXELS, logo_problem};

/// Why an invoice could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field of the document is unusable; `field` is its path (`lines[3].description`).
    #[error("invalid invoice document: {field} {reason}")]
    Invalid { field: String, reason: String },
    /// The logo is not a PNG, JPEG or SVG image that decodes, or is too large.
    #[error("invalid logo: the logo {0}")]
    InvalidLogo(String),
    /// typst could not typeset or export the document: a bug in the template, not the data.
    #[error("typesetting the invoice failed: {0}")]
    Typeset(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
