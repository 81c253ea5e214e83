//! The loopback services `scripts/test` starts, found through `ATRIUM_TEST_*` variables.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A variable the test command exports; a clear failure when it is missing.
pub fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests with scripts/test, which starts PostgreSQL, Redis, S3 and SMTP on loopback")
    })
}

/// The admin URL of the shared test PostgreSQL server.
pub fn postgres_admin_url() -> String {
    required_env("ATRIUM_TEST_PG_URL")
}

/// The shared test Redis.
pub fn redis_url() -> String {
    required_env("ATRIUM_TEST_REDIS_URL")
}

/// Settings of the shared test S3 server, as `ATRIUM_S3_*` variables for the server.
pub fn s3_env() -> Vec<(&'static str, String)> {
    vec![
        (
            "ATRIUM_S3_ENDPOINT",
            required_env("ATRIUM_TEST_S3_ENDPOINT"),
        ),
        ("ATRIUM_S3_REGION", required_env("ATRIUM_TEST_S3_REGION")),
        ("ATRIUM_S3_BUCKET", required_env("ATRIUM_TEST_S3_BUCKET")),
        (
            "ATRIUM_S3_ACCESS_KEY",
            required_env("ATRIUM_TEST_S3_ACCESS_KEY"),
        ),
        (
            "ATRIUM_S3_SECRET_KEY",
            required_env("ATRIUM_TEST_S3_SECRET_KEY"),
        ),
    ]
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// A PostgreSQL server of the test's own, for tests that stop and start it. Stopped on drop.
pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePostgres {
    /// Initialises and starts a server on a free port.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let server = Self { dir, port };
        server.run("start");
        server
    }

    /// The admin URL of this server.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast shutdown: connections are cut).
    pub fn stop(&self) {
        self.run("stop");
    }

    /// Starts it again on the same port and data.
    pub fn restart(&self) {
        self.run("start");
    }

    fn run(&self, action: &str) {
        let script = scripts_dir().join("postgres.sh");
        let mut command = Command::new("bash");
        command.arg(&script).arg(action).arg(self.dir.path());
        if action == "start" {
            command.arg(self.port.to_string());
        }
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            output.status.success(),
            "{} {action} failed:\n{}{}",
            script.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let script = scripts_dir().join("postgres.sh");
        let _ = Command::new("bash")
            .arg(script)
            .arg("stop")
            .arg(self.dir.path())
            .output();
    }
}

fn scripts_dir() -> PathBuf {
    std::env::var_os("ATRIUM_TEST_SERVICES_SCRIPTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/services"))
}

/// An SMTP sink of the test's own on `port`, for tests that stop and start it (the shared one
/// serves every test at once). Each accepted message appears as one `.eml` file in
/// [`PrivateSmtp::mail_dir`]. Stopped on drop.
pub struct PrivateSmtp {
    dir: tempfile::TempDir,
}

impl PrivateSmtp {
    /// Starts a sink on `port` (a port chosen before, e.g. one a server was already told).
    pub fn start(port: u16) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let status = Command::new("bash")
            .arg(scripts_dir().join("smtp.sh"))
            .arg("start")
            .arg(dir.path())
            .arg(port.to_string())
            .status()
            .expect("run smtp.sh");
        assert!(status.success(), "smtp.sh start failed");
        Self { dir }
    }

    /// Where the accepted messages are.
    pub fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }
}

impl Drop for PrivateSmtp {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(scripts_dir().join("smtp.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}
