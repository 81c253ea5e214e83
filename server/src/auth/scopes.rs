//! What a scoped API token may reach: areas with read or write access (`records:read`,
//! `chat:write`), and optionally one organisation and one project of it.
//!
//! A token's scopes narrow its user's rights; they never add any: a request a scope allows
//! still goes through authz as the user. The area a request belongs to is decided here from
//! the route's path template and method, in one table ([`requirement`]) that every route must
//! appear in (a unit test walks the OpenAPI document): a route nobody classified is refused to
//! scoped tokens rather than silently allowed.
//!
//! Write access implies read access to the same area. Account routes (`/me/*` but `GET /me`,
//! `/auth/*`, notifications, invitations) and the events socket are refused to every scoped
//! token: a token given to an integration cannot mint tokens, change its user's password or
//! read everything the user is told live.

use std::collections::BTreeSet;
use std::fmt;

use axum::http::Method;

/// A part of the product a scope grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Area {
    Docs,
    Chat,
    Boards,
    Records,
    Files,
    Search,
    Admin,
}

impl Area {
    pub const ALL: [Area; 7] = [
        Area::Docs,
        Area::Chat,
        Area::Boards,
        Area::Records,
        Area::Files,
        Area::Search,
        Area::Admin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Docs => "docs",
            Self::Chat => "chat",
            Self::Boards => "boards",
            Self::Records => "records",
            Self::Files => "files",
            Self::Search => "search",
            Self::Admin => "admin",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|area| area.name() == name)
    }
}

/// Read, or read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    /// Safe methods read; everything else writes.
    pub fn of(method: &Method) -> Self {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            Self::Read
        } else {
            Self::Write
        }
    }
}

/// One `{area}:{access}` grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    pub area: Area,
    pub access: Access,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.area.name(), self.access.name())
    }
}

impl Scope {
    /// `records:read` → the scope; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let (area, access) = text.split_once(':')?;
        let access = match access {
            "read" => Access::Read,
            "write" => Access::Write,
            _ => return None,
        };
        Some(Self {
            area: Area::parse(area)?,
            access,
        })
    }
}

/// The scopes a token carries (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// Parses the scopes of a token request; the error names the first bad entry.
    pub fn parse<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut set = BTreeSet::new();
        for item in items {
            let scope = Scope::parse(item.trim()).ok_or_else(|| {
                format!(
                    "unknown scope {item:?}: scopes are {{area}}:read or {{area}}:write, areas {}",
                    Area::ALL.map(Area::name).join(", ")
                )
            })?;
            set.insert(scope);
        }
        if set.is_empty() {
            return Err("list at least one scope, or leave scopes out for a full token".into());
        }
        Ok(Self(set))
    }

    /// The stored form: space-separated, sorted.
    pub fn stored(&self) -> String {
        self.names().join(" ")
    }

    /// From the stored form; entries this version does not know are dropped (never widened).
    pub fn from_stored(text: &str) -> Self {
        Self(text.split_whitespace().filter_map(Scope::parse).collect())
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }

    /// Whether the scopes allow `access` to `area` (write implies read).
    pub fn allow(&self, area: Area, access: Access) -> bool {
        self.0
            .iter()
            .any(|scope| scope.area == area && scope.access >= access)
    }
}

/// What a token may reach beyond its user's own rights; the default (no scopes, no org, no
/// project) is a full personal token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenGrant {
    /// `None`: every area.
    pub scopes: Option<Scopes>,
    /// The one organisation the token may reach.
    pub org_id: Option<String>,
    /// The one project (of that organisation) the token may reach.
    pub project_id: Option<String>,
}

impl TokenGrant {
    /// Whether the token may do whatever its user may.
    pub fn is_full(&self) -> bool {
        self.scopes.is_none() && self.org_id.is_none() && self.project_id.is_none()
    }

    /// Whether the token may see the organisation at all (lists of the user's organisations
    /// show a bound token its own only).
    pub fn sees_org(&self, org_id: &str) -> bool {
        self.org_id.as_deref().is_none_or(|bound| bound == org_id)
    }

    /// Whether the token may read `area` (a full token may read everything).
    pub fn reads(&self, area: Area) -> bool {
        self.scopes
            .as_ref()
            .is_none_or(|scopes| scopes.allow(area, Access::Read))
    }
}

/// What a request needs from a scoped token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Access to one area.
    Area(Area, Access),
    /// Nothing beyond being a token of the org: reading who one is, the org's projects and
    /// members (what any integration needs to find its way).
    Common,
    /// Never with a scoped token (account management, the events socket).
    Refused,
}

