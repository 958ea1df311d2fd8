//! The extra tests on a token's body (the rows' `check` column).

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

impl Check {
    /// Does `body` pass this check?
    /// Does `token` (its body from `body_from`, after the prefix) pass?
    pub(crate) fn passes(self, token: &[u8], body_from: usize) -> bool {
        let body = &token[body_from..];
        let (digit, upper, lower) = cases(body);
        match self {
            Check::None => true,
            Check::Mixed => u8::from(digit) + u8::from(upper) + u8::from(lower) >= 2,
            Check::Digit => digit,
            Check::GithubCrc32 => (digit && upper && lower) || github_crc32_ok(body),
            Check::DiscordId => discord_id_ok(token),
        }
    }
}

/// Whether `body` holds a digit, an uppercase letter and a lowercase letter: one pass
/// with a table, not three.
fn cases(body: &[u8]) -> (bool, bool, bool) {
    const DIGIT: u8 = 1;
    const UPPER: u8 = 2;
    const LOWER: u8 = 4;
    static CASE: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut c = 0;
        while c < 256 {
            let b = c as u8;
            t[c] = if b.is_ascii_digit() {
                DIGIT
            } else if b.is_ascii_uppercase() {
                UPPER
            } else if b.is_ascii_lowercase() {
                LOWER
            } else {
                0
            };
            c += 1;
        }
        t
    };
    let mut seen = 0u8;
    for &c in body {
        seen |= CASE[usize::from(c)];
        if seen == DIGIT | UPPER | LOWER {
            break;
        }
    }
    (seen & DIGIT != 0, seen & UPPER != 0, seen & LOWER != 0)
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
