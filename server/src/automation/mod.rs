//! Automation: rules that org admins and project managers set up without code — a trigger (an
//! event of the change feed, a schedule, a due date coming up), conditions and actions — run in
//! the background, never inside the request that caused them, with their author's rights.
//!
//! The path of a run: the change-feed consumer [`consumer`] turns each committed change into
//! an [`event::Event`], matches the organisation's active rules ([`matching`]), and for each
//! match writes a pending run (unique per rule and change: a change read twice, by a restart or
//! by a second node, makes one run) and queues its job, in one transaction; the schedule pass
//! ([`schedule`], every minute) does the same for schedules and due dates. The job
//! ([`runner`]) does the actions ([`actions`]) as the rule's author, through the same handlers
//! a request uses, inside a [`crate::feed::Cause`]: the changes it makes carry the rule and the
//! depth, so a rule never triggers itself and a chain of rules stops at [`model::MAX_DEPTH`].
//! Each run is logged with its outcome and what each action did.
//!
//! # Layout
//! - [`model`] — limits and the validation of rules.
//! - [`event`] — a change as an event: type, project, fields, what changed, who.
//! - [`matching`] — does a rule's trigger and conditions hold for an event.
//! - [`render`] — `{{field}}` templates over an event's fields.
//! - [`store`] — rules, runs and e-mail templates in the database.
//! - [`consumer`] — the change-feed consumer that queues runs.
//! - [`schedule`] — the pass that queues scheduled and due-date runs.
//! - [`runner`] — the job that does a run's actions and logs the outcome.
//! - [`actions`] — each action, done or (for a dry run) described.
//! - [`routes`] — `/orgs/{org}/automations`, `/automations/{rule}…`.
//! - [`templates`] — the organisation's e-mail templates and their routes.

pub mod actions;
pub mod consumer;
pub mod event;
pub mod matching;
pub mod model;
pub mod render;
pub mod routes;
pub mod runner;
pub mod schedule;
pub mod store;
pub mod templates;
