//! Documents people choose to take out, bring in and share: export to Markdown, HTML and PDF;
//! import of Markdown and .docx (bounded against hostile archives); public read-only links.

use atrium_client::wire::{Doc, Project, ProjectRole, Visibility};
use atrium_tests::fixtures::{self, TestUser};
use atrium_tests::{TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use yrs::types::xml::{XmlElementPrelim, XmlTextPrelim};
use yrs::{Any, Doc as YDoc, ReadTxn, StateVector, Text, Transact, Xml, XmlFragment};

struct Workspace {
    server: TestServer,
    owner: TestUser,
    viewer: TestUser,
    outsider: TestUser,
    org: String,
    project: Project,
}

async fn workspace(backend: atrium_tests::Backend) -> Workspace {
    let server = TestServer::start(backend).await;
    let owner = fixtures::user(&server, "owner").await;
    let viewer = fixtures::user(&server, "viewer").await;
    let outsider = fixtures::user(&server, "outsider").await;
    let org = fixtures::create_org(&owner, "Acme").await;
    let project = fixtures::create_project(&owner, &org.id, "Docs", Visibility::Open).await;
    fixtures::add_org_member(
        &owner,
        &org.id,
        &viewer,
        atrium_client::wire::OrgRole::Member,
    )
    .await;
    fixtures::add_project_member(&owner, &project.id, viewer.id(), ProjectRole::Viewer).await;
    Workspace {
        server,
        owner,
        viewer,
        outsider,
        org: org.id,
        project,
    }
}

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
}
