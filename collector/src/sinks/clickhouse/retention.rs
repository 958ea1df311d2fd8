//! Retention in ClickHouse, collector-wide (`[clickhouse] retention_days`) and per tenant
//! (`[[tenants]] retention_days`), by the day of each event's `timestamp` (the daily
//! partition; see [`crate::sinks::retention`] for which days expire).
//!
//! A daily partition is dropped whole when every tenant with events in it is past its
//! retention, or when the collector-wide retention is past it. Otherwise the rows of each
//! tenant past its retention are deleted with one mutation per tenant (`ALTER TABLE …
//! DELETE WHERE tenant = ? AND toYYYYMMDD(timestamp) < ?`, as an erase does), waited for
//! up to [`ERASE_WAIT`]. Events are counted (replays collapsed) before they go, and counted
//! as dropped once the drop or the mutation is done: a mutation still running after the
//! wait is reported as a failure and its rows are counted by a later pass, if still there.
//!
//! The pass runs at start, then hourly when the collector-wide retention is set (as it
//! always did) and daily otherwise.

use super::{ch_error, schema, ClickHouseSink, ERASE_WAIT, RETENTION_INTERVAL};
use crate::sinks::retention::{self, cutoff, Retention, Swept, DAILY};
use crate::sinks::sink::SinkError;
use crate::sinks::start::SinkContext;
use schema::{day_number, DayCount};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use time::{Date, OffsetDateTime};
use tokio::task::JoinHandle;

/// The retention task of `sink`, when the collector-wide or a tenant's retention is set.
pub(super) fn spawn(sink: &ClickHouseSink, context: &SinkContext<'_>) -> Option<JoinHandle<()>> {
    if sink.retention_days.is_none() && context.retention.is_empty() {
        return None;
    }
    let interval = match sink.retention_days {
        Some(_) => RETENTION_INTERVAL,
        None => DAILY,
    };
    let (sink, policy) = (sink.clone(), Arc::clone(context.retention));
    Some(retention::spawn(
        "clickhouse",
        interval,
        context.metrics.clone(),
        context.shutdown.clone(),
        move || {
            let (sink, policy) = (sink.clone(), policy.clone());
            async move {
                let today = OffsetDateTime::now_utc().date();
                sink.expire(&policy, today).await
            }
        },
    ))
}

/// What one pass does.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Partitions dropped whole, and their events per tenant.
    pub partitions: Vec<(String, BTreeMap<String, u64>)>,
    /// `(tenant, first day kept as YYYYMMDD, events deleted)`: the mutations.
    pub deletes: Vec<(String, u32, u64)>,
}

/// The pass for the events per day and tenant in `counts` and the active `partitions`,
/// under the tenants' `retention` and the collector-wide `global` days, on `today`.
pub fn plan(
    counts: &[DayCount],
    partitions: &[String],
    retention: &Retention,
    global: Option<u32>,
    today: Date,
) -> Plan {
    let first_kept = |days: u32| day_number(cutoff(today, days));
    let global_cut = global.map(first_kept);
    let mut days: BTreeMap<u32, BTreeMap<String, u64>> = BTreeMap::new();
    for count in counts {
        *days
            .entry(count.day)
            .or_default()
            .entry(count.tenant.clone())
            .or_default() += count.events;
    }
    // A partition without a counted row still goes when the collector-wide retention says so.
    for partition in partitions {
        if let (8, Ok(day)) = (partition.len(), partition.parse::<u32>()) {
            days.entry(day).or_default();
        }
    }
    let mut plan = Plan::default();
    let mut deletes: BTreeMap<String, (u32, u64)> = BTreeMap::new();
    for (day, tenants) in days {
        let whole = global_cut.is_some_and(|cut| day < cut);
        let expired = |tenant: &str| {
            whole
                || retention
                    .days(tenant)
                    .is_some_and(|days| day < first_kept(days))
        };
        if whole || (!tenants.is_empty() && tenants.keys().all(|t| expired(t))) {
            plan.partitions.push((day.to_string(), tenants));
            continue;
        }
        for (tenant, events) in tenants {
            if let Some(days) = retention.days(&tenant).filter(|_| expired(&tenant)) {
                let entry = deletes.entry(tenant).or_insert((first_kept(days), 0));
                entry.1 += events;
            }
        }
    }
    plan.deletes = deletes
        .into_iter()
        .filter(|(_, (_, events))| *events > 0)
        .map(|(tenant, (cut, events))| (tenant, cut, events))
        .collect();
    plan
}

