//! End to end: SDK-shaped and PostHog-client traffic through the real collector to the
//! PostHog stand-in, the real ClickHouse and the local sink — scrubbed, hashed, nothing lost.

use flate2::write::GzEncoder;
use hush_tests::clickhouse::{query, shared_url, OwnClickHouse};
use hush_tests::collector_process::CollectorProcess;
use hush_tests::inprocess::InProcess;
use hush_tests::planted::{
    assert_clean, planted_event, uuid_for, FORWARD_KEY, TENANT_HASH_KEY, TENANT_KEY,
};
use hush_tests::posthog_standin::PostHogStandIn;
use hush_tests::wait::until;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;
use tempfile::TempDir;

const WAIT: Duration = Duration::from_secs(60);

fn config(posthog: Option<&str>, clickhouse: Option<(&str, &str)>) -> String {
    let mut toml = format!(
        "[[tenants]]\nname = \"e2e\"\napi_key = \"{TENANT_KEY}\"\nhash_key = \"{TENANT_HASH_KEY}\"\n"
    );
    if let Some(host) = posthog {
        toml.push_str(&format!(
            "[posthog]\nhost = \"{host}\"\napi_key = \"{FORWARD_KEY}\"\n"
        ));
    }
    if let Some((url, db)) = clickhouse {
        toml.push_str(&format!(
            "[clickhouse]\nurl = \"{url}\"\ndatabase = \"{db}\"\nbatch_size = 50\nflush_interval_ms = 200\n"
        ));
    }
    toml
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

async fn send_batch(url: &str, events: Vec<Value>) -> anyhow::Result<reqwest::StatusCode> {
    let body = json!({"api_key": TENANT_KEY, "batch": events, "sent_at": "2026-11-20T10:00:01Z"});
    let response = reqwest::Client::new()
        .post(format!("{url}/batch/"))
        .header("content-encoding", "gzip")
        .header("content-type", "application/json")
        .body(gzip(&serde_json::to_vec(&body)?))
        .send()
        .await?;
    Ok(response.status())
}

async fn send_range(url: &str, range: std::ops::Range<usize>) -> anyhow::Result<()> {
    let events: Vec<Value> = range.map(planted_event).collect();
    for chunk in events.chunks(50) {
        let status = send_batch(url, chunk.to_vec()).await?;
        anyhow::ensure!(status == 200, "collector answered {status}");
    }
    Ok(())
}

async fn ch_count(url: &str, db: &str, what: &str) -> Option<u64> {
    query(url, &format!("SELECT {what} FROM {db}.events FINAL"))
        .await
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn unique_db(name: &str) -> String {
    format!("e2e_{name}_{}", std::process::id())
}

/// Waits until the PostHog stand-in holds `n` distinct events; returns all it received.
async fn posthog_gets(
    posthog: &PostHogStandIn,
    n: usize,
    what: &str,
) -> anyhow::Result<Vec<Value>> {
    until(what, WAIT, || async {
        let events = posthog.events();
        (uuids(&events).len() >= n).then_some(events)
    })
    .await
}

fn uuids(events: &[Value]) -> HashSet<String> {
    events
        .iter()
        .filter_map(|e| e["uuid"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_both_sinks_scrubbed_and_hashed() -> anyhow::Result<()> {
    let posthog = PostHogStandIn::start().await;
    let ch = shared_url();
    let db = unique_db("both");
    let dir = TempDir::new()?;
    let collector =
        InProcess::start(dir.path(), &config(Some(&posthog.url()), Some((&ch, &db)))).await?;
    let n = 120;
    send_range(&collector.url, 0..n).await?;

    let events = posthog_gets(&posthog, n, "PostHog stand-in to get every event").await?;
    until("ClickHouse to hold every event", WAIT, || async {
        (ch_count(&ch, &db, "count()").await == Some(n as u64)).then_some(())
    })
    .await?;

    assert!(posthog.api_keys().iter().all(|k| k == FORWARD_KEY));
    let text = serde_json::to_string(&events)?;
    assert_clean(&text, n)?;
    for event in &events {
        let props = &event["properties"];
        assert_eq!(props["$geoip_disable"], true);
        for removed in ["$ip", "$set", "response"] {
            assert!(props.get(removed).is_none(), "{removed} was forwarded");
        }
        let id = event["distinct_id"].as_str().unwrap();
        assert_eq!(id.len(), 32);
        let error = props["error"].as_str().unwrap();
        assert!(error.contains("ECONNREFUSED"), "useful text kept: {error}");
    }
    // One raw id → one stable hashed id, distinct ids stay distinct.
    let ids: HashSet<&str> = events
        .iter()
        .filter_map(|e| e["distinct_id"].as_str())
        .collect();
    assert_eq!(ids.len(), n);

    let rows = query(
        &ch,
        &format!("SELECT tenant, uuid, event, distinct_id, properties FROM {db}.events FINAL FORMAT JSONEachRow"),
    )
    .await?;
    assert_clean(&rows, n)?;
    assert!(rows.contains("\"tenant\":\"e2e\""));
    assert!(rows.contains(&uuid_for(0)));

    let local = std::fs::read_dir(dir.path().join("data/events"))?
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    assert_eq!(local.lines().count(), n);
    assert_clean(&local, n)?;

    collector.stop().await?;

    // Erase on request: one person's rows go, everyone else's stay.
    let config_path = dir.path().join("hush.toml");
    let out = tokio::task::spawn_blocking(move || {
        hush_tests::collector_process::command()
            .args([
                "erase",
                "--tenant",
                "e2e",
                "--distinct-id",
                &hush_tests::planted::raw_id(7),
            ])
            .arg("--config")
            .arg(&config_path)
            .output()
    })
    .await??;
    assert!(
        out.status.success(),
        "erase failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(&hush_tests::planted::raw_id(7)));
    assert!(stdout.contains("local: removed 1 events"), "{stdout}");
    assert!(stdout.contains("clickhouse: removed 1 events"), "{stdout}");
    assert!(stdout.contains("queue: 0 events"), "{stdout}");
    assert_eq!(ch_count(&ch, &db, "count()").await, Some(n as u64 - 1));
    let local_after = std::fs::read_dir(dir.path().join("data/events"))?
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    assert_eq!(local_after.lines().count(), n - 1, "one local line erased");
    query(&ch, &format!("DROP DATABASE {db}")).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posthog_outage_then_recovery_loses_nothing() -> anyhow::Result<()> {
    let posthog = PostHogStandIn::start().await;
    posthog.fail_next(6, 503);
    let dir = TempDir::new()?;
    let collector = InProcess::start(dir.path(), &config(Some(&posthog.url()), None)).await?;
    let n = 200;
    send_range(&collector.url, 0..n).await?;
    let events = posthog_gets(
        &posthog,
        n,
        "PostHog stand-in to recover and get every event",
    )
    .await?;
    assert!(posthog.requests() > 6, "the stand-in failed requests first");
    assert_eq!(events.len(), n, "each event delivered exactly once");
    collector.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clickhouse_restart_mid_run_loses_nothing() -> anyhow::Result<()> {
    let ch = tokio::task::spawn_blocking(OwnClickHouse::start).await?;
    let url = ch.url();
    let db = unique_db("restart");
    let dir = TempDir::new()?;
    let collector = InProcess::start(dir.path(), &config(None, Some((&url, &db)))).await?;
    send_range(&collector.url, 0..100).await?;
    until("the first half in ClickHouse", WAIT, || async {
        (ch_count(&url, &db, "count()").await == Some(100)).then_some(())
    })
    .await?;

    ch.stop();
    // Ingest keeps acknowledging while ClickHouse is down: events wait on disk.
    send_range(&collector.url, 100..300).await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    ch.restart();

    until(
        "every event in ClickHouse after the restart",
        WAIT,
        || async { (ch_count(&url, &db, "count()").await == Some(300)).then_some(()) },
    )
    .await?;
    assert_eq!(ch_count(&url, &db, "uniqExact(uuid)").await, Some(300));
    collector.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_after_ack_then_restart_delivers_everything() -> anyhow::Result<()> {
    let posthog = PostHogStandIn::start().await;
    // PostHog refuses everything until the collector has been killed.
    posthog.fail_next(usize::MAX, 503);
    let dir = TempDir::new()?;
    let mut collector = CollectorProcess::start(
        dir.path(),
        &format!(
            "data_dir = \"{}\"\n{}",
            dir.path().join("data").display(),
            config(Some(&posthog.url()), None)
        ),
        &[("RUST_LOG", "info")],
    );
    let n = 250;
    send_range(&collector.url(), 0..n).await?;
    collector.kill();
    assert!(posthog.events().is_empty());

    posthog.fail_next(0, 503);
    tokio::task::block_in_place(|| collector.restart());
    let events = posthog_gets(&posthog, n, "every acknowledged event after the restart").await?;
    let expected: HashSet<String> = (0..n).map(uuid_for).collect();
    assert_eq!(uuids(&events), expected);
    collector.terminate();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posthog_python_client_events_arrive_scrubbed() -> anyhow::Result<()> {
    let posthog = PostHogStandIn::start().await;
    let dir = TempDir::new()?;
    let collector = InProcess::start(dir.path(), &config(Some(&posthog.url()), None)).await?;
    let n = 300;
    let script = format!(
        r#"
import sys
from posthog import Posthog
client = Posthog("{TENANT_KEY}", host="{host}", gzip=True, flush_at=50, max_retries=3)
for i in range({n}):
    client.capture(
        "dev_server_failed",
        distinct_id="raw-machine-id-%06d-e2e" % i,
        properties={{
            "$telemetry_level": "basic",
            "error": "EADDRINUSE :3000 for jane.doe+e2e@example.com with AKIA2E0A8F3B9C7D1Q5R in /home/janedoe/app",
            "app_version": "2.0.0",
        }},
    )
client.flush()
client.shutdown()
"#,
        host = collector.url
    );
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg("-c")
            .arg(&script)
            .status()
    })
    .await??;
    assert!(
        status.success(),
        "the PostHog Python client failed (is `posthog` installed? scripts/test installs it)"
    );
    let events = until(
        "PostHog stand-in to get the client's events",
        WAIT,
        || async {
            let events = posthog.events();
            (events.len() >= n).then_some(events)
        },
    )
    .await?;
    assert_eq!(events.len(), n);
    assert_clean(&serde_json::to_string(&events)?, n)?;
    for event in &events {
        let error = event["properties"]["error"].as_str().unwrap();
        assert!(error.contains("EADDRINUSE :3000"), "{error}");
        assert!(
            error.contains("/home/[USER]/app") || !error.contains("janedoe"),
            "{error}"
        );
    }
    collector.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_never_carry_planted_values() -> anyhow::Result<()> {
    let posthog = PostHogStandIn::start().await;
    let dir = TempDir::new()?;
    let mut collector = CollectorProcess::start(
        dir.path(),
        &format!(
            "data_dir = \"{}\"\n{}",
            dir.path().join("data").display(),
            config(Some(&posthog.url()), None)
        ),
        &[("RUST_LOG", "debug")],
    );
    let url = collector.url();
    send_range(&url, 0..60).await?;
    let client = reqwest::Client::new();
    // Bad requests carrying planted values: wrong key, malformed JSON, a bad field.
    let bad_bodies = [
        json!({"api_key": "phc_unknown_AKIA2E0A8F3B9C7D1Q5R", "batch": [planted_event(1)]}).to_string(),
        format!("{{\"api_key\": \"{TENANT_KEY}\", \"batch\": [{{\"event\": \"jane.doe+e2e@example.com\""),
        json!({"api_key": TENANT_KEY, "batch": [{"event": "setup_failed", "distinct_id": {"email": "jane.doe+e2e@example.com"}}]}).to_string(),
        json!({"api_key": "phx_hunter2-Sup3r-Secret!", "batch": []}).to_string(),
    ];
    for body in bad_bodies {
        let status = client
            .post(format!("{url}/batch/"))
            .header(
                "authorization",
                "Bearer ghp_R8x2Lq9ZtW4vYk7NbP3mC6sD1fH5jA0eUoIy",
            )
            .header("x-forwarded-for", "203.0.113.77")
            .header("x-request-id", "jane.doe+e2e@example.com")
            .body(body)
            .send()
            .await?
            .status();
        assert!(status.is_client_error(), "{status}");
    }
    until("PostHog stand-in to get the good events", WAIT, || async {
        (posthog.events().len() >= 60).then_some(())
    })
    .await?;
    collector.terminate();
    let log = collector.log();
    assert!(
        log.contains("DEBUG") || log.contains("debug"),
        "debug logging was on"
    );
    assert_clean(&log, 60)?;
    for secret in [TENANT_KEY, TENANT_HASH_KEY, FORWARD_KEY, "phc_unknown"] {
        assert!(!log.contains(secret), "a key reached the log");
    }
    Ok(())
}
