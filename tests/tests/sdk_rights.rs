//! The SDK's data rights against the real collector (the `hush-collector` binary with its
//! local sink): `export()` returns what the SDK sent, `forget()` returns a receipt whose
//! erase finishes with the person's events removed (and no one else's), export is empty
//! afterwards; and offline, the erase kept by `forget()` is sent before any event at the
//! next start, once the collector is back.

use hush_sdk::{Erase, EraseState, EraseStatus, Level, Telemetry};
use hush_tests::collector_process::CollectorProcess;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

const KEY: &str = "phc_sdk_rights_e2e_key";
const HASH_KEY: &str = "sdk-rights-e2e-hash-key-0123456789abcdef";
const ANN_MACHINE: &str = "4c4c4544-0042-3510-8052-b7c04f4e3232-ann";
const BOB_MACHINE: &str = "4c4c4544-0042-3510-8052-b7c04f4e3232-bob";
const WAIT: Duration = Duration::from_secs(60);

fn config(data: &Path) -> String {
    format!(
        "data_dir = \"{}\"\n[[tenants]]\nname = \"app\"\napi_key = \"{KEY}\"\nhash_key = \"{HASH_KEY}\"\n",
        data.display()
    )
}

/// An SDK client of one machine, its files under `dir`.
fn sdk(dir: &Path, host: &str, machine: &str) -> Telemetry {
    Telemetry::builder("sdk-rights-e2e", "1.0.0")
        .environment([
            ("NEXT_PUBLIC_POSTHOG_KEY", KEY),
            ("NEXT_PUBLIC_POSTHOG_HOST", host),
        ])
        .dotenv_dir(dir)
        .config_dir(dir.join("config"))
        .cache_dir(dir.join("cache"))
        .machine_id(Some(machine.to_string()))
        .flush_interval(Duration::from_secs(60))
        .retries(2, Duration::from_millis(50))
        .request_timeout(Duration::from_secs(5))
        .build()
}

/// Polls `f` every 100 ms until it gives `Some`, at most [`WAIT`].
fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The export once it holds exactly `n` events.
fn export_of(t: &Telemetry, n: usize) -> Vec<Value> {
    until(&format!("an export of {n} events"), || {
        t.export().ok().filter(|events| events.len() == n)
    })
}

fn names(events: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

/// The erase, once it is no longer pending.
fn finished(t: &Telemetry, receipt: &str) -> EraseStatus {
    until("the erase to finish", || {
        t.erase_status(receipt)
            .ok()
            .filter(|s| s.status != EraseState::Pending)
    })
}

#[test]
fn export_returns_the_events_and_forget_erases_them_with_a_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let collector = CollectorProcess::start(
        dir.path(),
        &config(&dir.path().join("data")),
        &[("RUST_LOG", "debug")],
    );
    let host = collector.url();
    let ann_dir = dir.path().join("ann");
    let bob_dir = dir.path().join("bob");
    std::fs::create_dir_all(&ann_dir).unwrap();
    std::fs::create_dir_all(&bob_dir).unwrap();

    let ann = sdk(&ann_dir, &host, ANN_MACHINE);
    assert_eq!(ann.level(), Level::Basic);
    ann.setup_completed(Duration::from_millis(1200));
    ann.setup_failed("EACCES: permission denied, open '/home/ann/app/.env'");
    ann.dev_server_started(Duration::from_millis(300));
    assert!(ann.flush(WAIT).is_complete());
    let bob = sdk(&bob_dir, &host, BOB_MACHINE);
    bob.setup_completed(Duration::from_millis(900));
    bob.dev_server_started(Duration::from_millis(200));
    assert!(bob.flush(WAIT).is_complete());

    // export: exactly what this machine sent, as stored (the id hashed, text scrubbed).
    let exported = export_of(&ann, 3);
    assert_eq!(
        names(&exported),
        ["dev_server_started", "setup_completed", "setup_failed"]
    );
    let text = serde_json::to_string(&exported).unwrap();
    assert!(!text.contains("/home/ann/"), "{text}");
    export_of(&bob, 2);

    // forget: a receipt, done with the three local lines removed.
    let outcome = ann.forget().unwrap();
    let receipt = outcome.receipt().expect("a receipt").clone();
    assert_eq!(receipt.host, host);
    let status = finished(&ann, &receipt.id);
    assert_eq!(status.status, EraseState::Done, "{status:?}");
    assert_eq!(status.removed.local, Some(3), "{status:?}");
    assert_eq!(ann.status().level, Level::Off);
    assert!(!ann_dir.join("config").join("telemetry-consent").exists());

    // Afterwards: nothing about this machine; the other machine untouched.
    assert!(ann.export().unwrap().is_empty());
    assert_eq!(bob.export().unwrap().len(), 2);
    // A second forget erases nothing more.
    let again = ann.forget().unwrap();
    let again = finished(&ann, &again.receipt().expect("a receipt").id);
    assert_eq!(again.removed.local, Some(0), "{again:?}");
}

#[test]
fn an_erase_kept_offline_is_sent_before_any_event_when_the_collector_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut collector = CollectorProcess::start(
        dir.path(),
        &config(&dir.path().join("data")),
        &[("RUST_LOG", "info")],
    );
    let host = collector.url();
    let app = dir.path().join("app");
    std::fs::create_dir_all(&app).unwrap();

    let t = sdk(&app, &host, ANN_MACHINE);
    t.setup_completed(Duration::from_millis(1200));
    t.setup_failed("before the forget");
    assert!(t.flush(WAIT).is_complete());
    export_of(&t, 2);

    // The collector is down: forget() keeps the erase request.
    collector.kill();
    let outcome = t.forget().unwrap();
    assert_eq!(outcome.erase, Erase::Spooled);
    drop(t);
    assert!(app.join("config").join("telemetry-erase.bin").exists());

    // Back up: the next start sends the erase first, then this run's event.
    collector.restart();
    let t = sdk(&app, &host, ANN_MACHINE);
    t.dev_server_started(Duration::from_millis(300));
    assert!(t.flush(WAIT).is_complete());
    let receipts = until("the kept erase to be sent", || {
        let receipts = t.status().erase_receipts;
        (!receipts.is_empty()).then_some(receipts)
    });
    assert_eq!(receipts.len(), 1);
    let status = finished(&t, &receipts[0].id);
    assert_eq!(status.status, EraseState::Done, "{status:?}");
    assert_eq!(status.removed.local, Some(2), "{status:?}");
    assert!(!app.join("config").join("telemetry-erase.bin").exists());

    // What the collector holds now: only the event sent after the erase.
    let exported = export_of(&t, 1);
    assert_eq!(names(&exported), ["dev_server_started"]);
}
