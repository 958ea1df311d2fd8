//! Detectors triggered by literal anchors, visited at word starts and trigger bytes (see
//! `find`).

use super::keys::{classify_key, is_secret_value};
use super::{
    at, cand, is_alnum, is_word, prev, ByteClasses, Cand, PRIO_KV, PRIO_PII, PRIO_PROTECTED,
    PRIO_STRUCTURED, PRIO_VENDOR,
};
use crate::kind::Kind;

#[derive(Clone, Copy, Debug)]
enum Anchor {
    Email,
    Scheme,
    Pem,
    Jwt,
    Bearer,
    Vendor(Vendor),
    HomeUnix,
    UsersSlash,
    UsersBackslash,
    UsersEscaped,
    /// Index into [`WEBHOOKS`].
    Webhook(usize),
    Placeholder,
    PlaceholderOpen,
}

#[derive(Clone, Copy, Debug)]
enum Vendor {
    OpenAi,
    GithubClassic,
    GithubPat,
    Gitlab,
    Aws,
    Google,
    Slack,
    Stripe,
    StripeWebhook,
    Npm,
    HuggingFace,
    PosthogPersonal,
    Sendgrid,
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

const ALNUM: u8 = 1;
/// First byte of a word-start anchor (see [`word_anchor`]).
const WORD_ANCHOR: u8 = 2;
/// A byte that can start or trigger an anchor wherever it is.
const TRIGGER: u8 = 4;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        if c.is_ascii_alphanumeric() {
            t[i] = ALNUM;
        }
        if matches!(
            c,
            b'e' | b'b'
                | b'B'
                | b's'
                | b'g'
                | b'A'
                | b'x'
                | b'r'
                | b'w'
                | b'n'
                | b'h'
                | b'p'
                | b'S'
        ) {
            t[i] |= WORD_ANCHOR;
        }
        if matches!(c, b'@' | b':' | b'=' | b'-' | b'/' | b'\\' | b'[') {
            t[i] = TRIGGER;
        }
        i += 1;
    }
    t
};

/// The anchor starting the word at `i` (case-sensitive except `bearer`), longest first.
fn word_anchor(b: &[u8], i: usize) -> Option<(usize, Anchor)> {
    use Anchor::Vendor as V;
    let rest = &b[i..];
    let pick = |cands: &[(&[u8], Anchor)]| {
        cands
            .iter()
            .find(|(p, _)| rest.starts_with(p))
            .map(|(p, a)| (p.len(), *a))
    };
    match b[i] {
        b'e' => pick(&[(b"eyJ", Anchor::Jwt)]),
        b'b' | b'B' => (rest.len() >= 6 && rest[..6].eq_ignore_ascii_case(b"bearer"))
            .then_some((6, Anchor::Bearer)),
        b's' => pick(&[
            (b"sk_live_", V(Vendor::Stripe)),
            (b"sk_test_", V(Vendor::Stripe)),
            (b"sk-", V(Vendor::OpenAi)),
        ]),
        b'r' => pick(&[
            (b"rk_live_", V(Vendor::Stripe)),
            (b"rk_test_", V(Vendor::Stripe)),
        ]),
        b'g' => pick(&[
            (b"github_pat_", V(Vendor::GithubPat)),
            (b"glpat-", V(Vendor::Gitlab)),
            (b"ghp_", V(Vendor::GithubClassic)),
            (b"gho_", V(Vendor::GithubClassic)),
            (b"ghu_", V(Vendor::GithubClassic)),
            (b"ghs_", V(Vendor::GithubClassic)),
            (b"ghr_", V(Vendor::GithubClassic)),
        ]),
        b'A' => {
            let aws = rest.len() >= 4
                && matches!(
                    &rest[..4],
                    b"AKIA"
                        | b"ASIA"
                        | b"AGPA"
                        | b"AIDA"
                        | b"AROA"
                        | b"AIPA"
                        | b"ANPA"
                        | b"ANVA"
                        | b"APKA"
                        | b"ABIA"
                        | b"ACCA"
                );
            if aws {
                Some((4, V(Vendor::Aws)))
            } else {
                pick(&[(b"AIza", V(Vendor::Google))])
            }
        }
        b'x' => pick(&[(b"xapp-", V(Vendor::Slack)), (b"xox", V(Vendor::Slack))]),
        b'w' => pick(&[(b"whsec_", V(Vendor::StripeWebhook))]),
        b'n' => pick(&[(b"npm_", V(Vendor::Npm))]),
        b'h' => pick(&[(b"hf_", V(Vendor::HuggingFace))]),
        b'p' => pick(&[(b"phx_", V(Vendor::PosthogPersonal))]),
        b'S' => pick(&[(b"SG.", V(Vendor::Sendgrid))]),
        _ => None,
    }
}

