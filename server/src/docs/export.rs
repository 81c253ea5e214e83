//! `GET /api/v1/docs/{doc}/export?format=markdown|html|pdf`: a document as a download.
//!
//! Markdown is the collab hub's own decoding of the `default` fragment (the same as
//! `/content?format=markdown`). HTML and PDF start from the hub's JSON decoding of that
//! fragment (the ProseMirror document), read here once into [`atrium_pdf::rich_text`]'s tree
//! of blocks and inline runs; [`html_page`] writes the tree as a standalone, escaped HTML page
//! (also the public read-only page, see [`super::public_link`]) and the PDF crate typesets it.

use crate::http::download::attachment;
use atrium_client::wire::ErrorBody;
use atrium_collab::ContentFormat;
use atrium_pdf::RichTextDocument;
use atrium_pdf::rich_text::{Block, CalloutKind, Inline, Run, TaskItem};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::routes::{collab_error, doc_for};
use crate::auth::CurrentUser;
use crate::authz::ProjectAction;
use crate::error::{ApiError, Result};
use crate::http::extract::{Path, Query};
use crate::http::html::escape_html as escape;
use crate::state::AppState;

/// Deeper ProseMirror nesting than this is not read (the hub's decoder stops at 64 too).
const MAX_DEPTH: usize = 64;

/// The export route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_doc))
}

/// `?format=markdown|html|pdf`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `markdown` (or `md`), `html` or `pdf`.
    #[param(pattern = "^(markdown|md|html|pdf)$")]
    format: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Markdown,
    Html,
    Pdf,
}

impl Format {
    fn parse(s: &str) -> Result<Self> {
        match s {
            "markdown" | "md" => Ok(Self::Markdown),
            "html" => Ok(Self::Html),
            "pdf" => Ok(Self::Pdf),
            _ => Err(ApiError::bad_request(
                "invalid_format",
                "format must be markdown, html or pdf",
            )),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Markdown => "text/markdown; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
            Self::Pdf => "application/pdf",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Markdown => "md",
            Self::Html => "html",
            Self::Pdf => "pdf",
        }
    }
}

/// The document as a file: Markdown, a standalone HTML page, or a PDF (readers).
#[utoipa::path(get, path = "/api/v1/docs/{doc}/export", tag = "docs", params(("doc" = String, Path), ExportQuery), responses(
    (status = 200, description = "The file, as an attachment named after the document", content(
        (String = "text/markdown"),
        (String = "text/html"),
        (Vec<u8> = "application/pdf"),
    )),
    (status = 400, description = "Unknown format", body = ErrorBody),
    (status = 404, description = "No such document", body = ErrorBody)))]
async fn export_doc(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(doc_id): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Result<Response> {
    let format = Format::parse(&query.format)?;
    let doc = doc_for(&state, &user, &doc_id, ProjectAction::Read).await?;
    let body: Vec<u8> = match format {
        Format::Markdown => {
            let markdown = state
                .collab
                .content(&doc_id, ContentFormat::Markdown)
                .await
                .map_err(collab_error)?;
            format!("# {}\n\n{markdown}\n", doc.title).into_bytes()
        }
        Format::Html => html_page(&rich_text(&state, &doc_id, &doc.title).await?).into_bytes(),
        Format::Pdf => pdf(rich_text(&state, &doc_id, &doc.title).await?).await?,
    };
    let mut response = body.into_response();
    let name = format!("{}.{}", file_stem(&doc.title), format.extension());
    attachment(response.headers_mut(), format.content_type(), &name);
    Ok(response)
}

/// A file name from a title: letters, digits, spaces, dashes and underscores kept (any
/// script), the rest dropped; "document" when nothing is left. `content_disposition` adds the
/// ASCII fallback.
pub fn file_stem(title: &str) -> String {
    let kept: String = title
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .take(100)
        .collect();
    let kept = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    if kept.is_empty() {
        "document".to_owned()
    } else {
        kept
    }
}

/// The live document as the tree HTML and PDF are written from.
pub async fn rich_text(state: &AppState, doc_id: &str, title: &str) -> Result<RichTextDocument> {
    let json = state
        .collab
        .content(doc_id, ContentFormat::Json)
        .await
        .map_err(collab_error)?;
    let value: Value = serde_json::from_str(&json).map_err(ApiError::internal)?;
    Ok(RichTextDocument {
        title: title.to_owned(),
        blocks: blocks(&value["default"]["content"], 0),
    })
}

/// The PDF of `doc`, typeset off the async threads by the invoices' renderer, within its
/// bound on concurrent renders.
async fn pdf(doc: RichTextDocument) -> Result<Vec<u8>> {
    let _slot = crate::invoices::pdf::slots()
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || crate::invoices::pdf::renderer().render_rich_text(&doc))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

// --- ProseMirror JSON to blocks -------------------------------------------------------------

fn nodes(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn attr<'a>(node: &'a Value, name: &str) -> &'a Value {
    &node["attrs"][name]
}

