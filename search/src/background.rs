//! Indexing runs behind requests on a busy machine.
//!
//! Tantivy starts its threads itself: the writer's indexing workers (again at every commit), its
//! segment-updater and merge pools, each segment's doc-store compressor. On Linux a new thread
//! takes its priority from the thread that starts it, so the writer is created and committed
//! from a short-lived thread of lower priority ([`at_background_priority`]) and every thread
//! tantivy starts from there inherits it. Measured on 2 cores under a stream of board moves
//! (`perf sched`): a merge thread held a core for 3–5 ms at a time while a move's database
//! thread waited on that core's queue; a thread of lower priority is preempted when a
//! request's thread wakes. When nothing else wants the CPU, indexing runs at full speed; when
//! the machine is saturated it still gets a share (a nice value, not an idle-only policy), so
//! changes keep becoming searchable.

/// The nice value of the indexing threads (0 is the default, 19 the lowest).
#[cfg(target_os = "linux")]
const NICE: libc::c_int = 10;

/// Runs `f` on a new thread of lower CPU priority and waits for it; threads `f` starts inherit
/// the priority. Runs `f` here when no thread can be started.
pub(crate) fn at_background_priority<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    let mut f = Some(f);
    let outcome = std::thread::scope(|scope| {
        let started = std::thread::Builder::new()
            .name("search-writer".into())
            .spawn_scoped(scope, || {
                lower_priority();
                f.take().map(|f| f())
            });
        started.map(|thread| thread.join())
    });
    match outcome {
        Ok(Ok(Some(value))) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        // The thread could not be started (or, impossibly, did not run `f`).
        Ok(Ok(None)) | Err(_) => (f.take().expect("`f` runs once"))(),
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux the nice value belongs to the thread: `who` 0 is the calling thread. Raising
    // it needs no privilege; failing leaves the thread at its priority, which is harmless.
    // SAFETY: setpriority reads only its integer arguments.
    let failed = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, NICE) } != 0;
    if failed {
        tracing::debug!(error = %std::io::Error::last_os_error(), "cannot lower the indexing threads' priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn own_nice() -> libc::c_int {
        // SAFETY: as above; -1 is a valid answer, so errno would tell an error apart.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    #[test]
    fn threads_started_from_the_background_inherit_its_priority() {
        let before = own_nice();
        let (outer, inner) = at_background_priority(|| {
            let inner = std::thread::spawn(own_nice).join().unwrap();
            (own_nice(), inner)
        });
        assert_eq!(outer, NICE.max(before));
        assert_eq!(inner, outer, "a thread started there inherits the priority");
        assert_eq!(own_nice(), before, "the caller's priority is untouched");
    }

    #[test]
    fn a_panic_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| at_background_priority(|| panic!("boom")));
        assert!(caught.is_err());
    }
}
