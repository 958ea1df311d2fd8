//! Vendor tokens: the prefix-then-body formats of the catalogue's token rows
//! (`catalogue/tokens/*.tsv`). Never takes a prefix glued to a word, a body of the wrong
//! alphabet or length, a body that fails its row's check, or a placeholder.

use super::{cand, is_alnum, prev, Cand, PRIO_VENDOR};
use crate::catalogue::{TokenRow, TokenTable};

/// The longest body a row's regex is shown (the longest documented token is far shorter).
const MAX_BODY: usize = 1024;

/// The token starting at word start `s`, if one of the rows whose prefix starts there
/// matches: longest prefix first, then catalogue order.
pub(crate) fn token_at(table: &TokenTable, b: &[u8], s: usize) -> Option<Cand> {
    first_shape(table, b, s, true).map(|(c, _)| c)
}

/// Whether a vendor row takes the token at `s` by its shape and check alone, placeholders
/// aside: where a key's value is such a token, the key path leaves it to the row (which
/// also rejects placeholders, as the key path would). With the token, whether its body
/// is a placeholder: if not, [`token_at`] gives the same token.
pub(crate) fn shaped_token_at(table: &TokenTable, b: &[u8], s: usize) -> Option<(Cand, bool)> {
    first_shape(table, b, s, false)
}

/// The first row (longest prefix, then catalogue order) whose shape and check the token
/// at `s` passes, skipping those whose body is a placeholder when `skip_placeholders`;
/// with whether the body is one.
fn first_shape(
    table: &TokenTable,
    b: &[u8],
    s: usize,
    skip_placeholders: bool,
) -> Option<(Cand, bool)> {
    let p = prev(b, s);
    if is_alnum(p) || p == b'_' {
        return None;
    }
    let rest = &b[s..];
    let second = rest.get(1).copied();
    for &(prefix, r) in table.bucket(b[s]) {
        // The second byte first: most prefixes sharing a first byte differ there.
        if Some(prefix[1]) != second || !rest.starts_with(prefix) {
            continue;
        }
        let row = &table.rows()[r];
        if row.infix.is_some() {
            // The word of a `.word` infix: the token starts before its `.`.
            if s > 0 && b[s - 1] == b'.' {
                if let Some(c) = infix_token(row, b, s - 1, prefix.len() + 1) {
                    return Some((c, false));
                }
            }
            continue;
        }
        let bs = s + prefix.len();
        let window = &b[bs..(bs + MAX_BODY).min(b.len())];
        let Some(len) = row.body_len(window) else {
            continue;
        };
        let end = bs + len;
        if len == 0 || is_alnum(b.get(end).copied().unwrap_or(0)) {
            continue;
        }
        if !row.check.passes(&b[s..end], prefix.len()) {
            continue;
        }
        let placeholder = is_placeholder_body(&b[bs..end]);
        if skip_placeholders && placeholder {
            continue;
        }
        return Some((
            cand(s, end, row.kind.clone(), row.rule, PRIO_VENDOR),
            placeholder,
        ));
    }
    None
}

/// How far before its infix an infix-row token may start.
const MAX_INFIX_HEAD: usize = 64;

/// A byte an infix-row token can hold.
fn is_token_byte(c: u8) -> bool {
    is_alnum(c) || matches!(c, b'_' | b'-' | b'.' | b'~')
}

/// The `~`-infix token (`abc8Q~…`) around the `~` at `i`, if any.
pub(crate) fn tilde_token_at(table: &TokenTable, b: &[u8], i: usize) -> Option<Cand> {
    table
        .tilde_infixes()
        .iter()
        .find_map(|&(infix, offset, r)| {
            let at = i.checked_sub(offset)?;
            b[at..]
                .starts_with(infix)
                .then(|| infix_token(&table.rows()[r], b, at, infix.len()))
                .flatten()
        })
}

