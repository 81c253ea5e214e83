//! The one write path: a unit of work that a handler (or a background task) opens, writes its
//! own rows through, and commits.
//!
//! Every write that others must hear of goes the same way: the domain's rows, then its audit
//! entry, its change-feed rows, its app events and access changes, and its jobs — all in one
//! transaction, so each of them exists exactly when the change does — and, after the commit,
//! the wake-ups: this node's event dispatcher (and, through Redis, every other node's), the
//! job runner, and the change-feed consumers. A handler says *what* happened
//! ([`UnitOfWork::audit`], [`UnitOfWork::emit`], [`UnitOfWork::access_changed`],
//! [`UnitOfWork::feed`], [`UnitOfWork::enqueue`]); this module alone knows how it is recorded
//! and who is woken. The test `tests/tests/write_path.rs` checks that no other module calls the
//! stores behind it.
//!
//! Events and change-feed rows are queued in memory and appended at commit, each kind with one
//! multi-row statement: a handler's writes stay short, and the horizon's transaction-id claim
//! ([`crate::db::horizon`]) happens once, right before the appends. Dropping a unit of work
//! without committing rolls everything back and wakes nobody.

use crate::audit::{self, Event};
use crate::auth::remembered::RememberedCredentials;
use crate::db::{Db, Tx, change_feed};
use crate::events::{self, Audience, Events, NewEvent};
use crate::feed::{self, ChangeKind, NewChange, Payload, Removal};
use crate::http::client_info::ClientInfo;
use crate::jobs::{self, Jobs, NewJob};

/// What a unit of work needs beyond the database: whom to wake after a commit. Cheap to clone;
/// background tasks take it instead of the whole application state.
#[derive(Clone)]
pub struct Writes {
    db: Db,
    events: Events,
    jobs: Jobs,
    feed: feed::Wakers,
    /// Credentials this node authenticated in the last second; a commit that revokes one or
    /// changes its user makes them forgotten.
    credentials: RememberedCredentials,
}

impl Writes {
    pub fn new(db: Db, events: Events, jobs: Jobs, feed: feed::Wakers) -> Self {
        Self {
            db,
            events,
            jobs,
            feed,
            credentials: RememberedCredentials::default(),
        }
    }

    /// Opens a unit of work (a transaction).
    pub async fn begin(&self) -> Result<UnitOfWork, sqlx::Error> {
        Ok(UnitOfWork {
            tx: self.db.begin().await?,
            writes: self.clone(),
            events: Vec::new(),
            changes: Vec::new(),
            jobs_queued: false,
            forgotten: Vec::new(),
        })
    }

    /// Records an audit entry that accompanies no other write (a refused log-in, a rejected
    /// link): a unit of work of its own.
    pub async fn audit(&self, event: &Event<'_>, origin: &ClientInfo) -> Result<(), sqlx::Error> {
        let mut work = self.begin().await?;
        work.audit(event, origin).await?;
        work.commit().await
    }

    /// The database the units of work write to.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The event bus (presence, ephemeral events): what writers of notifications read.
    pub fn events(&self) -> &Events {
        &self.events
    }

    /// The credentials this node authenticated recently ([`crate::auth::CurrentUser`]).
    pub fn credentials(&self) -> &RememberedCredentials {
        &self.credentials
    }
}

/// One transaction and what it will announce once committed.
pub struct UnitOfWork {
    tx: Tx,
    writes: Writes,
    events: Vec<NewEvent>,
    changes: Vec<NewChange>,
    jobs_queued: bool,
    /// Whose remembered credentials are forgotten after the commit.
    forgotten: Vec<Forgotten>,
}

/// Remembered credentials a commit makes stale.
enum Forgotten {
    User(String),
    Org(String),
}

impl UnitOfWork {
    /// The transaction, for the domain's own store functions.
    pub fn tx(&mut self) -> &mut Tx {
        &mut self.tx
    }

