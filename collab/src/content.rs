//! Reading a document's content on the server, and replacing it (version restore).
//!
//! Rich text is the `Y.XmlFragment` named `default` in the shape y-prosemirror writes for
//! Tiptap/ProseMirror: block elements named after the node type (`paragraph`, `heading` with a
//! `level` attribute, `bulletList`/`orderedList`/`listItem`, `taskList`/`taskItem` with
//! `checked`, `codeBlock`, `blockquote`, `horizontalRule`, `hardBreak`, `table`/`tableRow`/
//! `tableHeader`/`tableCell`, `image` with `src` and `alt`, `callout` with `kind` (info,
//! warning, success, danger) around blocks, the toggle `details` holding a `detailsSummary`
//! (inline text) and a `detailsContent` (blocks), and the inline `mention` with `id` and
//! `label`), and `Y.XmlText` runs whose formatting attributes are the marks (`bold`,
//! `italic`, `code`, `strike`, `link` with `href`). Plain text is the `Y.Text` named `text`.
//! Both are read.

use serde_json::{Map as JsonMap, Value, json};
use yrs::types::text::YChange;
use yrs::types::xml::{XmlElementPrelim, XmlTextPrelim};
use yrs::{
    Any, Doc, GetString, Out, ReadTxn, Text, Transact, TransactionMut, WriteTxn, Xml, XmlFragment,
    XmlOut, XmlTextRef,
};

/// Elements nested deeper than this are not rendered (hostile documents can nest arbitrarily).
const MAX_DEPTH: usize = 64;

/// Longest title extracted for the change feed, in characters.
const MAX_TITLE: usize = 200;

/// How to render a document's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentFormat {
    /// Plain text: one line per block.
    Text,
    /// Markdown.
    Markdown,
    /// JSON: `{"default": <ProseMirror JSON document>, "text": "<Y.Text content>"}`.
    Json,
}

impl std::str::FromStr for ContentFormat {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "text" => Ok(Self::Text),
            "markdown" | "md" => Ok(Self::Markdown),
            "json" => Ok(Self::Json),
            _ => Err(()),
        }
    }
}

/// A document changed: what the search change feed needs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DocChange {
    /// The document.
    pub doc_id: String,
    /// Its first heading, or else its first non-empty line (at most 200 characters).
    pub title: String,
    /// Its plain text.
    pub text: String,
}

/// Renders `doc` in `format`.
pub fn render(doc: &Doc, format: ContentFormat) -> String {
    let txn = doc.transact();
    let fragment = txn.get_xml_fragment("default");
    let text = txn.get_text("text").map(|t| t.get_string(&txn));
    match format {
        ContentFormat::Json => {
            let mut root = JsonMap::new();
            let content = fragment.map_or_else(Vec::new, |f| json_children(&f, &txn, 0));
            root.insert("default".into(), json!({"type": "doc", "content": content}));
            root.insert("text".into(), Value::String(text.unwrap_or_default()));
            Value::Object(root).to_string()
        }
        ContentFormat::Text | ContentFormat::Markdown => {
            let md = format == ContentFormat::Markdown;
            let mut out = String::new();
            if let Some(f) = fragment {
                let mut r = Renderer {
                    out: &mut out,
                    md,
                    txn: &txn,
                };
                r.blocks(&f, "", 0);
            }
            if let Some(text) = text.filter(|t| !t.is_empty()) {
                let trimmed = out.trim_end_matches('\n').len();
                out.truncate(trimmed);
                if !out.is_empty() {
                    out.push_str(if md { "\n\n" } else { "\n" });
                }
                out.push_str(&text);
            }
            let trimmed = out.trim_end_matches('\n').len();
            out.truncate(trimmed);
            out
        }
    }
}

/// The change-feed event for `doc`: its title and plain text.
pub fn doc_change(doc_id: &str, doc: &Doc) -> DocChange {
    let text = render(doc, ContentFormat::Text);
    let title = {
        let txn = doc.transact();
        txn.get_xml_fragment("default")
            .and_then(|f| {
                f.children(&txn).find_map(|c| match c {
                    XmlOut::Element(e) if e.tag().as_ref() == "heading" => {
                        Some(inline_text(&e, &txn))
                    }
                    _ => None,
                })
            })
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| {
                text.lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or_default()
                    .to_owned()
            })
    };
    DocChange {
        doc_id: doc_id.to_owned(),
        title: title.trim().chars().take(MAX_TITLE).collect(),
        text,
    }
}

