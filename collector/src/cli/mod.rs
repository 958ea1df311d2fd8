//! The commands of the `hush-collector` binary, one file each.

pub mod check_config;
pub mod erase;
pub mod policy;
pub mod scrub;
pub mod serve;

use hush_config::CollectorConfig;
use std::path::PathBuf;

/// The configuration: defaults < `config` (a TOML file) < `HUSH_*` variables.
pub fn load(config: Option<PathBuf>) -> anyhow::Result<CollectorConfig> {
    Ok(CollectorConfig::load(config.as_deref())?)
}
