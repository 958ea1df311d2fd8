//! The anchored pass: literal anchors (rare bytes such as `@` and `://`, prefixes at word
//! starts, key names before separators) visited at word starts and trigger bytes; each hit
//! runs its family's matcher at that position only.

use super::is_ident;
use super::key_value::{
    ends_in_secret_noun, key_before_separator, key_ident, path_segment, user_flag, worth_a_look,
    xml_element,
};
use super::placeholder::PLACEHOLDERS;
use super::url::WEBHOOKS;
use super::{at, prev, ByteClasses, Cand, PRIO_PROTECTED};
use super::{email, home, jwt, key_value, pem, url, vendor};
use crate::catalogue::token_table;

#[derive(Clone, Copy, Debug)]
enum Anchor {
    Email,
    Scheme,
    Pem,
    Jwt,
    Bearer,
    /// `IDENTIFIED BY`, `PASSWORD` followed by a space: SQL and `.netrc` forms.
    SpacedKey,
    /// A Dockerfile `ENV` instruction at a line start (`ENV NPM_TOKEN abc…`).
    DockerEnv,
    Home(home::Home),
    /// Index into [`WEBHOOKS`].
    Webhook(usize),
    Placeholder,
    PlaceholderOpen,
}

// Why no automaton: with case-insensitive key-name stems in the set, nearly every letter
// could start an anchor, so an Aho-Corasick DFA has to step through every byte (~14
// instructions a byte) and no SIMD prefilter applies. But every anchor is one of three
// shapes, each findable from a few bytes:
//
// - a rare byte: `@`, `://`, `-----BEGIN `, `/home/`, `/Users/`, `\Users\`, `[EMAIL]`…;
// - a prefix at the start of a word (vendor prefixes, `eyJ`, `bearer`): their matchers
//   reject an alphanumeric byte before the prefix, so only word starts can match;
// - a key-name stem (`pass`, `token`…) inside an identifier: `key_value` only reports a
//   value after a separator, so stems are looked for backwards from `=` and `:` (and in
//   `--flag value` identifiers), not in every word.
//
// So one loop over the set bits of the word-start and trigger-byte maps (see `classes`)
// visits each rare byte and each word start, and nothing else. Matching is leftmost and
// non-overlapping like the automaton it replaces: bytes of a matched anchor start no
// other anchor, and anchors inside a span claimed by an earlier structured detector are
// skipped.

/// Can [`word_anchor`] start with byte `c`?
#[inline]
fn starts_word_anchor(c: u8) -> bool {
    matches!(c, b'e' | b'E' | b'b' | b'B' | b'i' | b'I' | b'p' | b'P')
}

/// The first two bytes (as bits by their little-endian `u16`) that [`word_anchor`] can
/// match at: `ey`, `be`, `id`, `EN` and `pa` in the cases it accepts.
static WORD_PAIRS: [u64; 1024] = {
    let mut t = [0u64; 1024];
    let pairs: &[[u8; 2]] = &[
        *b"ey", *b"be", *b"bE", *b"Be", *b"BE", *b"id", *b"iD", *b"Id", *b"ID", *b"EN", *b"pa",
        *b"pA", *b"Pa", *b"PA",
    ];
    let mut k = 0;
    while k < pairs.len() {
        let pair = u16::from_le_bytes(pairs[k]) as usize;
        t[pair / 64] |= 1 << (pair % 64);
        k += 1;
    }
    t
};

/// The anchor starting the word at `i` that is not a vendor token: `eyJ` (JWTs) and
/// `bearer` (any case).
fn word_anchor(b: &[u8], i: usize) -> Option<(usize, Anchor)> {
    let rest = &b[i..];
    match b[i] {
        b'e' => rest.starts_with(b"eyJ").then_some((3, Anchor::Jwt)),
        b'b' | b'B' => (rest.len() >= 6 && rest[..6].eq_ignore_ascii_case(b"bearer"))
            .then_some((6, Anchor::Bearer)),
        // The second byte first: most words starting with these letters end here.
        b'i' | b'I' if at(b, i + 1) | 0x20 == b'd' => {
            (starts_with_ci(b, i, b"identified ")).then_some((10, Anchor::SpacedKey))
        }
        b'E' if at(b, i + 1) == b'N'
            && at(b, i + 2) == b'V'
            && at(b, i + 3) == b' '
            && matches!(prev(b, i), 0 | b'\n') =>
        {
            Some((3, Anchor::DockerEnv))
        }
        b'p' | b'P' if at(b, i + 1) | 0x20 == b'a' => ["password ", "passwd ", "passphrase "]
            .iter()
            .find(|w| starts_with_ci(b, i, w.as_bytes()))
            .map(|w| (w.len() - 1, Anchor::SpacedKey)),
        _ => None,
    }
}

