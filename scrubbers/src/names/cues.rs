//! The words around a name that say it is a person's (or that it is not). Data, not code:
//! each row is a phrase (lower case, words as the tokenizer splits them: `signed-off-by`
//! is `signed off by`, `I'm` is `i'm`) and the evidence it adds.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// Evidence a strong cue adds: enough on its own for any capitalised given name or surname.
pub(crate) const STRONG: i32 = 6;
/// Evidence a weak cue adds: enough for an unambiguous name, not for `Mason` or `Lily`.
pub(crate) const WEAK: i32 = 3;
/// Evidence a slight cue adds: a full name, never a lone one (`from Carter`, `by Mason`
/// name places and things as often as people).
pub(crate) const SLIGHT: i32 = 2;
/// Evidence against: a place or thing usually follows.
pub(crate) const AGAINST: i32 = -2;

/// Phrases right before a name (only spaces, `:`, `=`, `(`, quotes or a comma between).
pub(crate) const BEFORE: &[(&str, i32)] = &[
    // Introductions and greetings.
    ("i'm", STRONG),
    ("i am", STRONG),
    ("this is", STRONG),
    ("my name is", STRONG),
    ("name is", STRONG),
    ("dear", STRONG),
    ("hi", STRONG),
    ("hello", STRONG),
    ("hey", STRONG),
    ("thanks", STRONG),
    ("thank you", STRONG),
    ("regards", STRONG),
    ("cheers", STRONG),
    ("welcome", WEAK),
    ("mr", STRONG),
    ("mrs", STRONG),
    ("ms", STRONG),
    ("mx", STRONG),
    ("dr", STRONG),
    ("prof", STRONG),
    ("sir", STRONG),
    ("madam", STRONG),
    // Greetings and titles in the languages the lexicon covers.
    ("ciao", STRONG),
    ("caro", STRONG),
    ("cara", STRONG),
    ("gentile", STRONG),
    ("buongiorno", STRONG),
    ("signor", STRONG),
    ("signora", STRONG),
    ("sig", STRONG),
    ("hallo", STRONG),
    ("liebe", STRONG),
    ("lieber", STRONG),
    ("herr", STRONG),
    ("frau", STRONG),
    ("bonjour", STRONG),
    ("salut", STRONG),
    ("cher", STRONG),
    ("chère", STRONG),
    ("mme", STRONG),
    ("mlle", STRONG),
    ("hola", STRONG),
    ("estimado", STRONG),
    ("estimada", STRONG),
    ("querido", STRONG),
    ("querida", STRONG),
    ("sr", STRONG),
    ("sra", STRONG),
    ("señor", STRONG),
    ("señora", STRONG),
    ("olá", STRONG),
    ("ola", STRONG),
    ("prezado", STRONG),
    ("prezada", STRONG),
    ("senhor", STRONG),
    ("senhora", STRONG),
    ("hoi", STRONG),
    ("beste", STRONG),
    ("dhr", STRONG),
    ("mevr", STRONG),
    ("cześć", STRONG),
    ("witaj", STRONG),
    ("pan", STRONG),
    ("pani", STRONG),
    ("hej", STRONG),
    ("hei", STRONG),
    ("moi", STRONG),
    ("tak", STRONG),
    ("kære", STRONG),
    ("merhaba", STRONG),
    ("sayın", STRONG),
    ("selam", STRONG),
    ("namaste", STRONG),
    ("shri", STRONG),
    ("smt", STRONG),
    ("reported by", STRONG),
    ("segnalato da", STRONG),
    ("relatado por", STRONG),
    ("reportado por", STRONG),
    ("gemeldet von", STRONG),
    ("signalé par", STRONG),
    ("fermé par", STRONG),
    ("gemeld door", STRONG),
    ("toegewezen aan", STRONG),
    ("zugewiesen an", STRONG),
    ("assigné à", STRONG),
    ("asignado a", STRONG),
    ("atribuído a", STRONG),
    ("assegnato a", STRONG),
    // Roles.
    ("cc", STRONG),
    ("bcc", STRONG),
    ("owner", STRONG),
    ("author", STRONG),
    ("reviewer", STRONG),
    ("reviewers", STRONG),
    ("assignee", STRONG),
    ("approver", STRONG),
    ("maintainer", STRONG),
    ("reporter", STRONG),
    ("requester", STRONG),
    ("manager", STRONG),
    ("my manager", STRONG),
    ("colleague", STRONG),
    ("coworker", STRONG),
    ("teammate", STRONG),
    ("contact", STRONG),
    ("customer", WEAK),
    ("user", STRONG),
    ("username", STRONG),
    ("member", WEAK),
    ("admin", WEAK),
    ("identity unknown", STRONG),
    ("committer", STRONG),
    // Verbs with a person as object.
    ("assigned to", STRONG),
    ("reported by", STRONG),
    ("requested by", STRONG),
    ("approved by", STRONG),
    ("reviewed by", STRONG),
    ("created by", STRONG),
    ("written by", STRONG),
    ("authored by", STRONG),
    ("committed by", STRONG),
    ("signed off by", STRONG),
    ("tested by", STRONG),
    ("acked by", STRONG),
    ("suggested by", STRONG),
    ("helped by", STRONG),
    ("reported by", STRONG),
    ("soy", STRONG),
    ("ich bin", STRONG),
    ("je suis", STRONG),
    ("sono", STRONG),
    ("sou", STRONG),
    ("jestem", STRONG),
    ("ik ben", STRONG),
    ("jag heter", STRONG),
    ("me llamo", STRONG),
    ("mi chiamo", STRONG),
    ("heiße", STRONG),
    ("atanan", STRONG),
    ("co authored by", STRONG),
    ("invited", WEAK),
    ("ping", STRONG),
    ("ask", STRONG),
    ("asked", WEAK),
    ("tell", STRONG),
    ("email", WEAK),
    ("call", WEAK),
    ("message", WEAK),
    ("credit", WEAK),
    ("thank", STRONG),
    ("from", SLIGHT),
    ("email from", STRONG),
    ("message from", STRONG),
    ("note from", STRONG),
    ("letter from", STRONG),
    ("invite from", STRONG),
    ("invitation from", STRONG),
    ("told", WEAK),
    ("promised", WEAK),
    ("remind", WEAK),
    ("notify", WEAK),
    ("explain to", WEAK),
    ("talked to", WEAK),
    ("talk to", WEAK),
    ("spoke to", WEAK),
    ("spoke with", WEAK),
    ("talked with", WEAK),
    ("meeting with", WEAK),
    ("sent to", WEAK),
    ("send to", WEAK),
    ("reply to", WEAK),
    ("replied to", WEAK),
    ("forward to", WEAK),
    ("forwarded to", WEAK),
    ("assign to", STRONG),
    ("transferred to", WEAK),
    ("hand over to", WEAK),
    ("handed over to", WEAK),
    ("by", SLIGHT),
    // A thing, not a person, usually follows.
    ("in", AGAINST),
    ("at", AGAINST),
    ("on", AGAINST),
    ("near", AGAINST),
    ("via", AGAINST),
    ("using", AGAINST),
    ("use", AGAINST),
    ("install", AGAINST),
    ("upgrade", AGAINST),
    ("the", AGAINST),
];

