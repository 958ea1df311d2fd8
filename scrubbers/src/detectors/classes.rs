//! Byte-class bitmaps of a text, one bit per byte, 64 bytes per block.
//!
//! Both detector passes iterate the set bits of these maps (word starts, trigger bytes,
//! digit words…) with `trailing_zeros` instead of looking at every byte. On x86_64 a block
//! is classified with SSE2 (16 bytes per instruction, through `safe_arch`'s safe
//! wrappers); elsewhere with a table, byte by byte.

use std::cell::Cell;

/// The classes of one 64-byte block: bit `k` describes byte `64 * block + k`. Bytes past
/// the end of the text are in no class.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Block {
    /// ASCII letters and digits.
    pub alnum: u64,
    /// ASCII digits.
    pub digit: u64,
    /// ASCII uppercase letters.
    pub upper: u64,
    /// `$ ( , - . /`, `: ; < = > ? @`, `[ \`, `|` and `~`: a superset of the bytes that
    /// trigger anchors.
    pub trigger: u64,
    /// Alphanumerics and `+ , - . / = _`: a superset of the characters of tokens.
    pub token: u64,
    /// `.` and `_` right after a lower-case letter: the joints of `first.last` accounts,
    /// for the name detector.
    pub joint: u64,
    /// ASCII capitals that start a run of letters and digits and are not followed by
    /// another capital (`Donna`, not `HTTP`): where the name detector reads words.
    pub name_start: u64,
}

#[cfg(any(test, not(target_arch = "x86_64")))]
/// Class bits of one byte, as the table fallback (and the tests) compute them.
const C_ALNUM: u8 = 1;
#[cfg(any(test, not(target_arch = "x86_64")))]
const C_DIGIT: u8 = 2;
#[cfg(any(test, not(target_arch = "x86_64")))]
const C_UPPER: u8 = 4;
#[cfg(any(test, not(target_arch = "x86_64")))]
const C_TRIGGER: u8 = 8;
#[cfg(any(test, not(target_arch = "x86_64")))]
const C_TOKEN: u8 = 16;
#[cfg(any(test, not(target_arch = "x86_64")))]
const C_JOINT: u8 = 32;

#[cfg(any(test, not(target_arch = "x86_64")))]
static BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let mut k = 0;
        if c.is_ascii_alphanumeric() {
            k |= C_ALNUM | C_TOKEN;
        }
        if c.is_ascii_digit() {
            k |= C_DIGIT;
        }
        if c.is_ascii_uppercase() {
            k |= C_UPPER;
        }
        if matches!(c, b'(' | b','..=b'/' | b':'..=b'@' | b'['..=b'\\' | b'|' | b'~' | b'$') {
            k |= C_TRIGGER;
        }
        if matches!(c, b'+'..=b'/' | b'=' | b'_') {
            k |= C_TOKEN;
        }
        if matches!(c, b'.' | b'_') {
            k |= C_JOINT;
        }
        t[i] = k;
        i += 1;
    }
    t
};

