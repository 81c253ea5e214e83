//! `POST /api/v1/projects/{project}/docs/import`: a Markdown or Word (.docx) file becomes a new
//! document.
//!
//! Both formats are read into [`atrium_pdf::rich_text`]'s block tree (the same tree exports
//! are written from) and the tree is written as the editor's own shape into the `default`
//! fragment ([`update_of`]), so the imported document is edited live like any other. Markdown:
//! headings, paragraphs, bold/italic/strike/code/links, bullet, ordered and task lists (nested
//! by indentation), pipe tables, quotes, fenced code, rules. Word: headings by paragraph style
//! (`Title`, `Heading1`–`Heading6`), paragraphs, bold/italic/strike/underline runs, lists by
//! `numPr` (bullet or numbered from `numbering.xml`, nested by level), tables.
//!
//! Every input is hostile: the upload is capped ([`MAX_IMPORT_BYTES`], else 413); a .docx may
//! hold at most [`MAX_ZIP_ENTRIES`] entries and its parts inflate to at most
//! [`MAX_INFLATED_BYTES`] in all (charged to the search extractor's expansion [`Budget`] as
//! they inflate, so a zip bomb stops there whatever its headers claim); a node reads two files
//! at a time; nesting is cut at [`MAX_NESTING`]. A file that cannot be read answers 422 and
//! creates nothing.

use std::collections::HashMap;
use std::io::Cursor;

use atrium_client::wire::{Doc, ErrorBody};
use atrium_pdf::rich_text::{Block, CalloutKind, Inline, Run, TaskItem};
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yrs::types::xml::{XmlElementPrelim, XmlTextPrelim};
use yrs::{Any, Doc as YDoc, Text, Transact, WriteTxn, Xml, XmlElementRef, XmlFragment};

use crate::auth::CurrentUser;
use crate::authz::{self, ProjectAction, Resource, ResourceKind};
use crate::error::{ApiError, Result};
use crate::files::extract::budget::{Budget, is_exceeded, read_all};
use crate::http::extract::{Json, Path};
use crate::state::AppState;

/// Largest file accepted.
pub const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;
/// Multipart framing allowed on top of the file.
const MULTIPART_SLACK: usize = 16 * 1024;
/// Most entries a .docx may list.
pub const MAX_ZIP_ENTRIES: usize = 2_000;
/// Most bytes the parts read from a .docx may inflate to, together.
pub const MAX_INFLATED_BYTES: u64 = 32 * 1024 * 1024;
/// Lists and quotes nested deeper than this are read as paragraphs.
pub const MAX_NESTING: usize = 16;
/// Most blocks read from one file.
const MAX_BLOCKS: usize = 50_000;

/// Files read at once on this node.
const CONCURRENT_IMPORTS: usize = 2;

fn slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(CONCURRENT_IMPORTS))
}

/// The import route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_doc))
        .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES + MULTIPART_SLACK))
}

/// The multipart form an import sends (the handler reads the part as a stream).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ImportForm {
    /// A `.md` (text/markdown) or `.docx` file, its name in the part's `filename`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Import a Markdown or Word file as a new document of the project (editors). The title is
/// the file's first heading when it opens with one, else its name.
#[utoipa::path(post, path = "/api/v1/projects/{project}/docs/import", tag = "docs", params(("project" = String, Path)),
    request_body(content = ImportForm, content_type = "multipart/form-data", description = "A part named `file`: Markdown or .docx"),
    responses(
    (status = 201, description = "The new document", body = Doc),
    (status = 403, description = "Read-only role", body = ErrorBody),
    (status = 404, description = "No such project", body = ErrorBody),
    (status = 413, description = "The file is larger than 8 MiB", body = ErrorBody),
    (status = 415, description = "Not multipart/form-data", body = ErrorBody),
    (status = 422, description = "Not a Markdown or .docx file, or one that cannot be read (`invalid_import`); nothing was created", body = ErrorBody)))]
async fn import_doc(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(project_id): Path<String>,
    body: std::result::Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Doc>)> {
    let access = authz::require_in_project(
        &state.db,
        user.id(),
        &project_id,
        "project",
        Resource::new(ResourceKind::Document),
        ProjectAction::Write,
    )
    .await?;
    let mut body = body.map_err(|e| {
        ApiError::UnsupportedMediaType(format!(
            "send the file as multipart/form-data ({})",
            e.body_text()
        ))
    })?;
    let (name, content_type, bytes) = read_file(&mut body).await?;
    let kind = Kind::of(&name, &content_type, &bytes)?;
    // A few files are read at once on this node, so concurrent imports cannot multiply the
    // inflate budget past what memory holds.
    let _slot = slots().acquire().await.map_err(ApiError::internal)?;
    let (title, update) = tokio::task::spawn_blocking(move || -> Result<_> {
        let mut blocks = match kind {
            Kind::Markdown => {
                let text = std::str::from_utf8(&bytes)
                    .map_err(|_| invalid("the Markdown file is not UTF-8 text"))?;
                markdown(text)
            }
            Kind::Docx => docx(&bytes)?,
        };
        let title = take_title(&mut blocks).unwrap_or_else(|| title_from_name(&name));
        Ok((title, update_of(&blocks)))
    })
    .await
    .map_err(ApiError::internal)??;
    let content = super::create::Content {
        update,
        field: "file",
        too_large: "the file's content is larger than a document may be",
    };
    let doc = super::create::create(&state, &access, &title, user.id(), Some(content)).await?;
    Ok((StatusCode::CREATED, Json(doc)))
}

