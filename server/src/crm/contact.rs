//! The built-in `contact`: a person at a client.

use serde_json::json;

use crate::records::registry::RecordKind;
use crate::records::schema::TypeSchema;

pub struct ContactKind;

impl RecordKind for ContactKind {
    fn slug(&self) -> &'static str {
        "contact"
    }

    fn name(&self) -> &'static str {
        "Contact"
    }

    fn schema(&self) -> TypeSchema {
        let mut schema: TypeSchema = serde_json::from_value(json!({
            "fields": [
                {"name": "name", "type": "text", "label": "Name", "required": true, "max": 200},
                {"name": "client", "type": "link", "label": "Client", "to": "client", "required": true},
                {"name": "email", "type": "email", "label": "E-mail"},
                {"name": "phone", "type": "phone", "label": "Phone"},
                {"name": "role", "type": "text", "label": "Role", "max": 100}
            ]
        }))
        .unwrap_or_else(|e| unreachable!("the contact schema is valid JSON: {e}"));
        schema.permissions = super::sales_permissions();
        schema
    }
}
