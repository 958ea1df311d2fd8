//! Data rights: erase and export on request, for the person (who proves it by holding an
//! id nobody can guess) or for the tenant's admin; stats for the admin; an erase receipt
//! to poll; an audit line for every call.
//!
//! An erase first records a tombstone (see [`crate::erasures`]), so from that instant no
//! sink delivers the person's queued events; then it removes what each store holds (local
//! day files, ClickHouse rows) and asks PostHog to delete the person when `[posthog]` has
//! a personal API key. The receipt says what each store removed. A restart finishes the
//! erases it interrupted.

mod audit;
mod ids;
mod posthog_persons;
mod receipts;

pub use audit::{AuditEntry, AuditLog, AUDIT_FILE};
pub use ids::{is_unguessable, same_secret};
pub use posthog_persons::{PersonOutcome, PersonsError, PostHogPersons};
pub use receipts::{EraseStatus, Receipt, Receipts, Removed, Target};

use crate::erasures::{Erasures, WHOLE_TENANT};
use crate::pipeline::IdHasher;
use crate::sinks::{ClickHouseSink, LocalSink, LocalStats};
use crate::stored_event::StoredEvent;
use hush_config::{CollectorConfig, Secret};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// How long a failing store is retried before the receipt says `failed`.
const STORE_RETRY_FOR: Duration = Duration::from_secs(300);

/// Who is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The person, with the project key and their own (unguessable) raw id.
    SelfService,
    /// The tenant's admin, with its `admin_token`.
    TenantAdmin,
    /// The collector's operator, with `[admin] token`.
    CollectorAdmin,
}

impl Caller {
    /// The name in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Caller::SelfService => "self_service",
            Caller::TenantAdmin => "tenant_admin",
            Caller::CollectorAdmin => "collector_admin",
        }
    }
}

/// Why a data-rights call failed on the server's side.
#[derive(Debug, thiserror::Error)]
pub enum RightsError {
    /// No store holds events to read (neither the local sink nor ClickHouse).
    #[error("no store to read: enable the local sink or configure [clickhouse]")]
    NoStore,
    /// A store could not be read or written.
    #[error("{store}: {reason}")]
    Store {
        /// `local`, `clickhouse`, `queue`, `receipts`, `tombstones`.
        store: &'static str,
        /// What went wrong (never an id).
        reason: String,
    },
}

fn store_error(store: &'static str) -> impl Fn(&dyn std::fmt::Display) -> RightsError {
    move |e| RightsError::Store {
        store,
        reason: e.to_string(),
    }
}

struct RightsTenant {
    name: String,
    api_key: Secret,
    hasher: IdHasher,
    admin_token: Option<Secret>,
}

/// The data-rights service of one collector.
pub struct DataRights {
    tenants: Vec<RightsTenant>,
    collector_token: Option<Secret>,
    data_dir: PathBuf,
    consumers: Vec<String>,
    local: Option<LocalSink>,
    clickhouse: Option<ClickHouseSink>,
    posthog: Option<PostHogPersons>,
    posthog_configured: bool,
    erasures: Erasures,
    receipts: Receipts,
    audit: AuditLog,
}