/// `~name/` at `i`: a user's home (not `~/`, `~1`, or a `~` inside a word).
fn tilde_home(b: &[u8], i: usize) -> bool {
    if is_ident(prev(b, i)) || !at(b, i + 1).is_ascii_lowercase() {
        return false;
    }
    let mut k = i + 1;
    while k < b.len() && k - i <= 32 && (is_ident(b[k]) || matches!(b[k], b'.' | b'-')) {
        k += 1;
    }
    at(b, k) == b'/'
}

pub(crate) fn starts_with_ci(b: &[u8], i: usize, p: &[u8]) -> bool {
    b.len() - i >= p.len() && b[i..i + p.len()].eq_ignore_ascii_case(p)
}

/// The anchor a trigger byte at `i` starts: `(start, end, anchor)`. Webhook anchors start
/// before the `/` that finds them.
fn trigger_anchor(b: &[u8], i: usize) -> Option<(usize, usize, Anchor)> {
    let one = |p: &[u8], a: Anchor| b[i..].starts_with(p).then_some((i, i + p.len(), a));
    match b[i] {
        b'@' => Some((i, i + 1, Anchor::Email)),
        // Cheap second-byte checks first: most `:` and `-` start nothing.
        b':' => {
            (at(b, i + 1) == b'/' && at(b, i + 2) == b'/').then_some((i, i + 3, Anchor::Scheme))
        }
        b'-' if at(b, i + 1) == b'-' => one(b"-----BEGIN ", Anchor::Pem),
        b'-' => None,
        b'/' => {
            // Only `hooks.slack.com/`, `discord[app].com/`, `/home/` and `/users/`.
            let webhook_host = matches!(prev(b, i), b'm' | b'M');
            if !webhook_host && !matches!(at(b, i + 1), b'h' | b'u' | b'U') {
                return None;
            }
            if webhook_host {
                for (w, hook) in WEBHOOKS.iter().enumerate() {
                    let (host, path) = (hook.host, hook.path);
                    if i >= host.len()
                        && b[i - host.len()..i].eq_ignore_ascii_case(host)
                        && starts_with_ci(b, i, path)
                    {
                        let s = i - host.len();
                        return Some((s, i + path.len(), Anchor::Webhook(w)));
                    }
                }
            }
            if let Some(m) = one(b"/home/", Anchor::Home(home::Home::Unix)) {
                return Some(m);
            }
            starts_with_ci(b, i, b"/users/").then_some((
                i,
                i + b"/users/".len(),
                Anchor::Home(home::Home::UsersSlash),
            ))
        }
        b'\\' => {
            let escaped: &[u8] = b"\\\\users\\\\";
            let plain: &[u8] = b"\\users\\";
            let xp: &[u8] = b"\\documents and settings\\";
            let wsl: &[u8] = b"\\home\\";
            if starts_with_ci(b, i, xp) {
                Some((i, i + xp.len(), Anchor::Home(home::Home::UsersBackslash)))
            } else if b[i..].starts_with(wsl) {
                Some((i, i + wsl.len(), Anchor::Home(home::Home::WslShare)))
            } else if starts_with_ci(b, i, escaped) {
                Some((i, i + escaped.len(), Anchor::Home(home::Home::UsersEscaped)))
            } else {
                starts_with_ci(b, i, plain).then_some((
                    i,
                    i + plain.len(),
                    Anchor::Home(home::Home::UsersBackslash),
                ))
            }
        }
        // Every placeholder starts with `[` and an uppercase letter.
        b'[' if !at(b, i + 1).is_ascii_uppercase() => None,
        b'[' => {
            if let Some(m) = one(b"[REDACTED:", Anchor::PlaceholderOpen) {
                return Some(m);
            }
            if let Some(m) = one(b"[HASH:", Anchor::PlaceholderOpen) {
                return Some(m);
            }
            PLACEHOLDERS
                .iter()
                .find(|p| b[i..].starts_with(p))
                .map(|p| (i, i + p.len(), Anchor::Placeholder))
        }
        _ => None,
    }
}

