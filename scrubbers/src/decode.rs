//! The encodings telemetry carries around personal data: percent-encoding, once or twice
//! (`jane.doe%40example.com`, `%2540`), HTML character references (`&#64;`, `&commat;`),
//! `\u0040` and `\x40` escapes inside already serialised
//! strings, zero-width characters and fullwidth forms (`＠`, `．`). A text that holds any of
//! them is also scanned in decoded form; findings there are mapped back to the encoded
//! bytes, so the placeholder replaces the whole encoded span.

/// A decoded copy of a text and, for each decoded byte, the original bytes it came from.
pub(crate) struct Decoded {
    /// The decoded text.
    pub text: String,
    /// `(start, end)` in the original text of the unit each decoded byte belongs to.
    units: Vec<(u32, u32)>,
}

impl Decoded {
    /// The original span of decoded span `s..e`.
    pub(crate) fn original(&self, s: usize, e: usize) -> Option<(usize, usize)> {
        if s >= e || e > self.units.len() {
            return None;
        }
        let (os, _) = self.units[s];
        let (_, oe) = self.units[e - 1];
        Some((os as usize, oe as usize))
    }
}

/// Is `c` a character that is dropped: zero-width space, non-joiner, joiner, word joiner,
/// byte-order mark, soft hyphen?
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// The ASCII character a fullwidth form stands for (`＠` → `@`), or the ASCII space or
/// hyphen a typographic one stands for (no-break and thin spaces, en and em dashes, the
/// non-breaking hyphen, the minus sign: what word processors put between digit groups).
fn fullwidth(c: char) -> Option<char> {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
        '\u{3000}' | '\u{00A0}' | '\u{2007}' | '\u{2009}' | '\u{202F}' => Some(' '),
        '\u{2010}'..='\u{2015}' | '\u{2212}' => Some('-'),
        _ => None,
    }
}

fn hex(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// The decoded copy of `text`, or `None` when it holds nothing to decode (the common case:
/// one `memchr` pass over the bytes that can start an encoding).
pub(crate) fn decode(text: &str) -> Option<Decoded> {
    let b = text.as_bytes();
    if !needs_decoding(b) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut units: Vec<(u32, u32)> = Vec::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < b.len() {
        let push = |out: &mut String, units: &mut Vec<(u32, u32)>, c: char, s: usize, e: usize| {
            out.push(c);
            for _ in 0..c.len_utf8() {
                units.push((s as u32, e as u32));
            }
        };
        let c = b[i];
        if c == b'&' {
            if let Some((ch, len)) = html_reference(&b[i..]) {
                push(&mut out, &mut units, ch, i, i + len);
                changed = true;
                i += len;
                continue;
            }
        } else if c == b'%' {
            if let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                let mut v = h * 16 + l;
                let mut len = 3;
                // `%2540`: a `%` encoded again, as redirect parameters carry URLs.
                if v == 0x25 {
                    if let (Some(h), Some(l)) = (
                        b.get(i + 3).copied().and_then(hex),
                        b.get(i + 4).copied().and_then(hex),
                    ) {
                        v = h * 16 + l;
                        len = 5;
                    }
                }
                if (0x20..0x7F).contains(&v) {
                    push(&mut out, &mut units, v as u8 as char, i, i + len);
                    changed = true;
                    i += len;
                    continue;
                }
            }
        } else if c == b'\\' {
            // `\u0040`, `\\u0040` (escaped twice), `\x40`, JSON's `\/`.
            let mut j = i;
            while b.get(j) == Some(&b'\\') {
                j += 1;
            }
            match b.get(j) {
                Some(b'/') => {
                    push(&mut out, &mut units, '/', i, j + 1);
                    changed = true;
                    i = j + 1;
                    continue;
                }
                Some(b'u') if j + 5 <= b.len() => {
                    let code = b[j + 1..j + 5]
                        .iter()
                        .try_fold(0u32, |acc, &d| hex(d).map(|h| acc * 16 + h));
                    if let Some(ch) = code.and_then(char::from_u32) {
                        if !ch.is_control() {
                            if !invisible(ch) {
                                let ch = fullwidth(ch).unwrap_or(ch);
                                push(&mut out, &mut units, ch, i, j + 5);
                            }
                            changed = true;
                            i = j + 5;
                            continue;
                        }
                    }
                }
                Some(b'x') if j + 3 <= b.len() => {
                    if let (Some(h), Some(l)) = (hex(b[j + 1]), hex(b[j + 2])) {
                        let v = h * 16 + l;
                        if (0x20..0x7F).contains(&v) {
                            push(&mut out, &mut units, v as u8 as char, i, j + 3);
                            changed = true;
                            i = j + 3;
                            continue;
                        }
                    }
                }
                _ => {}
            }
        } else if c >= 0x80 {
            let ch = text[i..].chars().next().expect("a char starts here");
            let len = ch.len_utf8();
            if invisible(ch) {
                // Dropped: its bytes join the unit before it, so spans around it cover it.
                if let Some(last) = units.last_mut() {
                    last.1 = (i + len) as u32;
                }
                changed = true;
                i += len;
                continue;
            }
            if let Some(ascii) = fullwidth(ch) {
                push(&mut out, &mut units, ascii, i, i + len);
                // A fullwidth colon is followed by no space in CJK text; a label such as
                // `電話：` then reads as `電話: `, as it would in ASCII.
                if ascii == ':' {
                    push(&mut out, &mut units, ' ', i, i + len);
                }
                changed = true;
                i += len;
                continue;
            }
            push(&mut out, &mut units, ch, i, i + len);
            i += len;
            continue;
        }
        out.push(c as char);
        units.push((i as u32, i as u32 + 1));
        i += 1;
    }
    changed.then_some(Decoded { text: out, units })
}

