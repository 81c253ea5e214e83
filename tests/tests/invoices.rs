//! Invoices through HTTP, SMTP and the operator command, on both databases: figures exact to
//! the minor unit on awkward cases (written out here), the invoice's life (issued by sending,
//! PDF, e-mail with the PDF attached, partial and full payment, void and amend), reminders on
//! schedule with the day under the test's control, invoice and reminder mail written with the
//! org's e-mail templates, and an SMTP outage ridden out without sending anything twice.

use std::time::Duration;

use atrium_client::wire::OrgRole;
use atrium_tests::dates::{civil_date, today};
use atrium_tests::fixtures::{self, TestUser, call_json as call, create_record as create};
use atrium_tests::mail::{mails_to, mails_to_containing, message_ids, wait_for_mail_containing};
use atrium_tests::services::{self, PrivateSmtp, free_port};
use atrium_tests::{Backend, TestServer, TestServerBuilder, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A server whose mail goes to the shared SMTP sink, running jobs promptly.
fn mailing(backend: Backend) -> TestServerBuilder {
    TestServer::builder(backend)
        .env(
            "ATRIUM_SMTP_URL",
            services::required_env("ATRIUM_TEST_SMTP_URL"),
        )
        .env("ATRIUM_JOBS_POLL_INTERVAL_MS", "50")
}

/// An address no other test mails.
fn unique_address(name: &str) -> String {
    format!("{name}-{}@client.example", uuid::Uuid::new_v4().simple())
}

/// An org of alice (owner) with bob the accountant, vic a viewer and sam in sales; eve runs
/// another org.
struct Books {
    server: TestServer,
    org: String,
    alice: TestUser,
    bob: TestUser,
    vic: TestUser,
    sam: TestUser,
    eve: TestUser,
}

async fn books(server: TestServer) -> Books {
    // Addresses of this test's own: the SMTP sink (and the invitations in it) is shared by
    // every test that runs at the same time.
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let user = |name: &str| format!("{name}-{tag}");
    let alice = fixtures::operator_user(&server, &user("alice")).await;
    let bob = fixtures::operator_user(&server, &user("bob")).await;
    let vic = fixtures::operator_user(&server, &user("vic")).await;
    let sam = fixtures::operator_user(&server, &user("sam")).await;
    let eve = fixtures::operator_user(&server, &user("eve")).await;
    let org = fixtures::create_org(&alice, "Acme").await.id;
    fixtures::create_org(&eve, "Other").await;
    for (user, role) in [
        (&bob, OrgRole::Member),
        (&vic, OrgRole::Viewer),
        (&sam, OrgRole::Member),
    ] {
        fixtures::add_org_member(&alice, &org, user, role).await;
    }
    fixtures::set_business_roles(&alice, &org, &bob, &["accountant"]).await;
    fixtures::set_business_roles(&alice, &org, &sam, &["sales"]).await;
    Books {
        server,
        org,
        alice,
        bob,
        vic,
        sam,
        eve,
    }
}

fn id(record: &Value) -> &str {
    record["id"].as_str().unwrap()
}

async fn get(user: &TestUser, path: &str) -> (StatusCode, Value) {
    call(user, Method::GET, path, None).await
}

async fn pdf_of(user: &TestUser, invoice: &str) -> Vec<u8> {
    let response = user
        .client
        .request(Method::GET, &format!("/api/v1/records/{invoice}/pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    response.bytes().await.unwrap().to_vec()
}

async fn send(user: &TestUser, invoice: &str, body: Value) -> (StatusCode, Value) {
    call(
        user,
        Method::POST,
        &format!("/api/v1/records/{invoice}/send"),
        Some(body),
    )
    .await
}

async fn pay(user: &TestUser, invoice: &str, amount: i64) -> (StatusCode, Value) {
    let body = json!({"amount": amount, "date": civil_date(today()), "method": "bank_transfer", "reference": "T-1"});
    call(
        user,
        Method::POST,
        &format!("/api/v1/records/{invoice}/payments"),
        Some(body),
    )
    .await
}

/// The figures of an invoice: (subtotal, discount, tax, total, amount due).
fn figures(invoice: &Value) -> [i64; 5] {
    [
        "subtotal",
        "discount_total",
        "tax_total",
        "total",
        "amount_due",
    ]
    .map(|field| {
        invoice[field]
            .as_i64()
            .unwrap_or_else(|| panic!("{field} in {invoice}"))
    })
}

/// The tax summary: (label, taxable, amount) per row.
fn taxes(invoice: &Value) -> Vec<(String, i64, i64)> {
    invoice["taxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["label"].as_str().unwrap().to_owned(),
                row["taxable"].as_i64().unwrap(),
                row["amount"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn line(
    description: &str,
    quantity: &str,
    unit_price: i64,
    discount: &str,
    tax_rate: &str,
) -> Value {
    json!({"description": description, "quantity": quantity, "unit_price": unit_price, "discount": discount, "tax_rate": tax_rate})
}

/// A mail as its reader sees it: encoded-word headers (`=?utf-8?b?…?=`, how a subject that is
/// not ASCII travels) and quoted-printable parts decoded.
fn readable(mail: &str) -> String {
    const WORD: &str = "=?utf-8?b?";
    // Adjacent encoded words are one text (a long subject is folded between them).
    let unfolded = mail.replace("?=\r\n =?utf-8?b?", "?==?utf-8?b?");
    let mut bytes = Vec::with_capacity(unfolded.len());
    let mut rest = unfolded.as_str();
    while let Some(start) = rest.find(WORD) {
        bytes.extend(quoted_printable(&rest[..start]));
        let word = &rest[start + WORD.len()..];
        let end = word.find("?=").expect("an encoded word ends");
        bytes.extend(base64(&word[..end]));
        rest = &word[end + 2..];
    }
    bytes.extend(quoted_printable(rest));
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Quoted-printable undone: soft line breaks joined, `=XX` escapes as the bytes they are.
fn quoted_printable(text: &str) -> Vec<u8> {
    let soft = text.replace("=\r\n", "").replace("=\n", "");
    let raw = soft.as_bytes();
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let escape = raw.get(i + 1..i + 3).filter(|h| {
            raw[i] == b'='
                && h.iter()
                    .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b))
        });
        match escape {
            Some(hex) => {
                bytes.push(u8::from_str_radix(std::str::from_utf8(hex).unwrap(), 16).unwrap());
                i += 3;
            }
            None => {
                bytes.push(raw[i]);
                i += 1;
            }
        }
    }
    bytes
}

/// Standard base64 (the encoded words of headers).
fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=') {
        let value = ALPHABET
            .iter()
            .position(|a| *a == c)
            .expect("a base64 character");
        acc = (acc << 6) | u32::try_from(value).unwrap();
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap());
        }
    }
    out
}

