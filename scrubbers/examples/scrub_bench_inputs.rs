//! Scrubs the benchmark inputs N times, for instruction counting with callgrind or
//! `perf stat`, which are steadier than wall-clock time on a shared machine.
//!
//! ```text
//! cargo build --release -p hush-scrubbers --example scrub_bench_inputs
//! valgrind --tool=callgrind target/release/examples/scrub_bench_inputs clean 20
//! valgrind --tool=callgrind target/release/examples/scrub_bench_inputs clean 20 before
//! ```
//!
//! Inputs: `clean` (benches/data/clean_logs.txt), `dense` (benches/data/pii_dense.txt),
//! `small` (the 200-byte SDK error string of the criterion bench).

use std::hint::black_box;

const CLEAN: &str = include_str!("../benches/data/clean_logs.txt");
const PII: &str = include_str!("../benches/data/pii_dense.txt");
const SMALL: &str = "Error: EACCES: permission denied, open '/home/jdoe/projects/app/.env' while \
                     connecting as jane.doe@example.com with token=ghp_W1xxyR8flyCb1pxAKXEpZ9ezz1phTtmvK6NT [node v20.11.1]";

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "clean".to_owned());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let text = match which.as_str() {
        "clean" => CLEAN,
        "dense" => PII,
        "small" => SMALL,
        other => panic!("unknown input {other:?}: use clean, dense or small"),
    };
    // A third argument `before` runs the engine from before the detector catalogue
    // (`hush-scrubbers-baseline`) instead, for instruction counts side by side;
    // `no-names` runs today's engine with the person-name detector off, `names-only` the
    // person-name detector alone.
    let mode = args.next();
    let before = mode.as_deref() == Some("before");
    let scrubber = if mode.as_deref() == Some("no-names") {
        hush_scrubbers::Scrubber::builder()
            .disable("person_name")
            .build()
            .expect("valid")
    } else {
        hush_scrubbers::Scrubber::default()
    };
    let baseline = hush_scrubbers_baseline::Scrubber::default();
    let names_only = mode.as_deref() == Some("names-only");
    let scrub = |t: &str| {
        if names_only {
            use hush_scrubbers::NameDetector;
            let mut spans = Vec::new();
            hush_scrubbers::PersonNames.find_names(t, &mut spans);
            spans.len()
        } else if before {
            baseline.scrub_text(t).len()
        } else {
            scrubber.scrub_text(t).len()
        }
    };
    // Warm lazily built tables so they do not count per iteration.
    black_box(scrub(text));
    let mut total = 0usize;
    for _ in 0..n {
        total += scrub(black_box(text));
    }
    println!(
        "{which} x{n}: {} bytes in, {total} bytes out",
        text.len() * n
    );
}
