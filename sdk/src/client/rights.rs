//! Data rights: [`Telemetry::forget`] (erase at the collector, then delete the local data),
//! [`Telemetry::export`] and [`Telemetry::erase_status`]. The contract is in
//! `crate::rights`; how a kept erase request is sent first is in `worker.rs`.
//!
//! These calls are requests the user made, not telemetry: they go out whatever the level
//! and in debug mode, but only to a collector the environment allows (a project key and a
//! host, and no disable flag or `DO_NOT_TRACK`). A choice stored with `disable()` does not
//! stop them.

use super::Telemetry;
use crate::consent;
use crate::events::rfc3339;
use crate::machine_id;
use crate::rights::{
    CallError, Erase, EraseStatus, ForgetOutcome, NotAsked, PendingErase, PendingErases, Refusal,
    RightsClient,
};
use crate::Error;
use hush_config::Secret;
use serde_json::Value;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

impl Telemetry {
    /// Erases what the collector holds about this machine, then deletes the local data:
    /// the id, the spool and its key, the stored choice and the notice marker. Telemetry is
    /// off for the rest of this run; the next start resolves consent afresh (without a
    /// stored choice) and shows the first-run notice again.
    ///
    /// In order: the worker stops and the batch it was sending settles (no event of this
    /// run reaches the collector after the erase); `POST {host}/v1/erase` names the id the
    /// events carried; then the local files go. When the collector cannot be reached, the
    /// request is kept in an encrypted file and sent before any event at the next start
    /// ([`Erase::Spooled`]). [`ForgetOutcome::erase`] says what happened; a collector that
    /// refuses is reported there, not as an error, since the local data is deleted anyway.
    ///
    /// This call blocks for at most about twice the builder's `request_timeout`.
    ///
    /// # Errors
    /// A local file could not be deleted (the others are deleted anyway), or an erase
    /// request that could not be sent could not be kept for later.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # let telemetry = hush_sdk::Telemetry::builder("devtool", "1.0.0").build();
    /// let outcome = telemetry.forget()?;
    /// println!("{}", outcome.erase); // the collector accepted the erase: receipt 9f…
    /// if let Some(receipt) = outcome.receipt() {
    ///     println!("{:?}", telemetry.erase_status(&receipt.id)?.status);
    /// }
    /// # Ok::<(), hush_sdk::Error>(())
    /// ```
    pub fn forget(&self) -> Result<ForgetOutcome, Error> {
        let settle = self.worker_options.request_timeout + Duration::from_millis(250);
        if !self.queue.stop(Instant::now() + settle) {
            self.warn("a batch was still being sent when the erase was requested".into());
        }
        {
            let mut control = self.control.lock().unwrap_or_else(|e| e.into_inner());
            control.forgotten = true;
            control.spool = None;
        }
        let id = self.current_id();
        *self.identity.write().unwrap_or_else(|e| e.into_inner()) = None;
        let mut keep = None;
        let erase = match (id, self.collector()) {
            (None, _) => Erase::NotAsked(NotAsked::NoId),
            (_, Err(why)) => Erase::NotAsked(why),
            (Some(id), Ok((host, api_key))) => {
                let client = self.rights_client(&host, api_key.clone());
                match client.erase(&id) {
                    Ok(receipt) => Erase::Requested(receipt),
                    Err(CallError::Unreachable { .. }) => {
                        keep = Some(PendingErase {
                            host,
                            api_key: api_key.expose().to_string(),
                            distinct_id: id,
                            requested_at: rfc3339(OffsetDateTime::now_utc()),
                        });
                        Erase::Spooled
                    }
                    Err(CallError::Refused(refusal)) => Erase::Refused(refusal),
                    Err(CallError::Invalid(reason)) => Erase::Refused(Refusal {
                        status: 200,
                        code: None,
                        message: Some(reason),
                    }),
                }
            }
        };
        self.delete_local_data(keep)?;
        Ok(ForgetOutcome {
            erase,
            status: self.status(),
        })
    }

