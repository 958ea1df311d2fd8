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
//!
//! [`row`] reads the rows, [`table`] builds the dispatch table the scanner uses, and
//! [`check`] holds the extra tests a token's body may have to pass.

use std::sync::LazyLock;

mod check;
mod row;
mod table;

pub(crate) use check::Check;
pub(crate) use row::TokenRow;
pub(crate) use table::{ContextRows, TokenTable};

/// The row files, by vendor group.
const ROW_FILES: &[(&str, &str)] = &[
    ("cloud.tsv", include_str!("tokens/cloud.tsv")),
    ("code.tsv", include_str!("tokens/code.tsv")),
    ("ai_saas.tsv", include_str!("tokens/ai_saas.tsv")),
    ("crypt.tsv", include_str!("tokens/crypt.tsv")),
];

/// The one token table, built from the row files on first use.
pub(crate) fn token_table() -> &'static TokenTable {
    static TABLE: LazyLock<TokenTable> = LazyLock::new(|| {
        TokenTable::parse(ROW_FILES).unwrap_or_else(|e| panic!("token catalogue: {e}"))
    });
    &TABLE
}

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
}
