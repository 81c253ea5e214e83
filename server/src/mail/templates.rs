//! The product's e-mails, each as plain text plus a simple HTML alternative.
//!
//! Every interpolated value is HTML-escaped in the HTML part, tokens are percent-encoded in
//! links, and names that end up in a subject are flattened to one line, so user-chosen names
//! (an organisation called `<b>Acme</b>`, a display name with a line break) cannot change the
//! markup or the headers.

use std::fmt::Write as _;
use std::time::Duration;

use super::outbox::OutgoingMail;
use crate::http::html::escape_html;

/// The product name in greetings and signatures.
const PRODUCT: &str = "Atrium";
/// Names in subjects are cut to this many characters.
const MAX_SUBJECT_NAME_CHARS: usize = 80;

/// A single-use link mailed to an account's own address: a password reset, an e-mail
/// verification, a log-in unlock. The three differ only in their wording and page.
#[derive(Debug, Clone)]
pub struct AccountLink<'a> {
    /// The server's public base URL (`Config::public_url()`), without a trailing slash.
    pub public_url: &'a str,
    /// The account's e-mail address.
    pub to: &'a str,
    /// The account's display name; empty for a plain "Hello".
    pub name: &'a str,
    /// The raw single-use token (only its hash is stored).
    pub token: &'a str,
    /// How long the token is valid.
    pub valid_for: Duration,
}

/// An invitation to join an organisation.
#[derive(Debug, Clone)]
pub struct Invitation<'a> {
    /// The server's public base URL, without a trailing slash.
    pub public_url: &'a str,
    /// The invited address.
    pub to: &'a str,
    /// Display name of the member who sent the invitation.
    pub inviter_name: &'a str,
    pub org_name: &'a str,
    /// The role the invitee will get (`member`, `admin`, …).
    pub role: &'a str,
    /// The raw single-use token (only its hash is stored).
    pub token: &'a str,
    /// When the invitation expires, in milliseconds since the epoch (UTC).
    pub expires_at: i64,
}

/// The password-reset e-mail: a link to `{public_url}/reset-password?token=…`.
pub fn password_reset(reset: &AccountLink<'_>) -> OutgoingMail {
    account_link_mail(
        reset,
        &LinkWording {
            path: "/reset-password",
            subject: format!("Reset your {PRODUCT} password"),
            intro: (
                format!("Someone asked to reset the password of the {PRODUCT} account for "),
                ". To choose a new password, open this link:",
                ". To choose a new password, use the button below.",
            ),
            button: "Reset your password",
            after_validity: "",
            closing:
                "If you did not ask for this, ignore this e-mail: your password stays as it is."
                    .to_owned(),
        },
    )
}

/// The invitation e-mail: a link to `{public_url}/invitations?token=…`.
pub fn invitation(invite: &Invitation<'_>) -> OutgoingMail {
    let link = format!(
        "{}/invitations?token={}",
        invite.public_url.trim_end_matches('/'),
        percent_encode(invite.token)
    );
    let expires = format_utc(invite.expires_at);
    let role = format!("{} {}", article(invite.role), invite.role);
    let subject = format!(
        "{} invited you to {} on {PRODUCT}",
        subject_name(invite.inviter_name),
        subject_name(invite.org_name)
    );

    let text = format!(
        "Hello,\n\n\
         {inviter} invited you to join the organisation \"{org}\" on {PRODUCT} as {role}.\n\n\
         To accept the invitation, open this link:\n\n\
         {link}\n\n\
         The invitation expires on {expires}. If you were not expecting it, you can ignore this \
         e-mail.\n\n\
         — {PRODUCT}\n",
        inviter = invite.inviter_name,
        org = invite.org_name,
    );

    let mut body = String::new();
    paragraph(&mut body, "Hello,");
    paragraph(
        &mut body,
        &format!(
            "<strong>{}</strong> invited you to join the organisation <strong>{}</strong> on \
             {PRODUCT} as {}.",
            escape_html(invite.inviter_name),
            escape_html(invite.org_name),
            escape_html(&role)
        ),
    );
    button(&mut body, &link, "Accept the invitation");
    paragraph(
        &mut body,
        &format!(
            "The invitation expires on {}. If you were not expecting it, you can ignore this \
             e-mail.",
            escape_html(&expires)
        ),
    );
    link_fallback(&mut body, &link);
    let html = page(&subject, &body);

    OutgoingMail::new(invite.to, subject, text).with_html(html)
}

