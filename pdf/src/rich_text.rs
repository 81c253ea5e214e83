//! Documents (the collaborative rich text) as PDFs: [`RichTextDocument`] is the editor's
//! content as a small tree of blocks and inline runs, and [`Renderer::render_rich_text`]
//! typesets it with `templates/rich_text.typ`.
//!
//! The tree reaches typst as JSON data that the template lays out, never as markup: a
//! document's text (`#`, `$`, `*`, `]`…) is shown as written and cannot run typst code.
//! Nesting deeper than [`MAX_NESTING`] is flattened into paragraphs before the compile, so a
//! hostile document stays within typst's call and layout depth limits.

use std::panic::{self, AssertUnwindSafe};
use std::sync::LazyLock;

use serde::Serialize;
use typst::diag::FileResult;
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, Source};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, World};
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

use crate::render::{EvictOnDrop, describe, panic_message};
use crate::world::{Resources, file_id, not_found};
use crate::{Error, Renderer, Result};

/// Blocks nested deeper than this (lists in lists in quotes…) are set as plain paragraphs.
pub const MAX_NESTING: usize = 12;

const TEMPLATE: &str = include_str!("../templates/rich_text.typ");
static TEMPLATE_ID: LazyLock<FileId> = LazyLock::new(|| file_id("/rich_text.typ"));
static DATA_ID: LazyLock<FileId> = LazyLock::new(|| file_id("/document.json"));

/// A document to typeset: its title (the first line of the PDF and its metadata) and blocks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RichTextDocument {
    pub title: String,
    pub blocks: Vec<Block>,
}

/// A block of a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        inline: Vec<Inline>,
    },
    /// Levels 1 to 6.
    Heading {
        level: u8,
        inline: Vec<Inline>,
    },
    BulletList {
        items: Vec<Vec<Block>>,
    },
    OrderedList {
        start: u64,
        items: Vec<Vec<Block>>,
    },
    TaskList {
        items: Vec<TaskItem>,
    },
    /// Every row has `columns` cells; `header`: the first row is the table's head.
    Table {
        columns: usize,
        header: bool,
        rows: Vec<Vec<Vec<Block>>>,
    },
    CodeBlock {
        text: String,
    },
    Quote {
        blocks: Vec<Block>,
    },
    /// A callout: blocks set apart in a tinted box labelled with its kind.
    Callout {
        /// Serialized as `tone`: `kind` names the block variant.
        #[serde(rename = "tone")]
        kind: CalloutKind,
        blocks: Vec<Block>,
    },
    /// A toggle (collapsible in the editor): its summary, then its blocks, always shown.
    Toggle {
        summary: Vec<Inline>,
        blocks: Vec<Block>,
    },
    Rule,
    /// An image, shown as its description (the picture itself lives in the org's files).
    Image {
        alt: String,
    },
}

/// What a callout says: its tint and label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CalloutKind {
    Info,
    Warning,
    Success,
    Danger,
}

impl CalloutKind {
    /// The editor's `kind` attribute; anything else is `Info`.
    pub fn parse(kind: &str) -> Self {
        match kind {
            "warning" => Self::Warning,
            "success" => Self::Success,
            "danger" => Self::Danger,
            _ => Self::Info,
        }
    }

    /// The editor's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Success => "success",
            Self::Danger => "danger",
        }
    }

    /// How it is labelled to readers.
    pub fn label(self) -> &'static str {
        match self {
            Self::Info => "Info",
            Self::Warning => "Warning",
            Self::Success => "Success",
            Self::Danger => "Danger",
        }
    }
}

/// One item of a task list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskItem {
    pub checked: bool,
    pub blocks: Vec<Block>,
}

/// Inline content: a run of text with its marks, or a line break.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Inline {
    Text(Run),
    Break,
}

/// A run of text. `href` is a link target the caller has already checked (http, https or
/// mailto); `mention`: an @mention, set apart.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Run {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
    pub code: bool,
    pub strike: bool,
    pub underline: bool,
    pub mention: bool,
    pub href: Option<String>,
}

impl Run {
    /// Plain text.
    pub fn plain(text: impl Into<String>) -> Self {
        Run {
            text: text.into(),
            ..Run::default()
        }
    }
}

