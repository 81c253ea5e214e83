//! Password hashing with argon2id at OWASP's recommended parameters, on a few dedicated
//! threads.
//!
//! Each hash takes 19 MiB. Run on tokio's blocking pool, hashes landed on many short-lived
//! threads, each with its own allocator arena keeping its 19 MiB after the hash: a server that
//! had signed up fifty users held over 500 MB. A fixed set of long-lived threads (one per core)
//! bounds that memory, and also how much CPU a flood of log-ins can take at once.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

type Job = Box<dyn FnOnce() + Send>;

/// Runs `work` on a hashing thread; `None` if the thread died (a panic in `work`).
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    pool()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(job)
        .ok()?;
    result.await.ok()
}

fn pool() -> &'static Mutex<Sender<Job>> {
    static POOL: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for index in 0..threads {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || work(&queue))
                .expect("a hashing thread starts");
        }
        Mutex::new(jobs)
    })
}

fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = match queue.lock().unwrap_or_else(|e| e.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        // A panicking job drops its sender (the caller sees `None`); the thread goes on.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

/// OWASP (2024): argon2id, 19 MiB of memory, 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string with a fresh random salt. CPU-heavy: call it from a
/// blocking task.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    Ok(hasher().hash_password(password.as_bytes())?.to_string())
}

/// Checks a password against a stored PHC string, in constant time.
pub fn verify(password: &str, phc: &str) -> bool {
    hasher().verify_password(password.as_bytes(), phc).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(a, b);
        assert!(verify("correct horse battery", &a));
        assert!(!verify("correct horse batterx", &a));
        assert!(!verify("anything", "not a phc string"));
    }
}
