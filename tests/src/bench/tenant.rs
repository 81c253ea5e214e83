//! A benchmark's tenant, set up over HTTP as people do it: sign-up, the verification link and
//! the invitation read from the server's mail outbox, acceptance.

use std::time::Instant;

use anyhow::{Context, bail};
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};

use super::BenchServer;
use crate::mail::wait_for_links;

const PASSWORD: &str = "bench password 123 abc";

/// A signed-up, logged-in user.
#[derive(Clone)]
pub struct Actor {
    pub id: String,
    pub token: String,
}

/// An owner, an organisation with an open project, and members (see [`Tenant::create`]).
pub struct Tenant {
    pub http: reqwest::Client,
    pub base: String,
    pub owner: Actor,
    pub org: String,
    pub project: String,
    pub users: Vec<Actor>,
}

/// One JSON request; a non-2xx answer is an error carrying the body.
pub async fn call(
    http: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let mut request = http.request(method.clone(), format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("{method} {path}: {status}: {text}");
    }
    Ok(if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)?
    })
}

/// Signs `handle` up (`{handle}@example.com`) and logs in.
pub async fn signup(http: &reqwest::Client, base: &str, handle: &str) -> anyhow::Result<Actor> {
    let email = format!("{handle}@example.com");
    call(
        http,
        base,
        reqwest::Method::POST,
        "/api/v1/auth/signup",
        None,
        Some(json!({"email": email, "password": PASSWORD, "name": handle})),
    )
    .await?;
    let login = call(
        http,
        base,
        reqwest::Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": email, "password": PASSWORD})),
    )
    .await?;
    Ok(Actor {
        id: login["user"]["id"].as_str().context("user id")?.to_owned(),
        token: login["token"].as_str().context("token")?.to_owned(),
    })
}

/// Logs `handle` (signed up by [`signup`]) in again.
pub async fn login(http: &reqwest::Client, base: &str, handle: &str) -> anyhow::Result<Actor> {
    let login = call(
        http,
        base,
        reqwest::Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": format!("{handle}@example.com"), "password": PASSWORD})),
    )
    .await?;
    Ok(Actor {
        id: login["user"]["id"].as_str().context("user id")?.to_owned(),
        token: login["token"].as_str().context("token")?.to_owned(),
    })
}

/// Verifies the addresses `emails` of `actors` (logged in, same order) with the links from
/// their sign-up e-mails.
pub async fn verify(
    http: &reqwest::Client,
    base: &str,
    outbox: &std::path::Path,
    actors: &[Actor],
    emails: &[String],
) -> anyhow::Result<()> {
    let tokens = wait_for_links(outbox, emails, "/verify-email", &[]).await;
    futures::stream::iter(actors.iter().zip(tokens))
        .map(|(actor, token)| {
            call(
                http,
                base,
                reqwest::Method::POST,
                "/api/v1/auth/verify-email",
                Some(&actor.token),
                Some(json!({ "token": token })),
            )
        })
        .buffered(8)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

impl Tenant {
    /// An owner, an organisation with an open project, and `users` members of it.
    pub async fn create(server: &BenchServer, users: usize) -> anyhow::Result<Self> {
        let base = server.base.as_str();
        let outbox = server.outbox();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?;
        let owner = signup(&http, base, "owner").await?;
        verify(
            &http,
            base,
            &outbox,
            std::slice::from_ref(&owner),
            &["owner@example.com".to_owned()],
        )
        .await?;
        let org = call(
            &http,
            base,
            reqwest::Method::POST,
            "/api/v1/orgs",
            Some(&owner.token),
            Some(json!({"name": "Bench"})),
        )
        .await?;
        let org = org["id"].as_str().context("org id")?.to_owned();
        let mut tenant = Self {
            http,
            base: base.to_owned(),
            owner,
            org,
            project: String::new(),
            users: Vec::new(),
        };
        tenant.project = tenant.create_project("Open", "open").await?;
        let started = Instant::now();
        let http = tenant.http.clone();
        tenant.users = futures::stream::iter(0..users)
            .map(|i| {
                let http = http.clone();
                async move { signup(&http, base, &format!("user{i:04}")).await }
            })
            .buffered(4)
            .try_collect()
            .await?;
        let emails: Vec<String> = (0..users)
            .map(|i| format!("user{i:04}@example.com"))
            .collect();
        verify(&http, base, &outbox, &tenant.users, &emails).await?;
        for email in &emails {
            tenant
                .post(
                    &format!("/api/v1/orgs/{}/members", tenant.org),
                    json!({"email": email, "role": "member"}),
                )
                .await?;
        }
        let invitations = wait_for_links(&outbox, &emails, "/invitations", &[]).await;
        futures::stream::iter(tenant.users.iter().zip(invitations))
            .map(|(user, token)| {
                call(
                    &http,
                    base,
                    reqwest::Method::POST,
                    "/api/v1/invitations/accept",
                    Some(&user.token),
                    Some(json!({ "token": token })),
                )
            })
            .buffered(8)
            .try_collect::<Vec<_>>()
            .await?;
        if users > 0 {
            println!(
                "{users} users signed up, logged in, verified, invited and joined in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        Ok(tenant)
    }

    /// POST as the owner.
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        call(
            &self.http,
            &self.base,
            reqwest::Method::POST,
            path,
            Some(&self.owner.token),
            Some(body),
        )
        .await
    }

    pub async fn create_project(&self, name: &str, visibility: &str) -> anyhow::Result<String> {
        let project = self
            .post(
                &format!("/api/v1/orgs/{}/projects", self.org),
                json!({"name": name, "visibility": visibility, "default_role": "editor"}),
            )
            .await?;
        Ok(project["id"].as_str().context("project id")?.to_owned())
    }

    pub async fn create_channel(&self, project: &str, name: &str) -> anyhow::Result<String> {
        let channel = self
            .post(
                &format!("/api/v1/projects/{project}/channels"),
                json!({"name": name}),
            )
            .await?;
        Ok(channel["id"].as_str().context("channel id")?.to_owned())
    }
}
