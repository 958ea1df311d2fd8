//! Walking `serde_json::Value`s.

use std::borrow::Cow;

use serde_json::Value;

use crate::catalogue::token_table;
use crate::context::ScrubContext;
use crate::detectors::keys::{classify_key, is_secret_value, ValueContext};
use crate::detectors::placeholder::contains_placeholder;
use crate::kind::Kind;
use crate::scrubber::Scrubber;

/// Scrubs every string of `value`, then redacts the other copies of contextual values
/// found anywhere in it (see [`crate::repeat`]).
pub(crate) fn scrub_event(scrubber: &Scrubber, value: &mut Value, ctx: &mut ScrubContext) {
    let outer = ctx.remember;
    ctx.remember = true;
    walk(scrubber, value, ctx);
    ctx.remember = outer;
    if outer || ctx.found.is_empty() {
        return;
    }
    let found = std::mem::take(&mut ctx.found);
    sweep(scrubber, value, &found, ctx);
}

/// Redacts the copies of `found` values left in the strings and keys of `value`.
fn sweep(scrubber: &Scrubber, value: &mut Value, found: &[(Kind, String)], ctx: &mut ScrubContext) {
    let redact = |text: &str, ctx: &mut ScrubContext| {
        let cands = crate::repeat::sweep(text, found);
        (!cands.is_empty()).then(|| scrubber.redact_cands(text, &cands, ctx))
    };
    match value {
        Value::String(s) => {
            if let Some(new) = redact(s, ctx) {
                *s = new;
            }
        }
        Value::Array(items) => {
            for item in items {
                sweep(scrubber, item, found, ctx);
            }
        }
        Value::Object(map) => {
            for v in map.values_mut() {
                sweep(scrubber, v, found, ctx);
            }
            let renames: Vec<(String, String)> = map
                .keys()
                .filter_map(|k| redact(k, ctx).map(|new| (k.clone(), new)))
                .collect();
            rename_keys(map, renames);
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

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
                if let (true, Some(class), Value::String(s)) =
                    (key_like, classify_key(key), &mut *v)
                {
                    // Text detectors first (they name the secret precisely); otherwise the
                    // key says the whole value is a secret.
                    if let Cow::Owned(new) = scrubber.scrub_text_with(s, ctx) {
                        *s = new;
                    } else if let Some(row) = token_table().context_row(key, s) {
                        let mut out = String::new();
                        ctx.remember(&row.kind, s);
                        scrubber.redact_into(&row.kind, s, ctx, &mut out);
                        *s = out;
                    } else if is_secret_value(
                        &class,
                        s,
                        ValueContext {
                            query: false,
                            quoted: true,
                        },
                    ) && !contains_placeholder(s)
                    {
                        let mut out = String::new();
                        ctx.remember(&class.kind, s);
                        scrubber.redact_into(&class.kind, s, ctx, &mut out);
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
            rename_keys(map, renames);
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Renames keys `old → new`; a new name already taken gets a `#2`, `#3`… suffix.
fn rename_keys(map: &mut serde_json::Map<String, Value>, renames: Vec<(String, String)>) {
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