/// 422 naming the file as what is wrong.
fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::invalid_field("file", message)
}

fn multipart_error(error: MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::bad_request("invalid_multipart", error.body_text())
    }
}

/// The first part that is a file: its name, declared type and bytes (at most the limit).
async fn read_file(body: &mut Multipart) -> Result<(String, String, Vec<u8>)> {
    while let Some(mut field) = body.next_field().await.map_err(multipart_error)? {
        let Some(name) = field.file_name().map(str::to_owned) else {
            continue;
        };
        let content_type = field.content_type().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > MAX_IMPORT_BYTES {
                return Err(ApiError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok((name, content_type, bytes));
    }
    Err(invalid("the form has no file part"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Markdown,
    Docx,
}

impl Kind {
    fn of(name: &str, content_type: &str, bytes: &[u8]) -> Result<Self> {
        let lower = name.to_ascii_lowercase();
        let zip = bytes.starts_with(b"PK\x03\x04");
        if lower.ends_with(".docx")
            || content_type
                == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        {
            return if zip {
                Ok(Self::Docx)
            } else {
                Err(invalid("the .docx file is not a zip archive"))
            };
        }
        if [".md", ".markdown", ".txt"]
            .iter()
            .any(|e| lower.ends_with(e))
            || matches!(
                content_type,
                "text/markdown" | "text/plain" | "text/x-markdown"
            )
        {
            return Ok(Self::Markdown);
        }
        Err(invalid(
            "import takes a Markdown (.md) or Word (.docx) file",
        ))
    }
}

/// The first block's text as the title when it is a heading (it is taken out of the body, so
/// an exported document comes back as it was).
fn take_title(blocks: &mut Vec<Block>) -> Option<String> {
    let Some(Block::Heading { inline, .. }) = blocks.first() else {
        return None;
    };
    let title: String = inline
        .iter()
        .map(|i| match i {
            Inline::Text(run) => run.text.as_str(),
            Inline::Break => " ",
        })
        .collect();
    let title = clean_title(&title)?;
    blocks.remove(0);
    Some(title)
}

fn clean_title(text: &str) -> Option<String> {
    let title: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    (!title.is_empty()).then_some(title)
}

fn title_from_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = base.rsplit_once('.').map_or(base, |(stem, _)| stem);
    clean_title(stem).unwrap_or_else(|| "Untitled".to_owned())
}

// --- Markdown -------------------------------------------------------------------------------

/// The blocks of a Markdown text.
pub fn markdown(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = md_blocks(&lines, 0);
    blocks.truncate(MAX_BLOCKS);
    blocks
}

fn indent_of(line: &str) -> usize {
    line.chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

fn heading_of(line: &str) -> Option<(u8, &str)> {
    let t = line.trim_start();
    let hashes = t.chars().take_while(|&c| c == '#').count();
    let rest = &t[hashes..];
    ((1..=6).contains(&hashes) && (rest.is_empty() || rest.starts_with(' ')))
        .then(|| (hashes as u8, rest.trim().trim_end_matches('#').trim_end()))
}

fn is_rule(line: &str) -> bool {
    let t: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    t.len() >= 3
        && (t.chars().all(|c| c == '-')
            || t.chars().all(|c| c == '*')
            || t.chars().all(|c| c == '_'))
}

/// A list marker: (ordered start, task state, text after the marker, marker width).
fn list_marker(line: &str) -> Option<(Option<u64>, Option<bool>, &str, usize)> {
    let indent = line.len() - line.trim_start().len();
    let t = line.trim_start();
    let (ordered, rest, width) = if let Some(rest) = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .or_else(|| t.strip_prefix("+ "))
    {
        (None, rest, 2)
    } else {
        let digits = t.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let after = &t[digits..];
        let rest = after
            .strip_prefix(". ")
            .or_else(|| after.strip_prefix(") "))?;
        (Some(t[..digits].parse().ok()?), rest, digits + 2)
    };
    let (task, rest) = match ordered {
        None if rest.starts_with("[ ] ") => (Some(false), &rest[4..]),
        None if rest.starts_with("[x] ") || rest.starts_with("[X] ") => (Some(true), &rest[4..]),
        _ => (None, rest),
    };
    Some((ordered, task, rest, indent + width))
}

fn table_cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = t.strip_suffix('|').unwrap_or(t);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            c => cell.push(c),
        }
    }
    cells.push(cell.trim().to_owned());
    cells
}

fn is_table_separator(line: &str) -> bool {
    let t = line.trim();
    t.contains('-')
        && t.contains('|')
        && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'))
}

fn starts_block(line: &str) -> bool {
    let t = line.trim_start();
    heading_of(line).is_some()
        || t.starts_with("```")
        || t.starts_with("~~~")
        || t.starts_with('>')
        || t.starts_with('|')
        || is_rule(line)
        || list_marker(line).is_some()
}

fn md_blocks(lines: &[&str], depth: usize) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() && blocks.len() < MAX_BLOCKS {
        let line = lines[i];
        let t = line.trim_start();
        if t.is_empty() {
            i += 1;
            continue;
        }
        if let Some(fence) = ["```", "~~~"].into_iter().find(|f| t.starts_with(f)) {
            let mut code = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with(fence) {
                code.push(lines[i]);
                i += 1;
            }
            i += 1;
            blocks.push(Block::CodeBlock {
                text: code.join("\n"),
            });
            continue;
        }
        if let Some((level, text)) = heading_of(line) {
            blocks.push(Block::Heading {
                level,
                inline: md_inline(text),
            });
            i += 1;
            continue;
        }
        if is_rule(line) {
            blocks.push(Block::Rule);
            i += 1;
            continue;
        }
        if t.starts_with('>') {
            let mut quoted = Vec::new();
            while i < lines.len() && lines[i].trim_start().starts_with('>') {
                let q = lines[i].trim_start()[1..]
                    .strip_prefix(' ')
                    .unwrap_or(&lines[i].trim_start()[1..]);
                quoted.push(q);
                i += 1;
            }
            // A GitHub alert (`> [!NOTE]` on the quote's first line) is a callout.
            let alert = quoted.first().and_then(|l| alert_kind(l));
            blocks.push(if depth >= MAX_NESTING {
                paragraph_of(&quoted.join(" "))
            } else if let Some(kind) = alert {
                Block::Callout {
                    kind,
                    blocks: md_blocks(&quoted[1..], depth + 1),
                }
            } else {
                Block::Quote {
                    blocks: md_blocks(&quoted, depth + 1),
                }
            });
            continue;
        }
        if t.starts_with('|') && i + 1 < lines.len() && is_table_separator(lines[i + 1]) {
            let mut rows = vec![table_cells(line)];
            i += 2;
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                rows.push(table_cells(lines[i]));
                i += 1;
            }
            let columns = rows.iter().map(Vec::len).max().unwrap_or(1);
            blocks.push(Block::Table {
                columns,
                header: true,
                rows: rows
                    .into_iter()
                    .map(|row| {
                        let mut cells: Vec<Vec<Block>> =
                            row.iter().map(|c| vec![paragraph_of(c)]).collect();
                        cells.resize(columns, vec![paragraph_of("")]);
                        cells
                    })
                    .collect(),
            });
            continue;
        }
        if let Some((ordered, task, _, _)) = list_marker(line) {
            let base = indent_of(line);
            let mut items: Vec<(Option<bool>, Vec<Block>)> = Vec::new();
            let start = ordered.unwrap_or(1);
            while i < lines.len() {
                let Some((o, tk, text, width)) = list_marker(lines[i]) else {
                    break;
                };
                if indent_of(lines[i]) != base
                    || o.is_some() != ordered.is_some()
                    || tk.is_some() != task.is_some()
                {
                    break;
                }
                let mut body = vec![text];
                i += 1;
                // The item's own lines: indented under its marker, or a paragraph's lazy
                // continuation; a blank line followed by indented text stays in the item.
                while i < lines.len() {
                    let l = lines[i];
                    if l.trim().is_empty() {
                        if i + 1 < lines.len()
                            && indent_of(lines[i + 1]) >= width
                            && !lines[i + 1].trim().is_empty()
                        {
                            body.push("");
                            i += 1;
                            continue;
                        }
                        break;
                    }
                    if indent_of(l) >= width {
                        body.push(l.get(width.min(l.len())..).unwrap_or(""));
                    } else if !starts_block(l) {
                        body.push(l.trim_start());
                    } else {
                        break;
                    }
                    i += 1;
                }
                let inner = if depth >= MAX_NESTING {
                    vec![paragraph_of(&body.join(" "))]
                } else {
                    md_blocks(&body, depth + 1)
                };
                items.push((tk, inner));
            }
            blocks.push(match (ordered, task) {
                (_, Some(_)) => Block::TaskList {
                    items: items
                        .into_iter()
                        .map(|(checked, blocks)| TaskItem {
                            checked: checked == Some(true),
                            blocks,
                        })
                        .collect(),
                },
                (Some(_), None) => Block::OrderedList {
                    start,
                    items: items.into_iter().map(|(_, b)| b).collect(),
                },
                (None, None) => Block::BulletList {
                    items: items.into_iter().map(|(_, b)| b).collect(),
                },
            });
            continue;
        }
        // A paragraph: lines up to a blank line or the start of another block; a line ending
        // in two spaces or a backslash breaks there.
        let mut inline = Vec::new();
        let mut first = true;
        while i < lines.len() && !lines[i].trim().is_empty() && (first || !starts_block(lines[i])) {
            let l = lines[i].trim_start();
            let hard = l.ends_with("  ") || l.ends_with('\\');
            let text = l.trim_end().trim_end_matches('\\');
            if !first && !matches!(inline.last(), Some(Inline::Break)) {
                inline.push(Inline::Text(Run::plain(" ")));
            }
            inline.extend(md_inline(text));
            if hard && i + 1 < lines.len() && !lines[i + 1].trim().is_empty() {
                inline.push(Inline::Break);
            }
            first = false;
            i += 1;
        }
        blocks.push(Block::Paragraph {
            inline: merge_runs(inline),
        });
    }
    blocks
}

