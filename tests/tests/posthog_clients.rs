//! Acceptance for issue #12, "every PostHog client, the browser included": the real
//! posthog-js in headless Chromium on another origin, the real posthog-node in both its
//! capture modes and the real PostHog Python client, each against the `hush-collector`
//! binary. Every event lands exactly once in the local sink, scrubbed; the clients see no
//! error — not from CORS, remote config, feature flags nor capture.
//!
//! Needs what `scripts/test` installs (Chromium, Node.js, `tests/js/node_modules`, the
//! Python client in the venv `HUSH_TEST_PYTHON` names); fails, never skips, without it.
//! Each client process must also exit by itself with code 0.

use hush_tests::clickhouse::repo_root;
use hush_tests::collector_process::CollectorProcess;
use hush_tests::js::{self, PageServer};
use hush_tests::local_sink::{self, assert_exactly_once};
use hush_tests::planted::{assert_clean, TENANT_HASH_KEY, TENANT_KEY};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;
use tempfile::TempDir;

/// A planted address: it must come out as `[EMAIL]`.
const EMAIL: &str = "jane.doe+e2e@example.com";
/// How long the sink may take to show an event.
const WAIT: Duration = Duration::from_secs(30);
/// The deadline of one client run.
const CLIENT_LIMIT: Duration = Duration::from_secs(90);

/// The collector on `dir/data`, one tenant, with `tenant_extra` lines in its table.
fn start_collector(dir: &Path, tenant_extra: &str) -> CollectorProcess {
    let config = format!(
        "data_dir = \"{}\"\n[[tenants]]\nname = \"clients\"\napi_key = \"{TENANT_KEY}\"\nhash_key = \"{TENANT_HASH_KEY}\"\n{tenant_extra}",
        dir.join("data").display()
    );
    CollectorProcess::start(dir, &config, &[("RUST_LOG", "info")])
}

/// Waits for `expected` in the test's local sink (`dir/data`); see [`local_sink::wait_for`].
async fn sink_with(
    dir: &Path,
    expected: &BTreeSet<String>,
    what: &str,
) -> anyhow::Result<Vec<Value>> {
    local_sink::wait_for(&dir.join("data"), expected, what, WAIT).await
}

/// Fails with the collector's log attached.
fn with_log<T>(result: anyhow::Result<T>, collector: &CollectorProcess) -> anyhow::Result<T> {
    result.map_err(|e| {
        let log = collector.log();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        anyhow::anyhow!(
            "{e:#}\n--- collector log (last 40 lines) ---\n{}",
            tail.join("\n")
        )
    })
}

