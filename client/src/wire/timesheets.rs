//! Timesheets' org settings and billing time: the reminder deadline, a project's client and
//! rates, and the invoice built from approved time.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET/PUT /orgs/{org}/timesheet-settings`: when people are reminded of last week's timesheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimesheetSettings {
    /// Whether the reminder goes out at all.
    #[serde(default = "yes")]
    pub reminders: bool,
    /// The day of the week after the timesheet's week by which it is due: 1 (Monday) to 7.
    #[serde(default = "monday")]
    #[schema(minimum = 1, maximum = 7)]
    pub deadline_weekday: u8,
    /// The hour (0–23, org time) of that day.
    #[serde(default = "noon")]
    #[schema(minimum = 0, maximum = 23)]
    pub deadline_hour: u8,
    /// The org's offset from UTC in minutes (−720 to +840), for its weeks and deadline.
    #[serde(default)]
    #[schema(minimum = -720, maximum = 840)]
    pub utc_offset_minutes: i32,
}

fn yes() -> bool {
    true
}

fn monday() -> u8 {
    1
}

fn noon() -> u8 {
    12
}

impl Default for TimesheetSettings {
    fn default() -> Self {
        TimesheetSettings {
            reminders: true,
            deadline_weekday: monday(),
            deadline_hour: noon(),
            utc_offset_minutes: 0,
        }
    }
}

/// One hourly rate of a project, in the minor units of its client's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProjectRate {
    /// The person the rate is for; absent: the project's default rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Minor units per hour.
    #[schema(minimum = 0, maximum = 1000000000)]
    pub rate: i64,
}

/// `GET/PUT /projects/{project}/billing`: the client a project's time is billed to and its
/// hourly rates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProjectBilling {
    /// The `client` record billed for the project's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(default)]
    pub rates: Vec<ProjectRate>,
}

/// How the lines of an invoice from time are grouped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeGrouping {
    /// A line per task (and rate).
    #[default]
    Task,
    /// A line per person and rate.
    Person,
}

/// `POST /orgs/{org}/invoices/from-time`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvoiceFromTime {
    /// The client record.
    pub client: String,
    /// Only this project of the client's (default: all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// First day, `YYYY-MM-DD`.
    #[schema(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    #[schema(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub to: String,
    #[serde(default)]
    pub group: TimeGrouping,
}
