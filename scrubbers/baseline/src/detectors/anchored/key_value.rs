//! `key=value` secrets: identifiers that hold a key-name stem before a separator (or a
//! `--flag value`), their values, authorization headers and cookies.

use super::tokens::credential_after;
use super::{starts_with_placeholder, Scan};
use crate::detectors::keys::{classify_key, is_secret_value};
use crate::detectors::{at, cand, ByteClasses, Cand, PRIO_KV};
use crate::kind::Kind;

/// At a `=` or `:`: the identifier before it (past spaces and a closing quote), if any,
/// goes to [`key_ident`].
pub(super) fn key_before_separator(
    text: &str,
    sep: usize,
    st: &mut Scan<'_, '_>,
    out: &mut Vec<Cand>,
) {
    let b = text.as_bytes();
    let mut k = sep;
    while k > 0 && matches!(b[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    if k > 0 && matches!(b[k - 1], b'"' | b'\'') {
        k -= 1;
        if b[k] == b'"' && k > 0 && b[k - 1] == b'\\' {
            k -= 1;
        }
    }
    let ie = k;
    // `key_value` trims trailing dots off an identifier, so `key.=` has no separator.
    if ie == 0 || !is_ident(b[ie - 1]) || b[ie - 1] == b'.' || !ends_in_secret_noun(b, ie) {
        return;
    }
    // Back over at most 64 more identifier bytes.
    let lo = (ie - 1).saturating_sub(64);
    let is = match b[lo..ie - 1].iter().rposition(|&c| !is_ident(c)) {
        Some(p) => lo + p + 1,
        None => lo,
    };
    key_ident(text, is, ie, st, out);
}

/// Does the identifier ending at `ie` end, past trailing `_ - .`, in a word that
/// [`classify_key`] can call a secret (any case)? Every key it accepts does: its last
/// segment is one of these words or ends in one. Most identifiers before a `:` or `=` in
/// logs (`max_tokens`, `Error`, `localhost`, `index.ts`) fail here, before any other work.
#[inline]
pub(super) fn ends_in_secret_noun(b: &[u8], ie: usize) -> bool {
    let mut e = ie;
    while e > 0 && matches!(b[e - 1], b'_' | b'-' | b'.') {
        e -= 1;
    }
    if e < 2 {
        return false;
    }
    // By the last two letters (`| 0x20` folds case; other bytes fold to no letter pair
    // of these words); each list holds every word ending in them.
    let words: &[&[u8]] = match [b[e - 2] | 0x20, b[e - 1] | 0x20] {
        [b'w', b'd'] => &[b"pwd", b"passwd"],
        [b'r', b'd'] => &[b"password"],
        [b'i', b'd'] => &[b"sessionid", b"sid"],
        [b's', b'e'] => &[b"passphrase"],
        [b'i', b'e'] => &[b"cookie"],
        [b't', b'h'] => &[b"auth"],
        [b'a', b'l'] => &[b"credential"],
        [b'e', b'n'] => &[b"token"],
        [b'o', b'n'] => &[b"session", b"authorization"],
        [b's', b's'] => &[b"pass"],
        [b'l', b's'] => &[b"credentials"],
        [b'd', b's'] => &[b"creds"],
        [b'e', b's'] => &[b"cookies"],
        [b'e', b't'] => &[b"secret"],
        [b'w', b't'] => &[b"jwt"],
        [b'p', b'w'] => &[b"pw"],
        [b'e', b'y'] => &[b"key"],
        _ => return false,
    };
    words
        .iter()
        .any(|w| e >= w.len() && b[e - w.len()..e].eq_ignore_ascii_case(w))
}

/// Key-name stems; an identifier holding one may name a secret (see `classify_key`).
/// Grouped by their first two bytes, which are checked first.
const KEY_STEMS: &[(&[u8; 2], &[&[u8]])] = &[
    (b"pa", &[b"pass"]),
    (b"pw", &[b"pwd"]),
    (b"se", &[b"secret", b"session"]),
    (b"to", &[b"token"]),
    (b"ke", &[b"key"]),
    (b"cr", &[b"credential", b"creds"]),
    (b"co", &[b"cookie"]),
    (b"au", &[b"auth"]),
    (b"jw", &[b"jwt"]),
];

/// Bytes that start a key-name stem, in either case.
static STEM_FIRST: [bool; 256] = {
    let mut t = [false; 256];
    let mut k = 0;
    while k < KEY_STEMS.len() {
        let c = KEY_STEMS[k].0[0];
        t[c as usize] = true;
        t[c.to_ascii_uppercase() as usize] = true;
        k += 1;
    }
    t
};

/// The key-name stem starting at `p` in identifier bytes `ident` (case-insensitive).
fn stem_at(ident: &[u8], p: usize) -> Option<usize> {
    let head = [ident[p] | 0x20, ident[p + 1] | 0x20];
    let (_, stems) = KEY_STEMS.iter().find(|(h, _)| **h == head)?;
    stems
        .iter()
        .find(|stem| {
            ident[p..].len() >= stem.len() && ident[p..p + stem.len()].eq_ignore_ascii_case(stem)
        })
        .map(|stem| stem.len())
}

/// Runs [`key_value`] on identifier `is..ie` when it holds a key-name stem that is not
/// inside a span claimed before the stem.
pub(super) fn key_ident(
    text: &str,
    is: usize,
    ie: usize,
    st: &mut Scan<'_, '_>,
    out: &mut Vec<Cand>,
) {
    // Longer identifiers are never keys (`classify_key`), shorter ones hold no stem.
    if ie - is > 64 || ie - is < 3 || is == st.last_key {
        return;
    }
    let ident = &text.as_bytes()[..ie];
    let mut p = is;
    while p + 3 <= ie {
        // Stems start with one of a few letters (`| 0x20` folds case and keeps
        // non-letters apart).
        let Some(len) = STEM_FIRST[ident[p] as usize]
            .then(|| stem_at(ident, p))
            .flatten()
        else {
            p += 1;
            continue;
        };
        if p >= st.consumed_at(p) {
            st.last_key = is;
            key_value(text, st.classes, p, p + len, out);
            return;
        }
        p += len;
    }
}

#[inline]
pub(super) fn is_ident(c: u8) -> bool {
    IDENT[c as usize]
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

fn key_value(text: &str, classes: &ByteClasses<'_>, s: usize, e: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let mut is = s;
    while is > 0 && is_ident(b[is - 1]) && s - is < 64 {
        is -= 1;
    }
    let mut ie = e;
    while ie < b.len() && is_ident(b[ie]) && ie - e < 64 {
        ie += 1;
    }
    // Trailing dots belong to the sentence, not the key.
    while ie > e && b[ie - 1] == b'.' {
        ie -= 1;
    }
    let ident = &text[is..ie];
    let Some(kind) = classify_key(ident) else {
        return;
    };
    let cli_flag = ident.starts_with('-');
    // Separator: optional closing quote, spaces, then `=`, `:`, `:=`, `=>`.
    let mut j = ie;
    if at(b, j) == b'\\' && at(b, j + 1) == b'"' {
        j += 2;
    } else if matches!(at(b, j), b'"' | b'\'') {
        j += 1;
    }
    while matches!(at(b, j), b' ' | b'\t') {
        j += 1;
    }
    let mut has_sep = false;
    match at(b, j) {
        b'=' => {
            if matches!(at(b, j + 1), b'=' | b'~') {
                return;
            }
            j += 1;
            if at(b, j) == b'>' {
                j += 1;
            }
            has_sep = true;
        }
        b':' => {
            if at(b, j + 1) == b':' {
                return;
            }
            j += 1;
            if at(b, j) == b'=' {
                j += 1;
            }
            has_sep = true;
        }
        _ => {}
    }
    if !(has_sep || (cli_flag && j > ie)) {
        return;
    }
    while matches!(at(b, j), b' ' | b'\t') {
        j += 1;
    }
    // Value.
    let (vs, ve) = if at(b, j) == b'\\' && at(b, j + 1) == b'"' {
        let vs = j + 2;
        match text[vs..].find("\\\"") {
            Some(off) => (vs, vs + off),
            None => return,
        }
    } else if matches!(at(b, j), b'"' | b'\'' | b'`') {
        let q = b[j];
        let vs = j + 1;
        let mut k = vs;
        while k < b.len() && b[k] != q && b[k] != b'\n' {
            if b[k] == b'\\' {
                k += 1;
            }
            k += 1;
        }
        (vs, k.min(b.len()))
    } else {
        let vs = j;
        let mut k = vs;
        while k < b.len() {
            let c = b[k];
            if c.is_ascii_whitespace()
                || matches!(
                    c,
                    b'"' | b'\'' | b'`' | b',' | b';' | b'&' | b'<' | b'>' | b'|'
                )
            {
                break;
            }
            if c == b'\\' && matches!(at(b, k + 1), b'"' | b'n' | b'r' | b't') {
                break;
            }
            k += 1;
        }
        while k > vs && matches!(b[k - 1], b'.' | b')' | b']' | b'}') {
            k -= 1;
        }
        (vs, k)
    };
    if vs >= ve || !text.is_char_boundary(vs) || !text.is_char_boundary(ve) {
        return;
    }
    let value = &text[vs..ve];
    // Already scrubbed (or glued to something that was): leave it alone, so a second pass
    // never judges a value that the first pass saw without the placeholder.
    if value.contains('[')
        && (value.contains("[REDACTED:")
            || value.contains("[HASH:")
            // Against the text, not `value`: the trailing-`]` trim may have cut one.
            || value
                .match_indices('[')
                .any(|(i, _)| starts_with_placeholder(&text[vs + i..])))
    {
        return;
    }
    // `Authorization: Basic xxx` unquoted: the scheme word is the value so far.
    let scheme_kind = auth_scheme(value);
    if let Some(kind) = scheme_kind {
        if let Some((ts, te)) = credential_after(classes, b, ve) {
            out.push(cand(ts, te, kind, "authorization", PRIO_KV));
        }
        return;
    }
    // Authorization-style values: `Bearer xxx`, `Basic xxx`, `Token xxx`.
    if let Some(sp) = value.find(' ') {
        let kind = auth_scheme(&value[..sp]);
        if let Some(kind) = kind {
            if let Some((ts, te)) = credential_after(classes, b, vs + sp) {
                out.push(cand(ts, te, kind, "authorization", PRIO_KV));
            }
            return;
        }
    }
    if matches!(kind, Kind::Cookie) && value.contains('=') {
        cookie_pairs(b, vs, out);
        return;
    }
    if matches!(kind, Kind::BearerToken) && value.contains(' ') {
        return;
    }
    if is_secret_value(&kind, value) {
        out.push(cand(vs, ve, kind, "key_value", PRIO_KV));
    }
}

/// The kind of credential after an authorization scheme word (any case).
fn auth_scheme(word: &str) -> Option<Kind> {
    if word.eq_ignore_ascii_case("bearer") || word.eq_ignore_ascii_case("token") {
        Some(Kind::BearerToken)
    } else if word.eq_ignore_ascii_case("basic") {
        Some(Kind::BasicAuth)
    } else {
        None
    }
}

/// `Cookie: a=1; b=2` headers: every cookie value is redacted, names are kept.
fn cookie_pairs(b: &[u8], mut i: usize, out: &mut Vec<Cand>) {
    let limit = (i + 4096).min(b.len());
    while i < limit {
        // name
        while i < limit && !matches!(b[i], b'=' | b';' | b'\n' | b'"' | b'\'') {
            i += 1;
        }
        if i >= limit || b[i] != b'=' {
            return;
        }
        i += 1;
        let vs = i;
        while i < limit && !matches!(b[i], b';' | b'\n' | b'\r' | b'"' | b'\'' | b' ' | b',') {
            i += 1;
        }
        if i > vs && b[vs] != b'[' {
            out.push(cand(vs, i, Kind::Cookie, "cookie", PRIO_KV));
        }
        if i < limit && b[i] == b';' {
            i += 1;
            while i < limit && b[i] == b' ' {
                i += 1;
            }
        } else {
            return;
        }
    }
}
