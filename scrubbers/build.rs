//! Compiles the person-name lexicon (`data/names/*.txt`) into an open-addressing hash
//! table from folded word to its flags, written as two arrays (see `src/names/lexicon.rs`):
//! `OUT_DIR/names.table`: per slot a u32 fingerprint (0 = empty) and its u16 flags, side
//! by side, so a probe reads one cache line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

// The key hash and the flag bits, word for word what the detector reads.
#[allow(dead_code, missing_docs)]
#[path = "src/names/layout.rs"]
mod layout;
use layout::{COMMON_WORD, PLACE, STOP_WORD, SURNAME_SHIFT, THING, WORD};

const GIVEN_SHIFT: u64 = 0;

fn lines(path: &Path) -> Vec<String> {
    println!("cargo:rerun-if-changed={}", path.display());
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn main() {
    println!("cargo:rerun-if-changed=src/names/layout.rs");
    let data = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("data/names");
    let mut map: BTreeMap<String, u64> = BTreeMap::new();
    for (file, shift) in [("given.txt", GIVEN_SHIFT), ("surnames.txt", SURNAME_SHIFT)] {
        for line in lines(&data.join(file)) {
            let (name, tier) = line.split_once('\t').expect("name<TAB>tier");
            let tier: u64 = tier.parse().expect("tier is a digit");
            // Stored as tier + 1, so that 0 means "not a name of this kind".
            *map.entry(name.to_owned()).or_default() |= (tier + 1) << shift;
        }
    }
    for line in lines(&data.join("words.txt")) {
        let (word, class) = line.split_once('\t').expect("word<TAB>class+level");
        let level: u32 = class[1..].parse().expect("SCOWL size");
        let flag = if level <= 20 {
            WORD | COMMON_WORD
        } else {
            WORD
        };
        *map.entry(word.to_owned()).or_default() |= flag;
    }
    for line in lines(&data.join("stop_words.txt")) {
        *map.entry(line.trim().to_owned()).or_default() |= STOP_WORD;
    }
    for line in lines(&data.join("places.txt")) {
        *map.entry(line.trim().to_owned()).or_default() |= PLACE;
    }
    for line in lines(&data.join("things.txt")) {
        *map.entry(line.trim().to_owned()).or_default() |= THING;
    }
    // Load at most 0.8: a miss ends within a few probes.
    let slots = (map.len() + map.len() / 4).next_power_of_two();
    let mut fingerprints = vec![0u32; slots];
    let mut values = vec![0u16; slots];
    for (key, value) in &map {
        let (mut slot, fingerprint) = place(key.as_bytes(), slots);
        while fingerprints[slot] != 0 {
            assert_ne!(
                fingerprints[slot], fingerprint,
                "fingerprint clash on {key}"
            );
            slot = (slot + 1) & (slots - 1);
        }
        fingerprints[slot] = fingerprint;
        values[slot] = u16::try_from(*value).expect("flags fit 16 bits");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut table = Vec::with_capacity(slots * layout::SLOT_BYTES);
    for (fingerprint, value) in fingerprints.iter().zip(&values) {
        table.extend_from_slice(&fingerprint.to_le_bytes());
        table.extend_from_slice(&value.to_le_bytes());
    }
    std::fs::write(out.join("names.table"), table).expect("writing the table");
}

/// The first slot and the fingerprint of `key`, as `src/names/lexicon.rs` probes them.
fn place(key: &[u8], slots: usize) -> (usize, u32) {
    let h = layout::key_hash(key);
    ((h as usize) & (slots - 1), ((h >> 32) as u32).max(1))
}
