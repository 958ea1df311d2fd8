//! The collector's settings: defaults < TOML file < `HUSH_*` environment.

use crate::{ConfigError, PolicyConfig, Secret};
use figment::error::{Actual, Kind};
use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider, Source};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Environment variables with the `HUSH_` prefix that belong to the SDK, not the collector,
/// and so are not "unknown keys" here.
const SDK_ENV_KEYS: &[&str] = &["telemetry_level", "telemetry_debug", "config"];

/// The minimum length of a tenant's `hash_key`, in bytes.
pub const MIN_HASH_KEY_BYTES: usize = 32;

/// The minimum length of `admin.token`, in bytes.
pub const MIN_ADMIN_TOKEN_BYTES: usize = 32;

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
}

/// One project: its key, its name and its secret for pseudonymising ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// A short name, stored in the `tenant` column.
    pub name: String,
    /// The project key that SDKs and PostHog clients send (`phc_...`).
    pub api_key: Secret,
    /// Secret key for hashing `distinct_id`s, at least 32 bytes.
    pub hash_key: Secret,
    /// Additions to the event policy for this tenant only.
    #[serde(default)]
    pub policy: PolicyConfig,
}

/// Where and how to forward events to PostHog.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostHogConfig {
    /// PostHog host, e.g. `https://eu.i.posthog.com`.
    pub host: String,
    /// The project key to forward with.
    pub api_key: Secret,
    /// Events per request. Default 100.
    #[serde(default = "default_posthog_batch")]
    pub batch_size: usize,
    /// Request timeout in milliseconds. Default 10000.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

/// Where and how to store events in ClickHouse.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClickHouseConfig {
    /// HTTP(S) endpoint, e.g. `http://127.0.0.1:8123`; `https://` uses TLS with the Mozilla
    /// root certificates (ClickHouse Cloud: `https://HOST:8443`).
    pub url: String,
    /// Database, created at start if missing. Default `hush`.
    #[serde(default = "default_ch_database")]
    pub database: String,
    /// User. Default `default`.
    #[serde(default = "default_ch_user")]
    pub user: String,
    /// Password. Default empty.
    #[serde(default)]
    pub password: Secret,
    /// Rows per insert. Default 1000.
    #[serde(default = "default_ch_batch")]
    pub batch_size: usize,
    /// Longest wait before a partial batch is inserted, in milliseconds. Default 1000.
    #[serde(default = "default_flush_ms")]
    pub flush_interval_ms: u64,
    /// Days of data to keep; older daily partitions are dropped. Default: keep all.
    #[serde(default)]
    pub retention_days: Option<u32>,
}

/// The local JSON Lines sink under `data_dir/events/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalSinkConfig {
    /// Whether the local sink runs. Default true.
    pub enabled: bool,
}

/// The durable queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// Disk cap for queued events, in bytes; ingest answers 503 when full. Default 1 GiB.
    pub max_bytes: u64,
    /// Size of one log segment, in bytes. Default 64 MiB.
    pub segment_bytes: u64,
    /// The fraction of `max_bytes` one tenant may hold in the queue (`0 < share <= 1`):
    /// a tenant at its share gets `503` while the others are still accepted. Default:
    /// half the cap when more than one tenant is configured, the whole cap with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_share: Option<f64>,
}

impl QueueConfig {
    /// The bytes one tenant may hold in the queue, out of `tenants` tenants
    /// (see [`QueueConfig::tenant_share`]); `None` means only the whole cap applies.
    pub fn max_tenant_bytes(&self, tenants: usize) -> Option<u64> {
        let share = match self.tenant_share {
            Some(share) => share,
            None if tenants > 1 => 0.5,
            None => return None,
        };
        // The cap fits an f64 exactly enough: a share is a policy, not an accounting.
        Some((self.max_bytes as f64 * share) as u64)
    }
}

