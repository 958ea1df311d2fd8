//! The vendor-token rows (`tokens/*.tsv`) and the dispatch table built from them.
//!
//! Row format, one per line, columns separated by spaces (`#` starts a comment line):
//!
//! ```text
//! kind          rule                 prefixes     body               check         [ctx=a,b | infix=I]
//! github_token  github_classic_pat   ghp_         [A-Za-z0-9]{36}    github_crc32
//! ```
//!
//! - `prefixes`: comma-separated, case-sensitive, each starting with an ASCII letter (the
//!   token starts at a word start) or `$` (crypt hashes: dispatched on the `$`) and at
//!   least two bytes long. `-` for context rows.
//! - `body`: a regex for what follows the prefix; the token must end where the body ends
//!   (the next byte is not ASCII alphanumeric).
//! - `check`: `-`, `mixed` (two of digit/upper/lower), `digit`, `github_crc32`, or
//!   `discord_id` (the part before the first `.` is the base64 of a 17–20 digit id).
//! - `ctx=`: for rows without a prefix: keywords that a secret-naming key must contain
//!   for a value matching `body` to be reported as this row's kind.
//! - `infix=`: for rows without a prefix whose fixed part sits inside the token (Azure's
//!   `Q~`, Terraform's `.atlasv1.`): `body` is then the whole token, found wherever the
//!   infix is. The infix holds a `~` (the anchor pass dispatches on it) or is a `.` and a
//!   word (found from the word's start, as prefixes are).

use std::sync::{LazyLock, OnceLock};

use regex::bytes::Regex;

use crate::kind::{Kind, KindDef, Redaction};

/// The row files, by vendor group.
const ROW_FILES: &[(&str, &str)] = &[
    ("cloud.tsv", include_str!("tokens/cloud.tsv")),
    ("code.tsv", include_str!("tokens/code.tsv")),
    ("ai_saas.tsv", include_str!("tokens/ai_saas.tsv")),
    ("crypt.tsv", include_str!("tokens/crypt.tsv")),
];

/// An extra test on a token's body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// None.
    None,
    /// At least two of: a digit, an uppercase letter, a lowercase letter.
    Mixed,
    /// At least one digit.
    Digit,
    /// GitHub's CRC32 tail (the last six characters are the base62 CRC32 of the rest);
    /// a body failing it is still taken when it has digits and both cases.
    GithubCrc32,
    /// Discord's bot tokens: the first `.`-separated part is the unpadded base64url of the
    /// bot's numeric user id (17–20 digits).
    DiscordId,
}

/// One vendor-token row.
#[derive(Debug)]
pub(crate) struct TokenRow {
    pub kind: Kind,
    pub rule: &'static str,
    pub prefixes: Vec<&'static str>,
    /// The anchored body regex's source.
    pattern: String,
    /// The body as one class repeated (most rows), matched without the regex engine.
    simple: Option<SimpleBody>,
    /// The body regex, compiled on first use.
    body: OnceLock<Option<Regex>>,
    pub check: Check,
    pub ctx: Vec<&'static str>,
    /// The fixed part inside the token, for infix rows.
    pub infix: Option<&'static str>,
}