fn attr_string<T: ReadTxn>(e: &impl Xml, txn: &T, name: &str) -> Option<String> {
    e.get_attribute(txn, name).and_then(|v| match v {
        Out::Any(Any::String(s)) => Some(s.to_string()),
        Out::Any(Any::Number(n)) => Some(n.to_string()),
        Out::Any(Any::Bool(b)) => Some(b.to_string()),
        _ => None,
    })
}

fn attr_truthy<T: ReadTxn>(e: &impl Xml, txn: &T, name: &str) -> bool {
    matches!(e.get_attribute(txn, name), Some(Out::Any(Any::Bool(true))))
        || attr_string(e, txn, name).as_deref() == Some("true")
}

/// A text run's characters without formatting (`get_string` on XML text renders marks as
/// tags).
fn plain<T: ReadTxn>(t: &XmlTextRef, txn: &T) -> String {
    let mut s = String::new();
    for d in t.diff(txn, YChange::identity) {
        if let Out::Any(Any::String(chunk)) = d.insert {
            s.push_str(&chunk);
        }
    }
    s
}

/// The text inside an element, marks ignored, hard breaks as spaces.
fn inline_text<T: ReadTxn>(e: &impl XmlFragment, txn: &T) -> String {
    let mut s = String::new();
    for c in e.children(txn) {
        match c {
            XmlOut::Text(t) => s.push_str(&plain(&t, txn)),
            XmlOut::Element(e) if e.tag().as_ref() == "hardBreak" => s.push(' '),
            XmlOut::Element(e) if e.tag().as_ref() == "mention" => s.push_str(&mention(&e, txn)),
            XmlOut::Element(e) => s.push_str(&inline_text(&e, txn)),
            XmlOut::Fragment(_) => {}
        }
    }
    s
}

/// A mention as it reads: `@` and the label the editor stored (the handle), else the id.
fn mention<T: ReadTxn>(e: &impl Xml, txn: &T) -> String {
    let name = attr_string(e, txn, "label")
        .filter(|l| !l.trim().is_empty())
        .or_else(|| attr_string(e, txn, "id"))
        .unwrap_or_default();
    format!("@{name}")
}

/// The GitHub alert a callout of `kind` is written as in Markdown (`> [!NOTE]`…); unknown
/// kinds read as notes.
pub fn callout_alert(kind: &str) -> &'static str {
    match kind {
        "warning" => "WARNING",
        "success" => "TIP",
        "danger" => "CAUTION",
        _ => "NOTE",
    }
}

/// A table cell's text on one line, for a Markdown table row: pipes escaped, line breaks as
/// spaces.
fn table_cell_markdown(text: &str) -> String {
    text.replace('|', "\\|")
        .replace("  \n", " ")
        .replace('\n', " ")
        .trim()
        .to_owned()
}

struct Renderer<'a, T: ReadTxn> {
    out: &'a mut String,
    md: bool,
    txn: &'a T,
}

