//! [`Telemetry`]: the client apps hold — its state, start-up, status, the first-run
//! notice, flush and shutdown. Its other methods live beside it, one concern per file:
//! the event methods in `capture.rs`, consent changes in `decision.rs`, forget and export
//! in `rights.rs`, and the identity every event carries in `identity.rs`.

mod capture;
mod decision;
mod identity;
mod rights;

use crate::consent::{ConsentSetup, Paths};
use crate::events::Event;
use crate::queue::{Counters, EventQueue};
use crate::redact::Redactor;
use crate::rights::{PendingErases, Receipt};
use crate::spool::Spool;
use crate::status::{Flush, Stats, Status};
use crate::worker::WorkerOptions;
use crate::{notice, Builder};
use capture::UuidSource;
use hush_config::consent::{ConsentError, Decision, Level};
use identity::Identity;
use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The SDK client: resolves consent once at start, queues events the level allows, and
/// sends them in batches from one background worker thread.
///
/// Share it by reference or in an `Arc`; every method takes `&self` and is cheap. Dropping
/// it flushes what is queued within the builder's `shutdown_timeout` and spools the rest.
///
/// The library installs no globals: no tracing subscriber, no panic hook, no async runtime.
/// Its only thread (`hush-telemetry`) runs while telemetry is on and outside debug mode.
///
/// # Examples
///
/// ```no_run
/// use hush_sdk::Telemetry;
/// use std::time::{Duration, Instant};
///
/// let telemetry = Telemetry::builder("devtool", env!("CARGO_PKG_VERSION"))
///     .disable_command("devtool telemetry disable")
///     .build();
/// if let Some(notice) = telemetry.first_run_notice() {
///     eprintln!("{notice}");
/// }
/// let started = Instant::now();
/// // ... set things up ...
/// telemetry.setup_completed(started.elapsed());
/// let _ = telemetry.flush(Duration::from_secs(2));
/// ```
pub struct Telemetry {
    app_name: String,
    app_version: String,
    setup: ConsentSetup,
    paths: Paths,
    host_override: Option<String>,
    worker_options: WorkerOptions,
    spool_capacity: usize,
    shutdown_timeout: Duration,
    raw_machine_id: Option<Option<String>>,
    disable_hint: Option<String>,
    queue: Arc<EventQueue>,
    redactor: OnceLock<Redactor>,
    identity: RwLock<Option<Arc<Identity>>>,
    control: Mutex<Control>,
    debug: AtomicBool,
    debug_out: Mutex<Box<dyn Write + Send>>,
    warnings: Arc<Mutex<Vec<String>>>,
    session_id: Uuid,
    uuids: UuidSource,
    /// Erase requests not yet sent; `None` without a config directory.
    erases: Option<PendingErases>,
    /// Receipts of the erase requests the worker sent for an earlier `forget()`.
    receipts: Arc<Mutex<Vec<Receipt>>>,
}

struct Control {
    decision: Result<Decision, ConsentError>,
    /// The spool, once the worker started.
    spool: Option<Spool>,
    forgotten: bool,
    host: Option<String>,
}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry")
            .field("app_name", &self.app_name)
            .field("level", &self.level())
            .finish_non_exhaustive()
    }
}

impl Telemetry {
    /// Starts building a client for this app. The name keys the app-specific machine id
    /// and names the config and cache sub-directories; the version is sent as
    /// `app_version`.
    pub fn builder(app_name: &str, app_version: &str) -> Builder {
        Builder::new(app_name, app_version)
    }

    pub(crate) fn from_builder(b: Builder) -> Telemetry {
        let paths = Paths::new(&slug(&b.app_name), b.config_dir, b.cache_dir);
        let consent_file = paths.consent().ok();
        let decision = b.setup.resolve(consent_file.as_deref());
        let level = decision.as_ref().map_or(Level::Off, |d| d.level);
        let erases = match (paths.pending_erases(), paths.spool_key()) {
            (Ok(path), Ok(key_path)) => Some(PendingErases::new(path, key_path, &b.app_name)),
            _ => None,
        };
        let telemetry = Telemetry {
            queue: Arc::new(EventQueue::new(level, b.queue_capacity, b.batch_size)),
            app_name: b.app_name,
            app_version: b.app_version,
            setup: b.setup,
            paths,
            host_override: b.host,
            worker_options: WorkerOptions {
                interval: b.flush_interval,
                request_timeout: b.request_timeout,
                max_attempts: b.max_attempts,
                backoff: b.retry_backoff,
            },
            spool_capacity: b.spool_capacity,
            shutdown_timeout: b.shutdown_timeout,
            raw_machine_id: b.machine_id,
            disable_hint: b.disable_hint,
            redactor: OnceLock::new(),
            identity: RwLock::new(None),
            control: Mutex::new(Control {
                decision: Err(ConsentError::File {
                    path: Default::default(),
                    reason: "not resolved".into(),
                }),
                forgotten: false,
                host: None,
                spool: None,
            }),
            debug: AtomicBool::new(false),
            debug_out: Mutex::new(
                b.debug_writer
                    .unwrap_or_else(|| Box::new(std::io::stderr())),
            ),
            warnings: Arc::default(),
            session_id: Uuid::new_v4(),
            uuids: UuidSource::new(),
            erases,
            receipts: Arc::default(),
        };
        telemetry.apply(decision);
        telemetry
    }

    // ----- status ------------------------------------------------------------------------

    /// The level in force.
    pub fn level(&self) -> Level {
        self.queue.lock().level
    }

