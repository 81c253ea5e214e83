//! The job `org.export`: everything an organisation holds, as one ZIP in the file store.
//!
//! The ZIP is streamed, never held: the async side reads the organisation a page (or a file
//! chunk) at a time and hands each entry's bytes over a small bounded channel to a blocking
//! thread that runs the ZIP writer (the `zip` crate writes through `std::io::Write`); its
//! output goes, in chunks over another bounded channel, into a pending object of the store,
//! which is placed under the organisation's key prefix only once complete. Memory stays at a
//! few chunks whatever the organisation's size (a board's tasks, loaded per project, are the
//! largest single read).
//!
//! Layout of the archive: `org.json` (the organisation, members with roles, projects, business
//! roles, permission overrides, custom record types), `documents/<project>/<title>.md` and
//! `.yjs` (the full Yjs state, so nothing is lost), `chat/<channel>.jsonl`,
//! `boards/<project>.json` (boards with their columns, and the project's tasks; a task's
//! comments are its discussion channel in `chat/`), `records/<type>.csv`,
//! `files/<project>/<name>` (each file's current version) and `audit.csv`.

use std::collections::HashSet;
use std::io::Write;

use atrium_collab::ContentFormat;
use axum::body::Bytes;
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::export_store as store;
use crate::db::paging::{Cursor, PageRequest};
use crate::files::storage::blob_key;
use crate::jobs::{GaveUp, Handler, Job, NewJob, Outcome};
use crate::state::AppState;
use crate::write::UnitOfWork;

/// The job's kind.
pub const KIND: &str = "org.export";
/// Attempts before an export is given up (each starts over).
const MAX_ATTEMPTS: i64 = 3;
/// Bytes the ZIP writer hands to the store at a time.
const CHUNK: usize = 256 * 1024;
/// Messages and audit entries read per query.
const PAGE: i64 = 500;

/// The key of an export's ZIP: under the organisation's prefix of the file store, beside its
/// blobs (a name no SHA-256 can have), so the purge of the organisation finds it.
pub fn export_key(org_id: &str, export_id: &str) -> String {
    blob_key(org_id, &format!("export-{export_id}"))
}

/// Queues the job that builds export `export_id` with the caller's unit of work.
pub async fn enqueue(
    work: &mut UnitOfWork,
    org_id: &str,
    export_id: &str,
) -> Result<String, sqlx::Error> {
    let mut job = NewJob::new(Some(org_id), KIND, json!({ "export": export_id }));
    job.max_attempts = Some(MAX_ATTEMPTS);
    work.enqueue(&job).await
}

/// The handler; it reads documents through the collaboration hub, so it gets the state once
/// the server has built it.
#[derive(Clone, Default)]
pub struct ExportHandler {
    state: crate::jobs::LateState,
}

impl ExportHandler {
    /// Gives the handler the application state (before the job runner runs its jobs).
    pub fn set_state(&self, state: AppState) {
        self.state.set(state);
    }
}

impl Handler for ExportHandler {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn keeps_payload(&self) -> bool {
        true
    }

    /// An export reads the whole organisation: one at a time per node is plenty.
    fn max_concurrent(&self) -> usize {
        1
    }

    fn run<'a>(&'a self, job: &'a Job, _stop: &'a CancellationToken) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let state = match self.state.get() {
                Ok(state) => state,
                Err(starting) => return starting,
            };
            let (Some(org_id), Some(export_id)) = (
                job.org_id.as_deref(),
                job.payload.get("export").and_then(Value::as_str),
            ) else {
                return Outcome::Permanent("the job names no export".into());
            };
            match build(state, org_id, export_id).await {
                Ok(()) => Outcome::Done,
                Err(error) => {
                    tracing::warn!(%org_id, %export_id, %error, "organisation export failed");
                    Outcome::Retry(error)
                }
            }
        })
    }

    fn gave_up<'a>(
        &'a self,
        tx: &'a mut crate::db::Tx,
        job: &'a Job,
        why: GaveUp<'a>,
    ) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async move {
            let (Some(org_id), Some(export_id)) = (
                job.org_id.as_deref(),
                job.payload.get("export").and_then(Value::as_str),
            ) else {
                return Ok(());
            };
            let reason = match why {
                GaveUp::Failed(error) => error,
                GaveUp::Interrupted => "the export was interrupted on every attempt",
            };
            store::set_failed(tx, org_id, export_id, reason).await
        })
    }
}

