//! Folding a word to its lexicon key: lower case, Latin diacritics removed, apostrophes
//! dropped (`O'Brien` → `obrien`, `Müller` → `muller`, `Łukasz` → `lukasz`).

/// Latin letters with diacritics and ligatures, and what they fold to.
const FOLDS: &[(&str, &str)] = &[
    ("àáâãäåāăąạảấầẩẫậắằẳẵặ", "a"),
    ("çćĉċč", "c"),
    ("ďđð", "d"),
    ("èéêëēĕėęěẹẻẽếềểễệ", "e"),
    ("ĝğġģ", "g"),
    ("ĥħ", "h"),
    ("ìíîïĩīĭįıỉị", "i"),
    ("ĵ", "j"),
    ("ķ", "k"),
    ("ĺļľŀł", "l"),
    ("ñńņňŉ", "n"),
    ("òóôõöøōŏőọỏốồổỗộơớờởỡợ", "o"),
    ("ŕŗř", "r"),
    ("śŝşšș", "s"),
    ("ţťŧț", "t"),
    ("ùúûüũūŭůűųụủưứừửữự", "u"),
    ("ŵ", "w"),
    ("ýÿŷỳỵỷỹ", "y"),
    ("źżž", "z"),
    ("ß", "ss"),
    ("æ", "ae"),
    ("œ", "oe"),
    ("þ", "th"),
];

/// Longest key worth looking up; longer words are no names.
pub(crate) const MAX_KEY: usize = 24;

/// Folds `word` into `out` (cleared first). False when a character has no folding (a
/// digit, another script) or the key would be too long.
pub(crate) fn fold_into(word: &str, out: &mut Vec<u8>) -> bool {
    out.clear();
    if word.is_ascii() {
        for &b in word.as_bytes() {
            match b {
                b'\'' => {}
                b if b.is_ascii_alphabetic() => out.push(b.to_ascii_lowercase()),
                _ => return false,
            }
        }
        return (2..=MAX_KEY).contains(&out.len());
    }
    for c in word.chars() {
        if c.is_ascii_alphabetic() {
            out.push(c.to_ascii_lowercase() as u8);
        } else if c == '\'' || c == '’' {
            continue;
        } else {
            let lower = c.to_lowercase().next().unwrap_or(c);
            match FOLDS.iter().find(|(from, _)| from.contains(lower)) {
                Some((_, to)) => out.extend_from_slice(to.as_bytes()),
                None => return false,
            }
        }
        if out.len() > MAX_KEY {
            return false;
        }
    }
    out.len() >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(s: &str) -> Option<String> {
        let mut out = Vec::new();
        fold_into(s, &mut out).then(|| String::from_utf8(out).unwrap())
    }

    #[test]
    fn folds_case_diacritics_and_apostrophes() {
        assert_eq!(fold("O'Brien").as_deref(), Some("obrien"));
        assert_eq!(fold("Müller").as_deref(), Some("muller"));
        assert_eq!(fold("Łukasz").as_deref(), Some("lukasz"));
        assert_eq!(fold("Yılmaz").as_deref(), Some("yilmaz"));
        assert_eq!(fold("Gonçalves").as_deref(), Some("goncalves"));
        assert_eq!(fold("Strauß").as_deref(), Some("strauss"));
        assert_eq!(fold("Nguyễn").as_deref(), Some("nguyen"));
        assert_eq!(fold("Phạm").as_deref(), Some("pham"));
        assert_eq!(fold("Иван"), None);
        assert_eq!(fold("a"), None);
    }
}
