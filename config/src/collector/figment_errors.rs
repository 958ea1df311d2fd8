//! Figment's errors and metadata turned into our own messages: which key, from which
//! source, and what was wrong with it, never the value.

use crate::ConfigError;
use figment::error::{Actual, Kind};
use figment::{Figment, Metadata, Source};

/// Names where the value at `path` came from: the file path, the environment variable, or
/// the built-in defaults.
pub(super) fn source_of(figment: &Figment, path: &[&str]) -> String {
    match figment.find_metadata(&path.join(".")) {
        Some(metadata) => describe_source(metadata),
        None => "built-in defaults".into(),
    }
}

fn describe_source(metadata: &Metadata) -> String {
    match &metadata.source {
        Some(Source::File(file)) => format!("file {}", file.display()),
        _ => metadata.name.to_string(),
    }
}

/// Turns a figment error into our own, describing types rather than echoing values (a value
/// may be a secret).
pub(super) fn describe(error: &figment::Error) -> ConfigError {
    let mut parts = Vec::new();
    for e in error.clone() {
        let path: Vec<&str> = e.path.iter().map(String::as_str).collect();
        let key = if path.is_empty() {
            "(top level)".to_string()
        } else {
            path.join(".")
        };
        let source = e
            .metadata
            .as_ref()
            .map(describe_source)
            .unwrap_or_else(|| "the configuration".into());
        let what = match &e.kind {
            Kind::UnknownField(field, _) => {
                let full = if path.last() == Some(&field.as_str()) {
                    key.clone()
                } else if path.is_empty() {
                    field.clone()
                } else {
                    format!("{key}.{field}")
                };
                format!("unknown key `{full}` (from {source})")
            }
            Kind::MissingField(field) => {
                format!("missing key `{field}` in `{key}` (from {source})")
            }
            Kind::InvalidType(actual, expected) => format!(
                "`{key}` (from {source}) should be {expected}, found {}",
                actual_kind(actual)
            ),
            Kind::InvalidValue(actual, expected) => format!(
                "`{key}` (from {source}) should be {expected}, found {}",
                actual_kind(actual)
            ),
            Kind::InvalidLength(len, expected) => {
                format!("`{key}` (from {source}) has length {len}, expected {expected}")
            }
            // The value is not repeated: errors never echo what might be a secret.
            Kind::UnknownVariant(_, expected) => format!(
                "`{key}` (from {source}) should be one of {}",
                expected
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Kind::Message(message) => format!("`{key}` (from {source}): {message}"),
            _ => format!("`{key}` (from {source}) is invalid"),
        };
        parts.push(what);
    }
    ConfigError::Parse(parts.join("; "))
}

fn actual_kind(actual: &Actual) -> &'static str {
    match actual {
        Actual::Bool(_) => "a boolean",
        Actual::Unsigned(_) | Actual::Signed(_) => "an integer",
        Actual::Float(_) => "a float",
        Actual::Char(_) | Actual::Str(_) => "a string",
        Actual::Bytes(_) => "bytes",
        Actual::Seq => "a list",
        Actual::Map => "a table",
        Actual::Unit | Actual::Option => "nothing",
        _ => "another type",
    }
}
