//! Mail the server sent, read from a directory of `.eml` files (the server's file outbox, or
//! the SMTP sink's mail directory), and the single-use links in it.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a mail may take to arrive: the worker delivers as soon as the transaction
/// commits, but CI machines are busy.
const MAIL_DEADLINE: Duration = Duration::from_secs(20);

/// The mails in `dir` addressed to `to`, oldest first (the server names files by time-ordered
/// ids).
pub fn mails_to(dir: &Path, to: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| std::fs::read_to_string(path).unwrap_or_default())
        .filter(|text| text.contains(&format!("To: {to}")) || text.contains(&format!("<{to}>")))
        .collect()
}

/// Waits up to 20 s for a mail to `to` in `dir`; returns the newest one.
pub async fn wait_for_mail(dir: &Path, to: &str) -> String {
    wait_for_mail_containing(dir, to, "").await
}

/// The mails to `to` in `dir` that contain `needle` (a subject, say), oldest first.
pub fn mails_to_containing(dir: &Path, to: &str, needle: &str) -> Vec<String> {
    mails_to(dir, to)
        .into_iter()
        .filter(|mail| mail.contains(needle))
        .collect()
}

/// Waits up to 20 s for a mail to `to` in `dir` that contains `needle`; returns the newest.
pub async fn wait_for_mail_containing(dir: &Path, to: &str, needle: &str) -> String {
    let deadline = Instant::now() + MAIL_DEADLINE;
    loop {
        if let Some(mail) = mails_to_containing(dir, to, needle).pop() {
            return mail;
        }
        assert!(
            Instant::now() < deadline,
            "no mail to {to} arrived in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The token of the mail's link `…{path}?token=…`, undoing quoted-printable soft breaks and
/// escapes.
pub fn token_in(mail: &str, path: &str) -> Option<String> {
    let unfolded = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let marker = format!("{path}?token=");
    let start = unfolded.find(&marker)? + marker.len();
    let token: String = unfolded[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (!token.is_empty()).then_some(token)
}

/// The tokens of every `{path}?token=…` link mailed to `to`, oldest first.
pub fn link_tokens(dir: &Path, to: &str, path: &str) -> Vec<String> {
    mails_to(dir, to)
        .iter()
        .filter_map(|mail| token_in(mail, path))
        .collect()
}

/// Waits up to 20 s for a `{path}?token=…` link to `to` that is not in `seen` (take `seen`
/// with [`link_tokens`] before the request that sends it); returns its token.
pub async fn wait_for_link(dir: &Path, to: &str, path: &str, seen: &[String]) -> String {
    let deadline = Instant::now() + MAIL_DEADLINE;
    loop {
        if let Some(token) = link_tokens(dir, to, path)
            .into_iter()
            .rev()
            .find(|t| !seen.contains(t))
        {
            return token;
        }
        assert!(
            Instant::now() < deadline,
            "no new {path} link to {to} arrived in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The recipient of a mail (its `To:` header, bare address), if it has one.
fn recipient(mail: &str) -> Option<String> {
    let line = mail.lines().find_map(|l| l.strip_prefix("To: "))?;
    let address = match (line.find('<'), line.rfind('>')) {
        (Some(open), Some(close)) if open < close => &line[open + 1..close],
        _ => line,
    };
    Some(address.trim().to_owned())
}

/// For many recipients at once (benchmarks set up hundreds of users): waits up to 20 s plus
/// 20 ms per address until each of `to` has a `{path}?token=…` link not in `seen`, reading the
/// directory once per round; returns the newest such token per address, in `to`'s order.
pub async fn wait_for_links(dir: &Path, to: &[String], path: &str, seen: &[String]) -> Vec<String> {
    let extra =
        Duration::from_millis(20).saturating_mul(u32::try_from(to.len()).unwrap_or(u32::MAX));
    let deadline = Instant::now() + MAIL_DEADLINE + extra;
    loop {
        let mut newest = std::collections::HashMap::new();
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            for file in files
                .iter()
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            {
                let mail = std::fs::read_to_string(file).unwrap_or_default();
                if let (Some(address), Some(token)) = (recipient(&mail), token_in(&mail, path))
                    && !seen.contains(&token)
                {
                    newest.insert(address, token);
                }
            }
        }
        let found: Option<Vec<String>> = to.iter().map(|a| newest.get(a).cloned()).collect();
        if let Some(tokens) = found {
            return tokens;
        }
        let missing = to.iter().filter(|a| !newest.contains_key(*a)).count();
        assert!(
            Instant::now() < deadline,
            "{missing} of {} {path} links did not arrive in {}",
            to.len(),
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The local part of each Message-ID (the server's job id) of the mail in `dir` → how many
/// messages carried it: a mail delivered twice shows as 2.
pub fn message_ids(dir: &Path) -> HashMap<String, usize> {
    let mut ids = HashMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return ids;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "eml") {
            continue;
        }
        let raw = std::fs::read_to_string(&path).unwrap();
        let id = raw
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                let local = value.trim().strip_prefix('<')?.split('@').next()?;
                name.eq_ignore_ascii_case("message-id")
                    .then(|| local.to_owned())
            })
            .unwrap_or_else(|| panic!("no Message-ID in {}", path.display()));
        *ids.entry(id).or_default() += 1;
    }
    ids
}
