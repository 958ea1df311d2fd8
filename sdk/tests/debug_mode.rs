//! Debug mode (`HUSH_TELEMETRY_DEBUG=1`): events are printed as JSON lines and nothing is
//! sent or written.

mod common;

use common::collector::Collector;
use common::sandbox::{catalogue_names, every_event, names, Captured, Dirs, KEY};
use hush_sdk::EventClass;
use serde_json::Value;
use std::time::Duration;

#[test]
fn debug_mode_prints_events_and_sends_nothing() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let out = Captured::default();
    let t = dirs
        .builder(
            &collector.url(),
            &[
                ("NEXT_PUBLIC_POSTHOG_KEY", KEY),
                ("HUSH_TELEMETRY_DEBUG", "1"),
            ],
        )
        .debug_writer(out.clone())
        .build();
    let status = t.status();
    assert!(status.debug);
    assert!(!status.sending);
    assert!(status.to_string().contains("debug"));
    every_event(&t);
    assert!(t.flush(Duration::from_millis(100)).is_complete());
    drop(t);
    let text = out.text();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(names(&lines), catalogue_names(Some(EventClass::Basic)));
    assert_eq!(collector.connections(), 0);
    assert!(!dirs.cache().exists());
}