impl ClickHouseSink {
    /// Drops what is past the collector-wide retention and each tenant's `retention` on
    /// `today` (see the [module docs](self)); counts it per tenant. A failure stops the
    /// pass and is in [`Swept::error`]; what was dropped before it is counted.
    pub async fn expire(&self, retention: &Retention, today: Date) -> Swept {
        let mut swept = Swept::default();
        if let Err(error) = self.expire_into(retention, today, &mut swept).await {
            swept.error = Some(error);
        }
        swept
    }

    async fn expire_into(
        &self,
        retention: &Retention,
        today: Date,
        swept: &mut Swept,
    ) -> Result<(), SinkError> {
        let latest_cut = self
            .retention_days
            .into_iter()
            .chain(retention.tenants().map(|(_, days)| days))
            .map(|days| day_number(cutoff(today, days)))
            .max();
        let Some(latest_cut) = latest_cut else {
            return Ok(());
        };
        self.ensure_schema().await?;
        let partitions = self.partitions().await?;
        let counts: Vec<DayCount> = self
            .admin
            .query(&schema::count_days(&self.database))
            .bind(latest_cut)
            .fetch_all()
            .await
            .map_err(|e| ch_error(&e))?;
        let plan = plan(&counts, &partitions, retention, self.retention_days, today);
        for (partition, tenants) in &plan.partitions {
            self.admin
                .query(&schema::drop_partition(&self.database))
                .bind(partition)
                .execute()
                .await
                .map_err(|e| ch_error(&e))?;
            tracing::info!(sink = "clickhouse", partition = %partition, "dropped expired partition");
            for (tenant, events) in tenants {
                swept.add(tenant, *events);
            }
        }
        for (tenant, first_kept, events) in &plan.deletes {
            self.admin
                .query(&schema::expire_tenant(&self.database))
                .bind(tenant)
                .bind(first_kept)
                .execute()
                .await
                .map_err(|e| ch_error(&e))?;
            self.wait_for_mutations(ERASE_WAIT).await?;
            tracing::info!(sink = "clickhouse", tenant = %tenant, events, "deleted expired rows");
            swept.add(tenant, *events);
        }
        Ok(())
    }

