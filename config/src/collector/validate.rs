//! The checks that serde cannot make: values that must differ, limits above zero, URLs,
//! and sinks that leave accepted events somewhere to go.

use super::figment_errors::source_of;
use super::sinks::Switch;
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
            if let Some(api_host) = &posthog.api_host {
                check_url(figment, &["posthog", "api_host"], api_host)?;
            }
            if posthog.api_key.is_empty() {
                return Err(ConfigError::Invalid {
                    key: "posthog.api_key".into(),
                    source_name: source_of(figment, &["posthog", "api_key"]),
                    reason: "must not be empty".into(),
                });
            }
            let (key, id) = (&posthog.personal_api_key, posthog.project_id);
            if key.is_some() != id.is_some() {
                let missing = if key.is_some() {
                    "project_id"
                } else {
                    "personal_api_key"
                };
                return Err(ConfigError::Invalid {
                    key: format!("posthog.{missing}"),
                    source_name: source_of(figment, &["posthog"]),
                    reason: "is needed too: deleting persons in PostHog takes a personal API key and the project id".into(),
                });
            }
            if key.as_ref().is_some_and(|k| k.is_empty()) {
                return Err(ConfigError::Invalid {
                    key: "posthog.personal_api_key".into(),
                    source_name: source_of(figment, &["posthog", "personal_api_key"]),
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
            return Err(self.no_sink(figment));
        }
        Ok(())
    }

    /// Each tenant needs a name, a project key and a hash key of its own: names, project keys
    /// and hash keys must all differ between tenants. Errors name the tenants, never a key.
    fn validate_tenants(&self, figment: &Figment) -> Result<(), ConfigError> {
        let mut names: HashMap<&str, usize> = HashMap::new();
        let mut api_keys: HashMap<&str, usize> = HashMap::new();
        let mut hash_keys: HashMap<&str, usize> = HashMap::new();
        let mut admin_tokens: HashMap<&str, usize> = HashMap::new();
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
            if let Some(token) = &tenant.admin_token {
                if token.expose().len() < MIN_ADMIN_TOKEN_BYTES {
                    return Err(invalid(
                        "admin_token",
                        format!("must be at least {MIN_ADMIN_TOKEN_BYTES} bytes"),
                    ));
                }
                if let Some(first) = admin_tokens.insert(token.expose(), i) {
                    return Err(invalid(
                        "admin_token",
                        format!(
                            "is the same as the admin_token of tenant {:?} (tenants[{first}]); each tenant needs its own",
                            self.tenants[first].name
                        ),
                    ));
                }
                if self
                    .admin
                    .token
                    .as_ref()
                    .is_some_and(|t| t.expose() == token.expose())
                {
                    return Err(invalid(
                        "admin_token",
                        "is the same as admin.token; a tenant's token must not be the collector's"
                            .into(),
                    ));
                }
            }
            if tenant.retention_days == Some(0) {
                return Err(invalid(
                    "retention_days",
                    "must be at least 1 (leave it out to keep events)".into(),
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

    /// The error for a configuration whose sinks are all off. It names the key that turned
    /// the default sink off (`local.enabled`) and the sink tables that are not set, from the
    /// one list of sink sections.
    fn no_sink(&self, figment: &Figment) -> ConfigError {
        let sections = self.sink_sections();
        let flag = sections
            .iter()
            .find(|s| s.switch == Switch::Enabled)
            .map_or("local", |s| s.name);
        let tables: Vec<String> = sections
            .iter()
            .filter(|s| s.switch == Switch::Table)
            .map(|s| format!("[{}]", s.name))
            .collect();
        ConfigError::Invalid {
            key: format!("{flag}.enabled"),
            source_name: source_of(figment, &[flag, "enabled"]),
            reason: format!(
                "is false and {}: accepted events would go nowhere",
                none_set(&tables)
            ),
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

/// `tables` (`[posthog]`, …) as the subject of "… is set", all of them negated: "neither
/// [a] nor [b] is set".
fn none_set(tables: &[String]) -> String {
    match tables {
        [] => "no other sink is set".into(),
        [one] => format!("{one} is not set"),
        [a, b] => format!("neither {a} nor {b} is set"),
        [rest @ .., last] => format!("none of {}, {last} is set", rest.join(", ")),
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

#[cfg(test)]
mod tests {
    use super::none_set;

    #[test]
    fn none_set_reads_for_any_number_of_sink_tables() {
        let tables = |names: &[&str]| names.iter().map(|n| format!("[{n}]")).collect::<Vec<_>>();
        assert_eq!(none_set(&tables(&[])), "no other sink is set");
        assert_eq!(none_set(&tables(&["a"])), "[a] is not set");
        assert_eq!(none_set(&tables(&["a", "b"])), "neither [a] nor [b] is set");
        assert_eq!(
            none_set(&tables(&["a", "b", "c"])),
            "none of [a], [b], [c] is set"
        );
    }
}
