//! Data rights end to end: the real collector with the local sink, the real ClickHouse and
//! the PostHog stand-in (capture and persons APIs). An erase removes exactly that person of
//! that tenant from every store and from PostHog, a second one removes nothing, an export
//! returns exactly their events, queued events of an erased person never reach a sink, and
//! no raw id reaches the log at debug level.

use hush_tests::clickhouse::{query, shared_url};
use hush_tests::collector_process::CollectorProcess;
use hush_tests::posthog_persons::{PERSONAL_KEY, PROJECT_ID};
use hush_tests::posthog_standin::PostHogStandIn;
use hush_tests::wait::until;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const KEY_A: &str = "phc_rights_e2e_a";
const KEY_B: &str = "phc_rights_e2e_b";
const ADMIN_A: &str = "rights-e2e-admin-a-0123456789abcdef-0123";
const ANN: &str = "9b2f4c7d1e3a5b6c8d0e2f4a6b8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c";
const BOB: &str = "0190a6d2-6c1e-7b3a-9f4e-2d8c7b6a5e41";
const DANA: &str = "dana.e2e@example.com";
const WAIT: Duration = Duration::from_secs(60);

fn config(data: &Path, posthog: &PostHogStandIn, persons: bool, db: Option<&str>) -> String {
    let mut toml = format!(
        "data_dir = \"{}\"\n\
         [[tenants]]\nname = \"a\"\napi_key = \"{KEY_A}\"\n\
         hash_key = \"rights-e2e-a-hash-key-0123456789abcdef\"\nadmin_token = \"{ADMIN_A}\"\n\
         [[tenants]]\nname = \"b\"\napi_key = \"{KEY_B}\"\n\
         hash_key = \"rights-e2e-b-hash-key-0123456789abcdef\"\n\
         [posthog]\nhost = \"{}\"\napi_key = \"phc_upstream_project\"\n",
        data.display(),
        posthog.url()
    );
    if persons {
        toml.push_str(&format!(
            "personal_api_key = \"{PERSONAL_KEY}\"\nproject_id = {PROJECT_ID}\n"
        ));
    }
    if let Some(db) = db {
        toml.push_str(&format!(
            "[clickhouse]\nurl = \"{}\"\ndatabase = \"{db}\"\nbatch_size = 50\nflush_interval_ms = 200\n",
            shared_url()
        ));
    }
    toml
}

async fn ingest(url: &str, key: &str, id: &str, n: usize) -> anyhow::Result<()> {
    let batch: Vec<Value> = (0..n)
        .map(|_| {
            json!({"event": "setup_completed", "distinct_id": id,
                   "properties": {"$telemetry_level": "basic", "duration_ms": 5}})
        })
        .collect();
    let status = reqwest::Client::new()
        .post(format!("{url}/batch/"))
        .json(&json!({"api_key": key, "batch": batch}))
        .send()
        .await?
        .status();
    anyhow::ensure!(status == 200, "ingest answered {status}");
    Ok(())
}

fn local_census(data: &Path) -> BTreeMap<(String, String), usize> {
    let mut counts = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(data.join("events")) else {
        return counts;
    };
    for entry in entries.flatten() {
        if entry.path().extension().is_some_and(|x| x == "jsonl") {
            for line in std::fs::read_to_string(entry.path())
                .unwrap_or_default()
                .lines()
            {
                let v: Value = serde_json::from_str(line).unwrap();
                let key = (
                    v["tenant"].as_str().unwrap().to_owned(),
                    v["distinct_id"].as_str().unwrap().to_owned(),
                );
                *counts.entry(key).or_default() += 1;
            }
        }
    }
    counts
}

async fn ch_census(db: &str) -> BTreeMap<(String, String), usize> {
    let text = query(
        &shared_url(),
        &format!("SELECT tenant, distinct_id, count() FROM {db}.events FINAL GROUP BY tenant, distinct_id FORMAT TSV"),
    )
    .await
    .unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut parts = l.split('\t');
            let (t, id, n) = (parts.next()?, parts.next()?, parts.next()?);
            Some(((t.to_owned(), id.to_owned()), n.parse().ok()?))
        })
        .collect()
}

