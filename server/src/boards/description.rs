//! A new task's description: the collaborative document starts from the markdown the creator
//! gave, as the editor's own shape (read by the document import's Markdown reader: headings,
//! lists, task lists, tables, quotes, code, inline marks), so it is edited live like any
//! document.

/// The Yjs v1 update that writes `markdown` into an empty document.
pub fn seed_update(markdown: &str) -> Vec<u8> {
    crate::docs::import::update_of(&crate::docs::import::markdown(markdown))
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::decoder::Decode;
    use yrs::{Doc, GetString, ReadTxn, Transact, Update};

    #[test]
    fn seeds_blocks() {
        let update = seed_update("# Goal\n\nShip it\n- one\n- two\n");
        let doc = Doc::new();
        doc.transact_mut()
            .apply_update(Update::decode_v1(&update).unwrap())
            .unwrap();
        let txn = doc.transact();
        let fragment = txn.get_xml_fragment("default").unwrap();
        let xml = fragment.get_string(&txn);
        assert!(xml.contains("<heading"), "{xml}");
        assert!(xml.contains("Ship it"), "{xml}");
        assert!(
            xml.contains("<bulletList><listItem><paragraph>one"),
            "{xml}"
        );
    }
}
