//! [`Client`]: a typed HTTP client for the Atrium API.

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::wire::{ErrorBody, Health, Readiness, SignupRequest, SignupResponse};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error status and the contract's error body.
    #[error("{status}: {} ({})", body.error.message, body.error.code)]
    Api { status: StatusCode, body: ErrorBody },
    /// The server answered with an error status and a body that is not the contract's.
    #[error("{status}: unexpected error body: {body}")]
    UnexpectedBody { status: StatusCode, body: String },
    /// The request did not complete (connection refused, reset, timeout, bad JSON).
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
}

impl ClientError {
    /// The HTTP status of an answered error.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } | Self::UnexpectedBody { status, .. } => Some(*status),
            Self::Transport(e) => e.status(),
        }
    }

    /// The contract's error code, when the server sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { body, .. } => Some(&body.error.code),
            _ => None,
        }
    }
}

/// A client of one Atrium server, optionally authenticated with a bearer token.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

impl Client {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: impl Into<String>) -> Self {
        let base = base.into().trim_end_matches('/').to_owned();
        Self {
            base,
            http: reqwest::Client::new(),
            token: None,
        }
    }

    /// The same client, sending `Authorization: Bearer <token>`.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// A request builder for `path` (which starts with `/`), authenticated if a token is set.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, format!("{}{}", self.base, path));
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Sends a request and decodes a JSON answer, or the contract's error.
    pub async fn send<T: DeserializeOwned>(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let response = builder.send().await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response.json().await?);
        }
        let text = response.text().await?;
        match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => Err(ClientError::Api { status, body }),
            Err(_) => Err(ClientError::UnexpectedBody { status, body: text }),
        }
    }

    /// `GET path`, decoded.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send(self.request(Method::GET, path)).await
    }

    /// `POST path` with a JSON body, decoded.
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    /// `GET /healthz`.
    pub async fn health(&self) -> Result<Health, ClientError> {
        self.get("/healthz").await
    }

    /// `GET /readyz`. A 503 is not an error here: its body says what is down.
    pub async fn readiness(&self) -> Result<(StatusCode, Readiness), ClientError> {
        let response = self.request(Method::GET, "/readyz").send().await?;
        let status = response.status();
        Ok((status, response.json().await?))
    }

    /// `POST /api/v1/auth/signup`.
    pub async fn signup(&self, request: &SignupRequest) -> Result<SignupResponse, ClientError> {
        self.post("/api/v1/auth/signup", request).await
    }

    /// `GET /api/v1/openapi.json`.
    pub async fn openapi(&self) -> Result<serde_json::Value, ClientError> {
        self.get("/api/v1/openapi.json").await
    }
}
