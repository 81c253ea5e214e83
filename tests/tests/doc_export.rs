//! Documents people choose to take out, bring in and share: export to Markdown, HTML and PDF;
//! import of Markdown and .docx (bounded against hostile archives); public read-only links.

use atrium_client::wire::Doc;
use atrium_tests::backend_tests;
use atrium_tests::fixtures::{
    self, DocsWorkspace as Workspace, TestUser, docs_workspace as workspace,
};
use reqwest::{Method, StatusCode};
use serde_json::json;
use yrs::types::xml::{XmlElementPrelim, XmlTextPrelim};
use yrs::{Any, Doc as YDoc, ReadTxn, StateVector, Text, Transact, Xml, XmlFragment};

fn paragraph(parent: &impl XmlFragment, txn: &mut yrs::TransactionMut, text: &str) {
    let p = parent.push_back(txn, XmlElementPrelim::empty("paragraph"));
    p.push_back(txn, XmlTextPrelim::new(text));
}

/// The update a Tiptap editor (y-prosemirror) writes for a document with headings, a bullet,
/// ordered and task list, a table, a mention, marks and a code block.
fn rich_update() -> Vec<u8> {
    let doc = YDoc::new();
    let frag = doc.get_or_insert_xml_fragment("default");
    let mut txn = doc.transact_mut();
    for (level, text) in [
        (1.0, "Launch plan"),
        (2.0, "Owners & dates"),
        (3.0, "Risks"),
    ] {
        let h = frag.push_back(&mut txn, XmlElementPrelim::empty("heading"));
        h.insert_attribute(&mut txn, "level", Any::from(level));
        h.push_back(&mut txn, XmlTextPrelim::new(text));
    }
    let p = frag.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
    let t = p.push_back(&mut txn, XmlTextPrelim::new("Ask "));
    let bold: yrs::types::Attrs = [("bold".into(), Any::Map(Default::default()))].into();
    let len = t.len(&txn);
    t.insert_with_attributes(&mut txn, len, "<now>", bold);
    let m = p.push_back(&mut txn, XmlElementPrelim::empty("mention"));
    m.insert_attribute(&mut txn, "id", Any::from("u-ada"));
    m.insert_attribute(&mut txn, "label", Any::from("ada"));
    p.push_back(&mut txn, XmlTextPrelim::new(" about #set text(red)"));
    let ul = frag.push_back(&mut txn, XmlElementPrelim::empty("bulletList"));
    for text in ["Alpha item", "Beta item"] {
        let li = ul.push_back(&mut txn, XmlElementPrelim::empty("listItem"));
        paragraph(&li, &mut txn, text);
    }
    let ol = frag.push_back(&mut txn, XmlElementPrelim::empty("orderedList"));
    let li = ol.push_back(&mut txn, XmlElementPrelim::empty("listItem"));
    paragraph(&li, &mut txn, "First step");
    let tl = frag.push_back(&mut txn, XmlElementPrelim::empty("taskList"));
    for (text, checked) in [("Book venue", true), ("Send invites", false)] {
        let item = tl.push_back(&mut txn, XmlElementPrelim::empty("taskItem"));
        item.insert_attribute(&mut txn, "checked", Any::Bool(checked));
        paragraph(&item, &mut txn, text);
    }
    let table = frag.push_back(&mut txn, XmlElementPrelim::empty("table"));
    for (tag, cells) in [
        ("tableHeader", ["Owner", "Due"]),
        ("tableCell", ["Grace", "Friday"]),
    ] {
        let row = table.push_back(&mut txn, XmlElementPrelim::empty("tableRow"));
        for text in cells {
            let cell = row.push_back(&mut txn, XmlElementPrelim::empty(tag));
            paragraph(&cell, &mut txn, text);
        }
    }
    let code = frag.push_back(&mut txn, XmlElementPrelim::empty("codeBlock"));
    code.push_back(&mut txn, XmlTextPrelim::new("let x = 1;"));
    drop(txn);
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

/// The update the editor writes for a heading 3, a warning callout (a paragraph and a list)
/// and a toggle (summary, paragraph), with text that would be markup in HTML and typst.
fn blocks_update() -> Vec<u8> {
    let doc = YDoc::new();
    let frag = doc.get_or_insert_xml_fragment("default");
    let mut txn = doc.transact_mut();
    let h = frag.push_back(&mut txn, XmlElementPrelim::empty("heading"));
    h.insert_attribute(&mut txn, "level", Any::from(3.0));
    h.push_back(&mut txn, XmlTextPrelim::new("Before you start"));
    let callout = frag.push_back(&mut txn, XmlElementPrelim::empty("callout"));
    callout.insert_attribute(&mut txn, "kind", Any::from("warning"));
    paragraph(&callout, &mut txn, "Hot <stove> #set text(red)");
    let ul = callout.push_back(&mut txn, XmlElementPrelim::empty("bulletList"));
    let li = ul.push_back(&mut txn, XmlElementPrelim::empty("listItem"));
    paragraph(&li, &mut txn, "Gloves on");
    let details = frag.push_back(&mut txn, XmlElementPrelim::empty("details"));
    let summary = details.push_back(&mut txn, XmlElementPrelim::empty("detailsSummary"));
    summary.push_back(&mut txn, XmlTextPrelim::new("Why & how"));
    let body = details.push_back(&mut txn, XmlElementPrelim::empty("detailsContent"));
    paragraph(&body, &mut txn, "Because it burns");
    drop(txn);
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

/// A .docx built the way Word lays one out: a title, headings, a bold/italic paragraph, a
/// bulleted list with a nested item, a numbered list, and a table.
fn docx() -> Vec<u8> {
    let document = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>Quarterly review</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Summary</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">Revenue </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>grew</w:t></w:r><w:r><w:rPr><w:b w:val="0"/><w:i/></w:rPr><w:t xml:space="preserve"> fast &amp; well</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>Highlights</w:t></w:r></w:p>
<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>New office</w:t></w:r></w:p>
<w:p><w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>In Lisbon</w:t></w:r></w:p>
<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="2"/></w:numPr></w:pPr><w:r><w:t>Hire two</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Region</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Sales</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>North</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>42</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
</w:body></w:document>"#;
    let numbering = r#"<?xml version="1.0" encoding="UTF-8"?>
<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:abstractNum w:abstractNumId="10"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/></w:lvl><w:lvl w:ilvl="1"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="11"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/></w:lvl></w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="10"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="11"/></w:num>
</w:numbering>"#;
    zip_of(&[
        ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#.as_slice()),
        ("word/document.xml", document.as_bytes()),
        ("word/numbering.xml", numbering.as_bytes()),
    ])
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write as _;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A .docx whose document part inflates to 512 MiB of markup (a few hundred KiB on the wire).
fn docx_bomb() -> Vec<u8> {
    use std::io::Write as _;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    writer.start_file("word/document.xml", options).unwrap();
    writer
        .write_all(br#"<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>"#)
        .unwrap();
    let chunk = vec![b'a'; 1024 * 1024];
    for _ in 0..512 {
        writer.write_all(&chunk).unwrap();
    }
    writer
        .write_all(b"</w:t></w:r></w:p></w:body></w:document>")
        .unwrap();
    writer.finish().unwrap().into_inner()
}

async fn import(
    user: &TestUser,
    project: &str,
    name: &str,
    bytes: &[u8],
) -> (StatusCode, serde_json::Value) {
    fixtures::post_multipart(
        user,
        &format!("/api/v1/projects/{project}/docs/import"),
        name,
        bytes,
    )
    .await
}

async fn markdown_of(user: &TestUser, doc: &str) -> String {
    let response = get(user, &format!("/api/v1/docs/{doc}/content?format=markdown")).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

async fn doc_count(w: &Workspace) -> usize {
    let page: serde_json::Value = w
        .owner
        .client
        .get(&format!("/api/v1/projects/{}/docs", w.project.id))
        .await
        .unwrap();
    page["items"].as_array().unwrap().len()
}

async fn get(user: &impl fixtures::Caller, path: &str) -> reqwest::Response {
    user.client()
        .request(Method::GET, path)
        .send()
        .await
        .unwrap()
}

async fn rich_doc(w: &Workspace, title: &str) -> Doc {
    let doc = fixtures::create_doc(&w.owner, &w.project.id, title).await;
    assert_eq!(
        fixtures::post_update(&w.owner, &doc.id, rich_update()).await,
        StatusCode::NO_CONTENT
    );
    doc
}

/// A public link's URL as this test reaches the server: its path on the server's address.
fn on_server(w: &Workspace, url: &str) -> String {
    let path = &url[url.find("/api/v1/public/docs/").expect("a public page URL")..];
    let token = path.rsplit('/').next().unwrap();
    assert_eq!(token.len(), 43, "{url}");
    format!("{}{path}", w.server.url())
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

backend_tests! {
    async fn exports_keep_headings_lists_tables_and_mentions(backend) {
        let w = workspace(backend).await;
        let doc = rich_doc(&w, "Launch: Q3/\"final\"").await;
        let path = format!("/api/v1/docs/{}/export", doc.id);

        // Markdown.
        let response = get(&w.viewer, &format!("{path}?format=markdown")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "content-type"), "text/markdown; charset=utf-8");
        let disposition = header(&response, "content-disposition");
        assert!(disposition.starts_with("attachment; filename=\"Launch Q3final.md\""), "{disposition}");
        let md = response.text().await.unwrap();
        for expected in [
            "# Launch: Q3/\"final\"\n", "# Launch plan\n", "## Owners & dates\n", "### Risks\n",
            "Ask **<now>**@ada about", "- Alpha item\n- Beta item\n", "1. First step\n",
            "- [x] Book venue\n- [ ] Send invites\n",
            "| Owner | Due |\n| --- | --- |\n| Grace | Friday |\n", "```\nlet x = 1;\n```",
        ] {
            assert!(md.contains(expected), "{expected:?} missing from\n{md}");
        }

        // HTML: a standalone page, everything escaped.
        let response = get(&w.viewer, &format!("{path}?format=html")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8");
        assert!(header(&response, "content-disposition").contains("Launch Q3final.html"));
        let html = response.text().await.unwrap();
        for expected in [
            "<!doctype html>", "<title>Launch: Q3/&quot;final&quot;</title>",
            "<h2>Launch plan</h2>", "<h3>Owners &amp; dates</h3>", "<h4>Risks</h4>",
            "<strong>&lt;now&gt;</strong>", "<span class=\"mention\">@ada</span>",
            "<li><p>Alpha item</p></li>", "<ol>", "<input type=\"checkbox\" disabled checked",
            "<tr><th><p>Owner</p></th><th><p>Due</p></th></tr>",
            "<tr><td><p>Grace</p></td><td><p>Friday</p></td></tr>",
            "<pre><code>let x = 1;</code></pre>",
        ] {
            assert!(html.contains(expected), "{expected:?} missing from\n{html}");
        }
        assert!(!html.contains("<now>"));

        // PDF: typeset, with the text (typst markup in the text shown as written).
        let response = get(&w.viewer, &format!("{path}?format=pdf")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "content-type"), "application/pdf");
        assert!(header(&response, "content-disposition").contains("Launch Q3final.pdf"));
        let pdf = response.bytes().await.unwrap();
        let text = atrium_tests::pdf::text(&pdf);
        let words: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for expected in [
            "Launch plan", "Owners & dates", "Risks", "Ask <now>@ada about #set text(red)",
            "Alpha item", "Beta item", "First step", "Book venue", "Send invites",
            "Owner", "Due", "Grace", "Friday", "let x = 1;",
        ] {
            assert!(words.contains(expected), "{expected:?} missing from\n{text}");
        }

        // Unknown format, no access, another org.
        assert_eq!(get(&w.viewer, &format!("{path}?format=docx")).await.status(), StatusCode::BAD_REQUEST);
        assert_eq!(get(&w.outsider, &format!("{path}?format=pdf")).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(get(&w.server.client(), &format!("{path}?format=html")).await.status(), StatusCode::UNAUTHORIZED);
        let _ = &w.org;
    }

    async fn exports_and_imports_keep_callouts_toggles_and_third_level_headings(backend) {
        let w = workspace(backend).await;
        let doc = fixtures::create_doc(&w.owner, &w.project.id, "Kitchen rules").await;
        assert_eq!(fixtures::post_update(&w.owner, &doc.id, blocks_update()).await, StatusCode::NO_CONTENT);
        let path = format!("/api/v1/docs/{}/export", doc.id);

        // Markdown: the callout as a GitHub alert, the toggle's summary then its content.
        let response = get(&w.viewer, &format!("{path}?format=markdown")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let md = response.text().await.unwrap();
        assert!(
            md.contains("### Before you start\n\n> [!WARNING]\n> Hot <stove> #set text(red)\n>\n> - Gloves on\n\nWhy & how\n\nBecause it burns"),
            "{md}"
        );

        // HTML: an aside named as a note, a details element shown open, text escaped.
        let response = get(&w.viewer, &format!("{path}?format=html")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        for expected in [
            "<h4>Before you start</h4>",
            "<aside class=\"callout callout-warning\" role=\"note\">\n<p class=\"callout-label\"><strong>Warning</strong></p>\n<p>Hot &lt;stove&gt; #set text(red)</p>",
            "<li><p>Gloves on</p></li>",
            "<details open>\n<summary>Why &amp; how</summary>\n<p>Because it burns</p>\n</details>",
        ] {
            assert!(html.contains(expected), "{expected:?} missing from\n{html}");
        }

        // PDF: the callout's label and text, the toggle's summary and content.
        let response = get(&w.viewer, &format!("{path}?format=pdf")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let text = atrium_tests::pdf::text(&response.bytes().await.unwrap());
        let words: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for expected in [
            "Before you start", "Warning", "Hot <stove> #set text(red)", "Gloves on",
            "Why & how", "Because it burns",
        ] {
            assert!(words.contains(expected), "{expected:?} missing from\n{text}");
        }

        // The Markdown export imports back as the same blocks.
        let (status, body) = import(&w.owner, &w.project.id, "rules.md", md.as_bytes()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let json: serde_json::Value = get(&w.viewer, &format!("/api/v1/docs/{}/content?format=json", body["id"].as_str().unwrap()))
            .await
            .json()
            .await
            .unwrap();
        let blocks = json["default"]["content"].as_array().unwrap();
        assert!(
            blocks.iter().any(|b| b["type"] == "heading" && b["attrs"]["level"] == 3.0),
            "{json}"
        );
        let callout = blocks.iter().find(|b| b["type"] == "callout").expect("a callout");
        assert_eq!(callout["attrs"]["kind"], "warning");
        assert_eq!(callout["content"][1]["type"], "bulletList");
    }

    async fn markdown_and_docx_import_as_documents(backend) {
        let w = workspace(backend).await;
        let mut viewer_events = atrium_tests::events::EventSocket::connect(&w.server, &w.viewer.token).await;
        // Markdown: the title from the opening heading, everything else as blocks.
        let md = "# Trip notes\n\nWe **leave** at *dawn*, see [map](https://maps.test/x).\n\n\
                  ## Packing\n\n- [x] Tent\n- [ ] Stove\n\n1. Drive\n2. Hike\n   - uphill\n\n\
                  | Day | Km |\n|---|---|\n| Mon | 12 |\n\n> Leave no trace\n\n```\nfn main() {}\n```\n";
        let (status, body) = import(&w.owner, &w.project.id, "notes.md", md.as_bytes()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["title"], "Trip notes");
        let id = body["id"].as_str().unwrap().to_owned();
        // The project's other members hear of the new page (their page trees show it).
        let created = viewer_events.expect("doc.created", |f| f.data["id"] == id.as_str()).await;
        assert_eq!(created.data["title"], "Trip notes");
        let content = markdown_of(&w.viewer, &id).await;
        for expected in [
            "We **leave** at *dawn*, see [map](https://maps.test/x).", "## Packing",
            "- [x] Tent\n- [ ] Stove", "1. Drive\n2. Hike\n   - uphill",
            "| Day | Km |\n| --- | --- |\n| Mon | 12 |", "> Leave no trace", "```\nfn main() {}\n```",
        ] {
            assert!(content.contains(expected), "{expected:?} missing from\n{content}");
        }
        assert!(!content.contains("Trip notes"), "the title heading is the title: {content}");
        // Without an opening heading the file name is the title.
        let (status, body) = import(&w.owner, &w.project.id, "meeting-minutes.md", b"just text").await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(body["title"], "meeting-minutes");

        // Word.
        let (status, body) = import(&w.owner, &w.project.id, "review.docx", &docx()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["title"], "Quarterly review");
        let content = markdown_of(&w.viewer, body["id"].as_str().unwrap()).await;
        for expected in [
            "# Summary", "Revenue **grew*** fast & well*", "## Highlights",
            "- New office\n  - In Lisbon", "1. Hire two", "| Region | Sales |\n| --- | --- |\n| North | 42 |",
        ] {
            assert!(content.contains(expected), "{expected:?} missing from\n{content}");
        }

        // Refusals create nothing: read-only role, unknown type, broken or hostile files.
        let before = doc_count(&w).await;
        assert_eq!(import(&w.viewer, &w.project.id, "a.md", b"# x").await.0, StatusCode::FORBIDDEN);
        assert_eq!(import(&w.outsider, &w.project.id, "a.md", b"# x").await.0, StatusCode::NOT_FOUND);
        let (status, body) = import(&w.owner, &w.project.id, "photo.png", b"\x89PNG").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body["error"]["fields"]["file"].as_str().unwrap().contains("Markdown"), "{body}");
        let (status, body) = import(&w.owner, &w.project.id, "broken.docx", b"PK\x03\x04 not really").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, _) = import(&w.owner, &w.project.id, "latin1.md", b"caf\xe9").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let no_document = zip_of(&[("word/other.xml", b"<x/>".as_slice())]);
        let (status, body) = import(&w.owner, &w.project.id, "empty.docx", &no_document).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body["error"]["fields"]["file"].as_str().unwrap().contains("word/document.xml"), "{body}");
        let names: Vec<String> = (0..2_100).map(|i| format!("p/{i}.xml")).collect();
        let many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), b"<x/>".as_slice())).collect();
        let (status, body) = import(&w.owner, &w.project.id, "many.docx", &zip_of(&many)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body["error"]["fields"]["file"].as_str().unwrap().contains("entries"), "{body}");

        // A zip bomb stops at the inflate budget, in bounded memory.
        let bomb = docx_bomb();
        assert!(bomb.len() < 4 * 1024 * 1024, "{}", bomb.len());
        let base = atrium_tests::bench::rss_mb(w.server.pid());
        let (status, body) = import(&w.owner, &w.project.id, "bomb.docx", &bomb).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["file"].as_str().unwrap().contains("expands to more than"), "{body}");
        let grown = atrium_tests::bench::rss_mb(w.server.pid()) - base;
        assert!(grown < 120.0, "the server grew by {grown:.0} MiB importing a bomb");

        // Too large.
        let huge = vec![b'a'; 9 * 1024 * 1024];
        assert_eq!(import(&w.owner, &w.project.id, "huge.md", &huge).await.0, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(doc_count(&w).await, before);
    }

    async fn public_links_are_opt_in_revocable_and_expire(backend) {
        let w = workspace(backend).await;
        let doc = rich_doc(&w, "Public <plan>").await;
        let link_path = format!("/api/v1/docs/{}/public-link", doc.id);
        let sharing = format!("/api/v1/orgs/{}/doc-sharing", w.org);

        // Off by default: nobody may publish, and the document page says so.
        let (status, body) = fixtures::call_json(&w.viewer, Method::GET, &sharing, None).await;
        assert_eq!((status, body["public_links"].as_bool()), (StatusCode::OK, Some(false)));
        let (status, body) = fixtures::call_json(&w.owner, Method::POST, &link_path, Some(json!({}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "public_links_disabled");
        let (_, body) = fixtures::call_json(&w.viewer, Method::GET, &link_path, None).await;
        assert_eq!(body["allowed"], false);
        assert_eq!(body["can_manage"], false);

        // Only owners and admins opt in.
        let on = Some(json!({ "public_links": true }));
        assert_eq!(fixtures::call_json(&w.viewer, Method::PUT, &sharing, on.clone()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(fixtures::call_json(&w.outsider, Method::PUT, &sharing, on.clone()).await.0, StatusCode::NOT_FOUND);
        let (status, body) = fixtures::call_json(&w.owner, Method::PUT, &sharing, on.clone()).await;
        assert_eq!((status, body["public_links"].as_bool()), (StatusCode::OK, Some(true)));

        // A viewer may not publish; an expiry in the past is refused; the owner publishes.
        assert_eq!(fixtures::call_json(&w.viewer, Method::POST, &link_path, Some(json!({}))).await.0, StatusCode::FORBIDDEN);
        assert_eq!(fixtures::call_json(&w.outsider, Method::POST, &link_path, Some(json!({}))).await.0, StatusCode::NOT_FOUND);
        let (status, _) = fixtures::call_json(&w.owner, Method::POST, &link_path, Some(json!({ "expires": 1_000 }))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, body) = fixtures::call_json(&w.owner, Method::POST, &link_path, None).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // The URL is on the server's public address (configured; in tests the listen address).
        let url = on_server(&w, body["url"].as_str().unwrap());
        assert_eq!(fixtures::audit_count(&w.server, "doc.public_link_created").await, 1);
        let (_, status_body) = fixtures::call_json(&w.viewer, Method::GET, &link_path, None).await;
        assert_eq!(status_body["allowed"], true);
        assert_eq!(status_body["link"]["expired"], false);
        assert!(status_body.get("url").is_none() && status_body["link"].get("url").is_none());

        // Anyone with the URL reads it, without an account: read-only HTML under a strict CSP,
        // not indexed.
        let anonymous = reqwest::Client::new();
        let response = anonymous.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8");
        let csp = header(&response, "content-security-policy");
        assert!(csp.contains("default-src 'none'") && !csp.contains("script"), "{csp}");
        assert_eq!(header(&response, "x-robots-tag"), "noindex, nofollow");
        let page = response.text().await.unwrap();
        assert!(page.contains("<title>Public &lt;plan&gt;</title>"), "{page}");
        assert!(page.contains("<meta name=\"robots\" content=\"noindex, nofollow\">"));
        assert!(page.contains("<h3>Owners &amp; dates</h3>") && page.contains("@ada"), "{page}");
        assert!(page.contains("<tr><td><p>Grace</p></td><td><p>Friday</p></td></tr>"), "{page}");
        // A guessed token, or a mangled one, finds nothing.
        let guessed = format!("{}/api/v1/public/docs/{}", w.server.url(), "A".repeat(43));
        assert_eq!(anonymous.get(&guessed).send().await.unwrap().status(), StatusCode::NOT_FOUND);
        assert_eq!(anonymous.get(format!("{url}x")).send().await.unwrap().status(), StatusCode::NOT_FOUND);

        // Expired: gone.
        fixtures::db_execute(&w.server, "update doc_public_links set expires_at = 1 where doc_id = $1", &doc.id).await;
        assert_eq!(anonymous.get(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND);
        let (_, status_body) = fixtures::call_json(&w.viewer, Method::GET, &link_path, None).await;
        assert_eq!(status_body["link"]["expired"], true);

        // A new link replaces the old one; trash, opting out and revoking each close it.
        let (status, body) = fixtures::call_json(&w.owner, Method::POST, &link_path, Some(json!({ "expires": 4_102_444_800_000i64 }))).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(body["expires_at"], 4_102_444_800_000i64);
        let second = on_server(&w, body["url"].as_str().unwrap());
        assert_ne!(second, url);
        assert_eq!(anonymous.get(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND);
        assert_eq!(anonymous.get(&second).send().await.unwrap().status(), StatusCode::OK);
        let off = Some(json!({ "public_links": false }));
        assert_eq!(fixtures::call_json(&w.owner, Method::PUT, &sharing, off).await.0, StatusCode::OK);
        assert_eq!(anonymous.get(&second).send().await.unwrap().status(), StatusCode::NOT_FOUND);
        assert_eq!(fixtures::call_json(&w.owner, Method::PUT, &sharing, on).await.0, StatusCode::OK);
        assert_eq!(anonymous.get(&second).send().await.unwrap().status(), StatusCode::OK);
        let doc_path = format!("/api/v1/docs/{}", doc.id);
        assert_eq!(fixtures::call_json(&w.owner, Method::DELETE, &doc_path, None).await.0, StatusCode::OK);
        assert_eq!(anonymous.get(&second).send().await.unwrap().status(), StatusCode::NOT_FOUND);
        assert_eq!(fixtures::call_json(&w.owner, Method::POST, &format!("{doc_path}/restore"), None).await.0, StatusCode::OK);
        assert_eq!(anonymous.get(&second).send().await.unwrap().status(), StatusCode::OK);
        assert_eq!(fixtures::call_json(&w.viewer, Method::DELETE, &link_path, None).await.0, StatusCode::FORBIDDEN);
        assert_eq!(fixtures::call_json(&w.owner, Method::DELETE, &link_path, None).await.0, StatusCode::NO_CONTENT);
        assert_eq!(anonymous.get(&second).send().await.unwrap().status(), StatusCode::NOT_FOUND);
        assert_eq!(fixtures::audit_count(&w.server, "doc.public_link_revoked").await, 1);
        let (_, status_body) = fixtures::call_json(&w.viewer, Method::GET, &link_path, None).await;
        assert!(status_body["link"].is_null());
    }
}
