//! Scrubbing settings: actions for the built-in detectors' kinds, kinds turned off, and
//! custom rules on top.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Scrubbing settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScrubConfig {
    /// What to do with what a built-in kind finds, by kind name (`person_name = "hash"`,
    /// `email = "mask"`). Kinds not listed take their placeholder (`[PERSON]`, `[EMAIL]`).
    /// An unknown kind name stops the collector with an error naming it.
    pub actions: BTreeMap<String, ScrubAction>,
    /// Built-in kinds not looked for at all (`["person_name"]`). Default: none; every
    /// detector, the person-name detector included, is on.
    pub disable: Vec<String>,
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

/// What a scrubbing rule or a built-in kind does with what it finds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScrubAction {
    /// The placeholder (the default): `[REDACTED:name]` for a custom rule, the kind's own
    /// (`[PERSON]`, `[EMAIL]`) for a built-in kind.
    #[default]
    Placeholder,
    /// A keyed hash of the match, so equal values stay equal.
    Hash,
    /// The match with its characters masked.
    Mask,
    /// Nothing: the match is cut out.
    Remove,
}
