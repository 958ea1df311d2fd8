//! policy → scrub → hash: the one path every event takes, in `serve` and in `scrub` alike.

mod batch;
mod event;
mod hash;
mod policy;
mod tenant;
pub mod web;

pub use batch::{BatchError, ProcessedBatch};
pub use event::{describe_json_error, parse_event, EventError, IncomingEvent};
pub use hash::IdHasher;
pub use policy::DropReason;
pub use tenant::{Tenant, Tenants};

use crate::stored_event::StoredEvent;
use hush_config::EventClass;
use hush_scrubbers::{ScrubContext, Scrubber};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The property the collector adds with redaction counts by kind (counts only).
pub const REDACTIONS_PROPERTY: &str = "$hush_redactions";

/// What happened to one event.
#[derive(Debug)]
pub enum Verdict {
    /// Passed the policy; scrubbed and hashed, ready to queue.
    Forward(StoredEvent),
    /// Not forwarded, for this reason.
    Drop(DropReason),
}

/// The pipeline: shared, immutable, cheap to call from many tasks.
#[derive(Clone)]
pub struct Pipeline {
    scrubber: Scrubber,
}

impl Pipeline {
    /// A pipeline using this scrubber.
    pub fn new(scrubber: Scrubber) -> Self {
        Pipeline { scrubber }
    }

    /// Whether the scrubber finds anything to redact in `text` (used to refuse client values,
    /// such as a request id, that look like a secret or personal data).
    pub fn finds_anything(&self, text: &str) -> bool {
        !self.scrubber.find(text).is_empty()
    }

    /// Applies the tenant's policy, removes never-forwarded properties, re-hashes ids and
    /// scrubs every remaining string. Redaction counts are added to `redactions`.
    pub fn process(
        &self,
        tenant: &Tenant,
        event: IncomingEvent,
        received_at: OffsetDateTime,
        redactions: &mut BTreeMap<String, u64>,
    ) -> Verdict {
        let IncomingEvent {
            name,
            distinct_id,
            uuid,
            timestamp,
            mut properties,
        } = event;
        if tenant.policy.is_chat_response_event(&name) {
            return Verdict::Drop(DropReason::ChatResponse);
        }
        let web = tenant.web && web::is_web_event(&name);
        let class = match tenant.policy.class_of(&name) {
            Some(class) => class,
            // The web preset's page events need no `$telemetry_level`.
            None if web => EventClass::Basic,
            None => return Verdict::Drop(DropReason::UnknownEvent),
        };
        let full = properties
            .get("$telemetry_level")
            .and_then(Value::as_str)
            .is_some_and(|level| level == "full");
        if class == EventClass::OptIn && !full {
            return Verdict::Drop(DropReason::NotOptedIn);
        }

        if web {
            web::keep_web_properties(&mut properties);
        }
        policy::strip_properties(&tenant.policy, &mut properties);
        tenant.hasher.hash_id_properties(&mut properties);
        let hashed_id = tenant.hasher.hash(&distinct_id);

        let mut ctx = ScrubContext::with_hash_key(tenant.scrub_key);
        let mut props = Value::Object(properties);
        self.scrubber.scrub_json(&mut props, &mut ctx);
        let mut properties = match props {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        if ctx.total() > 0 {
            let counts: Map<String, Value> = ctx
                .counts()
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(*v)))
                .collect();
            properties.insert(REDACTIONS_PROPERTY.into(), Value::Object(counts));
            for (kind, n) in ctx.counts() {
                *redactions.entry(kind.clone()).or_default() += n;
            }
        }

        Verdict::Forward(StoredEvent {
            tenant: tenant.name.clone(),
            received_at,
            name,
            distinct_id: hashed_id,
            uuid,
            timestamp: timestamp.unwrap_or(received_at),
            properties,
        })
    }
}

/// Now, UTC, to the millisecond (the precision `received_at` is stored with).
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.millisecond() as u32 * 1_000_000)
        .unwrap_or(now)
}

#[cfg(test)]
mod tests;