/// The verification e-mail: a link to `{public_url}/verify-email?token=…`.
pub fn email_verification(verify: &AccountLink<'_>) -> OutgoingMail {
    account_link_mail(
        verify,
        &LinkWording {
            path: "/verify-email",
            subject: format!("Verify your e-mail address for {PRODUCT}"),
            intro: (
                "Please confirm that ".to_owned(),
                " is your e-mail address by opening this link:",
                " is your e-mail address.",
            ),
            button: "Verify your e-mail address",
            after_validity: " Until the address is verified, you cannot join organisations you \
                             are invited to.",
            closing: format!("If you did not create a {PRODUCT} account, ignore this e-mail."),
        },
    )
}

/// The unlock e-mail: a link to `{public_url}/unlock?token=…`.
pub fn login_unlock(unlock: &AccountLink<'_>) -> OutgoingMail {
    account_link_mail(
        unlock,
        &LinkWording {
            path: "/unlock",
            subject: format!("Log-ins to your {PRODUCT} account were held back"),
            intro: (
                format!(
                    "After several failed log-ins, {PRODUCT} is holding back log-ins to the \
                     account for "
                ),
                " from the place they came from. If that was you, open this link to log in \
                 right away:",
                " from the place they came from. If that was you, use the button below to log \
                 in right away.",
            ),
            button: "Unlock and log in",
            after_validity: "",
            closing: "If it was not you, someone may be guessing your password: nobody got in, \
                      but consider choosing a longer password and turning on two-factor \
                      authentication."
                .to_owned(),
        },
    )
}

/// What one kind of [`AccountLink`] e-mail says. No field holds user input except through
/// [`account_link_mail`], which escapes it.
struct LinkWording {
    /// The page the link opens, e.g. `/unlock`.
    path: &'static str,
    subject: String,
    /// The first paragraph around the address: the words before it, then the rest for the
    /// text part (ending in a colon before the link) and for the HTML part (which has a button).
    intro: (String, &'static str, &'static str),
    /// The button's label.
    button: &'static str,
    /// Said after "The link is valid for … and works once."
    after_validity: &'static str,
    /// The last paragraph.
    closing: String,
}

/// An account-link e-mail: greeting, what happened, the link (a button in HTML), how long it
/// works, and what to do if the reader did not ask for it.
fn account_link_mail(link: &AccountLink<'_>, wording: &LinkWording) -> OutgoingMail {
    let href = format!(
        "{}{}?token={}",
        link.public_url.trim_end_matches('/'),
        wording.path,
        percent_encode(link.token)
    );
    let greeting = greeting(link.name);
    let validity = format!(
        "The link is valid for {} and works once.{}",
        human_duration(link.valid_for),
        wording.after_validity
    );
    let (before, text_after, html_after) = &wording.intro;

    let text = format!(
        "{greeting}\n\n{before}{to}{text_after}\n\n{href}\n\n{validity}\n\n{closing}\n\n— {PRODUCT}\n",
        to = link.to,
        closing = wording.closing,
    );

    let mut body = String::new();
    paragraph(&mut body, &escape_html(&greeting));
    paragraph(
        &mut body,
        &format!(
            "{}<strong>{}</strong>{}",
            escape_html(before),
            escape_html(link.to),
            escape_html(html_after)
        ),
    );
    button(&mut body, &href, wording.button);
    paragraph(&mut body, &escape_html(&validity));
    paragraph(&mut body, &escape_html(&wording.closing));
    link_fallback(&mut body, &href);
    let html = page(&wording.subject, &body);

    OutgoingMail::new(link.to, wording.subject.clone(), text).with_html(html)
}

