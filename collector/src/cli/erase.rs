//! `hush-collector erase`: one person's events out of every store, with a count per store —
//! the same erase as `POST /v1/admin/erase` (see `hush_collector::rights`), run to its end.

use super::load;
use anyhow::Context as _;
use hush_collector::rights::{Caller, DataRights, EraseStatus};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Erases the events of `distinct_id` (raw, or `-` for a line of stdin) of `tenant`.
pub fn erase(config: Option<PathBuf>, tenant: &str, distinct_id: &str) -> anyhow::Result<ExitCode> {
    let config = load(config)?;
    let raw = if distinct_id == "-" {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim().to_string()
    } else {
        distinct_id.to_string()
    };
    anyhow::ensure!(
        config.tenants.iter().any(|t| t.name == tenant),
        "no tenant named {tenant:?} in the configuration"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let receipt = runtime.block_on(async {
        let rights = Arc::new(DataRights::from_config(&config)?);
        rights
            .erase_now(tenant, Some(&raw), Caller::CollectorAdmin)
            .await
            .context("recording the erasure")
    })?;
    // Counts only: neither the raw id nor the stored one is printed.
    let removed = &receipt.removed;
    println!(
        "queue: {} events of tenant {tenant:?} not yet delivered to every sink; no sink will deliver them",
        removed.queue
    );
    if let Some(n) = removed.local {
        println!("local: removed {n} events of tenant {tenant:?}");
    }
    if let Some(n) = removed.clickhouse {
        println!("clickhouse: removed {n} events of tenant {tenant:?}");
    }
    println!("posthog: {}", receipt.posthog);
    println!("receipt: {}", receipt.receipt);
    match receipt.status {
        EraseStatus::Done => Ok(ExitCode::SUCCESS),
        _ => anyhow::bail!(
            "the erase did not finish: {}",
            receipt.error.unwrap_or_default()
        ),
    }
}
