//! Where a route's target lives: the organisation and project of the resource its first path
//! parameter names, for the limits of org- and project-bound API tokens ([`super::scope_guard`]).

use sqlx::Row;

use crate::db::Db;

/// The organisation of a resource and, for resources inside a project, the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub org_id: String,
    pub project_id: Option<String>,
}

/// The placement of the resource path parameter `param` names (`task` → the task `id`);
/// `Ok(None)` when there is no such resource, or the parameter names nothing this module knows
/// (a route whose target cannot be placed is refused to limited tokens).
pub async fn place(db: &Db, param: &str, id: &str) -> Result<Option<Placement>, sqlx::Error> {
    if param == "org" {
        return Ok(Some(Placement {
            org_id: id.to_owned(),
            project_id: None,
        }));
    }
    let Some(sql) = query_for(param) else {
        return Ok(None);
    };
    let row = sqlx::query(sql).bind(id).fetch_optional(db.pool()).await?;
    row.map(|row| {
        Ok(Placement {
            org_id: row.try_get("org_id")?,
            project_id: row.try_get("project_id")?,
        })
    })
    .transpose()
}

/// One indexed lookup per kind, each answering `org_id, project_id`.
fn query_for(param: &str) -> Option<&'static str> {
    Some(match param {
        "project" => "select org_id, id as project_id from projects where id = $1",
        "doc" => "select org_id, project_id from docs where id = $1",
        "channel" => "select org_id, project_id from channels where id = $1",
        "msg" => {
            "select m.org_id, c.project_id from messages m join channels c on c.id = m.channel_id
             where m.id = $1"
        }
        "board" => "select org_id, project_id from boards where id = $1",
        "task" => "select org_id, project_id from tasks where id = $1",
        "entry" => "select org_id, project_id from time_entries where id = $1",
        "milestone" => {
            "select p.org_id, m.project_id from milestones m join projects p on p.id = m.project_id
             where m.id = $1"
        }
        "view" => {
            "select p.org_id, v.project_id from saved_views v join projects p on p.id = v.project_id
             where v.id = $1"
        }
        "record" => "select org_id, null as project_id from records where id = $1",
        "file" => "select org_id, project_id from files where id = $1",
        "hook" => "select org_id, project_id from webhooks where id = $1",
        "rule" => "select org_id, project_id from automation_rules where id = $1",
        "template" => "select org_id, null as project_id from email_templates where id = $1",
        _ => return None,
    })
}
