//! Property tests: no panics, idempotence, nothing detected survives, planted secrets vanish.

use hush_scrubbers::{Redaction, ScrubContext, Scrubber};
use proptest::prelude::*;
use serde_json::Value;

fn scrubber() -> Scrubber {
    Scrubber::default()
}

/// Text made of fragments that look like log lines, digits, separators and anchors, so the
/// detectors' edge cases are reached far more often than with uniform strings.
fn loggy_text() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        "[a-zA-Z]{1,12}",
        "[0-9]{1,6}",
        "[ .:/\\-_@=+()\\[\\]\"'#,;\\\\\n]{1,3}",
        Just("://".to_owned()),
        Just("@".to_owned()),
        Just("password=".to_owned()),
        Just("/home/".to_owned()),
        Just("C:\\Users\\".to_owned()),
        Just("-----BEGIN PRIVATE KEY-----".to_owned()),
        Just("eyJ".to_owned()),
        Just("sk-".to_owned()),
        Just("[REDACTED:".to_owned()),
        Just("[EMAIL]".to_owned()),
        "\\PC{1,4}",
        "[A-Za-z0-9+/]{20,50}",
    ];
    prop::collection::vec(fragment, 0..24).prop_map(|v| v.concat())
}

/// Whitespace-separated words of realistic telemetry text, with planted values.
fn realistic_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        4 => "[a-zA-Z]{1,12}[.,:;]?",
        2 => "[0-9]{1,5}(ms|s|%)?",
        1 => "v?[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}",
        1 => "(src|lib|app)/[a-z]{1,8}\\.(rs|ts|js):[0-9]{1,3}",
        1 => "/home/[a-z]{2,8}/[a-z]{1,8}",
        1 => "C:\\\\Users\\\\[A-Za-z]{2,8}\\\\[a-z]{1,8}",
        1 => "(password|api_key|token|max_tokens)[=:][A-Za-z0-9!*$]{1,16}",
        1 => "postgres://[a-z]{1,6}:[A-Za-z0-9!*$)]{1,12}@[a-z]{2,8}\\.com:5432/db",
        1 => "localhost:[0-9]{4}",
        1 => "E[A-Z]{4,10}",
        2 => planted(),
    ];
    prop::collection::vec(word, 0..16).prop_map(|w| w.join(" "))
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        loggy_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    loggy_text(),
                    Just("password".to_owned()),
                    Just("api_key".to_owned()),
                    Just("max_tokens".to_owned())
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn realistic_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::from),
        realistic_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-z_$]{1,12}",
                    Just("password".to_owned()),
                    Just("api_key".to_owned()),
                    planted()
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn email() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9._+-]{0,10}[a-z0-9]",
        "[a-z][a-z0-9-]{0,8}[a-z0-9]",
        "(com|org|net|io|de|co\\.uk)",
    )
        .prop_map(|(l, d, t)| format!("{l}@{d}.{t}"))
}

fn card() -> impl Strategy<Value = String> {
    (prop::collection::vec(0u8..10, 14), prop::bool::ANY).prop_map(|(mut digits, spaced)| {
        digits.insert(0, 4);
        // Luhn check digit over 15 payload digits.
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &d)| {
                let d = u32::from(d);
                if i % 2 == 0 {
                    let x = d * 2;
                    if x > 9 {
                        x - 9
                    } else {
                        x
                    }
                } else {
                    d
                }
            })
            .sum();
        digits.push(((10 - sum % 10) % 10) as u8);
        let s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        if spaced {
            s.as_bytes()
                .chunks(4)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            s
        }
    })
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9]{36}".prop_map(|s| format!("ghp_{s}")),
        "[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}".prop_map(|s| format!("sk-{s}")),
        "[A-Z0-9]{16}".prop_map(|s| format!("AKIA{s}")),
        "[A-Za-z0-9]{24}".prop_map(|s| format!("sk_live_{s}")),
        ("[0-9]{11}", "[0-9]{12}", "[A-Za-z0-9]{24}")
            .prop_map(|(a, b, c)| format!("xoxb-{a}-{b}-{c}")),
        (
            "[A-Za-z0-9_-]{20}",
            "[A-Za-z0-9_-]{30}",
            "[A-Za-z0-9_-]{43}"
        )
            .prop_map(|(a, b, c)| format!("eyJ{a}.eyJ{b}.{c}")),
    ]
}

fn ipv4() -> impl Strategy<Value = String> {
    (
        prop_oneof![11u8..=126, 128u8..=223],
        any::<u8>(),
        any::<u8>(),
        1u8..=254,
    )
        .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}"))
}

fn planted() -> impl Strategy<Value = String> {
    prop_oneof![email(), card(), token(), ipv4()]
}

