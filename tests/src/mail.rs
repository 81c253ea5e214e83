//! Mail the server sent, read from a directory of `.eml` files (the server's file outbox, or
//! the SMTP sink's mail directory).

use std::path::Path;
use std::time::{Duration, Instant};

/// The mails in `dir` addressed to `to`.
pub fn mails_to(dir: &Path, to: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .filter(|text| {
                    text.contains(&format!("To: {to}")) || text.contains(&format!("<{to}>"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Waits up to 20 s for a mail to `to` in `dir`; returns its text.
pub async fn wait_for_mail(dir: &Path, to: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(mail) = mails_to(dir, to).pop() {
            return mail;
        }
        assert!(
            Instant::now() < deadline,
            "no mail to {to} arrived in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
