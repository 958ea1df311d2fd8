//! Capture cost and bounds of the SDK.
//!
//! - `capture/setup_failed_scrubbed_200B`: one `setup_failed` call with a 200-byte error
//!   text that the SDK scrubs on the caller's thread (target: ≤ 2 µs median).
//! - `capture/hung_collector`: the same call while the collector accepts connections and
//!   never answers: capture must not block.
//! - `memory/10x_cap`: pushes 10 × the queue cap and reports the queue length and its
//!   approximate bytes, which must stay at the cap.
//!
//! Run: `cargo bench -j2 -p hush-sdk --bench capture -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_main, Criterion};
use hush_sdk::Telemetry;
use std::hint::black_box;
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// 200 bytes, with a home path, an email and a token for the scrubber to find.
const ERROR_TEXT: &str = "ENOENT: cannot read /home/alice/projects/web/app/.env.local while \
    starting the dev server on port 3000 (user alice@example.com, token=abcd1234efgh5678ijkl) \
    after 15320 ms; please retry with --verbose.";

/// A listener that accepts and never answers; returns its URL.
fn hung_collector() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(8).flatten() {
            held.push(stream); // keep it open, never answer
        }
        std::thread::sleep(Duration::from_secs(3600));
    });
    (url, handle)
}

fn client(dir: &std::path::Path, host: &str, cap: usize, batch: usize) -> Telemetry {
    Telemetry::builder("bench", "1.0.0")
        .environment([("NEXT_PUBLIC_POSTHOG_KEY", "phc_bench")])
        .dotenv_dir(dir)
        .config_dir(dir.join("config"))
        .cache_dir(dir.join("cache"))
        .machine_id(Some("bench-machine".into()))
        .host(host)
        .queue_capacity(cap)
        .batch_size(batch)
        .flush_interval(Duration::from_secs(3600))
        .request_timeout(Duration::from_secs(3600))
        .shutdown_timeout(Duration::from_millis(100))
        .build()
}

fn bench(c: &mut Criterion) {
    assert_eq!(ERROR_TEXT.len(), 200, "the error text is 200 bytes");
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, _server) = hung_collector();

    // Batches never fill and the interval never passes: pure capture cost (the queue is
    // at its cap, so each call also drops the oldest).
    let quiet = client(dir.path(), &url, 10_000, usize::MAX);
    c.bench_function("capture/setup_failed_scrubbed_200B", |b| {
        b.iter(|| quiet.setup_failed(black_box(ERROR_TEXT)))
    });
    drop(quiet);

    // Breakdown: the scrubber alone, and a capture without text.
    let scrubber = hush_scrubbers::Scrubber::default();
    c.bench_function("breakdown/scrub_text_only_200B", |b| {
        b.iter(|| scrubber.scrub_text(black_box(ERROR_TEXT)).len())
    });
    let quiet = client(dir.path(), &url, 10_000, usize::MAX);
    c.bench_function("breakdown/setup_completed_no_text", |b| {
        b.iter(|| quiet.setup_completed(black_box(Duration::from_millis(5))))
    });
    drop(quiet);

    // The worker is stuck in a request to the hung collector.
    let hung = client(dir.path(), &url, 10_000, 1);
    hung.setup_completed(Duration::from_millis(1));
    std::thread::sleep(Duration::from_millis(200));
    let mut times: Vec<Duration> = (0..20_000)
        .map(|_| {
            let t = Instant::now();
            hung.setup_failed(ERROR_TEXT);
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "hung collector, 20000 single captures: p50 {:?}, p99 {:?}, p99.9 {:?}, max {:?}",
        times[10_000], times[19_800], times[19_980], times[19_999]
    );
    c.bench_function("capture/hung_collector", |b| {
        b.iter(|| hung.setup_failed(black_box(ERROR_TEXT)))
    });
    drop(hung);

    // Memory stays bounded at the cap.
    let cap = 1_000;
    let bounded = client(dir.path(), &url, cap, usize::MAX);
    c.bench_function("memory/push_10x_cap", |b| {
        b.iter(|| {
            for _ in 0..10 * cap {
                bounded.setup_failed(ERROR_TEXT);
            }
        })
    });
    let stats = bounded.status().stats;
    println!(
        "memory: cap {cap}, after pushing 10x cap: queue_len {} (≤ cap), ~{} KiB queued, {} dropped oldest",
        stats.queue_len,
        stats.queue_bytes / 1024,
        stats.dropped_queue_full
    );
    assert!(stats.queue_len <= cap);
    drop(bounded);
}

mod harness {
    use super::bench;
    criterion::criterion_group!(benches, bench);
}
criterion_main!(harness::benches);