    /// Waits until the events table has no unfinished mutation, up to `max_wait`.
    pub(super) async fn wait_for_mutations(&self, max_wait: Duration) -> Result<(), SinkError> {
        let deadline = tokio::time::Instant::now() + max_wait;
        let mut delay = Duration::from_millis(50);
        loop {
            let pending: u64 = self
                .admin
                .query(schema::PENDING_MUTATIONS)
                .bind(&self.database)
                .fetch_one()
                .await
                .map_err(|e| ch_error(&e))?;
            if pending == 0 {
                return Ok(());
            }
            if tokio::time::Instant::now() + delay > deadline {
                return Err(SinkError::Timeout {
                    what: "clickhouse retention mutation",
                    waited: max_wait,
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sinks::sink::Sink;
    use crate::stored_event::StoredEvent;
    use time::macros::date;

    fn count(day: u32, tenant: &str, events: u64) -> DayCount {
        DayCount {
            day,
            tenant: tenant.into(),
            events,
        }
    }

    fn tenants(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect()
    }

    /// `acme` keeps 7 days, `beta` 1, `gamma` has no retention; today is 2025-03-10.
    #[test]
    fn partitions_go_whole_only_when_every_tenant_in_them_expired() {
        let retention = Retention::new([("acme", 7), ("beta", 1)]);
        let counts = [
            count(20250101, "acme", 3),
            count(20250101, "beta", 1),
            count(20250102, "acme", 2),
            count(20250102, "gamma", 5),
            count(20250302, "acme", 1),
            // acme's boundary day: kept; beta's rows go.
            count(20250303, "acme", 4),
            count(20250303, "beta", 2),
            // beta's boundary day: kept.
            count(20250309, "beta", 1),
        ];
        let partitions: Vec<String> = ["20250101", "20250102", "20250302", "20250303", "20250309"]
            .map(String::from)
            .to_vec();
        let today = date!(2025 - 03 - 10);
        let plan = plan(&counts, &partitions, &retention, None, today);
        assert_eq!(
            plan.partitions,
            [
                ("20250101".into(), tenants(&[("acme", 3), ("beta", 1)])),
                ("20250302".into(), tenants(&[("acme", 1)])),
            ]
        );
        assert_eq!(
            plan.deletes,
            [("acme".into(), 20250303, 2), ("beta".into(), 20250309, 2)]
        );

        // The collector-wide retention drops whole partitions, whoever is in them, and
        // partitions it finds without a counted row.
        let partitions = [partitions, vec!["20241231".into()]].concat();
        let plan = super::plan(&counts, &partitions, &retention, Some(60), today);
        assert_eq!(
            plan.partitions,
            [
                ("20241231".into(), tenants(&[])),
                ("20250101".into(), tenants(&[("acme", 3), ("beta", 1)])),
                ("20250102".into(), tenants(&[("acme", 2), ("gamma", 5)])),
                ("20250302".into(), tenants(&[("acme", 1)])),
            ]
        );
        assert_eq!(plan.deletes, [("beta".into(), 20250309, 2)]);

        // No retention anywhere: nothing.
        assert_eq!(
            super::plan(&counts, &partitions, &Retention::default(), None, today),
            Plan::default()
        );
    }

    /// Back-dated rows of three tenants in the real server `scripts/test` starts: exactly
    /// the old rows of the tenants with a retention go, counted.
    #[tokio::test]
    async fn against_a_real_server() {
        let url = std::env::var("HUSH_TEST_CLICKHOUSE_URL").expect(
            "HUSH_TEST_CLICKHOUSE_URL is not set: run the suite with scripts/test, which starts ClickHouse",
        );
        let mut config = super::super::tests::config(&url);
        let mut suffix = [0u8; 4];
        getrandom::getrandom(&mut suffix).unwrap();
        config.database = format!("hush_retention_test_{}", u32::from_le_bytes(suffix));
        let sink = ClickHouseSink::connect(&config).await.unwrap();

        let today = OffsetDateTime::now_utc().date();
        let noon = |days_ago: i64| {
            (today - time::Duration::days(days_ago))
                .with_hms(12, 0, 0)
                .unwrap()
                .assume_utc()
        };
        let rfc = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        // (tenant, days ago, events)
        let layout: &[(&str, i64, usize)] = &[
            ("acme", 0, 1),
            ("beta", 0, 1),
            ("acme", 7, 1), // acme's boundary: kept
            ("acme", 8, 2),
            ("beta", 8, 1),
            ("acme", 40, 1), // alone in its partition: dropped whole
            ("acme", 41, 1),
            ("beta", 41, 1),
            ("gamma", 41, 2),
        ];
        let mut batch = Vec::new();
        for (tenant, days_ago, n) in layout {
            for _ in 0..*n {
                batch.push(StoredEvent::for_test(
                    tenant,
                    &rfc(OffsetDateTime::now_utc()),
                    serde_json::json!({
                        "event": "cli_command", "distinct_id": "h:1",
                        "uuid": format!("00000000-0000-4000-8000-{:012}", batch.len()),
                        "timestamp": rfc(noon(*days_ago)), "properties": {}
                    }),
                ));
            }
        }
        sink.deliver(&batch).await.unwrap();
        let total = |tenant: &'static str| {
            let sink = sink.clone();
            async move {
                sink.client
                    .query("SELECT count() FROM events FINAL WHERE tenant = ?")
                    .bind(tenant)
                    .fetch_one::<u64>()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            (
                total("acme").await,
                total("beta").await,
                total("gamma").await
            ),
            (6, 3, 2)
        );
        let retention = Retention::new([("acme", 7), ("beta", 30)]);
        let dropped = sink.expire(&retention, today).await.into_result().unwrap();
        assert_eq!(
            dropped,
            BTreeMap::from([("acme".into(), 4), ("beta".into(), 1)])
        );
        assert_eq!(total("acme").await, 2);
        assert_eq!(total("beta").await, 2);
        assert_eq!(total("gamma").await, 2);
        let old_acme: u64 = sink
            .client
            .query("SELECT count() FROM events FINAL WHERE tenant = 'acme' AND toYYYYMMDD(timestamp) < ?")
            .bind(day_number(noon(7).date()))
            .fetch_one()
            .await
            .unwrap();
        assert_eq!(old_acme, 0);
        // Nothing more the second time.
        assert!(sink
            .expire(&retention, today)
            .await
            .into_result()
            .unwrap()
            .is_empty());

        // With the collector-wide retention too, gamma's old partition goes whole.
        config.retention_days = Some(30);
        let wide = ClickHouseSink::new(&config).unwrap();
        let dropped = wide.expire(&retention, today).await.into_result().unwrap();
        assert_eq!(dropped, BTreeMap::from([("gamma".into(), 2)]));
        assert_eq!(total("gamma").await, 0);
        assert_eq!(total("beta").await, 2);

        sink.admin
            .query(&format!("DROP DATABASE `{}`", config.database))
            .execute()
            .await
            .unwrap();
    }
}