/// The token of infix row `row` whose infix (`len` bytes) is at `at`. The token starts at
/// the start of the run of token bytes before the infix, or right after one of that
/// run's separators (`app.<token>`).
fn infix_token(row: &TokenRow, b: &[u8], at: usize, len: usize) -> Option<Cand> {
    let mut run = at;
    while run > 0 && at - run < MAX_INFIX_HEAD && is_token_byte(b[run - 1]) {
        run -= 1;
    }
    let starts = std::iter::once(run)
        .chain((run + 1..=at).filter(|&s| !is_alnum(b[s - 1]) && is_alnum(b[s])));
    for s in starts {
        let window = &b[s..(s + MAX_BODY).min(b.len())];
        let Some(n) = row.body_len(window) else {
            continue;
        };
        let end = s + n;
        if end < at + len || is_alnum(b.get(end).copied().unwrap_or(0)) {
            continue;
        }
        let token = &b[s..end];
        if row.check.passes(token, 0) && !is_placeholder_body(token) {
            return Some(cand(s, end, row.kind.clone(), row.rule, PRIO_VENDOR));
        }
    }
    None
}

/// Documentation placeholders: a body of one or two repeated characters, or one that says
/// it is an example (`xxx`, `...`, `EXAMPLE`, `your…`, `<…>`, `${…}`, `****`).
pub(crate) fn is_placeholder_body(body: &[u8]) -> bool {
    // At most two distinct characters (`xxxx`, `0000`, `abab`), separators aside.
    let mut first = [0u8; 2];
    let mut distinct = 0;
    for &c in body {
        if matches!(c, b'-' | b'_' | b'.') || first[..distinct].contains(&c) {
            continue;
        }
        if distinct == 2 {
            distinct = 3;
            break;
        }
        first[distinct] = c;
        distinct += 1;
    }
    if distinct <= 2 {
        return true;
    }
    // Placeholders are written by people and short; in a long body (a JWT, a macaroon)
    // only its head and tail are looked at.
    if body.len() > 96 {
        return is_placeholder_body(&body[..64]) || is_placeholder_body(&body[body.len() - 32..]);
    }
    // Only positions where a mark can start are judged; in a random body there are few.
    let mut marks = mark_positions(body);
    while marks != 0 {
        let i = marks.trailing_zeros() as usize;
        marks &= marks - 1;
        if mark_at(body, i) {
            return true;
        }
    }
    false
}

/// Does the placeholder mark starting at byte `i` of `body` (whose [`MARK_START`] is not
/// 0) hold?
fn mark_at(body: &[u8], i: usize) -> bool {
    let c = body[i];
    match MARK_START[usize::from(c)] {
        0 => false,
        // `<your-key>`, `***` (a password may hold a lone `<` or `*`).
        MARK_LT => body[i..].contains(&b'>'),
        MARK_STAR => body[i..].starts_with(b"***"),
        MARK_DOLLAR => body.get(i + 1) == Some(&b'{'),
        MARK_DOT => body[i..].starts_with(b"..."),
        MARK_ELLIPSIS => body[i..].starts_with("…".as_bytes()),
        word => {
            let w = PLACEHOLDER_WORDS[usize::from(word - MARK_WORD)];
            body.get(i + 1).is_some_and(|&n| n | 0x20 == w[1])
                && body.len() - i >= w.len()
                && body[i..i + w.len()].eq_ignore_ascii_case(w)
                // `XXX` turns up in random upper-case keys; a mask is longer, and one
                // case (`xXX` is random).
                && !(c == b'X' && body.get(i + 3) != Some(&b'X'))
                && (c | 0x20 != b'x' || x_mask(body, i))
                // People write `your`, `YOUR` or `Your`; `YouR` is random.
                && one_case_word(&body[i..i + w.len()])
        }
    }
}

/// The positions (bits) of `body` (at most 96 bytes) where [`mark_at`] can hold: a mark
/// byte, or a placeholder word's first two letters in any case. A superset, so
/// [`mark_at`] decides.
fn mark_positions(body: &[u8]) -> u128 {
    debug_assert!(body.len() <= 96);
    #[cfg(target_arch = "x86_64")]
    {
        use super::classes::sse2::{eq, mask};
        use safe_arch::{load_unaligned_m128i, set_splat_i8_m128i};
        let fold = set_splat_i8_m128i(0x20);
        let mut bits = 0u128;
        let mut j = 0;
        while j < body.len() {
            // Straight from the body while 17 bytes remain; the last lanes from a
            // zero-padded copy (a zero byte starts no mark and seconds no word).
            let mut pad = [0u8; 32];
            let from: &[u8] = if j + 17 <= body.len() {
                &body[j..j + 17]
            } else {
                pad[..body.len() - j].copy_from_slice(&body[j..]);
                &pad[..17]
            };
            let v = load_unaligned_m128i(from[..16].try_into().expect("16"));
            let next = load_unaligned_m128i(from[1..17].try_into().expect("16"));
            let (fv, fnext) = (v | fold, next | fold);
            let mut m = eq(v, b'<') | eq(v, b'*') | eq(v, b'$') | eq(v, b'.') | eq(v, 0xE2);
            for w in PLACEHOLDER_WORDS {
                m |= eq(fv, w[0]) & eq(fnext, w[1]);
            }
            bits |= u128::from(mask(m)) << j;
            j += 16;
        }
        bits & ((1u128 << body.len()) - 1)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        mark_positions_bytewise(body)
    }
}

