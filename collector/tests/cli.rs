//! The `hush-collector` binary: `check-config`, `scrub`, and `serve` with a clean stop.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hush-collector"));
    // Only what the test sets: the suite's own HUSH_TEST_* variables are not settings.
    for (k, _) in std::env::vars() {
        if k.starts_with("HUSH_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// `hush-collector check-config --config PATH`.
fn check_config(path: &std::path::Path) -> std::process::Output {
    bin()
        .arg("check-config")
        .arg("--config")
        .arg(path)
        .output()
        .unwrap()
}

#[test]
fn check_config_prints_redacted_settings_or_the_error() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("hush.toml");
    std::fs::write(
        &path,
        "[[tenants]]\nname = \"a\"\napi_key = \"phc_cli_key\"\nhash_key = \"cli-hash-key-0123456789abcdef0123456789\"\n",
    )
    .unwrap();
    let out = check_config(&path);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("127.0.0.1:8787") && text.contains("[redacted]"),
        "{text}"
    );
    assert!(
        !text.contains("phc_cli_key") && !text.contains("cli-hash-key"),
        "{text}"
    );

    std::fs::write(&path, "listen = \"nowhere\"\n").unwrap();
    let out = check_config(&path);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("listen") && err.contains("hush.toml"), "{err}");

    let out = bin()
        .arg("check-config")
        .env("HUSH_LISTEN", "bad")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HUSH_LISTEN"));
}

#[test]
fn scrub_reports_bad_lines_by_number_without_content() {
    let input = [
        r#"{"event":"setup_failed","distinct_id":"raw-id-1","uuid":"84578881-22d1-4a29-b1aa-fa0a8b42ba37","properties":{"$telemetry_level":"basic","error":"EPERM for leaky.person@example.com"}}"#,
        r#"{"event":"setup_failed","distinct_id": "secret-in-broken-line@example.com""#,
        "",
        r#"{"event":"chat_response","distinct_id":"raw-id-2","properties":{"content":"the model said so"}}"#,
        r#"{"event":"setup_completed","properties":{"note":"no id here: other-secret@example.com"}}"#,
        r#"{"event":"dev_server_started","distinct_id":"raw-id-3"}"#,
    ]
    .join("\n");
    let out = scrub_run(None, &input);
    assert!(
        !out.status.success(),
        "bad lines make the exit code non-zero"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0]["uuid"], "84578881-22d1-4a29-b1aa-fa0a8b42ba37");
    assert_eq!(lines[0]["properties"]["error"], "EPERM for [EMAIL]");
    assert!(
        lines[1]["uuid"].as_str().unwrap().len() == 36,
        "uuid generated when missing"
    );
    assert!(!stdout.contains("raw-id-"));
    assert!(
        stderr.contains("line 2:") && stderr.contains("line 5:"),
        "{stderr}"
    );
    assert!(stderr.contains("chat_response: 1"), "{stderr}");
    for secret in ["secret-in-broken-line", "other-secret", "leaky.person"] {
        assert!(!stderr.contains(secret), "{stderr}");
    }
}

#[test]
fn serve_answers_healthz_and_stops_on_sigterm() {
    let dir = TempDir::new().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = bin()
        .arg("serve")
        .current_dir(dir.path())
        .env("HUSH_LISTEN", format!("127.0.0.1:{port}"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let body = loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut buf = String::new();
            s.read_to_string(&mut buf).unwrap();
            break buf;
        }
        assert!(Instant::now() < deadline, "collector never listened");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    // The embedded default: local disk under ./hush-data.
    assert!(dir.path().join("hush-data").is_dir());
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(Instant::now() < deadline, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `hush-collector scrub [--config PATH]` on `input`.
fn scrub_run(config: Option<&std::path::Path>, input: &str) -> std::process::Output {
    let mut cmd = bin();
    cmd.arg("scrub");
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `hush-collector scrub --config PATH` on one line that must pass, its stdout.
fn scrub_with(config: &std::path::Path, line: &str) -> String {
    let out = scrub_run(Some(config), line);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn person_names_are_on_by_default_and_take_the_configured_action() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("hush.toml");
    let line = r#"{"event":"setup_failed","distinct_id":"raw-id-1","uuid":"84578881-22d1-4a29-b1aa-fa0a8b42ba37","properties":{"$telemetry_level":"basic","error":"Invite failed: Phillis Ennis is already a member"}}"#;

    std::fs::write(&path, "").unwrap();
    let out = scrub_with(&path, line);
    assert!(
        out.contains("Invite failed: [PERSON] is already a member"),
        "{out}"
    );

    std::fs::write(&path, "[scrub]\nactions = { person_name = \"hash\" }\n").unwrap();
    let out = scrub_with(&path, line);
    assert!(out.contains("[HASH:person_name:"), "{out}");
    assert!(!out.contains("Phillis") && !out.contains("Ennis"), "{out}");

    std::fs::write(&path, "[scrub]\ndisable = [\"person_name\"]\n").unwrap();
    let out = scrub_with(&path, line);
    assert!(out.contains("Phillis Ennis"), "{out}");

    // An unknown kind is an error that names it, at check-config as at start.
    std::fs::write(&path, "[scrub]\nactions = { person_nam = \"hash\" }\n").unwrap();
    let out = check_config(&path);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("person_nam"), "{err}");
}
