//! `hush-collector erase` covers every store: events of the person still waiting in the
//! queue (PostHog was down) never reach PostHog after the restart, the local day files lose
//! that person's lines, and the command reports the count per store.

use hush_tests::collector_process::{command, CollectorProcess};
use hush_tests::posthog_standin::PostHogStandIn;
use hush_tests::wait::until;
use serde_json::{json, Value};
use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

const KEY: &str = "phc_erase_test_key";
const HASH_KEY: &str = "erase-test-hash-key-0123456789abcdef-xyz";

fn events(id: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|_| {
            json!({
                "event": "setup_completed",
                "distinct_id": id,
                "properties": {"$telemetry_level": "basic", "duration_ms": 12}
            })
        })
        .collect()
}

fn local_lines(data: &std::path::Path) -> Vec<Value> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(data.join("events")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        lines.extend(
            text.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap()),
        );
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erase_drops_queued_events_and_local_lines_and_reports_each_store() -> anyhow::Result<()> {
    let posthog = PostHogStandIn::start().await;
    // PostHog is down: its copy of every event stays queued.
    posthog.fail_next(usize::MAX, 503);
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let mut collector = CollectorProcess::start(
        dir.path(),
        &format!(
            "data_dir = \"{}\"\n[[tenants]]\nname = \"t\"\napi_key = \"{KEY}\"\nhash_key = \"{HASH_KEY}\"\n[posthog]\nhost = \"{}\"\napi_key = \"phc_upstream\"\n",
            data.display(),
            posthog.url()
        ),
        &[("RUST_LOG", "info")],
    );
    let client = reqwest::Client::new();
    let mut batch = events("person-to-erase", 6);
    batch.extend(events("person-who-stays", 4));
    let status = client
        .post(format!("{}/batch/", collector.url()))
        .json(&json!({"api_key": KEY, "batch": batch}))
        .send()
        .await?
        .status();
    assert_eq!(status, 200);
    until("the local sink", Duration::from_secs(20), || async {
        (data.join("events").exists() && local_lines(&data).len() == 10).then_some(())
    })
    .await?;
    collector.terminate();

    let mut erase = command()
        .args(["erase", "--config"])
        .arg(dir.path().join("hush.toml"))
        .args(["--tenant", "t", "--distinct-id", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    erase
        .stdin
        .take()
        .unwrap()
        .write_all(b"person-to-erase\n")?;
    let out = erase.wait_with_output()?;
    let stdout = String::from_utf8(out.stdout)?;
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("queue: 6 events"), "{stdout}");
    assert!(stdout.contains("local: removed 6 events"), "{stdout}");
    assert!(
        !stdout.contains("person-to-erase"),
        "the raw id was printed"
    );
    assert_eq!(local_lines(&data).len(), 4);

    // PostHog is back: after the restart only the other person's events reach it.
    posthog.fail_next(0, 503);
    collector.restart();
    until("PostHog", Duration::from_secs(30), || async {
        (posthog.events().len() >= 4).then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let delivered = posthog.events();
    assert_eq!(delivered.len(), 4, "erased events reached PostHog");
    let ids: std::collections::HashSet<String> = delivered
        .iter()
        .map(|e| e["distinct_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(ids.len(), 1);
    let local_ids: std::collections::HashSet<String> = local_lines(&data)
        .iter()
        .map(|e| e["distinct_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        ids, local_ids,
        "PostHog and the local sink hold the same person"
    );
    collector.terminate();
    Ok(())
}