/// [`mark_positions`] one byte at a time (the reference the SIMD version is tested
/// against, and its fallback).
#[cfg(any(test, not(target_arch = "x86_64")))]
fn mark_positions_bytewise(body: &[u8]) -> u128 {
    let mut bits = 0u128;
    for (i, &c) in body.iter().enumerate() {
        let hit = match MARK_START[usize::from(c)] {
            0 => false,
            word if word >= MARK_WORD => {
                let w = PLACEHOLDER_WORDS[usize::from(word - MARK_WORD)];
                body.get(i + 1).is_some_and(|&n| n | 0x20 == w[1])
            }
            _ => true,
        };
        bits |= u128::from(hit) << i;
    }
    bits
}

/// Is the run of `x` or `X` at `i` a mask: one case, and four or more long or a word of
/// its own (`sk_live_xxx`, `xxxx-xxxx`; `Axxx000` and `xXX` are random)?
fn x_mask(body: &[u8], i: usize) -> bool {
    let c = body[i];
    let run = body[i..].iter().take_while(|&&x| x == c).count();
    let alnum_at = |k: usize| body.get(k).is_some_and(u8::is_ascii_alphanumeric);
    run >= 4 || (run == 3 && (i == 0 || !alnum_at(i - 1)) && !alnum_at(i + run))
}

/// Is `w` lower case, upper case or capitalised?
fn one_case_word(w: &[u8]) -> bool {
    let rest = &w[1..];
    rest.iter().all(u8::is_ascii_lowercase)
        || (w[0].is_ascii_uppercase() && rest.iter().all(|c| !c.is_ascii_lowercase()))
}

const MARK_LT: u8 = 1;
const MARK_STAR: u8 = 2;
const MARK_DOLLAR: u8 = 3;
const MARK_DOT: u8 = 4;
const MARK_ELLIPSIS: u8 = 5;
/// `MARK_WORD + k`: the byte starts `PLACEHOLDER_WORDS[k]` (each has its own first letter).
const MARK_WORD: u8 = 6;

/// What a byte can start in a placeholder (see [`is_placeholder_body`]); 0 for nothing.
static MARK_START: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'<' as usize] = MARK_LT;
    t[b'*' as usize] = MARK_STAR;
    t[b'$' as usize] = MARK_DOLLAR;
    t[b'.' as usize] = MARK_DOT;
    t[0xE2] = MARK_ELLIPSIS;
    let mut k = 0;
    while k < PLACEHOLDER_WORDS.len() {
        let c = PLACEHOLDER_WORDS[k][0];
        t[c as usize] = MARK_WORD + k as u8;
        t[c.to_ascii_uppercase() as usize] = MARK_WORD + k as u8;
        k += 1;
    }
    t
};

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

    /// The SIMD prefilter finds every position the byte loop does, on bodies of every
    /// length up to 96 built from mark bytes, word letters in both cases and others.
    #[test]
    fn mark_positions_match_the_byte_loop() {
        let alphabet = "<>*${}.…xXeEyYpPrRdDsSoOaAlLuUmMq09_-";
        let chars: Vec<char> = alphabet.chars().collect();
        let mut next = crate::detectors::test_rng(0x2545_F491_4F6C_DD1D);
        for _ in 0..20_000 {
            let len = next(97);
            let mut body = String::new();
            while body.len() < len {
                body.push(chars[next(chars.len())]);
            }
            let mut body = body.into_bytes();
            body.truncate(len);
            assert_eq!(
                mark_positions(&body),
                mark_positions_bytewise(&body),
                "{}",
                String::from_utf8_lossy(&body)
            );
        }
    }
}
