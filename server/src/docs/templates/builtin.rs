//! The starters every organisation has: realistic documents people adapt rather than blank
//! pages. They are constants, not rows (see the module above for why).

/// A built-in template.
pub struct Builtin {
    /// Stable key, part of the template's id in each organisation.
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub markdown: &'static str,
}

/// The built-ins, in the order they are offered.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        key: "meeting-notes",
        name: "Meeting notes",
        description: "Agenda, decisions and action items of a meeting",
        markdown: MEETING_NOTES,
    },
    Builtin {
        key: "spec",
        name: "Spec",
        description: "Problem, goals, proposal and open questions of a feature",
        markdown: SPEC,
    },
    Builtin {
        key: "invoice-cover-letter",
        name: "Invoice cover letter",
        description: "A short letter to send with an invoice",
        markdown: INVOICE_COVER_LETTER,
    },
];

const MEETING_NOTES: &str = "# Meeting notes

- **Date:** Monday, 9:30–10:00
- **Facilitator:** Name
- **Note taker:** Name

## Attendees

- Name, role
- Name, role

## Agenda

1. Review of last meeting's action items
2. Updates from each team
3. Open topics

## Discussion

- What was raised, and by whom
- What we learned

## Decisions

- What we decided, and why

## Action items

- [ ] Share these notes with everyone invited
- [ ] Follow up on open topics

| Action | Owner | Due |
| --- | --- | --- |
| Send the updated plan | Name | Friday |

## Next meeting

- Date and time
- Topics to carry over
";

const SPEC: &str = "# Spec: feature name

- **Author:** Name
- **Status:** Draft
- **Reviewers:** Names

## Summary

One paragraph: what we are building and why now.

## Problem

Who is affected, what they do today, and what it costs them.

## Goals

- What success looks like, measurably
- Who benefits first

## Non-goals

- What this deliberately leaves out

## Proposal

### User experience

Describe the flow step by step.

1. Where people start
2. What they see and do
3. How they know it worked

### Technical design

Data model, interfaces and the parts of the system that change.

## Alternatives considered

| Option | Pros | Cons |
| --- | --- | --- |
| Do nothing | No cost | The problem stays |
| Buy a tool | Fast | Another system to run |

## Rollout

- [ ] Behind a feature flag
- [ ] Documentation updated
- [ ] Support team briefed

## Open questions

- What we still need to find out, and who will
";

const INVOICE_COVER_LETTER: &str = "# Invoice cover letter

- **To:** Client name, company and address
- **Invoice number:** INV-0000
- **Invoice date:** Date
- **Due date:** Date

Dear client name,

Thank you for your business. Please find attached our invoice for the work delivered during the period below.

## Summary of services

| Service | Period | Amount |
| --- | --- | --- |
| Consulting | March | 0.00 |
| **Total due** |  | 0.00 |

## Payment details

- Bank: Bank name
- Account holder: Your company
- IBAN or account number: Number
- Reference: the invoice number

Payment is due within 30 days of the invoice date. If you have any questions about this invoice, reply to this letter or call us.

## Before sending

- [ ] Invoice attached as PDF
- [ ] Amounts match the invoice
- [ ] Purchase order number quoted, if the client needs one

Kind regards,

Your name, Your company
";

#[cfg(test)]
mod tests {
    use atrium_pdf::rich_text::Block;

    use super::BUILTINS;
    use crate::docs::import::markdown;

    /// Each starter reads, through the import reader, into the structure it was written with:
    /// a title heading, section headings, lists, a checklist and a table (no stray Markdown
    /// left as text).
    #[test]
    fn builtins_read_into_rich_documents() {
        for builtin in BUILTINS {
            let blocks = markdown(builtin.markdown);
            let count = |f: fn(&Block) -> bool| blocks.iter().filter(|b| f(b)).count();
            assert!(
                matches!(blocks.first(), Some(Block::Heading { level: 1, .. })),
                "{} opens with its title",
                builtin.name
            );
            assert!(
                count(|b| matches!(b, Block::Heading { level: 2, .. })) >= 3,
                "{}",
                builtin.name
            );
            assert!(
                count(|b| matches!(b, Block::BulletList { .. })) >= 1,
                "{}",
                builtin.name
            );
            assert_eq!(
                count(|b| matches!(b, Block::TaskList { .. })),
                1,
                "{}",
                builtin.name
            );
            assert_eq!(
                count(|b| matches!(b, Block::Table { header: true, .. })),
                1,
                "{}",
                builtin.name
            );
            let stray = blocks.iter().any(|b| match b {
                Block::Paragraph { inline } => format!("{inline:?}").contains("| ---"),
                _ => false,
            });
            assert!(!stray, "{}: a table left as text", builtin.name);
        }
        let mut names: Vec<_> = BUILTINS.iter().map(|b| b.name).collect();
        names.dedup();
        assert_eq!(names.len(), BUILTINS.len());
    }
}