/// A notice to an account's own address that its password was changed.
#[derive(Debug, Clone)]
pub struct PasswordChanged<'a> {
    /// The server's public base URL, without a trailing slash.
    pub public_url: &'a str,
    /// The account's e-mail address.
    pub to: &'a str,
    /// The account's display name; empty for a plain "Hello".
    pub name: &'a str,
    /// When, in milliseconds since the epoch (UTC).
    pub at: i64,
    /// The client address the change came from, when known.
    pub ip: Option<&'a str>,
    /// How many other sessions were signed out.
    pub sessions_ended: u64,
}

/// "Your password was changed": when, from where, what was signed out, and a link to
/// `{public_url}/forgot-password` for an owner who did not do it. It carries no token: a
/// stolen mailbox must not turn it into a way in.
pub fn password_changed(notice: &PasswordChanged<'_>) -> OutgoingMail {
    let href = format!(
        "{}/forgot-password",
        notice.public_url.trim_end_matches('/')
    );
    let subject = format!("Your {PRODUCT} password was changed");
    let greeting = greeting(notice.name);
    let from = notice
        .ip
        .map(|ip| format!(" from the address {}", one_line(ip)))
        .unwrap_or_default();
    let what = format!(
        "The password of the {PRODUCT} account for {} was changed on {}{from}.",
        notice.to,
        format_utc(notice.at)
    );
    let sessions = match notice.sessions_ended {
        0 => "No other session was signed in.".to_owned(),
        1 => "Your one other session was signed out.".to_owned(),
        n => format!("Your {n} other sessions were signed out."),
    };
    let closing = "If this was not you, reset your password right away with the link below, \
                   and check the sessions and API tokens in your settings.";

    let text = format!(
        "{greeting}\n\n{what} {sessions}\n\nIf this was you, there is nothing to do.\n\n\
         {closing}\n\n{href}\n\n— {PRODUCT}\n"
    );

    let mut body = String::new();
    paragraph(&mut body, &escape_html(&greeting));
    paragraph(
        &mut body,
        &format!("{} {}", escape_html(&what), escape_html(&sessions)),
    );
    paragraph(&mut body, "If this was you, there is nothing to do.");
    paragraph(&mut body, &escape_html(closing));
    button(&mut body, &href, "Reset your password");
    link_fallback(&mut body, &href);
    let html = page(&subject, &body);

    OutgoingMail::new(notice.to, subject, text).with_html(html)
}

/// One line of a notification digest.
#[derive(Debug, Clone)]
pub struct DigestItem<'a> {
    /// Who did it (display name).
    pub actor: &'a str,
    /// "mentioned you", "replied in a thread you follow", …
    pub what: &'a str,
    /// The start of the message.
    pub snippet: &'a str,
    /// The message's id, for the link.
    pub message_id: &'a str,
}

/// A digest of notifications the user missed while offline.
#[derive(Debug, Clone)]
pub struct Digest<'a> {
    /// The server's public base URL, without a trailing slash.
    pub public_url: &'a str,
    pub to: &'a str,
    pub name: &'a str,
    pub items: &'a [DigestItem<'a>],
}

/// The notification digest: one line per notification, each linking to
/// `{public_url}/messages/{id}`.
pub fn notification_digest(digest: &Digest<'_>) -> OutgoingMail {
    let base = digest.public_url.trim_end_matches('/');
    let count = digest.items.len();
    let subject = if count == 1 {
        format!("1 new notification on {PRODUCT}")
    } else {
        format!("{count} new notifications on {PRODUCT}")
    };
    let greeting = greeting(digest.name);
    let mut text = format!("{greeting}\n\nWhile you were away:\n\n");
    let mut body = String::new();
    paragraph(&mut body, &escape_html(&greeting));
    paragraph(&mut body, "While you were away:");
    body.push_str("<ul style=\"padding-left:20px\">");
    for item in digest.items {
        let link = format!("{base}/messages/{}", percent_encode(item.message_id));
        let _ = write!(
            text,
            "- {} {}: \"{}\"\n  {link}\n",
            one_line(item.actor),
            item.what,
            one_line(item.snippet)
        );
        let _ = write!(
            body,
            "<li style=\"margin:0 0 12px\"><strong>{}</strong> {}: <a href=\"{}\">{}</a></li>",
            escape_html(&one_line(item.actor)),
            escape_html(item.what),
            escape_html(&link),
            escape_html(&one_line(item.snippet))
        );
    }
    body.push_str("</ul>");
    let _ = write!(
        text,
        "\nYou get this e-mail because you were offline. Choose what notifies you in each \
         channel's settings.\n\n— {PRODUCT}\n"
    );
    paragraph(
        &mut body,
        "You get this e-mail because you were offline. Choose what notifies you in each \
         channel's settings.",
    );
    let html = page(&subject, &body);
    OutgoingMail::new(digest.to, subject, text).with_html(html)
}

