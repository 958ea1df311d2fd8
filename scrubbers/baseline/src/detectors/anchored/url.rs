//! URLs: credentials in `scheme://user:pass@host`, and webhook URLs whose path is the
//! secret.

use crate::detectors::{at, cand, ByteClasses, Cand, PRIO_STRUCTURED, PRIO_VENDOR};
use crate::kind::Kind;

pub(super) fn url_credentials(text: &str, pos: usize, out: &mut Vec<Cand>) {
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

pub(super) fn webhook(
    text: &str,
    classes: &ByteClasses<'_>,
    e: usize,
    kind: Kind,
    out: &mut Vec<Cand>,
) {
    let b = text.as_bytes();
    let i = classes.run_end(b, e, |c| matches!(c, b'_' | b'-' | b'/'));
    if i - e >= 8 {
        out.push(cand(e, i, kind, "webhook_url", PRIO_VENDOR));
    }
}
