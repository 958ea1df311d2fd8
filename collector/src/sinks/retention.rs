//! Per-tenant retention: which days of a tenant's stored events are past its
//! `retention_days`, what one pass over a store dropped, and the task that runs the passes
//! (at start, then on a fixed interval).
//!
//! # Which days expire
//!
//! A day `D` (UTC) is past `days` days of retention when `D < today - days`: the store keeps
//! today and the `days` days before it. The local sink dates an event by the day it was
//! received (its file), ClickHouse by its `timestamp` (its daily partition).
//!
//! # Failures
//!
//! A pass that fails is logged (the sink and the error, which names a file or a ClickHouse
//! exception code, never an id or a payload) and tried again after [`RETRY`]; whatever it
//! dropped before the failure is counted all the same. A pass never stops the collector.

use super::sink::SinkError;
use crate::metrics::Metrics;
use hush_config::TenantConfig;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use time::Date;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often per-tenant retention runs.
pub const DAILY: Duration = Duration::from_secs(24 * 3600);

/// How soon a failed pass is tried again.
pub const RETRY: Duration = Duration::from_secs(60);

/// Each tenant's `retention_days`, for the tenants that have one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retention {
    days: BTreeMap<String, u32>,
}

impl Retention {
    /// The retention of every tenant of the configuration that sets `retention_days`.
    pub fn from_tenants(tenants: &[TenantConfig]) -> Self {
        Self::new(
            tenants
                .iter()
                .filter_map(|t| Some((t.name.as_str(), t.retention_days?))),
        )
    }

    /// Retention from `(tenant, days)` pairs.
    pub fn new<'a>(days: impl IntoIterator<Item = (&'a str, u32)>) -> Self {
        Retention {
            days: days.into_iter().map(|(t, d)| (t.to_owned(), d)).collect(),
        }
    }

    /// No tenant has a retention.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    /// The tenants with a retention, and their days.
    pub fn tenants(&self) -> impl Iterator<Item = (&str, u32)> {
        self.days.iter().map(|(t, d)| (t.as_str(), *d))
    }

    /// `tenant`'s retention in days, if it has one.
    pub fn days(&self, tenant: &str) -> Option<u32> {
        self.days.get(tenant).copied()
    }

    /// Is `day` past `tenant`'s retention, seen on `today`?
    pub fn expired(&self, tenant: &str, day: Date, today: Date) -> bool {
        self.days(tenant)
            .is_some_and(|days| day < cutoff(today, days))
    }
}

/// The oldest day `days` days of retention keep, seen on `today`: days before it expire.
pub fn cutoff(today: Date, days: u32) -> Date {
    today
        .checked_sub(time::Duration::days(i64::from(days)))
        .unwrap_or(Date::MIN)
}

/// What one retention pass over a store did.
#[derive(Debug, Default)]
pub struct Swept {
    /// Events dropped, per tenant.
    pub dropped: BTreeMap<String, u64>,
    /// The error that stopped the pass early, if one did (what was dropped before it stays
    /// dropped, and is in `dropped`).
    pub error: Option<SinkError>,
}

impl Swept {
    /// Counts `n` events of `tenant` dropped.
    pub fn add(&mut self, tenant: &str, n: u64) {
        if n > 0 {
            *self.dropped.entry(tenant.to_owned()).or_default() += n;
        }
    }

    /// Events dropped, all tenants together.
    pub fn total(&self) -> u64 {
        self.dropped.values().sum()
    }

    /// The counts, or the error if the pass stopped early.
    ///
    /// # Errors
    /// The error that stopped the pass.
    pub fn into_result(self) -> Result<BTreeMap<String, u64>, SinkError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(self.dropped),
        }
    }
}

/// Runs `pass` now and then every `interval` (after [`RETRY`] when it failed) until
/// `shutdown` turns `true`, counting what each pass dropped under `sink` in
/// `hush_retention_dropped_events_total`.
pub fn spawn<F, Fut>(
    sink: &'static str,
    interval: Duration,
    metrics: Arc<Metrics>,
    mut shutdown: watch::Receiver<bool>,
    mut pass: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Swept> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            // A panicking pass ends its own task only; this one logs it and goes on.
            let swept = tokio::spawn(pass()).await.unwrap_or_else(|_| Swept {
                error: Some(SinkError::Retention("the retention pass panicked")),
                ..Swept::default()
            });
            for (tenant, n) in &swept.dropped {
                metrics.retention_dropped(sink, tenant, *n);
            }
            let wait = match &swept.error {
                None => {
                    tracing::info!(sink, dropped = swept.total(), "retention ran");
                    interval
                }
                Some(error) => {
                    tracing::warn!(
                        sink,
                        dropped = swept.total(),
                        error = %error,
                        "retention failed; trying again later"
                    );
                    RETRY.min(interval)
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_day_expires_strictly_before_the_cutoff() {
        let retention = Retention::new([("acme", 7), ("beta", 1)]);
        let today = date!(2025 - 03 - 10);
        assert!(!retention.expired("acme", date!(2025 - 03 - 03), today));
        assert!(retention.expired("acme", date!(2025 - 03 - 02), today));
        assert!(!retention.expired("beta", date!(2025 - 03 - 09), today));
        assert!(retention.expired("beta", date!(2025 - 03 - 08), today));
        assert!(!retention.expired("gamma", date!(2000 - 01 - 01), today));
        assert_eq!(cutoff(Date::MIN, 3), Date::MIN);
    }

    #[tokio::test]
    async fn passes_run_at_start_count_and_survive_failures_and_panics() {
        let metrics = Arc::new(Metrics::default());
        let (stop, shutdown) = watch::channel(false);
        let runs = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counter = runs.clone();
        let task = spawn(
            "local",
            Duration::from_millis(10),
            metrics.clone(),
            shutdown,
            move || {
                let run = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async move {
                    let mut swept = Swept::default();
                    match run {
                        0 => swept.add("acme", 2),
                        1 => {
                            swept.add("acme", 1);
                            swept.error = Some(SinkError::Retention("test"));
                        }
                        2 => panic!("a pass panics"),
                        _ => swept.add("beta", 0),
                    }
                    swept
                }
            },
        );
        while runs.load(std::sync::atomic::Ordering::SeqCst) < 4 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.send(true).unwrap();
        task.await.unwrap();
        assert_eq!(metrics.retention_dropped_count("local", "acme"), 3);
        assert_eq!(metrics.retention_dropped_count("local", "beta"), 0);
    }
}
