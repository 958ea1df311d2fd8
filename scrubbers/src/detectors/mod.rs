//! Built-in detectors.
//!
//! Detection is two linear passes over the text, whatever the number of rules:
//!
//! 1. [`anchored`]: one byte scan for literal anchors (`@`, `://`, `-----BEGIN`, `eyJ`,
//!    vendor prefixes such as `ghp_` at word starts, key-name stems such as `pass`/`token`
//!    before `=`/`:` separators, home directory prefixes, placeholders). Each hit runs a
//!    small hand-written matcher at that position only.
//! 2. [`scan`]: one byte loop over alphanumeric words that drives the digit-shaped detectors
//!    (IPs, MACs, phones, cards, SSNs, IBANs) and the long-token detectors (AWS secret keys,
//!    Twilio keys, generic high-entropy secrets). Validators (Luhn, mod-97, `std::net`
//!    parsing, entropy) run only on candidates.
//!
//! Candidates then go through [`resolve`], which makes them non-overlapping, stronger
//! detectors first.

pub(crate) mod anchored;
pub(crate) mod keys;
pub(crate) mod scan;

use crate::kind::Kind;

/// A candidate span before overlap resolution. `kind: None` marks an existing placeholder
/// that must be left alone.
#[derive(Debug, Clone)]
pub(crate) struct Cand {
    pub start: usize,
    pub end: usize,
    pub kind: Option<Kind>,
    pub rule: &'static str,
    pub prio: u8,
}

/// Priorities: placeholders > structured secrets > key/value > generic.
pub(crate) const PRIO_PROTECTED: u8 = 255;
pub(crate) const PRIO_STRUCTURED: u8 = 200;
pub(crate) const PRIO_VENDOR: u8 = 150;
pub(crate) const PRIO_KV: u8 = 120;
pub(crate) const PRIO_PII: u8 = 100;
pub(crate) const PRIO_CUSTOM: u8 = 90;
pub(crate) const PRIO_GENERIC: u8 = 50;

pub(crate) fn cand(start: usize, end: usize, kind: Kind, rule: &'static str, prio: u8) -> Cand {
    Cand {
        start,
        end,
        kind: Some(kind),
        rule,
        prio,
    }
}

thread_local! {
    /// A span buffer reused across calls on this thread (see [`take_spans`]).
    static SPANS: std::cell::Cell<Vec<(usize, usize)>> = const { std::cell::Cell::new(Vec::new()) };
}

/// An empty span vector, with the capacity left by the last [`put_spans`] on this thread,
/// so short texts allocate nothing for it.
pub(crate) fn take_spans() -> Vec<(usize, usize)> {
    SPANS.with(std::cell::Cell::take)
}

/// Returns a vector from [`take_spans`] for reuse (small ones only).
pub(crate) fn put_spans(mut v: Vec<(usize, usize)>) {
    if v.capacity() <= 1024 {
        v.clear();
        SPANS.with(|c| c.set(v));
    }
}

/// Makes candidates non-overlapping, strongest first: candidates are taken by priority
/// (then earliest, then longest); a weaker candidate that overlaps accepted spans keeps
/// only its uncovered pieces of at least 4 bytes, so overlapping detectors never shrink
/// what is redacted by much and never split a stronger span. Existing placeholders
/// (`kind: None`) win over everything and are dropped from the result, which is sorted by
/// start.
pub(crate) fn resolve(text: &str, mut cands: Vec<Cand>) -> Vec<Cand> {
    cands.retain(|c| c.start < c.end && c.end <= text.len());
    // Stable: among identical spans of equal priority the first detector to report one
    // wins, so a finding's rule does not depend on unrelated text around it.
    cands.sort_by_key(|c| (c.start, c.end));
    if cands.windows(2).all(|w| w[1].start >= w[0].end) {
        // No overlaps: every candidate is a cluster of its own.
        cands.retain(|c| c.kind.is_some());
        return cands;
    }
    let mut out: Vec<Cand> = Vec::with_capacity(cands.len());
    let mut i = 0;
    while i < cands.len() {
        // A cluster: a maximal run of candidates connected by overlaps.
        let mut j = i + 1;
        let mut end = cands[i].end;
        while j < cands.len() && cands[j].start < end {
            end = end.max(cands[j].end);
            j += 1;
        }
        if j == i + 1 {
            out.push(cands[i].clone());
        } else {
            paint(text, &mut cands[i..j], &mut out);
        }
        i = j;
    }
    out.retain(|c| c.kind.is_some());
    out
}

