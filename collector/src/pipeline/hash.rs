//! Pseudonymous ids: keyed BLAKE3 under the tenant's secret.

use serde_json::{Map, Value};

/// Property names that hold an identifier of a person or device, re-hashed like
/// `distinct_id` so they join with it within a tenant and never leave raw.
const ID_PROPERTIES: &[&str] = &[
    "$device_id",
    "$anon_distinct_id",
    "$user_id",
    "user_id",
    "device_id",
    "machine_id",
    "$machine_id",
    "$session_id",
    "$window_id",
];

/// Re-hashes ids with one tenant's key. Same input and key, same output.
#[derive(Clone)]
pub struct IdHasher {
    key: [u8; 32],
}

impl IdHasher {
    /// The top-level properties re-hashed like `distinct_id` ([`hash_id_properties`](Self::hash_id_properties)).
    pub const ID_PROPERTIES: &'static [&'static str] = ID_PROPERTIES;

    /// Derives the hashing key from the tenant's configured secret.
    pub fn new(secret: &[u8]) -> Self {
        IdHasher {
            key: blake3::derive_key("hush-collector 2026 distinct_id v1", secret),
        }
    }

    /// 32 hex characters (128 bits) of keyed BLAKE3 of `id`. Never one of PostHog's
    /// reserved ids (`anonymous`, `0`, `null`, …): those are not 32 hex digits.
    pub fn hash(&self, id: &str) -> String {
        let hash = blake3::keyed_hash(&self.key, id.as_bytes());
        let hex = hash.to_hex();
        hex.as_str()[..32].to_string()
    }

    /// Re-hashes the id-carrying properties at the top of `properties`.
    pub fn hash_id_properties(&self, properties: &mut Map<String, Value>) {
        for key in ID_PROPERTIES {
            if let Some(value) = properties.get_mut(*key) {
                let raw = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Null => continue,
                    _ => {
                        *value = Value::Null;
                        continue;
                    }
                };
                *value = Value::String(self.hash(&raw));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_per_key_and_distinct_across_keys() {
        let a = IdHasher::new(b"tenant-a-secret-0123456789abcdef0123");
        let b = IdHasher::new(b"tenant-b-secret-0123456789abcdef0123");
        assert_eq!(a.hash("machine-1"), a.hash("machine-1"));
        assert_ne!(a.hash("machine-1"), a.hash("machine-2"));
        assert_ne!(a.hash("machine-1"), b.hash("machine-1"));
        assert_eq!(a.hash("x").len(), 32);
        for reserved in [
            "anonymous",
            "0",
            "null",
            "user",
            "undefined",
            "guest",
            "distinct_id",
        ] {
            let h = a.hash(reserved);
            assert_ne!(h, reserved);
            assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        }
    }

    #[test]
    fn no_collisions_in_a_large_sample() {
        let h = IdHasher::new(b"tenant-secret-0123456789abcdef0123456");
        let mut seen = std::collections::HashSet::new();
        for i in 0..100_000 {
            assert!(seen.insert(h.hash(&format!("id-{i}"))));
        }
    }

    #[test]
    fn id_properties_are_hashed() {
        let h = IdHasher::new(b"tenant-secret-0123456789abcdef0123456");
        let mut props =
            serde_json::json!({"$device_id": "dev-raw-1", "os": "linux", "user_id": 42})
                .as_object()
                .cloned()
                .unwrap();
        h.hash_id_properties(&mut props);
        assert_eq!(props["$device_id"], h.hash("dev-raw-1"));
        assert_eq!(props["user_id"], h.hash("42"));
        assert_eq!(props["os"], "linux");
    }
}
