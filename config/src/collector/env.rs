//! `HUSH_*` environment variables as figment providers.

use figment::value::{Dict, Map, Value};
use figment::{Metadata, Profile, Provider};

/// Environment variables with the `HUSH_` prefix that belong to the SDK, not the collector,
/// and so are not "unknown keys" here.
const SDK_ENV_KEYS: &[&str] = &["telemetry_level", "telemetry_debug", "config"];

/// One `HUSH_*` variable as a figment provider, so errors and
/// [`source_of`](super::figment_errors::source_of) can name the exact variable a value came
/// from.
#[derive(Clone)]
pub(super) struct EnvVar {
    name: String,
    key: String,
    value: String,
}

impl EnvVar {
    /// The variable's name (`HUSH_LISTEN`).
    pub(super) fn name(&self) -> &str {
        &self.name
    }
}

/// The `HUSH_*` variables an extraction error says are unknown keys.
pub(super) fn unknown_env_vars(error: &figment::Error) -> Vec<String> {
    const PREFIX: &str = "environment variable ";
    error
        .clone()
        .into_iter()
        .filter(|e| matches!(e.kind, figment::error::Kind::UnknownField(..)))
        .filter_map(|e| {
            let source = e.metadata.as_ref()?.name.strip_prefix(PREFIX)?.to_owned();
            Some(source)
        })
        .collect()
}

impl Provider for EnvVar {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("environment variable {}", self.name))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let value: Value = self.value.parse().unwrap_or_else(|e| match e {});
        let nested = figment::util::nest(&self.key, value);
        Ok(Profile::Default.collect(nested.into_dict().unwrap_or_default()))
    }
}

/// The `HUSH_*` variables of `env`, less the SDK's own, in name order so the result does not
/// depend on the order of `env`.
pub(super) fn env_providers(env: impl IntoIterator<Item = (String, String)>) -> Vec<EnvVar> {
    let mut vars: Vec<EnvVar> = env
        .into_iter()
        .filter_map(|(name, value)| {
            let rest = name.strip_prefix("HUSH_")?;
            let key = rest.to_ascii_lowercase().replace("__", ".");
            if SDK_ENV_KEYS.contains(&key.as_str()) {
                return None;
            }
            Some(EnvVar { name, key, value })
        })
        .collect();
    vars.sort_by(|a, b| a.name.cmp(&b.name));
    vars
}
