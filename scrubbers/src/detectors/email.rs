//! Email addresses, internationalised ones included. Never takes package specs
//! (`react@18.3.1`), addresses of bare numbers, or the `user:pass@host` of URLs.

use super::{at, cand, prev, Cand, PRIO_PII};
use crate::kind::Kind;

/// Is `c` a letter usable in the local part or domain of an internationalised address
/// (RFC 6531: `josé@`, `иван@почта.рф`, `张伟@例子.中国`)?
fn letter(c: char) -> bool {
    c.is_alphabetic()
}

fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'') || letter(c)
}

fn label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || letter(c)
}

/// The ASCII bytes of a local part ([`LOCAL`]) and of a domain label ([`LABEL`]), as
/// [`local_char`] and [`label_char`] judge them.
static ASCII_CLASS: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-' | b'\'') {
            t[c] |= LOCAL;
        }
        if b.is_ascii_alphanumeric() || b == b'-' {
            t[c] |= LABEL;
        }
        c += 1;
    }
    t
};
const LOCAL: u8 = 1;
const LABEL: u8 = 2;

/// Top-level domains that are file extensions (lowercase): `icon@2x.png` is a file name,
/// and systemd units (`getty@tty1.service`) are no addresses.
fn is_file_extension(tld: &[u8]) -> bool {
    matches!(
        tld,
        b"png"
            | b"jpg"
            | b"jpeg"
            | b"gif"
            | b"svg"
            | b"webp"
            | b"ico"
            | b"bmp"
            | b"js"
            | b"mjs"
            | b"cjs"
            | b"css"
            | b"map"
            | b"json"
            | b"txt"
            | b"woff"
            | b"woff2"
            | b"ttf"
            | b"wasm"
            | b"service"
            | b"socket"
            | b"target"
            | b"mount"
            | b"timer"
            | b"slice"
            | b"device"
    )
}

pub(crate) fn email(text: &str, at_pos: usize, consumed: usize, out: &mut Vec<Cand>) {
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
            if ASCII_CLASS[usize::from(c)] & LOCAL == 0 {
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
    // `\u003cjane@…`, `\njane@…`: the escape before the address is not part of it.
    if prev(b, ls) == b'\\' {
        let hex = |k: usize| at(b, k).is_ascii_hexdigit();
        if b[ls] == b'u' && (1..=4).all(|k| hex(ls + k)) {
            ls += 5;
        } else if b[ls] == b'x' && hex(ls + 1) && hex(ls + 2) {
            ls += 3;
        } else if matches!(b[ls], b'n' | b't' | b'r') {
            ls += 1;
        }
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
                if ASCII_CLASS[usize::from(c)] & LABEL == 0 {
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
            // `icon@2x.png`: a file name. `git@github.com:org/repo.git`: an scp-style
            // remote, whose user is a service account.
            let tld = &b[s..end];
            let mut lower = [0u8; 7];
            if tld.len() <= lower.len() {
                let lower = &mut lower[..tld.len()];
                lower.copy_from_slice(tld);
                lower.make_ascii_lowercase();
                if is_file_extension(lower) {
                    return;
                }
            }
            // `git@github.com`: a service account, not a person.
            if &b[ls..at_pos] == b"git" {
                return;
            }
            if at(b, end) == b':' && at(b, end + 1).is_ascii_alphabetic() {
                let rest = &b[end + 1..(end + 80).min(b.len())];
                let path = rest.iter().take_while(|c| !c.is_ascii_whitespace()).count();
                if rest[..path].contains(&b'/') {
                    return;
                }
            }
            out.push(cand(ls, end, Kind::EMAIL, "email", PRIO_PII));
            return;
        }
        nl -= 1;
    }
}