async fn post(url: &str, path: &str, token: Option<&str>, body: Value) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn erase(url: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    let (status, text) = post(url, path, token, body).await;
    assert_eq!(status, 202, "{text}");
    let receipt = serde_json::from_str::<Value>(&text).unwrap()["receipt"]
        .as_str()
        .unwrap()
        .to_owned();
    until("the erase receipt", WAIT, || async {
        let answer: Value = reqwest::get(format!("{url}/v1/erase/{receipt}"))
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (answer["status"] != "pending").then_some(answer)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erase_covers_local_clickhouse_and_posthog_and_an_export_returns_exactly_the_person(
) -> anyhow::Result<()> {
    let posthog = PostHogStandIn::start().await;
    let db = format!("rights_e2e_{}", std::process::id());
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let mut collector = CollectorProcess::start(
        dir.path(),
        &config(&data, &posthog, true, Some(&db)),
        &[("RUST_LOG", "debug")],
    );
    let url = collector.url();
    ingest(&url, KEY_A, ANN, 3).await?;
    ingest(&url, KEY_A, BOB, 2).await?;
    ingest(&url, KEY_A, DANA, 2).await?;
    ingest(&url, KEY_B, ANN, 4).await?;
    until("every store", WAIT, || async {
        let ch: usize = ch_census(&db).await.values().sum();
        let local: usize = local_census(&data).values().sum();
        (ch == 11 && local == 11 && posthog.events().len() == 11).then_some(())
    })
    .await?;
    let (local_before, ch_before) = (local_census(&data), ch_census(&db).await);

    // Export: exactly ann of tenant a, as stored (hashed id, scrubbed).
    let (status, text) = post(
        &url,
        "/v1/export",
        None,
        json!({"api_key": KEY_A, "distinct_id": ANN}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let ann_a = lines[0]["distinct_id"].as_str().unwrap().to_owned();
    assert!(lines
        .iter()
        .all(|l| l["tenant"] == "a" && l["distinct_id"] == ann_a.as_str()));
    let ann_b = local_before
        .keys()
        .find(|(t, id)| t == "b" && *id != ann_a)
        .map(|(_, id)| id.clone())
        .unwrap();

    // PostHog's persons API fails twice first: the erase retries like the sink does.
    posthog.fail_persons_next(2);
    let done = erase(
        &url,
        "/v1/erase",
        None,
        json!({"api_key": KEY_A, "distinct_id": ANN}),
    )
    .await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["removed"]["local"], 3, "{done}");
    assert_eq!(done["removed"]["clickhouse"], 3, "{done}");
    assert_eq!(done["removed"]["queue"], 0, "{done}");
    assert!(
        done["posthog"].as_str().unwrap().starts_with("deleted 1"),
        "{done}"
    );
    assert_eq!(posthog.deleted_persons(), std::slice::from_ref(&ann_a));
    assert!(
        posthog.has_person(&ann_b),
        "tenant b's ann is another person"
    );
    assert!(posthog
        .events()
        .iter()
        .all(|e| e["distinct_id"] != ann_a.as_str()));

    let gone = ("a".to_owned(), ann_a.clone());
    let mut local_expected = local_before.clone();
    local_expected.remove(&gone);
    let mut ch_expected = ch_before.clone();
    ch_expected.remove(&gone);
    assert_eq!(local_census(&data), local_expected);
    assert_eq!(ch_census(&db).await, ch_expected);

    // A second erase removes nothing and says so.
    let again = erase(
        &url,
        "/v1/erase",
        None,
        json!({"api_key": KEY_A, "distinct_id": ANN}),
    )
    .await;
    assert_eq!(again["status"], "done");
    assert_eq!(
        (
            again["removed"]["local"].as_u64(),
            again["removed"]["clickhouse"].as_u64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(again["posthog"], "no such person in PostHog");

    // The tenant's admin erases an email-shaped id, which self-service refuses.
    let (status, _) = post(
        &url,
        "/v1/erase",
        None,
        json!({"api_key": KEY_A, "distinct_id": DANA}),
    )
    .await;
    assert_eq!(status, 403);
    let done = erase(
        &url,
        "/v1/admin/erase",
        Some(ADMIN_A),
        json!({"distinct_id": DANA}),
    )
    .await;
    assert_eq!(done["removed"]["clickhouse"], 2, "{done}");
    assert_eq!(local_census(&data).values().sum::<usize>(), 6);
    assert_eq!(ch_census(&db).await.values().sum::<usize>(), 6);

    collector.terminate();
    let log = collector.log();
    assert!(
        log.contains("erase accepted"),
        "the log is at debug level and has the erase"
    );
    for raw in [ANN, BOB, DANA] {
        assert!(!log.contains(raw), "a raw id reached the log");
    }
    let audit = std::fs::read_to_string(data.join("audit.jsonl"))?;
    for id in [ANN, BOB, DANA, &ann_a, &ann_b] {
        assert!(!audit.contains(id), "an id reached the audit log");
    }
    assert!(audit.lines().count() >= 7, "{audit}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_events_of_an_erased_person_never_reach_a_sink() -> anyhow::Result<()> {
    let posthog = PostHogStandIn::start().await;
    // PostHog is down: every event waits in the queue for it.
    posthog.fail_next(usize::MAX, 503);
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let mut collector = CollectorProcess::start(
        dir.path(),
        &config(&data, &posthog, false, None),
        &[("RUST_LOG", "info")],
    );
    let url = collector.url();
    ingest(&url, KEY_A, ANN, 6).await?;
    ingest(&url, KEY_A, BOB, 4).await?;
    until("the local sink", WAIT, || async {
        (local_census(&data).values().sum::<usize>() == 10).then_some(())
    })
    .await?;
    let done = erase(
        &url,
        "/v1/erase",
        None,
        json!({"api_key": KEY_A, "distinct_id": ANN}),
    )
    .await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["removed"]["queue"], 6, "{done}");
    assert_eq!(done["removed"]["local"], 6, "{done}");
    assert!(
        done["posthog"]
            .as_str()
            .unwrap()
            .contains("PostHog keeps its copy"),
        "{done}"
    );

    // PostHog is back: only bob's events reach it.
    posthog.fail_next(0, 503);
    until("PostHog", WAIT, || async {
        (posthog.events().len() >= 4).then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let delivered = posthog.events();
    assert_eq!(delivered.len(), 4, "erased events reached PostHog");
    let local_ids: Vec<String> = local_census(&data)
        .keys()
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(local_ids.len(), 1);
    assert!(delivered
        .iter()
        .all(|e| e["distinct_id"] == local_ids[0].as_str()));
    collector.terminate();
    Ok(())
}
