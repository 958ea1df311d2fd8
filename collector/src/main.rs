//! The `hush-collector` binary: parses the command line and runs one of [`cli`]'s commands.

mod cli;

use clap::{Parser, Subcommand};
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
        /// `text` (colours only on a terminal) or `json` (one object per line).
        #[arg(long, value_enum, default_value_t)]
        log_format: cli::serve::LogFormat,
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
    /// Prints, as Markdown, what the active policy collects, where it goes, and what it
    /// drops, removes, hashes and redacts. Without `--tenant`: the dev tenant when none is
    /// configured, else the policy every tenant starts from and what each adds.
    Policy {
        /// A TOML config file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// One tenant's policy, by name (exit 2 if there is none of that name).
        #[arg(long)]
        tenant: Option<String>,
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
        Command::Serve { config, log_format } => cli::serve::serve(config, log_format),
        Command::Scrub { config } => cli::scrub::scrub(config),
        Command::CheckConfig { config } => cli::check_config::check_config(config),
        Command::Policy { config, tenant } => cli::policy::policy(config, tenant),
        Command::Erase {
            config,
            tenant,
            distinct_id,
        } => cli::erase::erase(config, &tenant, &distinct_id),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hush-collector: {e:#}");
            ExitCode::FAILURE
        }
    }
}
