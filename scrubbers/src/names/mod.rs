//! Person names in free text: the built-in [`PersonNames`] detector, its lexicon of real
//! given names and surnames (US Census, US Social Security Administration, IBGE; see
//! `data/names/README.md`), and the cues that tell a person from a product or a place.

mod cues;
mod detector;
mod fold;
mod ident;
mod lexicon;
mod starts;
mod words;

pub use detector::PersonNames;
pub use lexicon::lexicon_bytes;

/// The built-in detector on a text whose byte classes the scrubber already computed: the
/// capitals at word starts come from them instead of a scan of its own (ASCII text; other
/// text takes the detector's own scan, which also sees `Łukasz`).
pub(crate) fn find_with_classes(
    text: &str,
    classes: &crate::detectors::ByteClasses<'_>,
    out: &mut Vec<std::ops::Range<usize>>,
) {
    use crate::NameDetector;
    if classes.non_ascii() {
        return PersonNames.find_names(text, out);
    }
    // One pass over the blocks: capitals at word starts (not `HTTP`), and `.` or `_`
    // between lower-case letters (the joints of `first.last`), flattened to positions
    // without a branch per bit (a branch that mispredicts costs more than the bits).
    let blocks = classes.blocks();
    let lower = |b: &crate::detectors::classes::Block| b.alnum & !b.upper & !b.digit;
    let (mut starts, mut joints) = (Positions::new(blocks.len()), Positions::new(blocks.len()));
    let (mut prev_alnum, mut prev_lower) = (0u64, 0u64);
    for (w, block) in blocks.iter().enumerate() {
        let next_lower = blocks.get(w + 1).map_or(0, lower);
        let this_lower = lower(block);
        starts.add(
            w * 64,
            block.upper & !((block.alnum << 1) | prev_alnum) & !(block.upper >> 1),
        );
        joints.add(
            w * 64,
            block.joint
                & ((this_lower << 1) | prev_lower)
                & ((this_lower >> 1) | (next_lower << 63)),
        );
        prev_alnum = block.alnum >> 63;
        prev_lower = this_lower >> 63;
    }
    let (starts, joints) = (starts.as_slice(), joints.as_slice());
    detector::find_from_with(
        text,
        |each| {
            let mut resume = 0;
            for &k in starts {
                let k = k as usize;
                if k >= resume && k < text.len() {
                    resume = each(k).max(k + 1);
                }
            }
        },
        |each| joints.iter().for_each(|&k| each(k as usize)),
        out,
    );
}

/// Bit positions, flattened four at a time without a branch per bit.
struct Positions {
    buf: Vec<u32>,
    len: usize,
}

impl Positions {
    fn new(blocks: usize) -> Self {
        Positions {
            buf: vec![0; blocks * 4 + 8],
            len: 0,
        }
    }

    /// Adds the set bits of `mask`, offset by `base`.
    #[inline]
    fn add(&mut self, base: usize, mut mask: u64) {
        let count = mask.count_ones() as usize;
        if self.len + count.max(4) > self.buf.len() {
            self.buf.resize((self.len + count.max(4)) * 2, 0);
        }
        // Four slots written whatever the count; the surplus is overwritten next time.
        for i in 0..4 {
            self.buf[self.len + i] = (base + mask.trailing_zeros() as usize) as u32;
            mask &= mask.wrapping_sub(1);
        }
        let mut at = self.len + 4;
        while mask != 0 {
            self.buf[at] = (base + mask.trailing_zeros() as usize) as u32;
            mask &= mask - 1;
            at += 1;
        }
        self.len += count;
    }

    fn as_slice(&self) -> &[u32] {
        &self.buf[..self.len]
    }
}