/// The callout a GitHub alert line (`[!NOTE]`, `[!TIP]`, `[!IMPORTANT]`, `[!WARNING]`,
/// `[!CAUTION]`) stands for.
fn alert_kind(line: &str) -> Option<CalloutKind> {
    let name = line.trim().strip_prefix("[!")?.strip_suffix(']')?;
    match name.to_ascii_uppercase().as_str() {
        "NOTE" | "IMPORTANT" => Some(CalloutKind::Info),
        "TIP" => Some(CalloutKind::Success),
        "WARNING" => Some(CalloutKind::Warning),
        "CAUTION" => Some(CalloutKind::Danger),
        _ => None,
    }
}

fn paragraph_of(text: &str) -> Block {
    Block::Paragraph {
        inline: md_inline(text),
    }
}

/// An emphasis delimiter and the mark it sets.
type Marker = (&'static [char], fn(&mut Marks));

/// Marks of the inline parser: which are open.
#[derive(Clone, Default)]
struct Marks {
    bold: bool,
    italic: bool,
    strike: bool,
}

/// Inline Markdown: `**bold**`/`__bold__`, `*italic*`/`_italic_`, `~~strike~~`, `` `code` ``,
/// `[text](url)`, backslash escapes. Unclosed markers stay as typed.
pub fn md_inline(text: &str) -> Vec<Inline> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    inline_span(&chars, &Marks::default(), None, &mut out, 0);
    merge_runs(out)
}

