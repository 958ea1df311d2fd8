//! Email addresses, internationalised ones included, found from their `@`.

use crate::detectors::{at, cand, prev, Cand, PRIO_PII};
use crate::kind::Kind;

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

pub(super) fn email(text: &str, at_pos: usize, consumed: usize, out: &mut Vec<Cand>) {
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