    /// Records the audit entry of this change (written now, committed with it).
    pub async fn audit(
        &mut self,
        event: &Event<'_>,
        origin: &ClientInfo,
    ) -> Result<(), sqlx::Error> {
        audit::store::record_in(&mut self.tx, event, origin).await
    }

    /// Queues an app event for the `/api/v1/events` sockets; appended at commit, in the order
    /// queued.
    pub fn emit(&mut self, event: NewEvent) {
        self.events.push(event);
    }

    /// Queues several app events, in order.
    pub fn emit_all(&mut self, events: impl IntoIterator<Item = NewEvent>) {
        self.events.extend(events);
    }

    /// Queues `access.changed` for `audience` (a user, or a whole org): their sockets reload
    /// what they may see before the next event, collaboration sockets re-check their
    /// documents, and clients refetch their lists.
    pub fn access_changed(&mut self, org_id: &str, audience: Audience, reason: &str) {
        self.events
            .push(events::access::changed(org_id, audience, reason));
    }

    /// Queues `session.revoked` for a user whose session or token was just revoked: every
    /// node's sockets opened with a credential that is no longer valid close, and this node
    /// forgets the user's remembered credentials after the commit. The revoking statements of
    /// `auth::store` take the unit of work and call it themselves, so no caller can skip it.
    pub fn sessions_revoked(&mut self, user_id: &str, reason: &str) {
        self.events
            .push(events::access::sessions_revoked(user_id, reason));
        self.user_changed(user_id);
    }

    /// Notes that what a request carries of the user (name, handle, credentials) changes with
    /// this commit: this node's remembered credentials of the user are forgotten after it.
    pub fn user_changed(&mut self, user_id: &str) {
        self.forgotten.push(Forgotten::User(user_id.to_owned()));
    }

    /// Notes that the tokens scoped to an organisation go with this commit (its deletion):
    /// this node's remembered ones are forgotten after it.
    pub fn org_tokens_deleted(&mut self, org_id: &str) {
        self.forgotten.push(Forgotten::Org(org_id.to_owned()));
    }

    /// Queues an entity's current state for the change feed.
    pub fn feed(
        &mut self,
        org_id: &str,
        entity_id: &str,
        payload: &Payload,
    ) -> Result<(), sqlx::Error> {
        let change = NewChange::upsert(org_id, entity_id, payload).map_err(encode)?;
        self.changes.push(change);
        Ok(())
    }

    /// Queues an entity's removal for the change feed.
    pub fn feed_removal(
        &mut self,
        org_id: &str,
        kind: ChangeKind,
        entity_id: &str,
        removal: &Removal,
    ) -> Result<(), sqlx::Error> {
        let change = NewChange::delete(org_id, kind, entity_id, removal).map_err(encode)?;
        self.changes.push(change);
        Ok(())
    }

    /// Queues a durable job; it exists exactly when this unit of work commits, and the runner
    /// is woken then. Returns the job's id.
    pub async fn enqueue(&mut self, job: &NewJob<'_>) -> Result<String, sqlx::Error> {
        let id = jobs::store::enqueue(&mut self.tx, job).await?;
        self.jobs_queued = true;
        Ok(id)
    }

    /// Appends the queued events and changes, commits, and wakes whoever has something new to
    /// read.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        events::store::append_many(&mut self.tx, &self.events).await?;
        change_feed::append(&mut self.tx, &self.changes).await?;
        self.tx.commit().await?;
        // After the commit, not before: a lookup made in between would find the old rows.
        for forgotten in &self.forgotten {
            match forgotten {
                Forgotten::User(user_id) => self.writes.credentials.forget_user(user_id),
                Forgotten::Org(org_id) => self.writes.credentials.forget_org(org_id),
            }
        }
        if !self.events.is_empty() {
            self.writes.events.committed();
        }
        if !self.changes.is_empty() {
            self.writes.feed.wake_all();
        }
        if self.jobs_queued {
            self.writes.jobs.wake();
        }
        Ok(())
    }
}

fn encode(error: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Encode(Box::new(error))
}
