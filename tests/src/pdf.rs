//! Reading a PDF the server made back as text, with poppler's `pdftotext` (installed by
//! `scripts/services/pdf-tools.sh`, which the test command runs).

use std::io::Write as _;
use std::process::{Command, Stdio};

/// The text of `pdf`, pages separated by form feeds (`\u{c}`), in reading order.
pub fn text(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pdftotext (poppler-utils: run the tests with scripts/test)");
    let mut stdin = child.stdin.take().unwrap();
    let bytes = pdf.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
