//! The server's own source, for checks that a rule holds everywhere (no permission decision
//! outside authz, no audit/event/change-feed call outside the write path).

use std::path::{Path, PathBuf};

/// One line of code: its file (relative to `server/src`), number and text with any `//`
/// comment cut off.
pub struct CodeLine {
    pub file: PathBuf,
    pub number: usize,
    pub code: String,
}

impl std::fmt::Display for CodeLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.file.display(),
            self.number,
            self.code.trim()
        )
    }
}

/// Every line of every `.rs` file under `server/src`. Panics if it finds suspiciously few
/// files (a wrong directory would make every check pass).
pub fn server_lines() -> Vec<CodeLine> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src");
    let mut lines = Vec::new();
    let mut stack = vec![root.clone()];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            files += 1;
            let relative = path.strip_prefix(&root).unwrap().to_path_buf();
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                lines.push(CodeLine {
                    file: relative.clone(),
                    number: n + 1,
                    code: line.split("//").next().unwrap_or_default().to_owned(),
                });
            }
        }
    }
    assert!(files > 50, "read only {files} files: wrong directory?");
    lines
}
