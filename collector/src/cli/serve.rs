//! `hush-collector serve`: the collector, until SIGTERM or Ctrl-C.

use super::load;
use anyhow::Context as _;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Plain text; colours only when stderr is a terminal.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Runs the collector with `config` (or the embedded default). With no config file and no
/// tenant, it makes (once) and announces a local dev tenant; a config file that configures
/// no tenant gets a warning instead (its author decides which tenants exist).
pub fn serve(config: Option<PathBuf>, log_format: LogFormat) -> anyhow::Result<ExitCode> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match log_format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
    let file = config.clone();
    let mut config = load(config)?;
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    if let (Some(file), true) = (&file, config.tenants.is_empty()) {
        tracing::warn!(
            config = %file.display(),
            "the config file configures no tenant: every request naming a project key is \
             refused (401) until it has a [[tenants]] table"
        );
    }
    if file.is_none() && config.tenants.is_empty() {
        let tenant = hush_collector::dev_tenant::ensure(&config.data_dir)
            .context("making the local dev tenant")?;
        let banner = hush_collector::dev_tenant::banner(&tenant, config.listen, &config.data_dir);
        match log_format {
            // People read the banner; a JSON log stays one object a line.
            LogFormat::Text => eprint!("{banner}"),
            LogFormat::Json => tracing::info!(
                project_key = tenant.api_key.expose(),
                instructions = %banner,
                "no tenant is configured: a local dev tenant is ready"
            ),
        }
        config.tenants.push(tenant);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = hush_collector::listener::bind(config.listen)
            .with_context(|| format!("binding {}", config.listen))?;
        tracing::info!(listen = %config.listen, data_dir = %config.data_dir.display(), "hush-collector listening");
        hush_collector::serve(config, listener, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
