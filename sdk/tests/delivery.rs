//! Delivery when the collector is not simply up: retries and `Retry-After`, a collector
//! that is down (the encrypted spool, delivered on the next run) or hung (capture and
//! shutdown never block), and a spool that is corrupt or another app's.

mod common;

use common::collector::Collector;
use common::sandbox::{names, Dirs, KEY, WAIT};
use hush_sdk::{Level, Telemetry};
use std::time::{Duration, Instant};

#[test]
fn collector_down_events_are_spooled_encrypted_and_delivered_next_run() {
    let dirs = Dirs::new();
    let env = [("NEXT_PUBLIC_POSTHOG_KEY", KEY)];
    let t = dirs
        .builder(&Collector::down_url(), &env)
        .shutdown_timeout(Duration::from_secs(2))
        .build();
    t.setup_failed("SPOOL-MARKER-ONE failed");
    t.dev_server_failed("SPOOL-MARKER-TWO failed");
    let flush = t.flush(Duration::from_secs(2));
    assert_eq!(flush.pending, 2);
    let started = Instant::now();
    let shutdown = t.shutdown(Duration::from_secs(2));
    assert!(shutdown.is_complete(), "{shutdown:?}");
    assert!(started.elapsed() < Duration::from_millis(2500));
    assert_eq!(t.status().stats.spooled, 2);
    drop(t);

    let spool = dirs.cache().join("telemetry-spool.bin");
    let raw = std::fs::read(&spool).expect("spool written");
    let needle = b"SPOOL-MARKER";
    assert!(
        !raw.windows(needle.len()).any(|w| w == needle),
        "plaintext in the spool"
    );
    assert!(
        !raw.windows(6).any(|w| w == b"setup_"),
        "plaintext in the spool"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [&spool, &dirs.config().join("telemetry-spool.key")] {
            assert_eq!(
                std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    // Next run, the collector is up.
    let collector = Collector::start();
    let t = dirs.builder(&collector.url(), &env).build();
    assert_eq!(t.status().stats.restored, 2);
    t.setup_completed(Duration::from_secs(1));
    assert!(t.flush(WAIT).is_complete());
    let events = collector.events();
    assert_eq!(
        names(&events),
        ["setup_failed", "dev_server_failed", "setup_completed"]
    );
    assert!(events[0]["properties"]["error"]
        .as_str()
        .unwrap()
        .contains("SPOOL-MARKER-ONE"));
    drop(t);
    assert!(!spool.exists(), "the spool is consumed");
}

#[test]
fn a_corrupt_or_foreign_spool_is_discarded_with_a_warning() {
    let collector = Collector::start();
    let env = [("NEXT_PUBLIC_POSTHOG_KEY", KEY)];
    for content in [
        &b"garbage"[..],
        b"HUSHSPL1\0\0\0\0\0\0\0\0\0\0\0\0not-really-ciphertext",
        b"",
    ] {
        let dirs = Dirs::new();
        std::fs::create_dir_all(dirs.cache()).unwrap();
        std::fs::create_dir_all(dirs.config()).unwrap();
        std::fs::write(dirs.config().join("telemetry-spool.key"), [7u8; 32]).unwrap();
        std::fs::write(dirs.cache().join("telemetry-spool.bin"), content).unwrap();
        let t = dirs.builder(&collector.url(), &env).build();
        let status = t.status();
        assert_eq!(status.level, Level::Basic);
        assert!(
            status
                .warnings
                .iter()
                .any(|w| w.contains("corrupt or foreign")),
            "{:?}",
            status.warnings
        );
        assert!(!dirs.cache().join("telemetry-spool.bin").exists());
        t.setup_completed(Duration::from_secs(1));
        assert!(t.flush(WAIT).is_complete());
    }
    // Another app's spool (same directories, different app name) is foreign.
    let dirs = Dirs::new();
    let down = Telemetry::builder("someone-else", "1")
        .environment(env)
        .dotenv_dir(dirs.project())
        .config_dir(dirs.config())
        .cache_dir(dirs.cache())
        .host(Collector::down_url())
        .retries(1, Duration::from_millis(1))
        .build();
    down.setup_completed(Duration::from_secs(1));
    drop(down);
    assert!(dirs.cache().join("telemetry-spool.bin").exists());
    let t = dirs.builder(&collector.url(), &env).build();
    assert_eq!(t.status().stats.restored, 0);
    assert!(t
        .status()
        .warnings
        .iter()
        .any(|w| w.contains("corrupt or foreign")));
}

#[test]
fn a_hung_collector_never_blocks_capture_and_shutdown_keeps_its_deadline() {
    let collector = Collector::hung();
    let dirs = Dirs::new();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .batch_size(1)
        .queue_capacity(50)
        .request_timeout(Duration::from_secs(30))
        .shutdown_timeout(Duration::from_millis(800))
        .build();
    t.setup_completed(Duration::from_secs(1));
    // Give the worker time to get stuck in the request.
    let end = Instant::now() + WAIT;
    while collector.connections() == 0 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    for i in 0..10_000 {
        t.setup_failed(format!("error {i}"));
    }
    let capture_time = started.elapsed();
    assert!(capture_time < Duration::from_secs(2), "{capture_time:?}");
    let stats = t.status().stats;
    assert!(stats.queue_len <= 50);
    assert!(stats.dropped_queue_full >= 10_000 - 51);
    let flush_started = Instant::now();
    let flush = t.flush(Duration::from_millis(300));
    assert!(flush_started.elapsed() < Duration::from_millis(600));
    assert!(!flush.is_complete());
    let started = Instant::now();
    drop(t);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1300), "shutdown took {took:?}");
    assert!(
        dirs.cache().join("telemetry-spool.bin").exists(),
        "the rest is spooled"
    );
}

#[test]
fn drop_flushes_what_is_queued() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .build();
    t.setup_completed(Duration::from_secs(1));
    t.dev_server_started(Duration::from_secs(1));
    let started = Instant::now();
    drop(t);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        names(&collector.events()),
        ["setup_completed", "dev_server_started"]
    );
    assert!(!dirs.cache().join("telemetry-spool.bin").exists());
}

#[test]
fn retries_5xx_and_honours_retry_after() {
    let collector = Collector::start();
    collector.script(&[(503, None), (429, Some("1")), (200, None)]);
    let dirs = Dirs::new();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .build();
    t.setup_completed(Duration::from_secs(1));
    assert!(t.flush(WAIT).is_complete());
    let requests = collector.requests();
    assert_eq!(requests.len(), 3);
    let gap = requests[2].at - requests[1].at;
    assert!(
        gap >= Duration::from_millis(950),
        "Retry-After not honoured: {gap:?}"
    );
    assert_eq!(t.status().stats.sent, 1);
    assert_eq!(t.status().stats.failed_attempts, 2);

    // 400 is final: no retry, counted.
    let collector = Collector::start();
    collector.script(&[(400, None)]);
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .build();
    t.setup_completed(Duration::from_secs(1));
    assert!(t.flush(WAIT).is_complete());
    assert_eq!(collector.requests().len(), 1);
    assert_eq!(t.status().stats.rejected, 1);
    assert!(t.status().warnings.iter().any(|w| w.contains("400")));
}
