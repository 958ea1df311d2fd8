//! HTTP transport: one gzip-compressed PostHog `/batch/` request per batch.
//!
//! Why not `posthog-rs`, the preferred PostHog client: it sends uncompressed bodies (no
//! `Content-Encoding: gzip`), reports neither per-batch results nor `Retry-After`, so a
//! 429 cannot be honoured and nothing can be spooled precisely, and it brings its own
//! reqwest/tokio stack into apps that did not ask for a runtime. The SDK instead uses
//! blocking `ureq` on its single background worker thread.
//!
//! This module does one attempt at a time and classifies the outcome; the retry loop with
//! backoff lives in the worker (`worker.rs`), which can interrupt it at shutdown.

use crate::events::{rfc3339, Event};
use flate2::write::GzEncoder;
use flate2::Compression;
use hush_config::Secret;
use serde_json::{json, Value};
use std::io::Write;
use std::time::Duration;
use time::OffsetDateTime;

/// Longest wait a `Retry-After` header can impose.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Longest backoff between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// 2xx: the collector has the batch.
    Delivered,
    /// 408, 429, 5xx or a network error: try again, after this long if the server said.
    Retry(Option<Duration>),
    /// Any other status: the batch will never be accepted.
    Rejected(u16),
}

/// Sends batches to `{host}/batch/`.
pub(crate) struct Transport {
    agent: ureq::Agent,
    url: String,
    api_key: Secret,
}

impl Transport {
    /// A transport for this collector host (`http(s)://host[:port][/prefix]`).
    pub fn new(host: &str, api_key: Secret, connect_timeout: Duration) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(connect_timeout)
            // A redirect could take the data to another host: never follow one.
            .redirects(0)
            .user_agent(concat!("hush-sdk/", env!("CARGO_PKG_VERSION")))
            .max_idle_connections(1)
            .build();
        Transport {
            agent,
            url: batch_url(host),
            api_key,
        }
    }

    /// The gzip-compressed JSON body for these events.
    pub fn encode(&self, events: &[Event]) -> Vec<u8> {
        encode(self.api_key.expose(), events)
    }

    /// One POST with this overall timeout.
    pub fn attempt(&self, body: &[u8], timeout: Duration) -> Attempt {
        let result = self
            .agent
            .post(&self.url)
            .timeout(timeout)
            .set("Content-Type", "application/json")
            .set("Content-Encoding", "gzip")
            .send_bytes(body);
        match result {
            Ok(response) => {
                // Read the (small) body so the connection can be reused.
                let _ = response.into_string();
                Attempt::Delivered
            }
            Err(ureq::Error::Status(code, response)) => {
                classify(code, response.header("Retry-After"))
            }
            Err(ureq::Error::Transport(_)) => Attempt::Retry(None),
        }
    }
}

/// `{host}/batch/`, whatever trailing slashes the host has.
pub(crate) fn batch_url(host: &str) -> String {
    format!("{}/batch/", host.trim().trim_end_matches('/'))
}

/// The PostHog batch body, gzip-compressed.
pub(crate) fn encode(api_key: &str, events: &[Event]) -> Vec<u8> {
    let batch: Vec<Value> = events.iter().map(Event::to_wire).collect();
    let body = json!({
        "api_key": api_key,
        "batch": batch,
        "sent_at": rfc3339(OffsetDateTime::now_utc()),
    });
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut gz, &body);
    let _ = gz.flush();
    gz.finish().unwrap_or_default()
}

/// What a status code means for the batch.
pub(crate) fn classify(code: u16, retry_after: Option<&str>) -> Attempt {
    match code {
        200..=299 => Attempt::Delivered,
        408 | 429 | 500..=599 => Attempt::Retry(retry_after.and_then(parse_retry_after)),
        _ => Attempt::Rejected(code),
    }
}

/// `Retry-After` as seconds or an HTTP date, capped at [`MAX_RETRY_AFTER`].
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let date =
            OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
        let secs = (date - OffsetDateTime::now_utc()).whole_seconds().max(0);
        Duration::from_secs(u64::try_from(secs).unwrap_or(0))
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Exponential backoff with jitter: `base * 2^attempt`, capped, plus up to 25 %.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base
        .saturating_mul(1u32 << attempt.min(16))
        .min(MAX_BACKOFF);
    let mut byte = [0u8; 1];
    let _ = getrandom::getrandom(&mut byte);
    exp + exp.mul_f64(f64::from(byte[0]) / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    #[test]
    fn status_classes() {
        assert_eq!(classify(200, None), Attempt::Delivered);
        assert_eq!(
            classify(429, Some("3")),
            Attempt::Retry(Some(Duration::from_secs(3)))
        );
        assert_eq!(classify(408, None), Attempt::Retry(None));
        assert_eq!(classify(503, None), Attempt::Retry(None));
        assert_eq!(classify(400, None), Attempt::Rejected(400));
        assert_eq!(classify(401, Some("1")), Attempt::Rejected(401));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("99999"), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Duration::from_millis(100);
        assert!(backoff(b, 0) >= b && backoff(b, 0) < b * 2);
        assert!(backoff(b, 3) >= b * 8);
        assert!(backoff(b, 30) <= MAX_BACKOFF * 2);
    }

    #[test]
    fn body_is_gzip_posthog_batch() {
        let body = encode("phc_k", &[]);
        let mut text = String::new();
        GzDecoder::new(&body[..]).read_to_string(&mut text).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["api_key"], "phc_k");
        assert!(v["batch"].as_array().unwrap().is_empty());
        assert!(v["sent_at"].as_str().unwrap().contains('T'));
        assert_eq!(batch_url("http://h:1/"), "http://h:1/batch/");
    }
}
