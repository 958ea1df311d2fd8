//! Our own output (`[EMAIL]`, `[REDACTED:…]`, `[HASH:…]`): found so that scrubbing is
//! idempotent. Never takes anything that is not one of our placeholders.

/// Our own output, so scrubbing is idempotent.
pub(crate) const PLACEHOLDERS: &[&[u8]] = &[
    b"[EMAIL]",
    b"[PHONE]",
    b"[IP]",
    b"[CREDIT_CARD]",
    b"[IBAN]",
    b"[SSN]",
    b"[MAC]",
    b"[USER]",
    b"[NAME]",
    b"[PERSON]",
];

/// Does `s` contain one of our own placeholders?
pub(crate) fn contains_placeholder(s: &str) -> bool {
    s.match_indices('[')
        .any(|(i, _)| starts_with_placeholder(&s[i..]))
}

/// Does `s` start with one of our own placeholders?
pub(crate) fn starts_with_placeholder(s: &str) -> bool {
    s.starts_with("[REDACTED:")
        || s.starts_with("[HASH:")
        || [
            "[EMAIL]",
            "[PHONE]",
            "[IP]",
            "[CREDIT_CARD]",
            "[IBAN]",
            "[SSN]",
            "[MAC]",
            "[USER]",
            "[NAME]",
            "[PERSON]",
        ]
        .iter()
        .any(|p| s.starts_with(p))
}
