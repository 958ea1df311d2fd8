//! Once found, found everywhere: a value that a detector could only recognise by its
//! context (the key before it, the `Bearer` word, the URL's `user:` part) is redacted at
//! every other place it appears too, in the same text and, through
//! [`Scrubber::scrub_json`](crate::Scrubber::scrub_json), in the same event. Logs repeat a
//! secret in a second, key-less place. Values found by their own shape (emails, vendor
//! tokens, JWTs, cards) need no help: the detectors find every copy themselves.

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
    // The key–value family (key_value, authorization, cookie, bearer, context rows,
    // repeats) reports at one priority; the other contextual rules by name.
    let contextual = c.prio == PRIO_KV
        || c.prio == PRIO_KV + 1
        || matches!(
            c.rule,
            "url_credentials" | "aws_secret_key" | "name_detector"
        );
    // A value that is all one character class of a few letters is not worth chasing.
    contextual
        && text[c.start..c.end]
            .bytes()
            .any(|b| !b.is_ascii_lowercase())
}

/// Adds the other occurrences of contextual values in `text` to `found` (non-overlapping,
/// sorted by start), whole tokens only. Returns whether anything was added.
pub(crate) fn add_repeats(text: &str, found: &mut Vec<Cand>) -> bool {
    // One pass: the distinct contextual values and how many findings hold one.
    let mut contextual = 0;
    let mut values: Vec<(&str, Kind)> = Vec::new();
    for c in found.iter().filter(|c| is_contextual(c, text)) {
        contextual += 1;
        // Bounded work (see `REPEAT_BUDGET`), checked before any search.
        if contextual * text.len() > REPEAT_BUDGET {
            return false;
        }
        let value = &text[c.start..c.end];
        if !values.iter().any(|(v, _)| *v == value) {
            values.push((value, c.kind.clone().expect("contextual cands have a kind")));
        }
    }
    if contextual == 0 {
        return false;
    }
    let mut fresh = Vec::new();
    for (value, kind) in &values {
        for pos in occurrences_of(text, value, kind) {
            let end = pos + value.len();
            let taken = |c: &Cand| c.start < end && pos < c.end;
            if found.iter().any(taken) || fresh.iter().any(taken) {
                continue;
            }
            fresh.push(cand(pos, end, kind.clone(), RULE, PRIO_KV));
        }
    }
    if fresh.is_empty() {
        return false;
    }
    found.extend(fresh);
    found.sort_unstable_by_key(|c| c.start);
    true
}

/// Bytes of text searched for repeats per call, at most (values × text length): one
/// SIMD search per value, which covers any telemetry property (a value or two over a large
/// log blob, many over a small string). Past it, copies inside one huge text are not
/// chased; the event sweep of `scrub_json` still covers the other properties.
const REPEAT_BUDGET: usize = 256 * 1024;

/// Is `v` at `pos` of `b` a whole token: not glued to letters or digits on a side where the
/// value itself ends in one?
fn whole_token(b: &[u8], v: &[u8], pos: usize) -> bool {
    let end = pos + v.len();
    let glued_before =
        v[0].is_ascii_alphanumeric() && pos > 0 && b[pos - 1].is_ascii_alphanumeric();
    let glued_after =
        v[v.len() - 1].is_ascii_alphanumeric() && b.get(end).is_some_and(u8::is_ascii_alphanumeric);
    !glued_before && !glued_after
}

/// Where `value` occurs in `text` as a whole token: not glued to letters or digits on a
/// side where the value itself ends in one.
pub(crate) fn occurrences<'a>(text: &'a str, value: &'a str) -> impl Iterator<Item = usize> + 'a {
    let b = text.as_bytes();
    let v = value.as_bytes();
    memchr::memmem::find_iter(b, v).filter(move |&pos| whole_token(b, v, pos))
}

/// [`occurrences`] of a value of `kind`. A person's name is chased only where it stands
/// alone, not inside a run of capitalised words (`Donna Jenkins Smith`): the name detector
/// weighs such a run as a whole, and cutting a piece out of it would make scrubbing the
/// scrubbed text find more.
fn occurrences_of<'a>(
    text: &'a str,
    value: &'a str,
    kind: &Kind,
) -> impl Iterator<Item = usize> + 'a {
    let is_name = *kind == Kind::PERSON_NAME;
    let b = text.as_bytes();
    occurrences(text, value).filter(move |&pos| !is_name || stands_alone(b, pos, pos + value.len()))
}

/// No capitalised word right before (one space between, a possessive too) or after.
fn stands_alone(b: &[u8], pos: usize, end: usize) -> bool {
    let after = end + 1 < b.len() && b[end] == b' ' && b[end + 1].is_ascii_uppercase();
    let mut k = pos;
    if k >= 2 && b[k - 1] == b' ' {
        k -= 1;
        while k > 0 && (b[k - 1].is_ascii_alphabetic() || b[k - 1] == b'\'' || b[k - 1] >= 0x80) {
            k -= 1;
        }
    }
    let before = k < pos && b[k].is_ascii_uppercase();
    !after && !before
}

/// The occurrences of `values` (already redacted elsewhere in the event) in `text`, as
/// non-overlapping candidates sorted by start.
pub(crate) fn sweep(text: &str, values: &[(Kind, String)]) -> Vec<Cand> {
    let mut out: Vec<Cand> = Vec::new();
    for (kind, value) in values {
        for pos in occurrences_of(text, value, kind) {
            let end = pos + value.len();
            if !out.iter().any(|c| c.start < end && pos < c.end) {
                out.push(cand(pos, end, kind.clone(), RULE, PRIO_KV));
            }
        }
    }
    out.sort_unstable_by_key(|c| c.start);
    out
}
