//! Data rights from the SDK, against the collector stand-in: `forget()` sends
//! `POST /v1/erase` with the id the events carried after the last event and before it
//! deletes the local data, and returns the receipt; `export()` reads the stored events back;
//! offline, the erase request is kept encrypted and sent before any event at the next
//! start; a refusal is reported; no id reaches an error, a warning or the status.

mod common;

use common::collector::{Collector, Request};
use common::sandbox::{files_under, names, Dirs, KEY, WAIT};
use hush_sdk::{Erase, EraseState, Error, NotAsked};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

const ENV: [(&str, &str); 1] = [("NEXT_PUBLIC_POSTHOG_KEY", KEY)];

/// The id the sandbox's machine sends: learned from one event to a throwaway collector.
fn sandbox_id() -> String {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let t = dirs.builder(&collector.url(), &ENV).build();
    t.setup_completed(Duration::from_millis(1));
    assert!(t.flush(WAIT).is_complete());
    let events = collector.events();
    events[0]["distinct_id"].as_str().unwrap().to_string()
}

/// Asserts `request` is `POST path` with exactly `{"api_key", "distinct_id"}` as JSON.
fn assert_rights_request(request: &Request, path: &str, id: &str) {
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", path)
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.json(), json!({"api_key": KEY, "distinct_id": id}));
}

/// The paths of the requests, in order.
fn paths(collector: &Collector) -> Vec<String> {
    collector
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect()
}

/// Names of the files under the sandbox's config and cache directories.
fn local_files(dirs: &Dirs) -> Vec<String> {
    let mut all = files_under(&dirs.config());
    all.extend(files_under(&dirs.cache()));
    let mut names: Vec<String> = all
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn forget_erases_at_the_collector_after_the_last_event_then_deletes_local_data() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let t = dirs.builder(&collector.url(), &ENV).build();
    t.setup_completed(Duration::from_millis(1500));
    t.dev_server_started(Duration::from_millis(300));
    assert!(t.flush(WAIT).is_complete());
    let sent = collector.events();
    let id = sent[0]["distinct_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);

    // export: exactly what the collector stores, parsed from JSON Lines.
    let exported = t.export().unwrap();
    assert_eq!(exported, sent);
    assert_rights_request(
        collector.rights_requests().last().unwrap(),
        "/v1/export",
        &id,
    );

    // An event still queued when forget() is called never leaves.
    t.setup_failed("queued, never sent");
    let outcome = t.forget().unwrap();
    let receipt = outcome.receipt().expect("accepted").clone();
    assert_eq!(receipt.host, collector.url());
    assert!(matches!(&outcome.erase, Erase::Requested(r) if *r == receipt));
    assert_eq!(outcome.status.level, hush_sdk::Level::Off);
    let requests = collector.requests();
    let erase_at = requests.iter().position(|r| r.path == "/v1/erase").unwrap();
    assert_rights_request(&requests[erase_at], "/v1/erase", &id);
    assert!(requests[..erase_at].iter().any(|r| r.path == "/batch/"));
    assert_eq!(
        local_files(&dirs),
        Vec::<String>::new(),
        "local data deleted"
    );

    // The receipt is followed; the export is empty afterwards.
    let status = t.erase_status(&receipt.id).unwrap();
    assert_eq!(status.status, EraseState::Done);
    assert_eq!(status.receipt, receipt.id);
    assert_eq!(status.removed.local, Some(2));
    assert_eq!(status.removed.clickhouse, None);
    assert!(t.export().unwrap().is_empty());

    // Nothing is sent for the rest of the run.
    t.setup_completed(Duration::from_secs(1));
    let _ = t.flush(Duration::from_millis(200));
    drop(t);
    let after: Vec<String> = paths(&collector)[erase_at..].to_vec();
    assert_eq!(
        after,
        [
            "/v1/erase",
            "/v1/erase/00000000000000000000000000000001",
            "/v1/export"
        ]
    );
    assert!(matches!(
        t_erase_status_unknown(&collector, &dirs),
        Err(Error::Refused(r)) if r.status == 404
    ));
}

/// `erase_status` of a receipt the collector never gave.
fn t_erase_status_unknown(
    collector: &Collector,
    dirs: &Dirs,
) -> Result<hush_sdk::EraseStatus, Error> {
    let t = dirs.builder(&collector.url(), &ENV).build();
    assert!(matches!(
        t.erase_status("../admin"),
        Err(Error::InvalidReceipt)
    ));
    t.erase_status("ffffffffffffffffffffffffffffffff")
}

#[test]
fn offline_forget_keeps_the_erase_encrypted_and_sends_it_before_any_event_next_start() {
    let id = sandbox_id();
    let dirs = Dirs::new();
    let down = Collector::down_url();
    let t = dirs.builder(&down, &ENV).build();
    t.setup_completed(Duration::from_secs(1));
    let outcome = t.forget().unwrap();
    assert_eq!(outcome.erase, Erase::Spooled);
    assert!(outcome.receipt().is_none());
    drop(t);
    // Only the erase request (and its new key) is left, and it is not plaintext.
    assert_eq!(
        local_files(&dirs),
        ["telemetry-erase.bin", "telemetry-spool.key"]
    );
    let raw = std::fs::read(dirs.config().join("telemetry-erase.bin")).unwrap();
    for plain in [id.as_bytes(), KEY.as_bytes(), b"distinct_id"] {
        assert!(!raw.windows(plain.len()).any(|w| w == plain), "plaintext");
    }

    // Next start, still offline: the event waits behind the erase.
    let t = dirs.builder(&down, &ENV).build();
    t.dev_server_started(Duration::from_millis(5));
    assert_eq!(t.flush(Duration::from_secs(3)).pending, 1);
    drop(t); // the event goes to the spool, the erase request stays

    // Online: the erase first, then the events, and the request is gone.
    let collector = Collector::start_at(down.trim_start_matches("http://"));
    let t = dirs.builder(&down, &ENV).build();
    t.setup_completed(Duration::from_secs(2));
    assert!(t.flush(WAIT).is_complete());
    let requests = collector.requests();
    assert_eq!(paths(&collector), ["/v1/erase", "/batch/"]);
    assert_rights_request(&requests[0], "/v1/erase", &id);
    assert_eq!(
        names(&collector.events()),
        ["dev_server_started", "setup_completed"]
    );
    let status = t.status();
    assert_eq!(status.erase_receipts.len(), 1);
    assert_eq!(status.erase_receipts[0].host, down);
    assert!(!dirs.config().join("telemetry-erase.bin").exists());
    // What was sent after the erase is what the collector now holds.
    assert_eq!(t.export().unwrap().len(), 2);
}

#[test]
fn a_collector_answering_503_or_429_counts_as_offline() {
    for code in [503, 429] {
        let collector = Collector::start();
        let dirs = Dirs::new();
        let t = dirs.builder(&collector.url(), &ENV).build();
        collector.script(&[(code, Some("1"))]);
        assert_eq!(t.forget().unwrap().erase, Erase::Spooled, "{code}");
        drop(t);
        assert!(dirs.config().join("telemetry-erase.bin").exists());
        // The next start sends it at once, with no event to wait for.
        let t = dirs.builder(&collector.url(), &ENV).build();
        let deadline = std::time::Instant::now() + WAIT;
        while t.status().erase_receipts.is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(t.status().erase_receipts.len(), 1, "{code}");
        assert_eq!(paths(&collector), ["/v1/erase", "/v1/erase"]);
        let deadline = std::time::Instant::now() + WAIT;
        while dirs.config().join("telemetry-erase.bin").exists()
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!dirs.config().join("telemetry-erase.bin").exists());
    }
}