/// The parsed rows and the tables the scanner dispatches on.
pub(crate) struct TokenTable {
    rows: Vec<TokenRow>,
    kinds: Vec<Kind>,
    /// For each first byte, the set of second bytes a prefix continues with: one lookup
    /// rejects nearly every word start.
    pairs: Box<[[u64; 4]; 256]>,
    /// The pairs that are whole prefixes (`MT`, `SK`): a word start there needs no more.
    whole_pairs: Box<[[u64; 4]; 256]>,
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

/// The one token table, built from the row files on first use.
pub(crate) fn token_table() -> &'static TokenTable {
    static TABLE: LazyLock<TokenTable> = LazyLock::new(|| {
        TokenTable::parse(ROW_FILES).unwrap_or_else(|e| panic!("token catalogue: {e}"))
    });
    &TABLE
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
    pairs: &mut [[u64; 4]; 256],
    whole_pairs: &mut [[u64; 4]; 256],
    quads: &mut [u64; 1024],
) {
    set_bit(&mut pairs[usize::from(p[0])], p[1]);
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
        let mut rows: Vec<TokenRow> = Vec::new();
        let mut kinds: Vec<Kind> = Vec::new();
        for (file, text) in files {
            for (n, line) in text.lines().enumerate() {
                let at = |msg: &str| format!("{file}:{}: {msg}", n + 1);
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let cols: Vec<&'static str> = line.split_whitespace().collect();
                if cols.len() < 5 {
                    return Err(at("a row has kind, rule, prefixes, body and check"));
                }
                let snake = |s: &str| {
                    s.bytes().next().is_some_and(|c| c.is_ascii_lowercase())
                        && s.bytes()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
                };
                let (kind_name, rule) = (cols[0], cols[1]);
                if !snake(kind_name) || !snake(rule) {
                    return Err(at("kind and rule are snake_case"));
                }
                if rows.iter().any(|r| r.rule == rule) {
                    return Err(at(&format!("rule {rule} is declared twice")));
                }
                let prefixes: Vec<&'static str> = if cols[2] == "-" {
                    Vec::new()
                } else {
                    cols[2].split(',').collect()
                };
                if prefixes.iter().any(|p| {
                    p.len() < 2 || !matches!(p.as_bytes()[0], b'A'..=b'Z' | b'a'..=b'z' | b'$')
                }) {
                    return Err(at(
                        "prefixes start with an ASCII letter or $ and have 2+ bytes",
                    ));
                }
                // Checked here, compiled on first use: most rows never see their prefix,
                // and compiling all of them would cost every process tens of milliseconds.
                let pattern = format!("^(?:{})", cols[3]);
                let hir = regex_syntax::ParserBuilder::new()
                    .unicode(false)
                    .utf8(false)
                    .build()
                    .parse(cols[3])
                    .map_err(|e| at(&format!("body regex: {e}")))?;
                let simple = SimpleBody::from_hir(&hir);
                let check = match cols[4] {
                    "-" => Check::None,
                    "mixed" => Check::Mixed,
                    "digit" => Check::Digit,
                    "github_crc32" => Check::GithubCrc32,
                    "discord_id" => Check::DiscordId,
                    other => return Err(at(&format!("unknown check {other}"))),
                };
                let mut ctx = Vec::new();
                let mut infix = None;
                for extra in &cols[5..] {
                    if let Some(i) = extra.strip_prefix("infix=") {
                        let dot_word = i.len() >= 4
                            && i.starts_with('.')
                            && i.as_bytes()[1].is_ascii_alphabetic()
                            && i.as_bytes()[2..4].iter().all(u8::is_ascii_alphanumeric);
                        if !(i.contains('~') || dot_word) || infix.is_some() {
                            return Err(at("an infix= holds a ~ or is . and a word, once per row"));
                        }
                        infix = Some(i);
                        continue;
                    }
                    match extra.strip_prefix("ctx=") {
                        Some(list) => {
                            for word in list.split(',') {
                                if word.is_empty()
                                    || word.bytes().any(|c| c.is_ascii_uppercase() || c == b' ')
                                {
                                    return Err(at("ctx= keywords are lowercase words"));
                                }
                                ctx.push(word);
                            }
                        }
                        None => return Err(at(&format!("unknown column {extra}"))),
                    }
                }
                let anchors = usize::from(!prefixes.is_empty())
                    + usize::from(!ctx.is_empty())
                    + usize::from(infix.is_some());
                if anchors != 1 {
                    return Err(at("a row has one of prefixes, ctx= keywords or an infix="));
                }
                let kind = match kinds.iter().find(|k| k.name() == kind_name) {
                    Some(k) => k.clone(),
                    None => {
                        if super::STRUCTURAL_KINDS
                            .iter()
                            .any(|k| k.name() == kind_name)
                        {
                            return Err(at(&format!("kind {kind_name} is a structural kind")));
                        }
                        // Once per kind per process: the table lives as long as the process.
                        let placeholder: &'static str =
                            Box::leak(format!("[REDACTED:{kind_name}]").into_boxed_str());
                        let def: &'static KindDef = Box::leak(Box::new(KindDef {
                            name: kind_name,
                            placeholder,
                            action: None::<Redaction>,
                        }));
                        let k = Kind::built_in(def);
                        kinds.push(k.clone());
                        k
                    }
                };
                rows.push(TokenRow {
                    kind,
                    rule,
                    prefixes,
                    pattern,
                    simple,
                    body: OnceLock::new(),
                    check,
                    ctx,
                    infix,
                });
            }
        }
        let mut pairs = Box::new([[0u64; 4]; 256]);
        let mut whole_pairs = Box::new([[0u64; 4]; 256]);
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
                    add_prefix(p, &mut pairs, &mut whole_pairs, &mut quads);
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
                add_prefix(p, &mut pairs, &mut whole_pairs, &mut quads);
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
            pairs,
            whole_pairs,
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

    /// Can a prefix start at `i`? (No false negatives; few false positives.)
    #[inline]
    pub(crate) fn may_start(&self, b: &[u8], i: usize) -> bool {
        let byte = |k: usize| b.get(i + k).copied().unwrap_or(0);
        let (first, second) = (b[i], byte(1));
        if !has(&self.pairs[usize::from(first)], second) {
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
        // Keys are short: lowercase on the stack, and look for keywords only where one
        // can start.
        let ident = ident.as_bytes();
        if ident.len() > 64 {
            return None;
        }
        let mut buf = [0u8; 64];
        let lower = &mut buf[..ident.len()];
        lower.copy_from_slice(ident);
        lower.make_ascii_lowercase();
        let lower = &*lower;
        // Rows whose keyword the key holds, in catalogue order.
        let mut rows: [usize; 8] = [usize::MAX; 8];
        let mut n = 0;
        for p in 0..lower.len() {
            let second = lower.get(p + 1).copied().unwrap_or(0);
            if self.ctx_pairs[usize::from(lower[p])][usize::from(second >> 6)] >> (second & 63) & 1
                == 0
            {
                continue;
            }
            for &(keyword, r) in &self.ctx_keywords[usize::from(lower[p])] {
                if n < rows.len() && lower[p..].starts_with(keyword) && !rows[..n].contains(&r) {
                    rows[n] = r;
                    n += 1;
                }
            }
        }
        rows[..n].sort_unstable();
        rows[..n].iter().map(|&r| &self.rows[r]).find(|row| {
            row.body_len(value.as_bytes()) == Some(value.len())
                && row.check.passes(value.as_bytes(), 0)
                && !crate::detectors::vendor::is_placeholder_body(value.as_bytes())
        })
    }
}