/// Phrases right after a name (after an optional comma).
pub(crate) const AFTER: &[(&str, i32)] = &[
    ("she", STRONG),
    ("he", STRONG),
    ("and she", STRONG),
    ("and he", STRONG),
    ("and her", WEAK),
    ("and his", WEAK),
    ("her", WEAK),
    ("his", WEAK),
    ("told", WEAK),
    ("complained", WEAK),
    ("suggested", WEAK),
    ("confirmed", WEAK),
    ("noticed", WEAK),
    ("believes", WEAK),
    ("promised", WEAK),
    ("agrees", WEAK),
    ("agreed", WEAK),
    ("knows", WEAK),
    ("explained", WEAK),
    ("requested", WEAK),
    ("reported", WEAK),
    ("fixed", WEAK),
    ("changed", WEAK),
    ("started", WEAK),
    ("uploaded", WEAK),
    ("edited", WEAK),
    ("touched", WEAK),
    ("authored", WEAK),
    ("committed", WEAK),
    ("reverted", WEAK),
    ("updated", WEAK),
    ("pushed", WEAK),
    ("deleted", WEAK),
    ("added", WEAK),
    ("created", WEAK),
    ("merged", WEAK),
    ("opened", WEAK),
    ("closed", WEAK),
    ("needs", WEAK),
    ("migrated", WEAK),
    ("left a", WEAK),
    ("has reviewed", WEAK),
    ("has approved", WEAK),
    ("is back", WEAK),
    ("is listed", WEAK),
    ("can't", WEAK),
    ("cannot", WEAK),
    ("said", WEAK),
    ("says", WEAK),
    ("asked", WEAK),
    ("asks", WEAK),
    ("wrote", WEAK),
    ("writes", WEAK),
    ("wants", WEAK),
    ("owns", WEAK),
    ("approved", WEAK),
    ("reviewed", WEAK),
    ("commented", WEAK),
    ("mentioned", WEAK),
    ("replied", WEAK),
    ("thinks", WEAK),
    ("joined", WEAK),
    ("invited", WEAK),
    ("built", WEAK),
    ("is already", WEAK),
    ("has been invited", STRONG),
    ("was invited", STRONG),
    ("was removed", WEAK),
    ("is out", WEAK),
    ("is on leave", STRONG),
    ("will review", WEAK),
    ("and i", WEAK),
];

/// Role words in parentheses right after a name: `Jane Roe (reviewer)`.
pub(crate) const ROLE_IN_PARENS: &[&str] = &[
    "reviewer",
    "owner",
    "author",
    "assignee",
    "approver",
    "maintainer",
    "manager",
    "admin",
    "cc",
    "she",
    "he",
    "they",
];

