//! Which ids a caller may name with only a project key, and comparing secrets.

/// Whether `id` cannot be guessed: a UUID (not the nil or max one), or at least 32 hex
/// digits, not all the same — what the SDK's machine ids and PostHog's anonymous ids are.
/// Only the machine or browser that made such an id holds it, so holding it proves being
/// that person. An email, a user name or a short number can be guessed: erasing or
/// exporting those takes the tenant's admin token.
pub fn is_unguessable(id: &str) -> bool {
    let hex: Vec<u8> = match uuid::Uuid::try_parse(id) {
        Ok(uuid) if !uuid.is_nil() && !uuid.is_max() => return true,
        Ok(_) => return false,
        Err(_) => id.bytes().collect(),
    };
    hex.len() >= 32
        && hex.iter().all(u8::is_ascii_hexdigit)
        && hex.iter().any(|b| !b.eq_ignore_ascii_case(&hex[0]))
}

/// Whether two secrets are equal, in time that depends on their lengths only (a token
/// compared byte by byte with an early exit would leak how much of it a guess got right).
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    let differ = given
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| std::hint::black_box(acc | (a ^ b)));
    differ == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_nobody_can_guess_are_self_service() {
        for id in [
            "01890f3e-5b1a-7c4e-9a2b-3c4d5e6f7a8b",
            "6f1c2a9e8b7d4c3f2a1b0c9d8e7f6a5b",
            "6F1C2A9E8B7D4C3F2A1B0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D0E9F",
        ] {
            assert!(is_unguessable(id), "{id}");
        }
        for id in [
            "ann@example.com",
            "ann",
            "12345",
            "",
            "00000000-0000-0000-0000-000000000000",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "00000000000000000000000000000000",
            "6f1c2a9e8b7d4c3f2a1b0c9d8e7f6a5",
            "6f1c2a9e8b7d4c3f2a1b0c9d8e7f6a5z",
        ] {
            assert!(!is_unguessable(id), "{id}");
        }
    }

    #[test]
    fn secrets_match_only_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }
}
