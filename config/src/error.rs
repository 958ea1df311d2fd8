//! Configuration errors.

use std::path::PathBuf;

/// Why a configuration could not be loaded. Every variant names the key and where its
/// value came from; none repeats a secret value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or the environment could not be parsed into the settings types
    /// (unknown key, wrong type, bad TOML syntax).
    #[error("invalid configuration: {0}")]
    Parse(String),
    /// A value parsed but is not acceptable.
    #[error("invalid `{key}` (from {source_name}): {reason}")]
    Invalid {
        /// The key path, e.g. `tenants[0].hash_key`.
        key: String,
        /// Where the value came from: a file path or an environment variable.
        source_name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file named on the command line does not exist or cannot be read.
    #[error("cannot read config file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error, as text.
        reason: String,
    },
}
