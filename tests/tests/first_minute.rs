//! The first minute, as the README tells it: `hush-collector serve` with no configuration
//! prints a dev tenant's key and a `curl` line; running that line stores one scrubbed event.

use hush_tests::clickhouse::free_port;
use hush_tests::collector_process::command;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the child when dropped.
struct Running(std::process::Child);

/// `hush-collector serve` with `args`, no config file, in `dir`, listening on a free
/// loopback port (the only setting, instead of 8787); stderr piped. Returns it and the
/// address.
fn serve_without_config(
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Running, String) {
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
    let (mut running, addr) =
        serve_without_config(dir.path(), &[], &[("HUSH_BIN", "/usr/local/bin/hush")]);
    let stderr = running.0.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut curl = None;
    let mut saw_warning = false;
    let deadline = Instant::now() + Duration::from_secs(20);
    for line in lines.by_ref() {
        let line = line.unwrap();
        assert!(
            !line.contains('\u{1b}'),
            "a colour code in a log to a pipe: {line:?}"
        );
        saw_warning |= line.contains("HUSH_BIN");
        if line.trim_start().starts_with("curl ") {
            curl = Some(line.trim().to_owned());
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

#[test]
fn json_logs_are_one_object_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let (mut running, _) = serve_without_config(dir.path(), &["--log-format", "json"], &[]);
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
