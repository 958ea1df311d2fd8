//! [`Telemetry`]: the client apps hold.

use crate::consent::{self, ConsentSetup, Paths};
use crate::events::{self, Event, EventClass, Prop};
use crate::queue::{allowed, level_to_u8, Counters, EventQueue};
use crate::redact::Redactor;
use crate::spool::Spool;
use crate::status::{Flush, Stats, Status};
use crate::transport::Transport;
use crate::worker::{Worker, WorkerOptions};
use crate::{machine_id, notice, Builder, Error};
use hush_config::consent::{ConsentError, Decision, Level};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
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
}

/// Version-4 UUIDs without a system call per event: BLAKE3 keyed with 32 random bytes
/// drawn once, over a counter. The output is as unpredictable as the key.
struct UuidSource {
    key: [u8; 32],
    counter: std::sync::atomic::AtomicU64,
}

impl UuidSource {
    fn new() -> Self {
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

/// The id and the properties every event carries.
struct Identity {
    distinct_id: Arc<str>,
    common: Arc<Map<String, Value>>,
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
        };
        telemetry.apply(decision);
        telemetry
    }

    // ----- consent -------------------------------------------------------------------

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
            warnings: self
                .warnings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }

    /// Opts in to full telemetry: stores `level=full` in the consent file (mode 0600) and
    /// re-resolves consent. The disable flag, a missing key and `DO_NOT_TRACK` still win;
    /// the returned status says what is in force.
    ///
    /// # Errors
    /// The consent file could not be written.
    pub fn enable_full(&self) -> Result<Status, Error> {
        self.choose(Level::Full)
    }

    /// Stores `level=basic`: only basic events from now on; queued opt-in events are
    /// dropped.
    ///
    /// # Errors
    /// The consent file could not be written.
    pub fn set_basic(&self) -> Result<Status, Error> {
        self.choose(Level::Basic)
    }

    /// Stores `level=off`: stops the worker, drops what is queued and deletes the spool.
    ///
    /// # Errors
    /// The consent file could not be written (telemetry is off for this run anyway).
    pub fn disable(&self) -> Result<Status, Error> {
        self.queue.set_level(Level::Off);
        self.choose(Level::Off)
    }

    /// Deletes the local id, the spool and its key, the stored choice and the notice marker,
    /// and turns telemetry off for the rest of this run. The next start resolves consent
    /// afresh (without a stored choice) and shows the first-run notice again.
    ///
    /// # Errors
    /// A file could not be deleted (the others are deleted anyway).
    pub fn forget(&self) -> Result<Status, Error> {
        self.queue.set_level(Level::Off);
        {
            let mut control = self.control.lock().unwrap_or_else(|e| e.into_inner());
            control.forgotten = true;
        }
        *self.identity.write().unwrap_or_else(|e| e.into_inner()) = None;
        consent::forget_all(&self.paths)?;
        Ok(self.status())
    }

    fn choose(&self, level: Level) -> Result<Status, Error> {
        if level == Level::Off {
            if let Ok(spool) = self.paths.spool() {
                crate::files::remove(&spool)?;
            }
        }
        consent::store_choice(&self.paths, level)?;
        let decision = self.setup.resolve(self.paths.consent().ok().as_deref());
        {
            let mut control = self.control.lock().unwrap_or_else(|e| e.into_inner());
            control.forgotten = false;
        }
        self.apply(decision);
        Ok(self.status())
    }

    /// Puts a decision into force: lowers or raises the level, starts the worker if needed.
    fn apply(&self, decision: Result<Decision, ConsentError>) {
        let mut control = self.control.lock().unwrap_or_else(|e| e.into_inner());
        let forgotten = control.forgotten;
        let level = match &decision {
            Ok(d) if !forgotten => d.level,
            _ => Level::Off,
        };
        let debug = decision.as_ref().is_ok_and(|d| d.debug);
        let host = decision
            .as_ref()
            .ok()
            .and_then(|d| self.host_override.clone().or_else(|| d.host.clone()));
        let api_key = decision.as_ref().ok().and_then(|d| d.api_key.clone());
        control.decision = decision;
        self.queue.set_level(level);
        if level == Level::Off {
            control.host = None;
            return;
        }
        self.debug.store(debug, Ordering::Relaxed);
        self.ensure_identity();
        if debug || self.queue.lock().running {
            control.host = host;
            return;
        }
        let (Some(host), Some(api_key)) = (host, api_key) else {
            self.warn(format!(
                "no collector host: set {} or Builder::host; events are not sent",
                self.setup.vars.host
            ));
            return;
        };
        control.host = Some(host.clone());
        let spool = match (self.paths.spool(), self.paths.spool_key()) {
            (Ok(path), Ok(key_path)) => Some(Spool {
                path,
                key_path,
                app: self.app_name.clone(),
                cap: self.spool_capacity,
            }),
            _ => None,
        };
        if let Some(spool) = &spool {
            match spool.load() {
                Ok(events) if events.is_empty() => {}
                Ok(events) => {
                    self.queue.restore(events);
                    if let Err(e) = spool.remove() {
                        self.warn(format!("could not remove the spool: {e}"));
                    }
                }
                Err(e) => {
                    self.warn(e.to_string());
                    let _ = spool.remove();
                }
            }
        }
        control.spool.clone_from(&spool);
        let worker = Worker {
            queue: Arc::clone(&self.queue),
            transport: Transport::new(
                &host,
                api_key,
                self.worker_options
                    .request_timeout
                    .min(Duration::from_secs(5)),
            ),
            spool,
            options: self.worker_options.clone(),
            warnings: Arc::clone(&self.warnings),
        };
        if let Err(e) = worker.start() {
            self.warn(format!("could not start the telemetry thread: {e}"));
        }
    }

    fn ensure_identity(&self) {
        let mut identity = self.identity.write().unwrap_or_else(|e| e.into_inner());
        if identity.is_some() {
            return;
        }
        let raw = match &self.raw_machine_id {
            Some(raw) => raw.clone(),
            None => machine_id::os_machine_id(),
        };
        let id_file = self.paths.id().ok();
        let distinct_id =
            match machine_id::distinct_id(&self.app_name, raw.as_deref(), id_file.as_deref()) {
                Ok(id) => id,
                Err(e) => {
                    self.warn(format!("no stable id ({e}); using one for this run only"));
                    machine_id::random_hex_id()
                }
            };
        let mut common = Map::new();
        common.insert("$lib".into(), "hush-sdk".into());
        common.insert("$lib_version".into(), env!("CARGO_PKG_VERSION").into());
        common.insert("sdk_version".into(), env!("CARGO_PKG_VERSION").into());
        common.insert("app_name".into(), self.app_name.clone().into());
        common.insert("app_version".into(), self.app_version.clone().into());
        common.insert("os".into(), std::env::consts::OS.into());
        common.insert("arch".into(), std::env::consts::ARCH.into());
        common.insert("session_id".into(), self.session_id.to_string().into());
        common.insert("$process_person_profile".into(), false.into());
        *identity = Some(Arc::new(Identity {
            distinct_id: Arc::from(distinct_id),
            common: Arc::new(common),
        }));
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

    // ----- events -----------------------------------------------------------------------

    /// Basic: setup finished, with its duration.
    pub fn setup_completed(&self, duration: Duration) {
        self.capture(events::SETUP_COMPLETED, EventClass::Basic, |_| {
            vec![("duration_ms", Prop::Number(duration_ms(duration)))]
        });
    }

    /// Basic: setup failed; the error text is scrubbed before it is queued.
    pub fn setup_failed(&self, error: impl fmt::Display) {
        self.capture(events::SETUP_FAILED, EventClass::Basic, |r| {
            vec![("error", Prop::Text(scrubbed(r, &error)))]
        });
    }

    /// Basic: the dev server started, with its start-up time.
    pub fn dev_server_started(&self, duration: Duration) {
        self.capture(events::DEV_SERVER_STARTED, EventClass::Basic, |_| {
            vec![("duration_ms", Prop::Number(duration_ms(duration)))]
        });
    }

    /// Basic: the dev server failed; the error text is scrubbed before it is queued.
    pub fn dev_server_failed(&self, error: impl fmt::Display) {
        self.capture(events::DEV_SERVER_FAILED, EventClass::Basic, |r| {
            vec![("error", Prop::Text(scrubbed(r, &error)))]
        });
    }

    /// Opt-in (sent only at level full): an error report, scrubbed.
    pub fn error_report(&self, error: impl fmt::Display) {
        self.capture(events::ERROR_REPORT, EventClass::OptIn, |r| {
            vec![("error", Prop::Text(scrubbed(r, &error)))]
        });
    }

    /// Opt-in (sent only at level full): a feature was used.
    pub fn feature_used(&self, name: &str) {
        self.capture(events::FEATURE_USED, EventClass::OptIn, |r| {
            vec![("feature", Prop::Text(scrubbed(r, &name)))]
        });
    }

    /// Opt-in (sent only at level full): a measurement, e.g. `("build_time", 1.5, "s")`.
    pub fn performance_metric(&self, name: &str, value: f64, unit: &str) {
        self.capture(events::PERFORMANCE_METRIC, EventClass::OptIn, |r| {
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
        self.capture(events::PROMPT_SENT, EventClass::OptIn, |r| {
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
        name: &'static str,
        class: EventClass,
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

fn duration_ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

fn scrubbed(redactor: &Redactor, text: &dyn fmt::Display) -> String {
    let text = text.to_string();
    events::truncate(redactor.scrub(&text))
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
