//! What `Telemetry::status()` and `Telemetry::flush()` report.

use hush_config::consent::{ConsentError, Level, Rule, Source};
use std::fmt;
use std::path::PathBuf;

/// The consent decision, why it was made, and what the SDK has done since start.
///
/// `Display` prints a status line an app can show as is, e.g.
/// `telemetry is off: NEXT_PUBLIC_DISABLE_TELEMETRY is set to a true value in process environment`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Status {
    /// The level in force.
    pub level: Level,
    /// The rule that decided; `None` after an error (which means off) or after `forget()`.
    pub rule: Option<Rule>,
    /// The variable whose value decided, if any.
    pub variable: Option<String>,
    /// Where that value came from (`.env`, the process environment, the consent file, code).
    pub source: Option<Source>,
    /// The human-readable reason, as printed by `Display`.
    pub reason: String,
    /// A `.env`, consent file or variable that could not be parsed: telemetry is off.
    pub error: Option<ConsentError>,
    /// Debug mode: events are printed to stderr and nothing is sent.
    pub debug: bool,
    /// The collector host events go to, if telemetry is on.
    pub host: Option<String>,
    /// Whether the background worker is running (only when the level is not off, outside
    /// debug mode, with a host).
    pub sending: bool,
    /// The consent file that stores the user's choice, if the config directory is known.
    pub consent_file: Option<PathBuf>,
    /// Counters.
    pub stats: Stats,
    /// Receipts of the erase requests sent this run for an earlier `forget()` that could
    /// not reach the collector (see [`crate::Erase::Spooled`]).
    pub erase_receipts: Vec<crate::Receipt>,
    /// Things that went wrong without stopping the app: a discarded spool, a batch the
    /// collector rejected, a file that could not be written. Never holds event content.
    pub warnings: Vec<String>,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)?;
        if self.debug && self.level != Level::Off {
            f.write_str(" (debug mode: events are printed, not sent)")?;
        }
        Ok(())
    }
}

/// Counters since the [`crate::Telemetry`] was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Events in the queue now.
    pub queue_len: usize,
    /// Approximate bytes the queued events hold.
    pub queue_bytes: usize,
    /// Events accepted into the queue.
    pub queued: u64,
    /// Events the collector acknowledged.
    pub sent: u64,
    /// Oldest events dropped because the queue was full.
    pub dropped_queue_full: u64,
    /// Opt-in events not queued (or removed) because the level is below full.
    pub dropped_by_level: u64,
    /// Events the collector refused (a 4xx other than 408/429); not retried.
    pub rejected: u64,
    /// Events written to the spool at shutdown.
    pub spooled: u64,
    /// Events read back from the spool at start.
    pub restored: u64,
    /// Failed HTTP attempts (each retried or given up).
    pub failed_attempts: u64,
}

/// The result of [`crate::Telemetry::flush`] or [`crate::Telemetry::shutdown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Flush {
    /// Events neither delivered nor (at shutdown) spooled by the deadline.
    pub pending: usize,
}

impl Flush {
    /// Whether nothing was left pending.
    pub fn is_complete(&self) -> bool {
        self.pending == 0
    }
}
