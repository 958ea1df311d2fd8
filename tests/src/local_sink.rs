//! Reading the collector's local sink (`data_dir/events/*.jsonl`, one JSON event a line)
//! from a test, while the collector writes it.

use crate::wait::until;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

/// Every complete line of the local sink under `data_dir`, parsed.
pub fn events(data_dir: &Path) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("events")) else {
        return Vec::new();
    };
    let mut events = Vec::new();
    for entry in entries.flatten() {
        if entry.path().extension().is_some_and(|x| x == "jsonl") {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            events.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok()));
        }
    }
    events
}

/// How often each `uuid` occurs in `events`.
pub fn uuid_counts(events: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for event in events {
        if let Some(uuid) = event["uuid"].as_str() {
            *counts.entry(uuid.to_owned()).or_default() += 1;
        }
    }
    counts
}

/// Waits until every uuid of `expected` is in the sink, then 1.5 s longer (a duplicate
/// would show), and returns the sink's events.
///
/// # Errors
/// When `limit` passes first, naming the uuids still missing.
pub async fn wait_for(
    data_dir: &Path,
    expected: &BTreeSet<String>,
    what: &str,
    limit: Duration,
) -> anyhow::Result<Vec<Value>> {
    let found = until(what, limit, || async {
        let counts = uuid_counts(&events(data_dir));
        expected
            .iter()
            .all(|u| counts.contains_key(u))
            .then_some(())
    })
    .await;
    if let Err(error) = found {
        let counts = uuid_counts(&events(data_dir));
        let missing: Vec<&String> = expected
            .iter()
            .filter(|u| !counts.contains_key(*u))
            .collect();
        anyhow::bail!(
            "{error}: {} of {} missing: {missing:?}",
            missing.len(),
            expected.len()
        );
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    Ok(events(data_dir))
}

/// Each uuid of `expected` exactly once in `events`, and no uuid twice.
///
/// # Errors
/// Naming the first uuid stored other than once.
pub fn assert_exactly_once(events: &[Value], expected: &BTreeSet<String>) -> anyhow::Result<()> {
    let counts = uuid_counts(events);
    for uuid in expected {
        let n = counts.get(uuid).copied().unwrap_or(0);
        anyhow::ensure!(n == 1, "event {uuid} is in the sink {n} times, not once");
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    anyhow::ensure!(twice.is_empty(), "stored more than once: {twice:?}");
    Ok(())
}
