//! The lexicon's view of a capitalised word, for the detector: given name, surname, how
//! common, and whether it is also an everyday word, a place or a product — and the fast
//! path that sets aside plain words (`Error`, `Module`) in one pass and one probe.

use super::cues;
use super::fold::fold_into;
use std::cell::Cell;

use super::lexicon::{hash, hash_letters, load8, lookup, lookup_hashed, lower_run_end, Entry};
use super::words::Word;

/// The lexicon's view of one word, hyphenated parts combined. Tiers are 1 + the decimal
/// order of magnitude of the people with the name (0: not a name of that kind).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Lex {
    pub(crate) given: u8,
    pub(crate) surname: u8,
    /// A name that is no everyday word, place or thing.
    pub(crate) clear: bool,
    /// A clear name at least a thousand people carry.
    pub(crate) solid: bool,
    /// Also a product, calendar abbreviation or place (`Jenkins`, `Mon`, `Austin`).
    pub(crate) thing: bool,
    /// Also one of the most common English words (`Will`, `Grant`).
    pub(crate) common: bool,
    /// A capitalised particle between name words (`Di` in `Elena Di Pietro`).
    pub(crate) particle: bool,
    /// Opens a cue phrase (`Dear`, `Hi`, `Segnalato`).
    pub(crate) opener: bool,
    /// A function word, or a common word few people carry as a name (`The`, `Now`,
    /// `Code`): no name part.
    pub(crate) plain_word: bool,
    pub(crate) unknown: bool,
}

/// 1 + log10 of a thousand people.
pub(crate) const THOUSAND: u8 = 4;

impl Lex {
    pub(crate) fn is_name(self) -> bool {
        (self.given > 0 || self.surname > 0) && !self.plain_word
    }

    /// Can be part of a name: a name, or a word the lexicon does not know.
    pub(crate) fn name_like(self) -> bool {
        self.is_name() || self.unknown || self.particle
    }
}

pub(crate) fn lex_of(text: &str, w: &Word, key: &mut Vec<u8>) -> Option<Lex> {
    let word = &text[w.start..w.end];
    let mut lex = Lex {
        unknown: true,
        plain_word: true,
        ..Lex::default()
    };
    let mut add = |e: Entry| {
        let tier = e.given().max(e.surname());
        lex.given = lex.given.max(e.given());
        lex.surname = lex.surname.max(e.surname());
        lex.clear |= e.is_name() && !e.is_ambiguous();
        lex.solid |= e.is_name() && !e.is_ambiguous() && tier >= THOUSAND;
        // A place many people are named after (`Jordan`, `Medina`) is only ambiguous.
        lex.thing |= e.is_thing() || (e.is_place() && tier < THOUSAND);
        lex.common |= e.is_common_word();
        lex.plain_word &= (e.is_common_word() && tier < THOUSAND) || e.is_stop_word();
        lex.unknown &= e.is_unknown();
    };
    // A plain ASCII word comes hashed by the reader (most of them).
    if w.hash != 0 {
        add(lookup_hashed(w.hash));
        lex.opener = !lex.name_like() && cues::index().is_opener(w.hash);
        return Some(lex);
    }
    let mut parts = 0;
    for part in word.split('-') {
        if !fold_into(part, key) {
            return None;
        }
        add(lookup(key));
        parts += 1;
    }
    if parts == 1 && !lex.name_like() {
        lex.opener = cues::index().is_opener(hash(key));
    }
    Some(lex)
}

/// What the word at a capital `k` is, decided in one pass over its letters and at most
/// one probe: most capitalised words in logs are plain words or code, never a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// A plain ASCII word that can open no name (`Error`, `Module`, `Cannot`): the
    /// lexicon knows it as a word, not as a name, and it opens no cue. Resume at the end.
    Plain(usize),
    /// Code, not a word: `TypeError`, `NotFound` (an inner capital after no name prefix
    /// such as `Mc`), `E059`, `Chart2`, `Name_x`. Resume at the position given.
    Code(usize),
    /// Anything else: the full path decides.
    Open,
}