fn greeting(name: &str) -> String {
    let name = one_line(name);
    if name.is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hello {name},")
    }
}

fn article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// A user-chosen name made fit for a subject: one line, bounded length.
fn subject_name(name: &str) -> String {
    let flat = one_line(name);
    if flat.chars().count() <= MAX_SUBJECT_NAME_CHARS {
        return flat;
    }
    let mut cut: String = flat.chars().take(MAX_SUBJECT_NAME_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// Control characters (line breaks included) become spaces; runs of spaces collapse.
fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// "45 minutes", "1 hour", "2 hours", "7 days": the largest whole unit.
fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = if secs >= 86_400 && secs % 86_400 == 0 {
        (secs / 86_400, "day")
    } else if secs >= 3600 && secs % 3600 == 0 {
        (secs / 3600, "hour")
    } else {
        ((secs / 60).max(1), "minute")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// "12 March 2026 at 14:05 UTC".
fn format_utc(ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let secs = ms.div_euclid(1000);
    let (days, of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let month = MONTHS[usize::try_from(month - 1).unwrap_or(0).min(11)];
    format!(
        "{day} {month} {year} at {:02}:{:02} UTC",
        of_day / 3600,
        of_day % 3600 / 60
    )
}

/// Days since 1970-01-01 to (year, month 1–12, day 1–31) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`), to avoid a date crate for one line.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn paragraph(out: &mut String, html: &str) {
    let _ = writeln!(
        out,
        "<p style=\"margin:0 0 16px;line-height:1.5;\">{html}</p>"
    );
}

fn button(out: &mut String, href: &str, label: &str) {
    let _ = writeln!(
        out,
        "<p style=\"margin:24px 0;\"><a href=\"{}\" style=\"display:inline-block;\
         padding:12px 20px;background:#2f6feb;color:#ffffff;text-decoration:none;\
         border-radius:6px;font-weight:600;\">{}</a></p>",
        escape_html(href),
        escape_html(label)
    );
}

fn link_fallback(out: &mut String, href: &str) {
    let _ = writeln!(
        out,
        "<p style=\"margin:24px 0 0;font-size:13px;line-height:1.5;color:#57606a;\">If the \
         button does not work, paste this link into your browser:<br>\
         <a href=\"{0}\" style=\"color:#2f6feb;word-break:break-all;\">{0}</a></p>",
        escape_html(href)
    );
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n\
         <html lang=\"en\">\n\
         <head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head>\n\
         <body style=\"margin:0;padding:24px;background:#f4f5f7;color:#1f2328;\
         font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:15px;\">\n\
         <div style=\"max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;\
         padding:32px;\">\n\
         <p style=\"margin:0 0 24px;font-size:18px;font-weight:700;\">{PRODUCT}</p>\n\
         {body}\
         </div>\n\
         <p style=\"max-width:560px;margin:16px auto 0;font-size:12px;color:#6a737d;\">\
         This e-mail was sent automatically by {PRODUCT}; replies are not read.</p>\n\
         </body>\n\
         </html>\n",
        title = escape_html(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_mail_links_and_escapes() {
        let mail = password_reset(&AccountLink {
            public_url: "https://atrium.example.com/",
            to: "ann@example.com",
            name: "Ann <script>",
            token: "abc+/=",
            valid_for: Duration::from_secs(3600),
        });
        mail.validate().unwrap();
        let link = "https://atrium.example.com/reset-password?token=abc%2B%2F%3D";
        assert!(mail.body_text.contains(link), "{}", mail.body_text);
        assert!(mail.body_text.contains("valid for 1 hour"));
        assert!(mail.body_text.contains("did not ask"));
        let html = mail.body_html.unwrap();
        assert!(html.contains(link));
        assert!(html.contains("Hello Ann &lt;script&gt;,"), "{html}");
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn invitation_flattens_names_in_the_subject() {
        let mail = invitation(&Invitation {
            public_url: "http://127.0.0.1:8080",
            to: "bob@example.com",
            inviter_name: "Ann\r\nBcc: evil@example.com",
            org_name: "<b>Acme</b> & \"Co\"",
            role: "admin",
            token: "tok",
            expires_at: 1_773_324_300_000,
        });
        mail.validate().unwrap();
        assert_eq!(
            mail.subject,
            "Ann Bcc: evil@example.com invited you to <b>Acme</b> & \"Co\" on Atrium"
        );
        assert!(
            mail.body_text
                .contains("http://127.0.0.1:8080/invitations?token=tok")
        );
        assert!(mail.body_text.contains("as an admin"));
        assert!(
            mail.body_text
                .contains("expires on 12 March 2026 at 14:05 UTC")
        );
        let html = mail.body_html.unwrap();
        assert!(
            html.contains("&lt;b&gt;Acme&lt;/b&gt; &amp; &quot;Co&quot;"),
            "{html}"
        );
        assert!(!html.contains("<b>Acme"));
    }

    #[test]
    fn verification_and_unlock_mails_link_to_their_pages() {
        let verify = email_verification(&AccountLink {
            public_url: "https://atrium.example.com/",
            to: "ann@example.com",
            name: "Ann",
            token: "atr_v_a+b",
            valid_for: Duration::from_secs(48 * 3600),
        });
        verify.validate().unwrap();
        assert!(
            verify
                .body_text
                .contains("https://atrium.example.com/verify-email?token=atr_v_a%2Bb")
        );
        assert!(verify.body_text.contains("valid for 2 days"));
        assert!(
            verify
                .body_html
                .unwrap()
                .contains("Verify your e-mail address")
        );

        let unlock = login_unlock(&AccountLink {
            public_url: "https://atrium.example.com",
            to: "ann@example.com",
            name: "Ann <b>",
            token: "atr_u_x",
            valid_for: Duration::from_secs(3600),
        });
        unlock.validate().unwrap();
        assert!(
            unlock
                .body_text
                .contains("https://atrium.example.com/unlock?token=atr_u_x")
        );
        let html = unlock.body_html.unwrap();
        assert!(html.contains("Hello Ann &lt;b&gt;,"), "{html}");
    }

    #[test]
    fn password_changed_notice_says_when_and_from_where_without_a_token() {
        let mail = password_changed(&PasswordChanged {
            public_url: "https://atrium.example.com/",
            to: "ann@example.com",
            name: "Ann <i>",
            at: 1_773_324_300_000,
            ip: Some("192.0.2.7"),
            sessions_ended: 2,
        });
        mail.validate().unwrap();
        assert_eq!(mail.subject, "Your Atrium password was changed");
        assert!(
            mail.body_text
                .contains("on 12 March 2026 at 14:05 UTC from the address 192.0.2.7")
        );
        assert!(
            mail.body_text
                .contains("Your 2 other sessions were signed out.")
        );
        assert!(
            mail.body_text
                .contains("https://atrium.example.com/forgot-password")
        );
        assert!(!mail.body_text.contains("token="));
        let html = mail.body_html.unwrap();
        assert!(html.contains("Hello Ann &lt;i&gt;,"), "{html}");
    }

    #[test]
    fn dates_and_durations() {
        assert_eq!(format_utc(0), "1 January 1970 at 00:00 UTC");
        assert_eq!(format_utc(951_782_400_000), "29 February 2000 at 00:00 UTC");
        assert_eq!(format_utc(-1000), "31 December 1969 at 23:59 UTC");
        assert_eq!(human_duration(Duration::from_secs(45 * 60)), "45 minutes");
        assert_eq!(human_duration(Duration::from_secs(7200)), "2 hours");
        assert_eq!(human_duration(Duration::from_secs(7 * 86_400)), "7 days");
        assert_eq!(human_duration(Duration::from_secs(90)), "1 minute");
    }
}