/// Resolves one cluster of overlapping candidates, strongest first.
fn paint(text: &str, cluster: &mut [Cand], out: &mut Vec<Cand>) {
    cluster.sort_by(|a, b| {
        b.prio
            .cmp(&a.prio)
            .then(a.start.cmp(&b.start))
            .then(b.end.cmp(&a.end))
    });
    // Accepted candidates go straight to the end of `out`.
    let base = out.len();
    let mut covered = take_spans();
    for c in cluster.iter() {
        covered.clear();
        covered.extend(
            out[base..]
                .iter()
                .filter(|a| a.start < c.end && c.start < a.end)
                .map(|a| (a.start, a.end)),
        );
        if covered.is_empty() {
            out.push(c.clone());
            continue;
        }
        if c.kind.is_none() {
            continue;
        }
        covered.sort_unstable();
        // The uncovered pieces, in order.
        let piece = |s: usize, e: usize, out: &mut Vec<Cand>| {
            if e - s >= 4 && text.is_char_boundary(s) && text.is_char_boundary(e) {
                let mut piece = c.clone();
                piece.start = s;
                piece.end = e;
                out.push(piece);
            }
        };
        let mut pos = c.start;
        for &(s, e) in &covered {
            if s > pos {
                piece(pos, s, out);
            }
            pos = pos.max(e);
        }
        if pos < c.end {
            piece(pos, c.end, out);
        }
    }
    put_spans(covered);
    out[base..].sort_unstable_by_key(|c| c.start);
}

/// ASCII alphanumeric.
#[inline]
pub(crate) fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Characters of identifiers and tokens: alphanumerics, `_` and `-`.
#[inline]
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// One bit per byte of a text: set for ASCII alphanumerics. Bits past the end are clear,
/// with at least one clear bit after the last byte, so every run of set bits ends.
pub(crate) struct AlnumBits {
    /// Texts up to `INLINE * 64 - 1` bytes use `inline`, longer ones `heap`.
    inline: [u64; INLINE],
    heap: Vec<u64>,
    len: usize,
}

const INLINE: usize = 8;

const L8: u64 = 0x0101_0101_0101_0101;
const HI8: u64 = L8 * 0x80;

/// Bit 7 of each byte of `x` set when that byte is in `lo..=hi`. Only for `x` with every
/// bit 7 clear, so that no carry crosses bytes.
#[inline(always)]
fn in_range8(x: u64, lo: u8, hi: u8) -> u64 {
    x.wrapping_add(L8 * u64::from(0x80 - lo)) & !x.wrapping_add(L8 * u64::from(0x7f - hi))
}

/// Does `b` hold an ASCII uppercase letter? (8 bytes at a time.)
pub(crate) fn has_upper(b: &[u8]) -> bool {
    let mut chunks = b.chunks_exact(8);
    let mut acc = 0u64;
    for chunk in chunks.by_ref() {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        acc |= in_range8(x & !HI8, b'A', b'Z') & !x;
    }
    acc & HI8 != 0 || chunks.remainder().iter().any(u8::is_ascii_uppercase)
}