/// Where anchors may start: past the last matched anchor (`next`) and outside spans
/// claimed by structured detectors (`consumed`).
pub(crate) struct Scan<'c, 't> {
    pub(crate) classes: &'c ByteClasses<'t>,
    next: usize,
    pub(crate) consumed: usize,
    /// `(anchor start, consumed after it)` each time `consumed` grew, so a key-name stem
    /// found later, behind a separator, is judged by the claims made before it.
    pub(crate) claims: Vec<(usize, usize)>,
    /// Start of the last identifier handed to `key_value`.
    pub(crate) last_key: usize,
    /// A Kubernetes `kind: Secret` was seen and its data values reported.
    pub(crate) k8s_secret: bool,
    /// The last [`vendor::shaped_token_at`] the key path asked for, by position: the
    /// value behind a key is often a vendor token, which the word-start visit then
    /// finds without matching it again.
    shaped: (usize, Option<(Cand, bool)>),
}

impl Scan<'_, '_> {
    /// Records that `s..e` was matched: no anchor starts inside it.
    fn claim(&mut self, s: usize, e: usize) {
        if e > self.consumed {
            self.consumed = e;
            self.claims.push((s, e));
        }
    }

    /// Reports vendor token `c` and claims its bytes.
    fn take_token(&mut self, c: Cand, out: &mut Vec<Cand>) {
        self.next = c.end;
        self.claim(c.start, c.end);
        out.push(c);
    }

    /// Does a vendor row take the value `vs..ve` whole (by shape)?
    pub(crate) fn vendor_takes(&mut self, b: &[u8], vs: usize, ve: usize) -> bool {
        let tokens = token_table();
        if !tokens.may_start(b, vs) {
            return false;
        }
        let shaped = vendor::shaped_token_at(tokens, b, vs);
        let takes = shaped.as_ref().is_some_and(|(c, _)| c.end >= ve);
        self.shaped = (vs, shaped);
        takes
    }

    /// [`vendor::token_at`] at word start `i`, from the key path's match there if it
    /// made one.
    fn token_at(&mut self, b: &[u8], i: usize) -> Option<Cand> {
        if self.shaped.0 == i {
            match std::mem::replace(&mut self.shaped, (usize::MAX, None)).1 {
                None => return None,
                Some((c, false)) => return Some(c),
                // A placeholder body: another row may still take the token.
                Some((_, true)) => {}
            }
        }
        vendor::token_at(token_table(), b, i)
    }

    pub(crate) fn consumed_at(&self, pos: usize) -> usize {
        self.claims
            .iter()
            .rev()
            .find(|c| c.0 < pos)
            .map_or(0, |c| c.1)
    }
}

/// Runs every anchored detector over `text` (`classes`: its byte classes), appending
/// candidates to `out`.
pub(crate) fn find(text: &str, classes: &ByteClasses<'_>, out: &mut Vec<Cand>) {
    find_with::<false>(text, classes, out);
}