impl std::fmt::Debug for DataRights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataRights")
            .field("tenants", &self.tenants.len())
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl DataRights {
    /// The service for `config` (stores as configured; nothing is contacted yet).
    ///
    /// # Errors
    /// [`RightsError::Store`] when the receipts directory or the local sink's directory
    /// cannot be created, or the ClickHouse client cannot be built.
    pub fn from_config(config: &CollectorConfig) -> Result<Self, RightsError> {
        let tenants = config
            .tenants
            .iter()
            .map(|t| RightsTenant {
                name: t.name.clone(),
                api_key: t.api_key.clone(),
                hasher: IdHasher::new(t.hash_key.expose().as_bytes()),
                admin_token: t.admin_token.clone(),
            })
            .collect();
        let local = if config.local.enabled {
            Some(LocalSink::new(&config.data_dir).map_err(|e| store_error("local")(&e))?)
        } else {
            None
        };
        let clickhouse = match &config.clickhouse {
            Some(ch) => Some(ClickHouseSink::new(ch).map_err(|e| store_error("clickhouse")(&e))?),
            None => None,
        };
        Ok(DataRights {
            tenants,
            collector_token: config.admin.token.clone(),
            data_dir: config.data_dir.clone(),
            consumers: crate::sinks::consumer_names(config)
                .iter()
                .map(|c| c.to_string())
                .collect(),
            local,
            clickhouse,
            posthog: config
                .posthog
                .as_ref()
                .and_then(PostHogPersons::from_config),
            posthog_configured: config.posthog.is_some(),
            erasures: Erasures::new(&config.data_dir),
            receipts: Receipts::open(&config.data_dir).map_err(|e| store_error("receipts")(&e))?,
            audit: AuditLog::new(&config.data_dir),
        })
    }

    /// The tenant whose project key is `api_key`.
    pub fn tenant_by_api_key(&self, api_key: &str) -> Option<&str> {
        self.tenants
            .iter()
            .find(|t| same_secret(api_key.as_bytes(), t.api_key.expose().as_bytes()))
            .map(|t| t.name.as_str())
    }

    /// The tenant whose `admin_token` is `token` (every token is compared, each in constant
    /// time, so the answer's timing says nothing about which tenant or how close).
    pub fn tenant_by_admin_token(&self, token: &str) -> Option<&str> {
        let mut found = None;
        for tenant in &self.tenants {
            if let Some(expected) = &tenant.admin_token {
                if same_secret(token.as_bytes(), expected.expose().as_bytes()) {
                    found = Some(tenant.name.as_str());
                }
            }
        }
        found
    }

    /// Whether `token` is the collector's `[admin] token`.
    pub fn is_collector_token(&self, token: &str) -> bool {
        self.collector_token
            .as_ref()
            .is_some_and(|t| same_secret(token.as_bytes(), t.expose().as_bytes()))
    }

    /// Whether a tenant of this name exists.
    pub fn has_tenant(&self, name: &str) -> bool {
        self.tenants.iter().any(|t| t.name == name)
    }

    fn hashed(&self, tenant: &str, raw_id: &str) -> Option<String> {
        let t = self.tenants.iter().find(|t| t.name == tenant)?;
        Some(t.hasher.hash(raw_id))
    }

    /// Writes an audit line.
    pub fn audit(&self, entry: &AuditEntry) {
        self.audit.record(entry);
    }

    /// Accepts an erase of `raw_id` of `tenant` (`None`: the whole tenant): the tombstone
    /// is recorded and the receipt stored before this returns; the stores are cleaned in
    /// the background.
    ///
    /// # Errors
    /// [`RightsError::Store`] when the tombstone or the receipt cannot be written (then
    /// nothing was accepted).
    pub fn start_erase(
        self: &Arc<Self>,
        tenant: &str,
        raw_id: Option<&str>,
        caller: Caller,
    ) -> Result<Receipt, RightsError> {
        let receipt = self.accept_erase(tenant, raw_id, caller)?;
        self.spawn_erase(receipt.clone(), caller);
        Ok(receipt)
    }

    /// The erase of [`start_erase`](Self::start_erase), run to its end before returning
    /// (for `hush-collector erase`); the finished receipt.
    ///
    /// # Errors
    /// As [`start_erase`](Self::start_erase).
    pub async fn erase_now(
        self: &Arc<Self>,
        tenant: &str,
        raw_id: Option<&str>,
        caller: Caller,
    ) -> Result<Receipt, RightsError> {
        let receipt = self.accept_erase(tenant, raw_id, caller)?;
        Ok(self.clone().run_erase(receipt, caller).await)
    }

    fn accept_erase(
        &self,
        tenant: &str,
        raw_id: Option<&str>,
        caller: Caller,
    ) -> Result<Receipt, RightsError> {
        let hashed_id = match raw_id {
            Some(raw) => self.hashed(tenant, raw).ok_or_else(|| RightsError::Store {
                store: "tenants",
                reason: "no such tenant".into(),
            })?,
            None => WHOLE_TENANT.to_owned(),
        };
        self.erasures
            .record(tenant, &hashed_id, OffsetDateTime::now_utc())
            .map_err(|e| store_error("tombstones")(&e))?;
        let target = Target {
            tenant: tenant.to_owned(),
            hashed_id,
        };
        let receipt = self
            .receipts
            .create(target, "pending")
            .map_err(|e| store_error("receipts")(&e))?;
        self.audit(&AuditEntry {
            action: "erase_requested",
            by: caller.as_str(),
            tenant: tenant.to_owned(),
            receipt: Some(receipt.receipt.clone()),
            counts: BTreeMap::new(),
            note: None,
        });
        tracing::info!(tenant = %tenant, receipt = %receipt.receipt, by = caller.as_str(), "erase accepted");
        Ok(receipt)
    }

    /// Finishes, in the background, the erases a restart interrupted.
    pub fn resume_pending(self: &Arc<Self>) {
        for receipt in self.receipts.pending() {
            tracing::info!(receipt = %receipt.receipt, "finishing an interrupted erase");
            self.spawn_erase(receipt, Caller::CollectorAdmin);
        }
    }

    fn spawn_erase(self: &Arc<Self>, receipt: Receipt, caller: Caller) {
        let me = self.clone();
        tokio::spawn(async move {
            me.run_erase(receipt, caller).await;
        });
    }

    async fn run_erase(self: Arc<Self>, mut receipt: Receipt, caller: Caller) -> Receipt {
        let target = receipt.target.clone();
        let started = tokio::time::Instant::now();
        let mut delay = Duration::from_millis(200);
        let outcome = loop {
            match self.erase_stores(&target).await {
                Ok(outcome) => break Ok(outcome),
                Err(error) if started.elapsed() < STORE_RETRY_FOR => {
                    tracing::warn!(receipt = %receipt.receipt, %error, "erase will be retried");
                    receipt.error = Some(error.to_string());
                    let _ = self.receipts.store(&receipt);
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(15));
                }
                Err(error) => break Err(error),
            }
        };
        receipt.finished_at = Some(receipts::now_rfc3339());
        let mut counts = BTreeMap::new();
        match outcome {
            Ok((removed, posthog)) => {
                receipt.status = EraseStatus::Done;
                receipt.error = None;
                counts.insert("queue", removed.queue);
                if let Some(n) = removed.local {
                    counts.insert("local", n);
                }
                if let Some(n) = removed.clickhouse {
                    counts.insert("clickhouse", n);
                }
                receipt.removed = removed;
                receipt.posthog = posthog;
            }
            Err(error) => {
                receipt.status = EraseStatus::Failed;
                receipt.error = Some(error.to_string());
                receipt.posthog = "not asked: the erase failed first".into();
            }
        }
        if let Err(error) = self.receipts.store(&receipt) {
            tracing::error!(receipt = %receipt.receipt, %error, "cannot store the erase receipt");
        }
        let done = receipt.status == EraseStatus::Done;
        self.audit(&AuditEntry {
            action: if done { "erase_done" } else { "erase_failed" },
            by: caller.as_str(),
            tenant: target.tenant.clone(),
            receipt: Some(receipt.receipt.clone()),
            counts,
            note: Some(
                receipt
                    .error
                    .clone()
                    .unwrap_or_else(|| receipt.posthog.clone()),
            ),
        });
        tracing::info!(tenant = %target.tenant, receipt = %receipt.receipt, done, "erase finished");
        receipt
    }

    /// Removes the target's events from every store; what each removed, and what happened
    /// at PostHog.
    async fn erase_stores(&self, target: &Target) -> Result<(Removed, String), RightsError> {
        let mut removed = Removed::default();
        let (dir, consumers) = (self.data_dir.join("queue"), self.consumers.clone());
        let (tenant, id) = (target.tenant.clone(), target.hashed_id.clone());
        removed.queue = tokio::task::spawn_blocking(move || {
            let names: Vec<&str> = consumers.iter().map(String::as_str).collect();
            let mut queued = 0u64;
            crate::queue::for_each_pending_record(&dir, &names, |record| {
                let owner = serde_json::from_slice::<StoredEvent>(record);
                if owner.is_ok_and(|e| {
                    e.tenant == tenant && (id == WHOLE_TENANT || e.distinct_id == id)
                }) {
                    queued += 1;
                }
            })
            .map(|_| queued)
        })
        .await
        .map_err(|e| store_error("queue")(&e))?
        .map_err(|e| store_error("queue")(&e))?;
        if let Some(local) = &self.local {
            let local = local.clone();
            let (tenant, id) = (target.tenant.clone(), target.hashed_id.clone());
            let erased = tokio::task::spawn_blocking(move || local.erase_distinct_id(&tenant, &id))
                .await
                .map_err(|e| store_error("local")(&e))?
                .map_err(|e| store_error("local")(&e))?;
            removed.local = Some(erased.removed);
        }
        if let Some(clickhouse) = &self.clickhouse {
            let rows = clickhouse
                .erase_distinct_id(&target.tenant, &target.hashed_id)
                .await
                .map_err(|e| store_error("clickhouse")(&e))?;
            removed.clickhouse = Some(rows);
        }
        let posthog = match &self.posthog {
            _ if target.hashed_id == WHOLE_TENANT && self.posthog_configured => {
                "kept: a whole tenant is deleted in PostHog by deleting its project".to_owned()
            }
            Some(persons) => match persons.delete_person(&target.hashed_id).await {
                Ok(PersonOutcome::Deleted(n)) => format!("deleted {n} person(s) and their events"),
                Ok(PersonOutcome::NotFound) => "no such person in PostHog".to_owned(),
                Err(error) => {
                    return Err(RightsError::Store {
                        store: "posthog",
                        reason: error.to_string(),
                    })
                }
            },
            None if self.posthog_configured => {
                "kept: PostHog keeps its copy ([posthog] has no personal_api_key and project_id)"
                    .to_owned()
            }
            None => "not configured".to_owned(),
        };
        Ok((removed, posthog))
    }

    /// The receipt `id`.
    pub fn receipt(&self, id: &str) -> Option<Receipt> {
        self.receipts.get(id)
    }

    /// Sends every stored event of `raw_id` of `tenant`, as stored (scrubbed), as JSON
    /// Lines into `out`, oldest first; returns how many.
    ///
    /// # Errors
    /// [`RightsError::NoStore`] without the local sink; [`RightsError::Store`] when it
    /// cannot be read.
    pub fn export_lines(
        &self,
        tenant: &str,
        raw_id: &str,
        mut out: impl FnMut(&[u8]),
    ) -> Result<u64, RightsError> {
        let local = self.local.as_ref().ok_or(RightsError::NoStore)?;
        let hashed = self.hashed(tenant, raw_id).ok_or(RightsError::NoStore)?;
        local
            .person_lines(tenant, &hashed, &mut out)
            .map_err(|e| store_error("local")(&e))
    }

    /// Whether exports can be served (the local sink holds every stored event).
    pub fn can_export(&self) -> bool {
        self.local.is_some()
    }

    /// `tenant`'s stored events per day and per event name.
    ///
    /// # Errors
    /// As [`export_lines`](Self::export_lines).
    pub fn stats(&self, tenant: &str) -> Result<LocalStats, RightsError> {
        let local = self.local.as_ref().ok_or(RightsError::NoStore)?;
        local
            .tenant_stats(tenant)
            .map_err(|e| store_error("local")(&e))
    }
}