#[cfg(any(test, not(target_arch = "x86_64")))]
/// Classifies up to 64 bytes, one at a time (the portable path, and the tests' oracle).
fn classify_bytewise(block: &[u8]) -> Block {
    let mut out = Block::default();
    for (k, &c) in block.iter().enumerate() {
        let class = BYTE_CLASS[c as usize];
        let bit = |flag: u8| u64::from(class & flag != 0) << k;
        out.alnum |= bit(C_ALNUM);
        out.digit |= bit(C_DIGIT);
        out.upper |= bit(C_UPPER);
        out.trigger |= bit(C_TRIGGER);
        out.token |= bit(C_TOKEN);
        out.joint |= bit(C_JOINT);
    }
    out
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod sse2 {
    use super::Block;
    use safe_arch::{
        add_i8_m128i, cmp_eq_mask_i8_m128i, cmp_gt_mask_i8_m128i, load_unaligned_m128i, m128i,
        move_mask_i8_m128i, set_splat_i8_m128i,
    };

    /// Lanes of `v` in `lo..=hi` (all bits set) or not (clear): the shift maps `lo` to
    /// `i8::MIN`, so one signed comparison bounds the range.
    #[inline(always)]
    pub(crate) fn in_range(v: m128i, lo: u8, hi: u8) -> m128i {
        let shifted = add_i8_m128i(v, set_splat_i8_m128i(0x80u8.wrapping_sub(lo) as i8));
        let bound = (hi - lo + 1).wrapping_sub(0x80) as i8;
        cmp_gt_mask_i8_m128i(set_splat_i8_m128i(bound), shifted)
    }

    #[inline(always)]
    pub(crate) fn eq(v: m128i, c: u8) -> m128i {
        cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(c as i8))
    }

    /// The lanes' top bits as the low 16 bits of a word.
    #[inline(always)]
    pub(crate) fn mask(v: m128i) -> u64 {
        u64::from(move_mask_i8_m128i(v) as u16)
    }

    /// Classifies a whole 64-byte block, 16 bytes per step.
    #[inline(always)]
    pub(super) fn classify(block: &[u8; 64], special: &mut u32, high: &mut u32) -> Block {
        let mut out = Block::default();
        // Non-ASCII bytes and `%`, `&`, `\\`: only whether the block holds any, so the
        // lanes are ORed and the top bits read once.
        let (mut high_lanes, mut special_lanes) = (set_splat_i8_m128i(0), set_splat_i8_m128i(0));
        for (j, lane) in block.chunks_exact(16).enumerate() {
            let v = load_unaligned_m128i(lane.try_into().expect("16 bytes"));
            let digit = in_range(v, b'0', b'9');
            let upper = in_range(v, b'A', b'Z');
            let lower = in_range(v, b'a', b'z');
            let alnum = digit | upper | lower;
            let trigger = in_range(v, b',', b'/')
                | eq(v, b'(')
                | in_range(v, b':', b'@')
                | in_range(v, b'[', b'\\')
                | eq(v, b'|')
                | eq(v, b'~')
                | eq(v, b'$');
            let token = alnum | in_range(v, b'+', b'/') | eq(v, b'=') | eq(v, b'_');
            let shift = 16 * j;
            out.alnum |= mask(alnum) << shift;
            out.digit |= mask(digit) << shift;
            out.upper |= mask(upper) << shift;
            out.trigger |= mask(trigger) << shift;
            out.token |= mask(token) << shift;
            // High bit: non-ASCII; with `%`, `&` and `\\`, where an encoding can start.
            out.joint |= mask(eq(v, b'.') | eq(v, b'_')) << shift;
            high_lanes |= v;
            special_lanes = special_lanes | eq(v, b'%') | eq(v, b'&') | eq(v, b'\\');
        }
        *high |= move_mask_i8_m128i(high_lanes) as u32;
        *special |= move_mask_i8_m128i(high_lanes | special_lanes) as u32;
        out
    }
}

/// Classifies one full block.
#[inline(always)]
fn classify(block: &[u8; 64], special: &mut u32, high: &mut u32) -> Block {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::classify(block, special, high)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        *special |= u32::from(
            block
                .iter()
                .any(|&c| matches!(c, b'%' | b'&' | b'\\') || c >= 0x80),
        );
        *high |= u32::from(block.iter().any(|&c| c >= 0x80));
        classify_bytewise(block)
    }
}

thread_local! {
    /// Block buffers reused across calls on this thread (see [`ByteClasses::new`]).
    static BLOCKS: Cell<Vec<Block>> = const { Cell::new(Vec::new()) };
}

/// The class bitmaps of a text: `len / 64 + 1` blocks, so at least one byte position
/// after the text is in no class and every run of set bits ends inside the maps.
pub(crate) struct ByteClasses<'t> {
    text: &'t [u8],
    /// The last block's bytes, zero-padded.
    tail: [u8; 64],
    blocks: Vec<Block>,
    /// Any `%`, `&`, `\\` or non-ASCII byte.
    may_encode: bool,
    /// Any non-ASCII byte.
    non_ascii: bool,
}

impl Drop for ByteClasses<'_> {
    fn drop(&mut self) {
        // Keep small buffers for the next text on this thread.
        if self.blocks.capacity() <= 4096 {
            let blocks = std::mem::take(&mut self.blocks);
            BLOCKS.with(|c| c.set(blocks));
        }
    }
}

