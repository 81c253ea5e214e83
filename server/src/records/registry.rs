//! Built-in record types: a schema shipped with the server plus Rust for what data cannot say
//! (computed fields, validation, the effects of transitions), registered once at start-up.
//!
//! A built-in type is the same engine's type: its records are stored, indexed, listed,
//! permitted and audited exactly like a custom type's. The trait's hooks run on every save
//! after the schema's own rules, so a hook sees normalized values.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use futures::future::BoxFuture;
use serde_json::{Map, Value};

use super::schema::TypeSchema;
use super::schema::check::Errors;
use super::store::records::RecordRow;
use crate::db::Db;
use crate::error::ApiError;
use crate::write::UnitOfWork;

/// What a built-in type adds to its schema.
pub trait RecordKind: Send + Sync {
    /// The slug (one of [`super::schema::BUILT_IN_SLUGS`]).
    fn slug(&self) -> &'static str;
    /// The display name.
    fn name(&self) -> &'static str;
    /// The schema (fields, workflow, naming).
    fn schema(&self) -> TypeSchema;
    /// Sets computed fields; runs on every save, before [`RecordKind::validate`].
    fn compute(&self, _data: &mut Map<String, Value>) {}
    /// Adds field errors the schema's rules cannot express.
    fn validate(&self, _data: &Map<String, Value>, _errors: &mut Errors) {}
    /// Reacts to a workflow step, inside its transaction (may change fields).
    fn on_transition(&self, _from: Option<&str>, _to: &str, _data: &mut Map<String, Value>) {}
    /// Completes a save from elsewhere in the org before it is checked: the fields the save
    /// leaves out that the type takes from a linked record, the org's settings or the caller's
    /// own data (an invoice's currency and due date from its client). `previous` is the stored
    /// data of a patch.
    fn fill<'a>(
        &'a self,
        _save: &'a Save<'a>,
        _input: &'a mut Map<String, Value>,
        _previous: Option<&'a Map<String, Value>>,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(std::future::ready(Ok(())))
    }
    /// The route that creates this type's records, when the generic create and import may not
    /// (a payment is recorded against its invoice, which it changes).
    fn created_through(&self) -> Option<&'static str> {
        None
    }
    /// The fields (`user` or `users`) naming the people who own a record besides its creator,
    /// for the policy's "only own" rows.
    fn owner_fields(&self) -> &'static [&'static str] {
        DEFAULT_OWNER_FIELDS
    }
    /// Sets the fields only the server writes, from a save's checked data and the org, just
    /// before it is stored (a timesheet's approvers: its person's manager and the managers of
    /// its projects). The schema's rules have run; what this sets is stored as is.
    fn derive<'a>(
        &'a self,
        _save: &'a Save<'a>,
        _data: &'a mut Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(std::future::ready(Ok(())))
    }
    /// Refuses a step the record's relations forbid the caller, or one lacking what it needs,
    /// after the workflow's own checks (a timesheet is approved by an approver it names, never
    /// by its person; a rejection gives a reason).
    fn check_step(&self, _step: &StepCheck<'_>) -> Result<(), ApiError> {
        Ok(())
    }
    /// Reacts to a step once it is written, in the same unit of work (notifies the people it
    /// concerns, frees what a voided record held).
    fn after_step<'a>(
        &'a self,
        _db: &'a Db,
        _work: &'a mut UnitOfWork,
        _before: &'a RecordRow,
        _after: &'a RecordRow,
        _user_id: Option<&'a str>,
        _comment: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Owners of every type: the `assignee` field.
const DEFAULT_OWNER_FIELDS: &[&str] = &["assignee"];

/// The owner fields of records of `slug` (custom types: `assignee`).
pub fn owner_fields(slug: &str) -> &'static [&'static str] {
    Registry::builtin()
        .get(slug)
        .map_or(DEFAULT_OWNER_FIELDS, |kind| kind.owner_fields())
}

/// A step about to be taken, for [`RecordKind::check_step`].
pub struct StepCheck<'a> {
    pub action: &'a str,
    pub user_id: &'a str,
    /// Whether the caller may write every record of the type (not only their own).
    pub writes_all: bool,
    pub record: &'a RecordRow,
    pub comment: Option<&'a str>,
    /// Whether the caller only asks which steps are open (no comment is given yet).
    pub asking: bool,
}

/// Who saves a record, and where: what [`RecordKind::fill`] may read.
pub struct Save<'a> {
    pub db: &'a Db,
    pub org_id: &'a str,
    pub user_id: &'a str,
    /// Whether the caller may write every record of the type, not only their own.
    pub writes_all: bool,
}

/// The built-in types, by slug.
pub struct Registry {
    kinds: BTreeMap<&'static str, Arc<dyn RecordKind>>,
}

impl Registry {
    /// The registry of every built-in type this server ships.
    pub fn builtin() -> &'static Registry {
        static REGISTRY: OnceLock<Registry> = OnceLock::new();
        REGISTRY.get_or_init(|| {
            let mut registry = Registry {
                kinds: BTreeMap::new(),
            };
            registry.register(Arc::new(crate::crm::client::ClientKind));
            registry.register(Arc::new(crate::crm::contact::ContactKind));
            registry.register(Arc::new(crate::crm::deal::DealKind));
            registry.register(Arc::new(crate::invoices::kind::InvoiceKind));
            registry.register(Arc::new(crate::invoices::payment::PaymentKind));
            registry.register(Arc::new(crate::timesheets::kind::TimesheetKind));
            registry
        })
    }

    /// Adds a type (a later one with the same slug replaces the earlier).
    pub fn register(&mut self, kind: Arc<dyn RecordKind>) {
        self.kinds.insert(kind.slug(), kind);
    }

    /// The type of `slug`, if built in.
    pub fn get(&self, slug: &str) -> Option<&Arc<dyn RecordKind>> {
        self.kinds.get(slug)
    }

    /// Every built-in type, by slug.
    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn RecordKind>> {
        self.kinds.values()
    }
}

/// The active ISO 4217 currency codes.
pub const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW",
    "ZWG",
];

/// Whether `code` is an active ISO 4217 currency.
pub fn is_currency(code: &str) -> bool {
    ISO_4217.binary_search(&code).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_sorted_for_binary_search() {
        assert!(ISO_4217.windows(2).all(|w| w[0] < w[1]));
        assert!(is_currency("EUR") && is_currency("JPY") && !is_currency("XXX"));
    }

    #[test]
    fn built_in_schemas_are_well_formed() {
        // Built-in types link to one another (a contact to its client).
        let types = Registry::builtin()
            .all()
            .map(|k| k.slug().to_owned())
            .collect();
        for kind in Registry::builtin().all() {
            let mut errors = Errors::new();
            super::super::schema::check::check_schema(&kind.schema(), &types, &mut errors);
            assert!(errors.is_empty(), "{}: {errors:?}", kind.slug());
        }
    }
}
