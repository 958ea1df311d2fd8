//! The checks that serde cannot make: values that must differ, limits above zero, URLs,
//! and sinks that leave accepted events somewhere to go.

use super::figment_errors::source_of;
use super::{CollectorConfig, MIN_ADMIN_TOKEN_BYTES, MIN_HASH_KEY_BYTES};
use crate::ConfigError;
use figment::Figment;
use std::collections::HashMap;

impl CollectorConfig {
    /// Checks what serde cannot; an error names the key and where its value came from.
    pub(super) fn validate(&self, figment: &Figment) -> Result<(), ConfigError> {
        self.validate_tenants(figment)?;
        self.validate_limits(figment)?;
        self.validate_admin(figment)?;
        if let Some(share) = self.queue.tenant_share {
            // Also refuses NaN, which would otherwise cast to a share of zero bytes.
            if !(share > 0.0 && share <= 1.0) {
                return Err(ConfigError::Invalid {
                    key: "queue.tenant_share".into(),
                    source_name: source_of(figment, &["queue", "tenant_share"]),
                    reason: "must be a fraction of the cap, above 0 and at most 1".into(),
                });
            }
        }
        if let Some(posthog) = &self.posthog {
            check_url(figment, &["posthog", "host"], &posthog.host)?;
            if posthog.api_key.is_empty() {
                return Err(ConfigError::Invalid {
                    key: "posthog.api_key".into(),
                    source_name: source_of(figment, &["posthog", "api_key"]),
                    reason: "must not be empty".into(),
                });
            }
        }
        if let Some(clickhouse) = &self.clickhouse {
            check_url(figment, &["clickhouse", "url"], &clickhouse.url)?;
            let db_ok = !clickhouse.database.is_empty()
                && clickhouse
                    .database
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !db_ok {
                return Err(ConfigError::Invalid {
                    key: "clickhouse.database".into(),
                    source_name: source_of(figment, &["clickhouse", "database"]),
                    reason: "must be letters, digits and underscores".into(),
                });
            }
        }
        if !self.any_sink() {
            return Err(ConfigError::Invalid {
                key: "local.enabled".into(),
                source_name: source_of(figment, &["local", "enabled"]),
                reason: "is false and neither [posthog] nor [clickhouse] is set: accepted events would go nowhere".into(),
            });
        }
        Ok(())
    }

    /// Each tenant needs a name, a project key and a hash key of its own: names, project keys
    /// and hash keys must all differ between tenants. Errors name the tenants, never a key.
    fn validate_tenants(&self, figment: &Figment) -> Result<(), ConfigError> {
        let mut names: HashMap<&str, usize> = HashMap::new();
        let mut api_keys: HashMap<&str, usize> = HashMap::new();
        let mut hash_keys: HashMap<&str, usize> = HashMap::new();
        for (i, tenant) in self.tenants.iter().enumerate() {
            let invalid = |field: &str, reason: String| ConfigError::Invalid {
                key: format!("tenants[{i}].{field}"),
                source_name: source_of(figment, &["tenants"]),
                reason,
            };
            let name = tenant.name.trim();
            if name.is_empty() {
                return Err(invalid("name", "must not be empty".into()));
            }
            if let Some(first) = names.insert(name, i) {
                return Err(invalid(
                    "name",
                    format!("tenant name {name:?} is used twice (tenants[{first}] and tenants[{i}]); each tenant needs its own name"),
                ));
            }
            if tenant.api_key.is_empty() {
                return Err(invalid("api_key", "must not be empty".into()));
            }
            if tenant.api_key.expose().starts_with("phx_") {
                return Err(invalid(
                    "api_key",
                    "is a PostHog personal key (phx_); use the project key (phc_)".into(),
                ));
            }
            if let Some(first) = api_keys.insert(tenant.api_key.expose(), i) {
                return Err(invalid(
                    "api_key",
                    format!(
                        "duplicates the api_key of tenant {:?} (tenants[{first}]); tenant {name:?} needs its own project key",
                        self.tenants[first].name
                    ),
                ));
            }
            if tenant.hash_key.is_empty() {
                return Err(invalid("hash_key", "is missing".into()));
            }
            if tenant.hash_key.expose().len() < MIN_HASH_KEY_BYTES {
                return Err(invalid(
                    "hash_key",
                    format!("must be at least {MIN_HASH_KEY_BYTES} bytes"),
                ));
            }
            if let Some(first) = hash_keys.insert(tenant.hash_key.expose(), i) {
                return Err(invalid(
                    "hash_key",
                    format!(
                        "is the same as the hash_key of tenant {:?} (tenants[{first}]); tenant {name:?} needs its own, or hashed ids could be joined across the two tenants",
                        self.tenants[first].name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Every limit must be greater than zero (a zero would refuse everything or disable the
    /// protection silently).
    fn validate_limits(&self, figment: &Figment) -> Result<(), ConfigError> {
        let l = &self.limits;
        let values: [(&str, u64); 13] = [
            ("max_body_bytes", l.max_body_bytes as u64),
            ("max_batch_len", l.max_batch_len as u64),
            ("max_json_depth", l.max_json_depth as u64),
            ("max_string_bytes", l.max_string_bytes as u64),
            (
                "max_properties_per_event",
                l.max_properties_per_event as u64,
            ),
            ("max_keys_per_request", l.max_keys_per_request as u64),
            (
                "max_string_bytes_per_request",
                l.max_string_bytes_per_request as u64,
            ),
            ("rate_per_second", l.rate_per_second),
            ("rate_burst", l.rate_burst),
            ("request_timeout_ms", l.request_timeout_ms),
            ("header_read_timeout_ms", l.header_read_timeout_ms),
            ("idle_timeout_ms", l.idle_timeout_ms),
            ("max_connections", l.max_connections as u64),
        ];
        match values.iter().find(|(_, v)| *v == 0) {
            Some((name, _)) => Err(ConfigError::Invalid {
                key: format!("limits.{name}"),
                source_name: source_of(figment, &["limits", name]),
                reason: "must be greater than 0".into(),
            }),
            None => Ok(()),
        }
    }

    fn validate_admin(&self, figment: &Figment) -> Result<(), ConfigError> {
        if self.admin.listen == Some(self.listen) {
            return Err(ConfigError::Invalid {
                key: "admin.listen".into(),
                source_name: source_of(figment, &["admin", "listen"]),
                reason: "must differ from `listen`".into(),
            });
        }
        if let Some(token) = &self.admin.token {
            if token.expose().len() < MIN_ADMIN_TOKEN_BYTES {
                return Err(ConfigError::Invalid {
                    key: "admin.token".into(),
                    source_name: source_of(figment, &["admin", "token"]),
                    reason: format!("must be at least {MIN_ADMIN_TOKEN_BYTES} bytes"),
                });
            }
        }
        Ok(())
    }
}

fn check_url(figment: &Figment, path: &[&str], value: &str) -> Result<(), ConfigError> {
    let reason = match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            return Ok(())
        }
        Ok(_) => "must be an http:// or https:// URL with a host".to_string(),
        Err(e) => format!("is not a valid URL ({e})"),
    };
    Err(ConfigError::Invalid {
        key: path.join("."),
        source_name: source_of(figment, path),
        reason,
    })
}
