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

/// What a key name says about its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyClass {
    /// The kind a secret value behind the key is redacted as.
    pub kind: Kind,
    /// The key names a secret only loosely (`key`, `sig`, `auth`, `session`, `pat`,
    /// `private`): its value must also look random (see [`is_secret_value`]).
    pub weak: bool,
}

/// `<word>_key` names that are not secrets: database, cache and map keys, public keys.
const PLAIN_KEYS: &[&[u8]] = &[
    b"public",
    b"primary",
    b"foreign",
    b"sort",
    b"partition",
    b"cache",
    b"lookup",
    b"idempotency",
    b"routing",
    b"shard",
    b"object",
    b"item",
    b"row",
    b"column",
    b"unique",
    b"composite",
    b"i18n",
    b"translation",
    b"map",
    b"dict",
    b"index",
    b"group",
    b"record",
    b"table",
    b"field",
    b"label",
    b"dedup",
    b"dedupe",
    b"query",
    b"hot",
    b"short",
    b"keyboard",
    b"pub",
    b"ssh",
    b"gpg",
    b"pgp",
    b"react",
    b"list",
    b"event",
    b"message",
    b"redis",
    b"bucket",
    b"s3",
    b"file",
    b"path",
    b"config",
    b"setting",
    b"locale",
    b"lang",
    b"order",
    b"range",
    b"lock",
    b"cursor",
    b"page",
    b"next",
    b"prev",
    b"parent",
    b"child",
    b"node",
    b"entity",
    b"model",
    b"type",
    b"schema",
    b"metric",
    b"tag",
    b"name",
    b"user",
    b"sequence",
    b"batch",
    b"job",
    b"task",
];

/// Classifies a key name (`DB_PASSWORD`, `x-api-key`, `AWS_SECRET_ACCESS_KEY`) as holding
/// a secret of some kind, or `None` for ordinary keys and metadata about secrets. Decided
/// once per name per thread (see [`key_facts`](super::key_cache::key_facts)).
pub(crate) fn classify_key(ident: &str) -> Option<KeyClass> {
    super::key_cache::key_facts(ident, |facts| facts.class.clone())
}

/// [`classify_key`], decided afresh.
pub(crate) fn classify_key_fresh(ident: &str) -> Option<KeyClass> {
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
    let strong = |kind| Some(KeyClass { kind, weak: false });
    let weak = |kind| Some(KeyClass { kind, weak: true });
    match last {
        b"password" | b"passwd" | b"pwd" | b"pass" | b"passphrase" | b"pw" => {
            strong(Kind::PASSWORD)
        }
        b"phrase" if prev == b"pass" => strong(Kind::PASSWORD),
        // GCP service-account JSON: `"private_key_id": "<40 hex>"`.
        b"id" if prev == b"key" && has(b"private") => strong(Kind::SECRET),
        b"secret" if has(b"aws") => strong(Kind::AWS_SECRET_KEY),
        b"secret" | b"credentials" | b"credential" | b"creds" => strong(Kind::SECRET),
        // Rails' `secret_key_base`.
        b"base" if prev == b"key" && has(b"secret") => strong(Kind::SECRET),
        b"secretkeybase" => strong(Kind::SECRET),
        b"token" | b"jwt" => strong(Kind::TOKEN),
        b"pat" => weak(Kind::TOKEN),
        b"apikey" => strong(Kind::API_KEY),
        b"signature" | b"sig" => weak(Kind::SECRET),
        b"private" => weak(Kind::SECRET),
        b"cookie" | b"cookies" => strong(Kind::COOKIE),
        b"session" | b"sessionid" | b"sid" if n <= 2 => weak(Kind::COOKIE),
        b"authorization" => strong(Kind::BEARER_TOKEN),
        // `AuthenticationHeaderValue("Bearer", "…")`
        b"bearer" if n == 1 => weak(Kind::BEARER_TOKEN),
        b"auth" | b"oauth" => weak(Kind::BEARER_TOKEN),
        b"key" => match prev {
            b"" => weak(Kind::SECRET),
            b"api" => strong(Kind::API_KEY),
            b"access" | b"secret" if has(b"aws") => strong(Kind::AWS_SECRET_KEY),
            b"secret" | b"private" | b"signing" | b"master" | b"encryption" | b"client"
            | b"session" | b"auth" | b"license" | b"service" | b"account" | b"app" | b"webhook"
            | b"admin" | b"access" | b"hmac" | b"crypto" | b"decryption" | b"jwt" | b"recovery"
            | b"deploy" | b"backup" | b"root" | b"shared" | b"psk" | b"pre" | b"wireguard"
            | b"enc" | b"cipher" | b"aes" | b"consumer" | b"partner" => strong(Kind::SECRET),
            p if PLAIN_KEYS.contains(&p) => None,
            _ => weak(Kind::SECRET),
        },
        l if l.ends_with(b"password") || l.ends_with(b"passwd") => strong(Kind::PASSWORD),
        l if l.ends_with(b"secret") => strong(Kind::SECRET),
        l if l.ends_with(b"token") => strong(Kind::TOKEN),
        l if l.ends_with(b"apikey") => strong(Kind::API_KEY),
        l if l.ends_with(b"secretkey")
            || l.ends_with(b"privatekey")
            || l.ends_with(b"accesskey")
            || l.ends_with(b"accountkey") =>
        {
            strong(Kind::SECRET)
        }
        _ => None,
    }
}