/// What a request to the route `template` (as axum matched it) with `method` needs from a
/// scoped token; `None` for a route this table does not know (refused, and a test failure).
pub fn requirement(method: &Method, template: &str) -> Option<Requirement> {
    use Requirement::{Common, Refused};
    let access = Access::of(method);
    let read = access == Access::Read;
    let area = |area| Some(Requirement::Area(area, access));
    let admin = Some(Requirement::Area(Area::Admin, access));
    // The socket upgrades first: they are GETs that write.
    match template {
        "/collab/{doc}" => return Some(Requirement::Area(Area::Docs, Access::Write)),
        "/api/v1/events" => return Some(Refused),
        _ => {}
    }
    let path = template.strip_prefix("/api/v1/")?;
    let mut segments = path.split('/');
    let first = segments.next().unwrap_or_default();
    let second = segments.next();
    let rest = segments.next();
    match (first, second) {
        ("me", None) if read => Some(Common),
        ("me", Some("timer")) => area(Area::Boards),
        ("me" | "auth" | "invitations" | "notifications", _) => Some(Refused),
        ("docs" | "comments", Some(_)) => area(Area::Docs),
        // Templates are read by whoever writes documents, and managed by administrators.
        ("doc-templates", Some(_)) if read => area(Area::Docs),
        ("doc-templates", Some(_)) => admin,
        // A public document page needs no credentials at all.
        ("public", Some("docs")) if read => Some(Common),
        ("channels" | "messages", Some(_)) => area(Area::Chat),
        ("boards" | "tasks" | "milestones" | "views" | "time", Some(_)) => area(Area::Boards),
        ("records", Some(_)) => area(Area::Records),
        ("files", Some(_)) => area(Area::Files),
        // A person's picture: as public to an org's tokens as the member list it belongs to.
        ("users", Some(_)) if read => Some(Common),
        ("webhooks" | "automations" | "email-templates", Some(_)) => admin,
        ("orgs", None) => {
            if read {
                Some(Common)
            } else {
                Some(Refused)
            }
        }
        // Deleting the organisation takes a person, never a token.
        ("orgs", Some("{org}")) if rest.is_none() && *method == Method::DELETE => Some(Refused),
        ("orgs", Some("{org}")) => org_route(rest, access),
        ("projects", Some("{project}")) => project_route(rest, access),
        _ => None,
    }
}

/// Routes under `/orgs/{org}`: `rest` is the segment after the org, if any.
fn org_route(rest: Option<&str>, access: Access) -> Option<Requirement> {
    let read = access == Access::Read;
    let area = |area| Some(Requirement::Area(area, access));
    let Some(rest) = rest else {
        // The organisation itself: renaming it is administration.
        return if read {
            Some(Requirement::Common)
        } else {
            area(Area::Admin)
        };
    };
    match rest {
        "projects" | "members" if read => Some(Requirement::Common),
        "channels" | "dms" | "threads" | "unread" | "presence" => area(Area::Chat),
        "chat-settings" if read => area(Area::Chat),
        "doc-sharing" | "doc-templates" if read => area(Area::Docs),
        "records" | "deals" | "invoices" => area(Area::Records),
        "record-types" | "invoice-settings" | "timesheet-settings" if read => area(Area::Records),
        "time" | "time.csv" => area(Area::Boards),
        "search" => area(Area::Search),
        "projects" | "members" | "chat-settings" | "record-types" | "invoice-settings"
        | "timesheet-settings" | "audit" | "jobs" | "permissions" | "roles" | "invitations"
        | "tokens" | "webhooks" | "automations" | "email-templates" | "doc-sharing"
        | "doc-templates" | "export" | "exports" => area(Area::Admin),
        _ => None,
    }
}