    /// Deletes the local files and writes the pending erase requests again (with `keep`)
    /// under a new key, all under the requests' lock.
    fn delete_local_data(&self, keep: Option<PendingErase>) -> Result<(), Error> {
        let Some(erases) = &self.erases else {
            consent::forget_all(&self.paths)?;
            return match keep {
                Some(_) => Err(Error::NoConfigDir),
                None => Ok(()),
            };
        };
        let _guard = erases.lock();
        let mut list = erases.load().unwrap_or_else(|e| {
            self.warn(e.to_string());
            Vec::new()
        });
        if let Some(erase) = keep {
            PendingErases::push(&mut list, erase);
        }
        let removed = consent::forget_all(&self.paths);
        let stored = erases.store(&list);
        removed.and(stored)
    }

    /// What the collector stores about this machine: its events as stored there (scrubbed,
    /// with the id hashed), oldest first, from `POST {host}/v1/export`. Empty when the
    /// machine has no id that events could have carried.
    ///
    /// # Errors
    /// [`Error::NoCollector`] when the environment allows no collector,
    /// [`Error::Unreachable`], [`Error::Refused`] (e.g. `401` for an unknown project key),
    /// or [`Error::InvalidResponse`] when a line is not JSON.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # let telemetry = hush_sdk::Telemetry::builder("devtool", "1.0.0").build();
    /// for event in telemetry.export()? {
    ///     println!("{event}");
    /// }
    /// # Ok::<(), hush_sdk::Error>(())
    /// ```
    pub fn export(&self) -> Result<Vec<Value>, Error> {
        let (host, api_key) = self.collector().map_err(|why| Error::NoCollector {
            reason: why.to_string(),
        })?;
        let Some(id) = self.current_id() else {
            return Ok(Vec::new());
        };
        self.rights_client(&host, api_key)
            .export(&id)
            .map_err(|e| e.into_error(&host))
    }

    /// Where an erase stands (`GET {host}/v1/erase/{receipt}`): pending, done or failed,
    /// with the events removed per store.
    ///
    /// # Errors
    /// [`Error::InvalidReceipt`] for an id no collector gives, then as
    /// [`export`](Self::export) (`404` for an unknown receipt).
    pub fn erase_status(&self, receipt: &str) -> Result<EraseStatus, Error> {
        if !crate::rights::is_receipt_id(receipt) {
            return Err(Error::InvalidReceipt);
        }
        let (host, api_key) = self.collector().map_err(|why| Error::NoCollector {
            reason: why.to_string(),
        })?;
        self.rights_client(&host, api_key)
            .erase_status(receipt)
            .map_err(|e| e.into_error(&host))
    }

    fn rights_client(&self, host: &str, api_key: Secret) -> RightsClient {
        RightsClient::new(host, api_key, self.worker_options.request_timeout)
    }

    /// The id events carry, without creating one: the identity in use, else the one it
    /// would have.
    fn current_id(&self) -> Option<String> {
        if let Some(identity) = &*self.identity.read().unwrap_or_else(|e| e.into_inner()) {
            return Some(identity.distinct_id.to_string());
        }
        let raw = match &self.raw_machine_id {
            Some(raw) => raw.clone(),
            None => machine_id::os_machine_id(),
        };
        let id_file = self.paths.id().ok();
        machine_id::existing_distinct_id(&self.app_name, raw.as_deref(), id_file.as_deref())
    }

    /// The collector and project key the environment allows, ignoring the stored choice.
    fn collector(&self) -> Result<(String, Secret), NotAsked> {
        let Ok(decision) = self.setup.resolve(None) else {
            return Err(NotAsked::TelemetryOff);
        };
        let api_key = decision.api_key.ok_or(NotAsked::TelemetryOff)?;
        let host = self
            .host_override
            .clone()
            .or(decision.host)
            .ok_or(NotAsked::NoHost)?;
        Ok((host, api_key))
    }
}
