//! The one write path holds everywhere: no module but `server/src/write` records audit entries,
//! appends app events or change-feed rows, queues jobs, or wakes the readers of those after a
//! commit. (What the unit of work does is tested in `server/tests/write_path.rs`; what each
//! handler writes, through the API, in the domain tests.)

use std::path::Path;

/// Calls that belong to the write path, and the files besides `write/` that may contain them
/// (where they are defined).
const WRITE_PATH_ONLY: &[(&str, &[&str])] = &[
    // Audit entries.
    ("record_in(", &["audit/store.rs"]),
    ("audit::store::record", &[]),
    // App events, access changes and revoked sessions.
    ("append_many(", &["events/store.rs"]),
    ("access::changed(", &[]),
    ("access::sessions_revoked(", &[]),
    // The change feed.
    ("change_feed::append(", &[]),
    // Jobs.
    ("jobs::store::enqueue(", &[]),
    ("jobs::enqueue(", &[]),
    // Wake-ups after a commit: the event dispatcher (its relay wakes other nodes' own),
    // the job runner, the feed's consumers.
    (".committed()", &[]),
    ("jobs.wake()", &[]),
    (".wake_all()", &[]),
];

#[test]
fn no_audit_event_feed_or_job_call_outside_the_write_path() {
    let lines = atrium_tests::source::server_lines();
    let mut offences = Vec::new();
    let mut seen_in_write_path = vec![false; WRITE_PATH_ONLY.len()];
    for line in &lines {
        for (i, (call, defined_in)) in WRITE_PATH_ONLY.iter().enumerate() {
            if !line.code.contains(call) {
                continue;
            }
            if line.file.starts_with("write") {
                seen_in_write_path[i] = true;
            } else if !defined_in.iter().any(|f| line.file == Path::new(f)) {
                offences.push(format!("{line}   ({call})"));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "audit, event, change-feed or job calls outside the write path:\n{}",
        offences.join("\n")
    );
    // The write path itself makes the calls that the check forbids elsewhere (a renamed
    // function would otherwise make the check pass vacuously).
    for (call, must_appear) in [
        ("record_in(", true),
        ("append_many(", true),
        ("change_feed::append(", true),
        (".committed()", true),
        (".wake_all()", true),
    ] {
        let i = WRITE_PATH_ONLY
            .iter()
            .position(|(c, _)| *c == call)
            .unwrap();
        assert_eq!(seen_in_write_path[i], must_appear, "{call} in write/");
    }
}
