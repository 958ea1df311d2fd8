//! `hush-collector erase`: one person's events out of every store, with a count per store.

use super::load;
use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;

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
        let owner = serde_json::from_slice::<hush_collector::stored_event::StoredEvent>(record);
        if owner.is_ok_and(|e| e.tenant == tenant && e.distinct_id == hashed) {
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
