//! Per-tenant retention at start: back-dated local day files and ClickHouse rows of two
//! tenants, one with `retention_days = 7`, one without. When the collector starts, exactly
//! the old events of the tenant with a retention go from both stores, and `/metrics`
//! counts them.

use hush_collector::sinks::clickhouse::schema;
use hush_tests::clickhouse::{query, shared_url};
use hush_tests::collector_process::CollectorProcess;
use hush_tests::wait::until;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const WAIT: Duration = Duration::from_secs(60);
const DAY: i64 = 86_400;

/// `(tenant, days ago, events)`: acme keeps 7 days, beta keeps everything.
const LAYOUT: &[(&str, i64, usize)] = &[
    ("acme", 0, 1),
    ("beta", 0, 1),
    // acme's boundary: exactly 7 days old, kept.
    ("acme", 7, 1),
    ("acme", 8, 2),
    ("beta", 8, 1),
    // Only acme on that day: the ClickHouse partition and the local file go whole.
    ("acme", 40, 1),
    ("acme", 41, 1),
    ("beta", 41, 1),
];

/// The UTC day `days` days after 1970-01-01, as `YYYY-MM-DD` (Howard Hinnant's
/// `civil_from_days`).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn today() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(now.as_secs()).unwrap() / DAY
}

/// Events per `(tenant, days ago)` of the layout without what retention drops.
fn expected_after() -> BTreeMap<(String, i64), usize> {
    LAYOUT
        .iter()
        .filter(|(tenant, ago, _)| *tenant != "acme" || *ago <= 7)
        .map(|(tenant, ago, n)| (((*tenant).to_owned(), *ago), *n))
        .collect()
}

/// Lines per `(tenant, days ago)` in the local day files.
fn local_census(data: &std::path::Path, today: i64) -> BTreeMap<(String, i64), usize> {
    let ago_of: BTreeMap<String, i64> = (0..=60).map(|ago| (civil(today - ago), ago)).collect();
    let mut counts = BTreeMap::new();
    for entry in std::fs::read_dir(data.join("events")).unwrap() {
        let path = entry.unwrap().path();
        let Some(day) = path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .strip_suffix(".jsonl")
        else {
            continue;
        };
        let ago = ago_of[day];
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let tenant = value["tenant"].as_str().unwrap().to_owned();
            *counts.entry((tenant, ago)).or_default() += 1;
        }
    }
    counts
}

async fn clickhouse_census(url: &str, db: &str, today: i64) -> BTreeMap<(String, i64), usize> {
    let text = query(
        url,
        &format!(
            "SELECT tenant, toUInt32(toStartOfDay(timestamp)) AS day, count() \
             FROM {db}.events FINAL GROUP BY tenant, day FORMAT TabSeparated"
        ),
    )
    .await
    .unwrap();
    text.lines()
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let day = cols[1].parse::<i64>().unwrap() / DAY;
            ((cols[0].to_owned(), today - day), cols[2].parse().unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_events_of_a_tenant_with_retention_go_at_start() -> anyhow::Result<()> {
    let url = shared_url();
    let db = format!("e2e_retention_{}", std::process::id());
    query(&url, &schema::create_database(&db)).await?;
    query(&url, &schema::create_table(&db)).await?;
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("events"))?;
    let today = today();

    let mut rows = Vec::new();
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for (tenant, ago, n) in LAYOUT {
        let noon = (today - ago) * DAY + DAY / 2;
        for _ in 0..*n {
            let uuid = format!("00000000-0000-4000-8000-{:012}", rows.len());
            rows.push(format!(
                "('{tenant}', '{uuid}', 'cli_command', 'h:{tenant}-person', {noon}, {noon}, '{{}}')"
            ));
            let day = civil(today - ago);
            let line = serde_json::json!({
                "event": "cli_command", "distinct_id": format!("h:{tenant}-person"),
                "uuid": uuid, "timestamp": format!("{day}T12:00:00Z"), "properties": {},
                "tenant": tenant, "received_at": format!("{day}T12:00:00Z"),
            });
            let file = files.entry(day).or_default();
            file.push_str(&line.to_string());
            file.push('\n');
        }
    }
    query(
        &url,
        &format!(
            "INSERT INTO {db}.events (tenant, uuid, event, distinct_id, timestamp, received_at, properties) VALUES {}",
            rows.join(", ")
        ),
    )
    .await?;
    for (day, text) in &files {
        std::fs::write(data.join(format!("events/{day}.jsonl")), text)?;
    }
    let before: BTreeMap<(String, i64), usize> = LAYOUT
        .iter()
        .map(|(tenant, ago, n)| (((*tenant).to_owned(), *ago), *n))
        .collect();
    assert_eq!(clickhouse_census(&url, &db, today).await, before);
    assert_eq!(local_census(&data, today), before);

    let collector = CollectorProcess::start(
        dir.path(),
        &format!(
            "data_dir = \"{}\"\n\
             [[tenants]]\nname = \"acme\"\napi_key = \"phc_retention_acme\"\n\
             hash_key = \"retention-acme-hash-key-0123456789abcdef\"\nretention_days = 7\n\
             [[tenants]]\nname = \"beta\"\napi_key = \"phc_retention_beta\"\n\
             hash_key = \"retention-beta-hash-key-0123456789abcdef\"\n\
             [clickhouse]\nurl = \"{url}\"\ndatabase = \"{db}\"\n",
            data.display()
        ),
        &[("RUST_LOG", "debug")],
    );
    let metrics_url = format!("{}/metrics", collector.url());
    let counted = [
        "hush_retention_dropped_events_total{sink=\"clickhouse\",tenant=\"acme\"} 4",
        "hush_retention_dropped_events_total{sink=\"local\",tenant=\"acme\"} 4",
    ];
    let metrics = until("retention to run in both stores", WAIT, || async {
        let text = reqwest::get(&metrics_url).await.ok()?.text().await.ok()?;
        counted
            .iter()
            .all(|line| text.lines().any(|l| l == *line))
            .then_some(text)
    })
    .await?;
    assert!(
        !metrics.contains("tenant=\"beta\""),
        "beta has no retention:\n{metrics}"
    );

    assert_eq!(clickhouse_census(&url, &db, today).await, expected_after());
    assert_eq!(local_census(&data, today), expected_after());
    assert!(!data
        .join(format!("events/{}.jsonl", civil(today - 40)))
        .exists());
    let log = collector.log();
    assert!(log.contains("retention ran"), "{log}");
    assert!(!log.contains("-person"), "an id reached the log:\n{log}");

    drop(collector);
    query(&url, &format!("DROP DATABASE {db}")).await?;
    Ok(())
}
