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