fn attr_text(node: &Value, name: &str) -> String {
    match attr(node, name) {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn blocks(content: &Value, depth: usize) -> Vec<Block> {
    if depth > MAX_DEPTH {
        return Vec::new();
    }
    let mut out = Vec::new();
    for node in nodes(content) {
        block(node, depth, &mut out);
    }
    out
}

fn block(node: &Value, depth: usize, out: &mut Vec<Block>) {
    let children = &node["content"];
    let kind = node["type"].as_str().unwrap_or_default();
    let items = |children: &Value| -> Vec<Vec<Block>> {
        nodes(children)
            .iter()
            .map(|item| blocks(&item["content"], depth + 1))
            .collect()
    };
    match kind {
        "paragraph" => out.push(Block::Paragraph {
            inline: inline(children),
        }),
        "heading" => {
            let level = attr(node, "level").as_f64().unwrap_or(1.0).clamp(1.0, 6.0) as u8;
            out.push(Block::Heading {
                level,
                inline: inline(children),
            })
        }
        "bulletList" => out.push(Block::BulletList {
            items: items(children),
        }),
        "orderedList" => out.push(Block::OrderedList {
            start: attr(node, "start").as_f64().unwrap_or(1.0).max(0.0) as u64,
            items: items(children),
        }),
        "taskList" => out.push(Block::TaskList {
            items: nodes(children)
                .iter()
                .map(|item| TaskItem {
                    checked: matches!(attr(item, "checked"), Value::Bool(true))
                        || attr(item, "checked").as_str() == Some("true"),
                    blocks: blocks(&item["content"], depth + 1),
                })
                .collect(),
        }),
        "table" => {
            let rows: Vec<&Value> = nodes(children).iter().collect();
            let header = rows.first().is_some_and(|row| {
                let cells = nodes(&row["content"]);
                !cells.is_empty() && cells.iter().all(|c| c["type"] == "tableHeader")
            });
            let mut rows: Vec<Vec<Vec<Block>>> = rows
                .iter()
                .map(|row| {
                    nodes(&row["content"])
                        .iter()
                        .map(|cell| blocks(&cell["content"], depth + 1))
                        .collect()
                })
                .collect();
            let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
            if columns > 0 {
                rows.iter_mut()
                    .for_each(|row| row.resize(columns, Vec::new()));
                out.push(Block::Table {
                    columns,
                    header,
                    rows,
                });
            }
        }
        "codeBlock" => out.push(Block::CodeBlock {
            text: plain(children),
        }),
        "blockquote" => out.push(Block::Quote {
            blocks: blocks(children, depth + 1),
        }),
        "callout" => out.push(Block::Callout {
            kind: CalloutKind::parse(&attr_text(node, "kind")),
            blocks: blocks(children, depth + 1),
        }),
        // A toggle: `detailsSummary` (inline) and `detailsContent` (blocks).
        "details" => {
            let part = |name: &str| nodes(children).iter().find(|c| c["type"] == name);
            out.push(Block::Toggle {
                summary: part("detailsSummary").map_or_else(Vec::new, |s| inline(&s["content"])),
                blocks: part("detailsContent")
                    .map_or_else(Vec::new, |c| blocks(&c["content"], depth + 1)),
            })
        }
        "horizontalRule" => out.push(Block::Rule),
        "image" => out.push(Block::Image {
            alt: attr_text(node, "alt"),
        }),
        // Inline content at block level (a stray text or mention) is a paragraph.
        "text" | "mention" | "hardBreak" => out.push(Block::Paragraph {
            inline: inline(&Value::Array(vec![node.clone()])),
        }),
        // An unknown block: its children, as blocks when it has any, else its text.
        _ => {
            let inner = blocks(children, depth + 1);
            if inner.is_empty() {
                let text = plain(children);
                if !text.is_empty() {
                    out.push(Block::Paragraph {
                        inline: vec![Inline::Text(Run::plain(text))],
                    });
                }
            } else {
                out.extend(inner);
            }
        }
    }
}

/// The text of inline nodes, marks dropped.
fn plain(content: &Value) -> String {
    nodes(content)
        .iter()
        .map(|n| match n["type"].as_str() {
            Some("text") => n["text"].as_str().unwrap_or_default().to_owned(),
            Some("mention") => mention(n),
            Some("hardBreak") => "\n".to_owned(),
            _ => plain(&n["content"]),
        })
        .collect()
}

fn mention(node: &Value) -> String {
    let label = attr_text(node, "label");
    let name = if label.trim().is_empty() {
        attr_text(node, "id")
    } else {
        label
    };
    format!("@{name}")
}

/// A link target worth following: web and mail addresses only (never `javascript:` and the
/// like).
fn safe_href(href: &str) -> Option<String> {
    let href = href.trim();
    let lower = href.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
        .then(|| href.to_owned())
}

fn inline(content: &Value) -> Vec<Inline> {
    let mut out = Vec::new();
    for node in nodes(content) {
        match node["type"].as_str() {
            Some("text") => {
                let mut run = Run::plain(node["text"].as_str().unwrap_or_default());
                for mark in nodes(&node["marks"]) {
                    match mark["type"].as_str() {
                        Some("bold") => run.bold = true,
                        Some("italic") => run.italic = true,
                        Some("code") => run.code = true,
                        Some("strike") => run.strike = true,
                        Some("underline") => run.underline = true,
                        Some("link") => {
                            run.href = mark["attrs"]["href"].as_str().and_then(safe_href)
                        }
                        _ => {}
                    }
                }
                out.push(Inline::Text(run));
            }
            Some("mention") => out.push(Inline::Text(Run {
                mention: true,
                ..Run::plain(mention(node))
            })),
            Some("hardBreak") => out.push(Inline::Break),
            _ => {
                let text = plain(&node["content"]);
                if !text.is_empty() {
                    out.push(Inline::Text(Run::plain(text)));
                }
            }
        }
    }
    out
}

// --- HTML ---------------------------------------------------------------------------------------

const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--code:#f6f8fa;--accent:#1d4ed8}\
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--code:#151b23;--accent:#79a8ff}body{background:#0d1117}}\
body{font:16px/1.6 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);max-width:46rem;margin:2rem auto;padding:0 1.25rem}\
h1,h2,h3,h4{line-height:1.25;margin:1.6em 0 .6em}h1.title{margin-top:0}\
a{color:var(--accent)}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;background:var(--code);border-radius:4px}\
code{padding:.1em .3em}pre{padding:.8em 1em;overflow-x:auto}pre code{padding:0;background:none}\
blockquote{margin:1em 0;padding:0 1em;border-left:3px solid var(--line);color:var(--muted)}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid var(--line);padding:.35em .7em;text-align:left;vertical-align:top}th{background:var(--code)}\
td>p,th>p,li>p{margin:0}ul.tasks{list-style:none;padding-left:.2em}ul.tasks input{margin-right:.5em}\
aside.callout{margin:1em 0;padding:.2em 1em;border-left:4px solid var(--edge);background:var(--tint);border-radius:4px}\
.callout-label{margin:.5em 0 .2em}.callout-label strong{color:var(--edge)}\
.callout-info{--tint:#e8f0fe;--edge:#1d4ed8}.callout-warning{--tint:#fff4e0;--edge:#8a5100}.callout-success{--tint:#e6f4ea;--edge:#1e7a3c}.callout-danger{--tint:#fdeaea;--edge:#b42318}\
@media (prefers-color-scheme:dark){.callout-info{--tint:#172a4d;--edge:#8fb4ff}.callout-warning{--tint:#3a2a0c;--edge:#f5b95c}.callout-success{--tint:#12311d;--edge:#6fd08f}.callout-danger{--tint:#3d1616;--edge:#ff9a8f}}\
details{margin:1em 0}summary{font-weight:600;cursor:pointer}details>:not(summary){margin-left:1.2em}\
.mention{color:var(--accent);font-weight:600}.image{color:var(--muted);font-style:italic}hr{border:0;border-top:1px solid var(--line)}";

/// A standalone HTML page of `doc`: every piece of its text escaped, the style inline, no
/// scripts, not to be indexed.
pub fn html_page(doc: &RichTextDocument) -> String {
    let title = escape(doc.title.trim());
    let mut body = String::new();
    html_blocks(&doc.blocks, &mut body, 0);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n\
         <meta name=\"generator\" content=\"Atrium\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1 class=\"title\">{title}</h1>\n{body}</main>\n</body>\n</html>\n"
    )
}

fn html_blocks(blocks: &[Block], out: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for block in blocks {
        match block {
            Block::Paragraph { inline } => {
                out.push_str("<p>");
                html_inline(inline, out);
                out.push_str("</p>\n");
            }
            Block::Heading { level, inline } => {
                // The page's title is its h1; the document's headings sit below it.
                let level = (*level).clamp(1, 5) + 1;
                out.push_str(&format!("<h{level}>"));
                html_inline(inline, out);
                out.push_str(&format!("</h{level}>\n"));
            }
            Block::BulletList { items } => {
                out.push_str("<ul>\n");
                html_items(items, out, depth);
                out.push_str("</ul>\n");
            }
            Block::OrderedList { start, items } => {
                if *start == 1 {
                    out.push_str("<ol>\n");
                } else {
                    out.push_str(&format!("<ol start=\"{start}\">\n"));
                }
                html_items(items, out, depth);
                out.push_str("</ol>\n");
            }
            Block::TaskList { items } => {
                out.push_str("<ul class=\"tasks\">\n");
                for item in items {
                    let (checked, label) = if item.checked {
                        (" checked", "done")
                    } else {
                        ("", "to do")
                    };
                    out.push_str(&format!(
                        "<li><input type=\"checkbox\" disabled{checked} aria-label=\"{label}\">"
                    ));
                    nested_blocks(&item.blocks, out, depth + 1);
                    out.push_str("</li>\n");
                }
                out.push_str("</ul>\n");
            }
            Block::Table { header, rows, .. } => {
                out.push_str("<table>\n");
                for (i, row) in rows.iter().enumerate() {
                    let cell = if *header && i == 0 { "th" } else { "td" };
                    out.push_str("<tr>");
                    for blocks in row {
                        out.push_str(&format!("<{cell}>"));
                        nested_blocks(blocks, out, depth + 1);
                        out.push_str(&format!("</{cell}>"));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
            Block::CodeBlock { text } => {
                out.push_str("<pre><code>");
                out.push_str(&escape(text));
                out.push_str("</code></pre>\n");
            }
            Block::Quote { blocks } => {
                out.push_str("<blockquote>\n");
                html_blocks(blocks, out, depth + 1);
                out.push_str("</blockquote>\n");
            }
            Block::Callout { kind, blocks } => {
                out.push_str(&format!(
                    "<aside class=\"callout callout-{}\" role=\"note\">\n<p class=\"callout-label\"><strong>{}</strong></p>\n",
                    kind.as_str(),
                    kind.label()
                ));
                html_blocks(blocks, out, depth + 1);
                out.push_str("</aside>\n");
            }
            Block::Toggle { summary, blocks } => {
                out.push_str("<details open>\n<summary>");
                html_inline(summary, out);
                out.push_str("</summary>\n");
                html_blocks(blocks, out, depth + 1);
                out.push_str("</details>\n");
            }
            Block::Rule => out.push_str("<hr>\n"),
            Block::Image { alt } => {
                let alt = if alt.trim().is_empty() {
                    "Image".to_owned()
                } else {
                    format!("Image: {}", escape(alt))
                };
                out.push_str(&format!("<p class=\"image\">[{alt}]</p>\n"));
            }
        }
    }
}

/// Blocks inside a list item or table cell: no line break before the closing tag.
fn nested_blocks(blocks: &[Block], out: &mut String, depth: usize) {
    html_blocks(blocks, out, depth);
    if out.ends_with('\n') {
        out.pop();
    }
}

fn html_items(items: &[Vec<Block>], out: &mut String, depth: usize) {
    for item in items {
        out.push_str("<li>");
        nested_blocks(item, out, depth + 1);
        out.push_str("</li>\n");
    }
}

fn html_inline(inline: &[Inline], out: &mut String) {
    for item in inline {
        let run = match item {
            Inline::Break => {
                out.push_str("<br>");
                continue;
            }
            Inline::Text(run) => run,
        };
        let mut html = escape(&run.text);
        if run.code {
            html = format!("<code>{html}</code>");
        }
        if run.mention {
            html = format!("<span class=\"mention\">{html}</span>");
        }
        if run.bold {
            html = format!("<strong>{html}</strong>");
        }
        if run.italic {
            html = format!("<em>{html}</em>");
        }
        if run.strike {
            html = format!("<s>{html}</s>");
        }
        if run.underline {
            html = format!("<u>{html}</u>");
        }
        if let Some(href) = &run.href {
            html = format!(
                "<a href=\"{}\" rel=\"noopener noreferrer nofollow\">{html}</a>",
                escape(href)
            );
        }
        out.push_str(&html);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> RichTextDocument {
        let content = json!([
            {"type": "heading", "attrs": {"level": 1.0}, "content": [{"type": "text", "text": "Goals <b>"}]},
            {"type": "paragraph", "content": [
                {"type": "text", "text": "Ask "},
                {"type": "mention", "attrs": {"id": "u1", "label": "ada"}},
                {"type": "text", "text": " now", "marks": [{"type": "bold"}]},
                {"type": "text", "text": "bad", "marks": [{"type": "link", "attrs": {"href": "javascript:alert(1)"}}]},
                {"type": "text", "text": "good", "marks": [{"type": "link", "attrs": {"href": "https://x.test/?a=1&b=\"2\""}}]}
            ]},
            {"type": "taskList", "content": [
                {"type": "taskItem", "attrs": {"checked": true}, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "done"}]}]}
            ]},
            {"type": "table", "content": [
                {"type": "tableRow", "content": [
                    {"type": "tableHeader", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Name"}]}]},
                    {"type": "tableHeader", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Role"}]}]}
                ]},
                {"type": "tableRow", "content": [
                    {"type": "tableCell", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Ada"}]}]}
                ]}
            ]}
        ]);
        RichTextDocument {
            title: "Plan <script>".into(),
            blocks: blocks(&content, 0),
        }
    }

    #[test]
    fn html_is_escaped_and_keeps_the_structure() {
        let html = html_page(&sample());
        assert!(
            html.contains("<title>Plan &lt;script&gt;</title>"),
            "{html}"
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("<h2>Goals &lt;b&gt;</h2>"), "{html}");
        assert!(
            html.contains("<span class=\"mention\">@ada</span>"),
            "{html}"
        );
        assert!(html.contains("<strong> now</strong>"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(
            html.contains("href=\"https://x.test/?a=1&amp;b=&quot;2&quot;\""),
            "{html}"
        );
        assert!(
            html.contains("<input type=\"checkbox\" disabled checked"),
            "{html}"
        );
        assert!(
            html.contains("<tr><th><p>Name</p></th><th><p>Role</p></th></tr>"),
            "{html}"
        );
        // The short row is padded to the table's width.
        assert!(
            html.contains("<tr><td><p>Ada</p></td><td></td></tr>"),
            "{html}"
        );
    }

    #[test]
    fn callouts_toggles_and_third_level_headings() {
        let content = json!([
            {"type": "heading", "attrs": {"level": 3.0}, "content": [{"type": "text", "text": "Risks"}]},
            {"type": "callout", "attrs": {"kind": "danger"}, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "Hot <stove>"}]}
            ]},
            {"type": "details", "content": [
                {"type": "detailsSummary", "content": [{"type": "text", "text": "More & more"}]},
                {"type": "detailsContent", "content": [
                    {"type": "paragraph", "content": [{"type": "text", "text": "inside"}]}
                ]}
            ]}
        ]);
        let doc = RichTextDocument {
            title: "T".into(),
            blocks: blocks(&content, 0),
        };
        assert!(matches!(&doc.blocks[0], Block::Heading { level: 3, .. }));
        assert!(matches!(
            &doc.blocks[1],
            Block::Callout {
                kind: CalloutKind::Danger,
                ..
            }
        ));
        let html = html_page(&doc);
        assert!(html.contains("<h4>Risks</h4>"), "{html}");
        assert!(
            html.contains("<aside class=\"callout callout-danger\" role=\"note\">\n<p class=\"callout-label\"><strong>Danger</strong></p>\n<p>Hot &lt;stove&gt;</p>\n</aside>"),
            "{html}"
        );
        assert!(
            html.contains(
                "<details open>\n<summary>More &amp; more</summary>\n<p>inside</p>\n</details>"
            ),
            "{html}"
        );
        let pdf = crate::invoices::pdf::renderer()
            .render_rich_text(&doc)
            .unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("Q3 plan: \"final\"/v2"), "Q3 plan finalv2");
        assert_eq!(file_stem("../../"), "document");
        assert_eq!(file_stem("Résumé 日本"), "Résumé 日本");
    }
}
