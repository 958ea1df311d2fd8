//! Vendor tokens: the prefix-then-body formats of the catalogue's token rows
//! (`catalogue/tokens/*.tsv`). Never takes a prefix glued to a word, a body of the wrong
//! alphabet or length, a body that fails its row's check, or a placeholder.

use super::{cand, is_alnum, prev, Cand, PRIO_VENDOR};
use crate::catalogue::TokenTable;

/// The longest body a row's regex is shown (the longest documented token is far shorter).
const MAX_BODY: usize = 1024;

/// The token starting at word start `s`, if one of the rows whose prefix starts there
/// matches: longest prefix first, then catalogue order.
pub(crate) fn token_at(table: &TokenTable, b: &[u8], s: usize) -> Option<Cand> {
    let p = prev(b, s);
    if is_alnum(p) || p == b'_' {
        return None;
    }
    let rest = &b[s..];
    for &(prefix, r) in table.bucket(b[s]) {
        if !rest.starts_with(prefix) {
            continue;
        }
        let row = &table.rows()[r];
        let bs = s + prefix.len();
        let window = &b[bs..(bs + MAX_BODY).min(b.len())];
        let Some(m) = row.body.find(window) else {
            continue;
        };
        let end = bs + m.end();
        if m.end() == 0 || is_alnum(b.get(end).copied().unwrap_or(0)) {
            continue;
        }
        let body = &b[bs..end];
        if !row.check.passes(body) || is_placeholder_body(body) {
            continue;
        }
        return Some(cand(s, end, row.kind.clone(), row.rule, PRIO_VENDOR));
    }
    None
}

/// Documentation placeholders: a body of one or two repeated characters, or one that says
/// it is an example (`xxxx`, `EXAMPLE`, `your…`, `<…>`, `${…}`).
pub(crate) fn is_placeholder_body(body: &[u8]) -> bool {
    let mut distinct = [false; 256];
    let mut n = 0;
    for &c in body {
        if matches!(c, b'-' | b'_' | b'.') {
            continue;
        }
        if !distinct[usize::from(c)] {
            distinct[usize::from(c)] = true;
            n += 1;
            if n > 2 {
                break;
            }
        }
    }
    if n <= 2 {
        return true;
    }
    if body.iter().any(|&c| c == b'<' || c == b'*')
        || body.windows(2).any(|w| w == b"${")
        || body
            .windows(3)
            .any(|w| w == b"..." || w.eq_ignore_ascii_case(b"xxx"))
        || body.windows(3).any(|w| w == "…".as_bytes())
    {
        return true;
    }
    const WORDS: &[&[u8]] = &[
        b"example",
        b"xxxx",
        b"your",
        b"placeholder",
        b"redacted",
        b"dummy",
        b"sample",
    ];
    body.windows(4).enumerate().any(|(i, w)| {
        let head = [w[0] | 0x20, w[1] | 0x20];
        WORDS.iter().any(|word| {
            word[..2] == head
                && body.len() - i >= word.len()
                && body[i..i + word.len()].eq_ignore_ascii_case(word)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for p in [
            &b"xxxxxxxxxxxxxxxxxxxx"[..],
            b"XXXX-XXXX",
            b"0000000000000000",
            b"abababababab",
            b"IOSFODNN7EXAMPLE",
            b"your_token_here",
            b"<token>",
            b"${TOKEN}",
            b"****************",
        ] {
            assert!(is_placeholder_body(p), "{}", String::from_utf8_lossy(p));
        }
        for p in [&b"R2d9xQ7mKp4LwZ8vN3bT6yH1cF5gJ0sA"[..], b"a1b2c3d4e5f6"] {
            assert!(!is_placeholder_body(p), "{}", String::from_utf8_lossy(p));
        }
    }
}