/// Our own output, so scrubbing is idempotent.
const PLACEHOLDERS: &[&[u8]] = &[
    b"[EMAIL]",
    b"[PHONE]",
    b"[IP]",
    b"[CREDIT_CARD]",
    b"[IBAN]",
    b"[SSN]",
    b"[MAC]",
    b"[USER]",
    b"[NAME]",
];

/// Webhook URLs whose path is the secret: host (ending right before a `/`), then path.
const WEBHOOKS: &[(&[u8], &[u8], Kind)] = &[
    (b"hooks.slack.com", b"/services/", Kind::SlackWebhook),
    (b"hooks.slack.com", b"/workflows/", Kind::SlackWebhook),
    (b"discord.com", b"/api/webhooks/", Kind::DiscordWebhook),
    (b"discordapp.com", b"/api/webhooks/", Kind::DiscordWebhook),
];

fn starts_with_ci(b: &[u8], i: usize, p: &[u8]) -> bool {
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
                for (w, &(host, path, _)) in WEBHOOKS.iter().enumerate() {
                    if i >= host.len()
                        && b[i - host.len()..i].eq_ignore_ascii_case(host)
                        && starts_with_ci(b, i, path)
                    {
                        let s = i - host.len();
                        return Some((s, i + path.len(), Anchor::Webhook(w)));
                    }
                }
            }
            if let Some(m) = one(b"/home/", Anchor::HomeUnix) {
                return Some(m);
            }
            starts_with_ci(b, i, b"/users/").then_some((
                i,
                i + b"/users/".len(),
                Anchor::UsersSlash,
            ))
        }
        b'\\' => {
            let escaped: &[u8] = b"\\\\users\\\\";
            let plain: &[u8] = b"\\users\\";
            if starts_with_ci(b, i, escaped) {
                Some((i, i + escaped.len(), Anchor::UsersEscaped))
            } else {
                starts_with_ci(b, i, plain).then_some((i, i + plain.len(), Anchor::UsersBackslash))
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
struct Scan<'c, 't> {
    classes: &'c ByteClasses<'t>,
    next: usize,
    consumed: usize,
    /// `(anchor start, consumed after it)` each time `consumed` grew, so a key-name stem
    /// found later, behind a separator, is judged by the claims made before it.
    claims: Vec<(usize, usize)>,
    /// Start of the last identifier handed to `key_value`.
    last_key: usize,
}

impl Scan<'_, '_> {
    fn consumed_at(&self, pos: usize) -> usize {
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
    let b = text.as_bytes();
    let mut st = Scan {
        classes,
        next: 0,
        consumed: 0,
        claims: super::take_spans(),
        last_key: usize::MAX,
    };
    // Only word starts and (a superset of) trigger bytes can start an anchor; bytes past
    // the end are in no class.
    for w in 0..classes.len() {
        let blk = classes.block(w);
        let bytes = classes.bytes(w);
        // No anchor starts with a digit.
        let mut todo = classes.word_starts(w) & !blk.digit | blk.trigger;
        while todo != 0 {
            let k = todo.trailing_zeros() as usize & 63;
            todo &= todo - 1;
            let i = w * 64 + k;
            let class = CLASS[bytes[k] as usize];
            if class & ALNUM != 0 {
                if class & WORD_ANCHOR != 0 && i >= st.next && i >= st.consumed {
                    if let Some((len, anchor)) = word_anchor(b, i) {
                        st.next = i + len;
                        run(text, i, i + len, anchor, &mut st, out);
                    }
                }
                continue;
            }
            if class & TRIGGER == 0 {
                continue;
            }
            match bytes[k] {
                b'=' | b':' => key_before_separator(text, i, &mut st, out),
                b'-' if !is_ident(prev(b, i)) => {
                    // `--password hunter2`: the separator is a space.
                    let mut e = i + 1;
                    while e < b.len() && is_ident(b[e]) && e - i <= 64 {
                        e += 1;
                    }
                    if ends_in_secret_noun(b, e) {
                        key_ident(text, i, e, &mut st, out);
                    }
                }
                _ => {}
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
            email(text, s, st.consumed, out);
            // Emails claim nothing: a key or token may still start in the local part.
            return;
        }
        Anchor::Scheme => url_credentials(text, s, out),
        Anchor::Pem => pem(text, s, out),
        Anchor::Jwt => jwt(text, st.classes, s, out),
        Anchor::Bearer => bearer(text, st.classes, s, out),
        Anchor::Vendor(v) => vendor(text, st.classes, s, e, v, out),
        Anchor::HomeUnix | Anchor::UsersSlash | Anchor::UsersBackslash | Anchor::UsersEscaped => {
            home(text, s, e, anchor, out)
        }
        Anchor::Webhook(w) => webhook(text, st.classes, e, WEBHOOKS[w].2.clone(), out),
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
        if max_end > st.consumed {
            st.consumed = max_end;
            st.claims.push((s, max_end));
        }
    }
}

/// At a `=` or `:`: the identifier before it (past spaces and a closing quote), if any,
/// goes to [`key_ident`].
fn key_before_separator(text: &str, sep: usize, st: &mut Scan<'_, '_>, out: &mut Vec<Cand>) {
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
fn ends_in_secret_noun(b: &[u8], ie: usize) -> bool {
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
fn key_ident(text: &str, is: usize, ie: usize, st: &mut Scan<'_, '_>, out: &mut Vec<Cand>) {
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

/// Is `c` (the char that ends at or starts at a boundary) a Latin letter usable in the
/// local part or domain of an internationalised address?
fn latin_letter(c: char) -> bool {
    c.is_alphabetic() && (c as u32) < 0x250
}

fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'') || latin_letter(c)
}

fn label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || latin_letter(c)
}

fn email(text: &str, at_pos: usize, consumed: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    // A domain of ASCII digits, dots and dashes (`react@18.3.1`, `user@1.2.3.4`) has no
    // top-level domain: a valid one needs letters, ASCII or not.
    let mut j = at_pos + 1;
    let mut letters = false;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'.' | b'-')) {
        letters |= b[j].is_ascii_alphabetic();
        j += 1;
    }
    if !letters && at(b, j).is_ascii() {
        return;
    }
    // Local part, scanning back over at most 64 chars (ASCII bytes without decoding).
    let mut ls = at_pos;
    let mut n = 0;
    while n < 64 && ls > 0 {
        let c = b[ls - 1];
        let len = if c.is_ascii() {
            if !local_char(char::from(c)) {
                break;
            }
            1
        } else {
            let Some(ch) = text[..ls].chars().next_back() else {
                break;
            };
            if !local_char(ch) {
                break;
            }
            ch.len_utf8()
        };
        ls -= len;
        n += 1;
    }
    while ls < at_pos && b[ls] == b'.' {
        ls += 1;
    }
    if ls == at_pos || ls < consumed {
        return;
    }
    // `scheme://user:pass@host` is handled by the URL-credentials detector.
    if prev(b, ls) == b':' {
        let from = ls.saturating_sub(256);
        let window = &b[from..ls];
        if let Some(p) = window.windows(3).rposition(|w| w == b"://") {
            if !window[p..].iter().any(|c| c.is_ascii_whitespace()) {
                return;
            }
        }
    }
    // Domain labels: at most 10 (see the loop), kept on the stack.
    let mut labels = [(0usize, 0usize); 10];
    let mut nl = 0;
    let mut i = at_pos + 1;
    loop {
        let start = i;
        // Chars starting at most 63 bytes into the label (ASCII bytes without decoding).
        while i < b.len() && i - start <= 63 {
            let c = b[i];
            if c.is_ascii() {
                if !label_char(char::from(c)) {
                    break;
                }
                i += 1;
            } else {
                let Some(ch) = text[i..].chars().next() else {
                    break;
                };
                if !label_char(ch) {
                    break;
                }
                i += ch.len_utf8();
            }
        }
        if i == start {
            break;
        }
        labels[nl] = (start, i);
        nl += 1;
        if at(b, i) == b'.' && nl < 10 {
            i += 1;
        } else {
            break;
        }
    }
    // The top-level domain: the ASCII letters at the start of the last label (which may be
    // glued to following non-ASCII text), or a wholly non-ASCII label.
    while nl >= 2 {
        let (s, e) = labels[nl - 1];
        let lab = &text[s..e];
        let alpha = lab.bytes().take_while(u8::is_ascii_alphabetic).count();
        let valid_end = if lab.is_ascii() {
            (alpha == lab.len() && alpha >= 2)
                .then_some(e)
                .or_else(|| (lab.starts_with("xn--") && lab.len() > 5).then_some(e))
        } else if alpha >= 2 {
            Some(s + alpha)
        } else if lab.chars().all(|c| !c.is_ascii()) && lab.chars().count() >= 2 {
            Some(e)
        } else {
            None
        };
        if let Some(end) = valid_end {
            let first = labels[0];
            if b[first.0] == b'-' {
                return;
            }
            out.push(cand(ls, end, Kind::Email, "email", PRIO_PII));
            return;
        }
        nl -= 1;
    }
}

fn url_credentials(text: &str, pos: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    // Scheme must be letters (and + . -) right before `://`.
    let mut ss = pos;
    while ss > 0 && (b[ss - 1].is_ascii_alphanumeric() || matches!(b[ss - 1], b'+' | b'.' | b'-')) {
        ss -= 1;
    }
    if pos - ss < 2 || !b[ss].is_ascii_alphabetic() {
        return;
    }
    let u = pos + 3;
    let limit = (u + 512).min(b.len());
    let mut last_at = None;
    let mut i = u;
    while i < limit {
        let c = b[i];
        if c.is_ascii_whitespace() || matches!(c, b'/' | b'"' | b'\'' | b'<' | b'>' | b'`') {
            break;
        }
        if c == b'@' {
            last_at = Some(i);
        }
        i += 1;
    }
    let Some(at_pos) = last_at else { return };
    if !at(b, at_pos + 1).is_ascii_alphanumeric() && at(b, at_pos + 1) != b'[' {
        return;
    }
    let userinfo = &text[u..at_pos];
    if userinfo.contains("[HASH:")
        || userinfo.contains("[REDACTED:")
        || userinfo.starts_with("[USER]")
    {
        // Already scrubbed.
        return;
    }
    let Some(colon) = userinfo.find(':') else {
        return;
    };
    let (user, pass) = (&userinfo[..colon], &userinfo[colon + 1..]);
    if !user.is_empty() && !user.starts_with('[') {
        out.push(cand(
            u,
            u + colon,
            Kind::Username,
            "url_credentials",
            PRIO_STRUCTURED,
        ));
    }
    if !(pass.is_empty() || (pass.starts_with('[') && pass.ends_with(']'))) {
        out.push(cand(
            u + colon + 1,
            at_pos,
            Kind::UrlPassword,
            "url_credentials",
            PRIO_STRUCTURED,
        ));
    }
}

/// The largest char boundary of `text` at or below `i`.
fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Does `s` contain one of our own placeholders?
pub(crate) fn contains_placeholder(s: &str) -> bool {
    s.match_indices('[')
        .any(|(i, _)| starts_with_placeholder(&s[i..]))
}

/// Does `s` start with one of our own placeholders?
fn starts_with_placeholder(s: &str) -> bool {
    s.starts_with("[REDACTED:")
        || s.starts_with("[HASH:")
        || [
            "[EMAIL]",
            "[PHONE]",
            "[IP]",
            "[CREDIT_CARD]",
            "[IBAN]",
            "[SSN]",
            "[MAC]",
            "[USER]",
            "[NAME]",
        ]
        .iter()
        .any(|p| s.starts_with(p))
}

fn pem(text: &str, s: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let hs = s + "-----BEGIN ".len();
    let limit = floor_boundary(text, hs + 64);
    let Some(close) = text[hs..limit].find("-----") else {
        return;
    };
    let label = &text[hs..hs + close];
    let public = label.ends_with("PUBLIC KEY")
        || label.ends_with("CERTIFICATE")
        || label.ends_with("PUBLIC KEY BLOCK");
    if public {
        // Public material: protect the block from the generic entropy rule.
        let body = hs + close + 5;
        if let Some(off) = text[body..].find("-----END ") {
            out.push(Cand {
                start: s,
                end: body + off + 9,
                kind: None,
                rule: "public_key_block",
                prio: PRIO_PROTECTED,
            });
        }
        return;
    }
    if !label.ends_with("PRIVATE KEY") && !label.ends_with("PRIVATE KEY BLOCK") {
        return;
    }
    let body = hs + close + 5;
    let end = match text[body..].find("-----END ") {
        Some(off) => {
            let es = body + off + "-----END ".len();
            let lim = floor_boundary(text, es + 64);
            match text[es..lim].find("-----") {
                Some(c) => es + c + 5,
                None => es,
            }
        }
        None => {
            // Truncated block: take the base64 body, real or escaped newlines included,
            // plus `Key: value` header lines of encrypted keys.
            let mut i = body;
            while i < b.len() {
                let c = b[i];
                if c.is_ascii_alphanumeric()
                    || matches!(
                        c,
                        b'+' | b'/' | b'=' | b'\r' | b'\n' | b' ' | b'\t' | b':' | b',' | b'-'
                    )
                {
                    i += 1;
                } else if c == b'\\' && matches!(at(b, i + 1), b'n' | b'r') {
                    i += 2;
                } else {
                    break;
                }
            }
            i
        }
    };
    out.push(cand(
        s,
        end,
        Kind::PrivateKey,
        "pem_private_key",
        PRIO_STRUCTURED,
    ));
}

fn b64url_run(classes: &ByteClasses<'_>, b: &[u8], i: usize) -> usize {
    classes.run_end(b, i, |c| matches!(c, b'_' | b'-'))
}

fn jwt(text: &str, classes: &ByteClasses<'_>, s: usize, out: &mut Vec<Cand>) {
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
    out.push(cand(s, end, Kind::Jwt, "jwt", PRIO_STRUCTURED));
}

/// A credential-shaped run after an auth scheme word.
fn credential_after(classes: &ByteClasses<'_>, b: &[u8], mut i: usize) -> Option<(usize, usize)> {
    let mut spaces = 0;
    while at(b, i) == b' ' && spaces < 4 {
        i += 1;
        spaces += 1;
    }
    if spaces == 0 {
        return None;
    }
    let s = i;
    let i = classes.run_end(b, s, |c| {
        matches!(c, b'_' | b'-' | b'.' | b'~' | b'+' | b'/' | b'=')
    });
    let tok = &b[s..i];
    if tok.len() < 8 || tok.starts_with(b"[") {
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

fn bearer(text: &str, classes: &ByteClasses<'_>, s: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    if is_alnum(prev(b, s)) {
        return;
    }
    if let Some((ts, te)) = credential_after(classes, b, s + 6) {
        out.push(cand(ts, te, Kind::BearerToken, "bearer", PRIO_KV));
    }
}

#[inline]
fn is_ident(c: u8) -> bool {
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

/// A vendor token that is its prefix and then a body: alphanumerics and `extra` bytes, at
/// least `min_len` of them, of two character classes or more when `mixed`.
struct BodyRule {
    extra: &'static [u8],
    min_len: usize,
    mixed: bool,
    kind: Kind,
}

/// The body rule of the vendors that need nothing more (the others are matched in
/// [`vendor`]).
fn body_rule(v: Vendor) -> Option<BodyRule> {
    let rule = |extra: &'static [u8], min_len, mixed, kind| BodyRule {
        extra,
        min_len,
        mixed,
        kind,
    };
    Some(match v {
        Vendor::GithubClassic => rule(b"", 30, false, Kind::GithubToken),
        Vendor::GithubPat => rule(b"_", 22, false, Kind::GithubToken),
        Vendor::Gitlab => rule(b"_-", 20, false, Kind::GitlabToken),
        Vendor::Google => rule(b"_-", 30, false, Kind::GoogleApiKey),
        Vendor::Stripe => rule(b"", 16, false, Kind::StripeKey),
        Vendor::StripeWebhook => rule(b"", 24, false, Kind::StripeKey),
        Vendor::Npm => rule(b"", 30, true, Kind::NpmToken),
        Vendor::HuggingFace => rule(b"", 30, true, Kind::HuggingfaceToken),
        Vendor::PosthogPersonal => rule(b"_", 30, false, Kind::PosthogPersonalKey),
        Vendor::OpenAi | Vendor::Aws | Vendor::Slack | Vendor::Sendgrid => return None,
    })
}

fn vendor(
    text: &str,
    classes: &ByteClasses<'_>,
    s: usize,
    e: usize,
    v: Vendor,
    out: &mut Vec<Cand>,
) {
    let b = text.as_bytes();
    let p = prev(b, s);
    if is_alnum(p) || (p == b'_' && !matches!(v, Vendor::Sendgrid)) {
        return;
    }
    let body_end = |i: usize, extra: &[u8]| classes.run_end(b, i, |c| extra.contains(&c));
    let mixed = |t: &[u8]| {
        let d = t.iter().any(u8::is_ascii_digit) as u8;
        let u = t.iter().any(u8::is_ascii_uppercase) as u8;
        let l = t.iter().any(u8::is_ascii_lowercase) as u8;
        d + u + l >= 2
    };
    let (kind, end) = match v {
        Vendor::OpenAi => {
            let end = body_end(e, b"_-");
            let body = &b[e..end];
            if body.len() < 20 || !mixed(body) {
                return;
            }
            let kind = if body.starts_with(b"ant-") {
                Kind::AnthropicKey
            } else {
                Kind::OpenaiKey
            };
            (kind, end)
        }
        Vendor::Aws => {
            let mut i = e;
            while i < b.len() && (b[i].is_ascii_uppercase() || b[i].is_ascii_digit()) {
                i += 1;
            }
            if i - e != 16 || is_alnum(at(b, i)) {
                return;
            }
            (Kind::AwsAccessKey, i)
        }
        Vendor::Slack => {
            let mut i = e;
            if &b[s..e] == b"xox" {
                if !matches!(at(b, e), b'a' | b'b' | b'p' | b'o' | b's' | b'r' | b'e')
                    || at(b, e + 1) != b'-'
                {
                    return;
                }
                i = e + 2;
            }
            let end = body_end(i, b"-");
            if end - i < 10 || !b[i..end].iter().any(u8::is_ascii_digit) {
                return;
            }
            (Kind::SlackToken, end)
        }
        Vendor::Sendgrid => {
            let e1 = body_end(e, b"_-");
            if e1 - e < 16 || at(b, e1) != b'.' {
                return;
            }
            let e2 = body_end(e1 + 1, b"_-");
            if e2 - (e1 + 1) < 16 {
                return;
            }
            (Kind::SendgridKey, e2)
        }
        simple => {
            let Some(rule) = body_rule(simple) else {
                return;
            };
            let end = body_end(e, rule.extra);
            if end - e < rule.min_len || (rule.mixed && !mixed(&b[e..end])) {
                return;
            }
            (rule.kind, end)
        }
    };
    out.push(cand(s, end, kind, "vendor_token", PRIO_VENDOR));
}

const GENERIC_HOMES: &[&str] = &[
    "shared",
    "public",
    "default",
    "default user",
    "all users",
    "defaultuser0",
    "user",
    "username",
    "yourname",
    "your-name",
    "your_name",
    "me",
    "you",
    "name",
    "...",
    "…",
];

fn home(text: &str, s: usize, e: usize, anchor: Anchor, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let drive_before = |i: usize| {
        i >= 2 && b[i - 1] == b':' && b[i - 2].is_ascii_alphabetic() && !is_alnum(prev(b, i - 2))
    };
    let ok = match anchor {
        Anchor::HomeUnix => {
            (!is_ident(prev(b, s)) && prev(b, s) != b']') || (s >= 4 && &b[s - 4..s] == b"/var")
        }
        Anchor::UsersSlash => {
            let exact = &b[s..e] == b"/Users/";
            let mnt = s >= 6 && &b[s - 6..s - 1] == b"/mnt/" && b[s - 1].is_ascii_alphabetic();
            (exact && !is_ident(prev(b, s)) && prev(b, s) != b']') || drive_before(s) || mnt
        }
        Anchor::UsersBackslash => {
            drive_before(s) || (s >= 3 && drive_before(s - 1) && b[s - 1] == b'\\')
        }
        Anchor::UsersEscaped => drive_before(s),
        _ => false,
    };
    if !ok {
        return;
    }
    let windows = !matches!(anchor, Anchor::HomeUnix | Anchor::UsersSlash) || b[e - 1] == b'\\';
    let ns = e;
    let mut i = ns;
    while i < b.len() && i - ns < 64 {
        let c = b[i];
        let stop = matches!(
            c,
            b'/' | b'\\'
                | b'"'
                | b'\''
                | b'`'
                | b'\n'
                | b'\r'
                | b'\t'
                | b'<'
                | b'>'
                | b'|'
                | b'*'
                | b'?'
                | b':'
                | b','
                | b';'
                | b')'
                | b']'
                | b'('
                | b'['
                | b'{'
                | b'}'
        ) || (!windows && c == b' ');
        if stop {
            break;
        }
        i += 1;
    }
    let mut ne = floor_boundary(text, i);
    let continues = matches!(at(b, ne), b'/' | b'\\');
    if let Some(sp) = text[ns..ne].find(' ') {
        if !continues {
            ne = ns + sp;
        }
    }
    while ne > ns && b[ne - 1] == b' ' {
        ne -= 1;
    }
    while !text.is_char_boundary(ne) {
        ne -= 1;
    }
    if ne <= ns {
        return;
    }
    let name = &text[ns..ne];
    if matches!(
        name.as_bytes()[0],
        b'$' | b'%' | b'<' | b'{' | b'[' | b'~' | b'.' | b'*'
    ) || GENERIC_HOMES.iter().any(|g| g.eq_ignore_ascii_case(name))
    {
        return;
    }
    out.push(cand(ns, ne, Kind::Username, "home_path", PRIO_STRUCTURED));
}

fn webhook(text: &str, classes: &ByteClasses<'_>, e: usize, kind: Kind, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let i = classes.run_end(b, e, |c| matches!(c, b'_' | b'-' | b'/'));
    if i - e >= 8 {
        out.push(cand(e, i, kind, "webhook_url", PRIO_VENDOR));
    }
}