impl Block {
    /// The block's text, marks dropped, for flattening what is nested too deep.
    fn plain_text(&self, out: &mut Vec<String>) {
        let inline_text = |inline: &[Inline]| -> String {
            inline
                .iter()
                .map(|i| match i {
                    Inline::Text(run) => run.text.as_str(),
                    Inline::Break => " ",
                })
                .collect()
        };
        match self {
            Block::Paragraph { inline } | Block::Heading { inline, .. } => {
                out.push(inline_text(inline))
            }
            Block::BulletList { items } | Block::OrderedList { items, .. } => {
                items.iter().flatten().for_each(|b| b.plain_text(out))
            }
            Block::TaskList { items } => items
                .iter()
                .flat_map(|i| &i.blocks)
                .for_each(|b| b.plain_text(out)),
            Block::Table { rows, .. } => rows
                .iter()
                .flatten()
                .flatten()
                .for_each(|b| b.plain_text(out)),
            Block::CodeBlock { text } => out.push(text.clone()),
            Block::Quote { blocks } | Block::Callout { blocks, .. } => {
                blocks.iter().for_each(|b| b.plain_text(out))
            }
            Block::Toggle { summary, blocks } => {
                out.push(inline_text(summary));
                blocks.iter().for_each(|b| b.plain_text(out))
            }
            Block::Rule => {}
            Block::Image { alt } => out.push(alt.clone()),
        }
    }
}

/// `blocks` with everything below `depth` levels of nesting turned into paragraphs.
fn limit_nesting(blocks: Vec<Block>, depth: usize) -> Vec<Block> {
    if depth >= MAX_NESTING {
        let mut texts = Vec::new();
        blocks.iter().for_each(|b| b.plain_text(&mut texts));
        return texts
            .into_iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| Block::Paragraph {
                inline: vec![Inline::Text(Run::plain(t))],
            })
            .collect();
    }
    let deeper = |blocks: Vec<Block>| limit_nesting(blocks, depth + 1);
    blocks
        .into_iter()
        .map(|block| match block {
            Block::BulletList { items } => Block::BulletList {
                items: items.into_iter().map(deeper).collect(),
            },
            Block::OrderedList { start, items } => Block::OrderedList {
                start,
                items: items.into_iter().map(deeper).collect(),
            },
            Block::TaskList { items } => Block::TaskList {
                items: items
                    .into_iter()
                    .map(|i| TaskItem {
                        checked: i.checked,
                        blocks: deeper(i.blocks),
                    })
                    .collect(),
            },
            Block::Table {
                columns,
                header,
                rows,
            } => Block::Table {
                columns,
                header,
                rows: rows
                    .into_iter()
                    .map(|row| row.into_iter().map(deeper).collect())
                    .collect(),
            },
            Block::Quote { blocks } => Block::Quote {
                blocks: deeper(blocks),
            },
            Block::Callout { kind, blocks } => Block::Callout {
                kind,
                blocks: deeper(blocks),
            },
            Block::Toggle { summary, blocks } => Block::Toggle {
                summary,
                blocks: deeper(blocks),
            },
            Block::Heading { level, inline } => Block::Heading {
                level: level.clamp(1, 6),
                inline,
            },
            other => other,
        })
        .collect()
}

/// What the template reads from `/document.json`.
#[derive(Serialize)]
struct Data<'a> {
    title: &'a str,
    fonts: Vec<&'static str>,
    blocks: Vec<Block>,
}

