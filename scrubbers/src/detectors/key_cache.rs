//! What a key name says, decided once per name per thread: logs and JSON repeat the same
//! keys (`password=`, `"api_key":`) over and over, and a key's verdict depends on its
//! bytes alone.

use std::cell::RefCell;

use super::keys::{classify_key_fresh, KeyClass};
use crate::catalogue::{token_table, ContextRows};

/// What [`key_facts`] knows about one key name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyFacts {
    /// [`classify_key_fresh`] of the name.
    pub class: Option<KeyClass>,
    /// The context-keyed token rows whose keyword the name holds.
    pub ctx: ContextRows,
}

impl KeyFacts {
    fn of(ident: &str) -> KeyFacts {
        KeyFacts {
            class: classify_key_fresh(ident),
            ctx: token_table().context_rows(ident),
        }
    }
}

/// Names longer than this are decided afresh each time (they are rare).
const MAX_NAME: usize = 40;
const SLOTS: usize = 256;

struct Slot {
    /// The name's length; 0 for an empty slot (names are never empty).
    len: u8,
    name: [u8; MAX_NAME],
    facts: KeyFacts,
}

thread_local! {
    /// Direct-mapped by a hash of the name.
    static CACHE: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
}

/// A hash of `name`'s bytes (eight at a time, folded by multiplication).
fn slot_of(name: &[u8]) -> usize {
    let mut h = name.len() as u64;
    for chunk in name.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= h >> 29;
    }
    (h >> 56) as usize % SLOTS
}

/// Calls `f` with the facts of key name `ident`, from this thread's cache when it holds
/// them.
pub(crate) fn key_facts<R>(ident: &str, f: impl FnOnce(&KeyFacts) -> R) -> R {
    let name = ident.as_bytes();
    if name.is_empty() || name.len() > MAX_NAME {
        return f(&KeyFacts::of(ident));
    }
    CACHE.with_borrow_mut(|cache| {
        if cache.is_empty() {
            cache.extend((0..SLOTS).map(|_| Slot {
                len: 0,
                name: [0; MAX_NAME],
                facts: KeyFacts {
                    class: None,
                    ctx: ContextRows::default(),
                },
            }));
        }
        let slot = &mut cache[slot_of(name)];
        if usize::from(slot.len) != name.len() || slot.name[..name.len()] != *name {
            slot.len = name.len() as u8;
            slot.name[..name.len()].copy_from_slice(name);
            slot.facts = KeyFacts::of(ident);
        }
        f(&slot.facts)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cached verdict is the fresh one, whatever was cached before it (names that share
    /// slots, prefixes of each other, other cases, over the length limit).
    #[test]
    fn cached_facts_are_fresh_facts() {
        let parts = [
            "api", "key", "Key", "KEY", "secret", "token", "_", "-", ".", "pass", "word", "cohere",
            "max", "count", "aws", "x", "id", "private", "sid", "Session",
        ];
        let mut next = crate::detectors::test_rng(0x51_7CC1_B727_220A);
        let mut names = Vec::new();
        for _ in 0..6_000 {
            let mut name = String::new();
            for _ in 0..1 + next(6) {
                name.push_str(parts[next(parts.len())]);
            }
            names.push(name);
        }
        for round in 0..2 {
            for name in &names {
                let cached = key_facts(name, Clone::clone);
                assert_eq!(cached, KeyFacts::of(name), "{name} (round {round})");
            }
        }
    }
}
