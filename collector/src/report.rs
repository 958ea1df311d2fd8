//! The transparency report (`hush-collector policy`): what a policy collects, where it
//! goes, and what is dropped, removed, hashed and redacted, as Markdown.
//!
//! Nothing here lists events, properties or detectors of its own: every list is read from
//! what `serve` runs — the tenant's effective [`Policy`] as the pipeline builds it
//! ([`Tenants::from_config`]), the configured sinks ([`crate::sinks::configured`]), the
//! pipeline's own property lists, the `web` preset's allowlist, and the scrubber that
//! [`build_scrubber`] makes from `[scrub]` (with every built-in kind from the detector
//! catalogue, its placeholder and its configured action). The README's "What is
//! collected" section is this report for the embedded default, and a test
//! (`collector/tests/policy_report.rs`) fails when the two differ.

mod redacted;

use crate::drop_reason::DropReason;
use crate::pipeline::{web, IdHasher, Pipeline, Tenant, Tenants};
use crate::server::build_scrubber;
use crate::sinks::clickhouse::schema::TABLE as CLICKHOUSE_TABLE;
use hush_config::{catalogue, CollectorConfig, EventClass, Policy, Preset};
use hush_scrubbers::ScrubError;
use std::fmt::Write as _;
use std::sync::Arc;

/// Whose policy a report describes.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// One configured tenant's effective policy: the defaults, `[policy]`, its own
    /// `policy` and its presets.
    Tenant {
        /// The tenant's name.
        name: &'a str,
        /// Whether it is the local dev tenant `serve` makes when none is configured.
        dev: bool,
    },
    /// The policy every tenant starts from (the defaults and `[policy]`), followed by what
    /// each configured tenant adds.
    Base,
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// `--tenant` names no configured tenant.
    #[error("no tenant named {name:?} in the configuration (tenants: {known})")]
    UnknownTenant {
        /// The name asked for.
        name: String,
        /// The configured tenants' names, comma-separated (or `none`).
        known: String,
    },
    /// `[scrub]` names an unknown kind or holds an invalid rule: `serve` would not start.
    #[error("scrub: {0}")]
    Scrub(#[from] ScrubError),
}

/// The report for `subject` under `config`; `source` says where the configuration came
/// from (`the embedded default`, a file name), for the report's first lines.
///
/// # Errors
/// [`ReportError`] for an unknown tenant or a `[scrub]` section `serve` would refuse.
pub fn render(
    config: &CollectorConfig,
    subject: Subject<'_>,
    source: &str,
) -> Result<String, ReportError> {
    let scrubber = build_scrubber(&config.scrub)?;
    let tenants = Tenants::from_config(config);
    let base = base_tenant(config);
    let tenant = match subject {
        Subject::Tenant { name, .. } => config
            .tenants
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| tenants.get(t.api_key.expose()).cloned())
            .ok_or_else(|| ReportError::UnknownTenant {
                name: name.to_owned(),
                known: known_tenants(config),
            })?,
        Subject::Base => base.clone(),
    };
    let report = Report {
        config,
        subject,
        tenant: &tenant,
        base: &base.policy,
        tenants: &tenants,
        sinks: crate::sinks::configured(config)
            .iter()
            .map(|s| s.name())
            .collect(),
    };
    let mut out = String::new();
    report.intro(&mut out, source);
    report.sinks(&mut out);
    report.events(&mut out);
    report.dropped(&mut out);
    report.removed(&mut out);
    report.hashed(&mut out);
    redacted::redacted(&mut out, &config.scrub, &scrubber);
    if matches!(subject, Subject::Base) {
        report.tenant_additions(&mut out);
    }
    // One final newline, so the text pastes between the README's markers as printed.
    let len = out.trim_end().len();
    out.truncate(len);
    out.push('\n');
    Ok(out)
}

/// The tenant every tenant starts from: the defaults and `[policy]`, through the same
/// constructor as a configured tenant (so the additions every tenant gets are in it).
fn base_tenant(config: &CollectorConfig) -> Arc<Tenant> {
    let tenants = Tenants::single("", "every tenant", &[0; 32], &config.policy);
    tenants
        .get("")
        .cloned()
        .unwrap_or_else(|| unreachable!("Tenants::single holds its one tenant"))
}