/// One attempt: the whole ZIP, placed under the export's key, then the row marked done.
async fn build(state: &AppState, org_id: &str, export_id: &str) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| e.to_string();
    if !store::set_running(&state.db, org_id, export_id)
        .await
        .map_err(|e| fail(&e))?
    {
        // Done, failed or gone (the organisation was purged): nothing to do.
        return Ok(());
    }
    let (pieces, piece_rx) = mpsc::channel::<Piece>(8);
    let (chunk_tx, mut chunks) = mpsc::channel::<Bytes>(4);
    let zipper = tokio::task::spawn_blocking(move || write_zip(piece_rx, chunk_tx));
    let mut pending = state
        .files
        .store
        .create(org_id)
        .await
        .map_err(|e| fail(&e))?;
    let produce = async move {
        let entries = Entries {
            pieces,
            names: HashSet::new(),
        };
        fill(state, org_id, entries).await
    };
    let upload = async {
        while let Some(chunk) = chunks.recv().await {
            pending.write(chunk).await.map_err(|e| fail(&e))?;
        }
        Ok::<_, String>(())
    };
    let (produced, uploaded) = tokio::join!(produce, upload);
    let zipped = zipper.await.map_err(|e| fail(&e));
    let outcome = match (produced, uploaded, zipped) {
        (Ok(()), Ok(()), Ok(Ok(size))) => Ok(size),
        // The first failure is the cause; the others follow from the closed channels.
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
        (_, _, Ok(Err(e))) => Err(fail(&e)),
    };
    let size = match outcome {
        Ok(size) => size,
        Err(error) => {
            let _ = pending.discard().await;
            return Err(error);
        }
    };
    pending.seal().await.map_err(|e| fail(&e))?;
    let key = export_key(org_id, export_id);
    pending.place(key.clone()).await.map_err(|e| fail(&e))?;
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    let recorded = async {
        let mut work = state.writes.begin().await?;
        if !store::set_done(work.tx(), org_id, export_id, size).await? {
            return Ok::<_, sqlx::Error>(false);
        }
        if let Some((email, name)) = store::requester(work.tx(), org_id, export_id).await? {
            let org_name = super::store::name(&state.db, org_id)
                .await?
                .unwrap_or_default();
            let mail = ready_mail(&state.config.public_url(), org_id, &org_name, &email, &name);
            // An address the mail cannot carry must not undo the export.
            if let Err(error) = crate::mail::outbox::enqueue(&mut work, Some(org_id), &mail).await {
                tracing::warn!(%org_id, %export_id, %error, "cannot queue the export's notice");
            }
        }
        work.commit().await?;
        Ok(true)
    };
    match recorded.await {
        Ok(true) => {}
        Ok(false) => {
            // The organisation was purged while the ZIP was written: it must not outlive it.
            state.files.store.delete(&key).await.map_err(|e| fail(&e))?;
            return Ok(());
        }
        Err(error) => return Err(fail(&error)),
    }
    tracing::info!(%org_id, %export_id, size, "organisation export done");
    Ok(())
}

/// The notice to whoever asked for an export that it can be downloaded.
fn ready_mail(
    public_url: &str,
    org_id: &str,
    org_name: &str,
    email: &str,
    name: &str,
) -> crate::mail::outbox::OutgoingMail {
    crate::mail::outbox::OutgoingMail::new(
        format!("{name} <{email}>"),
        format!("Your export of {org_name} is ready"),
        format!(
            "The export of everything in {org_name} you asked for is ready. Download it from \
             the organisation's settings within seven days:\n\n{public_url}/o/{org_id}/settings\n"
        ),
    )
}

// --- The ZIP writer thread ------------------------------------------------------------------

/// What the reading side sends the ZIP writer.
enum Piece {
    /// Starts an entry; `large` when it may exceed 4 GiB (ZIP64 sizes).
    Start { name: String, large: bool },
    /// Bytes of the current entry.
    Data(Bytes),
}

/// The ZIP's bytes, in chunks of [`CHUNK`], to the channel; counts what it wrote.
struct ChunkSink {
    out: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
    written: u64,
}

impl ChunkSink {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.out
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::other("the upload stopped"))
    }
}

