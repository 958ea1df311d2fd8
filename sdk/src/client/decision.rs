//! Consent at run time: the user's choices ([`Telemetry::enable_full`],
//! [`Telemetry::set_basic`], [`Telemetry::disable`]; `forget` is in `rights.rs`) and how a
//! decision is put into force (the level, the identity, the spool, pending erase requests
//! and the worker).

use super::Telemetry;
use crate::consent;
use crate::spool::Spool;
use crate::status::Status;
use crate::transport::Transport;
use crate::worker::Worker;
use crate::Error;
use hush_config::consent::{ConsentError, Decision, Level};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

impl Telemetry {
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
    pub(super) fn apply(&self, decision: Result<Decision, ConsentError>) {
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
        // Erase requests an earlier forget() could not send go out before any event. (No
        // event from before that forget() is left: it dropped the queue and the spool.)
        let erases_pending = match &self.erases {
            Some(erases) => {
                let _guard = erases.lock();
                erases.load().map_or_else(
                    |e| {
                        self.warn(e.to_string());
                        let _ = erases.store(&[]);
                        false
                    },
                    |list| !list.is_empty(),
                )
            }
            None => false,
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
            erases: self.erases.clone(),
            erases_pending,
            receipts: Arc::clone(&self.receipts),
        };
        if let Err(e) = worker.start() {
            self.warn(format!("could not start the telemetry thread: {e}"));
        }
    }
}
