//! The event methods of [`Telemetry`]: each checks the event's class against the level,
//! builds the event (scrubbing its text) and queues it, or prints it in debug mode. None
//! of them blocks on I/O.
//!
//! A method names its event only; the class comes from the catalogue
//! ([`hush_config::catalogue`]) at compile time, so a method for an event the catalogue
//! lacks does not build.

use super::Telemetry;
use crate::events::{self, Event, EventClass, Prop};
use crate::queue::{allowed, level_to_u8, Counters};
use crate::redact::Redactor;
use hush_config::consent::Level;
use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// Version-4 UUIDs without a system call per event: BLAKE3 keyed with 32 random bytes
/// drawn once, over a counter. The output is as unpredictable as the key.
pub(super) struct UuidSource {
    key: [u8; 32],
    counter: AtomicU64,
}

impl UuidSource {
    pub(super) fn new() -> Self {
        let mut key = [0u8; 32];
        if getrandom::getrandom(&mut key).is_err() {
            key[..16].copy_from_slice(Uuid::new_v4().as_bytes());
            key[16..].copy_from_slice(Uuid::new_v4().as_bytes());
        }
        UuidSource {
            key,
            counter: Default::default(),
        }
    }

    fn next(&self) -> Uuid {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let hash = blake3::keyed_hash(&self.key, &n.to_le_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&hash.as_bytes()[..16]);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

/// A catalogued event: its name and the class the catalogue gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Catalogued {
    name: &'static str,
    class: EventClass,
}

/// The catalogue's entry for `name`. Evaluated at compile time (`const { … }`): a name the
/// catalogue lacks fails the build.
const fn catalogued(name: &'static str) -> Catalogued {
    match events::class_of(name) {
        Some(class) => Catalogued { name, class },
        None => panic!("an SDK event method sends a name that is not in the catalogue"),
    }
}

impl Telemetry {
    /// Basic: setup finished, with its duration.
    pub fn setup_completed(&self, duration: Duration) {
        self.capture(const { catalogued(events::SETUP_COMPLETED) }, |_| {
            vec![("duration_ms", Prop::Number(duration_ms(duration)))]
        });
    }

    /// Basic: setup failed; the error text is scrubbed before it is queued.
    pub fn setup_failed(&self, error: impl fmt::Display) {
        self.capture(const { catalogued(events::SETUP_FAILED) }, |r| {
            vec![("error", Prop::Text(scrubbed(r, &error)))]
        });
    }

    /// Basic: the dev server started, with its start-up time.
    pub fn dev_server_started(&self, duration: Duration) {
        self.capture(const { catalogued(events::DEV_SERVER_STARTED) }, |_| {
            vec![("duration_ms", Prop::Number(duration_ms(duration)))]
        });
    }

    /// Basic: the dev server failed; the error text is scrubbed before it is queued.
    pub fn dev_server_failed(&self, error: impl fmt::Display) {
        self.capture(const { catalogued(events::DEV_SERVER_FAILED) }, |r| {
            vec![("error", Prop::Text(scrubbed(r, &error)))]
        });
    }

    /// Opt-in (sent only at level full): an error report, scrubbed.
    pub fn error_report(&self, error: impl fmt::Display) {
        self.capture(const { catalogued(events::ERROR_REPORT) }, |r| {
            vec![("error", Prop::Text(scrubbed(r, &error)))]
        });
    }

    /// Opt-in (sent only at level full): a feature was used.
    pub fn feature_used(&self, name: &str) {
        self.capture(const { catalogued(events::FEATURE_USED) }, |r| {
            vec![("feature", Prop::Text(scrubbed(r, &name)))]
        });
    }

    /// Opt-in (sent only at level full): a measurement, e.g. `("build_time", 1.5, "s")`.
    pub fn performance_metric(&self, name: &str, value: f64, unit: &str) {
        self.capture(const { catalogued(events::PERFORMANCE_METRIC) }, |r| {
            vec![
                ("metric", Prop::Text(scrubbed(r, &name))),
                ("value", Prop::Number(value)),
                ("unit", Prop::Text(scrubbed(r, &unit))),
            ]
        });
    }

    /// Opt-in (sent only at level full): a prompt sent to a model. The prompt is scrubbed
    /// before it is queued; before the user opts in it never leaves this call.
    pub fn prompt_sent(&self, prompt: &str, model: &str) {
        self.capture(const { catalogued(events::PROMPT_SENT) }, |r| {
            vec![
                ("prompt", Prop::Text(scrubbed(r, &prompt))),
                ("model", Prop::Text(scrubbed(r, &model))),
            ]
        });
    }

    /// Checks the event's class against the level, then builds the event (scrubbing its
    /// text) and queues it, or prints it in debug mode. Never blocks on I/O.
    fn capture(
        &self,
        Catalogued { name, class }: Catalogued,
        props: impl FnOnce(&Redactor) -> Vec<(&'static str, Prop)>,
    ) {
        let level = self.queue.fast_level();
        if level == level_to_u8(Level::Off) {
            return;
        }
        if level < level_to_u8(class.min_level()) {
            Counters::add(&self.queue.counters.dropped_by_level, 1);
            return;
        }
        let Some(identity) = self
            .identity
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        else {
            return;
        };
        let redactor = self.redactor.get_or_init(|| self.new_redactor());
        let event = Event {
            name: Cow::Borrowed(name),
            class,
            uuid: self.uuids.next(),
            timestamp: OffsetDateTime::now_utc(),
            level: if level == level_to_u8(Level::Full) {
                Level::Full
            } else {
                Level::Basic
            },
            distinct_id: Arc::clone(&identity.distinct_id),
            common: Arc::clone(&identity.common),
            props: props(redactor),
        };
        if self.debug.load(Ordering::Relaxed) {
            if allowed(class, self.level()) {
                let line = event.to_wire().to_string();
                let mut out = self.debug_out.lock().unwrap_or_else(|e| e.into_inner());
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
            return;
        }
        self.queue.push(event);
    }

    fn new_redactor(&self) -> Redactor {
        let env = &self.setup.environment;
        let home = env
            .get("HOME")
            .or_else(|| env.get("USERPROFILE"))
            .filter(|h| !h.is_empty());
        let user = env
            .get("USER")
            .or_else(|| env.get("USERNAME"))
            .or_else(|| env.get("LOGNAME"))
            .or_else(|| {
                home.as_deref()
                    .and_then(|h| std::path::Path::new(h).file_name())
                    .and_then(|n| n.to_str())
                    .map(str::to_string)
            });
        Redactor::new(home, user)
    }
}

fn duration_ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

fn scrubbed(redactor: &Redactor, text: &dyn fmt::Display) -> String {
    let text = text.to_string();
    events::truncate(redactor.scrub(&text))
}
