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
    for ((chunk, starts), joints) in blocks
        .chunks(64)
        .zip(starts_in.iter_mut())
        .zip(joints_in.iter_mut())
    {
        for (i, block) in chunk.iter().enumerate() {
            *starts |= u64::from(block.name_start != 0) << i;
            *joints |= u64::from(block.joint != 0) << i;
        }
    }
    detector::find_from_with(
        text,
        ClassBits {
            text_len: text.len(),
            summary: starts_in,
            bits: |w: usize| blocks[w].name_start,
        },
        ClassBits {
            text_len: text.len(),
            summary: joints_in,
            bits: |w: usize| account_joints(classes, w),
        },
        out,
    );
}

/// The joints of block `w` that may join an account (`first.last`), read from the block's
/// bits: a `.` or `_` with two letters or more on each side, after a space, quote, `:`,
/// `=` or `(` (an account is quoted or named; `src/db.ts` and `$x.y` are not), and
/// before no more code (`a.b.c`, `a.b@h`). A side that runs past the block is kept: the
/// detector reads it.
#[inline]
fn account_joints(classes: &crate::detectors::ByteClasses<'_>, w: usize) -> u64 {
    let block = classes.block(w);
    let letters = block.alnum & !block.digit;
    let lower = letters & !block.upper;
    let next = classes.block(w + 1);
    let next_lower = (lower >> 1) | ((next.alnum & !next.upper & !next.digit & 1) << 63);
    let mut joints = block.joint & next_lower;
    let mut kept = 0;
    let bytes = classes.bytes(w);
    // Branch-free per joint (`&`/`|` on bools, table reads at clamped indices): emails
    // and domains put many joints in a text, and which of them pass is no pattern a
    // predictor learns.
    while joints != 0 {
        let bit = joints.trailing_zeros() as usize;
        joints &= joints - 1;
        let gaps_before = !letters & ((1u64 << bit) - 1);
        let before = 63 - (gaps_before | 1).leading_zeros() as usize;
        let ok_before = (gaps_before == 0)
            | ((bit > before + 2) & (ACCOUNT_BYTES[usize::from(bytes[before])] & OPENS != 0));
        let gaps_after = (!letters).checked_shr(bit as u32 + 1).unwrap_or(0);
        let end = bit + 1 + gaps_after.trailing_zeros() as usize;
        let ok_after = (gaps_after == 0)
            | ((end > bit + 2) & (ACCOUNT_BYTES[usize::from(bytes[end.min(63)])] & GLUES == 0));
        kept |= u64::from(ok_before & ok_after) << bit;
    }
    kept
}

/// May come before an account's first letter.
const OPENS: u8 = 1;
/// Glues a run of letters to more code (as `ident` reads it).
const GLUES: u8 = 2;

/// [`OPENS`] and [`GLUES`] by byte.
static ACCOUNT_BYTES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if matches!(b, b' ' | b':' | b'=' | b'(' | b'"' | b'\'' | b'`') {
            t[c] |= OPENS;
        }
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-' | b'/' | b'\\' | b'$')
        {
            t[c] |= GLUES;
        }
        c += 1;
    }
    t
};

/// Set bits of the scrubber's byte classes, in order: `bits` gives block `w`'s, read only
/// for the blocks whose bit in `summary` is set.
struct ClassBits<'a, F> {
    text_len: usize,
    summary: &'a [u64],
    bits: F,
}

impl<F: Fn(usize) -> u64> detector::Positions for ClassBits<'_, F> {
    fn each(self, mut each: impl FnMut(usize) -> usize) {
        let mut resume = 0;
        for (s, &word) in self.summary.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let w = s * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                let mut bits = (self.bits)(w);
                while bits != 0 {
                    let k = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if k >= resume && k < self.text_len {
                        resume = each(k).max(k + 1);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NameDetector;
    use proptest::prelude::*;

    /// ASCII text of names, cues, accounts and the code shapes the fast paths set aside.
    fn ascii_text() -> impl Strategy<Value = String> {
        let word = prop_oneof![
            3 => prop::sample::select(vec![
                "Donna", "Pearson", "Grant", "Will", "Jordan", "O'Brien", "Jean-Luc", "McNeill",
                "Hazel's", "Can't", "They're", "Chart.tsx", "Promise.all", "Module._compile",
                "Os {", "TypeError:", "E0308", "/Users/Ann", "a_Name", "Error:", "Cannot",
                "Dear", "Hi", "from", "cc:", "user", "said", "van der", "(reviewer)",
                "'deloris.dye'", "login=pawel_kowalczyk", "src/db.ts", "\n",
                "emma.khan46@corp.example.net", "user jane.doe", "(cc jane.doe@x.io)",
                "uid=mette.sorensen", "\"janet.stephens\"", "a.b.c", "owner: kwame.mensah",
                "for maria_garcia", "x$y.z", "user ab.cd-e",
            ]),
            2 => prop::sample::select(vec!["the", "and", "x", ",", ".", "\"", "`", "="]),
        ];
        prop::collection::vec(word, 0..40).prop_map(|w| w.join(" "))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The scrubber's path (its byte classes) and the detector's own scan agree.
        #[test]
        fn the_class_path_finds_what_the_own_scan_finds(s in ascii_text()) {
            let classes = crate::detectors::ByteClasses::new(s.as_bytes());
            let (mut via_classes, mut own) = (Vec::new(), Vec::new());
            find_with_classes(&s, &classes, &mut via_classes);
            PersonNames.find_names(&s, &mut own);
            prop_assert_eq!(via_classes, own, "{:?}", s);
        }
    }
}
