//! The SDK's error type.

use std::path::{Path, PathBuf};

/// Why a consent, storage or data-rights operation failed. Capturing events never fails: it
/// only counts what it could not queue.
///
/// No message holds the machine's id, the project key or an event's content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file in the config or cache directory could not be read, written or removed.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The user's config directory is unknown (no `HOME`), so the choice cannot be stored.
    #[error("no config directory: set one with Builder::config_dir")]
    NoConfigDir,
    /// The user's cache directory is unknown (no `HOME`).
    #[error("no cache directory: set one with Builder::cache_dir")]
    NoCacheDir,
    /// `export()` or `erase_status()` has no collector to ask: the environment or the app
    /// turns telemetry off, or no host is set.
    #[error("no collector to ask: {reason}")]
    NoCollector {
        /// Why, in words.
        reason: String,
    },
    /// The collector could not be reached: a network error, a timeout, or `408`, `429` or
    /// `5xx`. Worth trying again later.
    #[error("the collector at {host} could not be reached{}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Unreachable {
        /// The collector's base URL.
        host: String,
        /// The HTTP status, when it answered.
        status: Option<u16>,
    },
    /// The collector refused the request (a `4xx` other than `408` and `429`).
    #[error("the collector refused the request: {0}")]
    Refused(crate::rights::Refusal),
    /// The collector answered with success but not with what its contract promises.
    #[error("unexpected answer from the collector: {reason}")]
    InvalidResponse {
        /// What was wrong.
        reason: String,
    },
    /// Not an erase receipt id (letters, digits, `-` and `_`, at most 128).
    #[error("not an erase receipt id: expected 1 to 128 letters, digits, '-' or '_'")]
    InvalidReceipt,
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