/// First words of place names: `San Diego`, `Santa Clara`, `Costa Rica` are no people.
pub(crate) const PLACE_PREFIXES: &[&str] = &[
    "san", "santa", "santo", "sao", "los", "las", "el", "la", "puerto", "costa", "rio", "porto",
    "saint", "st", "fort", "port", "mount", "mt", "lake", "palo", "baton", "des", "glen", "new",
    "north", "south", "east", "west", "cape", "tel", "hong", "kuala", "buenos", "sri", "saudi",
    "united", "ho", "nova", "sierra", "grand", "great", "little", "upper", "lower", "central",
];

/// Lower-case particles inside a name: `Ludwig van der Berg`, `María de la Cruz`.
pub(crate) const PARTICLES: &[&str] = &[
    "van", "von", "der", "den", "de", "del", "della", "degli", "di", "da", "das", "dos", "do",
    "du", "la", "le", "zu", "ter", "ten", "bin", "binti", "ibn", "al", "el", "y", "e",
];

/// Is `word` (lower case) one of the [`PARTICLES`]? (Most words are longer than any.)
#[inline]
pub(crate) fn is_particle(word: &str) -> bool {
    word.len() <= 5 && PARTICLES.contains(&word)
}

/// Titles written with a full stop (`Dr.`), so the stop ends no sentence.
pub(crate) const TITLES: &[&str] = &["mr", "mrs", "ms", "mx", "dr", "prof", "st"];

/// Months and their abbreviations: before a number (`Jan 12`) they are a date.
pub(crate) const MONTHS: &[&str] = &[
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A cue phrase ready to match: its words in the order they are compared (nearest the name
/// first) and its weight.
pub(crate) struct Phrase {
    pub words: Vec<&'static str>,
    pub weight: i32,
}

/// The cue tables' hash: their keys are short words fixed at build time (no attacker
/// chooses them), probed a few times per capitalised word, so one multiply per eight bytes
/// (FxHash's scheme) beats both SipHash and the lexicon's full mix here.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

/// FxHash's multiplier.
const CUE_MULTIPLIER: u64 = 0xf135_7aea_2e62_a9c5;

impl KeyHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(CUE_MULTIPLIER);
    }
}

impl Hasher for KeyHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves its entropy in the high bits; the table indexes by the low.
        self.0.rotate_left(26)
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in chunks.by_ref() {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        // The length keeps `a` and `a\0` apart.
        self.add(u64::from_le_bytes(last) ^ (rest.len() as u64) << 59);
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
}

/// A map from a cue word.
pub(crate) type Map<V> = HashMap<&'static str, V, BuildHasherDefault<KeyHasher>>;

/// The cue tables indexed by the word next to the name, so a lookup is one hash probe.
pub(crate) struct Index {
    /// [`BEFORE`] by its last word; words nearest first.
    pub before: Map<Vec<Phrase>>,
    /// [`AFTER`] by its first word.
    pub after: Map<Vec<Phrase>>,
    /// Positive [`BEFORE`] phrases by their first word, in reading order: a cue that opens a
    /// run of capitalised words (`Hi May`, `Segnalato da Francesca`).
    pub openers: Map<Vec<Phrase>>,
    /// The lexicon hashes of the first words of [`openers`](Self::openers) (folded: lower
    /// case, no diacritics), to test a word already hashed for its lookup.
    pub opener_hashes: std::collections::HashSet<u64, BuildHasherDefault<KeyHasher>>,
    /// A 64 Kibit filter of [`opener_hashes`](Self::opener_hashes): most words are no
    /// opener, and the filter says so in a few instructions.
    opener_bits: Vec<u64>,
}

impl Index {
    /// Whether the folded word with lexicon hash `h` opens a cue phrase.
    pub(crate) fn is_opener(&self, h: u64) -> bool {
        let bit = (h as usize) & 0xFFFF;
        self.opener_bits[bit / 64] >> (bit % 64) & 1 != 0 && self.opener_hashes.contains(&h)
    }
}

pub(crate) fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = Index {
            before: Map::default(),
            after: Map::default(),
            openers: Map::default(),
            opener_hashes: Default::default(),
            opener_bits: vec![0; 1024],
        };
        for &(phrase, weight) in BEFORE {
            let words: Vec<&str> = phrase.split(' ').collect();
            let nearest_first: Vec<&str> = words.iter().rev().copied().collect();
            index
                .before
                .entry(nearest_first[0])
                .or_default()
                .push(Phrase {
                    words: nearest_first,
                    weight,
                });
            if weight > 0 {
                let mut key = Vec::new();
                if super::fold::fold_into(words[0], &mut key) {
                    index.opener_hashes.insert(super::lexicon::hash(&key));
                }
                index.openers.entry(words[0]).or_default().push(Phrase {
                    words: words.clone(),
                    weight,
                });
            }
        }
        for &h in &index.opener_hashes {
            let bit = (h as usize) & 0xFFFF;
            index.opener_bits[bit / 64] |= 1 << (bit % 64);
        }
        for &(phrase, weight) in AFTER {
            let words: Vec<&str> = phrase.split(' ').collect();
            index
                .after
                .entry(words[0])
                .or_default()
                .push(Phrase { words, weight });
        }
        index
    })
}
