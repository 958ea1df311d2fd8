//! The dispatch table built from the rows: a prefilter that rejects nearly every word
//! start in one lookup, the prefixes by first byte, the context keywords and the `~`
//! infixes.

use super::row::{parse_rows, TokenRow};
use crate::kind::Kind;

/// The parsed rows and the tables the scanner dispatches on.
pub(crate) struct TokenTable {
    rows: Vec<TokenRow>,
    kinds: Vec<Kind>,
    /// The pairs that are whole prefixes (`MT`, `SK`): a word start there needs no more.
    whole_pairs: Box<[[u64; 4]; 256]>,
    /// The first two bytes of every prefix, as bits by their little-endian `u16`: one
    /// lookup rejects nearly every word start (the anchored pass filters a block's word
    /// starts with it before visiting any).
    start_pairs: Box<[u64; 1024]>,
    /// A hash set of the first four bytes of every longer prefix (three-byte prefixes:
    /// with every fourth byte), for the word starts the pairs let through. Four bytes,
    /// not three: words like `api/`, `npm ` and `pull` share three with a prefix.
    quads: Box<[u64; 1024]>,
    /// `(prefix, row)` by first byte, longest prefix first.
    buckets: Vec<Vec<(&'static [u8], usize)>>,
    /// Context keywords and their rows, by first byte.
    ctx_keywords: Vec<Vec<(&'static [u8], usize)>>,
    /// For each first byte of a context keyword, the set of its second bytes.
    ctx_pairs: Box<[[u64; 4]; 256]>,
    /// `(infix, offset of its `~`, row)` of the rows dispatched on `~`.
    infixes: Vec<(&'static [u8], usize, usize)>,
}

/// A 16-bit hash of four bytes (multiplicative: the high bits mix every byte).
#[inline]
fn quad_hash(q: [u8; 4]) -> usize {
    (u32::from_le_bytes(q).wrapping_mul(0x9E37_79B1) >> 16) as usize
}

/// Bit `c` of a 256-bit set.
#[inline]
fn has(set: &[u64; 4], c: u8) -> bool {
    set[usize::from(c >> 6)] >> (c & 63) & 1 != 0
}

fn set_bit(set: &mut [u64; 4], c: u8) {
    set[usize::from(c >> 6)] |= 1 << (c & 63);
}

/// Adds a prefix (its first bytes: the word starts it can begin) to the prefilter.
fn add_prefix(
    p: &[u8],
    whole_pairs: &mut [[u64; 4]; 256],
    start_pairs: &mut [u64; 1024],
    quads: &mut [u64; 1024],
) {
    let pair = usize::from(u16::from_le_bytes([p[0], p[1]]));
    start_pairs[pair / 64] |= 1 << (pair % 64);
    let mut add = |q: [u8; 4]| {
        let h = quad_hash(q);
        quads[h / 64] |= 1 << (h % 64);
    };
    match *p {
        [a, b] => set_bit(&mut whole_pairs[usize::from(a)], b),
        [a, b, c] => (0..=255).for_each(|d| add([a, b, c, d])),
        [a, b, c, d, ..] => add([a, b, c, d]),
        _ => unreachable!("prefixes have at least two bytes"),
    }
}

impl TokenTable {
    /// Parses row files `(name, text)`.
    ///
    /// # Errors
    ///
    /// A message naming the file and line of a malformed row.
    pub(crate) fn parse(files: &[(&str, &'static str)]) -> Result<TokenTable, String> {
        let (rows, kinds) = parse_rows(files)?;
        let mut whole_pairs = Box::new([[0u64; 4]; 256]);
        let mut start_pairs = Box::new([0u64; 1024]);
        let mut quads = Box::new([0u64; 1024]);
        let mut buckets: Vec<Vec<(&'static [u8], usize)>> = vec![Vec::new(); 256];
        let mut ctx_keywords: Vec<Vec<(&'static [u8], usize)>> = vec![Vec::new(); 256];
        let mut ctx_pairs = Box::new([[0u64; 4]; 256]);
        let mut infixes: Vec<(&'static [u8], usize, usize)> = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            if let Some(infix) = row.infix {
                let (c, infix) = (infix.as_bytes()[0], infix.as_bytes());
                if c == b'.' {
                    // `.word…`: a prefix at the word's start; `token_at` walks back.
                    let p = &infix[1..];
                    add_prefix(p, &mut whole_pairs, &mut start_pairs, &mut quads);
                    buckets[usize::from(p[0])].push((p, r));
                    continue;
                }
                let at = infix.iter().position(|&c| c == b'~');
                infixes.push((infix, at.expect("checked when parsed"), r));
                continue;
            }
            for c in &row.ctx {
                let k = c.as_bytes();
                ctx_keywords[usize::from(k[0])].push((k, r));
                let second = k.get(1).copied().unwrap_or(0);
                ctx_pairs[usize::from(k[0])][usize::from(second >> 6)] |= 1 << (second & 63);
            }
            for p in &row.prefixes {
                let p = p.as_bytes();
                add_prefix(p, &mut whole_pairs, &mut start_pairs, &mut quads);
                buckets[usize::from(p[0])].push((p, r));
            }
        }
        for bucket in &mut buckets {
            // Longest prefix first, then catalogue order.
            bucket.sort_by_key(|&(p, r)| (std::cmp::Reverse(p.len()), r));
        }
        Ok(TokenTable {
            rows,
            kinds,
            whole_pairs,
            start_pairs,
            quads,
            buckets,
            ctx_keywords,
            ctx_pairs,
            infixes,
        })
    }

    /// Every row, in file order.
    pub(crate) fn rows(&self) -> &[TokenRow] {
        &self.rows
    }

    /// Every kind the rows declare.
    pub(crate) fn kinds(&self) -> &[Kind] {
        &self.kinds
    }

    /// The first two bytes of every prefix, as bits by their little-endian `u16`: a
    /// word start whose pair is not here starts no prefix.
    #[inline]
    pub(crate) fn start_pairs(&self) -> &[u64; 1024] {
        &self.start_pairs
    }

    /// Can a prefix start at `i`? (No false negatives; few false positives.)
    #[inline]
    pub(crate) fn may_start(&self, b: &[u8], i: usize) -> bool {
        let byte = |k: usize| b.get(i + k).copied().unwrap_or(0);
        let (first, second) = (b[i], byte(1));
        let pair = usize::from(u16::from_le_bytes([first, second]));
        if self.start_pairs[pair / 64] >> (pair % 64) & 1 == 0 {
            return false;
        }
        if has(&self.whole_pairs[usize::from(first)], second) {
            return true;
        }
        let h = quad_hash([first, second, byte(2), byte(3)]);
        self.quads[h / 64] >> (h % 64) & 1 != 0
    }

    /// The `(infix, offset of its `~`, row)` triples of the rows found from a `~`.
    #[inline]
    pub(crate) fn tilde_infixes(&self) -> &[(&'static [u8], usize, usize)] {
        &self.infixes
    }

    /// The `(prefix, row)` pairs whose prefix starts with byte `c`, longest first.
    pub(crate) fn bucket(&self, c: u8) -> &[(&'static [u8], usize)] {
        &self.buckets[usize::from(c)]
    }

    /// The row of a context-keyed format that `value` is, behind key `ident`.
    pub(crate) fn context_row(&self, ident: &str, value: &str) -> Option<&TokenRow> {
        let rows = crate::detectors::key_cache::key_facts(ident, |facts| facts.ctx);
        rows.rows()
            .iter()
            .map(|&r| &self.rows[usize::from(r)])
            .find(|row| {
                row.body_len(value.as_bytes()) == Some(value.len())
                    && row.check.passes(value.as_bytes(), 0)
                    && !crate::detectors::vendor::is_placeholder_body(value.as_bytes())
            })
    }

    /// The context-keyed rows whose keyword key `ident` holds (any case), in catalogue
    /// order.
    pub(crate) fn context_rows(&self, ident: &str) -> ContextRows {
        // Keys are short: lowercase on the stack, and look for keywords only where one
        // can start.
        let ident = ident.as_bytes();
        let mut found = ContextRows::default();
        if ident.len() > 64 {
            return found;
        }
        let mut buf = [0u8; 64];
        let lower = &mut buf[..ident.len()];
        lower.copy_from_slice(ident);
        lower.make_ascii_lowercase();
        let lower = &*lower;
        for p in 0..lower.len() {
            let second = lower.get(p + 1).copied().unwrap_or(0);
            if self.ctx_pairs[usize::from(lower[p])][usize::from(second >> 6)] >> (second & 63) & 1
                == 0
            {
                continue;
            }
            for &(keyword, r) in &self.ctx_keywords[usize::from(lower[p])] {
                if lower[p..].starts_with(keyword) {
                    found.add(r as u16);
                }
            }
        }
        found.rows[..usize::from(found.n)].sort_unstable();
        found
    }
}

/// The context-keyed rows a key name points at (see [`TokenTable::context_rows`]): a few
/// at most.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ContextRows {
    rows: [u16; 8],
    n: u8,
}

impl ContextRows {
    /// Adds row `r` once (past eight rows, the rest are dropped).
    fn add(&mut self, r: u16) {
        let n = usize::from(self.n);
        if n < self.rows.len() && !self.rows[..n].contains(&r) {
            self.rows[n] = r;
            self.n += 1;
        }
    }

    /// The rows, in catalogue order.
    pub(crate) fn rows(&self) -> &[u16] {
        &self.rows[..usize::from(self.n)]
    }
}
