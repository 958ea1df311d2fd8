//! Key–value secrets: a value behind a key that names a credential (`password=`,
//! `"apiKey": "…"`, `Authorization: Bearer …`, `Cookie:` pairs, `--token …`), in the shapes
//! config, code and logs write them. Never takes counters or metadata about secrets
//! (`max_tokens`, `token_count`), templates, placeholders or status words.

use super::anchors::Scan;
use super::is_ident;
use super::jwt::credential_after;
use super::keys::{classify_key, is_secret_value, KeyClass, ValueContext};
use super::placeholder::starts_with_placeholder;
use super::{at, cand, prev, ByteClasses, Cand, PRIO_KV};
use crate::catalogue::token_table;
use crate::kind::Kind;

/// At a separator byte (`=`, `:`, a `,` after a quote, a spaced `-` or `|`): the
/// identifier before it (past an operator's first byte, spaces, a type name, a closing
/// quote and `]`), if any, goes to [`key_ident`]; identifiers that are no secret noun
/// may still start one of the shapes of [`named_shape`].
pub(crate) fn key_before_separator(
    text: &str,
    sep: usize,
    st: &mut Scan<'_, '_>,
    out: &mut Vec<Cand>,
) {
    let b = text.as_bytes();
    let mut k = sep;
    if b[sep] == b'=' && k > 0 && matches!(b[k - 1], b'?' | b'+' | b'.') {
        k -= 1;
    }
    while k > 0 && matches!(b[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    if b[sep] == b'=' {
        // `var apiToken string = …`, `apiKey: string = …`
        if let Some(w) = TYPE_WORDS.iter().find(|w| b[..k].ends_with(w)) {
            let t = k - w.len();
            if t > 0 && matches!(b[t - 1], b' ' | b'\t') {
                k = t;
                while k > 0 && matches!(b[k - 1], b' ' | b'\t') {
                    k -= 1;
                }
                if k > 0 && b[k - 1] == b':' {
                    k -= 1;
                }
            }
        }
    }
    if k > 0 && b[k - 1] == b']' && k > 1 && matches!(b[k - 2], b'"' | b'\'') {
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
    if ie == 0 || !is_ident(b[ie - 1]) || b[ie - 1] == b'.' {
        return;
    }
    if !ends_in_secret_noun(b, ie) {
        named_shape(text, sep, ie, st, out);
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

/// Shapes whose key is not itself a secret noun: an XML `key="Password" value="…"` pair,
/// Bundler's `BUNDLE_<HOST>=user:pass`, and a Kubernetes `kind: Secret`.
fn named_shape(text: &str, sep: usize, ie: usize, st: &mut Scan<'_, '_>, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let last2 = [b[ie - 2.min(ie)] | 0x20, b[ie - 1] | 0x20];
    match (b[sep], last2) {
        (b'=', [b'u', b'e']) if ie >= 5 && b[ie - 5..ie].eq_ignore_ascii_case(b"value") => {
            attribute_pair(text, sep, ie - 5, out);
        }
        (b'=', [c, _]) if c.is_ascii_alphabetic() && b[ie - 1].is_ascii_uppercase() => {
            let lo = ie.saturating_sub(64);
            let is = match b[lo..ie].iter().rposition(|&c| !is_ident(c)) {
                Some(p) => lo + p + 1,
                None => lo,
            };
            if b[is..ie].starts_with(b"BUNDLE_") && b[is..ie].windows(2).any(|w| w == b"__") {
                let key = KeyClass {
                    kind: Kind::SECRET,
                    weak: false,
                };
                if let Some((vs, ve)) = value_span(text, sep + 1, &key) {
                    if is_secret_value(&key, &text[vs..ve], ValueContext::default()) {
                        out.push(cand(vs, ve, Kind::SECRET, "key_value", PRIO_KV));
                    }
                }
            }
        }
        (b':', [b'n', b'd']) if ie >= 4 && b[ie - 4..ie].eq_ignore_ascii_case(b"kind") => {
            let mut v = sep + 1;
            while matches!(at(b, v), b' ' | b'"' | b'\'') {
                v += 1;
            }
            if b[v..].starts_with(b"Secret") && !is_ident(at(b, v + 6)) && !st.k8s_secret {
                st.k8s_secret = true;
                kubernetes_secret_data(text, out);
            }
        }
        _ => {}
    }
}

/// `<add key="ClearTextPassword" value="…" />`: the `value` attribute of a tag whose
/// `key` (or `name`) attribute names a secret. `vs` is where `value` starts.
fn attribute_pair(text: &str, sep: usize, value_start: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let lo = value_start.saturating_sub(256);
    let Some(tag) = b[lo..value_start].iter().rposition(|&c| c == b'<') else {
        return;
    };
    let tag = &text[lo + tag..value_start];
    for attr in ["key=\"", "name=\"", "Key=\"", "Name=\"", "key='", "name='"] {
        let Some(p) = tag.find(attr) else { continue };
        let name_start = p + attr.len();
        let Some(len) = tag[name_start..].find(['"', '\'']) else {
            continue;
        };
        let Some(key) = classify_key(&tag[name_start..name_start + len]) else {
            continue;
        };
        if let Some((vs, ve)) = value_span(text, sep + 1, &key) {
            if is_secret_value(&key, &text[vs..ve], ValueContext::default()) {
                out.push(cand(vs, ve, key.kind, "key_value", PRIO_KV));
            }
        }
        return;
    }
}

/// Every value under a `data:` or `stringData:` block of a Kubernetes Secret manifest.
fn kubernetes_secret_data(text: &str, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let mut line_start = 0;
    let mut block_indent: Option<usize> = None;
    while line_start < b.len() {
        let line_end = b[line_start..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |p| line_start + p);
        let line = &text[line_start..line_end];
        let indent = line.len() - line.trim_start().len();
        let body = line.trim();
        if let Some(d) = block_indent {
            if !body.is_empty() && indent <= d {
                block_indent = None;
            } else if let Some(colon) = body.find(": ") {
                let vs = line_start + indent + colon + 2;
                let mut ve = line_end;
                while ve > vs && b[ve - 1].is_ascii_whitespace() {
                    ve -= 1;
                }
                let (mut vs, mut ve) = (vs, ve);
                if ve > vs + 1 && matches!(b[vs], b'"' | b'\'') && b[ve - 1] == b[vs] {
                    vs += 1;
                    ve -= 1;
                }
                let value = &text[vs..ve];
                if !value.is_empty() && !value.starts_with('[') && value != "|" && value != ">" {
                    out.push(cand(vs, ve, Kind::SECRET, "key_value", PRIO_KV));
                }
            }
        }
        if block_indent.is_none() && (body == "data:" || body == "stringData:") {
            block_indent = Some(indent);
        }
        line_start = line_end + 1;
    }
}

/// At `>`: `<password>…</password>`, an XML element whose name names a secret.
pub(crate) fn xml_element(text: &str, gt: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let lo = gt.saturating_sub(64);
    let Some(lt) = b[lo..gt].iter().rposition(|&c| c == b'<') else {
        return;
    };
    let name = &text[lo + lt + 1..gt];
    let local = name.rsplit(':').next().unwrap_or(name);
    if local.is_empty() || !local.bytes().all(is_ident) {
        return;
    }
    let Some(key) = classify_key(local) else {
        return;
    };
    let vs = gt + 1;
    let limit = (vs + 4096).min(b.len());
    let Some(len) = b[vs..limit].iter().position(|&c| c == b'<' || c == b'\n') else {
        return;
    };
    let ve = vs + len;
    if b.get(ve) != Some(&b'<') || !text.is_char_boundary(ve) {
        return;
    }
    if is_secret_value(&key, &text[vs..ve], ValueContext::default()) {
        out.push(cand(vs, ve, key.kind, "key_value", PRIO_KV));
    }
}

/// At `/` after a path segment that names a secret (`/api/token/<value>/`): the next
/// segment, when it looks random.
pub(crate) fn path_segment(text: &str, slash: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let lo = slash.saturating_sub(32);
    let Some(p) = b[lo..slash].iter().rposition(|&c| c == b'/') else {
        return;
    };
    let Some(mut key) = classify_key(&text[lo + p + 1..slash]) else {
        return;
    };
    key.weak = true;
    let vs = slash + 1;
    let mut ve = vs;
    while ve < b.len() && (is_ident(b[ve]) || matches!(b[ve], b'~' | b'+' | b'=' | b':')) {
        ve += 1;
    }
    if ve > vs && is_secret_value(&key, &text[vs..ve], ValueContext::default()) {
        out.push(cand(vs, ve, key.kind, "key_value", PRIO_KV));
    }
}

/// `curl -u user:pass`, `--user user:pass`: the password after the first `:`.
pub(crate) fn user_flag(text: &str, dash: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let rest = &b[dash..];
    let skip = if rest.starts_with(b"-u ") {
        3
    } else if rest.starts_with(b"--user ") || rest.starts_with(b"--user=") {
        7
    } else {
        return;
    };
    let mut vs = dash + skip;
    while at(b, vs) == b' ' {
        vs += 1;
    }
    let quote = matches!(at(b, vs), b'"' | b'\'');
    if quote {
        vs += 1;
    }
    let mut ve = vs;
    while ve < b.len() && !b[ve].is_ascii_whitespace() && !matches!(b[ve], b'"' | b'\'') {
        ve += 1;
    }
    let Some(colon) = b[vs..ve].iter().position(|&c| c == b':') else {
        return;
    };
    let ps = vs + colon + 1;
    if ps < ve && b[ps] != b'[' && text.is_char_boundary(ve) {
        out.push(cand(ps, ve, Kind::PASSWORD, "key_value", PRIO_KV));
    }
}

/// Does the identifier ending at `ie` end, past trailing `_ - .`, in a word that
/// [`classify_key`] can call a secret (any case)? Every key it accepts does: its last
/// segment is one of these words or ends in one. Most identifiers before a `:` or `=` in
/// logs (`max_tokens`, `Error`, `localhost`, `index.ts`) fail here, before any other work.
#[inline]
pub(crate) fn ends_in_secret_noun(b: &[u8], ie: usize) -> bool {
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
        [b'a', b't'] => &[b"pat"],
        [b'i', b'g'] => &[b"sig"],
        [b'r', b'e'] => &[b"signature"],
        [b't', b'e'] => &[b"private"],
        _ => return false,
    };
    words
        .iter()
        .any(|w| e >= w.len() && b[e - w.len()..e].eq_ignore_ascii_case(w))
}

/// Key-name stems; an identifier holding one may name a secret (see `classify_key`).
/// Grouped by their first two bytes, which are checked first.
const KEY_STEMS: &[(&[u8; 2], &[&[u8]])] = &[
    (b"pa", &[b"pass", b"pat"]),
    (b"si", &[b"sig"]),
    (b"pr", &[b"private"]),
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
pub(crate) fn key_ident(
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

/// Type names that may stand between a key and its `=` (`var apiToken string = "…"`,
/// `let key: &str = "…"`).
const TYPE_WORDS: &[&[u8]] = &[
    b"string",
    b"String",
    b"str",
    b"&str",
    b"&'static str",
    b"[]byte",
    b"bytes",
    b"char*",
    b"SecretString",
    b"Secret",
    b"text",
    b"any",
];

/// The identifier around the key-name stem at `s..e`, its separator and its value; reports
/// the value when the key names a secret and the value looks like one.
pub(crate) fn key_value(
    text: &str,
    classes: &ByteClasses<'_>,
    s: usize,
    e: usize,
    out: &mut Vec<Cand>,
) {
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
    let Some(key) = classify_key(ident) else {
        return;
    };
    let cli_flag = ident.starts_with('-');
    let quoted_key = matches!(prev(b, is), b'"' | b'\'');
    let Some(j) = separator(b, ie, cli_flag, quoted_key) else {
        return;
    };
    let Some((vs, ve)) = value_span(text, j, &key) else {
        return;
    };
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
    if key.kind == Kind::BEARER_TOKEN || key.kind == Kind::TOKEN || key.kind == Kind::API_KEY {
        if let Some(kind) = auth_scheme(value) {
            if let Some((ts, te)) = credential_after(classes, b, ve) {
                out.push(cand(ts, te, kind, "authorization", PRIO_KV));
            }
            return;
        }
    }
    // Authorization-style values: `Bearer xxx`, `Basic xxx`, `Token xxx`, `Digest …`.
    if let Some(sp) = value.find(' ') {
        if let Some(kind) = auth_scheme(&value[..sp]) {
            if let Some((ts, te)) = credential_after(classes, b, vs + sp) {
                out.push(cand(ts, te, kind, "authorization", PRIO_KV));
            }
            return;
        }
        if value[..sp].eq_ignore_ascii_case("digest") {
            digest_response(b, vs + sp, ve, out);
            return;
        }
        if key.kind == Kind::BEARER_TOKEN && is_scheme_word(&value[..sp]) {
            // A vendor scheme (`SSWS …`, `GenieKey …`, `Splunk …`).
            if let Some((ts, te)) = credential_after(classes, b, vs + sp) {
                out.push(cand(ts, te, Kind::BEARER_TOKEN, "authorization", PRIO_KV));
            }
            return;
        }
    }
    // `Authorization: key=…`: the inner key names the credential.
    if key.kind == Kind::BEARER_TOKEN {
        let name = value
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'))
            .count();
        if name > 0 && value.as_bytes().get(name) == Some(&b'=') {
            return;
        }
    }
    if key.kind == Kind::COOKIE && value.contains('=') {
        cookie_pairs(b, vs, out);
        return;
    }
    if key.kind == Kind::BEARER_TOKEN && value.contains(' ') && !key.weak {
        return;
    }
    let context = ValueContext {
        query: matches!(prev(b, is), b'?' | b'&'),
    };
    if let Some(row) = token_table().context_row(ident, value) {
        out.push(cand(vs, ve, row.kind.clone(), row.rule, PRIO_KV));
    } else if is_secret_value(&key, value, context) {
        out.push(cand(vs, ve, key.kind, "key_value", PRIO_KV));
    }
}

/// The separator after a key that ends at `ie` (past a closing quote or `"]`): `=`, `:`,
/// `:=`, `::=`, `:::=`, `?=`, `+=`, `.=`, `=>`, a type name then `=`, `, ` after a quoted
/// key (`setProperty("db.password", "…")`), ` - ` or ` | ` in prose, or the space after a
/// `--flag`. Returns where the value may start.
fn separator(b: &[u8], ie: usize, cli_flag: bool, quoted_key: bool) -> Option<usize> {
    let mut j = ie;
    if at(b, j) == b'\\' && at(b, j + 1) == b'"' {
        j += 2;
    } else if matches!(at(b, j), b'"' | b'\'') {
        j += 1;
    }
    if at(b, j) == b']' {
        j += 1;
    }
    let after_key = j;
    while matches!(at(b, j), b' ' | b'\t') {
        j += 1;
    }
    let spaced = j > after_key;
    // Go and TypeScript declarations: `apiToken string = "…"`, `apiKey: string = "…"`.
    let mut t = j;
    if at(b, t) == b':' && at(b, t + 1) == b' ' {
        t += 2;
    }
    if t > j || spaced {
        if let Some(w) = TYPE_WORDS
            .iter()
            .find(|w| b[t.min(b.len())..].starts_with(w))
        {
            let mut k = t + w.len();
            while matches!(at(b, k), b' ' | b'\t') {
                k += 1;
            }
            if at(b, k) == b'=' && at(b, k + 1) != b'=' {
                return Some(k + 1);
            }
        }
    }
    let sep = match (at(b, j), at(b, j + 1), at(b, j + 2), at(b, j + 3)) {
        (b'=', b'=' | b'~', _, _) => return None,
        (b'=', b'>', _, _) => j + 2,
        (b'=', _, _, _) => j + 1,
        (b':', b':', b':', b'=') => j + 4,
        (b':', b':', b'=', _) => j + 3,
        (b':', b':', _, _) => return None,
        (b':', b'=', _, _) => j + 2,
        (b':', _, _, _) => j + 1,
        (b'?' | b'+' | b'.', b'=', _, _) => j + 2,
        (b',', _, _, _) if quoted_key && j == after_key && ie < after_key => j + 1,
        (b'-' | b'|', b' ' | b'\t', _, _) if spaced => j + 1,
        _ if cli_flag && spaced => j,
        _ => return None,
    };
    Some(sep)
}

/// The value after a separator (from `j`, past spaces): quoted, `{braced}` (ODBC), a
/// `;`-terminated connection-string value, or a bare run. `None` when there is none.
fn value_span(text: &str, mut j: usize, key: &KeyClass) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    while matches!(at(b, j), b' ' | b'\t') {
        j += 1;
    }
    let (vs, ve) = if at(b, j) == b'\\' && at(b, j + 1) == b'"' {
        let vs = j + 2;
        let off = text[vs..].find("\\\"")?;
        (vs, vs + off)
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
    } else if at(b, j) == b'{' && !matches!(at(b, j + 1), b'{' | b'"' | b' ' | b'\n' | b'}') {
        // ODBC `Pwd={p;ss&w0rd}`: everything up to the closing brace.
        let vs = j + 1;
        let close = b[vs..(vs + 256).min(b.len())]
            .iter()
            .position(|&c| c == b'}' || c == b'\n')?;
        if b[vs + close] != b'}' {
            return None;
        }
        (vs, vs + close)
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
        // `token=<your-token>`: a placeholder, not a short value.
        if at(b, k) == b'<' && b[k..].iter().take(64).position(|&c| c == b'>').is_some() {
            return None;
        }
        // `SAS_TOKEN=sv=…&sig=…`: a value that is itself a query string runs to its end.
        if at(b, k) == b'&' && !key.weak && b[vs..k].contains(&b'=') {
            while k < b.len() && !b[k].is_ascii_whitespace() && !matches!(b[k], b'"' | b'\'' | b'<')
            {
                k += 1;
            }
            if at(b, k) == b'<' {
                return None;
            }
        }
        // `Password=correct horse battery staple;` in a connection string.
        if key.kind == Kind::PASSWORD && at(b, k) == b' ' {
            if let Some(end) = semicolon_value_end(b, k) {
                k = end;
            }
        }
        while k > vs && matches!(b[k - 1], b'.' | b')' | b']' | b'}') {
            k -= 1;
        }
        (vs, k)
    };
    (vs < ve && text.is_char_boundary(vs) && text.is_char_boundary(ve)).then_some((vs, ve))
}

/// In a `Key=Value;Key=Value` string, the end of a value with spaces that started before
/// `k`: the next `;` on the line, when no quote or `=` comes first and what follows the
/// `;` is the end, a line end or another `Key=`.
fn semicolon_value_end(b: &[u8], k: usize) -> Option<usize> {
    let limit = (k + 128).min(b.len());
    let semi = k + b[k..limit]
        .iter()
        .position(|&c| matches!(c, b';' | b'\n' | b'"' | b'\'' | b'=' | b'&'))?;
    if b[semi] != b';' {
        return None;
    }
    let mut n = semi + 1;
    while matches!(at(b, n), b' ') {
        n += 1;
    }
    let mut w = n;
    while w < b.len() && (b[w].is_ascii_alphanumeric() || matches!(b[w], b' ' | b'_')) {
        w += 1;
    }
    let next_is_key = w > n && at(b, w) == b'=';
    (n >= b.len() || matches!(b[n], b'\n' | b'\r' | b'"' | b'\'') || next_is_key).then_some(semi)
}

/// `Digest username="…", nonce="…", response="…"`: the response is the credential.
fn digest_response(b: &[u8], from: usize, to: usize, out: &mut Vec<Cand>) {
    let limit = (to + 512).min(b.len());
    let hay = &b[from..limit];
    if let Some(p) = hay
        .windows(10)
        .position(|w| w.eq_ignore_ascii_case(b"response=\""))
    {
        let vs = from + p + 10;
        if let Some(len) = b[vs..limit].iter().position(|&c| c == b'"') {
            if len >= 8 {
                out.push(cand(
                    vs,
                    vs + len,
                    Kind::BEARER_TOKEN,
                    "authorization",
                    PRIO_KV,
                ));
            }
        }
    }
}

/// A vendor's authorization scheme word: letters (and `-`), starting uppercase.
fn is_scheme_word(w: &str) -> bool {
    let b = w.as_bytes();
    (2..=16).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

/// The kind of credential after an authorization scheme word (any case).
fn auth_scheme(word: &str) -> Option<Kind> {
    if [
        "bearer",
        "token",
        "api-token",
        "apitoken",
        "apikey",
        "api-key",
    ]
    .iter()
    .any(|s| word.eq_ignore_ascii_case(s))
    {
        Some(Kind::BEARER_TOKEN)
    } else if word.eq_ignore_ascii_case("basic") {
        Some(Kind::BASIC_AUTH)
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
            out.push(cand(vs, i, Kind::COOKIE, "cookie", PRIO_KV));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `ends_in_secret_noun` is a filter in front of `classify_key`: it must pass every
    /// identifier that `classify_key` accepts.
    #[test]
    fn secret_noun_filter_passes_every_secret_key() {
        let parts: &[&str] = &[
            "pass",
            "password",
            "Password",
            "PASSWD",
            "pwd",
            "pw",
            "phrase",
            "secret",
            "Secret",
            "credential",
            "credentials",
            "creds",
            "token",
            "Token",
            "jwt",
            "api",
            "Api",
            "key",
            "Key",
            "KEY",
            "cookie",
            "cookies",
            "session",
            "Session",
            "id",
            "Id",
            "sid",
            "auth",
            "Auth",
            "authorization",
            "access",
            "private",
            "aws",
            "AWS",
            "client",
            "signing",
            "max",
            "count",
            "min",
            "length",
            "type",
            "db",
            "x",
            "github",
            "2",
            "v1",
        ];
        let seps: &[&str] = &["", "_", "-", ".", "__"];
        let mut next = crate::detectors::test_rng(0x2545_F491_4F6C_DD1Du64);
        let mut accepted = 0;
        for _ in 0..200_000 {
            let mut ident = String::new();
            if next(6) == 0 {
                ident.push_str("--");
            }
            for k in 0..1 + next(4) {
                if k > 0 {
                    ident.push_str(seps[next(seps.len())]);
                }
                ident.push_str(parts[next(parts.len())]);
            }
            if next(5) == 0 {
                ident.push_str(seps[next(seps.len())]);
            }
            let ident = match next(3) {
                0 => ident.to_ascii_uppercase(),
                1 => ident.to_ascii_lowercase(),
                _ => ident,
            };
            // As `key_value` hands it over: trailing dots trimmed.
            let ident = ident.trim_end_matches('.');
            if classify_key(ident).is_some() {
                accepted += 1;
                assert!(
                    ends_in_secret_noun(ident.as_bytes(), ident.len()),
                    "{ident:?} names a secret but the filter drops it"
                );
            }
        }
        assert!(
            accepted > 10_000,
            "too few secret keys generated: {accepted}"
        );
    }
}
