//! The app-specific id (ARCHITECTURE.md, "Identity").
//!
//! The raw OS machine id (`/etc/machine-id`, `IOPlatformUUID`, `MachineGuid`) is read by
//! the `machine-uid` crate and never leaves this module: what the SDK sends is a keyed
//! BLAKE3 hash of it under a key derived from the app's name, like systemd's
//! `sd_id128_get_machine_app_specific`. Two apps on one machine get unrelated ids, and the
//! id cannot be turned back into the machine id. Where the OS has no machine id
//! (containers), a random id is generated once and stored in the config directory.

use crate::files;
use crate::Error;
use std::path::Path;

/// Ids PostHog treats specially (`posthog-js` and the ingestion pipeline refuse to merge
/// persons on them); the SDK never emits one.
const RESERVED_IDS: &[&str] = &[
    "anonymous",
    "guest",
    "distinctid",
    "distinct_id",
    "id",
    "not_authenticated",
    "email",
    "undefined",
    "true",
    "false",
    "0",
    "null",
    "none",
    "nan",
    "user",
    "[object object]",
];

/// Whether PostHog reserves this id.
pub(crate) fn is_reserved(id: &str) -> bool {
    let id = id.trim();
    id.is_empty() || RESERVED_IDS.iter().any(|r| r.eq_ignore_ascii_case(id))
}

/// The BLAKE3 key-derivation context for an app: globally unique, fixed per app.
fn context(app: &str) -> String {
    format!("hush-sdk 2025-01 app-specific machine id v1 for app {app}")
}

/// The app-specific id for a raw machine id: 128 bits of
/// `keyed_hash(derive_key(context(app)), raw)`, as 32 lowercase hex digits.
pub(crate) fn app_specific_id(app: &str, raw: &str) -> String {
    let key = blake3::derive_key(&context(app), b"");
    let hash = blake3::keyed_hash(&key, raw.trim().as_bytes());
    hex(&hash.as_bytes()[..16])
}

/// The OS machine id, if there is a usable one.
pub(crate) fn os_machine_id() -> Option<String> {
    machine_uid::get()
        .ok()
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
}

/// The id to send: the app-specific hash of `raw` when there is one, else the random id
/// stored in `id_file` (created on first use, mode 0600).
pub(crate) fn distinct_id(
    app: &str,
    raw: Option<&str>,
    id_file: Option<&Path>,
) -> Result<String, Error> {
    if let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) {
        let id = app_specific_id(app, raw);
        if !is_reserved(&id) {
            return Ok(id);
        }
    }
    let path = id_file.ok_or(Error::NoConfigDir)?;
    if let Some(stored) = stored_id(path) {
        return Ok(stored);
    }
    let id = random_hex_id();
    files::write_private(path, id.as_bytes())?;
    Ok(id)
}

/// The id [`distinct_id`] would return, without creating one: `None` on a machine without
/// a machine id whose random id was never stored (nothing can have been sent from here).
pub(crate) fn existing_distinct_id(
    app: &str,
    raw: Option<&str>,
    id_file: Option<&Path>,
) -> Option<String> {
    if let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) {
        let id = app_specific_id(app, raw);
        if !is_reserved(&id) {
            return Some(id);
        }
    }
    id_file.and_then(stored_id)
}

/// The random id stored in `path`, if it holds a valid one.
fn stored_id(path: &Path) -> Option<String> {
    let stored = std::fs::read_to_string(path).ok()?;
    let stored = stored.trim();
    (stored.len() == 32 && stored.bytes().all(|b| b.is_ascii_hexdigit()) && !is_reserved(stored))
        .then(|| stored.to_string())
}

/// 128 random bits as 32 hex digits.
pub(crate) fn random_hex_id() -> String {
    let mut bytes = [0u8; 16];
    // getrandom only fails where the OS has no randomness source at all; a uuid v4 (which
    // falls back the same way) is then as good as anything.
    if getrandom::getrandom(&mut bytes).is_err() {
        bytes = *uuid::Uuid::new_v4().as_bytes();
    }
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_specific_and_deterministic() {
        let raw = "3d1219c7c4c5404aaa1f6d2a48adfda4";
        let a = app_specific_id("devtool", raw);
        assert_eq!(a, app_specific_id("devtool", raw));
        assert_eq!(a, app_specific_id("devtool", &format!("{raw}\n")));
        assert_ne!(a, app_specific_id("other", raw));
        assert_eq!(a.len(), 32);
        assert!(!a.contains(raw));
    }

    #[test]
    fn random_id_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg/telemetry-id");
        let a = distinct_id("app", None, Some(&path)).unwrap();
        let b = distinct_id("app", Some("  "), Some(&path)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
        std::fs::write(&path, "null").unwrap();
        let c = distinct_id("app", None, Some(&path)).unwrap();
        assert_ne!(c, "null");
        assert_eq!(existing_distinct_id("app", None, Some(&path)), Some(c));
        assert_eq!(
            existing_distinct_id("app", Some("m"), None),
            Some(app_specific_id("app", "m"))
        );
        assert_eq!(
            existing_distinct_id("app", None, Some(&dir.path().join("x"))),
            None
        );
    }

    #[test]
    fn reserved_ids() {
        for id in ["anonymous", "0", "null", "USER", "", "undefined"] {
            assert!(is_reserved(id), "{id}");
        }
        assert!(!is_reserved("a1b2"));
    }
}
