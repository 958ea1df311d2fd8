//! The `hush-collector` binary: `serve`, `scrub`, `check-config`.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use hush_collector::pipeline::{Pipeline, Tenants};
use hush_config::CollectorConfig;
use std::path::PathBuf;
use std::process::ExitCode;

/// Privacy-first telemetry collector.
#[derive(Parser)]
#[command(name = "hush-collector", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the collector (default: 127.0.0.1:8787, events kept under ./hush-data).
    Serve {
        /// A TOML config file; `HUSH_*` environment variables override it.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Reads PostHog-shaped events as JSON Lines on stdin, writes the survivors scrubbed and
    /// hashed on stdout, and a summary on stderr.
    Scrub {
        /// A TOML config file (tenants, policy, custom rules).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Erases one person's events: hashes the raw id with the tenant's key, records a
    /// tombstone so that none of their queued events reaches a sink, removes the matching
    /// lines from the local sink's day files and deletes the matching ClickHouse rows
    /// (waiting for the deletion to finish). Prints the count per store. Safe to run
    /// beside `serve`.
    Erase {
        /// A TOML config file with the tenant and `[clickhouse]`.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// The raw distinct id as the app sent it (read from stdin when `-`).
        #[arg(long)]
        distinct_id: String,
    },
    /// Prints the effective configuration with secrets redacted, or the error.
    CheckConfig {
        /// A TOML config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { config } => serve(config),
        Command::Scrub { config } => scrub(config),
        Command::CheckConfig { config } => check_config(config),
        Command::Erase {
            config,
            tenant,
            distinct_id,
        } => erase(config, &tenant, &distinct_id),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hush-collector: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(config: Option<PathBuf>) -> anyhow::Result<CollectorConfig> {
    Ok(CollectorConfig::load(config.as_deref())?)
}

fn serve(config: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = load(config)?;
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

fn scrub(config: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let config = load(config)?;
    let scrubber = hush_collector::build_scrubber(&config.scrub)?;
    let tenants =
        Tenants::for_scrub(&config).map_err(|e| anyhow::anyhow!("generating a hash key: {e}"))?;
    let pipeline = Pipeline::new(scrubber);
    let stdin = std::io::stdin().lock();
    let stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let stderr = std::io::stderr();
    let summary =
        hush_collector::scrub_cmd::run_scrub(&pipeline, &tenants, stdin, stdout, stderr.lock())?;
    eprint!("{}", summary.render());
    Ok(if summary.bad_lines.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn check_config(config: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    match CollectorConfig::load(config.as_deref()) {
        Ok(config) => {
            // Secret's Serialize prints "[redacted]".
            println!("{}", serde_json::to_string_pretty(&config)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("hush-collector: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

fn erase(config: Option<PathBuf>, tenant: &str, distinct_id: &str) -> anyhow::Result<ExitCode> {
    let config = load(config)?;
    let raw = if distinct_id == "-" {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim().to_string()
    } else {
        distinct_id.to_string()
    };
    let tenant_config = config
        .tenants
        .iter()
        .find(|t| t.name == tenant)
        .with_context(|| format!("no tenant named {tenant:?} in the configuration"))?;
    anyhow::ensure!(
        config.local.enabled || config.clickhouse.is_some(),
        "erase needs the local sink or a [clickhouse] section"
    );
    let hashed =
        hush_collector::pipeline::IdHasher::new(tenant_config.hash_key.expose().as_bytes())
            .hash(&raw);
    // First the tombstone: from now on no sink delivers this person's queued events, in
    // this process or in a running `serve` (see `hush_collector::erasures`).
    hush_collector::erasures::Erasures::new(&config.data_dir)
        .record(tenant, &hashed, time::OffsetDateTime::now_utc())
        .context("recording the erasure")?;
    let mut queued = 0u64;
    let consumers = hush_collector::sinks::consumer_names(&config);
    let queue_dir = config.data_dir.join("queue");
    hush_collector::queue::for_each_pending_record(&queue_dir, &consumers, |record| {
        let owner = serde_json::from_slice::<hush_collector::record::StoredEvent>(record);
        if owner.is_ok_and(|e| e.tenant == tenant && e.distinct_id() == hashed) {
            queued += 1;
        }
    })?;
    // The hashed id is what is stored; printing it lets operators confirm, the raw one never.
    println!(
        "queue: {queued} events of tenant {tenant:?} distinct_id {hashed} not yet delivered \
         to every sink; no sink will deliver them"
    );
    if config.local.enabled {
        let sink = hush_collector::sinks::LocalSink::new(&config.data_dir)?;
        let erased = sink.erase_distinct_id(tenant, &hashed)?;
        println!(
            "local: removed {} events of tenant {tenant:?} distinct_id {hashed}",
            erased.removed
        );
        if erased.unreadable_kept > 0 {
            println!(
                "local: kept {} lines that do not parse and do not hold the id",
                erased.unreadable_kept
            );
        }
    }
    if let Some(clickhouse) = &config.clickhouse {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let removed = runtime.block_on(async {
            let sink = hush_collector::sinks::ClickHouseSink::new(clickhouse)?;
            sink.erase_distinct_id(tenant, &hashed).await
        })?;
        println!("clickhouse: removed {removed} events of tenant {tenant:?} distinct_id {hashed}");
    }
    Ok(ExitCode::SUCCESS)
}