/// Limits that protect the collector from bad or abusive clients. Every limit must be
/// greater than zero.
///
/// Per request, the work done is bounded before any event is built: the body is read up to
/// `max_body_bytes`, the top level is read with the events as raw slices, the project key is
/// checked, then each event is counted (keys, properties, string bytes, depth) against the
/// limits below without being built; only then are events parsed, one at a time.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest request body after decompression, in bytes. Default 20 MB, as PostHog.
    pub max_body_bytes: usize,
    /// Most events in one batch. Default 10000.
    pub max_batch_len: usize,
    /// Deepest JSON nesting accepted. Default 64.
    pub max_json_depth: usize,
    /// Longest single string value or key, in bytes. Default 1 MiB.
    pub max_string_bytes: usize,
    /// Most properties in one event's `properties` object (answered 413
    /// `too_many_properties`). Default 1000.
    pub max_properties_per_event: usize,
    /// Most object keys in one request, counted over all its events at every depth
    /// (answered 413 `too_many_keys`). Default 250000.
    pub max_keys_per_request: usize,
    /// Most bytes of strings in one request, keys and values, counted after unescaping over
    /// all its events (answered 413 `too_many_string_bytes`). Default 16 MiB.
    pub max_string_bytes_per_request: usize,
    /// Events per second per tenant (token bucket rate). Default 100000.
    pub rate_per_second: u64,
    /// Burst size of the per-tenant token bucket, in events. Default 200000.
    pub rate_burst: u64,
    /// Longest time one request may take, from its headers to its answer (reading the body
    /// included), in milliseconds; past it the answer is 503 `timeout`. Default 30000.
    pub request_timeout_ms: u64,
    /// Longest time a client may take to send a request's headers, in milliseconds, counted
    /// from the connection's accept (first request) or from the first byte of a following
    /// request; past it the connection is closed without an answer. Default 10000.
    pub header_read_timeout_ms: u64,
    /// Longest time a keep-alive connection may stay idle between requests (or an answer
    /// may wait for the client to read it), in milliseconds; past it the connection is
    /// closed. Default 60000.
    pub idle_timeout_ms: u64,
    /// Most open client connections on the main listener. A connection past the cap gets an
    /// immediate `503` with `Retry-After: 1` and is closed. Keep it below the process's
    /// open-file limit (`ulimit -n`). Default 512.
    pub max_connections: usize,
}

/// Who may read `/metrics` and the details of `/readyz` (queue size, problems).
///
/// By default they are served on the main listener only when it listens on loopback. When
/// `listen` is set, they move to that separate listener (which serves nothing else); when
/// `token` is set, they need `Authorization: Bearer <token>` on every listener. `/healthz`
/// and the bare ready/not-ready answer of `/readyz` stay open everywhere, for load balancers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// A separate address for `/healthz`, `/readyz` and `/metrics`, e.g. `127.0.0.1:8788`.
    /// Must differ from `listen`. Default: none.
    pub listen: Option<SocketAddr>,
    /// A bearer token that `/metrics` and `/readyz` details require, at least 32 bytes.
    /// Default: none.
    pub token: Option<Secret>,
}

/// Custom scrubbing rules.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrubConfig {
    /// Extra regex rules applied with the built-in detectors.
    pub rules: Vec<ScrubRuleConfig>,
}

/// One custom scrubbing rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrubRuleConfig {
    /// Rule name, used in the placeholder `[REDACTED:name]` and in counts.
    pub name: String,
    /// A regular expression (Rust `regex` syntax).
    pub pattern: String,
    /// What to put where the rule matches. Default `placeholder`.
    #[serde(default)]
    pub action: ScrubAction,
}

/// What a custom scrubbing rule does with what it finds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScrubAction {
    /// `[REDACTED:name]` (the default).
    #[default]
    Placeholder,
    /// A keyed hash of the match, so equal values stay equal.
    Hash,
    /// The match with its characters masked.
    Mask,
    /// Nothing: the match is cut out.
    Remove,
}