impl<'t> ByteClasses<'t> {
    pub(crate) fn new(b: &'t [u8]) -> Self {
        let mut blocks = BLOCKS.with(Cell::take);
        blocks.clear();
        blocks.reserve(b.len() / 64 + 1);
        let mut chunks = b.chunks_exact(64);
        let mut special = 0u32;
        let mut high = 0u32;
        for chunk in chunks.by_ref() {
            blocks.push(classify(
                chunk.try_into().expect("64 bytes"),
                &mut special,
                &mut high,
            ));
        }
        let rest = chunks.remainder();
        let mut tail = [0u8; 64];
        tail[..rest.len()].copy_from_slice(rest);
        blocks.push(classify(&tail, &mut special, &mut high));
        // Across blocks, for the name detector: a few scalar operations per block.
        let (mut alnum_carry, mut lower_carry) = (0u64, 0u64);
        for block in &mut blocks {
            let lower = block.alnum & !block.upper & !block.digit;
            block.name_start =
                block.upper & !((block.alnum << 1) | alnum_carry) & !(block.upper >> 1);
            block.joint &= (lower << 1) | lower_carry;
            alnum_carry = block.alnum >> 63;
            lower_carry = lower >> 63;
        }
        ByteClasses {
            text: b,
            tail,
            blocks,
            may_encode: special != 0,
            non_ascii: high != 0,
        }
    }

    /// Does the text hold `%`, `&`, `\\` or a non-ASCII byte, where an encoding can start?
    #[inline]
    pub(crate) fn may_encode(&self) -> bool {
        self.may_encode
    }

    /// Every block, in order (the last one past the end of the text).
    #[inline]
    pub(crate) fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Does the text hold a byte outside ASCII?
    #[inline]
    pub(crate) fn non_ascii(&self) -> bool {
        self.non_ascii
    }

    /// The 64 bytes of block `w` (zero past the end of the text), so that a bit index
    /// reads its byte without a bounds check.
    #[inline]
    pub(crate) fn bytes(&self, w: usize) -> &[u8; 64] {
        match self.text.get(w * 64..w * 64 + 64) {
            Some(full) => full.try_into().expect("64 bytes"),
            None => &self.tail,
        }
    }

    /// The number of blocks (one more than whole blocks of text).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Block `w` (all clear past the end).
    #[inline]
    pub(crate) fn block(&self, w: usize) -> Block {
        self.blocks.get(w).copied().unwrap_or_default()
    }

    #[inline]
    fn alnum_word(&self, w: usize) -> u64 {
        self.blocks.get(w).map_or(0, |b| b.alnum)
    }

    /// Starts of alphanumeric runs in block `w`.
    #[inline]
    pub(crate) fn word_starts(&self, w: usize) -> u64 {
        let a = self.alnum_word(w);
        let before = if w == 0 {
            0
        } else {
            self.alnum_word(w - 1) >> 63
        };
        a & !((a << 1) | before)
    }

    /// Is byte `i` alphanumeric? (`false` past the end.)
    #[inline]
    pub(crate) fn get(&self, i: usize) -> bool {
        (self.alnum_word(i / 64) >> (i % 64)) & 1 != 0
    }

    /// The first non-alphanumeric position at or after `i` (at most the text length).
    #[inline]
    pub(crate) fn next_clear(&self, i: usize) -> usize {
        self.next_clear_in(i, |b| b.alnum)
    }

    /// The first position at or after `i` whose bit in `class` is clear (at most the text
    /// length).
    #[inline(always)]
    fn next_clear_in(&self, i: usize, class: impl Fn(&Block) -> u64) -> usize {
        let mut w = i / 64;
        let Some(first) = self.blocks.get(w) else {
            return i;
        };
        let x = !class(first) >> (i % 64);
        if x != 0 {
            return i + x.trailing_zeros() as usize;
        }
        loop {
            w += 1;
            // The last block always has a clear bit, so this stays in bounds.
            let x = !class(&self.blocks[w]);
            if x != 0 {
                return w * 64 + x.trailing_zeros() as usize;
            }
        }
    }

    /// The end of the run from `i` of alphanumerics and of bytes that `extra` accepts
    /// (alphanumeric runs are skipped whole).
    #[inline]
    pub(crate) fn run_end(&self, b: &[u8], mut i: usize, extra: impl Fn(u8) -> bool) -> usize {
        loop {
            i = self.next_clear(i);
            if i < b.len() && extra(b[i]) {
                i += 1;
            } else {
                return i;
            }
        }
    }

    /// Is any bit that `class` picks from a block set for a byte in `s..e`?
    #[inline]
    pub(crate) fn any(&self, s: usize, e: usize, class: impl Fn(&Block) -> u64) -> bool {
        any_in_range(s, e, |w| self.blocks.get(w).map_or(0, &class))
    }