fn known_tenants(config: &CollectorConfig) -> String {
    if config.tenants.is_empty() {
        return "none".into();
    }
    let names: Vec<String> = config
        .tenants
        .iter()
        .map(|t| format!("{:?}", t.name))
        .collect();
    names.join(", ")
}

struct Report<'a> {
    config: &'a CollectorConfig,
    subject: Subject<'a>,
    tenant: &'a Tenant,
    base: &'a Policy,
    tenants: &'a Tenants,
    sinks: Vec<&'static str>,
}

impl Report<'_> {
    fn intro(&self, out: &mut String, source: &str) {
        let whose = match self.subject {
            Subject::Tenant { name, dev: true } => format!(
                "No tenant is configured, so `serve` makes the local dev tenant `{name}`; this is \
                 its policy."
            ),
            Subject::Tenant { name, .. } => format!("This is the policy of tenant `{name}`."),
            Subject::Base => "This is the policy every tenant starts from (the defaults and \
                 `[policy]`); what each tenant adds is at the end, and `--tenant NAME` shows \
                 one tenant's policy in full."
                .to_owned(),
        };
        let _ = writeln!(out, "## What is collected\n");
        let _ = writeln!(
            out,
            "Generated by `hush-collector policy` from {source}. {whose} Only what is listed \
             here is stored or forwarded.\n"
        );
    }

    fn sinks(&self, out: &mut String) {
        let config = self.config;
        let _ = writeln!(out, "### Where events go\n");
        let _ = writeln!(
            out,
            "Every forwarded event is written to the durable queue (`{}`) and then delivered \
             to each sink below, and nowhere else.\n",
            config.data_dir.join("queue").display()
        );
        let _ = writeln!(out, "| sink | destination | kept |\n|---|---|---|");
        for &sink in &self.sinks {
            let (dest, kept) = match sink {
                "local" => (
                    format!(
                        "`{}`, one JSON Lines file per UTC day",
                        config.data_dir.join("events").join("<day>.jsonl").display()
                    ),
                    self.retention(None),
                ),
                "posthog" => match &config.posthog {
                    Some(p) => (
                        format!("PostHog at `{}/batch/`", without_credentials(&p.host)),
                        if p.personal_api_key.is_some() && p.project_id.is_some() {
                            "as PostHog keeps it; an erase deletes the person there too".into()
                        } else {
                            "as PostHog keeps it; an erase does not reach it".into()
                        },
                    ),
                    None => continue,
                },
                "clickhouse" => match &config.clickhouse {
                    Some(c) => (
                        format!(
                            "ClickHouse table `{}.{CLICKHOUSE_TABLE}` at `{}`",
                            c.database,
                            without_credentials(&c.url)
                        ),
                        self.retention(c.retention_days),
                    ),
                    None => continue,
                },
                other => (format!("the `{other}` sink"), "—".into()),
            };
            let _ = writeln!(out, "| `{sink}` | {dest} | {kept} |");
        }
        out.push('\n');
    }

    /// How long a store keeps events: the tenant's `retention_days` and the store's own,
    /// whichever expires first.
    fn retention(&self, store_days: Option<u32>) -> String {
        let store = "`[clickhouse] retention_days`";
        let tenant_days = match self.subject {
            Subject::Base => {
                let per_tenant = self
                    .config
                    .tenants
                    .iter()
                    .any(|t| t.retention_days.is_some());
                return match (per_tenant, store_days) {
                    (false, None) => "until erased".into(),
                    (false, Some(days)) => format!("{days} days ({store})"),
                    (true, None) => "per tenant `retention_days` (see the end)".into(),
                    (true, Some(days)) => format!(
                        "per tenant `retention_days` (see the end), at most {days} days ({store})"
                    ),
                };
            }
            Subject::Tenant { name, .. } => self
                .config
                .tenants
                .iter()
                .find(|t| t.name == name)
                .and_then(|t| t.retention_days),
        };
        match (tenant_days, store_days) {
            (None, None) => "until erased".into(),
            (Some(days), None) => format!("{days} days (tenant `retention_days`)"),
            (None, Some(days)) => format!("{days} days ({store})"),
            (Some(t), Some(s)) => format!(
                "{} days: the shorter of tenant `retention_days` ({t}) and {store} ({s})",
                t.min(s)
            ),
        }
    }

    fn events(&self, out: &mut String) {
        let policy = &self.tenant.policy;
        let sinks = codes(self.sinks.iter().copied());
        let _ = writeln!(out, "### Events forwarded\n");
        let _ = writeln!(
            out,
            "| event | class | from | forwarded when | goes to |\n|---|---|---|---|---|"
        );
        for (class, label, when) in [
            (EventClass::Basic, "basic", "telemetry is on"),
            (
                EventClass::OptIn,
                "opt-in",
                "the event says `$telemetry_level: full` (the user opted in)",
            ),
        ] {
            for event in policy.events(class) {
                let from = self.origin_of(event, class);
                let _ = writeln!(out, "| `{event}` | {label} | {from} | {when} | {sinks} |");
            }
        }
        if self.tenant.web {
            for event in web::WEB_EVENTS
                .iter()
                .filter(|e| policy.class_of(e).is_none())
            {
                let _ = writeln!(
                    out,
                    "| `{event}` | web | `presets = [\"web\"]` | always, with the web \
                     properties only (below) | {sinks} |"
                );
            }
        }
        let _ = writeln!(
            out,
            "\nEvery other event is dropped, and so is every event of a name below.\n"
        );
    }

    /// Where an allowlisted event comes from: the catalogue, `[policy]`, or the tenant.
    fn origin_of(&self, event: &str, class: EventClass) -> &'static str {
        if catalogue::class_of(event) == Some(class) {
            "catalogue"
        } else if self.base.events(class).any(|e| e == event) {
            "`[policy]`"
        } else {
            "tenant `policy`"
        }
    }

    fn dropped(&self, out: &mut String) {
        let (outputs, models) = self.tenant.policy.chat_response_words();
        let chat = format!(
            "an event whose name (any case, `-`, `.` or camelCase as `_`) has one of {} \
             together with one of {}, or is one of the former alone — even if it is listed \
             above.",
            codes(outputs.iter().copied()),
            codes(models.iter().copied())
        );
        out.push_str("### Dropped whole\n\n");
        out.push_str(
            "Each drop is counted in `/metrics` under its reason, never with its content.\n\n",
        );
        for (reason, why) in [
            (
                DropReason::UnknownEvent,
                "an event that is not listed above.",
            ),
            (
                DropReason::NotOptedIn,
                "an opt-in event without `$telemetry_level: full`.",
            ),
            (DropReason::ChatResponse, chat.as_str()),
            (
                DropReason::SessionRecording,
                "session recordings (`/s/`), never kept.",
            ),
        ] {
            let _ = writeln!(out, "- `{}`: {why}", reason.as_str());
        }
        out.push('\n');
    }

    fn removed(&self, out: &mut String) {
        let policy = &self.tenant.policy;
        let _ = writeln!(out, "### Removed from every forwarded event\n");
        let _ = writeln!(
            out,
            "- At any depth, a property named (any case, with or without a leading `$` or `_`, \
             with `-`, `.`, spaces or camelCase read as `_`) {}.",
            codes(policy.removed_properties())
        );
        let _ = writeln!(
            out,
            "- At any depth, a property whose name starts with {}.",
            codes(policy.removed_prefixes().iter().copied())
        );
        let _ = writeln!(
            out,
            "- At the top: {}.",
            codes(Pipeline::TRANSPORT_PROPERTIES.iter().copied())
        );
        if self.tenant.web {
            let _ = writeln!(
                out,
                "- On {} (the web preset): every property but {} and the `$web_vitals_*_value` \
                 metrics. `$current_url` loses its fragment and every query parameter but \
                 `utm_*`; `$exception_list` keeps each exception's `type` and `value` only.",
                codes(web::WEB_EVENTS.iter().copied()),
                codes(web::WEB_PROPERTIES.iter().copied())
            );
        }
        let _ = writeln!(
            out,
            "- The request itself: its IP address, `X-Forwarded-For` and every other header. \
             A stored event holds `event`, `distinct_id` (hashed), `uuid`, `timestamp`, \
             `properties`, `tenant` and `received_at`.\n"
        );
    }

    fn hashed(&self, out: &mut String) {
        let key = match self.subject {
            Subject::Tenant { dev: true, .. } => format!(
                "the dev tenant's random `hash_key` (kept in `{}`)",
                crate::dev_tenant::dev_tenant_path(&self.config.data_dir).display()
            ),
            Subject::Tenant { name, .. } => format!("tenant `{name}`'s `hash_key`"),
            Subject::Base => "each tenant's own `hash_key`".to_owned(),
        };
        let _ = writeln!(out, "### Hashed\n");
        let _ = writeln!(
            out,
            "- `distinct_id` becomes 32 hex digits of keyed BLAKE3 under a key derived from \
             {key}: never stored or forwarded raw, the same id gives the same hash within the \
             tenant, and hashes of two tenants cannot be joined."
        );
        let _ = writeln!(
            out,
            "- The same for these properties at the top: {}.",
            codes(IdHasher::ID_PROPERTIES.iter().copied())
        );
        let _ = writeln!(
            out,
            "- A detector kind whose action is `hash` uses a second key derived from the same \
             secret.\n"
        );
    }

    fn tenant_additions(&self, out: &mut String) {
        let _ = writeln!(out, "### Tenants\n");
        if self.config.tenants.is_empty() {
            let _ = writeln!(out, "None is configured.\n");
            return;
        }
        for config in &self.config.tenants {
            let Some(tenant) = self.tenants.get(config.api_key.expose()) else {
                continue;
            };
            let mut adds = Vec::new();
            if config.presets.contains(&Preset::Web) {
                adds.push(format!(
                    "the web preset ({})",
                    codes(web::WEB_EVENTS.iter().copied())
                ));
            }
            for (class, label) in [(EventClass::Basic, "basic"), (EventClass::OptIn, "opt-in")] {
                let extra: Vec<&str> = tenant
                    .policy
                    .events(class)
                    .filter(|e| !self.base.events(class).any(|b| b == *e))
                    .collect();
                if !extra.is_empty() {
                    adds.push(format!("{label} events {}", codes(extra.into_iter())));
                }
            }
            let removed: Vec<&str> = tenant
                .policy
                .removed_properties()
                .filter(|p| !self.base.removed_properties().any(|b| b == *p))
                .collect();
            if !removed.is_empty() {
                adds.push(format!("removes {}", codes(removed.into_iter())));
            }
            if let Some(days) = config.retention_days {
                adds.push(format!("keeps events {days} days"));
            }
            if let Some(origins) = &config.allowed_origins {
                adds.push(format!(
                    "accepts pages from {} only",
                    codes(origins.iter().map(String::as_str))
                ));
            }
            let adds = if adds.is_empty() {
                "nothing".to_owned()
            } else {
                adds.join("; ")
            };
            let _ = writeln!(out, "- `{}`: {adds}.", config.name);
        }
        out.push('\n');
    }
}

/// `a`, `b`, `c` — or `none`.
fn codes<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.map(|i| format!("`{i}`")).collect();
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// A URL without credentials (`user:password@`) or query: the report is shown to users.
fn without_credentials(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let url = url.trim_end_matches('/');
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit('@').next().unwrap_or(authority);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_scrubbers::Kind;

    #[test]
    fn urls_lose_their_credentials_and_query() {
        assert_eq!(
            without_credentials("https://user:pw@ch.example:8443/x?password=y"),
            "https://ch.example:8443/x"
        );
        assert_eq!(
            without_credentials("https://eu.i.posthog.com/"),
            "https://eu.i.posthog.com"
        );
    }

    #[test]
    fn every_kind_and_every_removed_property_is_in_the_report() {
        let config = CollectorConfig::default();
        let text = render(&config, Subject::Base, "the embedded default").unwrap();
        for kind in Kind::all() {
            assert!(text.contains(&format!("| `{}` |", kind.name())), "{kind}");
        }
        let base = base_tenant(&config);
        for property in base.policy.removed_properties() {
            assert!(text.contains(&format!("`{property}`")), "{property}");
        }
    }
}
