//! How mail leaves the server: [`Mailer`], chosen once at start-up from the configuration.
//!
//! - Without `ATRIUM_SMTP_URL`: each message becomes `<data_dir>/outbox/<id>.eml` (raw
//!   RFC 5322), written under a temporary name and renamed into place, so a reader never sees
//!   half a file. Named after the outbox row, a retried delivery replaces the file instead of
//!   adding a second copy.
//! - With it: SMTP through lettre's async transport over rustls. `smtp://host:port` is plain
//!   (loopback sinks, trusted relays), `?tls=required` or `?tls=opportunistic` upgrades with
//!   STARTTLS, `smtps://` uses TLS from the first byte; credentials go in the user-info part.
//!
//! Messages are built with lettre's builder, which encodes every header value, and
//! [`OutgoingMail::validate`] refuses line breaks in subjects and addresses before that, so
//! user-controlled text can never add a header.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::io::AsyncWriteExt;

use super::outbox::{OutgoingMail, mailbox, no_line_breaks};
use super::{Error, Result};
use crate::config::Config;

/// How long one SMTP command may take before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The configured way to deliver mail. Cheap to clone.
#[derive(Clone)]
pub enum Mailer {
    /// `.eml` files in a directory.
    Files { dir: PathBuf, from: Mailbox },
    /// An SMTP server.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
}

impl std::fmt::Debug for Mailer {
    // The transport holds the SMTP credentials: show only where mail goes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Files { dir, from } => f
                .debug_struct("Mailer::Files")
                .field("dir", dir)
                .field("from", &from.to_string())
                .finish(),
            Self::Smtp { from, .. } => f
                .debug_struct("Mailer::Smtp")
                .field("from", &from.to_string())
                .finish_non_exhaustive(),
        }
    }
}

impl Mailer {
    /// The mailer the configuration asks for: SMTP when `smtp_url` is set, otherwise files in
    /// `<data_dir>/outbox`. Fails on an invalid `mail_from` or SMTP URL, so a misconfigured
    /// server refuses to start rather than losing mail later.
    pub fn from_config(config: &Config) -> Result<Self> {
        match config.smtp_url.as_deref().filter(|url| !url.is_empty()) {
            Some(url) => Self::smtp(url, &config.mail_from),
            None => Self::files(config.data_dir.join("outbox"), &config.mail_from),
        }
    }

    /// Writes messages as `.eml` files into `dir` (created when needed).
    pub fn files(dir: impl Into<PathBuf>, from: &str) -> Result<Self> {
        Ok(Self::Files {
            dir: dir.into(),
            from: parse_from(from)?,
        })
    }

    /// Sends through the SMTP server at `url`. Nothing is connected yet: a server that is
    /// down shows as failed attempts, which the worker retries.
    pub fn smtp(url: &str, from: &str) -> Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(Error::SmtpUrl)?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self::Smtp {
            transport,
            from: parse_from(from)?,
        })
    }

    /// `"files"` or `"smtp"`, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Files { .. } => "files",
            Self::Smtp { .. } => "smtp",
        }
    }

    /// The `From` of every message.
    pub fn from(&self) -> &Mailbox {
        match self {
            Self::Files { from, .. } | Self::Smtp { from, .. } => from,
        }
    }

    /// Delivers one mail; `id` is its outbox id, which names the file and the Message-ID.
    pub async fn send(&self, id: &str, mail: &OutgoingMail) -> Result<()> {
        let message = build_message(self.from(), id, mail)?;
        match self {
            Self::Files { dir, .. } => write_eml(dir, id, &message.formatted()).await,
            Self::Smtp { transport, .. } => {
                transport.send(message).await?;
                Ok(())
            }
        }
    }
}

fn parse_from(from: &str) -> Result<Mailbox> {
    no_line_breaks("sender", from)?;
    from.parse::<Mailbox>()
        .map_err(|source| Error::InvalidAddress {
            field: "sender",
            source,
        })
}

