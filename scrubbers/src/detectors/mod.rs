//! Built-in detectors.
//!
//! Detection is one classification of the text and two passes over it, whatever the
//! number of rules:
//!
//! 0. [`classes`]: one bit per byte for alphanumerics, digits, uppercase letters, anchor
//!    trigger bytes and token bytes, 64 bytes per block (SSE2 on x86_64). The passes walk
//!    the set bits of these maps with `trailing_zeros`, so plain words and spaces cost
//!    nothing beyond this step.
//! 1. [`anchors`]: literal anchors (`@`, `://`, `-----BEGIN`, `eyJ`, the catalogue's
//!    vendor prefixes such as `ghp_` at word starts, key names ending in a secret noun
//!    before separators, home directory prefixes, placeholders), visited only at word
//!    starts and trigger bytes. Each hit runs its family's matcher at that position only:
//!    [`email`], [`url`], [`pem`], [`jwt`], [`key_value`], [`vendor`], [`home`],
//!    [`placeholder`].
//! 2. [`scan`]: the digit-shaped families ([`ip`], [`mac`], [`digits`], [`iban`]) and
//!    [`long_token`], visited only at word starts where one of them can begin. Validators
//!    (Luhn, mod-97, `std::net` parsing, entropy) run only on candidates.
//!
//! Candidates then go through [`resolve`], which makes them non-overlapping, stronger
//! detectors first.

pub(crate) mod anchors;
pub(crate) mod classes;
pub(crate) mod digits;
pub(crate) mod email;
pub(crate) mod home;
pub(crate) mod iban;
pub(crate) mod ip;
pub(crate) mod jwt;
pub(crate) mod key_cache;
pub(crate) mod key_value;
pub(crate) mod keys;
pub(crate) mod long_token;
pub(crate) mod mac;
pub(crate) mod pem;
pub(crate) mod placeholder;
pub(crate) mod scan;
pub(crate) mod url;
pub(crate) mod vendor;

pub(crate) use classes::ByteClasses;

use crate::kind::Kind;

/// A candidate span before overlap resolution. `kind: None` marks an existing placeholder
/// that must be left alone.
#[derive(Debug, Clone)]
pub(crate) struct Cand {
    pub start: usize,
    pub end: usize,
    pub kind: Option<Kind>,
    pub rule: &'static str,
    pub prio: u8,
}

/// Priorities: placeholders > structured secrets > key/value > generic.
pub(crate) const PRIO_PROTECTED: u8 = 255;
pub(crate) const PRIO_STRUCTURED: u8 = 200;
pub(crate) const PRIO_VENDOR: u8 = 150;
pub(crate) const PRIO_KV: u8 = 120;
pub(crate) const PRIO_PII: u8 = 100;
pub(crate) const PRIO_CUSTOM: u8 = 90;
pub(crate) const PRIO_GENERIC: u8 = 50;

pub(crate) fn cand(start: usize, end: usize, kind: Kind, rule: &'static str, prio: u8) -> Cand {
    Cand {
        start,
        end,
        kind: Some(kind),
        rule,
        prio,
    }
}

thread_local! {
    /// A span buffer reused across calls on this thread (see [`take_spans`]).
    static SPANS: std::cell::Cell<Vec<(usize, usize)>> = const { std::cell::Cell::new(Vec::new()) };
}

/// An empty span vector, with the capacity left by the last [`put_spans`] on this thread,
/// so short texts allocate nothing for it.
pub(crate) fn take_spans() -> Vec<(usize, usize)> {
    SPANS.with(std::cell::Cell::take)
}

/// Returns a vector from [`take_spans`] for reuse (small ones only).
pub(crate) fn put_spans(mut v: Vec<(usize, usize)>) {
    if v.capacity() <= 1024 {
        v.clear();
        SPANS.with(|c| c.set(v));
    }
}