/// [`find`], or with `REFERENCE` the reference it must agree with: every `=` and `:`
/// handed to `key_before_separator`, without the [`worth_a_look`] filter, every word
/// start visited, without the short-word and pair filters, and every vendor token matched
/// afresh, without the key path's match.
fn find_with<const REFERENCE: bool>(text: &str, classes: &ByteClasses<'_>, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let tokens = token_table();
    let mut st = Scan {
        classes,
        next: 0,
        consumed: 0,
        claims: super::take_spans(),
        last_key: usize::MAX,
        k8s_secret: false,
        shaped: (usize::MAX, None),
    };
    // Only word starts and (a superset of) trigger bytes can start an anchor; bytes past
    // the end are in no class.
    for w in 0..classes.len() {
        let blk = classes.block(w);
        let bytes = classes.bytes(w);
        // No anchor starts with a digit, and a word start starts one only if its first
        // two bytes begin a vendor prefix or a word anchor: one bit test each, before
        // anything else looks at it.
        let mut starts = classes.word_starts(w) & !blk.digit;
        if !REFERENCE {
            // Every vendor token and word anchor runs at least four token bytes from its
            // start (`sk-…`, `eyJ…`), but `ENV ` (a capital): short words (`a`, `is`,
            // `foo:`) are dropped before the pair lookup.
            let token = u128::from(blk.token) | u128::from(classes.block(w + 1).token) << 64;
            let long = (token & token >> 1 & token >> 2 & token >> 3) as u64;
            starts &= long | blk.upper;
            let mut keep = 0u64;
            while starts != 0 {
                let k = starts.trailing_zeros() as usize & 63;
                starts &= starts - 1;
                let pair = usize::from(u16::from_le_bytes([bytes[k], at(b, w * 64 + k + 1)]));
                let bits = tokens.start_pairs()[pair / 64] | WORD_PAIRS[pair / 64];
                keep |= (bits >> (pair % 64) & 1) << k;
            }
            starts = keep;
        }
        let mut todo = starts | blk.trigger;
        while todo != 0 {
            let k = todo.trailing_zeros() as usize & 63;
            todo &= todo - 1;
            let i = w * 64 + k;
            let c = bytes[k];
            if blk.alnum >> k & 1 != 0 {
                if i < st.next || i < st.consumed {
                    continue;
                }
                if starts_word_anchor(c) {
                    if let Some((len, anchor)) = word_anchor(b, i) {
                        st.next = i + len;
                        run(text, i, i + len, anchor, &mut st, out);
                        continue;
                    }
                }
                // (Past the filter, the word start may still be only a word anchor's.)
                if tokens.may_start(b, i) {
                    let token = if REFERENCE {
                        vendor::token_at(tokens, b, i)
                    } else {
                        st.token_at(b, i)
                    };
                    if let Some(c) = token {
                        st.take_token(c, out);
                    }
                }
                continue;
            }
            // One dispatch per trigger byte; only `@ : - / \ [` go on to `trigger_anchor`.
            match c {
                // Crypt hashes (`$2b$12$…`, `$6$salt$…`): the rows whose prefix starts
                // with `$`.
                b'$' => {
                    if i >= st.next && i >= st.consumed && tokens.may_start(b, i) {
                        if let Some(c) = vendor::token_at(tokens, b, i) {
                            st.take_token(c, out);
                        }
                    }
                    continue;
                }
                // Infix-row tokens dispatched on `~` (`abc8Q~…`); those whose infix is `.`
                // and a word (`….atlasv1.…`) are found from that word's start, like
                // prefixes.
                b'~' => {
                    if i >= st.next && i >= st.consumed {
                        if let Some(c) = vendor::tilde_token_at(tokens, b, i) {
                            if c.start >= st.consumed {
                                st.take_token(c, out);
                            }
                        } else if tilde_home(b, i) {
                            st.next = i + 1;
                            let home = Anchor::Home(home::Home::Tilde);
                            run(text, i, i + 1, home, &mut st, out);
                        }
                    }
                    continue;
                }
                b'=' => {
                    if REFERENCE || worth_a_look(b, i) {
                        key_before_separator(text, i, &mut st, out);
                    }
                    continue;
                }
                b':' => {
                    if REFERENCE || worth_a_look(b, i) {
                        key_before_separator(text, i, &mut st, out);
                    }
                }
                // `("db.password", "…")` (most `",` end a JSON value: the noun check drops
                // them cheaply).
                b',' => {
                    if matches!(prev(b, i), b'"' | b'\'') && ends_in_secret_noun(b, i - 1) {
                        key_before_separator(text, i, &mut st, out);
                    }
                    continue;
                }
                // `token - '…'`, `password | …`
                b'-' | b'|' if prev(b, i) == b' ' && at(b, i + 1) == b' ' => {
                    key_before_separator(text, i, &mut st, out);
                    if c == b'|' {
                        continue;
                    }
                }
                b'|' => continue,
                b'-' => {
                    if !is_ident(prev(b, i)) {
                        user_flag(text, i, out);
                        // `--password hunter2`: the separator is a space.
                        let mut e = i + 1;
                        while e < b.len() && is_ident(b[e]) && e - i <= 64 {
                            e += 1;
                        }
                        if ends_in_secret_noun(b, e) {
                            key_ident(text, i, e, &mut st, out);
                        }
                    }
                }
                b'>' => {
                    if (is_ident(prev(b, i)) && ends_in_secret_noun(b, i))
                        || matches!(prev(b, i), b'"' | b'\'')
                    {
                        xml_element(text, i, out);
                    }
                    continue;
                }
                // `.password("…")`, `setPassword("…")`
                b'(' => {
                    if is_ident(prev(b, i))
                        && ends_in_secret_noun(b, i)
                        && matches!(at(b, i + 1), b'"' | b'\'')
                    {
                        key_before_separator(text, i, &mut st, out);
                    }
                    continue;
                }
                b'/' => {
                    if is_ident(prev(b, i)) && ends_in_secret_noun(b, i) {
                        path_segment(text, i, out);
                    }
                }
                b'@' | b'\\' | b'[' => {}
                _ => continue,
            }
            if let Some((s, e, anchor)) = trigger_anchor(b, i) {
                if s >= st.next && s >= st.consumed {
                    st.next = e;
                    run(text, s, e, anchor, &mut st, out);
                }
            }
        }
    }
    super::put_spans(st.claims);
}

