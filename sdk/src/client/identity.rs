//! The identity every event carries: the app-specific distinct id and the properties
//! common to every event of this process, built once when telemetry first turns on.

use super::Telemetry;
use crate::machine_id;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The id and the properties every event carries.
pub(super) struct Identity {
    pub(super) distinct_id: Arc<str>,
    pub(super) common: Arc<Map<String, Value>>,
}

impl Telemetry {
    /// Builds the identity unless it exists: the distinct id (keyed hash of the machine id,
    /// or a random id for this run when there is none) and the common properties.
    pub(super) fn ensure_identity(&self) {
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
}
