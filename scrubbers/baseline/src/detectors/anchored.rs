//! Detectors triggered by literal anchors, visited at word starts and trigger bytes (see
//! `find`).
//!
//! The scan, the anchors and their dispatch are here; the matchers are in the submodules:
//! `key_value` (`key=value` secrets behind key-name stems), `email`, `url` (URL
//! credentials, webhook URLs), `home` (user names in home paths) and `tokens` (PEM keys,
//! JWTs, bearer and vendor tokens).

mod email;
mod home;
mod key_value;
mod tokens;
mod url;

use self::email::email;
use self::home::home;
use self::key_value::{ends_in_secret_noun, is_ident, key_before_separator, key_ident};
use self::tokens::{bearer, jwt, pem, vendor};
use self::url::{url_credentials, webhook};
use super::{at, prev, ByteClasses, Cand, PRIO_PROTECTED};
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