impl Renderer {
    /// The PDF of a document. Takes a core for tens of milliseconds (more for long documents):
    /// call it off the async threads, a few at a time.
    pub fn render_rich_text(&self, doc: &RichTextDocument) -> Result<Vec<u8>> {
        let data = Data {
            title: doc.title.trim(),
            fonts: self.resources.fonts.text_families(),
            blocks: limit_nesting(doc.blocks.clone(), 0),
        };
        let data = serde_json::to_vec(&data).map_err(|e| Error::Typeset(e.to_string()))?;
        let world = RichTextWorld {
            resources: &self.resources,
            template: Source::new(*TEMPLATE_ID, TEMPLATE.to_owned()),
            data: Bytes::new(data),
        };
        let _evict = EvictOnDrop;
        let options = PdfOptions {
            ident: Smart::Custom(format!("atrium-document {}", doc.title.trim())),
            creator: Smart::Custom(Some("Atrium".into())),
            ..PdfOptions::default()
        };
        panic::catch_unwind(AssertUnwindSafe(|| {
            let document: PagedDocument = typst::compile(&world)
                .output
                .map_err(|errors| Error::Typeset(describe(&errors)))?;
            typst_pdf::pdf(&document, &options).map_err(|errors| Error::Typeset(describe(&errors)))
        }))
        .unwrap_or_else(|payload| Err(Error::Typeset(panic_message(payload.as_ref()))))
    }
}

/// One compile's world: the template, the document's data, the fonts; nothing else.
struct RichTextWorld<'a> {
    resources: &'a Resources,
    template: Source,
    data: Bytes,
}

impl World for RichTextWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.resources.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.resources.fonts.book()
    }

    fn main(&self) -> FileId {
        *TEMPLATE_ID
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == *TEMPLATE_ID {
            Ok(self.template.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == *DATA_ID {
            Ok(self.data.clone())
        } else if id == *TEMPLATE_ID {
            Ok(Bytes::from_string(TEMPLATE))
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.resources.fonts.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paragraph(text: &str) -> Block {
        Block::Paragraph {
            inline: vec![Inline::Text(Run::plain(text))],
        }
    }

    /// Every kind of block, with text that would be markup (and code) if typst read it as such.
    pub(crate) fn sample() -> RichTextDocument {
        let run = |text: &str, f: fn(&mut Run)| {
            let mut r = Run::plain(text);
            f(&mut r);
            Inline::Text(r)
        };
        RichTextDocument {
            title: "Plan #set text(red) $x$".into(),
            blocks: vec![
                Block::Heading {
                    level: 1,
                    inline: vec![Inline::Text(Run::plain("Goals ] #panic(\"no\")"))],
                },
                Block::Paragraph {
                    inline: vec![
                        run("bold", |r| r.bold = true),
                        Inline::Break,
                        run("link", |r| r.href = Some("https://example.com".into())),
                        run(" @ada", |r| r.mention = true),
                        run("code()", |r| r.code = true),
                    ],
                },
                Block::BulletList {
                    items: vec![vec![paragraph("one")], vec![paragraph("two")]],
                },
                Block::OrderedList {
                    start: 3,
                    items: vec![vec![paragraph("three")]],
                },
                Block::TaskList {
                    items: vec![TaskItem {
                        checked: true,
                        blocks: vec![paragraph("done")],
                    }],
                },
                Block::Table {
                    columns: 2,
                    header: true,
                    rows: vec![
                        vec![vec![paragraph("Name")], vec![paragraph("Role")]],
                        vec![vec![paragraph("Ada")], vec![]],
                    ],
                },
                Block::CodeBlock {
                    text: "fn main() {}".into(),
                },
                Block::Quote {
                    blocks: vec![paragraph("quoted")],
                },
                Block::Callout {
                    kind: CalloutKind::Warning,
                    blocks: vec![paragraph("careful #emph[x]")],
                },
                Block::Toggle {
                    summary: vec![Inline::Text(Run::plain("More ]"))],
                    blocks: vec![paragraph("inside")],
                },
                Block::Rule,
                Block::Image {
                    alt: "chart".into(),
                },
            ],
        }
    }

    #[test]
    fn every_block_kind_typesets() {
        let renderer = Renderer::new(crate::Fonts::embedded_only());
        let pdf = renderer.render_rich_text(&sample()).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }

    #[test]
    fn deep_nesting_is_flattened() {
        let mut block = paragraph("bottom");
        for _ in 0..200 {
            block = Block::Quote {
                blocks: vec![block],
            };
        }
        let limited = limit_nesting(vec![block], 0);
        let mut depth = 0;
        let mut current = &limited[0];
        while let Block::Quote { blocks } = current {
            depth += 1;
            current = &blocks[0];
        }
        assert_eq!(depth, MAX_NESTING);
        assert_eq!(current, &paragraph("bottom"));
    }
}
