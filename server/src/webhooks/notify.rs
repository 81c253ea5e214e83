//! Giving up on an endpoint: the delivery that failed for the whole retry horizon is marked
//! failed, the subscription is disabled, and its managers (the organisation's owners and
//! admins, and a project's managers for a project's subscription) get a notification in the
//! app and an e-mail — all in one transaction, so a subscription is disabled exactly when they
//! are told. Its events keep being queued for [`KEPT_WHILE_DISABLED`] after; reactivating it
//! (`PATCH /webhooks/{hook}`) queues the given-up delivery again, first in line.

use atrium_client::wire::{Notification, NotificationKind};

use super::fanout::KEPT_WHILE_DISABLED;
use super::store::{self, WebhookRow};
use crate::db::{new_id, now_ms};
use crate::mail::{self, OutgoingMail};
use crate::notifications::store::{self as notification_store, NewNotification};
use crate::write::Writes;

/// Disables `hook` after `delivery_id` failed for the whole horizon with `error`, and tells
/// its managers. Nothing happens twice when another node got there first.
pub async fn give_up(
    writes: &Writes,
    public_url: &str,
    hook: &WebhookRow,
    delivery_id: &str,
    error: &str,
) -> Result<(), mail::Error> {
    let managers = store::managers(writes.db(), &hook.org_id, hook.project_id.as_deref()).await?;
    let now = now_ms();
    let reason = format!("deliveries failed for the whole retry period; last error: {error}");
    let reason: String = reason.chars().take(1000).collect();
    let mut work = writes.begin().await?;
    store::give_up(work.tx(), delivery_id).await?;
    if !store::disable(work.tx(), &hook.org_id, &hook.id, &reason, now).await? {
        return Ok(work.commit().await?);
    }
    let snippet: String = format!("Webhook to {} disabled: {error}", hook.url)
        .chars()
        .take(300)
        .collect();
    let notifications: Vec<NewNotification> = managers
        .iter()
        .map(|(user_id, _, _)| NewNotification {
            user_id: user_id.clone(),
            // The e-mail below goes out at once; the digest need not repeat it.
            email: false,
            notification: Notification {
                id: new_id(),
                kind: NotificationKind::WebhookDisabled,
                org_id: hook.org_id.clone(),
                channel_id: Some(hook.id.clone()),
                message_id: None,
                thread_id: None,
                actor: None,
                snippet: snippet.clone(),
                created_at: now,
                read_at: None,
            },
        })
        .collect();
    notification_store::insert_many(work.tx(), &notifications).await?;
    work.emit_all(crate::chat::notify::events(&notifications));
    for (_, email, name) in &managers {
        mail::outbox::enqueue(
            &mut work,
            Some(&hook.org_id),
            &disabled_mail(public_url, email, name, hook, error),
        )
        .await?;
    }
    work.commit().await?;
    tracing::warn!(webhook_id = %hook.id, url = %hook.url, %error, "webhook disabled: deliveries failed for the whole retry period");
    Ok(())
}

/// The e-mail to one manager.
fn disabled_mail(
    public_url: &str,
    to: &str,
    name: &str,
    hook: &WebhookRow,
    error: &str,
) -> OutgoingMail {
    let link = format!(
        "{}/o/{}/settings/integrations",
        public_url.trim_end_matches('/'),
        hook.org_id
    );
    let text = format!(
        "Hello {name},\n\n\
         Atrium could not deliver events to the webhook at {url} for the whole retry period, \
         so it has been disabled. The last error was: {error}\n\n\
         Events keep waiting for it for {days} days: once the endpoint works again, activate \
         the webhook in Settings → Integrations and they are delivered in order, starting with \
         the one that failed. Events after those {days} days are not kept for it.\n\n\
         {link}\n\n— Atrium\n",
        url = hook.url,
        days = KEPT_WHILE_DISABLED.as_secs() / (24 * 3600),
    );
    // A URL may be longer than a subject line may be.
    let subject: String = format!("Webhook disabled: {}", hook.url)
        .chars()
        .take(200)
        .collect();
    OutgoingMail::new(to, subject, text)
}
