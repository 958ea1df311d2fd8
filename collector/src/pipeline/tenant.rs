//! Tenants: a project key selects the policy and the hashing keys.

use super::{web, IdHasher};
use hush_config::{CollectorConfig, Policy, PolicyConfig, Preset, TenantConfig};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// One tenant's effective settings.
pub struct Tenant {
    /// The tenant's name.
    pub name: String,
    /// Its event policy (defaults plus collector-wide and tenant additions).
    pub policy: Policy,
    /// Re-hashes ids under its key.
    pub hasher: IdHasher,
    /// Key for the scrubber's hash action, derived from the tenant's secret.
    pub scrub_key: [u8; 32],
    /// The `web` preset: posthog-js's page events with the web property allowlist.
    pub web: bool,
    /// Web origins allowed to send with this key (normalised); `None`: any.
    pub allowed_origins: Option<HashSet<String>>,
}

impl Tenant {
    /// A tenant with `policy`, to which [`web::NEVER_FORWARDED`] is added whatever it says.
    fn new(name: &str, secret: &[u8], policy: Policy) -> Self {
        let never = PolicyConfig {
            drop_properties: web::NEVER_FORWARDED.iter().map(|p| p.to_string()).collect(),
            ..PolicyConfig::default()
        };
        Tenant {
            name: name.to_string(),
            policy: policy.extended(&never),
            hasher: IdHasher::new(secret),
            scrub_key: blake3::derive_key("hush-collector 2026 scrub hash v1", secret),
            web: false,
            allowed_origins: None,
        }
    }

    fn from_config(config: &TenantConfig, base: &Policy) -> Self {
        let mut tenant = Tenant::new(
            &config.name,
            config.hash_key.expose().as_bytes(),
            base.extended(&config.policy),
        );
        tenant.web = config.presets.contains(&Preset::Web);
        tenant.allowed_origins = config
            .allowed_origins
            .as_ref()
            .map(|list| list.iter().map(|o| normalise_origin(o)).collect());
        tenant
    }

    /// Whether a page on `origin` (an `Origin` header) may send with this tenant's key.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins
            .as_ref()
            .is_none_or(|list| list.contains(&normalise_origin(origin)))
    }
}

/// An origin as compared: lower case, without a trailing `/`.
pub fn normalise_origin(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// All tenants, by project key.
#[derive(Clone, Default)]
pub struct Tenants {
    by_key: HashMap<String, Arc<Tenant>>,
    fallback: Option<Arc<Tenant>>,
}

impl Tenants {
    /// The tenants of a configuration.
    pub fn from_config(config: &CollectorConfig) -> Self {
        let base = Policy::default().extended(&config.policy);
        let by_key = config
            .tenants
            .iter()
            .map(|t| {
                let tenant = Tenant::from_config(t, &base);
                (t.api_key.expose().to_string(), Arc::new(tenant))
            })
            .collect();
        Tenants {
            by_key,
            fallback: None,
        }
    }

    /// For `hush-collector scrub`: the configured tenants, and for events that name none, the
    /// first configured tenant or else a `default` tenant with a random per-process key.
    ///
    /// # Errors
    /// When the operating system's random source fails.
    pub fn for_scrub(config: &CollectorConfig) -> Result<Self, getrandom::Error> {
        let mut tenants = Tenants::from_config(config);
        let first = config
            .tenants
            .first()
            .and_then(|t| tenants.by_key.get(t.api_key.expose()).cloned());
        tenants.fallback = match first {
            Some(t) => Some(t),
            None => {
                let mut secret = [0u8; 32];
                getrandom::getrandom(&mut secret)?;
                let policy = Policy::default().extended(&config.policy);
                Some(Arc::new(Tenant::new("default", &secret, policy)))
            }
        };
        Ok(tenants)
    }

    /// A tenant with this policy and secret, for tests and embedding.
    pub fn single(api_key: &str, name: &str, secret: &[u8], policy: &PolicyConfig) -> Self {
        let tenant = Tenant::new(name, secret, Policy::default().extended(policy));
        Tenants {
            by_key: HashMap::from([(api_key.to_string(), Arc::new(tenant))]),
            fallback: None,
        }
    }

    /// The tenant for a project key.
    pub fn get(&self, api_key: &str) -> Option<&Arc<Tenant>> {
        self.by_key.get(api_key)
    }

    /// The tenant for events that carry no key (only set for `scrub`).
    pub fn fallback(&self) -> Option<&Arc<Tenant>> {
        self.fallback.as_ref()
    }

    /// Whether no tenant is configured.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Whether some tenant lets a page on `origin` send: what a CORS answer may say before
    /// the request names its tenant (a preflight, or an error before the key is read).
    pub fn some_allow_origin(&self, origin: &str) -> bool {
        self.by_key.values().any(|t| t.allows_origin(origin))
    }
}
