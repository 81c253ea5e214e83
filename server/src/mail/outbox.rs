//! An outgoing mail and how it is queued: as a job of kind [`KIND`] whose payload is the mail
//! (the job runner delivers it through [`super::job::MailHandler`]; its bodies are cleared
//! once the job is done or dead).

use super::{Error, Result};
use crate::jobs::NewJob;
use crate::write::UnitOfWork;

/// Longest accepted subject, in bytes.
pub const MAX_SUBJECT_BYTES: usize = 998;
/// Longest accepted recipient, in bytes (RFC 5321 path limit).
pub const MAX_ADDRESS_BYTES: usize = 320;
/// Longest accepted body (each of text and HTML), in bytes.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// A mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The recipient: `ann@example.com` or `Ann Lee <ann@example.com>`.
    pub to: String,
    pub subject: String,
    /// The text/plain body; always present.
    pub body_text: String,
    /// An HTML alternative; when set the message is multipart/alternative.
    pub body_html: Option<String>,
    /// Copies, each a mailbox like `to`.
    pub cc: Vec<String>,
    /// Where replies go (the organisation's address on an invoice), instead of the sender.
    pub reply_to: Option<String>,
    /// Files attached; never part of a job's payload (a job that attaches a file makes it when
    /// it runs, as the invoice job renders its PDF).
    pub attachments: Vec<Attachment>,
}

/// A file attached to a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Most copies of one mail.
pub const MAX_CC: usize = 10;
/// Largest attachment total, in bytes.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

impl OutgoingMail {
    /// A plain-text mail.
    pub fn new(
        to: impl Into<String>,
        subject: impl Into<String>,
        body_text: impl Into<String>,
    ) -> Self {
        Self {
            to: to.into(),
            subject: subject.into(),
            body_text: body_text.into(),
            body_html: None,
            cc: Vec::new(),
            reply_to: None,
            attachments: Vec::new(),
        }
    }

    /// Adds an HTML alternative.
    pub fn with_html(mut self, html: impl Into<String>) -> Self {
        self.body_html = Some(html.into());
        self
    }

    /// Checks that the mail can be turned into a message: no line breaks in header values,
    /// a valid recipient, sizes within limits. [`enqueue`] calls it, so a bad mail fails the
    /// caller's request instead of sitting in the queue.
    pub fn validate(&self) -> Result<()> {
        no_line_breaks("recipient", &self.to)?;
        no_line_breaks("subject", &self.subject)?;
        within("recipient", &self.to, MAX_ADDRESS_BYTES)?;
        within("subject", &self.subject, MAX_SUBJECT_BYTES)?;
        within("text body", &self.body_text, MAX_BODY_BYTES)?;
        if let Some(html) = &self.body_html {
            within("HTML body", html, MAX_BODY_BYTES)?;
        }
        mailbox("recipient", &self.to)?;
        if self.cc.len() > MAX_CC {
            return Err(Error::TooMany {
                field: "copies",
                max: MAX_CC,
            });
        }
        for cc in &self.cc {
            mailbox("copy recipient", cc)?;
        }
        if let Some(reply_to) = &self.reply_to {
            mailbox("reply-to address", reply_to)?;
        }
        let attached: usize = self.attachments.iter().map(|a| a.bytes.len()).sum();
        if attached > MAX_ATTACHMENT_BYTES {
            return Err(Error::TooLong {
                field: "attachments",
                max: MAX_ATTACHMENT_BYTES,
            });
        }
        for attachment in &self.attachments {
            no_line_breaks("attachment name", &attachment.filename)?;
            within("attachment name", &attachment.filename, 255)?;
        }
        Ok(())
    }
}

/// Checks one address: no line breaks, within the size limit, a valid mailbox.
pub(crate) fn mailbox(field: &'static str, value: &str) -> Result<lettre::message::Mailbox> {
    no_line_breaks(field, value)?;
    within(field, value, MAX_ADDRESS_BYTES)?;
    value
        .parse::<lettre::message::Mailbox>()
        .map_err(|source| Error::InvalidAddress { field, source })
}

