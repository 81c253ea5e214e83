//! Each action of a rule: done as the rule's author through the handlers a request of theirs
//! would reach (so their rights, the domain's validation and the write path apply as for any
//! request), or only described, for a dry run. Texts are rendered over the event's fields
//! first ([`super::render`]).

use atrium_client::wire::{
    ActionReport, CreateTaskRequest, MoveTaskRequest, NewRecord, NotificationKind,
    PostMessageRequest, RuleAction, UpdateRecordRequest, UpdateTaskRequest,
};
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use super::event::Event;
use super::render::{render, render_value, text};
use super::store;
use crate::auth::CurrentUser;
use crate::db::{new_id, now_ms};
use crate::error::ApiError;
use crate::http::client_info::ClientInfo;
use crate::http::extract::{Json, Path};
use crate::notifications::store::NewNotification;
use crate::state::AppState;

/// The name of an action's type, as the API spells it.
pub fn type_name(action: &RuleAction) -> &'static str {
    match action {
        RuleAction::PostMessage { .. } => "post_message",
        RuleAction::Notify { .. } => "notify",
        RuleAction::Email { .. } => "email",
        RuleAction::SetField { .. } => "set_field",
        RuleAction::Assign { .. } => "assign",
        RuleAction::MoveTask { .. } => "move_task",
        RuleAction::CreateTask { .. } => "create_task",
        RuleAction::CreateRecord { .. } => "create_record",
        RuleAction::Webhook { .. } => "webhook",
    }
}

/// The fields templates see: the entity's, plus `today` in the rule's time zone.
pub fn template_fields(event: &Event, today: &str) -> Map<String, Value> {
    let mut fields = event.fields.clone();
    fields.insert("today".into(), Value::String(today.to_owned()));
    fields
}

/// What `action` would do, in words (templates rendered; nothing is changed).
pub fn describe(action: &RuleAction, fields: &Map<String, Value>) -> String {
    match action {
        RuleAction::PostMessage { channel, text } => {
            format!("post {:?} to channel {channel}", render(text, fields))
        }
        RuleAction::Notify { users, roles, text } => format!(
            "notify {} {:?}",
            users
                .iter()
                .chain(roles)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            render(text, fields)
        ),
        RuleAction::Email { to, template } => {
            format!("e-mail template {template:?} to {}", to.join(", "))
        }
        RuleAction::SetField { field, value } => {
            format!("set {field} to {}", render_value(value, fields))
        }
        RuleAction::Assign { user } => format!("assign {user}"),
        RuleAction::MoveTask { column } => format!("move the task to column {column}"),
        RuleAction::CreateTask { board, title } => {
            format!("create task {:?} on board {board}", render(title, fields))
        }
        RuleAction::CreateRecord { record_type, .. } => format!("create a {record_type} record"),
        RuleAction::Webhook { url } => format!("POST the event to {url}"),
    }
}

/// The one doing a rule's actions: its author, as a full session would be.
pub struct Actor {
    pub user: CurrentUser,
    pub client: ClientInfo,
}

impl Actor {
    /// The author of a rule; `None` when the account no longer exists.
    pub async fn of(state: &AppState, user_id: &str) -> Result<Option<Self>, sqlx::Error> {
        let users = crate::users::store::find_many(&state.db, &[user_id.to_owned()]).await?;
        Ok(users.into_iter().next().map(|user| Self {
            user: CurrentUser {
                user,
                token_id: "automation".into(),
                token_kind: "automation".into(),
                source: crate::auth::extract::CredentialSource::Bearer,
                grant: crate::auth::scopes::TokenGrant::default(),
            },
            client: ClientInfo {
                ip: None,
                user_agent: Some("Atrium automation".into()),
            },
        }))
    }

    fn user(&self) -> CurrentUser {
        self.user.clone()
    }
}

/// Does one action; its report (with the error when it failed).
pub async fn run(
    state: &AppState,
    actor: &Actor,
    action: &RuleAction,
    event: &Event,
    fields: &Map<String, Value>,
) -> ActionReport {
    let result = perform(state, actor, action, event, fields).await;
    ActionReport {
        action_type: type_name(action).to_owned(),
        summary: describe(action, fields),
        error: result.err(),
    }
}

fn why(error: ApiError) -> String {
    match error {
        ApiError::Validation(fields) => fields
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn body<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| format!("cannot form the request: {e}"))
}

