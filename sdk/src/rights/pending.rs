//! Erase requests waiting for the collector: what `forget()` keeps when the collector is
//! unreachable, for the worker to send before any event at the next start.
//!
//! File format (`telemetry-erase.bin` in the config directory, beside the spool key):
//! `b"HUSHERA1"` ‖ 12-byte nonce ‖ AES-256-GCM ciphertext of
//! `{"v": 1, "erase": [{"host", "api_key", "distinct_id", "requested_at"}, ...]}` under the
//! spool's key, with the app name in the associated data (see `spool.rs`). `forget()`
//! deletes the key with the rest of the local data and writes this file again under a new
//! one, so the request outlives the id it names. Every read-modify-write holds one lock,
//! shared by the client and its worker.

use crate::files;
use crate::spool::{Sealed, SpoolError};
use crate::Error;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

const MAGIC: &[u8; 8] = b"HUSHERA1";
/// The most requests kept (the newest); more can only come from many offline forgets.
const MAX_PENDING: usize = 64;

/// One erase request: the collector it is for, and the id it names. No `Debug`: it holds
/// the raw id.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PendingErase {
    pub host: String,
    pub api_key: String,
    pub distinct_id: String,
    /// RFC 3339, when `forget()` was called.
    pub requested_at: String,
}

impl PendingErase {
    fn same_target(&self, other: &PendingErase) -> bool {
        self.host == other.host
            && self.api_key == other.api_key
            && self.distinct_id == other.distinct_id
    }
}

/// The file of pending erase requests and the lock around it.
#[derive(Debug, Clone)]
pub(crate) struct PendingErases {
    pub path: PathBuf,
    pub key_path: PathBuf,
    pub app: String,
    lock: Arc<Mutex<()>>,
}

impl PendingErases {
    pub fn new(path: PathBuf, key_path: PathBuf, app: &str) -> Self {
        PendingErases {
            path,
            key_path,
            app: app.to_string(),
            lock: Arc::default(),
        }
    }

    /// Held across every read-modify-write of the file.
    pub fn lock(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sealed(&self) -> Sealed<'_> {
        let mut aad = b"hush-sdk erase v1 app=".to_vec();
        aad.extend_from_slice(self.app.as_bytes());
        Sealed {
            magic: MAGIC,
            path: &self.path,
            key_path: &self.key_path,
            aad,
        }
    }

    /// The pending requests, oldest first (an absent file is none).
    pub fn load(&self) -> Result<Vec<PendingErase>, SpoolError> {
        let Some(plain) = self.sealed().open()? else {
            return Ok(Vec::new());
        };
        let invalid = || SpoolError::Invalid(self.path.clone());
        let doc: Value = serde_json::from_slice(&plain).map_err(|_| invalid())?;
        let list = doc.get("erase").cloned().ok_or_else(invalid)?;
        serde_json::from_value(list).map_err(|_| invalid())
    }

    /// Replaces the file with `list` (the newest [`MAX_PENDING`]); an empty list removes it.
    pub fn store(&self, list: &[PendingErase]) -> Result<(), Error> {
        if list.is_empty() {
            return files::remove(&self.path);
        }
        let keep = &list[list.len().saturating_sub(MAX_PENDING)..];
        let plain = serde_json::to_vec(&json!({"v": 1, "erase": keep})).unwrap_or_default();
        self.sealed().seal(&plain)
    }

    /// Adds `erase` to `list` unless a request for the same collector, key and id is there.
    pub fn push(list: &mut Vec<PendingErase>, erase: PendingErase) {
        if !list.iter().any(|e| e.same_target(&erase)) {
            list.push(erase);
        }
    }

    /// Removes one request that was sent (or refused for good).
    pub fn remove(&self, sent: &PendingErase) -> Result<(), Error> {
        let _guard = self.lock();
        let mut list = self.load().unwrap_or_default();
        let before = list.len();
        list.retain(|e| !e.same_target(sent));
        if list.len() == before {
            return Ok(());
        }
        self.store(&list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn erase(id: &str) -> PendingErase {
        PendingErase {
            host: "http://127.0.0.1:9".into(),
            api_key: "phc_k".into(),
            distinct_id: id.into(),
            requested_at: "2025-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn roundtrip_is_encrypted_deduplicated_and_removable() {
        let dir = tempfile::tempdir().unwrap();
        let p = PendingErases::new(dir.path().join("e"), dir.path().join("k"), "app");
        assert!(p.load().unwrap().is_empty());
        let mut list = Vec::new();
        PendingErases::push(&mut list, erase("0123456789abcdef0123456789abcdef"));
        PendingErases::push(&mut list, erase("0123456789abcdef0123456789abcdef"));
        PendingErases::push(&mut list, erase("fedcba9876543210fedcba9876543210"));
        assert_eq!(list.len(), 2);
        p.store(&list).unwrap();
        let raw = std::fs::read(&p.path).unwrap();
        assert!(!raw.windows(8).any(|w| w == b"01234567" || w == b"fedcba98"));
        assert!(p.load().unwrap() == list);
        // Another app cannot read it.
        let other = PendingErases::new(p.path.clone(), p.key_path.clone(), "other");
        assert!(matches!(other.load(), Err(SpoolError::Invalid(_))));
        p.remove(&list[0]).unwrap();
        assert!(p.load().unwrap() == list[1..]);
        p.remove(&list[1]).unwrap();
        assert!(!p.path.exists());
    }
}
