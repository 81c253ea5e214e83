//! The visible text of an HTML page in one forward pass: no tags, comments, scripts or
//! styles, entities decoded, block elements as line breaks. Every search moves forward and
//! nothing behind the cursor is looked at again, so the work is linear in the page (a page of
//! 40,000 `<script>` tags costs what any page of its size does).

use super::{MAX_TEXT_BYTES, full};

/// Elements whose end starts a new line.
const BLOCKS: &[&str] = &[
    "p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "title",
];
/// Elements whose content is not text.
const RAW: &[&str] = &["script", "style"];

/// The text of `html`, at most about [`MAX_TEXT_BYTES`].
pub(super) fn html_text(html: &str) -> String {
    let mut out = String::with_capacity((html.len() / 2).min(MAX_TEXT_BYTES));
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        unescape_into(&rest[..open], &mut out);
        if full(&out) {
            return out;
        }
        let after = &rest[open + 1..];
        if let Some(comment) = after.strip_prefix("!--") {
            match comment.find("-->") {
                Some(end) => rest = &comment[end + 3..],
                None => rest = "",
            }
            continue;
        }
        let Some(close) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = after[..close].trim_start();
        rest = &after[close + 1..];
        let closing = tag.starts_with('/');
        let name_start = tag.trim_start_matches('/');
        let name_len = name_start
            .bytes()
            .take_while(u8::is_ascii_alphanumeric)
            .count();
        let name = &name_start[..name_len];
        if !closing && let Some(raw) = RAW.iter().find(|raw| raw.eq_ignore_ascii_case(name)) {
            // Skip to the matching end tag; the end tag itself is read as a tag next.
            match find_end_tag(rest, raw) {
                Some(at) => rest = &rest[at..],
                None => rest = "",
            }
            continue;
        }
        if BLOCKS.iter().any(|block| block.eq_ignore_ascii_case(name)) {
            out.push('\n');
        } else {
            out.push(' ');
        }
    }
    unescape_into(rest, &mut out);
    out
}

/// Where `</name` (any case) starts in `text`.
fn find_end_tag(text: &str, name: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find("</") {
        let at = from + found;
        let candidate = &bytes[at + 2..];
        if candidate.len() >= name.len()
            && candidate[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// Longest entity looked at, `#x10FFFF` being the longest that decodes.
const MAX_ENTITY: usize = 10;

/// Appends `text` with the common named entities and numeric references decoded. An `&`
/// looks at most [`MAX_ENTITY`] bytes ahead for its `;`, so a text of ampersands is linear too.
pub(super) fn unescape_into(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let window = &after.as_bytes()[..after.len().min(MAX_ENTITY + 1)];
        let decoded = window
            .iter()
            .position(|&b| b == b';')
            .and_then(|end| entity(&after[..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// The character an entity name (between `&` and `;`) stands for.
fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unescape(text: &str) -> String {
        let mut out = String::new();
        unescape_into(text, &mut out);
        out
    }

    #[test]
    fn html_loses_tags_and_scripts() {
        let text = html_text(
            "<html><head><title>T</title><script>alert('x<p>')</script></head>\
             <body><p>Fish &amp; chips</p><STYLE>p{}</sTyLe>done<!-- hidden <p> --></body></html>",
        );
        assert!(text.contains("Fish & chips"), "{text}");
        assert!(text.contains("done"));
        assert!(!text.contains("alert") && !text.contains("p{}") && !text.contains("hidden"));
    }

    #[test]
    fn unclosed_script_and_tags_end_the_text() {
        assert_eq!(html_text("a<script>b").trim(), "a");
        assert_eq!(html_text("a<b").trim(), "a");
        assert_eq!(html_text("a<!-- b").trim(), "a");
        assert_eq!(html_text("a<script>b</scrip").trim(), "a");
    }

    #[test]
    fn entities() {
        assert_eq!(
            unescape("a &amp; b &lt;&gt; &#65;&#x42;&#X43; &bogus; &"),
            "a & b <> ABC &bogus; &"
        );
        assert_eq!(unescape("&#x110000; &#xD800;"), "&#x110000; &#xD800;");
        assert_eq!(unescape("&&&amp"), "&&&amp");
        assert_eq!(unescape("caf&eacute;"), "caf&eacute;");
    }

    #[test]
    fn many_scripts_are_one_pass() {
        // Quadratic before: every <script> lower-cased the rest of the page.
        // (The black-box test measures the CPU this takes through an upload.)
        let page = "<script>x</script>".repeat(40_000) + "<p>end</p>";
        let text = html_text(&page);
        assert_eq!(text.trim(), "end");
    }

    #[test]
    fn many_ampersands_are_one_pass() {
        let text = "&".repeat(1_000_000);
        assert_eq!(unescape(&text).len(), 1_000_000);
    }
}