/// Runs the matcher of `anchor`, matched at `s..e`.
fn run(text: &str, s: usize, e: usize, anchor: Anchor, st: &mut Scan<'_, '_>, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let before = out.len();
    match anchor {
        Anchor::Email => {
            url::oracle_credentials(text, s, st.consumed, out);
            email::email(text, s, st.consumed, out);
            // Emails claim nothing: a key or token may still start in the local part.
            return;
        }
        Anchor::Scheme => url::url_credentials(text, s, out),
        Anchor::Pem => pem::pem(text, s, out),
        Anchor::Jwt => jwt::jwt(text, st.classes, s, out),
        Anchor::SpacedKey => key_value::spaced_secret(text, s, e, out),
        Anchor::DockerEnv => {
            // `ENV KEY value` (the legacy form without `=`): the key names the value.
            let mut is = e;
            while at(b, is) == b' ' {
                is += 1;
            }
            let mut ie = is;
            while ie < b.len() && is_ident(b[ie]) && ie - is <= 64 {
                ie += 1;
            }
            if at(b, ie) == b' ' && ends_in_secret_noun(b, ie) {
                key_ident(text, is, ie, st, out);
            }
        }
        Anchor::Bearer => {
            jwt::bearer(text, st.classes, s, out);
            // The credential may be a vendor token, which names it better: let its prefix
            // be seen.
            return;
        }
        Anchor::Home(style) => home::home(text, s, e, style, out),
        Anchor::Webhook(w) => url::webhook(text, st.classes, e, &WEBHOOKS[w], out),
        Anchor::Placeholder => out.push(Cand {
            start: s,
            end: e,
            kind: None,
            rule: "placeholder",
            prio: PRIO_PROTECTED,
        }),
        Anchor::PlaceholderOpen => {
            let limit = (e + 80).min(b.len());
            if let Some(close) = b[e..limit].iter().position(|&c| c == b']') {
                let inner = &b[e..e + close];
                if inner
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':'))
                {
                    out.push(Cand {
                        start: s,
                        end: e + close + 1,
                        kind: None,
                        rule: "placeholder",
                        prio: PRIO_PROTECTED,
                    });
                }
            }
        }
    }
    // Skip anchors inside what was just matched (e.g. `key` inside a token).
    if let Some(max_end) = out[before..].iter().map(|c| c.end).max() {
        st.claim(s, max_end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str, every: bool) -> Vec<(usize, usize, &'static str)> {
        let classes = ByteClasses::new(text.as_bytes());
        let mut out = Vec::new();
        if every {
            find_with::<true>(text, &classes, &mut out);
        } else {
            find_with::<false>(text, &classes, &mut out);
        }
        let mut v: Vec<_> = out.iter().map(|c| (c.start, c.end, c.rule)).collect();
        v.sort_unstable();
        v
    }

    /// The filters (`worth_a_look`, short words, first-byte pairs) drop nothing that the
    /// matchers act on, and the key path's vendor match is the one made afresh: the
    /// anchored pass finds the same with and without them, on every case-file input and
    /// on generated key shapes with vendor-token, placeholder and plain values.
    #[test]
    fn filters_change_no_finding() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
        let mut inputs: Vec<String> = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Some((_, rest)) = line.split_once(": ") {
                    inputs.push(rest.replace("\\n", "\n"));
                }
            }
        }
        let keys = [
            "password",
            "\"password\"",
            "'token'",
            "DB_PASS",
            "apiKey: string",
            "var t string",
            "BUNDLE_GEMS__EXAMPLE__COM",
            "value",
            "\"value\"",
            "kind",
            "headers[\"Authorization\"]",
            "\\\"token\\\"",
            "X-Api-Key",
            "secret_key_base",
            "PW",
            "sid",
            "Error",
            "level",
            "\"name\": \"DB_PASSWORD\", \"value\"",
            "<add key=\"Password\" value",
        ];
        let seps = ["=", ":", " = ", ": ", "?=", "+=", ".=", "::=", " := "];
        let values = [
            "hunter2xyz",
            "\"Zx9kQ2pL7wR4\"",
            "Secret",
            "deploy:W373xV",
            "4096",
            "ghp_W1xxyR8flyCb1pxAKXEpZ9ezz1phTtmvK6NT",
            "\"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
            "sk-proj-R2d9xQ7mKp4LwZ8vN3bT6yH1cF5gJ0sAq",
            "xoxb-EXAMPLE-your-token",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
            "Bearer abc.def",
            "a ENV X",
        ];
        let mut next = crate::detectors::test_rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let k = keys[next(keys.len())];
            let s = seps[next(seps.len())];
            let v = values[next(values.len())];
            inputs.push(format!("{k}{s}{v}"));
        }
        for text in &inputs {
            assert_eq!(spans(text, false), spans(text, true), "{text}");
        }
    }
}
