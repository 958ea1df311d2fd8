//! The collector's settings: defaults < TOML file < `HUSH_*` environment.
//!
//! [`CollectorConfig`] and its loading live here; each section of the file has its own
//! module, and the checks that need more than serde are in `validate`.

mod admin;
mod env;
mod figment_errors;
mod limits;
mod queue;
mod scrub;
mod sinks;
mod tenant;
mod validate;

pub use admin::{AdminConfig, MIN_ADMIN_TOKEN_BYTES};
pub use limits::LimitsConfig;
pub use queue::QueueConfig;
pub use scrub::{ScrubAction, ScrubConfig, ScrubRuleConfig};
pub use sinks::{ClickHouseConfig, LocalSinkConfig, PostHogConfig};
pub use tenant::{Preset, TenantConfig, MIN_HASH_KEY_BYTES};

use crate::{ConfigError, PolicyConfig};
use env::{env_providers, unknown_env_vars};
use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use figment_errors::describe;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything the collector needs to run. Loaded with [`CollectorConfig::load`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectorConfig {
    /// Address to listen on. Default `127.0.0.1:8787`.
    pub listen: SocketAddr,
    /// Directory for the durable queue and the local sink. Default `hush-data`.
    pub data_dir: PathBuf,
    /// Projects that may send events; each project key selects one tenant.
    pub tenants: Vec<TenantConfig>,
    /// The PostHog sink; on when set.
    pub posthog: Option<PostHogConfig>,
    /// The ClickHouse sink; on when set.
    pub clickhouse: Option<ClickHouseConfig>,
    /// The local JSON Lines sink (the embedded default).
    pub local: LocalSinkConfig,
    /// The durable queue between ingest and the sinks.
    pub queue: QueueConfig,
    /// Request and connection limits.
    pub limits: LimitsConfig,
    /// Who may read `/metrics` and the details of `/readyz`.
    pub admin: AdminConfig,
    /// Additions to the default event policy, for every tenant.
    pub policy: PolicyConfig,
    /// Custom scrubbing rules, on top of the built-in detectors.
    pub scrub: ScrubConfig,
    /// What loading ignored and the operator should hear about: `HUSH_*` environment
    /// variables that are not collector settings (a script's `HUSH_BIN`, say). Not a
    /// setting itself.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
            data_dir: PathBuf::from("hush-data"),
            tenants: Vec::new(),
            posthog: None,
            clickhouse: None,
            local: LocalSinkConfig { enabled: true },
            queue: QueueConfig::default(),
            limits: LimitsConfig::default(),
            admin: AdminConfig::default(),
            policy: PolicyConfig::default(),
            scrub: ScrubConfig::default(),
            warnings: Vec::new(),
        }
    }
}

impl CollectorConfig {
    /// Loads defaults < `file` (if given) < the process's `HUSH_*` environment, then
    /// validates.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the key and its source (file path or environment variable)
    /// for unknown keys, wrong types, a bad listen address, a missing or short `hash_key`,
    /// two tenants sharing a name, an `api_key` or a `hash_key`, a limit of zero, a short
    /// `admin.token`, `admin.listen` equal to `listen`, or a malformed URL.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    /// Like [`CollectorConfig::load`] with an explicit environment, for tests and embedding.
    ///
    /// # Errors
    /// As [`CollectorConfig::load`].
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        if let Some(path) = file {
            // figment treats a missing file as empty; a named file that is missing is an error.
            std::fs::metadata(path).map_err(|e| ConfigError::File {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        }
        let mut vars = env_providers(env);
        let mut warnings = Vec::new();
        // A `HUSH_*` variable that names no setting is set aside with a warning (scripts set
        // their own `HUSH_*` variables); an unknown key in the file stays an error. Serde
        // stops at the first unknown key, so each pass sets aside at most one variable.
        loop {
            let mut figment = Figment::from(Serialized::defaults(CollectorConfig::default()));
            if let Some(path) = file {
                figment = figment.merge(Toml::file_exact(path));
            }
            for var in &vars {
                figment = figment.merge(var.clone());
            }
            match figment.extract::<CollectorConfig>() {
                Ok(mut config) => {
                    config.validate(&figment)?;
                    config.warnings = warnings;
                    return Ok(config);
                }
                Err(e) => {
                    let stray = unknown_env_vars(&e);
                    if stray.is_empty() {
                        return Err(describe(&e));
                    }
                    vars.retain(|v| !stray.contains(&v.name().to_owned()));
                    warnings.extend(stray.into_iter().map(|name| {
                        format!(
                            "ignoring environment variable {name}: it is not a collector setting"
                        )
                    }));
                }
            }
        }
    }

    /// The tenant whose project key is `api_key`, if any.
    pub fn tenant_by_key(&self, api_key: &str) -> Option<&TenantConfig> {
        self.tenants.iter().find(|t| t.api_key.expose() == api_key)
    }
}
