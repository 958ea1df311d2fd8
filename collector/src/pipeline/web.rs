//! The `web` preset (`presets = ["web"]` on a tenant): posthog-js's page events, with only
//! what describes the page, the browser, the device, the library and the campaign.
//!
//! Everything else posthog-js attaches is removed before scrubbing — autocapture element
//! texts, the full referrer, person and group properties, `$set`, feature-flag state. The
//! page URL loses its fragment and every query parameter but the `utm_*` ones. Ids
//! (`$device_id`, `$session_id`, `$window_id`) stay, re-hashed like `distinct_id`.
//!
//! Some of what posthog-js attaches is never forwarded on any event, preset or not
//! ([`NEVER_FORWARDED`]): a tenant that allows more events still never gets autocapture's
//! element texts or group properties.

use serde_json::{Map, Value};

/// The events the preset forwards.
pub const WEB_EVENTS: &[&str] = &["$pageview", "$pageleave", "$exception", "$web_vitals"];

/// The properties the preset keeps on those events.
pub const WEB_PROPERTIES: &[&str] = &[
    // The page
    "$current_url",
    "$host",
    "$pathname",
    "$referring_domain",
    // Browser, OS, device, screen
    "$browser",
    "$browser_version",
    "$os",
    "$os_version",
    "$device_type",
    "$screen_height",
    "$screen_width",
    "$viewport_height",
    "$viewport_width",
    // The library
    "$lib",
    "$lib_version",
    // Campaign
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    // Ids, re-hashed by the pipeline
    "$device_id",
    "$session_id",
    "$window_id",
    // `$exception`: what went wrong, scrubbed like every string, never the stack trace:
    // `$exception_list` keeps each exception's `type` and `value` only.
    "$exception_list",
    "$exception_level",
    "$exception_type",
    "$exception_message",
];

/// What PostHog's clients attach that no tenant ever gets, on any event (the issue's "never
/// forwarded": autocapture element texts, person and group properties): removed at any depth
/// and matched as the policy matches names (any case, with or without the leading `$`).
/// Person properties proper (`$set`, `$set_once`, `$unset`) are in the default policy.
pub const NEVER_FORWARDED: &[&str] = &[
    // `$autocapture` (and rage/dead clicks, copy): the elements and their texts
    "$elements",
    "$elements_chain",
    "$el_text",
    "$selected_content",
    // Groups: membership (`{type: key}`) and group properties
    "$groups",
    "$group_key",
    "$group_set",
    "$group_properties",
];

/// The fields of an `$exception_list` entry that are kept.
const EXCEPTION_FIELDS: &[&str] = &["type", "value"];

/// `$web_vitals`: the metric values (`$web_vitals_LCP_value`), not their attribution.
fn is_web_vital_value(key: &str) -> bool {
    key.starts_with("$web_vitals_") && key.ends_with("_value")
}

/// Whether `name` is one of the preset's events.
pub fn is_web_event(name: &str) -> bool {
    WEB_EVENTS.contains(&name)
}

/// Keeps only the preset's properties and cleans the page URL.
pub fn keep_web_properties(properties: &mut Map<String, Value>) {
    properties.retain(|key, _| WEB_PROPERTIES.contains(&key.as_str()) || is_web_vital_value(key));
    if let Some(Value::String(url)) = properties.get_mut("$current_url") {
        *url = clean_url(url);
    }
    if let Some(list) = properties.get_mut("$exception_list") {
        *list = match list.take() {
            Value::Array(entries) => Value::Array(
                entries
                    .into_iter()
                    .filter_map(|entry| match entry {
                        Value::Object(mut fields) => {
                            fields.retain(|k, v| {
                                EXCEPTION_FIELDS.contains(&k.as_str()) && v.is_string()
                            });
                            Some(Value::Object(fields))
                        }
                        _ => None,
                    })
                    .collect(),
            ),
            _ => Value::Null,
        };
    }
}

/// A URL without its fragment, and with only its `utm_*` query parameters.
pub fn clean_url(url: &str) -> String {
    let url = url.split('#').next().unwrap_or_default();
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| pair.to_ascii_lowercase().starts_with("utm_"))
        .collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_keeps_its_path_and_campaign_only() {
        assert_eq!(
            clean_url("https://app.example.com/a/b?token=abc&utm_source=news&email=x%40y.z#frag"),
            "https://app.example.com/a/b?utm_source=news"
        );
        assert_eq!(clean_url("https://x.example/p?q=1"), "https://x.example/p");
        assert_eq!(clean_url("https://x.example/p#only"), "https://x.example/p");
        assert_eq!(clean_url("https://x.example/"), "https://x.example/");
    }
}
