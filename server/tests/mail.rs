//! Mail on the job queue — queuing, the mailers, the runner's claims, leases, back-off and dead
//! state — against real services: SQLite (a temporary file),
//! PostgreSQL (`ATRIUM_TEST_PG_URL`, a fresh database per test) and the SMTP sink
//! (`ATRIUM_TEST_SMTP_URL`, messages in `ATRIUM_TEST_SMTP_DIR`). Every case runs on both
//! databases; the PostgreSQL ones fail, not skip, when the variable is missing.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use atrium_server::db::{Db, now_ms};
use atrium_server::feed::Wakers;
use atrium_server::jobs::runner::PassReport;
use atrium_server::jobs::store::{self as jobs_store, JobRow};
use atrium_server::jobs::{Jobs, NewJob, Runner, RunnerOptions};
use atrium_server::mail::outbox::{self, OutgoingMail};
use atrium_server::mail::templates::{self, Invitation};
use atrium_server::mail::{Error, MailHandler, Mailer};
use atrium_server::write::Writes;
use atrium_tests::services::PrivateSmtp;
use tokio_util::sync::CancellationToken;

mod common;
use common::TestDb;

const FROM: &str = "Atrium Test <noreply@atrium.test>";

/// Commits one mail and returns its job's id.
async fn enqueue(writes: &Writes, mail: &OutgoingMail) -> String {
    let mut tx = writes.begin().await.unwrap();
    let id = outbox::enqueue(&mut tx, None, mail).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// Commits a mail job with a payload and attempt limit of the test's choosing.
async fn enqueue_job(writes: &Writes, payload: serde_json::Value, max_attempts: i64) -> String {
    let mut tx = writes.begin().await.unwrap();
    let job = NewJob {
        max_attempts: Some(max_attempts),
        ..NewJob::new(None, outbox::KIND, payload)
    };
    let id = tx.enqueue(&job).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn job(db: &Db, id: &str) -> JobRow {
    jobs_store::find(db, id)
        .await
        .unwrap()
        .expect("the job exists")
}

async fn payload(db: &Db, id: &str) -> String {
    use sqlx::Row as _;
    sqlx::query("select payload from jobs where id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get(0)
}

async fn unfinished(db: &Db) -> i64 {
    jobs_store::unfinished_count(db).await.unwrap()
}

/// A runner with only the mail handler.
fn runner(db: &Db, mailer: Mailer, options: RunnerOptions) -> Runner {
    Runner::new(db.clone(), options).register(MailHandler::new(mailer))
}

async fn deliver_due(db: &Db, mailer: &Mailer, options: &RunnerOptions, now: i64) -> PassReport {
    runner(db, mailer.clone(), options.clone())
        .run_due(now)
        .await
        .unwrap()
}

fn unique_address(tag: &str) -> String {
    format!("{tag}-{}@example.test", uuid::Uuid::now_v7().simple())
}

fn eml_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
}

/// Waits for the one `.eml` in `dir` addressed to `to`; panics after a deadline.
async fn wait_for_mail_to(dir: &Path, to: &str) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found: Vec<Vec<u8>> = eml_files(dir)
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .filter(|raw| String::from_utf8_lossy(raw).contains(to))
            .collect();
        match found.len() {
            0 if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            1 => return found.into_iter().next().unwrap(),
            n => panic!(
                "expected one message to {to} in {}, found {n}",
                dir.display()
            ),
        }
    }
}

