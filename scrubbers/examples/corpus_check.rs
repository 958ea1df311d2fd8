//! Measures leaks and keeps on a labelled JSONL corpus (rows with `event`, `canaries`,
//! `keep`). Finds classes of misses; it is a measurement tool, not a test.
//!
//! ```text
//! cargo run --release -p hush-scrubbers --example corpus_check -- path/to/dev.jsonl [-v]
//! ```

use std::collections::BTreeMap;

use hush_scrubbers::{ScrubContext, Scrubber};
use serde_json::Value;

const KINDS: &[&str] = &[
    "email",
    "ipv4",
    "phone",
    "openai_key",
    "user_path",
    "username",
    "url_password",
    "credit_card",
    "github_token",
    "jwt",
    "private_key",
    "slack_token",
    "stripe_key",
    "aws_access_key",
    "aws_secret_key",
];

fn leaked(kind: &str, value: &str, out: &str) -> bool {
    if out.contains(value) {
        return true;
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    if matches!(kind, "phone" | "credit_card" | "iban" | "ssn") {
        let out_digits: Vec<String> = out
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| s.len() >= 7)
            .map(str::to_owned)
            .collect();
        return digits.as_bytes().windows(7).any(|w| {
            out_digits
                .iter()
                .any(|o| o.contains(std::str::from_utf8(w).unwrap()))
        });
    }
    if value.len() >= 16 && !matches!(kind, "email" | "user_path" | "username" | "ipv4") {
        let v: Vec<char> = value.chars().collect();
        return v
            .windows(16)
            .any(|w| out.contains(&w.iter().collect::<String>()));
    }
    false
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: corpus_check CORPUS.jsonl [-v]");
    let verbose = args.next().is_some();
    let text = std::fs::read_to_string(path).expect("read corpus");
    let scrubber = Scrubber::default();
    let mut per: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let (mut keeps, mut kept) = (0u32, 0u32);
    for line in text.lines() {
        let row: Value = serde_json::from_str(line).expect("json row");
        let mut event = row["event"].clone();
        let mut ctx = ScrubContext::new();
        scrubber.scrub_json(&mut event, &mut ctx);
        // Compare on decoded strings as well as the JSON text.
        let out = serde_json::to_string(&event).unwrap();
        let mut strings = String::new();
        collect(&event, &mut strings);
        for c in row["canaries"].as_array().unwrap() {
            let kind = c["kind"].as_str().unwrap();
            if !KINDS.contains(&kind) {
                continue;
            }
            let value = c["value"].as_str().unwrap();
            let e = per.entry(kind.to_owned()).or_default();
            e.0 += 1;
            if leaked(kind, value, &strings) || leaked(kind, value, &out) {
                e.1 += 1;
                if verbose {
                    println!("LEAK {kind}: {value:?}\n   in {}", trunc(&strings));
                }
            }
        }
        for k in row["keep"].as_array().unwrap() {
            let k = k.as_str().unwrap();
            keeps += 1;
            if strings.contains(k) || out.contains(k) {
                kept += 1;
            } else if verbose {
                println!("LOST {k:?}\n   in {}", trunc(&strings));
            }
        }
    }
    let (mut total, mut leaks) = (0, 0);
    for (k, (n, l)) in &per {
        println!("{k:16} {l:4} / {n:4} leaked");
        total += n;
        leaks += l;
    }
    println!(
        "leak {:.2}% ({leaks}/{total})   keep {:.2}% ({kept}/{keeps})",
        100.0 * f64::from(leaks) / f64::from(total.max(1)),
        100.0 * f64::from(kept) / f64::from(keeps.max(1))
    );
}

fn trunc(s: &str) -> String {
    s.chars().take(400).collect()
}

fn collect(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\u{1}');
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            out.push_str(k);
            out.push('\u{1}');
            collect(x, out);
        }),
        other => {
            out.push_str(&other.to_string());
            out.push('\u{1}');
        }
    }
}
