//! The event catalogue: every event the SDK sends and the consent level each needs. The
//! SDK sends from this list and the collector's default [`Policy`](crate::Policy) forwards
//! from it, so the two cannot drift apart.
//!
//! | class | events | sent and forwarded when |
//! |---|---|---|
//! | basic | `setup_completed`, `setup_failed`, `dev_server_started`, `dev_server_failed` | telemetry is on |
//! | opt-in | `error_report`, `feature_used`, `performance_metric`, `prompt_sent` | the user opted in (level full) |

use crate::consent::Level;

/// Set-up finished.
pub const SETUP_COMPLETED: &str = "setup_completed";
/// Set-up failed.
pub const SETUP_FAILED: &str = "setup_failed";
/// The dev server started.
pub const DEV_SERVER_STARTED: &str = "dev_server_started";
/// The dev server failed.
pub const DEV_SERVER_FAILED: &str = "dev_server_failed";
/// An error report (opt-in).
pub const ERROR_REPORT: &str = "error_report";
/// A feature was used (opt-in).
pub const FEATURE_USED: &str = "feature_used";
/// A measurement (opt-in).
pub const PERFORMANCE_METRIC: &str = "performance_metric";
/// A prompt sent to a model (opt-in).
pub const PROMPT_SENT: &str = "prompt_sent";

/// Which consent an event needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventClass {
    /// Sent and forwarded whenever telemetry is on.
    Basic,
    /// Sent only at level full, after an explicit opt-in; forwarded only when the event
    /// says `$telemetry_level: full`.
    OptIn,
}

impl EventClass {
    /// The lowest level at which events of this class are sent.
    pub fn min_level(self) -> Level {
        match self {
            EventClass::Basic => Level::Basic,
            EventClass::OptIn => Level::Full,
        }
    }
}

/// Every catalogued event with its class.
pub const CATALOGUE: &[(&str, EventClass)] = &[
    (SETUP_COMPLETED, EventClass::Basic),
    (SETUP_FAILED, EventClass::Basic),
    (DEV_SERVER_STARTED, EventClass::Basic),
    (DEV_SERVER_FAILED, EventClass::Basic),
    (ERROR_REPORT, EventClass::OptIn),
    (FEATURE_USED, EventClass::OptIn),
    (PERFORMANCE_METRIC, EventClass::OptIn),
    (PROMPT_SENT, EventClass::OptIn),
];

/// The class of a catalogued event name. A `const fn`, so the SDK looks its event methods'
/// classes up at compile time.
pub const fn class_of(name: &str) -> Option<EventClass> {
    let mut i = 0;
    while i < CATALOGUE.len() {
        let (n, class) = CATALOGUE[i];
        if same(n.as_bytes(), name.as_bytes()) {
            return Some(class);
        }
        i += 1;
    }
    None
}

/// Byte-wise equality, usable in a `const fn`.
const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The catalogued names of one class.
pub fn names_of(class: EventClass) -> impl Iterator<Item = &'static str> {
    CATALOGUE
        .iter()
        .filter(move |(_, c)| *c == class)
        .map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_of_finds_exactly_the_catalogued_names() {
        for &(name, class) in CATALOGUE {
            assert_eq!(class_of(name), Some(class), "{name}");
        }
        for other in [
            "",
            "setup",
            "setup_completed_",
            "Setup_completed",
            "pageview",
        ] {
            assert_eq!(class_of(other), None, "{other}");
        }
        const AT_COMPILE_TIME: Option<EventClass> = class_of(PROMPT_SENT);
        assert_eq!(AT_COMPILE_TIME, Some(EventClass::OptIn));
    }
}
