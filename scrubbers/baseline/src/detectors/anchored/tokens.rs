//! Structured secrets found from their prefix: PEM private keys, JWTs, bearer tokens and
//! vendor tokens.

use super::{floor_boundary, Vendor};
use crate::detectors::{
    at, cand, is_alnum, is_word, prev, ByteClasses, Cand, PRIO_KV, PRIO_PROTECTED, PRIO_STRUCTURED,
    PRIO_VENDOR,
};
use crate::kind::Kind;

pub(super) fn pem(text: &str, s: usize, out: &mut Vec<Cand>) {
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

pub(super) fn jwt(text: &str, classes: &ByteClasses<'_>, s: usize, out: &mut Vec<Cand>) {
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
pub(super) fn credential_after(
    classes: &ByteClasses<'_>,
    b: &[u8],
    mut i: usize,
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

pub(super) fn bearer(text: &str, classes: &ByteClasses<'_>, s: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    if is_alnum(prev(b, s)) {
        return;
    }
    if let Some((ts, te)) = credential_after(classes, b, s + 6) {
        out.push(cand(ts, te, Kind::BearerToken, "bearer", PRIO_KV));
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

pub(super) fn vendor(
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
