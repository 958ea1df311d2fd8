//! IBANs (mod-97-checked). Never takes a run that fails the checksum.

use super::{at, cand, is_alnum, Cand, PRIO_PII};
use crate::kind::Kind;
use crate::validate::iban_mod97;

#[inline(never)]
pub(crate) fn iban(b: &[u8], s: usize, out: &mut Vec<Cand>) -> Option<usize> {
    if !(b[s].is_ascii_alphabetic()
        && at(b, s + 1).is_ascii_alphabetic()
        && at(b, s + 2).is_ascii_digit()
        && at(b, s + 3).is_ascii_digit())
    {
        return None;
    }
    // One case throughout (`DE89 …` or `de89 …`), one separator between groups of four.
    let lower = b[s].is_ascii_lowercase();
    if at(b, s + 1).is_ascii_lowercase() != lower {
        return None;
    }
    let letter = |c: u8| {
        if lower {
            c.is_ascii_lowercase()
        } else {
            c.is_ascii_uppercase()
        }
    };
    let mut sep = 0u8;
    // Collect alphanumerics, allowing a single space or dash after groups of four.
    let mut compact: Vec<u8> = Vec::with_capacity(34);
    let mut ends: Vec<(usize, usize)> = Vec::new(); // (compact len, byte end) at group ends
    let mut i = s;
    let mut group = 0;
    while i < b.len() && compact.len() < 34 {
        let c = b[i];
        if letter(c) || c.is_ascii_digit() {
            if sep != 0 && group == 4 {
                // Grouped IBANs are grouped all the way: a fifth character in a group after
                // a separator is something else (the 12-digit tail of a UUID).
                break;
            }
            compact.push(c.to_ascii_uppercase());
            group += 1;
            i += 1;
        } else if matches!(c, b' ' | b'-')
            && (sep == 0 || sep == c)
            && group == 4
            && (letter(at(b, i + 1)) || at(b, i + 1).is_ascii_digit())
        {
            sep = c;
            ends.push((compact.len(), i));
            group = 0;
            i += 1;
        } else {
            break;
        }
    }
    if is_alnum(at(b, i)) {
        // Glued to more text: only the grouped prefixes can be an IBAN.
    } else {
        ends.push((compact.len(), i));
    }
    for &(len, end) in ends.iter().rev() {
        if (15..=34).contains(&len) && iban_mod97(&compact[..len]) {
            out.push(cand(s, end, Kind::IBAN, "iban", PRIO_PII));
            return Some(end);
        }
    }
    // IBAN-shaped (grouped in fours, 15 characters or more) but failing mod-97: a typo'd
    // IBAN, whose digit groups are no phone or card number either.
    match ends.iter().rev().find(|&&(len, _)| len >= 15) {
        Some(&(_, end)) if ends.len() >= 3 => Some(end),
        _ => None,
    }
}