/// Routes under `/projects/{project}`: `rest` is the segment after the project, if any.
fn project_route(rest: Option<&str>, access: Access) -> Option<Requirement> {
    let read = access == Access::Read;
    let area = |area| Some(Requirement::Area(area, access));
    match rest {
        None | Some("members") if read => Some(Requirement::Common),
        None | Some("members") => area(Area::Admin),
        Some("docs") => area(Area::Docs),
        Some("channels") => area(Area::Chat),
        Some("files") => area(Area::Files),
        Some("billing") if read => area(Area::Records),
        Some("billing") => area(Area::Admin),
        Some("boards" | "milestones" | "overview" | "statuses" | "tasks" | "views") => {
            area(Area::Boards)
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_store_and_allow() {
        let scopes = Scopes::parse(["records:read", "chat:write", "records:read"]).unwrap();
        assert_eq!(scopes.stored(), "chat:write records:read");
        assert_eq!(Scopes::from_stored(&scopes.stored()), scopes);
        assert!(scopes.allow(Area::Records, Access::Read));
        assert!(!scopes.allow(Area::Records, Access::Write));
        assert!(scopes.allow(Area::Chat, Access::Read), "write implies read");
        assert!(!scopes.allow(Area::Docs, Access::Read));
        for bad in ["records", "records:admin", "calendar:read", ":read", ""] {
            assert!(Scopes::parse([bad]).is_err(), "{bad:?} must be refused");
        }
        assert!(Scopes::parse(std::iter::empty()).is_err());
        // A stored entry this version does not know narrows, never widens.
        assert_eq!(
            Scopes::from_stored("records:read future:write").names(),
            ["records:read"]
        );
    }

    #[test]
    fn routes_fall_in_their_areas() {
        let get = Method::GET;
        let post = Method::POST;
        let cases = [
            (
                &get,
                "/api/v1/orgs/{org}/records/{type}",
                Requirement::Area(Area::Records, Access::Read),
            ),
            (
                &post,
                "/api/v1/orgs/{org}/records/{type}",
                Requirement::Area(Area::Records, Access::Write),
            ),
            (
                &get,
                "/api/v1/channels/{channel}/messages",
                Requirement::Area(Area::Chat, Access::Read),
            ),
            (
                &post,
                "/api/v1/tasks/{task}/move",
                Requirement::Area(Area::Boards, Access::Write),
            ),
            (
                &get,
                "/api/v1/orgs/{org}/search",
                Requirement::Area(Area::Search, Access::Read),
            ),
            (
                &get,
                "/collab/{doc}",
                Requirement::Area(Area::Docs, Access::Write),
            ),
            (&get, "/api/v1/me", Requirement::Common),
            (&post, "/api/v1/me/tokens", Requirement::Refused),
            (&get, "/api/v1/events", Requirement::Refused),
            (&get, "/api/v1/orgs/{org}/projects", Requirement::Common),
            (&post, "/api/v1/me/password", Requirement::Refused),
            (
                &get,
                "/api/v1/orgs/{org}/audit/export.csv",
                Requirement::Area(Area::Admin, Access::Read),
            ),
            (
                &Method::PATCH,
                "/api/v1/orgs/{org}",
                Requirement::Area(Area::Admin, Access::Write),
            ),
            (&Method::DELETE, "/api/v1/orgs/{org}", Requirement::Refused),
            (
                &post,
                "/api/v1/orgs/{org}/export",
                Requirement::Area(Area::Admin, Access::Write),
            ),
            (
                &get,
                "/api/v1/orgs/{org}/exports/{export}/download",
                Requirement::Area(Area::Admin, Access::Read),
            ),
            (
                &post,
                "/api/v1/orgs/{org}/projects",
                Requirement::Area(Area::Admin, Access::Write),
            ),
            (
                &get,
                "/api/v1/orgs/{org}/record-types",
                Requirement::Area(Area::Records, Access::Read),
            ),
            (
                &post,
                "/api/v1/orgs/{org}/record-types",
                Requirement::Area(Area::Admin, Access::Write),
            ),
            (&get, "/api/v1/projects/{project}", Requirement::Common),
            (
                &axum::http::Method::PATCH,
                "/api/v1/projects/{project}",
                Requirement::Area(Area::Admin, Access::Write),
            ),
        ];
        for (method, template, expected) in cases {
            assert_eq!(
                requirement(method, template),
                Some(expected),
                "{method} {template}"
            );
        }
    }

    /// Every route of the API is classified: a new route must be added to the table.
    #[test]
    fn every_route_is_classified() {
        let doc =
            serde_json::to_value(crate::openapi::document()).expect("the document serialises");
        let paths = doc["paths"].as_object().expect("paths");
        assert!(paths.len() > 50);
        for (path, item) in paths {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            for method in item.as_object().expect("path item").keys() {
                let Ok(method) = method.to_uppercase().parse::<Method>() else {
                    continue;
                };
                assert!(
                    requirement(&method, path).is_some(),
                    "{method} {path} has no scope requirement: add it to auth::scopes::requirement"
                );
            }
        }
    }
}
