//! What goes on the wire: a gzip-compressed PostHog batch without personal data, ids that
//! are app-specific and never the raw machine id, and only events the collector's default
//! policy forwards.

mod common;

use common::collector::Collector;
use common::sandbox::{catalogue_names, every_event, names, Dirs, KEY, RAW_ID, WAIT};
use hush_sdk::{Level, Telemetry};
use std::time::Duration;

#[test]
fn wire_format_is_a_gzip_posthog_batch_without_personal_data() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let t = Telemetry::builder("devtool", "1.2.3")
        .environment([
            ("NEXT_PUBLIC_POSTHOG_KEY", KEY),
            ("HOME", "/home/zoe-tester"),
            ("USER", "zoe-tester"),
        ])
        .dotenv_dir(dirs.project())
        .config_dir(dirs.config())
        .cache_dir(dirs.cache())
        .host(collector.url())
        .flush_interval(Duration::from_secs(60))
        .build(); // the real OS machine id
    t.setup_failed(
        "cannot open /home/zoe-tester/work/app/.env as zoe-tester: token=ghp_abcdefghijklmnopqrstuvwxyz0123456789 mail zoe@example.com",
    );
    t.dev_server_failed(std::io::Error::other("EADDRINUSE: port 3000 in use"));
    t.setup_completed(Duration::from_millis(1234));
    assert!(t.flush(WAIT).is_complete());
    let requests = collector.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, "/batch/");
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["api_key"], KEY);
    time::OffsetDateTime::parse(
        body["sent_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let batch = body["batch"].as_array().unwrap();
    assert_eq!(
        names(batch),
        ["setup_failed", "dev_server_failed", "setup_completed"]
    );
    let mut uuids = std::collections::HashSet::new();
    for e in batch {
        let uuid: uuid::Uuid = e["uuid"].as_str().unwrap().parse().unwrap();
        assert_eq!(uuid.get_version_num(), 4);
        assert!(uuids.insert(uuid));
        time::OffsetDateTime::parse(
            e["timestamp"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let id = e["distinct_id"].as_str().unwrap();
        assert_eq!(id.len(), 32);
        assert!(!["anonymous", "0", "null", "user", "undefined"].contains(&id));
        let p = e["properties"].as_object().unwrap();
        assert_eq!(p["$telemetry_level"], "basic");
        assert_eq!(p["app_version"], "1.2.3");
        assert_eq!(p["os"], std::env::consts::OS);
        assert_eq!(p["arch"], std::env::consts::ARCH);
        assert_eq!(p["sdk_version"], env!("CARGO_PKG_VERSION"));
        assert!(p["session_id"].as_str().is_some());
        for forbidden in [
            "$ip",
            "hostname",
            "$hostname",
            "username",
            "cwd",
            "$set",
            "$set_once",
        ] {
            assert!(!p.contains_key(forbidden), "{forbidden}");
        }
    }
    assert_eq!(
        batch[1]["properties"]["error"],
        "EADDRINUSE: port 3000 in use"
    );
    assert_eq!(batch[2]["properties"]["duration_ms"], 1234.0);
    // Nothing personal on the wire.
    let text = &r.body;
    assert!(!text.contains("zoe-tester"), "{text}");
    assert!(
        !text.contains("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        "{text}"
    );
    assert!(!text.contains("zoe@example.com"), "{text}");
    if let Ok(raw) = machine_uid::get() {
        assert!(!text.contains(raw.trim()), "raw machine id on the wire");
    }
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    if host.trim().len() > 3 {
        assert!(!text.contains(host.trim()), "host name on the wire");
    }
    if let Ok(cwd) = std::env::current_dir() {
        assert!(
            !text.contains(cwd.to_str().unwrap()),
            "working directory on the wire"
        );
    }
}

#[test]
fn the_raw_machine_id_never_reaches_the_wire_and_ids_are_app_specific() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let env = [("NEXT_PUBLIC_POSTHOG_KEY", KEY)];
    for app in ["devtool", "othertool"] {
        let t = Telemetry::builder(app, "1")
            .environment(env)
            .dotenv_dir(dirs.project())
            .config_dir(dirs.config().join(app))
            .cache_dir(dirs.cache())
            .host(collector.url())
            .machine_id(Some(RAW_ID.into()))
            .build();
        t.setup_failed(format!(
            "id is {RAW_ID}? no: scrubbed? it is the app's own text"
        ));
        t.setup_completed(Duration::from_secs(1));
        assert!(t.flush(WAIT).is_complete());
    }
    let events = collector.events();
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e["distinct_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0], ids[2], "ids must differ between apps");
    for id in ids {
        assert!(!id.contains(RAW_ID));
    }
    // No machine id: a random id stored once, mode 0600.
    let t = dirs
        .builder(&collector.url(), &env)
        .machine_id(None)
        .build();
    t.setup_completed(Duration::from_secs(1));
    assert!(t.flush(WAIT).is_complete());
    drop(t);
    let id_file = dirs.config().join("telemetry-id");
    let stored = std::fs::read_to_string(&id_file).unwrap();
    let last = collector.events().last().unwrap()["distinct_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(stored.trim(), last);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&id_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

/// The SDK and the collector share one catalogue: every catalogued event is sent by an SDK
/// method (each once, in catalogue order), and every event an SDK method sends is one the
/// collector's default policy forwards, at the level it was sent.
#[test]
fn every_event_the_sdk_sends_is_one_the_default_policy_forwards() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let env = [
        ("NEXT_PUBLIC_POSTHOG_KEY", KEY),
        ("HUSH_TELEMETRY_LEVEL", "full"),
    ];
    let t = dirs.builder(&collector.url(), &env).build();
    assert_eq!(t.status().level, Level::Full);
    every_event(&t);
    assert!(t.flush(WAIT).is_complete());
    let events = collector.events();
    assert_eq!(names(&events), catalogue_names(None));
    let policy = hush_config::Policy::default();
    for event in &events {
        let name = event["event"].as_str().unwrap();
        let class = policy
            .class_of(name)
            .unwrap_or_else(|| panic!("the default policy drops `{name}`"));
        if class == hush_config::EventClass::OptIn {
            assert_eq!(event["properties"]["$telemetry_level"], "full", "{name}");
        }
    }
}