/// Classifies the word at `k` (see [`Start`]).
///
/// The verdict depends only on the bytes from `k - 1` to a few past the word's letters:
/// for a word of up to [`WINDOW_WORD`] letters it is kept in `cache` under those sixteen
/// bytes, and logs, which repeat their lines, mostly hit it.
#[inline(always)]
pub(crate) fn classify_start(b: &[u8], k: usize, cache: &WordCache) -> Start {
    // Inside a path or an identifier (`/Users`, `sk_live_V…`): decided at once without
    // the lexicon, and such windows, mostly unique, stay out of the cache.
    if k > 0 && is_code_before(b[k - 1]) {
        return classify_word(b, k, cache).0;
    }
    let (Some(&[p0, p1, p2, p3, p4, p5, p6, p7]), Some(&[q0, q1, q2, q3, q4, q5, q6, q7])) = (
        k.checked_sub(1).and_then(|p| b.get(p..p + 8)),
        b.get(k + 7..k + 15),
    ) else {
        return classify_word(b, k, cache).0;
    };
    let lo = u64::from_le_bytes([p0, p1, p2, p3, p4, p5, p6, p7]);
    let hi = u64::from_le_bytes([q0, q1, q2, q3, q4, q5, q6, q7]);
    let slot = &cache.windows[slot_of(lo ^ hi.rotate_left(29))];
    let (seen_lo, seen_hi, verdict) = slot.get();
    if verdict != 0 && seen_lo == lo && seen_hi == hi {
        let end = k + (verdict >> 2) as usize;
        return match verdict & 3 {
            1 => Start::Plain(end),
            2 => Start::Code(end),
            _ => Start::Open,
        };
    }
    let (start, j) = classify_word(b, k, cache);
    if j - k <= WINDOW_WORD {
        let verdict = match start {
            Start::Plain(end) => 1 | ((end - k) as u32) << 2,
            Start::Code(end) => 2 | ((end - k) as u32) << 2,
            Start::Open => 3,
        };
        slot.set((lo, hi, verdict));
    }
    start
}

/// The longest word whose verdict [`classify_start`] keeps: its checks read at most four
/// bytes past the letters (`n't` and the byte after), all inside the sixteen-byte window.
const WINDOW_WORD: usize = 10;

/// [`classify_start`] without the window cache; also returns where the word's letters
/// end.
#[inline(always)]
fn classify_word(b: &[u8], k: usize, cache: &WordCache) -> (Start, usize) {
    if !b[k].is_ascii_uppercase() {
        return (Start::Open, k);
    }
    let j = lower_run_end(b, k + 1);
    (classify_letters(b, k, j, cache), j)
}

