//! The thread the event sockets run on, apart from the workers that answer requests.
//!
//! An event reaches every socket that may see it: a board move watched by 200 sockets is 200
//! socket tasks woken at once, each writing its frame (a system call that runs the loopback or
//! network stack). Tokio does not preempt a task, and on the request workers a request that
//! arrived during such a burst waited behind every socket task queued before it — its
//! readiness was not even looked at until a worker next polled the IO driver, every 61 tasks
//! — one cause of the tail of a board move's answer that BENCHMARKS.md describes (issue 17;
//! on the shared benchmark machine its share could not be told apart from the load of other
//! work). On a thread of their own, the operating system's scheduler shares the cores between
//! the sockets and a request instead: the request workers stay parked on the IO driver and
//! take the request at once, and the burst goes on beside it.
//!
//! The sockets' connections stay registered with the IO driver of the runtime that accepted
//! them (a Tokio IO resource may be polled from any runtime while its own runs); this runtime
//! only runs their tasks. One thread: a burst is work for one core at a time, which leaves the
//! other to requests and the database. It is made once per process and lives as long as it.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};
use tokio_util::task::AbortOnDropHandle;

static RUNTIME: OnceLock<Option<Runtime>> = OnceLock::new();

/// Runs `future` on the event sockets' thread (on the caller's runtime if that thread could
/// not be started). Dropping the handle aborts it, as dropping the socket's own task would.
pub(crate) fn spawn<F>(future: F) -> AbortOnDropHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handle = match runtime() {
        Some(runtime) => runtime.spawn(future),
        None => tokio::spawn(future),
    };
    AbortOnDropHandle::new(handle)
}

fn runtime() -> Option<&'static Runtime> {
    RUNTIME
        .get_or_init(|| {
            Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("atrium-events")
                .enable_all()
                .build()
                .inspect_err(|error| {
                    tracing::warn!(%error, "cannot start the event sockets' thread; they share the request workers");
                })
                .ok()
        })
        .as_ref()
}
