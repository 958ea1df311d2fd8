//! The three data-rights calls over HTTP, one attempt each: `POST {host}/v1/erase`,
//! `GET {host}/v1/erase/{receipt}` and `POST {host}/v1/export` (JSON Lines, read as it
//! streams). The raw id travels only in request bodies, never in a URL, and never reaches
//! an error: a collector message that echoes it gets `[id]` in its place.

use super::types::{EraseStatus, Receipt, Refusal};
use crate::transport::parse_retry_after;
use crate::Error;
use hush_config::Secret;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

/// The largest export read (a larger one is cut off with an error).
const MAX_EXPORT_BYTES: u64 = 256 * 1024 * 1024;
/// The longest collector message kept in a [`Refusal`].
const MAX_MESSAGE_CHARS: usize = 300;

/// Why a call did not succeed.
#[derive(Debug)]
pub(crate) enum CallError {
    /// A network error, a timeout, `408`, `429` or `5xx`: worth trying again later, after
    /// `retry_after` if the collector said.
    Unreachable {
        status: Option<u16>,
        retry_after: Option<Duration>,
    },
    /// Any other status, or a success without what the contract promises.
    Refused(Refusal),
    /// A success whose body does not follow the contract.
    Invalid(String),
}

impl CallError {
    /// The public error, naming the collector.
    pub fn into_error(self, host: &str) -> Error {
        match self {
            CallError::Unreachable { status, .. } => Error::Unreachable {
                host: host.to_string(),
                status,
            },
            CallError::Refused(refusal) => Error::Refused(refusal),
            CallError::Invalid(reason) => Error::InvalidResponse { reason },
        }
    }
}

/// A client for one collector and project key.
pub(crate) struct RightsClient {
    agent: ureq::Agent,
    host: String,
    api_key: Secret,
    timeout: Duration,
}

impl RightsClient {
    /// A client for `{host}` with this project key; each call takes at most `timeout`
    /// (an export: at most `timeout` between two reads).
    pub fn new(host: &str, api_key: Secret, timeout: Duration) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout.min(Duration::from_secs(5)))
            .timeout_read(timeout)
            .timeout_write(timeout)
            // A redirect could take the id to another host: never follow one.
            .redirects(0)
            .user_agent(concat!("hush-sdk/", env!("CARGO_PKG_VERSION")))
            .build();
        RightsClient {
            agent,
            host: host.trim().trim_end_matches('/').to_string(),
            api_key,
            timeout,
        }
    }

    /// `POST {host}{path}` with the key and the id; `whole` bounds the whole call (else
    /// only each read and write is bounded).
    fn post(
        &self,
        path: &str,
        distinct_id: &str,
        whole: bool,
    ) -> Result<ureq::Response, CallError> {
        let mut request = self
            .agent
            .post(&format!("{}{path}", self.host))
            .set("Content-Type", "application/json");
        if whole {
            request = request.timeout(self.timeout);
        }
        let body = json!({"api_key": self.api_key.expose(), "distinct_id": distinct_id});
        request
            .send_string(&body.to_string())
            .map_err(|e| call_error(e, distinct_id))
    }

    /// `POST /v1/erase`: the receipt of an accepted erase.
    pub fn erase(&self, distinct_id: &str) -> Result<Receipt, CallError> {
        let response = self.post("/v1/erase", distinct_id, true)?;
        let status = response.status();
        let answer = json_body(response)
            .ok_or_else(|| CallError::Invalid("the erase answer is not JSON".into()))?;
        match answer.get("receipt").and_then(Value::as_str) {
            Some(id) if is_receipt_id(id) => Ok(Receipt {
                id: id.to_string(),
                host: self.host.clone(),
            }),
            _ => Err(CallError::Refused(Refusal {
                status,
                code: None,
                message: Some("the answer holds no valid receipt".into()),
            })),
        }
    }

    /// `GET /v1/erase/{receipt}`.
    pub fn erase_status(&self, receipt: &str) -> Result<EraseStatus, CallError> {
        let response = self
            .agent
            .get(&format!("{}/v1/erase/{receipt}", self.host))
            .timeout(self.timeout)
            .call()
            .map_err(|e| call_error(e, ""))?;
        json_body(response)
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| CallError::Invalid("the erase status is not the expected JSON".into()))
    }

    /// `POST /v1/export`: every stored event, one JSON value per line.
    pub fn export(&self, distinct_id: &str) -> Result<Vec<Value>, CallError> {
        let response = self.post("/v1/export", distinct_id, false)?;
        let mut reader = BufReader::new(response.into_reader().take(MAX_EXPORT_BYTES));
        let mut events = Vec::new();
        let mut line = String::new();
        let mut n = 0usize;
        let mut read = 0u64;
        loop {
            line.clear();
            let got = reader.read_line(&mut line).map_err(|_| {
                // Cut off midway (the collector failed, or the connection dropped).
                CallError::Unreachable {
                    status: None,
                    retry_after: None,
                }
            })?;
            if got == 0 {
                break;
            }
            read += got as u64;
            n += 1;
            if read >= MAX_EXPORT_BYTES {
                return Err(CallError::Invalid(format!(
                    "the export is larger than {MAX_EXPORT_BYTES} bytes"
                )));
            }
            if line.trim().is_empty() {
                continue;
            }
            let event = serde_json::from_str(&line)
                .map_err(|_| CallError::Invalid(format!("line {n} of the export is not JSON")))?;
            events.push(event);
        }
        Ok(events)
    }
}

/// A receipt id as collectors give them: 1 to 128 letters, digits, `-` or `_`. Anything
/// else never goes into a URL.
pub(crate) fn is_receipt_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Classifies a failed call; the collector's message loses any copy of `distinct_id`.
fn call_error(error: ureq::Error, distinct_id: &str) -> CallError {
    match error {
        ureq::Error::Status(status, response) if matches!(status, 408 | 429) || status >= 500 => {
            CallError::Unreachable {
                status: Some(status),
                retry_after: response.header("Retry-After").and_then(parse_retry_after),
            }
        }
        ureq::Error::Status(status, response) => {
            let answer = json_body(response).unwrap_or(Value::Null);
            let text = |keys: [&str; 2]| {
                keys.iter()
                    .find_map(|k| answer.get(*k).and_then(Value::as_str))
                    .map(|s| clean(s, distinct_id))
            };
            CallError::Refused(Refusal {
                status,
                code: text(["code", "error"]),
                message: text(["message", "detail"]),
            })
        }
        ureq::Error::Transport(_) => CallError::Unreachable {
            status: None,
            retry_after: None,
        },
    }
}

/// A small JSON answer; `None` when it is not JSON.
fn json_body(response: ureq::Response) -> Option<Value> {
    serde_json::from_str(&response.into_string().ok()?).ok()
}

/// `text`, shortened, with `id` replaced by `[id]`.
fn clean(text: &str, id: &str) -> String {
    let text = if id.is_empty() {
        text.to_string()
    } else {
        text.replace(id, "[id]")
    };
    text.chars().take(MAX_MESSAGE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_ids_are_safe_in_a_path() {
        assert!(is_receipt_id("0f3a9c_b-1"));
        for bad in ["", "../x", "a/b", "a?b", "a b", &"a".repeat(129)] {
            assert!(!is_receipt_id(bad), "{bad}");
        }
    }

    #[test]
    fn messages_lose_the_id() {
        assert_eq!(
            clean("unknown id abc123 here", "abc123"),
            "unknown id [id] here"
        );
        assert_eq!(clean(&"x".repeat(1000), "").len(), MAX_MESSAGE_CHARS);
    }
}
