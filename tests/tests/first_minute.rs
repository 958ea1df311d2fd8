//! The first minute, as the README tells it: `hush-collector serve` with no configuration
//! prints a dev tenant's key, a `curl` line and a posthog-js snippet; running that line
//! stores one scrubbed event, and the snippet is valid JavaScript naming the key and host.
//! A config file without tenants gets no dev tenant.

use hush_tests::clickhouse::{free_port, repo_root};
use hush_tests::collector_process::command;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the child when dropped.
struct Running(std::process::Child);

/// `hush-collector serve` with `args` (no config file unless they name one), in `dir`,
/// listening on a free loopback port (`HUSH_LISTEN`, instead of 8787); stderr piped.
/// Returns it and the address.
fn serve_in(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (Running, String) {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut cmd = command();
    cmd.arg("serve")
        .args(args)
        .current_dir(dir)
        .env("HUSH_LISTEN", &addr)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    (Running(cmd.spawn().unwrap()), addr)
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_without_config_then_the_printed_curl_stores_one_scrubbed_event() {
    let dir = tempfile::tempdir().unwrap();
    // A stray HUSH_ variable is only a warning.
    let (mut running, addr) = serve_in(dir.path(), &[], &[("HUSH_BIN", "/usr/local/bin/hush")]);
    let stderr = running.0.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut curl = None;
    let mut key = None;
    let mut snippet = Vec::new();
    let mut banner = Vec::new();
    let mut saw_warning = false;
    let deadline = Instant::now() + Duration::from_secs(20);
    for line in lines.by_ref() {
        let line = line.unwrap();
        assert!(
            !line.contains('\u{1b}'),
            "a colour code in a log to a pipe: {line:?}"
        );
        saw_warning |= line.contains("HUSH_BIN");
        if line.starts_with("hush-collector: no tenant") || line.starts_with("  ") {
            banner.push(line.clone());
        }
        let text = line.trim();
        if text.starts_with("curl ") {
            curl = Some(text.to_owned());
        }
        if let Some(k) = text.strip_prefix("project key: ") {
            key = Some(k.to_owned());
        }
        if text.starts_with("import posthog") || text.starts_with("posthog.") {
            snippet.push(text.to_owned());
        }
        if line.contains("listening") {
            break;
        }
        assert!(Instant::now() < deadline, "serve did not start");
    }
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    assert!(saw_warning, "the stray HUSH_BIN was not named");
    let curl = curl.expect("no curl line printed");
    assert!(curl.contains(&addr), "{curl}");
    let key = key.expect("no project key printed");
    assert!(key.starts_with("phc_") && curl.contains(&key), "{curl}");
    check_snippet(dir.path(), &snippet.join("\n"), &key, &addr);
    check_readme(&banner, &key, &addr);
    let out = Command::new("sh").arg("-c").arg(&curl).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), r#"{"status":1}"#);

    let events = dir.path().join("hush-data/events");
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text: String = std::fs::read_dir(&events)
            .map(|d| {
                d.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                    .collect()
            })
            .unwrap_or_default();
        if !text.is_empty() {
            break text;
        }
        assert!(Instant::now() < deadline, "no event stored");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("[EMAIL]") && !text.contains("jane.doe@example.com"),
        "{text}"
    );
    assert!(!text.contains("my-machine"), "the id is hashed: {text}");
}

/// The posthog-js snippet names the printed key and the collector's URL, and `node --check`
/// parses it (as a module: it imports posthog-js).
fn check_snippet(dir: &std::path::Path, snippet: &str, key: &str, addr: &str) {
    assert!(
        snippet.contains(&format!("posthog.init('{key}'"))
            && snippet.contains(&format!("api_host: 'http://{addr}'")),
        "the snippet does not name the key and host:\n{snippet}"
    );
    let file = dir.join("snippet.mjs");
    std::fs::write(&file, snippet).unwrap();
    let out = Command::new("node")
        .arg("--check")
        .arg(&file)
        .output()
        .expect("running node (scripts/test installs it)");
    assert!(
        out.status.success(),
        "the snippet is not valid JavaScript:\n{snippet}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The README's quick start shows what the first start prints, line for line (the key as
/// `phc_<your key>`, the default address), and still has exactly two set-up commands.
fn check_readme(banner: &[String], key: &str, addr: &str) {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme
        .find("## Quick start")
        .expect("a Quick start section");
    let end = readme[start + 3..]
        .find("\n## ")
        .map_or(readme.len(), |i| start + 3 + i);
    let quick_start = &readme[start..end];
    assert!(banner.len() >= 5, "no banner: {banner:?}");
    for line in banner {
        let shown = line
            .replace(key, "phc_<your key>")
            .replace(addr, "127.0.0.1:8787");
        assert!(
            quick_start.lines().any(|l| l == shown),
            "the README's quick start does not show this line of the first start:\n{shown}"
        );
    }
    assert_eq!(
        quick_start.matches("```sh").count(),
        2,
        "the quick start should have exactly two set-up commands"
    );
}

#[test]
fn a_config_file_without_tenants_gets_no_dev_tenant() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hush.toml"), "data_dir = \"hush-data\"\n").unwrap();
    let (mut running, addr) = serve_in(dir.path(), &["--config", "hush.toml"], &[]);
    let stderr = running.0.stderr.take().unwrap();
    let mut warned = false;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        assert!(
            !line.contains("dev tenant") && !line.contains("phc_"),
            "a dev tenant was made although a config file was given: {line}"
        );
        warned |= line.contains("configures no tenant");
        if line.contains("listening") {
            break;
        }
        assert!(Instant::now() < deadline, "serve did not start");
    }
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    assert!(warned, "no warning that the config file has no tenant");
    let dev = dir.path().join("hush-data/dev-tenant.json");
    assert!(!dev.exists(), "{} was made", dev.display());
    // Nothing accepts a key: there is no tenant.
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("http://{addr}/batch/"))
        .args(["-H", "Content-Type: application/json", "-d"])
        .arg(r#"{"api_key":"phc_any","batch":[]}"#)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "401");
}

#[test]
fn json_logs_are_one_object_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let (mut running, _) = serve_in(dir.path(), &["--log-format", "json"], &[]);
    let stderr = running.0.stderr.take().unwrap();
    let mut saw_key = false;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        let object: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not one JSON object: {line:?}: {e}"));
        saw_key |= object["fields"]["project_key"]
            .as_str()
            .is_some_and(|k| k.starts_with("phc_"));
        if line.contains("listening") {
            break;
        }
    }
    assert!(saw_key, "the dev tenant's key was not logged");
}
