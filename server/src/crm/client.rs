//! The built-in `client`: who is billed (see API.md "Invoices").

use serde_json::{Map, Value, json};

use crate::records::registry::RecordKind;
use crate::records::schema::TypeSchema;
use crate::records::schema::check::Errors;

pub struct ClientKind;

impl RecordKind for ClientKind {
    fn slug(&self) -> &'static str {
        "client"
    }

    fn name(&self) -> &'static str {
        "Client"
    }

    fn schema(&self) -> TypeSchema {
        let mut schema: TypeSchema = serde_json::from_value(json!({
            "fields": [
                {"name": "name", "type": "text", "label": "Name", "required": true, "max": 200},
                {"name": "email", "type": "email", "label": "E-mail for invoices"},
                {"name": "address", "type": "long_text", "label": "Billing address"},
                {"name": "tax_id", "type": "text", "label": "Tax id", "max": 50},
                {"name": "state_code", "type": "text", "label": "State code", "max": 10},
                {"name": "currency", "type": "text", "label": "Currency", "required": true, "default": "EUR"},
                {"name": "payment_terms_days", "type": "integer", "label": "Payment terms (days)", "default": 30, "min": 0, "max": 365}
            ]
        }))
        .unwrap_or_else(|e| unreachable!("the client schema is valid JSON: {e}"));
        schema.permissions = super::sales_permissions();
        schema
    }

    fn compute(&self, data: &mut Map<String, Value>) {
        super::upper_case_currency(data);
    }

    fn validate(&self, data: &Map<String, Value>, errors: &mut Errors) {
        super::check_currency(data, errors);
    }
}
