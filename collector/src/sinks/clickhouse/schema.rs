//! The `events` table and the SQL we run against it. Kept to what both Debian's
//! ClickHouse 18.16 and current ClickHouse accept: `DateTime` (not `DateTime64`), JSON as
//! `String`, no `Map`/`Bool`/TTL, values bound client-side with `?`.

use crate::stored_event::StoredEvent;
use serde::Serialize;
use time::OffsetDateTime;

/// The table's name, inside the configured database.
pub const TABLE: &str = "events";

/// `CREATE DATABASE` for `database` (already validated: letters, digits, `_`).
pub fn create_database(database: &str) -> String {
    format!("CREATE DATABASE IF NOT EXISTS `{database}`")
}

/// `CREATE TABLE` for the events table.
///
/// `ReplacingMergeTree(received_at)` keyed by `(tenant, event, timestamp, uuid)`: a batch
/// delivered twice (at-least-once) collapses to one row on merge; readers use `FINAL`.
/// The `DateTime` columns are pinned to UTC so that the daily partitions (and retention)
/// are UTC days whatever the server's time zone.
pub fn create_table(database: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS `{database}`.`{TABLE}` (\
            tenant String, \
            uuid String, \
            event String, \
            distinct_id String, \
            timestamp DateTime('UTC'), \
            received_at DateTime('UTC'), \
            properties String\
        ) ENGINE = ReplacingMergeTree(received_at) \
        PARTITION BY toYYYYMMDD(timestamp) \
        ORDER BY (tenant, event, timestamp, uuid)"
    )
}

/// Active partition ids of the events table (`YYYYMMDD`); binds: database.
pub const LIST_PARTITIONS: &str = "SELECT DISTINCT partition_id FROM system.parts \
     WHERE database = ? AND table = 'events' AND active";

/// `ALTER TABLE … DROP PARTITION ID ?`; binds: the partition id.
pub fn drop_partition(database: &str) -> String {
    format!("ALTER TABLE `{database}`.`{TABLE}` DROP PARTITION ID ?")
}

/// The erase mutation; binds: tenant, distinct_id.
pub fn erase(database: &str) -> String {
    format!("ALTER TABLE `{database}`.`{TABLE}` DELETE WHERE tenant = ? AND {PERSON}")
}

/// Matches the bound distinct_id, or every row when it is
/// [`WHOLE_TENANT`](crate::erasures::WHOLE_TENANT) (`*`, which no stored id is).
const PERSON: &str = "has([distinct_id, '*'], ?)";

/// Per-tenant retention's mutation: one tenant's rows of the days before a day; binds:
/// tenant, the first day kept (`YYYYMMDD`).
pub fn expire_tenant(database: &str) -> String {
    format!(
        "ALTER TABLE `{database}`.`{TABLE}` DELETE \
         WHERE tenant = ? AND toYYYYMMDD(timestamp) < ?"
    )
}

/// Events per day (`YYYYMMDD`, the partition id) and tenant before a day, replays
/// collapsed; binds: the first day not counted. Rows: [`DayCount`].
pub fn count_days(database: &str) -> String {
    format!(
        "SELECT toYYYYMMDD(timestamp) AS day, tenant, count() AS events \
         FROM `{database}`.`{TABLE}` FINAL WHERE toYYYYMMDD(timestamp) < ? \
         GROUP BY day, tenant ORDER BY day, tenant"
    )
}

/// One row of [`count_days`].
#[derive(Debug, Clone, PartialEq, Eq, clickhouse::Row, serde::Deserialize)]
pub struct DayCount {
    /// The day, `YYYYMMDD` (the partition id as a number).
    pub day: u32,
    /// The tenant.
    pub tenant: String,
    /// Its events that day.
    pub events: u64,
}

/// The events of one person (one row per uuid, replays collapsed); binds: tenant,
/// distinct_id.
pub fn count_person(database: &str) -> String {
    format!("SELECT count() FROM `{database}`.`{TABLE}` FINAL WHERE tenant = ? AND {PERSON}")
}

/// Unfinished mutations on the events table; binds: database.
pub const PENDING_MUTATIONS: &str = "SELECT count() FROM system.mutations \
     WHERE database = ? AND table = 'events' AND is_done = 0";

