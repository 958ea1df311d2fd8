//! Tenants: a project key selects the policy and the hashing keys.

use super::IdHasher;
use hush_config::{CollectorConfig, Policy, PolicyConfig};
use std::collections::HashMap;
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
}

impl Tenant {
    fn new(name: &str, secret: &[u8], policy: Policy) -> Self {
        Tenant {
            name: name.to_string(),
            policy,
            hasher: IdHasher::new(secret),
            scrub_key: blake3::derive_key("hush-collector 2026 scrub hash v1", secret),
        }
    }
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
                let tenant = Tenant::new(
                    &t.name,
                    t.hash_key.expose().as_bytes(),
                    base.extended(&t.policy),
                );
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
}