    /// Is any byte in `s..e` an ASCII uppercase letter?
    pub(crate) fn any_upper(&self, s: usize, e: usize) -> bool {
        any_in_range(s, e, |w| self.blocks.get(w).map_or(0, |b| b.upper))
    }

    /// The start of the run of token bytes that holds position `p` (a token byte).
    fn token_run_start(&self, p: usize) -> usize {
        let mut w = p / 64;
        // Non-token bits at or below `p`, in block `w`.
        let below = !self.blocks[w].token & (u64::MAX >> (63 - p % 64));
        if below != 0 {
            return w * 64 + 64 - below.leading_zeros() as usize;
        }
        while w > 0 {
            w -= 1;
            let x = !self.blocks[w].token;
            if x != 0 {
                return w * 64 + 64 - x.leading_zeros() as usize;
            }
        }
        0
    }

    /// The end of the run of token bytes that holds position `p`.
    fn token_run_end(&self, p: usize) -> usize {
        self.next_clear_in(p, |b| b.token)
    }

    /// Marks in `hot` (one word per block, cleared first) every byte of each run of token
    /// bytes that is at least `MIN_LEN` (1 to 64) long and holds an uppercase letter: the
    /// only places where a long-token detector can fire.
    pub(crate) fn long_upper_token_runs<const MIN_LEN: usize>(&self, hot: &mut Vec<u64>) {
        const { assert!(MIN_LEN >= 1 && MIN_LEN <= 64) };
        let n = self.blocks.len();
        hot.clear();
        hot.resize(n, 0);
        // Positions below `done` belong to runs already judged.
        let mut done = 0usize;
        let from = |pos: usize, base: usize| {
            if pos <= base {
                u64::MAX
            } else if pos - base >= 64 {
                0
            } else {
                u64::MAX << (pos - base)
            }
        };
        for w in 0..n {
            let t = u128::from(self.blocks[w].token)
                | u128::from(self.blocks.get(w + 1).map_or(0, |b| b.token)) << 64;
            // Bit p of `starts`: bytes p..p + MIN_LEN are all token bytes (the loop runs
            // at compile time).
            let mut all = t;
            let mut have = 1;
            while have < MIN_LEN {
                let step = have.min(MIN_LEN - have);
                all &= all >> step;
                have += step;
            }
            let base = w * 64;
            let mut starts = all as u64 & from(done, base);
            while starts != 0 {
                let p = base + starts.trailing_zeros() as usize;
                let (rs, re) = (self.token_run_start(p), self.token_run_end(p));
                if self.any_upper(rs, re) {
                    set_range(hot, rs, re);
                }
                done = re;
                starts &= from(re, base);
            }
        }
    }
}

/// Is any bit in positions `s..e` set, with `word(w)` giving block `w`'s bits?
#[inline]
fn any_in_range(s: usize, e: usize, word: impl Fn(usize) -> u64) -> bool {
    if s >= e {
        return false;
    }
    let (ws, we) = (s / 64, (e - 1) / 64);
    let lo = u64::MAX << (s % 64);
    let hi = u64::MAX >> (63 - (e - 1) % 64);
    if ws == we {
        return word(ws) & lo & hi != 0;
    }
    word(ws) & lo != 0 || (ws + 1..we).any(|w| word(w) != 0) || word(we) & hi != 0
}

