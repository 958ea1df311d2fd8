//! The bounded queue and batching: a full queue drops the oldest events and counts them;
//! batches leave by size and by interval.

mod common;

use common::collector::Collector;
use common::sandbox::{Dirs, KEY, WAIT};
use std::time::Duration;

#[test]
fn a_full_queue_drops_the_oldest_and_counts() {
    let dirs = Dirs::new();
    let env = [("NEXT_PUBLIC_POSTHOG_KEY", KEY)];
    let t = dirs
        .builder(&Collector::down_url(), &env)
        .queue_capacity(10)
        .batch_size(1000)
        .build();
    for i in 0..100 {
        t.setup_failed(format!("event-{i:03}"));
    }
    let stats = t.status().stats;
    assert_eq!(stats.queue_len, 10);
    assert_eq!(stats.dropped_queue_full, 90);
    assert_eq!(t.shutdown(Duration::from_secs(2)).pending, 0);
    drop(t);
    // What survived are the 10 newest, in order.
    let collector = Collector::start();
    let t = dirs.builder(&collector.url(), &env).build();
    assert!(t.flush(WAIT).is_complete());
    let errors: Vec<String> = collector
        .events()
        .iter()
        .map(|e| e["properties"]["error"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = (90..100).map(|i| format!("event-{i:03}")).collect();
    assert_eq!(errors, expected);
}

#[test]
fn batches_leave_by_size_and_by_interval() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .batch_size(3)
        .build();
    for _ in 0..3 {
        t.setup_completed(Duration::from_secs(1));
    }
    assert_eq!(collector.wait_for_events(3, WAIT).len(), 3);
    assert_eq!(collector.requests().len(), 1);
    drop(t);

    let collector = Collector::start();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .flush_interval(Duration::from_millis(200))
        .build();
    t.setup_completed(Duration::from_secs(1));
    assert_eq!(collector.wait_for_events(1, WAIT).len(), 1);
}
