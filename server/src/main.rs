//! `atrium`: the server binary. See `atrium --help`.

/// mimalloc instead of glibc malloc: with many threads (tokio workers, one per SQLite
/// connection, hashing) glibc's per-thread arenas held on to hundreds of MB the server had freed.
/// Built without transparent huge pages (`no_thp`): each 2 MiB page a thread touched was zeroed
/// and held whole — ~25 MB more RSS at rest, RSS readings jumping by ±30 MB between runs, and the
/// search indexer's fresh per-commit buffers costing huge-page faults.
///
/// Watched: the text-extraction child reports its memory limit even where a library met it and
/// carried on (see `files::sandbox::Watched`).
#[global_allocator]
static GLOBAL: atrium_server::files::sandbox::Watched<mimalloc::MiMalloc> =
    atrium_server::files::sandbox::Watched(mimalloc::MiMalloc);

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use atrium_server::config::{AdminTask, Cli, Command, Config, SearchTask};
use atrium_server::telemetry::logging;
use atrium_server::{Server, cli};
use clap::Parser as _;
use tokio::net::TcpListener;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The extraction child: one thread under tight resource limits, no runtime, no logging.
    if let Command::Extract(args) = &cli.command {
        return atrium_server::files::sandbox::child_main(args.method, args.max_expanded_bytes);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(release_freed_memory)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("atrium: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("atrium: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// How often an idle worker thread hands the memory it freed back to the system.
const RELEASE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Called when a worker thread runs out of work. mimalloc returns freed memory to the system
/// only when the thread that owns it allocates or frees again, so after a burst (a thousand
/// WebSocket handshakes, each with its HTTP buffers) a worker that goes quiet kept tens of MB
/// it no longer used. At most once a second per thread, and only when it is idle anyway.
fn release_freed_memory() {
    thread_local! {
        static LAST: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
    }
    let now = std::time::Instant::now();
    if LAST
        .get()
        .is_some_and(|last| now.duration_since(last) < RELEASE_INTERVAL)
    {
        return;
    }
    LAST.set(Some(now));
    // SAFETY: `mi_collect` only walks and trims the calling thread's own heap and the shared
    // arenas under mimalloc's locks; it has no preconditions.
    unsafe { libmimalloc_sys::mi_collect(false) };
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Version => println!("atrium {}", env!("CARGO_PKG_VERSION")),
        Command::Openapi => println!("{}", atrium_server::openapi::document().to_pretty_json()?),
        Command::Serve(config) => serve(config).await?,
        Command::Migrate(config) => {
            logging::init(config.log_format, &config.log);
            let count = cli::migrate(&config).await?;
            println!("database is up to date ({count} migrations)");
        }
        Command::Admin {
            config,
            task: AdminTask::CreateUser(args),
        } => {
            logging::init(config.log_format, &config.log);
            let user = cli::create_user(&config, args).await?;
            println!(
                "created user {} <{}> @{} ({})",
                user.name, user.email, user.handle, user.id
            );
        }
        Command::Admin {
            config,
            task: AdminTask::InvoicePass(args),
        } => {
            logging::init(config.log_format, &config.log);
            let report = cli::invoice_pass(&config, args).await?;
            println!(
                "invoice pass: {} invoices became overdue, {} reminders queued",
                report.overdue, report.reminders
            );
        }
        Command::Admin {
            config,
            task: AdminTask::TimesheetPass(args),
        } => {
            logging::init(config.log_format, &config.log);
            let reminded = cli::timesheet_pass(&config, args).await?;
            println!("timesheet pass: {reminded} people reminded of last week's timesheet");
        }
        Command::Admin {
            config,
            task: AdminTask::AutomationPass(args),
        } => {
            logging::init(config.log_format, &config.log);
            let queued = cli::automation_pass(&config, args).await?;
            println!("automation pass: {queued} runs queued");
        }
        Command::Extract(_) => anyhow::bail!("`atrium extract` runs before the runtime is built"),
        Command::Search {
            config,
            task: SearchTask::Reindex,
        } => {
            logging::init(config.log_format, &config.log);
            let (seq, entities) = cli::search_reindex(&config).await?;
            println!("search index rebuilt: {entities} entities, change feed up to {seq}");
        }
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    logging::init(config.log_format, &config.log);
    let listen = config.listen;
    let metrics_listen = config.metrics_listen;
    let mut server = Server::build(config).await?;
    // The handlers are installed before anyone is told the server is up: a SIGTERM that
    // arrives the moment after must shut down gracefully, not kill the process.
    let shutdown = shutdown_signal()?;
    if let Some(metrics_listen) = metrics_listen {
        let listener = bind(metrics_listen)
            .with_context(|| format!("cannot listen on {metrics_listen} for metrics"))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "serving metrics");
        // Printed before the line below, which tells waiting scripts the server is up.
        println!("atrium metrics on http://{addr}/metrics");
        server = server.with_metrics_listener(listener);
    }
    let listener = bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    // One line on standard output once the server accepts traffic: scripts and the test
    // harness wait for it instead of polling.
    println!("atrium listening on http://{addr}");
    std::io::stdout().flush()?;
    server.run(listener, shutdown).await?;
    Ok(())
}

/// Connections the kernel holds before the server accepts them (capped by `somaxconn`). With
/// tokio's default of 1,024, a thousand collaboration sockets opening at once (clients
/// reconnecting after a restart) overflowed the queue, and the dropped ones waited out the 1 s
/// SYN retransmit.
const LISTEN_BACKLOG: u32 = 4096;

fn bind(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As `TcpListener::bind` does: a restarted server can listen while old connections linger.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Installs the SIGINT and SIGTERM handlers now; the future resolves on either signal.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT received"),
            _ = terminate.recv() => tracing::info!("SIGTERM received"),
        }
    })
}
