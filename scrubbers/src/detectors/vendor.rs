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
/// it is an example (`xxx`, `...`, `EXAMPLE`, `your…`, `<…>`, `${…}`, `****`).
pub(crate) fn is_placeholder_body(body: &[u8]) -> bool {
    // One pass: distinct characters (bits), markers, and the words below by first letter.
    let mut seen = [0u64; 4];
    let mut distinct = 0;
    for (i, &c) in body.iter().enumerate() {
        if !matches!(c, b'-' | b'_' | b'.') {
            let (w, bit) = (usize::from(c >> 6), 1u64 << (c & 63));
            if seen[w] & bit == 0 {
                seen[w] |= bit;
                distinct += 1;
            }
        }
        let marker = match c {
            // `<your-key>`, `***` (a password may hold a lone `<` or `*`).
            b'<' => body[i..].contains(&b'>'),
            b'*' => body[i..].starts_with(b"***"),
            b'$' => body.get(i + 1) == Some(&b'{'),
            b'.' => body[i..].starts_with(b"..."),
            0xE2 => body[i..].starts_with("…".as_bytes()),
            _ => {
                let lower = c | 0x20;
                PLACEHOLDER_WORDS.iter().any(|w| {
                    w[0] == lower
                        && body.len() - i >= w.len()
                        && body[i..i + w.len()].eq_ignore_ascii_case(w)
                })
            }
        };
        if marker {
            return true;
        }
    }
    distinct <= 2
}

/// Words that mark a documentation placeholder, matched in any case.
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"example",
    b"xxx",
    b"your",
    b"placeholder",
    b"redacted",
    b"dummy",
    b"sample",
];

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
