//! The report's "Redacted" section: every kind of the detector catalogue, the rules that
//! find it, and what it becomes under the scrubber `serve` builds from `[scrub]` (its
//! action, or off), then the custom rules.

use super::codes;
use hush_config::{ScrubAction, ScrubConfig};
use hush_scrubbers::{Kind, Redaction, Scrubber};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The "Redacted" section: every built-in kind with what it becomes under `scrubber` (built
/// from `scrub`), then the custom rules.
pub(super) fn redacted(out: &mut String, scrub: &ScrubConfig, scrubber: &Scrubber) {
    let disabled: BTreeSet<&str> = scrub.disable.iter().map(String::as_str).collect();
    let mut found_by: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    for rule in hush_scrubbers::rules() {
        for kind in &rule.kinds {
            let rules = found_by.entry(kind.name().to_owned()).or_default();
            if !rules.contains(&rule.rule) {
                rules.push(rule.rule);
            }
        }
    }
    let kinds = Kind::all();
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rows = String::new();
    for kind in &kinds {
        let name = kind.name();
        let rules = found_by.get(name).filter(|r| !r.is_empty());
        let by = rules.map_or_else(
            || "a detector of its own".to_owned(),
            |r| codes(r.iter().copied()),
        );
        let becomes = if disabled.contains(name) {
            *tally.entry("off (kept as sent)").or_default() += 1;
            "kept as sent: off (`[scrub] disable`)".to_owned()
        } else {
            let action = scrubber.action_for(kind);
            *tally.entry(action_name(action)).or_default() += 1;
            let configured = if scrub.actions.contains_key(name) {
                " (`[scrub] actions`)"
            } else {
                ""
            };
            format!("{}{configured}", becomes(name, &kind.placeholder(), action))
        };
        let _ = writeln!(rows, "| `{name}` | {by} | {becomes} |");
    }
    let summary: Vec<String> = tally.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(out, "### Redacted\n");
    let _ = writeln!(
        out,
        "Every string left — values and keys, at any depth — is scanned, plain and \
         URL-, JSON- or Unicode-encoded. A value found by its context (behind a key, \
         after `Bearer`) is redacted wherever else it appears in the event. The counts \
         by kind (counts only) are added as `$hush_redactions`.\n"
    );
    let _ = writeln!(
        out,
        "{} built-in kinds: {}.\n",
        kinds.len(),
        summary.join(", ")
    );
    let _ = writeln!(out, "| kind | found by | becomes |\n|---|---|---|");
    out.push_str(&rows);
    out.push('\n');
    if !scrub.rules.is_empty() {
        let _ = writeln!(
            out,
            "Custom rules (`[[scrub.rules]]`):\n\n| rule | becomes |\n|---|---|"
        );
        for rule in &scrub.rules {
            let placeholder = Kind::custom(&rule.name).placeholder();
            let action = redaction(rule.action);
            let _ = writeln!(
                out,
                "| `{}` | {} |",
                rule.name,
                becomes(&rule.name, &placeholder, action)
            );
        }
        out.push('\n');
    }
}

/// What a span of `kind` becomes under `action`.
fn becomes(kind: &str, placeholder: &str, action: Redaction) -> String {
    match action {
        Redaction::Placeholder => format!("`{placeholder}`"),
        Redaction::Hash => format!("`[HASH:{kind}:<16 hex>]`, a keyed hash"),
        Redaction::Mask => "masked: `*` for all but the last four characters".to_owned(),
        Redaction::Remove => "removed".to_owned(),
    }
}

fn action_name(action: Redaction) -> &'static str {
    match action {
        Redaction::Placeholder => "replaced by their placeholder",
        Redaction::Hash => "hashed",
        Redaction::Mask => "masked",
        Redaction::Remove => "removed",
    }
}

/// A custom rule's action as the scrubber's (the mapping of [`build_scrubber`]).
fn redaction(action: ScrubAction) -> Redaction {
    match action {
        ScrubAction::Placeholder => Redaction::Placeholder,
        ScrubAction::Hash => Redaction::Hash,
        ScrubAction::Mask => Redaction::Mask,
        ScrubAction::Remove => Redaction::Remove,
    }
}
