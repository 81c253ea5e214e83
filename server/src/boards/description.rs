//! A new task's description: the collaborative document starts from the markdown the creator
//! gave, as the editor's own shape (headings, bullet items and paragraphs in the `default`
//! fragment; inline markdown stays as typed), so it is edited live like any document.

use yrs::types::xml::{XmlElementPrelim, XmlTextPrelim};
use yrs::{Any, Doc, Transact, WriteTxn, Xml, XmlFragment};

/// The Yjs v1 update that writes `markdown` into an empty document.
pub fn seed_update(markdown: &str) -> Vec<u8> {
    let doc = Doc::new();
    let mut txn = doc.transact_mut();
    let fragment = txn.get_or_insert_xml_fragment("default");
    let mut list: Option<yrs::XmlElementRef> = None;
    for block in markdown.lines() {
        let line = block.trim_end();
        if line.trim().is_empty() {
            list = None;
            continue;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            list = None;
            let heading = fragment.push_back(&mut txn, XmlElementPrelim::empty("heading"));
            heading.insert_attribute(&mut txn, "level", Any::from(hashes as f64));
            heading.push_back(&mut txn, XmlTextPrelim::new(line[hashes..].trim()));
            continue;
        }
        let trimmed = line.trim_start();
        if let Some(item_text) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        {
            let parent = match &list {
                Some(parent) => parent.clone(),
                None => {
                    let created =
                        fragment.push_back(&mut txn, XmlElementPrelim::empty("bulletList"));
                    list = Some(created.clone());
                    created
                }
            };
            let item = parent.push_back(&mut txn, XmlElementPrelim::empty("listItem"));
            let paragraph = item.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
            paragraph.push_back(&mut txn, XmlTextPrelim::new(item_text.trim()));
            continue;
        }
        list = None;
        let paragraph = fragment.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
        paragraph.push_back(&mut txn, XmlTextPrelim::new(line));
    }
    txn.encode_update_v1()
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::decoder::Decode;
    use yrs::{GetString, ReadTxn, Update};

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
