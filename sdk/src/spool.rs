//! The offline spool: events that could not be sent by shutdown, kept for the next start.
//!
//! File format (`telemetry-spool.bin` in the cache directory):
//! `b"HUSHSPL1"` ‖ 12-byte nonce ‖ AES-256-GCM ciphertext of a JSON document
//! `{"v": 1, "events": [EVENT, ...]}`, with the app name in the associated data. The key is
//! 32 random bytes generated on first use and kept in `telemetry-spool.key` in the config
//! directory with mode 0600; it never leaves the machine. A spool that is truncated,
//! tampered with, written by another app or under another key fails authentication and is
//! discarded with a warning, never a panic. The spool holds at most `cap` events (the newest).
//!
//! [`Sealed`] is that encryption on its own; the erase requests `forget()` could not send
//! (`rights/pending.rs`) use it too, in their own file under the same key.

use crate::events::Event;
use crate::files;
use crate::Error;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"HUSHSPL1";
const NONCE_LEN: usize = 12;
/// A larger file is not ours (or not worth reading): discarded unread.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a spool file was discarded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SpoolError {
    /// The file or key could not be read or written.
    #[error(transparent)]
    Io(#[from] Error),
    /// Not a spool file, or not this app's, or tampered with.
    #[error("spool file {0} is corrupt or foreign; discarded")]
    Invalid(PathBuf),
}

/// The spool's two files and its capacity.
#[derive(Debug, Clone)]
pub(crate) struct Spool {
    pub path: PathBuf,
    pub key_path: PathBuf,
    pub app: String,
    pub cap: usize,
}

/// The spool's encryption, shared with the pending erase requests (`rights/pending.rs`):
/// `magic` ‖ 12-byte nonce ‖ AES-256-GCM ciphertext, the key in `key_path` (mode 0600).
#[derive(Debug, Clone)]
pub(crate) struct Sealed<'a> {
    pub magic: &'a [u8; 8],
    pub path: &'a Path,
    pub key_path: &'a Path,
    pub aad: Vec<u8>,
}

impl Sealed<'_> {
    fn read_key(&self) -> Result<Option<[u8; 32]>, Error> {
        match std::fs::read(self.key_path) {
            Ok(bytes) => Ok(<[u8; 32]>::try_from(bytes.as_slice()).ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(self.key_path, e)),
        }
    }

    fn key_or_create(&self) -> Result<[u8; 32], Error> {
        if let Some(key) = self.read_key()? {
            return Ok(key);
        }
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key)
            .map_err(|e| Error::io(self.key_path, std::io::Error::other(e.to_string())))?;
        files::write_private(self.key_path, &key)?;
        Ok(key)
    }

    /// The plaintext; `None` when the file does not exist.
    pub fn open(&self) -> Result<Option<Vec<u8>>, SpoolError> {
        let meta = match std::fs::metadata(self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(self.path, e).into()),
        };
        let invalid = || SpoolError::Invalid(self.path.to_path_buf());
        if meta.len() > MAX_FILE_BYTES {
            return Err(invalid());
        }
        let bytes = std::fs::read(self.path).map_err(|e| Error::io(self.path, e))?;
        let key = self.read_key()?.ok_or_else(invalid)?;
        if bytes.len() < self.magic.len() + NONCE_LEN || &bytes[..self.magic.len()] != self.magic {
            return Err(invalid());
        }
        let (nonce, ciphertext) = bytes[self.magic.len()..].split_at(NONCE_LEN);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &self.aad,
                },
            )
            .map(Some)
            .map_err(|_| invalid())
    }

    /// Encrypts `plain` under the key (created on first use) and replaces the file.
    pub fn seal(&self, plain: &[u8]) -> Result<(), Error> {
        let key = self.key_or_create()?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| Error::io(self.path, std::io::Error::other(e.to_string())))?;
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &self.aad,
                },
            )
            .map_err(|_| Error::io(self.path, std::io::Error::other("encryption failed")))?;
        let mut file = Vec::with_capacity(self.magic.len() + NONCE_LEN + ciphertext.len());
        file.extend_from_slice(self.magic);
        file.extend_from_slice(&nonce);
        file.extend_from_slice(&ciphertext);
        files::write_private(self.path, &file)
    }
}