/// The event's task, for the actions that change one.
fn task_of(event: &Event) -> Result<String, String> {
    match (event.kind(), &event.entity_id) {
        ("task", Some(id)) => Ok(id.clone()),
        _ => Err("this action needs a task event".into()),
    }
}

async fn perform(
    state: &AppState,
    actor: &Actor,
    action: &RuleAction,
    event: &Event,
    fields: &Map<String, Value>,
) -> Result<(), String> {
    let st = || State(state.clone());
    match action {
        RuleAction::PostMessage { channel, text } => {
            let request: PostMessageRequest = body(json!({"text": render(text, fields)}))?;
            crate::chat::routes::messages::post_message(
                st(),
                actor.user(),
                Path(channel.clone()),
                Json(request),
            )
            .await
            .map(|_| ())
            .map_err(why)
        }
        RuleAction::Notify { users, roles, text } => {
            notify(state, actor, event, users, roles, &render(text, fields)).await
        }
        RuleAction::Email { to, template } => email(state, event, to, template, fields).await,
        RuleAction::SetField { field, value } => {
            set_field(state, actor, event, field, render_value(value, fields)).await
        }
        RuleAction::Assign { user } => {
            if event.kind() == "record" {
                return set_field(state, actor, event, "assignee", Value::String(user.clone()))
                    .await;
            }
            let mut assignees: Vec<Value> = match event.fields.get("assignees") {
                Some(Value::Array(a)) => a.clone(),
                _ => Vec::new(),
            };
            if !assignees.iter().any(|a| a.as_str() == Some(user)) {
                assignees.push(Value::String(user.clone()));
            }
            set_field(state, actor, event, "assignees", Value::Array(assignees)).await
        }
        RuleAction::MoveTask { column } => {
            let task = task_of(event)?;
            let request: MoveTaskRequest = body(json!({"column": column}))?;
            crate::boards::routes::moves::move_task(st(), actor.user(), Path(task), Json(request))
                .await
                .map(|_| ())
                .map_err(why)
        }
        RuleAction::CreateTask { board, title } => {
            let request: CreateTaskRequest = body(json!({"title": render(title, fields)}))?;
            crate::boards::routes::tasks::create_task(
                st(),
                actor.user(),
                actor.client.clone(),
                Path(board.clone()),
                Json(request),
            )
            .await
            .map(|_| ())
            .map_err(why)
        }
        RuleAction::CreateRecord {
            record_type,
            fields: values,
        } => {
            let rendered = render_value(&Value::Object(values.clone()), fields);
            let request: NewRecord = body(rendered)?;
            crate::records::routes::records::create_record(
                st(),
                actor.user(),
                Path((event.org_id.clone(), record_type.clone())),
                Json(request),
            )
            .await
            .map(|_| ())
            .map_err(why)
        }
        RuleAction::Webhook { url } => webhook(state, event, url).await,
    }
}

async fn set_field(
    state: &AppState,
    actor: &Actor,
    event: &Event,
    field: &str,
    value: Value,
) -> Result<(), String> {
    let st = State(state.clone());
    match (event.kind(), &event.entity_id) {
        ("task", Some(task)) => {
            let request: UpdateTaskRequest = body(json!({ field: value }))?;
            crate::boards::routes::tasks::update_task(
                st,
                actor.user(),
                Path(task.clone()),
                Json(request),
            )
            .await
            .map(|_| ())
            .map_err(why)
        }
        ("record", Some(record)) => {
            let version = crate::records::store::records::find(&state.db, &event.org_id, record)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("the record no longer exists")?
                .version;
            let request: UpdateRecordRequest = body(json!({"version": version, field: value}))?;
            let response = crate::records::routes::records::update_record(
                st,
                actor.user(),
                Path(record.clone()),
                Json(request),
            )
            .await
            .map_err(why)?
            .into_response();
            if response.status().is_success() {
                Ok(())
            } else {
                Err(format!(
                    "the record was not changed ({})",
                    response.status()
                ))
            }
        }
        _ => Err("set_field needs a task or record event".into()),
    }
}