#[test]
fn a_refusal_is_reported_and_the_local_data_still_goes() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let t = dirs.builder(&collector.url(), &ENV).build();
    collector.script(&[(401, None)]);
    let outcome = t.forget().unwrap();
    let Erase::Refused(refusal) = &outcome.erase else {
        panic!("{:?}", outcome.erase);
    };
    assert_eq!(refusal.status, 401);
    assert_eq!(refusal.code.as_deref(), Some("x"));
    assert!(outcome.erase.to_string().contains("HTTP 401"));
    assert_eq!(local_files(&dirs), Vec::<String>::new());
    collector.script(&[(401, None)]);
    assert!(matches!(t.export(), Err(Error::Refused(r)) if r.status == 401));
}

#[test]
fn telemetry_off_by_the_environment_asks_no_collector() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let t = dirs
        .builder(
            &collector.url(),
            &[("NEXT_PUBLIC_POSTHOG_KEY", KEY), ("DO_NOT_TRACK", "1")],
        )
        .build();
    let outcome = t.forget().unwrap();
    assert_eq!(outcome.erase, Erase::NotAsked(NotAsked::TelemetryOff));
    assert!(matches!(t.export(), Err(Error::NoCollector { .. })));
    drop(t);
    assert_eq!(collector.connections(), 0);
}

/// A collector that refuses every request with `400`, echoing the body's `distinct_id` in
/// its message.
fn echoing_collector() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            stream
                .set_read_timeout(Some(Duration::from_millis(300)))
                .unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stream.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf);
                if text.contains("\r\n\r\n") && text.trim_end().ends_with('}') {
                    break;
                }
            }
            let text = String::from_utf8_lossy(&buf).to_string();
            let body: Value = text
                .split_once("\r\n\r\n")
                .and_then(|(_, b)| serde_json::from_str(b).ok())
                .unwrap_or(Value::Null);
            let id = body["distinct_id"].as_str().unwrap_or_default();
            let answer = json!({"code": "bad_id", "detail": format!("no such id {id} here")});
            let answer = answer.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    url
}

#[test]
fn no_id_reaches_an_error_a_warning_or_the_status() {
    let id = sandbox_id();
    let mut texts = Vec::new();

    let echo = echoing_collector();
    let dirs = Dirs::new();
    let t = dirs.builder(&echo, &ENV).build();
    let error = t.export().unwrap_err();
    assert!(matches!(&error, Error::Refused(r) if r.status == 400));
    texts.push(format!("{error} {error:?}"));
    let outcome = t.forget().unwrap();
    assert!(
        matches!(&outcome.erase, Erase::Refused(r) if r.message.as_deref() == Some("no such id [id] here"))
    );
    texts.push(format!("{} {outcome:?}", outcome.erase));

    let down = Collector::down_url();
    let dirs = Dirs::new();
    let t = dirs.builder(&down, &ENV).build();
    t.setup_failed("a failure");
    let error = t.export().unwrap_err();
    assert!(matches!(&error, Error::Unreachable { status: None, .. }));
    texts.push(format!("{error} {error:?}"));
    let outcome = t.forget().unwrap();
    texts.push(format!("{} {outcome:?} {:?}", outcome.erase, t.status()));
    drop(t);
    // Next start, still offline: the worker's warnings and status.
    let t = dirs.builder(&down, &ENV).build();
    let _ = t.flush(Duration::from_secs(2));
    texts.push(format!("{:?} {}", t.status(), t.status()));
    texts.push(format!("{t:?}"));

    for text in &texts {
        assert!(!text.contains(&id), "the id leaked: {text}");
        assert!(!text.contains(KEY), "the key leaked: {text}");
    }
}
