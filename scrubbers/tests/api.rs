//! Builder, actions and errors.

use std::ops::Range;
use std::sync::Arc;

use hush_scrubbers::{Kind, NameDetector, Redaction, ScrubContext, ScrubError, Scrubber};

#[test]
fn scrubber_is_send_sync_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<Scrubber>();
}

#[test]
fn nothing_found_borrows() {
    let s = Scrubber::default();
    assert!(matches!(
        s.scrub_text("all good: 200 OK"),
        std::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn actions() {
    let s = Scrubber::builder()
        .action("email", Redaction::Mask)
        .action("ipv4", Redaction::Remove)
        .action("phone", Redaction::Hash)
        .build()
        .unwrap();
    let mut ctx = ScrubContext::with_hash_key([9; 32]);
    let out = s.scrub_text_with(
        "a@example.com from 203.0.113.9 call +4915112345678",
        &mut ctx,
    );
    assert!(
        out.starts_with("*********.com from  call [HASH:phone:"),
        "{out}"
    );
    assert_eq!(
        out.len(),
        "*********.com from  call [HASH:phone:0123456789abcdef]".len()
    );
    assert_eq!(ctx.total(), 3);
    assert_eq!(ctx.counts()["email"], 1);
    // Same key, same hash; different key, different hash.
    let again = s.scrub_text_with("+4915112345678", &mut ScrubContext::with_hash_key([9; 32]));
    assert!(out.ends_with(again.as_ref()));
    let other = s.scrub_text_with("+4915112345678", &mut ScrubContext::with_hash_key([8; 32]));
    assert_ne!(again, other);
}

#[test]
fn disable_and_custom_rules() {
    let s = Scrubber::builder()
        .disable("email")
        .custom_rule("ticket", r"TICKET-\d{3,}", Redaction::Placeholder)
        .build()
        .unwrap();
    assert_eq!(
        s.scrub_text("TICKET-1234 by a@example.com"),
        "[REDACTED:ticket] by a@example.com"
    );
    let f = s.find("see TICKET-999");
    assert_eq!(f[0].kind, Kind::custom("ticket"));
    assert_eq!(f[0].range, 4..14);
    assert_eq!(f[0].rule, "custom");
}

#[test]
fn errors_name_the_rule_and_never_the_pattern() {
    let err = Scrubber::builder()
        .custom_rule("internal_host", "secret-host-(", Redaction::Placeholder)
        .build()
        .unwrap_err();
    assert!(matches!(&err, ScrubError::InvalidPattern { rule, .. } if rule == "internal_host"));
    let msg = err.to_string();
    assert!(
        msg.contains("internal_host") && !msg.contains("secret-host"),
        "{msg}"
    );

    let err = Scrubber::builder()
        .action("emails", Redaction::Hash)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        ScrubError::UnknownKind {
            kind: "emails".into()
        }
    );
    let err = Scrubber::builder()
        .custom_rule("email", "x", Redaction::Hash)
        .build()
        .unwrap_err();
    assert!(matches!(err, ScrubError::InvalidRuleName { .. }));
    let err = Scrubber::builder()
        .custom_rule("bad]name", "x", Redaction::Hash)
        .build()
        .unwrap_err();
    assert!(matches!(err, ScrubError::InvalidRuleName { .. }));
}

struct Dictionary(Vec<&'static str>);

impl NameDetector for Dictionary {
    fn find_names(&self, text: &str, out: &mut Vec<Range<usize>>) {
        for name in &self.0 {
            for (i, _) in text.match_indices(name) {
                out.push(i..i + name.len());
            }
        }
    }
}

#[test]
fn name_detector_seam() {
    let s = Scrubber::builder()
        .name_detector(Arc::new(Dictionary(vec!["Cas van Luin"])))
        .build()
        .unwrap();
    assert_eq!(s.scrub_text("invited Cas van Luin"), "invited [PERSON]");
    // The plugged-in detector replaces the built-in one.
    assert_eq!(
        s.scrub_text("Hi, this is Donna Pearson"),
        "Hi, this is Donna Pearson"
    );
}

#[test]
fn built_in_names_are_on_by_default_and_take_every_action() {
    let text = "Invite failed: Phillis Ennis is already a member";
    assert_eq!(
        Scrubber::default().scrub_text(text),
        "Invite failed: [PERSON] is already a member"
    );
    let masked = Scrubber::builder()
        .action("person_name", Redaction::Mask)
        .build()
        .unwrap()
        .scrub_text(text);
    assert!(
        !masked.contains("Phillis") && !masked.contains("Ennis"),
        "{masked}"
    );
    let hashed = Scrubber::builder()
        .action("person_name", Redaction::Hash)
        .hash_key([3; 32])
        .build()
        .unwrap()
        .scrub_text(text);
    assert!(hashed.contains("[HASH:person_name:"), "{hashed}");
    let removed = Scrubber::builder()
        .action("person_name", Redaction::Remove)
        .build()
        .unwrap()
        .scrub_text(text);
    assert_eq!(removed, "Invite failed:  is already a member");
    let off = Scrubber::builder().disable("person_name").build().unwrap();
    assert_eq!(off.scrub_text(text), text);
}

#[test]
fn json_keys_values_and_summary() {
    let s = Scrubber::default();
    let mut v = serde_json::json!({
        "jane@example.com": {"visits": 3},
        "client_secret": "Zx9kQ2pL7mN4",
        "max_tokens": 4096,
        "token_type": "Bearer",
        "list": ["ok", "203.0.113.1"]
    });
    let mut ctx = ScrubContext::new();
    s.scrub_json(&mut v, &mut ctx);
    hush_scrubbers::add_summary(&mut v, &ctx, "$redactions");
    assert_eq!(
        v,
        serde_json::json!({
            "[EMAIL]": {"visits": 3},
            "client_secret": "[REDACTED:secret]",
            "max_tokens": 4096,
            "token_type": "Bearer",
            "list": ["ok", "[IP]"],
            "$redactions": {"email": 1, "ipv4": 1, "secret": 1}
        })
    );
}

#[test]
fn every_kind_name_round_trips() {
    for name in [
        "email",
        "phone",
        "ipv4",
        "ipv6",
        "credit_card",
        "iban",
        "ssn",
        "mac_address",
        "username",
        "url_password",
        "password",
        "jwt",
        "private_key",
        "openai_key",
        "github_token",
        "aws_access_key",
        "aws_secret_key",
        "slack_token",
        "stripe_key",
        "high_entropy_secret",
    ] {
        assert_eq!(Kind::from_name(name).unwrap().name(), name);
    }
}

/// Without a configured key, each scrubber hashes with its own random key: two scrubbers
/// never agree on a hash, and one scrubber always agrees with itself.
#[test]
fn unkeyed_scrubbers_hash_with_their_own_random_key() {
    let build = || {
        Scrubber::builder()
            .action("email", Redaction::Hash)
            .build()
            .unwrap()
    };
    let (a, b) = (build(), build());
    let text = "mail ann@example.org";
    assert_eq!(a.scrub_text(text), a.scrub_text(text));
    assert_ne!(a.scrub_text(text), b.scrub_text(text));
}
