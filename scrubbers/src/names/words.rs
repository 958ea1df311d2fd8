//! Reading words out of text for the name detector: capitalised words at word starts,
//! joined by spaces, particles and initials into chains, and the words before and after
//! a chain, lower-cased, to match cues.

/// One word: letters, with inner apostrophes and hyphens (`O'Brien`, `Jean-Pierre`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Word {
    pub start: usize,
    /// End of the name itself (before a possessive `'s`).
    pub end: usize,
    /// End including a possessive `'s`.
    pub full_end: usize,
    pub possessive: bool,
    /// First letter upper case, at least one lower-case letter, never two capitals in a
    /// row (`Hazel`, `McNeill`, `DeAndre`; not `HTTP`, `GitHub`'s `GH`… but `GitHub` is).
    pub capitalised: bool,
    pub lower: bool,
    /// The lexicon hash of the folded word, for a plain ASCII word (0: fold it anew).
    pub hash: u64,
}

/// Whether a name may have a second capital after `prefix` (`McNeill`, `MacDonald`,
/// `DeAndre`).
#[inline]
pub(crate) fn is_inner_capital_prefix(prefix: &[u8]) -> bool {
    matches!(
        prefix,
        b"Mc"
            | b"Mac"
            | b"De"
            | b"Di"
            | b"Da"
            | b"Du"
            | b"La"
            | b"Le"
            | b"Van"
            | b"Von"
            | b"Fitz"
            | b"St"
    )
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '’'
}

/// The char before byte `i`, if any.
#[inline]
pub(crate) fn char_before(text: &str, i: usize) -> Option<char> {
    // An ASCII byte is its own char: no decoding backwards.
    match text.as_bytes()[..i].last() {
        None => None,
        Some(&c) if c < 0x80 => Some(char::from(c)),
        Some(_) => text[..i].chars().next_back(),
    }
}

/// Whether a word may start at `i`: not glued to code (`x_Name`, `v1.Name`, `/Name`,
/// `@Name`, `a-Name`).
pub(crate) fn at_word_start(text: &str, i: usize) -> bool {
    let b = text.as_bytes();
    if i == 0 {
        return true;
    }
    let p = b[i - 1];
    if p < 0x80 {
        return match p {
            b'.' | b'-' | b'\'' => i < 2 || !(b[i - 2].is_ascii_alphanumeric() || b[i - 2] >= 0x80),
            b'_' | b'/' | b'\\' | b'@' | b'#' | b'$' | b'%' | b'&' | b'+' | b'~' | b'^' | b'|' => {
                false
            }
            _ => !p.is_ascii_alphanumeric(),
        };
    }
    match char_before(text, i) {
        None => true,
        Some(c) if c.is_alphanumeric() => false,
        Some('_' | '/' | '\\' | '@' | '#' | '$' | '%' | '&' | '+' | '~' | '^' | '|') => false,
        Some(c @ ('.' | '-' | '\'' | '’')) => {
            // `v1.Name`, `a-Name`, `x'Name` are code or one word; `. Name` is prose.
            !char_before(text, i - c.len_utf8()).is_some_and(|p| p.is_alphanumeric())
        }
        Some(_) => true,
    }
}

/// Whether what follows a word glues it to code: `Name2`, `Name_x`, `Name@host`,
/// `Next.js`, `Foo-2`, `Cmd+K`.
fn glued_right(after: &[u8]) -> bool {
    match after.first() {
        Some(c) if c.is_ascii_digit() || matches!(c, b'_' | b'@') => true,
        Some(b'.' | b'-' | b'+') => after
            .get(1)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c >= 0x80),
        _ => false,
    }
}

