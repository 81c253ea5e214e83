//! The OpenAPI document, generated from the handlers' annotations and served at
//! `/api/v1/openapi.json`; `atrium openapi` prints it without a server (the browser app's
//! types are generated from it).

use std::collections::{HashMap, HashSet};

use utoipa::OpenApi;
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::path::Operation;
use utoipa_axum::router::OpenApiRouter;

use crate::app::ApiRoutes;
use crate::ops;

/// The document's fixed parts; the paths are collected from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Atrium API",
        description = "The HTTP and WebSocket API of Atrium, a real-time collaborative workspace server. \
                       Errors answer with a real status code and `{\"error\":{\"code\",\"message\",\"fields\"?}}`.",
    ),
    // The event socket's frames are no route's body: listed here so clients get their types.
    components(schemas(
        atrium_client::wire::ErrorBody,
        atrium_client::wire::EventFrame,
        atrium_client::wire::ClientFrame
    )),
    tags(
        (name = "operations", description = "Liveness, readiness and metrics"),
        (name = "auth", description = "Accounts, e-mail verification, sessions, API tokens, two-factor authentication, password reset, log-in throttling and unlock links"),
        (name = "orgs", description = "Organisations, members, invitations, the audit log, background jobs"),
        (name = "projects", description = "Projects and their members"),
        (name = "docs", description = "Collaborative documents, their content, versions and the /collab socket"),
        (name = "files", description = "Files in projects: streamed upload and download, versions, trash, extracted text"),
        (name = "records", description = "Business records: record types, records, workflows, history, lists"),
        (name = "invoices", description = "Invoicing: settings, invoice PDFs, sending, payments"),
        (name = "search", description = "Search across everything the caller may read"),
        (name = "time", description = "Time entries on tasks, the running timer, time reports and their CSV export"),
        (name = "planning", description = "Milestones, project overviews and saved views of tasks"),
        (name = "integrations", description = "Outgoing webhooks: subscriptions, signing secrets, the delivery log, redelivery and test events"),
    )
)]
pub struct ApiDoc;

/// The whole document, as `/api/v1/openapi.json` serves it, built from the routes alone: no
/// configuration, database or listener.
pub fn document() -> Document {
    // Body limits are layers: they change nothing in the description.
    let routes = ApiRoutes::new(0, 0);
    let (_, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(ops::routes::router())
        .merge(routes.credentials)
        .merge(routes.rest)
        .split_for_parts();
    finish(doc)
}

/// The last touches the annotations cannot make, applied to the document the routes describe.
///
/// OpenAPI wants every operation id once (client generators refuse the document otherwise), but
/// utoipa takes the handler's name and two domains may have handlers of the same name
/// (`list_versions` of documents and of files): each of those gets its tag in front
/// (`docs_list_versions`, `files_list_versions`), or its method and path where even that
/// repeats.
pub(crate) fn finish(mut doc: Document) -> Document {
    let mut uses: HashMap<String, usize> = HashMap::new();
    for (_, _, operation) in operations(&mut doc) {
        if let Some(id) = &operation.operation_id {
            *uses.entry(id.clone()).or_default() += 1;
        }
    }
    let mut taken: HashSet<String> = uses.keys().cloned().collect();
    for (method, path, operation) in operations(&mut doc) {
        let Some(id) = operation.operation_id.clone() else {
            continue;
        };
        if uses[&id] < 2 {
            continue;
        }
        let tag = operation.tags.iter().flatten().next();
        let unique = tag
            .map(|tag| format!("{tag}_{id}"))
            .filter(|qualified| !taken.contains(qualified))
            .unwrap_or_else(|| {
                let words = path.split(|c: char| !c.is_ascii_alphanumeric());
                std::iter::once(method)
                    .chain(words.filter(|w| !w.is_empty()))
                    .collect::<Vec<_>>()
                    .join("_")
            });
        taken.insert(unique.clone());
        operation.operation_id = Some(unique);
    }
    doc
}

/// Every operation of the document with its method and path.
fn operations(doc: &mut Document) -> impl Iterator<Item = (&'static str, String, &mut Operation)> {
    doc.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("options", &mut item.options),
            ("head", &mut item.head),
            ("patch", &mut item.patch),
            ("trace", &mut item.trace),
        ]
        .into_iter()
        .filter_map(move |(method, operation)| {
            operation
                .as_mut()
                .map(|operation| (method, path.clone(), operation))
        })
    })
}
