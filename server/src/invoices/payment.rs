//! The built-in `payment`: money received against an invoice. Payments are recorded through
//! `POST /api/v1/records/{invoice}/payments` ([`super::record_payment`]), which changes the
//! invoice in the same transaction, so the generic create and import refuse them; once
//! recorded a payment is final (a mistake is corrected by voiding and amending the invoice).

use serde_json::{Map, Value, json};

use crate::records::registry::RecordKind;
use crate::records::schema::TypeSchema;
use crate::records::schema::check::Errors;

/// The ways money arrives.
pub const METHODS: [&str; 6] = [
    "bank_transfer",
    "card",
    "cash",
    "cheque",
    "direct_debit",
    "other",
];

pub struct PaymentKind;

impl RecordKind for PaymentKind {
    fn slug(&self) -> &'static str {
        "payment"
    }

    fn name(&self) -> &'static str {
        "Payment"
    }

    fn schema(&self) -> TypeSchema {
        let mut schema: TypeSchema = serde_json::from_value(json!({
            "fields": [
                {"name": "invoice", "type": "link", "label": "Invoice", "to": "invoice", "required": true},
                {"name": "client", "type": "link", "label": "Client", "to": "client", "required": true},
                {"name": "amount", "type": "money", "label": "Amount", "required": true, "min": 1},
                {"name": "currency", "type": "text", "label": "Currency", "required": true},
                {"name": "date", "type": "date", "label": "Date", "required": true},
                {"name": "method", "type": "select", "label": "Method", "options": METHODS, "default": "bank_transfer"},
                {"name": "reference", "type": "text", "label": "Reference", "max": 200}
            ],
            "naming": {"prefix": "PAY-", "year": true, "digits": 5},
            "workflow": {
                "states": [{"name": "recorded", "final_state": true}],
                "transitions": []
            }
        }))
        .unwrap_or_else(|e| unreachable!("the payment schema is valid JSON: {e}"));
        schema.permissions = super::accounting_permissions();
        schema
    }

    fn compute(&self, data: &mut Map<String, Value>) {
        crate::crm::upper_case_currency(data);
    }

    fn validate(&self, data: &Map<String, Value>, errors: &mut Errors) {
        crate::crm::check_currency(data, errors);
    }

    fn created_through(&self) -> Option<&'static str> {
        Some("POST /api/v1/records/{invoice}/payments")
    }
}
