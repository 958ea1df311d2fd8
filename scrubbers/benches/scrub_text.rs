//! Throughput of `Scrubber::scrub_text` on clean log text and on PII-dense text, against
//! the engine before the detector catalogue (`hush-scrubbers-baseline`, a frozen copy) and
//! a naive baseline that applies one regex per rule in turn (`replace_all` per rule), all
//! in the same run.

use std::hint::black_box;

use criterion::{criterion_main, Criterion, Throughput};
use hush_scrubbers::{NameDetector, PersonNames, Scrubber};
use regex::Regex;

const CLEAN: &str = include_str!("data/clean_logs.txt");
const PII: &str = include_str!("data/pii_dense.txt");
/// Technical prose full of capitalised words: the name detector's worst case.
const PROSE: &str = include_str!("../tests/names/hard_negatives.txt");

/// Roughly the same rules as regexes, the way a first implementation would write them.
const NAIVE_RULES: &[(&str, &str)] = &[
    (
        "[PRIVATE_KEY]",
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)",
    ),
    (
        "[URL_CREDS]",
        r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^\s:/@]*:[^\s/@]+@",
    ),
    ("[EMAIL]", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    (
        "[JWT]",
        r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*",
    ),
    (
        "[OPENAI]",
        r"\bsk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}",
    ),
    (
        "[GITHUB]",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})",
    ),
    (
        "[AWS]",
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b",
    ),
    ("[GOOGLE]", r"\bAIza[A-Za-z0-9_-]{35}"),
    ("[SLACK]", r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    ("[STRIPE]", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("[NPM]", r"\bnpm_[A-Za-z0-9]{36}"),
    ("[HF]", r"\bhf_[A-Za-z0-9]{30,}"),
    ("[GITLAB]", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    ("[BEARER]", r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    (
        "[KV]",
        r#"(?i)\b[a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)["']?\s*[:=]\s*["']?[^\s"',;&]{3,}"#,
    ),
    ("[HOME]", r"(?:/home/|/Users/|[A-Za-z]:\\Users\\)[^/\\\s]+"),
    (
        "[IPV4]",
        r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b",
    ),
    (
        "[IPV6]",
        r"\b(?:[0-9A-Fa-f]{1,4}:){2,7}(?::|[0-9A-Fa-f]{1,4})\b",
    ),
    ("[MAC]", r"\b[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}\b"),
    ("[CARD]", r"\b(?:\d[ -]?){12,18}\d\b"),
    ("[SSN]", r"\b\d{3}-\d{2}-\d{4}\b"),
    (
        "[IBAN]",
        r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
    ),
    (
        "[PHONE]",
        r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}[ .-]\d{2,4}[ .-]\d{2,4}(?:[ .-]\d{2,4})?",
    ),
    ("[HIGH_ENTROPY]", r"\b[A-Za-z0-9+/_-]{32,}={0,2}"),
];

fn naive(rules: &[(&str, Regex)], text: &str) -> String {
    let mut s = text.to_owned();
    for (placeholder, re) in rules {
        if let std::borrow::Cow::Owned(o) = re.replace_all(&s, *placeholder) {
            s = o;
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let scrubber = Scrubber::default();
    let before = hush_scrubbers_baseline::Scrubber::default();
    let rules: Vec<(&str, Regex)> = NAIVE_RULES
        .iter()
        .map(|(p, r)| (*p, Regex::new(r).expect("baseline regex")))
        .collect();
    // The built-in person-name detector is on by default; the issue's bar compares the two
    // in the same run.
    let without_names = Scrubber::builder()
        .disable("person_name")
        .build()
        .expect("valid");
    for (name, text) in [("clean_logs", CLEAN), ("pii_dense", PII), ("prose", PROSE)] {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function("hush_scrub_text", |b| {
            b.iter(|| scrubber.scrub_text(black_box(text)).len())
        });
        group.bench_function("hush_without_names", |b| {
            b.iter(|| without_names.scrub_text(black_box(text)).len())
        });
        group.bench_function("person_names_alone", |b| {
            b.iter(|| {
                let mut spans = Vec::new();
                PersonNames.find_names(black_box(text), &mut spans);
                spans.len()
            })
        });
        group.bench_function("before_catalogue", |b| {
            b.iter(|| before.scrub_text(black_box(text)).len())
        });
        group.bench_function("naive_regex_per_rule", |b| {
            b.iter(|| naive(&rules, black_box(text)).len())
        });
        group.finish();
    }
    // Per-call cost on one SDK-sized error string (what `capture` pays).
    let small = "Error: EACCES: permission denied, open '/home/jdoe/projects/app/.env' while \
                 connecting as jane.doe@example.com with token=ghp_W1xxyR8flyCb1pxAKXEpZ9ezz1phTtmvK6NT [node v20.11.1]";
    let mut group = c.benchmark_group("small_error_200B");
    group.throughput(Throughput::Bytes(small.len() as u64));
    group.bench_function("hush_scrub_text", |b| {
        b.iter(|| scrubber.scrub_text(black_box(small)).len())
    });
    group.bench_function("hush_without_names", |b| {
        b.iter(|| without_names.scrub_text(black_box(small)).len())
    });
    group.bench_function("before_catalogue", |b| {
        b.iter(|| before.scrub_text(black_box(small)).len())
    });
    group.finish();
}

// The macros generate undocumented items.
#[allow(missing_docs)]
mod harness {
    criterion::criterion_group!(benches, super::bench);
}

criterion_main!(harness::benches);
