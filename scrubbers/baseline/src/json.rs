//! Walking `serde_json::Value`s.

use std::borrow::Cow;

use serde_json::Value;

use crate::context::ScrubContext;
use crate::detectors::anchored::contains_placeholder;
use crate::detectors::keys::{classify_key, is_secret_value};
use crate::scrubber::Scrubber;

pub(crate) fn walk(scrubber: &Scrubber, value: &mut Value, ctx: &mut ScrubContext) {
    match value {
        Value::String(s) => {
            if let Cow::Owned(new) = scrubber.scrub_text_with(s, ctx) {
                *s = new;
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(scrubber, item, ctx);
            }
        }
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let key_like = key.bytes().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'$' | b'@')
                });
                if let (true, Some(kind), Value::String(s)) = (key_like, classify_key(key), &mut *v)
                {
                    // Text detectors first (they name the secret precisely); otherwise the
                    // key says the whole value is a secret.
                    if let Cow::Owned(new) = scrubber.scrub_text_with(s, ctx) {
                        *s = new;
                    } else if is_secret_value(&kind, s) && !contains_placeholder(s) {
                        let mut out = String::new();
                        scrubber.redact_into(&kind, s, ctx, &mut out);
                        *s = out;
                    }
                    continue;
                }
                walk(scrubber, v, ctx);
            }
            // Keys can hold personal data too (e.g. maps keyed by email).
            let renames: Vec<(String, String)> = map
                .keys()
                .filter_map(|k| match scrubber.scrub_text_with(k, ctx) {
                    Cow::Owned(new) => Some((k.clone(), new)),
                    Cow::Borrowed(_) => None,
                })
                .collect();
            for (old, new) in renames {
                if let Some(v) = map.remove(&old) {
                    let mut key = new.clone();
                    let mut n = 2;
                    while map.contains_key(&key) {
                        key = format!("{new}#{n}");
                        n += 1;
                    }
                    map.insert(key, v);
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Adds a summary of redaction counts (kind name → count, never values) to a JSON object
/// under `key`, e.g. `"$hush_redactions": {"email": 2}`. Does nothing when `value` is not
/// an object or nothing was redacted.
pub fn add_summary(value: &mut Value, ctx: &ScrubContext, key: &str) {
    if ctx.total() == 0 {
        return;
    }
    if let Value::Object(map) = value {
        let counts = ctx
            .counts()
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(*v)))
            .collect();
        map.insert(key.to_owned(), Value::Object(counts));
    }
}