/// The `n` uuids a client reported are each in the sink exactly once, scrubbed: no planted
/// value anywhere, the planted address in `note` redacted to `[EMAIL]`.
async fn check_landed(
    dir: &Path,
    report: &Value,
    n: usize,
    what: &str,
    problems: &mut Vec<String>,
) {
    let expected: BTreeSet<String> = report["uuids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str().map(str::to_owned))
        .collect();
    if expected.len() != n {
        problems.push(format!(
            "the client captured {} events, not {n}",
            expected.len()
        ));
    }
    let sink = match sink_with(dir, &expected, &format!("{what} in the local sink")).await {
        Ok(sink) => sink,
        Err(error) => {
            problems.push(format!("{error:#}"));
            return;
        }
    };
    if let Err(error) = assert_exactly_once(&sink, &expected) {
        problems.push(format!("{error:#}"));
    }
    if let Err(error) = assert_clean(&sink.iter().map(Value::to_string).collect::<String>(), 0) {
        problems.push(format!("{error:#}"));
    }
    let mut ours = sink
        .iter()
        .filter(|e| e["uuid"].as_str().is_some_and(|u| expected.contains(u)));
    if let Some(e) = ours.find(|e| {
        !e["properties"]["note"]
            .as_str()
            .unwrap_or("")
            .contains("[EMAIL]")
    }) {
        problems.push(format!(
            "note not redacted to [EMAIL]: {}",
            e["properties"]["note"]
        ));
    }
}

/// The client process ended by itself with exit code 0: a report alone is not enough (a
/// crash after printing it, or a kill at the deadline, is a failure too).
fn exit_problem(finished: &js::Finished, what: &str) -> Option<String> {
    if finished.status.success() && !finished.timed_out {
        return None;
    }
    let stderr: Vec<&str> = finished.stderr.lines().rev().take(20).collect();
    let stderr: Vec<&str> = stderr.into_iter().rev().collect();
    Some(format!(
        "{what} exited with {} (killed at the deadline: {}); its stderr ends:\n{}",
        finished.status,
        finished.timed_out,
        stderr.join("\n")
    ))
}

/// Every problem found, or none.
fn verdict(problems: &[String]) -> anyhow::Result<()> {
    anyhow::ensure!(
        problems.is_empty(),
        "{} problem(s):\n- {}",
        problems.len(),
        problems.join("\n- ")
    );
    Ok(())
}

/// `METHOD /path?query` of a recorded request.
fn label(r: &Value) -> String {
    let field = |k: &str| r[k].as_str().unwrap_or("?").to_owned();
    format!(
        "{} {}{}",
        field("method"),
        field("path"),
        r["query"].as_str().unwrap_or("")
    )
}

/// The items of a JSON array, each as JSON text.
fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().map(|v| v.to_string()).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------------------

/// Events the browser test may find in the sink: the web preset's and the catalogue's.
const BROWSER_ALLOWED: &[&str] = &[
    "$pageview",
    "$pageleave",
    "$exception",
    "$web_vitals",
    "setup_completed",
    "setup_failed",
    "dev_server_started",
];

/// Events the page captures on purpose, each of which must land once: `setup_failed` comes
/// from the instance that never compresses (after a CORS preflight), `$pageleave` by beacon.
const BROWSER_EXPECTED: &[&str] = &[
    "$pageview",
    "setup_completed",
    "dev_server_started",
    "$exception",
    "setup_failed",
    "$pageleave",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posthog_js_in_chromium_from_another_origin() -> anyhow::Result<()> {
    let js_dir = js::js_dir();
    let chromium = js::chromium();
    let dir = TempDir::new()?;
    let collector =
        tokio::task::block_in_place(|| start_collector(dir.path(), "presets = [\"web\"]\n"));
    let collector_url = collector.url();
    let site = PageServer::start(&js_dir, &collector_url, TENANT_KEY).await?;
    let page_url = format!("{}/page.html?ref={EMAIL}", site.origin());
    let arg = json!({
        "chromium": chromium,
        "page_url": page_url,
        "collector": collector_url,
        "email": EMAIL,
        "timeout_ms": 60_000,
    })
    .to_string();
    let run_dir = js_dir.clone();
    let finished = tokio::task::spawn_blocking(move || {
        js::node(&run_dir, "browser.mjs", &arg, &[], CLIENT_LIMIT)
    })
    .await??;
    let report = finished.report()?;
    eprintln!(
        "posthog-js {} / playwright-core {}; browser report:\n{}",
        js::package_version(&js_dir, "posthog-js").unwrap_or_default(),
        js::package_version(&js_dir, "playwright-core").unwrap_or_default(),
        serde_json::to_string_pretty(&report)?
    );
    let exit = exit_problem(&finished, "the browser run (browser.mjs)");
    let result = check_browser(dir.path(), &report, exit, &collector_url, &site.origin()).await;
    with_log(result, &collector)
}

async fn check_browser(
    dir: &Path,
    report: &Value,
    exit: Option<String>,
    collector_url: &str,
    page_origin: &str,
) -> anyhow::Result<()> {
    let mut problems: Vec<String> = exit.into_iter().collect();
    if !report["error"].is_null() {
        problems.push(format!(
            "the browser run did not finish: {}",
            report["error"]
        ));
    }
    if report["is_bot"] != json!(false) {
        problems.push(format!(
            "posthog-js took the browser for a bot (is_bot = {}, user agent {})",
            report["is_bot"], report["user_agent"]
        ));
    }

    let requests = report["requests"].as_array().cloned().unwrap_or_default();
    // CORS and routes: every request to the collector answered 2xx, with
    // Access-Control-Allow-Origin for the page's origin (or any). A beacon (`ping`) is sent
    // without CORS and its answer is opaque to the page: no header needed.
    for r in &requests {
        let label = label(r);
        if let Some(failure) = r["failure"].as_str() {
            problems.push(format!("{label} failed in the browser: {failure}"));
            continue;
        }
        match r["status"].as_u64() {
            Some(s) if (200..300).contains(&s) => {}
            other => problems.push(format!("{label} answered {other:?}")),
        }
        let allow = r["allow_origin"].as_str().unwrap_or("");
        if r["resource_type"] != "ping" && allow != "*" && allow != page_origin {
            problems.push(format!(
                "{label}: Access-Control-Allow-Origin is {:?}, not {page_origin} or *",
                r["allow_origin"]
            ));
        }
    }

    // Remote config: loaded and applied, from config.js.
    let config_js = requests.iter().any(|r| {
        r["path"]
            .as_str()
            .is_some_and(|p| p.ends_with(&format!("/array/{TENANT_KEY}/config.js")))
            && r["status"] == 200
    });
    if !config_js {
        problems.push(format!("no 200 for /array/{TENANT_KEY}/config.js"));
    }
    if report["remote_config"]["ok"] != json!(true) {
        problems.push(format!(
            "posthog-js did not apply a remote config: {}",
            report["remote_config"]
        ));
    }
    let config = &report["remote_config"]["config"];
    let compression = strings(&config["supportedCompression"]);
    if !compression.contains(&"\"gzip-js\"".to_owned()) {
        problems.push(format!(
            "remote config supportedCompression is {compression:?}, without gzip-js"
        ));
    }
    for (key, off) in [
        ("sessionRecording", &config["sessionRecording"]),
        ("surveys", &config["surveys"]),
        ("heatmaps", &config["heatmaps"]),
    ] {
        if !(off.is_null() || *off == json!(false)) {
            problems.push(format!("remote config turns {key} on: {off}"));
        }
    }
    let exceptions = &config["autocaptureExceptions"];
    if !(exceptions.is_null() || *exceptions == json!(false)) {
        problems.push(format!(
            "remote config turns exception autocapture on: {exceptions}"
        ));
    }

    // After the remote config every capture request of the main instance is gzip
    // (text/plain, gzip bytes); the instance that never compresses sends application/json,
    // which the browser sends only once the CORS preflight passed.
    let captured = report["captured"].as_array().cloned().unwrap_or_default();
    let uuids_where = |keep: &dyn Fn(&Value) -> bool| -> BTreeSet<String> {
        captured
            .iter()
            .filter(|e| keep(e))
            .filter_map(|e| e["uuid"].as_str().map(str::to_owned))
            .collect()
    };
    let late = uuids_where(&|e| {
        e["plain"] != true && e["event"] != "$pageview" && e["event"] != "$pageleave"
    });
    let plain = uuids_where(&|e| e["plain"] == true);
    let carries = |r: &Value, set: &BTreeSet<String>| {
        r["events"].as_array().is_some_and(|es| {
            es.iter()
                .any(|e| e["uuid"].as_str().is_some_and(|u| set.contains(u)))
        })
    };
    for r in &requests {
        if carries(r, &late) && r["body_gzip"] != json!(true) {
            problems.push(format!(
                "a capture request after the remote config was not gzip: {} content-type {}",
                label(r),
                r["content_type"]
            ));
        }
    }
    let preflighted = requests.iter().any(|r| {
        carries(r, &plain)
            && r["content_type"]
                .as_str()
                .is_some_and(|t| t.starts_with("application/json"))
            && r["status"] == 200
    });
    if !preflighted {
        problems.push(
            "no uncompressed application/json capture (one that needs a CORS preflight) was answered 200"
                .to_owned(),
        );
    }

    // The console and the page: no error about the collector or posthog-js.
    let host = collector_url.trim_start_matches("http://");
    for message in report["console"].as_array().into_iter().flatten() {
        let text = message["text"].as_str().unwrap_or("");
        let kind = message["type"].as_str().unwrap_or("");
        let about_us = text.contains(host)
            || text.contains("[PostHog")
            || text.contains("CORS")
            || text.contains("Access-Control");
        if (kind == "error" || kind == "warning") && about_us {
            problems.push(format!("console {kind}: {text}"));
        }
    }
    for error in report["page_errors"].as_array().into_iter().flatten() {
        problems.push(format!("page error: {error}"));
    }

    // The sink: each event the page captured on purpose, exactly once, scrubbed.
    let mut expected = BTreeSet::new();
    for name in BROWSER_EXPECTED {
        let uuids: Vec<&str> = captured
            .iter()
            .filter(|e| e["event"] == *name)
            .filter_map(|e| e["uuid"].as_str())
            .collect();
        if uuids.is_empty() {
            problems.push(format!("posthog-js captured no {name}"));
        }
        expected.extend(uuids.into_iter().map(str::to_owned));
    }
    let sink = match sink_with(dir, &expected, "the page's events in the local sink").await {
        Ok(sink) => sink,
        Err(error) => {
            problems.push(format!("{error:#}"));
            local_sink::events(&dir.join("data"))
        }
    };
    if let Err(error) = assert_exactly_once(&sink, &expected) {
        problems.push(format!("{error:#}"));
    }
    for event in &sink {
        let name = event["event"].as_str().unwrap_or("");
        if !BROWSER_ALLOWED.contains(&name) {
            problems.push(format!(
                "the sink holds {name}, which the web preset does not allow"
            ));
        }
    }
    let text = serde_json::to_string(&sink)?;
    if let Err(error) = assert_clean(&text, 0) {
        problems.push(format!("{error:#}"));
    }
    let note = sink
        .iter()
        .find(|e| e["event"] == "setup_completed")
        .map(|e| e["properties"]["note"].clone());
    match note {
        Some(Value::String(note)) if note.contains("[EMAIL]") => {}
        other => problems.push(format!(
            "setup_completed's note is {other:?}, not redacted to [EMAIL]"
        )),
    }
    // The web preset keeps what went wrong in an exception, scrubbed. posthog-js sends it
    // as `$exception_list: [{type, value, mechanism, stacktrace}]`.
    let exception = sink.iter().find(|e| e["event"] == "$exception");
    let kept = exception
        .map(|e| e["properties"].to_string())
        .unwrap_or_default();
    if !(kept.contains("render failed for [EMAIL]") && kept.contains("\"Error\"")) {
        problems.push(format!(
            "the $exception lost its type and message (\"Error\", \"render failed for [EMAIL]\"): {}",
            exception.map(|e| e["properties"].clone()).unwrap_or(Value::Null)
        ));
    }
    verdict(&problems)
}

// ---------------------------------------------------------------------------------------
// posthog-node
// ---------------------------------------------------------------------------------------

async fn posthog_node(mode: Option<&'static str>) -> anyhow::Result<()> {
    let js_dir = js::js_dir();
    let dir = TempDir::new()?;
    let collector = tokio::task::block_in_place(|| start_collector(dir.path(), ""));
    let n = 20;
    let arg =
        json!({"host": collector.url(), "token": TENANT_KEY, "n": n, "email": EMAIL}).to_string();
    let env: Vec<(&str, &str)> = mode
        .map(|m| ("POSTHOG_CAPTURE_MODE", m))
        .into_iter()
        .collect();
    let run_dir = js_dir.clone();
    let finished = tokio::task::spawn_blocking(move || {
        js::node(&run_dir, "node_client.mjs", &arg, &env, CLIENT_LIMIT)
    })
    .await??;
    let report = finished.report()?;
    eprintln!(
        "posthog-node {} (capture mode {}); report:\n{}",
        js::package_version(&js_dir, "posthog-node").unwrap_or_default(),
        mode.unwrap_or("default"),
        serde_json::to_string_pretty(&report)?
    );
    let exit = exit_problem(&finished, "posthog-node (node_client.mjs)");
    let result = check_node(dir.path(), &report, exit, mode, n).await;
    with_log(result, &collector)
}

async fn check_node(
    dir: &Path,
    report: &Value,
    exit: Option<String>,
    mode: Option<&str>,
    n: usize,
) -> anyhow::Result<()> {
    let mut problems: Vec<String> = exit.into_iter().collect();
    if !report["error"].is_null() {
        problems.push(format!("the client threw: {}", report["error"]));
    }
    for error in report["errors"].as_array().into_iter().flatten() {
        problems.push(format!("the client emitted an error: {error}"));
    }
    for logged in report["logged"].as_array().into_iter().flatten() {
        if logged["level"] == "error" {
            problems.push(format!("the client logged an error: {}", logged["text"]));
        }
    }
    let requests = report["requests"].as_array().cloned().unwrap_or_default();
    for r in &requests {
        let label = label(r);
        match r["status"].as_u64() {
            Some(s) if (200..300).contains(&s) => {}
            other => problems.push(format!("{label} answered {other:?}: {}", r["body"])),
        }
    }
    let capture_path = if mode == Some("v1") {
        "/i/v1/analytics/events"
    } else {
        "/batch/"
    };
    if !requests
        .iter()
        .any(|r| r["path"] == capture_path && r["status"] == 200)
    {
        problems.push(format!("no capture request to {capture_path} answered 200"));
    }
    if !requests.iter().any(|r| r["path"] == "/flags/") {
        problems.push("no request to /flags/".to_owned());
    }
    // A valid empty flags answer: no flags, an unknown flag is off.
    if report["all_flags"] != json!({}) {
        problems.push(format!("getAllFlags returned {}", report["all_flags"]));
    }
    for key in ["is_enabled", "flag"] {
        let value = &report[key];
        if !(value.is_null() || *value == json!(false)) {
            problems.push(format!("{key} returned {value}, not false or undefined"));
        }
    }
    check_landed(dir, report, n, "posthog-node's events", &mut problems).await;
    verdict(&problems)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posthog_node_default_batch_mode() -> anyhow::Result<()> {
    posthog_node(None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posthog_node_capture_v1_mode() -> anyhow::Result<()> {
    posthog_node(Some("v1")).await
}

// ---------------------------------------------------------------------------------------
// posthog (Python)
// ---------------------------------------------------------------------------------------

/// The Python with the PostHog client: `HUSH_TEST_PYTHON` (the venv `scripts/test` makes
/// from `tests/py/requirements.txt`), else `python3`.
fn python() -> std::ffi::OsString {
    std::env::var_os("HUSH_TEST_PYTHON")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posthog_python_feature_flags_and_capture() -> anyhow::Result<()> {
    let dir = TempDir::new()?;
    let collector = tokio::task::block_in_place(|| start_collector(dir.path(), ""));
    let n = 20;
    let arg =
        json!({"host": collector.url(), "token": TENANT_KEY, "n": n, "email": EMAIL}).to_string();
    let finished = tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(python());
        cmd.arg(repo_root().join("tests/py/python_client.py"))
            .arg(arg);
        js::run(cmd, CLIENT_LIMIT)
    })
    .await??;
    let report = finished.report().map_err(|e| {
        e.context(
            "the PostHog Python client failed (is `posthog` installed? scripts/test installs it)",
        )
    })?;
    eprintln!(
        "posthog (Python); report:\n{}",
        serde_json::to_string_pretty(&report)?
    );
    let exit = exit_problem(&finished, "posthog Python (python_client.py)");
    let result = check_python(dir.path(), &report, exit, n).await;
    with_log(result, &collector)
}

async fn check_python(
    dir: &Path,
    report: &Value,
    exit: Option<String>,
    n: usize,
) -> anyhow::Result<()> {
    let mut problems: Vec<String> = exit.into_iter().collect();
    if !report["error"].is_null() {
        problems.push(format!("the client raised: {}", report["error"]));
    }
    for error in report["errors"].as_array().into_iter().flatten() {
        problems.push(format!("the client reported an error: {error}"));
    }
    for logged in report["logged"].as_array().into_iter().flatten() {
        if logged["level"] == "ERROR" || logged["level"] == "CRITICAL" {
            problems.push(format!(
                "the client logged {}: {}",
                logged["level"], logged["text"]
            ));
        }
    }
    if !(report["enabled"].is_null() || report["enabled"] == json!(false)) {
        problems.push(format!("feature_enabled returned {}", report["enabled"]));
    }
    let flags = &report["all_flags"];
    if !(flags.is_null() || *flags == json!({})) {
        problems.push(format!("get_all_flags returned {flags}"));
    }
    check_landed(dir, report, n, "the Python client's events", &mut problems).await;
    verdict(&problems)
}