/// The printable ASCII character an HTML character reference at the start of `b` stands
/// for (`&#64;`, `&#x40;`, `&commat;`, `&period;`, `&amp;`), and its length.
fn html_reference(b: &[u8]) -> Option<(char, usize)> {
    const NAMED: &[(&[u8], char)] = &[(b"&commat;", '@'), (b"&period;", '.'), (b"&amp;", '&')];
    if let Some(&(name, ch)) = NAMED.iter().find(|(name, _)| b.starts_with(name)) {
        return Some((ch, name.len()));
    }
    if b.get(1) != Some(&b'#') {
        return None;
    }
    let (radix, from) = if matches!(b.get(2), Some(b'x' | b'X')) {
        (16, 3)
    } else {
        (10, 2)
    };
    let digits = b[from..]
        .iter()
        .take(5)
        .take_while(|c| c.is_ascii_hexdigit())
        .count();
    if digits == 0 || b.get(from + digits) != Some(&b';') {
        return None;
    }
    let text = std::str::from_utf8(&b[from..from + digits]).ok()?;
    let v = u32::from_str_radix(text, radix).ok()?;
    (0x20..0x7F)
        .contains(&v)
        .then(|| (v as u8 as char, from + digits + 1))
}

/// Can `b` hold an encoding [`decode`] undoes? `%`, `\`, and the lead bytes of the
/// invisible and fullwidth characters (`0xC2` soft hyphen, `0xE2` zero-width, `0xE3`
/// ideographic space, `0xEF` fullwidth forms and BOM).
fn needs_decoding(b: &[u8]) -> bool {
    for i in memchr::memchr3_iter(b'%', b'\\', 0xEF, b) {
        let next = b.get(i + 1).copied().unwrap_or(0);
        let hit = match b[i] {
            b'%' => next.is_ascii_hexdigit(),
            b'\\' => matches!(next, b'u' | b'x' | b'\\' | b'/'),
            _ => matches!(next, 0xBB..=0xBD),
        };
        if hit {
            return true;
        }
    }
    if memchr::memchr_iter(b'&', b).any(|i| html_reference(&b[i..]).is_some()) {
        return true;
    }
    memchr::memchr3_iter(0xE2, 0xC2, 0xE3, b).any(|i| {
        let seq = &b[i..(i + 3).min(b.len())];
        // Zero-width and typographic spaces and dashes (U+2007…U+2015, U+202F).
        (seq.starts_with(&[0xE2, 0x80]) && matches!(seq.get(2), Some(0x87..=0x95 | 0xAF)))
            || seq == [0xE2, 0x81, 0xA0]
            || seq == [0xE2, 0x88, 0x92]
            || seq.starts_with(&[0xC2, 0xAD])
            || seq.starts_with(&[0xC2, 0xA0])
            || seq == [0xE3, 0x80, 0x80]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_not_decoded() {
        for t in [
            "hello world",
            "50% off",
            "C:\\temp\\file",
            "café naïve … ’ “quoted”",
        ] {
            assert!(decode(t).is_none(), "{t}");
        }
        // Typographic spaces and dashes between digit groups read as ASCII ones.
        let d = decode("call 415\u{2013}832\u{2013}7719 or +49\u{00A0}30\u{00A0}901820").unwrap();
        assert_eq!(d.text, "call 415-832-7719 or +49 30 901820");
    }

    #[test]
    fn decodes_and_maps_back() {
        let t = "mail jane.doe%40example.com now";
        let d = decode(t).unwrap();
        assert_eq!(d.text, "mail jane.doe@example.com now");
        let s = d.text.find("jane").unwrap();
        let e = d.text.find(" now").unwrap();
        assert_eq!(d.original(s, e), Some((5, t.find(" now").unwrap())));
        assert_eq!(d.original(0, 4), Some((0, 4)));

        let t = "jane\\u0040example.com";
        assert_eq!(decode(t).unwrap().text, "jane@example.com");
        let t = "ja\u{200B}ne＠example．com";
        let d = decode(t).unwrap();
        assert_eq!(d.text, "jane@example.com");
        assert_eq!(d.original(0, d.text.len()), Some((0, t.len())));
    }

    #[test]
    fn decodes_twice_encoded_and_html_references() {
        let t = "u=jane%2540example.com";
        let d = decode(t).unwrap();
        assert_eq!(d.text, "u=jane@example.com");
        let at = d.text.find('@').unwrap();
        assert_eq!(d.original(at, at + 1), Some((6, 11)));
        assert_eq!(decode("a&#64;b&#x2E;c&commat;d").unwrap().text, "a@b.c@d");
        // Not references: no `;`, out of ASCII, unknown names.
        for t in ["AT&T", "R&D &copy; 2024", "&#64 x", "&#8212;", "&#x;"] {
            assert!(decode(t).is_none(), "{t}");
        }
    }
}
