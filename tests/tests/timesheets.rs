//! Timesheets and invoices from time through HTTP and the operator command, on both
//! databases: a week prefilled from time entries, submitted, refused to its own person,
//! rejected with a reason and approved by the person's manager; the approver's view and
//! nobody else's; notifications each way; the approved, billable time invoiced exactly once
//! (a second invoice finds nothing; deleting the draft or voiding the invoice frees it), sent
//! with its PDF and paid in two parts; and the reminder of last
//! week's timesheet once the org's deadline passes, once per person.

use atrium_client::wire::{OrgRole, ProjectRole, Visibility};
use atrium_tests::fixtures::{self, TestUser, call_json as call, create_record as create};
use atrium_tests::mail;
use atrium_tests::{Backend, TestServer, backend_tests};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A Monday in the past: the week the tests track time in.
const WEEK: &str = "2026-11-02";

/// An org of alice (owner): mia manages tom; tom and carl work on the client's project; bob is
/// the accountant; eve runs another org.
struct Office {
    server: TestServer,
    org: String,
    project: String,
    client: String,
    client_email: String,
    tasks: [String; 2],
    alice: TestUser,
    mia: TestUser,
    tom: TestUser,
    carl: TestUser,
    bob: TestUser,
    eve: TestUser,
}

async fn office(backend: Backend) -> Office {
    let server = TestServer::builder(backend)
        .env("ATRIUM_API_RATE_PER_SECOND", "10000")
        .start()
        .await;
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let user = |name: &str| format!("{name}-{tag}");
    let alice = fixtures::user(&server, &user("alice")).await;
    let mia = fixtures::user(&server, &user("mia")).await;
    let tom = fixtures::user(&server, &user("tom")).await;
    let carl = fixtures::user(&server, &user("carl")).await;
    let bob = fixtures::user(&server, &user("bob")).await;
    let eve = fixtures::user(&server, &user("eve")).await;
    let org = fixtures::create_org(&alice, "Acme").await.id;
    fixtures::create_org(&eve, "Other").await;
    for member in [&mia, &carl, &bob] {
        fixtures::add_org_member(&alice, &org, member, OrgRole::Member).await;
    }
    fixtures::set_business_roles(&alice, &org, &bob, &["accountant"]).await;
    // Tom joins managed by Mia: the invitation names his manager.
    let email = tom.user.email.clone();
    let seen = mail::link_tokens(&tom.mail_dir, &email, "/invitations");
    let invite = format!("/api/v1/orgs/{org}/members");
    let (status, bad) = call(
        &alice,
        Method::POST,
        &invite,
        Some(json!({"email": email, "role": "member", "manager": eve.id()})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, sent) = call(
        &alice,
        Method::POST,
        &invite,
        Some(json!({"email": email, "role": "member", "manager": mia.id()})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let token = mail::wait_for_link(&tom.mail_dir, &email, "/invitations", &seen).await;
    fixtures::accept_invitation(&tom, &token).await;
    let (_, members) = call(
        &alice,
        Method::GET,
        &format!("/api/v1/orgs/{org}/members"),
        None,
    )
    .await;
    let tom_member = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["id"] == tom.id())
        .unwrap();
    assert_eq!(tom_member["manager"], mia.id());
    // Managers do not loop, and are members.
    let patch = |who: &TestUser| format!("/api/v1/orgs/{org}/members/{}", who.id());
    let (status, bad) = call(
        &alice,
        Method::PATCH,
        &patch(&mia),
        Some(json!({"manager": tom.id()})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, bad) = call(
        &alice,
        Method::PATCH,
        &patch(&carl),
        Some(json!({"manager": eve.id()})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, member) = call(
        &alice,
        Method::PATCH,
        &patch(&carl),
        Some(json!({"manager": null})),
    )
    .await;
    assert_eq!(
        (status, member.get("manager")),
        (StatusCode::OK, None),
        "{member}"
    );
    let project = fixtures::create_project(&alice, &org, "Client work", Visibility::Private)
        .await
        .id;
    for worker in [&tom, &carl] {
        fixtures::add_project_member(&alice, &project, worker.id(), ProjectRole::Editor).await;
    }
    let client_email = format!("ap-{tag}@globex.example");
    let client = create(
        &alice,
        &org,
        "client",
        json!({"name": "Globex", "email": client_email, "currency": "EUR", "payment_terms_days": 30}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, board) = call(
        &alice,
        Method::POST,
        &format!("/api/v1/projects/{project}/boards"),
        Some(json!({"name": "Main"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{board}");
    let mut tasks = Vec::new();
    for title in ["Design the login", "Fix the export"] {
        let (status, task) = call(
            &alice,
            Method::POST,
            &format!("/api/v1/boards/{}/tasks", board["id"].as_str().unwrap()),
            Some(json!({"title": title})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{task}");
        tasks.push(task["id"].as_str().unwrap().to_owned());
    }
    Office {
        server,
        org,
        project,
        client,
        client_email,
        tasks: [tasks[0].clone(), tasks[1].clone()],
        alice,
        mia,
        tom,
        carl,
        bob,
        eve,
    }
}

async fn log(user: &TestUser, task: &str, minutes: u32, date: &str, billable: bool) {
    let (status, entry) = call(
        user,
        Method::POST,
        &format!("/api/v1/tasks/{task}/time"),
        Some(json!({"minutes": minutes, "date": date, "billable": billable})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
}

async fn step(
    user: &TestUser,
    record: &str,
    action: &str,
    comment: Option<&str>,
) -> (StatusCode, Value) {
    let mut body = json!({"action": action});
    if let Some(comment) = comment {
        body["comment"] = json!(comment);
    }
    call(
        user,
        Method::POST,
        &format!("/api/v1/records/{record}/transition"),
        Some(body),
    )
    .await
}

async fn notifications(user: &TestUser, kind: &str) -> Vec<Value> {
    let (status, page) = call(user, Method::GET, "/api/v1/notifications", None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .cloned()
        .collect()
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

backend_tests! {
    async fn time_becomes_an_approved_timesheet_and_is_invoiced_once(backend) {
        let o = office(backend).await;
        let org = o.org.as_str();
        // Tom's week: 90 and 30 minutes billable, 45 not; one day of the next week.
        log(&o.tom, &o.tasks[0], 90, "2026-11-02", true).await;
        log(&o.tom, &o.tasks[1], 30, "2026-11-04", true).await;
        log(&o.tom, &o.tasks[1], 45, "2026-11-05", false).await;
        log(&o.tom, &o.tasks[0], 60, "2026-11-09", true).await;

        // Weeks start on Monday; a week is kept once per person; only one's own.
        let (status, bad) = call(&o.tom, Method::POST, &format!("/api/v1/orgs/{org}/records/timesheet"), Some(json!({"week": "2026-11-03"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(bad["error"]["fields"]["week"].is_string(), "{bad}");
        let (status, bad) = call(&o.tom, Method::POST, &format!("/api/v1/orgs/{org}/records/timesheet"), Some(json!({"week": WEEK, "user": o.carl.id()}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{bad}");

        let sheet = create(&o.tom, org, "timesheet", json!({"week": WEEK})).await;
        let id = sheet["id"].as_str().unwrap().to_owned();
        assert_eq!(sheet["user"], o.tom.id());
        assert_eq!(sheet["entries"].as_array().unwrap().len(), 3, "{sheet}");
        assert_eq!((sheet["total_minutes"].as_i64(), sheet["billable_minutes"].as_i64()), (Some(165), Some(120)));
        assert_eq!(sheet["entries"][0]["task"], o.tasks[0].as_str());
        assert_eq!(sheet["entries"][2]["billable"], false);
        assert!(sheet["entries"].as_array().unwrap().iter().all(|row| row["time_entry"].is_string()), "{sheet}");
        let approvers: Vec<&str> = sheet["approvers"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        assert!(approvers.contains(&o.mia.id()) && !approvers.contains(&o.tom.id()), "{sheet}");
        let (status, again) = call(&o.tom, Method::POST, &format!("/api/v1/orgs/{org}/records/timesheet"), Some(json!({"week": WEEK}))).await;
        assert_eq!((status, error_code(&again)), (StatusCode::CONFLICT, "timesheet_exists"), "{again}");
        // A row must name a project of the org and a day of the week.
        let path = format!("/api/v1/records/{id}");
        let mut rows = sheet["entries"].as_array().unwrap().clone();
        rows.push(json!({"project": "nope", "date": "2026-11-03", "minutes": 10}));
        let (status, bad) = call(&o.tom, Method::PATCH, &path, Some(json!({"version": sheet["version"], "entries": rows}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(bad["error"]["fields"]["entries[3].project"].is_string(), "{bad}");

        // Carl is nobody's approver: the timesheet does not exist for him; the manager sees it.
        let (status, _) = call(&o.carl, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = call(&o.mia, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK);

        // Submitted: the approvers hear of it; nobody approves their own.
        let (status, submitted) = step(&o.tom, &id, "submit", None).await;
        assert_eq!((status, submitted["state"].as_str()), (StatusCode::OK, Some("submitted")), "{submitted}");
        let told = notifications(&o.mia, "timesheet_submitted").await;
        assert_eq!(told.len(), 1, "{told:?}");
        assert_eq!(told[0]["channel_id"], id.as_str());
        let (status, own) = step(&o.tom, &id, "approve", None).await;
        assert_eq!((status, error_code(&own)), (StatusCode::FORBIDDEN, "self_approval"), "{own}");
        let (status, _) = step(&o.carl, &id, "approve", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = call(&o.tom, Method::PATCH, &path, Some(json!({"version": submitted["version"], "entries": []}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a submitted timesheet is read-only");
        let (status, listed) = call(&o.mia, Method::GET, &format!("/api/v1/orgs/{org}/records/timesheet?state=submitted"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");

        // Rejected with a reason (none: refused), corrected, submitted again, approved.
        let (status, bad) = step(&o.mia, &id, "reject", None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(bad["error"]["fields"]["comment"].is_string(), "{bad}");
        let (status, rejected) = step(&o.mia, &id, "reject", Some("Wednesday is missing")).await;
        assert_eq!((status, rejected["state"].as_str()), (StatusCode::OK, Some("rejected")), "{rejected}");
        let told = notifications(&o.tom, "timesheet_rejected").await;
        assert!(told.len() == 1 && told[0]["snippet"].as_str().unwrap().contains("Wednesday is missing"), "{told:?}");
        let mut rows = rejected["entries"].as_array().unwrap().clone();
        rows[1]["minutes"] = json!(45);
        let (status, fixed) = call(&o.tom, Method::PATCH, &path, Some(json!({"version": rejected["version"], "entries": rows}))).await;
        assert_eq!(status, StatusCode::OK, "{fixed}");
        assert_eq!(fixed["billable_minutes"], 135);
        let (status, _) = step(&o.tom, &id, "submit", None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, approved) = step(&o.mia, &id, "approve", None).await;
        assert_eq!((status, approved["state"].as_str()), (StatusCode::OK, Some("approved")), "{approved}");
        assert_eq!(notifications(&o.tom, "timesheet_approved").await.len(), 1);
        let (status, _) = call(&o.tom, Method::PATCH, &path, Some(json!({"version": approved["version"], "entries": []}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "an approved timesheet is read-only");

        // The project bills Globex at €100/h, Tom's time at €120/h.
        let billing = format!("/api/v1/projects/{}/billing", o.project);
        let (status, bad) = call(&o.alice, Method::PUT, &billing, Some(json!({"client": "nope", "rates": [{"rate": -1}]}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(bad["error"]["fields"]["client"].is_string() && bad["error"]["fields"]["rates[0].rate"].is_string(), "{bad}");
        let (status, _) = call(&o.tom, Method::PUT, &billing, Some(json!({"client": o.client}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, saved) = call(&o.alice, Method::PUT, &billing, Some(json!({"client": o.client, "rates": [{"rate": 10000}, {"user_id": o.tom.id(), "rate": 12000}]}))).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["rates"].as_array().unwrap().len(), 2);

        // Only who writes every invoice invoices time; another org's people find nothing.
        let from_time = format!("/api/v1/orgs/{org}/invoices/from-time");
        let period = json!({"client": o.client, "from": "2026-11-01", "to": "2026-11-08"});
        let (status, _) = call(&o.tom, Method::POST, &from_time, Some(period.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = call(&o.eve, Method::POST, &from_time, Some(period.clone())).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, bad) = call(&o.bob, Method::POST, &from_time, Some(json!({"client": o.client, "from": "2026-11-08", "to": "2026-11-01"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");

        // Exactly the approved billable rows of the period: 1.5 h and 0.75 h at €120.
        let (status, invoice) = call(&o.bob, Method::POST, &from_time, Some(period.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{invoice}");
        let lines = invoice["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 2, "{invoice}");
        let quantities: Vec<&str> = lines.iter().map(|l| l["quantity"].as_str().unwrap()).collect();
        assert_eq!(quantities, ["1.5", "0.75"], "{invoice}");
        assert!(lines.iter().all(|l| l["unit_price"] == 12000));
        assert!(lines[0]["description"].as_str().unwrap().contains("Design the login"), "{invoice}");
        assert_eq!((invoice["total"].as_i64(), invoice["currency"].as_str()), (Some(27000), Some("EUR")));
        assert_eq!((invoice["time_from"].as_str(), invoice["time_to"].as_str()), (Some("2026-11-01"), Some("2026-11-08")));
        assert_eq!(invoice["state"], "draft");

        // A second invoice of the same period takes none of it.
        let (status, none) = call(&o.bob, Method::POST, &from_time, Some(period.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{none}");

        // Deleting the draft frees the time; so does voiding a sent invoice. By person, the
        // time is one line.
        let (status, _) = call(&o.bob, Method::DELETE, &format!("/api/v1/records/{}", invoice["id"].as_str().unwrap()), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, again) = call(&o.bob, Method::POST, &from_time, Some(period.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        let again_id = again["id"].as_str().unwrap().to_owned();
        let (status, sent) = call(&o.bob, Method::POST, &format!("/api/v1/records/{again_id}/send"), Some(json!({}))).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
        let (status, voided) = step(&o.bob, &again_id, "void", None).await;
        assert_eq!((status, voided["state"].as_str()), (StatusCode::OK, Some("void")), "{voided}");
        let mut by_person = period.clone();
        by_person["group"] = json!("person");
        let (status, invoice) = call(&o.bob, Method::POST, &from_time, Some(by_person)).await;
        assert_eq!(status, StatusCode::CREATED, "{invoice}");
        assert_eq!(invoice["lines"].as_array().unwrap().len(), 1, "{invoice}");
        assert_eq!(invoice["lines"][0]["quantity"], "2.25");
        assert!(invoice["lines"][0]["description"].as_str().unwrap().contains("Client work"), "{invoice}");
        assert_eq!(invoice["total"], 27000);
        let id = invoice["id"].as_str().unwrap().to_owned();

        // Issued and e-mailed to the client with its PDF, whose text has the number, the
        // client, the line and the total.
        let (status, sent) = call(&o.bob, Method::POST, &format!("/api/v1/records/{id}/send"), Some(json!({}))).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
        let number = sent["invoice"]["name"].as_str().unwrap().to_owned();
        assert!(number.starts_with("INV-") && number.ends_with("-00002"), "{number}");
        let mail = mail::wait_for_mail_containing(&o.server.mail_dir(), &o.client_email, &number).await;
        assert!(mail.contains("Content-Type: application/pdf") && mail.contains(&format!("filename=\"{number}.pdf\"")), "{mail}");
        let response = o.bob.client.request(Method::GET, &format!("/api/v1/records/{id}/pdf")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let text = atrium_tests::pdf::text(&response.bytes().await.unwrap());
        for needle in [number.as_str(), "Globex", "Client work", "2.25", "€270.00"] {
            assert!(text.contains(needle), "{needle:?} not in the PDF text:\n{text}");
        }

        // Paid in two parts.
        let pay = |amount: i64| {
            let (bob, path) = (o.bob.clone(), format!("/api/v1/records/{id}/payments"));
            async move { call(&bob, Method::POST, &path, Some(json!({"amount": amount, "date": "2026-11-20"}))).await }
        };
        let (status, first) = pay(10_000).await;
        assert_eq!((status, first["invoice"]["state"].as_str()), (StatusCode::CREATED, Some("partially_paid")), "{first}");
        let (status, rest) = pay(17_000).await;
        assert_eq!((status, rest["invoice"]["state"].as_str(), rest["invoice"]["amount_due"].as_i64()), (StatusCode::CREATED, Some("paid"), Some(0)), "{rest}");
    }

    async fn imports_complete_and_check_rows_as_creates_do(backend) {
        let o = office(backend).await;
        let org = o.org.as_str();
        let import = |user: &TestUser, slug: &str, csv: String| {
            let (client, path) = (user.client.clone(), format!("/api/v1/orgs/{org}/records/{slug}/import.csv"));
            async move {
                let response = client.request(Method::POST, &path).header("content-type", "text/csv").body(csv).send().await.unwrap();
                (response.status(), response.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        // Invoices take their currency and due date from the client, as created ones do.
        let lines = json!([{"description": "Audit", "quantity": "2", "unit_price": 15000}]).to_string().replace('"', "\"\"");
        let csv = format!("client,issue_date,lines\n{},2026-11-02,\"{lines}\"\n", o.client);
        let (status, done) = import(&o.alice, "invoice", csv).await;
        assert_eq!(status, StatusCode::CREATED, "{done}");
        let (_, listed) = call(&o.alice, Method::GET, &format!("/api/v1/orgs/{org}/records/invoice"), None).await;
        let invoice = &listed["items"][0];
        assert_eq!((invoice["currency"].as_str(), invoice["due_date"].as_str(), invoice["total"].as_i64()), (Some("EUR"), Some("2026-12-02"), Some(30000)), "{listed}");
        // Timesheets, imported by an admin for Tom: prefilled, once per person and week.
        log(&o.tom, &o.tasks[0], 30, "2026-11-03", true).await;
        let (status, refused) = import(&o.tom, "timesheet", format!("week\n{WEEK}\n")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "members do not import: {refused}");
        let (status, done) = import(&o.alice, "timesheet", format!("week,user\n{WEEK},{}\n", o.tom.id())).await;
        assert_eq!(status, StatusCode::CREATED, "{done}");
        let (status, bad) = import(&o.alice, "timesheet", format!("week,user\n2026-11-09,{0}\n{WEEK},{0}\n", o.tom.id())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(bad["error"]["fields"]["rows[2].record"].as_str().unwrap().contains("already"), "{bad}");
        let (_, mine) = call(&o.tom, Method::GET, &format!("/api/v1/orgs/{org}/records/timesheet"), None).await;
        let items = mine["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{mine}");
        assert_eq!((items[0]["total_minutes"].as_i64(), items[0]["approvers"][0].as_str()), (Some(30), Some(o.mia.id())), "{mine}");
    }

    async fn last_weeks_timesheet_is_reminded_once_after_the_deadline(backend) {
        let o = office(backend).await;
        let org = o.org.as_str();
        let settings = format!("/api/v1/orgs/{org}/timesheet-settings");
        let (status, bad) = call(&o.alice, Method::PUT, &settings, Some(json!({"deadline_weekday": 8, "deadline_hour": 24}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let (status, _) = call(&o.tom, Method::PUT, &settings, Some(json!({"deadline_weekday": 1}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Due Monday 10:00 in UTC+1.
        let (status, saved) = call(&o.alice, Method::PUT, &settings, Some(json!({"deadline_weekday": 1, "deadline_hour": 10, "utc_offset_minutes": 60}))).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        // Both tracked time; Tom submits his week, Carl does not.
        log(&o.tom, &o.tasks[0], 60, "2026-11-03", true).await;
        log(&o.carl, &o.tasks[1], 30, "2026-11-04", true).await;
        let sheet = create(&o.tom, org, "timesheet", json!({"week": WEEK})).await;
        let (status, _) = step(&o.tom, sheet["id"].as_str().unwrap(), "submit", None).await;
        assert_eq!(status, StatusCode::OK);

        let pass = |at: &str| {
            let output = o.server.command(&["admin", "timesheet-pass", "--at", at]).output().unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8(output.stdout).unwrap()
        };
        // 08:59 UTC is 09:59 in the org: not yet.
        assert!(pass("2026-11-09T08:59:00Z").contains(" 0 people"));
        assert!(notifications(&o.carl, "timesheet_due").await.is_empty());
        let out = pass("2026-11-09T09:00:00Z");
        assert!(out.contains(" 1 people"), "{out}");
        let due = notifications(&o.carl, "timesheet_due").await;
        assert!(due.len() == 1 && due[0]["snippet"].as_str().unwrap().contains(WEEK), "{due:?}");
        assert!(notifications(&o.tom, "timesheet_due").await.is_empty());
        // Once only.
        assert!(pass("2026-11-10T09:00:00Z").contains(" 0 people"));
        assert_eq!(notifications(&o.carl, "timesheet_due").await.len(), 1);
        let _ = (&o.mia, &o.bob, &o.eve, &o.client, &o.project);
    }
}