/// [`classify_word`] once the letters `k..j` are known.
#[inline(always)]
fn classify_letters(b: &[u8], k: usize, j: usize, cache: &WordCache) -> Start {
    match b.get(j) {
        // Glued to a digit, `_` or `@` on its right: never read as a word.
        Some(c) if c.is_ascii_digit() || matches!(c, b'_' | b'@') => return Start::Code(k + 1),
        // `TypeError`: skip the identifier; `McNeill`, `DeAndre` go the full way.
        Some(c) if c.is_ascii_uppercase() && j > k + 1 => {
            if super::words::is_inner_capital_prefix(&b[k..j]) {
                return Start::Open;
            }
            // Nothing inside the identifier starts a word: resume after its first hump.
            return Start::Code(j);
        }
        // `Chart.tsx`, `Promise.all`, `Module._compile`, `Cmd+K`, `Foo-2`: a word glued to
        // code on its right, as `word_at` reads it; `Jean-Luc` goes the full way.
        Some(b'.' | b'+')
            if b.get(j + 1)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80) =>
        {
            return Start::Code(j)
        }
        Some(b'-') if b.get(j + 1).is_some_and(u8::is_ascii_digit) => return Start::Code(j),
        // `Can't`, `Won't`, `They're`: a contraction is a verb or pronoun, never a name.
        Some(b'\'') if is_contraction(&b[j + 1..]) => return Start::Code(j),
        // `Os { code: 2 }`, `Custom { kind: Other }`: a struct in debug output.
        Some(b' ') if b.get(j + 1) == Some(&b'{') => return Start::Code(j),
        // `C:\Users`, `D:/data`: a drive letter.
        Some(b':') if j == k + 1 && matches!(b.get(j + 1), Some(b'\\' | b'/')) => {
            return Start::Code(j)
        }
        _ => {}
    }
    if k > 0 && is_code_before(b[k - 1]) {
        return Start::Code(j);
    }
    if k > 0
        && !matches!(
            b[k - 1],
            b' ' | b'\n' | b'\t' | b'(' | b'"' | b'`' | b':' | b'['
        )
    {
        return Start::Open;
    }
    // Only letters up to a plain separator (`Error:`, `Module not`), two letters at least.
    if j - k < 2
        || j - k > super::fold::MAX_KEY
        || b.get(j).is_some_and(|&c| {
            c.is_ascii_alphanumeric()
                || c >= 0x80
                || matches!(c, b'\'' | b'-' | b'_' | b'.' | b'@' | b'+')
        })
    {
        return Start::Open;
    }
    // Logs repeat their few capitalised words (`Error`, `Cannot`): a short word's verdict
    // comes from the cache, without the hash and the probe.
    let short = j - k <= 8;
    let key = load8(b, k) & (u64::MAX >> (64 - 8 * (j - k).min(8)));
    let slot = &cache.words[slot_of(key)];
    if short {
        let seen = slot.get();
        if seen & !PLAIN_BIT == key {
            return if seen & PLAIN_BIT != 0 {
                Start::Plain(j)
            } else {
                Start::Open
            };
        }
    }
    let h = hash_letters(b, k, j);
    let e = lookup_hashed(h);
    let tier = e.given().max(e.surname());
    let plain = !e.is_unknown()
        && (!e.is_name() || (e.is_common_word() && tier < THOUSAND) || e.is_stop_word())
        && !cues::index().is_opener(h);
    if short {
        slot.set(key | if plain { PLAIN_BIT } else { 0 });
    }
    if plain {
        Start::Plain(j)
    } else {
        Start::Open
    }
}

/// The [`WordCache`] slot of a key: the top byte of a Fibonacci-hashing multiply.
#[inline(always)]
fn slot_of(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize
}

/// Set in a [`WordCache`] entry whose word is plain.
const PLAIN_BIT: u64 = 1 << 63;

/// Verdicts of [`classify_start`], direct-mapped, per thread (a verdict depends on the
/// bytes alone, so one cache serves every text).
pub(crate) struct WordCache {
    /// By the sixteen bytes from the one before the capital: the verdict's kind in the
    /// low two bits (1 plain, 2 code, 3 open; 0 empty) and its end, from `k`, above.
    windows: [Cell<(u64, u64, u32)>; 256],
    /// The lexicon step on words of up to eight letters: the word's bytes (zero-padded;
    /// ASCII, so bit 63 is free) with [`PLAIN_BIT`] when it is plain.
    words: [Cell<u64>; 256],
}

impl WordCache {
    const fn new() -> Self {
        WordCache {
            windows: [const { Cell::new((0, 0, 0)) }; 256],
            words: [const { Cell::new(0) }; 256],
        }
    }
}

thread_local! {
    static WORD_CACHE: WordCache = const { WordCache::new() };
}

/// Runs `f` with this thread's [`WordCache`].
pub(crate) fn with_word_cache<R>(f: impl FnOnce(&WordCache) -> R) -> R {
    WORD_CACHE.with(f)
}

