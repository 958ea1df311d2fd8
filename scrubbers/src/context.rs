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
    /// While an event is walked: the contextual values redacted so far, so that their
    /// other copies in the event are redacted too. Emptied when the walk ends.
    pub(crate) found: Vec<(crate::Kind, String)>,
    /// Whether to fill `found`.
    pub(crate) remember: bool,
}

impl Default for ScrubContext {
    fn default() -> Self {
        Self {
            hash_key: None,
            counts: BTreeMap::new(),
            counting: true,
            found: Vec::new(),
            remember: false,
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

    /// Remembers a contextual value redacted while an event is walked.
    pub(crate) fn remember(&mut self, kind: &crate::Kind, value: &str) {
        if self.remember
            && value.len() >= crate::repeat::MIN_LEN
            && !self.found.iter().any(|(_, v)| v == value)
        {
            self.found.push((kind.clone(), value.to_owned()));
        }
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