async fn notify(
    state: &AppState,
    actor: &Actor,
    event: &Event,
    users: &[String],
    roles: &[String],
    message: &str,
) -> Result<(), String> {
    let db = &state.db;
    let mut recipients: Vec<String> = Vec::new();
    for user in users {
        if !store::member_roles(db, &event.org_id, user)
            .await
            .map_err(|e| e.to_string())?
            .is_empty()
            && !recipients.contains(user)
        {
            recipients.push(user.clone());
        }
    }
    for user in store::role_holders(db, &event.org_id, roles)
        .await
        .map_err(|e| e.to_string())?
    {
        if !recipients.contains(&user) {
            recipients.push(user);
        }
    }
    if recipients.is_empty() {
        return Err("nobody holds the users or roles named".into());
    }
    let channel = match event.kind() {
        "task" | "record" => event.entity_id.clone(),
        _ => None,
    };
    let now = now_ms();
    let snippet: String = message.chars().take(300).collect();
    let notifications: Vec<NewNotification> = recipients
        .iter()
        .map(|user_id| NewNotification {
            user_id: user_id.clone(),
            email: false,
            notification: atrium_client::wire::Notification {
                id: new_id(),
                kind: NotificationKind::Automation,
                org_id: event.org_id.clone(),
                channel_id: channel.clone(),
                message_id: None,
                thread_id: None,
                actor: Some(crate::chat::post::user_ref(&actor.user.user)),
                snippet: snippet.clone(),
                created_at: now,
                read_at: None,
            },
        })
        .collect();
    let mut work = state.writes.begin().await.map_err(|e| e.to_string())?;
    crate::notifications::store::insert_many(work.tx(), &notifications)
        .await
        .map_err(|e| e.to_string())?;
    work.emit_all(crate::chat::notify::events(&notifications));
    work.commit().await.map_err(|e| e.to_string())
}

/// The addresses of an e-mail action: literal ones, and `field:<name>` read from the entity —
/// or, for `field:<link>.<name>`, from the record a link field points to.
async fn recipients(state: &AppState, event: &Event, to: &[String]) -> Result<Vec<String>, String> {
    let mut addresses = Vec::new();
    for recipient in to {
        let Some(path) = recipient.strip_prefix("field:") else {
            addresses.push(recipient.clone());
            continue;
        };
        let address = match path.split_once('.') {
            None => text(event.fields.get(path)),
            Some((link, name)) => {
                let target = text(event.fields.get(link));
                if target.is_empty() {
                    String::new()
                } else {
                    crate::records::store::records::find(&state.db, &event.org_id, &target)
                        .await
                        .map_err(|e| e.to_string())?
                        .map(|r| text(r.data.get(name)))
                        .unwrap_or_default()
                }
            }
        };
        if address.is_empty() {
            return Err(format!("{path} holds no address"));
        }
        addresses.push(address);
    }
    Ok(addresses)
}

async fn email(
    state: &AppState,
    event: &Event,
    to: &[String],
    template: &str,
    fields: &Map<String, Value>,
) -> Result<(), String> {
    let template = store::template_named(&state.db, &event.org_id, template)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no e-mail template {template:?}"))?;
    let rendered = super::templates::render_template(&template, fields);
    let mut work = state.writes.begin().await.map_err(|e| e.to_string())?;
    for address in recipients(state, event, to).await? {
        let mail = crate::mail::outbox::OutgoingMail::new(
            address,
            rendered.subject.clone(),
            rendered.body.clone(),
        )
        .with_html(super::templates::html_of(&rendered.body));
        crate::mail::outbox::enqueue(&mut work, Some(&event.org_id), &mail)
            .await
            .map_err(|e| e.to_string())?;
    }
    work.commit().await.map_err(|e| e.to_string())
}

async fn webhook(state: &AppState, event: &Event, url: &str) -> Result<(), String> {
    let options = crate::webhooks::WebhookOptions::from_config(&state.config);
    crate::webhooks::address::check_url(url, options.allow_private)
        .await
        .map_err(|e| e.to_string())?;
    let client = crate::webhooks::delivery::client(&options);
    let payload = json!({
        "type": event.event_type,
        "timestamp": crate::webhooks::event::rfc3339(event.at),
        "data": event.fields,
        "changes": event.changes,
    });
    let response = client
        .post(url)
        .json(&payload)
        .send()
        .await
        .map_err(|e| format!("the endpoint could not be reached: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("the endpoint answered {}", response.status()))
    }
}
