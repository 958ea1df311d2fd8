//! The long-token rules: AWS secret keys, Twilio API keys and generic high-entropy
//! secrets, judged on whole runs of token bytes.

use super::LONG_TOKEN;
use crate::detectors::{at, cand, ByteClasses, Cand, PRIO_GENERIC, PRIO_VENDOR};
use crate::kind::Kind;
use crate::validate::{is_base64_of_text, shannon_entropy};

/// The long-token rules on the token run that starts at word `s..we`: the run's end, and
/// where to resume when something was found.
#[inline(never)]
pub(super) fn token_run(
    b: &[u8],
    classes: &ByteClasses<'_>,
    s: usize,
    we: usize,
    out: &mut Vec<Cand>,
) -> (usize, Option<usize>) {
    // The longer token run around the word: base64 characters, with `=` only as trailing
    // padding, never as `key=value`.
    let mut te = we;
    // `te` is always on a non-alphanumeric byte here.
    loop {
        match at(b, te) {
            b'_' | b'-' | b'+' | b'/' => te = classes.next_clear(te + 1),
            b'=' if !classes.get(te + 1) => te += 1,
            _ => break,
        }
    }
    // Every long-token rule needs an uppercase letter (Twilio `SK`, mixed-case AWS keys,
    // generic secrets), so lowercase runs (UUIDs, git SHAs, paths) stop here.
    if te - s < LONG_TOKEN || !classes.any_upper(s, te) {
        return (te, None);
    }
    match long_token(b, s, te) {
        LongToken::Secret(c) => {
            let end = c.end;
            out.push(c);
            (te, Some(end))
        }
        // A digest or public key as a whole: its `/` are base64, not a path.
        LongToken::Public => (te, None),
        LongToken::No if b[s..te].contains(&b'/') => {
            // A path: its segments are judged alone, as they would be if a neighbouring
            // segment had been redacted.
            let mut found = None;
            let mut seg = s;
            for k in s..=te {
                if k == te || b[k] == b'/' {
                    if k - seg >= LONG_TOKEN && !(seg == s && k == te) {
                        if let LongToken::Secret(c) = long_token(b, seg, k) {
                            found = Some(c.end);
                            out.push(c);
                        }
                    }
                    seg = k + 1;
                }
            }
            (te, found)
        }
        LongToken::No => (te, None),
    }
}

/// What [`long_token`] makes of a run of token bytes.
enum LongToken {
    /// A secret.
    Secret(Cand),
    /// Public by design: a labelled digest, an integrity string, a publishable key. Its `/`
    /// bytes are base64, so its pieces are not judged as path segments either.
    Public,
    /// Not a secret as a whole.
    No,
}

fn long_token(b: &[u8], s: usize, te: usize) -> LongToken {
    // Trim separators that belong to the surroundings.
    let mut ts = s;
    let mut te = te;
    while te > ts && matches!(b[te - 1], b'-' | b'_' | b'/' | b'+') {
        te -= 1;
    }
    while ts < te && matches!(b[ts], b'-' | b'_' | b'/' | b'+' | b'=') {
        ts += 1;
    }
    let tok = &b[ts..te];
    let len = tok.len();
    if !(20..=4096).contains(&len) {
        return LongToken::No;
    }
    // Labelled digests (`SHA256:…` SSH fingerprints, `sha512:…`).
    let label_from = ts.saturating_sub(7);
    let label = &b[label_from..ts];
    if [&b"sha256:"[..], b"sha512:", b"sha384:", b"sha1:", b"md5:"]
        .iter()
        .any(|p| label.len() >= p.len() && label[label.len() - p.len()..].eq_ignore_ascii_case(p))
    {
        return LongToken::Public;
    }
    // Keys that are public by design: PostHog project keys, Stripe publishable keys.
    for p in [&b"phc_"[..], b"pk_live_", b"pk_test_"] {
        if tok.starts_with(p) {
            return LongToken::Public;
        }
    }
    // Package integrity strings (sha512-…) and hash-prefixed digests.
    for p in [
        &b"sha512-"[..],
        b"sha384-",
        b"sha256-",
        b"sha1-",
        b"md5-",
        b"sha512_",
        b"sha256_",
    ] {
        if tok.starts_with(p) {
            return LongToken::Public;
        }
    }
    // Twilio API key SID.
    if len == 34
        && tok.starts_with(b"SK")
        && tok[2..]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    {
        return LongToken::Secret(cand(ts, te, Kind::TwilioKey, "vendor_token", PRIO_VENDOR));
    }
    let (mut up, mut lo, mut dg, mut slash) = (0usize, 0usize, 0usize, 0usize);
    for &c in tok {
        if c.is_ascii_uppercase() {
            up += 1;
        } else if c.is_ascii_lowercase() {
            lo += 1;
        } else if c.is_ascii_digit() {
            dg += 1;
        } else if c == b'/' {
            slash += 1;
        }
    }
    // AWS secret access key: 40 base64 characters near an AWS or secret keyword.
    if len == 40
        && up > 0
        && lo > 0
        && tok
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'+'))
    {
        let from = ts.saturating_sub(80);
        let ctx = &b[from..ts];
        if ctx.windows(3).any(|w| w.eq_ignore_ascii_case(b"aws"))
            || ctx.windows(6).any(|w| w.eq_ignore_ascii_case(b"secret"))
        {
            return LongToken::Secret(cand(
                ts,
                te,
                Kind::AwsSecretKey,
                "aws_secret_key",
                PRIO_VENDOR,
            ));
        }
    }
    if len < 32 {
        return LongToken::No;
    }
    if up < 2 || lo < 2 || dg < 2 {
        return LongToken::No;
    }
    if slash > 0 {
        // Paths: several segments that are plain lowercase words.
        let wordy = tok
            .split(|&c| c == b'/')
            .filter(|seg| {
                seg.len() >= 3
                    && seg
                        .iter()
                        .all(|c| c.is_ascii_lowercase() || *c == b'-' || *c == b'_')
            })
            .count();
        if wordy >= 2 {
            return LongToken::No;
        }
    }
    // camelCase / snake_case identifiers: long runs of lowercase letters.
    let mut max_lower_run = 0;
    let mut run = 0;
    for &c in tok {
        if c.is_ascii_lowercase() {
            run += 1;
            max_lower_run = max_lower_run.max(run);
        } else {
            run = 0;
        }
    }
    if max_lower_run >= 9 {
        return LongToken::No;
    }
    if shannon_entropy(tok) < 4.2 {
        return LongToken::No;
    }
    if is_base64_of_text(tok) {
        return LongToken::No;
    }
    LongToken::Secret(cand(
        ts,
        te,
        Kind::HighEntropySecret,
        "high_entropy",
        PRIO_GENERIC,
    ))
}
