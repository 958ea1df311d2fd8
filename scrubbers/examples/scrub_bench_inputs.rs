//! Scrubs the benchmark inputs N times, for instruction counting with callgrind or
//! `perf stat`, which are steadier than wall-clock time on a shared machine.
//!
//! ```text
//! cargo build --release -p hush-scrubbers --example scrub_bench_inputs
//! valgrind --tool=callgrind target/release/examples/scrub_bench_inputs clean 20
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
    let scrubber = hush_scrubbers::Scrubber::default();
    // Warm lazily built tables so they do not count per iteration.
    black_box(scrubber.scrub_text(text).len());
    let mut total = 0usize;
    for _ in 0..n {
        total += scrubber.scrub_text(black_box(text)).len();
    }
    println!(
        "{which} x{n}: {} bytes in, {total} bytes out",
        text.len() * n
    );
}