impl<T: ReadTxn> Renderer<'_, T> {
    /// Renders block children, each line prefixed by `indent` (list nesting, quotes).
    fn blocks(&mut self, parent: &impl XmlFragment, indent: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let mut ordinal = 0u64;
        for child in parent.children(self.txn) {
            match child {
                XmlOut::Element(e) => {
                    let tag = e.tag().to_string();
                    self.block(&e, &tag, indent, depth, &mut ordinal);
                }
                XmlOut::Text(t) => {
                    let line = self.inline_text(&t);
                    self.line(indent, &line);
                }
                XmlOut::Fragment(f) => self.blocks(&f, indent, depth + 1),
            }
        }
    }

    fn line(&mut self, indent: &str, text: &str) {
        for (i, l) in text.split('\n').enumerate() {
            if i > 0 || !indent.is_empty() {
                self.out.push_str(indent);
            }
            self.out.push_str(l);
            self.out.push('\n');
        }
    }

    fn block(
        &mut self,
        e: &yrs::XmlElementRef,
        tag: &str,
        indent: &str,
        depth: usize,
        ordinal: &mut u64,
    ) {
        let md = self.md;
        match tag {
            "paragraph" => {
                let text = self.inline(e);
                self.line(indent, &text);
                if md && indent.is_empty() {
                    self.out.push('\n');
                }
            }
            "heading" => {
                let text = self.inline(e);
                if md {
                    let level = attr_string(e, self.txn, "level")
                        .and_then(|l| l.parse::<f64>().ok())
                        .map_or(1, |l| l.clamp(1.0, 6.0) as usize);
                    let line = format!("{} {text}", "#".repeat(level));
                    self.line(indent, &line);
                    self.out.push('\n');
                } else {
                    self.line(indent, &text);
                }
            }
            "bulletList" | "orderedList" | "taskList" => {
                let start = attr_string(e, self.txn, "start")
                    .and_then(|s| s.parse::<f64>().ok())
                    .map_or(1, |s| s.max(0.0) as u64);
                *ordinal = start;
                for item in e.children(self.txn) {
                    if let XmlOut::Element(item) = item {
                        let marker = if !md {
                            String::new()
                        } else if tag == "orderedList" {
                            format!("{ordinal}. ")
                        } else if tag == "taskList" || item.tag().as_ref() == "taskItem" {
                            let checked = attr_truthy(&item, self.txn, "checked");
                            format!("- [{}] ", if checked { "x" } else { " " })
                        } else {
                            "- ".to_owned()
                        };
                        *ordinal += 1;
                        self.list_item(&item, indent, &marker, depth);
                    }
                }
                if md && indent.is_empty() {
                    self.out.push('\n');
                }
            }
            "listItem" | "taskItem" => self.list_item(e, indent, if md { "- " } else { "" }, depth),
            "codeBlock" => {
                let text = inline_text(e, self.txn);
                if md {
                    let lang = attr_string(e, self.txn, "language").unwrap_or_default();
                    self.line(indent, &format!("```{lang}"));
                    self.line(indent, &text);
                    self.line(indent, "```");
                    self.out.push('\n');
                } else {
                    self.line(indent, &text);
                }
            }
            "blockquote" => {
                let inner = format!("{indent}{}", if md { "> " } else { "" });
                self.blocks(e, &inner, depth + 1);
                if md && indent.is_empty() {
                    self.out.push('\n');
                }
            }
            "callout" => self.callout(e, indent, depth),
            // A toggle: its summary as a paragraph, then what it holds (exports show it open).
            "detailsSummary" => {
                let text = self.inline(e);
                self.line(indent, &text);
                if md && indent.is_empty() {
                    self.out.push('\n');
                }
            }
            "details" | "detailsContent" => self.blocks(e, indent, depth + 1),
            "horizontalRule" => {
                if md {
                    self.line(indent, "---");
                    self.out.push('\n');
                }
            }
            "hardBreak" => self.out.push('\n'),
            "table" => self.table(e, indent),
            "image" => {
                let alt = attr_string(e, self.txn, "alt").unwrap_or_default();
                if md {
                    let src = attr_string(e, self.txn, "src").unwrap_or_default();
                    self.line(indent, &format!("![{alt}]({src})"));
                    self.out.push('\n');
                } else if !alt.is_empty() {
                    self.line(indent, &alt);
                }
            }
            _ => {
                // Unknown node: its children as blocks if it has elements, else its text.
                let has_elements = e
                    .children(self.txn)
                    .any(|c| matches!(c, XmlOut::Element(_)));
                if has_elements {
                    self.blocks(e, indent, depth + 1);
                } else {
                    let text = self.inline(e);
                    if !text.is_empty() {
                        self.line(indent, &text);
                    }
                }
            }
        }
    }

    /// A callout: in Markdown a GitHub alert (`> [!NOTE]` and its blocks quoted, an empty
    /// quoted line between blocks); in text its blocks.
    fn callout(&mut self, e: &yrs::XmlElementRef, indent: &str, depth: usize) {
        if !self.md {
            self.blocks(e, indent, depth + 1);
            return;
        }
        let kind = attr_string(e, self.txn, "kind").unwrap_or_default();
        let inner = format!("{indent}> ");
        self.line(indent, &format!("> [!{}]", callout_alert(&kind)));
        let mut ordinal = 1;
        for (i, child) in e.children(self.txn).enumerate() {
            if i > 0 {
                self.line(indent, ">");
            }
            match child {
                XmlOut::Element(c) => {
                    let tag = c.tag().to_string();
                    self.block(&c, &tag, &inner, depth + 1, &mut ordinal);
                }
                XmlOut::Text(t) => {
                    let line = self.inline_text(&t);
                    self.line(&inner, &line);
                }
                XmlOut::Fragment(f) => self.blocks(&f, &inner, depth + 1),
            }
        }
        if indent.is_empty() {
            self.out.push('\n');
        }
    }

    /// A table: in Markdown a pipe table whose first row is the header (GitHub's dialect
    /// needs one), in text one line per row with cells separated by tabs.
    fn table(&mut self, table: &yrs::XmlElementRef, indent: &str) {
        let mut rows: Vec<Vec<String>> = Vec::new();
        for row in table.children(self.txn) {
            let XmlOut::Element(row) = row else { continue };
            let mut cells = Vec::new();
            for cell in row.children(self.txn) {
                let XmlOut::Element(cell) = cell else {
                    continue;
                };
                // A cell holds blocks (paragraphs); they are joined on one line.
                let mut parts = Vec::new();
                for block in cell.children(self.txn) {
                    match block {
                        XmlOut::Element(b) => parts.push(self.inline(&b)),
                        XmlOut::Text(t) => parts.push(self.inline_text(&t)),
                        XmlOut::Fragment(_) => {}
                    }
                }
                let text = parts.join(if self.md { " " } else { "\n" });
                cells.push(if self.md {
                    table_cell_markdown(&text)
                } else {
                    text.replace('\n', " ")
                });
            }
            rows.push(cells);
        }
        let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
        if columns == 0 {
            return;
        }
        for (i, row) in rows.iter().enumerate() {
            let mut cells = row.clone();
            cells.resize(columns, String::new());
            if self.md {
                self.line(indent, &format!("| {} |", cells.join(" | ")));
                if i == 0 {
                    self.line(indent, &format!("|{}", " --- |".repeat(columns)));
                }
            } else {
                self.line(indent, cells.join("\t").trim_end());
            }
        }
        if self.md {
            self.out.push('\n');
        }
    }

    /// A list item: the first block after the marker, the rest indented under it.
    fn list_item(&mut self, item: &yrs::XmlElementRef, indent: &str, marker: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let child_indent = format!("{indent}{}", " ".repeat(marker.chars().count().max(2)));
        let mut first = true;
        for child in item.children(self.txn) {
            match child {
                XmlOut::Element(e) if first && e.tag().as_ref() == "paragraph" => {
                    let text = self.inline(&e);
                    self.out.push_str(indent);
                    self.out.push_str(marker);
                    self.line("", &text);
                    first = false;
                }
                XmlOut::Element(e) => {
                    if first {
                        self.out.push_str(indent);
                        self.out.push_str(marker.trim_end());
                        self.out.push('\n');
                        first = false;
                    }
                    let tag = e.tag().to_string();
                    let mut ordinal = 1;
                    self.block(&e, &tag, &child_indent, depth + 1, &mut ordinal);
                }
                XmlOut::Text(t) => {
                    let text = self.inline_text(&t);
                    self.out.push_str(indent);
                    self.out.push_str(marker);
                    self.line("", &text);
                    first = false;
                }
                XmlOut::Fragment(_) => {}
            }
        }
    }

    /// An element's inline content (text runs with marks, hard breaks).
    fn inline(&mut self, e: &impl XmlFragment) -> String {
        let mut s = String::new();
        for c in e.children(self.txn) {
            match c {
                XmlOut::Text(t) => s.push_str(&self.inline_text(&t)),
                XmlOut::Element(e) if e.tag().as_ref() == "hardBreak" => {
                    s.push_str(if self.md { "  \n" } else { "\n" })
                }
                XmlOut::Element(e) if e.tag().as_ref() == "mention" => {
                    s.push_str(&mention(&e, self.txn))
                }
                XmlOut::Element(e) => s.push_str(&inline_text(&e, self.txn)),
                XmlOut::Fragment(_) => {}
            }
        }
        s
    }

    fn inline_text(&self, t: &XmlTextRef) -> String {
        if !self.md {
            return plain(t, self.txn);
        }
        let mut s = String::new();
        for d in t.diff(self.txn, YChange::identity) {
            let Out::Any(Any::String(chunk)) = d.insert else {
                continue;
            };
            let attrs = d.attributes.as_deref();
            let has = |k: &str| attrs.is_some_and(|a| a.contains_key(k));
            let mut run = chunk.to_string();
            if has("code") {
                run = format!("`{run}`");
            }
            if has("bold") {
                run = format!("**{run}**");
            }
            if has("italic") {
                run = format!("*{run}*");
            }
            if has("strike") {
                run = format!("~~{run}~~");
            }
            if let Some(Any::Map(link)) = attrs.and_then(|a| a.get("link")) {
                if let Some(Any::String(href)) = link.get("href") {
                    run = format!("[{run}]({href})");
                }
            }
            s.push_str(&run);
        }
        s
    }
}