    /// The consent decision, which rule and source made it, and counters.
    ///
    /// # Examples
    ///
    /// ```
    /// let telemetry = hush_sdk::Telemetry::builder("devtool", "1.0.0")
    ///     .environment([("DO_NOT_TRACK", "1"), ("NEXT_PUBLIC_POSTHOG_KEY", "phc_x")])
    ///     .dotenv_dir(std::env::temp_dir().join("no-such-dir"))
    ///     .build();
    /// let status = telemetry.status();
    /// assert_eq!(status.rule, Some(hush_sdk::Rule::DoNotTrack));
    /// println!("{status}"); // telemetry is off: DO_NOT_TRACK is set in process environment
    /// ```
    pub fn status(&self) -> Status {
        let control = self.control.lock().unwrap_or_else(|e| e.into_inner());
        let (queue_len, queue_bytes, level, sending) = {
            let st = self.queue.lock();
            let bytes = st.queue.iter().map(Event::approx_bytes).sum();
            (st.queue.len(), bytes, st.level, st.running)
        };
        let c = &self.queue.counters;
        let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        let stats = Stats {
            queue_len,
            queue_bytes,
            queued: get(&c.queued),
            sent: get(&c.sent),
            dropped_queue_full: get(&c.dropped_queue_full),
            dropped_by_level: get(&c.dropped_by_level),
            rejected: get(&c.rejected),
            spooled: get(&c.spooled),
            restored: get(&c.restored),
            failed_attempts: get(&c.failed_attempts),
        };
        let (rule, variable, source, reason, error, debug) =
            match (&control.decision, control.forgotten) {
                (_, true) => (
                    None,
                    None,
                    None,
                    "telemetry is off for the rest of this run: local telemetry data was forgotten"
                        .to_string(),
                    None,
                    false,
                ),
                (Ok(d), false) => {
                    let reason = if d.level != level {
                        format!("telemetry is {level}")
                    } else {
                        d.to_string()
                    };
                    (
                        Some(d.rule),
                        d.variable.clone(),
                        Some(d.source.clone()),
                        reason,
                        None,
                        d.debug,
                    )
                }
                (Err(e), false) => (
                    None,
                    None,
                    None,
                    format!("telemetry is off: {e}"),
                    Some(e.clone()),
                    false,
                ),
            };
        Status {
            level,
            rule,
            variable,
            source,
            reason,
            error,
            debug,
            host: control.host.clone(),
            sending,
            consent_file: self.paths.consent().ok(),
            stats,
            erase_receipts: self
                .receipts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            warnings: self
                .warnings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }

    fn warn(&self, message: String) {
        if self.debug.load(Ordering::Relaxed) {
            eprintln!("[hush-sdk] {message}");
        }
        let mut w = self.warnings.lock().unwrap_or_else(|e| e.into_inner());
        if w.len() < 32 {
            w.push(message);
        }
    }

    // ----- the first-run notice ---------------------------------------------------------

    /// The notice to print on first run (what is collected, how to turn it off), once:
    /// `Some` the first time it is called while telemetry is on, then `None` forever
    /// (a marker file in the config directory remembers it). `None` when telemetry is off.
    pub fn first_run_notice(&self) -> Option<String> {
        let level = self.level();
        if level == Level::Off {
            return None;
        }
        let marker = self.paths.notice().ok();
        if marker.as_ref().is_some_and(|m| m.exists()) {
            return None;
        }
        if let Some(marker) = marker {
            if let Err(e) = crate::files::write_private(&marker, b"shown\n") {
                self.warn(format!("could not remember that the notice was shown: {e}"));
            }
        }
        Some(self.notice_text())
    }

    /// The notice text, whether or not it was shown.
    pub fn notice_text(&self) -> String {
        notice::text(
            &self.app_name,
            &self.setup.vars,
            self.level(),
            self.disable_hint.as_deref(),
        )
    }

    // ----- flushing -----------------------------------------------------------------------

    /// Sends everything queued now and waits until it is delivered, the collector proved
    /// unreachable (after the retries), or `timeout` passes. Never waits longer than
    /// `timeout`.
    pub fn flush(&self, timeout: Duration) -> Flush {
        let deadline = Instant::now() + timeout;
        Flush {
            pending: self.queue.flush(deadline),
        }
    }

    /// Sends what is queued for at most `timeout`, spools the rest to the encrypted offline
    /// spool, and stops the worker. Later events are not queued. Dropping the client does
    /// this with the builder's `shutdown_timeout`.
    pub fn shutdown(&self, timeout: Duration) -> Flush {
        let now = Instant::now();
        let deadline = now + timeout;
        // Leave time to write the spool.
        let spool_at = deadline - (timeout / 4).min(Duration::from_millis(250));
        let pending = self.queue.shutdown(spool_at, deadline);
        if pending == 0 {
            return Flush { pending };
        }
        // The worker is stuck in a request: spool what it had, so nothing is lost.
        let left = self.queue.abandon();
        let spool = self
            .control
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .spool
            .clone();
        if left.is_empty() {
            // The worker is writing the spool itself right now.
            return Flush { pending: 0 };
        }
        let Some(spool) = spool else {
            return Flush {
                pending: left.len(),
            };
        };
        let mut all = spool.load().unwrap_or_default();
        let n = left.len();
        all.extend(left);
        match spool.store(&all) {
            Ok(kept) => {
                Counters::add(&self.queue.counters.spooled, kept.min(n));
                Flush { pending: 0 }
            }
            Err(e) => {
                self.warn(format!("could not write the spool: {e}"));
                Flush { pending: n }
            }
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        let _ = self.shutdown(self.shutdown_timeout);
    }
}

/// The directory name for an app: lowercase ASCII letters, digits, `-` and `_`.
fn slug(app: &str) -> String {
    let s: String = app
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if s.trim_matches('-').is_empty() {
        "hush-app".into()
    } else {
        s
    }
}