fn find_closing(chars: &[char], from: usize, marker: &[char]) -> Option<usize> {
    let mut i = from;
    while i + marker.len() <= chars.len() {
        if chars[i] == '\\' {
            i += 2;
            continue;
        }
        if chars[i] == '`' {
            // Code spans hide markers.
            let close = (i + 1..chars.len()).find(|&j| chars[j] == '`')?;
            i = close + 1;
            continue;
        }
        if chars[i..i + marker.len()] == *marker && i > from {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn push_text(out: &mut Vec<Inline>, text: &str, marks: &Marks, href: Option<&str>) {
    if text.is_empty() {
        return;
    }
    out.push(Inline::Text(Run {
        text: text.to_owned(),
        bold: marks.bold,
        italic: marks.italic,
        strike: marks.strike,
        href: href.map(str::to_owned),
        ..Run::default()
    }));
}

fn inline_span(
    chars: &[char],
    marks: &Marks,
    href: Option<&str>,
    out: &mut Vec<Inline>,
    depth: usize,
) {
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let rest = &chars[i..];
        if c == '\\' && i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() {
            text.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if c == '`' {
            if let Some(close) = (i + 1..chars.len()).find(|&j| chars[j] == '`') {
                push_text(out, &text, marks, href);
                text.clear();
                let code: String = chars[i + 1..close].iter().collect();
                out.push(Inline::Text(Run {
                    text: code,
                    code: true,
                    href: href.map(str::to_owned),
                    ..Run::default()
                }));
                i = close + 1;
                continue;
            }
        }
        if depth < 8 {
            let markers: [Marker; 5] = [
                (&['*', '*'], |m| m.bold = true),
                (&['_', '_'], |m| m.bold = true),
                (&['~', '~'], |m| m.strike = true),
                (&['*'], |m| m.italic = true),
                (&['_'], |m| m.italic = true),
            ];
            let mut matched = false;
            for (marker, set) in markers {
                if rest.starts_with(marker)
                    && rest.get(marker.len()).is_some_and(|c| !c.is_whitespace())
                {
                    if let Some(close) = find_closing(chars, i + marker.len(), marker) {
                        push_text(out, &text, marks, href);
                        text.clear();
                        let mut inner = marks.clone();
                        set(&mut inner);
                        inline_span(
                            &chars[i + marker.len()..close],
                            &inner,
                            href,
                            out,
                            depth + 1,
                        );
                        i = close + marker.len();
                        matched = true;
                        break;
                    }
                }
            }
            if matched {
                continue;
            }
            if c == '[' && href.is_none() {
                if let Some(close) = find_closing(chars, i + 1, &[']']) {
                    if chars.get(close + 1) == Some(&'(') {
                        if let Some(end) = (close + 2..chars.len()).find(|&j| chars[j] == ')') {
                            let target: String = chars[close + 2..end].iter().collect();
                            let target = target.split_whitespace().next().unwrap_or("").to_owned();
                            push_text(out, &text, marks, href);
                            text.clear();
                            inline_span(&chars[i + 1..close], marks, Some(&target), out, depth + 1);
                            i = end + 1;
                            continue;
                        }
                    }
                }
            }
        }
        text.push(c);
        i += 1;
    }
    push_text(out, &text, marks, href);
}

/// Neighbouring runs with the same marks as one.
fn merge_runs(inline: Vec<Inline>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(inline.len());
    for item in inline {
        if let (Some(Inline::Text(last)), Inline::Text(run)) = (out.last_mut(), &item) {
            let same = Run {
                text: String::new(),
                ..last.clone()
            } == Run {
                text: String::new(),
                ..run.clone()
            };
            if same {
                last.text.push_str(&run.text);
                continue;
            }
        }
        out.push(item);
    }
    out
}

// --- Word (.docx) ---------------------------------------------------------------------------

fn read_part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    budget: &Budget,
) -> Result<Option<Vec<u8>>> {
    let entry = match archive.by_name(name) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(invalid(format!("the .docx file is damaged ({e})"))),
    };
    match read_all(entry, budget) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if is_exceeded(&e) => Err(invalid(format!(
            "the .docx file expands to more than {} MiB",
            MAX_INFLATED_BYTES / (1024 * 1024)
        ))),
        Err(e) => Err(invalid(format!("the .docx file is damaged ({e})"))),
    }
}