/// Lowercase values that are statuses, types or booleans rather than secrets.
pub(crate) const NOT_SECRET_WORDS: &[&str] = &[
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
    "changeme",
    "changeit",
    "change_me",
    "include",
    "omit",
    "same-origin",
    "default",
    "enabled",
    "disabled",
    "none",
    "public",
    "private",
    "internal",
    "inline",
    "environment",
    "keychain",
    "keyring",
    "oauth",
    "oauth2",
    "saml",
    "ldap",
    "sso",
    "jwt",
    "apikey",
    "api_key",
    "session",
    "cookie",
    "header",
    "query",
    "body",
    "form",
    "file",
    "env",
    "unknown",
    "rotated",
    "generated",
    "pending",
    "active",
    "inactive",
    "secure",
    "insecure",
    "strict",
    "lax",
    "httponly",
    "unlimited",
    "disabled",
    "sha256",
    "sha512",
    "hs256",
    "rs256",
    "es256",
    "base64",
    "hex",
    "utf-8",
    "utf8",
    "test",
    "negotiate",
    "ntlm",
    "kerberos",
];

/// A YAML tag standing for the value (`!Ref DbPassword`, `!vault |`): `!` and a word, then
/// a space or the end. (`!E0SXcS…` is a password that starts with `!`.)
fn is_yaml_tag(b: &[u8]) -> bool {
    b.len() > 1
        && b[0] == b'!'
        && b[1].is_ascii_alphabetic()
        && b[1..]
            .iter()
            .position(|c| !c.is_ascii_alphanumeric() && *c != b'_')
            .is_none_or(|p| b[1 + p] == b' ')
}

/// A type in a declaration (`api_key: Optional[str] = None`, `secret_key: SecretString,`):
/// a capitalised identifier with no digits, CamelCase or generic.
fn is_type_name(b: &[u8]) -> bool {
    b[0].is_ascii_uppercase()
        && b.iter().all(|c| {
            c.is_ascii_alphabetic() || matches!(c, b'[' | b']' | b'<' | b'>' | b'?' | b'_')
        })
        && ((b.iter().filter(|c| c.is_ascii_uppercase()).count() >= 2
            && b.iter().any(u8::is_ascii_lowercase))
            || b.iter().any(|c| matches!(c, b'[' | b'<' | b'?'))
            || [&b"String"[..], b"Str", b"Any", b"Text", b"Secret", b"Bytes"].contains(&b))
}

/// Does `b` start with one of [`REFERENCE_PREFIXES`]? Each holds a `.`, `(`, `[` or
/// `:` within its first 24 bytes, which most values lack.
fn is_reference(b: &[u8]) -> bool {
    // Every prefix is letters (or `$`) and then one of these bytes: a value whose first
    // other byte is not one is no reference (random values mostly fail at once).
    let word = b
        .iter()
        .position(|c| !(c.is_ascii_alphabetic() || *c == b'$'))
        .unwrap_or(b.len());
    word > 0
        && matches!(b.get(word), Some(b'.' | b'(' | b'[' | b':' | b'/' | b'+'))
        && REFERENCE_PREFIXES
            .iter()
            .any(|p| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
}

/// Where a value stands, for [`is_secret_value`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ValueContext {
    /// A URL query parameter (`?apikey=…&`): short values count.
    pub query: bool,
    /// The value was quoted (or is a whole JSON string): inner spaces are part of it.
    pub quoted: bool,
}