/// Makes candidates non-overlapping, strongest first: candidates are taken by priority
/// (then earliest, then longest); a weaker candidate that overlaps accepted spans keeps
/// only its uncovered pieces of at least 4 bytes, so overlapping detectors never shrink
/// what is redacted by much and never split a stronger span. Existing placeholders
/// (`kind: None`) win over everything and are dropped from the result, which is sorted by
/// start.
pub(crate) fn resolve(text: &str, mut cands: Vec<Cand>) -> Vec<Cand> {
    cands.retain(|c| c.start < c.end && c.end <= text.len());
    // Stable: among identical spans of equal priority the first detector to report one
    // wins, so a finding's rule does not depend on unrelated text around it.
    cands.sort_by_key(|c| (c.start, c.end));
    if cands.windows(2).all(|w| w[1].start >= w[0].end) {
        // No overlaps: every candidate is a cluster of its own.
        cands.retain(|c| c.kind.is_some());
        return cands;
    }
    let mut out: Vec<Cand> = Vec::with_capacity(cands.len());
    let mut i = 0;
    while i < cands.len() {
        // A cluster: a maximal run of candidates connected by overlaps.
        let mut j = i + 1;
        let mut end = cands[i].end;
        while j < cands.len() && cands[j].start < end {
            end = end.max(cands[j].end);
            j += 1;
        }
        if j == i + 1 {
            out.push(cands[i].clone());
        } else {
            paint(text, &mut cands[i..j], &mut out);
        }
        i = j;
    }
    out.retain(|c| c.kind.is_some());
    out
}

/// Resolves one cluster of overlapping candidates, strongest first.
fn paint(text: &str, cluster: &mut [Cand], out: &mut Vec<Cand>) {
    cluster.sort_by(|a, b| {
        b.prio
            .cmp(&a.prio)
            .then(a.start.cmp(&b.start))
            .then(b.end.cmp(&a.end))
    });
    // Accepted candidates go straight to the end of `out`.
    let base = out.len();
    let mut covered = take_spans();
    for c in cluster.iter() {
        covered.clear();
        covered.extend(
            out[base..]
                .iter()
                .filter(|a| a.start < c.end && c.start < a.end)
                .map(|a| (a.start, a.end)),
        );
        if covered.is_empty() {
            out.push(c.clone());
            continue;
        }
        if c.kind.is_none() {
            continue;
        }
        covered.sort_unstable();
        // The uncovered pieces, in order.
        let piece = |s: usize, e: usize, out: &mut Vec<Cand>| {
            if e - s >= 4 && text.is_char_boundary(s) && text.is_char_boundary(e) {
                let mut piece = c.clone();
                piece.start = s;
                piece.end = e;
                out.push(piece);
            }
        };
        let mut pos = c.start;
        for &(s, e) in &covered {
            if s > pos {
                piece(pos, s, out);
            }
            pos = pos.max(e);
        }
        if pos < c.end {
            piece(pos, c.end, out);
        }
    }
    put_spans(covered);
    out[base..].sort_unstable_by_key(|c| c.start);
}

/// The byte at `i`, or 0 past the end.
#[inline]
pub(crate) fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

/// The byte before `i`, or 0 at the start.
#[inline]
pub(crate) fn prev(b: &[u8], i: usize) -> u8 {
    if i == 0 {
        0
    } else {
        b[i - 1]
    }
}

/// ASCII alphanumeric.
#[inline]
pub(crate) fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Characters of identifiers and tokens: alphanumerics, `_` and `-`.
#[inline]
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Identifier bytes: see [`IDENT`].
#[inline]
pub(crate) fn is_ident(c: u8) -> bool {
    IDENT[c as usize]
}

/// The set of `bytes`, as a table by byte value (for `static` tables of a few bytes).
pub(crate) const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut k = 0;
    while k < bytes.len() {
        t[bytes[k] as usize] = true;
        k += 1;
    }
    t
}

/// Identifier bytes: ASCII alphanumerics, `_`, `-` and `.`.
static IDENT: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.');
        i += 1;
    }
    t
};

/// The largest char boundary of `text` at or below `i`.
pub(crate) fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A deterministic xorshift generator for the unit tests' generated inputs: each call gives
/// a number below its argument.
#[cfg(test)]
pub(crate) fn test_rng(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    }
}