fn any_to_json(a: &Any) -> Value {
    serde_json::to_value(a).unwrap_or(Value::Null)
}

fn json_children<T: ReadTxn>(parent: &impl XmlFragment, txn: &T, depth: usize) -> Vec<Value> {
    if depth > MAX_DEPTH {
        return Vec::new();
    }
    let mut out = Vec::new();
    for child in parent.children(txn) {
        match child {
            XmlOut::Element(e) => {
                let mut node = JsonMap::new();
                node.insert("type".into(), Value::String(e.tag().to_string()));
                let mut attrs = JsonMap::new();
                for (k, v) in e.attributes(txn) {
                    if let Out::Any(a) = v {
                        attrs.insert(k.to_owned(), any_to_json(&a));
                    }
                }
                if !attrs.is_empty() {
                    node.insert("attrs".into(), Value::Object(attrs));
                }
                let content = json_children(&e, txn, depth + 1);
                if !content.is_empty() {
                    node.insert("content".into(), Value::Array(content));
                }
                out.push(Value::Object(node));
            }
            XmlOut::Text(t) => {
                for d in t.diff(txn, YChange::identity) {
                    let Out::Any(Any::String(chunk)) = d.insert else {
                        continue;
                    };
                    let mut node = JsonMap::new();
                    node.insert("type".into(), "text".into());
                    node.insert("text".into(), Value::String(chunk.to_string()));
                    if let Some(attrs) = d.attributes.as_deref().filter(|a| !a.is_empty()) {
                        let mut names: Vec<_> = attrs.iter().collect();
                        names.sort_by(|a, b| a.0.cmp(b.0));
                        let marks: Vec<Value> = names
                            .into_iter()
                            .map(|(k, v)| match v {
                                Any::Map(m) if !m.is_empty() => {
                                    json!({"type": k.as_ref(), "attrs": any_to_json(v)})
                                }
                                _ => json!({"type": k.as_ref()}),
                            })
                            .collect();
                        node.insert("marks".into(), Value::Array(marks));
                    }
                    out.push(Value::Object(node));
                }
            }
            XmlOut::Fragment(f) => out.extend(json_children(&f, txn, depth + 1)),
        }
    }
    out
}