impl Spool {
    fn sealed(&self) -> Sealed<'_> {
        let mut aad = b"hush-sdk spool v1 app=".to_vec();
        aad.extend_from_slice(self.app.as_bytes());
        Sealed {
            magic: MAGIC,
            path: &self.path,
            key_path: &self.key_path,
            aad,
        }
    }

    /// Reads the spooled events (an absent file is empty). Events that are not in the
    /// catalogue are skipped.
    pub fn load(&self) -> Result<Vec<Event>, SpoolError> {
        let Some(plain) = self.sealed().open()? else {
            return Ok(Vec::new());
        };
        let invalid = || SpoolError::Invalid(self.path.clone());
        let doc: Value = serde_json::from_slice(&plain).map_err(|_| invalid())?;
        let events = doc
            .get("events")
            .and_then(Value::as_array)
            .ok_or_else(invalid)?;
        Ok(events.iter().filter_map(Event::from_wire).collect())
    }

    /// Writes `events` (the newest `cap` of them), replacing the file. Returns how many were
    /// kept. An empty list removes the file.
    pub fn store(&self, events: &[Event]) -> Result<usize, Error> {
        if events.is_empty() {
            files::remove(&self.path)?;
            return Ok(0);
        }
        let keep = &events[events.len().saturating_sub(self.cap)..];
        let doc = json!({ "v": 1, "events": keep.iter().map(Event::to_wire).collect::<Vec<_>>() });
        let plain = serde_json::to_vec(&doc).unwrap_or_default();
        self.sealed().seal(&plain)?;
        Ok(keep.len())
    }

    /// Removes the spool file.
    pub fn remove(&self) -> Result<(), Error> {
        files::remove(&self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EventClass, Prop};
    use hush_config::consent::Level;
    use std::borrow::Cow;
    use std::sync::Arc;

    fn spool(dir: &std::path::Path, app: &str) -> Spool {
        Spool {
            path: dir.join("cache/spool"),
            key_path: dir.join("config/key"),
            app: app.into(),
            cap: 3,
        }
    }

    fn event(text: &str) -> Event {
        Event {
            name: Cow::Borrowed("setup_failed"),
            class: EventClass::Basic,
            uuid: uuid::Uuid::new_v4(),
            timestamp: time::OffsetDateTime::now_utc(),
            level: Level::Basic,
            distinct_id: Arc::from("id"),
            common: Arc::default(),
            props: vec![("error", Prop::Text(text.into()))],
        }
    }

    #[test]
    fn roundtrip_is_encrypted_and_capped() {
        let dir = tempfile::tempdir().unwrap();
        let s = spool(dir.path(), "app");
        let events: Vec<Event> = (0..5).map(|i| event(&format!("marker-{i}"))).collect();
        assert_eq!(s.store(&events).unwrap(), 3);
        let raw = std::fs::read(&s.path).unwrap();
        assert!(!raw.windows(7).any(|w| w == b"marker-"));
        let back = s.load().unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back[0].uuid, events[2].uuid);
        s.store(&[]).unwrap();
        assert!(!s.path.exists());
    }

    #[test]
    fn corrupt_and_foreign_files_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let s = spool(dir.path(), "app");
        s.store(&[event("x")]).unwrap();
        // Another app with the same key material cannot read it.
        let other = spool(dir.path(), "other");
        assert!(matches!(other.load(), Err(SpoolError::Invalid(_))));
        // Flipped bit.
        let mut raw = std::fs::read(&s.path).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        std::fs::write(&s.path, &raw).unwrap();
        assert!(matches!(s.load(), Err(SpoolError::Invalid(_))));
        // Garbage and truncation.
        std::fs::write(&s.path, b"garbage").unwrap();
        assert!(matches!(s.load(), Err(SpoolError::Invalid(_))));
        // Key missing.
        std::fs::remove_file(&s.key_path).unwrap();
        assert!(matches!(s.load(), Err(SpoolError::Invalid(_))));
    }
}
