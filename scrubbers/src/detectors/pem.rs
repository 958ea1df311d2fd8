//! PEM private key blocks, complete or truncated. Public keys and certificates are
//! protected instead: never redacted, and never cut into "high-entropy" pieces.

use super::floor_boundary;
use super::{at, cand, Cand, PRIO_PROTECTED, PRIO_STRUCTURED};
use crate::kind::Kind;

pub(crate) fn pem(text: &str, s: usize, out: &mut Vec<Cand>) {
    let b = text.as_bytes();
    let hs = s + "-----BEGIN ".len();
    let limit = floor_boundary(text, hs + 64);
    let Some(close) = text[hs..limit].find("-----") else {
        return;
    };
    let label = &text[hs..hs + close];
    let public = label.ends_with("PUBLIC KEY")
        || label.ends_with("CERTIFICATE")
        || label.ends_with("PUBLIC KEY BLOCK");
    if public {
        // Public material: protect the block from the generic entropy rule.
        let body = hs + close + 5;
        if let Some(off) = text[body..].find("-----END ") {
            out.push(Cand {
                start: s,
                end: body + off + 9,
                kind: None,
                rule: "public_key_block",
                prio: PRIO_PROTECTED,
            });
        }
        return;
    }
    if !label.ends_with("PRIVATE KEY") && !label.ends_with("PRIVATE KEY BLOCK") {
        return;
    }
    let body = hs + close + 5;
    let end = match text[body..].find("-----END ") {
        Some(off) => {
            let es = body + off + "-----END ".len();
            let lim = floor_boundary(text, es + 64);
            match text[es..lim].find("-----") {
                Some(c) => es + c + 5,
                None => es,
            }
        }
        None => {
            // Truncated block: take the base64 body, real or escaped newlines included,
            // plus `Key: value` header lines of encrypted keys. A header followed by prose
            // (`… PRIVATE KEY----- but found none`) has no body: the body starts on a new
            // line or right after the header.
            let starts_body = matches!(at(b, body), b'\r' | b'\n')
                || (at(b, body) == b'\\' && matches!(at(b, body + 1), b'n' | b'r'))
                || at(b, body).is_ascii_alphanumeric()
                    && b[body..]
                        .iter()
                        .take(16)
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/'));
            if !starts_body {
                return;
            }
            let mut i = body;
            while i < b.len() {
                let c = b[i];
                if c.is_ascii_alphanumeric()
                    || matches!(
                        c,
                        b'+' | b'/' | b'=' | b'\r' | b'\n' | b' ' | b'\t' | b':' | b',' | b'-'
                    )
                {
                    i += 1;
                } else if c == b'\\' && matches!(at(b, i + 1), b'n' | b'r') {
                    i += 2;
                } else {
                    break;
                }
            }
            i
        }
    };
    out.push(cand(
        s,
        end,
        Kind::PRIVATE_KEY,
        "pem_private_key",
        PRIO_STRUCTURED,
    ));
}