/// One row of the events table. `DateTime` columns travel as `u32` unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, clickhouse::Row, Serialize)]
pub struct EventRow<'a> {
    /// The tenant's name.
    pub tenant: &'a str,
    /// The event's uuid.
    pub uuid: String,
    /// The event's name.
    pub event: &'a str,
    /// The (hashed) distinct id.
    pub distinct_id: &'a str,
    /// When the event happened, unix seconds (its `timestamp`, or `received_at` when that is
    /// missing or unreadable).
    pub timestamp: u32,
    /// When the collector accepted it, unix seconds.
    pub received_at: u32,
    /// The event's `properties` as JSON text (`{}` when absent).
    pub properties: String,
}

impl<'a> EventRow<'a> {
    /// The row for `stored`.
    pub fn from_stored(stored: &'a StoredEvent) -> Self {
        let received_at = seconds(stored.received_at).unwrap_or_else(now_seconds);
        let timestamp = seconds(stored.timestamp).unwrap_or(received_at);
        let properties = serde_json::Value::Object(stored.properties.clone()).to_string();
        EventRow {
            tenant: &stored.tenant,
            uuid: stored.uuid.hyphenated().to_string(),
            event: &stored.name,
            distinct_id: &stored.distinct_id,
            timestamp,
            received_at,
            properties,
        }
    }
}

/// A time as unix seconds, if it is in `DateTime`'s range.
fn seconds(at: OffsetDateTime) -> Option<u32> {
    u32::try_from(at.unix_timestamp()).ok()
}

fn now_seconds() -> u32 {
    u32::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(u32::MAX)
}

/// Partition ids (`YYYYMMDD`) strictly older than `days` days before `today`.
pub fn expired_partitions(partitions: &[String], today: time::Date, days: u32) -> Vec<&str> {
    let cutoff = today
        .checked_sub(time::Duration::days(i64::from(days)))
        .unwrap_or(time::Date::MIN);
    let cutoff = day_number(cutoff);
    partitions
        .iter()
        .filter(|p| p.len() == 8 && p.parse::<u32>().is_ok_and(|day| day < cutoff))
        .map(String::as_str)
        .collect()
}

/// `date` as `YYYYMMDD`, the form of partition ids.
pub fn day_number(date: time::Date) -> u32 {
    let year = u32::try_from(date.year()).unwrap_or(0);
    year * 10_000 + u32::from(u8::from(date.month())) * 100 + u32::from(date.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::date;

    #[test]
    fn row_from_event() {
        let stored = StoredEvent::for_test(
            "acme",
            "2025-01-02T03:04:06Z",
            json!({
                "event": "cli_command", "distinct_id": "h:1",
                "uuid": "84578881-22d1-4a29-b1aa-fa0a8b42ba37",
                "timestamp": "2025-01-02T05:04:05+02:00", "properties": {"a": 1}
            }),
        );
        let row = EventRow::from_stored(&stored);
        assert_eq!(row.tenant, "acme");
        assert_eq!(row.uuid, "84578881-22d1-4a29-b1aa-fa0a8b42ba37");
        assert_eq!(row.event, "cli_command");
        assert_eq!(row.distinct_id, "h:1");
        assert_eq!(row.timestamp, 1_735_787_045);
        assert_eq!(row.received_at, 1_735_787_046);
        assert_eq!(row.properties, r#"{"a":1}"#);
    }

    #[test]
    fn a_timestamp_outside_datetime_falls_back_to_received_at() {
        let stored = StoredEvent::for_test(
            "acme",
            "2025-01-02T03:04:06Z",
            json!({"event": "x", "distinct_id": "h:1",
                "uuid": "84578881-22d1-4a29-b1aa-fa0a8b42ba37",
                "timestamp": "1960-01-01T00:00:00Z"}),
        );
        let row = EventRow::from_stored(&stored);
        assert_eq!(row.timestamp, row.received_at);
        assert_eq!(row.properties, "{}");
    }

    #[test]
    fn expired_partitions_are_older_than_the_cutoff() {
        let parts: Vec<String> = ["20250101", "20250108", "20250109", "20250110", "junk"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            expired_partitions(&parts, date!(2025 - 01 - 10), 1),
            ["20250101", "20250108"]
        );
        assert!(expired_partitions(&parts, date!(2025 - 01 - 10), 30).is_empty());
    }
}
