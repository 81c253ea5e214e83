//! Ready-made actors for tests: signed-up, logged-in users with a client carrying their token.

use atrium_client::Client;
use atrium_client::wire::{LoginRequest, LoginResponse, SignupRequest, User};

use crate::TestServer;

/// The password every fixture user gets.
pub const PASSWORD: &str = "correct horse battery staple 9";

/// A logged-in user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub user: User,
    pub token: String,
    /// A client sending the user's session token as a bearer token.
    pub client: Client,
}

impl TestUser {
    /// The user's id.
    pub fn id(&self) -> &str {
        &self.user.id
    }
}

/// Signs up `handle@example.com` and logs in.
pub async fn user(server: &TestServer, handle: &str) -> TestUser {
    let email = format!("{handle}@example.com");
    let anonymous = server.client();
    anonymous
        .signup(&SignupRequest {
            email: email.clone(),
            password: PASSWORD.to_owned(),
            name: handle.to_owned(),
            handle: None,
        })
        .await
        .unwrap_or_else(|e| panic!("signup of {email}: {e}"));
    let login: LoginResponse = anonymous
        .post(
            "/api/v1/auth/login",
            &LoginRequest {
                email,
                password: PASSWORD.to_owned(),
                totp: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("login of {handle}: {e}"));
    TestUser {
        user: login.user,
        client: server.client().with_token(&login.token),
        token: login.token,
    }
}
