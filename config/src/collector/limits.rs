//! Request and connection limits.

use serde::{Deserialize, Serialize};

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