pub(crate) fn no_line_breaks(field: &'static str, value: &str) -> Result<()> {
    if value.contains(['\r', '\n']) {
        return Err(Error::LineBreak { field });
    }
    Ok(())
}

fn within(field: &'static str, value: &str, max: usize) -> Result<()> {
    if value.len() > max {
        return Err(Error::TooLong { field, max });
    }
    Ok(())
}

/// The job kind of an outgoing mail.
pub const KIND: &str = "mail";

/// Queues a mail as a job with the caller's unit of work, due at once; returns the job's id
/// (which is also the mail's Message-ID). The mail is validated first, so nothing is written
/// for a mail that could never be sent. `org_id` is the organisation whose admins see the job
/// (an invitation); `None` for a mail to a person about their own account.
pub async fn enqueue(
    work: &mut UnitOfWork,
    org_id: Option<&str>,
    mail: &OutgoingMail,
) -> Result<String> {
    mail.validate()?;
    let job = NewJob::new(org_id, KIND, to_payload(mail));
    Ok(work.enqueue(&job).await?)
}

/// The job payload of a mail.
pub fn to_payload(mail: &OutgoingMail) -> serde_json::Value {
    serde_json::json!({
        "to": mail.to,
        "subject": mail.subject,
        "body_text": mail.body_text,
        "body_html": mail.body_html,
        "cc": mail.cc,
        "reply_to": mail.reply_to,
    })
}

/// The mail in a job payload; `None` when the payload is not a mail.
pub fn from_payload(payload: &serde_json::Value) -> Option<OutgoingMail> {
    let text = |key: &str| payload.get(key)?.as_str().map(str::to_owned);
    Some(OutgoingMail {
        to: text("to")?,
        subject: text("subject")?,
        body_text: text("body_text")?,
        body_html: match payload.get("body_html")? {
            serde_json::Value::Null => None,
            value => Some(value.as_str()?.to_owned()),
        },
        // Mail queued before copies existed has none.
        cc: match payload.get("cc") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(list) => list
                .as_array()?
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<_>>()?,
        },
        reply_to: payload
            .get("reply_to")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
        attachments: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_rejects_header_injection() {
        let ok = OutgoingMail::new("Ann <ann@example.com>", "Hello", "Hi");
        ok.validate().unwrap();
        let bad_subject = OutgoingMail::new("ann@example.com", "Hi\r\nBcc: x@evil.test", "b");
        assert!(matches!(
            bad_subject.validate(),
            Err(Error::LineBreak { field: "subject" })
        ));
        let bad_to = OutgoingMail::new("ann@example.com\nBcc: x@evil.test", "s", "b");
        assert!(matches!(
            bad_to.validate(),
            Err(Error::LineBreak { field: "recipient" })
        ));
        let not_address = OutgoingMail::new("not an address", "s", "b");
        assert!(matches!(
            not_address.validate(),
            Err(Error::InvalidAddress { .. })
        ));
        let long = OutgoingMail::new("ann@example.com", "x".repeat(MAX_SUBJECT_BYTES + 1), "b");
        assert!(matches!(long.validate(), Err(Error::TooLong { .. })));
    }

    #[test]
    fn payload_round_trips_and_refuses_other_shapes() {
        let plain = OutgoingMail::new("ann@example.com", "Hi", "Hello");
        assert_eq!(from_payload(&to_payload(&plain)), Some(plain.clone()));
        let html = plain.with_html("<p>Hello</p>");
        assert_eq!(from_payload(&to_payload(&html)), Some(html));
        assert_eq!(from_payload(&serde_json::json!({})), None);
        assert_eq!(from_payload(&serde_json::Value::Null), None);
        assert_eq!(
            from_payload(
                &serde_json::json!({"to": "a@b.c", "subject": "s", "body_text": 3, "body_html": null})
            ),
            None
        );
    }
}