/// Builds the RFC 5322 message for an outbox row: From, To, Subject, Date, a Message-ID
/// derived from the row id (so a message sent twice after a crash carries the same id and
/// receivers can drop the copy), and a text/plain body or a multipart/alternative of text and
/// HTML.
pub fn build_message(from: &Mailbox, id: &str, mail: &OutgoingMail) -> Result<Message> {
    mail.validate()?;
    let to = mailbox("recipient", &mail.to)?;
    // The outbox id is a UUID; anything else would not belong in a header.
    let local: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.as_str())
        .date_now()
        .message_id(Some(format!("<{local}@{}>", from.email.domain())));
    for cc in &mail.cc {
        builder = builder.cc(mailbox("copy recipient", cc)?);
    }
    if let Some(reply_to) = &mail.reply_to {
        builder = builder.reply_to(mailbox("reply-to address", reply_to)?);
    }
    let text = SinglePart::plain(mail.body_text.clone());
    if mail.attachments.is_empty() {
        return Ok(match &mail.body_html {
            Some(html) => builder.multipart(
                MultiPart::alternative()
                    .singlepart(text)
                    .singlepart(SinglePart::html(html.clone())),
            )?,
            None => builder.singlepart(text)?,
        });
    }
    // multipart/mixed: the body first (text, or text and HTML), then each file.
    let mut mixed = match &mail.body_html {
        Some(html) => MultiPart::mixed().multipart(
            MultiPart::alternative()
                .singlepart(text)
                .singlepart(SinglePart::html(html.clone())),
        ),
        None => MultiPart::mixed().singlepart(text),
    };
    for file in &mail.attachments {
        let content_type = ContentType::parse(&file.content_type)
            .map_err(|_| Error::ContentType(file.content_type.clone()))?;
        mixed = mixed.singlepart(
            LettreAttachment::new(file.filename.clone()).body(file.bytes.clone(), content_type),
        );
    }
    Ok(builder.multipart(mixed)?)
}

/// Writes `bytes` to `dir/<id>.eml` atomically: a hidden temporary file, flushed to disk,
/// then renamed over the final name.
async fn write_eml(dir: &Path, id: &str, bytes: &[u8]) -> Result<()> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| Error::Io { path, source }
    };
    tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
    let name: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let target = dir.join(format!("{name}.eml"));
    let temp = dir.join(format!(".{name}.eml.tmp"));
    let mut file = tokio::fs::File::create(&temp).await.map_err(io(&temp))?;
    file.write_all(bytes).await.map_err(io(&temp))?;
    file.sync_all().await.map_err(io(&temp))?;
    drop(file);
    if let Err(e) = tokio::fs::rename(&temp, &target).await {
        // Leave no stray temporary file behind.
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(io(&target)(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> Mailbox {
        "Atrium <atrium@localhost>".parse().unwrap()
    }

    #[test]
    fn default_sender_parses() {
        assert_eq!(from().email.domain(), "localhost");
        assert!(matches!(
            parse_from("Atrium <a@b.test>\r\nBcc: x@y.test"),
            Err(Error::LineBreak { .. })
        ));
    }

    #[test]
    fn smtp_urls_select_the_transport_security() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://user:secret@mail.example.com:587?tls=required",
            "smtp://mail.example.com:587?tls=opportunistic",
            "smtps://user:secret@mail.example.com:465",
        ] {
            let mailer = Mailer::smtp(url, "a@b.test").unwrap();
            assert_eq!(mailer.kind(), "smtp");
            assert!(!format!("{mailer:?}").contains("secret"));
        }
        assert!(matches!(
            Mailer::smtp("http://mail.example.com", "a@b.test"),
            Err(Error::SmtpUrl(_))
        ));
    }

    #[test]
    fn plain_message_has_the_headers() {
        let mail = OutgoingMail::new("Ann <ann@example.com>", "Héllo there", "Body text");
        let id = "0190f5c2-0000-7000-8000-000000000001";
        let raw =
            String::from_utf8(build_message(&from(), id, &mail).unwrap().formatted()).unwrap();
        assert!(raw.contains("From: Atrium <atrium@localhost>\r\n"), "{raw}");
        assert!(raw.contains("To: Ann <ann@example.com>\r\n"), "{raw}");
        assert!(
            raw.contains(&format!("Message-ID: <{id}@localhost>\r\n")),
            "{raw}"
        );
        assert!(
            raw.contains("Content-Type: text/plain; charset=utf-8"),
            "{raw}"
        );
        assert!(raw.contains("Date: "), "{raw}");
    }

    #[test]
    fn html_makes_it_multipart_alternative() {
        let mail = OutgoingMail::new("ann@example.com", "s", "text").with_html("<p>html</p>");
        let raw =
            String::from_utf8(build_message(&from(), "x", &mail).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
    }

    #[tokio::test]
    async fn eml_is_written_under_its_final_name_only() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::files(dir.path().join("outbox"), "a@b.test").unwrap();
        let mail = OutgoingMail::new("ann@example.com", "s", "text");
        mailer.send("abc", &mail).await.unwrap();
        mailer.send("abc", &mail).await.unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["abc.eml"]);
    }
}
