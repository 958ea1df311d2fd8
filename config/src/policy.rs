//! The event policy: which events may be forwarded, and which properties never are.
//!
//! This is data, with the [event catalogue](crate::catalogue) as the default; the
//! collector's pipeline applies it. Unknown events are dropped (an allowlist, not a
//! blocklist).

use crate::catalogue::{self, EventClass};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Property names (normalised, see [`normalise_key`]) that are never forwarded: LLM outputs,
/// person properties and network identity.
const NEVER_PROPERTIES: &[&str] = &[
    // LLM and chat outputs
    "response",
    "responses",
    "completion",
    "completions",
    "answer",
    "answers",
    "reply",
    "llm_response",
    "llm_output",
    "llm_outputs",
    "llm_completion",
    "chat_response",
    "chat_completion",
    "chat_reply",
    "ai_response",
    "ai_output",
    "ai_output_choices",
    "ai_output_text",
    "ai_output_content",
    "ai_output_message",
    "ai_output_messages",
    "ai_completion",
    "assistant_response",
    "assistant_message",
    "assistant_reply",
    "model_response",
    "model_output",
    "bot_response",
    "generated_text",
    "generation",
    "output_text",
    "choices",
    // person profiles
    "set",
    "set_once",
    "unset",
    "person_properties",
    // network identity
    "ip",
    "client_ip",
    "remote_ip",
    "remote_addr",
    "x_forwarded_for",
    "forwarded_for",
];

/// Normalised property-name prefixes that are never forwarded. Not `ai_output_`: PostHog's
/// LLM-analytics metadata (`$ai_output_tokens`) shares it with generated output, which is
/// listed by name above.
const NEVER_PROPERTY_PREFIXES: &[&str] = &["geoip_"];

/// Words that, in an event name, say the event carries a generated answer...
const OUTPUT_WORDS: &[&str] = &[
    "response",
    "responses",
    "completion",
    "completions",
    "reply",
    "replies",
    "answer",
    "answers",
    "output",
    "outputs",
    "generation",
    "generated",
];

/// ...when paired with one of these words (or standing alone).
const MODEL_WORDS: &[&str] = &[
    "chat",
    "llm",
    "ai",
    "assistant",
    "model",
    "bot",
    "gpt",
    "agent",
    "copilot",
];

/// Tenant or collector-wide additions to the default policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Extra events forwarded whenever telemetry is on.
    pub basic_events: Vec<String>,
    /// Extra events forwarded only with `$telemetry_level: full`.
    pub opt_in_events: Vec<String>,
    /// Extra property names that are always removed (matched like the built-in ones:
    /// case-insensitive, ignoring a leading `$`, `-` and camelCase as `_`).
    pub drop_properties: Vec<String>,
}

/// The effective event policy for one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    basic: BTreeSet<String>,
    opt_in: BTreeSet<String>,
    never_properties: BTreeSet<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            basic: catalogue::names_of(EventClass::Basic)
                .map(str::to_owned)
                .collect(),
            opt_in: catalogue::names_of(EventClass::OptIn)
                .map(str::to_owned)
                .collect(),
            never_properties: NEVER_PROPERTIES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Policy {
    /// This policy with `extra`'s events and properties added. Extensions only ever add:
    /// nothing can re-allow a property the defaults remove.
    pub fn extended(&self, extra: &PolicyConfig) -> Policy {
        let mut policy = self.clone();
        policy.basic.extend(extra.basic_events.iter().cloned());
        policy.opt_in.extend(extra.opt_in_events.iter().cloned());
        policy
            .never_properties
            .extend(extra.drop_properties.iter().map(|k| normalise_key(k)));
        policy
    }

    /// The class of an allowlisted event; `None` for events that are not in the catalogue.
    pub fn class_of(&self, event: &str) -> Option<EventClass> {
        if self.basic.contains(event) {
            Some(EventClass::Basic)
        } else if self.opt_in.contains(event) {
            Some(EventClass::OptIn)
        } else {
            None
        }
    }

    /// Whether the event's name says it carries a chat or LLM response (dropped whole).
    pub fn is_chat_response_event(&self, event: &str) -> bool {
        let name = normalise_key(event);
        let words: Vec<&str> = name.split('_').filter(|w| !w.is_empty()).collect();
        let has_output = words.iter().any(|w| OUTPUT_WORDS.contains(w));
        let has_model = words.iter().any(|w| MODEL_WORDS.contains(w));
        has_output && (has_model || words.len() == 1)
    }

    /// Whether a property with this name must never be forwarded or stored.
    pub fn is_forbidden_property(&self, key: &str) -> bool {
        let key = normalise_key(key);
        self.never_properties.contains(&key)
            || NEVER_PROPERTY_PREFIXES.iter().any(|p| key.starts_with(p))
    }

    /// The allowlisted events of one class, in name order (what the transparency report,
    /// `hush-collector policy`, lists).
    pub fn events(&self, class: EventClass) -> impl Iterator<Item = &str> {
        match class {
            EventClass::Basic => &self.basic,
            EventClass::OptIn => &self.opt_in,
        }
        .iter()
        .map(String::as_str)
    }

    /// The property names never forwarded (normalised, see
    /// [`is_forbidden_property`](Self::is_forbidden_property)), in name order.
    pub fn removed_properties(&self) -> impl Iterator<Item = &str> {
        self.never_properties.iter().map(String::as_str)
    }

    /// The normalised prefixes whose properties are never forwarded (`geoip_`).
    pub fn removed_prefixes(&self) -> &'static [&'static str] {
        NEVER_PROPERTY_PREFIXES
    }

    /// The words that make an event a chat response (see
    /// [`is_chat_response_event`](Self::is_chat_response_event)): an output word, with a
    /// model word or alone.
    pub fn chat_response_words(&self) -> (&'static [&'static str], &'static [&'static str]) {
        (OUTPUT_WORDS, MODEL_WORDS)
    }
}

