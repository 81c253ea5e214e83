//! [`Renderer`]: one per process; turns an [`InvoiceDocument`] into PDF bytes.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use typst::diag::SourceDiagnostic;
use typst::ecow::EcoVec;
use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

use crate::document::InvoiceDocument;
use crate::fonts::Fonts;
use crate::view;
use crate::world::{InvoiceWorld, Resources};
use crate::{Error, Result};

/// Renders invoices. Holds the fonts, typst's standard library and the parsed template, so
/// build one per process (it is `Send + Sync`; share it behind an `Arc`) and call
/// [`render_invoice`](Self::render_invoice) for each document.
pub struct Renderer {
    pub(crate) resources: Resources,
}

impl Renderer {
    /// A renderer setting text in `fonts` ([`Fonts::load`] for the usual ones).
    pub fn new(fonts: Fonts) -> Self {
        Renderer {
            resources: Resources::new(fonts),
        }
    }

    /// The fonts in use, e.g. to log [`Fonts::missing`] at start-up.
    pub fn fonts(&self) -> &Fonts {
        &self.resources.fonts
    }

    /// The PDF of `doc`. The same document gives the same bytes: nothing depends on the clock
    /// (the PDF's date is the issue date) or on the machine beyond its fonts.
    ///
    /// Refuses a document that fails its checks with [`Error::Invalid`] or
    /// [`Error::InvalidLogo`], naming the field; [`Error::Typeset`] means the template itself
    /// failed (or typst panicked, which is caught), which is a bug.
    ///
    /// Takes tens of milliseconds of one core for a few hundred lines: call it off the async
    /// threads (`spawn_blocking`). Several threads may render at once with one renderer.
    pub fn render_invoice(&self, doc: &InvoiceDocument) -> Result<Vec<u8>> {
        let prepared = view::prepare(doc, self.resources.fonts.text_families())?;
        let (year, month, day) = prepared.date;
        let world = InvoiceWorld::new(&self.resources, prepared.data, prepared.logo);
        // typst memoises layout work in a process-wide cache that only grows; emptying it
        // after each compile (also when it fails or panics) keeps memory flat. The fonts,
        // library and template live in `Resources`, not in that cache, so they stay loaded.
        let _evict = EvictOnDrop;
        let options = PdfOptions {
            // The PDF's /ID is a hash of this, so it is stable for one invoice and differs
            // between invoices.
            ident: Smart::Custom(format!("atrium-invoice {}", doc.number.trim())),
            creator: Smart::Custom(Some("Atrium".into())),
            timestamp: Datetime::from_ymd(year, month, day).map(Timestamp::new_utc),
            ..PdfOptions::default()
        };
        // A panic inside typst (a bug there, whatever the data) becomes an error for this one
        // invoice instead of taking down the thread that asked for it.
        panic::catch_unwind(AssertUnwindSafe(|| {
            let document: PagedDocument = typst::compile(&world)
                .output
                .map_err(|errors| Error::Typeset(describe(&errors)))?;
            typst_pdf::pdf(&document, &options).map_err(|errors| Error::Typeset(describe(&errors)))
        }))
        .unwrap_or_else(|payload| Err(Error::Typeset(panic_message(payload.as_ref()))))
    }
}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    format!("typst panicked: {message}")
}

pub(crate) struct EvictOnDrop;

impl Drop for EvictOnDrop {
    fn drop(&mut self) {
        typst::comemo::evict(0);
    }
}

pub(crate) fn describe(errors: &EcoVec<SourceDiagnostic>) -> String {
    let messages: Vec<String> = errors
        .iter()
        .map(|error| {
            let mut text = error.message.to_string();
            for hint in &error.hints {
                text.push_str(" (hint: ");
                text.push_str(&hint.v);
                text.push(')');
            }
            text
        })
        .collect();
    messages.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_message() {
        let payload = panic::catch_unwind(|| panic!("index out of bounds")).unwrap_err();
        assert_eq!(
            panic_message(payload.as_ref()),
            "typst panicked: index out of bounds"
        );
        let payload = panic::catch_unwind(|| panic!("{} items", 3)).unwrap_err();
        assert_eq!(panic_message(payload.as_ref()), "typst panicked: 3 items");
    }

    #[test]
    fn a_renderer_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Renderer>();
    }
}
