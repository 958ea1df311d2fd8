//! Per-call scrubbing state: the hash key and redaction counts.

use std::collections::BTreeMap;

/// Per-event (or per-batch) scrubbing state.
///
/// Carries the key used by [`Redaction::Hash`](crate::Redaction::Hash) and counts the
/// redactions made, by kind name. Counts never contain values.
#[derive(Clone)]
pub struct ScrubContext {
    pub(crate) hash_key: Option<[u8; 32]>,
    pub(crate) counts: BTreeMap<String, u64>,
    /// False for throwaway contexts whose counts nobody reads.
    pub(crate) counting: bool,
}

impl Default for ScrubContext {
    fn default() -> Self {
        Self {
            hash_key: None,
            counts: BTreeMap::new(),
            counting: true,
        }
    }
}

impl std::fmt::Debug for ScrubContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScrubContext")
            .field("hash_key", &self.hash_key.map(|_| "<set>"))
            .field("counts", &self.counts)
            .finish()
    }
}

impl ScrubContext {
    /// A context without a hash key: hashes use the scrubber's own random key.
    pub fn new() -> Self {
        Self::default()
    }

    /// A context whose [`Redaction::Hash`](crate::Redaction::Hash) outputs are keyed with
    /// `key`, so they are stable across processes that share the key.
    pub fn with_hash_key(key: [u8; 32]) -> Self {
        Self {
            hash_key: Some(key),
            ..Self::default()
        }
    }

    /// Redaction counts by kind name (e.g. `"email" -> 2`).
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.counts
    }

    /// Total number of redactions recorded.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Forgets the counts, keeping the hash key.
    pub fn reset_counts(&mut self) {
        self.counts.clear();
    }

    pub(crate) fn record(&mut self, kind: &str) {
        if !self.counting {
            return;
        }
        if let Some(n) = self.counts.get_mut(kind) {
            *n += 1;
        } else {
            self.counts.insert(kind.to_owned(), 1);
        }
    }
}