fn default_posthog_batch() -> usize {
    100
}
fn default_timeout_ms() -> u64 {
    10_000
}
fn default_ch_database() -> String {
    "hush".into()
}
fn default_ch_user() -> String {
    "default".into()
}
fn default_ch_batch() -> usize {
    1000
}
fn default_flush_ms() -> u64 {
    1000
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
        }
    }
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            max_bytes: 1 << 30,
            segment_bytes: 64 << 20,
            tenant_share: None,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_body_bytes: 20_000_000,
            max_batch_len: 10_000,
            max_json_depth: 64,
            max_string_bytes: 1 << 20,
            max_properties_per_event: 1000,
            max_keys_per_request: 250_000,
            max_string_bytes_per_request: 16 << 20,
            rate_per_second: 100_000,
            rate_burst: 200_000,
            request_timeout_ms: 30_000,
            header_read_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            max_connections: 512,
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
        let mut figment = Figment::from(Serialized::defaults(CollectorConfig::default()));
        if let Some(path) = file {
            // figment treats a missing file as empty; a named file that is missing is an error.
            std::fs::metadata(path).map_err(|e| ConfigError::File {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
            figment = figment.merge(Toml::file_exact(path));
        }
        for var in env_providers(env) {
            figment = figment.merge(var);
        }
        let config: CollectorConfig = figment.extract().map_err(|e| describe(&e))?;
        config.validate(&figment)?;
        Ok(config)
    }

    fn validate(&self, figment: &Figment) -> Result<(), ConfigError> {
        self.validate_tenants(figment)?;
        self.validate_limits(figment)?;
        self.validate_admin(figment)?;
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
        if !self.local.enabled && self.posthog.is_none() && self.clickhouse.is_none() {
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

    /// The tenant whose project key is `api_key`, if any.
    pub fn tenant_by_key(&self, api_key: &str) -> Option<&TenantConfig> {
        self.tenants.iter().find(|t| t.api_key.expose() == api_key)
    }
}

/// One `HUSH_*` variable as a figment provider, so errors and [`source_of`] can name the
/// exact variable a value came from.
struct EnvVar {
    name: String,
    key: String,
    value: String,
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

fn env_providers(env: impl IntoIterator<Item = (String, String)>) -> Vec<EnvVar> {
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

/// Names where the value at `path` came from: the file path, the environment variable, or
/// the built-in defaults.
fn source_of(figment: &Figment, path: &[&str]) -> String {
    match figment.find_metadata(&path.join(".")) {
        Some(metadata) => describe_source(metadata),
        None => "built-in defaults".into(),
    }
}

fn describe_source(metadata: &Metadata) -> String {
    match &metadata.source {
        Some(Source::File(file)) => format!("file {}", file.display()),
        _ => metadata.name.to_string(),
    }
}

/// Turns a figment error into our own, describing types rather than echoing values (a value
/// may be a secret).
fn describe(error: &figment::Error) -> ConfigError {
    let mut parts = Vec::new();
    for e in error.clone() {
        let path: Vec<&str> = e.path.iter().map(String::as_str).collect();
        let key = if path.is_empty() {
            "(top level)".to_string()
        } else {
            path.join(".")
        };
        let source = e
            .metadata
            .as_ref()
            .map(describe_source)
            .unwrap_or_else(|| "the configuration".into());
        let what = match &e.kind {
            Kind::UnknownField(field, _) => {
                let full = if path.last() == Some(&field.as_str()) {
                    key.clone()
                } else if path.is_empty() {
                    field.clone()
                } else {
                    format!("{key}.{field}")
                };
                format!("unknown key `{full}` (from {source})")
            }
            Kind::MissingField(field) => {
                format!("missing key `{field}` in `{key}` (from {source})")
            }
            Kind::InvalidType(actual, expected) => format!(
                "`{key}` (from {source}) should be {expected}, found {}",
                actual_kind(actual)
            ),
            Kind::InvalidValue(actual, expected) => format!(
                "`{key}` (from {source}) should be {expected}, found {}",
                actual_kind(actual)
            ),
            Kind::InvalidLength(len, expected) => {
                format!("`{key}` (from {source}) has length {len}, expected {expected}")
            }
            // The value is not repeated: errors never echo what might be a secret.
            Kind::UnknownVariant(_, expected) => format!(
                "`{key}` (from {source}) should be one of {}",
                expected
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Kind::Message(message) => format!("`{key}` (from {source}): {message}"),
            _ => format!("`{key}` (from {source}) is invalid"),
        };
        parts.push(what);
    }
    ConfigError::Parse(parts.join("; "))
}

fn actual_kind(actual: &Actual) -> &'static str {
    match actual {
        Actual::Bool(_) => "a boolean",
        Actual::Unsigned(_) | Actual::Signed(_) => "an integer",
        Actual::Float(_) => "a float",
        Actual::Char(_) | Actual::Str(_) => "a string",
        Actual::Bytes(_) => "bytes",
        Actual::Seq => "a list",
        Actual::Map => "a table",
        Actual::Unit | Actual::Option => "nothing",
        _ => "another type",
    }
}
