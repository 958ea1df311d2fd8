//! Erase receipts, one file each under `data_dir/receipts/`: what a caller polls with
//! `GET /v1/erase/{receipt}`, and what lets an erase cut short by a restart finish after
//! it. A receipt id is 128 random bits, so it cannot be guessed; its answer holds counts
//! only, never an id.

use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Where an erase stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EraseStatus {
    /// Accepted; some store is not done yet.
    Pending,
    /// Every store is done.
    Done,
    /// A store kept failing; `error` says which. The tombstone still stops delivery.
    Failed,
}

/// Events removed per store; `None` where the store is not configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// Queued events not yet delivered to every sink, which no sink will now deliver.
    pub queue: u64,
    /// Lines removed from the local sink's day files.
    pub local: Option<u64>,
    /// Rows removed from ClickHouse.
    pub clickhouse: Option<u64>,
}

/// One erase request and its outcome.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receipt {
    /// The receipt id: 32 hex digits.
    pub receipt: String,
    /// Where it stands.
    pub status: EraseStatus,
    /// When it was accepted (RFC 3339).
    pub requested_at: String,
    /// When it finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Events removed per store.
    pub removed: Removed,
    /// What happened to PostHog's copy.
    pub posthog: String,
    /// Why it failed (a store's name and a short reason; never an id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Server side only: the tenant and the stored (hashed) id, so that a restart can
    /// finish the erase. Never in an HTTP answer or a log.
    #[serde(flatten)]
    pub target: Target,
}

/// Whose events an erase removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The tenant.
    pub tenant: String,
    /// The id as stored (hashed under the tenant's key), or
    /// [`WHOLE_TENANT`](crate::erasures::WHOLE_TENANT).
    pub hashed_id: String,
}

impl Receipt {
    /// The answer for `GET /v1/erase/{receipt}`: everything but the target.
    pub fn public_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.remove("tenant");
            map.remove("hashed_id");
        }
        value
    }
}

/// The receipts of one data directory.
#[derive(Debug)]
pub struct Receipts {
    dir: PathBuf,
}

/// The current time as RFC 3339.
pub(crate) fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn is_receipt_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Receipts {
    /// The receipts under `data_dir/receipts/`, creating the directory.
    ///
    /// # Errors
    /// The I/O error if the directory cannot be created.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let dir = data_dir.join("receipts");
        std::fs::create_dir_all(&dir)?;
        Ok(Receipts { dir })
    }

    /// A new pending receipt for `target`, stored.
    ///
    /// # Errors
    /// The I/O error if it cannot be stored, or the random source fails.
    pub fn create(&self, target: Target, posthog: &str) -> io::Result<Receipt> {
        let mut bytes = [0u8; 16];
        getrandom::getrandom(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
        let receipt = Receipt {
            receipt: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            status: EraseStatus::Pending,
            requested_at: now_rfc3339(),
            finished_at: None,
            removed: Removed::default(),
            posthog: posthog.to_owned(),
            error: None,
            target,
        };
        self.store(&receipt)?;
        Ok(receipt)
    }

    /// Writes `receipt` (a temporary file, synced, renamed over the old one).
    ///
    /// # Errors
    /// The I/O error if it cannot be written.
    pub fn store(&self, receipt: &Receipt) -> io::Result<()> {
        let path = self.dir.join(format!("{}.json", receipt.receipt));
        let tmp = self.dir.join(format!(".{}.tmp", receipt.receipt));
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&serde_json::to_vec(receipt).map_err(io::Error::other)?)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(&self.dir)?.sync_all()
    }

    /// The receipt `id`, if there is one (an id of the wrong shape is none).
    pub fn get(&self, id: &str) -> Option<Receipt> {
        if !is_receipt_id(id) {
            return None;
        }
        let bytes = std::fs::read(self.dir.join(format!("{id}.json"))).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Every pending receipt, to finish after a restart.
    pub fn pending(&self) -> Vec<Receipt> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                self.get(name.strip_suffix(".json")?)
            })
            .filter(|r| r.status == EraseStatus::Pending)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_is_stored_found_and_answered_without_its_target() {
        let tmp = tempfile::tempdir().unwrap();
        let receipts = Receipts::open(tmp.path()).unwrap();
        let target = Target {
            tenant: "acme".into(),
            hashed_id: "0123456789abcdef0123456789abcdef".into(),
        };
        let mut receipt = receipts.create(target.clone(), "not configured").unwrap();
        assert!(is_receipt_id(&receipt.receipt));
        assert_eq!(receipts.pending().len(), 1);
        receipt.status = EraseStatus::Done;
        receipts.store(&receipt).unwrap();
        let found = receipts.get(&receipt.receipt).unwrap();
        assert_eq!(found.status, EraseStatus::Done);
        assert_eq!(found.target, target);
        assert!(receipts.pending().is_empty());
        let public = found.public_json().to_string();
        assert!(
            !public.contains("acme") && !public.contains("0123456789abcdef"),
            "{public}"
        );
        assert!(receipts.get("../../etc/passwd").is_none());
        assert!(receipts.get("0123456789ABCDEF0123456789ABCDEF").is_none());
    }
}
