//! Who edited which document, and when, since its last automatic snapshot.
//!
//! The hub notes the user behind every update it applies for a connection or an HTTP caller
//! that named one (see [`crate::Connection::set_author`], [`crate::Hub::apply_update_by`]);
//! the server's history task takes the spans that are due (see [`crate::Hub::take_due_edits`])
//! and stores a snapshot naming them. Only this node's own edits are noted: an edit relayed
//! from another node is noted there.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use crate::room::lock;

/// The edits of one document since its last automatic snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditSpan {
    /// The users whose updates changed the document (ids).
    pub authors: BTreeSet<String>,
    /// The first and the last such update, in milliseconds since the Unix epoch.
    pub from: i64,
    pub to: i64,
}

/// Open edit spans by document. Its lock is never held while a room's is taken.
#[derive(Debug, Default)]
pub(crate) struct Edits(Mutex<HashMap<Arc<str>, EditSpan>>);

impl Edits {
    /// Notes that `author` changed `doc_id` at `at`.
    pub(crate) fn note(&self, doc_id: &Arc<str>, author: &str, at: i64) {
        let mut spans = lock(&self.0);
        let span = spans.entry(doc_id.clone()).or_insert_with(|| EditSpan {
            authors: BTreeSet::new(),
            from: at,
            to: at,
        });
        span.from = span.from.min(at);
        span.to = span.to.max(at);
        if !span.authors.contains(author) {
            span.authors.insert(author.to_owned());
        }
    }

    /// Takes the spans that `due` accepts out of the table.
    pub(crate) fn take(
        &self,
        mut due: impl FnMut(&str, &EditSpan) -> bool,
    ) -> Vec<(String, EditSpan)> {
        let mut spans = lock(&self.0);
        let ids: Vec<Arc<str>> = spans
            .iter()
            .filter(|(id, span)| due(id, span))
            .map(|(id, _)| id.clone())
            .collect();
        ids.into_iter()
            .filter_map(|id| spans.remove(&id).map(|span| (id.to_string(), span)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_gather_authors_and_times_until_taken() {
        let edits = Edits::default();
        let doc: Arc<str> = Arc::from("d");
        edits.note(&doc, "bob", 20);
        edits.note(&doc, "alice", 10);
        edits.note(&doc, "bob", 30);
        edits.note(&Arc::from("other"), "carol", 5);
        let taken = edits.take(|id, _| id == "d");
        assert_eq!(taken.len(), 1);
        let (id, span) = &taken[0];
        assert_eq!(id, "d");
        assert_eq!(span.authors.iter().collect::<Vec<_>>(), ["alice", "bob"]);
        assert_eq!((span.from, span.to), (10, 30));
        assert!(edits.take(|id, _| id == "d").is_empty());
        assert_eq!(edits.take(|_, _| true).len(), 1);
    }
}
