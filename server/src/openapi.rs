//! The OpenAPI document, generated from the handlers' annotations and served at
//! `/api/v1/openapi.json`; `atrium openapi` prints it without a server (the browser app's
//! types are generated from it).

use std::collections::{HashMap, HashSet};

use utoipa::OpenApi;
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;

use crate::app::ApiRoutes;
use crate::ops;

/// The document's fixed parts; the paths are collected from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Atrium API",
        description = "The HTTP and WebSocket API of Atrium, a real-time collaborative workspace server. \
                       Errors answer with a real status code and `{\"error\":{\"code\",\"message\",\"fields\"?}}`. \
                       Text never holds NUL (U+0000): a body or path with one answers 400.",
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
///
/// Then the answers every route can give whatever its handler says — a malformed parameter or
/// body (400), a body too large (413), of another content type (415) or with invalid values
/// (422: every handler checks its fields the same way), a refused or missing
/// credential (401/403: a scoped token meets 403 on any route outside its scopes), the rate
/// limit (429) — are added where the annotation did not list them, with the bearer scheme on
/// every route that takes a credential, so the document describes what a client will meet.
pub(crate) fn finish(mut doc: Document) -> Document {
    unique_operation_ids(&mut doc);
    common_responses(&mut doc);
    doc
}

/// The routes that take no credential: sign-up, log-in and the other account-recovery steps,
/// an invitation link's preview (its token is the proof), and the operations endpoints.
fn is_public(path: &str) -> bool {
    (path.starts_with("/api/v1/auth/") && path != "/api/v1/auth/logout")
        || path == "/api/v1/invitations/preview"
        || !path.starts_with("/api/")
}

/// The answers every route may give, shared in `components/responses`: status, name,
/// description.
const COMMON_RESPONSES: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "Malformed request: a path or query parameter, or a body, that does not parse",
    ),
    (
        "401",
        "Unauthorized",
        "No valid credential: log in, or send a live bearer token",
    ),
    (
        "403",
        "Forbidden",
        "Not allowed: your roles, or the scopes, organisation or project of the token",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is larger than the server accepts",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not of the content type this route takes",
    ),
    (
        "422",
        "UnprocessableEntity",
        "A well-formed body with invalid values: `fields` names each and says why",
    ),
    (
        "429",
        "TooManyRequests",
        "Too many requests: retry after the `Retry-After` seconds",
    ),
];

fn common_responses(doc: &mut Document) {
    let mut any_authenticated = false;
    for (_, path, operation) in operations(doc) {
        let api = path.starts_with("/api/");
        let authenticated = api && !is_public(&path);
        let has_body = operation.request_body.is_some();
        for (status, name, _) in COMMON_RESPONSES {
            let applies = match *status {
                "400" | "429" => api,
                "401" | "403" => authenticated,
                _ => has_body,
            };
            if applies {
                operation
                    .responses
                    .responses
                    .entry((*status).to_owned())
                    .or_insert_with(|| {
                        RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
                    });
            }
        }
        if authenticated {
            operation.security = Some(vec![SecurityRequirement::new(
                "bearer",
                Vec::<String>::new(),
            )]);
            any_authenticated = true;
        }
    }
    let components = doc.components.get_or_insert_with(Default::default);
    for (_, name, description) in COMMON_RESPONSES {
        let response: Response = ResponseBuilder::new()
            .description(*description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        components
            .responses
            .insert((*name).to_owned(), RefOr::T(response));
    }
    if any_authenticated {
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session or API token (`Authorization: Bearer …`); browsers send the \
                         session cookie instead, WebSockets also take `?token=`",
                    ))
                    .build(),
            ),
        );
    }
}

fn unique_operation_ids(doc: &mut Document) {
    let mut uses: HashMap<String, usize> = HashMap::new();
    for (_, _, operation) in operations(doc) {
        if let Some(id) = &operation.operation_id {
            *uses.entry(id.clone()).or_default() += 1;
        }
    }
    let mut taken: HashSet<String> = uses.keys().cloned().collect();
    for (method, path, operation) in operations(doc) {
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
