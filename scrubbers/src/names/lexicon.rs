//! The bundled name lexicon: a hash table built at compile time from `data/names/*.txt`
//! (see `build.rs`), from a folded word to what it is — given name, surname (each with
//! how common it is), everyday word, place or product name. Read in place: nothing is
//! loaded at start, and a lookup is one hash and a probe or two.

/// Per slot, a 32-bit fingerprint of the key (0: empty; the slot is the hash's low bits)
/// and the key's flags (see [`Entry`]), side by side: a probe touches one cache line, and
/// the lines a text's words touch evict less of what the other detectors keep in cache.
static TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/names.table"));

use super::layout::{
    key_hash, COMMON_WORD, PLACE, SLOT_BYTES, STOP_WORD, SURNAME_SHIFT, THING, WORD,
};

/// What the lexicon knows about one folded word. The default knows nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Entry(u64);

impl Entry {
    /// How common the word is as a given name: 0 when it is none, else 1 + the decimal
    /// order of magnitude of the people who carry it.
    pub(crate) fn given(self) -> u8 {
        (self.0 & 0xF) as u8
    }

    /// Like [`given`](Self::given), as a surname.
    pub(crate) fn surname(self) -> u8 {
        ((self.0 >> SURNAME_SHIFT) & 0xF) as u8
    }

    /// A given name or a surname.
    pub(crate) fn is_name(self) -> bool {
        self.0 & 0xFF != 0
    }

    /// Also one of the most common English words (`the`, `now`, `grant`, `will`).
    pub(crate) fn is_common_word(self) -> bool {
        self.0 & COMMON_WORD != 0
    }

    /// An English function word (`the`, `and`), never part of a name.
    pub(crate) fn is_stop_word(self) -> bool {
        self.0 & STOP_WORD != 0
    }

    /// Also a product, project or company name, or a calendar abbreviation (`Jenkins`,
    /// `Julia`, `Rust`, `Mon`).
    pub(crate) fn is_thing(self) -> bool {
        self.0 & THING != 0
    }

    /// Also (a word of) a place name: a country, US state or city (`Austin`, `Georgia`).
    pub(crate) fn is_place(self) -> bool {
        self.0 & PLACE != 0
    }

    /// A name that is also a word, product or place: a person only when context says so.
    pub(crate) fn is_ambiguous(self) -> bool {
        self.0 & (WORD | PLACE | THING) != 0
    }

    /// Not in the lexicon at all.
    pub(crate) fn is_unknown(self) -> bool {
        self.0 == 0
    }
}

/// Eight bytes from `b` at `i`, little-endian, zero past the end.
#[inline]
pub(crate) fn load8(b: &[u8], i: usize) -> u64 {
    match b.get(i..i + 8) {
        Some(eight) => u64::from_le_bytes(eight.try_into().unwrap_or([0; 8])),
        None => {
            let mut bytes = [0u8; 8];
            let rest = b.get(i..).unwrap_or(&[]);
            bytes[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(bytes)
        }
    }
}

const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const HIGH: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of each byte of `x` that is an ASCII lower-case letter (eight at once;
/// no carry crosses a byte, as every sum stays below 0x100).
#[inline]
fn lower_bits(x: u64) -> u64 {
    let low = x & LOW7;
    let from_a = low.wrapping_add(ONES * (0x80 - u64::from(b'a')));
    let past_z = low.wrapping_add(ONES * (0x80 - u64::from(b'z') - 1));
    from_a & !past_z & !x & HIGH
}

/// The end of the run of ASCII lower-case letters in `b` from `i`.
#[inline]
pub(crate) fn lower_run_end(b: &[u8], mut i: usize) -> usize {
    loop {
        let stops = !lower_bits(load8(b, i)) & HIGH;
        if stops != 0 {
            return i + stops.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
}

/// The [`key_hash`] of the ASCII letters `b[start..end]` as folded (lower case), without
/// a copy: chunks are read from `b` itself (a word's slice alone would mostly be shorter
/// than eight bytes, and copying it out costs a store-forwarding stall per word).
#[inline]
pub(crate) fn hash_letters(b: &[u8], start: usize, end: usize) -> u64 {
    let mut h = 0;
    let mut i = start;
    while i < end {
        let n = (end - i).min(8);
        let keep = if n == 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        };
        h = super::layout::hash_chunk(h, (load8(b, i) | (ONES * 0x20)) & keep);
        i += 8;
    }
    super::layout::finish(h)
}

/// The hash of a folded key.
pub(crate) fn hash(key: &[u8]) -> u64 {
    key_hash(key)
}

/// Looks up a folded word (lower-case ASCII letters).
pub(crate) fn lookup(key: &[u8]) -> Entry {
    lookup_hashed(hash(key))
}

/// Looks up a folded word by its [`hash`]: the slot is its low bits, the fingerprint its
/// high half.
pub(crate) fn lookup_hashed(h: u64) -> Entry {
    let slots = TABLE.len() / SLOT_BYTES;
    let (mut slot, fingerprint) = ((h as usize) & (slots - 1), ((h >> 32) as u32).max(1));
    loop {
        let at = slot * SLOT_BYTES;
        let Some(&[a, b, c, d, lo, hi]) = TABLE.get(at..at + SLOT_BYTES) else {
            return Entry::default();
        };
        let stored = u32::from_le_bytes([a, b, c, d]);
        if stored == 0 {
            return Entry::default();
        }
        if stored == fingerprint {
            return Entry(u64::from(u16::from_le_bytes([lo, hi])));
        }
        slot = (slot + 1) & (slots - 1);
    }
}

/// The lexicon's size in the binary, in bytes.
pub fn lexicon_bytes() -> usize {
    TABLE.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_names_words_places_and_products() {
        let donna = lookup(b"donna");
        assert!(donna.given() > 4 && !donna.is_ambiguous());
        assert!(lookup(b"pearson").surname() > 4);
        assert!(lookup(b"grant").is_common_word() && lookup(b"grant").is_name());
        assert!(lookup(b"austin").is_place() && lookup(b"austin").is_ambiguous());
        assert!(lookup(b"jenkins").is_thing() && lookup(b"jenkins").surname() > 0);
        assert!(lookup(b"kubernetes").is_thing() && !lookup(b"kubernetes").is_name());
        assert!(lookup(b"the").is_common_word() && !lookup(b"huff").is_common_word());
        assert!(lookup(b"zzqxv").is_unknown());
    }

    #[test]
    fn letters_hash_as_their_folded_key() {
        for word in [
            "Al",
            "Donna",
            "Pearson",
            "Kubernetes",
            "WashingtonIrvingSmithers",
        ] {
            let key = word.to_ascii_lowercase();
            let text = format!("{word} and more");
            assert_eq!(
                hash_letters(text.as_bytes(), 0, word.len()),
                hash(key.as_bytes()),
                "{word}"
            );
            assert_eq!(
                hash_letters(word.as_bytes(), 0, word.len()),
                hash(key.as_bytes()),
                "{word}"
            );
        }
        assert_eq!(lower_run_end(b"Donna Pearson", 1), 5);
        assert_eq!(lower_run_end(b"abcdefghijklmnopq", 0), 17);
        assert_eq!(lower_run_end(b"abc\xc3\xa9", 0), 3);
        assert_eq!(lower_run_end(b"ab{", 0), 2);
        assert_eq!(lower_run_end(b"ab`", 0), 2);
    }
}