/// Reads the word starting at `i` (a letter at a word start). None when it is glued to
/// code on its right (`Name2`, `Name_x`, `Name.js`, `Name@host`).
pub(crate) fn word_at(text: &str, i: usize) -> Option<Word> {
    let rest = &text[i..];
    // Fast path: a plain ASCII word (most of them), no apostrophe or hyphen inside.
    let b = rest.as_bytes();
    let mut j = 0;
    let mut uppers = 0u32;
    let mut inner_capital = 0;
    let mut lowers = false;
    while let Some(&c) = b.get(j) {
        if c.is_ascii_lowercase() {
            lowers = true;
        } else if c.is_ascii_uppercase() {
            uppers += 1;
            if j > 0 && inner_capital == 0 {
                inner_capital = j;
            }
        } else {
            break;
        }
        j += 1;
    }
    if j > 0
        && b.get(j)
            .is_none_or(|&c| c < 0x80 && !matches!(c, b'\'' | b'-'))
    {
        if glued_right(&b[j..]) {
            return None;
        }
        let first_upper = b[0].is_ascii_uppercase();
        // `McNeill`, `DeAndre`: one inner capital after a known prefix.
        let capitalised = first_upper
            && lowers
            && (uppers == 1 || (uppers == 2 && is_inner_capital_prefix(&b[..inner_capital])));
        return Some(Word {
            start: i,
            end: i + j,
            full_end: i + j,
            possessive: false,
            capitalised,
            lower: uppers == 0,
            // Keys are at least two letters long.
            hash: if (2..=super::fold::MAX_KEY).contains(&j) {
                super::lexicon::hash_letters(b, 0, j)
            } else {
                0
            },
        });
    }
    let mut chars = rest.char_indices().peekable();
    let mut end = 0;
    let mut upper_run = 0;
    let mut two_caps = false;
    let mut uppers = 0;
    let mut lowers = 0;
    let mut first_upper = false;
    let mut last_apostrophe = None;
    let mut part_start = 0;
    while let Some((k, c)) = chars.next() {
        if c.is_alphabetic() {
            if c.is_uppercase() {
                if k == 0 {
                    first_upper = true;
                } else if k != part_start
                    && !is_inner_capital_prefix(&rest.as_bytes()[part_start..k])
                {
                    // `TypeError`, `PostHog`: code, not a name (`McNeill`, `DeAndre` are).
                    two_caps = true;
                }
                uppers += 1;
                upper_run += 1;
                two_caps |= upper_run >= 2;
            } else {
                lowers += 1;
                upper_run = 0;
            }
            end = k + c.len_utf8();
        } else if (is_apostrophe(c) || c == '-') && k > 0 {
            match chars.peek() {
                Some(&(_, n)) if n.is_alphabetic() => {
                    if is_apostrophe(c) {
                        last_apostrophe = Some(k);
                    }
                    upper_run = 0;
                    part_start = k + c.len_utf8();
                }
                _ => break,
            }
        } else {
            break;
        }
    }
    if end == 0 {
        return None;
    }
    if glued_right(&rest.as_bytes()[end..]) {
        return None;
    }
    let (name_end, possessive) = match last_apostrophe {
        Some(a) if matches!(&rest[a..end], "'s" | "’s") => (a, true),
        _ => (end, false),
    };
    let _ = uppers;
    Some(Word {
        start: i,
        end: i + name_end,
        full_end: i + end,
        possessive,
        capitalised: first_upper && !two_caps && lowers > 0,
        lower: !first_upper && uppers == 0,
        hash: 0,
    })
}

/// The start of the word (letters and apostrophes) that ends at byte `i`, if any. Bytes
/// first; a non-ASCII byte falls back to reading `char`s.
fn word_start_before(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut k = i;
    while k > 0 && (b[k - 1].is_ascii_alphabetic() || b[k - 1] == b'\'') {
        k -= 1;
    }
    if k > 0 && b[k - 1] >= 0x80 {
        return text[..i]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| c.is_alphabetic() || is_apostrophe(c))
            .last()
            .map(|(k, _)| k);
    }
    (k < i).then_some(k)
}

/// A lower-cased word near a name (inline, no allocation; longer words are no cues), and
/// whether it may serve as a cue: written in lower case, or capitalised only because it
/// starts a sentence (`Dear`, `Thanks`) or is `I`. A capitalised word mid-line is a
/// title's (`Mocha Reporter Swallows…`), no cue.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CueWord {
    /// Inline, so reading it back needs no UTF-8 check (cue words are read many times).
    word: arrayvec::ArrayString<24>,
    pub usable: bool,
}

impl CueWord {
    pub(crate) fn new(word: &str, usable: bool) -> Self {
        let mut w = CueWord {
            word: arrayvec::ArrayString::new(),
            usable,
        };
        if word.is_ascii() {
            if w.word.try_push_str(word).is_ok() {
                w.word.make_ascii_lowercase();
            }
            return w;
        }
        for c in word.chars().flat_map(char::to_lowercase) {
            let c = if c == '’' { '\'' } else { c };
            if w.word.try_push(c).is_err() {
                w.word.clear();
                return w;
            }
        }
        w
    }

    /// The lower-cased word; empty when it was too long to be a cue.
    pub(crate) fn as_str(&self) -> &str {
        &self.word
    }
}