/// The blocks of a Word document.
pub fn docx(bytes: &[u8]) -> Result<Vec<Block>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        invalid(format!(
            "the .docx file is not a readable zip archive ({e})"
        ))
    })?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(invalid(format!(
            "the .docx file holds more than {MAX_ZIP_ENTRIES} entries"
        )));
    }
    // The search extractor's expansion budget: every inflated byte of every part is charged.
    let budget = Budget::new(MAX_INFLATED_BYTES);
    let document = read_part(&mut archive, "word/document.xml", &budget)?
        .ok_or_else(|| invalid("the file is not a Word document (no word/document.xml)"))?;
    let numbering = read_part(&mut archive, "word/numbering.xml", &budget)?
        .map(|xml| ordered_levels(&xml))
        .unwrap_or_default();
    let paragraphs = docx_body(&document, &numbering)?;
    Ok(group_lists(paragraphs))
}

fn local(name: &[u8]) -> &[u8] {
    name.rsplit(|&b| b == b':').next().unwrap_or(name)
}

fn attr_value(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (local(a.key.as_ref()) == name).then(|| String::from_utf8_lossy(&a.value).into_owned())
    })
}

/// A toggle property (`<w:b/>`, `<w:b w:val="0"/>`): on unless its value says off.
fn toggle_on(e: &BytesStart) -> bool {
    !matches!(
        attr_value(e, b"val").as_deref(),
        Some("0" | "false" | "none")
    )
}

/// Which (numId, level) pairs number their items (anything but bullets).
fn ordered_levels(xml: &[u8]) -> HashMap<(String, u8), bool> {
    let mut abstract_levels: HashMap<(String, u8), bool> = HashMap::new();
    let mut num_to_abstract: HashMap<String, String> = HashMap::new();
    let mut reader = Reader::from_reader(xml);
    let (mut abstract_id, mut level, mut num_id) = (None::<String>, 0u8, None::<String>);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match local(e.name().as_ref()) {
                b"abstractNum" => abstract_id = attr_value(&e, b"abstractNumId"),
                b"lvl" => {
                    level = attr_value(&e, b"ilvl")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0)
                }
                b"numFmt" => {
                    if let Some(id) = &abstract_id {
                        let ordered =
                            attr_value(&e, b"val").is_some_and(|v| v != "bullet" && v != "none");
                        abstract_levels.insert((id.clone(), level), ordered);
                    }
                }
                b"num" => num_id = attr_value(&e, b"numId"),
                b"abstractNumId" => {
                    if let (Some(num), Some(abs)) = (&num_id, attr_value(&e, b"val")) {
                        num_to_abstract.insert(num.clone(), abs);
                    }
                }
                _ => {}
            },
            Ok(Event::End(e)) if local(e.name().as_ref()) == b"abstractNum" => abstract_id = None,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    let mut out = HashMap::new();
    for (num, abs) in num_to_abstract {
        for level in 0..9u8 {
            if let Some(ordered) = abstract_levels.get(&(abs.clone(), level)) {
                out.insert((num.clone(), level), *ordered);
            }
        }
    }
    out
}

/// A paragraph of the body before lists are grouped: a block, or a list item with its level.
enum Para {
    Block(Block),
    Item {
        ordered: bool,
        level: usize,
        inline: Vec<Inline>,
    },
}

#[derive(Default)]
struct ParaState {
    style: Option<String>,
    num: Option<(String, u8)>,
    inline: Vec<Inline>,
}

#[derive(Default, Clone)]
struct RunState {
    bold: bool,
    italic: bool,
    strike: bool,
    underline: bool,
}

/// A table being read: rows of cells of paragraphs.
#[derive(Default)]
struct TableState {
    rows: Vec<Vec<Vec<Block>>>,
    row: Vec<Vec<Block>>,
    cell: Vec<Block>,
}