/// A body that is one byte class repeated `min..=max` times (`[A-Za-z0-9]{36}`).
#[derive(Debug)]
struct SimpleBody {
    class: [bool; 256],
    min: usize,
    max: usize,
}

impl SimpleBody {
    fn from_hir(hir: &regex_syntax::hir::Hir) -> Option<SimpleBody> {
        use regex_syntax::hir::{Class, HirKind};
        let HirKind::Repetition(rep) = hir.kind() else {
            return None;
        };
        if !rep.greedy {
            return None;
        }
        let HirKind::Class(Class::Bytes(set)) = rep.sub.kind() else {
            return None;
        };
        let mut class = [false; 256];
        for range in set.ranges() {
            for c in range.start()..=range.end() {
                class[usize::from(c)] = true;
            }
        }
        Some(SimpleBody {
            class,
            min: rep.min as usize,
            max: rep.max.map_or(usize::MAX, |m| m as usize),
        })
    }

    /// The length of the greedy match at the start of `window`, as the regex gives it.
    fn match_len(&self, window: &[u8]) -> Option<usize> {
        let n = window
            .iter()
            .take(self.max)
            .take_while(|&&c| self.class[usize::from(c)])
            .count();
        (n >= self.min).then_some(n)
    }
}

impl TokenRow {
    /// The length of the body matched at the start of `window` (greedy, like the regex).
    pub(crate) fn body_len(&self, window: &[u8]) -> Option<usize> {
        match &self.simple {
            Some(simple) => simple.match_len(window),
            None => self.body()?.find(window).map(|m| m.end()),
        }
    }

    /// The body regex, compiled on first use (`None` if it does not compile, which the
    /// catalogue's tests rule out).
    pub(crate) fn body(&self) -> Option<&Regex> {
        self.body
            .get_or_init(|| {
                regex::bytes::RegexBuilder::new(&self.pattern)
                    .unicode(false)
                    .build()
                    .ok()
            })
            .as_ref()
    }
}

impl Check {
    /// Does `body` pass this check?
    /// Does `token` (its body from `body_from`, after the prefix) pass?
    pub(crate) fn passes(self, token: &[u8], body_from: usize) -> bool {
        let body = &token[body_from..];
        let digit = body.iter().any(u8::is_ascii_digit);
        let upper = body.iter().any(u8::is_ascii_uppercase);
        let lower = body.iter().any(u8::is_ascii_lowercase);
        match self {
            Check::None => true,
            Check::Mixed => u8::from(digit) + u8::from(upper) + u8::from(lower) >= 2,
            Check::Digit => digit,
            Check::GithubCrc32 => (digit && upper && lower) || github_crc32_ok(body),
            Check::DiscordId => discord_id_ok(token),
        }
    }
}