fn starts_sentence(text: &str, start: usize) -> bool {
    // Bytes: every character looked for is ASCII, and a non-ASCII byte is none of them.
    let b = text.as_bytes();
    let mut k = start;
    while k > 0 && matches!(b[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    k == 0
        || matches!(
            b[k - 1],
            b'.' | b'!'
                | b'?'
                | b':'
                | b';'
                | b'\n'
                | b'('
                | b'"'
                | b'\''
                | b'['
                | b'*'
                | b'>'
                | b','
        )
}

/// Up to `max` (at most three) lower-cased words right before byte `i`, nearest first, with only
/// separators that keep a cue attached between them (spaces, `:`, `=`, `(`, quotes, a
/// comma). Empty when a sentence ends in between. Also says whether the word right before
/// is lower case and only spaces separate it (the name is mid-sentence).
pub(crate) fn words_before(text: &str, mut i: usize, max: usize, out: &mut Vec<CueWord>) -> bool {
    out.clear();
    let mut mid_sentence = false;
    for n in 0..max {
        let mut only_spaces = true;
        // Separators.
        loop {
            match char_before(text, i) {
                Some(
                    c @ (' ' | '\t' | '(' | '[' | '"' | '\'' | '`' | ':' | '=' | ',' | '-' | '<'),
                ) if !(n > 0 && matches!(c, '(' | '[' | '"' | '\'' | '`' | '=' | '<')) => {
                    only_spaces &= c == ' ';
                    i -= c.len_utf8();
                }
                Some('.') if n == 0 => {
                    // `Dr. Name`: the stop belongs to a title.
                    let j = i - 1;
                    let start = text[..j]
                        .char_indices()
                        .rev()
                        .take_while(|(_, c)| c.is_alphabetic())
                        .last()
                        .map_or(j, |(k, _)| k);
                    let title = text[start..j].to_ascii_lowercase();
                    if super::cues::TITLES.contains(&title.as_str()) {
                        i = j;
                        only_spaces = false;
                        break;
                    }
                    return mid_sentence;
                }
                _ => break,
            }
        }
        let Some(start) = word_start_before(text, i) else {
            break;
        };
        let word = &text[start..i];
        // `[PERSON]'s`: a possessive after a placeholder stands for a capitalised name.
        let first = match word.as_bytes().first() {
            Some(&c) if c < 0x80 => char::from(c),
            _ => word.chars().next().unwrap_or(' '),
        };
        let capitalised = first.is_uppercase() || (is_apostrophe(first) && start > 0);
        if n == 0 {
            mid_sentence = only_spaces && !capitalised;
        }
        let mut cue = CueWord::new(word, true);
        cue.usable = !capitalised
            || cue.as_str() == "i"
            || cue.as_str().starts_with("i'")
            || starts_sentence(text, start);
        out.push(cue);
        i = start;
        if !char_before(text, i).is_some_and(|c| matches!(c, ' ' | '-' | ',' | ':')) {
            break;
        }
    }
    mid_sentence
}

/// Up to `max` lower-cased words right after byte `i`, separated by single spaces, after an
/// optional comma. Also returns the first non-space char after `i`.
pub(crate) fn words_after(
    text: &str,
    i: usize,
    max: usize,
    out: &mut Vec<CueWord>,
) -> Option<char> {
    out.clear();
    let rest = &text[i..];
    let trimmed = rest.trim_start_matches([' ', ',']);
    let first = rest.trim_start_matches(' ').chars().next();
    let mut j = 0;
    for _ in 0..max {
        let w: &str = &trimmed[j..];
        // ASCII letters first (most words); a non-ASCII byte reads on by `char`.
        let ascii = w
            .bytes()
            .position(|c| !(c.is_ascii_alphabetic() || c == b'\''))
            .unwrap_or(w.len());
        let len = if w.as_bytes().get(ascii).is_some_and(|&c| c >= 0x80) {
            ascii
                + w[ascii..]
                    .char_indices()
                    .find(|&(_, c)| !(c.is_alphabetic() || is_apostrophe(c)))
                    .map_or(w.len() - ascii, |(k, _)| k)
        } else {
            ascii
        };
        if len == 0 {
            break;
        }
        out.push(CueWord::new(&w[..len], true));
        j += len;
        if !trimmed[j..].starts_with(' ') {
            break;
        }
        j += 1;
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_words_and_their_shape() {
        let w = word_at("Hazel's chart", 0).unwrap();
        assert!(w.possessive && w.capitalised && w.end == 5 && w.full_end == 7);
        assert!(word_at("Müller-Lüdenscheidt x", 0).unwrap().capitalised);
        assert!(!word_at("HTTP/1.1", 0).unwrap().capitalised);
        assert!(!word_at("TypeError x", 0).unwrap().capitalised);
        assert!(word_at("McNeill x", 0).unwrap().capitalised);
        assert!(word_at("O'Brien x", 0).unwrap().capitalised);
        assert!(word_at("Chart2 x", 0).is_none());
        assert!(word_at("Next.js", 0).is_none());
        assert!(!at_word_start("user_Name", 5));
        assert!(at_word_start("x. Name", 3));
    }

    #[test]
    fn reads_cue_words_before_and_after() {
        let mut out = Vec::new();
        let text = "Author identity unknown (Ada Bright <no email>)";
        words_before(text, text.find("Ada").unwrap(), 3, &mut out);
        let words = |out: &Vec<CueWord>| {
            out.iter()
                .map(|w| w.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(words(&out), ["unknown", "identity", "author"]);
        let text = "Hi, this is Donna";
        words_before(text, text.find("Donna").unwrap(), 3, &mut out);
        assert_eq!(words(&out), ["is", "this", "hi"]);
        assert!(out.iter().all(|w| w.usable));
        let text = "Mocha Reporter Swallows";
        words_before(text, text.find("Swallows").unwrap(), 3, &mut out);
        assert!(!out[0].usable);
        let text = "Done. Donna";
        words_before(text, text.find("Donna").unwrap(), 3, &mut out);
        assert!(out.is_empty());
        let text = "Dr. Souza";
        words_before(text, text.find("Souza").unwrap(), 3, &mut out);
        assert_eq!(words(&out), ["dr"]);
        assert!(words_before("ask jane Roe", 9, 3, &mut out));
        let first = words_after(", she owns it", 0, 6, &mut out);
        assert_eq!(first, Some(','));
        assert_eq!(words(&out), ["she", "owns", "it"]);
    }
}