/// Sets bits `s..e` (`s < e`) of a bitmap.
fn set_range(bits: &mut [u64], s: usize, e: usize) {
    let (ws, we) = (s / 64, (e - 1) / 64);
    let lo = u64::MAX << (s % 64);
    let hi = u64::MAX >> (63 - (e - 1) % 64);
    if ws == we {
        bits[ws] |= lo & hi;
        return;
    }
    bits[ws] |= lo;
    for w in &mut bits[ws + 1..we] {
        *w = u64::MAX;
    }
    bits[we] |= hi;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts() -> Vec<Vec<u8>> {
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for a in 0..=255u8 {
            let mut t = vec![a; 70];
            t[3] = b'x';
            t[64] = b'Z';
            texts.push(t);
            for c in [b'x', b'0', b'Z', b'-', b'/', b' '] {
                texts.push([b'x', a, c, b'/', a, b'0', c, b'Z', a, c].to_vec());
            }
        }
        let mut next = crate::detectors::test_rng(0x9E37_79B9_7F4A_7C15);
        for len in 0..400 {
            let t: Vec<u8> = (0..len).map(|_| next(256) as u8).collect();
            texts.push(t);
            // Token-heavy texts: long runs with and without uppercase letters.
            let alphabet = b"abcXYZ019_-+/=.,: @";
            let t: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            texts.push(t);
            let alphabet = b"abcdef0123456789-_/";
            let mut t: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            if len > 0 && next(2) == 0 {
                let k = next(len);
                t[k] = b'Q';
            }
            texts.push(t);
        }
        texts
    }

    #[test]
    fn blocks_match_bytewise_classes() {
        for t in texts() {
            let classes = ByteClasses::new(&t);
            assert_eq!(classes.len(), t.len() / 64 + 1);
            for w in 0..classes.len() {
                let from = (w * 64).min(t.len());
                let to = (w * 64 + 64).min(t.len());
                // The cross-block name fields are checked byte by byte below.
                let cross = |b: Block| Block {
                    joint: 0,
                    name_start: 0,
                    ..b
                };
                assert_eq!(
                    cross(classes.block(w)),
                    cross(classify_bytewise(&t[from..to])),
                    "{t:?}"
                );
            }
            for i in 0..t.len() {
                let bit = |m: u64| (m >> (i % 64)) & 1 != 0;
                let block = classes.block(i / 64);
                let after_alnum = i > 0 && t[i - 1].is_ascii_alphanumeric();
                let next_upper = i % 64 < 63 && t.get(i + 1).is_some_and(u8::is_ascii_uppercase);
                let start = t[i].is_ascii_uppercase() && !after_alnum && !next_upper;
                assert_eq!(bit(block.name_start), start, "{t:?} at {i}");
                let after_lower = i > 0 && t[i - 1].is_ascii_lowercase();
                let joint = matches!(t[i], b'.' | b'_') && after_lower;
                assert_eq!(bit(block.joint), joint, "{t:?} at {i}");
            }
            for i in 0..=t.len() + 70 {
                let want = t.get(i).is_some_and(u8::is_ascii_alphanumeric);
                assert_eq!(classes.get(i), want, "{t:?} at {i}");
                let start = want && (i == 0 || !t[i - 1].is_ascii_alphanumeric());
                let ws = (classes.word_starts(i / 64) >> (i % 64)) & 1 != 0;
                assert_eq!(ws, start, "{t:?} at {i}");
            }
            for i in 0..=t.len() {
                let clear = (i..).find(|&k| !t.get(k).is_some_and(u8::is_ascii_alphanumeric));
                assert_eq!(Some(classes.next_clear(i)), clear);
            }
            for i in 0..t.len() {
                for j in i..t.len().min(i + 140) {
                    assert_eq!(
                        classes.any_upper(i, j),
                        t[i..j].iter().any(u8::is_ascii_uppercase)
                    );
                }
            }
        }
    }

    #[test]
    fn hot_runs_are_the_long_token_runs_with_uppercase() {
        let is_token = |c: u8| BYTE_CLASS[c as usize] & C_TOKEN != 0;
        let mut hot = Vec::new();
        for t in texts() {
            let classes = ByteClasses::new(&t);
            for min_len in [1, 5, 20, 64] {
                match min_len {
                    1 => classes.long_upper_token_runs::<1>(&mut hot),
                    5 => classes.long_upper_token_runs::<5>(&mut hot),
                    20 => classes.long_upper_token_runs::<20>(&mut hot),
                    _ => classes.long_upper_token_runs::<64>(&mut hot),
                }
                let mut want = vec![false; t.len()];
                let mut i = 0;
                while i < t.len() {
                    if !is_token(t[i]) {
                        i += 1;
                        continue;
                    }
                    let e = (i..t.len()).find(|&k| !is_token(t[k])).unwrap_or(t.len());
                    if e - i >= min_len && t[i..e].iter().any(u8::is_ascii_uppercase) {
                        want[i..e].iter_mut().for_each(|x| *x = true);
                    }
                    i = e;
                }
                for (i, &want) in want.iter().enumerate() {
                    assert_eq!(
                        (hot[i / 64] >> (i % 64)) & 1 != 0,
                        want,
                        "{t:?} {min_len} at {i}"
                    );
                }
                for i in t.len()..hot.len() * 64 {
                    assert_eq!((hot[i / 64] >> (i % 64)) & 1, 0, "past the end");
                }
            }
        }
    }
}
