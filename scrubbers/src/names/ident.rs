//! `first.last` and `first_last` identifiers that name a person, after a word that says
//! so (`user "deloris.dye"`, `login=pawel_kowalczyk`, `uid=mette.sorensen`, `account
//! kwame.mensah`) or in quotes when both parts are clear names (`'janet.stephens'`).

use std::ops::Range;

use super::cues::{STRONG, WEAK};
use super::fold::fold_into;
use super::lexicon::lookup;

const THRESHOLD: i32 = 6;

/// Words right before an identifier (then only ` `, `:`, `=`, `"`, `'`, `(`) that make it
/// a person's account.
const CUES: &[&str] = &[
    "user",
    "username",
    "login",
    "logon",
    "uid",
    "account",
    "owner",
    "author",
    "assignee",
    "member",
    "as",
    "by",
    "for",
    "principal",
    "cn",
    "sam",
    "samaccountname",
    "email",
];

fn is_letter(b: u8) -> bool {
    b.is_ascii_alphabetic()
}

/// Bytes that glue an identifier to more code on either side (`a.b.c`, `x/a.b`, `a.b@h`).
fn glued(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-' | b'/' | b'\\' | b'$')
}

/// Points for the words before byte `start`: a cue word, and a quote.
fn context(b: &[u8], start: usize) -> (bool, Option<u8>) {
    let mut i = start;
    let quote = match i.checked_sub(1).map(|k| b[k]) {
        Some(q @ (b'"' | b'\'' | b'`')) => {
            i -= 1;
            Some(q)
        }
        _ => None,
    };
    while i > 0 && matches!(b[i - 1], b' ' | b':' | b'=' | b'(' | b'"' | b'\'') {
        i -= 1;
    }
    let end = i;
    while i > 0 && b[i - 1].is_ascii_alphabetic() {
        i -= 1;
    }
    let word = &b[i..end];
    let cue = !word.is_empty() && CUES.iter().any(|c| c.as_bytes().eq_ignore_ascii_case(word));
    (cue, quote)
}

/// Appends the identifiers in `text` that name a person, at the `.` and `_` positions
/// `joints` yields, in order (it may yield other positions too: they are skipped).
pub(crate) fn find_at(
    text: &str,
    joints: impl super::detector::Positions,
    key: &mut Vec<u8>,
    out: &mut Vec<Range<usize>>,
) {
    let b = text.as_bytes();
    joints.each(|joint| {
        if joint == 0
            || !matches!(b[joint], b'.' | b'_')
            || !b.get(joint + 1).copied().is_some_and(is_letter)
        {
            return joint + 1;
        }
        let mut start = joint;
        while start > 0 && is_letter(b[start - 1]) {
            start -= 1;
        }
        let mut end = joint + 1;
        while end < b.len() && is_letter(b[end]) {
            end += 1;
        }
        if joint - start < 2
            || end - joint - 1 < 2
            || (start > 0 && glued(b[start - 1]))
            || b.get(end).copied().is_some_and(glued)
        {
            return end;
        }
        // Most dotted words (`db.ts`, `user.name`) have neither a quote nor a cue before.
        if !matches!(
            b.get(start.wrapping_sub(1)),
            Some(b' ' | b':' | b'=' | b'(' | b'"' | b'\'' | b'`')
        ) {
            return end;
        }
        let (cue, quote) = context(b, start);
        let quoted = quote.is_some_and(|q| b.get(end) == Some(&q));
        if !cue && !quoted {
            return end;
        }
        if !fold_into(&text[start..joint], key) {
            return end;
        }
        let first = lookup(key);
        if !fold_into(&text[joint + 1..end], key) {
            return end;
        }
        let last = lookup(key);
        if first.given() == 0 || !(last.surname() > 0 || (cue && last.is_unknown())) {
            return end;
        }
        let clear = !first.is_ambiguous() && (last.is_unknown() || !last.is_ambiguous());
        let points = if clear { 3 } else { 1 }
            + if cue { STRONG } else { 0 }
            + if quoted { WEAK } else { 0 };
        if points >= THRESHOLD {
            out.push(start..end);
        }
        end
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let joints = crate::names::detector::OwnJoints(text);
        find_at(text, joints, &mut Vec::new(), &mut out);
        out.into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn finds_accounts_after_cues_and_in_quotes() {
        assert_eq!(
            found(r#"denied for user "deloris.dye" on"#),
            ["deloris.dye"]
        );
        assert_eq!(found("login=pawel_kowalczyk result=x"), ["pawel_kowalczyk"]);
        assert_eq!(found("owner = 'janet.stephens'"), ["janet.stephens"]);
        assert_eq!(found("see 'janet.stephens' here"), ["janet.stephens"]);
        assert!(found("import 'mark.read'").is_empty());
        assert!(found("open src/lib/db.ts and user.name").is_empty());
        assert!(found("user a.b.c").is_empty());
    }
}
