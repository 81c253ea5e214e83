//! The diff between two versions of a document: by blocks (the Markdown rendering's
//! paragraphs, headings, lists, tables…), then word by word within the blocks that changed.
//!
//! CPU is bounded twice: each side's Markdown is refused past [`MAX_DIFF_BYTES`] (the route
//! answers 422), and both diff passes stop at a deadline, past which `similar` gives a coarser
//! (still correct) diff instead of the smallest one.

use std::time::{Duration, Instant};

use atrium_client::wire::{DiffBlock, DiffBlockOp, DiffOp, DiffSpan};
use similar::{Algorithm, ChangeTag, DiffOp as Op, TextDiff};

/// The largest Markdown rendering of either side that is diffed (bytes).
pub const MAX_DIFF_BYTES: usize = 512 * 1024;

/// How long a diff may search for the smallest edit script, for both passes together.
const DEADLINE: Duration = Duration::from_millis(500);

/// A document's Markdown cut into blocks at blank lines.
fn blocks(markdown: &str) -> Vec<&str> {
    markdown
        .split("\n\n")
        .map(|b| b.trim_matches('\n'))
        .filter(|b| !b.trim().is_empty())
        .collect()
}

/// How `new` differs from `old`, both Markdown renderings of the same document.
pub fn diff(old: &str, new: &str) -> Vec<DiffBlock> {
    let deadline = Instant::now() + DEADLINE;
    let (old_blocks, new_blocks) = (blocks(old), blocks(new));
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &old_blocks,
        &new_blocks,
        Some(deadline),
    );
    let mut out = Vec::new();
    for op in ops {
        match op {
            Op::Equal { old_index, len, .. } => {
                for block in &old_blocks[old_index..old_index + len] {
                    out.push(whole(DiffBlockOp::Equal, DiffOp::Equal, block));
                }
            }
            Op::Delete {
                old_index, old_len, ..
            } => {
                for block in &old_blocks[old_index..old_index + old_len] {
                    out.push(whole(DiffBlockOp::Delete, DiffOp::Delete, block));
                }
            }
            Op::Insert {
                new_index, new_len, ..
            } => {
                for block in &new_blocks[new_index..new_index + new_len] {
                    out.push(whole(DiffBlockOp::Insert, DiffOp::Insert, block));
                }
            }
            Op::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                // Replaced blocks pair up in order: each pair is a changed block, diffed word by
                // word; the unpaired rest were deleted or inserted whole.
                let old_run = &old_blocks[old_index..old_index + old_len];
                let new_run = &new_blocks[new_index..new_index + new_len];
                for (a, b) in old_run.iter().zip(new_run) {
                    out.push(changed(a, b, deadline));
                }
                for block in old_run.iter().skip(new_len) {
                    out.push(whole(DiffBlockOp::Delete, DiffOp::Delete, block));
                }
                for block in new_run.iter().skip(old_len) {
                    out.push(whole(DiffBlockOp::Insert, DiffOp::Insert, block));
                }
            }
        }
    }
    out
}

fn whole(op: DiffBlockOp, span: DiffOp, text: &str) -> DiffBlock {
    DiffBlock {
        op,
        spans: vec![DiffSpan {
            op: span,
            text: text.to_owned(),
        }],
    }
}

/// A changed block, word by word; neighbouring words with the same fate share one span.
fn changed(old: &str, new: &str, deadline: Instant) -> DiffBlock {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .deadline(deadline)
        .diff_words(old, new);
    let mut spans: Vec<DiffSpan> = Vec::new();
    for change in diff.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => DiffOp::Equal,
            ChangeTag::Delete => DiffOp::Delete,
            ChangeTag::Insert => DiffOp::Insert,
        };
        match spans.last_mut() {
            Some(last) if last.op == op => last.text.push_str(change.value()),
            _ => spans.push(DiffSpan {
                op,
                text: change.value().to_owned(),
            }),
        }
    }
    DiffBlock {
        op: DiffBlockOp::Change,
        spans,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(block: &DiffBlock) -> Vec<(DiffOp, &str)> {
        block
            .spans
            .iter()
            .map(|s| (s.op, s.text.as_str()))
            .collect()
    }

    #[test]
    fn an_added_paragraph_and_a_changed_word() {
        let old = "# Plan\n\nThe quick fox jumps.\n\nThe end.";
        let new = "# Plan\n\nThe quick cat jumps.\n\nA new paragraph.\n\nThe end.";
        let blocks = diff(old, new);
        let ops: Vec<DiffBlockOp> = blocks.iter().map(|b| b.op).collect();
        assert_eq!(
            ops,
            [
                DiffBlockOp::Equal,
                DiffBlockOp::Change,
                DiffBlockOp::Insert,
                DiffBlockOp::Equal
            ]
        );
        assert_eq!(
            texts(&blocks[1]),
            [
                (DiffOp::Equal, "The quick "),
                (DiffOp::Delete, "fox"),
                (DiffOp::Insert, "cat"),
                (DiffOp::Equal, " jumps."),
            ]
        );
        assert_eq!(texts(&blocks[2]), [(DiffOp::Insert, "A new paragraph.")]);
    }

    #[test]
    fn removed_blocks_and_empty_sides() {
        let blocks = diff("one\n\ntwo\n\nthree", "one\n\nthree");
        assert_eq!(blocks[1].op, DiffBlockOp::Delete);
        assert_eq!(blocks.len(), 3);
        assert!(diff("", "").is_empty());
        let all_new = diff("", "a\n\nb");
        assert!(all_new.iter().all(|b| b.op == DiffBlockOp::Insert));
        let longer = diff("a", "b\n\nc");
        assert_eq!(
            longer.iter().map(|b| b.op).collect::<Vec<_>>(),
            [DiffBlockOp::Change, DiffBlockOp::Insert]
        );
    }
}