/// `/Users`, `$Home`, `a_Name`: after these bytes a capital is inside a path or an
/// identifier, and no word starts there (as `at_word_start` says).
#[inline(always)]
fn is_code_before(c: u8) -> bool {
    matches!(
        c,
        b'_' | b'/' | b'\\' | b'@' | b'#' | b'$' | b'%' | b'&' | b'+' | b'~' | b'^' | b'|'
    )
}

/// Whether `rest` (what follows an apostrophe) is the tail of a contraction: `t`, `re`,
/// `ve` or `ll`, then no letter (`n't`, `'re`; a possessive `'s` or `O'Brien` is none).
fn is_contraction(rest: &[u8]) -> bool {
    let tail = |n: usize| {
        !rest
            .get(n)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c >= 0x80)
    };
    match rest {
        [b't', ..] => tail(1),
        [b'r', b'e', ..] | [b'v', b'e', ..] | [b'l', b'l', ..] => tail(2),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(text: &str, word: &str, cache: &WordCache) -> Start {
        let k = text.find(word).expect("word in text");
        classify_start(text.as_bytes(), k, cache)
    }

    #[test]
    fn code_shapes_leave_without_a_lookup() {
        let cache = WordCache::new();
        for (text, word) in [
            ("at src/components/Chart.tsx:40", "Chart"),
            ("at async Promise.all (index 0)", "Promise"),
            ("at Module._compile (node:internal)", "Module"),
            ("Error: Can't resolve './config'", "Can"),
            ("They're done", "They"),
            ("value: Os { code: 2 }", "Os"),
            ("open /Users/jdoe/app", "Users"),
            ("a_Name here", "Name"),
            ("error[E0308]: mismatched", "E"),
            ("thrown TypeError here", "Type"),
            ("at C:\\Users\\x", "C"),
            ("at D:/data", "D"),
        ] {
            assert!(
                matches!(start(text, word, &cache), Start::Code(_)),
                "{text}"
            );
        }
    }

    #[test]
    fn name_shapes_stay_open() {
        let cache = WordCache::new();
        for (text, word) in [
            ("ask Jean-Luc Picard", "Jean"),
            ("ask Ann O'Brien", "O"),
            ("Smith's review", "Smith"),
            ("from Donna Pearson", "Donna"),
            ("cc: Jordan", "Jordan"),
            ("Dear Grant", "Dear"),
            ("by McNeill", "McNeill"),
        ] {
            assert_eq!(start(text, word, &cache), Start::Open, "{text}");
        }
        assert!(matches!(
            start("Error: x", "Error", &cache),
            Start::Plain(5)
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Every verdict from a warm cache (shared by all cases, so that windows and words
        /// from earlier texts are in it) is the one a fresh cache gives.
        #[test]
        fn a_cached_verdict_is_the_fresh_one(words in proptest::collection::vec(
            proptest::sample::select(vec![
                "Error", "Error:", "Cannot", "Donna", "Dear", "Module", "Module.", "Jordan",
                "Can't", "Chart.tsx", "Os {", "TypeError", "McNeill", "E0308", "/Users",
                "O'Brien", "Jean-Luc", "Zyxwvu", "Cannotbeatthislongword", "x", "(", "\"",
                "'", ":", "_", "-", "\n", "2",
            ]),
            0..30,
        ), glue in proptest::sample::select(vec![" ", "", ": "])) {
            let text = words.join(glue);
            let b = text.as_bytes();
            WARM.with(|warm| {
                for k in (0..b.len()).filter(|&k| b[k].is_ascii_uppercase()) {
                    let fresh = classify_start(b, k, &WordCache::new());
                    proptest::prop_assert_eq!(classify_start(b, k, warm), fresh, "{:?} at {}", text, k);
                    proptest::prop_assert_eq!(classify_start(b, k, warm), fresh, "{:?} at {}", text, k);
                }
                Ok(())
            })?;
        }
    }

    thread_local! {
        static WARM: WordCache = const { WordCache::new() };
    }
}