/// The header `name` of a readable mail.
fn header<'a>(mail: &'a str, name: &str) -> &'a str {
    mail.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} in {mail}"))
}

/// The text and the HTML part of a readable mail.
fn parts(mail: &str) -> (&str, &str) {
    let part = |kind: &str| {
        let start = mail
            .find(&format!("Content-Type: {kind}"))
            .unwrap_or_else(|| panic!("no {kind} part in {mail}"));
        let body = &mail[start..];
        let end = body.find("\n--").unwrap_or(body.len());
        &body[..end]
    };
    (part("text/plain"), part("text/html"))
}

/// Waits up to 20 s for the `n`th mail to `to`; returns it readable.
async fn nth_mail(dir: &std::path::Path, to: &str, n: usize) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(mail) = mails_to(dir, to).get(n - 1) {
            return readable(mail);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "mail {n} to {to} never came"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

backend_tests! {
    async fn invoice_figures_are_exact_to_the_minor_unit(backend) {
        let b = books(TestServer::builder(backend).start().await).await;
        let org = b.org.as_str();
        let client = |currency: &str, state: &str| json!({"name": format!("Client {currency} {state}"), "currency": currency, "state_code": state, "payment_terms_days": 14});
        let eur = create(&b.alice, org, "client", client("EUR", "")).await;
        let jpy = create(&b.alice, org, "client", client("JPY", "")).await;
        let kwd = create(&b.alice, org, "client", client("KWD", "")).await;
        let inr_mh = create(&b.alice, org, "client", client("INR", "27")).await;
        let inr_ka = create(&b.alice, org, "client", client("INR", "29")).await;

        // Each line rounds half up on its own: amount = q × price, discount, then each tax.
        // 3 × 19.99 = 59.97, −10 % = 6.00 → 53.97, VAT 19 % = 10.2543 → 10.25
        // 0.5 × 10.05 = 5.025 → 5.03, VAT 7 % = 0.3521 → 0.35
        // 1.333 × 9.99 = 13.31667 → 13.32, −2.5 % = 0.333 → 0.33 → 12.99, VAT 19 % = 2.4681 → 2.47
        let invoice = create(&b.bob, org, "invoice", json!({"client": id(&eur), "issue_date": "2026-03-02", "lines": [
            line("Design", "3", 1999, "10", "19"),
            line("Half an hour", "0.5", 1005, "0", "7"),
            line("Odd quantity", "1.333", 999, "2.5", "19"),
        ]})).await;
        assert_eq!(invoice["currency"], "EUR");
        assert_eq!(invoice["due_date"], "2026-03-16", "the client's 14 days of terms");
        assert_eq!(figures(&invoice), [7832, 633, 1307, 8506, 8506]);
        let amounts: Vec<i64> = invoice["lines"].as_array().unwrap().iter().map(|l| l["amount"].as_i64().unwrap()).collect();
        assert_eq!(amounts, vec![5397, 503, 1299]);
        assert_eq!(taxes(&invoice), vec![("Tax 7%".into(), 503, 35), ("Tax 19%".into(), 6696, 1272)]);

        // Yen have no minor unit: 7 × ¥333 = 2,331, −5 % = 116.55 → 117, tax 10 % of 2,214
        // = 221.4 → 221; ¥1 at 10 % is ¥0.1 → 0.
        let invoice = create(&b.bob, org, "invoice", json!({"client": id(&jpy), "lines": [
            line("Widgets", "7", 333, "5", "10"), line("Token", "1", 1, "0", "10"),
        ]})).await;
        assert_eq!(figures(&invoice), [2332, 117, 221, 2436, 2436]);

        // Kuwaiti dinar has three decimals: 2.5 × 1.234 = 3.085, 5 % = 0.15425 → 0.154;
        // 0.001 × 0.500 = 0.0005 → 0.001 (half up), its 5 % → 0.
        let invoice = create(&b.bob, org, "invoice", json!({"client": id(&kwd), "lines": [
            line("Consulting", "2.5", 1234, "0", "5"), line("Sliver", "0.001", 500, "0", "5"),
        ]})).await;
        assert_eq!(figures(&invoice), [3086, 0, 154, 3240, 3240]);

        // GST within Maharashtra (seller 27, client 27): CGST + SGST at half the rate each,
        // each rounded: ₹0.50 at 5 % → 0.0125 + 0.0125 → ₹0.01 + ₹0.01.
        let gst_lines = json!([
            {"description": "Sample", "quantity": "1", "unit_price": 50, "tax_rate": "5"},
            {"description": "Implementation", "quantity": "2", "unit_price": 100_000, "tax_rate": "18", "tax_code": "998314"},
        ]);
        let within = create(&b.bob, org, "invoice", json!({"client": id(&inr_mh), "tax_scheme": "gst", "seller_state": "27", "lines": gst_lines})).await;
        assert_eq!(within["client_state"], "27");
        assert_eq!(figures(&within), [200_050, 0, 36_002, 236_052, 236_052]);
        assert_eq!(taxes(&within), vec![
            ("CGST 2.5%".into(), 50, 1), ("SGST 2.5%".into(), 50, 1),
            ("CGST 9%".into(), 200_000, 18_000), ("SGST 9%".into(), 200_000, 18_000),
        ]);
        // Across states (27 → 29) it is IGST at the full rate: ₹0.025 → ₹0.03.
        let across = create(&b.bob, org, "invoice", json!({"client": id(&inr_ka), "tax_scheme": "gst", "seller_state": "27", "lines": gst_lines})).await;
        assert_eq!(figures(&across), [200_050, 0, 36_003, 236_053, 236_053]);
        assert_eq!(taxes(&across), vec![("IGST 5%".into(), 50, 3), ("IGST 18%".into(), 200_000, 36_000)]);

        // A draft's figures follow its lines.
        let (status, changed) = call(&b.bob, Method::PATCH, &format!("/api/v1/records/{}", id(&across)), Some(json!({"version": across["version"], "lines": [line("One", "1", 100_000, "0", "18")]}))).await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(figures(&changed), [100_000, 0, 18_000, 118_000, 118_000]);

        // Bad lines are field errors at their place, and nothing is written.
        for (body, field) in [
            (json!({"client": id(&eur), "lines": [line("x", "-1", 100, "0", "0")]}), "lines[0].quantity"),
            (json!({"client": id(&eur), "lines": [line("x", "1.0001", 100, "0", "0")]}), "lines[0].quantity"),
            (json!({"client": id(&eur), "lines": [line("x", "1", 100, "101", "0")]}), "lines[0].discount"),
            (json!({"client": id(&eur), "lines": [line("", "1", 100, "0", "0")]}), "lines[0].description"),
            (json!({"client": id(&eur), "tax_scheme": "gst", "seller_state": "7", "lines": [line("x", "1", 100, "0", "5")]}), "seller_state"),
            (json!({"client": id(&eur), "issue_date": "2026-03-02", "due_date": "2026-03-01"}), "due_date"),
            (json!({"client": id(&eur), "subtotal": 5}), "subtotal"),
            (json!({"client": "no-such-client", "currency": "EUR", "issue_date": "2026-03-02", "due_date": "2026-03-30"}), "client"),
        ] {
            let (status, error) = call(&b.bob, Method::POST, &format!("/api/v1/orgs/{org}/records/invoice"), Some(body.clone())).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
            assert!(error["error"]["fields"][field].is_string(), "{field}: {error}");
        }
        let (_, page) = get(&b.bob, &format!("/api/v1/orgs/{org}/records/invoice")).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 5);
    }

    async fn an_invoice_is_sent_paid_in_parts_and_voided_and_amended_never_edited(backend) {
        let b = books(mailing(backend).start().await).await;
        let org = b.org.as_str();
        let ap = unique_address("ap");
        let cfo = unique_address("cfo");

        // Accountants keep the invoice settings; viewers read them; another org sees nothing.
        let settings = json!({
            "legal_name": "Acme Consulting GmbH", "address": "Hauptstraße 5\n10115 Berlin", "tax_id": "DE123456789",
            "tax_id_label": "VAT", "tax_name": "VAT", "email": "billing@acme.example",
            "payment_details": [{"label": "IBAN", "value": "DE89 3704 0044 0532 0130 00"}],
            "accent_color": "#AA3300", "footer_text": "Acme Consulting GmbH · Amtsgericht Berlin", "paper": "a4", "reminder_days": [14, 3]
        });
        let path = format!("/api/v1/orgs/{org}/invoice-settings");
        let (status, saved) = call(&b.bob, Method::PUT, &path, Some(settings.clone())).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!((saved["accent_color"].as_str(), saved["reminder_days"].clone()), (Some("#aa3300"), json!([3, 14])));
        assert_eq!(call(&b.vic, Method::PUT, &path, Some(settings.clone())).await.0, StatusCode::FORBIDDEN);
        assert_eq!(get(&b.vic, &path).await.1["legal_name"], "Acme Consulting GmbH");
        assert_eq!(get(&b.eve, &path).await.0, StatusCode::NOT_FOUND);
        let (status, bad) = call(&b.bob, Method::PUT, &path, Some(json!({"accent_color": "red", "paper": "a5", "reminder_days": [0], "logo_file": "nope"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        for field in ["accent_color", "paper", "reminder_days"] {
            assert!(bad["error"]["fields"][field].is_string(), "{field}: {bad}");
        }
        assert_eq!(get(&b.bob, &path).await.1["accent_color"], "#aa3300", "nothing changed");
        // A logo that is a PNG by its first bytes but cannot be read is refused when saved.
        let brand = fixtures::create_project(&b.alice, org, "Brand", atrium_client::wire::Visibility::Open).await.id;
        let (status, broken) = fixtures::upload_file(&b.alice, &brand, "logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRbroken").await;
        assert_eq!(status, StatusCode::CREATED, "{broken}");
        let mut with_logo = settings.clone();
        with_logo["logo_file"] = broken["id"].clone();
        let (status, bad) = call(&b.bob, Method::PUT, &path, Some(with_logo)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(bad["error"]["fields"]["logo_file"].is_string(), "{bad}");

        let client = create(&b.sam, org, "client", json!({"name": "Zoë Müller & Söhne 株式会社", "currency": "EUR", "email": ap, "address": "Rue de la Paix 1\n75002 Paris", "tax_id": "FR12345678901", "payment_terms_days": 30})).await;
        let draft = create(&b.bob, org, "invoice", json!({"client": id(&client), "issue_date": "2026-03-02", "notes": "Thank you — merci.", "lines": [
            line("Discovery workshop", "3", 1999, "10", "19"),
            line("Café meeting ☕", "0.5", 1005, "0", "7"),
            line("Report (€, ₹ and 日本語)", "1.333", 999, "2.5", "19"),
        ]})).await;
        assert!(draft["name"].as_str().unwrap().starts_with("Draft-"), "{draft}");
        assert_eq!(draft["state"], "draft");
        assert_eq!(draft["due_date"], "2026-04-01");
        let invoice = id(&draft).to_owned();

        // Payments wait for the invoice to be sent; others cannot send or pay it.
        assert_eq!(pay(&b.bob, &invoice, 100).await.0, StatusCode::CONFLICT);
        assert_eq!(send(&b.vic, &invoice, json!({})).await.0, StatusCode::FORBIDDEN);
        assert_eq!(send(&b.eve, &invoice, json!({})).await.0, StatusCode::NOT_FOUND);
        assert_eq!(pay(&b.eve, &invoice, 100).await.0, StatusCode::NOT_FOUND);
        let (status, bad) = send(&b.bob, &invoice, json!({"to": "not an address", "cc": ["x@y.example\r\nBcc: z@evil.example"]})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(bad["error"]["fields"]["to"].is_string() && bad["error"]["fields"]["cc[0]"].is_string(), "{bad}");
        assert_eq!(get(&b.bob, &format!("/api/v1/records/{invoice}")).await.1["state"], "draft", "nothing changed");

        // Sending issues it: the next number of the year's series, read-only from now on.
        let (status, sent) = send(&b.bob, &invoice, json!({"cc": [cfo], "message": "Hello Zoë, here is our invoice."})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
        let number = sent["invoice"]["name"].as_str().unwrap().to_owned();
        let year = &civil_date(today())[..4];
        assert_eq!(number, format!("INV-{year}-00001"));
        assert_eq!((sent["invoice"]["state"].as_str(), sent["to"].as_str()), (Some("sent"), Some(ap.as_str())));
        let (status, _) = call(&b.bob, Method::PATCH, &format!("/api/v1/records/{invoice}"), Some(json!({"version": sent["invoice"]["version"], "notes": "changed"}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a sent invoice is read-only");

        // The client gets one e-mail, the PDF attached, the CFO in copy, replies to billing.
        let mail = wait_for_mail_containing(&b.server.mail_dir(), &ap, &number).await;
        assert!(mail.contains(&format!("Cc: {cfo}")) || mail.contains(&format!("<{cfo}>")), "{mail}");
        assert!(mail.contains("Reply-To: billing@acme.example"), "{mail}");
        assert!(mail.contains("Content-Type: application/pdf"), "{mail}");
        assert!(mail.contains(&format!("filename=\"{number}.pdf\"")), "{mail}");
        assert!(mail.contains("Hello Zo"), "{mail}");

        // The PDF: number, client, every line, the total; Unicode survives typesetting.
        let pdf = pdf_of(&b.vic, &invoice).await;
        assert!(pdf.starts_with(b"%PDF-"));
        let text = atrium_tests::pdf::text(&pdf);
        for needle in [number.as_str(), "Zoë Müller & Söhne 株式会社", "Discovery workshop", "Café meeting ☕", "Report (€, ₹ and 日本語)", "€85.06", "DE89 3704 0044 0532 0130 00", "Acme Consulting GmbH", "VAT 19"] {
            assert!(text.contains(needle), "{needle:?} not in the PDF text:\n{text}");
        }
        assert_eq!(pdf, pdf_of(&b.bob, &invoice).await, "the same invoice gives the same bytes");
        assert_eq!(b.eve.client.request(Method::GET, &format!("/api/v1/records/{invoice}/pdf")).send().await.unwrap().status(), StatusCode::NOT_FOUND);

        // Paid in two parts; never more than is due; viewers cannot record payments.
        assert_eq!(pay(&b.vic, &invoice, 100).await.0, StatusCode::FORBIDDEN);
        let (status, first) = pay(&b.bob, &invoice, 5000).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        assert_eq!((first["invoice"]["state"].as_str(), first["invoice"]["amount_due"].as_i64()), (Some("partially_paid"), Some(3506)));
        assert_eq!((first["payment"]["amount"].as_i64(), first["payment"]["invoice"].as_str()), (Some(5000), Some(invoice.as_str())));
        let (status, over) = pay(&b.bob, &invoice, 3507).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{over}");
        assert!(over["error"]["fields"]["amount"].as_str().unwrap().contains("€35.06"), "{over}");
        let (status, zero) = call(&b.bob, Method::POST, &format!("/api/v1/records/{invoice}/payments"), Some(json!({"amount": 0, "date": "2026-13-01", "method": "barter"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{zero}");
        for field in ["amount", "date", "method"] {
            assert!(zero["error"]["fields"][field].is_string(), "{field}: {zero}");
        }
        let (status, rest) = pay(&b.bob, &invoice, 3506).await;
        assert_eq!(status, StatusCode::CREATED, "{rest}");
        assert_eq!((rest["invoice"]["state"].as_str(), rest["invoice"]["amount_due"].as_i64(), rest["invoice"]["amount_paid"].as_i64()), (Some("paid"), Some(0), Some(8506)));
        assert_eq!(pay(&b.bob, &invoice, 1).await.0, StatusCode::CONFLICT);
        let (_, payments) = get(&b.vic, &format!("/api/v1/orgs/{org}/records/payment?invoice={invoice}")).await;
        assert_eq!(payments["items"].as_array().unwrap().len(), 2, "{payments}");
        // Payments are made against invoices only, and a paid invoice is not voided.
        let (status, refused) = call(&b.bob, Method::POST, &format!("/api/v1/orgs/{org}/records/payment"), Some(json!({"invoice": invoice, "amount": 1}))).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("created_elsewhere")));
        let (status, _) = call(&b.bob, Method::POST, &format!("/api/v1/records/{invoice}/transition"), Some(json!({"action": "void"}))).await;
        assert_eq!(status, StatusCode::CONFLICT);

        // The history tells the story.
        let (_, history) = get(&b.vic, &format!("/api/v1/records/{invoice}/history")).await;
        let actions: Vec<&str> = history["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(actions, vec!["send", "payment", "payment"], "{history}");

        // A second invoice is numbered next; voided unpaid, it is amended into a new draft.
        let second = create(&b.bob, org, "invoice", json!({"client": id(&client), "lines": [line("Follow-up", "1", 10_000, "0", "19")]})).await;
        let (status, sent) = send(&b.bob, id(&second), json!({"to": cfo})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
        assert_eq!(sent["invoice"]["name"], format!("INV-{year}-00002"));
        let (status, void) = call(&b.bob, Method::POST, &format!("/api/v1/records/{}/transition", id(&second)), Some(json!({"action": "void"}))).await;
        assert_eq!((status, void["state"].as_str()), (StatusCode::OK, Some("void")), "{void}");
        assert_eq!(send(&b.bob, id(&second), json!({})).await.0, StatusCode::CONFLICT);
        assert_eq!(pay(&b.bob, id(&second), 1).await.0, StatusCode::CONFLICT);
        let (status, amended) = call(&b.bob, Method::POST, &format!("/api/v1/records/{}/amend", id(&second)), None).await;
        assert_eq!(status, StatusCode::CREATED, "{amended}");
        assert_eq!((amended["state"].as_str(), amended["amended_from"].as_str()), (Some("draft"), Some(id(&second))));
        assert_eq!(amended["total"], 11_900);
    }

    async fn overdue_invoices_remind_their_clients_once_each_on_schedule(backend) {
        let b = books(mailing(backend).start().await).await;
        let org = b.org.as_str();
        let late_payer = unique_address("late");
        let good_payer = unique_address("good");
        let (status, _) = call(&b.bob, Method::PUT, &format!("/api/v1/orgs/{org}/invoice-settings"), Some(json!({"reminder_days": [3, 7]}))).await;
        assert_eq!(status, StatusCode::OK);
        // Due in 30 days: the server's own passes (today) leave these alone; the operator's
        // command runs the pass as of the days the test picks.
        let due = today() + 30;
        let mut invoices = Vec::new();
        for to in [&late_payer, &good_payer] {
            let client = create(&b.alice, org, "client", json!({"name": to, "currency": "EUR", "email": to})).await;
            let invoice = create(&b.bob, org, "invoice", json!({"client": id(&client), "due_date": civil_date(due), "lines": [line("Work", "1", 10_000, "0", "0")]})).await;
            assert_eq!(send(&b.bob, id(&invoice), json!({})).await.0, StatusCode::ACCEPTED);
            wait_for_mail_containing(&b.server.mail_dir(), to, "Invoice INV-").await;
            invoices.push(id(&invoice).to_owned());
        }
        let pass = |offset: i64| {
            let output = b.server.command(&["admin", "invoice-pass", "--date", &civil_date(due + offset)]).output().unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8(output.stdout).unwrap()
        };
        let reminders = |to: &str| mails_to_containing(&b.server.mail_dir(), to, "Reminder: invoice").len();
        let state = |invoice: &str| {
            let path = format!("/api/v1/records/{invoice}");
            let bob = b.bob.clone();
            async move { get(&bob, &path).await.1["state"].as_str().unwrap().to_owned() }
        };

        // On the due date nothing happens; the day after, both are overdue, nobody reminded.
        let out = pass(0);
        assert!(out.contains("0 invoices became overdue, 0 reminders"), "{out}");
        let out = pass(1);
        assert!(out.contains("2 invoices became overdue, 0 reminders"), "{out}");
        assert_eq!(state(&invoices[0]).await, "overdue");
        // The good payer pays in full before the first reminder (an overdue invoice takes it).
        let (status, paid) = pay(&b.bob, &invoices[1], 10_000).await;
        assert_eq!((status, paid["invoice"]["state"].as_str()), (StatusCode::CREATED, Some("paid")), "{paid}");
        // Day 3: the first reminder, once, however often the pass runs.
        let out = pass(3);
        assert!(out.contains("0 invoices became overdue, 1 reminders"), "{out}");
        let out = pass(3);
        assert!(out.contains(", 0 reminders"), "{out}");
        let mail = wait_for_mail_containing(&b.server.mail_dir(), &late_payer, "Reminder: invoice").await;
        assert!(mail.contains("Content-Type: application/pdf"), "{mail}");
        let out = pass(5);
        assert!(out.contains(", 0 reminders"), "{out}");
        // Day 7: the second; a part payment does not stop it (something is still due).
        assert_eq!(pay(&b.bob, &invoices[0], 4_000).await.0, StatusCode::CREATED);
        assert_eq!(state(&invoices[0]).await, "overdue");
        let out = pass(9);
        assert!(out.contains(", 1 reminders"), "a pass that ran late still sends the one reached: {out}");
        let out = pass(10);
        assert!(out.contains(", 0 reminders"), "{out}");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while reminders(&late_payer) < 2 {
            assert!(std::time::Instant::now() < deadline, "the second reminder never came");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(reminders(&late_payer), 2);
        assert_eq!(reminders(&good_payer), 0);
        let (_, history) = get(&b.vic, &format!("/api/v1/records/{}/history", invoices[0])).await;
        let reminded: Vec<&str> = history["items"].as_array().unwrap().iter()
            .filter(|e| e["kind"] == "reminded").filter_map(|e| e["comment"].as_str()).collect();
        assert_eq!(reminded.len(), 2, "{history}");
        assert!(reminded[0].contains("3 days") && reminded[1].contains("7 days"), "{reminded:?}");
    }

    async fn invoice_and_reminder_mail_come_from_the_orgs_email_templates(backend) {
        let b = books(mailing(backend).start().await).await;
        let org = b.org.as_str();
        let to = unique_address("templated");
        let template = |name: &str, subject: &str, body: &str| {
            let alice = b.alice.clone();
            let body = json!({"name": name, "subject": subject, "body": body});
            let path = format!("/api/v1/orgs/{org}/email-templates");
            async move {
                let (status, t) = call(&alice, Method::POST, &path, Some(body)).await;
                assert_eq!(status, StatusCode::CREATED, "{t}");
                id(&t).to_owned()
            }
        };
        let invoice_mail = template("Invoice mail", "Invoice {{number}} — {{seller}}",
            "Dear {{client}},\n\n{{message}}\n\nPlease pay {{amount_due}} of {{total}} by {{due_date}} ({{reference}}).\n{{payment_details}}").await;
        let reminder_mail = template("Reminder mail", "Overdue: {{number}}, {{days_overdue}} days",
            "{{client}} still owes {{amount_due}}, {{days_overdue}} days after {{due_date}}.").await;
        // What the settings screen's preview shows for sample invoice fields.
        let (status, preview) = call(&b.alice, Method::POST, &format!("/api/v1/email-templates/{invoice_mail}/preview"),
            Some(json!({"fields": {"number": "INV-2026-00042", "seller": "Acme"}}))).await;
        assert_eq!((status, preview["subject"].as_str()), (StatusCode::OK, Some("Invoice INV-2026-00042 — Acme")), "{preview}");

        // Only the org's own templates: another org's id, or none at all, saves nothing.
        let elsewhere = fixtures::create_org(&b.eve, "Elsewhere").await.id;
        let (status, foreign) = call(&b.eve, Method::POST, &format!("/api/v1/orgs/{elsewhere}/email-templates"),
            Some(json!({"name": "theirs", "subject": "s", "body": "b"}))).await;
        assert_eq!(status, StatusCode::CREATED, "{foreign}");
        let path = format!("/api/v1/orgs/{org}/invoice-settings");
        let (status, bad) = call(&b.bob, Method::PUT, &path, Some(json!({"legal_name": "Nope", "invoice_template": id(&foreign), "reminder_template": "no-such-template"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        for field in ["invoice_template", "reminder_template"] {
            assert!(bad["error"]["fields"][field].is_string(), "{field}: {bad}");
        }
        let (_, unchanged) = get(&b.bob, &path).await;
        assert!(unchanged["legal_name"] == "" && unchanged.get("invoice_template").is_none(), "nothing saved: {unchanged}");

        let settings = json!({"legal_name": "Acme Consulting GmbH", "email": "billing@acme.example", "reminder_days": [3],
            "payment_details": [{"label": "IBAN", "value": "DE89 3704 0044 0532 0130 00"}],
            "invoice_template": invoice_mail, "reminder_template": format!(" {reminder_mail} ")});
        let (status, saved) = call(&b.bob, Method::PUT, &path, Some(settings)).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!((saved["invoice_template"].as_str(), saved["reminder_template"].as_str()), (Some(invoice_mail.as_str()), Some(reminder_mail.as_str())));
        assert_eq!(get(&b.vic, &path).await.1["reminder_template"], reminder_mail);

        // The invoice mail: the template rendered over the invoice, markup in a field only
        // escaped in the HTML part, the PDF attached, replies to billing.
        let client = create(&b.alice, org, "client", json!({"name": "Initech <b>Ltd</b>", "currency": "EUR", "email": to})).await;
        let due = today() + 30;
        let invoice = create(&b.bob, org, "invoice", json!({"client": id(&client), "due_date": civil_date(due), "reference": "PO <7>",
            "lines": [line("Work", "1", 10_000, "0", "19")]})).await;
        let (status, sent) = send(&b.bob, id(&invoice), json!({"message": "Thanks for the work."})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
        let number = sent["invoice"]["name"].as_str().unwrap().to_owned();
        let mail = nth_mail(&b.server.mail_dir(), &to, 1).await;
        assert_eq!(header(&mail, "Subject"), format!("Invoice {number} — Acme Consulting GmbH"), "{mail}");
        assert_eq!(header(&mail, "Reply-To"), "billing@acme.example");
        assert!(mail.contains("Content-Type: application/pdf") && mail.contains(&format!("filename=\"{number}.pdf\"")), "{mail}");
        let (text, html) = parts(&mail);
        let due_date = civil_date(due);
        for needle in ["Dear Initech <b>Ltd</b>,", "Thanks for the work.", &format!("Please pay €119.00 of €119.00 by {due_date} (PO <7>)."), "IBAN: DE89 3704 0044 0532 0130 00"] {
            assert!(text.contains(needle), "{needle:?} not in the text part: {text}");
        }
        assert!(html.contains("Dear Initech &lt;b&gt;Ltd&lt;/b&gt;,") && html.contains("(PO &lt;7&gt;)"), "{html}");
        assert!(!html.contains("<b>Ltd") && !html.contains("<7>"), "markup in a field stays text: {html}");
        assert!(!text.contains("Please find attached"), "not the built-in wording: {text}");

        // The reminder, from its template, through the pass on a day the test picks.
        let output = b.server.command(&["admin", "invoice-pass", "--date", &civil_date(due + 3)]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(String::from_utf8_lossy(&output.stdout).contains("1 reminders"), "{output:?}");
        let reminder = nth_mail(&b.server.mail_dir(), &to, 2).await;
        assert_eq!(header(&reminder, "Subject"), format!("Overdue: {number}, 3 days"), "{reminder}");
        assert!(reminder.contains("Content-Type: application/pdf"), "{reminder}");
        let (text, html) = parts(&reminder);
        assert!(text.contains(&format!("Initech <b>Ltd</b> still owes €119.00, 3 days after {due_date}.")), "{text}");
        assert!(html.contains("Initech &lt;b&gt;Ltd&lt;/b&gt; still owes") && !html.contains("<b>Ltd"), "{html}");

        // A template the settings use is not deleted; once they stop using it, it may be.
        let (status, refused) = call(&b.alice, Method::DELETE, &format!("/api/v1/email-templates/{reminder_mail}"), None).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("template_in_use")), "{refused}");
        assert!(refused["error"]["message"].as_str().unwrap().contains("invoice settings"), "{refused}");
        assert_eq!(get(&b.alice, &format!("/api/v1/email-templates/{reminder_mail}")).await.0, StatusCode::OK, "still there");
        let (status, _) = call(&b.bob, Method::PUT, &path, Some(json!({"invoice_template": invoice_mail}))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = call(&b.alice, Method::DELETE, &format!("/api/v1/email-templates/{reminder_mail}"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, refused) = call(&b.alice, Method::DELETE, &format!("/api/v1/email-templates/{invoice_mail}"), None).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("template_in_use")), "{refused}");
    }

    async fn an_invoice_sent_while_smtp_is_down_is_delivered_once_when_it_is_back(backend) {
        let port = free_port();
        let server = TestServer::builder(backend)
            .env("ATRIUM_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
            .env("ATRIUM_JOBS_POLL_INTERVAL_MS", "50")
            .env("ATRIUM_JOBS_BACKOFF_BASE_MS", "200")
            .env("ATRIUM_JOBS_BACKOFF_MAX_SECS", "1")
            .start()
            .await;
        // No invitations (their mail would not arrive): the owner bills on her own.
        let alice = fixtures::operator_user(&server, "alice").await;
        let org = fixtures::create_org(&alice, "Acme").await.id;
        let org = org.as_str();
        let to = unique_address("ap");
        let client = create(&alice, org, "client", json!({"name": "Initech", "currency": "USD", "email": to})).await;
        let invoice = create(&alice, org, "invoice", json!({"client": id(&client), "lines": [line("TPS reports", "12", 2500, "0", "8.875")]})).await;
        let (status, sent) = send(&alice, id(&invoice), json!({})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{sent}");

        // The job fails while nothing listens, and says why.
        let jobs = format!("/api/v1/orgs/{org}/jobs?state=failed");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let job_id = loop {
            let (_, page) = get(&alice, &jobs).await;
            if let Some(job) = page["items"].as_array().unwrap().iter().find(|j| j["kind"] == "invoice.mail") {
                assert!(job["last_error"].as_str().unwrap().contains("SMTP"), "{job}");
                break job["id"].as_str().unwrap().to_owned();
            }
            assert!(std::time::Instant::now() < deadline, "the send never failed: {page}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        // SMTP comes back: delivered, exactly once, with the PDF.
        let sink = PrivateSmtp::start(port);
        let mail = wait_for_mail_containing(&sink.mail_dir(), &to, sent["invoice"]["name"].as_str().unwrap()).await;
        assert!(mail.contains("Content-Type: application/pdf"), "{mail}");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let ids = message_ids(&sink.mail_dir());
        assert_eq!(ids.get(&job_id), Some(&1), "{ids:?}");
        assert_eq!(ids.len(), 1, "{ids:?}");
    }
}
