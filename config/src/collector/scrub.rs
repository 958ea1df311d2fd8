//! Custom scrubbing rules, on top of the built-in detectors.

use serde::{Deserialize, Serialize};

/// Custom scrubbing rules.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrubConfig {
    /// Extra regex rules applied with the built-in detectors.
    pub rules: Vec<ScrubRuleConfig>,
}

/// One custom scrubbing rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrubRuleConfig {
    /// Rule name, used in the placeholder `[REDACTED:name]` and in counts.
    pub name: String,
    /// A regular expression (Rust `regex` syntax).
    pub pattern: String,
    /// What to put where the rule matches. Default `placeholder`.
    #[serde(default)]
    pub action: ScrubAction,
}

/// What a custom scrubbing rule does with what it finds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScrubAction {
    /// `[REDACTED:name]` (the default).
    #[default]
    Placeholder,
    /// A keyed hash of the match, so equal values stay equal.
    Hash,
    /// The match with its characters masked.
    Mask,
    /// Nothing: the match is cut out.
    Remove,
}