/// The alnum bits of up to 64 bytes.
#[inline(always)]
fn alnum_bits64(block: &[u8]) -> u64 {
    let mut acc = 0u64;
    let mut chunks = block.chunks_exact(8);
    for (j, chunk) in chunks.by_ref().enumerate() {
        let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        // Bit 7 cleared first so no carry crosses bytes; non-ASCII bytes masked out after.
        // Letters folded to lowercase (`@`, `[`…`_` land outside `a..=z`).
        let y = x & !HI8;
        let m = (in_range8(y, b'0', b'9') | in_range8(y | (L8 * 0x20), b'a', b'z')) & !x & HI8;
        // Gather bit 7 of byte k into bit k.
        acc |= ((m >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (j * 8);
    }
    let base = block.len() - chunks.remainder().len();
    for (k, &c) in chunks.remainder().iter().enumerate() {
        acc |= u64::from(c.is_ascii_alphanumeric()) << (base + k);
    }
    acc
}

impl AlnumBits {
    pub(crate) fn new(b: &[u8]) -> Self {
        let len = b.len() / 64 + 1;
        let mut bits = AlnumBits {
            inline: [0; INLINE],
            heap: Vec::new(),
            len,
        };
        let words: &mut [u64] = if len <= INLINE {
            &mut bits.inline[..len]
        } else {
            bits.heap = vec![0; len];
            &mut bits.heap
        };
        let mut blocks = b.chunks_exact(64);
        for (w, block) in words.iter_mut().zip(blocks.by_ref()) {
            *w = alnum_bits64(block);
        }
        let rest = blocks.remainder();
        words[b.len() / 64] = alnum_bits64(rest);
        bits
    }

    #[inline]
    fn words(&self) -> &[u64] {
        if self.len <= INLINE {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }

    /// Is byte `i` alphanumeric? (`false` past the end.)
    #[inline]
    pub(crate) fn get(&self, i: usize) -> bool {
        self.words()
            .get(i / 64)
            .is_some_and(|w| (w >> (i % 64)) & 1 != 0)
    }

    /// The first non-alphanumeric position at or after `i` (at most the text length).
    #[inline]
    pub(crate) fn next_clear(&self, i: usize) -> usize {
        let mut w = i / 64;
        let words = self.words();
        let Some(&first) = words.get(w) else {
            return i;
        };
        let x = !first >> (i % 64);
        if x != 0 {
            return i + x.trailing_zeros() as usize;
        }
        loop {
            w += 1;
            // The last word always has a clear bit, so this stays in bounds.
            let x = !words[w];
            if x != 0 {
                return w * 64 + x.trailing_zeros() as usize;
            }
        }
    }

    /// The first alphanumeric position at or after `i`, or `None`.
    #[inline]
    pub(crate) fn next_set(&self, i: usize) -> Option<usize> {
        let mut w = i / 64;
        let words = self.words();
        let x = words.get(w)? >> (i % 64);
        if x != 0 {
            return Some(i + x.trailing_zeros() as usize);
        }
        loop {
            w += 1;
            let x = *words.get(w)?;
            if x != 0 {
                return Some(w * 64 + x.trailing_zeros() as usize);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alnum_bits_match_bytewise_classes() {
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for a in 0..=255u8 {
            for c in 0..=255u8 {
                texts.push([b'x', a, c, b'/', a, b'0', c, b'Z', a, c].to_vec());
            }
        }
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for len in 0..300 {
            let t: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 24) as u8
                })
                .collect();
            texts.push(t);
        }
        for t in &texts {
            let bits = AlnumBits::new(t);
            for i in 0..=t.len() + 70 {
                let want = t.get(i).is_some_and(u8::is_ascii_alphanumeric);
                assert_eq!(bits.get(i), want, "{t:?} at {i}");
            }
            for i in 0..=t.len() {
                let clear = (i..).find(|&k| !t.get(k).is_some_and(u8::is_ascii_alphanumeric));
                assert_eq!(Some(bits.next_clear(i)), clear);
                let set = (i..t.len()).find(|&k| t[k].is_ascii_alphanumeric());
                assert_eq!(bits.next_set(i), set);
            }
            for i in 0..t.len() {
                for j in i..t.len().min(i + 24) {
                    assert_eq!(
                        has_upper(&t[i..j]),
                        t[i..j].iter().any(u8::is_ascii_uppercase)
                    );
                }
            }
        }
    }
}
