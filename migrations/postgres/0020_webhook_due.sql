-- Outgoing webhooks: what each node's dispatcher scans every pass, and when the server
-- disabled a subscription.

-- The due deliveries: the dispatcher looks for subscriptions with a pending row due, then
-- checks only the first row in line of each (webhook_deliveries_pending). Partial: delivered
-- rows, most of the table, are never looked at here.
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at, webhook_id)
    where state = 'pending';

-- When the server disabled the subscription (deliveries failing for the whole retry
-- horizon): its events keep being queued for a while after, so reactivating it delivers them;
-- null while active or when its managers deactivated it by hand.
alter table webhooks add column disabled_at bigint;
