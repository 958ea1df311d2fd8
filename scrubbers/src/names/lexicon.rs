//! The bundled name lexicon: a hash table built at compile time from `data/names/*.txt`
//! (see `build.rs`), from a folded word to what it is — given name, surname (each with
//! how common it is), everyday word, place or product name. Read in place: nothing is
//! loaded at start, and a lookup is one hash and a probe or two.

/// Per slot, a 32-bit fingerprint of the key (0: empty); the slot is the hash's low bits.
static FINGERPRINTS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/names.fingerprints"));
/// Per slot, the key's flags (see [`Entry`]).
static VALUES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/names.values"));

// Keep in step with `build.rs`.
const WORD: u64 = 1 << 8;
const PLACE: u64 = 1 << 9;
const THING: u64 = 1 << 10;
const COMMON_WORD: u64 = 1 << 11;
const STOP_WORD: u64 = 1 << 12;

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
        ((self.0 >> 4) & 0xF) as u8
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

/// FNV-1a's start and step: a key's hash can be built while its word is read.
pub(crate) const HASH_START: u64 = 0xcbf2_9ce4_8422_2325;

/// One folded byte into a running FNV-1a hash.
#[inline]
pub(crate) fn hash_step(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
}

/// The hash of a folded key. Keep in step with `build.rs`.
pub(crate) fn hash(key: &[u8]) -> u64 {
    key.iter().fold(HASH_START, |h, &b| hash_step(h, b))
}

/// Looks up a folded word (lower-case ASCII letters).
pub(crate) fn lookup(key: &[u8]) -> Entry {
    lookup_hashed(hash(key))
}

/// Looks up a folded word by its [`hash`].
pub(crate) fn lookup_hashed(h: u64) -> Entry {
    let slots = FINGERPRINTS.len() / 4;
    let mut h = h;
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    let (mut slot, fingerprint) = ((h as usize) & (slots - 1), ((h >> 32) as u32).max(1));
    loop {
        let at = slot * 4;
        let stored = u32::from_le_bytes([
            FINGERPRINTS[at],
            FINGERPRINTS[at + 1],
            FINGERPRINTS[at + 2],
            FINGERPRINTS[at + 3],
        ]);
        if stored == 0 {
            return Entry::default();
        }
        if stored == fingerprint {
            return Entry(u64::from(u16::from_le_bytes([
                VALUES[slot * 2],
                VALUES[slot * 2 + 1],
            ])));
        }
        slot = (slot + 1) & (slots - 1);
    }
}

/// The lexicon's size in the binary, in bytes.
pub fn lexicon_bytes() -> usize {
    FINGERPRINTS.len() + VALUES.len()
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
}
