//! What [`Telemetry::forget`](crate::Telemetry::forget) and
//! [`Telemetry::erase_status`](crate::Telemetry::erase_status) return. None of these types
//! holds the machine's id.

use crate::status::Status;
use serde::Deserialize;
use std::fmt;

/// What [`Telemetry::forget`](crate::Telemetry::forget) did: what became of the erase
/// request at the collector, and the status after the local data was deleted.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ForgetOutcome {
    /// The erase request at the collector.
    pub erase: Erase,
    /// The status afterwards: telemetry is off for the rest of this run.
    pub status: Status,
}

impl ForgetOutcome {
    /// The receipt, when the collector accepted the erase now.
    pub fn receipt(&self) -> Option<&Receipt> {
        match &self.erase {
            Erase::Requested(receipt) => Some(receipt),
            _ => None,
        }
    }
}

/// What became of the request to erase this machine's data at the collector.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Erase {
    /// The collector accepted it (`202`); it removes the data in the background. Follow it
    /// with [`Telemetry::erase_status`](crate::Telemetry::erase_status).
    Requested(Receipt),
    /// The collector could not be reached (network error, timeout, `408`, `429` or `5xx`):
    /// the request is kept in an encrypted file beside the spool and sent before any event
    /// at the next start with telemetry on.
    Spooled,
    /// The collector refused it (any other `4xx`, or an answer without a receipt); it is
    /// not retried, and the collector's copy stays.
    Refused(Refusal),
    /// No collector was asked.
    NotAsked(NotAsked),
}

impl fmt::Display for Erase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Erase::Requested(r) => write!(f, "the collector accepted the erase: receipt {r}"),
            Erase::Spooled => f.write_str(
                "the collector is unreachable: the erase request is kept (encrypted) and \
                 sent before any event at the next start",
            ),
            Erase::Refused(r) => write!(f, "the collector refused the erase: {r}"),
            Erase::NotAsked(why) => write!(f, "no erase was requested: {why}"),
        }
    }
}

/// Why [`Telemetry::forget`](crate::Telemetry::forget) asked no collector to erase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotAsked {
    /// The environment or the app turns telemetry off (the disable flag, `DO_NOT_TRACK`,
    /// no project key, or a level of `off` outside the stored choice), and then no
    /// connection is made. A choice stored with `disable()` does not stop the erase.
    TelemetryOff,
    /// No collector host is set (neither the host variable nor `Builder::host`).
    NoHost,
    /// The machine has no id that events could have carried: no OS machine id and no
    /// stored random id.
    NoId,
}

impl fmt::Display for NotAsked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotAsked::TelemetryOff => "telemetry is turned off by the environment or the app",
            NotAsked::NoHost => "no collector host is set",
            NotAsked::NoId => "this machine has no telemetry id, so nothing was sent from it",
        })
    }
}

/// The collector's receipt for an erase request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Receipt {
    /// The receipt id (letters, digits, `-` and `_`); never the machine's id.
    pub id: String,
    /// The collector's base URL.
    pub host: String,
}

impl fmt::Display for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// A collector's refusal: the HTTP status and, when the answer says, its error code and
/// message (with the machine's id, should a collector ever echo it, replaced by `[id]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// The error code (`invalid_api_key`, `guessable_distinct_id`, …).
    pub code: Option<String>,
    /// The collector's explanation.
    pub message: Option<String>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

/// Where an erase stands: `GET /v1/erase/{receipt}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct EraseStatus {
    /// The receipt id.
    pub receipt: String,
    /// Pending, done or failed.
    pub status: EraseState,
    /// Events removed per store.
    #[serde(default)]
    pub removed: Removed,
    /// What happened to PostHog's copy, in the collector's words.
    #[serde(default)]
    pub posthog: Option<String>,
    /// Why it failed (a store and a short reason).
    #[serde(default)]
    pub error: Option<String>,
}

/// The state of an erase.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum EraseState {
    /// Accepted; some store is not done yet.
    Pending,
    /// Every store is done.
    Done,
    /// A store kept failing (see [`EraseStatus::error`]).
    Failed,
    /// A state this SDK does not know.
    #[serde(other)]
    Unknown,
}

/// Events removed per store; `None` where the collector has no such store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Removed {
    /// Queued events no sink will now deliver.
    #[serde(default)]
    pub queue: Option<u64>,
    /// Lines removed from the collector's local files.
    #[serde(default)]
    pub local: Option<u64>,
    /// Rows removed from ClickHouse.
    #[serde(default)]
    pub clickhouse: Option<u64>,
}