fn docx_body(xml: &[u8], numbering: &HashMap<(String, u8), bool>) -> Result<Vec<Para>> {
    let mut reader = Reader::from_reader(xml);
    let mut out: Vec<Para> = Vec::new();
    let mut tables: Vec<TableState> = Vec::new();
    let mut too_deep = 0usize;
    let mut para: Option<ParaState> = None;
    let mut run = RunState::default();
    let mut in_rpr = false;
    let mut in_text = false;
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| invalid(format!("word/document.xml is not well-formed XML ({e})")))?;
        // An empty element (`<w:b/>`) opens and closes at once.
        let empty = matches!(&event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => match local(e.name().as_ref()) {
                b"tbl" if !empty && tables.len() < MAX_NESTING => {
                    tables.push(TableState::default());
                }
                // Tables nested deeper than that: their cells' paragraphs join the enclosing
                // cell.
                b"tbl" if !empty => too_deep += 1,
                b"tr" => {}
                b"p" if !empty => {
                    para = Some(ParaState::default());
                    run = RunState::default();
                }
                b"pStyle" => {
                    if let Some(p) = para.as_mut() {
                        p.style = attr_value(&e, b"val");
                    }
                }
                b"ilvl" => {
                    if let Some(p) = para.as_mut() {
                        let level = attr_value(&e, b"val")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0);
                        let id = p.num.take().map(|(id, _)| id).unwrap_or_default();
                        p.num = Some((id, level));
                    }
                }
                b"numId" => {
                    if let Some(p) = para.as_mut() {
                        let level = p.num.take().map_or(0, |(_, l)| l);
                        p.num = Some((attr_value(&e, b"val").unwrap_or_default(), level));
                    }
                }
                b"r" => run = RunState::default(),
                b"rPr" => in_rpr = !empty,
                b"b" if in_rpr => run.bold = toggle_on(&e),
                b"i" if in_rpr => run.italic = toggle_on(&e),
                b"strike" | b"dstrike" if in_rpr => run.strike = toggle_on(&e),
                b"u" if in_rpr => run.underline = toggle_on(&e),
                b"t" => in_text = !empty,
                b"tab" if !in_rpr => push_run(&mut para, "\t", &run),
                b"br" | b"cr" => {
                    if let Some(p) = para.as_mut() {
                        p.inline.push(Inline::Break);
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_text => {
                let text = t
                    .decode()
                    .map_err(|e| invalid(format!("word/document.xml has bad text ({e})")))?;
                push_run(&mut para, &text, &run);
            }
            Event::GeneralRef(r) if in_text => {
                let name = r.decode().unwrap_or_default();
                let ch = match name.as_ref() {
                    "amp" => Some("&".to_owned()),
                    "lt" => Some("<".to_owned()),
                    "gt" => Some(">".to_owned()),
                    "quot" => Some("\"".to_owned()),
                    "apos" => Some("'".to_owned()),
                    n => n
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32)
                        .map(String::from),
                };
                if let Some(ch) = ch {
                    push_run(&mut para, &ch, &run);
                }
            }
            Event::End(e) => match local(e.name().as_ref()) {
                b"t" => in_text = false,
                b"rPr" => in_rpr = false,
                b"p" => {
                    if let Some(p) = para.take() {
                        let item = finish_paragraph(p, numbering);
                        match tables.last_mut() {
                            Some(table) => table.cell.push(match item {
                                Para::Block(b) => b,
                                Para::Item { inline, .. } => Block::Paragraph { inline },
                            }),
                            None => out.push(item),
                        }
                    }
                }
                b"tc" => {
                    if let Some(table) = tables.last_mut() {
                        let cell = std::mem::take(&mut table.cell);
                        table.row.push(cell);
                    }
                }
                b"tr" => {
                    if let Some(table) = tables.last_mut() {
                        let row = std::mem::take(&mut table.row);
                        table.rows.push(row);
                    }
                }
                b"tbl" if too_deep > 0 => too_deep -= 1,
                b"tbl" => {
                    if let Some(table) = tables.pop() {
                        let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
                        if columns > 0 {
                            let block = Block::Table {
                                columns,
                                header: false,
                                rows: table
                                    .rows
                                    .into_iter()
                                    .map(|mut row| {
                                        row.resize(columns, Vec::new());
                                        row
                                    })
                                    .collect(),
                            };
                            match tables.last_mut() {
                                Some(outer) => outer.cell.push(block),
                                None => out.push(Para::Block(block)),
                            }
                        }
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
        if out.len() > MAX_BLOCKS {
            break;
        }
    }
    Ok(out)
}

fn push_run(para: &mut Option<ParaState>, text: &str, run: &RunState) {
    if let Some(p) = para.as_mut() {
        p.inline.push(Inline::Text(Run {
            text: text.to_owned(),
            bold: run.bold,
            italic: run.italic,
            strike: run.strike,
            underline: run.underline,
            ..Run::default()
        }));
    }
}

fn finish_paragraph(p: ParaState, numbering: &HashMap<(String, u8), bool>) -> Para {
    let inline = merge_runs(p.inline);
    let style = p
        .style
        .unwrap_or_default()
        .to_ascii_lowercase()
        .replace(' ', "");
    let level = if style == "title" {
        Some(1)
    } else {
        style
            .strip_prefix("heading")
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| (1..=6).contains(n))
    };
    if let Some(level) = level {
        return Para::Block(Block::Heading { level, inline });
    }
    match p.num {
        Some((id, level)) if !id.is_empty() && id != "0" => Para::Item {
            ordered: numbering.get(&(id, level)).copied().unwrap_or(false),
            level: usize::from(level).min(MAX_NESTING - 1),
            inline,
        },
        _ => Para::Block(Block::Paragraph { inline }),
    }
}

/// Runs of list-item paragraphs become (nested) lists.
fn group_lists(paras: Vec<Para>) -> Vec<Block> {
    let mut out = Vec::new();
    let mut items: Vec<(bool, usize, Vec<Inline>)> = Vec::new();
    for para in paras {
        match para {
            Para::Item {
                ordered,
                level,
                inline,
            } => items.push((ordered, level, inline)),
            Para::Block(block) => {
                if !items.is_empty() {
                    out.extend(nest_items(&std::mem::take(&mut items), 0));
                }
                out.push(block);
            }
        }
    }
    if !items.is_empty() {
        out.extend(nest_items(&items, 0));
    }
    out
}

/// Items at `level` become a list (a new list where ordered-ness changes); deeper items go
/// inside the item before them.
fn nest_items(items: &[(bool, usize, Vec<Inline>)], level: usize) -> Vec<Block> {
    let mut lists = Vec::new();
    let mut current: Option<(bool, Vec<Vec<Block>>)> = None;
    let mut i = 0;
    while i < items.len() {
        let (ordered, item_level, inline) = &items[i];
        let end = (i + 1..items.len())
            .find(|&j| items[j].1 <= level)
            .unwrap_or(items.len());
        let mut blocks = Vec::new();
        if *item_level <= level {
            blocks.push(Block::Paragraph {
                inline: inline.clone(),
            });
            if end > i + 1 {
                blocks.extend(nest_items(&items[i + 1..end], level + 1));
            }
        } else {
            // Items deeper than their predecessors' level with no parent at this level.
            blocks.extend(nest_items(&items[i..end], level + 1));
        }
        match &mut current {
            Some((o, list)) if *o == *ordered => list.push(blocks),
            _ => {
                if let Some(done) = current.take() {
                    lists.push(done);
                }
                current = Some((*ordered, vec![blocks]));
            }
        }
        i = end;
    }
    if let Some(done) = current {
        lists.push(done);
    }
    lists
        .into_iter()
        .map(|(ordered, items)| {
            if ordered {
                Block::OrderedList { start: 1, items }
            } else {
                Block::BulletList { items }
            }
        })
        .collect()
}

// --- Blocks to the editor's shape ------------------------------------------------------------

/// The Yjs v1 update that writes `blocks` into an empty document's `default` fragment, in the
/// node and mark names y-prosemirror uses for Tiptap.
pub fn update_of(blocks: &[Block]) -> Vec<u8> {
    let doc = YDoc::new();
    let mut txn = doc.transact_mut();
    let fragment = txn.get_or_insert_xml_fragment("default");
    write_blocks(&fragment, &mut txn, blocks, 0);
    txn.encode_update_v1()
}

fn element(parent: &impl XmlFragment, txn: &mut yrs::TransactionMut, tag: &str) -> XmlElementRef {
    parent.push_back(txn, XmlElementPrelim::empty(tag))
}

fn write_blocks(
    parent: &impl XmlFragment,
    txn: &mut yrs::TransactionMut,
    blocks: &[Block],
    depth: usize,
) {
    if depth > MAX_NESTING + 2 {
        return;
    }
    for block in blocks {
        match block {
            Block::Paragraph { inline } => {
                let p = element(parent, txn, "paragraph");
                write_inline(&p, txn, inline);
            }
            Block::Heading { level, inline } => {
                let h = element(parent, txn, "heading");
                h.insert_attribute(txn, "level", Any::from(f64::from((*level).clamp(1, 6))));
                write_inline(&h, txn, inline);
            }
            Block::BulletList { items } => {
                let list = element(parent, txn, "bulletList");
                for item in items {
                    let li = element(&list, txn, "listItem");
                    write_item(&li, txn, item, depth);
                }
            }
            Block::OrderedList { start, items } => {
                let list = element(parent, txn, "orderedList");
                list.insert_attribute(txn, "start", Any::from(*start as f64));
                for item in items {
                    let li = element(&list, txn, "listItem");
                    write_item(&li, txn, item, depth);
                }
            }
            Block::TaskList { items } => {
                let list = element(parent, txn, "taskList");
                for item in items {
                    let li = element(&list, txn, "taskItem");
                    li.insert_attribute(txn, "checked", Any::Bool(item.checked));
                    write_item(&li, txn, &item.blocks, depth);
                }
            }
            Block::Table { header, rows, .. } => {
                let table = element(parent, txn, "table");
                for (i, row) in rows.iter().enumerate() {
                    let tr = element(&table, txn, "tableRow");
                    let tag = if *header && i == 0 {
                        "tableHeader"
                    } else {
                        "tableCell"
                    };
                    for cell in row {
                        let td = element(&tr, txn, tag);
                        td.insert_attribute(txn, "colspan", Any::from(1.0));
                        td.insert_attribute(txn, "rowspan", Any::from(1.0));
                        write_item(&td, txn, cell, depth);
                    }
                }
            }
            Block::CodeBlock { text } => {
                let code = element(parent, txn, "codeBlock");
                code.push_back(txn, XmlTextPrelim::new(text.as_str()));
            }
            Block::Quote { blocks } => {
                let quote = element(parent, txn, "blockquote");
                write_item(&quote, txn, blocks, depth);
            }
            Block::Callout { kind, blocks } => {
                let callout = element(parent, txn, "callout");
                callout.insert_attribute(txn, "kind", Any::from(kind.as_str()));
                write_some(&callout, txn, blocks, depth);
            }
            Block::Toggle { summary, blocks } => {
                let details = element(parent, txn, "details");
                let head = element(&details, txn, "detailsSummary");
                write_inline(&head, txn, summary);
                let body = element(&details, txn, "detailsContent");
                write_some(&body, txn, blocks, depth);
            }
            Block::Rule => {
                element(parent, txn, "horizontalRule");
            }
            Block::Image { alt } => {
                let p = element(parent, txn, "paragraph");
                p.push_back(txn, XmlTextPrelim::new(alt.as_str()));
            }
        }
    }
}

/// A list item's, cell's or quote's blocks: the editor's schema wants a paragraph first (list
/// items) or at least one block (cells, quotes).
fn write_item(
    parent: &XmlElementRef,
    txn: &mut yrs::TransactionMut,
    blocks: &[Block],
    depth: usize,
) {
    if !matches!(blocks.first(), Some(Block::Paragraph { .. })) {
        element(parent, txn, "paragraph");
    }
    write_blocks(parent, txn, blocks, depth + 1);
}

/// A callout's or toggle's blocks: at least one (an empty paragraph when there are none).
fn write_some(
    parent: &XmlElementRef,
    txn: &mut yrs::TransactionMut,
    blocks: &[Block],
    depth: usize,
) {
    if blocks.is_empty() {
        element(parent, txn, "paragraph");
    }
    write_blocks(parent, txn, blocks, depth + 1);
}

fn write_inline(parent: &XmlElementRef, txn: &mut yrs::TransactionMut, inline: &[Inline]) {
    let mut text: Option<yrs::XmlTextRef> = None;
    for item in inline {
        match item {
            Inline::Break => {
                element(parent, txn, "hardBreak");
                text = None;
            }
            Inline::Text(run) if run.text.is_empty() => {}
            Inline::Text(run) => {
                let t = text.get_or_insert_with(|| parent.push_back(txn, XmlTextPrelim::new("")));
                let mut attrs = yrs::types::Attrs::new();
                let empty = || Any::Map(Default::default());
                for (on, name) in [
                    (run.bold, "bold"),
                    (run.italic, "italic"),
                    (run.code, "code"),
                    (run.strike, "strike"),
                    (run.underline, "underline"),
                ] {
                    if on {
                        attrs.insert(name.into(), empty());
                    }
                }
                if let Some(href) = &run.href {
                    let mut link = HashMap::new();
                    link.insert("href".to_owned(), Any::from(href.as_str()));
                    attrs.insert("link".into(), Any::from(link));
                }
                let at = t.len(txn);
                t.insert_with_attributes(txn, at, &run.text, attrs);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(inline: &[Inline]) -> String {
        inline
            .iter()
            .map(|i| match i {
                Inline::Text(r) => r.text.clone(),
                Inline::Break => "\n".to_owned(),
            })
            .collect()
    }

    #[test]
    fn inline_marks_links_and_escapes() {
        let inline = md_inline(r#"a **b _c_** `*d*` [e](https://x.test "t") \*f\* g*"#);
        let runs: Vec<&Run> = inline
            .iter()
            .filter_map(|i| match i {
                Inline::Text(r) => Some(r),
                Inline::Break => None,
            })
            .collect();
        assert_eq!(text(&inline), "a b c *d* e *f* g*");
        let find = |t: &str| runs.iter().find(|r| r.text == t).unwrap();
        assert!(find("b ").bold && !find("b ").italic);
        assert!(find("c").bold && find("c").italic);
        assert!(find("*d*").code);
        assert_eq!(find("e").href.as_deref(), Some("https://x.test"));
    }

    #[test]
    fn nested_lists_quotes_and_tables() {
        let blocks = markdown(
            "- one\n  - inner\n- two\nlazy\n\n1. first\n2. second\n\n> quoted\n> more\n\n\
             | a | b \\| c |\n|---|---|\n| 1 |\n",
        );
        let Block::BulletList { items } = &blocks[0] else {
            panic!("{blocks:?}")
        };
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[0][1], Block::BulletList { items } if items.len() == 1));
        assert!(matches!(&items[1][0], Block::Paragraph { inline } if text(inline) == "two lazy"));
        assert!(matches!(&blocks[1], Block::OrderedList { start: 1, items } if items.len() == 2));
        assert!(
            matches!(&blocks[2], Block::Quote { blocks } if matches!(&blocks[0], Block::Paragraph { inline } if text(inline) == "quoted more"))
        );
        let Block::Table {
            columns,
            rows,
            header,
            ..
        } = &blocks[3]
        else {
            panic!("{blocks:?}")
        };
        assert_eq!((*columns, *header, rows.len()), (2, true, 2));
        assert!(matches!(&rows[0][1][0], Block::Paragraph { inline } if text(inline) == "b | c"));
    }

    #[test]
    fn alerts_become_callouts_and_third_level_headings_stay() {
        let blocks = markdown("### Risks\n\n> [!WARNING]\n> Mind the gap\n\n> [!TIP]\n\n> plain");
        assert!(
            matches!(&blocks[0], Block::Heading { level: 3, inline } if text(inline) == "Risks")
        );
        assert!(
            matches!(&blocks[1], Block::Callout { kind: CalloutKind::Warning, blocks } if matches!(&blocks[0], Block::Paragraph { inline } if text(inline) == "Mind the gap"))
        );
        assert!(
            matches!(&blocks[2], Block::Callout { kind: CalloutKind::Success, blocks } if blocks.is_empty())
        );
        assert!(matches!(&blocks[3], Block::Quote { .. }));
        // Written as the editor's nodes, an empty callout holding one empty paragraph.
        use yrs::updates::decoder::Decode;
        let doc = YDoc::new();
        doc.transact_mut()
            .apply_update(yrs::Update::decode_v1(&update_of(&blocks)).unwrap())
            .unwrap();
        let md = atrium_collab::content::render(&doc, atrium_collab::ContentFormat::Markdown);
        assert_eq!(
            md,
            "### Risks\n\n> [!WARNING]\n> Mind the gap\n\n> [!TIP]\n> \n\n> plain"
        );
    }

    #[test]
    fn hostile_nesting_is_cut() {
        let deep: String = (0..500).map(|_| ">").collect::<String>() + " bottom";
        let blocks = markdown(&deep);
        let mut depth = 0;
        let mut current = &blocks[0];
        while let Block::Quote { blocks } = current {
            depth += 1;
            current = &blocks[0];
        }
        assert_eq!(depth, MAX_NESTING);
        // The update is written without running out of stack.
        assert!(!update_of(&blocks).is_empty());
    }

    #[test]
    fn titles() {
        let mut blocks = markdown("# Plan\n\nbody");
        assert_eq!(take_title(&mut blocks).as_deref(), Some("Plan"));
        assert_eq!(blocks.len(), 1);
        assert_eq!(title_from_name("dir/Q3 notes.final.md"), "Q3 notes.final");
        assert_eq!(title_from_name(".md"), "Untitled");
    }
}
