//! Why an event was not forwarded or stored: one enum for ingest, the pipeline, the sink
//! runner, the sinks, `/metrics` and the scrub summary. Each reason has a stable name
//! ([`DropReason::as_str`]) used as the `reason` label; dashboards rely on these names.

use std::fmt;

/// Why an event was not forwarded or stored. Every drop is counted under one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// The pipeline: the event's name says it carries a chat or LLM response.
    ChatResponse,
    /// The pipeline: the event is not in the tenant's catalogue.
    UnknownEvent,
    /// The pipeline: an opt-in event without `$telemetry_level: full`.
    NotOptedIn,
    /// The pipeline: the scrubbed event could not be written as a record.
    Unserializable,
    /// Ingest: a session recording (`/s/`), which hush never keeps; counted per request.
    SessionRecording,
    /// Ingest: the tenant was over its rate limit.
    RateLimited,
    /// Ingest: the queue (or the tenant's share of it) was full.
    QueueFull,
    /// Ingest: the queue could not write (disk full, no file descriptors).
    QueueUnavailable,
    /// A sink runner: a queued record did not decode.
    CorruptRecord,
    /// A sink runner or the local sink: the person was erased after the event was queued.
    Erased,
    /// The local sink: a replay of an event it had already written.
    Duplicate,
    /// The PostHog sink: one event is too large for PostHog on its own.
    PostHogEventTooLarge,
    /// The PostHog sink: PostHog refused the batch for good with this HTTP status.
    PostHogRejected(u16),
}

/// The statuses PostHog's refusals are counted under by name; others count as `other`.
const POSTHOG_REJECTED: &[(u16, &str)] = &[
    (400, "posthog_rejected_400"),
    (401, "posthog_rejected_401"),
    (402, "posthog_rejected_402"),
    (403, "posthog_rejected_403"),
    (404, "posthog_rejected_404"),
    (405, "posthog_rejected_405"),
    (406, "posthog_rejected_406"),
    (409, "posthog_rejected_409"),
    (410, "posthog_rejected_410"),
    (411, "posthog_rejected_411"),
    (412, "posthog_rejected_412"),
    (413, "posthog_rejected_413"),
    (414, "posthog_rejected_414"),
    (415, "posthog_rejected_415"),
    (422, "posthog_rejected_422"),
];

/// Every reason that carries no status, in declaration order.
const FIXED: [DropReason; 12] = [
    DropReason::ChatResponse,
    DropReason::UnknownEvent,
    DropReason::NotOptedIn,
    DropReason::Unserializable,
    DropReason::SessionRecording,
    DropReason::RateLimited,
    DropReason::QueueFull,
    DropReason::QueueUnavailable,
    DropReason::CorruptRecord,
    DropReason::Erased,
    DropReason::Duplicate,
    DropReason::PostHogEventTooLarge,
];

impl DropReason {
    /// The reason whose stable name ([`DropReason::as_str`]) is `name`, if any. The name
    /// `posthog_rejected_other` stands for every status PostHog's refusals are not counted
    /// under by name; it comes back as `PostHogRejected(0)`, which has that name.
    pub fn from_name(name: &str) -> Option<DropReason> {
        if let Some(reason) = FIXED.into_iter().find(|r| r.as_str() == name) {
            return Some(reason);
        }
        if name == DropReason::PostHogRejected(0).as_str() {
            return Some(DropReason::PostHogRejected(0));
        }
        POSTHOG_REJECTED
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(status, _)| DropReason::PostHogRejected(*status))
    }

    /// The stable name, as the `reason` label of `/metrics` and in summaries and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::ChatResponse => "chat_response",
            DropReason::UnknownEvent => "unknown_event",
            DropReason::NotOptedIn => "not_opted_in",
            DropReason::Unserializable => "unserializable",
            DropReason::SessionRecording => "session_recording",
            DropReason::RateLimited => "rate_limited",
            DropReason::QueueFull => "queue_full",
            DropReason::QueueUnavailable => "queue_unavailable",
            DropReason::CorruptRecord => "corrupt_record",
            DropReason::Erased => "erased",
            DropReason::Duplicate => "duplicate",
            DropReason::PostHogEventTooLarge => "posthog_event_too_large",
            DropReason::PostHogRejected(status) => POSTHOG_REJECTED
                .iter()
                .find(|(s, _)| *s == status)
                .map_or("posthog_rejected_other", |(_, name)| name),
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_distinct() {
        let all: Vec<DropReason> = FIXED
            .into_iter()
            .chain([
                DropReason::PostHogRejected(400),
                DropReason::PostHogRejected(499),
            ])
            .collect();
        let names: std::collections::BTreeSet<&str> = all.iter().map(|r| r.as_str()).collect();
        assert_eq!(names.len(), all.len());
        assert_eq!(
            DropReason::PostHogRejected(413).as_str(),
            "posthog_rejected_413"
        );
        assert_eq!(
            DropReason::PostHogRejected(499).as_str(),
            "posthog_rejected_other"
        );
        assert_eq!(DropReason::NotOptedIn.to_string(), "not_opted_in");
    }

    #[test]
    fn every_name_reads_back_as_its_reason() {
        let named = POSTHOG_REJECTED
            .iter()
            .map(|(status, _)| DropReason::PostHogRejected(*status));
        for reason in FIXED.into_iter().chain(named) {
            assert_eq!(DropReason::from_name(reason.as_str()), Some(reason));
        }
        let other = DropReason::from_name("posthog_rejected_other").unwrap();
        assert_eq!(other.as_str(), "posthog_rejected_other");
        assert_eq!(DropReason::from_name("queue-full"), None);
        assert_eq!(DropReason::from_name(""), None);
    }
}
