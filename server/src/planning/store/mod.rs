//! Every SQL statement of planning, one file per concern.

pub mod milestones;
pub mod overview;
pub mod views;
