//! IBANs, checked with mod-97.

use crate::detectors::{at, cand, is_alnum, Cand, PRIO_PII};
use crate::kind::Kind;
use crate::validate::iban_mod97;

#[inline(never)]
pub(super) fn iban(b: &[u8], s: usize, out: &mut Vec<Cand>) -> Option<usize> {
    if !(b[s].is_ascii_uppercase()
        && at(b, s + 1).is_ascii_uppercase()
        && at(b, s + 2).is_ascii_digit()
        && at(b, s + 3).is_ascii_digit())
    {
        return None;
    }
    // Collect alphanumerics, allowing single spaces after groups of four.
    let mut compact: Vec<u8> = Vec::with_capacity(34);
    let mut ends: Vec<(usize, usize)> = Vec::new(); // (compact len, byte end) at group ends
    let mut i = s;
    let mut group = 0;
    while i < b.len() && compact.len() < 34 {
        let c = b[i];
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            compact.push(c);
            group += 1;
            i += 1;
        } else if c == b' '
            && group == 4
            && (at(b, i + 1).is_ascii_uppercase() || at(b, i + 1).is_ascii_digit())
        {
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
            out.push(cand(s, end, Kind::Iban, "iban", PRIO_PII));
            return Some(end);
        }
    }
    None
}