/// Is the part of `token` before its first `.` the unpadded base64url of 17–20 digits?
fn discord_id_ok(token: &[u8]) -> bool {
    let head = token.split(|&c| c == b'.').next().unwrap_or(token);
    // 17–20 bytes are 23–27 base64 characters; a 4-character group decodes to 3 bytes.
    if !(23..=27).contains(&head.len()) || head.len() % 4 == 1 {
        return false;
    }
    let sextet = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    };
    let mut bits = 0u32;
    let mut n = 0;
    for &c in head {
        let Some(v) = sextet(c) else {
            return false;
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            if !((bits >> n) as u8).is_ascii_digit() {
                return false;
            }
        }
    }
    true
}

/// GitHub's token checksum: the last six characters are the CRC32 of the characters before
/// them, in base62 (`0-9A-Za-z`), left-padded with `0`.
fn github_crc32_ok(body: &[u8]) -> bool {
    if body.len() < 7 {
        return false;
    }
    let (random, tail) = body.split_at(body.len() - 6);
    let mut n = crate::validate::crc32(random);
    let mut want = [b'0'; 6];
    for slot in want.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    n == 0 && want == tail
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_file_parses() {
        let table = token_table();
        assert!(!table.rows().is_empty());
        for row in table.rows() {
            assert!(
                row.body().is_some(),
                "{}: body regex does not compile",
                row.rule
            );
            for p in &row.prefixes {
                assert!(
                    table
                        .bucket(p.as_bytes()[0])
                        .iter()
                        .any(|(q, _)| q == &p.as_bytes()),
                    "{p} missing from its bucket"
                );
                let mut text = p.as_bytes().to_vec();
                text.push(b'A');
                assert!(table.may_start(&text, 0), "{p} rejected by the prefilter");
            }
        }
    }

    #[test]
    fn bad_rows_are_errors_naming_the_line() {
        for (bad, why) in [
            ("k r", "kind, rule"),
            ("K r ab_ [a-z]+ -", "snake_case"),
            ("k r 1a [a-z]+ -", "ASCII letter"),
            ("k r #a [a-z]+ -", "ASCII letter or $"),
            ("k r ab_ [a-z+ -", "body regex"),
            ("k r ab_ [a-z]+ nope", "unknown check"),
            ("k r - [a-z]+ -", "one of prefixes"),
            ("k r ab_ [a-z]+ - infix=.xyz.", "one of prefixes"),
            ("k r - [a-z]+ - infix=ab", "holds a ~"),
            ("k r - [a-z]+ - infix=a.b", "holds a ~"),
            ("k r ab_ [a-z]+ -\nk r cd_ [a-z]+ -", "declared twice"),
        ] {
            let err = TokenTable::parse(&[("t.tsv", bad)]).err().unwrap();
            assert!(err.starts_with("t.tsv:"), "{err}");
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn github_checksum() {
        // A body whose tail is the base62 CRC32 of its first 30 characters.
        let random = b"aBcDeFgHiJkLmNoPqRsTuVwXyZ0123";
        let mut n = crate::validate::crc32(random);
        let mut tail = [b'0'; 6];
        for slot in tail.iter_mut().rev() {
            *slot = BASE62[(n % 62) as usize];
            n /= 62;
        }
        let mut body = random.to_vec();
        body.extend_from_slice(&tail);
        assert!(github_crc32_ok(&body));
        body[0] = b'b';
        assert!(!github_crc32_ok(&body));
        // All lowercase, wrong checksum: not a token.
        assert!(!Check::GithubCrc32.passes(b"abcdefghijklmnopqrstuvwxyzabcdefghij", 0));
    }

    #[test]
    fn discord_ids_are_base64_digits() {
        // base64url("984710422264958674"), then the timestamp and HMAC parts.
        let token = b"OTg0NzEwNDIyMjY0OTU4Njc0.GVF5Rq.XDiJKDrXoHKDrJTamNSWc1zXyIn";
        assert!(Check::DiscordId.passes(token, 2));
        // base64url("98471042226495867a"): one letter in the id.
        assert!(!Check::DiscordId.passes(b"OTg0NzEwNDIyMjY0OTU4Njdh.GVF5Rq.XDiJKDrXoHKD", 2));
        // 16 digits is too short for an id; 25 characters is no base64 length.
        assert!(!Check::DiscordId.passes(b"OTg0NzEwNDIyMjY0OTU4.GVF5Rq.XDiJ", 2));
        assert!(!Check::DiscordId.passes(b"OTg0NzEwNDIyMjY0OTU4Njc0M.GVF5Rq.XDiJ", 2));
    }
}
