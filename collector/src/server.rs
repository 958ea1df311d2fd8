//! Starting and stopping the whole collector: queue, sinks, HTTP server.

use crate::listener::{self, ConnectionLimits};
use crate::metrics::Metrics;
use crate::pipeline::{Pipeline, Tenants};
use crate::queue::{Queue, QueueError, QueueOptions};
use crate::routes::AppState;
use crate::routes::{self, Listener, OpsAccess};
use hush_config::{CollectorConfig, ScrubAction, ScrubConfig};
use hush_scrubbers::{Redaction, ScrubError, Scrubber};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long sinks may keep flushing after the server stopped accepting.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

/// Most connections open at once on the admin listener.
pub const ADMIN_MAX_CONNECTIONS: usize = 32;

/// Why the collector could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The data directory could not be created.
    #[error("cannot create data_dir {path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The durable queue could not be opened.
    #[error("cannot open the queue: {0}")]
    Queue(#[from] QueueError),
    /// A custom scrubbing rule is invalid.
    #[error("invalid scrubbing rule: {0}")]
    Scrub(#[from] ScrubError),
    /// A sink could not be set up.
    #[error("cannot start sink: {0}")]
    Sink(String),
    /// The data-rights service could not start (its receipts directory, a store).
    #[error("cannot start the data-rights service: {0}")]
    Rights(#[from] crate::rights::RightsError),
    /// The admin listener's address could not be bound.
    #[error("cannot listen on admin.listen {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The HTTP server failed.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// The scrubber for a configuration: built-in detectors with their configured actions,
/// less the disabled ones, plus the custom rules.
///
/// # Errors
/// [`ScrubError`] naming an unknown kind or a rule whose pattern does not compile.
pub fn build_scrubber(config: &ScrubConfig) -> Result<Scrubber, ScrubError> {
    let redaction = |action: ScrubAction| match action {
        ScrubAction::Placeholder => Redaction::Placeholder,
        ScrubAction::Hash => Redaction::Hash,
        ScrubAction::Mask => Redaction::Mask,
        ScrubAction::Remove => Redaction::Remove,
    };
    let mut builder = Scrubber::builder();
    for (kind, action) in &config.actions {
        builder = builder.action(kind, redaction(*action));
    }
    for kind in &config.disable {
        builder = builder.disable(kind);
    }
    for rule in &config.rules {
        builder = builder.custom_rule(&rule.name, &rule.pattern, redaction(rule.action));
    }
    builder.build()
}

/// A started collector: shared state, the sink tasks and their stop signal.
pub struct Collector {
    /// Shared state (the router's).
    pub state: Arc<AppState>,
    sinks: Vec<JoinHandle<()>>,
    stop_sinks: watch::Sender<bool>,
}

impl Collector {
    /// Opens the queue under `data_dir`, starts the configured sinks, and builds the state.
    ///
    /// # Errors
    /// [`ServeError`] when the data directory, the queue, a scrub rule or a sink fails.
    pub async fn start(config: &CollectorConfig) -> Result<Self, ServeError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| ServeError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        let scrubber = build_scrubber(&config.scrub)?;
        let metrics = Arc::new(Metrics::default());
        let consumers = crate::sinks::consumer_names(config);
        let options = QueueOptions {
            max_bytes: config.queue.max_bytes,
            segment_bytes: config.queue.segment_bytes,
            max_owner_bytes: config.queue.max_tenant_bytes(config.tenants.len()),
        };
        let queue = Queue::open(&config.data_dir.join("queue"), options, &consumers).await?;
        let (stop_sinks, stop_rx) = watch::channel(false);
        let sinks = crate::sinks::start_all(config, &queue, metrics.clone(), stop_rx)
            .await
            .map_err(|e| ServeError::Sink(e.to_string()))?;
        let rights = Arc::new(crate::rights::DataRights::from_config(config)?);
        rights.resume_pending();
        let state = Arc::new(
            AppState::new(
                Pipeline::new(scrubber),
                Tenants::from_config(config),
                queue,
                metrics,
                config.limits.clone(),
                config.queue.max_bytes,
            )
            .with_ops(OpsAccess::from_config(config))
            .with_rights(rights),
        );
        Ok(Collector {
            state,
            sinks,
            stop_sinks,
        })
    }

    /// Stops the sinks (each finishes its in-flight batch within `deadline`; the rest stays
    /// queued) and closes the queue.
    pub async fn stop(self, deadline: Duration) {
        self.state.set_stopping();
        let _ = self.stop_sinks.send(true);
        let all = futures_join(self.sinks);
        if tokio::time::timeout(deadline, all).await.is_err() {
            tracing::warn!(
                "sinks did not stop within the deadline; undelivered events stay queued"
            );
        }
        if let Err(e) = self.state.queue.close().await {
            tracing::warn!(error = %e, "closing the queue");
        }
    }
}

async fn futures_join(handles: Vec<JoinHandle<()>>) {
    for handle in handles {
        let _ = handle.await;
    }
}

/// The sockets the collector answers on.
pub struct Listeners {
    /// Ingest and the operations endpoints (`listen`).
    pub main: TcpListener,
    /// `/healthz`, `/readyz` and `/metrics` only (`admin.listen`), if set.
    pub admin: Option<TcpListener>,
}

/// Runs the collector on `listener`, and on `admin.listen` when configured, until
/// `shutdown` resolves: see [`serve_on`].
///
/// # Errors
/// [`ServeError`] when start-up fails or `admin.listen` cannot be bound.
pub async fn serve(
    config: CollectorConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let admin = match config.admin.listen {
        Some(addr) => {
            Some(listener::bind(addr).map_err(|source| ServeError::Bind { addr, source })?)
        }
        None => None,
    };
    serve_on(
        config,
        Listeners {
            main: listener,
            admin,
        },
        shutdown,
    )
    .await
}

/// Runs the collector on `listeners` until `shutdown` resolves: stops accepting, finishes
/// in-flight requests, lets sinks flush within [`SHUTDOWN_DEADLINE`], leaves the rest queued.
///
/// Connections are served with `[limits]`'s header-read and idle timeouts and connection
/// cap (see [`crate::listener`]); the admin listener has the same timeouts and a cap of
/// [`ADMIN_MAX_CONNECTIONS`]. Operator details are served as [`OpsAccess`] says.
///
/// # Errors
/// [`ServeError`] when start-up fails.
pub async fn serve_on(
    config: CollectorConfig,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let collector = Collector::start(&config).await?;
    let state = collector.state.clone();
    let metrics = state.metrics.clone();
    let limits = ConnectionLimits::from_config(&config.limits);
    let (stop_tx, stop) = watch::channel(false);
    let ops_open = OpsAccess::main_is_open(listeners.main.local_addr()?, listeners.admin.is_some());
    let main = listener::run(
        listeners.main,
        routes::app(state.clone(), Listener::Main { ops_open }),
        limits,
        metrics.clone(),
        stop.clone(),
    );
    let admin = async {
        if let Some(admin) = listeners.admin {
            if let Ok(addr) = admin.local_addr() {
                tracing::info!(admin = %addr, "admin endpoints listening");
            }
            let limits = ConnectionLimits {
                max_connections: ADMIN_MAX_CONNECTIONS,
                ..limits
            };
            let app = routes::app(state.clone(), Listener::Admin);
            listener::run(admin, app, limits, metrics.clone(), stop.clone()).await;
        }
    };
    let signal = async {
        shutdown.await;
        state.set_stopping();
        let _ = stop_tx.send(true);
    };
    tokio::join!(main, admin, signal);
    collector.stop(SHUTDOWN_DEADLINE).await;
    tracing::info!("hush-collector stopped");
    Ok(())
}
