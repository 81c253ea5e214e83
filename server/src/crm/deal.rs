//! The built-in `deal`: a sale in the pipeline. Its stage is its workflow state (lead →
//! qualified → proposal → negotiation → won / lost; a step may go to any other stage, which is
//! what dragging a card on the pipeline board does), and each stage brings its default
//! probability, which the deal may then override.

use serde_json::{Map, Value, json};

use crate::records::registry::RecordKind;
use crate::records::schema::TypeSchema;
use crate::records::schema::check::Errors;

/// The stages in pipeline order, with the action that moves a deal there and the probability
/// (percent) a deal takes on arriving.
pub const STAGES: [(&str, &str, u32); 6] = [
    ("lead", "reopen", 10),
    ("qualified", "qualify", 25),
    ("proposal", "propose", 50),
    ("negotiation", "negotiate", 75),
    ("won", "win", 100),
    ("lost", "lose", 0),
];

/// The default probability of `stage` (percent).
pub fn stage_probability(stage: &str) -> Option<u32> {
    STAGES
        .iter()
        .find(|(name, _, _)| *name == stage)
        .map(|(_, _, p)| *p)
}

pub struct DealKind;

impl RecordKind for DealKind {
    fn slug(&self) -> &'static str {
        "deal"
    }

    fn name(&self) -> &'static str {
        "Deal"
    }

    fn schema(&self) -> TypeSchema {
        let states: Vec<Value> = STAGES
            .iter()
            .map(|(name, _, _)| json!({"name": name}))
            .collect();
        let transitions: Vec<Value> = STAGES
            .iter()
            .map(|(to, action, _)| {
                let from: Vec<&str> = STAGES
                    .iter()
                    .map(|(name, _, _)| *name)
                    .filter(|name| name != to)
                    .collect();
                json!({"action": action, "from": from, "to": to})
            })
            .collect();
        let mut schema: TypeSchema = serde_json::from_value(json!({
            "fields": [
                {"name": "name", "type": "text", "label": "Deal", "required": true, "max": 200},
                {"name": "client", "type": "link", "label": "Client", "to": "client", "required": true},
                {"name": "amount", "type": "money", "label": "Amount", "required": true, "min": 0},
                {"name": "currency", "type": "text", "label": "Currency", "required": true, "default": "EUR"},
                {"name": "probability", "type": "percent", "label": "Probability", "min": 0, "max": 100, "default": 10},
                {"name": "expected_close", "type": "date", "label": "Expected close"},
                {"name": "assignee", "type": "user", "label": "Owner"}
            ],
            "workflow": {"states": states, "transitions": transitions}
        }))
        .unwrap_or_else(|e| unreachable!("the deal schema is valid JSON: {e}"));
        schema.permissions = super::sales_permissions();
        schema
    }

    fn compute(&self, data: &mut Map<String, Value>) {
        super::upper_case_currency(data);
    }

    fn validate(&self, data: &Map<String, Value>, errors: &mut Errors) {
        super::check_currency(data, errors);
    }

    fn on_transition(&self, _from: Option<&str>, to: &str, data: &mut Map<String, Value>) {
        if let Some(probability) = stage_probability(to) {
            // Percent values are stored as exact decimal strings (records::value).
            data.insert("probability".into(), Value::String(probability.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_is_reachable_from_every_other() {
        let schema = DealKind.schema();
        let workflow = schema.workflow.expect("a deal has a workflow");
        assert_eq!(
            schema
                .fields
                .iter()
                .filter(|f| f.name == "assignee")
                .count(),
            1
        );
        for (from, _, _) in STAGES {
            for (to, _, _) in STAGES.iter().filter(|(to, _, _)| *to != from) {
                assert!(
                    workflow
                        .transitions
                        .iter()
                        .any(|t| t.to == *to && t.from.iter().any(|f| f == from)),
                    "{from} → {to}"
                );
            }
        }
    }

    #[test]
    fn arriving_at_a_stage_takes_its_probability() {
        let mut data = Map::new();
        data.insert("probability".into(), Value::String("33".into()));
        DealKind.on_transition(Some("lead"), "proposal", &mut data);
        assert_eq!(data["probability"], json!("50"));
        DealKind.on_transition(Some("proposal"), "lost", &mut data);
        assert_eq!(data["probability"], json!("0"));
    }
}