/// Makes `live`'s `default` fragment and `text` text equal to `version`'s, as one transaction
/// of ordinary edits on `live` (delete everything, insert copies). Returns that transaction's
/// v1 update, or `None` when nothing changed. Element attributes keep their types (a checked
/// task stays a boolean), which yrs's own `as_prelim` would turn into strings.
pub fn replace_content(live: &Doc, version: &Doc) -> Option<Vec<u8>> {
    let vtxn = version.transact();
    let v_fragment = vtxn.get_xml_fragment("default");
    let v_text = vtxn.get_text("text");
    let mut txn = live.transact_mut();
    let fragment = txn.get_or_insert_xml_fragment("default");
    let len = fragment.len(&txn);
    if len > 0 {
        fragment.remove_range(&mut txn, 0, len);
    }
    if let Some(src) = v_fragment {
        copy_children(&src, &vtxn, &fragment, &mut txn, 0);
    }
    let text = txn.get_or_insert_text("text");
    let len = text.len(&txn);
    if len > 0 {
        text.remove_range(&mut txn, 0, len);
    }
    if let Some(src) = v_text {
        copy_text(&src, &vtxn, &text, &mut txn);
    }
    let changed = txn.before_state() != txn.after_state() || !txn.delete_set().is_empty();
    changed.then(|| txn.encode_update_v1())
}