/// Values that point at a secret instead of holding one: environment and config lookups.
const REFERENCE_PREFIXES: &[&str] = &[
    "process.env",
    "os.environ",
    "os.getenv",
    "import.meta.env",
    "system.getenv",
    "env.",
    "env[",
    "env(",
    "secrets.",
    "vars.",
    "config.",
    "settings.",
    "self.",
    "this.",
    "args.",
    "opts.",
    "options.",
    "params.",
    "props.",
    "req.",
    "request.",
    "ctx.",
    "context.",
    "getenv(",
    "deno.env",
    "vault:",
    "ssm:",
    "arn:",
    "op://",
    "ref+",
    "projects/",
    "$env:",
    "enc[",
];

/// Whether `v`, found under a key classified as `key`, is shaped like a secret rather than
/// a counter, a boolean, a status word, a template, a reference to a secret stored
/// elsewhere, a documentation placeholder or an already redacted placeholder.
///
/// Behind a key that names a credential, any alphabet counts (all digits, all hex, one
/// case, inner spaces); behind a weak key (`key`, `sig`, `auth`…) the value must look
/// random.
pub(crate) fn is_secret_value(key: &KeyClass, v: &str, at: ValueContext) -> bool {
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
        || v.starts_with("$(")
        || v.starts_with("$_")
        || v.starts_with("{{")
        || is_yaml_tag(b)
        || (b[0] == b'%' && b.len() > 2 && b[b.len() - 1] == b'%')
        || v.starts_with("%(")
        || v.starts_with("%s")
        || v.starts_with("#{")
        || (b[0] == b'<' && b[b.len() - 1] == b'>')
        || (b[0] == b'$'
            && b.len() > 1
            && b[1..]
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'_'))
        || is_reference(b)
    {
        return false;
    }
    // `@password` (SQL and template variables), `{password}` (format fields), a type.
    if (b[0] == b'@'
        && b.len() > 1
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'@')))
        || (b[0] == b'{'
            && b[b.len() - 1] == b'}'
            && b[1..b.len() - 1]
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'_'))
        || (!at.quoted && is_type_name(b))
    {
        return false;
    }
    // A call (`getenv("X")`, `read_secret(…)`): a lookup, not the value.
    if let Some(open) = memchr::memchr(b'(', b) {
        if open > 0
            && v[..open]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':'))
        {
            return false;
        }
    }
    // An environment variable's name (`GITHUB_TOKEN`): a reference.
    if b.len() >= 3
        && b.contains(&b'_')
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
        && b.iter().filter(|c| c.is_ascii_digit()).count() <= 1
    {
        return false;
    }
    // Masks and documentation placeholders: ****, xxxx, ••••, EXAMPLE, your-key-here.
    if b.iter()
        .all(|&c| matches!(c, b'*' | b'x' | b'X' | b'.' | b'-'))
        || v.chars().all(|c| c == '•')
        || super::vendor::is_placeholder_body(b)
    {
        return false;
    }
    // `changeme` guards nothing as an API key, but it is the password of a default setup.
    let default_password = key.kind == Kind::PASSWORD
        && ["changeme", "changeit", "change_me"]
            .iter()
            .any(|w| w.eq_ignore_ascii_case(v));
    if v.len() <= 12
        && !default_password
        && NOT_SECRET_WORDS.iter().any(|w| w.eq_ignore_ascii_case(v))
    {
        return false;
    }
    if (matches!(b[0], b'p' | b's' | b'e') && PUBLIC_PREFIXES.iter().any(|p| v.starts_with(p)))
        || is_placeholder_phrase(b)
    {
        return false;
    }
    let all_digits = b.iter().all(u8::is_ascii_digit);
    let numberish = b
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'));
    if key.weak {
        return looks_random(b);
    }
    if key.kind == Kind::PASSWORD {
        if all_digits {
            return b.len() >= 4;
        }
        if numberish && b.len() < 4 {
            return false;
        }
        return b.len() >= 3;
    }
    if all_digits {
        // Counters, ports, timeouts are short; numeric credentials (PINs aside) are not.
        return b.len() >= 8;
    }
    if numberish {
        return false;
    }
    let min = if at.query { 4 } else { 6 };
    if b.len() < min {
        return false;
    }
    // (Bytes for ASCII values: the same spaces as `char::is_whitespace`, `\x0B` included.)
    let spaced = if v.is_ascii() {
        b.iter()
            .any(|c| matches!(c, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r'))
    } else {
        v.contains(char::is_whitespace)
    };
    if spaced {
        // `FlyV1 fm2_…`: a scheme word and a credential; a quoted passphrase. Prose
        // (`"is missing"`, `"not set"`) is not a credential.
        let mut words = v.split_whitespace();
        return words.clone().any(|w| looks_random(w.as_bytes()))
            || (at.quoted
                && words.clone().count() >= 2
                && !words.any(|w| {
                    let w = w.trim_matches(|c: char| !c.is_alphanumeric());
                    PROSE_WORDS.iter().any(|s| s.eq_ignore_ascii_case(w))
                }));
    }
    true
}

/// Words that make a quoted value with spaces a message, not a passphrase.
const PROSE_WORDS: &[&str] = &[
    "is",
    "was",
    "are",
    "not",
    "missing",
    "invalid",
    "expired",
    "required",
    "unset",
    "must",
    "should",
    "be",
    "has",
    "have",
    "no",
    "none",
    "null",
    "undefined",
    "empty",
    "wrong",
    "incorrect",
    "failed",
    "see",
    "use",
    "from",
    "for",
    "of",
    "in",
    "to",
    "the",
    "set",
    "please",
    "enter",
    "your",
    "here",
    "will",
    "can",
    "cannot",
    "did",
    "does",
];

/// Keys that are public by design: PostHog project keys, Stripe publishable keys, PubNub
/// publish and subscribe keys, Mapbox and Langfuse public keys, SSH public keys.
const PUBLIC_PREFIXES: &[&str] = &[
    "phc_",
    "pk_live_",
    "pk_test_",
    "pub-c-",
    "sub-c-",
    "pk.eyJ",
    "pk-lf-",
    "ssh-rsa ",
    "ssh-ed25519 ",
    "ecdsa-sha2-",
];

/// Words that make a lowercase value a stand-in (`test_key`, `sandbox-secret`,
/// `whsec_test_secret`).
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"test",
    b"secret",
    b"key",
    b"token",
    b"password",
    b"passwd",
    b"sandbox",
    b"demo",
    b"fake",
    b"dummy",
    b"example",
    b"sample",
    b"changeme",
    b"placeholder",
    b"mock",
    b"todo",
    b"dev",
    b"local",
    b"my",
    b"your",
    b"here",
    b"value",
    b"api",
    b"default",
    b"replace",
    b"me",
    b"insert",
    b"enter",
    b"fill",
    b"put",
    b"generate",
    b"random",
    b"long",
];

