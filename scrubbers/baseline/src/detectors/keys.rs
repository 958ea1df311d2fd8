//! Secret-by-key-name rules: which keys hold secrets, and which values look like one.

use crate::kind::Kind;

/// Splits an identifier into lowercase segments at `_ - . space` and camelCase humps,
/// writing the lowercase identifier to `buf` and segment ranges to `segs`.
fn segments(ident: &str, buf: &mut [u8; 64], segs: &mut [(u8, u8); 12]) -> usize {
    let mut n = 0usize;
    let mut len = 0usize;
    let mut cur_start: Option<usize> = None;
    let mut prev_lower = false;
    let mut close = |st: usize, len: usize, n: &mut usize| {
        if *n < segs.len() {
            segs[*n] = (st as u8, len as u8);
            *n += 1;
        }
    };
    for &c in ident.as_bytes() {
        if len >= buf.len() {
            break;
        }
        if !c.is_ascii_alphanumeric() {
            if let Some(st) = cur_start.take() {
                close(st, len, &mut n);
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower {
            if let Some(st) = cur_start.take() {
                close(st, len, &mut n);
            }
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        if cur_start.is_none() {
            cur_start = Some(len);
        }
        buf[len] = c.to_ascii_lowercase();
        len += 1;
    }
    if let Some(st) = cur_start {
        close(st, len, &mut n);
    }
    n
}

/// Classifies a key name (`DB_PASSWORD`, `x-api-key`, `AWS_SECRET_ACCESS_KEY`) as holding
/// a secret of some kind, or `None` for ordinary keys and metadata about secrets.
pub(crate) fn classify_key(ident: &str) -> Option<Kind> {
    if ident.len() > 64 {
        return None;
    }
    let mut buf = [0u8; 64];
    let mut ranges = [(0u8, 0u8); 12];
    let n = segments(ident, &mut buf, &mut ranges);
    if n == 0 {
        return None;
    }
    // Segments hold lowercase ASCII alphanumerics only, so bytes compare like text.
    let seg = |i: usize| {
        let (a, b) = ranges[i];
        &buf[a as usize..b as usize]
    };
    // Metadata about a secret (`max_tokens`, `token_count`, `password_min_length`,
    // `session_id`, `token_type`) ends in a segment that is not a secret noun, so only the
    // last segment decides.
    let last = seg(n - 1);
    let has = |s: &[u8]| (0..n).any(|i| seg(i) == s);
    let prev: &[u8] = if n >= 2 { seg(n - 2) } else { b"" };
    let kind = match last {
        b"password" | b"passwd" | b"pwd" | b"pass" | b"passphrase" | b"pw" => Kind::Password,
        b"secret" if has(b"aws") => Kind::AwsSecretKey,
        b"secret" | b"credentials" | b"credential" | b"creds" => Kind::Secret,
        b"token" | b"jwt" => Kind::Token,
        b"apikey" => Kind::ApiKey,
        b"cookie" | b"cookies" => Kind::Cookie,
        b"session" | b"sessionid" | b"sid" if n <= 2 => Kind::Cookie,
        b"authorization" | b"auth" => Kind::BearerToken,
        b"key" => match prev {
            b"api" => Kind::ApiKey,
            b"access" | b"secret" if has(b"aws") && has(b"secret") => Kind::AwsSecretKey,
            b"secret" | b"private" | b"signing" | b"master" | b"encryption" | b"client"
            | b"session" | b"auth" | b"license" | b"service" | b"account" | b"app" | b"webhook"
            | b"admin" => Kind::Secret,
            b"access" if has(b"secret") => Kind::Secret,
            _ => return None,
        },
        l if l.ends_with(b"password") || l.ends_with(b"passwd") => Kind::Password,
        l if l.ends_with(b"secret") => Kind::Secret,
        l if l.ends_with(b"token") => Kind::Token,
        l if l.ends_with(b"apikey") => Kind::ApiKey,
        l if l.ends_with(b"secretkey")
            || l.ends_with(b"privatekey")
            || l.ends_with(b"accesskey") =>
        {
            Kind::Secret
        }
        _ => return None,
    };
    Some(kind)
}

/// Lowercase values that are statuses, types or booleans rather than secrets.
const NOT_SECRET_WORDS: &[&str] = &[
    "true",
    "false",
    "null",
    "none",
    "nil",
    "undefined",
    "yes",
    "no",
    "on",
    "off",
    "required",
    "optional",
    "empty",
    "redacted",
    "filtered",
    "hidden",
    "masked",
    "secret",
    "password",
    "token",
    "invalid",
    "incorrect",
    "missing",
    "wrong",
    "expired",
    "revoked",
    "set",
    "unset",
    "ok",
    "n/a",
    "na",
    "string",
    "str",
    "bool",
    "boolean",
    "int",
    "integer",
    "number",
    "object",
    "any",
    "bearer",
    "basic",
    "present",
    "absent",
    "valid",
    "changed",
    "provided",
    "omitted",
    "not",
    "is",
    "was",
    "must",
    "should",
    "the",
    "a",
    "an",
    "too",
    "and",
    "or",
];

/// Whether `v`, found under a key classified as `kind`, is shaped like a secret rather than
/// a counter, a boolean, a status word, a template or an already redacted placeholder.
pub(crate) fn is_secret_value(kind: &Kind, v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() || v.len() > 8192 {
        return false;
    }
    let b = v.as_bytes();
    // Already redacted or a bracketed marker like [FILTERED].
    if b[0] == b'[' && b[b.len() - 1] == b']' && !v[1..v.len() - 1].contains(char::is_whitespace) {
        return false;
    }
    // Templates and references: ${VAR}, {{ x }}, %(x)s, <token>, $ENV_VAR, process.env.X.
    if v.starts_with("${")
        || v.starts_with("{{")
        || v.starts_with("%(")
        || v.starts_with("%s")
        || (b[0] == b'<' && b[b.len() - 1] == b'>')
        || v.starts_with("process.env")
        || v.starts_with("os.environ")
        || (b[0] == b'$'
            && b.len() > 1
            && b[1..]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_'))
    {
        return false;
    }
    // Masks: ****, xxxx, ••••.
    if v.chars()
        .all(|c| c == '*' || c == 'x' || c == 'X' || c == '•' || c == '.')
    {
        return false;
    }
    if v.len() <= 10 && NOT_SECRET_WORDS.iter().any(|w| w.eq_ignore_ascii_case(v)) {
        return false;
    }
    let all_digits = b.iter().all(u8::is_ascii_digit);
    let numberish = b
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'));
    match kind {
        Kind::Password => {
            if all_digits {
                return b.len() >= 4;
            }
            if numberish && b.len() < 4 {
                return false;
            }
            b.len() >= 3
        }
        _ => {
            if numberish {
                return false;
            }
            if b.len() < 8 {
                return false;
            }
            // A plain word or a sentence is not a credential; a credential has digits,
            // mixed case or symbols, or is long.
            let (mut has_digit, mut has_upper, mut has_lower) = (false, false, false);
            let (mut has_symbol, mut has_space) = (false, false);
            for &c in b {
                match c {
                    b'0'..=b'9' => has_digit = true,
                    b'A'..=b'Z' => has_upper = true,
                    b'a'..=b'z' => has_lower = true,
                    b' ' => has_space = true,
                    b'_' | b'-' => {}
                    _ => has_symbol = true,
                }
            }
            if has_space {
                return false;
            }
            has_digit || (has_upper && has_lower) || has_symbol || b.len() >= 24
        }
    }
}