impl Write for ChunkSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.written += data.len() as u64;
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Runs on a blocking thread: writes the entries it receives into a streamed ZIP until the
/// sender is dropped; returns the ZIP's size.
fn write_zip(mut pieces: mpsc::Receiver<Piece>, out: mpsc::Sender<Bytes>) -> std::io::Result<u64> {
    let sink = ChunkSink {
        out,
        buf: Vec::with_capacity(CHUNK),
        written: 0,
    };
    let mut zip = zip::ZipWriter::new_stream(sink);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    while let Some(piece) = pieces.blocking_recv() {
        match piece {
            Piece::Start { name, large } => zip
                .start_file(name, options.large_file(large))
                .map_err(std::io::Error::other)?,
            Piece::Data(bytes) => zip.write_all(&bytes)?,
        }
    }
    let mut sink = zip.finish().map_err(std::io::Error::other)?.into_inner();
    sink.flush()?;
    Ok(sink.written)
}

// --- Reading the organisation ---------------------------------------------------------------

/// The entries being written, and the names already used (two documents may share a title).
struct Entries {
    pieces: mpsc::Sender<Piece>,
    names: HashSet<String>,
}

impl Entries {
    /// A stem under which `dir/stem` + each of `exts` is free (`stem (2)`… when one is
    /// taken), with those names claimed: a document's `.md` and `.yjs` keep one stem.
    fn claim(&mut self, dir: &str, stem: &str, exts: &[&str]) -> String {
        let path = |stem: &str, ext: &str| {
            if dir.is_empty() {
                format!("{stem}{ext}")
            } else {
                format!("{dir}/{stem}{ext}")
            }
        };
        let mut candidate = stem.to_owned();
        let mut n = 2;
        while exts
            .iter()
            .any(|ext| self.names.contains(&path(&candidate, ext)))
        {
            candidate = format!("{stem} ({n})");
            n += 1;
        }
        for ext in exts {
            self.names.insert(path(&candidate, ext));
        }
        candidate
    }

    /// Starts the entry `dir/stem.ext` under a stem already claimed.
    async fn start_claimed(
        &mut self,
        dir: &str,
        stem: &str,
        ext: &str,
        large: bool,
    ) -> Result<(), String> {
        let name = if dir.is_empty() {
            format!("{stem}{ext}")
        } else {
            format!("{dir}/{stem}{ext}")
        };
        self.send(Piece::Start { name, large }).await
    }

    /// Starts the entry `dir/stem.ext` (`stem (2).ext`… when the name is taken).
    async fn start(&mut self, dir: &str, stem: &str, ext: &str, large: bool) -> Result<(), String> {
        let stem = self.claim(dir, stem, &[ext]);
        self.start_claimed(dir, &stem, ext, large).await
    }

    async fn data(&mut self, bytes: impl Into<Bytes>) -> Result<(), String> {
        self.send(Piece::Data(bytes.into())).await
    }

    /// A whole entry at once (small ones: JSON, a document).
    async fn whole(
        &mut self,
        dir: &str,
        stem: &str,
        ext: &str,
        bytes: Vec<u8>,
    ) -> Result<(), String> {
        self.start(dir, stem, ext, false).await?;
        self.data(bytes).await
    }

    /// An entry from a stream of chunks.
    async fn stream<E: std::fmt::Display>(
        &mut self,
        stream: impl Stream<Item = Result<Bytes, E>>,
    ) -> Result<(), String> {
        let mut stream = std::pin::pin!(stream);
        while let Some(chunk) = stream.next().await {
            self.data(chunk.map_err(|e| e.to_string())?).await?;
        }
        Ok(())
    }

    async fn send(&mut self, piece: Piece) -> Result<(), String> {
        self.pieces
            .send(piece)
            .await
            .map_err(|_| "the ZIP writer stopped".to_owned())
    }
}

/// A name safe as one path segment of the archive (no separators, no dot-only names).
fn segment(name: &str) -> String {
    crate::docs::export::file_stem(name)
}

