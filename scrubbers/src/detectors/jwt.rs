//! JSON Web Tokens (`eyJ….….…`) and the credential after a `Bearer`/`Token` scheme word.
//! Never takes a dotted identifier or a bearer followed by prose.

use super::{at, cand, is_alnum, is_word, prev, ByteClasses, Cand, PRIO_KV, PRIO_STRUCTURED};
use crate::kind::Kind;

fn b64url_run(classes: &ByteClasses<'_>, b: &[u8], i: usize) -> usize {
    classes.run_end(b, i, |c| matches!(c, b'_' | b'-'))
}

pub(crate) fn jwt(text: &str, classes: &ByteClasses<'_>, s: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    if is_word(prev(b, s)) {
        return;
    }
    let e1 = b64url_run(classes, b, s);
    if e1 - s < 10 || at(b, e1) != b'.' {
        return;
    }
    let e2 = b64url_run(classes, b, e1 + 1);
    if e2 - (e1 + 1) < 2 {
        return;
    }
    let mut end = e2;
    // Signature (possibly empty) and, for JWE, more segments.
    let mut segs = 2;
    while at(b, end) == b'.' && segs < 5 {
        let e = b64url_run(classes, b, end + 1);
        end = e;
        segs += 1;
    }
    if segs < 3 {
        return;
    }
    out.push(cand(s, end, Kind::JWT, "jwt", PRIO_STRUCTURED));
}

/// A credential-shaped run after an auth scheme word. `strict` (prose: `retry with
/// bearer x`) asks for digits, mixed case or length; behind a header's scheme any run of
/// four or more credential bytes counts, and a URL (Sentry's `DSN https://…`) is taken
/// whole.
pub(crate) fn credential_after(
    classes: &ByteClasses<'_>,
    b: &[u8],
    mut i: usize,
    strict: bool,
) -> Option<(usize, usize)> {
    let mut spaces = 0;
    while at(b, i) == b' ' && spaces < 4 {
        i += 1;
        spaces += 1;
    }
    if spaces == 0 {
        return None;
    }
    let s = i;
    if !strict && b[s..].starts_with(b"http") {
        let e = b[s..]
            .iter()
            .position(|c| c.is_ascii_whitespace() || matches!(c, b'"' | b'\''))
            .map_or(b.len(), |p| s + p);
        return (e - s > 12).then_some((s, e));
    }
    let i = classes.run_end(b, s, |c| {
        matches!(c, b'_' | b'-' | b'.' | b'~' | b'+' | b'/' | b'=')
    });
    let tok = &b[s..i];
    if tok.is_empty() || tok.starts_with(b"[") || super::vendor::is_placeholder_body(tok) {
        return None;
    }
    if !strict {
        let stop = tok.len() <= 12
            && std::str::from_utf8(tok).is_ok_and(|t| {
                super::keys::NOT_SECRET_WORDS
                    .iter()
                    .any(|w| w.eq_ignore_ascii_case(t))
            });
        if stop {
            return None;
        }
        let word = tok.iter().all(u8::is_ascii_lowercase);
        return ((tok.len() >= 4 && !word) || tok.len() >= 8).then_some((s, i));
    }
    if tok.len() < 8 {
        return None;
    }
    let has_digit = classes.any(s, i, |k| k.digit);
    let has_upper = classes.any(s, i, |k| k.upper);
    let has_lower = classes.any(s, i, |k| k.alnum & !k.digit & !k.upper);
    if !(has_digit || (has_upper && has_lower) || tok.len() >= 24) {
        return None;
    }
    Some((s, i))
}

pub(crate) fn bearer(text: &str, classes: &ByteClasses<'_>, s: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    if is_alnum(prev(b, s)) {
        return;
    }
    if let Some((ts, te)) = credential_after(classes, b, s + 6, true) {
        out.push(cand(ts, te, Kind::BEARER_TOKEN, "bearer", PRIO_KV));
    }
}
