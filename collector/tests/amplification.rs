//! Bounded work per request, measured on the real binary: a ~13 MB body of one million
//! property keys, and the same body with an unknown project key, are refused early (413
//! naming the limit, 401) and the collector's peak resident memory stays under
//! [`PEAK_RSS_BOUND_KB`] (the bound stated in README); and an accepted batch's peak stays a
//! small multiple of its size.

mod common;

use common::{request, Process, KEY};
use std::fmt::Write as _;

/// The documented bound on the collector's peak RSS while it refuses these bodies.
const PEAK_RSS_BOUND_KB: u64 = 64 * 1024;

/// `{"api_key": key, "batch": [{"event", "distinct_id", "properties": {1M keys}}]}`.
fn million_keys(key: &str) -> Vec<u8> {
    let mut body = String::with_capacity(14_000_000);
    let _ = write!(
        body,
        r#"{{"api_key": "{key}", "batch": [{{"event": "setup_completed", "distinct_id": "m", "properties": {{"#
    );
    for i in 0..1_000_000 {
        if i > 0 {
            body.push(',');
        }
        let _ = write!(body, r#""k{i:07}":0"#);
    }
    body.push_str("}}]}");
    body.into_bytes()
}

#[test]
fn a_million_keys_and_an_unknown_key_are_refused_early_within_the_memory_bound() {
    let collector = Process::start("", &[("RUST_LOG", "warn")]);
    let at_start = collector.status_kb("VmHWM");

    let body = million_keys(KEY);
    assert!(
        (12_000_000..14_000_000).contains(&body.len()),
        "{} bytes",
        body.len()
    );
    let json = [("Content-Type", "application/json")];
    let answer = request(collector.addr, "POST", "/batch/", &json, &body);
    assert_eq!(answer.status, 413, "{}", answer.text());
    let error = answer.json();
    assert_eq!(error["code"], "too_many_properties", "{error}");
    let detail = error["detail"].as_str().unwrap();
    assert!(
        detail.contains("limits.max_properties_per_event") && detail.contains("1000"),
        "{detail}"
    );
    let after_properties = collector.status_kb("VmHWM");

    let unknown = million_keys("phc_not_a_configured_project_key");
    let answer = request(collector.addr, "POST", "/batch/", &json, &unknown);
    assert_eq!(answer.status, 401, "{}", answer.text());
    assert_eq!(answer.json()["code"], "invalid_api_key");
    let after_unknown = collector.status_kb("VmHWM");

    // The same body gzipped: inflated up to max_body_bytes, then counted like the plain one.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &body).unwrap();
    let gz = gz.finish().unwrap();
    let gzip = [
        ("Content-Type", "application/json"),
        ("Content-Encoding", "gzip"),
    ];
    let answer = request(collector.addr, "POST", "/batch/", &gzip, &gz);
    assert_eq!(answer.status, 413, "{}", answer.text());
    assert_eq!(answer.json()["code"], "too_many_properties");
    let after_gzip = collector.status_kb("VmHWM");
    eprintln!("gzip body {} bytes", gz.len());

    // Over max_body_bytes by Content-Length: refused before a byte of the body is kept.
    let mut big = million_keys(KEY);
    big.resize(21_000_000, b' ');
    let answer = request(collector.addr, "POST", "/batch/", &json, &big);
    assert_eq!(answer.status, 413, "{}", answer.text());
    assert_eq!(answer.json()["code"], "body_too_large");
    let peak = collector.status_kb("VmHWM");

    eprintln!(
        "collector VmHWM: at start {at_start} kB, after the 1M-key body {after_properties} kB, \
         after the unknown key {after_unknown} kB, after the gzipped body {after_gzip} kB, \
         after the 21 MB body {peak} kB \
         (bound {PEAK_RSS_BOUND_KB} kB)"
    );
    assert!(
        peak < PEAK_RSS_BOUND_KB,
        "peak RSS {peak} kB is over the {PEAK_RSS_BOUND_KB} kB bound"
    );
    let _ = collector.stop();
}

/// An accepted request holds its body, its scrubbed records, and the queue's copy of them
/// at once, but never a tree of the whole batch: its peak growth stays a small multiple of
/// the body ([`ACCEPTED_GROWTH_FACTOR`], stated in README).
const ACCEPTED_GROWTH_FACTOR: u64 = 6;

#[test]
fn an_accepted_batch_peaks_at_a_small_multiple_of_its_size() {
    let collector = Process::start("", &[("RUST_LOG", "warn")]);
    let at_start = collector.status_kb("VmHWM");
    let events: Vec<serde_json::Value> = (0..5000)
        .map(|i| {
            let mut properties = serde_json::Map::new();
            properties.insert("$telemetry_level".into(), "basic".into());
            for p in 0..20 {
                properties.insert(format!("prop_{p}"), format!("value {i} {p} of a setup").into());
            }
            serde_json::json!({"event": "setup_completed", "distinct_id": format!("m-{i}"), "properties": properties})
        })
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({"api_key": KEY, "batch": events})).unwrap();
    let answer = request(collector.addr, "POST", "/batch/", &[], &body);
    assert_eq!(answer.status, 200, "{}", answer.text());
    let peak = collector.status_kb("VmHWM");
    let body_kb = body.len() as u64 / 1024;
    eprintln!(
        "accepted {} events in a {body_kb} kB body: VmHWM {at_start} kB -> {peak} kB \
         (growth {:.1}x the body)",
        events.len(),
        (peak - at_start) as f64 / body_kb as f64
    );
    assert!(
        peak - at_start < ACCEPTED_GROWTH_FACTOR * body_kb,
        "peak grew by {} kB for a {body_kb} kB body",
        peak - at_start
    );
    let _ = collector.stop();
}
