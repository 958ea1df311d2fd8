//! The SDK's error type.

use std::path::{Path, PathBuf};

/// Why a consent or storage operation failed. Capturing events never fails: it only
/// counts what it could not queue.
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
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
