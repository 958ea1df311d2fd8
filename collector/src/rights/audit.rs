//! The audit log: one JSON line per data-rights call in `data_dir/audit.jsonl` — when,
//! what, which tenant, the receipt and the counts. Never a raw id, a hashed id or a
//! payload: the log proves that requests were honoured without becoming a record of who
//! asked.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The file name under `data_dir`.
pub const AUDIT_FILE: &str = "audit.jsonl";

/// One line of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// What was asked: `erase_requested`, `erase_done`, `erase_failed`, `export`,
    /// `stats`, `erase_refused`, `export_refused`.
    pub action: &'static str,
    /// Who asked: `self_service`, `tenant_admin` or `collector_admin`.
    pub by: &'static str,
    /// The tenant the call was for.
    pub tenant: String,
    /// The erase receipt, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
    /// Counts per store (events removed or exported).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<&'static str, u64>,
    /// A short outcome for PostHog's copy or a refusal's reason code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The audit log of one data directory.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    write: Mutex<()>,
}

impl AuditLog {
    /// The log under `data_dir` (created on the first line).
    pub fn new(data_dir: &Path) -> Self {
        AuditLog {
            path: data_dir.join(AUDIT_FILE),
            write: Mutex::new(()),
        }
    }

    /// Appends `entry` with the current time, synced.
    ///
    /// # Errors
    /// The I/O error if the line cannot be written.
    pub fn write(&self, entry: &AuditEntry) -> io::Result<()> {
        #[derive(Serialize)]
        struct Line<'a> {
            time: String,
            #[serde(flatten)]
            entry: &'a AuditEntry,
        }
        let time = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .map_err(io::Error::other)?;
        let mut bytes = serde_json::to_vec(&Line { time, entry }).map_err(io::Error::other)?;
        bytes.push(b'\n');
        let _guard = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        file.write_all(&bytes)?;
        file.sync_data()
    }

    /// Writes `entry`, logging (without ids) when the audit file cannot be written: a
    /// data-rights call is not undone because its audit line failed.
    pub fn record(&self, entry: &AuditEntry) {
        if let Err(error) = self.write(entry) {
            tracing::error!(action = entry.action, tenant = %entry.tenant, %error, "cannot write the audit log");
        }
    }
}
