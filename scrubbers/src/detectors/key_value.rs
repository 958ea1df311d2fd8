//! Key–value secrets: a value behind a key that names a credential (`password=`,
//! `"apiKey": "…"`, `Authorization: Bearer …`, `Cookie:` pairs, `--token …`), in the shapes
//! config, code and logs write them. Never takes counters or metadata about secrets
//! (`max_tokens`, `token_count`), templates, placeholders or status words.

use super::anchors::Scan;
use super::is_ident;
use super::jwt::credential_after;
use super::keys::{classify_key, is_secret_value, looks_random, KeyClass, ValueContext};
use super::placeholder::starts_with_placeholder;
use super::{at, byte_set, cand, prev, ByteClasses, Cand, PRIO_KV};
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
    // `var apiToken string = …`, `apiKey: string = …`: a type name, then a space, before
    // the `=` (its last byte is one of few).
    if b[sep] == b'='
        && k < sep
        && k > 0
        && matches!(b[k - 1], b'g' | b'r' | b'e' | b's' | b't' | b'y' | b'*')
    {
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
        if matches!(b[sep], b'=' | b':') {
            named_shape(text, sep, ie, st, out);
        }
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

/// A cheap filter in front of [`key_before_separator`] at `=` and `:`, inlined in the
/// anchored pass: most separators in logs and JSON (`Error:`, `"level":`, `12:30`,
/// `a=1`) follow an identifier that names no secret and starts no [`named_shape`]. It
/// passes every separator that `key_before_separator` could act on.
#[inline(always)]
pub(crate) fn worth_a_look(b: &[u8], sep: usize) -> bool {
    let mut k = sep;
    if b[sep] == b'=' && k > 0 && matches!(b[k - 1], b'?' | b'+' | b'.') {
        // `?=`, `+=`, `.=`: the operator's first byte.
        k -= 1;
    }
    while k > 0 && matches!(b[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    if k > 0 && matches!(b[k - 1], b'"' | b'\'') {
        k -= 1;
    } else if k > 1 && b[k - 1] == b']' {
        return true;
    }
    if k < 2 {
        return false;
    }
    let last = b[k - 1];
    if !last.is_ascii_alphanumeric() {
        // `\"key\":` and keys ending in `_` or `-` take the full path.
        return matches!(last, b'\\' | b'_' | b'-');
    }
    // No secret noun or shape below ends in a digit (`12:30`, `v2=`): only a type name
    // before `=` can still count.
    if last.is_ascii_digit() {
        return b[sep] == b'=' && k < sep;
    }
    ends_in_secret_noun(b, k)
        // `value` pairs, `kind: Secret`, HCL `default =`.
        || matches!(
            [b[k - 2] | 0x20, last | 0x20],
            [b'u', b'e'] | [b'n', b'd'] | [b'l', b't']
        )
        // `BUNDLE_…__COM`.
        || (last.is_ascii_uppercase() && b[k.saturating_sub(8)..k].windows(2).any(|w| w == b"__"))
        // A type name before `=` (`apiToken string = …`).
        || (b[sep] == b'=' && k < sep)
}

/// Shapes whose key is not itself a secret noun: an XML `key="Password" value="…"` pair,
/// Bundler's `BUNDLE_<HOST>=user:pass`, and a Kubernetes `kind: Secret`.
fn named_shape(text: &str, sep: usize, ie: usize, st: &mut Scan<'_, '_>, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let last2 = [b[ie - 2.min(ie)] | 0x20, b[ie - 1] | 0x20];
    match (b[sep], last2) {
        (b'=' | b':', [b'u', b'e']) if ie >= 5 && b[ie - 5..ie].eq_ignore_ascii_case(b"value") => {
            attribute_pair(text, sep, ie - 5, out);
        }
        // `BUNDLE_GEMS__EXAMPLE__COM`: the last `__` is before a short top-level domain.
        (b'=' | b':', [c, _])
            if c.is_ascii_alphabetic()
                && b[ie - 1].is_ascii_uppercase()
                && b[ie.saturating_sub(8)..ie].windows(2).any(|w| w == b"__") =>
        {
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
                if let Some((vs, ve, _)) = value_span(text, sep + 1, &key, ValueSite::default()) {
                    if is_secret_value(&key, &text[vs..ve], ValueContext::default()) {
                        out.push(cand(vs, ve, Kind::SECRET, "key_value", PRIO_KV));
                    }
                }
            }
        }
        (b'=', [b'l', b't']) if ie >= 7 && &b[ie - 7..ie] == b"default" => {
            hcl_variable_default(text, sep, ie - 7, out);
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

/// The value from `j` (past spaces), reported as `kind` when it is a secret behind `key`.
fn secret_value_from(text: &str, j: usize, key: &KeyClass, kind: Kind, out: &mut Vec<Cand>) {
    if let Some((vs, ve, site)) = value_span(text, j, key, ValueSite::default()) {
        let at = ValueContext {
            query: false,
            quoted: site.quoted,
        };
        if is_secret_value(key, &text[vs..ve], at) {
            out.push(cand(vs, ve, kind, "key_value", PRIO_KV));
        }
    }
}

/// Terraform's `variable "db_password" { default = "…" }`: the variable's name names the
/// default value. `default_start` is where `default` starts, `sep` its `=`.
fn hcl_variable_default(text: &str, sep: usize, default_start: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    if is_ident(prev(b, default_start)) {
        return;
    }
    let lo = default_start.saturating_sub(160);
    let window = &b[lo..default_start];
    let Some(v) = memchr::memmem::rfind(window, b"variable \"") else {
        return;
    };
    let name_start = lo + v + 10;
    let Some(len) = b[name_start..default_start].iter().position(|&c| c == b'"') else {
        return;
    };
    let name = &text[name_start..name_start + len];
    // Only the block's own opening brace between the name and `default`.
    let between = &b[name_start + len + 1..default_start];
    if between.iter().filter(|&&c| c == b'{').count() != 1 || between.contains(&b'}') {
        return;
    }
    let Some(key) = classify_key(name) else {
        return;
    };
    secret_value_from(text, sep + 1, &key, key.kind.clone(), out);
}

/// A name/value pair whose name names a secret: XML `<add key="ClearTextPassword"
/// value="…" />`, JSON `{"name": "DB_PASSWORD", "value": "…"}` (Postman, Kubernetes env,
/// CloudFormation `ParameterKey`/`ParameterValue`), YAML `- name: X` / `value: …`.
/// `value_start` is where the `value` identifier starts, `sep` its separator.
fn attribute_pair(text: &str, sep: usize, value_start: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    // The same tag or object (back to its `<` or `{`), or this and the line before (YAML).
    let mut lo = value_start.saturating_sub(96);
    for (hits, k) in memchr::memrchr3_iter(b'{', b'<', b'\n', &b[lo..value_start]).enumerate() {
        if b[lo + k] != b'\n' || hits == 1 {
            lo += k;
            break;
        }
    }
    let window = &b[lo..value_start];
    // The nearest `key`/`name`/`ParameterKey` field before the value, found from its
    // separator: `key="…"`, `"name": "…"`, `name: …`.
    let field = memchr::memrchr2_iter(b'=', b':', window).find_map(|sep| {
        let mut e = sep;
        if e > 0 && window[e - 1] == b'"' {
            e -= 1;
        }
        let s = window[..e]
            .iter()
            .rposition(|c| !c.is_ascii_alphabetic())
            .map_or(0, |p| p + 1);
        let word = &window[s..e];
        let named = [&b"key"[..], b"name", b"parameterkey"]
            .iter()
            .any(|w| word.eq_ignore_ascii_case(w));
        named.then_some(sep + 1)
    });
    let Some(after) = field else { return };
    if window[after..]
        .iter()
        .any(|&c| matches!(c, b'}' | b'>' | b']'))
    {
        return;
    }
    let mut ns = after;
    while matches!(window.get(ns), Some(b' ' | b'"' | b'\'')) {
        ns += 1;
    }
    let ne = ns
        + window[ns..]
            .iter()
            .position(|&c| matches!(c, b'"' | b'\'' | b'\n' | b',' | b' '))
            .unwrap_or(window.len() - ns);
    let Some(key) = classify_key(&text[lo + ns..lo + ne]) else {
        return;
    };
    secret_value_from(text, sep + 1, &key, key.kind.clone(), out);
}

/// Every value under a `data:` or `stringData:` block of a Kubernetes Secret manifest,
/// in YAML (each block belongs to the nearest top-level `kind:`, which `kubectl` prints
/// after `data:`) or in JSON (`"data":{"k":"v",…}`).
fn kubernetes_secret_data(text: &str, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    // Lines: (start, end, indent).
    let mut lines = Vec::new();
    let mut line_start = 0;
    while line_start <= b.len() {
        let line_end = b[line_start..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |p| line_start + p);
        let line = &text[line_start..line_end];
        lines.push((line_start, line_end, line.len() - line.trim_start().len()));
        line_start = line_end + 1;
    }
    let top_kind = |n: usize| {
        let (s, e, indent) = lines[n];
        let line = &text[s..e];
        (indent == 0)
            .then(|| line.strip_prefix("kind:"))
            .flatten()
            .map(str::trim)
    };
    let kinds: Vec<(usize, &str)> = (0..lines.len())
        .filter_map(|n| top_kind(n).map(|k| (n, k)))
        .collect();
    let mut n = 0;
    while n < lines.len() {
        let (s, e, indent) = lines[n];
        let body = text[s..e].trim();
        n += 1;
        if body != "data:" && body != "stringData:" {
            continue;
        }
        let here = n - 1;
        let nearest = kinds.iter().min_by_key(|(k, _)| k.abs_diff(here));
        let secret = nearest.is_some_and(|(_, k)| k.trim_matches(['"', '\'']) == "Secret");
        while n < lines.len() {
            let (ls, le, li) = lines[n];
            let line = text[ls..le].trim();
            if !line.is_empty() && li <= indent {
                break;
            }
            n += 1;
            let Some(colon) = line.find(": ") else {
                continue;
            };
            if !secret {
                continue;
            }
            let name = &line[..colon];
            let vs = ls + li + colon + 2;
            let mut ve = le;
            while ve > vs && b[ve - 1].is_ascii_whitespace() {
                ve -= 1;
            }
            k8s_value(text, name, vs, ve, out);
        }
    }
    // JSON manifests: `"data":{"username":"ZGVwbG95",…}`.
    for field in ["\"data\":", "\"stringData\":"] {
        for (p, _) in text.match_indices(field) {
            let mut k = p + field.len();
            while at(b, k) == b' ' {
                k += 1;
            }
            if at(b, k) != b'{' {
                continue;
            }
            let close = b[k..]
                .iter()
                .position(|&c| c == b'}')
                .map_or(b.len(), |c| k + c);
            let object = &text[k + 1..close];
            let mut rest = 0;
            while let Some(colon) = object[rest..].find("\":") {
                let name_end = rest + colon;
                let name_start = object[..name_end].rfind('"').map_or(0, |q| q + 1);
                let mut vs = name_end + 2;
                while object.as_bytes().get(vs) == Some(&b' ') {
                    vs += 1;
                }
                if object.as_bytes().get(vs) != Some(&b'"') {
                    break;
                }
                let Some(len) = object[vs + 1..].find('"') else {
                    break;
                };
                let (s, e) = (k + 1 + vs + 1, k + 1 + vs + 1 + len);
                k8s_value(text, &object[name_start..name_end], s, e, out);
                rest = vs + 1 + len + 1;
            }
        }
    }
}

/// One value of a Secret's data: its key's own kind when the key names a secret.
fn k8s_value(text: &str, name: &str, mut vs: usize, mut ve: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    if ve > vs + 1 && matches!(b[vs], b'"' | b'\'') && b[ve - 1] == b[vs] {
        vs += 1;
        ve -= 1;
    }
    let value = &text[vs..ve];
    if value.is_empty() || value.starts_with('[') || value == "|" || value == ">" {
        return;
    }
    let kind = classify_key(name).map_or(Kind::SECRET, |k| k.kind);
    out.push(cand(vs, ve, kind, "key_value", PRIO_KV));
}

/// At `>`: `<password>…</password>`, an XML element whose name (or whose `key`/`name`
/// attribute: `<entry key="db.password">…`) names a secret.
pub(crate) fn xml_element(text: &str, gt: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let lo = gt.saturating_sub(200);
    let Some(lt) = b[lo..gt].iter().rposition(|&c| c == b'<' || c == b'>') else {
        return;
    };
    let lt = lo + lt;
    if b[lt] != b'<' || matches!(at(b, lt + 1), b'/' | b'!' | b'?') {
        return;
    }
    let tag = &text[lt + 1..gt];
    let name_end = tag.find([' ', '\t', '/']).unwrap_or(tag.len());
    let name = &tag[..name_end];
    let local = name.rsplit(':').next().unwrap_or(name);
    if local.is_empty() || !local.bytes().all(is_ident) {
        return;
    }
    let key = classify_key(local).or_else(|| {
        let attrs = &tag[name_end..];
        ["key=\"", "name=\"", "key='", "name='"]
            .iter()
            .find_map(|a| {
                let p = attrs.find(a)? + a.len();
                let len = attrs[p..].find(['"', '\''])?;
                classify_key(&attrs[p..p + len])
            })
    });
    let Some(key) = key else { return };
    let vs = gt + 1;
    let limit = (vs + 4096).min(b.len());
    let Some(len) = b[vs..limit].iter().position(|&c| c == b'<' || c == b'\n') else {
        return;
    };
    let ve = vs + len;
    if b.get(ve) != Some(&b'<') || at(b, ve + 1) != b'/' || !text.is_char_boundary(ve) {
        return;
    }
    let at = ValueContext {
        query: false,
        quoted: true,
    };
    if is_secret_value(&key, &text[vs..ve], at) {
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

/// A secret after a keyword and a space, in the forms that have no separator: SQL's
/// `IDENTIFIED BY 'x'` and `[WITH] [LOGIN] PASSWORD 'x'` (quoted), and `.netrc`'s
/// `machine … login … password x`. `s..e` is the keyword.
pub(crate) fn spaced_secret(text: &str, s: usize, e: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    if super::is_ident(prev(b, s)) {
        return;
    }
    let mut j = e;
    while at(b, j) == b' ' {
        j += 1;
    }
    let identified = b[s] | 0x20 == b'i';
    if identified {
        // `IDENTIFIED BY`, `IDENTIFIED WITH plugin BY`.
        let limit = (j + 48).min(b.len());
        let Some(by) = b[j..limit]
            .windows(4)
            .position(|w| w.eq_ignore_ascii_case(b" by ") || w[..3].eq_ignore_ascii_case(b"by "))
        else {
            return;
        };
        j += by + if b[j + by] == b' ' { 4 } else { 3 };
        while at(b, j) == b' ' {
            j += 1;
        }
    }
    let quoted = matches!(at(b, j), b'\'' | b'"');
    let line = b[..s]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let netrc = memchr::memmem::find(&b[line..s], b"machine ").is_some()
        || memchr::memmem::find(&b[line..s], b"login ").is_some();
    // In prose (`# bastion password rkS37D6dGBEX`, `password was …`) only a value that
    // looks random counts: the key is weak there.
    let prose = !(quoted || identified || netrc);
    if prose {
        for filler in [&b"was "[..], b"is ", b": "] {
            if b[j..].starts_with(filler) {
                j += filler.len();
                break;
            }
        }
        if matches!(at(b, j), b'\'' | b'"') {
            return;
        }
    }
    let key = KeyClass {
        kind: Kind::PASSWORD,
        weak: prose,
    };
    let site = ValueSite::default();
    if let Some((vs, ve, site)) = value_span(text, j, &key, site) {
        let at = ValueContext {
            query: false,
            quoted: site.quoted,
        };
        // A vendor token names itself better (found at its word start).
        if !vendor_takes(b, vs, ve) && is_secret_value(&key, &text[vs..ve], at) {
            out.push(cand(vs, ve, Kind::PASSWORD, "key_value", PRIO_KV));
        }
    }
}

/// Does a vendor row take the value `vs..ve` whole (by shape)?
fn vendor_takes(b: &[u8], vs: usize, ve: usize) -> bool {
    let tokens = token_table();
    tokens.may_start(b, vs)
        && super::vendor::shaped_token_at(tokens, b, vs).is_some_and(|(c, _)| c.end >= ve)
}

/// PowerShell's `ConvertTo-SecureString "…" -AsPlainText`: the literal before the flag
/// (`dash`) is a password in clear.
fn secure_string_literal(text: &str, dash: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let mut k = dash;
    while k > 0 && b[k - 1] == b' ' {
        k -= 1;
    }
    let q = prev(b, k);
    if !matches!(q, b'"' | b'\'') || k < 2 {
        return;
    }
    let ve = k - 1;
    let Some(open) = b[ve.saturating_sub(256)..ve].iter().rposition(|&c| c == q) else {
        return;
    };
    let vs = ve.saturating_sub(256) + open + 1;
    let mut c = vs - 1;
    while c > 0 && b[c - 1] == b' ' {
        c -= 1;
    }
    if b[..c].ends_with(b"-String") {
        c -= 7;
        while c > 0 && b[c - 1] == b' ' {
            c -= 1;
        }
    }
    let call = b"convertto-securestring";
    let named = c >= call.len() && b[c - call.len()..c].eq_ignore_ascii_case(call);
    let variable = b.get(vs) == Some(&b'$');
    if named && ve > vs && !variable {
        out.push(cand(vs, ve, Kind::PASSWORD, "key_value", PRIO_KV));
    }
}

/// `curl -u user:pass`, `--user user:pass`: the password after the first `:`; and
/// `mysql -pPASSWORD` (the password glued to `-p`).
pub(crate) fn user_flag(text: &str, dash: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let rest = &b[dash..];
    if rest.len() >= 12 && rest[..12].eq_ignore_ascii_case(b"-asplaintext") {
        secure_string_literal(text, dash, out);
        return;
    }
    if rest.starts_with(b"-p") && !matches!(at(b, dash + 2), b' ' | b'\t' | b'\n' | b'-' | 0) {
        let line = b[..dash]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1);
        if memchr::memmem::find(&b[line..dash], b"mysql").is_some() {
            let vs = dash + 2;
            let ve = b[vs..]
                .iter()
                .position(|c| c.is_ascii_whitespace() || matches!(c, b'"' | b'\''))
                .map_or(b.len(), |p| vs + p);
            if ve - vs >= 3 && b[vs] != b'$' && text.is_char_boundary(ve) {
                out.push(cand(vs, ve, Kind::PASSWORD, "key_value", PRIO_KV));
            }
        }
        return;
    }
    // Tools whose password flag is a short one: `redis-cli -a x`, `sqlcmd -P x`,
    // `openssl … -k x`, `ssh-keygen -N x`, `sshpass -p x`.
    const SHORT_FLAGS: &[(&[u8], &[u8])] = &[
        (b"-a ", b"redis-cli"),
        (b"-P ", b"sqlcmd"),
        (b"-k ", b"openssl"),
        (b"-N ", b"ssh-keygen"),
        (b"-p ", b"sshpass"),
    ];
    if let Some((flag, _)) = SHORT_FLAGS.iter().find(|(flag, tool)| {
        rest.starts_with(flag) && {
            let line = b[..dash]
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |p| p + 1);
            memchr::memmem::find(&b[line..dash], tool).is_some()
        }
    }) {
        let key = KeyClass {
            kind: Kind::PASSWORD,
            weak: false,
        };
        secret_value_from(text, dash + flag.len(), &key, Kind::PASSWORD, out);
        return;
    }
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
    let q = at(b, vs);
    if quote {
        vs += 1;
    }
    let mut ve = vs;
    while ve < b.len()
        && b[ve] != b'\n'
        && if quote {
            b[ve] != q
        } else {
            !b[ve].is_ascii_whitespace() && !matches!(b[ve], b'"' | b'\'')
        }
    {
        ve += 1;
    }
    let Some(colon) = b[vs..ve].iter().position(|&c| c == b':') else {
        return;
    };
    let ps = vs + colon + 1;
    let pass = &b[ps..ve];
    let reference = pass
        .first()
        .is_some_and(|&c| matches!(c, b'$' | b'%' | b'[' | b'<'));
    if !pass.is_empty() && !reference && text.is_char_boundary(ve) {
        out.push(cand(ps, ve, Kind::PASSWORD, "key_value", PRIO_KV));
    }
}

/// Does the identifier ending at `ie` end, past trailing `_ - .`, in a word that
/// [`classify_key`] can call a secret (any case)? Every key it accepts does: its last
/// segment is one of these words or ends in one. Most identifiers before a `:` or `=` in
/// logs (`max_tokens`, `Error`, `localhost`, `index.ts`) fail here, before any other work.
#[inline(always)]
pub(crate) fn ends_in_secret_noun(b: &[u8], ie: usize) -> bool {
    // Most identifiers end in a letter or digit and in no noun's last two letters: one
    // lookup, inlined, before the walk back over trailing `_ - .`.
    if ie >= 2 && b[ie - 1].is_ascii_alphanumeric() && !NOUN_ENDINGS.may_end(b[ie - 2], b[ie - 1]) {
        return false;
    }
    ends_in_secret_noun_slow(b, ie)
}

/// [`ends_in_secret_noun`] past its one-lookup rejection.
#[inline(never)]
fn ends_in_secret_noun_slow(b: &[u8], ie: usize) -> bool {
    let mut e = ie;
    while e > 0 && matches!(b[e - 1], b'_' | b'-' | b'.') {
        e -= 1;
    }
    if e < 2 || !NOUN_ENDINGS.may_end(b[e - 2], b[e - 1]) {
        return false;
    }
    // By the last two letters (`| 0x20` folds case; other bytes fold to no letter pair
    // of these words); each list holds every word ending in them.
    let words: &[&[u8]] = match [b[e - 2] | 0x20, b[e - 1] | 0x20] {
        [b'w', b'd'] => &[b"pwd", b"passwd"],
        [b'r', b'd'] => &[b"password"],
        [b'i', b'd'] => {
            // `…key_id` (`private_key_id`), with any separator or none.
            let mut k = e - 2;
            while k > 0 && matches!(b[k - 1], b'_' | b'-' | b'.') {
                k -= 1;
            }
            if k >= 3 && b[k - 3..k].eq_ignore_ascii_case(b"key") {
                return true;
            }
            &[b"sessionid", b"sid"]
        }
        [b's', b'e'] => &[
            b"passphrase",
            b"phrase",
            b"secret_key_base",
            b"secretkeybase",
        ],
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
        [b'e', b'r'] => &[b"bearer"],
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

/// Every word [`ends_in_secret_noun`] accepts (and `id`, for `…key_id`): the source of
/// its one-lookup rejection table.
const SECRET_NOUNS: &[&[u8]] = &[
    b"pwd",
    b"passwd",
    b"password",
    b"id",
    b"sessionid",
    b"sid",
    b"passphrase",
    b"phrase",
    b"secret_key_base",
    b"secretkeybase",
    b"cookie",
    b"auth",
    b"credential",
    b"token",
    b"session",
    b"authorization",
    b"pass",
    b"credentials",
    b"creds",
    b"cookies",
    b"secret",
    b"jwt",
    b"pw",
    b"bearer",
    b"key",
    b"pat",
    b"sig",
    b"signature",
    b"private",
];

/// The last two letters of the [`SECRET_NOUNS`], folded to five bits each: most
/// identifiers end in no such pair and are rejected with one lookup.
struct NounEndings([u32; 32]);

impl NounEndings {
    const fn new(words: &[&[u8]]) -> Self {
        let mut t = [0u32; 32];
        let mut i = 0;
        while i < words.len() {
            let w = words[i];
            t[(w[w.len() - 2] & 31) as usize] |= 1 << (w[w.len() - 1] & 31);
            i += 1;
        }
        NounEndings(t)
    }

    /// Whether an identifier ending in `a b` may end in a secret noun (any case; other
    /// bytes alias some letters, which the exact check then rejects).
    #[inline]
    fn may_end(&self, a: u8, b: u8) -> bool {
        self.0[usize::from(a & 31)] >> (b & 31) & 1 != 0
    }
}

static NOUN_ENDINGS: NounEndings = NounEndings::new(SECRET_NOUNS);

/// Key-name stems; an identifier holding one may name a secret (see `classify_key`).
/// Grouped by their first two bytes, which are checked first.
const KEY_STEMS: &[(&[u8; 2], &[&[u8]])] = &[
    (b"pa", &[b"pass", b"pat"]),
    (b"si", &[b"sig", b"sid"]),
    (b"pr", &[b"private"]),
    (b"pw", &[b"pwd", b"pw"]),
    (b"be", &[b"bearer"]),
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
    while p + 2 <= ie {
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
            key_value(text, st, p, p + len, out);
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
    st: &mut Scan<'_, '_>,
    s: usize,
    e: usize,
    out: &mut Vec<Cand>,
) {
    let classes = st.classes;
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
    // `${DB_PASSWORD:-default}`: a shell default, not an assignment; `…:secret:name` is a
    // segment of an ARN or URN.
    if (is >= 2 && &b[is - 2..is] == b"${") || (prev(b, is) == b':' && at(b, ie) == b':') {
        return;
    }
    let ident = &text[is..ie];
    let Some(key) = classify_key(ident) else {
        return;
    };
    let Some((j, prose)) = separator(b, is, ie) else {
        return;
    };
    let at_value = ValueSite {
        query: matches!(prev(b, is), b'?' | b'&'),
        connection_string: prev(b, is) == b';',
        quoted: false,
    };
    // `auth=("admin", "…")`: a tuple of user and password.
    let mut j = j;
    let mut tuple = false;
    {
        let mut t = j;
        while at(b, t) == b' ' {
            t += 1;
        }
        if at(b, t) == b'(' && matches!(at(b, t + 1), b'"' | b'\'') {
            j = t + 1;
            tuple = true;
        }
    }
    let Some((mut vs, mut ve, site)) = value_span(text, j, &key, at_value) else {
        return;
    };
    // `NetworkCredential("svc", "…")`, `SetBasicAuth("admin", "…")`: in a call or tuple of
    // several string literals, the last one is the password.
    let mut key = key;
    if (tuple || at(b, ie) == b'(') && site.quoted {
        let mut last = None;
        let mut k = ve;
        while let Some((s2, e2)) = next_literal(b, k) {
            last = Some((s2, e2));
            k = e2;
        }
        if let Some((s2, e2)) = last {
            (vs, ve) = (s2, e2);
            key = KeyClass {
                kind: Kind::PASSWORD,
                weak: false,
            };
        }
    }
    let value = &text[vs..ve];
    // Already scrubbed (or glued to something that was): leave it alone, so a second pass
    // never judges a value that the first pass saw without the placeholder.
    // A value that a vendor row takes whole is left to it (found at its word start).
    if st.vendor_takes(b, vs, ve) {
        return;
    }
    if memchr::memchr(b'[', value.as_bytes()).is_some()
        && (value.contains("[REDACTED:")
            || value.contains("[HASH:")
            // Against the text, not `value`: the trailing-`]` trim may have cut one.
            || value
                .match_indices('[')
                .any(|(i, _)| starts_with_placeholder(&text[vs + i..])))
    {
        return;
    }
    // The shell's working directory, not a password.
    if ident.ends_with("PWD") && matches!(value.as_bytes()[0], b'/' | b'~') {
        return;
    }
    // `{"key": "apiKey", "value": …}`, `<add key="Secret" value=…>`: this is the pair's
    // name; the `value` that follows is judged as an attribute pair.
    if key.weak && ident.eq_ignore_ascii_case("key") {
        let rest = &b[ve..(ve + 12).min(b.len())];
        if rest.windows(5).any(|w| w.eq_ignore_ascii_case(b"value")) {
            return;
        }
    }
    if (key.kind == Kind::BEARER_TOKEN || key.kind == Kind::TOKEN || key.kind == Kind::API_KEY)
        && authorization(
            classes,
            b,
            vs,
            ve,
            value,
            key.kind == Kind::BEARER_TOKEN,
            out,
        )
    {
        return;
    }
    // `Authorization: key=…`: the inner key names the credential.
    if key.kind == Kind::BEARER_TOKEN {
        let name = value
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'))
            .count();
        // (Base64 padding, `…LQ==`, is no inner key.)
        let inner_key = name > 0
            && name <= 24
            && value.as_bytes().get(name) == Some(&b'=')
            && !matches!(value.as_bytes().get(name + 1), None | Some(b'='));
        if inner_key {
            return;
        }
    }
    if key.kind == Kind::COOKIE && memchr::memchr(b'=', value.as_bytes()).is_some() {
        cookie_pairs(b, vs, out);
        return;
    }
    if key.kind == Kind::BEARER_TOKEN
        && memchr::memchr(b' ', value.as_bytes()).is_some()
        && !key.weak
    {
        return;
    }
    // `use token - x for staging`: in prose only a random-looking or quoted value counts.
    if prose && !site.quoted && !looks_random(value.as_bytes()) {
        return;
    }
    let context = ValueContext {
        query: site.query,
        quoted: site.quoted,
    };
    if is_secret_value(&key, value, context) {
        match token_table().context_row(ident, value) {
            // A documented format names the value better than the key alone does.
            Some(row) => out.push(cand(vs, ve, row.kind.clone(), row.rule, PRIO_KV + 1)),
            None => out.push(cand(vs, ve, key.kind, "key_value", PRIO_KV)),
        }
    } else if let Some(row) = token_table().context_row(ident, value) {
        // A documented format that the generic value rules would not take (a short
        // numeric id, a single-case key).
        out.push(cand(vs, ve, row.kind.clone(), row.rule, PRIO_KV + 1));
    }
}

/// An `Authorization`-style value `vs..ve` (unquoted, it may be only the scheme word):
/// `Bearer x`, `Basic x`, `Token x`, `Digest … response="x"`, a vendor scheme (`SSWS x`,
/// `GenieKey x`, `DSN https://…`). Returns whether the value was a scheme and its
/// credential handled.
fn authorization(
    classes: &ByteClasses<'_>,
    b: &[u8],
    vs: usize,
    ve: usize,
    value: &str,
    header: bool,
    out: &mut Vec<Cand>,
) -> bool {
    let (scheme, after) = match memchr::memchr(b' ', value.as_bytes()) {
        Some(sp) => (&value[..sp], vs + sp),
        None if at(b, ve) == b' ' => (value, ve),
        None => return false,
    };
    let kind = auth_scheme(scheme);
    if kind.is_none() && !(header && is_scheme_word(scheme)) {
        return false;
    }
    if scheme.eq_ignore_ascii_case("digest") {
        let line_end = b[after..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |p| after + p);
        digest_response(b, after, line_end, out);
        return true;
    }
    // `OAuth oauth_signature="…", …`: a parameter list whose own keys say what is secret.
    let rest = &b[after..(after + 64).min(b.len())];
    let first = rest
        .iter()
        .skip_while(|&&c| c == b' ')
        .take_while(|&&c| is_ident(c))
        .count();
    let lead = rest.iter().take_while(|&&c| c == b' ').count();
    if first > 0 && at(rest, lead + first) == b'=' && kind.is_none() {
        return true;
    }
    let kind = kind.unwrap_or(Kind::BEARER_TOKEN);
    // Behind an explicit scheme in a header, any credential-shaped run counts (a
    // lowercase token, a short Basic pair, a DSN URL).
    if let Some((ts, te)) = credential_after(classes, b, after, !header) {
        out.push(cand(ts, te, kind, "authorization", PRIO_KV));
    }
    true
}

/// Where a value stands, as [`value_span`] finds it.
#[derive(Clone, Copy, Debug, Default)]
struct ValueSite {
    /// A URL query parameter.
    query: bool,
    /// A `Key=Value;` connection-string field: `&` and spaces belong to the value.
    connection_string: bool,
    /// The value was quoted.
    quoted: bool,
}

/// The separator after a key that ends at `ie` (past a closing quote or `"]`): `=`, `:`,
/// `:=`, `::=`, `:::=`, `?=`, `+=`, `.=`, `=>`, a type name then `=`, `, ` after a quoted
/// key (`setProperty("db.password", "…")`), `("` after a setter (`.password("…")`),
/// ` - ` or ` | ` in prose and tables, or the space after a `--flag`. Returns where the
/// value may start, and whether the separator is a prose dash in mid-line.
fn separator(b: &[u8], is: usize, ie: usize) -> Option<(usize, bool)> {
    let cli_flag = b[is] == b'-';
    let quoted_key = matches!(prev(b, is), b'"' | b'\'');
    // `("db.password", "…")`, `{"password", "…"}`: a quoted key opening a call or list,
    // not a JSON value followed by the next member.
    let call_key = quoted_key && {
        let mut k = is - 1;
        while k > 0 && b[k - 1] == b' ' {
            k -= 1;
        }
        matches!(prev(b, k), b'(' | b'{' | b'[')
    };
    // A key first on its line (or in a table cell): `password | hunter2`, `token - '…'`.
    let line_key = {
        let mut k = is;
        while k > 0 && matches!(b[k - 1], b' ' | b'\t' | b'|' | b'-' | b'*') {
            k -= 1;
        }
        k == 0 || b[k - 1] == b'\n'
    };
    let mut j = ie;
    if at(b, j) == b'(' && matches!(at(b, j + 1), b'"' | b'\'') {
        return Some((j + 1, false));
    }
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
                return Some((k + 1, false));
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
        (b',', _, _, _) if call_key && j == after_key && ie < after_key => j + 1,
        (b'-' | b'|', b' ' | b'\t', _, _) if spaced && line_key => j + 1,
        (b'-', b' ' | b'\t', _, _) if spaced => return Some((j + 1, true)),
        _ if cli_flag && spaced => j,
        _ if spaced && docker_env_key(b, is) => j,
        _ => return None,
    };
    Some((sep, false))
}

/// Is the key at `is` the name of a Dockerfile `ENV` instruction (`ENV KEY value`)?
fn docker_env_key(b: &[u8], is: usize) -> bool {
    let mut k = is;
    while k > 0 && b[k - 1] == b' ' {
        k -= 1;
    }
    k < is && k >= 3 && &b[k - 3..k] == b"ENV" && (k == 3 || b[k - 4] == b'\n')
}

/// Calls that wrap a literal: `[]byte("…")`, `String::from("…")`, `Buffer.from('…')`.
/// Returns where the literal's quote is.
fn wrapped_literal(b: &[u8], j: usize) -> Option<usize> {
    let limit = (j + 24).min(b.len());
    let open = b.get(j..limit)?.iter().position(|&c| c == b'(')?;
    let callee = &b[j..j + open];
    // Constructors that only wrap the literal; other calls (`headers.get("…")`) look a
    // value up.
    const WRAPPERS: &[&[u8]] = &[
        b"[]byte",
        b"String::from",
        b"Buffer.from",
        b"bytes",
        b"str",
        b"String",
        b"Some",
        b"SecretStr",
        b"SecretString",
        b"SecretString::new",
        b"Secret::new",
        b"SecureString",
    ];
    let is_callee = WRAPPERS.contains(&callee);
    (is_callee && matches!(at(b, j + open + 1), b'"' | b'\'')).then_some(j + open + 1)
}

/// The value after a separator (from `j`, past spaces): quoted (also `"""…"""` and a
/// literal wrapped in a call), `{braced}` (ODBC), a connection-string field, or a bare
/// run. `None` when there is none.
fn value_span(
    text: &str,
    mut j: usize,
    key: &KeyClass,
    mut site: ValueSite,
) -> Option<(usize, usize, ValueSite)> {
    let b = text.as_bytes();
    while matches!(at(b, j), b' ' | b'\t') {
        j += 1;
    }
    if let Some(q) = wrapped_literal(b, j) {
        j = q;
    }
    let (vs, ve) = if b.get(j..).is_some_and(|r| r.starts_with(b"\"\"\"")) {
        let vs = j + 3;
        let off = text[vs..].find("\"\"\"")?;
        site.quoted = true;
        (vs, vs + off)
    } else if at(b, j) == b'\\' && at(b, j + 1) == b'"' {
        let vs = j + 2;
        let off = text[vs..].find("\\\"")?;
        site.quoted = true;
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
        site.quoted = true;
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
        // Most bytes stop nothing: one lookup skips them.
        let stops = if site.connection_string {
            &CONNECTION_STOPS
        } else {
            &VALUE_STOPS
        };
        while k < b.len() {
            // Four bytes per step while none of them stops anything.
            if let Some(&[c0, c1, c2, c3]) = b.get(k..k + 4) {
                let any = stops[usize::from(c0)]
                    | stops[usize::from(c1)]
                    | stops[usize::from(c2)]
                    | stops[usize::from(c3)];
                if !any {
                    k += 4;
                    continue;
                }
            }
            let c = b[k];
            if !stops[usize::from(c)] {
                k += 1;
                continue;
            }
            let stop = if site.connection_string {
                matches!(c, b';' | b'"' | b'\'' | b'\n' | b'\r')
            } else {
                c.is_ascii_whitespace()
                    || matches!(c, b'"' | b'\'' | b'`' | b',' | b';' | b'<' | b'>' | b'|')
                    // `&` ends a value where the next query parameter follows (`&x=`);
                    // elsewhere it is part of the password (`smtp.password: a&b`).
                    || (c == b'&' && (site.query || next_is_parameter(b, k + 1)))
            };
            if stop {
                break;
            }
            if c == b'\\' && matches!(at(b, k + 1), b'"' | b'n' | b'r' | b't') {
                break;
            }
            k += 1;
        }
        // `config["token"]`, `headers.get("Authorization")`: an expression, not a value.
        if matches!(at(b, k), b'"' | b'\'') && k > vs && matches!(b[k - 1], b'[' | b'(') {
            return None;
        }
        // `token=<your-token>`: a placeholder, not a short value.
        if at(b, k) == b'<' && b[k..].iter().take(64).any(|&c| c == b'>') {
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
        // Closing brackets belong to the surroundings, unless the value is bracketed.
        if at(b, vs) != b'[' {
            while k > vs && matches!(b[k - 1], b'.' | b')' | b']' | b'}') {
                k -= 1;
            }
        }
        while site.connection_string && k > vs && b[k - 1] == b' ' {
            k -= 1;
        }
        (vs, k)
    };
    (vs < ve && text.is_char_boundary(vs) && text.is_char_boundary(ve)).then_some((vs, ve, site))
}

/// Bytes at which [`value_span`] must look closer in a bare value: a superset of those
/// that end it (`&` and `\\` end it only in some places). The first five are
/// `u8::is_ascii_whitespace`.
static VALUE_STOPS: [bool; 256] = byte_set(b" \t\n\x0C\r\"'`,;<>|&\\");

/// [`VALUE_STOPS`] in a connection-string field.
static CONNECTION_STOPS: [bool; 256] = byte_set(b";\"'\n\r\\");

/// The next string literal argument after a literal that closes at `close` (`"a", "b"`):
/// its content's span, if a `,` and a quoted literal follow on the same line.
fn next_literal(b: &[u8], close: usize) -> Option<(usize, usize)> {
    let mut k = close + 1;
    while at(b, k) == b' ' {
        k += 1;
    }
    if at(b, k) != b',' {
        return None;
    }
    k += 1;
    while at(b, k) == b' ' {
        k += 1;
    }
    let q = at(b, k);
    if !matches!(q, b'"' | b'\'') {
        return None;
    }
    let s = k + 1;
    let len = b[s..(s + 512).min(b.len())]
        .iter()
        .position(|&c| c == q || c == b'\n')?;
    (b[s + len] == q && len > 0).then_some((s, s + len))
}

/// Does a query parameter (`name=`) start at `i`?
fn next_is_parameter(b: &[u8], i: usize) -> bool {
    let n = b[i.min(b.len())..]
        .iter()
        .take(48)
        .take_while(|&&c| {
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']')
        })
        .count();
    n > 0 && at(b, i + n) == b'='
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
        let name_start = i;
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
        // `Set-Cookie` attributes are not cookies.
        let name = &b[name_start..vs - 1];
        let attribute = [
            &b"path"[..],
            b"domain",
            b"expires",
            b"max-age",
            b"samesite",
            b"priority",
        ]
        .iter()
        .any(|a| name.eq_ignore_ascii_case(a));
        if i > vs && b[vs] != b'[' && !attribute {
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

    /// The one-lookup table agrees with the word lists it is built beside: every listed
    /// noun, in either case, is still accepted.
    /// The stop tables hold what the value reader stops at: whitespace and the listed
    /// bytes, nothing else.
    #[test]
    fn stop_tables_are_the_stop_bytes() {
        for c in 0..=255u8 {
            let value_stop = c.is_ascii_whitespace()
                || matches!(
                    c,
                    b'"' | b'\'' | b'`' | b',' | b';' | b'<' | b'>' | b'|' | b'&' | b'\\'
                );
            assert_eq!(VALUE_STOPS[usize::from(c)], value_stop, "{c}");
            let field_stop = matches!(c, b';' | b'"' | b'\'' | b'\n' | b'\r' | b'\\');
            assert_eq!(CONNECTION_STOPS[usize::from(c)], field_stop, "{c}");
        }
    }

    #[test]
    fn noun_endings_table_passes_every_secret_noun() {
        for w in SECRET_NOUNS.iter().filter(|w| **w != b"id") {
            for word in [w.to_vec(), w.to_ascii_uppercase()] {
                assert!(ends_in_secret_noun(&word, word.len()), "{word:?}");
            }
        }
        assert!(ends_in_secret_noun(b"private_key_id", 14));
        assert!(!ends_in_secret_noun(b"index.ts", 8));
    }

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
