//! Person names in free text: the built-in [`PersonNames`] detector, its lexicon of real
//! given names and surnames (US Census, US Social Security Administration, IBGE; see
//! `data/names/README.md`), and the cues that tell a person from a product or a place.

mod cues;
mod detector;
mod fold;
mod ident;
mod layout;
mod lex;
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
    // The classes mark capitals at word starts and `.`/`_` after a lower-case letter; a
    // summary bit per block says which blocks hold any, so empty blocks cost no branch.
    let blocks = classes.blocks();
    // On the stack for texts up to 16 KiB (no allocation for a short property).
    let words = blocks.len() / 64 + 1;
    let (mut small_starts, mut small_joints) = ([0u64; 4], [0u64; 4]);
    let (mut big_starts, mut big_joints) = (Vec::new(), Vec::new());
    let (starts_in, joints_in): (&mut [u64], &mut [u64]) = if words <= 4 {
        (&mut small_starts[..words], &mut small_joints[..words])
    } else {
        big_starts.resize(words, 0);
        big_joints.resize(words, 0);
        (&mut big_starts, &mut big_joints)
    };
    for (w, block) in blocks.iter().enumerate() {
        starts_in[w / 64] |= u64::from(block.name_start != 0) << (w % 64);
        joints_in[w / 64] |= u64::from(block.joint != 0) << (w % 64);
    }
    let set_bits = |summary: &[u64],
                    mask: fn(&crate::detectors::classes::Block) -> u64,
                    each: &mut dyn FnMut(usize)| {
        for (s, &word) in summary.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let w = s * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                let mut bits = mask(&blocks[w]);
                while bits != 0 {
                    each(w * 64 + bits.trailing_zeros() as usize);
                    bits &= bits - 1;
                }
            }
        }
    };
    detector::find_from_with(
        text,
        |each| {
            let mut resume = 0;
            set_bits(starts_in, |b| b.name_start, &mut |k| {
                if k >= resume && k < text.len() {
                    resume = each(k).max(k + 1);
                }
            });
        },
        |each| {
            // The joint must also come before a lower-case letter (`a.b`, not `a.B`), and
            // the letters before it must follow a space, quote, `:`, `=` or `(` (an
            // account is quoted or named; `src/db.ts` and `$x.y` are not): the run's start
            // comes from the block's letter bits, not from a byte-by-byte walk.
            let b = text.as_bytes();
            set_bits(joints_in, |b| b.joint, &mut |k| {
                if !b.get(k + 1).is_some_and(u8::is_ascii_lowercase) {
                    return;
                }
                let (w, bit) = (k / 64, k % 64);
                let below = (1u64 << bit) - 1;
                let gaps = !blocks[w].alnum & below;
                if gaps != 0 {
                    let start = w * 64 + 64 - gaps.leading_zeros() as usize;
                    let context = matches!(
                        b[start - 1],
                        b' ' | b':' | b'=' | b'(' | b'"' | b'\'' | b'`'
                    );
                    if !context {
                        return;
                    }
                }
                each(k);
            });
        },
        out,
    );
}
