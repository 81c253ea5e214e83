//! The OpenAPI document, generated from the handlers' annotations and served at
//! `/api/v1/openapi.json`.

use utoipa::OpenApi;

/// The document's fixed parts; the paths are collected from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Atrium API",
        description = "The HTTP and WebSocket API of Atrium, a real-time collaborative workspace server. \
                       Errors answer with a real status code and `{\"error\":{\"code\",\"message\",\"fields\"?}}`.",
    ),
    components(schemas(atrium_client::wire::ErrorBody)),
    tags(
        (name = "operations", description = "Liveness, readiness and metrics"),
        (name = "auth", description = "Accounts, e-mail verification, sessions, API tokens, two-factor authentication, password reset, log-in throttling and unlock links"),
        (name = "orgs", description = "Organisations, members, invitations, the audit log, background jobs"),
        (name = "projects", description = "Projects and their members"),
        (name = "docs", description = "Collaborative documents, their content, versions and the /collab socket"),
        (name = "files", description = "Files in projects: streamed upload and download, versions, trash, extracted text"),
        (name = "search", description = "Search across everything the caller may read"),
    )
)]
pub struct ApiDoc;