fn copy_children<T: ReadTxn>(
    src: &impl XmlFragment,
    vtxn: &T,
    dst: &impl XmlFragment,
    txn: &mut TransactionMut,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for child in src.children(vtxn) {
        let index = dst.len(txn);
        match child {
            XmlOut::Element(e) => {
                let copy = dst.insert(txn, index, XmlElementPrelim::empty(e.tag().clone()));
                for (k, v) in e.attributes(vtxn) {
                    if let Out::Any(a) = v {
                        copy.insert_attribute(txn, k, a);
                    }
                }
                copy_children(&e, vtxn, &copy, txn, depth + 1);
            }
            XmlOut::Text(t) => {
                let copy = dst.insert(txn, index, XmlTextPrelim::new(""));
                copy_text(&t, vtxn, &copy, txn);
            }
            XmlOut::Fragment(f) => copy_children(&f, vtxn, dst, txn, depth + 1),
        }
    }
}

fn copy_text<T: ReadTxn>(src: &impl Text, vtxn: &T, dst: &impl Text, txn: &mut TransactionMut) {
    for d in src.diff(vtxn, YChange::identity) {
        let attrs = d.attributes.map(|a| *a).unwrap_or_default();
        let index = dst.len(txn);
        match d.insert {
            Out::Any(Any::String(s)) => dst.insert_with_attributes(txn, index, &s, attrs),
            Out::Any(other) => {
                dst.insert_embed_with_attributes(txn, index, other, attrs);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Map, MapPrelim, StateVector, Update, updates::decoder::Decode};

    /// A Tiptap-shaped document built the way y-prosemirror writes it.
    pub(crate) fn sample() -> Doc {
        let doc = Doc::new();
        let frag = doc.get_or_insert_xml_fragment("default");
        let plain = doc.get_or_insert_text("text");
        let mut txn = doc.transact_mut();
        let h = frag.push_back(&mut txn, XmlElementPrelim::empty("heading"));
        h.insert_attribute(&mut txn, "level", Any::from(2.0));
        h.push_back(&mut txn, XmlTextPrelim::new("Plan"));
        let p = frag.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
        let t = p.push_back(&mut txn, XmlTextPrelim::new(""));
        let bold: yrs::types::Attrs = [("bold".into(), Any::Map(Default::default()))].into();
        t.insert(&mut txn, 0, "Hello ");
        t.insert_with_attributes(&mut txn, 6, "world", bold);
        let mut href = std::collections::HashMap::new();
        href.insert("href".to_owned(), Any::from("https://x.test"));
        let link: yrs::types::Attrs = [("link".into(), Any::from(href))].into();
        let len = t.len(&txn);
        t.insert_with_attributes(&mut txn, len, " site", link);
        p.push_back(&mut txn, XmlElementPrelim::empty("hardBreak"));
        p.push_back(&mut txn, XmlTextPrelim::new("next"));
        let tl = frag.push_back(&mut txn, XmlElementPrelim::empty("taskList"));
        for (label, checked) in [("done", true), ("todo", false)] {
            let item = tl.push_back(&mut txn, XmlElementPrelim::empty("taskItem"));
            item.insert_attribute(&mut txn, "checked", Any::Bool(checked));
            let p = item.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
            p.push_back(&mut txn, XmlTextPrelim::new(label));
        }
        let ol = frag.push_back(&mut txn, XmlElementPrelim::empty("orderedList"));
        let li = ol.push_back(&mut txn, XmlElementPrelim::empty("listItem"));
        let p = li.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
        p.push_back(&mut txn, XmlTextPrelim::new("one"));
        let nested = li.push_back(&mut txn, XmlElementPrelim::empty("bulletList"));
        let li2 = nested.push_back(&mut txn, XmlElementPrelim::empty("listItem"));
        let p = li2.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
        p.push_back(&mut txn, XmlTextPrelim::new("inner"));
        let cb = frag.push_back(&mut txn, XmlElementPrelim::empty("codeBlock"));
        cb.insert_attribute(&mut txn, "language", Any::from("rust"));
        cb.push_back(&mut txn, XmlTextPrelim::new("fn main() {}"));
        let q = frag.push_back(&mut txn, XmlElementPrelim::empty("blockquote"));
        let p = q.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
        p.push_back(&mut txn, XmlTextPrelim::new("quoted"));
        frag.push_back(&mut txn, XmlElementPrelim::empty("horizontalRule"));
        plain.insert(&mut txn, 0, "plain");
        drop(txn);
        doc
    }

    #[test]
    fn markdown_of_a_tiptap_document() {
        let md = render(&sample(), ContentFormat::Markdown);
        let expected = "## Plan\n\nHello **world**[ site](https://x.test)  \nnext\n\n\
                        - [x] done\n- [ ] todo\n\n1. one\n   - inner\n\n\
                        ```rust\nfn main() {}\n```\n\n> quoted\n\n---\n\nplain";
        assert_eq!(md, expected);
    }

    #[test]
    fn tables_mentions_and_images() {
        let doc = Doc::new();
        let frag = doc.get_or_insert_xml_fragment("default");
        {
            let mut txn = doc.transact_mut();
            let p = frag.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
            p.push_back(&mut txn, XmlTextPrelim::new("Ask "));
            let m = p.push_back(&mut txn, XmlElementPrelim::empty("mention"));
            m.insert_attribute(&mut txn, "id", Any::from("u1"));
            m.insert_attribute(&mut txn, "label", Any::from("ada"));
            p.push_back(&mut txn, XmlTextPrelim::new(" today"));
            let table = frag.push_back(&mut txn, XmlElementPrelim::empty("table"));
            for (tag, cells) in [
                ("tableHeader", ["Name", "Role"]),
                ("tableCell", ["Ada", "a|b"]),
            ] {
                let row = table.push_back(&mut txn, XmlElementPrelim::empty("tableRow"));
                for text in cells {
                    let cell = row.push_back(&mut txn, XmlElementPrelim::empty(tag));
                    let p = cell.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
                    p.push_back(&mut txn, XmlTextPrelim::new(text));
                }
            }
            let img = frag.push_back(&mut txn, XmlElementPrelim::empty("image"));
            img.insert_attribute(&mut txn, "src", Any::from("/f/1"));
            img.insert_attribute(&mut txn, "alt", Any::from("chart"));
        }
        assert_eq!(
            render(&doc, ContentFormat::Markdown),
            "Ask @ada today\n\n| Name | Role |\n| --- | --- |\n| Ada | a\\|b |\n\n![chart](/f/1)"
        );
        assert_eq!(
            render(&doc, ContentFormat::Text),
            "Ask @ada today\nName\tRole\nAda\ta|b\nchart"
        );
    }

    #[test]
    fn text_json_and_title() {
        let doc = sample();
        let text = render(&doc, ContentFormat::Text);
        assert_eq!(
            text,
            "Plan\nHello world site\nnext\ndone\ntodo\none\n  inner\nfn main() {}\nquoted\nplain"
        );
        let json: Value = serde_json::from_str(&render(&doc, ContentFormat::Json)).unwrap();
        assert_eq!(json["text"], "plain");
        let heading = &json["default"]["content"][0];
        assert_eq!(heading["type"], "heading");
        assert_eq!(heading["attrs"]["level"], 2.0);
        let para = &json["default"]["content"][1]["content"];
        assert_eq!(para[1]["marks"][0]["type"], "bold");
        assert_eq!(para[2]["marks"][0]["attrs"]["href"], "https://x.test");
        assert_eq!(
            json["default"]["content"][2]["content"][0]["attrs"]["checked"],
            true
        );
        let change = doc_change("d1", &doc);
        assert_eq!(change.title, "Plan");
        assert_eq!(change.text, text);
    }

    /// A heading 3, a warning callout of two paragraphs and a toggle, as the editor writes them.
    fn blocks_sample() -> Doc {
        let doc = Doc::new();
        let frag = doc.get_or_insert_xml_fragment("default");
        {
            let mut txn = doc.transact_mut();
            let h = frag.push_back(&mut txn, XmlElementPrelim::empty("heading"));
            h.insert_attribute(&mut txn, "level", Any::from(3.0));
            h.push_back(&mut txn, XmlTextPrelim::new("Risks"));
            let c = frag.push_back(&mut txn, XmlElementPrelim::empty("callout"));
            c.insert_attribute(&mut txn, "kind", Any::from("warning"));
            for text in ["Mind the gap", "Second"] {
                let p = c.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
                p.push_back(&mut txn, XmlTextPrelim::new(text));
            }
            let d = frag.push_back(&mut txn, XmlElementPrelim::empty("details"));
            let s = d.push_back(&mut txn, XmlElementPrelim::empty("detailsSummary"));
            s.push_back(&mut txn, XmlTextPrelim::new("More"));
            let dc = d.push_back(&mut txn, XmlElementPrelim::empty("detailsContent"));
            let p = dc.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
            p.push_back(&mut txn, XmlTextPrelim::new("Hidden text"));
            let l = dc.push_back(&mut txn, XmlElementPrelim::empty("bulletList"));
            let li = l.push_back(&mut txn, XmlElementPrelim::empty("listItem"));
            let p = li.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
            p.push_back(&mut txn, XmlTextPrelim::new("item"));
            let c = frag.push_back(&mut txn, XmlElementPrelim::empty("callout"));
            c.insert_attribute(&mut txn, "kind", Any::from("success"));
            let p = c.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
            p.push_back(&mut txn, XmlTextPrelim::new("Done"));
        }
        doc
    }

    #[test]
    fn callouts_toggles_and_third_level_headings() {
        let doc = blocks_sample();
        assert_eq!(
            render(&doc, ContentFormat::Markdown),
            "### Risks\n\n> [!WARNING]\n> Mind the gap\n>\n> Second\n\n\
             More\n\nHidden text\n\n- item\n\n> [!TIP]\n> Done"
        );
        assert_eq!(
            render(&doc, ContentFormat::Text),
            "Risks\nMind the gap\nSecond\nMore\nHidden text\nitem\nDone"
        );
        let json: Value = serde_json::from_str(&render(&doc, ContentFormat::Json)).unwrap();
        let callout = &json["default"]["content"][1];
        assert_eq!(callout["type"], "callout");
        assert_eq!(callout["attrs"]["kind"], "warning");
        let details = &json["default"]["content"][2];
        assert_eq!(details["content"][0]["type"], "detailsSummary");
        assert_eq!(details["content"][1]["content"][0]["type"], "paragraph");
        assert_eq!(doc_change("d", &doc).title, "Risks");
        assert_eq!(callout_alert("danger"), "CAUTION");
        assert_eq!(callout_alert("info"), "NOTE");
    }

    #[test]
    fn replace_content_restores_a_version_as_an_update() {
        let version = sample();
        let live = Doc::new();
        {
            let frag = live.get_or_insert_xml_fragment("default");
            let map = live.get_or_insert_map("meta");
            let mut txn = live.transact_mut();
            let p = frag.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
            p.push_back(&mut txn, XmlTextPrelim::new("other content"));
            map.insert(&mut txn, "nested", MapPrelim::default());
        }
        // A peer holding the live document receives only the restore update.
        let peer = Doc::new();
        let state = live
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        peer.transact_mut()
            .apply_update(Update::decode_v1(&state).unwrap())
            .unwrap();
        let update = replace_content(&live, &version).unwrap();
        peer.transact_mut()
            .apply_update(Update::decode_v1(&update).unwrap())
            .unwrap();
        for doc in [&live, &peer] {
            assert_eq!(
                render(doc, ContentFormat::Json),
                render(&version, ContentFormat::Json)
            );
        }
        // Restoring the same content again still yields a (delete + insert) update; restoring
        // into an empty doc from an empty version does nothing.
        assert!(replace_content(&Doc::new(), &Doc::new()).is_none());
    }
}
