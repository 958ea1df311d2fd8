//! Once found, found everywhere: a value that a detector could only recognise by its
//! context (the key before it, the `Bearer` word, the URL's `user:` part) is redacted at
//! every other place it appears too, in the same text and, through
//! [`Scrubber::scrub_json`](crate::Scrubber::scrub_json), in the same event. Logs repeat a
//! secret in a second, key-less place. Values found by their own shape (emails, vendor
//! tokens, JWTs, cards) need no help: the detectors find every copy themselves.

use crate::catalogue::token_table;
use crate::detectors::{cand, Cand, PRIO_KV};
use crate::kind::Kind;

/// The shortest value repeated: shorter ones are too likely to be ordinary words.
pub(crate) const MIN_LEN: usize = 6;

/// The rule name of a repeated finding.
pub(crate) const RULE: &str = "repeat";

/// Does `c` name a value that only its context revealed, worth looking for elsewhere?
pub(crate) fn is_contextual(c: &Cand, text: &str) -> bool {
    let Some(kind) = &c.kind else { return false };
    if c.end - c.start < MIN_LEN || *kind == Kind::USERNAME {
        return false;
    }
    let contextual = match c.rule {
        "key_value" | "authorization" | "cookie" | "url_credentials" | "bearer"
        | "aws_secret_key" | "name_detector" | RULE => true,
        rule => token_table().is_context_rule(rule),
    };
    // A value that is all one character class of a few letters is not worth chasing.
    contextual
        && text[c.start..c.end]
            .bytes()
            .any(|b| !b.is_ascii_lowercase())
}

/// Adds the other occurrences of contextual values in `text` to `found` (non-overlapping,
/// sorted by start), whole tokens only. Returns whether anything was added.
pub(crate) fn add_repeats(text: &str, found: &mut Vec<Cand>) -> bool {
    let values: Vec<(usize, usize, Kind)> = found
        .iter()
        .filter(|c| is_contextual(c, text))
        .map(|c| {
            (
                c.start,
                c.end,
                c.kind.clone().expect("contextual cands have a kind"),
            )
        })
        .collect();
    let mut added = false;
    for (s, e, kind) in values {
        let value = &text[s..e];
        for pos in occurrences(text, value) {
            let end = pos + value.len();
            if found.iter().any(|c| c.start < end && pos < c.end) {
                continue;
            }
            found.push(cand(pos, end, kind.clone(), RULE, PRIO_KV));
            added = true;
        }
    }
    if added {
        found.sort_unstable_by_key(|c| c.start);
    }
    added
}

/// Where `value` occurs in `text` as a whole token: not glued to letters or digits on a
/// side where the value itself ends in one.
pub(crate) fn occurrences<'a>(text: &'a str, value: &'a str) -> impl Iterator<Item = usize> + 'a {
    let b = text.as_bytes();
    let v = value.as_bytes();
    memchr::memmem::find_iter(b, v).filter(move |&pos| {
        let end = pos + v.len();
        let glued_before =
            v[0].is_ascii_alphanumeric() && pos > 0 && b[pos - 1].is_ascii_alphanumeric();
        let glued_after = v[v.len() - 1].is_ascii_alphanumeric()
            && b.get(end).is_some_and(u8::is_ascii_alphanumeric);
        !glued_before && !glued_after
    })
}

/// The occurrences of `values` (already redacted elsewhere in the event) in `text`, as
/// non-overlapping candidates sorted by start.
pub(crate) fn sweep(text: &str, values: &[(Kind, String)]) -> Vec<Cand> {
    let mut out: Vec<Cand> = Vec::new();
    for (kind, value) in values {
        for pos in occurrences(text, value) {
            let end = pos + value.len();
            if !out.iter().any(|c| c.start < end && pos < c.end) {
                out.push(cand(pos, end, kind.clone(), RULE, PRIO_KV));
            }
        }
    }
    out.sort_unstable_by_key(|c| c.start);
    out
}
