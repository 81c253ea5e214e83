//! [`TestServer`]: one real `atrium serve` process per test.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use atrium_client::Client;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::database::{Backend, TestDatabase};

/// How long a server may take to migrate and start listening. Generous: CI machines are slow
/// and busy; a healthy start takes well under a second.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// The `atrium` binary under test: `ATRIUM_BIN`, or the one built next to the test executable.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("ATRIUM_BIN") {
        return PathBuf::from(path);
    }
    // Test executables live in target/<profile>/deps; the binary in target/<profile>.
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile> directory");
    let path = profile_dir.join("atrium");
    assert!(
        path.is_file(),
        "{} does not exist: build it first (`cargo build -p atrium-server --bin atrium`; scripts/test does)",
        path.display()
    );
    path
}

/// Options for a test server.
pub struct TestServerBuilder {
    backend: Backend,
    env: Vec<(String, String)>,
    args: Vec<String>,
    database: Option<TestDatabase>,
}

impl TestServerBuilder {
    /// Sets an environment variable of the server process.
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_owned(), value.into()));
        self
    }

    /// Adds a command-line argument after `serve`.
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// Uses this database instead of a fresh one on the shared server.
    pub fn database(mut self, database: TestDatabase) -> Self {
        self.database = Some(database);
        self
    }

    /// Starts the server and waits until it listens.
    pub async fn start(self) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = match self.database {
            Some(database) => database,
            None => TestDatabase::create(self.backend, dir.path()).await,
        };
        let mut server = TestServer {
            child: None,
            base: String::new(),
            dir,
            database,
            env: self.env,
            args: self.args,
            backend: self.backend,
            announced: Vec::new(),
        };
        server.spawn().await;
        server
    }
}

/// A running `atrium serve` with its own data directory and database. Killed and cleaned up
/// on drop; its log (standard error) is in [`TestServer::log_path`] and printed when the test
/// fails.
pub struct TestServer {
    child: Option<Child>,
    base: String,
    dir: tempfile::TempDir,
    database: TestDatabase,
    env: Vec<(String, String)>,
    args: Vec<String>,
    backend: Backend,
    /// Lines the server printed on standard output before it was ready.
    announced: Vec<String>,
}

impl TestServer {
    /// A server with default settings on `backend`.
    pub async fn start(backend: Backend) -> Self {
        Self::builder(backend).start().await
    }

    /// A server with custom settings.
    pub fn builder(backend: Backend) -> TestServerBuilder {
        TestServerBuilder {
            backend,
            env: Vec::new(),
            args: Vec::new(),
            database: None,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// An unauthenticated API client.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// What follows `prefix` on a line the server printed before it was ready (e.g. the
    /// metrics address: `"atrium metrics on "`).
    pub fn announced(&self, prefix: &str) -> Option<&str> {
        self.announced
            .iter()
            .find_map(|line| line.strip_prefix(prefix))
            .map(str::trim)
    }

    /// The backend this server runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database URL the server was given.
    pub fn database_url(&self) -> &str {
        self.database.url()
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Where the server's mail ends up: the SMTP sink's directory when the server was given
    /// `ATRIUM_SMTP_URL`, else the `.eml` outbox in its data directory.
    pub fn mail_dir(&self) -> PathBuf {
        if self.env.iter().any(|(k, _)| k == "ATRIUM_SMTP_URL") {
            PathBuf::from(crate::services::required_env("ATRIUM_TEST_SMTP_DIR"))
        } else {
            self.data_dir().join("outbox")
        }
    }

    /// Where the server's log goes.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// Everything the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .and_then(Child::id)
            .expect("the server is running")
    }

    /// Sends a signal (e.g. SIGTERM) to the server.
    pub fn signal(&self, signal: Signal) {
        let pid = i32::try_from(self.pid()).expect("pid fits");
        kill(Pid::from_raw(pid), signal).expect("signal the server");
    }

    /// Waits for the server to exit, up to `deadline`.
    pub async fn wait(&mut self, deadline: Duration) -> ExitStatus {
        let child = self.child.as_mut().expect("the server was started");
        let status = tokio::time::timeout(deadline, child.wait())
            .await
            .unwrap_or_else(|_| panic!("the server did not exit within {deadline:?}"))
            .expect("wait for the server");
        self.child = None;
        status
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts the server again on the same data directory and database (after `kill` or an
    /// exit). It gets a new port.
    pub async fn restart(&mut self) {
        self.kill().await;
        self.spawn().await;
    }

    /// Runs another `atrium` subcommand against this server's configuration.
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(binary());
        command.args(args);
        self.configure(&mut command);
        command
    }

    fn configure(&self, command: &mut std::process::Command) {
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("ATRIUM_DATA_DIR", self.data_dir())
            .env("ATRIUM_DATABASE_URL", self.database.url())
            .env("ATRIUM_WEB_DIR", self.dir.path().join("web"))
            .env("ATRIUM_LOG", "info,sqlx=warn")
            // Tests log in far more often than people do; the rate-limit tests set their own.
            .env("ATRIUM_AUTH_RATE_PER_MINUTE", "10000")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open the server log");
        let mut command = std::process::Command::new(binary());
        command
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .args(&self.args);
        self.configure(&mut command);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        let mut child = Command::from(command)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn atrium");

        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut announced = Vec::new();
        let ready = tokio::time::timeout(START_DEADLINE, async {
            while let Some(line) = lines.next_line().await.ok().flatten() {
                if let Some(url) = line.strip_prefix("atrium listening on ") {
                    return Some(url.trim().to_owned());
                }
                announced.push(line);
            }
            None
        })
        .await;
        self.announced = announced;
        match ready {
            Ok(Some(url)) => self.base = url,
            Ok(None) => {
                let status = child.wait().await.ok();
                panic!(
                    "atrium exited before listening ({status:?}); its log:\n{}",
                    self.log()
                );
            }
            Err(_) => panic!(
                "atrium did not listen within {START_DEADLINE:?}; its log:\n{}",
                self.log()
            ),
        }
        // Keep draining standard output so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.child = Some(child);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        if std::thread::panicking() {
            eprintln!(
                "---- atrium server log ({}) ----\n{}",
                self.log_path().display(),
                self.log()
            );
        }
    }
}