/// A value of lowercase words (no digits) of which one is a stand-in word.
fn is_placeholder_phrase(b: &[u8]) -> bool {
    b.iter()
        .all(|c| c.is_ascii_lowercase() || matches!(c, b'_' | b'-' | b'.'))
        && b.split(|c| matches!(c, b'_' | b'-' | b'.'))
            .filter(|w| !w.is_empty())
            .any(|w| PLACEHOLDER_WORDS.contains(&w))
        && b.iter().any(|c| matches!(c, b'_' | b'-' | b'.'))
}

/// Does `b` look like generated key material rather than a word, a name or a number?
pub(crate) fn looks_random(b: &[u8]) -> bool {
    if b.len() < 8 {
        return false;
    }
    let (mut digit, mut upper, mut lower, mut symbol, mut space) = (0, 0, 0, 0, false);
    for &c in b {
        match c {
            b'0'..=b'9' => digit += 1,
            b'A'..=b'Z' => upper += 1,
            b'a'..=b'z' => lower += 1,
            b' ' | b'\t' => space = true,
            _ => symbol += 1,
        }
    }
    if space {
        return false;
    }
    let letters = upper + lower;
    let hex = b.iter().all(u8::is_ascii_hexdigit);
    // Words and identifiers (`user-settings`, `PEM_read_bio_PrivateKey`) have no digits;
    // only long mixed-case runs without any are taken.
    (hex && b.len() >= 16 && digit > 0 && letters > 0)
        || (digit > 0 && letters > 0 && b.len() >= 10)
        || (upper > 0 && lower > 0 && b.len() >= 24 && symbol > 0 && symbol * 4 < b.len())
        || (digit == b.len() && b.len() >= 12)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ident: &str) -> Option<Kind> {
        classify_key(ident).map(|k| k.kind)
    }

    #[test]
    fn keys() {
        assert_eq!(kind("DB_PASSWORD"), Some(Kind::PASSWORD));
        assert_eq!(kind("password"), Some(Kind::PASSWORD));
        assert_eq!(kind("AWS_SECRET_ACCESS_KEY"), Some(Kind::AWS_SECRET_KEY));
        assert_eq!(kind("aws_secret_access_key"), Some(Kind::AWS_SECRET_KEY));
        assert_eq!(kind("x-api-key"), Some(Kind::API_KEY));
        assert_eq!(kind("apiKey"), Some(Kind::API_KEY));
        assert_eq!(kind("client_secret"), Some(Kind::SECRET));
        assert_eq!(kind("refresh_token"), Some(Kind::TOKEN));
        assert_eq!(kind("csrftoken"), Some(Kind::TOKEN));
        assert_eq!(kind("Authorization"), Some(Kind::BEARER_TOKEN));
        assert_eq!(kind("accessKey"), Some(Kind::SECRET));
        assert_eq!(kind("X-Amz-Signature"), Some(Kind::SECRET));
        assert_eq!(kind("sig"), Some(Kind::SECRET));
        assert_eq!(kind("GITHUB_PAT"), Some(Kind::TOKEN));
        assert!(classify_key("key").is_some_and(|k| k.weak));
        assert!(classify_key("license_key").is_some_and(|k| !k.weak));
        assert_eq!(kind("max_tokens"), None);
        assert_eq!(kind("$ai_input_tokens"), None);
        assert_eq!(kind("token_count"), None);
        assert_eq!(kind("password_min_length"), None);
        assert_eq!(kind("$session_id"), None);
        assert_eq!(kind("bypass"), None);
        assert_eq!(kind("author"), None);
        assert_eq!(kind("primary_key"), None);
        assert_eq!(kind("public_key"), None);
        assert_eq!(kind("monkey"), None);
    }

    #[test]
    fn values() {
        let at = ValueContext::default();
        let password = classify_key("password").unwrap();
        let token = classify_key("token").unwrap();
        let key = classify_key("key").unwrap();
        assert!(is_secret_value(&password, "hunter2", at));
        assert!(!is_secret_value(&password, "true", at));
        assert!(!is_secret_value(&password, "8", at));
        assert!(!is_secret_value(&password, "[REDACTED:password]", at));
        assert!(!is_secret_value(&token, "4096", at));
        assert!(!is_secret_value(&token, "expired", at));
        assert!(is_secret_value(&token, "abc123def456", at));
        assert!(is_secret_value(&token, "8461930275102", at));
        assert!(is_secret_value(&token, "qwertyuiopasdf", at));
        assert!(!is_secret_value(&token, "${GITHUB_TOKEN}", at));
        assert!(!is_secret_value(&token, "GITHUB_TOKEN", at));
        assert!(!is_secret_value(&token, "os.getenv(", at));
        assert!(!is_secret_value(&token, "YOUR_TOKEN_HERE", at));
        assert!(is_secret_value(&key, "a8f3k29dk3l1", at));
        assert!(!is_secret_value(&key, "user-settings", at));
        let query = ValueContext {
            query: true,
            quoted: false,
        };
        let api_key = classify_key("apikey").unwrap();
        assert!(is_secret_value(&api_key, "hunter2", query));
        assert!(!is_secret_value(&api_key, "abc12", at));
        assert!(is_secret_value(&api_key, "abc12", query));
    }
}