/// Lower-cases a key, drops leading `$` and `_`, and turns camelCase, `-`, `.` and spaces into
/// `_`, so `$ai_output`, `aiOutput` and `AI-Output` compare equal.
pub(crate) fn normalise_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut prev_lower = false;
    for c in key.trim_start_matches(['$', '_']).chars() {
        if c.is_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        match c {
            '-' | ' ' | '.' => out.push('_'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_catalogue_matches_design() {
        let p = Policy::default();
        for &(e, class) in catalogue::CATALOGUE {
            assert_eq!(p.class_of(e), Some(class));
        }
        // Nothing beyond the catalogue: as many events of each class as it lists.
        let count = |class| {
            catalogue::CATALOGUE
                .iter()
                .filter(|(_, c)| *c == class)
                .count()
        };
        assert_eq!(p.basic.len(), count(EventClass::Basic));
        assert_eq!(p.opt_in.len(), count(EventClass::OptIn));
        assert_eq!(p.class_of("pageview"), None);
        assert_eq!(p.class_of("$identify"), None);
    }

    #[test]
    fn tenants_extend_but_cannot_reallow() {
        let p = Policy::default().extended(&PolicyConfig {
            basic_events: vec!["build_finished".into()],
            opt_in_events: vec!["search_used".into()],
            drop_properties: vec!["customerName".into()],
        });
        assert_eq!(p.class_of("build_finished"), Some(EventClass::Basic));
        assert_eq!(p.class_of("search_used"), Some(EventClass::OptIn));
        assert!(p.is_forbidden_property("customer_name"));
        assert!(p.is_forbidden_property("$set"));
    }

    #[test]
    fn chat_response_events_by_name() {
        let p = Policy::default();
        for name in [
            "chat_response",
            "llm_response",
            "ai_completion",
            "assistantReply",
            "$ai_generation",
            "model_output",
            "completion",
            "Chat Response",
        ] {
            assert!(p.is_chat_response_event(name), "{name}");
        }
        for name in [
            "setup_completed",
            "prompt_sent",
            "dev_server_failed",
            "feature_used",
            "api_response_time",
        ] {
            assert!(!p.is_chat_response_event(name), "{name}");
        }
    }

    #[test]
    fn forbidden_properties_and_variants() {
        let p = Policy::default();
        for key in [
            "response",
            "Response",
            "completion",
            "answer",
            "llm_response",
            "chat_response",
            "$ai_output",
            "$ai_output_choices",
            "$set",
            "$set_once",
            "$ip",
            "$geoip_city_name",
            "aiOutput",
            "llm-response",
            "x-forwarded-for",
        ] {
            assert!(p.is_forbidden_property(key), "{key}");
        }
        for key in [
            "error",
            "prompt",
            "model",
            "max_tokens",
            "$ai_input_tokens",
            "$ai_output_tokens",
            "$ai_latency",
            "$ai_model",
            "$ai_provider",
            "$ai_http_status",
            "$ai_total_cost_usd",
            "$ai_output_cost_usd",
            "$ai_input_cost_usd",
            "$ai_trace_id",
            "$ai_span_id",
            "duration_ms",
            "os",
            "$telemetry_level",
        ] {
            assert!(!p.is_forbidden_property(key), "{key}");
        }
    }
}