fn header(mail: &mailparse::ParsedMail<'_>, name: &str) -> String {
    use mailparse::MailHeaderMap as _;
    mail.headers
        .get_first_value(name)
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn options() -> RunnerOptions {
    RunnerOptions::default()
}

// ---------------------------------------------------------------------------------------------
// The cases, each run on SQLite and on PostgreSQL.

async fn rolled_back_mail_is_never_sent(t: &TestDb) {
    let (writes, _events) = common::writes(&t.db, Jobs::default(), Wakers::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::files(dir.path(), FROM).unwrap();

    let mut tx = writes.begin().await.unwrap();
    let dropped = outbox::enqueue(
        &mut tx,
        None,
        &OutgoingMail::new("a@example.test", "no", "no"),
    )
    .await
    .unwrap();
    drop(tx);
    let kept = enqueue(&writes, &OutgoingMail::new("b@example.test", "yes", "yes")).await;

    let report = deliver_due(&t.db, &mailer, &options(), now_ms()).await;
    assert_eq!((report.claimed, report.done), (1, 1), "{report:?}");
    assert!(jobs_store::find(&t.db, &dropped).await.unwrap().is_none());
    assert_eq!(
        eml_files(dir.path()),
        [dir.path().join(format!("{kept}.eml"))]
    );
    assert_eq!(unfinished(&t.db).await, 0);
}

async fn eml_file_round_trips(t: &TestDb) {
    let (writes, _events) = common::writes(&t.db, Jobs::default(), Wakers::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::files(dir.path().join("outbox"), FROM).unwrap();
    let to = unique_address("invitee");
    let mail = templates::invitation(&Invitation {
        public_url: "https://atrium.example.com",
        to: &to,
        inviter_name: "Zoë <Admin>",
        org_name: "<script>alert(1)</script> & Co",
        role: "member",
        token: "tok_123",
        expires_at: 1_773_324_300_000,
    });
    let id = enqueue(&writes, &mail).await;

    let report = deliver_due(&t.db, &mailer, &options(), now_ms()).await;
    assert_eq!(report.done, 1, "{report:?}");
    let files = eml_files(&dir.path().join("outbox"));
    assert_eq!(files, [dir.path().join("outbox").join(format!("{id}.eml"))]);
    let leftovers = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 1, "no temporary file may remain");

    let raw = std::fs::read(&files[0]).unwrap();
    let parsed = mailparse::parse_mail(&raw).unwrap();
    let from = mailparse::addrparse(&header(&parsed, "From")).unwrap();
    match &from[0] {
        mailparse::MailAddr::Single(info) => {
            assert_eq!(info.display_name.as_deref(), Some("Atrium Test"));
            assert_eq!(info.addr, "noreply@atrium.test");
        }
        group => panic!("unexpected From: {group:?}"),
    }
    assert_eq!(header(&parsed, "To"), to);
    assert_eq!(header(&parsed, "Subject"), mail.subject);
    assert_eq!(
        header(&parsed, "Subject"),
        "Zoë <Admin> invited you to <script>alert(1)</script> & Co on Atrium"
    );
    assert_eq!(header(&parsed, "Message-ID"), format!("<{id}@atrium.test>"));
    assert!(!header(&parsed, "Date").is_empty());
    assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
    assert_eq!(parsed.subparts.len(), 2);

    let text_part = &parsed.subparts[0];
    assert_eq!(text_part.ctype.mimetype, "text/plain");
    let text = text_part.get_body().unwrap();
    assert!(text.contains("https://atrium.example.com/invitations?token=tok_123"));
    assert!(text.contains("Zoë <Admin> invited you to join"), "{text}");
    assert!(text.contains("12 March 2026 at 14:05 UTC"));

    let html_part = &parsed.subparts[1];
    assert_eq!(html_part.ctype.mimetype, "text/html");
    let html = html_part.get_body().unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"),
        "{html}"
    );
    assert!(html.contains("Zoë &lt;Admin&gt;"), "{html}");
    assert!(!html.contains("<script>"));
    assert!(html.contains("href=\"https://atrium.example.com/invitations?token=tok_123\""));

    let row = job(&t.db, &id).await;
    assert_eq!(row.state, "done");
    assert!(row.finished_at.is_some());
    assert_eq!(row.attempts, 1);
    assert_eq!(
        payload(&t.db, &id).await,
        "{}",
        "bodies with tokens are cleared once sent"
    );
}

async fn smtp_delivery_reaches_the_sink(t: &TestDb) {
    let (writes, _events) = common::writes(&t.db, Jobs::default(), Wakers::default()).await;
    let url = std::env::var("ATRIUM_TEST_SMTP_URL")
        .expect("ATRIUM_TEST_SMTP_URL is not set (scripts/test sets it)");
    let sink_dir = PathBuf::from(
        std::env::var("ATRIUM_TEST_SMTP_DIR")
            .expect("ATRIUM_TEST_SMTP_DIR is not set (scripts/test sets it)"),
    );
    let mailer = Mailer::smtp(&url, FROM).unwrap();
    let to = unique_address("reset");
    let mail = templates::password_reset(&templates::AccountLink {
        public_url: "http://127.0.0.1:8080",
        to: &to,
        name: "Ann",
        token: "r3set",
        valid_for: Duration::from_secs(30 * 60),
    });
    let id = enqueue(&writes, &mail).await;

    let report = deliver_due(&t.db, &mailer, &options(), now_ms()).await;
    assert_eq!(report.done, 1, "{report:?}");

    let raw = wait_for_mail_to(&sink_dir, &to).await;
    let parsed = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(header(&parsed, "To"), to);
    assert_eq!(header(&parsed, "Subject"), "Reset your Atrium password");
    assert_eq!(header(&parsed, "Message-ID"), format!("<{id}@atrium.test>"));
    let text = parsed.subparts[0].get_body().unwrap();
    assert!(text.contains("http://127.0.0.1:8080/reset-password?token=r3set"));
    assert!(text.contains("valid for 30 minutes"));
    assert!(text.contains("If you did not ask for this"));
}

async fn smtp_outage_backs_off_then_delivers(t: &TestDb) {
    let (writes, _events) = common::writes(&t.db, Jobs::default(), Wakers::default()).await;
    let port = closed_port();
    let mailer = Mailer::smtp(&format!("smtp://127.0.0.1:{port}"), FROM).unwrap();
    let to = unique_address("outage");
    let id = enqueue(&writes, &OutgoingMail::new(&to, "Outage", "delivered late")).await;
    let options = options();

    // First attempt: refused, retried after 5 s (plus up to 10% jitter).
    let t0 = now_ms();
    let report = deliver_due(&t.db, &mailer, &options, t0).await;
    assert_eq!(report.retrying, 1, "{report:?}");
    let row = job(&t.db, &id).await;
    assert_eq!((row.state.as_str(), row.attempts), ("failed", 1));
    assert!(
        row.last_error.as_deref().unwrap().contains("SMTP"),
        "{row:?}"
    );
    let wait = row.run_at - t0;
    assert!((5_000..6_000).contains(&wait), "first back-off {wait} ms");

    // Not due before then.
    let early = deliver_due(&t.db, &mailer, &options, t0 + 4_000).await;
    assert_eq!(early.claimed, 0);

    // Second attempt: refused again, the wait doubles.
    let t1 = row.run_at;
    deliver_due(&t.db, &mailer, &options, t1).await;
    let row = job(&t.db, &id).await;
    assert_eq!((row.state.as_str(), row.attempts), ("failed", 2));
    let wait = row.run_at - t1;
    assert!(
        (10_000..11_500).contains(&wait),
        "second back-off {wait} ms"
    );

    // The server comes up on that port: the next attempt delivers.
    let sink = PrivateSmtp::start(port);
    let report = deliver_due(&t.db, &mailer, &options, row.run_at).await;
    assert_eq!(report.done, 1, "{report:?}");
    let raw = wait_for_mail_to(&sink.mail_dir(), &to).await;
    let parsed = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(header(&parsed, "Subject"), "Outage");
    let row = job(&t.db, &id).await;
    assert_eq!((row.state.as_str(), row.attempts), ("done", 3));
    assert_eq!(row.last_error, None);
}

async fn gives_up_after_max_attempts(t: &TestDb) {
    let (writes, _events) = common::writes(&t.db, Jobs::default(), Wakers::default()).await;
    let mailer = Mailer::smtp(&format!("smtp://127.0.0.1:{}", closed_port()), FROM).unwrap();
    let mail = OutgoingMail::new("c@example.test", "Never", "never");
    let id = enqueue_job(&writes, outbox::to_payload(&mail), 3).await;
    let options = options();

    let mut now = now_ms();
    for attempt in 1..=3 {
        let report = deliver_due(&t.db, &mailer, &options, now).await;
        let row = job(&t.db, &id).await;
        assert_eq!(row.attempts, attempt);
        if attempt < 3 {
            assert_eq!(report.retrying, 1, "{report:?}");
            assert_eq!(row.state, "failed");
            now = row.run_at;
        } else {
            assert_eq!(report.dead, 1, "{report:?}");
            assert_eq!(row.state, "dead");
            assert!(row.finished_at.is_some());
            assert!(row.last_error.unwrap().contains("SMTP"));
            assert_eq!(payload(&t.db, &id).await, "{}");
        }
    }
    let later = deliver_due(&t.db, &mailer, &options, now + 86_400_000).await;
    assert_eq!(later.claimed, 0);
    assert_eq!(unfinished(&t.db).await, 0);
}

async fn a_malformed_mail_is_dead_at_once(t: &TestDb) {
    let (writes, _events) = common::writes(&t.db, Jobs::default(), Wakers::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::files(dir.path(), FROM).unwrap();
    let not_a_mail = enqueue_job(&writes, serde_json::json!({ "to": "x@example.test" }), 10).await;
    let injected = enqueue_job(
        &writes,
        outbox::to_payload(&OutgoingMail::new(
            "x@example.test",
            "a\r\nBcc: y@evil.test",
            "b",
        )),
        10,
    )
    .await;
    let report = deliver_due(&t.db, &mailer, &options(), now_ms()).await;
    assert_eq!((report.claimed, report.dead), (2, 2), "{report:?}");
    let row = job(&t.db, &not_a_mail).await;
    assert_eq!((row.state.as_str(), row.attempts), ("dead", 1));
    assert_eq!(
        row.last_error.as_deref(),
        Some("the job's payload is not a mail")
    );
    let row = job(&t.db, &injected).await;
    assert_eq!((row.state.as_str(), row.attempts), ("dead", 1));
    assert!(row.last_error.unwrap().contains("line breaks"));
    assert!(eml_files(dir.path()).is_empty());
}

async fn a_dead_nodes_lease_runs_out_and_counts(t: &TestDb) {
    let (writes, _events) = common::writes(&t.db, Jobs::default(), Wakers::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::files(dir.path(), FROM).unwrap();
    let to = unique_address("lease");
    let taken_over = enqueue(&writes, &OutgoingMail::new(&to, "Lease", "x")).await;
    let t0 = now_ms();
    // A node claims it and dies without a word.
    let claimed = jobs_store::claim(&t.db, "dead-node", &["mail"], t0, t0 + 1_000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(job(&t.db, &taken_over).await.state, "running");
    // While its lease holds, nobody else takes it.
    let report = deliver_due(&t.db, &mailer, &options(), t0 + 500).await;
    assert_eq!(report.claimed, 0, "{report:?}");
    // After it, the next claim is attempt 2 and delivers.
    let report = deliver_due(&t.db, &mailer, &options(), t0 + 1_001).await;
    assert_eq!(report.done, 1, "{report:?}");
    let row = job(&t.db, &taken_over).await;
    assert_eq!((row.state.as_str(), row.attempts), ("done", 2));
    // The dead node's late outcome changes nothing.
    assert!(
        !jobs_store::finish_done(
            &t.db,
            &claimed[0],
            "dead-node",
            t0 + 2_000,
            jobs_store::Payload::Clear
        )
        .await
        .unwrap()
    );

    // A job whose node died on its last attempt is dead, not retried.
    let last = enqueue_job(
        &writes,
        outbox::to_payload(&OutgoingMail::new(&to, "Once", "x")),
        1,
    )
    .await;
    let t1 = now_ms();
    jobs_store::claim(&t.db, "dead-node", &["mail"], t1, t1 + 1_000, 10)
        .await
        .unwrap();
    let report = deliver_due(&t.db, &mailer, &options(), t1 + 1_001).await;
    assert_eq!((report.claimed, report.dead), (0, 1), "{report:?}");
    let row = job(&t.db, &last).await;
    assert_eq!((row.state.as_str(), row.attempts), ("dead", 1));
    assert!(row.last_error.unwrap().starts_with("interrupted 1 times"));
    assert_eq!(
        eml_files(dir.path()).len(),
        1,
        "only the taken-over mail was sent"
    );
}

async fn two_runners_never_double_send(t: &TestDb) {
    let (writes, _events) = common::writes(&t.db, Jobs::default(), Wakers::default()).await;
    const MAILS: usize = 40;
    let mut tx = writes.begin().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..MAILS {
        let mail = OutgoingMail::new(format!("n{i}@example.test"), format!("Mail {i}"), "x");
        ids.push(outbox::enqueue(&mut tx, None, &mail).await.unwrap());
    }
    tx.commit().await.unwrap();

    // Two "nodes": separate pools on the same database, separate output directories.
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let shutdown = CancellationToken::new();
    let mut tasks = Vec::new();
    for dir in &dirs {
        let db = Db::connect(&t.url, 4).await.unwrap();
        let mailer = Mailer::files(dir.path(), FROM).unwrap();
        let options = RunnerOptions {
            poll_interval: Duration::from_millis(20),
            ..RunnerOptions::default()
        };
        let handle = Jobs::default();
        tasks.push(runner(&db, mailer, options).spawn(handle.clone(), shutdown.clone()));
        handle.wake();
    }

    let deadline = Instant::now() + Duration::from_secs(60);
    while unfinished(&t.db).await > 0 {
        assert!(Instant::now() < deadline, "mail still pending after 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    shutdown.cancel();
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("runner did not stop")
            .unwrap();
    }

    let mut names: Vec<String> = dirs
        .iter()
        .flat_map(|d| eml_files(d.path()))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), MAILS, "every mail written exactly once");
    names.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(names, expected);
    for id in &ids {
        let row = job(&t.db, id).await;
        assert_eq!(
            (row.state.as_str(), row.attempts),
            ("done", 1),
            "claimed once"
        );
    }
}

async fn runner_wakes_and_stops_on_shutdown(t: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::files(dir.path(), FROM).unwrap();
    // A poll interval this long means only a wake can deliver promptly.
    let options = RunnerOptions {
        poll_interval: Duration::from_secs(3600),
        ..RunnerOptions::default()
    };
    let shutdown = CancellationToken::new();
    let handle = Jobs::default();
    let task = runner(&t.db, mailer, options).spawn(handle.clone(), shutdown.clone());
    let (writes, _events) = common::writes(&t.db, handle, Wakers::default()).await;

    for n in 0..2 {
        let to = unique_address(&format!("wake{n}"));
        // The commit wakes the runner.
        enqueue(&writes, &OutgoingMail::new(&to, "Woken", "now")).await;
        wait_for_mail_to(dir.path(), &to).await;
    }

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("runner did not stop")
        .unwrap();
}

async fn header_injection_is_refused(t: &TestDb) {
    let (writes, _events) = common::writes(&t.db, Jobs::default(), Wakers::default()).await;
    let mut tx = writes.begin().await.unwrap();
    let subject = OutgoingMail::new("d@example.test", "Hi\r\nBcc: evil@example.test", "b");
    assert!(matches!(
        outbox::enqueue(&mut tx, None, &subject).await,
        Err(Error::LineBreak { field: "subject" })
    ));
    let to = OutgoingMail::new("d@example.test\nBcc: evil@example.test", "Hi", "b");
    assert!(matches!(
        outbox::enqueue(&mut tx, None, &to).await,
        Err(Error::LineBreak { field: "recipient" })
    ));
    let bad = OutgoingMail::new("not an address", "Hi", "b");
    assert!(matches!(
        outbox::enqueue(&mut tx, None, &bad).await,
        Err(Error::InvalidAddress { .. })
    ));
    tx.commit().await.unwrap();
    assert_eq!(unfinished(&t.db).await, 0);
    assert!(matches!(
        Mailer::files("/nonexistent", "Atrium <a@b.test>\r\nBcc: x@y.test"),
        Err(Error::LineBreak { .. })
    ));
}

on_both_databases!(
    rolled_back_mail_is_never_sent,
    eml_file_round_trips,
    smtp_delivery_reaches_the_sink,
    smtp_outage_backs_off_then_delivers,
    gives_up_after_max_attempts,
    a_malformed_mail_is_dead_at_once,
    a_dead_nodes_lease_runs_out_and_counts,
    two_runners_never_double_send,
    runner_wakes_and_stops_on_shutdown,
    header_injection_is_refused,
);