/// Filler words that keep a planted value separated from its neighbours.
fn filler() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z]{1,10}",
            "[0-9]{1,3}",
            Just("Error:".to_owned()),
            Just("(".to_owned()),
            Just(")".to_owned())
        ],
        0..6,
    )
    .prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn uuids_pass_unchanged(bytes in any::<[u8; 16]>(), version in prop::sample::select(vec![4u8, 7])) {
        // posthog-js ids (`$session_id`, `$pageview_id`) are v7, the SDK's v4: ids, not data.
        let mut b = bytes;
        b[6] = (b[6] & 0x0f) | (version << 4);
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        let id = format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]);
        for text in [id.clone(), format!("session {id} ended"), format!("{{\"id\":\"{id}\"}}")] {
            prop_assert_eq!(scrubber().scrub_text(&text), text.clone());
        }
    }

    #[test]
    fn never_panics_on_any_string(s in "\\PC*") {
        let s2 = scrubber();
        let _ = s2.scrub_text(&s);
        let _ = s2.find(&s);
    }

    #[test]
    fn never_panics_on_any_json(mut v in json_value()) {
        let mut ctx = ScrubContext::new();
        scrubber().scrub_json(&mut v, &mut ctx);
    }

    #[test]
    fn findings_are_sorted_disjoint_and_on_char_boundaries(s in loggy_text()) {
        let f = scrubber().find(&s);
        for w in f.windows(2) {
            prop_assert!(w[0].range.end <= w[1].range.start);
        }
        for x in &f {
            prop_assert!(x.range.start < x.range.end);
            prop_assert!(s.is_char_boundary(x.range.start) && s.is_char_boundary(x.range.end));
        }
    }

    #[test]
    fn idempotent(s in realistic_text()) {
        let sc = scrubber();
        let once = sc.scrub_text(&s).into_owned();
        let twice = sc.scrub_text(&once).into_owned();
        prop_assert_eq!(&once, &twice);
        prop_assert!(sc.find(&once).is_empty(), "detected span survived in {:?}", once);
    }

    #[test]
    fn idempotent_with_hash(s in realistic_text()) {
        // Mask and Remove keep or join fragments of the input, so only Placeholder and
        // Hash promise idempotence.
        let sc = Scrubber::builder().default_action(Redaction::Hash).build().unwrap();
        let mut ctx = ScrubContext::with_hash_key([1; 32]);
        let once = sc.scrub_text_with(&s, &mut ctx).into_owned();
        let twice = sc.scrub_text_with(&once, &mut ctx).into_owned();
        prop_assert_eq!(&once, &twice);
    }

    #[test]
    fn json_idempotent(v in realistic_json()) {
        let sc = scrubber();
        let mut once = v;
        sc.scrub_json(&mut once, &mut ScrubContext::new());
        let mut twice = once.clone();
        sc.scrub_json(&mut twice, &mut ScrubContext::new());
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn planted_values_vanish(before in filler(), secret in planted(), after in filler()) {
        let text = format!("{before} {secret} {after}");
        let out = scrubber().scrub_text(&text).into_owned();
        prop_assert!(!out.contains(&secret), "{:?} survived in {:?}", secret, out);
    }

    #[test]
    fn planted_values_vanish_from_json(key in "[a-z_]{1,10}", secret in planted(), before in filler()) {
        let mut v = serde_json::json!({ key: format!("{before} {secret}"), "nested": [{"x": secret.clone()}] });
        let mut ctx = ScrubContext::new();
        scrubber().scrub_json(&mut v, &mut ctx);
        let out = v.to_string();
        prop_assert!(!out.contains(&secret), "{:?} survived in {}", secret, out);
        prop_assert!(ctx.total() >= 2);
    }

    /// A value found only by its context (behind a secret key) is gone from the whole
    /// event: from other properties, nested arrays and key-less prose.
    #[test]
    fn a_found_value_is_gone_from_the_whole_event(
        key in "(password|api_key|client_secret|auth_token|DB_PASS)",
        secret in "[A-Za-z][A-Za-z0-9]{5,10}[0-9][A-Za-z0-9!#%^]{0,6}",
        before in filler(),
    ) {
        let mut v = serde_json::json!({
            "config": format!("{key}={secret}"),
            "log": format!("{before} retrying with {secret} now"),
            "nested": [{"msg": format!("rejected: {secret}")}],
            key.clone(): secret.clone(),
        });
        scrubber().scrub_json(&mut v, &mut ScrubContext::new());
        let out = v.to_string();
        prop_assert!(!out.contains(&secret), "{:?} survived in {}", secret, out);
    }
}