/// A file's name as an entry name: its own name, separators and control characters
/// replaced, so it stays inside its folder.
fn file_segment(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

fn json_bytes(value: &Value) -> Result<Vec<u8>, String> {
    serde_json::to_vec_pretty(value).map_err(|e| e.to_string())
}

/// Sends every entry of the organisation, in the order of the layout.
async fn fill(state: &AppState, org_id: &str, mut out: Entries) -> Result<(), String> {
    let db = &state.db;
    let err = |e: sqlx::Error| e.to_string();
    let projects = crate::projects::store::all_in_org(db, org_id)
        .await
        .map_err(err)?;
    out.whole(
        "",
        "org",
        ".json",
        json_bytes(&org_json(state, org_id, &projects).await?)?,
    )
    .await?;
    for project in &projects {
        let dir = segment(&project.name);
        documents(state, org_id, &project.id, &dir, &mut out).await?;
        boards(state, org_id, &project.id, &project.name, &dir, &mut out).await?;
        files(state, org_id, &project.id, &dir, &mut out).await?;
    }
    chat(state, org_id, &mut out).await?;
    records(state, org_id, &mut out).await?;
    audit(state, org_id, &mut out).await?;
    Ok(())
}

/// `org.json`.
async fn org_json(
    state: &AppState,
    org_id: &str,
    projects: &[crate::projects::store::ProjectRow],
) -> Result<Value, String> {
    let db = &state.db;
    let err = |e: sqlx::Error| e.to_string();
    let name = super::store::name(db, org_id).await.map_err(err)?;
    let mut members = super::store::list_members(db, org_id).await.map_err(err)?;
    let business = crate::authz::store::business_roles_in_org(db, org_id)
        .await
        .map_err(err)?;
    for member in &mut members {
        member.roles = business.get(&member.user.id).cloned().unwrap_or_default();
    }
    let roles = crate::authz::routes::business_roles(db, org_id)
        .await
        .map_err(|e| e.to_string())?;
    let overrides = crate::authz::store::overrides(db, org_id)
        .await
        .map_err(err)?;
    let mut permissions: Vec<Value> = overrides
        .0
        .iter()
        .map(|((role, kind, action), scope)| {
            json!({ "role": role, "resource": kind.name(), "action": action.name(), "scope": scope.name() })
        })
        .collect();
    permissions.sort_by_key(ToString::to_string);
    let record_types: Vec<Value> = crate::records::store::types::list(db, org_id)
        .await
        .map_err(err)?
        .into_iter()
        .map(|t| {
            json!({ "slug": t.slug, "name": t.name, "version": t.version, "archived": t.archived, "schema": t.schema })
        })
        .collect();
    let projects: Vec<Value> = projects
        .iter()
        .map(|p| {
            json!({ "id": p.id, "name": p.name, "key": p.key, "description": p.description, "created_at": p.created_at })
        })
        .collect();
    Ok(json!({
        "org": { "id": org_id, "name": name },
        "members": members,
        "projects": projects,
        "business_roles": roles,
        "permission_overrides": permissions,
        "record_types": record_types,
        "exported_at": crate::db::now_ms(),
    }))
}

/// `documents/<project>/<title>.md` and `.yjs`; those in the trash under `trash/`.
async fn documents(
    state: &AppState,
    org_id: &str,
    project_id: &str,
    dir: &str,
    out: &mut Entries,
) -> Result<(), String> {
    for trashed in [false, true] {
        let docs = crate::docs::store::list(&state.db, org_id, project_id, trashed)
            .await
            .map_err(|e| e.to_string())?;
        let dir = if trashed {
            format!("documents/{dir}/trash")
        } else {
            format!("documents/{dir}")
        };
        for doc in docs {
            let markdown = state
                .collab
                .content(&doc.id, ContentFormat::Markdown)
                .await
                .map_err(|e| e.to_string())?;
            let state_update = state
                .collab
                .encode_state(&doc.id)
                .await
                .map_err(|e| e.to_string())?;
            let text = format!("# {}\n\n{markdown}\n", doc.title);
            // The pair shares one stem, so `a (2).md` goes with `a (2).yjs`.
            let stem = out.claim(&dir, &segment(&doc.title), &[".md", ".yjs"]);
            out.start_claimed(&dir, &stem, ".md", false).await?;
            out.data(text.into_bytes()).await?;
            out.start_claimed(&dir, &stem, ".yjs", false).await?;
            out.data(state_update).await?;
        }
    }
    Ok(())
}

/// `boards/<project>.json`: the boards with their columns, and every task of the project.
async fn boards(
    state: &AppState,
    org_id: &str,
    project_id: &str,
    project_name: &str,
    dir: &str,
    out: &mut Entries,
) -> Result<(), String> {
    let err = |e: sqlx::Error| e.to_string();
    let mut conn = state.db.pool().acquire().await.map_err(err)?;
    let conn = &mut *conn;
    let boards = crate::boards::store::boards::list(conn, org_id, project_id)
        .await
        .map_err(err)?;
    let tasks = crate::boards::store::cards::board_cards(conn, org_id, project_id)
        .await
        .map_err(err)?;
    if boards.is_empty() && tasks.is_empty() {
        return Ok(());
    }
    let mut listed = Vec::with_capacity(boards.len());
    for board in boards {
        let columns: Vec<Value> = crate::boards::store::boards::columns(conn, org_id, &board.id)
            .await
            .map_err(err)?
            .into_iter()
            .map(|c| {
                json!({ "id": c.id, "name": c.name, "status_id": c.status_id, "category": c.category, "wip_limit": c.wip_limit })
            })
            .collect();
        listed.push(json!({ "id": board.id, "name": board.name, "created_at": board.created_at, "columns": columns }));
    }
    let value = json!({
        "project": { "id": project_id, "name": project_name },
        "boards": listed,
        "tasks": tasks,
        "comments": "each task's comments are its discussion: chat/task-<task id>.jsonl",
    });
    out.whole("boards", dir, ".json", json_bytes(&value)?).await
}

/// `files/<project>/<name>`: each live file's current version, streamed from the store.
async fn files(
    state: &AppState,
    org_id: &str,
    project_id: &str,
    dir: &str,
    out: &mut Entries,
) -> Result<(), String> {
    let files = crate::files::store::list(&state.db, org_id, project_id, false)
        .await
        .map_err(|e| e.to_string())?;
    for file in files {
        let bytes = state
            .files
            .store
            .read(&blob_key(org_id, &file.sha256), None)
            .await
            .map_err(|e| e.to_string())?;
        let name = file_segment(&file.name);
        let (stem, ext) = match name.rfind('.') {
            Some(dot) if dot > 0 => (&name[..dot], &name[dot..]),
            _ => (name.as_str(), ""),
        };
        out.start(
            &format!("files/{dir}"),
            stem,
            ext,
            file.size >= i64::from(u32::MAX),
        )
        .await?;
        out.stream(bytes).await?;
    }
    Ok(())
}

/// `chat/<channel>.jsonl`: every message, replies included, one JSON object a line.
async fn chat(state: &AppState, org_id: &str, out: &mut Entries) -> Result<(), String> {
    use atrium_client::wire::ChannelKind;
    let err = |e: sqlx::Error| e.to_string();
    let channels = crate::chat::store::channels::in_org(&state.db, org_id)
        .await
        .map_err(err)?;
    for channel in channels {
        let stem = match channel.kind {
            ChannelKind::Channel => segment(&channel.name),
            ChannelKind::Dm => format!("dm-{}", channel.id),
            ChannelKind::Task => format!("task-{}", channel.id),
            ChannelKind::Record => format!("record-{}", channel.id),
        };
        out.start("chat", &stem, ".jsonl", false).await?;
        let mut after: Option<String> = None;
        loop {
            let page = crate::chat::store::messages::in_channel_after(
                &state.db,
                org_id,
                &channel.id,
                after.as_deref(),
                PAGE,
            )
            .await
            .map_err(err)?;
            let mut lines = Vec::new();
            for message in &page {
                let line = json!({
                    "id": message.id,
                    "thread": message.thread_id,
                    "author": { "id": message.author.id, "handle": message.author.handle, "name": message.author.name },
                    "text": if message.deleted_at.is_some() { None } else { Some(&message.text) },
                    "created_at": message.created_at,
                    "edited_at": message.edited_at,
                    "deleted_at": message.deleted_at,
                    "attachments": message.attachments,
                });
                serde_json::to_writer(&mut lines, &line).map_err(|e| e.to_string())?;
                lines.push(b'\n');
            }
            if !lines.is_empty() {
                out.data(lines).await?;
            }
            match page.last() {
                Some(last) if page.len() as i64 == PAGE => after = Some(last.id.clone()),
                _ => break,
            }
        }
    }
    Ok(())
}

/// `records/<type>.csv` for each type holding records, as the records' own CSV export writes
/// them.
async fn records(state: &AppState, org_id: &str, out: &mut Entries) -> Result<(), String> {
    let slugs = crate::records::store::types::in_use(&state.db, org_id)
        .await
        .map_err(|e| e.to_string())?;
    for slug in slugs {
        let resolved = crate::records::routes::resolve(&state.db, org_id, &slug)
            .await
            .map_err(|e| e.to_string())?;
        let stream =
            crate::records::routes::csv::all_records(state.db.clone(), org_id.to_owned(), resolved)
                .map_err(|e| e.to_string())?;
        out.start("records", &segment(&slug), ".csv", false).await?;
        out.stream(stream).await?;
    }
    Ok(())
}

/// `audit.csv`: the audit log, newest first, as its own CSV export writes it.
async fn audit(state: &AppState, org_id: &str, out: &mut Entries) -> Result<(), String> {
    out.start("", "audit", ".csv", false).await?;
    let filter = crate::audit::store::AuditFilter::default();
    let mut after: Option<Cursor> = None;
    let mut first = true;
    loop {
        let request = PageRequest {
            limit: u32::try_from(PAGE).unwrap_or(500),
            after: after.take(),
        };
        let page = crate::audit::store::list(&state.db, org_id, &filter, &request)
            .await
            .map_err(|e| e.to_string())?;
        let chunk = crate::audit::export::render(&page.items, first).map_err(|e| e.to_string())?;
        first = false;
        out.data(chunk).await?;
        match page.next.as_deref().map(Cursor::decode) {
            Some(Ok(cursor)) => after = Some(cursor),
            Some(Err(error)) => return Err(error.to_string()),
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    /// Runs the ZIP writer over `entries` as the job does (bounded channels, a blocking
    /// thread) and returns the archive's bytes.
    async fn zipped(
        entries: Vec<(&'static str, &'static str, &'static str, Vec<&'static [u8]>)>,
    ) -> Vec<u8> {
        let (pieces, piece_rx) = mpsc::channel(2);
        let (chunk_tx, mut chunks) = mpsc::channel(2);
        let writer = tokio::task::spawn_blocking(move || write_zip(piece_rx, chunk_tx));
        let produce = async move {
            let mut out = Entries {
                pieces,
                names: HashSet::new(),
            };
            for (dir, stem, ext, parts) in entries {
                out.start(dir, stem, ext, false).await.unwrap();
                for part in parts {
                    out.data(Bytes::from_static(part)).await.unwrap();
                }
            }
        };
        let collect = async {
            let mut bytes = Vec::new();
            while let Some(chunk) = chunks.recv().await {
                bytes.extend_from_slice(&chunk);
            }
            bytes
        };
        let ((), bytes) = tokio::join!(produce, collect);
        let size = writer.await.unwrap().unwrap();
        assert_eq!(size, bytes.len() as u64);
        bytes
    }

    #[tokio::test]
    async fn entries_stream_into_a_readable_zip_with_unique_names() {
        let bytes = zipped(vec![
            ("", "org", ".json", vec![b"{}"]),
            ("documents/A", "Plan", ".md", vec![b"# Plan\n", b"first"]),
            ("documents/A", "Plan", ".md", vec![b"# Plan\n", b"second"]),
            (
                "files/A",
                "big",
                ".bin",
                vec![&[7u8; 70_000], &[8u8; 70_000]],
            ),
        ])
        .await;
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut names: Vec<String> = archive.file_names().map(str::to_owned).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "documents/A/Plan (2).md",
                "documents/A/Plan.md",
                "files/A/big.bin",
                "org.json"
            ]
        );
        let mut second = String::new();
        archive
            .by_name("documents/A/Plan (2).md")
            .unwrap()
            .read_to_string(&mut second)
            .unwrap();
        assert_eq!(second, "# Plan\nsecond");
        let mut big = Vec::new();
        archive
            .by_name("files/A/big.bin")
            .unwrap()
            .read_to_end(&mut big)
            .unwrap();
        assert_eq!(big.len(), 140_000);
        assert!(big[..70_000].iter().all(|b| *b == 7) && big[70_000..].iter().all(|b| *b == 8));
    }

    #[test]
    fn a_pair_keeps_one_stem_and_file_names_stay_in_their_folder() {
        let (pieces, _rx) = mpsc::channel(1);
        let mut out = Entries {
            pieces,
            names: HashSet::new(),
        };
        assert_eq!(out.claim("d", "Plan", &[".md"]), "Plan");
        // `Plan.yjs` is free but `Plan.md` is not: the pair moves to `Plan (2)` together.
        assert_eq!(out.claim("d", "Plan", &[".md", ".yjs"]), "Plan (2)");
        assert_eq!(out.claim("d", "Plan", &[".yjs"]), "Plan");
        assert_eq!(file_segment("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(file_segment("a\\b\nc.txt"), "a_b_c.txt");
        assert_eq!(file_segment(".."), "file");
        assert_eq!(export_key("o-1", "e-2"), "blobs/o-1/export-e-2");
    }
}
