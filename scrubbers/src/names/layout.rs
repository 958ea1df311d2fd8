//! The lexicon table's layout, shared word for word with `build.rs` (which includes this
//! file): the key hash and the flag bits of a slot's value.
//!
//! The hash takes a folded key (lower-case ASCII letters) eight bytes per multiply, then
//! mixes: a word read from text hashes in two or three multiplies, not one per letter.

/// Bytes per table slot: a u32 fingerprint, then the u16 flags (little-endian).
pub const SLOT_BYTES: usize = 6;

/// Bits 0–3: the given-name tier; bits 4–7: the surname tier (see `Entry::given`).
pub const SURNAME_SHIFT: u64 = 4;
/// Also an everyday English word.
pub const WORD: u64 = 1 << 8;
/// Also (a word of) a place name.
pub const PLACE: u64 = 1 << 9;
/// Also a product, project or company name, or a calendar abbreviation.
pub const THING: u64 = 1 << 10;
/// Also one of the most common English words.
pub const COMMON_WORD: u64 = 1 << 11;
/// An English function word.
pub const STOP_WORD: u64 = 1 << 12;

/// The multiplier of a chunk step (the golden ratio's fraction, odd).
const CHUNK_MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

/// One chunk of up to eight key bytes (little-endian, zero-padded) into a running hash
/// that starts at 0: a full 64×64→128-bit multiply, its halves folded, so a difference in
/// any chunk bit reaches every bit (a plain multiply only carries it upwards, and then
/// `vanderberg` and `vanderburgh` met).
#[inline]
pub fn hash_chunk(h: u64, chunk: u64) -> u64 {
    let product = u128::from(h ^ chunk) * u128::from(CHUNK_MULTIPLIER);
    (product as u64) ^ ((product >> 64) as u64)
}

/// The final mix (MurmurHash3's): every output bit depends on every chunk bit, so the
/// table slot (low bits) and the fingerprint (high bits) are both well spread.
#[inline]
pub fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The hash of a folded key.
pub fn key_hash(key: &[u8]) -> u64 {
    let mut h = 0;
    for chunk in key.chunks(8) {
        let mut bytes = [0u8; 8];
        bytes[..chunk.len()].copy_from_slice(chunk);
        h = hash_chunk(h, u64::from_le_bytes(bytes));
    }
    finish(h)
}
